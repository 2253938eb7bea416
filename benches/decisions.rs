//! Decision, batch, JSON loading, query and compile benchmarks over the generated Deeploy-like
//! workload of `common`. Run with `cargo bench --bench decisions`; figures in
//! `docs/performance.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Probes, Shape};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use polc::compiled::Policy;
use polc::eval::{self, Context, Request, query};
use polc::facts::{Facts, Value};
use polc::source::{FileId, SourceMap};
use std::hint::black_box;
use std::time::Duration;

/// The data set sizes, in role assignments.
const SIZES: [usize; 2] = [1_000, 100_000];
const BATCH: usize = 10_000;
const SEED: u64 = 42;

/// One generated, loaded data set.
struct Data {
    shape: Shape,
    json: String,
    policy: Policy,
    facts: Facts,
}

fn data_sets() -> Vec<Data> {
    SIZES
        .iter()
        .map(|&n| {
            let shape = Shape::for_assignments(n);
            let json = common::facts_json(&shape, SEED);
            let policy = common::policy();
            let facts = common::load(&policy, &json);
            assert_eq!(facts.assignment_count(), n);
            Data {
                shape,
                json,
                policy,
                facts,
            }
        })
        .collect()
}

fn quick<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.sample_size(30);
    g
}

fn single_decisions(c: &mut Criterion, sets: &[Data]) {
    for (group, explain) in [("decide_fast", false), ("decide_explained", true)] {
        let mut g = quick(c, group);
        for d in sets {
            for (case, probe) in Probes::ALL {
                let req = common::request(&d.policy, &d.facts, probe);
                let expected = !case.starts_with("d_");
                let got = eval::decide_with(&d.policy, &d.facts, &req, explain);
                assert_eq!(got.allowed, expected, "{case}: {got:?}");
                assert!(got.errors.is_empty(), "{case}: {:?}", got.errors);
                g.bench_with_input(
                    BenchmarkId::new(case, d.shape.assignments),
                    &req,
                    |b, req| {
                        b.iter(|| eval::decide_with(&d.policy, &d.facts, black_box(req), explain))
                    },
                );
            }
        }
        g.finish();
    }
}

/// The benchmark policy with rules on request data: a resource property the request gives
/// (`resource.ticket`) and an action property (`action.dry_run`).
const REQUEST_DATA_RULES: &str = r#"
action { dry_run?: bool; }

extend resource run {
  attribute ticket?: string;
  /// Executions name a change ticket.
  forbid execute unless resource has ticket && resource.ticket != "";
  /// A dry run executes nothing.
  forbid execute when action has dry_run && action.dry_run;
}
"#;

/// `decide_fast` on requests that carry their own data (AuthZEN `resource.properties` and
/// `action.properties`, applied once outside the loop through the library functions the server
/// uses), beside the same probe with the same data in the request and a deny by the action
/// property. The request's data is read before the facts: no fact holds `ticket`.
fn request_data_decisions(c: &mut Criterion, sets: &[Data]) {
    use polc::eval::request::{Side, UnknownProperty};
    let mut sources = SourceMap::new();
    sources.add("deeploy.pol", common::POLICY);
    sources.add("request_data.pol", REQUEST_DATA_RULES);
    let comp = polc::compile_sources(sources);
    assert!(!comp.has_errors(), "{:#?}", comp.diagnostics);
    let policy = comp.policy.expect("the request-data policy compiles");
    let mut g = quick(c, "decide_fast_request_data");
    for d in sets {
        let facts = common::load(&policy, &d.json);
        let base = common::request(&policy, &facts, Probes::RUN);
        for (case, dry_run, expected) in [("allow", false, true), ("deny_by_action", true, false)] {
            let mut req = base.clone();
            let span = polc::source::Span::default();
            req.context
                .apply_properties_json(
                    &policy,
                    &facts,
                    Side::Resource,
                    req.resource.ty,
                    &serde_json::json!({"properties": {"ticket": "CHG-1", "impact": "low"}}),
                    "resource",
                    UnknownProperty::Refuse,
                    span,
                )
                .expect("the resource properties are declared");
            req.context
                .apply_action_json(
                    &policy,
                    &facts,
                    &serde_json::json!({"name": "execute", "properties": {"dry_run": dry_run}}),
                    UnknownProperty::Refuse,
                    span,
                )
                .expect("the action property is declared");
            let got = eval::decide_with(&policy, &facts, &req, false);
            assert_eq!(got.allowed, expected, "{case}: {got:?}");
            assert!(got.errors.is_empty(), "{case}: {:?}", got.errors);
            assert_eq!(
                polc::eval::reference::decide(&policy, &facts, &req),
                expected,
                "{case}: the reference evaluator"
            );
            g.bench_with_input(
                BenchmarkId::new(case, d.shape.assignments),
                &req,
                |b, req| b.iter(|| eval::decide_with(&policy, &facts, black_box(req), false)),
            );
        }
        // Without the request's data the ticket rule fails closed: a deny.
        assert!(!eval::decide_with(&policy, &facts, &base, false).allowed);
    }
    g.finish();
}

fn batch(c: &mut Criterion, sets: &[Data]) {
    let mut g = quick(c, "batch_10k");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    for d in sets {
        let reqs = common::mixed_requests(&d.policy, &d.facts, &d.shape, BATCH);
        let allowed = reqs
            .iter()
            .filter(|r| eval::decide_with(&d.policy, &d.facts, r, false).allowed)
            .count();
        eprintln!(
            "batch_10k/{}: {allowed} of {BATCH} requests allowed",
            d.shape.assignments
        );
        for (name, explain) in [("fast", false), ("explained", true)] {
            g.bench_with_input(
                BenchmarkId::new(name, d.shape.assignments),
                &reqs,
                |b, reqs: &Vec<Request>| {
                    b.iter(|| {
                        reqs.iter()
                            .filter(|r| eval::decide_with(&d.policy, &d.facts, r, explain).allowed)
                            .count()
                    })
                },
            );
        }
    }
    g.finish();
}

fn load_json(c: &mut Criterion, sets: &[Data]) {
    let mut g = quick(c, "load_json");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(4));
    for d in sets {
        g.throughput(Throughput::Elements(d.shape.assignments as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(d.shape.assignments),
            &d.json,
            |b, json| b.iter_with_large_drop(|| common::load(&d.policy, json)),
        );
    }
    g.finish();
}

fn queries(c: &mut Criterion, sets: &[Data]) {
    let mut g = quick(c, "query");
    g.sample_size(10);
    for d in sets {
        let mut ctx = Context::from_facts(&d.policy, &d.facts);
        let mfa = d.policy.context_field("mfa").unwrap();
        ctx.set(&d.policy, mfa, Value::Bool(true));
        for (name, text) in [
            ("who_can_delete_workspace", "who can delete workspace:w0"),
            (
                "which_workspace_can_view",
                "which workspace can user:probe_admin view",
            ),
        ] {
            let q = polc::syntax::parse_query(FileId(0), text).unwrap();
            let answer = query::run(&d.policy, &d.facts, &ctx, &q).unwrap();
            assert!(!answer.names().is_empty(), "{text}: empty answer");
            g.bench_with_input(BenchmarkId::new(name, d.shape.assignments), &q, |b, q| {
                b.iter(|| query::run(&d.policy, &d.facts, &ctx, black_box(q)).unwrap())
            });
        }
    }
    g.finish();
}

fn compile(c: &mut Criterion) {
    let mut g = quick(c, "compile");
    g.bench_function("deeploy_policy", |b| {
        b.iter(|| {
            let mut sources = SourceMap::new();
            sources.add("deeploy.pol", black_box(common::POLICY));
            polc::compile_sources(sources)
        })
    });
    g.finish();
}

/// Building a request for probe (b): from names each time (`Request::new`, reads the clock),
/// into one reused request from names (`set_names`) and from ids resolved once (`set_ids`).
fn build_requests(c: &mut Criterion, sets: &[Data]) {
    let mut g = quick(c, "build_request");
    for d in sets {
        let (p, a, r) = Probes::ORG_ADMIN;
        let (policy, facts) = (&d.policy, &d.facts);
        let n = d.shape.assignments;
        g.bench_function(BenchmarkId::new("new_from_names", n), |b| {
            b.iter(|| Request::new(policy, facts, black_box(p), black_box(a), black_box(r)))
        });
        let mut req = Request::new(policy, facts, p, a, r).unwrap();
        g.bench_function(BenchmarkId::new("set_names_reused", n), |b| {
            b.iter(|| {
                req.set_names(policy, facts, black_box(p), black_box(a), black_box(r))
                    .unwrap();
            })
        });
        let (pid, rid) = (req.principal.id.unwrap(), req.resource.id.unwrap());
        let action = req.action;
        g.bench_function(BenchmarkId::new("set_ids_reused", n), |b| {
            b.iter(|| {
                req.set_ids(policy, facts, black_box(pid), action, black_box(rid))
                    .unwrap();
            })
        });
        assert!(eval::decide_with(policy, facts, &req, false).allowed);
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    let sets = data_sets();
    build_requests(c, &sets);
    single_decisions(c, &sets);
    request_data_decisions(c, &sets);
    batch(c, &sets);
    load_json(c, &sets);
    queries(c, &sets);
    compile(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
