//! What a role gives and who holds it, from the declarations of the index: the closure of
//! `includes` within a type, grants with patterns expanded (hover reads it; it works while the
//! policy has errors, when there is no compiled role graph).

use super::index::{Index, TypeInfo};

impl Index {
    /// The roles of `ty` that give `role` by including it, transitively (itself excluded).
    pub fn implied_by(&self, ty: &str, role: &str) -> Vec<String> {
        let Some(t) = self.types.get(ty) else {
            return Vec::new();
        };
        t.roles
            .keys()
            .filter(|r| r.as_str() != role && self.implies(t, r).contains(&role.to_string()))
            .cloned()
            .collect()
    }

    /// The roles held by holding `role` (itself included), through `includes`.
    pub fn implies(&self, t: &TypeInfo, role: &str) -> Vec<String> {
        let mut seen = vec![role.to_string()];
        let mut i = 0;
        while let Some(r) = seen.get(i).cloned() {
            if let Some(info) = t.roles.get(&r) {
                for inc in &info.includes {
                    if !seen.contains(inc) {
                        seen.push(inc.clone());
                    }
                }
            }
            i += 1;
        }
        seen
    }

    /// Every permission of `ty` that `role` gives, through its includes too (patterns expanded).
    pub fn effective(&self, ty: &str, role: &str) -> Vec<String> {
        let Some(t) = self.types.get(ty) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for r in self.implies(t, role) {
            let Some(info) = t.roles.get(&r) else {
                continue;
            };
            for g in &info.grants {
                for p in t.permissions.keys() {
                    if crate::resolve::pattern_matches(g, p) && !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
        }
        out.sort();
        out
    }
}
