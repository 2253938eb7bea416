//! Structure-aware mutations of a compiled artifact's payload, driven by bytes: shared by
//! `tests/artifact_mutation.rs` (a proptest that `cargo test` runs) and the `artifact` fuzz
//! target (`fuzz/fuzz_targets/artifact.rs`, which includes this file by path).
//!
//! Each 4 bytes are one edit `(op, a, b, c)` that keeps the artifact well-formed JSON of the
//! right shape, with numbers mostly in range, so that what it tests is the validation of
//! cross-references rather than the parser: indices swapped, a rule moved to another type, its
//! effect flipped or its actions changed, lists emptied, duplicated or cut, an attribute,
//! relation, role or type index in a condition changed, a role's grants, includes or `from`
//! edges pointed at another type's, a role copied into another type, a type's kind flipped.

use serde_json::Value;

/// Applies the edits of `ops` (4 bytes each; a shorter tail is ignored) to `v`, an artifact
/// (`{"version", "sha256", "policy"}`). Returns the names of the edits applied, for messages.
pub fn mutate(v: &mut Value, ops: &[u8]) -> Vec<&'static str> {
    let mut done = Vec::new();
    for e in ops.chunks_exact(4) {
        let (op, a, b, c) = (e[0], usize::from(e[1]), usize::from(e[2]), e[3]);
        let Some(p) = v.get_mut("policy") else {
            break;
        };
        let applied = match op % 14 {
            0 => swap_numbers(p, a, b),
            1 => set_number(p, a, u64::from(c % 6)),
            2 => rule_field(p, a, |r, _| {
                let n = r["resource"].as_u64().unwrap_or(0);
                r["resource"] = Value::from((n + 1 + b as u64) % 5);
            }),
            3 => rule_field(p, a, |r, _| {
                let flip = if r["effect"] == "permit" {
                    "forbid"
                } else {
                    "permit"
                };
                r["effect"] = Value::from(flip);
            }),
            4 => rule_field(p, a, |r, _| {
                r["actions"] = match c % 3 {
                    0 => Value::Array(Vec::new()),
                    1 => Value::from(vec![u64::from(c % 8)]),
                    _ => Value::from(vec![u64::from(c % 4), u64::from(c % 4)]),
                };
            }),
            5 => edit_array(p, a, b, c),
            6 => edit_condition(p, a, b, c),
            7 => role_list(p, a, b, "grants", c),
            8 => role_list(p, a, b, "includes", c),
            9 => edit_from(p, a, b, c),
            10 => copy_role(p, a, b),
            11 => {
                let Some(t) = nth_type(p, a) else { continue };
                let flip = if t["kind"] == "actor" {
                    "resource"
                } else {
                    "actor"
                };
                t["kind"] = Value::from(flip);
                true
            }
            12 => rule_field(p, a, |r, rules| {
                // Another rule's condition on this one.
                if let Some(other) = rules.get(b % rules.len().max(1)) {
                    r["condition"] = other["condition"].clone();
                }
            }),
            _ => rule_field(p, a, |r, _| {
                if let Some(o) = r.as_object_mut() {
                    o.remove("condition");
                }
            }),
        };
        if applied {
            done.push(
                [
                    "swap numbers",
                    "set number",
                    "rule to another type",
                    "rule effect flipped",
                    "rule actions",
                    "array edited",
                    "condition index",
                    "role grants",
                    "role includes",
                    "from edge",
                    "role copied",
                    "type kind",
                    "condition swapped",
                    "condition removed",
                ][usize::from(op % 14)],
            );
        }
    }
    done
}

/// The JSON pointer of every number under `v`.
fn numbers(v: &Value, at: String, out: &mut Vec<String>) {
    walk(v, at, out, &|x| x.is_number());
}

fn arrays(v: &Value, at: String, out: &mut Vec<String>) {
    walk(v, at, out, &|x| x.is_array());
}

fn walk(v: &Value, at: String, out: &mut Vec<String>, keep: &dyn Fn(&Value) -> bool) {
    if keep(v) {
        out.push(at.clone());
    }
    match v {
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                walk(x, format!("{at}/{i}"), out, keep);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                walk(x, format!("{at}/{k}"), out, keep);
            }
        }
        _ => {}
    }
}

fn swap_numbers(p: &mut Value, a: usize, b: usize) -> bool {
    let mut paths = Vec::new();
    numbers(p, String::new(), &mut paths);
    if paths.len() < 2 {
        return false;
    }
    let (x, y) = (&paths[a % paths.len()], &paths[b % paths.len()]);
    let (Some(vx), Some(vy)) = (p.pointer(x).cloned(), p.pointer(y).cloned()) else {
        return false;
    };
    if let Some(s) = p.pointer_mut(x) {
        *s = vy;
    }
    if let Some(s) = p.pointer_mut(y) {
        *s = vx;
    }
    true
}

fn set_number(p: &mut Value, a: usize, n: u64) -> bool {
    let mut paths = Vec::new();
    numbers(p, String::new(), &mut paths);
    let Some(path) = paths.get(a % paths.len().max(1)) else {
        return false;
    };
    match p.pointer_mut(path) {
        Some(s) => {
            *s = Value::from(n);
            true
        }
        None => false,
    }
}

fn rule_field(p: &mut Value, a: usize, f: impl FnOnce(&mut Value, &[Value])) -> bool {
    let Some(rules) = p.get_mut("rules").and_then(Value::as_array_mut) else {
        return false;
    };
    if rules.is_empty() {
        return false;
    }
    let i = a % rules.len();
    let snapshot = rules.clone();
    f(&mut rules[i], &snapshot);
    true
}

/// Empties, cuts, duplicates an element of, or reverses one array of the payload.
fn edit_array(p: &mut Value, a: usize, b: usize, c: u8) -> bool {
    let mut paths = Vec::new();
    arrays(p, String::new(), &mut paths);
    let Some(path) = paths.get(a.wrapping_mul(7).wrapping_add(b) % paths.len().max(1)) else {
        return false;
    };
    let Some(xs) = p.pointer_mut(path).and_then(Value::as_array_mut) else {
        return false;
    };
    match c % 4 {
        0 => xs.clear(),
        1 => {
            xs.pop();
        }
        2 => {
            if let Some(x) = xs.first().cloned() {
                xs.push(x);
            }
        }
        _ => xs.reverse(),
    }
    true
}

/// Changes one index inside a rule's condition: an attribute, relation, context field, role or
/// type number.
fn edit_condition(p: &mut Value, a: usize, b: usize, c: u8) -> bool {
    let Some(rules) = p.get_mut("rules").and_then(Value::as_array_mut) else {
        return false;
    };
    if rules.is_empty() {
        return false;
    }
    let n = rules.len();
    let Some(cond) = rules[a % n].get_mut("condition") else {
        return false;
    };
    let mut paths = Vec::new();
    numbers(cond, String::new(), &mut paths);
    let Some(path) = paths.get(b % paths.len().max(1)) else {
        return false;
    };
    match cond.pointer_mut(path) {
        Some(s) => {
            *s = Value::from(u64::from(c % 5));
            true
        }
        None => false,
    }
}

fn nth_type(p: &mut Value, a: usize) -> Option<&mut Value> {
    let types = p.get_mut("types")?.as_array_mut()?;
    let n = types.len();
    (n > 0).then(|| &mut types[a % n])
}

fn nth_role(p: &mut Value, a: usize, b: usize) -> Option<&mut Value> {
    let roles = nth_type(p, a)?.get_mut("roles")?.as_array_mut()?;
    let n = roles.len();
    (n > 0).then(|| &mut roles[b % n])
}

/// Sets a role's `grants` or `includes` to one small number (another type's, often), or empties
/// it.
fn role_list(p: &mut Value, a: usize, b: usize, key: &str, c: u8) -> bool {
    let Some(r) = nth_role(p, a, b) else {
        return false;
    };
    r[key] = match c % 3 {
        0 => Value::Array(Vec::new()),
        _ => Value::from(vec![u64::from(c % 7)]),
    };
    true
}

/// Points one `from` edge at another type, role or relation path.
fn edit_from(p: &mut Value, a: usize, b: usize, c: u8) -> bool {
    let mut paths = Vec::new();
    numbers(p, String::new(), &mut paths);
    let froms: Vec<&String> = paths.iter().filter(|s| s.contains("/from/")).collect();
    let Some(path) = froms.get((a * 31 + b) % froms.len().max(1)) else {
        return false;
    };
    let path = (*path).clone();
    match p.pointer_mut(&path) {
        Some(s) => {
            *s = Value::from(u64::from(c % 5));
            true
        }
        None => false,
    }
}

/// Copies a role of one type into another type (its indices now read in the wrong type).
fn copy_role(p: &mut Value, a: usize, b: usize) -> bool {
    let Some(role) = nth_role(p, a, b).map(|r| r.clone()) else {
        return false;
    };
    let Some(t) = nth_type(p, a + 1 + b) else {
        return false;
    };
    match t.get_mut("roles").and_then(Value::as_array_mut) {
        Some(rs) => rs.push(role),
        None => t["roles"] = Value::from(vec![role]),
    }
    true
}
