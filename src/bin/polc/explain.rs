//! `polc explain CODE` / `polc explain --list`: the registry's explanations.

use crate::output::{self, Status};
use polc::diag::{Code, Severity, did_you_mean};

pub const AFTER_HELP: &str = "\
Examples:
  polc explain E0202          also e0202 and polc::E0202
  polc explain --list         every code with its severity and summary";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A diagnostic code such as `E0202`, as `polc check` prints it
    #[arg(required_unless_present = "list")]
    code: Option<String>,

    /// List every code with its severity and summary
    #[arg(long, conflicts_with = "code")]
    list: bool,
}

pub fn run(args: &Args) -> Status {
    if args.list {
        output::print(&list());
        return Status::Clean;
    }
    let text = args.code.as_deref().unwrap_or_default();
    match Code::parse(text) {
        Some(code) => {
            output::print(code.explanation());
            Status::Clean
        }
        None => {
            output::eprint(&unknown(text));
            Status::Usage
        }
    }
}

/// `E0202  error    unknown role`, one line per code.
fn list() -> String {
    Code::ALL
        .iter()
        .map(|c| {
            let severity = match c.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!("{}  {severity:<8} {}\n", c.as_str(), c.summary())
        })
        .collect()
}

fn unknown(text: &str) -> String {
    let wanted = text
        .trim()
        .trim_start_matches("polc::")
        .to_ascii_uppercase();
    let mut out = format!("error: unknown diagnostic code `{text}`\n");
    if let Some(suggestion) = did_you_mean(&wanted, Code::ALL.iter().map(|c| c.as_str())) {
        out.push_str(&format!("help: {suggestion}\n"));
    }
    out.push_str("help: `polc explain --list` lists every code\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{list, unknown};
    use polc::diag::Code;

    #[test]
    fn an_unknown_code_gets_a_suggestion_and_the_list_hint() {
        let text = unknown("e0202x");
        assert!(text.contains("did you mean `E0202`?"), "{text}");
        assert!(text.contains("polc explain --list"), "{text}");
    }

    #[test]
    fn the_list_has_one_line_per_code() {
        assert_eq!(list().lines().count(), Code::ALL.len());
    }
}
