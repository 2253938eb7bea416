//! Reading policy files from disk into a [`SourceMap`].
//!
//! Folders are walked with the `ignore` crate: symbolic links are followed but a link that
//! leads back into a folder being walked is skipped (no loop), `.gitignore` / `.ignore` files
//! are respected, hidden entries (`.git/`) and `node_modules/` are skipped, and every file is
//! read once however many links lead to it (files are compared by their canonical path).
//! Every read is bounded by [`MAX_FILE_BYTES`], counted as the bytes arrive, and only regular
//! files and the pipes of process substitution (`/dev/fd/N`) are read.

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, SourceMap};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest source file polc reads (a documented limit, `docs/security.md`).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Folder names never walked into, besides hidden ones and those `.gitignore` lists.
pub const SKIPPED_FOLDERS: &[&str] = &["node_modules"];

/// What a file is read as; it picks the advice of a too large file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `.pol` policy source.
    Policy,
    /// A `--data` file (JSON or Pol facts).
    Data,
    /// A compiled artifact (`polc compile`).
    Artifact,
}

/// Every `.pol` file named or found (recursively, sorted) below the given paths.
pub fn pol_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    pol_files_excluding(paths, &[])
}

/// Like [`pol_files`], leaving out what matches one of the `exclude` globs (gitignore-style:
/// `legacy/`, `*_old.pol`, `policies/draft/**`), matched against every path below a walked
/// folder. A file named in `paths` is always read.
pub fn pol_files_excluding(
    paths: &[PathBuf],
    exclude: &[String],
) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        if p.is_dir() {
            walk(p, exclude, &mut seen, &mut out)?;
        } else if p.exists() {
            if p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                return Err(Diagnostic::new(
                    Code::E0001,
                    format!(
                        "`{}` is a compiled artifact, not a `.pol` source",
                        p.display()
                    ),
                )
                .help(
                    "pass an artifact alone (`polc eval policy.json`), or pass the `.pol` sources",
                ));
            }
            if seen.insert(canonical(p)) {
                out.push(p.clone());
            }
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
        .help("policy files end in `.pol`; hidden, ignored and excluded files are skipped"));
    }
    Ok(out)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn exclude_set(exclude: &[String]) -> Result<ignore::gitignore::Gitignore, Diagnostic> {
    let mut b = ignore::gitignore::GitignoreBuilder::new("");
    for glob in exclude {
        b.add_line(None, glob).map_err(|e| {
            Diagnostic::new(
                Code::E0001,
                format!("`--exclude {glob}` is not a glob: {e}"),
            )
            .help("write a gitignore-style glob such as `legacy/` or `*_old.pol`")
        })?;
    }
    b.build()
        .map_err(|e| Diagnostic::new(Code::E0001, format!("the exclude globs are invalid: {e}")))
}

fn walk(
    dir: &Path,
    exclude: &[String],
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<(), Diagnostic> {
    let excluded = exclude_set(exclude)?;
    let root = dir.to_path_buf();
    let walker = ignore::WalkBuilder::new(dir)
        .follow_links(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if e.depth() > 0
                && is_dir
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_FOLDERS.contains(&n))
            {
                return false;
            }
            let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
            rel.as_os_str().is_empty()
                || !excluded
                    .matched_path_or_any_parents(rel, is_dir)
                    .is_ignore()
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            // A link back into a folder being walked: everything below it is walked already.
            Err(e) if is_loop(&e) => continue,
            Err(e) => {
                return Err(Diagnostic::new(
                    Code::E0001,
                    format!("cannot read folder `{}`: {e}", dir.display()),
                ));
            }
        };
        let p = entry.path();
        if entry.file_type().is_some_and(|t| t.is_file())
            && p.extension().is_some_and(|e| e == "pol")
            && seen.insert(canonical(p))
        {
            out.push(p.to_path_buf());
        }
    }
    Ok(())
}

fn is_loop(e: &ignore::Error) -> bool {
    match e {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        ignore::Error::Partial(errs) => errs.iter().all(is_loop),
        _ => false,
    }
}

/// Reads one policy file into the map. Non-UTF-8 text and files over [`MAX_FILE_BYTES`] are
/// diagnostics, not panics.
pub fn read_file(sources: &mut SourceMap, path: &Path) -> Result<FileId, Diagnostic> {
    read_file_as(sources, path, Kind::Policy)
}

/// Reads one file into the map. Only regular files and the pipes of process substitution
/// (`/dev/fd/N`, `/proc/self/fd/N`) are read: a device (`/dev/zero`), a socket or a named pipe
/// (which would block until some writer opens it) is refused with E0001. The bytes are
/// counted as they arrive: more than [`MAX_FILE_BYTES`] is E0003, whatever the file claims.
pub fn read_file_as(
    sources: &mut SourceMap,
    path: &Path,
    kind: Kind,
) -> Result<FileId, Diagnostic> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| Diagnostic::new(Code::E0001, format!("cannot read `{name}`: {e}")))?;
    if let Some(what) = refused_kind(path, &meta) {
        return Err(Diagnostic::new(
            Code::E0001,
            format!("cannot read `{name}`: it is {what}, not a regular file"),
        )
        .help("pass a regular file, a pipe from process substitution `<(...)`, or standard input where the command takes `-`"));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Diagnostic::new(Code::E0001, format!("cannot read `{name}`: {e}")))?;
    let bytes = read_bounded(file, &name, kind)?;
    add_bytes(sources, name, bytes)
}

/// Reads at most [`MAX_FILE_BYTES`] from `reader`; one byte more is E0003.
pub fn read_bounded(reader: impl Read, name: &str, kind: Kind) -> Result<Vec<u8>, Diagnostic> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::new(Code::E0001, format!("cannot read `{name}`: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let help = match kind {
            Kind::Policy => "split the policy into several `.pol` files (the limit is per file)",
            Kind::Data => {
                "`--data` takes one file: trim the data, or move part of it into `facts` blocks of the policy's `.pol` files"
            }
            Kind::Artifact => {
                "an artifact this large comes from a policy near the limits; compile it again, or pass the `.pol` sources"
            }
        };
        return Err(Diagnostic::new(
            Code::E0003,
            format!("`{name}` is more than the limit of {MAX_FILE_BYTES} bytes"),
        )
        .help(help));
    }
    Ok(bytes)
}

/// What `meta` is when polc refuses to read it, `None` for a regular file or an accepted pipe.
fn refused_kind(path: &Path, meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            let substitution = path.starts_with("/dev/fd")
                || path.starts_with("/proc/self/fd")
                || path == Path::new("/dev/stdin");
            return if substitution {
                None
            } else {
                Some("a named pipe")
            };
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Some("not a regular file")
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

/// The subfolders of a folder of policies, or `None` when `dir` is one policy. A folder is a
/// folder of policies when it holds no `.pol` file of its own and two or more of its subfolders
/// hold `.pol` files (at any depth): each such subfolder is then one policy. The files are the
/// ones the walk reads ([`pol_files_excluding`]: `.gitignore`, hidden folders, `node_modules/`,
/// `exclude`), so a folder left out of the walk is no policy.
pub fn policy_folders(dir: &Path, exclude: &[String]) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() {
        return None;
    }
    let files = pol_files_excluding(&[dir.to_path_buf()], exclude).ok()?;
    let mut subs: Vec<PathBuf> = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(dir).ok()?;
        let mut parts = rel.components();
        let first = parts.next()?;
        // A `.pol` file of the folder's own: the folder is one policy.
        parts.next()?;
        let sub = dir.join(first);
        if !subs.contains(&sub) {
            subs.push(sub);
        }
    }
    subs.sort();
    (subs.len() >= 2).then_some(subs)
}

/// The policies `paths` stand for: each subfolder of a folder of policies ([`policy_folders`])
/// is one policy; every other path (files, and folders that are one policy) together form one
/// more. Each policy is listed as the paths that make it up.
pub fn policy_groups(paths: &[PathBuf], exclude: &[String]) -> Vec<Vec<PathBuf>> {
    let mut groups = Vec::new();
    let mut rest = Vec::new();
    for p in paths {
        match policy_folders(p, exclude) {
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
    load_paths_excluding(paths, &[])
}

/// Like [`load_paths`], leaving out what the `exclude` globs match (see
/// [`pol_files_excluding`]).
pub fn load_paths_excluding(
    paths: &[PathBuf],
    exclude: &[String],
) -> Result<SourceMap, Vec<Diagnostic>> {
    for p in paths {
        if let Some(subs) = policy_folders(p, exclude) {
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
    let files = pol_files_excluding(paths, exclude).map_err(|d| vec![d])?;
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
