//! `polc test`: run the `test` blocks of a policy.

use crate::output::{self, Color, Status};
use polc::testing::{self, report};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Examples:
  polc test policies/                     every test block
  polc test policies/ --filter approval   tests whose name contains `approval`
  polc test policies/ --coverage          also list grants, from edges and rules no test exercised
  polc test policies/ --format junit > polc-tests.xml

When the tests run, the last line of human output is `N passed, N failed`. A policy with errors
runs no test: its diagnostics are printed instead. Exit status: 0 when every test passed, 1 when
a test failed or the policy has errors, 2 when a file cannot be read.";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    Human,
    Json,
    Junit,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files, or folders searched recursively for `.pol` files
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text
    #[arg(long)]
    filter: Option<String>,
    /// Report the grants, `from` edges and rules that no test exercised
    #[arg(long)]
    coverage: bool,
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    format: TestFormat,
}

pub fn run(args: &Args, color: Color) -> Status {
    let loaded = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    if loaded.files.is_empty() {
        output::eprint(
            "error: a compiled artifact holds no tests: run `polc test` on the `.pol` sources\n",
        );
        return Status::Usage;
    }
    let r = testing::run(
        &loaded.policy,
        &loaded.files,
        &loaded.sources,
        args.filter.as_deref(),
    );
    match args.format {
        TestFormat::Human => output::print(&report::human(&r, &loaded.policy, args.coverage)),
        TestFormat::Json => {
            output::print(&(report::json(&r, &loaded.policy, args.coverage) + "\n"))
        }
        TestFormat::Junit => output::print(&report::junit(&r)),
    }
    if r.failed() > 0 {
        Status::Failed
    } else {
        Status::Clean
    }
}
