#![deny(missing_docs)]
//! Facts written back as Pol lines: what `:facts` lists, and what `:load` / `:reload` check
//! against the new policy (the session's data is carried over as text, so it is checked exactly
//! like facts typed at the prompt).

use crate::compiled::{Policy, TypeId};
use crate::facts::{Assignment, Facts, Subject, Value};

/// Every fact as one Pol line ending in `;`: assignments in the order they were made, then
/// relations, attributes and context settings sorted by name.
pub fn facts_lines(policy: &Policy, facts: &Facts) -> Vec<String> {
    let mut out: Vec<String> = facts
        .assignments()
        .map(|(_, a)| format!("{};", assignment(policy, facts, a)))
        .collect();
    let mut relations: Vec<String> = facts
        .relations()
        .filter_map(|(e, rel, targets)| {
            let ty = facts.entity_type(e)?;
            let r = policy.ty(ty).relations.get(rel.index())?;
            let value = if r.many {
                let items: Vec<String> =
                    targets.iter().map(|t| facts.display(policy, *t)).collect();
                format!("[{}]", items.join(", "))
            } else {
                facts.display(policy, *targets.first()?)
            };
            Some(format!(
                "{}.{} = {value};",
                facts.display(policy, e),
                r.name
            ))
        })
        .collect();
    relations.sort();
    out.extend(relations);
    let mut attributes: Vec<String> = facts
        .attributes()
        .filter_map(|(e, attr, v)| {
            let ty = facts.entity_type(e)?;
            let a = policy.ty(ty).attributes.get(attr.index())?;
            Some(format!(
                "{}.{} = {};",
                facts.display(policy, e),
                a.name,
                value(policy, facts, v)
            ))
        })
        .collect();
    attributes.sort();
    out.extend(attributes);
    for (field, v) in facts.context.iter().enumerate() {
        if let (Some(v), Some(f)) = (v, policy.context.get(field)) {
            out.push(format!("context.{} = {};", f.name, value(policy, facts, v)));
        }
    }
    for (field, v) in facts.action.iter().enumerate() {
        if let (Some(v), Some(f)) = (v, policy.action.get(field)) {
            out.push(format!("action.{} = {};", f.name, value(policy, facts, v)));
        }
    }
    out
}

/// `user:bob is requester on run:r1 until "2026-12-31T00:00:00Z"` (no `;`).
pub fn assignment(policy: &Policy, facts: &Facts, a: &Assignment) -> String {
    let on_ty = facts.entity_type(a.on).unwrap_or(TypeId(0));
    let subject = match a.subject {
        Subject::Actor(e) => facts.display(policy, e),
        Subject::Userset(e, r) => {
            let t = facts.entity_type(e).unwrap_or(TypeId(0));
            let role = policy
                .ty(t)
                .roles
                .get(r.index())
                .map_or("?", |r| r.name.as_str());
            format!("{}#{role}", facts.display(policy, e))
        }
        Subject::Wildcard(t) => format!("{}:*", policy.type_name(t)),
    };
    let role = policy
        .ty(on_ty)
        .roles
        .get(a.role.index())
        .map_or("?", |r| r.name.as_str());
    let mut s = format!("{subject} is {role} on {}", facts.display(policy, a.on));
    if let Some(u) = a.until() {
        s.push_str(&format!(" until \"{}\"", crate::time::format(u)));
    }
    s
}

/// A value as Pol writes it.
pub fn value(policy: &Policy, facts: &Facts, v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        // Rust's escapes of a string are a subset of Pol's (`\"`, `\\`, `\n`, `\u{..}`).
        Value::Str(s) => format!("{:?}", &**s),
        Value::Time(t) => format!("\"{}\"", crate::time::format(*t)),
        Value::Duration(micros) => crate::duration::format(*micros),
        Value::Entity(e) => facts.display(policy, *e),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|i| value(policy, facts, i)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(n, v)| format!("{n}: {}", value(policy, facts, v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}
