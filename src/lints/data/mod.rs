//! Data lints (docs/language.md, "Data checks"; `polc check --data`): the assignment data against the
//! policy's constraints. These are checks of the data, not conditions of decisions.

use crate::compiled::{Policy, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::eval::query::{Who, candidates, holds_role, wildcard_candidates};
use crate::eval::{Context, Entity};
use crate::facts::{Assignment, EntityId, Facts, Subject};
use std::cell::OnceCell;

/// The actors a userset's members are looked for among ([`candidates`]), listed on first use.
type Actors = OnceCell<Vec<(Who, Entity)>>;
use crate::source::Span;

mod counts;
mod review;

use counts::{min_max, separation};
use review::{elevated, implied};

fn with_span(d: Diagnostic, span: Option<Span>, label: &str) -> Diagnostic {
    match span {
        Some(s) => d.primary(s, label.to_string()),
        None => d,
    }
}

/// Every data lint, at time `now` (microseconds).
pub fn run(policy: &Policy, facts: &Facts, now: i64) -> Vec<Diagnostic> {
    let mut ctx = Context::from_facts(policy, facts);
    ctx.now = now;
    let all = Scope::default();
    let mut out = Vec::new();
    min_max(policy, facts, &ctx, &all, &mut out);
    separation(policy, facts, &ctx, &all, &mut out);
    elevated(policy, facts, now, &mut out);
    implied(policy, facts, &ctx, &mut out);
    out.extend(requirements_in(policy, facts, now, &all));
    cycles(policy, facts, &mut out);
    out
}

/// W0121: entities that reach themselves along the relations `from` follows (folders that are
/// each other's parent). Decisions stop at the cycle and report it; here it is reported once, by
/// the entities on it, before any request meets it. An iterative depth-first search over every
/// entity: each entity and each edge is visited once.
fn cycles(policy: &Policy, facts: &Facts, out: &mut Vec<Diagnostic>) {
    use crate::facts::EntityId;
    // The entities one `from` step away from `e` (the end of each path of its type's roles).
    let next = |e: EntityId| -> Vec<EntityId> {
        let Some(ty) = facts.entity_type(e) else {
            return Vec::new();
        };
        let mut paths: Vec<&[crate::compiled::RelId]> = policy
            .ty(ty)
            .roles
            .iter()
            .flat_map(|r| r.from.iter().map(|f| f.path.as_slice()))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let mut ends: Vec<EntityId> = Vec::new();
        for path in paths {
            let mut frontier = vec![e];
            for rel in path {
                frontier = frontier
                    .iter()
                    .flat_map(|x| facts.relation(*x, *rel).iter().copied())
                    .collect();
            }
            ends.extend(frontier);
        }
        ends.sort_unstable();
        ends.dedup();
        ends
    };
    // 0 unseen, 1 on the current path, 2 done.
    let mut state = vec![0u8; facts.entity_count()];
    for root in 0..facts.entity_count() {
        let root = EntityId(root as u32);
        if state[root.index()] != 0 {
            continue;
        }
        state[root.index()] = 1;
        let mut path = vec![root];
        let mut todo = vec![next(root)];
        while let Some(left) = todo.last_mut() {
            let Some(n) = left.pop() else {
                todo.pop();
                if let Some(done) = path.pop() {
                    state[done.index()] = 2;
                }
                continue;
            };
            match state.get(n.index()) {
                Some(0) => {
                    state[n.index()] = 1;
                    path.push(n);
                    todo.push(next(n));
                }
                Some(1) => {
                    let at = path.iter().position(|x| *x == n).unwrap_or(0);
                    let mut names: Vec<String> = path[at..]
                        .iter()
                        .map(|x| facts.display(policy, *x))
                        .collect();
                    names.push(facts.display(policy, n));
                    out.push(
                        Diagnostic::new(
                            Code::W0121,
                            format!("cycle in the data: {}", names.join(" -> ")),
                        )
                        .help(
                            "a role derived with `from` along this cycle is held by no one \
                             through it, and every decision that meets it reports it: remove \
                             the relation fact that closes the cycle, not an assignment",
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}

/// Which entities and actors the constraint lints look at; `None` is all of them. A write is
/// judged on the entities whose holders it can change (`facts::write` works them out), so that
/// it costs what it touches, not the size of the data.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// `min` and `max` and `separate` at these entities; `requires` of assignments on them.
    pub entities: Option<rustc_hash::FxHashSet<crate::facts::EntityId>>,
    /// `separate` for these actors (actors the facts do not name are always looked at).
    pub actors: Option<rustc_hash::FxHashSet<crate::facts::EntityId>>,
}

impl Scope {
    fn entity(&self, e: crate::facts::EntityId) -> bool {
        self.entities.as_ref().is_none_or(|s| s.contains(&e))
    }

    fn actor(&self, a: &Entity) -> bool {
        match (&self.actors, a.id) {
            (Some(s), Some(id)) => s.contains(&id),
            _ => true,
        }
    }

    /// The entities of `ty` in the scope, as [`Facts::entities_of`] lists them (by id): the
    /// scope's own when it has a list, so that a judged write costs what it touches.
    fn entities_of(&self, facts: &Facts, ty: TypeId) -> Vec<EntityId> {
        match &self.entities {
            None => facts.entities_of(ty),
            Some(set) => {
                let mut v: Vec<EntityId> = set
                    .iter()
                    .copied()
                    .filter(|e| facts.entity_type(*e) == Some(ty) && facts.is_named(*e))
                    .collect();
                v.sort();
                v
            }
        }
    }

    /// The actors `separate` looks at: [`candidates`] kept to the scope's actors (actors the
    /// facts do not name, `T:*`, always), in the same order, without listing every actor when
    /// the scope has a list.
    fn actors_of(&self, policy: &Policy, facts: &Facts) -> Vec<(Who, Entity)> {
        let Some(set) = &self.actors else {
            return candidates(policy, facts);
        };
        let mut ids: Vec<(TypeId, EntityId)> = set
            .iter()
            .filter(|e| facts.is_named(**e))
            .filter_map(|e| facts.entity_type(*e).map(|t| (t, *e)))
            .filter(|(t, _)| policy.ty(*t).kind == crate::compiled::Kind::Actor)
            .collect();
        ids.sort();
        let mut out: Vec<(Who, Entity)> = ids
            .into_iter()
            .filter_map(|(_, e)| {
                Entity::known(facts, e).map(|ent| (Who::Actor(facts.display(policy, e)), ent))
            })
            .collect();
        out.extend(wildcard_candidates(policy, facts));
        out
    }

    /// The assignments whose `requires` is checked, in index order: those on the scope's
    /// entities when it has a list, else every one.
    fn assignments<'f>(
        &self,
        facts: &'f Facts,
    ) -> Box<dyn Iterator<Item = (u32, &'f Assignment)> + 'f> {
        match &self.entities {
            None => Box::new(facts.assignments()),
            Some(set) => {
                let mut v: Vec<u32> = set.iter().flat_map(|e| facts.on(*e)).collect();
                v.sort_unstable();
                v.dedup();
                Box::new(
                    v.into_iter()
                        .filter_map(|i| facts.assignment(i).map(|a| (i, a))),
                )
            }
        }
    }
}

/// The data lints that are constraints: `min` and `max` (W0201, W0202), `separate` (W0203) and
/// `requires` (W0208), within `scope`: the same checks and words as [`run`]'s.
pub fn constraints(policy: &Policy, facts: &Facts, now: i64, scope: &Scope) -> Vec<Diagnostic> {
    let mut ctx = Context::from_facts(policy, facts);
    ctx.now = now;
    let mut out = Vec::new();
    min_max(policy, facts, &ctx, scope, &mut out);
    separation(policy, facts, &ctx, scope, &mut out);
    out.extend(requirements_in(policy, facts, now, scope));
    out
}

/// The concrete actors an assignment's subject reaches: the actor itself, or every actor the
/// facts name who holds the userset's role (effectively); a wildcard reaches none by name.
fn reached(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    actors: &Actors,
    subject: Subject,
) -> Vec<EntityId> {
    match subject {
        Subject::Actor(a) => vec![a],
        Subject::Wildcard(_) => Vec::new(),
        Subject::Userset(group, role) => {
            let Some(on) = Entity::known(facts, group) else {
                return Vec::new();
            };
            actors
                .get_or_init(|| candidates(policy, facts))
                .iter()
                .filter(|(_, a)| a.id.is_some())
                .filter(|(_, a)| {
                    holds_role(policy, facts, ctx, a, &on, role, false)
                        .0
                        .is_some()
                })
                .filter_map(|(_, a)| a.id)
                .collect()
        }
    }
}

/// `requires S on path` (W0208): every live assignment of a role that requires `S` on a related
/// resource, whose actor (each member, for a userset) does not hold `S` on any entity the path
/// reaches, at time `now`. Reported at the assignment. A wildcard assignment is not checked
/// (it names no actor). Usable on its own, to check data before it is written.
pub fn requirements(policy: &Policy, facts: &Facts, now: i64) -> Vec<Diagnostic> {
    requirements_in(policy, facts, now, &Scope::default())
}

fn requirements_in(policy: &Policy, facts: &Facts, now: i64, scope: &Scope) -> Vec<Diagnostic> {
    let mut ctx = Context::from_facts(policy, facts);
    ctx.now = now;
    let mut out = Vec::new();
    if policy
        .types
        .iter()
        .all(|t| t.roles.iter().all(|r| r.requires.is_empty()))
    {
        return out;
    }
    let actors = Actors::new();
    for (_, a) in scope.assignments(facts) {
        if !scope.entity(a.on) {
            continue;
        }
        let Some(ty) = facts.entity_type(a.on) else {
            continue;
        };
        let role = &policy.ty(ty).roles[a.role.index()];
        if role.requires.is_empty() || !a.live(now) {
            continue;
        }
        for actor_id in reached(policy, facts, &ctx, &actors, a.subject) {
            let Some(actor) = Entity::known(facts, actor_id) else {
                continue;
            };
            for req in &role.requires {
                let mut frontier = vec![a.on];
                for rel in &req.path {
                    frontier = frontier
                        .iter()
                        .flat_map(|x| facts.relation(*x, *rel).iter().copied())
                        .collect();
                }
                let held = frontier.iter().any(|t| {
                    Entity::known(facts, *t).is_some_and(|on| {
                        holds_role(policy, facts, &ctx, &actor, &on, req.role, false)
                            .0
                            .is_some()
                    })
                });
                if held {
                    continue;
                }
                let needed = &policy.ty(req.target).roles[req.role.index()].name;
                let where_ = match frontier.as_slice() {
                    [] => format!("`{}` (the data sets no `{}`)", req.path_text, req.path_text),
                    [one] => format!("`{}`", facts.display(policy, *one)),
                    many => many
                        .iter()
                        .map(|t| format!("`{}`", facts.display(policy, *t)))
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                let d = Diagnostic::new(
                    Code::W0208,
                    format!(
                        "`{}` holds `{}` on `{}` but not `{needed}` on {where_}",
                        facts.display(policy, actor_id),
                        role.name,
                        facts.display(policy, a.on),
                    ),
                )
                .help(format!(
                    "`{}` requires `{needed}` on `{}` (declared at {}): assign that first, or remove this assignment",
                    role.name, req.path_text, role.location
                ));
                out.push(with_span(d, a.span(), "this assignment"));
            }
        }
    }
    out
}
