//! Random policies, facts and requests written as Pol text, for the property tests.
//!
//! Generation draws from a list of numbers ([`Chooser`]): a missing or zero number always picks
//! the simplest option (no rule, no condition, the first role...), so when proptest shrinks the
//! list towards shorter lists of smaller numbers, the policy and the facts shrink with it.
#![allow(dead_code)]

use polc::compiled::Policy;
use polc::eval::{self, Request, reference};
use polc::facts::Facts;
use polc::source::{FileId, SourceMap};
use std::fmt::Write;

/// `context.now` of every generated case; `until` values are placed around it.
pub const NOW: &str = "2026-06-01T00:00:00Z";
const BEFORE: &str = "2026-01-01T00:00:00Z";
const AFTER: &str = "2027-01-01T00:00:00Z";

/// The permissions of every generated resource type, and what grants and rules may name.
pub const PERMISSIONS: &[&str] = &["read", "write", "g.read", "g.sub.write", "admin"];
const ACTION_ITEMS: &[&str] = &[
    "read",
    "write",
    "g.read",
    "g.sub.write",
    "admin",
    "*",
    "g.*",
    "*.read",
];
const ROLE_NAMES: &[&str] = &["owner", "editor", "viewer", "guest"];
const CHAIN: &[&str] = &["org", "folder", "doc"];
const TEAM_ROLES: &[&str] = &["member", "lead"];

/// Draws choices from a list of numbers; past its end every choice is 0.
pub struct Chooser<'a> {
    data: &'a [u32],
    pos: usize,
}

impl Chooser<'_> {
    pub fn new(data: &[u32]) -> Chooser<'_> {
        Chooser { data, pos: 0 }
    }

    /// A number in `0..n` (0 when `n <= 1`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v as usize % n
    }

    /// True with about `percent`% probability; false on a zero choice.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) >= 100 - percent
    }

    pub fn pick<'x, T>(&mut self, xs: &'x [T]) -> &'x T {
        &xs[self.below(xs.len())]
    }
}

/// What a generated policy may contain.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shape {
    /// No `permit` rules.
    pub no_permits: bool,
    /// Adding an assignment can only add permissions: no `default from`, and `principal is`
    /// only in positive positions of permit conditions (never under `!`, in `unless`, or in a
    /// forbid).
    pub monotone: bool,
}

/// A resource type of the chain `org <- folder <- doc`.
#[derive(Clone, Debug)]
pub struct ChainType {
    pub name: &'static str,
    pub index: usize,
    pub roles: usize,
    /// Entity names.
    pub entities: Vec<String>,
}

/// The entities and names a generated policy declares, for the facts and the requests.
#[derive(Clone, Debug)]
pub struct Model {
    pub chain: Vec<ChainType>,
    pub teams: Vec<String>,
    pub users: Vec<String>,
}

impl Model {
    pub fn new(c: &mut Chooser) -> Model {
        let n = 2 + c.below(2);
        let chain = (0..n)
            .map(|k| ChainType {
                name: CHAIN[k],
                index: k,
                roles: 1 + c.below(4),
                entities: (0..1 + c.below(3))
                    .map(|i| format!("{}{i}", &CHAIN[k][..1]))
                    .collect(),
            })
            .collect();
        Model {
            chain,
            teams: (0..1 + c.below(3)).map(|i| format!("t{i}")).collect(),
            users: (0..1 + c.below(3)).map(|i| format!("u{i}")).collect(),
        }
    }

    fn has_parent(&self, k: usize) -> bool {
        self.chain[k].name == "folder"
    }

    /// Relation paths from chain type `k` to other chain types (or teams): (path, end type index
    /// in the chain, or `None` for team).
    fn paths(&self, k: usize) -> Vec<(String, Option<usize>)> {
        let mut out = Vec::new();
        if k > 0 {
            out.push(("up".to_string(), Some(k - 1)));
            out.push(("ups".to_string(), Some(k - 1)));
            out.push(("teams".to_string(), None));
            if self.has_parent(k - 1) {
                out.push(("up.parent".to_string(), Some(k - 1)));
            }
            if k > 1 {
                out.push(("up.up".to_string(), Some(k - 2)));
                out.push(("ups.ups".to_string(), Some(k - 2)));
            }
        }
        if self.has_parent(k) {
            out.push(("parent".to_string(), Some(k)));
            out.push(("parent.parent".to_string(), Some(k)));
            if k > 0 {
                out.push(("parent.up".to_string(), Some(k - 1)));
            }
        }
        out
    }

    /// Every request resource: `type:name` and the type's permissions.
    pub fn resources(&self) -> Vec<(String, &'static [&'static str])> {
        let mut out = Vec::new();
        for t in &self.chain {
            for e in &t.entities {
                out.push((format!("{}:{e}", t.name), PERMISSIONS));
            }
            // A resource the facts never name.
            out.push((format!("{}:nowhere", t.name), PERMISSIONS));
        }
        for t in &self.teams {
            out.push((format!("team:{t}"), &["view"][..]));
        }
        out
    }

    /// Every request principal, with one the facts never name.
    pub fn principals(&self) -> Vec<String> {
        let mut out: Vec<String> = self.users.iter().map(|u| format!("user:{u}")).collect();
        out.push("user:ghost".to_string());
        out
    }

    fn role(&self, k: usize, c: &mut Chooser) -> &'static str {
        ROLE_NAMES[c.below(self.chain[k].roles)]
    }
}

/// The policy text of a model.
pub fn policy_text(m: &Model, shape: Shape, c: &mut Chooser) -> String {
    let mut s = String::new();
    s.push_str(
        "actor user;\n\ncontext {\n  now: time;\n  mfa: bool;\n  tier: int;\n  \
         start: time;\n  opt?: bool;\n}\n\n\
         action {\n  soft?: bool;\n  reason: string;\n  weight?: int;\n}\n\n",
    );
    s.push_str(
        "resource team {\n  permissions view;\n  role member { grants view; }\n  \
         role lead { includes member; }\n}\n\n",
    );
    for t in &m.chain {
        let k = t.index;
        let _ = writeln!(s, "resource {} {{", t.name);
        if k > 0 {
            let up = m.chain[k - 1].name;
            let _ = writeln!(s, "  relation up: {up};\n  relation ups: [{up}];");
            s.push_str("  relation teams: [team];\n");
        }
        if m.has_parent(k) {
            let _ = writeln!(s, "  relation parent: {};", t.name);
        }
        s.push_str(
            "  attribute flag: bool;\n  attribute level: int;\n  \
             attribute kind: \"a\" | \"b\" | \"c\";\n  attribute note?: string;\n  \
             attribute ghost: int;\n  attribute tags: [string];\n  \
             attribute spot?: { org: string, loc?: string };\n  \
             attribute pairs: [{ org: string, loc: string }];\n  attribute age: duration;\n",
        );
        let _ = writeln!(s, "  permissions {};", PERMISSIONS.join(", "));
        for (i, name) in ROLE_NAMES.iter().enumerate().take(t.roles) {
            let _ = writeln!(s, "  role {name} {{");
            // Includes only point forward: acyclic.
            let inc: Vec<&str> = (i + 1..t.roles)
                .filter(|_| c.chance(30))
                .map(|j| ROLE_NAMES[j])
                .collect();
            if !inc.is_empty() {
                let _ = writeln!(s, "    includes {};", inc.join(", "));
            }
            let grants = dedup((0..c.below(3)).map(|_| *c.pick(ACTION_ITEMS)).collect());
            if !grants.is_empty() {
                let _ = writeln!(s, "    grants {};", grants.join(", "));
            }
            let paths = m.paths(k);
            let mut froms = Vec::new();
            for _ in 0..c.below(3) {
                if paths.is_empty() {
                    break;
                }
                let (path, end) = c.pick(&paths).clone();
                let role = match end {
                    Some(e) => m.role(e, c),
                    None => *c.pick(TEAM_ROLES),
                };
                let default = !shape.monotone && c.chance(35);
                let kw = if default { "default from" } else { "from" };
                froms.push(format!("    {kw} {role} on {path};"));
            }
            for f in dedup(froms) {
                let _ = writeln!(s, "{f}");
            }
            s.push_str("  }\n");
        }
        for _ in 0..c.below(4) {
            let forbid = shape.no_permits || c.chance(50);
            let actions = dedup((0..1 + c.below(2)).map(|_| *c.pick(ACTION_ITEMS)).collect());
            let word = if forbid { "forbid" } else { "permit" };
            let cond = match c.below(3) {
                0 => String::new(),
                n => {
                    let unless = n == 2;
                    // `is` may appear where a true answer can only allow more.
                    let is_ok = !shape.monotone || (!forbid && !unless);
                    let e = expr(m, k, 2, is_ok, !unless, shape, c);
                    format!(" {} {e}", if unless { "unless" } else { "when" })
                }
            };
            let _ = writeln!(s, "  {word} {}{cond};", actions.join(", "));
        }
        s.push_str("}\n\n");
    }
    s
}

fn dedup<T: PartialEq + Clone>(mut v: Vec<T>) -> Vec<T> {
    let mut seen = Vec::new();
    v.retain(|x| {
        if seen.contains(x) {
            false
        } else {
            seen.push(x.clone());
            true
        }
    });
    v
}

/// A bool condition on chain type `k`. `positive` is the polarity of this position (flipped by
/// `!`); with a monotone shape `is` is only generated in positive positions when `is_ok`.
fn expr(
    m: &Model,
    k: usize,
    depth: usize,
    is_ok: bool,
    positive: bool,
    shape: Shape,
    c: &mut Chooser,
) -> String {
    if depth > 0 && c.chance(40) {
        return match c.below(3) {
            0 => format!(
                "({} && {})",
                expr(m, k, depth - 1, is_ok, positive, shape, c),
                expr(m, k, depth - 1, is_ok, positive, shape, c)
            ),
            1 => format!(
                "({} || {})",
                expr(m, k, depth - 1, is_ok, positive, shape, c),
                expr(m, k, depth - 1, is_ok, positive, shape, c)
            ),
            _ => format!("!({})", expr(m, k, depth - 1, is_ok, !positive, shape, c)),
        };
    }
    let allow_is = is_ok && (positive || !shape.monotone);
    let n = c.below(3);
    let mut atoms: Vec<String> = vec![
        "resource.flag".into(),
        format!("resource.level > {n}"),
        format!("resource.level == {n}"),
        "resource.kind == \"a\"".into(),
        "resource.kind != \"b\"".into(),
        "resource has flag".into(),
        "resource has note".into(),
        "(resource has note && resource.note == \"x\")".into(),
        "context.mfa".into(),
        format!("context.tier >= {n}"),
        "resource.tags.contains(\"x\")".into(),
        "resource.tags.containsAny([\"x\", \"z\"])".into(),
        "resource.tags.containsAll([\"y\", \"x\"])".into(),
        "resource.tags == [\"y\", \"x\", \"y\"]".into(),
        "(resource has spot && resource.spot.org == \"a\")".into(),
        "(resource has spot && resource.spot has loc && resource.spot.loc == \"p\")".into(),
        "(resource has spot && resource.spot == {org: \"a\"})".into(),
        "resource.pairs.contains({loc: \"p\", org: \"a\"})".into(),
        "context.now - context.start > 1d".into(),
        "context.now - 1d12h < context.start".into(),
        "context.now.timeOfDay(-5h) >= 12h".into(),
        "context.now.dayOfWeek(resource.age) == \"monday\"".into(),
        "resource.age + 1h > -2h".into(),
        "-resource.age < 0s".into(),
        "principal is user".into(),
        format!("resource is {}", m.chain[k].name),
        "(context has opt && context.opt)".into(),
        "(action has soft && action.soft)".into(),
        "action has reason".into(),
        "action.reason == \"x\"".into(),
        format!("(action has weight && action.weight >= {n})"),
    ];
    if k > 0 {
        atoms.push("resource has up".into());
        atoms.push("resource.up.flag".into());
    }
    if allow_is {
        let r = m.role(k, c);
        atoms.push(format!("principal is {r} on resource"));
        atoms.push(format!("principal is {} on team:t0", c.pick(TEAM_ROLES)));
        if k > 0 {
            let r = m.role(k - 1, c);
            atoms.push(format!("principal is {r} on resource.up"));
        }
    }
    c.pick(&atoms).clone()
}

/// The facts text of a model: relations, attributes, team memberships, assignments, context.
pub fn facts_text(m: &Model, c: &mut Chooser) -> String {
    let mut s = format!("context.now = \"{NOW}\";\n");
    if c.chance(60) {
        let _ = writeln!(s, "context.mfa = {};", c.chance(50));
    }
    if c.chance(60) {
        let _ = writeln!(s, "context.tier = {};", c.below(3));
    }
    if c.chance(60) {
        let _ = writeln!(s, "context.start = \"{}\";", c.pick(&[BEFORE, AFTER, NOW]));
    }
    if c.chance(50) {
        let _ = writeln!(s, "context.opt = {};", c.chance(50));
    }
    if c.chance(50) {
        let _ = writeln!(s, "action.soft = {};", c.chance(50));
    }
    if c.chance(50) {
        let _ = writeln!(s, "action.reason = \"{}\";", c.pick(&["x", "y"]));
    }
    for t in &m.chain {
        let k = t.index;
        for e in &t.entities {
            let me = format!("{}:{e}", t.name);
            if k > 0 {
                let up = &m.chain[k - 1];
                if c.chance(70) {
                    let _ = writeln!(s, "{me}.up = {}:{};", up.name, c.pick(&up.entities));
                }
                if c.chance(40) {
                    let list = subset(&up.entities, up.name, c);
                    let _ = writeln!(s, "{me}.ups = [{list}];");
                }
                if c.chance(40) {
                    let list = subset(&m.teams, "team", c);
                    let _ = writeln!(s, "{me}.teams = [{list}];");
                }
            }
            if m.has_parent(k) && c.chance(60) {
                // Possibly itself or a loop: cycles in the data.
                let _ = writeln!(s, "{me}.parent = {}:{};", t.name, c.pick(&t.entities));
            }
            if c.chance(60) {
                let _ = writeln!(s, "{me}.flag = {};", c.chance(50));
            }
            if c.chance(60) {
                let _ = writeln!(s, "{me}.level = {};", c.below(4));
            }
            if c.chance(60) {
                let _ = writeln!(s, "{me}.kind = \"{}\";", c.pick(&["a", "b", "c"]));
            }
            if c.chance(40) {
                let _ = writeln!(s, "{me}.note = \"{}\";", c.pick(&["x", "y"]));
            }
            if c.chance(60) {
                let tags = ["x", "y"]
                    .iter()
                    .filter(|_| c.chance(50))
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = writeln!(s, "{me}.tags = [{tags}];");
            }
            if c.chance(50) {
                let spot = c.pick(&[
                    "{org: \"a\"}",
                    "{org: \"b\", loc: \"p\"}",
                    "{loc: \"p\", org: \"a\"}",
                ]);
                let _ = writeln!(s, "{me}.spot = {spot};");
            }
            if c.chance(50) {
                let pairs = c.pick(&[
                    "[]",
                    "[{org: \"a\", loc: \"p\"}]",
                    "[{org: \"b\", loc: \"p\"}, {org: \"a\", loc: \"q\"}]",
                ]);
                let _ = writeln!(s, "{me}.pairs = {pairs};");
            }
            if c.chance(50) {
                let _ = writeln!(s, "{me}.age = {};", c.pick(&["-5h", "1d12h", "0s", "2w"]));
            }
        }
    }
    for _ in 0..c.below(5) {
        let on = c.pick(&m.teams).clone();
        let role = c.pick(TEAM_ROLES);
        let subject = if c.chance(40) {
            format!("team:{}#{}", c.pick(&m.teams), c.pick(TEAM_ROLES))
        } else {
            format!("user:{}", c.pick(&m.users))
        };
        let _ = writeln!(s, "{subject} is {role} on team:{on};");
    }
    for _ in 0..c.below(9) {
        s.push_str(&assignment(m, c));
    }
    s
}

/// One random assignment on a chain entity.
pub fn assignment(m: &Model, c: &mut Chooser) -> String {
    let t = &m.chain[c.below(m.chain.len())];
    let on = format!("{}:{}", t.name, c.pick(&t.entities));
    let role = ROLE_NAMES[c.below(t.roles)];
    let subject = match c.below(6) {
        0..=3 => format!("user:{}", c.pick(&m.users)),
        4 => "user:*".to_string(),
        _ => format!("team:{}#{}", c.pick(&m.teams), c.pick(TEAM_ROLES)),
    };
    let until = match c.below(5) {
        0..=1 => String::new(),
        2 => format!(" until \"{BEFORE}\""),
        3 => format!(" until \"{AFTER}\""),
        _ => format!(" until \"{NOW}\""),
    };
    format!("{subject} is {role} on {on}{until};\n")
}

fn subset(names: &[String], ty: &str, c: &mut Chooser) -> String {
    names
        .iter()
        .filter(|_| c.chance(50))
        .map(|n| format!("{ty}:{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A compiled policy with its loaded facts.
pub struct Loaded {
    pub policy: Policy,
    pub facts: Facts,
}

/// Compiles `policy` and loads `facts`; `Err` with every diagnostic otherwise.
pub fn load(policy: &str, facts: &str) -> Result<Loaded, String> {
    let mut sources = SourceMap::new();
    sources.add("policy.pol", policy);
    let comp = polc::compile_sources(sources);
    if comp.has_errors() {
        return Err(format!(
            "the policy does not compile: {:#?}",
            comp.diagnostics
        ));
    }
    let policy = comp.policy.ok_or("no policy")?;
    let fl = polc::syntax::parse_facts(FileId(1), facts)
        .map_err(|d| format!("the facts do not parse: {d:#?}"))?;
    let mut f = Facts::new(&policy);
    polc::facts::pol::load(&policy, &mut f, &fl)
        .map_err(|d| format!("the facts do not load: {d:#?}"))?;
    Ok(Loaded { policy, facts: f })
}

/// A decision by both evaluators (and the fast one with and without explanations), or a
/// message naming the disagreement.
pub fn decide_all(l: &Loaded, p: &str, action: &str, r: &str) -> Result<bool, String> {
    let req = Request::new(&l.policy, &l.facts, p, action, r)
        .map_err(|d| format!("bad request {p} {action} {r}: {d:?}"))?;
    let fast = eval::decide(&l.policy, &l.facts, &req);
    let quick = eval::decide_with(&l.policy, &l.facts, &req, false);
    let slow = reference::decide(&l.policy, &l.facts, &req);
    // Without reasons, the flattened path must give exactly what the walk gives.
    let walk = eval::decide_walk(&l.policy, &l.facts, &req, false);
    if quick != walk {
        return Err(format!(
            "can {p} {action} {r}: without reasons {quick:?}, the walk without reasons {walk:?}"
        ));
    }
    if fast.allowed != slow || quick.allowed != slow {
        let x = eval::Explainer {
            policy: &l.policy,
            facts: &l.facts,
        };
        let reasons: Vec<String> = fast.reasons.iter().map(|r| x.reason(&req, r)).collect();
        return Err(format!(
            "can {p} {action} {r}: fast (explain) {}, fast (no explain) {}, reference {slow}\n\
             reasons: {reasons:#?}\nerrors: {:#?}",
            fast.allowed, quick.allowed, fast.errors
        ));
    }
    agree_with_request_data(l, &req, &format!("can {p} {action} {r}"))?;
    Ok(slow)
}

/// Request-time attributes of the resource (AuthZEN `resource.properties`), read through the
/// library function the server and `polc eval` use; each overrides the facts for one request.
const REQUEST_DATA: [&str; 4] = [
    r#"{"flag": true, "note": "x"}"#,
    r#"{"level": 2, "kind": "b", "tags": ["x", "z"]}"#,
    r#"{"spot": {"org": "a", "loc": "p"}, "pairs": [{"org": "a", "loc": "p"}], "age": "-1d"}"#,
    r#"{"flag": false, "ghost": 1, "spot": {"org": "b"}, "tags": []}"#,
];

/// Request-time action properties (AuthZEN `action.properties`), on top of those the facts set.
const ACTION_DATA: [&str; 3] = [
    r#"{"soft": true, "weight": 1}"#,
    r#"{"soft": false, "reason": "x", "weight": 3}"#,
    r#"{"reason": "y", "unknown": 1}"#,
];

/// The fast evaluator and the reference agree on the request with each of [`REQUEST_DATA`]
/// (the generated models declare every one of these attributes) and each of [`ACTION_DATA`].
fn agree_with_request_data(l: &Loaded, req: &Request, shown: &str) -> Result<(), String> {
    use polc::eval::request::{Side, UnknownProperty};
    for data in ACTION_DATA {
        let mut with = req.clone();
        let props: serde_json::Value = serde_json::from_str(data).unwrap();
        if with
            .context
            .apply_action_json(
                &l.policy,
                &l.facts,
                &serde_json::json!({ "name": "x", "properties": props }),
                UnknownProperty::Ignore,
                polc::source::Span::default(),
            )
            .is_err()
        {
            continue;
        }
        let fast = eval::decide(&l.policy, &l.facts, &with);
        let quick = eval::decide_with(&l.policy, &l.facts, &with, false);
        let slow = reference::decide(&l.policy, &l.facts, &with);
        if fast.allowed != slow || quick.allowed != slow {
            return Err(format!(
                "{shown} with action properties {data}: fast {}, fast (no explain) {}, \
                 reference {slow}\nerrors: {:#?}",
                fast.allowed, quick.allowed, fast.errors
            ));
        }
    }
    for data in REQUEST_DATA {
        let mut with = req.clone();
        let props: serde_json::Value = serde_json::from_str(data).unwrap();
        // Policies other than the generated ones declare other attributes: what a type does
        // not declare is skipped, and data that does not fit its types is not sent.
        if with
            .context
            .apply_properties_json(
                &l.policy,
                &l.facts,
                Side::Resource,
                req.resource.ty,
                &serde_json::json!({ "properties": props }),
                "resource",
                UnknownProperty::Ignore,
                polc::source::Span::default(),
            )
            .is_err()
        {
            continue;
        }
        let fast = eval::decide(&l.policy, &l.facts, &with);
        let quick = eval::decide_with(&l.policy, &l.facts, &with, false);
        let slow = reference::decide(&l.policy, &l.facts, &with);
        if fast.allowed != slow || quick.allowed != slow {
            return Err(format!(
                "{shown} with resource properties {data}: fast {}, fast (no explain) {}, \
                 reference {slow}\nerrors: {:#?}",
                fast.allowed, quick.allowed, fast.errors
            ));
        }
    }
    Ok(())
}

/// Every decision of a model, in a fixed order of (principal, action, resource).
pub fn all_decisions(m: &Model, l: &Loaded) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    for p in m.principals() {
        for (r, actions) in m.resources() {
            for a in actions {
                let ok = decide_all(l, &p, a, &r)?;
                out.push((format!("{p} {a} {r}"), ok));
            }
        }
    }
    Ok(out)
}

/// The policy and facts, for a failure message.
pub fn show(policy: &str, facts: &str) -> String {
    format!("----- POLICY\n{policy}----- FACTS\n{facts}-----")
}
