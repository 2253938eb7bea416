#![deny(missing_docs)]
//! Judging a transaction against facts at a revision: its preconditions, and the data
//! constraints on the facts as they would be after it.

use super::data::{self, Scope};
use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::facts::check::EntityName;
use crate::facts::write::*;
use crate::facts::{CheckedFact, Facts, Subject, SubjectName};

/// The first precondition that does not hold in `facts` at `revision`, with its position.
pub fn failed_precondition<'t>(
    facts: &Facts,
    revision: Revision,
    preconditions: &'t [CheckedPrecondition],
) -> Option<(usize, &'t CheckedPrecondition)> {
    preconditions.iter().enumerate().find(|(_, p)| match p {
        CheckedPrecondition::Exists(k) => !exists(facts, k),
        CheckedPrecondition::Absent(k) => exists(facts, k),
        CheckedPrecondition::Revision(r) => *r != revision,
    })
}

/// The diagnostic of a precondition that does not hold (E0602, E0603, E0604).
pub fn precondition_diagnostic(p: &Precondition, current: Revision) -> Diagnostic {
    match p {
        Precondition::Exists(k) => Diagnostic::new(
            Code::E0602,
            format!("precondition failed: `{k}` does not exist"),
        )
        .help("nothing was written; read the facts again and retry with a precondition that holds"),
        Precondition::Absent(k) => {
            Diagnostic::new(Code::E0603, format!("precondition failed: `{k}` exists"))
                .help("nothing was written; the fact was written by someone else first")
        }
        Precondition::Revision(r) => Diagnostic::new(
            Code::E0604,
            format!("precondition failed: the store is at revision {current}, not {r}"),
        )
        .help(format!(
            "nothing was written; another transaction committed since revision {r}: read again and retry at revision {current}"
        )),
    }
}

/// How a write treats the data constraints (`min`, `max`, `separate`, `requires`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Constraints {
    /// A transaction that would break one more constraint is refused (E0605), nothing written.
    Enforce,
    /// It is written, and what it breaks is reported with it (the data lints' warnings).
    #[default]
    Warn,
}

/// The data lints that are constraints: `min` (W0201), `max` (W0202), `separate` (W0203) and
/// `requires` (W0208).
pub const CONSTRAINT_CODES: [Code; 4] = [Code::W0201, Code::W0202, Code::W0203, Code::W0208];

/// Whether the policy declares any constraint a write could break.
pub fn has_constraints(policy: &Policy) -> bool {
    policy.types.iter().any(|t| {
        !t.separations.is_empty()
            || t.roles
                .iter()
                .any(|r| r.min.is_some() || r.max.is_some() || !r.requires.is_empty())
    })
}

/// The constraint lints of the facts at `now`: the data lints of [`CONSTRAINT_CODES`].
pub fn violations(policy: &Policy, facts: &Facts, now: i64) -> Vec<Diagnostic> {
    if !has_constraints(policy) {
        return Vec::new();
    }
    data::run(policy, facts, now)
        .into_iter()
        .filter(|d| CONSTRAINT_CODES.contains(&d.code))
        .collect()
}

/// The violations in `after` that `before` did not have (compared by code and message): what a
/// transaction breaks. A constraint the data already broke does not refuse every write.
pub fn new_violations(before: &[Diagnostic], after: Vec<Diagnostic>) -> Vec<Diagnostic> {
    after
        .into_iter()
        .filter(|d| {
            !before
                .iter()
                .any(|b| b.code == d.code && b.message == d.message)
        })
        .collect()
}

/// The refusal of a transaction that breaks constraints (E0605); the lints follow it.
pub fn refusal(broken: &[Diagnostic]) -> Diagnostic {
    let what = broken
        .iter()
        .map(|d| d.code.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::new(
        Code::E0605,
        format!(
            "the transaction would break {} of the policy's constraints ({what})",
            broken.len()
        ),
    )
    .help("nothing was written; the diagnostics that follow say which (`--constraints warn` writes it and reports them)")
}

/// Checks a transaction's changes against facts at a revision, without changing them: the
/// failed precondition, or the constraints the changes would newly break (with `enforce`) or
/// the warnings to report (with `warn`). The facts are changed and put back.
pub fn judge(
    policy: &Policy,
    facts: &mut Facts,
    revision: Revision,
    tx: &Transaction,
    constraints: Constraints,
    now: i64,
) -> Judgement {
    if let Some(failed) = judge_preconditions(policy, facts, revision, tx) {
        return failed;
    }
    if !has_constraints(policy) {
        return Judgement::Accepted {
            warnings: Vec::new(),
        };
    }
    // The entities whose holders the changes can change, before and after them (a relation
    // removed is only seen before, one added only after); the lints run there alone.
    let u = apply(policy, facts, &tx.changes);
    let mut scope = scope_of(facts, &tx.changes);
    undo(policy, facts, u);
    widen(&mut scope, scope_of(facts, &tx.changes));
    let lints = |facts: &Facts| {
        data::constraints(policy, facts, now, &scope)
            .into_iter()
            .filter(|d| CONSTRAINT_CODES.contains(&d.code))
            .collect::<Vec<_>>()
    };
    let before = lints(facts);
    let u = apply(policy, facts, &tx.changes);
    let after = lints(facts);
    undo(policy, facts, u);
    let broken = new_violations(&before, after);
    match constraints {
        Constraints::Enforce if !broken.is_empty() => Judgement::Refused(broken),
        _ => Judgement::Accepted { warnings: broken },
    }
}

/// The first precondition of the transaction that does not hold in `facts` at `revision`, as
/// [`Judgement::Failed`] (with the place it was written, when known).
pub fn judge_preconditions(
    policy: &Policy,
    facts: &Facts,
    revision: Revision,
    tx: &Transaction,
) -> Option<Judgement> {
    if let Some((i, p)) = failed_precondition(facts, revision, &tx.preconditions) {
        let by_name = tx.store_preconditions(policy);
        let mut d = precondition_diagnostic(&by_name[i], revision);
        if let Some(span) = tx.precondition_spans.get(i)
            && span.end > span.start
        {
            d = d.primary(*span, "this precondition");
        }
        return Some(Judgement::Failed {
            index: i,
            diagnostic: d,
            revision_only: matches!(p, CheckedPrecondition::Revision(_)),
        });
    }
    None
}

/// What [`judge`] found.
#[derive(Debug)]
pub enum Judgement {
    /// The transaction may be committed; `warnings` are the constraints it breaks (with `warn`).
    Accepted {
        /// The `warn` constraints the transaction would break (data lints, W02xx).
        warnings: Vec<Diagnostic>,
    },
    /// A precondition does not hold (E0602, E0603, E0604).
    Failed {
        /// The precondition's index in the transaction.
        index: usize,
        /// What does not hold, pointing at the precondition when it has a span.
        diagnostic: Diagnostic,
        /// Whether the precondition was a revision check (E0604: the server answers 412; a
        /// fact that is or is not there answers 409).
        revision_only: bool,
    },
    /// With `enforce`: the constraint lints it would newly break.
    Refused(Vec<Diagnostic>),
}

/// The entities and actors whose constraints `changes` can change in `facts`: the entities an
/// assignment changed is on, and those a relation changed is of; then every entity whose
/// relations reach one of them (its roles may come `from` there) and every entity with a
/// userset of one of them (its holders are their members), to a fixpoint. The actors: the
/// subjects of the changed assignments, or all of them when a userset, a wildcard or a relation
/// changed (then anyone's roles may have).
pub fn scope_of(facts: &Facts, changes: &[CheckedChange]) -> Scope {
    use crate::facts::EntityId;
    use rustc_hash::FxHashSet;
    let id = |e: &EntityName| facts.lookup(e.0, &e.1);
    let mut seeds: Vec<EntityId> = Vec::new();
    let mut actors: Option<FxHashSet<EntityId>> = Some(FxHashSet::default());
    for c in changes {
        let (subject, on) = match c {
            CheckedChange::Put(CheckedFact::Assign { subject, on, .. })
            | CheckedChange::Delete(CheckedKey::Assignment { subject, on, .. }) => (subject, on),
            CheckedChange::Put(CheckedFact::Relation { entity, .. })
            | CheckedChange::Delete(CheckedKey::Relation { entity, .. }) => {
                seeds.extend(id(entity));
                actors = None;
                continue;
            }
            _ => continue,
        };
        seeds.extend(id(on));
        match subject {
            SubjectName::Actor(ty, n) => {
                if let (Some(set), Some(a)) = (actors.as_mut(), facts.lookup(*ty, n)) {
                    set.insert(a);
                }
            }
            SubjectName::Userset(..) | SubjectName::Wildcard(_) => actors = None,
        }
    }
    if seeds.is_empty() {
        return Scope {
            entities: Some(FxHashSet::default()),
            actors,
        };
    }
    // What leads to an entity: the entities with a relation to it, and those with a userset of
    // it. Found by passes over the relations (an array by entity) and the userset assignments
    // (only those: not every assignment) until a pass adds nothing: as many passes as the
    // hierarchy is deep, with nothing built the size of the facts. A hierarchy deeper than
    // `PASSES` (a long folder chain) gets the reverse edges built once instead, so a write
    // costs at most that.
    const PASSES: usize = 8;
    let mut seen: FxHashSet<EntityId> = seeds.iter().copied().collect();
    let usersets: Vec<(EntityId, EntityId)> = facts
        .set_assignments()
        .filter_map(|(_, a)| match a.subject {
            Subject::Userset(group, _) => Some((group, a.on)),
            _ => None,
        })
        .collect();
    for _ in 0..PASSES {
        let before = seen.len();
        for (e, _, targets) in facts.relations() {
            if !seen.contains(&e) && targets.iter().any(|t| seen.contains(t)) {
                seen.insert(e);
            }
        }
        for (group, on) in &usersets {
            if seen.contains(group) {
                seen.insert(*on);
            }
        }
        if seen.len() == before {
            return Scope {
                entities: Some(seen),
                actors,
            };
        }
    }
    // (target, source) edges, sorted by target: what leads to each entity.
    let mut leads: Vec<(EntityId, EntityId)> = facts
        .relations()
        .flat_map(|(e, _, targets)| targets.iter().map(move |t| (*t, e)))
        .chain(usersets)
        .collect();
    leads.sort_unstable();
    let mut stack: Vec<EntityId> = seen.iter().copied().collect();
    while let Some(x) = stack.pop() {
        let from = leads.partition_point(|(t, _)| *t < x);
        for (_, y) in leads[from..].iter().take_while(|(t, _)| *t == x) {
            if seen.insert(*y) {
                stack.push(*y);
            }
        }
    }
    Scope {
        entities: Some(seen),
        actors,
    }
}

/// `scope` and `other` together.
fn widen(scope: &mut Scope, other: Scope) {
    match (&mut scope.entities, other.entities) {
        (Some(a), Some(b)) => a.extend(b),
        (a, _) => *a = None,
    }
    match (&mut scope.actors, other.actors) {
        (Some(a), Some(b)) => a.extend(b),
        (a, _) => *a = None,
    }
}
