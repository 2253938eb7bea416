//! JSON requests (`eval::request::from_json`) against a fixed policy and facts, then `decide`:
//! a request is built or gives a diagnostic, and the fast evaluator agrees with the reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc::compiled::Policy;
use polc::eval::{Explainer, decide, reference, request};
use polc::facts::Facts;
use polc::source::SourceMap;
use std::sync::OnceLock;

const FACTS: &str = r#"
user:alice is owner on folder:root;
user:bob is lead on team:core until "2026-12-31T00:00:00Z";
team:core#member is viewer on folder:docs;
user:* is viewer on folder:public;
folder:docs.parent = folder:root;
folder:loop.parent = folder:loop;
folder:docs.teams = [team:core];
folder:docs.impact = "high";
folder:docs.approved = false;
folder:docs.created = "2026-01-01T00:00:00Z";
folder:docs.labels = ["ops"];
folder:docs.size = 3;
folder:root.impact = "low";
"#;

fn setup() -> &'static (Policy, Facts) {
    static S: OnceLock<(Policy, Facts)> = OnceLock::new();
    S.get_or_init(|| {
        let c = polc::compile_str("rich.pol", include_str!("../policies/rich.pol"));
        let Some(policy) = c.policy else {
            panic!("rich.pol does not compile")
        };
        let mut sources = c.sources;
        let Ok(facts) = Facts::from_pol_str(&policy, &mut sources, "data.pol", FACTS) else {
            panic!("the facts do not load")
        };
        (policy, facts)
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (policy, facts) = setup();
    let mut sources = SourceMap::new();
    let file = sources.add("request.json", text.as_ref());
    let Ok(req) = request::from_json(policy, facts, file, &text) else {
        return;
    };
    let fast = decide(policy, facts, &req);
    let slow = reference::decide(policy, facts, &req);
    assert_eq!(fast.allowed, slow, "fast and reference disagree on {text}");
    let x = Explainer { policy, facts };
    let _ = x.decision_json(&req, &fast);
});
