//! The folder walk and the bounded reads of `polc check` (issue 19.5, 19.6, 13.7): symbolic
//! link loops, files reached twice, ignored folders, `--exclude`, devices, pipes and FIFOs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const POLICY: &str =
    "actor user;\n\nresource doc {\n  permissions view;\n  role viewer { grants view; }\n}\n";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc_loader_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs polc with a deadline: a hang fails the test instead of blocking it.
fn polc(args: &[&str], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("polc {args:?} ran for more than 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn a_symlink_loop_is_walked_once_and_ends() {
    let d = temp("loop");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/a.pol"), POLICY).unwrap();
    symlink(".", d.join("self")).unwrap();
    symlink("..", d.join("sub/up")).unwrap();
    let o = polc(&["check", "--color", "never", "."], &d);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("checked 1 file: 0 errors"), "{out}");
}

#[test]
fn a_file_reached_by_several_links_is_read_once() {
    let d = temp("links");
    std::fs::write(d.join("a.pol"), POLICY).unwrap();
    std::fs::create_dir_all(d.join("more")).unwrap();
    symlink("../a.pol", d.join("more/b.pol")).unwrap();
    symlink("..", d.join("more/again")).unwrap();
    let o = polc(&["check", "--color", "never", ".", "a.pol"], &d);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("checked 1 file: 0 errors"), "{out}");
}

#[test]
fn git_node_modules_ignored_and_excluded_files_are_skipped() {
    let d = temp("skip");
    for dir in [".git", "node_modules/pkg", "build", "legacy", "live"] {
        std::fs::create_dir_all(d.join(dir)).unwrap();
    }
    // Each skipped file is broken: reading it would be an error.
    for f in [
        ".git/x.pol",
        "node_modules/pkg/x.pol",
        "build/x.pol",
        "legacy/x.pol",
        "live/y_old.pol",
    ] {
        std::fs::write(d.join(f), "this is not pol").unwrap();
    }
    std::fs::write(d.join("live/a.pol"), POLICY).unwrap();
    std::fs::write(d.join(".gitignore"), "build/\n").unwrap();
    let o = polc(
        &[
            "check",
            "--color",
            "never",
            "--exclude",
            "legacy/",
            "--exclude",
            "*_old.pol",
        ],
        &d,
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("checked 1 file: 0 errors"), "{out}");
    // Without the excludes, the broken files are read and reported.
    let o = polc(&["check", "--color", "never"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("checked 3 files"), "{}", text(&o));
    // A file named on the command line is read even when ignored.
    let o = polc(&["check", "--color", "never", "build/x.pol"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn a_named_json_file_is_checked_as_an_artifact() {
    let d = temp("artifact");
    std::fs::write(d.join("a.pol"), POLICY).unwrap();
    let o = polc(&["compile", "a.pol", "-o", "a.json"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = polc(&["check", "--color", "never", "a.json"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("checked 1 file: 0 errors"),
        "{}",
        text(&o)
    );
    std::fs::write(d.join("bad.json"), "{\"not\": \"an artifact\"}").unwrap();
    let o = polc(&["check", "--color", "never", "bad.json"], &d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("E0010"), "{}", text(&o));
}

#[test]
fn a_device_is_refused_at_once() {
    let d = temp("device");
    std::fs::write(d.join("a.pol"), POLICY).unwrap();
    for args in [
        vec!["check", "--color", "never", "a.pol", "--data", "/dev/zero"],
        vec!["check", "--color", "never", "/dev/zero"],
        vec![
            "query",
            "a.pol",
            "--data",
            "/dev/zero",
            "can user:a view doc:b",
        ],
    ] {
        let o = polc(&args, &d);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("E0001"), "{}", text(&o));
        assert!(
            text(&o).contains("a device, not a regular file"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn an_endless_pipe_stops_at_the_limit() {
    let d = temp("pipe");
    std::fs::write(d.join("a.pol"), POLICY).unwrap();
    let polc = env!("CARGO_BIN_EXE_polc");
    let start = Instant::now();
    let o = Command::new("timeout")
        .args(["60", "bash", "-c"])
        .arg(format!(
            "'{polc}' check --color never a.pol --data <(yes '{{')"
        ))
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(60));
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("E0003"), "{out}");
    assert!(
        out.contains("more than the limit of 16777216 bytes"),
        "{out}"
    );
    assert!(out.contains("`--data` takes one file"), "{out}");
    // A short pipe is read like a file.
    let o = Command::new("timeout")
        .args(["60", "bash", "-c"])
        .arg(format!(
            "'{polc}' check --color never a.pol --data <(echo '')"
        ))
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_named_fifo_is_refused_without_blocking() {
    let d = temp("fifo");
    std::fs::write(d.join("a.pol"), POLICY).unwrap();
    let made = Command::new("mkfifo")
        .arg(d.join("data.json"))
        .status()
        .unwrap();
    assert!(made.success());
    let o = polc(
        &["check", "--color", "never", "a.pol", "--data", "data.json"],
        &d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("a named pipe, not a regular file"),
        "{}",
        text(&o)
    );
}

#[test]
fn nesting_past_the_limit_exits_2_like_the_other_commands() {
    let d = temp("nesting");
    let deep = format!(
        "actor user;\nresource doc {{ permissions view; forbid view when {}true{}; }}\n",
        "(".repeat(100),
        ")".repeat(100)
    );
    std::fs::write(d.join("a.pol"), deep).unwrap();
    let o = polc(&["check", "--color", "never", "a.pol"], &d);
    assert!(text(&o).contains("E0003"), "{}", text(&o));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
