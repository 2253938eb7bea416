#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Laws of evaluation over random policies, facts and requests, all written as Pol text:
//! the fast evaluator agrees with the reference evaluator on every request, and decisions obey
//! default deny, forbid overrides, fail-closed forbids, monotonicity and expiry.

mod common;

use common::{Chooser, Loaded, Model, NOW, Shape};
use proptest::prelude::*;

/// One generated case: the model, its policy and facts as text.
struct Case {
    model: Model,
    policy: String,
    facts: String,
}

fn case(data: &[u32], shape: Shape) -> (Case, Chooser<'_>) {
    let mut c = Chooser::new(data);
    let model = Model::new(&mut c);
    let policy = common::policy_text(&model, shape, &mut c);
    let facts = common::facts_text(&model, &mut c);
    (
        Case {
            model,
            policy,
            facts,
        },
        c,
    )
}

fn load(policy: &str, facts: &str) -> Result<Loaded, TestCaseError> {
    common::load(policy, facts)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", common::show(policy, facts))))
}

fn decisions(m: &Model, policy: &str, facts: &str) -> Result<Vec<(String, bool)>, TestCaseError> {
    let l = load(policy, facts)?;
    common::all_decisions(m, &l)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", common::show(policy, facts))))
}

fn choices() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(any::<u32>(), 0..400)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The fast evaluator (with and without explanations) and the reference evaluator agree on
    /// every (principal, action, resource), including a principal and resources the facts never
    /// name.
    #[test]
    fn fast_evaluator_agrees_with_reference(data in choices()) {
        let (k, _) = case(&data, Shape::default());
        decisions(&k.model, &k.policy, &k.facts)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Without facts and without `permit` rules nothing is allowed.
    #[test]
    fn default_deny(data in choices()) {
        let shape = Shape { no_permits: true, ..Shape::default() };
        let (k, _) = case(&data, shape);
        let facts = format!("context.now = \"{NOW}\";\n");
        for (req, allowed) in decisions(&k.model, &k.policy, &facts)? {
            prop_assert!(!allowed, "{req} is allowed\n{}", common::show(&k.policy, &facts));
        }
    }

    /// `forbid ACTION;` without a condition denies that action on every resource of its type,
    /// and so does a forbid whose condition cannot be evaluated (an attribute never set).
    #[test]
    fn forbid_overrides(data in choices()) {
        let (k, mut c) = case(&data, Shape::default());
        let t = c.pick(&k.model.chain).name;
        let action = *c.pick(common::PERMISSIONS);
        for rule in [
            format!("forbid {action};"),
            format!("forbid {action} when resource.ghost > 0;"),
            format!("forbid {action} unless resource.ghost == 0;"),
        ] {
            let policy = format!("{}extend resource {t} {{\n  {rule}\n}}\n", k.policy);
            for (req, allowed) in decisions(&k.model, &policy, &k.facts)? {
                let hit = req.contains(&format!(" {action} {t}:"));
                prop_assert!(
                    !(hit && allowed),
                    "{req} is allowed despite `{rule}`\n{}",
                    common::show(&policy, &k.facts)
                );
            }
        }
    }

    /// Monotonicity: in a policy without `default from` where `principal is` appears only in
    /// positive positions of permit conditions (not under `!`, not in `unless`, not in a
    /// forbid), adding an assignment never turns an allow into a deny.
    #[test]
    fn adding_an_assignment_keeps_permissions(data in choices()) {
        let shape = Shape { monotone: true, ..Shape::default() };
        let (k, mut c) = case(&data, shape);
        let extra = common::assignment(&k.model, &mut c);
        let more = format!("{}{extra}", k.facts);
        let before = decisions(&k.model, &k.policy, &k.facts)?;
        let after = decisions(&k.model, &k.policy, &more)?;
        for ((req, was), (_, now)) in before.iter().zip(&after) {
            prop_assert!(
                !*was || *now,
                "{req} is no longer allowed after adding `{}`\n{}",
                extra.trim(),
                common::show(&k.policy, &more)
            );
        }
    }

    /// An assignment that expired (`until` before or at `now`) gives the same decisions as no
    /// assignment at all.
    #[test]
    fn expired_assignments_grant_nothing(data in choices()) {
        let (k, mut c) = case(&data, Shape::default());
        let extra = common::assignment(&k.model, &mut c);
        let stem = extra.split(" until ").next().unwrap().trim_end_matches(";\n");
        let before = decisions(&k.model, &k.policy, &k.facts)?;
        for until in ["2026-01-01T00:00:00Z", NOW] {
            let more = format!("{}{stem} until \"{until}\";\n", k.facts);
            let after = decisions(&k.model, &k.policy, &more)?;
            for ((req, was), (_, now)) in before.iter().zip(&after) {
                prop_assert_eq!(
                    was,
                    now,
                    "{} changed after adding an expired assignment\n{}",
                    req,
                    common::show(&k.policy, &more)
                );
            }
        }
    }
}
