//! Rules: their actions and conditions; permission names and patterns.

use super::{Resolver, typeck};
use crate::compiled::{self, Rule, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::syntax::ast;

impl Resolver<'_> {
    pub(super) fn resolve_rules(&mut self) {
        for i in 0..self.builds.len() {
            let ty = TypeId(i as u32);
            for decl in self.builds[i].rules.clone() {
                let mut actions = Vec::new();
                for pat in &decl.actions {
                    for p in self.expand_pattern(ty, pat) {
                        if !actions.contains(&p) {
                            actions.push(p);
                        }
                    }
                }
                let condition = decl
                    .condition
                    .as_ref()
                    .map(|c| (c.kind, typeck::check_condition(self, ty, &c.expr)));
                let condition = match condition {
                    Some((kind, Some(e))) => Some((kind, e)),
                    Some((_, None)) => continue,
                    None => None,
                };
                let text = self.sources.slice(decl.span).trim().to_string();
                self.rules.push(Rule {
                    effect: decl.effect,
                    resource: ty,
                    actions,
                    condition,
                    doc: decl.doc.clone(),
                    text,
                    location: self.location(decl.span),
                });
                self.rule_decls.push(decl);
            }
        }
        compiled::plan::index_rules(&mut self.types, &self.rules);
    }

    /// The permissions of `ty` a name or pattern stands for; reports `E0203` / `E0304`.
    pub fn expand_pattern(&mut self, ty: TypeId, pat: &ast::Pattern) -> Vec<compiled::PermId> {
        let t = &self.types[ty.index()];
        let matched: Vec<compiled::PermId> = t
            .permissions
            .iter()
            .enumerate()
            .filter(|(_, p)| pattern_matches(&pat.text, &p.name))
            .map(|(i, _)| compiled::PermId(i as u32))
            .collect();
        if matched.is_empty() {
            let names: Vec<&str> = t.permissions.iter().map(|p| p.name.as_str()).collect();
            let d = if pat.is_pattern() {
                Diagnostic::new(
                    Code::E0304,
                    format!(
                        "pattern `{}` matches no permission of `{}`",
                        pat.text, t.name
                    ),
                )
                .primary(pat.span, "matches nothing")
                .help(if names.is_empty() {
                    format!("`{}` declares no permissions", t.name)
                } else {
                    format!("the permissions of `{}` are: {}", t.name, names.join(", "))
                })
            } else {
                let mut d = Diagnostic::new(
                    Code::E0203,
                    format!("`{}` has no permission `{}`", t.name, pat.text),
                )
                .primary(pat.span, "unknown permission");
                d = match did_you_mean(&pat.text, names.iter().copied()) {
                    Some(h) => d.help(h),
                    None => d.help(format!(
                        "declare it in `{}`: `permissions {};`",
                        t.name, pat.text
                    )),
                };
                d
            };
            self.error(d);
        }
        matched
    }
}

/// Whether a permission name matches a name or pattern (docs/language.md, "Permissions and patterns"): `*` matches
/// everything; a trailing `.*` matches every permission below the prefix at any depth; a leading
/// `*.` matches exactly one segment. Other `*` segments match one segment each.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(prefix) = pattern.strip_suffix(".*") {
        return name.len() > prefix.len() + 1
            && name.starts_with(prefix)
            && name.as_bytes()[prefix.len()] == b'.'
            && segments_match(prefix, &name[..prefix.len()]);
    }
    segments_match(pattern, name)
}

fn segments_match(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (pattern.split('.'), name.split('.'));
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pattern_matches;

    #[test]
    fn patterns_follow_the_language_reference() {
        assert!(pattern_matches("*", "view"));
        assert!(pattern_matches("tools.*", "tools.jira.read"));
        assert!(pattern_matches("tools.*", "tools.jira"));
        assert!(!pattern_matches("tools.*", "tools"));
        assert!(!pattern_matches("tools.*", "toolsx.a"));
        assert!(pattern_matches("*.view", "users.view"));
        assert!(!pattern_matches("*.view", "view"));
        assert!(!pattern_matches("*.view", "a.b.view"));
        assert!(pattern_matches("view", "view"));
        assert!(!pattern_matches("view", "views"));
    }
}
