//! A reused `Request` (issue 13.2/13.4: `polc eval` keeps one per run): `set_names` writes the
//! names into the request's own buffers, and a name that does not resolve leaves the request as
//! it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::eval::request::Request;
use polc::facts::Facts;

const POLICY: &str =
    "actor user;\n\nresource folder {\n  permissions view;\n  role owner { grants view; }\n}\n";

#[test]
fn set_names_reuses_the_name_buffers_and_fails_without_a_change() {
    let policy = polc::compile_str("p.pol", POLICY).policy.unwrap();
    let facts = Facts::from_pol(
        &policy,
        "user:alice_long_name is owner on folder:engineering;\nuser:bob is owner on folder:ops;\n",
    )
    .unwrap();
    let mut req = Request::new(
        &policy,
        &facts,
        "user:alice_long_name",
        "view",
        "folder:engineering",
    )
    .unwrap();
    let (p, r) = (req.principal.name.as_ptr(), req.resource.name.as_ptr());
    req.set_names(&policy, &facts, "user:bob", "view", "folder:ops")
        .unwrap();
    assert_eq!(req.principal.name, "bob");
    assert_eq!(req.resource.name, "ops");
    assert_eq!(req.resource.id, facts.lookup(req.resource.ty, "ops"));
    // Shorter names fit the buffers they replace: nothing was allocated.
    assert_eq!(req.principal.name.as_ptr(), p);
    assert_eq!(req.resource.name.as_ptr(), r);
    assert!(polc::eval::decide(&policy, &facts, &req).allowed);

    // An unknown type, a bad id or permission: an error, and the request still names bob and ops.
    for (pr, a, res) in [
        ("user:carol", "view", "fold:ops"),
        ("user:carol", "veiw", "folder:x"),
        ("user:", "view", "folder:x"),
    ] {
        assert!(req.set_names(&policy, &facts, pr, a, res).is_err());
        assert_eq!(
            (req.principal.name.as_str(), req.resource.name.as_str()),
            ("bob", "ops")
        );
    }
    // An entity the facts do not name is no error: it has no id, and holds nothing.
    req.set_names(&policy, &facts, "user:carol", "view", "folder:ops")
        .unwrap();
    assert_eq!(req.principal.id, None);
    assert!(!polc::eval::decide(&policy, &facts, &req).allowed);
}
