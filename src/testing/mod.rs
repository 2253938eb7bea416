//! `polc test`: runs the `test` blocks of a policy. Each test starts from empty facts and applies
//! its steps in order (`use`, facts, context settings, assertions), so a test can change the
//! data between assertions.

pub mod coverage;
pub mod report;

pub use coverage::Coverage;

use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::eval::Context;
use crate::eval::query::{self, Answer};
use crate::facts::{Facts, display_entity, pol};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Assertion, Expected, Item, TestStep};
use rustc_hash::FxHashMap;

/// A failed assertion or step.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// Where the failed assertion or step is written.
    pub span: Span,
    /// `file:line:column`
    pub location: String,
    /// The assertion or fact as written.
    pub statement: String,
    /// What was expected, in words (`allow`, `facts that fit the policy`).
    pub expected: String,
    /// What came out instead, in the same words.
    pub actual: String,
    /// The derivation, the rule that denied, or the diagnostics of a bad step.
    pub why: Vec<String>,
}

/// One test's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct TestResult {
    /// The test's name as written (`test "owners can delete" { .. }`).
    pub name: String,
    /// `file:line:column` of the test's name.
    pub location: String,
    /// The file that declares the test.
    pub file: String,
    /// How many assertions ran.
    pub assertions: usize,
    /// The assertions and steps that failed; empty when the test passed.
    pub failures: Vec<Failure>,
}

impl TestResult {
    /// Whether no assertion or step failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Every test's outcome, and what they exercised.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The tests, in the order of the files and of the tests in them.
    pub tests: Vec<TestResult>,
    /// What the tests exercised, over all of them.
    pub coverage: Coverage,
}

impl Report {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.passed()).count()
    }
    /// How many tests failed.
    pub fn failed(&self) -> usize {
        self.tests.len() - self.passed()
    }
}

/// The `facts` blocks of the files, by name.
fn facts_blocks(files: &[ast::File]) -> FxHashMap<&str, &ast::FactsBlock> {
    let mut out = FxHashMap::default();
    for item in files.iter().flat_map(|f| &f.items) {
        if let Item::Facts(b) = item {
            out.entry(b.name.name.as_str()).or_insert(b);
        }
    }
    out
}

/// Runs every test whose name contains `filter`.
pub fn run(
    policy: &Policy,
    files: &[ast::File],
    sources: &SourceMap,
    filter: Option<&str>,
) -> Report {
    let blocks = facts_blocks(files);
    let mut report = Report::default();
    for item in files.iter().flat_map(|f| &f.items) {
        let Item::Test(t) = item else { continue };
        if filter.is_some_and(|f| !t.name.value.contains(f)) {
            continue;
        }
        let result = run_one(policy, &blocks, sources, t, &mut report.coverage);
        report.tests.push(result);
    }
    report
}

fn run_one(
    policy: &Policy,
    blocks: &FxHashMap<&str, &ast::FactsBlock>,
    sources: &SourceMap,
    t: &ast::TestBlock,
    cov: &mut Coverage,
) -> TestResult {
    let mut facts = Facts::new(policy);
    let mut result = TestResult {
        name: t.name.value.clone(),
        location: sources.location(t.name.span),
        file: sources.name(t.span.file).to_string(),
        assertions: 0,
        failures: Vec::new(),
    };
    let statement = |span: Span| sources.slice(span).trim().to_string();
    let bad_step = |span: Span, diags: Vec<Diagnostic>| Failure {
        span,
        location: sources.location(span),
        statement: statement(span),
        expected: "facts that fit the policy".into(),
        actual: format!("{} problem(s)", diags.len()),
        why: diags
            .iter()
            .map(|d| {
                format!(
                    "{}: {} ({})",
                    d.code,
                    d.message,
                    d.span().map(|s| sources.location(s)).unwrap_or_default()
                )
            })
            .collect(),
    };
    for step in &t.steps {
        match step {
            TestStep::Use(name) => match blocks.get(name.name.as_str()) {
                Some(b) => {
                    if let Err(diags) = pol::load(policy, &mut facts, &b.facts) {
                        result.failures.push(bad_step(name.span, diags));
                    }
                }
                None => result.failures.push(bad_step(
                    name.span,
                    vec![
                        Diagnostic::new(
                            Code::E0207,
                            format!("no facts block is named `{}`", name.name),
                        )
                        .primary(name.span, ""),
                    ],
                )),
            },
            TestStep::Fact(f) => {
                if let Err(diags) = pol::load(policy, &mut facts, [f]) {
                    result.failures.push(bad_step(f.span(), diags));
                }
            }
            TestStep::Retract(f) => match pol::check_fact(policy, f) {
                Ok(checked) => {
                    if facts.retract_fact(&checked) == 0 {
                        result.failures.push(Failure {
                            span: f.span(),
                            location: sources.location(f.span()),
                            statement: statement(f.span()),
                            expected: "an assignment to retract".into(),
                            actual: "no such assignment".into(),
                            why: vec![
                                "the facts of the test so far hold no such assignment".into(),
                            ],
                        });
                    }
                }
                Err(d) => result.failures.push(bad_step(f.span(), vec![d])),
            },
            TestStep::Assert(a) => {
                result.assertions += 1;
                let ctx = Context::from_facts(policy, &facts);
                if let Some(f) = check_assertion(policy, &facts, &ctx, sources, a, cov) {
                    result.failures.push(f);
                }
            }
        }
    }
    result
}

/// How an expected item reads: `user:alice`, `user:*`, `view`.
pub fn expected_name(e: &Expected) -> String {
    match e {
        Expected::Entity(r) => display_entity(&r.ty.name, &r.id.value),
        Expected::Wildcard { ty, .. } => format!("{}:*", ty.name),
        Expected::Permission(p) => p.name.clone(),
    }
}

fn check_assertion(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    sources: &SourceMap,
    a: &Assertion,
    cov: &mut Coverage,
) -> Option<Failure> {
    let span = a.span();
    let query = match a {
        Assertion::Holds { query, .. } | Assertion::Equals { query, .. } => query,
    };
    let fail = |expected: String, actual: String, why: Vec<String>| Failure {
        span,
        location: sources.location(span),
        statement: sources.slice(span).trim().to_string(),
        expected,
        actual,
        why,
    };
    let answer = match query::run(policy, facts, ctx, query) {
        Ok(a) => a,
        Err(d) => {
            return Some(fail(
                "a valid query".into(),
                "an error".into(),
                vec![format!("{}: {}", d.code, d.message)],
            ));
        }
    };
    cov.record(policy, facts, query, &answer);
    match (a, &answer) {
        (
            Assertion::Holds { expect, .. },
            Answer::Decision {
                decision, reasons, ..
            },
        ) => {
            if decision.allowed == *expect {
                return None;
            }
            let word = |b: bool| if b { "allow" } else { "deny" };
            let mut why = reasons.clone();
            why.extend(decision.errors.iter().map(|e| format!("error: {e}")));
            Some(fail(
                word(*expect).into(),
                word(decision.allowed).into(),
                why,
            ))
        }
        (
            Assertion::Holds { expect, .. },
            Answer::Assign {
                decision,
                reasons,
                errors,
            },
        ) => {
            if decision.allowed == *expect {
                return None;
            }
            let word = |b: bool| if b { "allow" } else { "deny" };
            let mut why = reasons.clone();
            why.extend(errors.iter().map(|e| format!("error: {e}")));
            Some(fail(
                word(*expect).into(),
                word(decision.allowed).into(),
                why,
            ))
        }
        (
            Assertion::Holds { expect, .. },
            Answer::Role {
                holds,
                reason,
                errors,
                ..
            },
        ) => {
            if holds == expect {
                return None;
            }
            let word = |b: bool| {
                if b {
                    "holds the role"
                } else {
                    "does not hold the role"
                }
            };
            let mut why = vec![reason.clone()];
            why.extend(errors.iter().map(|e| format!("error: {e}")));
            Some(fail(word(*expect).into(), word(*holds).into(), why))
        }
        (Assertion::Equals { expected, .. }, Answer::List { items, errors }) => {
            let mut want: Vec<String> = expected.iter().map(expected_name).collect();
            want.sort();
            want.dedup();
            let mut got: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
            got.sort();
            if want == got {
                return None;
            }
            let mut why = Vec::new();
            for i in items.iter().filter(|i| !want.contains(&i.name)) {
                why.push(format!("unexpected {}: {}", i.name, i.reason));
            }
            for w in want.iter().filter(|w| !got.contains(w)) {
                why.push(format!("missing {w}"));
            }
            why.extend(errors.iter().map(|e| format!("error: {e}")));
            Some(fail(
                format!("[{}]", want.join(", ")),
                format!("[{}]", got.join(", ")),
                why,
            ))
        }
        _ => Some(fail(
            "an assertion that fits the query".into(),
            "a mismatch".into(),
            vec![
                "`==` lists go with `who`, `what` and `which` queries; `can` and `is` stand alone"
                    .into(),
            ],
        )),
    }
}

/// Checks the facts of every `facts` block and test, and the names in every assertion, against
/// the policy, without running anything: what `polc check` reports about tests.
pub fn check_static(policy: &Policy, files: &[ast::File]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let empty = Facts::new(policy);
    let ctx = Context::from_facts(policy, &empty);
    let fact = |f: &ast::Fact, out: &mut Vec<Diagnostic>| {
        if let Err(d) = pol::check_fact(policy, f) {
            out.push(d);
        }
    };
    for item in files.iter().flat_map(|f| &f.items) {
        match item {
            Item::Facts(b) => b.facts.iter().for_each(|f| fact(f, &mut out)),
            Item::Fact(f) => fact(f, &mut out),
            Item::Test(t) => {
                for step in &t.steps {
                    match step {
                        TestStep::Fact(f) | TestStep::Retract(f) => fact(f, &mut out),
                        TestStep::Assert(a) => {
                            out.extend(check_assertion_names(policy, &empty, &ctx, a))
                        }
                        TestStep::Use(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Unknown names in an assertion: the query's, and those of its expected list.
fn check_assertion_names(
    policy: &Policy,
    facts: &Facts,
    ctx: &Context,
    a: &Assertion,
) -> Vec<Diagnostic> {
    let (query, expected) = match a {
        Assertion::Holds { query, .. } => (query, &[][..]),
        Assertion::Equals {
            query, expected, ..
        } => (query, expected.as_slice()),
    };
    let mut out = Vec::new();
    if let Err(d) = query::run(policy, facts, ctx, query) {
        out.push(d);
        return out;
    }
    let checker = crate::facts::check::Checker::new(policy);
    let perm_type = match query {
        ast::Query::WhatCan { resource, .. } => policy.type_id(&resource.ty.name),
        _ => None,
    };
    for e in expected {
        match e {
            Expected::Entity(r) => {
                if let Err(d) = checker.ty(crate::facts::check::Named {
                    name: &r.ty.name,
                    span: r.ty.span,
                }) {
                    out.push(d);
                }
            }
            Expected::Wildcard { ty, .. } => {
                if let Err(d) = checker.ty(crate::facts::check::Named {
                    name: &ty.name,
                    span: ty.span,
                }) {
                    out.push(d);
                }
            }
            Expected::Permission(p) => {
                if let Some(t) = perm_type
                    && let Err(d) = crate::eval::request::action(policy, t, &p.name, p.span)
                {
                    out.push(d);
                }
            }
        }
    }
    out
}
