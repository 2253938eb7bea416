//! Reading policy files from disk into a [`SourceMap`].

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, SourceMap};
use std::path::{Path, PathBuf};

/// The largest source file polc reads (a documented limit, `docs/security.md`).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Every `.pol` file named or found (recursively, sorted) below the given paths.
pub fn pol_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            collect_dir(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(Diagnostic::new(
                Code::E0001,
                format!("cannot read `{}`: no such file or directory", p.display()),
            )
            .help("pass a `.pol` file or a folder that holds `.pol` files"));
        }
    }
    if out.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        return Err(Diagnostic::new(
            Code::E0001,
            format!("no `.pol` files in {}", names.join(", ")),
        )
        .help("policy files end in `.pol`"));
    }
    Ok(out)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    let read = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::new(
            Code::E0001,
            format!("cannot read folder `{}`: {e}", dir.display()),
        )
    })?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_dir(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "pol") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads one file into the map. Non-UTF-8 text and files over [`MAX_FILE_BYTES`] are
/// diagnostics, not panics.
pub fn read_file(sources: &mut SourceMap, path: &Path) -> Result<FileId, Diagnostic> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| Diagnostic::new(Code::E0001, format!("cannot read `{name}`: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(
            Code::E0003,
            format!(
                "`{name}` is {} bytes, more than the limit of {MAX_FILE_BYTES}",
                meta.len()
            ),
        )
        .help("split the policy into several files"));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::new(Code::E0001, format!("cannot read `{name}`: {e}")))?;
    add_bytes(sources, name, bytes)
}

/// Adds text that came as bytes (a file, standard input), checking it is UTF-8.
pub fn add_bytes(
    sources: &mut SourceMap,
    name: String,
    bytes: Vec<u8>,
) -> Result<FileId, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(Diagnostic::new(
                Code::E0002,
                format!("`{name}` is not valid UTF-8: invalid byte at line {line}, column {column} (offset {at})"),
            )
            .help("save the file as UTF-8"))
        }
    }
}

/// Whether a folder holds `.pol` files directly (not only in subfolders).
fn holds_pol_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|r| {
        r.filter_map(Result::ok)
            .any(|e| e.path().is_file() && e.path().extension().is_some_and(|x| x == "pol"))
    })
}

/// The subfolders of a folder of policies, or `None` when `dir` is one policy. A folder is a
/// folder of policies when it holds no `.pol` file of its own and two or more of its subfolders
/// hold `.pol` files (at any depth): each such subfolder is then one policy.
pub fn policy_folders(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() || holds_pol_files(dir) {
        return None;
    }
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter(|p| {
            let mut found = Vec::new();
            collect_dir(p, &mut found).is_ok() && !found.is_empty()
        })
        .collect();
    subs.sort();
    (subs.len() >= 2).then_some(subs)
}

/// The policies `paths` stand for: each subfolder of a folder of policies ([`policy_folders`])
/// is one policy; every other path (files, and folders that are one policy) together form one
/// more. Each policy is listed as the paths that make it up.
pub fn policy_groups(paths: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut groups = Vec::new();
    let mut rest = Vec::new();
    for p in paths {
        match policy_folders(p) {
            Some(subs) => groups.extend(subs.into_iter().map(|s| vec![s])),
            None => rest.push(p.clone()),
        }
    }
    if !rest.is_empty() || groups.is_empty() {
        groups.push(rest);
    }
    groups
}

/// Reads every `.pol` file below `paths`, as one policy. I/O problems are returned all
/// together; a folder of several policies ([`policy_folders`]) is an error: name one of them.
pub fn load_paths(paths: &[PathBuf]) -> Result<SourceMap, Vec<Diagnostic>> {
    for p in paths {
        if let Some(subs) = policy_folders(p) {
            let names: Vec<String> = subs.iter().map(|s| format!("`{}`", s.display())).collect();
            return Err(vec![
                Diagnostic::new(
                    Code::E0001,
                    format!(
                        "`{}` holds {} independent policies: {}",
                        p.display(),
                        subs.len(),
                        names.join(", ")
                    ),
                )
                .help("pass one of them; `polc check` and `polc test` take a folder of policies and check each alone"),
            ]);
        }
    }
    let files = pol_files(paths).map_err(|d| vec![d])?;
    let mut sources = SourceMap::new();
    let mut errors = Vec::new();
    for f in files {
        if let Err(d) = read_file(&mut sources, &f) {
            errors.push(d);
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}
