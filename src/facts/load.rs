//! Facts from checked facts, and from Pol or JSON text, a reader, a value or a file.

use super::{
    Assignment, CheckedAssignment, CheckedFact, EntityId, FactValue, Facts, Subject, SubjectName,
    Value, json, pol,
};
use crate::compiled::Policy;
use crate::diag::Diagnostic;
use crate::source::SourceMap;
use std::path::Path;

impl Facts {
    /// Applies checked facts, reserving room for their assignments first (a large load then
    /// allocates once instead of doubling).
    pub fn apply_all(&mut self, facts: &[CheckedFact]) {
        let n = facts
            .iter()
            .filter(|f| matches!(f, CheckedFact::Assign { .. }))
            .count();
        self.slots.reserve_exact(n);
        for f in facts {
            self.apply(f);
        }
    }

    /// Applies a checked fact.
    pub fn apply(&mut self, fact: &CheckedFact) {
        match fact {
            CheckedFact::Assign {
                subject,
                role,
                on,
                until,
                span,
            } => {
                self.apply_assignment(&CheckedAssignment {
                    subject: subject.as_deref(),
                    role: *role,
                    on: (on.0, &on.1),
                    until: *until,
                    span: *span,
                });
            }
            CheckedFact::Relation {
                entity,
                rel,
                targets,
            } => {
                let e = self.entity(entity.0, &entity.1);
                let t: Vec<EntityId> = targets.iter().map(|(ty, n)| self.entity(*ty, n)).collect();
                self.set_relation(e, *rel, t);
            }
            CheckedFact::Attribute {
                entity,
                attr,
                value,
            } => {
                let e = self.entity(entity.0, &entity.1);
                let v = self.value(value);
                self.set_attribute(e, *attr, v);
            }
            CheckedFact::Context { field, value } => {
                let v = self.value(value);
                if self.context.len() <= *field {
                    self.context.resize(*field + 1, None);
                }
                self.context[*field] = Some(v);
            }
            CheckedFact::Action { field, value } => {
                let v = self.value(value);
                if self.action.len() <= *field {
                    self.action.resize(*field + 1, None);
                }
                self.action[*field] = Some(v);
            }
        }
    }

    /// Applies a checked assignment: interns its entities (the subject first) and adds it.
    pub fn apply_assignment(&mut self, a: &CheckedAssignment<'_>) -> u32 {
        let subject = match a.subject {
            SubjectName::Actor(ty, name) => Subject::Actor(self.entity(ty, name)),
            SubjectName::Userset(ty, name, r) => Subject::Userset(self.entity(ty, name), r),
            SubjectName::Wildcard(ty) => Subject::Wildcard(ty),
        };
        let on = self.entity(a.on.0, a.on.1);
        self.assign(Assignment::new(subject, a.role, on, a.until, a.span))
    }

    /// Interns the entities of a checked value.
    pub fn value(&mut self, v: &FactValue) -> Value {
        match v {
            FactValue::Bool(b) => Value::Bool(*b),
            FactValue::Int(i) => Value::Int(*i),
            FactValue::Str(s) => Value::Str(s.as_str().into()),
            FactValue::Time(t) => Value::Time(*t),
            FactValue::Duration(d) => Value::Duration(*d),
            FactValue::Entity(ty, name) => Value::Entity(self.entity(*ty, name)),
            FactValue::List(items) => Value::set(items.iter().map(|i| self.value(i)).collect()),
            FactValue::Record(fields) => Value::record(
                fields
                    .iter()
                    .map(|(n, v)| (n.as_str().into(), self.value(v)))
                    .collect(),
            ),
        }
    }
}

impl Facts {
    /// Facts written in Pol (bare facts and `facts` blocks), checked against the policy. The text
    /// is added to `sources` as `name`, so diagnostics can be rendered.
    pub fn from_pol_str(
        policy: &Policy,
        sources: &mut SourceMap,
        name: &str,
        text: &str,
    ) -> Result<Facts, Vec<Diagnostic>> {
        let file = sources.add(name, text);
        load_text(policy, file, text, false)
    }

    /// Facts as JSON (docs/language.md, "Facts"), checked against the policy.
    pub fn from_json_str(
        policy: &Policy,
        sources: &mut SourceMap,
        name: &str,
        text: &str,
    ) -> Result<Facts, Vec<Diagnostic>> {
        let file = sources.add(name, text);
        load_text(policy, file, text, true)
    }

    /// Facts as JSON text, without a source map: the spans of the diagnostics point into `text`
    /// as file 0 (add it to a fresh [`SourceMap`] to render them).
    pub fn from_json(policy: &Policy, text: &str) -> Result<Facts, Vec<Diagnostic>> {
        load_text(policy, crate::source::FileId(0), text, true)
    }

    /// Facts as Pol text (bare facts and `facts` blocks), without a source map; spans as in
    /// [`Facts::from_json`].
    pub fn from_pol(policy: &Policy, text: &str) -> Result<Facts, Vec<Diagnostic>> {
        load_text(policy, crate::source::FileId(0), text, false)
    }

    /// Facts as JSON read from `reader` (up to [`crate::loader::MAX_FILE_BYTES`]).
    pub fn from_json_reader(
        policy: &Policy,
        reader: impl std::io::Read,
    ) -> Result<Facts, Vec<Diagnostic>> {
        use crate::diag::Code;
        use std::io::Read;
        let limit = crate::loader::MAX_FILE_BYTES;
        let mut bytes = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                vec![Diagnostic::new(
                    Code::E0001,
                    format!("cannot read the facts: {e}"),
                )]
            })?;
        if bytes.len() as u64 > limit {
            return Err(vec![Diagnostic::new(
                Code::E0003,
                format!("the facts are more than the limit of {limit} bytes"),
            )]);
        }
        let text = String::from_utf8(bytes).map_err(|_| {
            vec![Diagnostic::new(
                Code::E0002,
                "the facts are not valid UTF-8",
            )]
        })?;
        Facts::from_json(policy, &text)
    }

    /// Adds facts written in Pol (`user:bob is viewer on workspace:ml;`) to these facts: all of
    /// them, or none when one does not fit the policy (spans as in [`Facts::from_json`]).
    pub fn add_pol(&mut self, policy: &Policy, text: &str) -> Result<(), Vec<Diagnostic>> {
        let (ast, diags) = crate::syntax::parse_file(crate::source::FileId(0), text);
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        pol::load(policy, self, pol::file_facts(&ast))
    }

    /// Facts from a JSON value already parsed. It is written back to text once, so that every
    /// diagnostic keeps a place (in that text, as file 0).
    pub fn from_json_value(
        policy: &Policy,
        value: &serde_json::Value,
    ) -> Result<Facts, Vec<Diagnostic>> {
        Facts::from_json(policy, &value.to_string())
    }
}

/// Facts from a file's text, JSON or Pol: all of them, or the diagnostics.
fn load_text(
    policy: &Policy,
    file: crate::source::FileId,
    text: &str,
    is_json: bool,
) -> Result<Facts, Vec<Diagnostic>> {
    if is_json {
        return json::load(policy, file, text);
    }
    let mut facts = Facts::new(policy);
    let (ast, diags) = crate::syntax::parse_file(file, text);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    pol::load(policy, &mut facts, pol::file_facts(&ast))?;
    facts.shrink();
    Ok(facts)
}

/// Loads a data file (`.json`, or Pol facts in any other file) into new facts. The file is added
/// to `sources` so diagnostics and assignment spans point into it. All or nothing.
pub fn load_data(
    policy: &Policy,
    sources: &mut SourceMap,
    path: &Path,
) -> Result<Facts, Vec<Diagnostic>> {
    let file = crate::loader::read_file_as(sources, path, crate::loader::Kind::Data)
        .map_err(|d| vec![d])?;
    let text = sources
        .get(file)
        .map(|f| f.text.clone())
        .unwrap_or_default();
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    load_text(policy, file, &text, is_json)
}
