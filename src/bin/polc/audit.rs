//! `polc audit escalation POLICY`: who can come to hold more than they have, through the roles
//! their permissions let them assign. `polc audit access POLICY --data FACTS`: the periodic access
//! review. The analyses are `polc::audit`; this file reads arguments and prints.

use crate::output::{self, Color, Status, count};
use polc::diag::render::{self, Format};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Every role whose holder can come to hold more than it has through `permissions P assigns R;`:
a role assigning a role with permissions it lacks (W0701), a chain of assignments (W0702), a
role gained that gives the holder's role back on a broader scope through `from` (W0703), a
sealed or elevated role reachable by assignment (W0704). Each finding names the path.

Examples:
  polc audit escalation policies/deeploy
  polc audit escalation policies/lazsa --format sarif > audit.sarif

Exit status: 0 when nothing is found, 1 when there are findings (or the policy has errors),
2 when a file cannot be read.";

pub const ACCESS_HELP: &str = "\
The periodic access review of the data: per resource (or per actor, --by actor) who holds which
role and through which path; live assignments of elevated roles with their expiry and review
status; assignments expiring within --expiring-days; and the data checks to act on: review
overdue (W0204, W0205, W0207), holders a fixed `from` already implies (W0206), separation of
duties (W0203), holder counts and requirements (W0201, W0202, W0208).

Formats: markdown (default), html (one self-contained page: tables and the role graph as SVG),
csv (one table, `section` first), json.

Examples:
  polc audit access policies/deeploy --data acme.json --now 2026-11-23T10:00:00Z
  polc audit access policies/deeploy --data acme.json --format html > review.html
  polc audit access policies/deeploy --data acme.json --format csv --by actor > review.csv

Exit status: 0 (with --fail-on-findings, 1 when there is a finding or an elevated assignment
to act on); 1 when the policy or the data has errors, or --now is not a time; 2 when a file
cannot be read.";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Privilege escalation through assignments
    #[command(after_help = AFTER_HELP)]
    Escalation(EscalationArgs),
    /// The periodic access review of the data
    #[command(after_help = ACCESS_HELP)]
    Access(AccessArgs),
    /// What one actor's credentials could do and grant
    #[command(after_help = BLAST_HELP)]
    BlastRadius(BlastArgs),
}

pub const BLAST_HELP: &str = "\
What an attacker holding ACTOR's credentials could do and could grant, over the data: every
action it is allowed on each resource; every role it may assign (to another actor, and whether
to itself), with what the role gives; what it comes to do by assigning itself every role it
may, round after round; and the escalation paths of the policy that start at a role it holds.

Examples:
  polc audit blast-radius user:owen policies/deeploy --data acme.json
  polc audit blast-radius user:owen policies/deeploy --data acme.json --format json

Exit status: 0; 1 when the policy, the data or ACTOR has errors, or --now is not a time; 2 when
a file cannot be read.";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum BlastFormat {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct BlastArgs {
    /// The actor, `type:id` (`user:owen`)
    actor: String,

    /// Policy files or folders (or one compiled artifact)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// The facts: a JSON document or a `.pol` file of facts
    #[arg(long, required = true)]
    data: PathBuf,

    /// The time to judge assignments at (RFC 3339; default now)
    #[arg(long)]
    now: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = BlastFormat::Human)]
    format: BlastFormat,
}

fn blast(args: &BlastArgs, color: Color) -> Status {
    let now = match parse_now(&args.now) {
        Ok(n) => n,
        Err(s) => return s,
    };
    let mut loaded = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let facts = match output::load_data(&mut loaded, Some(&args.data), color) {
        Ok(f) => f,
        Err(s) => return s,
    };
    let file = loaded.sources.add("<actor>", args.actor.clone());
    let span = polc::source::Span::new(file, 0, args.actor.len());
    let actor = match polc::audit::blast::actor(&loaded.policy, &facts, &args.actor, span) {
        Ok(a) => a,
        Err(d) => {
            output::eprint(&output::human(
                &[d],
                &loaded.sources,
                output::stderr_style(color),
            ));
            return Status::Failed;
        }
    };
    let b = polc::audit::blast_radius(&loaded.policy, &facts, &actor, now);
    match args.format {
        BlastFormat::Human => output::print(&b.render()),
        BlastFormat::Json => output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&b.to_json()).unwrap_or_default()
        )),
    }
    Status::Clean
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum AccessFormat {
    Markdown,
    Html,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum By {
    Resource,
    Actor,
}

#[derive(Debug, clap::Args)]
pub struct AccessArgs {
    /// Policy files or folders (or one compiled artifact)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// The facts to review: a JSON document or a `.pol` file of facts
    #[arg(long, required = true)]
    data: PathBuf,

    /// The time of the review (RFC 3339; default now): what is live, expiring, overdue
    #[arg(long)]
    now: Option<String>,

    /// List the assignments that expire within this many days
    #[arg(long, default_value_t = 30)]
    expiring_days: u32,

    /// Group the holdings by resource or by actor
    #[arg(long, value_enum, default_value_t = By::Resource)]
    by: By,

    /// Output format
    #[arg(long, value_enum, default_value_t = AccessFormat::Markdown)]
    format: AccessFormat,

    /// Exit with status 1 when the review finds something to act on
    #[arg(long)]
    fail_on_findings: bool,
}

/// `--now`, or the current time; `Err` after printing the problem.
pub fn parse_now(now: &Option<String>) -> Result<i64, Status> {
    match now {
        None => Ok(polc::time::now()),
        Some(t) => polc::time::parse(t).ok_or_else(|| {
            output::eprint(&format!(
                "error: `--now {t}` is not an RFC 3339 time (e.g. 2026-11-23T10:00:00Z)\n"
            ));
            Status::Failed
        }),
    }
}

fn access(args: &AccessArgs, color: Color) -> Status {
    let now = match parse_now(&args.now) {
        Ok(n) => n,
        Err(s) => return s,
    };
    let mut loaded = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let facts = match output::load_data(&mut loaded, Some(&args.data), color) {
        Ok(f) => f,
        Err(s) => return s,
    };
    let grouping = match args.by {
        By::Resource => polc::audit::Grouping::ByResource,
        By::Actor => polc::audit::Grouping::ByActor,
    };
    let report = polc::audit::access(
        &loaded.policy,
        &facts,
        now,
        args.expiring_days,
        grouping,
        Some(&loaded.sources),
    );
    output::print(&match args.format {
        AccessFormat::Markdown => report.markdown(grouping),
        AccessFormat::Html => report.html(grouping),
        AccessFormat::Csv => report.csv(),
        AccessFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        ),
    });
    if args.fail_on_findings && report.needs_action() {
        Status::Failed
    } else {
        Status::Clean
    }
}

#[derive(Debug, clap::Args)]
pub struct EscalationArgs {
    /// Policy files or folders
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(command: &Command, color: Color) -> Status {
    match command {
        Command::Escalation(args) => escalation(args, color),
        Command::Access(args) => access(args, color),
        Command::BlastRadius(args) => blast(args, color),
    }
}

fn escalation(args: &EscalationArgs, color: Color) -> Status {
    let loaded = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let findings = polc::audit::escalation(&loaded.policy);
    let diags = polc::audit::escalation_diagnostics(&findings, &loaded.files);
    let sources = &loaded.sources;
    match args.format {
        Format::Human => {
            let mut text = output::human(&diags, sources, output::human_style(color));
            text.push_str(&format!(
                "audit escalation: {}\n",
                count(diags.len(), "finding")
            ));
            output::print(&text);
        }
        Format::Json => output::print(&(render::json(&diags, sources) + "\n")),
        Format::Github => output::print(&render::github(&diags, sources)),
        Format::Sarif => output::print(&(render::sarif(&diags, sources) + "\n")),
    }
    if diags.is_empty() {
        Status::Clean
    } else {
        Status::Failed
    }
}
