//! Data lints (docs/language.md, "Data checks"; `polc check --data`): the assignment data against the
//! policy's constraints. These are checks of the data, not conditions of decisions.

use crate::compiled::{Policy, RoleId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::eval::query::{Who, candidates, holds_role, wildcard_candidates};
use crate::eval::{Context, Entity};
use crate::facts::{Assignment, EntityId, Facts, Subject};
use std::cell::OnceCell;

/// The actors a userset's members are looked for among ([`candidates`]), listed on first use.
type Actors = OnceCell<Vec<(Who, Entity)>>;
use crate::source::Span;

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

/// `min` and `max` count holders: the concrete actors the live direct assignments reach, with
/// usersets expanded to the actors the facts name who belong to them. A wildcard reaches no
/// named actor, so it never satisfies `min`, and it exceeds any `max`.
fn min_max(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    scope: &Scope,
    out: &mut Vec<Diagnostic>,
) {
    let now = ctx.now;
    let actors = Actors::new();
    for (i, t) in policy.types.iter().enumerate() {
        let ty = TypeId(i as u32);
        if t.roles.iter().all(|r| r.min.is_none() && r.max.is_none()) {
            continue;
        }
        for e in scope.entities_of(facts, ty) {
            for (k, role) in t.roles.iter().enumerate() {
                if role.min.is_none() && role.max.is_none() {
                    continue;
                }
                let live: Vec<u32> = facts
                    .on(e)
                    .filter(|x| {
                        facts
                            .assignment(*x)
                            .is_some_and(|a| a.role == RoleId(k as u32) && a.live(now))
                    })
                    .collect();
                // Distinct holders: the same actor reached twice counts once.
                let mut holders = std::collections::HashSet::new();
                let mut wildcard = None;
                for x in &live {
                    let Some(a) = facts.assignment(*x) else {
                        continue;
                    };
                    if matches!(a.subject, Subject::Wildcard(_)) {
                        wildcard.get_or_insert(*x);
                    }
                    holders.extend(reached(policy, facts, ctx, &actors, a.subject));
                }
                let n = holders.len() as u32;
                let name = format!("`{}`", facts.display(policy, e));
                if let Some(min) = role.min.filter(|m| n < *m) {
                    // Point at an assignment of the entity if there is one (an expired one of
                    // this role, or any other).
                    let span = facts
                        .on(e)
                        .filter_map(|x| facts.assignment(x))
                        .max_by_key(|a| a.role == RoleId(k as u32))
                        .and_then(|a| a.span());
                    let d = Diagnostic::new(
                        Code::W0201,
                        format!(
                            "{name} has {n} {} (the policy requires at least {min})",
                            plural(n, &role.name)
                        ),
                    )
                    .help(format!(
                        "assign `{}` on {name} to a named actor (a wildcard or an empty userset counts no one)",
                        role.name
                    ));
                    let label = format!(
                        "no live `{}` assignment to a named actor on {name}",
                        role.name
                    );
                    out.push(with_span(d, span, &label));
                }
                if let Some(max) = role.max {
                    let (over, span) = match wildcard {
                        Some(x) => (true, facts.assignment(x).and_then(|a| a.span())),
                        None => (
                            n > max,
                            live.get(max as usize)
                                .and_then(|x| facts.assignment(*x))
                                .and_then(|a| a.span()),
                        ),
                    };
                    if !over {
                        continue;
                    }
                    let count = if wildcard.is_some() {
                        format!("every actor of a type as {}", plural(2, &role.name))
                    } else {
                        format!("{n} {}", plural(n, &role.name))
                    };
                    let d = Diagnostic::new(
                        Code::W0202,
                        format!("{name} has {count} (the policy allows at most {max})"),
                    )
                    .help(format!("remove an assignment of `{}` on {name}", role.name));
                    let label = if wildcard.is_some() {
                        "a wildcard: no upper bound"
                    } else {
                        "one too many"
                    };
                    out.push(with_span(d, span, label));
                }
            }
        }
    }
}

fn plural(n: u32, role: &str) -> String {
    if n == 1 {
        format!("holder of `{role}`")
    } else {
        format!("holders of `{role}`")
    }
}

fn separation(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    scope: &Scope,
    out: &mut Vec<Diagnostic>,
) {
    if policy.types.iter().all(|t| t.separations.is_empty()) {
        return;
    }
    let mut actors = scope.actors_of(policy, facts);
    actors.retain(|(_, a)| scope.actor(a));
    for (i, t) in policy.types.iter().enumerate() {
        let ty = TypeId(i as u32);
        for sep in &t.separations {
            for e in scope.entities_of(facts, ty) {
                let Some(on) = Entity::known(facts, e) else {
                    continue;
                };
                for (who, actor) in &actors {
                    let held: Vec<RoleId> = sep
                        .roles
                        .iter()
                        .copied()
                        .filter(|r| {
                            holds_role(policy, facts, ctx, actor, &on, *r, false)
                                .0
                                .is_some()
                        })
                        .collect();
                    if held.len() < 2 {
                        continue;
                    }
                    let names: Vec<String> = held
                        .iter()
                        .map(|r| format!("`{}`", t.roles[r.index()].name))
                        .collect();
                    let span = actor.id.and_then(|a| {
                        facts.direct(a, e).find_map(|x| {
                            facts
                                .assignment(x)
                                .filter(|x| held.contains(&x.role))
                                .and_then(|x| x.span())
                        })
                    });
                    let d = Diagnostic::new(
                        Code::W0203,
                        format!(
                            "`{who}` holds {} on `{}`: a `separate` declaration forbids holding both",
                            names.join(" and "),
                            facts.display(policy, e),
                        ),
                    )
                    .help(format!("give one of these roles to someone else (the separation is declared at {})", sep.location));
                    out.push(with_span(d, span, "this assignment"));
                }
            }
        }
    }
}

fn elevated(policy: &Policy, facts: &Facts, now: i64, out: &mut Vec<Diagnostic>) {
    for (_, a) in facts.assignments() {
        let Some(ty) = facts.entity_type(a.on) else {
            continue;
        };
        let role = &policy.ty(ty).roles[a.role.index()];
        if !role.elevated || !a.live(now) {
            continue;
        }
        if let Subject::Wildcard(actor_ty) = a.subject {
            let d = Diagnostic::new(
                Code::W0207,
                format!(
                    "elevated role `{}` is assigned to every `{}` (`{}:*`)",
                    role.name,
                    policy.ty(actor_ty).name,
                    policy.ty(actor_ty).name
                ),
            )
            .help("assign an elevated role to named actors, each with `until`, so that each holder is reviewed");
            out.push(with_span(d, a.span(), "every actor of the type"));
        }
        match (a.until(), role.review) {
            (None, review) => {
                let help = match review {
                    Some(secs) => {
                        format!("add `until` no later than {} from now", days(secs))
                    }
                    None => "add `until` so that the assignment is re-approved".into(),
                };
                let d = Diagnostic::new(
                    Code::W0204,
                    format!("elevated role `{}` is assigned without `until`", role.name),
                )
                .help(help);
                out.push(with_span(d, a.span(), "never expires"));
            }
            (Some(until), Some(secs))
                if until.saturating_sub(now) > (secs as i64).saturating_mul(1_000_000) =>
            {
                let d = Diagnostic::new(
                    Code::W0205,
                    format!(
                        "elevated role `{}` is assigned until {}, beyond its review period of {}",
                        role.name,
                        crate::time::format(until),
                        days(secs)
                    ),
                )
                .help(format!(
                    "shorten it to at most {}",
                    crate::time::format(now + secs as i64 * 1_000_000)
                ));
                out.push(with_span(d, a.span(), "too long"));
            }
            _ => {}
        }
    }
}

/// Whether the derivation rests on assignment `i` (directly or through a userset).
fn rests_on(d: &crate::eval::Derivation, i: u32) -> bool {
    use crate::eval::Step;
    d.0.iter().any(|s| match s {
        Step::Assigned(j) | Step::Wildcard(j) => *j == i,
        Step::Member { assignment, via } => *assignment == i || rests_on(via, i),
        Step::From { .. } | Step::Included { .. } => false,
    })
}

fn implied(policy: &Policy, facts: &Facts, ctx: &Context, out: &mut Vec<Diagnostic>) {
    for (index, a) in facts.assignments() {
        let Subject::Actor(actor_id) = a.subject else {
            continue;
        };
        let (Some(ty), Some(actor)) = (facts.entity_type(a.on), Entity::known(facts, actor_id))
        else {
            continue;
        };
        let t = policy.ty(ty);
        'roles: for giver in t.roles[a.role.index()].implied_by.iter() {
            for edge in t.roles[giver.index()].from.iter().filter(|e| !e.default) {
                let mut frontier = vec![a.on];
                for rel in &edge.path {
                    frontier = frontier
                        .iter()
                        .flat_map(|x| facts.relation(*x, *rel).iter().copied())
                        .collect();
                }
                for target in frontier {
                    let Some(on) = Entity::known(facts, target) else {
                        continue;
                    };
                    // A derivation that rests on this very assignment (folders that are each
                    // other's parent) is no reason to remove it: removing it loses the access.
                    if let (Some(d), _) =
                        holds_role(policy, facts, ctx, &actor, &on, edge.role, true)
                        && !rests_on(&d, index)
                    {
                        let msg = format!(
                            "{} already holds `{}` on {} through `from {} on {}`",
                            facts.display(policy, actor_id),
                            t.roles[a.role.index()].name,
                            facts.display(policy, a.on),
                            policy.ty(edge.target).roles[edge.role.index()].name,
                            edge.path_text
                        );
                        let diag = Diagnostic::new(Code::W0206, msg).help(format!(
                            "the assignment adds nothing: {}; remove it",
                            d.render(policy, facts)
                        ));
                        out.push(with_span(diag, a.span(), "redundant assignment"));
                        break 'roles;
                    }
                }
            }
        }
    }
}

/// `1 day`, `90 days`, or hours when under a day.
fn days(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s / 86_400 == 1 => "1 day".into(),
        s if s >= 86_400 => format!("{} days", s / 86_400),
        s if s / 3_600 == 1 => "1 hour".into(),
        s => format!("{} hours", s / 3_600),
    }
}
