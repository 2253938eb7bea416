//! One write: its preconditions checked and its changes applied in one transaction, in chunks
//! of arrays, the revision numbered under the lock on `head`.

use super::{CHANNEL, CHUNK, StoreError, Write};
use crate::facts::write::{Change, Fact, FactKey, Precondition, Revision};
use postgres::{Client, Transaction};

fn exists(tx: &mut Transaction<'_>, key: &FactKey) -> Result<bool, postgres::Error> {
    let row = match key {
        FactKey::Assignment { subject, role, on } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE on_entity = $1 AND role = $2 AND subject = $3)",
            &[on, role, subject],
        ),
        FactKey::Relation {
            entity,
            relation,
            target: Some(t),
        } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM relations WHERE entity = $1 AND relation = $2 AND target = $3)",
            &[entity, relation, t],
        ),
        FactKey::Relation {
            entity,
            relation,
            target: None,
        } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM relations WHERE entity = $1 AND relation = $2)",
            &[entity, relation],
        ),
        FactKey::Attribute { entity, name } => tx.query_one(
            "SELECT EXISTS (SELECT 1 FROM attributes WHERE entity = $1 AND name = $2)",
            &[entity, name],
        ),
    }?;
    Ok(row.get(0))
}

/// The kind of a change, for grouping consecutive changes of one kind into one statement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    PutAssignment,
    PutRelation,
    PutAttribute,
    DeleteAssignment,
    DeleteRelationTarget,
    DeleteRelation,
    DeleteAttribute,
}

fn kind(c: &Change) -> Kind {
    match c {
        Change::Put(Fact::Assignment { .. }) => Kind::PutAssignment,
        Change::Put(Fact::Relation { .. }) => Kind::PutRelation,
        Change::Put(Fact::Attribute { .. }) => Kind::PutAttribute,
        Change::Delete(FactKey::Assignment { .. }) => Kind::DeleteAssignment,
        Change::Delete(FactKey::Relation {
            target: Some(_), ..
        }) => Kind::DeleteRelationTarget,
        Change::Delete(FactKey::Relation { target: None, .. }) => Kind::DeleteRelation,
        Change::Delete(FactKey::Attribute { .. }) => Kind::DeleteAttribute,
    }
}

/// Keeps the last of the changes with the same key (an upsert statement may not touch a row
/// twice; applied one by one, the last one wins).
fn last_per_key(group: &[&Change]) -> Vec<Change> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Change> = group
        .iter()
        .rev()
        .filter(|c| match c {
            Change::Put(f) => seen.insert(f.key()),
            Change::Delete(k) => seen.insert(k.clone()),
        })
        .map(|c| (*c).clone())
        .collect();
    out.reverse();
    out
}

/// Applies one group of changes of one kind at revision `rev`, in statements of [`CHUNK`] rows.
fn apply_group(
    tx: &mut Transaction<'_>,
    rev: i64,
    kind: Kind,
    group: &[&Change],
) -> Result<(), postgres::Error> {
    let group = last_per_key(group);
    for chunk in group.chunks(CHUNK) {
        let mut a: Vec<&str> = Vec::with_capacity(chunk.len());
        let mut b: Vec<&str> = Vec::with_capacity(chunk.len());
        let mut c: Vec<&str> = Vec::with_capacity(chunk.len());
        let mut u: Vec<Option<i64>> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        for ch in chunk {
            match ch {
                Change::Put(Fact::Assignment {
                    subject,
                    role,
                    on,
                    until_us,
                }) => {
                    a.push(on);
                    b.push(role);
                    c.push(subject);
                    u.push(*until_us);
                }
                Change::Delete(FactKey::Assignment { subject, role, on }) => {
                    a.push(on);
                    b.push(role);
                    c.push(subject);
                }
                Change::Put(Fact::Relation {
                    entity,
                    relation,
                    target,
                })
                | Change::Delete(FactKey::Relation {
                    entity,
                    relation,
                    target: Some(target),
                }) => {
                    a.push(entity);
                    b.push(relation);
                    c.push(target);
                }
                Change::Delete(FactKey::Relation {
                    entity, relation, ..
                }) => {
                    a.push(entity);
                    b.push(relation);
                }
                Change::Put(Fact::Attribute {
                    entity,
                    name,
                    value,
                }) => {
                    a.push(entity);
                    b.push(name);
                    values.push(value.to_string());
                }
                Change::Delete(FactKey::Attribute { entity, name }) => {
                    a.push(entity);
                    b.push(name);
                }
            }
        }
        match kind {
            Kind::PutAssignment => tx.execute(
                "INSERT INTO assignments (on_entity, role, subject, until_us, revision)
                 SELECT o, r, s, u, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[]) AS t (o, r, s, u)
                 ON CONFLICT (on_entity, role, subject) DO UPDATE SET until_us = excluded.until_us, revision = excluded.revision",
                &[&a, &b, &c, &u, &rev],
            ),
            Kind::PutRelation => tx.execute(
                "INSERT INTO relations (entity, relation, target, revision)
                 SELECT e, r, t, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS x (e, r, t)
                 ON CONFLICT (entity, relation, target) DO NOTHING",
                &[&a, &b, &c, &rev],
            ),
            Kind::PutAttribute => tx.execute(
                "INSERT INTO attributes (entity, name, value, revision)
                 SELECT e, n, v, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS x (e, n, v)
                 ON CONFLICT (entity, name) DO UPDATE SET value = excluded.value, revision = excluded.revision",
                &[&a, &b, &values, &rev],
            ),
            Kind::DeleteAssignment => tx.execute(
                "DELETE FROM assignments a USING unnest($1::text[], $2::text[], $3::text[]) AS t (o, r, s)
                 WHERE a.on_entity = t.o AND a.role = t.r AND a.subject = t.s",
                &[&a, &b, &c],
            ),
            Kind::DeleteRelationTarget => tx.execute(
                "DELETE FROM relations x USING unnest($1::text[], $2::text[], $3::text[]) AS t (e, r, g)
                 WHERE x.entity = t.e AND x.relation = t.r AND x.target = t.g",
                &[&a, &b, &c],
            ),
            Kind::DeleteRelation => tx.execute(
                "DELETE FROM relations x USING unnest($1::text[], $2::text[]) AS t (e, r)
                 WHERE x.entity = t.e AND x.relation = t.r",
                &[&a, &b],
            ),
            Kind::DeleteAttribute => tx.execute(
                "DELETE FROM attributes x USING unnest($1::text[], $2::text[]) AS t (e, n)
                 WHERE x.entity = t.e AND x.name = t.n",
                &[&a, &b],
            ),
        }?;
    }
    Ok(())
}

/// Why one attempt at a write did not commit.
pub(super) enum Failed {
    Store(StoreError),
    Database(postgres::Error),
}

impl From<postgres::Error> for Failed {
    fn from(e: postgres::Error) -> Self {
        Failed::Database(e)
    }
}

pub(super) fn write_once(client: &mut Client, w: &Write, notify: bool) -> Result<Revision, Failed> {
    let mut tx = client.transaction()?;
    // The lock on the one row of `head` serializes the writers: the next one reads the
    // revision (and, in READ COMMITTED, the facts) this one commits.
    let now = {
        let row = tx.query_one("SELECT revision FROM head WHERE id = 1 FOR UPDATE", &[])?;
        Revision(row.get::<_, i64>(0) as u64)
    };
    if let Some(base) = w.base
        && base != now
    {
        return Err(Failed::Store(StoreError::Moved { base, current: now }));
    }
    for (index, p) in w.preconditions.iter().enumerate() {
        let holds = match p {
            Precondition::Exists(k) => exists(&mut tx, k)?,
            Precondition::Absent(k) => !exists(&mut tx, k)?,
            Precondition::Revision(r) => *r == now,
        };
        if !holds {
            return Err(Failed::Store(StoreError::Precondition {
                index,
                precondition: p.clone(),
                current: now,
            }));
        }
    }
    let rev = now.0 as i64 + 1;
    let mut start = 0;
    while start < w.changes.len() {
        let k = kind(&w.changes[start]);
        let end = w.changes[start..]
            .iter()
            .position(|c| kind(c) != k)
            .map_or(w.changes.len(), |n| start + n);
        let group: Vec<&Change> = w.changes[start..end].iter().collect();
        apply_group(&mut tx, rev, k, &group)?;
        start = end;
    }
    tx.execute(
        "INSERT INTO revisions (revision, committed_at_us) VALUES ($1, $2)",
        &[&rev, &crate::time::now()],
    )?;
    let mut seq = 0i32;
    for chunk in w.changes.chunks(CHUNK) {
        let mut seqs = Vec::with_capacity(chunk.len());
        let mut texts = Vec::with_capacity(chunk.len());
        for c in chunk {
            seqs.push(seq);
            seq += 1;
            texts.push(
                serde_json::to_string(c)
                    .map_err(|e| Failed::Store(StoreError::Backend(e.to_string())))?,
            );
        }
        tx.execute(
            "INSERT INTO changes (revision, seq, change) SELECT $1, s, c FROM unnest($2::int4[], $3::text[]) AS t (s, c)",
            &[&rev, &seqs, &texts],
        )?;
    }
    tx.execute("UPDATE head SET revision = $1 WHERE id = 1", &[&rev])?;
    if notify {
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &rev.to_string()])?;
    }
    tx.commit()?;
    Ok(Revision(rev as u64))
}
