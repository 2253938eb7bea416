//! Facts as JSON (LANGUAGE.md section 4). Values are read as raw JSON slices so that every
//! diagnostic points at the exact place in the file.

use super::Facts;
use super::check::{CheckedFact, Checker, Input, InputKind, Named, SubjectInput};
use crate::compiled::Policy;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document<'a> {
    #[serde(borrow, default)]
    assignments: Vec<JsonAssignment<'a>>,
    #[serde(borrow, default)]
    relations: Vec<JsonRelation<'a>>,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow, default)]
    context: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAssignment<'a> {
    #[serde(borrow)]
    actor: &'a RawValue,
    #[serde(borrow)]
    role: &'a RawValue,
    #[serde(borrow)]
    on: &'a RawValue,
    #[serde(borrow, default)]
    until: Option<&'a RawValue>,
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

/// How deeply lists may nest in a JSON value of facts, a request or a context (a documented
/// limit, `docs/security.md`). No type of the language nests nearly as deep.
pub const MAX_JSON_NESTING: usize = crate::syntax::MAX_NESTING;

/// Reads JSON text; keeps the file and the text for spans.
pub struct JsonText<'t> {
    pub file: FileId,
    pub text: &'t str,
}

impl<'t> JsonText<'t> {
    /// The span of a raw value borrowed from this text.
    pub fn span(&self, raw: &RawValue) -> Span {
        let start = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        Span::new(self.file, start, start + raw.get().len())
    }

    /// A serde_json syntax or shape error as a diagnostic at its line and column.
    pub fn syntax_error(&self, e: &serde_json::Error, what: &str) -> Diagnostic {
        let offset = line_col_offset(self.text, e.line(), e.column());
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Diagnostic::new(Code::E0501, format!("malformed {what}: {msg}"))
            .primary(Span::new(self.file, offset, offset), "here")
            .help(format!("`polc explain E0501` shows the {what} format"))
    }

    /// A JSON string value.
    pub fn string(
        &self,
        raw: &'t RawValue,
        what: &str,
    ) -> Result<(std::borrow::Cow<'t, str>, Span), Diagnostic> {
        let span = self.span(raw);
        // Most strings have no escapes: borrow them from the input instead of allocating.
        let text = raw.get();
        if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
            && !inner.contains(['\\', '"'])
            && !inner.chars().any(char::is_control)
        {
            return Ok((std::borrow::Cow::Borrowed(inner), span));
        }
        serde_json::from_str::<String>(text)
            .map(|s| (std::borrow::Cow::Owned(s), span))
            .map_err(|_| {
                Diagnostic::new(Code::E0501, format!("{what} must be a string"))
                    .primary(span, "not a string")
            })
    }

    /// Any JSON value as checker input.
    pub fn input(&self, raw: &'t RawValue) -> Input {
        self.input_within(raw, MAX_JSON_NESTING)
    }

    /// A value whose lists may nest `levels` deep. serde_json's raw values skip nesting of any
    /// depth, and each level here parses the rest again: without the limit, 100,000 `[` are a
    /// quadratic walk and a recursion deep enough to overflow the stack.
    fn input_within(&self, raw: &'t RawValue, levels: usize) -> Input {
        let span = self.span(raw);
        let text = raw.get().trim_start();
        let kind = match text.as_bytes().first() {
            Some(b'[') if levels == 0 => InputKind::Other("a list nested too deeply"),
            Some(b'[') => match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
                Ok(items) => InputKind::List(
                    items
                        .into_iter()
                        .map(|i| self.input_within(i, levels - 1))
                        .collect(),
                ),
                Err(_) => InputKind::Other("a malformed list"),
            },
            Some(b'"') => serde_json::from_str::<String>(raw.get())
                .map_or(InputKind::Other("a malformed string"), InputKind::Str),
            Some(b't') => InputKind::Bool(true),
            Some(b'f') => InputKind::Bool(false),
            Some(b'n') => InputKind::Other("null"),
            Some(b'{') => InputKind::Other("an object"),
            _ => match serde_json::from_str::<i64>(raw.get()) {
                Ok(i) => InputKind::Int(i),
                Err(_) => InputKind::Other("a number that is not an integer"),
            },
        };
        Input { kind, span }
    }

    /// An object's members with their values, for `attributes` and `context`.
    pub fn object(
        &self,
        raw: &'t RawValue,
        what: &str,
    ) -> Result<BTreeMap<String, &'t RawValue>, Diagnostic> {
        serde_json::from_str(raw.get()).map_err(|_| {
            Diagnostic::new(Code::E0501, format!("{what} must be an object"))
                .primary(self.span(raw), "not an object")
        })
    }
}

fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// `type:id` split; the id may contain anything, including `:`.
pub fn split_entity(s: &str) -> Option<(&str, &str)> {
    let (ty, id) = s.split_once(':')?;
    (!ty.is_empty() && !id.is_empty()).then_some((ty, id))
}

fn entity_error(text: &str, span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::E0401, format!("{what} \"{text}\" is not an entity"))
        .primary(span, "expected \"type:id\"")
        .help("write entities as \"type:id\", e.g. \"user:alice\"")
}

/// Checks a JSON facts document. Returns every checked fact, or every problem.
pub fn check(
    policy: &Policy,
    file: FileId,
    text: &str,
) -> Result<Vec<CheckedFact>, Vec<Diagnostic>> {
    let j = JsonText { file, text };
    let doc: Document =
        serde_json::from_str(text).map_err(|e| vec![j.syntax_error(&e, "facts JSON")])?;
    let c = Checker::new(policy);
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    let mut push = |r: Result<CheckedFact, Diagnostic>| match r {
        Ok(f) => ok.push(f),
        Err(d) => errors.push(d),
    };
    for a in &doc.assignments {
        push(assignment(&j, &c, a));
    }
    for r in &doc.relations {
        push(relation(&j, &c, r));
    }
    if let Some(attrs) = doc.attributes {
        match j.object(attrs, "`attributes`") {
            Ok(map) => {
                for (entity, values) in map {
                    let span = j.span(values);
                    let Some((ty, id)) = split_entity(&entity) else {
                        push(Err(entity_error(&entity, span, "attribute key")));
                        continue;
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
    if let Some(ctx) = doc.context {
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
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}

fn assignment(
    j: &JsonText<'_>,
    c: &Checker<'_>,
    a: &JsonAssignment<'_>,
) -> Result<CheckedFact, Diagnostic> {
    let (actor, aspan) = j.string(a.actor, "`actor`")?;
    let (role, rspan) = j.string(a.role, "`role`")?;
    let (on, ospan) = j.string(a.on, "`on`")?;
    let until = match a.until {
        Some(u) if u.get().trim() != "null" => Some(j.string(u, "`until`")?),
        _ => None,
    };
    let subject = if let Some(ty) = actor.strip_suffix(":*") {
        SubjectInput::Wildcard {
            ty: Named {
                name: ty,
                span: aspan,
            },
        }
    } else if let Some((entity, set_role)) = actor.split_once('#') {
        let (ty, id) =
            split_entity(entity).ok_or_else(|| entity_error(&actor, aspan, "`actor`"))?;
        SubjectInput::Userset {
            ty: Named {
                name: ty,
                span: aspan,
            },
            id,
            role: Named {
                name: set_role,
                span: aspan,
            },
        }
    } else {
        let (ty, id) =
            split_entity(&actor).ok_or_else(|| entity_error(&actor, aspan, "`actor`"))?;
        SubjectInput::Entity {
            ty: Named {
                name: ty,
                span: aspan,
            },
            id,
        }
    };
    let (on_ty, on_id) = split_entity(&on).ok_or_else(|| entity_error(&on, ospan, "`on`"))?;
    let span = aspan.to(ospan);
    c.assignment(
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
        span,
    )
}

fn relation(
    j: &JsonText<'_>,
    c: &Checker<'_>,
    r: &JsonRelation<'_>,
) -> Result<CheckedFact, Diagnostic> {
    let (from, fspan) = j.string(r.from, "`from`")?;
    let (rel, rspan) = j.string(r.relation, "`relation`")?;
    let (ty, id) = split_entity(&from).ok_or_else(|| entity_error(&from, fspan, "`from`"))?;
    let fact = c.set(
        Named {
            name: ty,
            span: fspan,
        },
        id,
        Named {
            name: &rel,
            span: rspan,
        },
        &j.input(r.to),
    )?;
    match fact {
        CheckedFact::Relation { .. } => Ok(fact),
        _ => Err(Diagnostic::new(
            Code::E0205,
            format!("`{rel}` is an attribute of `{ty}`, not a relation"),
        )
        .primary(rspan, "not a relation")
        .help("set attributes in the `attributes` object")),
    }
}

/// Loads JSON facts into `facts`: all of them, or nothing.
pub fn load(
    policy: &Policy,
    facts: &mut Facts,
    file: FileId,
    text: &str,
) -> Result<(), Vec<Diagnostic>> {
    let checked = check(policy, file, text)?;
    // Many-valued relations arrive one entry per target: gather them instead of replacing.
    let mut merged: Vec<CheckedFact> = Vec::with_capacity(checked.len());
    let mut many: rustc_hash::FxHashMap<
        (crate::compiled::TypeId, String, crate::compiled::RelId),
        usize,
    > = rustc_hash::FxHashMap::default();
    for f in checked {
        if let CheckedFact::Relation {
            entity,
            rel,
            targets,
        } = &f
            && policy.ty(entity.0).relations[rel.index()].many
        {
            let key = (entity.0, entity.1.clone(), *rel);
            if let Some(&i) = many.get(&key) {
                if let CheckedFact::Relation { targets: prev, .. } = &mut merged[i] {
                    prev.extend(targets.iter().cloned());
                }
                continue;
            }
            many.insert(key, merged.len());
        }
        merged.push(f);
    }
    facts.apply_all(&merged);
    Ok(())
}
