//! The REPL's command core without a terminal: a `Session` takes what a person types and
//! returns what it prints.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::diag::render::HumanStyle;
use polc::repl::complete::{Completion, complete};
use polc::repl::{Session, highlight, needs_more};
use std::path::PathBuf;

const POLICY: &str = "tests/fixtures/ok/language_complete_example.pol";

fn path(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// A session on the complete example (`tests/fixtures/ok/language_complete_example.pol`) with its `acme` facts, at a fixed time.
fn session() -> Session {
    let mut s = Session::start(&[path(POLICY)], None, HumanStyle::plain()).unwrap();
    run(&mut s, ":use acme");
    run(&mut s, "context.now = \"2026-06-01T00:00:00Z\";");
    s
}

fn run(s: &mut Session, line: &str) -> String {
    let reply = s.run(line);
    assert!(!reply.quit, "{line} quit the session");
    reply.text
}

fn facts(s: &mut Session) -> String {
    run(s, ":facts")
}

#[test]
fn every_query_form_answers_with_its_reasons() {
    let mut s = session();
    let out = run(&mut s, "can user:alice delete workspace:ml");
    assert_eq!(
        out,
        "allow\n  because user:alice is admin on organization:acme -> owner on workspace:ml (from admin on organization) -> grants delete\n"
    );
    let out = run(&mut s, "is user:alice owner on workspace:ml");
    assert!(
        out.starts_with("yes\n  because user:alice is admin"),
        "{out}"
    );
    let out = run(&mut s, "who can manage_members workspace:ml");
    assert!(out.starts_with("user:alice\n  because "), "{out}");
    assert!(!out.contains("user:omar"), "{out}");
    let out = run(&mut s, "who is operator on workspace:ml");
    assert!(
        out.contains("user:omar\n  because user:omar is operator on workspace:ml"),
        "{out}"
    );
    let out = run(&mut s, "what can user:omar do on workspace:ml");
    assert!(out.contains("create_deployments\n  because"), "{out}");
    assert!(!out.contains("delete"), "{out}");
    let out = run(&mut s, "which workspace can user:alice delete;");
    assert!(out.starts_with("workspace:ml\n  because"), "{out}");
    let out = run(&mut s, "can user:omar delete workspace:ml");
    assert_eq!(
        out,
        "deny\n  because no role grants delete on workspace:ml\n"
    );
}

#[test]
fn a_bad_fact_is_a_diagnostic_against_the_line_typed_and_the_session_goes_on() {
    let mut s = session();
    let before = facts(&mut s);
    let out = run(&mut s, "user:bob is operatr on workspace:ml;");
    assert!(out.contains("polc::E0202"), "{out}");
    assert!(out.contains("`workspace` has no role `operatr`"), "{out}");
    assert!(out.contains("did you mean `operator`?"), "{out}");
    // The snippet is the line as typed, named after the input.
    assert!(out.contains("[<input "), "{out}");
    assert!(
        out.contains("1 | user:bob is operatr on workspace:ml;"),
        "{out}"
    );
    assert_eq!(facts(&mut s), before, "nothing is half-added");
    // Two facts, one bad: neither is added.
    let out = run(
        &mut s,
        "user:zoe is operator on workspace:ml; run:r1.aproved = true;",
    );
    assert!(out.contains("did you mean `approved`?"), "{out}");
    assert_eq!(facts(&mut s), before);
    // A syntax error too, and the session still answers.
    let out = run(&mut s, "user:bob is operator workspace:ml;");
    assert!(out.contains("polc::E0101"), "{out}");
    assert!(run(&mut s, "can user:alice delete workspace:ml").starts_with("allow"));
}

#[test]
fn facts_typed_at_the_prompt_are_added_and_listed() {
    let mut s = session();
    assert_eq!(
        run(&mut s, "user:bob is operator on workspace:ml;"),
        "added 1 fact\n"
    );
    assert_eq!(
        run(&mut s, "user:bob is operator on workspace:ml"),
        "added 0 facts (1 already in the facts)\n"
    );
    assert_eq!(
        run(&mut s, "run:r1.approved = true; context.mfa = true;"),
        "added 2 facts\n"
    );
    // Assignments as made, then relations, attributes and context, sorted.
    assert_eq!(
        run(&mut s, ":facts r1"),
        "user:bob is requester on run:r1 until \"2026-12-31T00:00:00Z\";\n\
         run:r1.workspace = workspace:ml;\n\
         run:r1.approved = true;\n\
         run:r1.impact = \"high\";\n\
         (4 of 11 containing `r1`)\n"
    );
    assert!(run(&mut s, "can user:omar execute run:r1").starts_with("allow"));
    assert_eq!(
        run(&mut s, ":context"),
        "context.now = \"2026-06-01T00:00:00Z\"\ncontext.mfa = true\n"
    );
    assert_eq!(run(&mut s, ":context mfa = false"), "added 1 fact\n");
    assert!(run(&mut s, "can user:omar execute run:r1").starts_with("deny"));
}

#[test]
fn assume_diff_rollback_restores_the_facts_exactly() {
    let mut s = session();
    let before = facts(&mut s);
    assert_eq!(s.prompt(), "polc> ");
    let out = run(
        &mut s,
        ":assume user:bob is approver on run:r1; user:zoe is operator on workspace:ml;",
    );
    assert!(out.starts_with("assumed 2 facts\nwhat-if started"), "{out}");
    assert_eq!(s.prompt(), "polc (what-if)> ");
    let out = run(&mut s, ":diff");
    assert!(
        out.starts_with(
            "+ user:zoe can create_deployments workspace:ml\n+ user:zoe can view workspace:ml\n"
        ),
        "{out}"
    );
    // bob may not approve what he requested: a forbid, so no permission for him.
    assert!(!out.contains("+ user:bob"), "{out}");
    // Separation of duties: bob requested r1.
    assert!(out.contains("1 new constraint violation:"), "{out}");
    assert!(out.contains("polc::W0203"), "{out}");
    assert!(
        out.contains("`user:bob` holds `requester` and `approver` on `run:r1`"),
        "{out}"
    );
    assert_eq!(
        run(&mut s, ":rollback"),
        "dropped 2 changes: the facts are as before :assume\n"
    );
    assert_eq!(facts(&mut s), before);
    assert_eq!(s.prompt(), "polc> ");
    assert!(run(&mut s, "can user:bob approve run:r1").starts_with("deny"));
    assert!(run(&mut s, ":diff").starts_with("nothing assumed"));
}

#[test]
fn a_what_if_includes_facts_typed_and_retracted_and_lists_losses() {
    let mut s = session();
    let before = facts(&mut s);
    run(&mut s, ":assume");
    assert_eq!(
        run(&mut s, ":retract user:alice is admin on organization:acme"),
        "retracted 1 assignment\n"
    );
    assert_eq!(
        run(&mut s, "user:gina is operator on workspace:ml;"),
        "assumed 1 fact\n"
    );
    let out = run(&mut s, ":diff");
    assert!(
        out.contains("- user:alice can delete workspace:ml\n"),
        "{out}"
    );
    assert!(
        out.contains("+ user:gina can create_deployments workspace:ml\n"),
        "{out}"
    );
    // Sorted by the permission, gains and losses together.
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with(['+', '-'])).collect();
    let mut sorted = lines.clone();
    sorted.sort_by_key(|l| &l[2..]);
    assert_eq!(lines, sorted);
    // `min 1` on organization admins.
    assert!(out.contains("polc::W0201"), "{out}");
    assert!(
        out.contains("`organization:acme` has 0 holders of `admin`"),
        "{out}"
    );
    // The elevated-without-until warning of alice's assignment is resolved.
    assert!(out.contains("resolved: polc::W0204"), "{out}");
    run(&mut s, ":rollback");
    assert_eq!(facts(&mut s), before);
    // Commit keeps.
    run(&mut s, ":assume user:gina is operator on workspace:ml");
    assert_eq!(run(&mut s, ":commit"), "kept 1 change\n");
    assert!(facts(&mut s).contains("user:gina is operator on workspace:ml;"));
    assert!(run(&mut s, ":rollback").starts_with("nothing assumed"));
}

#[test]
fn retract_only_removes_assignments_that_exist() {
    let mut s = session();
    let out = run(&mut s, ":retract user:nobody is operator on workspace:ml");
    assert_eq!(
        out,
        "error: no such assignment: `user:nobody is operator on workspace:ml`\n"
    );
    let out = run(&mut s, ":retract user:omar is opertor on workspace:ml");
    assert!(out.contains("did you mean `operator`?"), "{out}");
    let out = run(&mut s, ":retract run:r1.approved = true");
    assert!(
        out.starts_with("error: only role assignments can be retracted"),
        "{out}"
    );
    assert_eq!(
        run(&mut s, ":retract user:omar is operator on workspace:ml;"),
        "retracted 1 assignment\n"
    );
    assert!(!run(&mut s, "who is operator on workspace:ml").contains("user:omar"));
}

#[test]
fn why_shows_every_step_with_where_it_was_written() {
    let mut s = session();
    assert!(run(&mut s, ":why").starts_with("no answer yet"));
    run(&mut s, "can user:alice delete workspace:ml");
    let out = run(&mut s, ":why");
    let expected_start =
        "can user:alice delete workspace:ml\nallow\n  user:alice is admin on organization:acme   [";
    assert!(out.starts_with(expected_start), "{out}");
    assert!(
        out.contains("language_complete_example.pol:68:3]\n"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "  -> owner on workspace:ml (from admin on organization)\n  -> grants delete\n"
        ),
        "{out}"
    );
    // A forbid: the rule, its place and its text.
    run(&mut s, "can user:omar execute run:r1");
    let out = run(&mut s, ":why");
    assert!(
        out.contains("forbidden by \"High-impact runs cannot skip approval.\""),
        "{out}"
    );
    assert!(out.contains("forbid execute when"), "{out}");
    // Nothing grants: which roles would.
    run(&mut s, "can user:omar delete workspace:ml");
    let out = run(&mut s, ":why");
    assert!(
        out.contains("roles of `workspace` that grant delete: owner\n"),
        "{out}"
    );
    // Lists: each item with its derivation; a fact typed at the prompt points at its input.
    run(&mut s, "user:gina is operator on workspace:ml;");
    run(&mut s, "who can create_deployments workspace:ml");
    let out = run(&mut s, ":why");
    assert!(
        out.contains("user:gina\n  user:gina is operator on workspace:ml   [<input "),
        "{out}"
    );
}

#[test]
fn load_and_reload_keep_the_data_when_it_still_checks() {
    let dir = std::env::temp_dir().join(format!("polc-repl-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p.pol");
    let v1 = "actor user;\nresource doc {\n  permissions read, write;\n  role reader { grants read; }\n  role writer { grants write; }\n}\n";
    std::fs::write(&file, v1).unwrap();
    let mut s = Session::start(std::slice::from_ref(&file), None, HumanStyle::plain()).unwrap();
    run(&mut s, "user:ann is writer on doc:d1;");
    assert!(run(&mut s, "can user:ann write doc:d1").starts_with("allow"));
    // The writer also reads now: the data still checks and is kept.
    std::fs::write(
        &file,
        v1.replace("grants write;", "grants write; includes reader;"),
    )
    .unwrap();
    let out = run(&mut s, ":reload");
    assert_eq!(out, "loaded 1 file, 0 warnings; kept 1 fact\n");
    assert!(run(&mut s, "can user:ann read doc:d1").starts_with("allow"));
    // A broken policy: diagnostics, and the previous policy stays.
    std::fs::write(
        &file,
        "actor user;\nresource doc {\n  permissions read\n}\n",
    )
    .unwrap();
    let out = run(&mut s, ":reload");
    assert!(out.contains("polc::E0101"), "{out}");
    assert!(out.ends_with("the previous policy stays\n"), "{out}");
    assert!(run(&mut s, "can user:ann read doc:d1").starts_with("allow"));
    // A policy without `writer`: the data does not fit, and the session starts over.
    std::fs::write(
        &file,
        "actor user;\nresource doc {\n  permissions read;\n  role reader { grants read; }\n}\n",
    )
    .unwrap();
    let out = run(&mut s, &format!(":load {}", file.display()));
    assert!(out.contains("`doc` has no role `writer`"), "{out}");
    assert!(
        out.ends_with("the facts do not fit the new policy: starting with no facts\n"),
        "{out}"
    );
    assert_eq!(facts(&mut s), "(0 facts)\n");
    let out = run(&mut s, ":load /no/such/policy.pol");
    assert!(out.contains("polc::E0001"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_lists_every_command_and_unknown_commands_get_a_suggestion() {
    let mut s = session();
    let help = run(&mut s, ":help");
    for (_, name, _, _) in polc::repl::commands::COMMANDS {
        assert!(
            help.contains(&format!(":{name}")),
            "{name} missing from :help"
        );
    }
    assert_eq!(
        run(&mut s, ":asume user:bob is operator on workspace:ml"),
        "error: unknown command `:asume`\n  help: did you mean `:assume`?\n"
    );
    assert!(run(&mut s, ":diff now").starts_with("error: `:diff` takes no arguments"));
    assert!(run(&mut s, ":use acm").contains("did you mean `acme`?"));
    assert!(s.run(":quit").quit);
}

#[test]
fn bad_input_never_panics_and_never_ends_the_session() {
    let mut s = session();
    let deep = format!("can {}", "(".repeat(5000));
    let inputs = [
        "",
        "   ",
        ":",
        "::",
        "{",
        "}",
        ")",
        "can",
        "who",
        "user:",
        "user:bob",
        "\"open",
        "can user:alice",
        "is user:alice",
        "which",
        "which nothing can user:alice view",
        "can team:x view workspace:ml",
        "can workspace:ml view workspace:ml",
        ":retract",
        ":retract ;",
        ":assume ;;;",
        ":load",
        ":context =",
        ":context nope = 1",
        ":context mfa = \"yes\"",
        ":facts",
        ":use",
        ":why",
        "facts x {",
        "facts x { user:a is nope on x:y; }",
        "ü:ß is x on y:z;",
        "run:r1.impact = \"extreme\";",
        "user:a is admin on organization:acme until \"soon\";",
        "// only a comment",
        "/* open comment",
        "@#$%",
        deep.as_str(),
        "user:* is admin on organization:acme;",
        "team:a#member is admin on organization:acme;",
    ];
    for input in inputs {
        let reply = s.run(input);
        assert!(!reply.quit, "{input:?} ended the session");
    }
    assert!(run(&mut s, "can user:alice delete workspace:ml").starts_with("allow"));
}

fn words(line: &str) -> Vec<String> {
    let s = session();
    match complete(&s.vocabulary(), line, line.len()) {
        Completion::Words { words, .. } => words,
        Completion::Paths => vec!["<paths>".into()],
    }
}

#[test]
fn completion_follows_the_grammar() {
    assert_eq!(words(":as"), [":assume "]);
    assert_eq!(words(":lo"), [":load "]);
    assert_eq!(words(":load pol"), ["<paths>"]);
    assert_eq!(words(":use a"), ["acme"]);
    assert_eq!(words("can user:"), ["alice", "bob", "gina", "omar"]);
    assert_eq!(words("can user:o"), ["omar"]);
    let perms = words("can user:alice ");
    assert!(perms.contains(&"delete".to_string()) && perms.contains(&"approve".to_string()));
    assert_eq!(words("can user:alice del"), ["delete"]);
    assert_eq!(words("can user:alice approve "), ["run:"]);
    assert_eq!(
        words("which workspace can user:alice "),
        ["create_deployments", "delete", "manage_members", "view"]
    );
    assert!(words("who is ").contains(&"governance_manager".to_string()));
    assert_eq!(words("who "), ["can", "is"]);
    assert_eq!(words("user:bob is operator "), ["on"]);
    assert_eq!(words("user:bob is operator on "), ["workspace:"]);
    assert_eq!(words(":assume user:bob is operator on w"), ["workspace:"]);
    assert_eq!(words("workspace:ml."), ["organization"]);
    assert_eq!(words("run:r1.approved = "), ["false", "true"]);
    assert_eq!(words("context."), ["mfa", "now"]);
    assert_eq!(words(":context m"), ["mfa"]);
    assert_eq!(words("wh"), ["what", "which", "who"]);
    assert!(words("").contains(&"user:".to_string()));
    assert_eq!(words("what can user:alice "), ["do"]);
    // `can A assign R on E to B`
    assert!(words("can user:alice ").contains(&"assign".to_string()));
    assert!(words("can user:alice assign ").contains(&"operator".to_string()));
    assert_eq!(words("can user:alice assign operator "), ["on"]);
    assert_eq!(words("can user:alice assign operator on "), ["workspace:"]);
    assert_eq!(
        words("can user:alice assign operator on workspace:ml "),
        ["to"]
    );
    assert_eq!(
        words("can user:alice assign operator on workspace:ml to "),
        ["user:"]
    );
}

#[test]
fn highlighting_only_adds_colour() {
    let s = session();
    let v = s.vocabulary();
    for line in [
        "can user:alice delete workspace:ml",
        ":assume user:bob is operator on workspace:ml; // note",
        "run:r1.impact = \"high\" 90d @ \"open",
        "ü:ß",
    ] {
        let coloured = highlight::ansi(&v, line);
        assert_eq!(highlight::strip(&coloured), line);
    }
    let c = highlight::ansi(&v, "can user:alice delete workspace:ml");
    assert!(
        c.starts_with("\x1b[35mcan\x1b[0m \x1b[36muser\x1b[0m:\x1b[1malice\x1b[0m"),
        "{c:?}"
    );
    assert!(c.contains("\x1b[33mdelete\x1b[0m"), "{c:?}");
}

#[test]
fn an_open_bracket_continues_the_input() {
    assert!(needs_more("use_case:u.workspaces = [workspace:ml,"));
    assert!(needs_more("facts x {"));
    assert!(!needs_more(
        "facts x { user:a is admin on organization:acme; }"
    ));
    assert!(!needs_more("can user:alice view workspace:ml"));
    assert!(!needs_more("run:r1.impact = \"[\";"));
    let mut s = session();
    let out = run(
        &mut s,
        "facts more {\n  user:zed is operator on workspace:ml;\n}",
    );
    assert_eq!(out, "added 1 fact\n");
}
