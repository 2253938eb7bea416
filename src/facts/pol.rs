//! Facts written in Pol: `facts` blocks, top-level facts of a data file, test steps, REPL input.

use super::check::{Checker, Input, InputKind, Named, SubjectInput};
use super::{CheckedFact, Facts};
use crate::compiled::Policy;
use crate::diag::Diagnostic;
use crate::syntax::ast::{self, Fact, Item, SetTarget, Subject};

fn named(i: &ast::Ident) -> Named<'_> {
    Named {
        name: &i.name,
        span: i.span,
    }
}

/// A value as the checker reads it.
pub fn input(v: &ast::Value) -> Input {
    let kind = match v {
        ast::Value::Bool(b, _) => InputKind::Bool(*b),
        ast::Value::Int(i, _) => InputKind::Int(*i),
        ast::Value::Str(s) => InputKind::Str(s.value.clone()),
        ast::Value::Entity(e) => InputKind::Entity(e.ty.name.clone(), e.id.value.clone()),
        ast::Value::Duration(d) => InputKind::Duration(d.micros, d.text.clone()),
        ast::Value::List(items, _) => InputKind::List(items.iter().map(input).collect()),
        ast::Value::Record(fields, _) => InputKind::Record(
            fields
                .iter()
                .map(|(n, v)| (n.name.clone(), n.span, input(v)))
                .collect(),
        ),
    };
    Input {
        kind,
        span: v.span(),
    }
}

/// Checks one fact against the policy.
pub fn check_fact(policy: &Policy, fact: &Fact) -> Result<CheckedFact, Diagnostic> {
    let c = Checker::new(policy);
    match fact {
        Fact::Assign {
            subject,
            role,
            on,
            until,
            span,
        } => {
            let subject = match subject {
                Subject::Entity(e) => SubjectInput::Entity {
                    ty: named(&e.ty),
                    id: &e.id.value,
                },
                Subject::Userset { entity, role, .. } => SubjectInput::Userset {
                    ty: named(&entity.ty),
                    id: &entity.id.value,
                    role: named(role),
                },
                Subject::Wildcard { ty, .. } => SubjectInput::Wildcard { ty: named(ty) },
            };
            let until = until.as_ref().map(|u| (u.value.as_str(), u.span));
            c.assignment(
                subject,
                named(role),
                (named(&on.ty), &on.id.value),
                until,
                *span,
            )
        }
        Fact::Set {
            target: SetTarget::Field { entity, name },
            value,
            ..
        } => c.set(
            named(&entity.ty),
            &entity.id.value,
            named(name),
            &input(value),
        ),
        Fact::Set {
            target: SetTarget::Context(name),
            value,
            ..
        } => c.context(named(name), &input(value)),
        Fact::Set {
            target: SetTarget::Action(name),
            value,
            ..
        } => c.action(named(name), &input(value)),
    }
}

/// Checks every fact; all of them or none.
pub fn check_all<'f>(
    policy: &Policy,
    facts: impl IntoIterator<Item = &'f Fact>,
) -> Result<Vec<CheckedFact>, Vec<Diagnostic>> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for f in facts {
        match check_fact(policy, f) {
            Ok(c) => ok.push(c),
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

/// The facts of a data file: its top-level facts and every `facts` block, in order.
pub fn file_facts(file: &ast::File) -> Vec<&Fact> {
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Fact(f) => out.push(f),
            Item::Facts(b) => out.extend(&b.facts),
            _ => {}
        }
    }
    out
}

/// Adds facts to `facts` if every one of them checks; otherwise changes nothing.
pub fn load<'f>(
    policy: &Policy,
    facts: &mut Facts,
    list: impl IntoIterator<Item = &'f Fact>,
) -> Result<(), Vec<Diagnostic>> {
    let checked = check_all(policy, list)?;
    facts.apply_all(&checked);
    Ok(())
}
