#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The library's dependency arrows point down the pipeline. Every `crate::NAME` a file under
//! `src/` writes (in a `use`, a `use crate::{a, b}` group or a path in code; comments and string
//! literals do not count) is an arrow from the file's top-level module to `NAME`, and a module
//! may only use modules on a lower floor of [`FLOORS`]. A name after `crate::` that is not a
//! top-level module is an item of the crate root (`crate::compile_sources`): an arrow to `lib`.
//! `src/bin/` is the binary crate (its `crate::` is the binary) and is not checked.
//! ARCHITECTURE.md ("Layers") has the same table. `POLC_STRUCTURE_SRC=DIR` checks another
//! source tree (an older checkout, to see the test fail on the arrows it was written against).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, lowest first. A module may use any module on a lower floor, none on its own
/// floor or above.
const FLOORS: &[(&str, &[&str])] = &[
    (
        "base: spans, times, entity references, the shared vocabulary",
        &["source", "time", "stack", "lang", "entity"],
    ),
    ("diagnostics, durations", &["diag", "duration"]),
    ("reading files", &["loader"]),
    ("parse", &["syntax"]),
    ("the compiled policy", &["compiled"]),
    ("facts", &["facts"]),
    ("resolve and evaluate", &["resolve", "eval"]),
    (
        "checks that evaluate: data lints, the write judgement",
        &["lints"],
    ),
    ("test runner, audit", &["testing", "audit"]),
    ("tools (diff reads audit)", &["tools"]),
    ("the crate root: compile_sources, load_policy", &["lib"]),
    (
        "REPL, incremental compilation, store",
        &["repl", "incremental", "store"],
    ),
    (
        "adapters: language server, decision server",
        &["lsp", "serve"],
    ),
];

/// Upward arrows that are only re-exports keeping an old public path: (file, module used).
const COMPAT_REEXPORTS: &[(&str, &str)] = &[
    // `polc::facts::lints` is `polc::lints::data`.
    ("facts/mod.rs", "lints"),
    // `polc::facts::write::{judge, violations, ...}` are `polc::lints::judge::*`.
    ("facts/write.rs", "lints"),
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The source with comments removed and string and char literals emptied, so that only code
/// is searched for `crate::`.
fn code_only(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let rest = &s[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with("/*") {
            let mut depth = 0;
            while i < b.len() {
                if s[i..].starts_with("/*") {
                    depth += 1;
                    i += 2;
                } else if s[i..].starts_with("*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"..", r#".."#, br"..".
        if (b[i] == b'r' || (b[i] == b'b' && b.get(i + 1) == Some(&b'r')))
            && (i == 0 || !ident(b[i - 1]))
        {
            let start = if b[i] == b'b' { i + 2 } else { i + 1 };
            let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
            if b.get(start + hashes) == Some(&b'"') {
                let end = format!("\"{}", "#".repeat(hashes));
                let body = start + hashes + 1;
                i = s[body..]
                    .find(&end)
                    .map_or(b.len(), |j| body + j + end.len());
                out.push_str("\"\"");
                continue;
            }
        }
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
            continue;
        }
        if b[i] == b'\'' {
            // A char literal ('x', '\n', '\u{..}', '"'); otherwise a lifetime.
            if b.get(i + 1) == Some(&b'\\') {
                if let Some(j) = s[i + 2..].find('\'') {
                    i += 2 + j + 1;
                    out.push_str("' '");
                    continue;
                }
            } else if let Some(c) = s[i + 1..].chars().next() {
                let after = i + 1 + c.len_utf8();
                if b.get(after) == Some(&b'\'') {
                    i = after + 1;
                    out.push_str("' '");
                    continue;
                }
            }
        }
        let c = s[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The first path segments after every `crate::` in `code` (a `crate::{a::x, b}` group gives
/// `a` and `b`).
fn crate_uses(code: &str) -> Vec<String> {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("crate") {
        let at = from + k;
        from = at + 5;
        if at > 0 && (ident(b[at - 1]) || b[at - 1] == b'$') {
            continue;
        }
        let mut i = at + 5;
        let skip_ws = |i: &mut usize| {
            while *i < b.len() && b[*i].is_ascii_whitespace() {
                *i += 1;
            }
        };
        skip_ws(&mut i);
        if !code[i..].starts_with("::") {
            continue;
        }
        i += 2;
        skip_ws(&mut i);
        if b.get(i) == Some(&b'{') {
            let mut depth = 0;
            let mut expect_name = true;
            while i < b.len() {
                match b[i] {
                    b'{' => {
                        depth += 1;
                        i += 1;
                    }
                    b'}' => {
                        depth -= 1;
                        i += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => {
                        expect_name = true;
                        i += 1;
                    }
                    c if depth == 1 && expect_name && ident(c) => {
                        let j = i + b[i..].iter().take_while(|&&c| ident(c)).count();
                        found.push(code[i..j].to_string());
                        expect_name = false;
                        i = j;
                    }
                    _ => i += 1,
                }
            }
        } else {
            let j = i + b[i..].iter().take_while(|&&c| ident(c)).count();
            if j > i {
                found.push(code[i..j].to_string());
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level modules: `src/NAME.rs` and `src/NAME/` (not `bin`, not `lib.rs`).
fn top_modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            if p.is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs").map(str::to_string)
            }
        })
        .filter(|n| n != "bin" && n != "lib")
        .collect()
}

/// Every arrow: (from module, to module) -> the files (relative to `src/`) that write it.
fn arrows(src: &Path) -> BTreeMap<(String, String), BTreeSet<String>> {
    let modules = top_modules(src);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut arrows: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path
            .strip_prefix(src)
            .unwrap()
            .to_str()
            .unwrap()
            .replace('\\', "/");
        if rel.starts_with("bin/") {
            continue;
        }
        let first = rel.split('/').next().unwrap();
        let from = first.strip_suffix(".rs").unwrap_or(first).to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for name in crate_uses(&code_only(&text)) {
            let to = if modules.contains(&name) {
                name
            } else {
                "lib".to_string()
            };
            if to != from {
                arrows
                    .entry((from.clone(), to))
                    .or_default()
                    .insert(rel.clone());
            }
        }
    }
    arrows
}

fn src_dir() -> PathBuf {
    std::env::var_os("POLC_STRUCTURE_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn every_top_level_module_is_on_a_floor() {
    let src = src_dir();
    let missing: Vec<String> = top_modules(&src)
        .into_iter()
        .filter(|m| floor_of(m).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "modules on no floor of tests/structure.rs FLOORS (add them, and to ARCHITECTURE.md): {missing:?}"
    );
    let mut seen = BTreeSet::new();
    for (_, ms) in FLOORS {
        for m in *ms {
            assert!(seen.insert(*m), "`{m}` is on two floors");
        }
    }
}

#[test]
fn arrows_point_down() {
    let src = src_dir();
    let arrows = arrows(&src);
    assert!(
        arrows.len() > 30,
        "the scan found too few arrows ({}): it is not reading the sources",
        arrows.len()
    );
    let mut wrong = Vec::new();
    for ((from, to), files) in &arrows {
        let (Some(f), Some(t)) = (floor_of(from), floor_of(to)) else {
            wrong.push(format!("{from} -> {to}: a module on no floor ({files:?})"));
            continue;
        };
        if t < f {
            continue;
        }
        let upward: Vec<&String> = files
            .iter()
            .filter(|file| !COMPAT_REEXPORTS.contains(&(file.as_str(), to.as_str())))
            .collect();
        if !upward.is_empty() {
            wrong.push(format!(
                "{from} (floor {f}: {}) -> {to} (floor {t}: {}) in {upward:?}",
                FLOORS[f].0, FLOORS[t].0
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that do not point down the floors of tests/structure.rs:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn compat_reexports_are_only_reexports() {
    let src = src_dir();
    for (file, to) in COMPAT_REEXPORTS {
        let code = code_only(&std::fs::read_to_string(src.join(file)).unwrap());
        let uses: Vec<&str> = code
            .lines()
            .filter(|l| crate_uses(l).iter().any(|u| u == to))
            .collect();
        assert!(
            !uses.is_empty(),
            "{file} no longer uses `{to}`: drop it from COMPAT_REEXPORTS"
        );
        for line in uses {
            assert!(
                line.trim_start().starts_with("pub use crate::"),
                "{file}: `{}` uses `{to}` for more than a re-export",
                line.trim()
            );
        }
    }
}

#[test]
fn the_scanner_sees_code_and_nothing_else() {
    let text = r##"
        use crate::eval::query;
        use crate::{facts::Facts, diag, source::{Span, FileId}};
        // use crate::serve;
        /* crate::lsp:: /* nested */ crate::repl */
        let s = "crate::store::x";
        let r = r#"crate::tools"#;
        let c = '"'; let t = crate::time::now();
        fn f<'a>(x: &'a str) -> crate::Compilation { todo!() }
        let d = $crate::audit;
    "##;
    let uses = crate_uses(&code_only(text));
    assert_eq!(
        uses,
        ["eval", "facts", "diag", "source", "time", "Compilation"]
    );
}
