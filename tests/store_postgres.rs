//! The PostgreSQL store, against a real server (`POLC_TEST_POSTGRES`; each test in a database
//! of its own): schema and migrations, writes with gap-free revisions, preconditions, racing
//! writers on their own connections, refused transactions writing nothing, the library's write
//! path over it, and LISTEN/NOTIFY waking a waiting replica. Without the variable each test says
//! it was skipped. The URL and connection errors (E0620, E0621) need no server.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common_pg;

use polc::compiled::Policy;
use polc::facts::write::{
    Change, Constraints, Fact, FactKey, Precondition, Revision, Transaction, transaction_from_json,
};
use polc::source::FileId;
use polc::store::postgres::PostgresStore;
use polc::store::{Store, StoreError, StoreUrl, Write, WriteError};
use std::time::{Duration, Instant};

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

#[test]
fn a_url_the_client_cannot_read_is_e0620_and_a_server_not_there_e0621() {
    // Neither needs a database.
    let e = PostgresStore::open("postgres://polc:secret@localhost:port/polc").unwrap_err();
    assert!(matches!(e, StoreError::ConnectionString(_)), "{e:?}");
    let d = e.diagnostic();
    assert_eq!(d.code.as_str(), "E0620");
    assert!(!d.message.contains("secret"), "{}", d.message);
    assert!(d.message.contains("polc:***@localhost"), "{}", d.message);
    let url = StoreUrl::parse("postgresql://polc@127.0.0.1:1/polc?connect_timeout=2").unwrap();
    let started = Instant::now();
    let e = polc::store::open(&url).err().unwrap();
    assert!(matches!(e, StoreError::Unreachable(_)), "{e:?}");
    assert_eq!(e.diagnostic().code.as_str(), "E0621");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_round_trip_through_the_store_keeps_every_kind_of_fact() {
    let Some(db) = common_pg::fresh("round_trip") else {
        return;
    };
    let s = PostgresStore::open(&db.url).unwrap();
    assert_eq!(s.schema_version().unwrap(), polc::store::SCHEMA_VERSION);
    assert_eq!(s.revision().unwrap(), Revision(0));
    assert!(s.notifies());
    let until = Some(1_800_000_000_000_000);
    let r1 = s
        .write(&Write {
            changes: vec![
                Change::Put(Fact::Assignment {
                    subject: "user:ann".into(),
                    role: "admin".into(),
                    on: "org:acme".into(),
                    until_us: until,
                }),
                Change::Put(Fact::Relation {
                    entity: "doc:1".into(),
                    relation: "parent".into(),
                    target: "folder:a".into(),
                }),
                Change::Put(Fact::Attribute {
                    entity: "doc:1".into(),
                    name: "public".into(),
                    value: serde_json::json!({"nested": [1, "two"]}),
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
    assert_eq!([r1, r2, r3], [Revision(1), Revision(2), Revision(3)]);
    let all = s.changes_since(Revision(0), 100).unwrap();
    assert_eq!(
        all.iter().map(|c| c.revision.0).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(all[0].changes.len(), 3);
    assert!(matches!(
        &all[0].changes[1],
        Change::Put(Fact::Relation { .. })
    ));
    assert!(all[2].changes.is_empty());
    assert_eq!(
        s.changes_since(Revision(1), 1).unwrap()[0].revision,
        Revision(2)
    );
    drop(s);
    // Opened again (migrates nothing), the facts are there as written.
    let s = PostgresStore::open(&db.url).unwrap();
    let (mut facts, rev) = loaded(&s);
    assert_eq!(rev, Revision(3));
    facts.sort_by_key(|f| format!("{f:?}"));
    assert_eq!(facts.len(), 3, "{facts:?}");
    assert!(facts.contains(&Fact::Assignment {
        subject: "user:ann".into(),
        role: "admin".into(),
        on: "org:acme".into(),
        until_us: until,
    }));
    assert!(facts.contains(&Fact::Attribute {
        entity: "doc:1".into(),
        name: "public".into(),
        value: serde_json::json!({"nested": [1, "two"]}),
    }));
    // Deletes: an assignment, every target of a relation.
    s.write(&Write {
        changes: vec![
            Change::Delete(FactKey::Assignment {
                subject: "user:ann".into(),
                role: "admin".into(),
                on: "org:acme".into(),
            }),
            Change::Delete(FactKey::Relation {
                entity: "doc:1".into(),
                relation: "parent".into(),
                target: None,
            }),
        ],
        ..Write::default()
    })
    .unwrap();
    assert_eq!(loaded(&s).0.len(), 1);
    // The export is the same document SQLite gives.
    let (doc, rev) = polc::store::export(&s).unwrap();
    assert_eq!(rev, Revision(4));
    assert_eq!(doc["attributes"]["doc:1"]["public"]["nested"][1], "two");
}

#[test]
fn a_large_transaction_is_written_in_batches_the_last_write_of_a_key_winning() {
    let Some(db) = common_pg::fresh("batches") else {
        return;
    };
    let s = PostgresStore::open(&db.url).unwrap();
    // More rows than one statement takes, with a key written twice and a delete between puts.
    let mut changes: Vec<Change> = (0..25_000)
        .map(|i| Change::Put(assignment(&format!("user:u{i}"), "member", "org:acme")))
        .collect();
    changes.push(Change::Put(Fact::Assignment {
        subject: "user:u7".into(),
        role: "member".into(),
        on: "org:acme".into(),
        until_us: Some(42),
    }));
    changes.push(Change::Delete(FactKey::Assignment {
        subject: "user:u8".into(),
        role: "member".into(),
        on: "org:acme".into(),
    }));
    changes.push(Change::Put(assignment("user:last", "admin", "org:acme")));
    let n = changes.len();
    let r = s
        .write(&Write {
            changes,
            ..Write::default()
        })
        .unwrap();
    assert_eq!(r, Revision(1));
    let (facts, _) = loaded(&s);
    assert_eq!(facts.len(), 25_000, "25,000 - u8 + last");
    assert!(facts.iter().any(|f| matches!(f,
        Fact::Assignment { subject, until_us: Some(42), .. } if subject == "user:u7")));
    assert!(!facts.iter().any(|f| matches!(f,
        Fact::Assignment { subject, .. } if subject == "user:u8")));
    let back = s.changes_since(Revision(0), 10).unwrap();
    assert_eq!(back[0].changes.len(), n, "every change, in order");
}

#[test]
fn a_store_of_a_newer_schema_is_refused_with_e0609() {
    let Some(db) = common_pg::fresh("newer_schema") else {
        return;
    };
    drop(PostgresStore::open(&db.url).unwrap());
    db.client()
        .batch_execute("UPDATE schema_version SET version = 99")
        .unwrap();
    let e = PostgresStore::open(&db.url).unwrap_err();
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
fn a_refused_transaction_writes_nothing() {
    let Some(db) = common_pg::fresh("refused") else {
        return;
    };
    let s = PostgresStore::open(&db.url).unwrap();
    s.write(&put(assignment("user:ann", "admin", "org:acme")))
        .unwrap();
    let bob = assignment("user:bob", "admin", "org:acme");
    let ann = FactKey::Assignment {
        subject: "user:ann".into(),
        role: "admin".into(),
        on: "org:acme".into(),
    };
    let cases = [
        Precondition::Exists(FactKey::Assignment {
            subject: "user:cy".into(),
            role: "admin".into(),
            on: "org:acme".into(),
        }),
        Precondition::Absent(ann.clone()),
        Precondition::Revision(Revision(7)),
    ];
    for (i, p) in cases.into_iter().enumerate() {
        let w = Write {
            preconditions: vec![Precondition::Revision(Revision(1)), p.clone()],
            changes: vec![Change::Put(bob.clone()), Change::Delete(ann.clone())],
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
        assert_eq!(e.diagnostic().code.as_str(), ["E0602", "E0603", "E0604"][i]);
    }
    // A base that moved.
    let e = s
        .write(&Write {
            base: Some(Revision(0)),
            changes: vec![Change::Put(bob.clone())],
            ..Write::default()
        })
        .unwrap_err();
    assert_eq!(
        e,
        StoreError::Moved {
            base: Revision(0),
            current: Revision(1)
        }
    );
    // A constraint refused by the library's write path (the last admin removed).
    let p = policy();
    let mut st = polc::store::load_facts(&s, &p).unwrap();
    let remove = tx(
        &p,
        r#"{"deletes": {"assignments": [{"actor": "user:ann", "role": "admin", "on": "org:acme"}]}}"#,
    );
    let e = polc::store::commit(
        &s,
        &p,
        &mut st,
        &remove,
        Constraints::Enforce,
        polc::time::now(),
    )
    .unwrap_err();
    assert!(matches!(e, WriteError::Refused(_)), "{e:?}");
    // None of them wrote anything, or used a revision.
    assert_eq!(s.revision().unwrap(), Revision(1));
    assert_eq!(s.changes_since(Revision(1), 10).unwrap(), vec![]);
    assert_eq!(
        loaded(&s).0,
        vec![assignment("user:ann", "admin", "org:acme")]
    );
    let n: i64 = db
        .client()
        .query_one("SELECT count(*) FROM revisions", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn racing_writers_on_their_own_connections_are_serialized_and_none_is_lost() {
    let Some(db) = common_pg::fresh("racing") else {
        return;
    };
    drop(PostgresStore::open(&db.url).unwrap());
    let (threads, each) = (6, 25);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let s = PostgresStore::open(&url).unwrap();
                (0..each)
                    .map(|i| {
                        s.write(&Write {
                            changes: vec![
                                Change::Put(assignment(
                                    &format!("user:u{t}_{i}"),
                                    "member",
                                    "org:acme",
                                )),
                                // Every writer touches the same row too.
                                Change::Put(Fact::Attribute {
                                    entity: "doc:shared".into(),
                                    name: "public".into(),
                                    value: serde_json::json!(t % 2 == 0),
                                }),
                            ],
                            ..Write::default()
                        })
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
        "each write its own revision, no gaps"
    );
    let s = PostgresStore::open(&db.url).unwrap();
    let (facts, rev) = loaded(&s);
    assert_eq!(rev, Revision(n));
    assert_eq!(facts.len(), n as usize + 1);
    let changes = s.changes_since(Revision(0), 10_000).unwrap();
    assert_eq!(changes.len(), n as usize);
    // The attribute holds the value of the last revision's write.
    let Change::Put(Fact::Attribute { value, .. }) = &changes[n as usize - 1].changes[1] else {
        panic!()
    };
    assert!(
        facts
            .iter()
            .any(|f| matches!(f, Fact::Attribute { value: v, .. } if v == value))
    );
}

#[test]
fn writes_racing_on_an_absent_fact_have_exactly_one_winner() {
    let Some(db) = common_pg::fresh("absent_race") else {
        return;
    };
    drop(PostgresStore::open(&db.url).unwrap());
    for round in 0..3 {
        let invite = assignment(&format!("user:bob{round}"), "member", "org:acme");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (url, invite, barrier) = (db.url.clone(), invite.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let s = PostgresStore::open(&url).unwrap();
                    barrier.wait();
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
            Ok(rev) => *rev == Revision(round + 1),
            Err(e) => matches!(e, StoreError::Precondition { .. }),
        }));
    }
}

#[test]
fn a_second_writer_catches_up_incrementally_through_the_library() {
    let Some(db) = common_pg::fresh("two_writers") else {
        return;
    };
    let p = policy();
    let a = PostgresStore::open(&db.url).unwrap();
    let b = PostgresStore::open(&db.url).unwrap();
    let mut fa = polc::store::load_facts(&a, &p).unwrap();
    let mut fb = polc::store::load_facts(&b, &p).unwrap();
    let now = polc::time::now();
    let add = |who: &str| {
        tx(
            &p,
            &format!(
                r#"{{"writes": {{"assignments": [{{"actor": "user:{who}", "role": "admin", "on": "org:acme"}}]}}}}"#
            ),
        )
    };
    polc::store::commit(&a, &p, &mut fa, &add("ann"), Constraints::Enforce, now).unwrap();
    polc::store::commit(&a, &p, &mut fa, &add("bob"), Constraints::Enforce, now).unwrap();
    assert_eq!(polc::store::catch_up(&b, &p, &mut fb).unwrap(), 2);
    assert_eq!(fb.1, Revision(2));
    // B removes ann: fine, bob is still admin. A, behind, tries to remove bob: judged again on
    // the facts after B's write, it is the last admin, refused.
    let rm = |who: &str| {
        tx(
            &p,
            &format!(
                r#"{{"deletes": {{"assignments": [{{"actor": "user:{who}", "role": "admin", "on": "org:acme"}}]}}}}"#
            ),
        )
    };
    polc::store::commit(&b, &p, &mut fb, &rm("ann"), Constraints::Enforce, now).unwrap();
    let e =
        polc::store::commit(&a, &p, &mut fa, &rm("bob"), Constraints::Enforce, now).unwrap_err();
    assert!(matches!(e, WriteError::Refused(_)), "{e:?}");
    assert_eq!(fa.1, Revision(3));
    assert_eq!(a.revision().unwrap(), Revision(3));
}

#[test]
fn a_waiting_replica_is_woken_by_the_commits_notify_and_polls_without_listen() {
    let Some(db) = common_pg::fresh("listen") else {
        return;
    };
    let writer = PostgresStore::open(&db.url).unwrap();
    for listen in [true, false] {
        let replica = PostgresStore::open(&db.url).unwrap();
        let replica = if listen { replica } else { replica.poll_only() };
        let at = replica.revision().unwrap();
        // Nothing committed: the wait lasts its timeout.
        let started = Instant::now();
        replica.wait(at, Duration::from_millis(300)).unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
        let url = db.url.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let w = PostgresStore::open(&url).unwrap();
            w.write(&Write::default()).unwrap()
        });
        let started = Instant::now();
        replica.wait(at, Duration::from_secs(20)).unwrap();
        let waited = started.elapsed();
        let r = t.join().unwrap();
        assert!(
            waited < Duration::from_secs(5),
            "woken by the commit, not the timeout: {waited:?}"
        );
        assert_eq!(replica.revision().unwrap(), r);
        assert!(replica.warning().is_none());
    }
    assert_eq!(writer.revision().unwrap(), Revision(2));
    let w = polc::store::postgres::polling_warning("unimplemented");
    assert_eq!(w.code.as_str(), "W0610");
}
