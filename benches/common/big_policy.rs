//! A generator of large policies, for compile-time benchmarks (`benches/compile_scale.rs` and
//! `cargo run --release -p peers -- --compile-scale`).

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
