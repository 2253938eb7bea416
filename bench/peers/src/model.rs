//! The two workloads as one neutral description (types, roles, includes, `from` edges, grants),
//! and a deterministic generator of data and requests. Every engine's policy and data are
//! produced mechanically from these, so that the engines answer the same questions.

/// A role of a resource type.
pub struct RoleSpec {
    pub name: &'static str,
    pub includes: &'static [&'static str],
    /// `from ROLE on RELATION` (the relation is named after its single target type).
    pub from: &'static [(&'static str, &'static str)],
}

pub struct TypeSpec {
    pub name: &'static str,
    /// Single-valued relations, each named after the type it points to.
    pub relations: &'static [&'static str],
    /// permission -> the roles that grant it themselves.
    pub perms: &'static [(&'static str, &'static [&'static str])],
    pub roles: &'static [RoleSpec],
}

pub struct Model {
    pub name: &'static str,
    pub types: &'static [TypeSpec],
}

impl Model {
    pub fn ty(&self, name: &str) -> &TypeSpec {
        self.types
            .iter()
            .find(|t| t.name == name)
            .unwrap_or(&self.types[0])
    }
}

impl TypeSpec {
    pub fn role(&self, name: &str) -> Option<&RoleSpec> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The roles that `role` includes, transitively, itself first.
    pub fn closure(&self, role: &str) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        let mut todo = vec![role];
        while let Some(r) = todo.pop() {
            if let Some(spec) = self.role(r)
                && !out.contains(&spec.name)
            {
                out.push(spec.name);
                todo.extend(spec.includes.iter().copied());
            }
        }
        out
    }
}

pub const DEEPLOY: Model = Model {
    name: "deeploy",
    types: &[
        TypeSpec {
            name: "organization",
            relations: &[],
            perms: &[("view", &["member"]), ("manage", &["admin"])],
            roles: &[
                RoleSpec {
                    name: "admin",
                    includes: &["member"],
                    from: &[],
                },
                RoleSpec {
                    name: "member",
                    includes: &[],
                    from: &[],
                },
            ],
        },
        TypeSpec {
            name: "workspace",
            relations: &["organization"],
            perms: &[
                ("view", &["reviewer"]),
                ("create_deployments", &["operator"]),
                ("manage_members", &["owner"]),
                ("delete", &["owner"]),
            ],
            roles: &[
                RoleSpec {
                    name: "owner",
                    includes: &["operator"],
                    from: &[("admin", "organization")],
                },
                RoleSpec {
                    name: "operator",
                    includes: &["reviewer"],
                    from: &[],
                },
                RoleSpec {
                    name: "reviewer",
                    includes: &[],
                    from: &[],
                },
            ],
        },
        TypeSpec {
            name: "deployment",
            relations: &["workspace"],
            perms: &[
                ("view", &["viewer"]),
                ("deploy", &["deployer"]),
                ("delete", &["owner"]),
            ],
            roles: &[
                RoleSpec {
                    name: "owner",
                    includes: &["deployer"],
                    from: &[("owner", "workspace")],
                },
                RoleSpec {
                    name: "deployer",
                    includes: &["viewer"],
                    from: &[("operator", "workspace")],
                },
                RoleSpec {
                    name: "viewer",
                    includes: &[],
                    from: &[("reviewer", "workspace")],
                },
            ],
        },
    ],
};

pub const GITHUB: Model = Model {
    name: "github",
    types: &[
        TypeSpec {
            name: "organization",
            relations: &[],
            perms: &[("view", &["member"]), ("administer", &["owner"])],
            roles: &[
                RoleSpec {
                    name: "owner",
                    includes: &["member"],
                    from: &[],
                },
                RoleSpec {
                    name: "member",
                    includes: &[],
                    from: &[],
                },
            ],
        },
        TypeSpec {
            name: "team",
            relations: &[],
            perms: &[("view", &["member"]), ("manage", &["maintainer"])],
            roles: &[
                RoleSpec {
                    name: "maintainer",
                    includes: &["member"],
                    from: &[],
                },
                RoleSpec {
                    name: "member",
                    includes: &[],
                    from: &[],
                },
            ],
        },
        TypeSpec {
            name: "repository",
            relations: &["organization"],
            perms: &[
                ("read", &["read"]),
                ("triage", &["triage"]),
                ("write", &["write"]),
                ("maintain", &["maintain"]),
                ("admin", &["admin"]),
            ],
            roles: &[
                RoleSpec {
                    name: "admin",
                    includes: &["maintain"],
                    from: &[("owner", "organization")],
                },
                RoleSpec {
                    name: "maintain",
                    includes: &["write"],
                    from: &[],
                },
                RoleSpec {
                    name: "write",
                    includes: &["triage"],
                    from: &[],
                },
                RoleSpec {
                    name: "triage",
                    includes: &["read"],
                    from: &[],
                },
                // The organization's base role: every member reads.
                RoleSpec {
                    name: "read",
                    includes: &[],
                    from: &[("member", "organization")],
                },
            ],
        },
    ],
};

pub fn model(name: &str) -> Option<&'static Model> {
    match name {
        "deeploy" => Some(&DEEPLOY),
        "github" => Some(&GITHUB),
        _ => None,
    }
}

/// The Pol source of a model.
pub fn pol(m: &Model) -> String {
    let mut s = String::from("actor user;\n\n");
    for t in m.types {
        s.push_str(&format!("resource {} {{\n", t.name));
        for r in t.relations {
            s.push_str(&format!("  relation {r}: {r};\n"));
        }
        let perms: Vec<&str> = t.perms.iter().map(|p| p.0).collect();
        s.push_str(&format!("  permissions {};\n", perms.join(", ")));
        for r in t.roles {
            s.push_str(&format!("  role {} {{\n", r.name));
            if !r.includes.is_empty() {
                s.push_str(&format!("    includes {};\n", r.includes.join(", ")));
            }
            let grants: Vec<&str> = t
                .perms
                .iter()
                .filter(|p| p.1.contains(&r.name))
                .map(|p| p.0)
                .collect();
            if !grants.is_empty() {
                s.push_str(&format!("    grants {};\n", grants.join(", ")));
            }
            for (role, rel) in r.from {
                s.push_str(&format!("    from {role} on {rel};\n"));
            }
            s.push_str("  }\n");
        }
        s.push_str("}\n\n");
    }
    s
}

/// Who an assignment is for.
#[derive(Clone, Debug)]
pub enum Subject {
    Actor(String),
    /// Everyone holding the role on the entity (`team:core#member`).
    Set(String, &'static str),
}

#[derive(Clone, Debug)]
pub struct Assignment {
    pub subject: Subject,
    pub role: &'static str,
    pub on: String,
}

#[derive(Clone, Debug)]
pub struct Req {
    pub principal: String,
    pub action: &'static str,
    pub ty: &'static str,
    pub resource: String,
}

#[derive(Default)]
pub struct Data {
    pub assignments: Vec<Assignment>,
    /// (entity, relation, target)
    pub relations: Vec<(String, &'static str, String)>,
    /// Every resource entity, with its type.
    pub entities: Vec<(&'static str, String)>,
}

impl Subject {
    pub fn text(&self) -> String {
        match self {
            Subject::Actor(a) => a.clone(),
            Subject::Set(e, r) => format!("{e}#{r}"),
        }
    }
}

/// splitmix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Generates `n` assignments of the workload, with its relations.
pub fn generate(m: &Model, n: usize, seed: u64) -> Data {
    match m.name {
        "deeploy" => deeploy(n, seed),
        _ => github(n, seed),
    }
}

fn deeploy(n: usize, seed: u64) -> Data {
    let mut rng = Rng::new(seed);
    let users = n / 4 + 2;
    let orgs = (n / 200).max(1);
    let workspaces = (n / 20).max(2);
    let deployments = (n / 5).max(4);
    let mut d = Data::default();
    let org_of = |w: usize| w % orgs;
    let ws_of = |x: usize| x % workspaces;
    for o in 0..orgs {
        d.entities
            .push(("organization", format!("organization:o{o}")));
    }
    for w in 0..workspaces {
        d.entities.push(("workspace", format!("workspace:w{w}")));
        d.relations.push((
            format!("workspace:w{w}"),
            "organization",
            format!("organization:o{}", org_of(w)),
        ));
    }
    for x in 0..deployments {
        d.entities.push(("deployment", format!("deployment:d{x}")));
        d.relations.push((
            format!("deployment:d{x}"),
            "workspace",
            format!("workspace:w{}", ws_of(x)),
        ));
    }
    for _ in 0..n {
        let user = format!("user:u{}", rng.below(users));
        let k = rng.below(100);
        let (role, on) = if k < 3 {
            ("admin", format!("organization:o{}", rng.below(orgs)))
        } else if k < 10 {
            ("member", format!("organization:o{}", rng.below(orgs)))
        } else if k < 45 {
            let r = *rng.pick(&[
                "owner", "operator", "operator", "reviewer", "reviewer", "reviewer",
            ]);
            (r, format!("workspace:w{}", rng.below(workspaces)))
        } else {
            let r = *rng.pick(&[
                "owner", "deployer", "deployer", "viewer", "viewer", "viewer",
            ]);
            (r, format!("deployment:d{}", rng.below(deployments)))
        };
        d.assignments.push(Assignment {
            subject: Subject::Actor(user),
            role,
            on,
        });
    }
    d
}

fn github(n: usize, seed: u64) -> Data {
    let mut rng = Rng::new(seed);
    let users = n / 4 + 2;
    let orgs = (n / 500).max(1);
    let teams = (n / 20).max(2);
    let repos = (n / 10).max(2);
    let mut d = Data::default();
    for o in 0..orgs {
        d.entities
            .push(("organization", format!("organization:o{o}")));
    }
    for t in 0..teams {
        d.entities.push(("team", format!("team:t{t}")));
    }
    for r in 0..repos {
        d.entities.push(("repository", format!("repository:r{r}")));
        d.relations.push((
            format!("repository:r{r}"),
            "organization",
            format!("organization:o{}", r % orgs),
        ));
    }
    // Teams are nested inside their organization (team t belongs to organization t % orgs): the
    // parent has a lower number, so the nesting has no cycle.
    for t in orgs..teams {
        if d.assignments.len() < n && rng.chance(60) {
            let parent = t % orgs + orgs * rng.below(t / orgs);
            d.assignments.push(Assignment {
                subject: Subject::Set(format!("team:t{t}"), "member"),
                role: "member",
                on: format!("team:t{parent}"),
            });
        }
    }
    while d.assignments.len() < n {
        let k = rng.below(100);
        let a = if k < 20 {
            // A team's role on a repository of its organization.
            let t = rng.below(teams);
            let r = (t % orgs) + orgs * rng.below(repos / orgs);
            let role = *rng.pick(&["read", "triage", "write", "write", "maintain", "admin"]);
            Assignment {
                subject: Subject::Set(format!("team:t{t}"), "member"),
                role,
                on: format!("repository:r{r}"),
            }
        } else if k < 40 {
            let role = *rng.pick(&["read", "triage", "write", "maintain", "admin"]);
            Assignment {
                subject: Subject::Actor(format!("user:u{}", rng.below(users))),
                role,
                on: format!("repository:r{}", rng.below(repos)),
            }
        } else if k < 50 {
            let role = if rng.chance(10) { "owner" } else { "member" };
            Assignment {
                subject: Subject::Actor(format!("user:u{}", rng.below(users))),
                role,
                on: format!("organization:o{}", rng.below(orgs)),
            }
        } else {
            let role = if rng.chance(10) {
                "maintainer"
            } else {
                "member"
            };
            Assignment {
                subject: Subject::Actor(format!("user:u{}", rng.below(users))),
                role,
                on: format!("team:t{}", rng.below(teams)),
            }
        };
        d.assignments.push(a);
    }
    d
}

/// `count` requests: half from an assignment's actor towards a resource at or below the
/// assignment (mostly allowed), half at random (mostly denied).
pub fn requests(m: &Model, d: &Data, count: usize, seed: u64) -> Vec<Req> {
    let mut rng = Rng::new(seed ^ 0x5EED);
    // parent -> children, to walk down from an assignment.
    let mut children: rustc_hash::FxHashMap<&str, Vec<&str>> = Default::default();
    for (e, _, t) in &d.relations {
        children.entry(t.as_str()).or_default().push(e.as_str());
    }
    // group -> its direct members' actors (for usersets), to find someone in a team.
    let mut members: rustc_hash::FxHashMap<String, Vec<&str>> = Default::default();
    for a in &d.assignments {
        if let Subject::Actor(u) = &a.subject {
            members.entry(a.on.clone()).or_default().push(u.as_str());
        }
    }
    let actors: Vec<&str> = d
        .assignments
        .iter()
        .filter_map(|a| match &a.subject {
            Subject::Actor(u) => Some(u.as_str()),
            Subject::Set(..) => None,
        })
        .collect();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let (principal, mut resource) = if rng.chance(50) {
            let a = rng.pick(&d.assignments);
            let p = match &a.subject {
                Subject::Actor(u) => Some(u.to_string()),
                Subject::Set(g, _) => members.get(g.as_str()).map(|v| rng.pick(v).to_string()),
            };
            let Some(p) = p else { continue };
            (p, a.on.clone())
        } else {
            let (_, e) = rng.pick(&d.entities);
            (rng.pick(&actors).to_string(), e.clone())
        };
        // Walk down a few levels.
        while rng.chance(60) {
            match children.get(resource.as_str()) {
                Some(c) => resource = rng.pick(c).to_string(),
                None => break,
            }
        }
        let ty_name = resource.split(':').next().unwrap_or("");
        let t = m.ty(ty_name);
        let action = rng.pick(t.perms).0;
        out.push(Req {
            principal,
            action,
            ty: t.name,
            resource,
        });
    }
    out
}
