//! `--watch` for `polc check` and `polc test`: run once, then again after every change to a file
//! the run reads (the `notify` crate).
//!
//! - What counts: a change to one of the files the command reads (the `.pol` files its walk
//!   finds, so `.gitignore`, hidden folders and `--exclude` apply; a file named on the command
//!   line; `--data`), a new file the walk would find, and `polc.toml`. Builds writing into
//!   `target/` or `.git/` do not re-run anything.
//! - Debounced: the changes that arrive together (an editor's write, rename and touch) are one
//!   re-run, which starts once no change has arrived for [`QUIET`].
//! - Between runs a separator line, or with `--clear` a cleared terminal.
//! - Ctrl-C stops it: nothing is held that needs undoing (no terminal mode, no temporary file),
//!   so the default signal action ends the process at once, as for any other command.

use crate::output::{self, Status};
use notify::{RecursiveMode, Watcher};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// How long the watcher waits for more changes before it re-runs.
pub const QUIET: Duration = Duration::from_millis(200);

/// What a watched command reads.
pub struct Watched<'a> {
    /// The paths named (or configured): folders are watched recursively, files through their
    /// folder (an editor often replaces a file: a new one renamed over the old).
    pub paths: Vec<PathBuf>,
    /// The files one run reads, found again after every change (a new `.pol` file counts).
    pub inputs: Box<dyn Fn() -> Vec<PathBuf> + 'a>,
    /// Clear the terminal before each re-run (`--clear`).
    pub clear: bool,
}

/// Runs `run` once, then once per batch of relevant changes, until the process is stopped.
/// Returns only when the paths cannot be watched (status 2).
pub fn watch(w: &Watched<'_>, mut run: impl FnMut() -> Status) -> Status {
    let (tx, rx) = mpsc::channel::<PathBuf>();
    let mut watcher = match notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        if let Ok(e) = e
            && (e.kind.is_modify() || e.kind.is_create() || e.kind.is_remove())
        {
            for p in e.paths {
                let _ = tx.send(p);
            }
        }
    }) {
        Ok(w) => w,
        Err(e) => {
            output::eprint(&format!("error: cannot watch for changes: {e}\n"));
            return Status::Usage;
        }
    };
    for (p, mode) in targets(&w.paths) {
        if let Err(e) = watcher.watch(&p, mode) {
            output::eprint(&format!("error: cannot watch `{}`: {e}\n", p.display()));
            return Status::Usage;
        }
    }
    let mut inputs = keys(&(w.inputs)());
    run();
    output::eprint("watching for changes (Ctrl-C to stop)\n");
    loop {
        // Block until a relevant change, then wait for the burst to end.
        let Ok(first) = rx.recv() else {
            return Status::Usage;
        };
        let mut changed = vec![first];
        while let Ok(p) = rx.recv_timeout(QUIET) {
            changed.push(p);
        }
        let now = keys(&(w.inputs)());
        let relevant = changed.iter().any(|p| {
            is_config(p) || {
                let k = key(p);
                inputs.contains(&k) || now.contains(&k)
            }
        });
        inputs = now;
        if !relevant {
            continue;
        }
        separate(w.clear);
        run();
        output::eprint("watching for changes (Ctrl-C to stop)\n");
    }
}

/// What to watch: each folder recursively, each file's folder, and the current folder for
/// `polc.toml` unless a recursive watch already covers it.
fn targets(paths: &[PathBuf]) -> Vec<(PathBuf, RecursiveMode)> {
    let mut out: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        let (dir, mode) = if p.is_dir() {
            (p.clone(), RecursiveMode::Recursive)
        } else {
            (parent(p), RecursiveMode::NonRecursive)
        };
        let canon = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        if seen.insert((canon, mode == RecursiveMode::Recursive)) {
            out.push((dir, mode));
        }
    }
    let cwd = std::fs::canonicalize(".").unwrap_or_else(|_| PathBuf::from("."));
    let covered = seen.iter().any(|(d, recursive)| *d == cwd && *recursive)
        || seen.contains(&(cwd.clone(), false));
    if !covered {
        out.push((PathBuf::from("."), RecursiveMode::NonRecursive));
    }
    out
}

fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn is_config(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == crate::config::FILE_NAME)
}

/// A file's identity that survives its removal: the canonical folder and the file name (the
/// events of a removed file name a path that no longer canonicalizes).
fn key(p: &Path) -> PathBuf {
    let dir = std::fs::canonicalize(parent(p)).unwrap_or_else(|_| parent(p));
    match p.file_name() {
        Some(n) => dir.join(n),
        None => dir,
    }
}

fn keys(files: &[PathBuf]) -> HashSet<PathBuf> {
    files.iter().map(|p| key(p)).collect()
}

/// Marks a new run: the terminal cleared (ANSI: erase the screen, cursor home) with `--clear`
/// on a terminal, else a separator line.
fn separate(clear: bool) {
    if clear && std::io::stdout().is_terminal() {
        output::print("\x1b[2J\x1b[H");
    } else {
        output::print("\n--- change detected: running again ---\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::{is_config, key};
    use std::path::Path;

    #[test]
    fn only_the_configuration_file_counts_by_name() {
        assert!(is_config(Path::new("./polc.toml")));
        assert!(is_config(Path::new("/a/b/polc.toml")));
        assert!(!is_config(Path::new("other.toml")));
        assert!(!is_config(Path::new("polc.toml.swp")));
    }

    #[test]
    fn a_file_keeps_its_key_after_removal() {
        let dir = std::env::temp_dir().join(format!("polc-watch-key-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let f = dir.join("a.pol");
        let _ = std::fs::write(&f, "");
        let before = key(&f);
        let _ = std::fs::remove_file(&f);
        assert_eq!(key(&f), before);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
