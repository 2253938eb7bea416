//! Evaluation on generated policies: the fuzzer's bytes drive the random policy and facts
//! generator of the property tests (`tests/common/mod.rs`), and every decision of the fast
//! evaluator (with and without explanations) must equal the reference evaluator's. The artifact
//! round trip must keep every decision too.
#![no_main]

#[allow(dead_code, clippy::all)]
#[path = "../../tests/common/mod.rs"]
mod common;

use common::{Chooser, Model, Shape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((shape, rest)) = data.split_first() else {
        return;
    };
    // Two bytes a choice: enough for every `below(n)` of the generator.
    let choices: Vec<u32> = rest
        .chunks(2)
        .map(|c| c.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
        .collect();
    let shape = Shape {
        no_permits: shape & 1 != 0,
        monotone: shape & 2 != 0,
    };
    let mut c = Chooser::new(&choices);
    let model = Model::new(&mut c);
    let policy = common::policy_text(&model, shape, &mut c);
    let facts = common::facts_text(&model, &mut c);
    let loaded = match common::load(&policy, &facts) {
        Ok(l) => l,
        Err(e) => panic!(
            "a generated case does not load: {e}\n{}",
            common::show(&policy, &facts)
        ),
    };
    let before = match common::all_decisions(&model, &loaded) {
        Ok(d) => d,
        Err(e) => panic!("{e}\n{}", common::show(&policy, &facts)),
    };
    let json = loaded.policy.to_json();
    let reloaded = match polc::compiled::Policy::from_json(&json) {
        Ok(p) => p,
        Err(e) => panic!("the artifact does not load back: {e}"),
    };
    let again = common::Loaded {
        policy: reloaded,
        facts: loaded.facts,
    };
    let after = match common::all_decisions(&model, &again) {
        Ok(d) => d,
        Err(e) => panic!(
            "after the round trip: {e}\n{}",
            common::show(&policy, &facts)
        ),
    };
    assert_eq!(
        before,
        after,
        "the artifact round trip changed decisions\n{}",
        common::show(&policy, &facts)
    );
});
