//! `polc check --watch` and `polc test --watch` (issue 13.9): a run at start, another after a
//! file the command reads changes, none for files it does not read; Ctrl-C (SIGINT) ends it.
//! Every wait is bounded and the child is always killed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const GOOD: &str =
    "actor user;\n\nresource doc {\n  permissions view;\n  role viewer { grants view; }\n}\n";
const BAD: &str =
    "actor user;\n\nresource doc {\n  permissions view;\n  role viewer { grants edit; }\n}\n";
const TESTED: &str = "actor user;\n\nresource doc {\n  permissions view;\n  role viewer { grants view; }\n}\n\ntest \"viewer views\" {\n  user:a is viewer on doc:d;\n  assert can user:a view doc:d;\n}\n";

/// How long any one expected line may take (a loaded machine, a debug build).
const PATIENCE: Duration = Duration::from_secs(60);

fn temp(name: &str, policy: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("polc_watch_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("p.pol"), policy).unwrap();
    d
}

/// The child, killed when dropped (a failed assertion too).
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    /// Where the lines of the current step start (standard output and error interleave in
    /// any order, so a step's lines are looked for from here on).
    mark: usize,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watcher {
    fn start(args: &[&str], cwd: &Path) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(args)
            .current_dir(cwd)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(l);
            }
        });
        Watcher {
            child,
            lines,
            seen: Vec::new(),
            mark: 0,
        }
    }

    /// Starts a step: later waits look at the lines from here on.
    fn step(&mut self) {
        self.mark = self.seen.len();
    }

    /// Waits (bounded) for a line of this step containing `text`; every line is kept in `seen`.
    fn wait_for(&mut self, text: &str) {
        if self.seen[self.mark..].iter().any(|l| l.contains(text)) {
            return;
        }
        let end = Instant::now() + PATIENCE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let found = l.contains(text);
                    self.seen.push(l);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!(
                    "no line with `{text}` within {PATIENCE:?}; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every line that arrives within `d`.
    fn drain(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while let Ok(l) = self
            .lines
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            self.seen.push(l);
        }
    }

    fn count(&self, text: &str) -> usize {
        self.seen.iter().filter(|l| l.contains(text)).count()
    }
}

#[test]
fn check_watch_runs_again_after_an_edit_and_not_for_files_it_does_not_read() {
    let dir = temp("check", GOOD);
    let mut w = Watcher::start(&["check", "--watch", "--color", "never", "."], &dir);
    w.wait_for("checked 1 file: 0 errors");
    w.wait_for("watching for changes");
    // Files the check does not read: no run.
    w.step();
    std::fs::write(dir.join("notes.md"), "notes").unwrap();
    std::fs::create_dir_all(dir.join(".hidden")).unwrap();
    std::fs::write(dir.join(".hidden").join("x.pol"), BAD).unwrap();
    w.drain(Duration::from_millis(1500));
    assert_eq!(
        w.count("change detected"),
        0,
        "a file the check does not read started a run:\n{}",
        w.seen.join("\n")
    );
    // The policy: a second run, with the new diagnostic.
    w.step();
    std::fs::write(dir.join("p.pol"), BAD).unwrap();
    w.wait_for("change detected");
    w.wait_for("checked 1 file: 1 error");
    assert!(
        w.seen[w.mark..].iter().any(|l| l.contains("E0")),
        "{}",
        w.seen.join("\n")
    );
    // A new `.pol` file the walk finds: a third run that counts it.
    w.step();
    std::fs::write(dir.join("q.pol"), "").unwrap();
    w.wait_for("checked 2 files");
    drop(w);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_watch_runs_the_tests_again_and_ctrl_c_ends_it() {
    let dir = temp("test", TESTED);
    let mut w = Watcher::start(&["test", "--watch", "--color", "never", "."], &dir);
    w.wait_for("1 passed, 0 failed");
    w.wait_for("watching for changes");
    w.step();
    std::fs::write(
        dir.join("p.pol"),
        TESTED.replace("assert can", "assert cannot"),
    )
    .unwrap();
    w.wait_for("0 passed, 1 failed");
    // SIGINT, as Ctrl-C sends it: the process ends promptly.
    let pid = w.child.id().to_string();
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    let end = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = w.child.try_wait().unwrap() {
            assert!(!status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < end, "still running after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(w);
    let _ = std::fs::remove_dir_all(&dir);
}
