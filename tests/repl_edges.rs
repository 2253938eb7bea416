//! REPL edges: a failed `:assume` opens no what-if; `:q` says what an uncommitted what-if loses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::diag::render::HumanStyle;
use polc::repl::Session;
use std::path::PathBuf;

fn session() -> Session {
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ok/language_complete_example.pol");
    let mut s = Session::start(&[policy], None, HumanStyle::plain()).unwrap();
    s.run(":use acme");
    s
}

#[test]
fn a_failed_assume_opens_no_what_if() {
    let mut s = session();
    let out = s
        .run(":assume user:bob is nosuchrole on workspace:ml;")
        .text;
    assert!(out.contains("E0202"), "{out}");
    assert!(!out.contains("what-if started"), "{out}");
    assert_eq!(s.prompt(), "polc> ");
    // A good one does.
    let out = s.run(":assume user:bob is operator on workspace:ml;").text;
    assert!(out.contains("what-if started"), "{out}");
    assert_eq!(s.prompt(), "polc (what-if)> ");
}

#[test]
fn quitting_says_what_an_uncommitted_what_if_drops() {
    let mut s = session();
    let quiet = s.run(":q");
    assert!(quiet.quit);
    assert_eq!(quiet.text, "");
    let mut s = session();
    s.run(":assume user:bob is operator on workspace:ml;");
    let reply = s.run(":q");
    assert!(reply.quit);
    assert_eq!(reply.text, "dropped the what-if (1 change not committed)\n");
}

#[test]
fn save_writes_the_facts_that_load_back() {
    let mut s = session();
    s.run("user:zed is operator on workspace:ml;");
    let dir = std::env::temp_dir().join(format!("polc-repl-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("saved.pol");
    let out = s.run(&format!(":save {}", file.display())).text;
    assert!(out.starts_with("saved "), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("user:zed is operator on workspace:ml;"),
        "{text}"
    );
    // The saved facts are a data file of their own: a new session starts from them.
    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ok/language_complete_example.pol");
    let mut t = Session::start(&[policy], Some(&file), HumanStyle::plain()).unwrap();
    assert_eq!(t.run(":facts").text, s.run(":facts").text);
    let out = s.run(":save").text;
    assert!(out.starts_with("error: `:save` needs a file name"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_question_like_fact_says_it_was_added() {
    let mut s = session();
    let out = s.run("user:zed is operator on workspace:ml").text;
    assert!(out.starts_with("added 1 fact\n"), "{out}");
    assert!(
        out.contains("to ask instead, type `is user:zed operator on workspace:ml`"),
        "{out}"
    );
    let asked = s.run("is user:zed operator on workspace:ml").text;
    assert!(asked.starts_with("yes"), "{asked}");
    // With its `;` it is plainly a fact: no note.
    let out = s.run("user:amy is operator on workspace:ml;").text;
    assert_eq!(out, "added 1 fact\n");
}
