#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Hostile input through the real binary: every subcommand on deep nesting, huge files, huge
//! identifiers, NUL bytes, invalid UTF-8, data cycles and long include chains. Each run must end
//! (within [`TIME_BOUND`]) with an exit code, never a signal (a stack overflow aborts with
//! SIGABRT/SIGSEGV), with a code in {0, 1, 2}, and with a diagnostic where the input is bad.
//! The limits are documented in `docs/security.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: a debug build on a shared machine. A run past it is killed and fails the test.
const TIME_BOUND: Duration = Duration::from_secs(20);

const POLICY: &str = r#"
actor user;
resource team {
  role member;
}
resource folder {
  relation parent: folder;
  relation teams: [team];
  attribute notes?: string;
  permissions view, edit;
  role viewer { grants view; from viewer on parent; from member on teams; }
  role editor { includes viewer; grants edit; }
  forbid edit when resource has notes && resource.notes == "frozen";
}
"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A scratch folder of this test's own (the integration tests run in parallel).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs polc with `args`, output to files (no pipe can fill up), killed past [`TIME_BOUND`].
fn polc(dir: &Path, args: &[&str]) -> Run {
    let out = dir.join("stdout.txt");
    let err = dir.join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`polc {}` ran past {TIME_BOUND:?}", show(args));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let code = status
        .code()
        .unwrap_or_else(|| panic!("`polc {}` ended by a signal: {status:?}", show(args)));
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    let run = Run {
        code,
        stdout: read(&out),
        stderr: read(&err),
    };
    assert!(
        matches!(code, 0..=2),
        "`polc {}` exited with {code}\n{}",
        show(args),
        run.stderr
    );
    run
}

fn show(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.len() > 80 {
                format!("{}...", &a[..a.floor_char_boundary(80)])
            } else {
                a.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every subcommand that reads a policy, on `policy`.
fn every_subcommand(dir: &Path, policy: &Path) -> Vec<(String, Run)> {
    let p = policy.to_str().unwrap();
    let artifact = dir.join("out.json");
    let a = artifact.to_str().unwrap();
    let request = r#"{"principal": "user:alice", "action": "view", "resource": "folder:f0"}"#;
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", p],
        vec!["check", "--format", "json", p],
        vec!["test", p],
        vec!["eval", p, "--request", request],
        vec!["query", p, "can user:alice view folder:f0"],
        vec!["compile", p, "-o", a],
        vec!["debug", "tokens", p],
        vec!["debug", "ast", p],
        vec!["debug", "graph", p],
    ];
    runs.into_iter()
        .map(|args| (args.join(" "), polc(dir, &args)))
        .collect()
}

/// Every subcommand that reads data, on the good policy and `data`.
fn every_data_subcommand(dir: &Path, data: &Path) -> Vec<(String, Run)> {
    let policy = write(dir, "policy.pol", POLICY);
    let p = policy.to_str().unwrap();
    let d = data.to_str().unwrap();
    let request = r#"{"principal": "user:alice", "action": "view", "resource": "folder:f0"}"#;
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", p, "--data", d],
        vec!["eval", p, "--data", d, "--request", request],
        vec!["query", p, "--data", d, "can user:alice view folder:f0"],
        vec!["query", p, "--data", d, "who can view folder:f0"],
    ];
    runs.into_iter()
        .map(|args| (args.join(" "), polc(dir, &args)))
        .collect()
}

/// Deep nesting and long operator chains are fine for the tokenizer: `debug tokens` prints
/// them. The other runs are left.
fn tokens_print(runs: Vec<(String, Run)>) -> Vec<(String, Run)> {
    runs.into_iter()
        .filter(|(cmd, r)| {
            if cmd.starts_with("debug tokens") {
                assert_eq!(r.code, 0, "`polc {cmd}`: {}", r.stderr);
                false
            } else {
                true
            }
        })
        .collect()
}

/// The input is bad: every run fails (exit 1 or 2) with a diagnostic that mentions `needle`.
fn all_rejected(runs: &[(String, Run)], needle: &str) {
    for (cmd, r) in runs {
        assert!(
            r.code == 1 || r.code == 2,
            "`polc {cmd}` accepted bad input (exit {})\n{}",
            r.code,
            r.stderr
        );
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(
            all.contains(needle),
            "`polc {cmd}` does not say `{needle}`:\n{}",
            &all[..all.floor_char_boundary(2000)]
        );
    }
}

#[test]
fn ten_thousand_parentheses_hit_the_nesting_limit() {
    let dir = scratch("parens");
    let deep = format!(
        "{POLICY}extend resource folder {{ permit view when {}true{}; }}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let p = write(&dir, "deep.pol", deep);
    all_rejected(
        &tokens_print(every_subcommand(&dir, &p)),
        "nested deeper than 64",
    );
    // Unclosed, in a query and in a request's context.
    let q = format!("can user:alice view folder:f0 {}", "(".repeat(10_000));
    let policy = write(&dir, "policy.pol", POLICY);
    let r = polc(&dir, &["query", policy.to_str().unwrap(), &q]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("nested deeper than 64"), "{}", r.stderr);
}

#[test]
fn a_long_chain_of_operators_hits_the_expression_limit() {
    let dir = scratch("operators");
    let cond = vec!["!true"; 5_000].join(" && ");
    let p = write(
        &dir,
        "long.pol",
        format!("{POLICY}extend resource folder {{ permit view when {cond}; }}\n"),
    );
    all_rejected(
        &tokens_print(every_subcommand(&dir, &p)),
        "expression is nested deeper than",
    );
    let nots = format!(
        "{POLICY}extend resource folder {{ permit view when {}true; }}\n",
        "!".repeat(100_000)
    );
    let p = write(&dir, "nots.pol", nots);
    let r = polc(&dir, &["check", p.to_str().unwrap()]);
    all_rejected(&[("check".into(), r)], "deeper than");
}

#[test]
fn a_hundred_thousand_brackets_in_json_are_a_diagnostic() {
    let dir = scratch("brackets");
    let deep = format!(
        "{{\"assignments\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let d = write(&dir, "data.json", &deep);
    all_rejected(&every_data_subcommand(&dir, &d), "malformed");
    let attrs = format!(
        "{{\"attributes\": {{\"folder:f0\": {{\"notes\": {}{}}}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let d = write(&dir, "attrs.json", &attrs);
    all_rejected(&every_data_subcommand(&dir, &d), "polc::E0401");
    // A request line and a policy artifact nested as deeply.
    let policy = write(&dir, "policy.pol", POLICY);
    let reqs = write(
        &dir,
        "requests.jsonl",
        format!(
            "{{\"principal\": {}{}, \"action\": \"view\", \"resource\": \"folder:f\"}}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    let r = polc(
        &dir,
        &[
            "eval",
            policy.to_str().unwrap(),
            "--requests",
            reqs.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let art = write(&dir, "artifact.json", &deep);
    let r = polc(&dir, &["debug", "graph", art.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("not a usable compiled policy"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_one_megabyte_identifier_is_handled() {
    let dir = scratch("ident");
    let name = "a".repeat(1 << 20);
    // As a type name nothing else knows: an error naming it, but not printing a megabyte twice.
    let p = write(
        &dir,
        "ident.pol",
        format!("{POLICY}extend resource folder {{ role r {{ includes {name}; }} }}\n"),
    );
    let runs = every_subcommand(&dir, &p);
    for (cmd, r) in &runs {
        if cmd.starts_with("debug tokens") || cmd.starts_with("debug ast") {
            assert_eq!(r.code, 0, "`polc {cmd}`: {}", r.stderr);
        } else {
            assert_eq!(r.code, 1, "`polc {cmd}`: {}", r.stderr);
        }
    }
    // As a valid name: the policy compiles and answers.
    let p = write(
        &dir,
        "valid.pol",
        format!("{POLICY}resource {name} {{ permissions view; role viewer {{ grants view; }} }}\n"),
    );
    let r = polc(&dir, &["check", p.to_str().unwrap()]);
    assert!(r.code <= 1, "{}", r.stderr);
    let data = write(
        &dir,
        "data.pol",
        format!("user:{name} is viewer on folder:{name};\n"),
    );
    let q = format!("can user:{} view folder:{}", &name[..10], &name[..10]);
    let r = polc(
        &dir,
        &[
            "query",
            write(&dir, "policy.pol", POLICY).to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            &q,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn fifteen_megabytes_of_facts_load_and_seventeen_are_refused() {
    let dir = scratch("huge");
    // Valid facts just under the 16 MiB limit: assignments, then one long attribute value.
    let mut json = String::from("{\"assignments\": [");
    for i in 0..20_000 {
        if i > 0 {
            json.push(',');
        }
        write!(
            json,
            "{{\"actor\": \"user:u{i}\", \"role\": \"viewer\", \"on\": \"folder:f{}\"}}",
            i % 100
        )
        .unwrap();
    }
    json.push_str("], \"attributes\": {\"folder:f0\": {\"notes\": \"");
    json.push_str(&"x".repeat(15 * 1024 * 1024 - json.len()));
    json.push_str("\"}}}");
    assert!(json.len() > 15 * 1024 * 1024 && (json.len() as u64) < 16 * 1024 * 1024);
    let d = write(&dir, "data.json", &json);
    for (cmd, r) in every_data_subcommand(&dir, &d) {
        assert_eq!(r.code, 0, "`polc {cmd}`: {}", r.stderr);
    }
    // Over the limit: as data, and as a policy through every subcommand.
    let mut big = json.into_bytes();
    big.resize(17 * 1024 * 1024, b' ');
    let d = write(&dir, "big.json", &big);
    all_rejected(&every_data_subcommand(&dir, &d), "more than the limit");
    let p = write(&dir, "big.pol", &big);
    all_rejected(&every_subcommand(&dir, &p), "more than the limit");
    let policy = write(&dir, "policy.pol", POLICY);
    let r = polc(
        &dir,
        &[
            "eval",
            policy.to_str().unwrap(),
            "--requests",
            p.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("more than the limit"), "{}", r.stderr);
}

#[test]
fn nul_bytes_invalid_utf8_and_empty_files() {
    let dir = scratch("bytes");
    let nul = write(&dir, "nul.pol", vec![0u8; 4096]);
    let runs = every_subcommand(&dir, &nul);
    for (cmd, r) in &runs {
        if !cmd.starts_with("debug tokens") {
            assert!(r.code == 1, "`polc {cmd}`: exit {}", r.code);
            assert!(!r.stderr.is_empty() || !r.stdout.is_empty(), "`polc {cmd}`");
        }
    }
    let mut bad = b"actor user;\nresource r { permissions p; }\n// ".to_vec();
    bad.extend([0xff, 0xfe, 0xc3, 0x28]);
    let p = write(&dir, "bad.pol", &bad);
    all_rejected(&every_subcommand(&dir, &p), "not valid UTF-8");
    let d = write(&dir, "bad.json", &bad);
    all_rejected(&every_data_subcommand(&dir, &d), "not valid UTF-8");
    let policy = write(&dir, "policy.pol", POLICY);
    let reqs = write(&dir, "requests.jsonl", &bad);
    let r = polc(
        &dir,
        &[
            "eval",
            policy.to_str().unwrap(),
            "--requests",
            reqs.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not valid UTF-8"), "{}", r.stderr);
    let d = write(&dir, "nul.json", vec![0u8; 4096]);
    all_rejected(&every_data_subcommand(&dir, &d), "malformed");

    // An empty policy compiles to nothing; an empty data file is no facts.
    let empty = write(&dir, "empty.pol", "");
    for (cmd, r) in every_subcommand(&dir, &empty) {
        assert!(r.code <= 1, "`polc {cmd}`: exit {}", r.code);
    }
    let d = write(&dir, "empty.pol.data", "");
    for (cmd, r) in every_data_subcommand(&dir, &d) {
        assert!(r.code <= 1, "`polc {cmd}`: exit {}\n{}", r.code, r.stderr);
    }
    let d = write(&dir, "empty.json", "");
    all_rejected(&every_data_subcommand(&dir, &d), "malformed");
}

#[test]
fn a_folder_cycle_of_ten_thousand_entities_is_an_error_not_a_hang() {
    let dir = scratch("cycle");
    let n = 10_000;
    let mut data = String::new();
    for i in 0..n {
        writeln!(data, "folder:f{i}.parent = folder:f{};", (i + 1) % n).unwrap();
    }
    let d = write(&dir, "data.pol", &data);
    for (cmd, r) in every_data_subcommand(&dir, &d) {
        assert_eq!(r.code, 0, "`polc {cmd}`: {}", r.stderr);
        if cmd.contains("can user:alice") {
            assert!(r.stdout.contains("deny"), "`polc {cmd}`: {}", r.stdout);
        }
    }
    // Reverse queries over all of it.
    let policy = write(&dir, "policy.pol", POLICY);
    let p = policy.to_str().unwrap();
    let d = d.to_str().unwrap();
    for q in [
        "which folder can user:alice view",
        "who is viewer on folder:f9",
    ] {
        let r = polc(&dir, &["query", p, "--data", d, q]);
        assert_eq!(r.code, 0, "`{q}`: {}", r.stderr);
    }
}

#[test]
fn a_userset_cycle_denies_with_an_error() {
    let dir = scratch("userset");
    let data = "team:a#member is member on team:b;\n\
                team:b#member is member on team:a;\n\
                team:a#member is viewer on folder:f0;\n\
                folder:f0.teams = [team:a, team:b];\n";
    let d = write(&dir, "data.pol", data);
    for (cmd, r) in every_data_subcommand(&dir, &d) {
        assert_eq!(r.code, 0, "`polc {cmd}`: {}", r.stderr);
    }
    let policy = write(&dir, "policy.pol", POLICY);
    let r = polc(
        &dir,
        &[
            "query",
            policy.to_str().unwrap(),
            "--data",
            d.to_str().unwrap(),
            "who is member on team:a",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn five_thousand_roles_in_one_include_chain() {
    let dir = scratch("roles");
    let n = 5_000;
    let mut policy = String::from("actor user;\nresource r {\n  permissions p;\n");
    for i in 0..n - 1 {
        writeln!(policy, "  role r{i} {{ includes r{}; }}", i + 1).unwrap();
    }
    writeln!(policy, "  role r{} {{ grants p; }}\n}}", n - 1).unwrap();
    // Compiling closes the graph: quadratic in the roles of one type (about 4 s of CPU for
    // 5,000 in a debug build), so this runs the subcommands that compile, not every one.
    let p = write(&dir, "chain.pol", &policy);
    let p = p.to_str().unwrap();
    let out = dir.join("out.json");
    for args in [
        vec!["check", p],
        vec!["compile", p, "-o", out.to_str().unwrap()],
        vec!["query", p, "can user:alice p r:x"],
    ] {
        let r = polc(&dir, &args);
        assert_eq!(r.code, 0, "`polc {}`: {}", args.join(" "), r.stderr);
    }
    let r = polc(&dir, &["debug", "graph", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // An include cycle through all of them is one error.
    let cyclic = policy.replace(
        &format!("role r{} {{ grants p; }}", n - 1),
        &format!("role r{} {{ grants p; includes r0; }}", n - 1),
    );
    let p = write(&dir, "cycle.pol", &cyclic);
    let r = polc(&dir, &["check", p.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = Run {
        stderr: format!("{}{}", r.stdout, r.stderr),
        ..r
    };
    assert!(
        r.stderr.contains("cycle"),
        "{}",
        &r.stderr[..r.stderr.floor_char_boundary(2000)]
    );
}

#[test]
fn twenty_thousand_types_chained_by_from_edges() {
    // Plans chain through every type: compiling them (and flattening them for decisions) must
    // neither recurse once per type nor pass over them once per type.
    let dir = scratch("type_chain");
    let n = 20_000;
    let mut policy = String::from("actor user;\n");
    for i in 0..n {
        let parent = if i == 0 { 0 } else { i - 1 };
        let from = if i == 0 { "" } else { " from r on parent;" };
        writeln!(
            policy,
            "resource t{i} {{ relation parent: t{parent}; permissions p; role r {{ grants p;{from} }} }}"
        )
        .unwrap();
    }
    let p = write(&dir, "chain.pol", &policy);
    let p = p.to_str().unwrap();
    // A chain of data 300 deep: past the walk's depth limit, so the decision denies and says
    // why (the path without reasons gives up to the walk long before).
    let mut data = String::from("user:alice is r on t0:x0;\n");
    for i in 1..300 {
        writeln!(data, "t{i}:x{i}.parent = t{}:x{};", i - 1, i - 1).unwrap();
    }
    let d = write(&dir, "data.pol", &data);
    let r = polc(&dir, &["check", p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reqs = write(
        &dir,
        "requests.jsonl",
        concat!(
            r#"{"principal": "user:alice", "action": "p", "resource": "t299:x299"}"#,
            "\n",
            r#"{"principal": "user:alice", "action": "p", "resource": "t200:x200"}"#,
            "\n"
        ),
    );
    let r = polc(
        &dir,
        &[
            "eval",
            p,
            "--data",
            d.to_str().unwrap(),
            "--requests",
            reqs.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].contains(r#""decision":"deny""#), "{}", lines[0]);
    assert!(lines[0].contains("chain of 256"), "{}", lines[0]);
    assert!(lines[1].contains(r#""decision":"allow""#), "{}", lines[1]);
}
