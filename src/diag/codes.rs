//! The registry of diagnostic codes. A code never changes meaning once released; every code has
//! an explanation in `docs/codes/CODE.md` (printed by `polc explain CODE`) and a fixture in
//! `tests/fixtures/err/` (checked by `tests/codes.rs`).

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops the compilation (no policy) or the input (no facts); codes `Exxxx`.
    Error,
    /// Reported, but the policy or facts are usable; codes `Wxxxx`.
    Warning,
}

macro_rules! codes {
    ($($code:ident => $sev:ident, $summary:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)] // a variant per code: `polc explain CODE` and docs/codes/ explain them
        pub enum Code { $($code),* }

        impl Code {
            /// Every code, in the registry's order.
            pub const ALL: &'static [Code] = &[$(Code::$code),*];

            /// `E0101`
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code)),* }
            }

            /// The code's own severity (configuration may raise a warning: [`crate::diag::Diagnostic::severity`]).
            pub fn severity(self) -> Severity {
                match self { $(Code::$code => Severity::$sev),* }
            }

            /// One line: what the code is about.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$code => $summary),* }
            }

            /// The long explanation: what it means, why it matters, an example and the fix.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$code => include_str!(concat!("../../docs/codes/", stringify!($code), ".md"))),* }
            }
        }
    };
}

codes! {
    // Input
    E0001 => Error, "a file could not be read";
    E0002 => Error, "input is not valid UTF-8";
    E0003 => Error, "input exceeds a limit";
    // Compiled artifacts (`polc compile`, loaded by `eval`, `query`, `debug graph`)
    E0010 => Error, "not a compiled artifact";
    E0011 => Error, "unsupported artifact version";
    E0012 => Error, "artifact content does not match its hash";
    E0013 => Error, "artifact not signed, and a verifying key was given";
    E0014 => Error, "artifact signature does not verify";
    E0015 => Error, "artifact cross-reference inconsistent";
    E0016 => Error, "artifact condition does not type-check";
    E0017 => Error, "artifact exceeds a limit";
    E0018 => Error, "key file is not an ed25519 PEM key";
    // Syntax
    E0101 => Error, "syntax error";
    E0102 => Error, "invalid literal";
    // Names
    E0201 => Error, "unknown type";
    E0202 => Error, "unknown role";
    E0203 => Error, "unknown permission";
    E0204 => Error, "unknown relation";
    E0205 => Error, "unknown attribute";
    E0206 => Error, "duplicate declaration";
    E0207 => Error, "unknown facts block";
    E0208 => Error, "extend of an undeclared resource";
    E0209 => Error, "unknown context field";
    // Role graph
    E0301 => Error, "cycle of includes";
    E0302 => Error, "sealed role changed";
    E0307 => Error, "permit rule widens a sealed role";
    E0303 => Error, "separation-of-duties conflict in the role definitions";
    E0304 => Error, "pattern matches no permission";
    E0305 => Error, "min greater than max";
    E0306 => Error, "declaration in the wrong place";
    // Types
    E0401 => Error, "type mismatch";
    E0402 => Error, "optional attribute read without `has`";
    E0403 => Error, "value not in the enumeration";
    E0404 => Error, "record misses a required field";
    E0405 => Error, "unknown method or wrong arguments";
    E0406 => Error, "request property the type does not declare";
    E0407 => Error, "unknown action property";
    // Facts and requests
    E0501 => Error, "malformed JSON";
    E0502 => Error, "only actors can hold roles";
    // Writes and the fact store (`polc facts`, `--store`)
    E0601 => Error, "malformed transaction";
    E0602 => Error, "precondition failed: the fact does not exist";
    E0603 => Error, "precondition failed: the fact exists";
    E0604 => Error, "precondition failed: the store is at another revision";
    E0605 => Error, "transaction refused: it breaks the policy's constraints";
    E0606 => Error, "store URL not understood";
    E0607 => Error, "store backend not built into this polc";
    E0608 => Error, "the store failed";
    E0609 => Error, "store schema newer than this polc";
    E0610 => Error, "revision not reached in time";
    E0620 => Error, "PostgreSQL URL not understood";
    E0621 => Error, "database cannot be reached";
    E0622 => Error, "TLS to the database cannot be set up";
    // The decision server (`polc serve`)
    E0801 => Error, "request over the time limit";
    E0802 => Error, "page token of another revision";
    // Lints
    W0101 => Warning, "permission that nothing can give";
    W0102 => Warning, "role that grants nothing and is used nowhere";
    W0103 => Warning, "grant the role already has through an include";
    W0104 => Warning, "forbid on an action nothing permits";
    W0105 => Warning, "elevated role without a review period";
    W0106 => Warning, "`&&` and `||` mixed without parentheses";
    W0107 => Warning, "name not in snake_case";
    W0115 => Warning, "attribute some actor types never have";
    // Requests (`polc eval`)
    W0120 => Warning, "request field polc does not know, ignored";
    W0122 => Warning, "denied request naming an entity the facts do not know";
    // Data lints (`polc check --data`)
    W0201 => Warning, "fewer holders than the role's `min`";
    W0202 => Warning, "more holders than the role's `max`";
    W0203 => Warning, "separation of duties broken in the data";
    W0204 => Warning, "elevated assignment without `until`";
    W0205 => Warning, "elevated assignment longer than its review period";
    W0206 => Warning, "assignment a fixed `from` already implies";
    W0207 => Warning, "wildcard assignment of an elevated role";
    W0208 => Warning, "holder without a required role on a related resource";
    W0121 => Warning, "cycle in the data along the relations `from` follows";
    // The fact store
    W0610 => Warning, "database cannot LISTEN: the server polls";
    W0611 => Warning, "the database's identity is not verified";
    // Audit (`polc audit escalation`)
    W0701 => Warning, "role can assign a role with permissions it lacks";
    W0702 => Warning, "role can gain permissions through a chain of assignments";
    W0703 => Warning, "role can assign a role that gives it back on a broader scope";
    W0704 => Warning, "sealed or elevated role reachable by assignment";
}

impl Code {
    /// Looks a code up by its text, case-insensitively (`e0101` works, and so does `polc::E0101`).
    pub fn parse(text: &str) -> Option<Code> {
        let text = text.trim();
        let text = text.strip_prefix("polc::").unwrap_or(text);
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }

    /// Whether the code is an error code.
    pub fn is_error(self) -> bool {
        self.severity() == Severity::Error
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "polc::{}", self.as_str())
    }
}
