//! The memory a loaded policy keeps grows linearly with its include chains (issue 19 item 7):
//! the role closure and the per-role plans are stored as runs of role numbers, so a chain
//! `n` deep keeps O(n), not O(n^2) bits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cap::Cap;
use std::alloc::System;

#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

/// The allocation counter is global: a test that allocates or frees while another measures
/// would skew its figure (even to 0 bytes), so the tests of this file run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A policy whose roles form one include chain `n` deep; `reversed` declares the chain the
/// other way round (the last declared role includes the one before it).
fn include_chain(n: usize, reversed: bool) -> String {
    let mut s = String::from("actor user;\nresource doc {\n  permissions read;\n");
    for i in 0..n {
        let (next, last) = if reversed {
            (i.wrapping_sub(1), i == 0)
        } else {
            (i + 1, i + 1 == n)
        };
        if last {
            s.push_str(&format!("  role r{i} {{ grants read; }}\n"));
        } else {
            s.push_str(&format!("  role r{i} {{ includes r{next}; }}\n"));
        }
    }
    s.push_str("}\n");
    s
}

fn kept(n: usize, reversed: bool) -> usize {
    let text = include_chain(n, reversed);
    let policy = polc::compile_str("chain.pol", &text).policy.unwrap();
    let json = policy.to_artifact(None).unwrap();
    drop(policy);
    let before = ALLOC.allocated();
    let loaded = polc::compiled::Policy::from_json(&json).unwrap();
    let kept = ALLOC.allocated().saturating_sub(before);
    drop(loaded);
    eprintln!("chain {n} (reversed: {reversed}): loaded policy keeps {kept} bytes");
    kept
}

/// Compiling a deep chain recurses (the resolver's cycle walk), as `polc` does on its own
/// large stack.
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_long_include_chain_keeps_linear_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    on_big_stack(linear);
}

fn linear() {
    for reversed in [false, true] {
        let small = kept(500, reversed);
        let big = kept(4_000, reversed);
        // Linear: 8x the roles (500 to 4,000), 8x the bytes (with room for allocator rounding); quadratic
        // would be 64x.
        assert!(
            big < small * 12,
            "reversed {reversed}: 500 roles keep {small} bytes, 4,000 keep {big}"
        );
        assert!(big < 4_000 * 1_000, "4,000 roles keep {big} bytes");
    }
}

#[test]
fn a_chain_still_decides() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let text = include_chain(3_000, false);
    let policy = polc::compile_str("chain.pol", &text).policy.unwrap();
    let t = &policy.types[1];
    let r0 = &t.roles[0];
    assert_eq!(r0.implies.len(), 3_000);
    assert_eq!(t.roles[2_999].implied_by.len(), 3_000);
    assert!(r0.implies.contains(polc::compiled::RoleId(2_999)));
    assert!(!t.roles[5].implies.contains(polc::compiled::RoleId(4)));
    assert_eq!(r0.effective.len(), 1);
}
