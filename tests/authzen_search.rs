//! The AuthZEN Search interop scenario (`openid/authzen`, `interop/authzen-search-demo/`): the
//! real server on 127.0.0.1, port 0, with `examples/authzen-search/`, asked every case of the
//! scenario's expected results (`test/subject/results.json`, `test/resource/results.json`,
//! `test/action/results.json`) with the request the interop runner sends, the results of every
//! page (following `page.next_token`) compared with the expected ones without regard to order.

#![cfg(feature = "serve")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_serve;

use common_serve::{Server, start};
use polc::serve::{Limits, Sources};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The server of `examples/authzen-search/`.
async fn scenario() -> Server {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/authzen-search");
    let sources = Sources {
        policy: vec![dir.join("policy.pol")],
        data: Some(dir.join("data.pol")),
    };
    start(sources, Limits::default(), |_| {}).await
}

/// The results of a search, every page of it: the request is sent as given (with `page.limit`
/// when `limit` is set), then again with `page.token` set to each `next_token` until one is
/// empty. Each page must be a 200 with no `context` (no evaluation errors, no wildcard). Returns
/// the results and the number of pages.
async fn search(
    s: &Server,
    kind: &str,
    request: &Value,
    limit: Option<u64>,
) -> (Vec<Value>, usize) {
    let path = format!("/access/v1/search/{kind}");
    let mut body = request.clone();
    if let Some(n) = limit {
        body["page"] = json!({"limit": n});
    }
    let mut results = Vec::new();
    for pages in 1..=100 {
        let (status, v) = s.post(&path, body.clone()).await;
        assert_eq!(status, 200, "{kind} search {body}: {v}");
        assert!(v.get("context").is_none(), "{kind} search {body}: {v}");
        let page = v["results"]
            .as_array()
            .unwrap_or_else(|| panic!("{kind} search {body}: no `results` array in {v}"));
        assert_eq!(
            v["page"]["count"],
            json!(page.len()),
            "{kind} search {body}: {v}"
        );
        if let Some(n) = limit {
            assert!(page.len() as u64 <= n, "{kind} search {body}: {v}");
        }
        results.extend(page.iter().cloned());
        let next = v["page"]["next_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{kind} search {body}: no `page.next_token` in {v}"));
        if next.is_empty() {
            return (results, pages);
        }
        body["page"] = match limit {
            Some(n) => json!({"token": next, "limit": n}),
            None => json!({"token": next}),
        };
    }
    panic!("{kind} search {request}: more than 100 pages");
}

/// Entities as the runner compares them: (type, id), written `type:id`, sorted; a repeated
/// result is kept, so it shows as a difference.
fn entities(results: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = results
        .iter()
        .map(|r| {
            let field = |k: &str| {
                r[k].as_str()
                    .unwrap_or_else(|| panic!("no string `{k}` in the result {r}"))
                    .to_string()
            };
            format!("{}:{}", field("type"), field("id"))
        })
        .collect();
    v.sort();
    v
}

fn expected_entities(ty: &str, ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|id| format!("{ty}:{id}")).collect();
    v.sort();
    v
}

/// Actions as the runner compares them: names, sorted.
fn names(results: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = results
        .iter()
        .map(|r| {
            r["name"]
                .as_str()
                .unwrap_or_else(|| panic!("no string `name` in the result {r}"))
                .to_string()
        })
        .collect();
    v.sort();
    v
}

fn expected_names(actions: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = actions.iter().map(|a| (*a).to_string()).collect();
    v.sort();
    v
}

/// The scenario's requests, as the runner sends them.
fn subject_request(record: &str, action: &str) -> Value {
    json!({
        "resource": {"type": "record", "id": record},
        "action": {"name": action},
        "subject": {"type": "user"},
    })
}

fn resource_request(user: &str, action: &str) -> Value {
    json!({
        "subject": {"type": "user", "id": user},
        "action": {"name": action},
        "resource": {"type": "record"},
    })
}

fn action_request(user: &str, record: &str) -> Value {
    json!({
        "subject": {"type": "user", "id": user},
        "resource": {"type": "record", "id": record},
    })
}

/// The cases of one kind: each request, as the runner sends it, with the results it expects.
fn subject_cases() -> Vec<(Value, Vec<String>)> {
    SUBJECT_SEARCH
        .iter()
        .map(|&(record, action, users)| {
            (
                subject_request(record, action),
                expected_entities("user", users),
            )
        })
        .collect()
}

fn resource_cases() -> Vec<(Value, Vec<String>)> {
    RESOURCE_SEARCH
        .iter()
        .map(|&(user, action, records)| {
            (
                resource_request(user, action),
                expected_entities("record", records),
            )
        })
        .collect()
}

fn action_cases() -> Vec<(Value, Vec<String>)> {
    ACTION_SEARCH
        .iter()
        .map(|&(user, record, actions)| (action_request(user, record), expected_names(actions)))
        .collect()
}

/// Runs every case of one kind (`subject`, `resource`, `action`) and fails with every mismatch
/// listed; returns the number of cases run and the most pages a case took.
async fn run_cases(
    s: &Server,
    kind: &str,
    cases: Vec<(Value, Vec<String>)>,
    limit: Option<u64>,
) -> (usize, usize) {
    let (mut run, mut most, mut failures) = (0, 0, Vec::new());
    for (request, want) in cases {
        let (results, pages) = search(s, kind, &request, limit).await;
        let got = if kind == "action" {
            names(&results)
        } else {
            entities(&results)
        };
        if got != want {
            failures.push(format!("{request}: expected {want:?}, got {got:?}"));
        }
        run += 1;
        most = most.max(pages);
    }
    assert!(
        failures.is_empty(),
        "{kind} search, {} of {run} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (run, most)
}

#[tokio::test]
async fn subject_search_answers_every_case() {
    let s = scenario().await;
    assert_eq!(run_cases(&s, "subject", subject_cases(), None).await.0, 60);
}

#[tokio::test]
async fn resource_search_answers_every_case() {
    let s = scenario().await;
    assert_eq!(
        run_cases(&s, "resource", resource_cases(), None).await.0,
        18
    );
}

#[tokio::test]
async fn action_search_answers_every_case() {
    let s = scenario().await;
    assert_eq!(run_cases(&s, "action", action_cases(), None).await.0, 120);
}

/// Every case again, two results a page: the pages put together are the same answer, with no
/// result repeated or left out (the default page of 100 holds any answer of the scenario, so
/// this is what makes the searches page).
#[tokio::test]
async fn every_case_pages_two_results_at_a_time() {
    let s = scenario().await;
    // The most pages a case needs: 5 users, 20 records, 3 actions, two a page.
    let (run, most) = run_cases(&s, "subject", subject_cases(), Some(2)).await;
    assert!(run == 60 && most >= 3, "{run} cases, at most {most} pages");
    let (run, most) = run_cases(&s, "resource", resource_cases(), Some(2)).await;
    assert!(run == 18 && most >= 10, "{run} cases, at most {most} pages");
    let (run, most) = run_cases(&s, "action", action_cases(), Some(2)).await;
    assert!(run == 120 && most >= 2, "{run} cases, at most {most} pages");
}

/// The three files describe one access matrix: each (user, action, record) that one of them
/// allows, the other two allow as well (a check of the tables below, not of the server).
#[test]
fn the_three_tables_agree() {
    let from_subjects: BTreeSet<(&str, &str, &str)> = SUBJECT_SEARCH
        .iter()
        .flat_map(|&(r, a, us)| us.iter().map(move |&u| (u, a, r)))
        .collect();
    let from_resources: BTreeSet<(&str, &str, &str)> = RESOURCE_SEARCH
        .iter()
        .flat_map(|&(u, a, rs)| rs.iter().map(move |&r| (u, a, r)))
        .collect();
    let from_actions: BTreeSet<(&str, &str, &str)> = ACTION_SEARCH
        .iter()
        .flat_map(|&(u, r, acts)| acts.iter().map(move |&a| (u, a, r)))
        .collect();
    assert_eq!(from_subjects.len(), 116);
    assert_eq!(from_subjects, from_resources);
    assert_eq!(from_subjects, from_actions);
}

/// `test/subject/results.json`: (record, action, the users who may do it), in the file's order.
const SUBJECT_SEARCH: &[(&str, &str, &[&str])] = &[
    ("101", "view", &["alice", "bob", "carol", "dan"]),
    ("101", "edit", &["alice"]),
    ("101", "delete", &["alice"]),
    ("102", "view", &["alice", "bob", "carol", "dan"]),
    ("102", "edit", &["bob"]),
    ("102", "delete", &["bob"]),
    ("103", "view", &["alice", "bob", "carol", "dan"]),
    ("103", "edit", &["carol"]),
    ("103", "delete", &["carol"]),
    ("104", "view", &["alice", "dan", "felix"]),
    ("104", "edit", &["dan"]),
    ("104", "delete", &["dan"]),
    ("105", "view", &["alice", "bob", "carol", "dan", "erin"]),
    ("105", "edit", &["erin"]),
    ("105", "delete", &["erin"]),
    ("106", "view", &["alice", "dan", "felix"]),
    ("106", "edit", &["felix"]),
    ("106", "delete", &["felix"]),
    ("107", "view", &["alice", "dan"]),
    ("107", "edit", &["alice"]),
    ("107", "delete", &["alice"]),
    ("108", "view", &["alice", "bob", "carol", "dan"]),
    ("108", "edit", &["bob"]),
    ("108", "delete", &["bob"]),
    ("109", "view", &["alice", "carol", "dan", "felix"]),
    ("109", "edit", &["carol"]),
    ("109", "delete", &["carol"]),
    ("110", "view", &["alice", "dan"]),
    ("110", "edit", &["alice", "dan"]),
    ("110", "delete", &["dan"]),
    ("111", "view", &["alice", "dan", "erin", "felix"]),
    ("111", "edit", &["erin"]),
    ("111", "delete", &["erin"]),
    ("112", "view", &["alice", "bob", "carol", "dan", "felix"]),
    ("112", "edit", &["felix"]),
    ("112", "delete", &["felix"]),
    ("113", "view", &["alice", "dan"]),
    ("113", "edit", &["alice"]),
    ("113", "delete", &["alice"]),
    ("114", "view", &["alice", "bob", "dan", "felix"]),
    ("114", "edit", &["bob"]),
    ("114", "delete", &["bob"]),
    ("115", "view", &["alice", "carol", "dan", "erin"]),
    ("115", "edit", &["carol", "dan"]),
    ("115", "delete", &["carol"]),
    ("116", "view", &["alice", "bob", "carol", "dan"]),
    ("116", "edit", &["dan"]),
    ("116", "delete", &["dan"]),
    ("117", "view", &["alice", "bob", "carol", "dan", "erin"]),
    ("117", "edit", &["erin"]),
    ("117", "delete", &["erin"]),
    ("118", "view", &["alice", "dan", "felix"]),
    ("118", "edit", &["felix"]),
    ("118", "delete", &["felix"]),
    ("119", "view", &["alice", "bob", "carol", "dan"]),
    ("119", "edit", &["alice"]),
    ("119", "delete", &["alice"]),
    ("120", "view", &["alice", "bob", "dan", "felix"]),
    ("120", "edit", &["bob"]),
    ("120", "delete", &["bob"]),
];

/// `test/resource/results.json`: (user, action, the records the user may do it on).
const RESOURCE_SEARCH: &[(&str, &str, &[&str])] = &[
    (
        "alice",
        "view",
        &[
            "101", "102", "103", "104", "105", "106", "107", "108", "109", "110", "111", "112",
            "113", "114", "115", "116", "117", "118", "119", "120",
        ],
    ),
    ("alice", "edit", &["101", "107", "110", "113", "119"]),
    ("alice", "delete", &["101", "107", "113", "119"]),
    (
        "bob",
        "view",
        &[
            "101", "102", "103", "105", "108", "112", "114", "116", "117", "119", "120",
        ],
    ),
    ("bob", "edit", &["102", "108", "114", "120"]),
    ("bob", "delete", &["102", "108", "114", "120"]),
    (
        "carol",
        "view",
        &[
            "101", "102", "103", "105", "108", "109", "112", "115", "116", "117", "119",
        ],
    ),
    ("carol", "edit", &["103", "109", "115"]),
    ("carol", "delete", &["103", "109", "115"]),
    (
        "dan",
        "view",
        &[
            "101", "102", "103", "104", "105", "106", "107", "108", "109", "110", "111", "112",
            "113", "114", "115", "116", "117", "118", "119", "120",
        ],
    ),
    ("dan", "edit", &["104", "110", "115", "116"]),
    ("dan", "delete", &["104", "110", "116"]),
    ("erin", "view", &["105", "111", "115", "117"]),
    ("erin", "edit", &["105", "111", "117"]),
    ("erin", "delete", &["105", "111", "117"]),
    (
        "felix",
        "view",
        &["104", "106", "109", "111", "112", "114", "118", "120"],
    ),
    ("felix", "edit", &["106", "112", "118"]),
    ("felix", "delete", &["106", "112", "118"]),
];

/// `test/action/results.json`: (user, record, the actions the user may do on it).
const ACTION_SEARCH: &[(&str, &str, &[&str])] = &[
    ("alice", "101", &["view", "edit", "delete"]),
    ("alice", "102", &["view"]),
    ("alice", "103", &["view"]),
    ("alice", "104", &["view"]),
    ("alice", "105", &["view"]),
    ("alice", "106", &["view"]),
    ("alice", "107", &["view", "edit", "delete"]),
    ("alice", "108", &["view"]),
    ("alice", "109", &["view"]),
    ("alice", "110", &["view", "edit"]),
    ("alice", "111", &["view"]),
    ("alice", "112", &["view"]),
    ("alice", "113", &["view", "edit", "delete"]),
    ("alice", "114", &["view"]),
    ("alice", "115", &["view"]),
    ("alice", "116", &["view"]),
    ("alice", "117", &["view"]),
    ("alice", "118", &["view"]),
    ("alice", "119", &["view", "edit", "delete"]),
    ("alice", "120", &["view"]),
    ("bob", "101", &["view"]),
    ("bob", "102", &["view", "edit", "delete"]),
    ("bob", "103", &["view"]),
    ("bob", "104", &[]),
    ("bob", "105", &["view"]),
    ("bob", "106", &[]),
    ("bob", "107", &[]),
    ("bob", "108", &["view", "edit", "delete"]),
    ("bob", "109", &[]),
    ("bob", "110", &[]),
    ("bob", "111", &[]),
    ("bob", "112", &["view"]),
    ("bob", "113", &[]),
    ("bob", "114", &["view", "edit", "delete"]),
    ("bob", "115", &[]),
    ("bob", "116", &["view"]),
    ("bob", "117", &["view"]),
    ("bob", "118", &[]),
    ("bob", "119", &["view"]),
    ("bob", "120", &["view", "edit", "delete"]),
    ("carol", "101", &["view"]),
    ("carol", "102", &["view"]),
    ("carol", "103", &["view", "edit", "delete"]),
    ("carol", "104", &[]),
    ("carol", "105", &["view"]),
    ("carol", "106", &[]),
    ("carol", "107", &[]),
    ("carol", "108", &["view"]),
    ("carol", "109", &["view", "edit", "delete"]),
    ("carol", "110", &[]),
    ("carol", "111", &[]),
    ("carol", "112", &["view"]),
    ("carol", "113", &[]),
    ("carol", "114", &[]),
    ("carol", "115", &["view", "edit", "delete"]),
    ("carol", "116", &["view"]),
    ("carol", "117", &["view"]),
    ("carol", "118", &[]),
    ("carol", "119", &["view"]),
    ("carol", "120", &[]),
    ("dan", "101", &["view"]),
    ("dan", "102", &["view"]),
    ("dan", "103", &["view"]),
    ("dan", "104", &["view", "edit", "delete"]),
    ("dan", "105", &["view"]),
    ("dan", "106", &["view"]),
    ("dan", "107", &["view"]),
    ("dan", "108", &["view"]),
    ("dan", "109", &["view"]),
    ("dan", "110", &["view", "edit", "delete"]),
    ("dan", "111", &["view"]),
    ("dan", "112", &["view"]),
    ("dan", "113", &["view"]),
    ("dan", "114", &["view"]),
    ("dan", "115", &["view", "edit"]),
    ("dan", "116", &["view", "edit", "delete"]),
    ("dan", "117", &["view"]),
    ("dan", "118", &["view"]),
    ("dan", "119", &["view"]),
    ("dan", "120", &["view"]),
    ("erin", "101", &[]),
    ("erin", "102", &[]),
    ("erin", "103", &[]),
    ("erin", "104", &[]),
    ("erin", "105", &["view", "edit", "delete"]),
    ("erin", "106", &[]),
    ("erin", "107", &[]),
    ("erin", "108", &[]),
    ("erin", "109", &[]),
    ("erin", "110", &[]),
    ("erin", "111", &["view", "edit", "delete"]),
    ("erin", "112", &[]),
    ("erin", "113", &[]),
    ("erin", "114", &[]),
    ("erin", "115", &["view"]),
    ("erin", "116", &[]),
    ("erin", "117", &["view", "edit", "delete"]),
    ("erin", "118", &[]),
    ("erin", "119", &[]),
    ("erin", "120", &[]),
    ("felix", "101", &[]),
    ("felix", "102", &[]),
    ("felix", "103", &[]),
    ("felix", "104", &["view"]),
    ("felix", "105", &[]),
    ("felix", "106", &["view", "edit", "delete"]),
    ("felix", "107", &[]),
    ("felix", "108", &[]),
    ("felix", "109", &["view"]),
    ("felix", "110", &[]),
    ("felix", "111", &["view"]),
    ("felix", "112", &["view", "edit", "delete"]),
    ("felix", "113", &[]),
    ("felix", "114", &["view"]),
    ("felix", "115", &[]),
    ("felix", "116", &[]),
    ("felix", "117", &[]),
    ("felix", "118", &["view", "edit", "delete"]),
    ("felix", "119", &[]),
    ("felix", "120", &["view"]),
];
