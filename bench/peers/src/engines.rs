//! Each engine: its policy and data in its own native form (generated from [`crate::model`]),
//! loaded from text, and a decision function over prepared requests.
//!
//! Load time covers parsing the engine's native data text into its decision structures; the
//! requests are prepared (parsed into each engine's request type) outside of the timed part.

use crate::model::{Data, Model, Req, Subject};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub const ENGINES: &[&str] = &[
    "polc",
    "rust-plain",
    "rust-bitset",
    "cedar",
    "regorus-interp",
    "regorus-compiled",
    "regorus-rvm",
    "casbin",
];

/// A loaded engine with its prepared requests.
pub trait Bench {
    fn decide(&mut self, i: usize) -> bool;
}

pub type Loaded = (Box<dyn Bench>, Duration);

/// Loads `engine` on the data; returns it and its load time. The text it loads from is built
/// before; `mark` is called right before the timed load and again right after it, before the
/// requests are prepared, with the input text still alive both times: the memory between the
/// two is the engine's data structures.
pub fn load(
    engine: &str,
    m: &Model,
    d: &Data,
    reqs: &[Req],
    mark: &mut dyn FnMut(),
) -> Result<Loaded, String> {
    match engine {
        "polc" => polc(m, d, reqs, mark),
        "rust-plain" => plain(m, d, reqs, mark),
        "rust-bitset" => floor(m, d, reqs, mark),
        "cedar" => cedar(m, d, reqs, mark),
        "regorus-interp" | "regorus-compiled" | "regorus-rvm" => rego(engine, m, d, reqs, mark),
        "casbin" => casbin(m, d, reqs, mark),
        _ => Err(format!("unknown engine {engine}")),
    }
}

// ---------------------------------------------------------------- polc

pub fn polc_json(d: &Data) -> String {
    let mut s = String::with_capacity(d.assignments.len() * 80 + d.relations.len() * 80);
    s.push_str("{\"assignments\":[");
    for (i, a) in d.assignments.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "{{\"actor\":\"{}\",\"role\":\"{}\",\"on\":\"{}\"}}",
            a.subject.text(),
            a.role,
            a.on
        );
    }
    s.push_str("],\"relations\":[");
    for (i, (e, rel, t)) in d.relations.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "{{\"from\":\"{e}\",\"relation\":\"{rel}\",\"to\":\"{t}\"}}"
        );
    }
    s.push_str("]}");
    s
}

pub fn polc_policy(m: &Model) -> Result<polc::compiled::Policy, String> {
    let c = polc::compile_str("model.pol", &crate::model::pol(m));
    if c.has_errors() {
        return Err(format!("{:?}", c.diagnostics));
    }
    c.policy.ok_or_else(|| "no policy".to_string())
}

struct Polc {
    policy: polc::compiled::Policy,
    facts: polc::facts::Facts,
    reqs: Vec<polc::eval::Request>,
}

impl Bench for Polc {
    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        polc::eval::decide_with(&self.policy, &self.facts, &self.reqs[i], false).allowed
    }
}

fn polc(m: &Model, d: &Data, reqs: &[Req], mark: &mut dyn FnMut()) -> Result<Loaded, String> {
    let policy = polc_policy(m)?;
    let text = polc_json(d);
    let mut sources = polc::source::SourceMap::new();
    mark();
    let t = Instant::now();
    let facts = polc::facts::Facts::from_json_str(&policy, &mut sources, "data.json", &text)
        .map_err(|e| format!("{e:?}"))?;
    let load = t.elapsed();
    // The copy of the text kept for diagnostics is not part of the decision data.
    drop(sources);
    mark();
    let reqs = reqs
        .iter()
        .map(|r| polc::eval::Request::new(&policy, &facts, &r.principal, r.action, &r.resource))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{e:?}"))?;
    Ok((
        Box::new(Polc {
            policy,
            facts,
            reqs,
        }),
        load,
    ))
}

// ---------------------------------------------------------------- plain Rust

/// The plain evaluator of the issue: standard hash maps keyed by names, and per request the
/// actor's effective roles on the resource as a set of role names (own roles closed under
/// includes, usersets, `from` edges recursively), intersected with the roles that grant the
/// action (small sets, so vectors). What a hand-written evaluator in ordinary Rust looks like.
struct Plain {
    /// actor -> resource -> roles assigned
    direct: HashMap<String, HashMap<String, Vec<String>>>,
    /// entity -> its one parent (the single relation of its type)
    parent: HashMap<String, String>,
    /// resource -> (group, group role, role)
    sets: HashMap<String, Vec<(String, String, String)>>,
    /// type -> role -> the roles it includes, transitively, itself too
    closure: HashMap<String, HashMap<String, Vec<String>>>,
    /// type -> (role, role on the parent that gives it)
    from: HashMap<String, Vec<(String, String)>>,
    /// type -> action -> roles that grant it
    grants: HashMap<String, HashMap<String, HashSet<String>>>,
    reqs: Vec<(String, String, String)>,
}

impl Plain {
    fn effective<'a>(&'a self, u: &str, e: &str, depth: u32) -> Vec<&'a str> {
        let mut out = Vec::new();
        if depth > 64 {
            return out;
        }
        let ty = e.split(':').next().unwrap_or("");
        let Some(closure) = self.closure.get(ty) else {
            return out;
        };
        let add = |role: &str, out: &mut Vec<&'a str>| {
            if let Some(c) = closure.get(role) {
                for r in c {
                    if !out.contains(&r.as_str()) {
                        out.push(r.as_str());
                    }
                }
            }
        };
        if let Some(roles) = self.direct.get(u).and_then(|m| m.get(e)) {
            for r in roles {
                add(r, &mut out);
            }
        }
        if let Some(sets) = self.sets.get(e) {
            for (g, gr, r) in sets {
                if !out.contains(&r.as_str())
                    && self.effective(u, g, depth + 1).contains(&gr.as_str())
                {
                    add(r, &mut out);
                }
            }
        }
        if let (Some(p), Some(from)) = (self.parent.get(e), self.from.get(ty))
            && !from.is_empty()
        {
            let held = self.effective(u, p, depth + 1);
            for (r, pr) in from {
                if held.contains(&pr.as_str()) {
                    add(r, &mut out);
                }
            }
        }
        out
    }
}

impl Bench for Plain {
    fn decide(&mut self, i: usize) -> bool {
        let (u, a, e) = &self.reqs[i];
        let ty = e.split(':').next().unwrap_or("");
        let Some(granting) = self.grants.get(ty).and_then(|g| g.get(a)) else {
            return false;
        };
        self.effective(u, e, 0)
            .iter()
            .any(|r| granting.contains(*r))
    }
}

fn plain(m: &Model, d: &Data, reqs: &[Req], mark: &mut dyn FnMut()) -> Result<Loaded, String> {
    let mut closure: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut from: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut grants: HashMap<String, HashMap<String, HashSet<String>>> = HashMap::new();
    for t in m.types {
        let c = closure.entry(t.name.to_string()).or_default();
        let f = from.entry(t.name.to_string()).or_default();
        for r in t.roles {
            c.insert(
                r.name.to_string(),
                t.closure(r.name).iter().map(|x| x.to_string()).collect(),
            );
            for (pr, _rel) in r.from {
                f.push((r.name.to_string(), pr.to_string()));
            }
        }
        let g = grants.entry(t.name.to_string()).or_default();
        for (action, roles) in t.perms {
            g.insert(
                action.to_string(),
                roles.iter().map(|r| r.to_string()).collect(),
            );
        }
    }
    mark();
    let t0 = Instant::now();
    let mut direct: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut parent = HashMap::new();
    let mut sets: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    for (e, _, t) in &d.relations {
        parent.insert(e.clone(), t.clone());
    }
    for a in &d.assignments {
        match &a.subject {
            Subject::Actor(u) => direct
                .entry(u.clone())
                .or_default()
                .entry(a.on.clone())
                .or_default()
                .push(a.role.to_string()),
            Subject::Set(g, gr) => sets.entry(a.on.clone()).or_default().push((
                g.clone(),
                gr.to_string(),
                a.role.to_string(),
            )),
        }
    }
    let load = t0.elapsed();
    mark();
    let reqs = reqs
        .iter()
        .map(|r| {
            (
                r.principal.clone(),
                r.action.to_string(),
                r.resource.clone(),
            )
        })
        .collect();
    Ok((
        Box::new(Plain {
            direct,
            parent,
            sets,
            closure,
            from,
            grants,
            reqs,
        }),
        load,
    ))
}

/// The tuned floor: the computation of [`Plain`] on numbers instead of names. Entities and
/// roles are numbered, Fx hash maps, and per request the effective roles of the actor on the
/// resource (direct roles closed under includes, usersets, `from` edges) as bit sets. It
/// knows only these two models' shape: no expiry, rules, cycle checks or explanations.
struct Floor {
    /// entity -> type index
    ty: Vec<u8>,
    /// entity -> its one parent (the single relation of its type), or u32::MAX
    parent: Vec<u32>,
    direct: rustc_hash::FxHashMap<(u32, u32), u64>,
    /// entity -> (group entity, group role, role)
    sets: rustc_hash::FxHashMap<u32, Vec<(u32, u8, u8)>>,
    /// type -> role -> roles it includes, transitively, itself too
    incl: Vec<Vec<u64>>,
    /// type -> (role, target role on the parent)
    from: Vec<Vec<(u8, u8)>>,
    /// type -> action -> roles that grant it
    grant: Vec<Vec<u64>>,
    reqs: Vec<(u32, u32, usize)>,
}

impl Floor {
    fn held(&self, u: u32, e: u32, depth: u32) -> u64 {
        if depth > 64 {
            return 0;
        }
        let t = self.ty[e as usize] as usize;
        let incl = &self.incl[t];
        let mut h = 0u64;
        if let Some(&mut_roles) = self.direct.get(&(u, e)) {
            let mut bits = mut_roles;
            while bits != 0 {
                h |= incl[bits.trailing_zeros() as usize];
                bits &= bits - 1;
            }
        }
        if let Some(sets) = self.sets.get(&e) {
            for &(g, gr, r) in sets {
                if h & (1 << r) == 0 && self.held(u, g, depth + 1) & (1 << gr) != 0 {
                    h |= incl[r as usize];
                }
            }
        }
        let p = self.parent[e as usize];
        if p != u32::MAX && !self.from[t].is_empty() {
            let ph = self.held(u, p, depth + 1);
            for &(r, tr) in &self.from[t] {
                if ph & (1 << tr) != 0 {
                    h |= incl[r as usize];
                }
            }
        }
        h
    }
}

impl Bench for Floor {
    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        let (u, e, a) = self.reqs[i];
        if u == u32::MAX {
            return false;
        }
        let t = self.ty[e as usize] as usize;
        self.held(u, e, 0) & self.grant[t][a] != 0
    }
}

fn floor(m: &Model, d: &Data, reqs: &[Req], mark: &mut dyn FnMut()) -> Result<Loaded, String> {
    let tyi = |name: &str| m.types.iter().position(|t| t.name == name);
    let rolei = |t: usize, r: &str| m.types[t].roles.iter().position(|x| x.name == r);
    let mut incl = Vec::new();
    let mut from = Vec::new();
    let mut grant = Vec::new();
    for (ti, t) in m.types.iter().enumerate() {
        incl.push(
            t.roles
                .iter()
                .map(|r| {
                    t.closure(r.name)
                        .iter()
                        .filter_map(|x| rolei(ti, x))
                        .fold(0u64, |b, k| b | 1 << k)
                })
                .collect::<Vec<_>>(),
        );
        let mut f = Vec::new();
        for (ri, r) in t.roles.iter().enumerate() {
            for (role, rel) in r.from {
                let pt = tyi(rel).ok_or("bad relation")?;
                f.push((ri as u8, rolei(pt, role).ok_or("bad role")? as u8));
            }
        }
        from.push(f);
        grant.push(
            t.perms
                .iter()
                .map(|(_, roles)| {
                    roles
                        .iter()
                        .filter_map(|x| rolei(ti, x))
                        .fold(0u64, |b, k| b | 1 << k)
                })
                .collect::<Vec<_>>(),
        );
    }
    mark();
    let t0 = Instant::now();
    let mut ids: rustc_hash::FxHashMap<&str, u32> = Default::default();
    let mut ty: Vec<u8> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    // Entities are numbered in order of first appearance.
    let mut all: Vec<&str> = Vec::new();
    for (e, _, t) in &d.relations {
        all.push(e);
        all.push(t);
    }
    for a in &d.assignments {
        match &a.subject {
            Subject::Actor(u) => all.push(u),
            Subject::Set(g, _) => all.push(g),
        }
        all.push(&a.on);
    }
    for s in all {
        if !ids.contains_key(s) {
            ids.insert(s, ty.len() as u32);
            let tn = s.split(':').next().unwrap_or("");
            ty.push(tyi(tn).map_or(u8::MAX, |x| x as u8));
            parent.push(u32::MAX);
        }
    }
    for (e, _, t) in &d.relations {
        parent[ids[e.as_str()] as usize] = ids[t.as_str()];
    }
    let mut direct: rustc_hash::FxHashMap<(u32, u32), u64> = Default::default();
    let mut sets: rustc_hash::FxHashMap<u32, Vec<(u32, u8, u8)>> = Default::default();
    for a in &d.assignments {
        let on = ids[a.on.as_str()];
        let t = ty[on as usize] as usize;
        let r = rolei(t, a.role).ok_or("bad role")? as u8;
        match &a.subject {
            Subject::Actor(u) => *direct.entry((ids[u.as_str()], on)).or_default() |= 1 << r,
            Subject::Set(g, gr) => {
                let gid = ids[g.as_str()];
                let gt = ty[gid as usize] as usize;
                let gr = rolei(gt, gr).ok_or("bad role")? as u8;
                sets.entry(on).or_default().push((gid, gr, r));
            }
        }
    }
    let load = t0.elapsed();
    mark();
    let reqs = reqs
        .iter()
        .map(|r| {
            let t = tyi(r.ty).unwrap_or(0);
            let a = m.types[t]
                .perms
                .iter()
                .position(|p| p.0 == r.action)
                .unwrap_or(0);
            (
                ids.get(r.principal.as_str()).copied().unwrap_or(u32::MAX),
                ids.get(r.resource.as_str()).copied().unwrap_or(0),
                a,
            )
        })
        .collect();
    Ok((
        Box::new(Floor {
            ty,
            parent,
            direct,
            sets,
            incl,
            from,
            grant,
            reqs,
        }),
        load,
    ))
}

// ---------------------------------------------------------------- groups (Cedar, Casbin)

/// The role hierarchy as group edges, `(member, group)`: an actor is in `E#R` for each of its
/// assignments; `E#R` is in `E#R'` for each role R' that R includes (per entity); `P#S` is in
/// `E#R` when R is `from S on rel` and `E.rel = P`; a userset `G#S` assigned R on E is in `E#R`.
/// This is the policy's structure and the raw data, nothing closed: each engine derives the
/// effective roles itself at decision time (Cedar's `in` over its entity hierarchy, Casbin's
/// role manager walking `g` links).
pub fn group_edges(m: &Model, d: &Data) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut parent: rustc_hash::FxHashMap<&str, &str> = Default::default();
    for (e, _, t) in &d.relations {
        parent.insert(e.as_str(), t.as_str());
    }
    for (tn, e) in &d.entities {
        let t = m.ty(tn);
        for r in t.roles {
            for inc in r.includes {
                out.push((format!("{e}#{}", r.name), format!("{e}#{inc}")));
            }
            for (role, _rel) in r.from {
                if let Some(p) = parent.get(e.as_str()) {
                    out.push((format!("{p}#{role}"), format!("{e}#{}", r.name)));
                }
            }
        }
    }
    for a in &d.assignments {
        out.push((a.subject.text(), format!("{}#{}", a.on, a.role)));
    }
    out
}

// ---------------------------------------------------------------- Cedar

pub fn cedar_policies(m: &Model) -> String {
    let mut s = String::new();
    for t in m.types {
        for r in t.roles {
            let acts: Vec<String> = t
                .perms
                .iter()
                .filter(|p| p.1.contains(&r.name))
                .map(|p| format!("Action::\"{}/{}\"", t.name, p.0))
                .collect();
            if acts.is_empty() {
                continue;
            }
            let _ = writeln!(
                s,
                "permit(principal, action in [{}], resource is {}) when {{ principal in resource.{} }};",
                acts.join(", "),
                t.name,
                r.name
            );
        }
    }
    s
}

pub fn cedar_entities(m: &Model, d: &Data) -> String {
    let mut parents: rustc_hash::FxHashMap<String, Vec<String>> = Default::default();
    for (a, b) in group_edges(m, d) {
        parents.entry(a).or_default().push(b);
    }
    let uid = |s: &str| -> String {
        if s.starts_with("user:") || s.contains('#') {
            let ty = if s.contains('#') { "Role" } else { "user" };
            let id = if ty == "user" { &s[5..] } else { s };
            format!("{{\"type\":\"{ty}\",\"id\":\"{id}\"}}")
        } else {
            let (t, id) = s.split_once(':').unwrap_or(("", s));
            format!("{{\"type\":\"{t}\",\"id\":\"{id}\"}}")
        }
    };
    let mut out = String::from("[");
    let mut first = true;
    let mut push = |out: &mut String, s: String| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&s);
    };
    for (tn, e) in &d.entities {
        let t = m.ty(tn);
        let attrs: Vec<String> = t
            .roles
            .iter()
            .map(|r| {
                format!(
                    "\"{}\":{{\"__entity\":{}}}",
                    r.name,
                    uid(&format!("{e}#{}", r.name))
                )
            })
            .collect();
        push(
            &mut out,
            format!(
                "{{\"uid\":{},\"attrs\":{{{}}},\"parents\":[]}}",
                uid(e),
                attrs.join(",")
            ),
        );
    }
    for (member, groups) in &parents {
        let ps: Vec<String> = groups.iter().map(|g| uid(g)).collect();
        push(
            &mut out,
            format!(
                "{{\"uid\":{},\"attrs\":{{}},\"parents\":[{}]}}",
                uid(member),
                ps.join(",")
            ),
        );
    }
    out.push(']');
    out
}

struct Cedar {
    authorizer: cedar_policy::Authorizer,
    policies: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
    reqs: Vec<cedar_policy::Request>,
}

impl Bench for Cedar {
    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        self.authorizer
            .is_authorized(&self.reqs[i], &self.policies, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

fn cedar_uid(ty: &str, id: &str) -> Result<cedar_policy::EntityUid, String> {
    let t: cedar_policy::EntityTypeName = ty.parse().map_err(|e| format!("{e:?}"))?;
    Ok(cedar_policy::EntityUid::from_type_name_and_id(
        t,
        cedar_policy::EntityId::new(id),
    ))
}

fn cedar(m: &Model, d: &Data, reqs: &[Req], mark: &mut dyn FnMut()) -> Result<Loaded, String> {
    let policies: cedar_policy::PolicySet =
        cedar_policies(m).parse().map_err(|e| format!("{e:?}"))?;
    let text = cedar_entities(m, d);
    mark();
    let t = Instant::now();
    let entities =
        cedar_policy::Entities::from_json_str(&text, None).map_err(|e| format!("{e:?}"))?;
    let load = t.elapsed();
    mark();
    let mut rs = Vec::with_capacity(reqs.len());
    for r in reqs {
        let (pt, pid) = r.principal.split_once(':').unwrap_or(("user", ""));
        let (rt, rid) = r.resource.split_once(':').unwrap_or(("", ""));
        rs.push(
            cedar_policy::Request::new(
                cedar_uid(pt, pid)?,
                cedar_uid("Action", &format!("{}/{}", r.ty, r.action))?,
                cedar_uid(rt, rid)?,
                cedar_policy::Context::empty(),
                None,
            )
            .map_err(|e| format!("{e:?}"))?,
        );
    }
    Ok((
        Box::new(Cedar {
            authorizer: cedar_policy::Authorizer::new(),
            policies,
            entities,
            reqs: rs,
        }),
        load,
    ))
}

// ---------------------------------------------------------------- Rego (regorus)

/// The Rego policy: one function per resource type that tells whether the actor holds a role
/// there (its own assignments, usersets through `graph.reachable` over the group edges, and one
/// body per `from` edge calling the parent type's function). Rego has no recursion, so nested
/// teams are walked by `graph.reachable`.
pub fn rego_policy(m: &Model) -> String {
    let mut s = String::from("package authz\nimport rego.v1\n\ndefault allow := false\n\n");
    // Static policy structure: include closures and grants.
    let mut inc = Vec::new();
    let mut grants = Vec::new();
    for t in m.types {
        let roles: Vec<String> = t
            .roles
            .iter()
            .map(|r| {
                let c: Vec<String> = t
                    .closure(r.name)
                    .iter()
                    .map(|x| format!("\"{x}\""))
                    .collect();
                format!("\"{}\": {{{}}}", r.name, c.join(", "))
            })
            .collect();
        inc.push(format!("\"{}\": {{{}}}", t.name, roles.join(", ")));
        let perms: Vec<String> = t
            .perms
            .iter()
            .map(|(p, rs)| {
                let rs: Vec<String> = rs.iter().map(|x| format!("\"{x}\"")).collect();
                format!("\"{p}\": [{}]", rs.join(", "))
            })
            .collect();
        grants.push(format!("\"{}\": {{{}}}", t.name, perms.join(", ")));
    }
    let _ = writeln!(s, "inc := {{{}}}\n", inc.join(", "));
    let _ = writeln!(s, "grants := {{{}}}\n", grants.join(", "));
    let has_sets = m.name == "github";
    if has_sets {
        // The groups an actor is in: its own assignments (closed under includes), then every
        // group reachable through userset edges.
        s.push_str(
            "start(u) := {sprintf(\"%s#%s\", [e, r2]) | some e, rs in data.direct[u]; some r in rs; some r2 in inc[split(e, \":\")[0]][r]}\n\n\
             reach(u) := graph.reachable(data.groups, start(u))\n\n",
        );
    }
    for t in m.types {
        let _ = writeln!(
            s,
            "allow if {{\n  input.type == \"{0}\"\n  some need in grants.{0}[input.action]\n  has_{0}(input.principal, input.resource, need)\n}}\n",
            t.name
        );
        let _ = writeln!(
            s,
            "has_{0}(u, e, role) if {{\n  some r in data.direct[u][e]\n  inc.{0}[r][role]\n}}\n",
            t.name
        );
        if has_sets {
            let _ = writeln!(
                s,
                "has_{0}(u, e, role) if {{\n  some x in data.sets[e]\n  inc.{0}[x.role][role]\n  x.group in reach(u)\n}}\n",
                t.name
            );
        }
        for r in t.roles {
            for (role, rel) in r.from {
                let _ = writeln!(
                    s,
                    "has_{0}(u, e, role) if {{\n  inc.{0}.{1}[role]\n  has_{2}(u, data.rel[e].{2}, \"{3}\")\n}}\n",
                    t.name, r.name, rel, role
                );
            }
        }
    }
    s
}

/// `{"direct": {actor: {entity: [roles]}}, "sets": {entity: [{"group", "role"}]},
/// "groups": {group: [groups it is in]}, "rel": {entity: {relation: target}}}`.
pub fn rego_data(d: &Data) -> String {
    use std::collections::BTreeMap;
    let mut direct: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    let mut sets: BTreeMap<&str, Vec<(String, &str)>> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &d.assignments {
        match &a.subject {
            Subject::Actor(u) => direct
                .entry(u)
                .or_default()
                .entry(&a.on)
                .or_default()
                .push(a.role),
            Subject::Set(..) => {
                sets.entry(&a.on)
                    .or_default()
                    .push((a.subject.text(), a.role));
                groups
                    .entry(a.subject.text())
                    .or_default()
                    .push(format!("{}#{}", a.on, a.role));
            }
        }
    }
    let mut s = String::from("{\"direct\":{");
    for (i, (u, es)) in direct.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "\"{u}\":{{");
        for (k, (e, rs)) in es.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            let rs: Vec<String> = rs.iter().map(|r| format!("\"{r}\"")).collect();
            let _ = write!(s, "\"{e}\":[{}]", rs.join(","));
        }
        s.push('}');
    }
    s.push_str("},\"sets\":{");
    for (i, (e, xs)) in sets.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let xs: Vec<String> = xs
            .iter()
            .map(|(g, r)| format!("{{\"group\":\"{g}\",\"role\":\"{r}\"}}"))
            .collect();
        let _ = write!(s, "\"{e}\":[{}]", xs.join(","));
    }
    s.push_str("},\"groups\":{");
    for (i, (g, xs)) in groups.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let xs: Vec<String> = xs.iter().map(|x| format!("\"{x}\"")).collect();
        let _ = write!(s, "\"{g}\":[{}]", xs.join(","));
    }
    s.push_str("},\"rel\":{");
    for (i, (e, rel, t)) in d.relations.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "\"{e}\":{{\"{rel}\":\"{t}\"}}");
    }
    s.push_str("}}");
    s
}

const REGO_RULE: &str = "data.authz.allow";

enum RegoMode {
    Interp(Box<regorus::Engine>),
    Compiled(regorus::CompiledPolicy),
    Vm(Box<regorus::rvm::RegoVM>),
}

struct Rego {
    mode: RegoMode,
    reqs: Vec<regorus::Value>,
}

impl Bench for Rego {
    fn decide(&mut self, i: usize) -> bool {
        let input = self.reqs[i].clone();
        let v = match &mut self.mode {
            RegoMode::Interp(e) => {
                e.set_input(input);
                e.eval_rule(REGO_RULE.to_string()).s()
            }
            RegoMode::Compiled(c) => c.eval_with_input(input).s(),
            RegoMode::Vm(vm) => {
                vm.set_input(input);
                vm.execute_entry_point_by_name(REGO_RULE).s()
            }
        };
        matches!(v, Ok(regorus::Value::Bool(true)))
    }
}

trait RegoErr<T> {
    fn s(self) -> Result<T, String>;
}
impl<T, E: std::fmt::Display> RegoErr<T> for Result<T, E> {
    fn s(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

fn rego(
    mode: &str,
    m: &Model,
    d: &Data,
    reqs: &[Req],
    mark: &mut dyn FnMut(),
) -> Result<Loaded, String> {
    let policy = rego_policy(m);
    let text = rego_data(d);
    mark();
    let t = Instant::now();
    let mut engine = regorus::Engine::new();
    engine.add_policy("authz.rego".into(), policy).s()?;
    let mode = match mode {
        "regorus-interp" => {
            engine.add_data_json(&text).s()?;
            RegoMode::Interp(Box::new(engine))
        }
        "regorus-compiled" => {
            engine.add_data_json(&text).s()?;
            RegoMode::Compiled(engine.compile_with_entrypoint(&REGO_RULE.into()).s()?)
        }
        _ => {
            let data = regorus::Value::from_json_str(&text).s()?;
            let compiled = engine.compile_with_entrypoint(&REGO_RULE.into()).s()?;
            let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
                &compiled,
                &[REGO_RULE],
            )
            .s()?;
            let mut vm = regorus::rvm::RegoVM::new();
            vm.load_program(program);
            vm.set_data(data).s()?;
            RegoMode::Vm(Box::new(vm))
        }
    };
    let load = t.elapsed();
    mark();
    let mut rs = Vec::with_capacity(reqs.len());
    for r in reqs {
        let j = format!(
            "{{\"principal\":\"{}\",\"action\":\"{}\",\"resource\":\"{}\",\"type\":\"{}\"}}",
            r.principal, r.action, r.resource, r.ty
        );
        rs.push(regorus::Value::from_json_str(&j).s()?);
    }
    Ok((Box::new(Rego { mode, reqs: rs }), load))
}

// ---------------------------------------------------------------- Casbin

pub const CASBIN_MODEL: &str = "[request_definition]
r = sub, obj, act

[policy_definition]
p = obj, act, role

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = keyMatch(r.obj, p.obj) && r.act == p.act && g(r.sub, r.obj + \"/\" + p.role)
";

/// One `p` line per (type, permission, role that grants it); one `g` line per group edge.
pub fn casbin_policy(m: &Model, d: &Data) -> String {
    let mut s = String::new();
    for t in m.types {
        for (p, roles) in t.perms {
            for r in *roles {
                let _ = writeln!(s, "p, {}:*, {p}, {r}", t.name);
            }
        }
    }
    // `#` starts a comment in Casbin's model text: groups are written `E/R` here.
    for (a, b) in group_edges(m, d) {
        let _ = writeln!(s, "g, {}, {}", a.replace('#', "/"), b.replace('#', "/"));
    }
    s
}

struct Casbin {
    enforcer: casbin::Enforcer,
    reqs: Vec<(String, String, String)>,
}

impl Bench for Casbin {
    fn decide(&mut self, i: usize) -> bool {
        use casbin::CoreApi;
        let (s, o, a) = &self.reqs[i];
        self.enforcer
            .enforce((s.as_str(), o.as_str(), a.as_str()))
            .unwrap_or(false)
    }
}

fn casbin(m: &Model, d: &Data, reqs: &[Req], mark: &mut dyn FnMut()) -> Result<Loaded, String> {
    use casbin::CoreApi;
    let text = casbin_policy(m, d);
    let rt = tokio::runtime::Builder::new_current_thread().build().s()?;
    mark();
    let t = Instant::now();
    let enforcer = rt.block_on(async {
        let model = casbin::DefaultModel::from_str(CASBIN_MODEL).await?;
        let mut e = casbin::Enforcer::new_raw(model, casbin::StringAdapter::new(text)).await?;
        // Role chains here are longer than the default limit of 10 links (nested teams).
        e.set_role_manager(std::sync::Arc::new(parking_lot::RwLock::new(
            casbin::DefaultRoleManager::new(64),
        )))?;
        e.load_policy().await?;
        Ok::<_, casbin::Error>(e)
    });
    let enforcer = enforcer.s()?;
    let load = t.elapsed();
    mark();
    let reqs = reqs
        .iter()
        .map(|r| {
            (
                r.principal.clone(),
                r.resource.clone(),
                r.action.to_string(),
            )
        })
        .collect();
    // The adapter keeps the text: it is part of the enforcer's heap.
    Ok((Box::new(Casbin { enforcer, reqs }), load))
}
