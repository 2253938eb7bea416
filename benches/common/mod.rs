//! A deterministic, Deeploy-like workload for the benchmarks and `examples/memory.rs`:
//! the policy of LANGUAGE.md section 2 plus a `deployment` resource, and a JSON facts document
//! with a chosen number of role assignments over organizations, workspaces, deployments and runs.
//!
//! Everything comes from a seeded LCG, so two runs measure the same data.

#![allow(dead_code)]

use polc::compiled::Policy;
use polc::eval::Request;
use polc::facts::{Facts, Subject, Value};
use polc::source::{FileId, SourceMap};
use std::fmt::Write;

/// The policy: LANGUAGE.md section 2 (declarations only) and a `deployment` resource whose roles
/// come from the workspace's.
pub const POLICY: &str = r#"/// Anyone who logs in.
actor user;

context {
  now: time;
  mfa: bool;
}

resource organization {
  permissions view_logs, manage_controls, invite_users, delete;

  role admin {
    includes governance_manager;
    grants invite_users, delete;
    min 1;
    elevated review 90d;
  }
  role governance_manager {
    includes member;
    grants view_logs, manage_controls;
  }
  role member;
}

resource workspace {
  relation organization: organization;
  permissions view, create_deployments, manage_members, delete;

  role owner {
    includes operator;
    grants manage_members, delete;
    from admin on organization;
  }
  role operator {
    includes reviewer;
    grants create_deployments;
  }
  role reviewer {
    grants view;
    default from governance_manager on organization;
  }
}

resource deployment {
  relation workspace: workspace;
  permissions view, update, delete;

  role owner {
    includes viewer;
    grants update, delete;
    from operator on workspace;
  }
  role viewer {
    grants view;
    from reviewer on workspace;
  }
}

resource run {
  relation workspace: workspace;
  attribute impact: "low" | "medium" | "high";
  attribute approved: bool;
  attribute run_notes?: string;
  permissions request, approve, execute, complete;

  role requester { grants request; }
  role approver  { grants approve; }
  role executor  { grants execute, complete; from operator on workspace; }

  separate requester, approver;

  /// High-impact runs cannot skip approval.
  forbid execute when resource.impact == "high" && !resource.approved;
  /// Whoever requested a high-impact run may not approve it.
  forbid approve when resource.impact == "high" && principal is requester on resource;
  /// Run notes are required before a run is marked complete.
  forbid complete unless resource has run_notes;
  /// Every high-impact action needs a second factor.
  forbid * when resource.impact == "high" && !context.mfa;
}
"#;

/// A 64-bit LCG (Knuth's MMIX constants); the high bits are the output.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The shape of a generated data set.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub assignments: usize,
    pub organizations: usize,
    pub workspaces: usize,
    pub deployments: usize,
    pub runs: usize,
    pub users: usize,
}

impl Shape {
    /// 1,000 workspaces at 100,000 assignments (100 assignments per workspace, fewer workspaces
    /// for smaller sets), 20 workspaces per organization, 5 deployments and 1 run per workspace,
    /// one user per 5 assignments.
    pub fn for_assignments(assignments: usize) -> Shape {
        let workspaces = (assignments / 100).clamp(10, 1000);
        Shape {
            assignments,
            organizations: (workspaces / 20).max(2),
            workspaces,
            deployments: workspaces * 5,
            runs: workspaces,
            users: (assignments / 5).max(20),
        }
    }
}

/// The probe requests of the single-decision benchmarks, as `(principal, action, resource)`.
pub struct Probes;

impl Probes {
    /// (a) a direct workspace role: `probe_op` is operator on `workspace:w0`.
    pub const DIRECT: (&str, &str, &str) = ("user:probe_op", "create_deployments", "workspace:w0");
    /// (b) through `from admin on organization`: `probe_admin` is admin on `organization:o0`.
    pub const ORG_ADMIN: (&str, &str, &str) = ("user:probe_admin", "delete", "workspace:w0");
    /// (c) two hops: deployment owner <- workspace operator (owner) <- organization admin.
    pub const TWO_HOP: (&str, &str, &str) = ("user:probe_admin", "delete", "deployment:d0");
    /// (d) a deny: `probe_out` holds a role elsewhere (reviewer on w1, in another
    /// organization), none on w0 or its organization.
    pub const DENY: (&str, &str, &str) = ("user:probe_out", "delete", "workspace:w0");
    /// (e) a run with forbid rules: `run:r0` is high-impact and approved, the context sets
    /// `mfa = true`, so both forbids on `execute` are evaluated and neither applies.
    pub const RUN: (&str, &str, &str) = ("user:probe_op", "execute", "run:r0");

    pub const ALL: [(&str, (&str, &str, &str)); 5] = [
        ("a_direct_role", Probes::DIRECT),
        ("b_org_admin", Probes::ORG_ADMIN),
        ("c_two_hop", Probes::TWO_HOP),
        ("d_deny", Probes::DENY),
        ("e_run_forbids", Probes::RUN),
    ];
}

/// The facts JSON document (LANGUAGE.md section 4) with exactly `shape.assignments` role
/// assignments (at least the 8 probe and per-organization ones).
pub fn facts_json(shape: &Shape, seed: u64) -> String {
    let mut rng = Lcg::new(seed);
    let mut out = String::with_capacity(shape.assignments * 80 + shape.deployments * 80);
    let mut n = 0usize;
    out.push_str("{\n\"assignments\": [\n");
    let assign = |out: &mut String, n: &mut usize, actor: &str, role: &str, on: &str, until| {
        if *n > 0 {
            out.push_str(",\n");
        }
        *n += 1;
        let _ = write!(
            out,
            r#"{{"actor": "{actor}", "role": "{role}", "on": "{on}""#
        );
        if until {
            out.push_str(r#", "until": "2099-01-01T00:00:00Z""#);
        }
        out.push('}');
    };
    // The probes (the organization of w1 is o1, not o0).
    assign(
        &mut out,
        &mut n,
        "user:probe_op",
        "operator",
        "workspace:w0",
        false,
    );
    assign(
        &mut out,
        &mut n,
        "user:probe_admin",
        "admin",
        "organization:o0",
        false,
    );
    assign(
        &mut out,
        &mut n,
        "user:probe_out",
        "reviewer",
        "workspace:w1",
        false,
    );
    // Every organization: 2 admins (elevated: with `until`), 3 governance managers.
    for o in 0..shape.organizations {
        let on = format!("organization:o{o}");
        for _ in 0..2 {
            let u = format!("user:u{}", rng.below(shape.users));
            assign(&mut out, &mut n, &u, "admin", &on, true);
        }
        for _ in 0..3 {
            let u = format!("user:u{}", rng.below(shape.users));
            assign(&mut out, &mut n, &u, "governance_manager", &on, false);
        }
    }
    // The rest: 55% workspace roles, 40% deployment roles, 5% run roles.
    let mut actor = String::new();
    let mut on = String::new();
    while n < shape.assignments {
        actor.clear();
        on.clear();
        let _ = write!(actor, "user:u{}", rng.below(shape.users));
        let kind = rng.below(100);
        let role = if kind < 55 {
            let _ = write!(on, "workspace:w{}", rng.below(shape.workspaces));
            match rng.below(10) {
                0 => "owner",
                1..=3 => "operator",
                _ => "reviewer",
            }
        } else if kind < 95 {
            let _ = write!(on, "deployment:d{}", rng.below(shape.deployments));
            if rng.below(10) < 4 { "owner" } else { "viewer" }
        } else {
            let _ = write!(on, "run:r{}", rng.below(shape.runs));
            match rng.below(3) {
                0 => "requester",
                1 => "approver",
                _ => "executor",
            }
        };
        let until = rng.below(10) == 0;
        assign(&mut out, &mut n, &actor, role, &on, until);
    }
    out.push_str("\n],\n\"relations\": [\n");
    let mut first = true;
    let mut relation = |out: &mut String, from: String, rel: &str, to: String| {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        let _ = write!(
            out,
            r#"{{"from": "{from}", "relation": "{rel}", "to": "{to}"}}"#
        );
    };
    for w in 0..shape.workspaces {
        let o = w % shape.organizations;
        relation(
            &mut out,
            format!("workspace:w{w}"),
            "organization",
            format!("organization:o{o}"),
        );
    }
    for d in 0..shape.deployments {
        let w = d % shape.workspaces;
        relation(
            &mut out,
            format!("deployment:d{d}"),
            "workspace",
            format!("workspace:w{w}"),
        );
    }
    for r in 0..shape.runs {
        let w = r % shape.workspaces;
        relation(
            &mut out,
            format!("run:r{r}"),
            "workspace",
            format!("workspace:w{w}"),
        );
    }
    out.push_str("\n],\n\"attributes\": {\n");
    for r in 0..shape.runs {
        if r > 0 {
            out.push_str(",\n");
        }
        // r0 (the probe) is high-impact and approved.
        let impact = ["high", "low", "medium"][r % 3];
        let approved = r % 2 == 0;
        let _ = write!(
            out,
            r#""run:r{r}": {{"impact": "{impact}", "approved": {approved}"#
        );
        if r % 4 != 1 {
            let _ = write!(out, r#", "run_notes": "notes of run {r}""#);
        }
        out.push('}');
    }
    out.push_str("\n}\n}\n");
    out
}

/// Compiles [`POLICY`]; panics on a diagnostic (the benchmark's policy must compile).
pub fn policy() -> Policy {
    let mut sources = SourceMap::new();
    sources.add("deeploy.pol", POLICY);
    let c = polc::compile_sources(sources);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    c.policy.expect("the benchmark policy compiles")
}

/// Loads a facts document through the real JSON loader.
pub fn load(policy: &Policy, json: &str) -> Facts {
    polc::facts::json::load(policy, FileId(0), json)
        .unwrap_or_else(|d| panic!("generated facts do not load: {d:#?}"))
}

/// A request with `context.mfa = true` (and `now` the current time).
pub fn request(policy: &Policy, facts: &Facts, (p, a, r): (&str, &str, &str)) -> Request {
    let mut req = Request::new(policy, facts, p, a, r)
        .unwrap_or_else(|d| panic!("bad probe request {p} {a} {r}: {d:?}"));
    let mfa = policy
        .context_field("mfa")
        .expect("the policy declares mfa");
    req.context.set(policy, mfa, Value::Bool(true));
    req
}

/// A deterministic mix of requests over the data set. Half start from an assignment in the facts
/// (its actor, on its resource, or on a workspace of its organization: mostly allows), half are a
/// random user on a random resource (mostly denies). By resource: about 60% workspaces, 30%
/// deployments, 10% runs.
pub fn mixed_requests(policy: &Policy, facts: &Facts, shape: &Shape, count: usize) -> Vec<Request> {
    let assigned: Vec<(String, String)> = facts
        .assignments()
        .filter_map(|(_, a)| match a.subject {
            Subject::Actor(e) => Some((facts.display(policy, e), facts.display(policy, a.on))),
            _ => None,
        })
        .collect();
    let mut rng = Lcg::new(0xDEC1DE);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (user, resource) = if rng.below(2) == 0 {
            let (user, on) = assigned[rng.below(assigned.len())].clone();
            let on = match on.strip_prefix("organization:o") {
                Some(o) => {
                    let o: usize = o.parse().expect("generated organization names");
                    let per_org = shape.workspaces / shape.organizations;
                    let w = o + shape.organizations * rng.below(per_org.max(1));
                    format!("workspace:w{}", w.min(shape.workspaces - 1))
                }
                None => on,
            };
            (user, on)
        } else {
            let user = format!("user:u{}", rng.below(shape.users));
            let resource = match rng.below(10) {
                0..=5 => format!("workspace:w{}", rng.below(shape.workspaces)),
                6..=8 => format!("deployment:d{}", rng.below(shape.deployments)),
                _ => format!("run:r{}", rng.below(shape.runs)),
            };
            (user, resource)
        };
        let actions: &[&str] = match resource.split(':').next() {
            Some("workspace") => &["view", "create_deployments", "manage_members", "delete"],
            Some("deployment") => &["view", "update", "delete"],
            _ => &["request", "approve", "execute", "complete"],
        };
        let action = actions[rng.below(actions.len())];
        out.push(request(policy, facts, (&user, action, &resource)));
    }
    out
}
