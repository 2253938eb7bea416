//! `polc repl` as a person uses it: the real binary on a pseudo-terminal, keys in, screen out.
//! Every step waits for what the screen must show next (generous timeouts, no sleeps).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nix::pty::{OpenptyResult, Winsize, openpty};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
const POLICY: &str = "tests/fixtures/ok/language_complete_example.pol";

/// The screen output so far (escape sequences removed) and whether the terminal closed.
#[derive(Default)]
struct Screen {
    text: String,
    closed: bool,
}

struct Terminal {
    master: File,
    screen: Arc<(Mutex<Screen>, Condvar)>,
    /// How far `expect` has read.
    seen: usize,
    child: Child,
}

impl Terminal {
    fn start(history: &Path) -> Terminal {
        let size = Winsize {
            ws_row: 50,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let OpenptyResult { master, slave } = openpty(&size, None).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_polc"))
            .args(["repl", POLICY])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("TERM", "xterm")
            .env("POLC_HISTORY", history)
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        let master = File::from(master);
        let screen = Arc::new((Mutex::new(Screen::default()), Condvar::new()));
        let mut reader = master.try_clone().unwrap();
        let mut answer = master.try_clone().unwrap();
        let shared = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = reader.read(&mut buf).unwrap_or(0);
                let (lock, cvar) = &*shared;
                let mut s = lock.lock().unwrap();
                if n == 0 {
                    s.closed = true;
                    cvar.notify_all();
                    return;
                }
                let chunk = String::from_utf8_lossy(&buf[..n]);
                // The line editor asks where the cursor is; a terminal answers.
                if chunk.contains("\x1b[6n") {
                    let _ = answer.write_all(b"\x1b[1;1R");
                }
                s.text.push_str(&strip_escapes(&chunk));
                cvar.notify_all();
            }
        });
        Terminal {
            master,
            screen,
            seen: 0,
            child,
        }
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits until the screen shows `needle` after what was already read; returns the text up
    /// to and including it.
    fn expect(&mut self, needle: &str) -> String {
        let (lock, cvar) = &*self.screen;
        let deadline = Instant::now() + TIMEOUT;
        let mut s = lock.lock().unwrap();
        loop {
            if let Some(i) = s.text[self.seen..].find(needle) {
                let end = self.seen + i + needle.len();
                let out = s.text[self.seen..end].to_string();
                self.seen = end;
                return out;
            }
            let now = Instant::now();
            if s.closed || now >= deadline {
                panic!(
                    "the screen never showed {needle:?}; after the last match it shows:\n{}",
                    &s.text[self.seen..]
                );
            }
            s = cvar.wait_timeout(s, deadline - now).unwrap().0;
        }
    }

    /// Types a line at the prompt and returns what was printed up to the next prompt.
    ///
    /// The line editor redraws the prompt and the line as keys arrive: the reply starts after
    /// the line is shown whole and ended by a newline.
    fn line(&mut self, text: &str, prompt: &str) -> String {
        self.send(&format!("{text}\r"));
        self.expect(text);
        self.expect("\n");
        self.expect(prompt)
    }

    /// Ctrl-D at an empty prompt; the program ends by itself.
    fn quit(mut self) {
        self.send("\x04");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "polc repl exited with {status}");
                return;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("polc repl did not exit on Ctrl-D");
            }
            let (lock, cvar) = &*self.screen;
            let s = lock.lock().unwrap();
            let _ = cvar.wait_timeout(s, Duration::from_millis(50)).unwrap();
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Removes ANSI escape sequences (colours, cursor moves) and carriage returns.
fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    for d in chars.by_ref() {
                        if d == '\x07' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn history_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-repl-pty-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A folder that does not exist yet: the REPL makes it.
    dir.join("state").join("history")
}

const PROMPT: &str = "polc> ";
const WHAT_IF: &str = "polc (what-if)> ";

#[test]
fn a_what_if_session_at_the_terminal() {
    let history = history_file("whatif");
    let mut t = Terminal::start(&history);
    t.expect(":help lists the commands");
    t.expect(PROMPT);
    assert!(t.line(":use acme", PROMPT).contains("added 8 facts"));
    t.line("context.now = \"2026-06-01T00:00:00Z\";", PROMPT);

    // A typo in a fact: a diagnostic against the line typed, and the prompt comes back.
    let out = t.line("user:bob is operatr on workspace:ml;", PROMPT);
    assert!(out.contains("`workspace` has no role `operatr`"), "{out}");
    assert!(out.contains("did you mean `operator`?"), "{out}");
    assert!(
        out.contains("user:bob is operatr on workspace:ml;"),
        "{out}"
    );

    // Assume, diff, rollback.
    let out = t.line(":assume user:zoe is operator on workspace:ml;", WHAT_IF);
    assert!(out.contains("assumed 1 fact"), "{out}");
    let out = t.line(":diff", WHAT_IF);
    assert!(
        out.contains("+ user:zoe can create_deployments workspace:ml"),
        "{out}"
    );
    assert!(out.contains("+ user:zoe can view workspace:ml"), "{out}");
    let out = t.line(":assume user:bob is approver on run:r1", WHAT_IF);
    assert!(out.contains("assumed 1 fact"), "{out}");
    let out = t.line(":diff", WHAT_IF);
    assert!(out.contains("1 new constraint violation"), "{out}");
    assert!(out.contains("W0203"), "{out}");
    let out = t.line(":rollback", PROMPT);
    assert!(out.contains("dropped 2 changes"), "{out}");
    let out = t.line(":facts zoe", PROMPT);
    assert!(out.contains("(0 of 9 containing `zoe`)"), "{out}");

    // Ctrl-C cancels a half-typed line; the next line runs on its own.
    t.send("user:zed is operat");
    t.expect("operat");
    t.send("\x03");
    t.expect(PROMPT);
    let out = t.line(":facts zed", PROMPT);
    assert!(out.contains("(0 of 9 containing `zed`)"), "{out}");

    // An open brace continues on the next line.
    t.send("facts more {\r");
    t.send("  user:zed is operator on workspace:ml;\r");
    t.send("}\r");
    t.expect("added 1 fact");
    t.expect(PROMPT);

    // Tab completes a permission.
    t.send("who can manage_mem\t");
    t.expect("manage_members");
    let out = t.line(" workspace:ml", PROMPT);
    assert!(
        out.contains("user:alice\n  because user:alice is admin"),
        "{out}"
    );
    t.quit();

    // History is kept across sessions: the up arrow brings back the last line.
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(
        saved.contains(":assume user:zoe is operator on workspace:ml;"),
        "{saved}"
    );
    let mut t = Terminal::start(&history);
    t.expect(PROMPT);
    t.send("\x1b[A");
    t.expect("who can manage_members workspace:ml");
    let out = t.line("", PROMPT);
    assert!(out.contains("(none)"), "no facts in a new session: {out}");
    t.quit();
    let _ = std::fs::remove_dir_all(history.parent().unwrap().parent().unwrap());
}
