//! `polc test`: run the `test` blocks of a policy.

use crate::output::{self, Color, Status};
use polc::testing::{self, report};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Examples:
  polc test policies/                     every test block (in a folder of policies, each
                                          subfolder's tests against its own policy)
  polc test policies/ --filter approval   tests whose name contains `approval`
  polc test policies/ --coverage          also list grants, from edges and rules no test exercised
  polc test policies/ --fail-under 80     exit 1 when under 80% of them are exercised
  polc test policies/ --format junit > polc-tests.xml
  polc test policies/ --watch             run again after every change (Ctrl-C stops)

When the tests run, the last line of human output is `N passed, N failed`. A policy with errors
runs no test: its diagnostics are printed instead. Exit status: 0 when every test passed, 1 when
a test failed, the policy has errors, `--filter` matches no test or coverage is under
`--fail-under`, 2 when a file cannot be read.";

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
    /// Fail (exit 1) when the tests exercise less than PCT percent of the grants, `from` edges
    /// and rules together (implies `--coverage`)
    #[arg(long, value_name = "PCT", value_parser = percent)]
    fail_under: Option<f64>,
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    format: TestFormat,
    /// Run the tests again after every change to a file the tests read (the `.pol` files
    /// found, the files named, `polc.toml`); Ctrl-C stops
    #[arg(long)]
    watch: bool,
    /// With `--watch`: clear the terminal before each run (default: a separator line)
    #[arg(long, requires = "watch")]
    clear: bool,
}

pub fn run(args: &Args, color: Color) -> Status {
    if args.watch {
        let watched = crate::watch::Watched {
            paths: args.paths.clone(),
            inputs: Box::new(|| {
                let mut files = polc::loader::pol_files(&args.paths).unwrap_or_default();
                files.extend(args.paths.iter().filter(|p| p.is_file()).cloned());
                files
            }),
            clear: args.clear,
        };
        return crate::watch::watch(&watched, || run_once(args, color));
    }
    run_once(args, color)
}

/// One run of the tests.
fn run_once(args: &Args, color: Color) -> Status {
    if polc::loader::policy_groups(&args.paths, &[]).len() > 1 {
        return run_many(args, color);
    }
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
    if let Some(f) = &args.filter
        && r.tests.is_empty()
    {
        output::eprint(&format!(
            "error: no test name contains `{f}`\n  help: `polc test` without `--filter` lists every test\n"
        ));
        return Status::Failed;
    }
    let coverage = args.coverage || args.fail_under.is_some();
    match args.format {
        TestFormat::Human => output::print(&report::human(&r, &loaded.policy, coverage)),
        TestFormat::Json => output::print(&(report::json(&r, &loaded.policy, coverage) + "\n")),
        TestFormat::Junit => output::print(&report::junit(&r)),
    }
    let mut status = if r.failed() > 0 {
        Status::Failed
    } else {
        Status::Clean
    };
    if let Some(min) = args.fail_under {
        let pct = r.coverage.percent(&loaded.policy);
        if pct < min {
            output::eprint(&format!(
                "error: coverage is {pct:.1}%, under `--fail-under {min}`\n"
            ));
            status = Status::Failed;
        }
    }
    status
}

/// A percentage from 0 to 100.
fn percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a percentage from 0 to 100")),
    }
}

/// A folder of policies: each policy's tests run against that policy alone; the human report
/// gives each policy's results under its name, then the totals.
fn run_many(args: &Args, color: Color) -> Status {
    if args.format != TestFormat::Human {
        output::eprint(
            "error: `--format json` and `--format junit` report one policy: pass one of the folder's policies\n",
        );
        return Status::Usage;
    }
    let (sources, units) = match polc::compile_collection(&args.paths) {
        Ok(x) => x,
        Err(io) => {
            output::eprint(&output::human(
                &io,
                &polc::source::SourceMap::new(),
                output::stderr_style(color),
            ));
            return Status::Usage;
        }
    };
    let (mut passed, mut failed, mut broken) = (0, 0, false);
    let mut text = String::new();
    for unit in &units {
        text.push_str(&format!("policy {}\n", unit.name));
        let Some(policy) = &unit.policy else {
            output::eprint(&output::human(
                &unit.diagnostics,
                &sources,
                output::stderr_style(color),
            ));
            text.push_str("  does not compile: no test ran\n");
            broken = true;
            continue;
        };
        let r = testing::run(policy, &unit.files, &sources, args.filter.as_deref());
        passed += r.passed();
        failed += r.failed();
        text.push_str(&report::human(&r, policy, args.coverage));
    }
    text.push_str(&format!("{passed} passed, {failed} failed\n"));
    output::print(&text);
    if failed > 0 || broken {
        Status::Failed
    } else {
        Status::Clean
    }
}
