//! The whole check pipeline (parse, resolve, type check, static test checks) on arbitrary text;
//! a policy that compiles also goes through the artifact round trip and `polc test`'s runner.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let c = polc::compile_str("input.pol", &text);
    for d in &c.diagnostics {
        let _ = polc::diag::render::human(d, &c.sources, polc::diag::render::HumanStyle::plain());
    }
    let Some(policy) = &c.policy else { return };
    let _ = polc::compiled::describe(policy);
    let json = policy.to_json();
    if let Err(e) = polc::compiled::Policy::from_json(&json) {
        panic!("a compiled policy does not load back: {e}");
    }
    let _ = polc::testing::run(policy, &c.files, &c.sources, None);
});
