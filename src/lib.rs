//! polc: a policy-as-code engine.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//!
//! `source text -> syntax (parse) -> AST -> resolve -> compiled Policy -> eval`
//!
//! Compile a policy, load facts, decide a request and explain the decision:
//!
//! ```
//! use polc::eval::{Explainer, Request, decide};
//! use polc::facts::Facts;
//!
//! let compilation = polc::compile_str("policy.pol", r#"
//!     actor user;
//!     resource organization {
//!       permissions manage;
//!       role admin { grants manage; }
//!     }
//!     resource workspace {
//!       relation organization: organization;
//!       permissions view, delete;
//!       role owner { includes viewer; grants delete; from admin on organization; }
//!       role viewer { grants view; }
//!     }
//! "#);
//! assert!(compilation.diagnostics.is_empty());
//! let policy = compilation.policy.expect("the policy compiles");
//!
//! let mut sources = compilation.sources;
//! let facts = Facts::from_pol_str(&policy, &mut sources, "data.pol", r#"
//!     user:alice is admin on organization:acme;
//!     workspace:ml.organization = organization:acme;
//! "#).expect("the facts fit the policy");
//!
//! let request = Request::new(&policy, &facts, "user:alice", "delete", "workspace:ml")?;
//! let decision = decide(&policy, &facts, &request);
//! assert!(decision.allowed);
//! let why = Explainer { policy: &policy, facts: &facts }.reason(&request, &decision.reasons[0]);
//! assert_eq!(
//!     why,
//!     "user:alice is admin on organization:acme -> owner on workspace:ml (from admin on organization) -> grants delete"
//! );
//!
//! // Reverse queries: who can delete the workspace?
//! let query = polc::syntax::parse_query(polc::source::FileId(0), "who can delete workspace:ml")?;
//! let context = polc::eval::Context::from_facts(&policy, &facts);
//! let answer = polc::eval::query::run(&policy, &facts, &context, &query)?;
//! assert_eq!(answer.names(), ["user:alice"]);
//! # Ok::<(), polc::diag::Diagnostic>(())
//! ```

pub mod compiled;
pub mod diag;
pub mod eval;
pub mod facts;
pub mod loader;
pub mod repl;
pub mod resolve;
pub mod source;
pub mod syntax;
pub mod testing;
pub mod time;
pub mod tools;

use diag::{Code, Diagnostic};
use source::SourceMap;
use std::path::PathBuf;
use syntax::ast;

/// The result of compiling a set of sources: the ASTs, the policy when there were no errors, and
/// every diagnostic of every stage.
#[derive(Debug)]
pub struct Compilation {
    pub sources: SourceMap,
    pub files: Vec<ast::File>,
    /// The compiled policy, when no stage reported an error.
    pub policy: Option<compiled::Policy>,
    /// The resolved role graph (partial when there were errors).
    pub graph: resolve::RoleGraph,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses every file of `sources` and resolves them together into one policy.
pub fn compile_sources(sources: SourceMap) -> Compilation {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for (id, file) in sources.files() {
        let (ast, diags) = syntax::parse_file(id, &file.text);
        files.push(ast);
        diagnostics.extend(diags);
    }
    let syntax_ok = !diagnostics.iter().any(Diagnostic::is_error);
    let resolved = resolve::resolve(&files, &sources);
    // A broken item is missing from its file: names it declared look unknown elsewhere. While
    // there are syntax errors, "unknown name" errors are held back so they do not pile up on
    // the real problem; they show once the syntax is fixed.
    let unknown_names = [
        Code::E0201,
        Code::E0202,
        Code::E0203,
        Code::E0204,
        Code::E0205,
        Code::E0207,
        Code::E0208,
        Code::E0209,
    ];
    diagnostics.extend(
        resolved
            .diagnostics
            .into_iter()
            .filter(|d| syntax_ok || !unknown_names.contains(&d.code)),
    );
    // A file with syntax errors is missing items: resolving what remains is still worth
    // reporting, but the policy is not built from half a file.
    let policy = if syntax_ok { resolved.policy } else { None };
    // Facts blocks and tests are checked against the policy too: a typo in a test is an error
    // of `polc check`, not a surprise in `polc test`.
    let policy = match policy {
        Some(p) => {
            let problems = testing::check_static(&p, &files);
            let ok = problems.is_empty();
            diagnostics.extend(problems);
            ok.then_some(p)
        }
        None => None,
    };
    Compilation {
        sources,
        files,
        policy,
        graph: resolved.graph,
        diagnostics,
    }
}

/// Compiles one policy given as text (named `name` in diagnostics).
pub fn compile_str(name: &str, text: &str) -> Compilation {
    let mut sources = SourceMap::new();
    sources.add(name, text);
    compile_sources(sources)
}

/// Reads `.pol` files (folders recursively) and compiles them. I/O errors come back as `Err`.
pub fn compile_paths(paths: &[PathBuf]) -> Result<Compilation, Vec<Diagnostic>> {
    loader::load_paths(paths).map(compile_sources)
}

/// A policy ready to answer requests: compiled from sources, or loaded from a compiled artifact
/// (then `files` is empty: tests and facts blocks live in the sources).
#[derive(Debug)]
pub struct Loaded {
    pub policy: compiled::Policy,
    pub sources: SourceMap,
    pub files: Vec<ast::File>,
    /// Warnings of the compilation.
    pub warnings: Vec<Diagnostic>,
}

/// Loads a policy for evaluation: one `.json` path is a compiled artifact (`polc compile`);
/// anything else is compiled from `.pol` sources. On failure, the diagnostics and the sources
/// they point into.
pub fn load_policy(paths: &[PathBuf]) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    load_policy_verified(paths, None)
}

/// Like [`load_policy`]; with `key`, only a compiled artifact whose signature verifies with the
/// key is accepted (sources carry no signature, so they are refused).
pub fn load_policy_verified(
    paths: &[PathBuf],
    key: Option<&compiled::VerifyingKey>,
) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    let is_artifact = matches!(paths, [path] if path.is_file()
        && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")));
    if let ([path], true) = (paths, is_artifact) {
        let mut sources = SourceMap::new();
        let file =
            loader::read_file(&mut sources, path).map_err(|d| (SourceMap::new(), vec![d]))?;
        let text = sources.get(file).map(|f| f.text.as_str()).unwrap_or("");
        return match compiled::Policy::from_artifact(text, key) {
            Ok(policy) => Ok(Loaded {
                policy,
                sources,
                files: Vec::new(),
                warnings: Vec::new(),
            }),
            Err(e) => {
                let d = Diagnostic::new(diag::Code::E0501, format!("`{}` is not a usable compiled policy: {e}", path.display()))
                        .help("write artifacts with `polc compile POLICY -o FILE.json` (and `--sign-key`), or pass the `.pol` sources");
                Err((sources, vec![d]))
            }
        };
    }
    if key.is_some() {
        let d = Diagnostic::new(
            diag::Code::E0501,
            "a verifying key was given, but the policy is not one compiled artifact",
        )
        .help("sign an artifact with `polc compile POLICY -o FILE.json --sign-key KEY.pem` and pass `FILE.json`");
        return Err((SourceMap::new(), vec![d]));
    }
    let c = compile_paths(paths).map_err(|d| (SourceMap::new(), d))?;
    match c.policy {
        Some(policy) => Ok(Loaded {
            policy,
            sources: c.sources,
            files: c.files,
            warnings: c.diagnostics,
        }),
        None => Err((c.sources, c.diagnostics)),
    }
}

/// Reads a key file through the loader (size limit, UTF-8) and decodes it with `decode`.
fn read_key<K>(
    path: &std::path::Path,
    decode: fn(&str) -> Result<K, String>,
) -> Result<K, Diagnostic> {
    let mut sources = SourceMap::new();
    let file = loader::read_file(&mut sources, path)?;
    let text = sources.get(file).map(|f| f.text.as_str()).unwrap_or("");
    decode(text).map_err(|e| {
        Diagnostic::new(
            diag::Code::E0501,
            format!("`{}` is not an ed25519 key in PEM: {e}", path.display()),
        )
        .help("make a key pair with `openssl genpkey -algorithm ed25519 -out key.pem` and `openssl pkey -in key.pem -pubout -out key.pub.pem`; sign with `key.pem`, verify with `key.pub.pem`")
    })
}

/// Reads a signing key file: an ed25519 private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
pub fn read_signing_key(path: &std::path::Path) -> Result<compiled::SigningKey, Diagnostic> {
    read_key(path, compiled::artifact::signing_key_from_pem)
}

/// Reads a verifying key file: an ed25519 public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn read_verifying_key(path: &std::path::Path) -> Result<compiled::VerifyingKey, Diagnostic> {
    read_key(path, compiled::artifact::verifying_key_from_pem)
}
