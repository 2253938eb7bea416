//! The SQLite store: schema and migrations, writes with revisions, preconditions, load,
//! changes in revision order, concurrent writers on one file, and the library's write path over
//! it (checks, constraints, facts applied in place).
#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use polc::compiled::Policy;
use polc::facts::Facts;
use polc::facts::write::{
    Change, Constraints, Fact, FactKey, Precondition, Revision, Transaction, transaction_from_json,
};
use polc::source::FileId;
use polc::store::sqlite::SqliteStore;
use polc::store::{Store, StoreError, StoreUrl, Write, WriteError};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

const POLICY: &str = r#"
actor user;

resource org {
  permissions manage, view;
  role admin { includes member; grants manage; min 1; }
  role member { grants view; }
}

resource doc {
  relation parent: folder;
  relation tags: [tag];
  attribute public: bool;
  permissions read;
  role viewer { grants read; from viewer on parent; }
}

resource folder {
  permissions read;
  role viewer { grants read; }
}

resource tag { permissions see; role seer { grants see; } }
"#;

fn policy() -> Policy {
    let c = polc::compile_str("policy.pol", POLICY);
    c.policy.unwrap_or_else(|| panic!("{:?}", c.diagnostics))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polc-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("polc.db")
}

fn assignment(subject: &str, role: &str, on: &str) -> Fact {
    Fact::Assignment {
        subject: subject.into(),
        role: role.into(),
        on: on.into(),
        until_us: None,
    }
}

fn put(f: Fact) -> Write {
    Write {
        changes: vec![Change::Put(f)],
        ..Write::default()
    }
}

fn loaded(store: &dyn Store) -> (Vec<Fact>, Revision) {
    let mut facts = Vec::new();
    let rev = store.load(&mut |f| facts.push(f)).unwrap();
    (facts, rev)
}

fn tx(policy: &Policy, json: &str) -> Transaction {
    transaction_from_json(policy, FileId(0), json).unwrap_or_else(|d| panic!("{d:?}"))
}

fn allowed(policy: &Policy, facts: &Facts, p: &str, action: &str, r: &str) -> bool {
    let req = polc::eval::Request::new(policy, facts, p, action, r).unwrap();
    polc::eval::decide(policy, facts, &req).allowed
}

#[test]
fn a_new_store_is_migrated_to_the_current_schema_and_at_revision_0() {
    let path = scratch("new");
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), polc::store::SCHEMA_VERSION);
    assert_eq!(s.revision().unwrap(), Revision(0));
    drop(s);
    // Opening again migrates nothing and keeps the facts.
    let s = SqliteStore::open(&path).unwrap();
    s.write(&put(assignment("user:ann", "admin", "org:acme")))
        .unwrap();
    drop(s);
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 1);
    assert_eq!(loaded(&s).0.len(), 1);
}

#[test]
fn a_store_of_a_newer_schema_is_refused_with_e0609() {
    let path = scratch("newer");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(conn);
    let e = SqliteStore::open(&path).unwrap_err();
    assert_eq!(
        e,
        StoreError::Schema {
            found: 99,
            known: 1
        }
    );
    assert_eq!(e.diagnostic().code.as_str(), "E0609");
}

#[test]
fn a_file_that_cannot_be_opened_is_e0608() {
    let e = SqliteStore::open(std::path::Path::new("/no/such/folder/polc.db")).unwrap_err();
    assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
    assert_eq!(e.diagnostic().code.as_str(), "E0608");
}

#[test]
fn urls_are_parsed_and_a_backend_not_built_is_e0607() {
    assert_eq!(
        StoreUrl::parse("sqlite:polc.db").unwrap(),
        StoreUrl::Sqlite("polc.db".into())
    );
    assert_eq!(
        StoreUrl::parse("sqlite:///var/lib/polc.db").unwrap(),
        StoreUrl::Sqlite("/var/lib/polc.db".into())
    );
    assert_eq!(
        StoreUrl::parse("postgresql://polc@localhost/polc").unwrap(),
        StoreUrl::Postgres("postgresql://polc@localhost/polc".into())
    );
    for bad in ["polc.db", "sqlite:", "mysql://x"] {
        let e = StoreUrl::parse(bad).unwrap_err();
        assert_eq!(e.diagnostic().code.as_str(), "E0606", "{bad}");
    }
    // Without the `postgres` feature the URL is still read, and opening it says "not built"
    // (with it, opening a store on a port nothing listens on fails otherwise).
    let url = StoreUrl::parse("postgres://polc@127.0.0.1:1/polc").unwrap();
    if let Some(e @ StoreError::NotBuilt { .. }) = polc::store::open(&url).err() {
        assert_eq!(e.diagnostic().code.as_str(), "E0607");
        assert!(e.to_string().contains("`postgres`"), "{e}");
    }
}

#[test]
fn each_write_is_one_revision_and_changes_come_back_in_order() {
    let s = SqliteStore::open(&scratch("revisions")).unwrap();
    let r1 = s
        .write(&Write {
            changes: vec![
                Change::Put(assignment("user:ann", "admin", "org:acme")),
                Change::Put(Fact::Relation {
                    entity: "doc:1".into(),
                    relation: "parent".into(),
                    target: "folder:a".into(),
                }),
                Change::Put(Fact::Attribute {
                    entity: "doc:1".into(),
                    name: "public".into(),
                    value: serde_json::json!(true),
                }),
            ],
            ..Write::default()
        })
        .unwrap();
    // A transaction that changes nothing still gets its revision.
    let r2 = s
        .write(&Write {
            changes: vec![Change::Delete(FactKey::Attribute {
                entity: "doc:9".into(),
                name: "public".into(),
            })],
            ..Write::default()
        })
        .unwrap();
    let r3 = s.write(&Write::default()).unwrap();
    let r4 = s
        .write(&Write {
            changes: vec![Change::Delete(FactKey::Assignment {
                subject: "user:ann".into(),
                role: "admin".into(),
                on: "org:acme".into(),
            })],
            ..Write::default()
        })
        .unwrap();
    assert_eq!(
        [r1, r2, r3, r4],
        [Revision(1), Revision(2), Revision(3), Revision(4)]
    );
    let all = s.changes_since(Revision(0), 100).unwrap();
    assert_eq!(
        all.iter().map(|c| c.revision.0).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(all[0].changes.len(), 3);
    assert!(matches!(
        &all[0].changes[1],
        Change::Put(Fact::Relation { .. })
    ));
    assert!(all[2].changes.is_empty());
    let later = s.changes_since(Revision(2), 1).unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].revision, Revision(3));
    let (facts, rev) = loaded(&s);
    assert_eq!(rev, Revision(4));
    assert_eq!(facts.len(), 2, "{facts:?}");
}

#[test]
fn writing_an_assignment_again_replaces_its_until() {
    let s = SqliteStore::open(&scratch("upsert")).unwrap();
    let mut a = assignment("user:ann", "member", "org:acme");
    s.write(&put(a.clone())).unwrap();
    if let Fact::Assignment { until_us, .. } = &mut a {
        *until_us = Some(1_800_000_000_000_000);
    }
    s.write(&put(a.clone())).unwrap();
    assert_eq!(loaded(&s).0, vec![a]);
}

#[test]
fn a_failed_precondition_writes_nothing() {
    let s = SqliteStore::open(&scratch("preconditions")).unwrap();
    s.write(&put(assignment("user:ann", "admin", "org:acme")))
        .unwrap();
    let bob = assignment("user:bob", "admin", "org:acme");
    let cases = [
        Precondition::Exists(FactKey::Assignment {
            subject: "user:cy".into(),
            role: "admin".into(),
            on: "org:acme".into(),
        }),
        Precondition::Absent(FactKey::Assignment {
            subject: "user:ann".into(),
            role: "admin".into(),
            on: "org:acme".into(),
        }),
        Precondition::Revision(Revision(7)),
    ];
    for (i, p) in cases.into_iter().enumerate() {
        let w = Write {
            preconditions: vec![Precondition::Revision(Revision(1)), p.clone()],
            changes: vec![Change::Put(bob.clone())],
            ..Write::default()
        };
        let e = s.write(&w).unwrap_err();
        assert_eq!(
            e,
            StoreError::Precondition {
                index: 1,
                precondition: p,
                current: Revision(1)
            }
        );
        let code = e.diagnostic().code.as_str();
        assert_eq!(code, ["E0602", "E0603", "E0604"][i]);
    }
    assert_eq!(s.revision().unwrap(), Revision(1));
    assert_eq!(s.changes_since(Revision(1), 10).unwrap(), vec![]);
    assert_eq!(loaded(&s).0.len(), 1);
    // Holding preconditions: written.
    let w = Write {
        preconditions: vec![
            Precondition::Revision(Revision(1)),
            Precondition::Exists(FactKey::Assignment {
                subject: "user:ann".into(),
                role: "admin".into(),
                on: "org:acme".into(),
            }),
            Precondition::Absent(bob.key()),
        ],
        changes: vec![Change::Put(bob)],
        ..Write::default()
    };
    assert_eq!(s.write(&w).unwrap(), Revision(2));
}

#[test]
fn a_write_on_a_base_revision_that_moved_writes_nothing() {
    let s = SqliteStore::open(&scratch("base")).unwrap();
    s.write(&Write::default()).unwrap();
    let w = Write {
        base: Some(Revision(0)),
        changes: vec![Change::Put(assignment("user:ann", "admin", "org:acme"))],
        ..Write::default()
    };
    assert_eq!(
        s.write(&w).unwrap_err(),
        StoreError::Moved {
            base: Revision(0),
            current: Revision(1)
        }
    );
    assert!(loaded(&s).0.is_empty());
}

#[test]
fn concurrent_writers_on_one_file_are_serialized_and_none_is_lost() {
    let path = scratch("concurrent");
    drop(SqliteStore::open(&path).unwrap());
    let (threads, each) = (6, 25);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                // A connection of its own, as another process would have.
                let s = SqliteStore::open(&path).unwrap();
                (0..each)
                    .map(|i| {
                        s.write(&put(assignment(
                            &format!("user:u{t}_{i}"),
                            "member",
                            "org:acme",
                        )))
                        .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut revisions: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .map(|r| r.0)
        .collect();
    revisions.sort_unstable();
    let n = (threads * each) as u64;
    assert_eq!(
        revisions,
        (1..=n).collect::<Vec<_>>(),
        "each write its own revision"
    );
    let s = SqliteStore::open(&path).unwrap();
    let (facts, rev) = loaded(&s);
    assert_eq!(rev, Revision(n));
    assert_eq!(facts.len(), n as usize);
    assert_eq!(
        s.changes_since(Revision(0), 10_000).unwrap().len(),
        n as usize
    );
}

#[test]
fn writes_racing_on_the_same_fact_are_serialized_one_wins() {
    let path = scratch("race");
    drop(SqliteStore::open(&path).unwrap());
    let invite = assignment("user:bob", "member", "org:acme");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (path, invite) = (path.clone(), invite.clone());
            std::thread::spawn(move || {
                let s = SqliteStore::open(&path).unwrap();
                s.write(&Write {
                    preconditions: vec![Precondition::Absent(invite.key())],
                    changes: vec![Change::Put(invite)],
                    ..Write::default()
                })
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().all(|r| match r {
        Ok(rev) => *rev == Revision(1),
        Err(e) => matches!(e, StoreError::Precondition { .. }),
    }));
}

#[test]
fn an_unknown_role_is_refused_with_the_files_diagnostic_and_nothing_is_written() {
    let p = policy();
    let d = transaction_from_json(
        &p,
        FileId(0),
        r#"{"writes": {"assignments": [{"actor": "user:ann", "role": "member", "on": "org:acme"},
                                         {"actor": "user:bob", "role": "admni", "on": "org:acme"}]}}"#,
    )
    .unwrap_err();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code.as_str(), "E0202");
    assert_eq!(d[0].message, "`org` has no role `admni`");
    // The same words as the facts file with the same assignment.
    let file = polc::facts::Facts::from_json(
        &p,
        r#"{"assignments": [{"actor": "user:bob", "role": "admni", "on": "org:acme"}]}"#,
    )
    .unwrap_err();
    assert_eq!(file[0].message, d[0].message);
    assert_eq!(file[0].help, d[0].help);
}

#[test]
fn commit_checks_writes_and_applies_in_place() {
    let p = policy();
    let store = SqliteStore::open(&scratch("commit")).unwrap();
    let mut st = polc::store::load_facts(&store, &p).unwrap();
    let now = polc::time::now();
    let w = polc::store::commit(
        &store,
        &p,
        &mut st,
        &tx(
            &p,
            r#"{"writes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"},
                                             {"actor": "user:bob", "role": "viewer", "on": "folder:a"}],
                           "relations": [{"from": "doc:1", "relation": "parent", "to": "folder:a"},
                                         {"from": "doc:1", "relation": "tags", "to": "tag:x"},
                                         {"from": "doc:1", "relation": "tags", "to": "tag:y"}],
                           "attributes": {"doc:1": {"public": true}}}}"#,
        ),
        Constraints::Enforce,
        now,
    )
    .unwrap();
    assert_eq!(w.revision, Revision(1));
    assert!(w.warnings.is_empty());
    assert_eq!(st.1, Revision(1));
    assert!(allowed(&p, &st.0, "user:bob", "read", "doc:1"));
    assert!(allowed(&p, &st.0, "user:ann", "manage", "org:acme"));
    // Moving the document: the single-valued `parent` is replaced, `bob` loses it.
    polc::store::commit(
        &store,
        &p,
        &mut st,
        &tx(
            &p,
            r#"{"writes": {"relations": [{"from": "doc:1", "relation": "parent", "to": "folder:b"}]},
                "deletes": {"relations": [{"from": "doc:1", "relation": "tags", "to": "tag:x"}],
                            "attributes": {"doc:1": ["public"]}}}"#,
        ),
        Constraints::Enforce,
        now,
    )
    .unwrap();
    assert!(!allowed(&p, &st.0, "user:bob", "read", "doc:1"));
    // What was applied in place is what a fresh load gives.
    let (fresh, rev) = polc::store::load_facts(&store, &p).unwrap();
    assert_eq!(rev, Revision(2));
    let dump = |f: &Facts| {
        let mut v: Vec<String> = f
            .relations()
            .map(|(e, r, t)| {
                let mut t: Vec<String> = t.iter().map(|x| f.display(&p, *x)).collect();
                t.sort();
                format!("{} {} {t:?}", f.display(&p, e), r.0)
            })
            .filter(|s| !s.ends_with("[]"))
            .collect();
        v.extend(
            f.attributes()
                .map(|(e, a, v)| format!("{} {} {v:?}", f.display(&p, e), a.0)),
        );
        v.extend(
            f.assignments()
                .map(|(_, a)| format!("{} {:?}", f.display(&p, a.on), a.role)),
        );
        v.sort();
        v
    };
    assert_eq!(dump(&st.0), dump(&fresh));
    assert!(dump(&fresh).iter().any(|s| s.contains("tag:y")));
    assert!(!dump(&fresh).iter().any(|s| s.contains("tag:x")));
}

#[test]
fn enforce_refuses_removing_the_last_admin_and_warn_writes_it_with_the_lint() {
    let p = policy();
    let store = SqliteStore::open(&scratch("constraints")).unwrap();
    let mut st = polc::store::load_facts(&store, &p).unwrap();
    let now = polc::time::now();
    let add = tx(
        &p,
        r#"{"writes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#,
    );
    polc::store::commit(&store, &p, &mut st, &add, Constraints::Enforce, now).unwrap();
    let remove = tx(
        &p,
        r#"{"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#,
    );
    let e =
        polc::store::commit(&store, &p, &mut st, &remove, Constraints::Enforce, now).unwrap_err();
    let WriteError::Refused(d) = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        d.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["E0605", "W0201"]
    );
    assert_eq!(store.revision().unwrap(), Revision(1), "nothing written");
    assert!(
        allowed(&p, &st.0, "user:ann", "manage", "org:acme"),
        "facts put back"
    );
    // Replacing the admin in one transaction is fine.
    let replace = tx(
        &p,
        r#"{"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]},
            "writes": {"assignments": [{"actor": "user:cy", "role": "admin", "on": "org:acme"}]}}"#,
    );
    let w = polc::store::commit(&store, &p, &mut st, &replace, Constraints::Enforce, now).unwrap();
    assert_eq!(w.revision, Revision(2));
    // With `warn` the removal is written, and the lint comes with it.
    let remove_cy = tx(
        &p,
        r#"{"deletes": {"assignments": [{"actor": "user:cy", "role": "admin", "on": "org:acme"}]}}"#,
    );
    let w = polc::store::commit(&store, &p, &mut st, &remove_cy, Constraints::Warn, now).unwrap();
    assert_eq!(w.revision, Revision(3));
    assert_eq!(w.warnings.len(), 1);
    assert_eq!(w.warnings[0].code.as_str(), "W0201");
    // The data now breaks `min`: an unrelated write is not refused for it.
    let unrelated = tx(
        &p,
        r#"{"writes": {"assignments": [{"actor": "user:dan", "role": "viewer", "on": "folder:a"}]}}"#,
    );
    polc::store::commit(&store, &p, &mut st, &unrelated, Constraints::Enforce, now).unwrap();
}

#[test]
fn a_second_writer_catches_up_incrementally_and_checks_against_the_latest_facts() {
    let p = policy();
    let path = scratch("two_writers");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let mut fa = polc::store::load_facts(&a, &p).unwrap();
    let mut fb = polc::store::load_facts(&b, &p).unwrap();
    let now = polc::time::now();
    let admin = |who: &str| {
        tx(
            &p,
            &format!(
                r#"{{"writes": {{"assignments": [{{"actor": "user:{who}", "role": "admin", "on": "org:acme"}}]}}}}"#
            ),
        )
    };
    polc::store::commit(&a, &p, &mut fa, &admin("ann"), Constraints::Enforce, now).unwrap();
    polc::store::commit(&b, &p, &mut fb, &admin("bob"), Constraints::Enforce, now).unwrap();
    assert_eq!(fb.1, Revision(2));
    assert!(
        allowed(&p, &fb.0, "user:ann", "manage", "org:acme"),
        "b caught up with a's write"
    );
    // a removes ann (bob is still an admin, in the store): allowed, since a catches up first.
    let remove = tx(
        &p,
        r#"{"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#,
    );
    polc::store::commit(&a, &p, &mut fa, &remove, Constraints::Enforce, now).unwrap();
    // b now may not remove bob, the last admin.
    let remove_bob = tx(
        &p,
        r#"{"deletes": {"assignments": [{"actor": "user:bob", "role": "admin", "on": "org:acme"}]}}"#,
    );
    let e =
        polc::store::commit(&b, &p, &mut fb, &remove_bob, Constraints::Enforce, now).unwrap_err();
    assert!(matches!(e, WriteError::Refused(_)), "{e:?}");
    assert_eq!(fb.1, Revision(3));
    let mut caught = (Facts::new(&p), Revision(0));
    assert_eq!(polc::store::catch_up(&a, &p, &mut caught).unwrap(), 3);
    assert_eq!(caught.1, Revision(3));
    assert!(allowed(&p, &caught.0, "user:bob", "manage", "org:acme"));
    assert!(!allowed(&p, &caught.0, "user:ann", "manage", "org:acme"));
}

#[test]
fn a_stored_fact_the_policy_no_longer_has_fails_the_load_with_its_code() {
    let store = SqliteStore::open(&scratch("stale")).unwrap();
    store
        .write(&put(assignment("user:ann", "owner", "org:acme")))
        .unwrap();
    let e = polc::store::load_facts(&store, &policy()).unwrap_err();
    let d = e.diagnostics();
    assert_eq!(d[0].code.as_str(), "E0202");
    assert!(
        d[0].message.contains("user:ann is owner on org:acme"),
        "{}",
        d[0].message
    );
}

#[test]
fn stores_are_shared_between_threads() {
    let s: Arc<dyn Store> = Arc::new(SqliteStore::open(&scratch("shared")).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let s = s.clone();
            std::thread::spawn(move || {
                s.write(&put(assignment(&format!("user:{i}"), "member", "org:acme")))
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(s.revision().unwrap(), Revision(4));
    let (doc, rev) = polc::store::export(&*s).unwrap();
    assert_eq!(rev, Revision(4));
    assert_eq!(doc["assignments"].as_array().unwrap().len(), 4);
}

/// Facts with the search index beside them, as the server keeps them.
struct Indexed {
    facts: Facts,
    at: Revision,
    index: polc::eval::index::SearchIndex,
}

impl polc::store::Follower for Indexed {
    fn at(&self) -> Revision {
        self.at
    }
    fn apply(
        &mut self,
        policy: &Policy,
        revision: Revision,
        changes: &[polc::facts::write::CheckedChange],
    ) {
        polc::facts::write::apply(policy, &mut self.facts, changes);
        self.index.add_changes(policy, &self.facts, changes);
        self.at = revision;
    }
    fn judge(
        &mut self,
        policy: &Policy,
        tx: &Transaction,
        constraints: Constraints,
        now: i64,
    ) -> polc::facts::write::Judgement {
        polc::facts::write::judge(policy, &mut self.facts, self.at, tx, constraints, now)
    }
}

/// What the facts and the index answer: every decision and both searches, by name.
fn answers(p: &Policy, facts: &Facts, index: &polc::eval::index::SearchIndex) -> Vec<String> {
    let ctx = polc::eval::Context::from_facts(p, facts);
    let mut out = Vec::new();
    let user = p.type_id("user").unwrap();
    for (ty, action) in [
        ("doc", "read"),
        ("folder", "read"),
        ("org", "manage"),
        ("org", "view"),
    ] {
        let t = p.type_id(ty).unwrap();
        let perm = p.ty(t).permission(action).unwrap();
        for i in 0..4 {
            let r = polc::eval::Entity::new(p, facts, ty, &format!("{ty}{i}"), Default::default())
                .unwrap();
            let page = index.subjects(p, facts, &ctx, user, perm, &r, None, 100, None);
            let names: Vec<&str> = page.found.iter().map(|e| e.name.as_str()).collect();
            out.push(format!("who {action} {ty}{i}: {names:?}"));
            for u in 0..5 {
                let who = format!("user:u{u}");
                if let Ok(req) =
                    polc::eval::Request::new(p, facts, &who, action, &format!("{ty}:{ty}{i}"))
                {
                    let d = polc::eval::decide(p, facts, &req);
                    out.push(format!("{who} {action} {ty}{i}: {}", d.allowed));
                }
            }
        }
        for u in 0..5 {
            let s = polc::eval::Entity::new(p, facts, "user", &format!("u{u}"), Default::default())
                .unwrap();
            let page = index.resources(p, facts, &ctx, t, &s, perm, None, 100, None);
            let names: Vec<&str> = page.found.iter().map(|e| e.name.as_str()).collect();
            out.push(format!("which {ty} u{u} {action}: {names:?}"));
        }
    }
    out
}

#[test]
fn facts_and_index_changed_in_place_answer_as_a_fresh_load_does() {
    let p = policy();
    let store = SqliteStore::open(&scratch("in_place")).unwrap();
    let mut live = Indexed {
        facts: Facts::new(&p),
        at: Revision(0),
        index: polc::eval::index::SearchIndex::new(&p, &Facts::new(&p)),
    };
    let mut seed: u64 = 7;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let now = polc::time::now();
    for step in 0..120 {
        let mut writes = Vec::new();
        let mut deletes = Vec::new();
        let mut rels: Vec<serde_json::Value> = Vec::new();
        let mut rel_deletes = Vec::new();
        for _ in 0..=next(3) {
            let u = format!("user:u{}", next(5));
            let (role, on) = match next(4) {
                0 => (
                    ["admin", "member"][next(2) as usize],
                    format!("org:org{}", next(4)),
                ),
                1 => ("viewer", format!("folder:folder{}", next(4))),
                2 => ("viewer", format!("doc:doc{}", next(4))),
                _ => ("seer", format!("tag:t{}", next(2))),
            };
            let a = json!({"actor": u, "role": role, "on": on});
            if next(3) == 0 {
                deletes.push(a);
            } else {
                writes.push(a);
            }
            let d = format!("doc:doc{}", next(4));
            match next(4) {
                // A single-valued relation given twice is refused, as in a facts file.
                0 if !rels.iter().any(|r: &serde_json::Value| r["from"] == d.as_str() && r["relation"] == "parent") => {
                    rels.push(json!({"from": d, "relation": "parent", "to": format!("folder:folder{}", next(4))}))
                }
                1 => rels.push(json!({"from": d, "relation": "tags", "to": format!("tag:t{}", next(2))})),
                2 => {
                    let rel = ["parent", "tags"][next(2) as usize];
                    rel_deletes.push(json!({"from": d, "relation": rel}))
                }
                _ => {}
            }
        }
        let text = json!({
            "writes": {"assignments": writes, "relations": rels},
            "deletes": {"assignments": deletes, "relations": rel_deletes},
        })
        .to_string();
        let t = tx(&p, &text);
        polc::store::commit(&store, &p, &mut live, &t, Constraints::Warn, now)
            .unwrap_or_else(|e| panic!("step {step}: {e:?}"));
        let (fresh, rev) = polc::store::load_facts(&store, &p).unwrap();
        assert_eq!(rev, live.at);
        let fresh_index = polc::eval::index::SearchIndex::new(&p, &fresh);
        assert_eq!(
            answers(&p, &live.facts, &live.index),
            answers(&p, &fresh, &fresh_index),
            "step {step}: {text}"
        );
    }
}

const CONSTRAINED: &str = r#"
actor user;

resource team { permissions see; role member { grants see; } }

resource org {
  permissions manage, view;
  role admin { includes member; grants manage; min 1; max 2; }
  role member { grants view; }
}

resource ws {
  relation org: org;
  permissions run, approve;
  role requester { grants run; from member on org; requires member on org; }
  role approver { grants approve; from admin on org; }
  separate requester, approver;
}
"#;

#[test]
fn constraints_judged_on_what_a_write_touches_are_those_of_all_the_facts() {
    let c = polc::compile_str("constrained.pol", CONSTRAINED);
    let p = c.policy.unwrap_or_else(|| panic!("{:?}", c.diagnostics));
    let mut facts = Facts::new(&p);
    let mut seed: u64 = 11;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let now = polc::time::now();
    let key = |d: &polc::diag::Diagnostic| format!("{} {}", d.code.as_str(), d.message);
    let mut broke = 0;
    for step in 0..150 {
        let mut writes: Vec<serde_json::Value> = Vec::new();
        let mut deletes: Vec<serde_json::Value> = Vec::new();
        let mut rels: Vec<serde_json::Value> = Vec::new();
        for _ in 0..=next(2) {
            let subject = match next(5) {
                0 => format!("team:t{}#member", next(2)),
                _ => format!("user:u{}", next(4)),
            };
            let (role, on) = match next(4) {
                0 => (
                    ["admin", "member"][next(2) as usize],
                    format!("org:o{}", next(2)),
                ),
                1 => ("member", format!("team:t{}", next(2))),
                _ => (
                    ["requester", "approver"][next(2) as usize],
                    format!("ws:w{}", next(3)),
                ),
            };
            let a = json!({"actor": subject, "role": role, "on": on});
            if next(3) == 0 {
                deletes.push(a)
            } else {
                writes.push(a)
            }
        }
        if next(3) == 0 {
            rels.push(json!({"from": format!("ws:w{}", next(3)), "relation": "org", "to": format!("org:o{}", next(2))}));
        }
        let text = json!({"writes": {"assignments": writes, "relations": rels},
                          "deletes": {"assignments": deletes}})
        .to_string();
        let Ok(t) = transaction_from_json(&p, FileId(0), &text) else {
            continue;
        };
        let scoped = match polc::facts::write::judge(
            &p,
            &mut facts,
            Revision(0),
            &t,
            Constraints::Warn,
            now,
        ) {
            polc::facts::write::Judgement::Accepted { warnings } => warnings,
            other => panic!("{other:?}"),
        };
        let before = polc::facts::write::violations(&p, &facts, now);
        polc::facts::write::apply(&p, &mut facts, &t.changes);
        let after = polc::facts::write::violations(&p, &facts, now);
        let all = polc::facts::write::new_violations(&before, after);
        let mut a: Vec<String> = scoped.iter().map(key).collect();
        let mut b: Vec<String> = all.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "step {step}: {text}");
        broke += b.len();
    }
    assert!(
        broke > 10,
        "the writes broke constraints now and then ({broke})"
    );
}

const DEEP: &str = r#"
actor user;

resource folder {
  relation parent: folder;
  permissions edit, read;
  role owner { grants edit; from owner on parent; max 2; }
  role viewer { grants read; from viewer on parent; requires viewer on parent; }
  separate owner, viewer;
}
"#;

/// The same, over a folder chain 24 deep (deeper than the passes `scope_of` makes before it
/// builds the reverse edges), with parents moved now and then.
#[test]
fn constraints_judged_on_a_deep_hierarchy_are_those_of_all_the_facts() {
    let c = polc::compile_str("deep.pol", DEEP);
    let p = c.policy.unwrap_or_else(|| panic!("{:?}", c.diagnostics));
    let mut facts = Facts::new(&p);
    // Deepest first, so that entity ids run against the chain and each pass of `scope_of`
    // climbs one level only.
    let chain: Vec<serde_json::Value> = (1..24)
        .rev()
        .map(|i| json!({"from": format!("folder:f{i}"), "relation": "parent", "to": format!("folder:f{}", i - 1)}))
        .collect();
    let t = transaction_from_json(
        &p,
        FileId(0),
        &json!({"writes": {"relations": chain}}).to_string(),
    )
    .unwrap();
    polc::facts::write::apply(&p, &mut facts, &t.changes);
    let mut seed: u64 = 5;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let now = polc::time::now();
    let key = |d: &polc::diag::Diagnostic| format!("{} {}", d.code.as_str(), d.message);
    let mut broke = 0;
    for step in 0..120 {
        let mut writes: Vec<serde_json::Value> = Vec::new();
        let mut deletes: Vec<serde_json::Value> = Vec::new();
        for _ in 0..=next(2) {
            let role = ["owner", "viewer"][next(2) as usize];
            let a = json!({
                "actor": format!("user:u{}", next(4)),
                "role": role,
                "on": format!("folder:f{}", next(24)),
            });
            if next(3) == 0 {
                deletes.push(a)
            } else {
                writes.push(a)
            }
        }
        let mut rels = Vec::new();
        if next(4) == 0 {
            let from = 1 + next(23);
            rels.push(json!({"from": format!("folder:f{from}"), "relation": "parent", "to": format!("folder:f{}", next(from))}));
        }
        let text = json!({"writes": {"assignments": writes, "relations": rels},
                          "deletes": {"assignments": deletes}})
        .to_string();
        let Ok(t) = transaction_from_json(&p, FileId(0), &text) else {
            continue;
        };
        let scoped = match polc::facts::write::judge(
            &p,
            &mut facts,
            Revision(0),
            &t,
            Constraints::Warn,
            now,
        ) {
            polc::facts::write::Judgement::Accepted { warnings } => warnings,
            other => panic!("{other:?}"),
        };
        let before = polc::facts::write::violations(&p, &facts, now);
        polc::facts::write::apply(&p, &mut facts, &t.changes);
        let after = polc::facts::write::violations(&p, &facts, now);
        let all = polc::facts::write::new_violations(&before, after);
        let mut a: Vec<String> = scoped.iter().map(key).collect();
        let mut b: Vec<String> = all.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "step {step}: {text}");
        broke += b.len();
    }
    assert!(
        broke > 10,
        "the writes broke constraints now and then ({broke})"
    );
}
