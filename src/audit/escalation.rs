//! Privilege escalation through assignments (`polc audit escalation`).
//!
//! A node is a role of a type. Holding a node gives, at no cost, the roles it includes (on the
//! same entity) and the roles whose `from` edges start at it (on related entities): its *reach*.
//! Its permissions are the effective permissions of every node of its reach, as
//! (type, permission) pairs. A permission with `assigns Q, ...` gives an *assignment step* to
//! the node (its type, Q). From each role, a 0-1 breadth-first search (reach steps cost 0,
//! assignment steps cost 1) finds every role its holder can come to hold and the shortest path
//! there; a role gained by assignment that brings permissions the holder lacks is a finding:
//!
//! - W0701: after one assignment; W0702: after a chain of two or more;
//! - W0703: the role gained gives the holder's own role back through a `from` edge, that is on
//!   a broader scope (every entity related to the one it was assigned on);
//! - W0704: the role gained is `sealed` or `elevated` and the holder's role is neither.
//!
//! Only roles whose reach holds an assigning permission are searched, so a policy without
//! `assigns` costs one pass over its roles.

use crate::compiled::{Policy, RoleId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{self, Item, Member};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::VecDeque;

/// What kind of escalation a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// W0701
    Direct,
    /// W0702
    Chained,
    /// W0703
    BroaderScope,
    /// W0704
    SealedOrElevated,
}

impl FindingKind {
    /// The warning code that reports this kind of finding (W0701 to W0704).
    pub fn code(self) -> Code {
        match self {
            FindingKind::Direct => Code::W0701,
            FindingKind::Chained => Code::W0702,
            FindingKind::BroaderScope => Code::W0703,
            FindingKind::SealedOrElevated => Code::W0704,
        }
    }
}

/// One escalation path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of escalation the path is.
    pub kind: FindingKind,
    /// The role held at the start, as `(type, role)` names.
    pub holder: (String, String),
    /// The role gained by the last assignment.
    pub target: (String, String),
    /// How many assignments the path makes.
    pub assignments: usize,
    /// The path, one step a line: `` `owner` on `workspace` ``, `` `manage` assigns `admin` ``.
    pub path: Vec<String>,
    /// Permissions the target gives that the holder's role does not, as `perm on type`.
    pub gained: Vec<String>,
}

impl Finding {
    /// `` `a` on `t` -> `p` assigns `b` on `t` -> gains `x` on `t` ``
    pub fn path_text(&self) -> String {
        let mut s = self.path.join(" -> ");
        if !self.gained.is_empty() {
            let shown: Vec<String> = self
                .gained
                .iter()
                .take(6)
                .map(|g| format!("`{g}`"))
                .collect();
            s.push_str(" -> gains ");
            s.push_str(&shown.join(", "));
            if self.gained.len() > 6 {
                s.push_str(&format!(" and {} more", self.gained.len() - 6));
            }
        }
        s
    }
}

#[derive(Clone, Debug)]
enum Step {
    Includes,
    From(String),
    Assigns(String),
}

struct Graph<'p> {
    policy: &'p Policy,
    nodes: Vec<(TypeId, RoleId)>,
    zero: Vec<Vec<(usize, Step)>>,
    assign: Vec<Vec<(usize, Step)>>,
}

impl<'p> Graph<'p> {
    fn new(policy: &'p Policy) -> Graph<'p> {
        let mut offsets = Vec::with_capacity(policy.types.len());
        let mut nodes = Vec::new();
        for (t, ty) in policy.types.iter().enumerate() {
            offsets.push(nodes.len());
            for r in 0..ty.roles.len() {
                nodes.push((TypeId(t as u32), RoleId(r as u32)));
            }
        }
        let id = |t: TypeId, r: RoleId| offsets[t.index()] + r.index();
        let mut zero = vec![Vec::new(); nodes.len()];
        let mut assign = vec![Vec::new(); nodes.len()];
        for (t, ty) in policy.types.iter().enumerate() {
            let t = TypeId(t as u32);
            for (r, role) in ty.roles.iter().enumerate() {
                let r = RoleId(r as u32);
                let n = id(t, r);
                for i in role.implies.iter() {
                    if i != r {
                        zero[n].push((id(t, i), Step::Includes));
                    }
                }
                for e in &role.from {
                    // Holding `e.role` on the target gives `r` here.
                    zero[id(e.target, e.role)].push((n, Step::From(e.path_text.clone())));
                }
                for p in &role.effective {
                    let perm = &ty.permissions[p.index()];
                    for q in &perm.assigns {
                        assign[n].push((id(t, *q), Step::Assigns(perm.name.clone())));
                    }
                }
            }
        }
        Graph {
            policy,
            nodes,
            zero,
            assign,
        }
    }

    fn names(&self, n: usize) -> (String, String) {
        let (t, r) = self.nodes[n];
        let ty = self.policy.ty(t);
        (ty.name.clone(), ty.roles[r.index()].name.clone())
    }

    fn role(&self, n: usize) -> &crate::compiled::Role {
        let (t, r) = self.nodes[n];
        &self.policy.ty(t).roles[r.index()]
    }

    /// The nodes of `n`'s reach (itself included).
    fn reach(&self, n: usize) -> Vec<usize> {
        let mut seen = FxHashSet::default();
        seen.insert(n);
        let mut stack = vec![n];
        let mut out = vec![n];
        while let Some(x) = stack.pop() {
            for (y, _) in &self.zero[x] {
                if seen.insert(*y) {
                    stack.push(*y);
                    out.push(*y);
                }
            }
        }
        out
    }

    /// Whether `to` is in `from`'s reach through at least one `from` edge.
    fn reaches_through_from(&self, from: usize, to: usize) -> bool {
        let mut seen = FxHashSet::default();
        let mut stack = vec![(from, false)];
        seen.insert((from, false));
        while let Some((x, via)) = stack.pop() {
            if x == to && via {
                return true;
            }
            for (y, step) in &self.zero[x] {
                let v = via || matches!(step, Step::From(_));
                if seen.insert((*y, v)) {
                    stack.push((*y, v));
                }
            }
        }
        false
    }

    fn perms(&self, n: usize) -> FxHashSet<(u32, u32)> {
        let mut out = FxHashSet::default();
        for x in self.reach(n) {
            let (t, _) = self.nodes[x];
            out.extend(self.role(x).effective.iter().map(|p| (t.0, p.0)));
        }
        out
    }
}

/// Every escalation path of `policy`, sorted by holder, then target.
pub fn escalation(policy: &Policy) -> Vec<Finding> {
    let g = Graph::new(policy);
    let n = g.nodes.len();
    // The roles whose reach holds an assigning permission: a reverse search from the assigners.
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (x, edges) in g.zero.iter().enumerate() {
        for (y, _) in edges {
            reverse[*y].push(x);
        }
    }
    let mut relevant = vec![false; n];
    let mut stack: Vec<usize> = (0..n).filter(|x| !g.assign[*x].is_empty()).collect();
    for x in &stack {
        relevant[*x] = true;
    }
    while let Some(x) = stack.pop() {
        for y in &reverse[x] {
            if !relevant[*y] {
                relevant[*y] = true;
                stack.push(*y);
            }
        }
    }
    let mut perms_memo: FxHashMap<usize, FxHashSet<(u32, u32)>> = FxHashMap::default();
    let mut findings = Vec::new();
    for s in (0..n).filter(|x| relevant[*x]) {
        // 0-1 breadth-first search from `s`.
        let mut dist: FxHashMap<usize, usize> = FxHashMap::default();
        let mut parent: FxHashMap<usize, (usize, Step)> = FxHashMap::default();
        let mut deque = VecDeque::new();
        dist.insert(s, 0);
        deque.push_back(s);
        while let Some(x) = deque.pop_front() {
            let d = dist[&x];
            for (y, step) in &g.zero[x] {
                if dist.get(y).is_none_or(|dy| *dy > d) {
                    dist.insert(*y, d);
                    parent.insert(*y, (x, step.clone()));
                    deque.push_front(*y);
                }
            }
            for (y, step) in &g.assign[x] {
                if dist.get(y).is_none_or(|dy| *dy > d + 1) {
                    dist.insert(*y, d + 1);
                    parent.insert(*y, (x, step.clone()));
                    deque.push_back(*y);
                }
            }
        }
        let held = perms_memo.entry(s).or_insert_with(|| g.perms(s)).clone();
        let mut targets: Vec<(usize, usize)> = dist
            .iter()
            .filter(|(q, d)| **d > 0 && matches!(parent.get(q), Some((_, Step::Assigns(_)))))
            .map(|(q, d)| (*q, *d))
            .collect();
        targets.sort_unstable();
        for (q, d) in targets {
            let qp = perms_memo.entry(q).or_insert_with(|| g.perms(q));
            let mut gained: Vec<String> = qp
                .difference(&held)
                .map(|(t, p)| {
                    let ty = &policy.types[*t as usize];
                    format!("{} on {}", ty.permissions[*p as usize].name, ty.name)
                })
                .collect();
            gained.sort();
            let path = path_of(&g, &parent, s, q);
            let make = |kind: FindingKind, gained: Vec<String>| Finding {
                kind,
                holder: g.names(s),
                target: g.names(q),
                assignments: d,
                path: path.clone(),
                gained,
            };
            if g.reaches_through_from(q, s) {
                findings.push(make(FindingKind::BroaderScope, gained.clone()));
            } else if !gained.is_empty() {
                let kind = if d == 1 {
                    FindingKind::Direct
                } else {
                    FindingKind::Chained
                };
                findings.push(make(kind, gained.clone()));
            }
            let (src, tgt) = (g.role(s), g.role(q));
            if (tgt.sealed || tgt.elevated) && !(src.sealed || src.elevated) {
                findings.push(make(FindingKind::SealedOrElevated, Vec::new()));
            }
        }
    }
    findings.sort_by(|a, b| {
        (&a.holder, &a.target, a.kind as u8).cmp(&(&b.holder, &b.target, b.kind as u8))
    });
    findings
}

fn path_of(
    g: &Graph<'_>,
    parent: &FxHashMap<usize, (usize, Step)>,
    s: usize,
    q: usize,
) -> Vec<String> {
    let mut steps = Vec::new();
    let mut cur = q;
    while cur != s {
        let Some((prev, step)) = parent.get(&cur) else {
            break;
        };
        let (t, r) = g.names(cur);
        steps.push(match step {
            Step::Includes => format!("includes `{r}`"),
            Step::From(path) => format!("gives `{r}` on `{t}` (from, through `{path}`)"),
            Step::Assigns(perm) => format!("`{perm}` assigns `{r}` on `{t}`"),
        });
        cur = *prev;
    }
    let (t, r) = g.names(s);
    steps.push(format!("`{r}` on `{t}`"));
    steps.reverse();
    steps
}

/// Where each role is declared (its first declaration), by type and role name.
fn role_spans(files: &[ast::File]) -> FxHashMap<(String, String), Span> {
    let mut out = FxHashMap::default();
    for f in files {
        for item in &f.items {
            let (ty, members) = match item {
                Item::Actor(a) => (&a.name, &a.members),
                Item::Resource(r) if !r.extend => (&r.name, &r.members),
                _ => continue,
            };
            for m in members {
                if let Member::Role(decl) = m {
                    out.entry((ty.name.clone(), decl.name.name.clone()))
                        .or_insert(decl.name.span);
                }
            }
        }
    }
    out
}

/// The findings as diagnostics, each at the holder's role declaration when `files` has it.
pub fn escalation_diagnostics(findings: &[Finding], files: &[ast::File]) -> Vec<Diagnostic> {
    let spans = role_spans(files);
    findings
        .iter()
        .map(|f| {
            let (ht, hr) = &f.holder;
            let (tt, tr) = &f.target;
            let message = match f.kind {
                FindingKind::Direct => format!(
                    "`{hr}` on `{ht}` can assign `{tr}`, which gives permissions `{hr}` lacks: {}",
                    f.path_text()
                ),
                FindingKind::Chained => format!(
                    "`{hr}` on `{ht}` can reach `{tr}` through {} assignments: {}",
                    f.assignments,
                    f.path_text()
                ),
                FindingKind::BroaderScope => format!(
                    "`{hr}` on `{ht}` can assign `{tr}` on `{tt}`, which gives `{hr}` back on every related `{ht}`: {}",
                    f.path_text()
                ),
                FindingKind::SealedOrElevated => format!(
                    "`{hr}` on `{ht}` can hand out the sealed or elevated role `{tr}` on `{tt}`: {}",
                    f.path_text()
                ),
            };
            let help = match f.kind {
                FindingKind::SealedOrElevated => format!(
                    "make sure assigning `{tr}` is meant to be in the hands of `{hr}`, or remove `{tr}` from the `assigns` list on the path"
                ),
                _ => format!(
                    "remove `{tr}` from the `assigns` list on the path, or give `{hr}` what `{tr}` gives if it is meant to hand it out"
                ),
            };
            let mut d = Diagnostic::new(f.kind.code(), message).help(help);
            if let Some(span) = spans.get(&f.holder) {
                d = d.primary(*span, "the role held");
            }
            if let Some(span) = spans.get(&f.target)
                && Some(span) != spans.get(&f.holder)
            {
                d = d.secondary(*span, "the role gained");
            }
            d
        })
        .collect()
}
