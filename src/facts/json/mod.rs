//! Facts as JSON (docs/language.md, "Facts"). Values are read as raw JSON slices so that every
//! diagnostic points at the exact place in the file.

mod text;
pub use text::*;

use super::Facts;
use super::check::{CheckedFact, Checker, Named, SubjectInput};
use crate::compiled::{Policy, RelId, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::entity::{EntityRef, SubjectRef};
use crate::source::{FileId, Span};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::fmt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAssignment<'a> {
    #[serde(borrow)]
    actor: &'a RawValue,
    #[serde(borrow)]
    role: &'a RawValue,
    #[serde(borrow)]
    on: &'a RawValue,
    /// Present means given, `null` included (which is refused: omit `until` instead).
    #[serde(borrow, default, deserialize_with = "given")]
    until: Option<&'a RawValue>,
}

/// A member that is present, whatever its value (`Option`'s own reading takes `null` for absent).
fn given<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<&'a RawValue>, D::Error> {
    <&'a RawValue>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRelation<'a> {
    #[serde(borrow)]
    from: &'a RawValue,
    #[serde(borrow)]
    relation: &'a RawValue,
    #[serde(borrow)]
    to: &'a RawValue,
}

/// Loads a JSON facts document into new facts: all of them, or every problem.
///
/// One pass over the text: each assignment is checked as it is read and, while the document has
/// shown no problem, interned into the facts with its names borrowed from the text. At the first
/// problem the facts are dropped (a file with any problem loads nothing) and checking goes on,
/// so that every problem is reported. Relations are gathered (the entries of a many-valued
/// relation merged into one) and applied after the assignments, then attributes and context:
/// entities are numbered in that order, whatever the order of the members in the document.
pub fn load(policy: &Policy, file: FileId, text: &str) -> Result<Facts, Vec<Diagnostic>> {
    let mut l = Loader {
        j: JsonText { file, text },
        c: Checker::new(policy),
        facts: Some(Facts::new(policy)),
        assignment_errors: Vec::new(),
        relation_errors: Vec::new(),
        relations: Vec::new(),
        seen: FxHashMap::default(),
        attributes: None,
        context: None,
        collected: None,
        action: None,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    if let Err(e) = Document(&mut l)
        .deserialize(&mut de)
        .and_then(|()| de.end())
    {
        return Err(vec![l.j.syntax_error(&e, "facts JSON")]);
    }
    l.finish().map(|(facts, _)| facts)
}

/// Checks a facts document that is a part of a larger JSON text (the `writes` of a
/// transaction) by the checks of [`load`], and returns the checked facts rather than applying
/// them: the assignments in order, then the relations (a many-valued relation's entries merged),
/// then the attributes. Spans point into `text`, of which `doc` must be a part. A `context`
/// member is refused.
pub fn check_document(
    policy: &Policy,
    file: FileId,
    text: &str,
    doc: &RawValue,
) -> Result<Vec<CheckedFact>, Vec<Diagnostic>> {
    let mut l = Loader {
        j: JsonText { file, text },
        c: Checker::new(policy),
        facts: Some(Facts::default()),
        assignment_errors: Vec::new(),
        relation_errors: Vec::new(),
        relations: Vec::new(),
        seen: FxHashMap::default(),
        attributes: None,
        context: None,
        collected: Some(Vec::new()),
        action: None,
    };
    let mut de = serde_json::Deserializer::from_str(doc.get());
    if let Err(e) = Document(&mut l)
        .deserialize(&mut de)
        .and_then(|()| de.end())
    {
        // The error's line and column are in `doc`; the diagnostic's place, in `text`.
        let inner = JsonText {
            file,
            text: doc.get(),
        };
        let mut d = inner.syntax_error(&e, "transaction `writes`");
        d.code = Code::E0601;
        d.help = Some("`polc explain E0601` shows the transaction format".into());
        let base = l.j.span(doc).start as usize;
        for label in &mut d.labels {
            let at = base + label.span.start as usize;
            label.span = Span::new(file, at, at);
        }
        return Err(vec![d]);
    }
    if let Some(ctx) = l.context {
        return Err(vec![
            Diagnostic::new(Code::E0601, "a transaction cannot set the context")
                .primary(l.j.span(ctx), "`context` is not a fact of the store")
                .help("give context fields with each request instead"),
        ]);
    }
    l.finish().map(|(_, checked)| checked)
}

/// A relation that passed every check, its ids borrowed from the text unless they had escapes.
struct Relation<'t> {
    entity: (TypeId, Cow<'t, str>),
    rel: RelId,
    targets: Vec<(TypeId, Cow<'t, str>)>,
}

/// The state of [`load`] while the document is read.
struct Loader<'p, 't> {
    j: JsonText<'t>,
    c: Checker<'p>,
    /// The facts loaded so far; `None` once a problem was found.
    facts: Option<Facts>,
    /// Problems are reported by member (assignments, relations, attributes, context), each in
    /// the order of the document.
    assignment_errors: Vec<Diagnostic>,
    relation_errors: Vec<Diagnostic>,
    relations: Vec<Relation<'t>>,
    /// (entity, relation) -> its entry in `relations`, which later entries of a many-valued
    /// relation join, and which a single-valued relation may not have twice.
    seen: FxHashMap<(TypeId, Cow<'t, str>, RelId), usize>,
    attributes: Option<&'t RawValue>,
    context: Option<&'t RawValue>,
    /// When set, the checked facts are gathered here rather than applied (the writes of a
    /// transaction, [`check_document`]), and `context` is refused.
    collected: Option<Vec<CheckedFact>>,
    /// Action properties every request made from these facts carries (`action.soft = true;`).
    action: Option<&'t RawValue>,
}

impl<'t> Loader<'_, 't> {
    fn assignment(&mut self, a: JsonAssignment<'t>) {
        let (mut facts, mut collected) = (self.facts.as_mut(), self.collected.as_mut());
        let mut sink = |checked: &super::check::CheckedAssignment<'_>| {
            if let Some(c) = collected.as_mut() {
                c.push(checked.to_fact());
            } else if let Some(f) = facts.as_mut() {
                f.apply_assignment(checked);
            }
        };
        if let Err(d) = assignment(&self.j, &self.c, &a, &mut sink) {
            self.facts = None;
            self.assignment_errors.push(d);
        }
    }

    fn relation(&mut self, r: JsonRelation<'t>) {
        let from_span = self.j.span(r.from);
        let r = match relation(&self.j, &self.c, &r) {
            Ok(r) => r,
            Err(d) => {
                self.facts = None;
                self.relation_errors.push(d);
                return;
            }
        };
        if self.facts.is_none() {
            return;
        }
        let p = self.c.policy;
        let decl = &p.ty(r.entity.0).relations[r.rel.index()];
        match self.seen.entry((r.entity.0, r.entity.1.clone(), r.rel)) {
            Entry::Occupied(first) if decl.many => {
                if let Some(first) = self.relations.get_mut(*first.get()) {
                    first.targets.extend(r.targets);
                }
                return;
            }
            Entry::Occupied(_) => {
                // The last entry winning would make the order of the entries decide.
                let t = p.ty(r.entity.0);
                let d = Diagnostic::new(
                    Code::E0401,
                    format!(
                        "`{}.{}` holds one `{}`, and is given twice",
                        crate::facts::display_entity(&t.name, &r.entity.1),
                        decl.name,
                        p.type_name(decl.target)
                    ),
                )
                .primary(from_span, "a second entry")
                .help(format!(
                    "give it one entry, or declare it `relation {}: [{}];` to allow several",
                    decl.name,
                    p.type_name(decl.target)
                ));
                self.facts = None;
                self.relation_errors.push(d);
                return;
            }
            Entry::Vacant(v) => {
                v.insert(self.relations.len());
            }
        }
        self.relations.push(r);
    }

    /// Checks the attributes and the context, and applies what was gathered if there was no
    /// problem (or, collecting, returns it).
    fn finish(self) -> Result<(Facts, Vec<CheckedFact>), Vec<Diagnostic>> {
        let (j, c) = (&self.j, &self.c);
        let mut errors = self.assignment_errors;
        errors.extend(self.relation_errors);
        let mut rest = Vec::new();
        let mut push = |r: Result<CheckedFact, Diagnostic>| match r {
            Ok(f) => rest.push(f),
            Err(d) => errors.push(d),
        };
        if let Some(attrs) = self.attributes {
            match j.object(attrs, "`attributes`") {
                Ok(map) => {
                    for (key, values) in map {
                        let span = j.span(values);
                        let (ty, id) = match entity(&key, span, "attribute key") {
                            Ok(e) => (e.ty, e.id),
                            Err(d) => {
                                push(Err(d));
                                continue;
                            }
                        };
                        match j.object(values, "the attributes of an entity") {
                            Ok(fields) => {
                                for (name, v) in fields {
                                    let vspan = j.span(v);
                                    let ty = Named { name: ty, span };
                                    push(c.set(
                                        ty,
                                        id,
                                        Named {
                                            name: &name,
                                            span: vspan,
                                        },
                                        &j.input(v),
                                    ));
                                }
                            }
                            Err(d) => push(Err(d)),
                        }
                    }
                }
                Err(d) => push(Err(d)),
            }
        }
        if let Some(ctx) = self.context {
            match j.object(ctx, "`context`") {
                Ok(map) => {
                    for (name, v) in map {
                        push(c.context(
                            Named {
                                name: &name,
                                span: j.span(v),
                            },
                            &j.input(v),
                        ));
                    }
                }
                Err(d) => push(Err(d)),
            }
        }
        if let Some(action) = self.action {
            match j.object(action, "`action`") {
                Ok(map) => {
                    for (name, v) in map {
                        push(c.action(
                            Named {
                                name: &name,
                                span: j.span(v),
                            },
                            &j.input(v),
                        ));
                    }
                }
                Err(d) => push(Err(d)),
            }
        }
        match self.facts {
            Some(facts) if errors.is_empty() && self.collected.is_some() => {
                let mut out = self.collected.unwrap_or_default();
                for r in self.relations {
                    out.push(CheckedFact::Relation {
                        entity: (r.entity.0, r.entity.1.into_owned()),
                        rel: r.rel,
                        targets: r
                            .targets
                            .into_iter()
                            .map(|(ty, id)| (ty, id.into_owned()))
                            .collect(),
                    });
                }
                out.extend(rest);
                Ok((facts, out))
            }
            Some(mut facts) if errors.is_empty() => {
                for r in &self.relations {
                    let e = facts.entity(r.entity.0, &r.entity.1);
                    let targets = r
                        .targets
                        .iter()
                        .map(|(ty, id)| facts.entity(*ty, id))
                        .collect();
                    facts.set_relation(e, r.rel, targets);
                }
                facts.apply_all(&rest);
                // The assignments were added one by one, their number unknown until the end.
                facts.shrink();
                Ok((facts, Vec::new()))
            }
            _ => Err(errors),
        }
    }
}

/// Checks an assignment and hands it to `sink` (which applies or gathers it).
fn assignment(
    j: &JsonText<'_>,
    c: &Checker<'_>,
    a: &JsonAssignment<'_>,
    sink: &mut dyn FnMut(&super::check::CheckedAssignment<'_>),
) -> Result<(), Diagnostic> {
    let (actor, aspan) = j.string(a.actor, "`actor`")?;
    let (role, rspan) = j.string(a.role, "`role`")?;
    let (on, ospan) = j.string(a.on, "`on`")?;
    let until = match a.until {
        Some(u) if u.get().trim() == "null" => {
            return Err(Diagnostic::new(Code::E0501, "`until` is null")
                .primary(j.span(u), "not a time")
                .help("omit `until` for an assignment that does not expire"));
        }
        Some(u) => Some(j.string(u, "`until`")?),
        None => None,
    };
    let subject = match SubjectRef::parse(&actor) {
        Ok(SubjectRef::Wildcard(ty)) => SubjectInput::Wildcard {
            ty: Named {
                name: ty,
                span: aspan,
            },
        },
        Ok(SubjectRef::Userset(e, set_role)) => SubjectInput::Userset {
            ty: Named {
                name: e.ty,
                span: aspan,
            },
            id: e.id,
            role: Named {
                name: set_role,
                span: aspan,
            },
        },
        Ok(SubjectRef::Entity(e)) => SubjectInput::Entity {
            ty: Named {
                name: e.ty,
                span: aspan,
            },
            id: e.id,
        },
        Err(e) => return Err(entity_error(&actor, aspan, "`actor`", e)),
    };
    let EntityRef {
        ty: on_ty,
        id: on_id,
    } = entity(&on, ospan, "`on`")?;
    let checked = c.check_assignment(
        subject,
        Named {
            name: &role,
            span: rspan,
        },
        (
            Named {
                name: on_ty,
                span: ospan,
            },
            on_id,
        ),
        until.as_ref().map(|(u, s)| (&**u, *s)),
        aspan.to(ospan),
    )?;
    sink(&checked);
    Ok(())
}

fn relation<'t>(
    j: &JsonText<'t>,
    c: &Checker<'_>,
    r: &JsonRelation<'t>,
) -> Result<Relation<'t>, Diagnostic> {
    let (from, fspan) = j.string(r.from, "`from`")?;
    let (rel, rspan) = j.string(r.relation, "`relation`")?;
    let (ty, id) = entity_cow(&from, fspan, "`from`")?;
    // The common case, a relation to one entity written as a string without escapes, is checked
    // without building the value; anything else takes the general path, which also words every
    // problem.
    let p = c.policy;
    if let Some(tid) = p.type_id(ty)
        && let Some(rid) = p.ty(tid).relation(&rel)
        && let Some(EntityRef {
            ty: to_ty,
            id: to_id,
        }) = JsonText::plain_string(r.to).and_then(|t| EntityRef::parse(t).ok())
        && let Some(to_tid) = p.type_id(to_ty)
        && to_tid == p.ty(tid).relations[rid.index()].target
    {
        return Ok(Relation {
            entity: (tid, id),
            rel: rid,
            targets: vec![(to_tid, Cow::Borrowed(to_id))],
        });
    }
    let fact = c.set(
        Named {
            name: ty,
            span: fspan,
        },
        &id,
        Named {
            name: &rel,
            span: rspan,
        },
        &j.input(r.to),
    )?;
    match fact {
        CheckedFact::Relation {
            entity,
            rel,
            targets,
        } => Ok(Relation {
            entity: (entity.0, id),
            rel,
            targets: targets
                .into_iter()
                .map(|(ty, id)| (ty, Cow::Owned(id)))
                .collect(),
        }),
        _ => Err(Diagnostic::new(
            Code::E0205,
            format!("`{rel}` is an attribute of `{ty}`, not a relation"),
        )
        .primary(rspan, "not a relation")
        .help("set attributes in the `attributes` object")),
    }
}

/// The members of a facts document, as `#[derive(Deserialize)]` with `deny_unknown_fields` reads
/// them (the same errors). The document, its assignments and its relations must be objects:
/// the array form serde's derive would also take (the members in order) is not the format.
const MEMBERS: &[&str] = &[
    "assignments",
    "relations",
    "attributes",
    "context",
    "action",
];

#[derive(Clone, Copy, Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Member {
    Assignments,
    Relations,
    Attributes,
    Context,
    Action,
}

/// Reads a facts document into a [`Loader`]: assignments and relations are checked as they are
/// read, not gathered into a list first.
struct Document<'l, 'p, 't>(&'l mut Loader<'p, 't>);

impl<'t> DeserializeSeed<'t> for Document<'_, '_, 't> {
    type Value = ();

    fn deserialize<D: Deserializer<'t>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_struct("Document", MEMBERS, self)
    }
}

impl<'t> Visitor<'t> for Document<'_, '_, 't> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an object with `assignments`, `relations`, `attributes`, `context` or `action`",
        )
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = [false; MEMBERS.len()];
        while let Some(member) = map.next_key::<Member>()? {
            if std::mem::replace(&mut seen[member as usize], true) {
                return Err(de::Error::duplicate_field(MEMBERS[member as usize]));
            }
            match member {
                Member::Assignments => {
                    map.next_value_seed(Each(&mut *self.0, Loader::assignment))?
                }
                Member::Relations => map.next_value_seed(Each(&mut *self.0, Loader::relation))?,
                Member::Attributes => self.0.attributes = map.next_value()?,
                Member::Context => self.0.context = map.next_value()?,
                Member::Action => self.0.action = map.next_value()?,
            }
        }
        Ok(())
    }
}

/// A value that must be a JSON object (`#[derive(Deserialize)]` alone would also take an array
/// of the fields in order, which the formats do not allow): list elements of facts, requests.
pub(crate) struct Object<T>(pub(crate) T);

impl<'t, T: Deserialize<'t>> Deserialize<'t> for Object<T> {
    fn deserialize<D: Deserializer<'t>>(d: D) -> Result<Self, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'t, T: Deserialize<'t>> Visitor<'t> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'t>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Fields(std::marker::PhantomData))
            .map(Object)
    }
}

/// Reads a list, handing each element to the loader as it is read.
struct Each<'l, 'p, 't, T>(&'l mut Loader<'p, 't>, fn(&mut Loader<'p, 't>, T));

impl<'t, T: Deserialize<'t>> DeserializeSeed<'t> for Each<'_, '_, 't, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'t>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'t, T: Deserialize<'t>> Visitor<'t> for Each<'_, '_, 't, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(Object(item)) = seq.next_element()? {
            (self.1)(self.0, item);
        }
        Ok(())
    }
}
