//! Validation of a loaded artifact's payload: every index in range and every cross-reference
//! consistent with the type that owns it, so that rebuilding the derived tables and evaluating
//! can index freely. What the payload does not store (closure, plans, rule lists) cannot be
//! pointed elsewhere; what no check can tell from a real policy (a rule deleted) is the hash's
//! job.

use super::{Policy, TypeDef};
use std::collections::HashSet;

fn unique<'a>(names: impl Iterator<Item = &'a str>, what: &str) -> Result<(), String> {
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(format!("two {what} are named `{n}`"));
        }
    }
    Ok(())
}

/// Whether the `includes` of one type form a cycle (iterative depth-first search).
fn includes_cycle(t: &TypeDef) -> bool {
    // 0: not seen, 1: on the stack, 2: done.
    let mut state = vec![0u8; t.roles.len()];
    for start in 0..t.roles.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some(&mut (r, ref mut next)) = stack.last_mut() {
            match t.roles[r].includes.get(*next) {
                Some(inc) => {
                    *next += 1;
                    let i = inc.index();
                    match state[i] {
                        1 => return true,
                        0 => {
                            state[i] = 1;
                            stack.push((i, 0));
                        }
                        _ => {}
                    }
                }
                None => {
                    state[r] = 2;
                    stack.pop();
                }
            }
        }
    }
    false
}

impl Policy {
    pub(super) fn validate(&self) -> Result<(), String> {
        let nt = self.types.len();
        let bad = |what: &str| Err(format!("{what} out of range"));
        unique(self.types.iter().map(|t| t.name.as_str()), "types")?;
        unique(
            self.context.iter().map(|f| f.name.as_str()),
            "context fields",
        )?;
        unique(
            self.action.iter().map(|f| f.name.as_str()),
            "action properties",
        )?;
        for t in &self.types {
            unique(t.roles.iter().map(|r| r.name.as_str()), "roles")?;
            unique(t.permissions.iter().map(|p| p.name.as_str()), "permissions")?;
            unique(
                t.relations
                    .iter()
                    .map(|r| r.name.as_str())
                    .chain(t.attributes.iter().map(|a| a.name.as_str())),
                "relations or attributes",
            )?;
            if t.relations.iter().any(|r| r.target.index() >= nt) {
                return bad("relation target");
            }
            if t.attributes.iter().any(|a| !a.ty.types_below(nt)) {
                return bad("attribute type");
            }
            let (np, nr) = (t.permissions.len(), t.roles.len());
            if t.permissions
                .iter()
                .any(|p| p.assigns.iter().any(|r| r.index() >= nr))
            {
                return bad("assigns");
            }
            for r in &t.roles {
                if r.includes.iter().any(|i| i.index() >= nr)
                    || r.grants.iter().any(|g| g.index() >= np)
                {
                    return bad("role");
                }
                for e in &r.from {
                    if e.target.index() >= nt
                        || e.role.index() >= self.types[e.target.index()].roles.len()
                    {
                        return bad("from edge");
                    }
                    if e.path.is_empty() {
                        return Err("a from edge has no relation path".into());
                    }
                    let mut cur = t;
                    for rel in &e.path {
                        match cur.relations.get(rel.index()) {
                            Some(rel) => cur = &self.types[rel.target.index()],
                            None => return bad("from path"),
                        }
                    }
                    if !std::ptr::eq(cur, &self.types[e.target.index()]) {
                        return Err(
                            "a from edge's path ends on another type than its role's".into()
                        );
                    }
                }
            }
            if includes_cycle(t) {
                return Err(format!("the includes of `{}` form a cycle", t.name));
            }
            if t.separations
                .iter()
                .flat_map(|s| &s.roles)
                .any(|r| r.index() >= nr)
            {
                return bad("separation");
            }
        }
        if self.context.iter().any(|f| !f.ty.types_below(nt)) {
            return bad("context type");
        }
        if self.action.iter().any(|f| !f.ty.types_below(nt)) {
            return bad("action property type");
        }
        for rule in &self.rules {
            let Some(t) = self.types.get(rule.resource.index()) else {
                return bad("rule type");
            };
            if rule.actions.is_empty() {
                return Err("a rule names no action".into());
            }
            if rule
                .actions
                .iter()
                .any(|a| a.index() >= t.permissions.len())
            {
                return bad("rule action");
            }
            if let Some((_, e)) = &rule.condition {
                e.validate(self)?;
            }
        }
        Ok(())
    }
}
