//! Snapshot tests over `tests/fixtures/`: a new case is a new file.
//!
//! - `err/CODE_description.pol` must report `CODE`; the snapshot shows the source and every
//!   rendered diagnostic together (`snapshots/err_fixtures@CODE_description.pol.snap`).
//! - `err/CODE_description.pol` may have a companion data file, `err/CODE_description.data.pol`
//!   or `err/CODE_description.data.json`: the policy is compiled, the data loaded against it and
//!   the data lints run at a fixed time ([`NOW`]); the data's diagnostics join the snapshot.
//!   Companion files are not fixtures of their own.
//! - `err/CODE_description.pol` may instead have a companion artifact,
//!   `err/CODE_description.artifact.json` (a compiled artifact of the policy, hand-edited), and
//!   with it a verifying key, `err/CODE_description.verify.pem`: the artifact is loaded as
//!   `polc eval` loads it (with the key if there is one), and the load's diagnostics join the
//!   snapshot.
//! - `err/CODE_description.request.json`: one `polc eval` request line, read against the policy
//!   and its data (if any) and decided; the warnings `polc eval` would give join the snapshot.
//! - `err/CODE_description.transaction.json`: a transaction (`docs/store.md`) read against the
//!   policy and judged against its data (empty without a data file) as a store at revision 0
//!   would, with `--constraints enforce`; its diagnostics join the snapshot.
//! - `ok/*.pol` must compile without any error or warning.
//!
//! These need the parser and the resolver: review new snapshots with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::compiled::Policy;
use polc::diag::Diagnostic;
use polc::diag::render::{self, HumanStyle};
use polc::source::SourceMap;
use std::path::Path;
use std::process::Command;

/// Compiles one fixture alone, named by its path relative to the repository so that snapshots
/// do not depend on where the repository is. The file is read as bytes through the loader, so
/// a non-UTF-8 fixture reports E0002 like any other input.
fn compile(path: &Path) -> (String, SourceMap, Vec<Diagnostic>, Option<Policy>) {
    let name = relative(path);
    let bytes = std::fs::read(path).unwrap();
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let mut sources = SourceMap::new();
    match polc::loader::add_bytes(&mut sources, name, bytes) {
        Ok(_) => {
            let mut compilation = polc::compile_sources(sources);
            // `W07xx` fixtures show what `polc audit escalation` finds in them.
            if name_is_audit(path)
                && let Some(policy) = &compilation.policy
            {
                let findings = polc::audit::escalation(policy);
                compilation
                    .diagnostics
                    .extend(polc::audit::escalation_diagnostics(
                        &findings,
                        &compilation.files,
                    ));
            }
            (
                shown,
                compilation.sources,
                compilation.diagnostics,
                compilation.policy,
            )
        }
        Err(d) => (shown, sources, vec![d], None),
    }
}

/// Whether a fixture is about `polc audit` (`W07xx_...`, `E07xx_...`).
fn name_is_audit(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.starts_with("W07") || name.starts_with("E07")
}

/// The time data lints judge expiry and review periods against, so that snapshots stay put.
const NOW: &str = "2026-11-25T00:00:00Z";

/// `path` relative to the repository, with `/` separators.
fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// A policy fixture's companion data file (`X.data.pol` or `X.data.json` beside `X.pol`).
fn companion_data(path: &Path) -> Option<std::path::PathBuf> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    ["pol", "json"]
        .iter()
        .map(|ext| path.with_file_name(format!("{stem}.data.{ext}")))
        .find(|p| p.exists())
}

fn is_companion_data(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    [
        ".data.pol",
        ".data.json",
        ".request.json",
        ".transaction.json",
        ".artifact.json",
        ".verify.pem",
    ]
    .iter()
    .any(|c| name.ends_with(c))
}

/// A fixture's companion transaction (`X.transaction.json`), read against the policy and judged
/// against the facts.
fn transaction_diagnostics(
    path: &Path,
    policy: &Policy,
    facts: &mut polc::facts::Facts,
    shown: &mut String,
    sources: &mut SourceMap,
) -> Vec<Diagnostic> {
    use polc::facts::write::{Constraints, Judgement, Revision, judge, refusal};
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let tx = path.with_file_name(format!("{stem}.transaction.json"));
    let Ok(text) = std::fs::read_to_string(&tx) else {
        return Vec::new();
    };
    shown.push_str(&format!("\n----- TRANSACTION {}\n{text}", relative(&tx)));
    let file = sources.add(relative(&tx), text.clone());
    let tx = match polc::facts::write::transaction_from_json(policy, file, &text) {
        Ok(tx) => tx,
        Err(d) => return d,
    };
    let now = polc::time::parse(NOW).unwrap();
    match judge(policy, facts, Revision(0), &tx, Constraints::Enforce, now) {
        Judgement::Accepted { warnings } => warnings,
        Judgement::Failed { diagnostic, .. } => vec![diagnostic],
        Judgement::Refused(broken) => {
            let mut all = vec![refusal(&broken)];
            all.extend(broken);
            all
        }
    }
}

/// A fixture's companion request (`X.request.json`: one `polc eval` request line), read against
/// the policy and its facts (none when the fixture has no data): its error, or the warnings
/// `polc eval` gives: fields polc ignores (W0120), a denied request naming an entity the facts do
/// not know (W0122).
fn request_diagnostics(
    path: &Path,
    policy: &Policy,
    facts: &polc::facts::Facts,
    shown: &mut String,
    sources: &mut SourceMap,
) -> Vec<Diagnostic> {
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let req = path.with_file_name(format!("{stem}.request.json"));
    let Ok(text) = std::fs::read_to_string(&req) else {
        return Vec::new();
    };
    shown.push_str(&format!("\n----- REQUEST {}\n{text}", relative(&req)));
    let file = sources.add(relative(&req), text.clone());
    let mut lines =
        polc::eval::request::RequestLines::new(polc::eval::Context::from_facts(policy, facts));
    let line = text.trim_end();
    match lines.read(policy, facts, file, line) {
        Ok((req, extras)) => {
            let mut diags: Vec<Diagnostic> = extras
                .unknown_fields(file, line, false)
                .into_iter()
                .collect();
            if !polc::eval::decide_with(policy, facts, req, false).allowed {
                diags.extend(polc::eval::hints::UnknownEntities::default().hints(
                    policy,
                    facts,
                    req,
                    extras.spans,
                ));
            }
            diags
        }
        Err(d) => vec![d],
    }
}

/// A policy fixture's companion file `X.SUFFIX` beside `X.pol`, if it exists.
fn companion(path: &Path, suffix: &str) -> Option<std::path::PathBuf> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let p = path.with_file_name(format!("{stem}.{suffix}"));
    p.exists().then_some(p)
}

/// Loads a fixture's companion artifact (with its companion verifying key, if any) as `polc
/// eval` does. Returns what the snapshot shows of them and the load's diagnostics.
fn load_artifact(path: &Path) -> Option<(String, Vec<Diagnostic>)> {
    let artifact = companion(path, "artifact.json")?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&artifact).unwrap();
    let mut shown = format!("\n----- ARTIFACT {}\n{text}\n", relative(&artifact));
    let key = companion(path, "verify.pem").inspect(|k| {
        shown.push_str(&format!(
            "\n----- VERIFY KEY {}\n{}",
            relative(k),
            std::fs::read_to_string(k).unwrap()
        ));
    });
    // Relative paths (the tests run in the repository) so that messages do not depend on
    // where the repository is.
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(cwd, root, "tests run in the repository");
    let rel_artifact = std::path::PathBuf::from(relative(&artifact));
    let diags = match key.map(|k| polc::read_verifying_key(Path::new(&relative(&k)))) {
        Some(Err(d)) => vec![d],
        Some(Ok(k)) => polc::load_policy_verified(&[rel_artifact], Some(&k))
            .err()
            .map(|(_, d)| d)
            .unwrap_or_default(),
        None => polc::load_policy(&[rel_artifact])
            .err()
            .map(|(_, d)| d)
            .unwrap_or_default(),
    };
    Some((shown, diags))
}

/// Compiles a fixture, then loads its companion data (if any) and runs the data lints.
/// Returns the source shown in the snapshot (the policy, then the data) and every diagnostic.
fn compile_with_data(path: &Path) -> (String, SourceMap, Vec<Diagnostic>) {
    let (mut shown, mut sources, mut diags, policy) = compile(path);
    if let Some((text, loaded)) = load_artifact(path) {
        assert!(
            policy.is_some(),
            "{}: the policy has errors",
            relative(path)
        );
        shown.push_str(&text);
        diags.extend(loaded);
        return (shown, sources, diags);
    }
    let Some(data) = companion_data(path) else {
        if let Some(policy) = &policy {
            let mut facts = polc::facts::Facts::new(policy);
            diags.extend(request_diagnostics(
                path,
                policy,
                &facts,
                &mut shown,
                &mut sources,
            ));
            diags.extend(transaction_diagnostics(
                path,
                policy,
                &mut facts,
                &mut shown,
                &mut sources,
            ));
        }
        return (shown, sources, diags);
    };
    let text = std::fs::read_to_string(&data).unwrap();
    shown.push_str(&format!("\n----- DATA {}\n{text}", relative(&data)));
    let Some(policy) = policy else {
        panic!(
            "{}: the policy has errors, so its data cannot be loaded",
            relative(path)
        );
    };
    // Loaded by its relative name so that the data's spans read like the policy's.
    let now = polc::time::parse(NOW).unwrap();
    match polc::facts::load_data(&policy, &mut sources, Path::new(&relative(&data))) {
        Ok(mut facts) => {
            diags.extend(polc::facts::lints::run(&policy, &facts, now));
            diags.extend(request_diagnostics(
                path,
                &policy,
                &facts,
                &mut shown,
                &mut sources,
            ));
            diags.extend(transaction_diagnostics(
                path,
                &policy,
                &mut facts,
                &mut shown,
                &mut sources,
            ));
        }
        Err(d) => diags.extend(d),
    }
    (shown, sources, diags)
}

fn rendered(diags: &[Diagnostic], sources: &SourceMap) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources, HumanStyle::plain()))
        .collect()
}

#[test]
fn err_fixtures() {
    // Collected rather than asserted one by one, so that one run lists every fixture whose
    // code is missing (and still writes every snapshot for review).
    let mut missing = Vec::new();
    insta::glob!("fixtures/err/*.pol", |path| {
        if is_companion_data(path) {
            return;
        }
        let (source, sources, diags) = compile_with_data(path);
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = file.split('_').next().unwrap().to_string();
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        if !codes.contains(&expected.as_str()) {
            missing.push(format!("{file}: expected {expected}, got {codes:?}"));
        }
        let snapshot = format!(
            "----- SOURCE CODE\n{source}\n----- DIAGNOSTICS\n{}",
            rendered(&diags, &sources)
        );
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(snapshot);
        });
    });
    assert!(
        missing.is_empty(),
        "fixtures that do not report their code:\n{}",
        missing.join("\n")
    );
}

#[test]
fn ok_fixtures() {
    let mut unclean = Vec::new();
    insta::glob!("fixtures/ok/*.pol", |path| {
        let (_, sources, diags, _) = compile(path);
        if !diags.is_empty() {
            unclean.push(format!(
                "{}:\n{}",
                path.display(),
                rendered(&diags, &sources)
            ));
        }
    });
    assert!(
        unclean.is_empty(),
        "ok/ fixtures with diagnostics:\n{}",
        unclean.join("\n")
    );
}

fn polc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

// The CLI on fixtures that only fail once the parser and resolver report them.

#[test]
fn check_exits_1_on_a_policy_with_errors() {
    let o = polc(&[
        "check",
        "--format",
        "github",
        "tests/fixtures/err/E0202_unknown_role_in_includes.pol",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("::error file=tests/fixtures/err/E0202_unknown_role_in_includes.pol,line="),
        "{out}"
    );
}

#[test]
fn deny_warnings_turns_warnings_into_exit_1() {
    let file = "tests/fixtures/err/W0107_name_not_snake_case.pol";
    let o = polc(&["check", file]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.ends_with("checked 1 file: 0 errors, 1 warning\n"),
        "{out}"
    );
    assert_eq!(
        polc(&["check", "--deny-warnings", file]).status.code(),
        Some(1)
    );
}

/// Each ok/ fixture is a policy of its own (they declare the same types), so each is checked
/// alone: `polc check tests/fixtures/ok` would load them as one policy.
#[test]
fn the_ok_fixtures_pass_check_with_deny_warnings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok");
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = relative(&entry.unwrap().path());
        let o = polc(&["check", "--deny-warnings", &file]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}
