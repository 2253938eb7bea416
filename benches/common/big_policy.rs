//! A generator of large policies, for compile-time benchmarks (`benches/compile_scale.rs` and
//! `cargo run --release -p peers -- --compile-scale`).

// Each user (benches, examples, tests, the peers) takes only some of the generators.
#![allow(dead_code)]

use std::fmt::Write as _;

/// A policy of about `lines` lines: groups of 20 resource types chained by relations (each type
/// points to the previous one of its group), 10 roles per type in an include chain
/// (`r0 includes r1 includes ... r9`), `from` edges to the parent type's roles.
pub fn big_policy(lines: usize) -> String {
    let mut out = String::from("actor user;\n");
    let mut count = 1;
    let mut i = 0;
    while count < lines {
        let mut s = String::new();
        let parent = (i % 20 != 0).then(|| i - 1);
        let _ = writeln!(s, "resource t{i} {{");
        if let Some(p) = parent {
            let _ = writeln!(s, "  relation parent: t{p};");
        }
        let _ = writeln!(s, "  permissions p0, p1, p2, p3, p4, ops.read, ops.write;");
        for r in 0..10 {
            let _ = writeln!(s, "  role r{r} {{");
            if r < 9 {
                let _ = writeln!(s, "    includes r{};", r + 1);
            }
            if r < 5 {
                let _ = writeln!(s, "    grants p{r};");
            } else if r == 5 {
                let _ = writeln!(s, "    grants ops.*;");
            }
            if parent.is_some() && r < 3 {
                let _ = writeln!(s, "    from r{r} on parent;");
            }
            let _ = writeln!(s, "  }}");
        }
        let _ = writeln!(
            s,
            "  forbid ops.write when resource has frozen && resource.frozen;"
        );
        let _ = writeln!(s, "  attribute frozen?: bool;");
        let _ = writeln!(s, "}}");
        count += s.lines().count();
        out.push_str(&s);
        i += 1;
    }
    out
}

/// A policy whose roles form one include chain `n` deep (`r0 includes r1 includes ...`).
pub fn include_chain(n: usize) -> String {
    let mut s = String::from("actor user;\nresource doc {\n  permissions read;\n");
    for i in 0..n {
        if i + 1 < n {
            let _ = writeln!(s, "  role r{i} {{ includes r{}; }}", i + 1);
        } else {
            let _ = writeln!(s, "  role r{i} {{ grants read; }}");
        }
    }
    s.push_str("}\n");
    s
}

/// `n` types, each with a `from` edge to the next one declared (`t0` from `t1` from ... ), so
/// that building the plans of `t0` walks the whole chain of types.
pub fn from_chain(n: usize) -> String {
    let mut s = String::from("actor user;\n");
    for i in 0..n {
        let _ = writeln!(s, "resource t{i} {{");
        let _ = writeln!(s, "  permissions read;");
        if i + 1 < n {
            let _ = writeln!(s, "  relation next: t{};", i + 1);
            let _ = writeln!(s, "  role viewer {{ grants read; from viewer on next; }}");
        } else {
            let _ = writeln!(s, "  role viewer {{ grants read; }}");
        }
        let _ = writeln!(s, "}}");
    }
    s
}
