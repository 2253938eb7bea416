#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `polc fmt` laws: formatting keeps the compiled policy (locations and rule layout aside) and
//! formatting twice changes nothing; over every `.pol` of the repository and over random
//! policies whose layout is scrambled (whitespace, comments) first.

mod common;

use common::{Chooser, Model, Shape};
use polc::source::{FileId, SourceMap};
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fmt(text: &str) -> String {
    polc::tools::fmt::format_source(FileId(0), text)
        .unwrap_or_else(|d| panic!("does not parse: {d:#?}\n{text}"))
}

/// The compiled policy of these files as JSON, without what depends on the layout: locations,
/// and the whitespace of rule texts.
fn meaning(files: &[(String, String)]) -> Result<Value, String> {
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(name.clone(), text.clone());
    }
    let c = polc::compile_sources(sources);
    let policy = c
        .policy
        .ok_or_else(|| format!("does not compile: {:#?}", c.diagnostics))?;
    // The payload of the artifact (its hash depends on the locations).
    let mut v: Value = serde_json::to_value(&policy).unwrap();
    strip(&mut v);
    // The ASTs of tests and facts blocks matter too (they are not in the artifact).
    let mut asts = Vec::new();
    for (name, text) in files {
        let (ast, _) = polc::syntax::parse_file(FileId(0), text);
        let mut a = serde_json::to_value(&ast).unwrap();
        strip(&mut a);
        asts.push((name.clone(), a));
    }
    Ok(serde_json::json!({"policy": v, "asts": asts}))
}

/// Where two JSON values first differ, for a readable failure.
fn first_difference(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if w != v => return first_difference(v, w, format!("{at}.{k}")),
                    None => return format!("{at}.{k}: missing after"),
                    _ => {}
                }
            }
            format!("{at}: keys differ")
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if v != w {
                    return first_difference(v, w, format!("{at}[{i}]"));
                }
            }
            at
        }
        _ => format!("{at}: {a} became {b}"),
    }
}

/// A rule's text without comments and whitespace (no string in the generated or repository
/// rules holds `//` or `/*`).
fn without_layout(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            if !c.is_whitespace() {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("location");
            m.remove("span");
            m.remove("keyword");
            m.remove("comments");
            if let Some(Value::String(t)) = m.get_mut("text") {
                *t = without_layout(t);
            }
            m.values_mut().for_each(strip);
            if m.len() == 3 && ["file", "start", "end"].iter().all(|k| m.contains_key(*k)) {
                *v = Value::Null;
            }
        }
        Value::Array(xs) => xs.iter_mut().for_each(strip),
        _ => {}
    }
}

/// Formats every file; checks idempotence and that the set compiles to the same policy.
fn check_files(files: &[(String, String)]) -> Result<(), String> {
    let formatted: Vec<(String, String)> = files.iter().map(|(n, t)| (n.clone(), fmt(t))).collect();
    for (n, f) in &formatted {
        let again = fmt(f);
        if &again != f {
            return Err(format!(
                "{n}: formatting twice changes it\n--- once\n{f}\n--- twice\n{again}"
            ));
        }
    }
    let before = meaning(files)?;
    let after = meaning(&formatted)?;
    if before != after {
        return Err(format!(
            "formatting changed the meaning at {}",
            first_difference(&before, &after, String::new())
        ));
    }
    Ok(())
}

fn pol_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    polc::loader::pol_files(&[root.join(dir)]).unwrap()
}

fn read(paths: &[PathBuf]) -> Vec<(String, String)> {
    paths
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect()
}

#[test]
fn the_repository_policies_format_idempotently_and_keep_their_meaning() {
    // policies/ is a folder of policies: each subfolder is one policy.
    for product in ["deeploy", "laradep", "lazsa"] {
        check_files(&read(&pol_files(&format!("policies/{product}")))).unwrap();
    }
}

#[test]
fn every_ok_fixture_formats_idempotently_and_keeps_its_meaning() {
    for p in pol_files("tests/fixtures/ok") {
        check_files(&read(std::slice::from_ref(&p)))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

#[test]
fn the_diff_fixtures_format_idempotently_and_keep_their_meaning() {
    for p in pol_files("tests/fixtures/diff") {
        check_files(&read(std::slice::from_ref(&p)))
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

#[test]
fn a_file_with_syntax_errors_is_not_formatted() {
    let r = polc::tools::fmt::format_source(FileId(0), "resource x { role a }");
    assert!(r.is_err());
}

#[test]
fn comments_stay_where_they_were() {
    let src = "\
// header


/// The actor.
actor user;
resource doc {
  // the permissions
  permissions read,   // may read
     write; // may write
  role owner {   grants read, write;   } // owners
  role viewer { grants read; includes guest; }
  role guest;
  /* dangling */
}
";
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fmt_comments", fmt(src));
    });
    check_files(&[("c.pol".into(), src.into())]).unwrap();
}

/// Inserts layout noise at whitespace outside string literals: line breaks, indentation,
/// blank lines and comments. Comments never go between a doc comment and its declaration
/// (that would change what the doc is attached to, in the scrambled text as well, which is
/// fine, but keeps the generated docs meaningful).
fn scramble(text: &str, c: &mut Chooser) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut in_comment = false;
    let mut prev = ' ';
    for ch in text.chars() {
        if in_comment {
            out.push(ch);
            if ch == '\n' {
                in_comment = false;
            }
            prev = ch;
            continue;
        }
        if ch == '"' && prev != '\\' {
            in_str = !in_str;
        }
        if ch == '/' && prev == '/' && !in_str {
            in_comment = true;
        }
        if (ch == ' ' || ch == '\n') && !in_str {
            out.push_str(match c.below(8) {
                0 => " ",
                1 => "\n",
                2 => "   ",
                3 => " /* c */ ",
                4 => " // c\n",
                5 => "\n\n\n    ",
                6 => "\n// c\n",
                _ => {
                    if ch == '\n' {
                        "\n"
                    } else {
                        " "
                    }
                }
            });
        } else {
            out.push(ch);
        }
        prev = ch;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random policies with scrambled layout: formatting is idempotent and keeps the meaning.
    #[test]
    fn fmt_is_idempotent_and_keeps_the_meaning(data in prop::collection::vec(any::<u32>(), 0..400), noise in prop::collection::vec(any::<u32>(), 0..2000)) {
        let mut c = Chooser::new(&data);
        let model = Model::new(&mut c);
        let policy = common::policy_text(&model, Shape::default(), &mut c);
        let scrambled = scramble(&policy, &mut Chooser::new(&noise));
        let files = vec![("p.pol".to_string(), scrambled)];
        if let Err(e) = check_files(&files) {
            return Err(TestCaseError::fail(format!("{e}\n--- input\n{}", files[0].1)));
        }
    }
}
