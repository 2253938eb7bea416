//! JSON facts against fixed policies (`policies/deeploy/deeploy.pol`, and `fuzz/policies/rich.pol` with
//! every kind of attribute): a document loads or gives diagnostics, never a panic. Loaded facts
//! are then used for one decision, so that whatever the checker lets through is evaluable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use polc::compiled::Policy;
use polc::eval::{Request, decide, reference};
use polc::facts::Facts;
use polc::source::SourceMap;
use std::sync::OnceLock;

fn policies() -> &'static [Policy; 2] {
    static P: OnceLock<[Policy; 2]> = OnceLock::new();
    P.get_or_init(|| {
        let load = |name: &str, text: &str| match polc::compile_str(name, text).policy {
            Some(p) => p,
            None => panic!("{name} does not compile"),
        };
        [
            // The declarations only: its `test` blocks are not what this target is about.
            load(
                "deeploy.pol",
                declarations(include_str!("../../policies/deeploy/deeploy.pol")),
            ),
            load("rich.pol", include_str!("../policies/rich.pol")),
        ]
    })
}

fn declarations(policy: &str) -> &str {
    policy.split("\ntest ").next().unwrap_or(policy)
}

fuzz_target!(|data: &[u8]| {
    let Some((which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (policy, requests): (&Policy, &[(&str, &str, &str)]) = if which % 2 == 0 {
        (&policies()[0], &[("user:alice", "view", "workspace:ml")])
    } else {
        (
            &policies()[1],
            &[
                ("user:alice", "edit", "folder:f"),
                ("user:bob", "admin.grant", "folder:f"),
            ],
        )
    };
    let mut sources = SourceMap::new();
    let Ok(facts) = Facts::from_json_str(policy, &mut sources, "data.json", &text) else {
        return;
    };
    for (p, a, r) in requests {
        if let Ok(req) = Request::new(policy, &facts, p, a, r) {
            let fast = decide(policy, &facts, &req);
            assert_eq!(fast.allowed, reference::decide(policy, &facts, &req));
        }
    }
});
