//! Checking values: each of its declared type (scalars, times, durations, entities of a
//! type, lists, records), with the diagnostic that says what was expected.

use super::{Checker, FactValue, Input, InputKind, Named, parse_time};
use crate::compiled::{Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};

impl Checker<'_> {
    pub(super) fn entity_value(
        &self,
        expected: &Type,
        v: &Input,
        what: &dyn Fn() -> String,
    ) -> Result<(TypeId, String), Diagnostic> {
        match self.value_of(expected, v, what)? {
            FactValue::Entity(t, id) => Ok((t, id)),
            _ => Err(self.wrong(expected, v, &what())),
        }
    }

    pub(super) fn wrong(&self, expected: &Type, v: &Input, what: &str) -> Diagnostic {
        let names: Vec<String> = self.policy.types.iter().map(|t| t.name.clone()).collect();
        let found = match &v.kind {
            InputKind::Bool(_) => "a bool".to_string(),
            InputKind::Int(_) => "an integer".into(),
            InputKind::Str(s) => format!("the string \"{s}\""),
            InputKind::Entity(t, _) => format!("a `{t}`"),
            InputKind::Duration(_, t) => format!("the duration `{t}`"),
            InputKind::List(_) => "a list".into(),
            InputKind::Record(_) => "a record".into(),
            InputKind::Other(o) => (*o).to_string(),
        };
        Diagnostic::new(
            Code::E0401,
            format!("`{what}` is `{}`, found {found}", expected.describe(&names)),
        )
        .primary(v.span, format!("expected `{}`", expected.describe(&names)))
    }

    /// Checks a value against a declared type.
    pub fn value(&self, expected: &Type, v: &Input, what: &str) -> Result<FactValue, Diagnostic> {
        self.value_of(expected, v, &|| what.to_string())
    }

    /// [`Checker::value`], with the name of what is set only built for a diagnostic (loading
    /// must not format a string per fact).
    pub(super) fn value_of(
        &self,
        expected: &Type,
        v: &Input,
        what: &dyn Fn() -> String,
    ) -> Result<FactValue, Diagnostic> {
        let wrong = || self.wrong(expected, v, &what());
        Ok(match (expected, &v.kind) {
            (Type::Bool, InputKind::Bool(b)) => FactValue::Bool(*b),
            (Type::Int, InputKind::Int(i)) => FactValue::Int(*i),
            (Type::String, InputKind::Str(s)) => FactValue::Str(s.clone()),
            (Type::Enum(values), InputKind::Str(s)) => {
                if !values.contains(s) {
                    let mut d = wrong();
                    if let Some(h) = did_you_mean(s, values.iter().map(String::as_str)) {
                        d = d.help(h);
                    }
                    return Err(d);
                }
                FactValue::Str(s.clone())
            }
            (Type::Time, InputKind::Str(s)) => FactValue::Time(parse_time(s, v.span)?),
            (Type::Duration, InputKind::Duration(micros, _)) => FactValue::Duration(*micros),
            (Type::Duration, InputKind::Str(s)) => match crate::duration::parse(s) {
                Ok(micros) => FactValue::Duration(micros),
                Err(_) => {
                    return Err(wrong().help(
                        "write durations like \"90d\", \"1d12h\", \"-5h\", \"30m\", \"2w\"",
                    ));
                }
            },
            (Type::Record(fields), InputKind::Record(given)) => {
                let mut out = Vec::new();
                for (name, span, value) in given {
                    let Some(f) = fields.iter().find(|f| f.name == *name) else {
                        let d = Diagnostic::new(
                            Code::E0205,
                            format!("`{}` has no field `{name}`", what()),
                        )
                        .primary(*span, "unknown field");
                        let d = match did_you_mean(name, fields.iter().map(|f| f.name.as_str())) {
                            Some(h) => d.help(h),
                            None => d.help(format!(
                                "the fields are: {}",
                                fields
                                    .iter()
                                    .map(|f| format!("`{}`", f.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        return Err(d);
                    };
                    if out.iter().any(|(n, _): &(String, FactValue)| n == name) {
                        return Err(Diagnostic::new(
                            Code::E0206,
                            format!("field `{name}` is given twice"),
                        )
                        .primary(*span, "given again here"));
                    }
                    let inner = || format!("{}.{name}", what());
                    out.push((name.clone(), self.value_of(&f.ty, value, &inner)?));
                }
                let missing: Vec<&str> = fields
                    .iter()
                    .filter(|f| !f.optional && !out.iter().any(|(n, _)| *n == f.name))
                    .map(|f| f.name.as_str())
                    .collect();
                if !missing.is_empty() {
                    let list = missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(Diagnostic::new(
                        Code::E0404,
                        format!("`{}` misses the required field {list}", what()),
                    )
                    .primary(v.span, "incomplete record")
                    .help("give every field that is not declared with `?`"));
                }
                FactValue::Record(out)
            }
            (Type::Entity(t), InputKind::Entity(ty, id)) => self.entity_of(*t, ty, id, v)?,
            (Type::Entity(t), InputKind::Str(s)) => match crate::entity::EntityRef::parse(s) {
                Ok(e) => self.entity_of(*t, e.ty, e.id, v)?,
                Err(e) => {
                    return Err(wrong().help(format!(
                        "{}; write entities as \"{}:ID\", the id everything after the first `:`",
                        e.reason(),
                        self.policy.type_name(*t)
                    )));
                }
            },
            (Type::List(inner), InputKind::List(items)) => FactValue::List(
                items
                    .iter()
                    .map(|i| self.value_of(inner, i, what))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(wrong()),
        })
    }

    pub(super) fn entity_of(
        &self,
        expected: TypeId,
        ty: &str,
        id: &str,
        v: &Input,
    ) -> Result<FactValue, Diagnostic> {
        let t = self.ty(Named {
            name: ty,
            span: v.span,
        })?;
        if t != expected {
            return Err(Diagnostic::new(
                Code::E0401,
                format!(
                    "expected a `{}`, found `{}`",
                    self.policy.type_name(expected),
                    crate::facts::display_entity(ty, id)
                ),
            )
            .primary(v.span, format!("a `{ty}`")));
        }
        Ok(FactValue::Entity(t, id.to_string()))
    }
}
