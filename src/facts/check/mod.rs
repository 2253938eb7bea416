#![deny(missing_docs)]
//! Checking facts against the policy: every name resolved, every value of its declared type.
//! One checker serves `.pol` facts and JSON facts: both are first turned into [`Input`]s.

use crate::compiled::{AttrId, Kind, Policy, RelId, RoleId, Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;

mod value;

/// An entity named in a fact: its type and id.
pub type EntityName = (TypeId, String);

/// Who an assignment names, resolved; the ids owned, or borrowed from the input (`&str`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubjectName<N = String> {
    /// An actor, `user:alice`: its type and id.
    Actor(TypeId, N),
    /// A userset, `team:core#member`: the group's type and id, and the role (of the group's
    /// type) whose holders are meant.
    Userset(TypeId, N, RoleId),
    /// Every actor of the type, `user:*`.
    Wildcard(TypeId),
}

impl SubjectName {
    /// The subject with its id borrowed.
    pub fn as_deref(&self) -> SubjectName<&str> {
        match self {
            SubjectName::Actor(ty, id) => SubjectName::Actor(*ty, id),
            SubjectName::Userset(ty, id, role) => SubjectName::Userset(*ty, id, *role),
            SubjectName::Wildcard(ty) => SubjectName::Wildcard(*ty),
        }
    }
}

/// An assignment that passed every check, its ids borrowed from the input: a load interns them
/// into the facts without an owned copy of each ([`super::Facts::apply_assignment`]).
#[derive(Clone, Copy, Debug)]
pub struct CheckedAssignment<'s> {
    /// Who is assigned.
    pub subject: SubjectName<&'s str>,
    /// The role, on the type of `on`.
    pub role: RoleId,
    /// The entity the role is held on: its type and id.
    pub on: (TypeId, &'s str),
    /// When the assignment expires, in microseconds since the Unix epoch; `None`: never.
    pub until: Option<i64>,
    /// Where the assignment was written (`None` for facts without a source).
    pub span: Option<Span>,
}

impl CheckedAssignment<'_> {
    /// The assignment as an owned [`CheckedFact`].
    pub fn to_fact(&self) -> CheckedFact {
        let subject = match self.subject {
            SubjectName::Actor(ty, id) => SubjectName::Actor(ty, id.to_string()),
            SubjectName::Userset(ty, id, role) => SubjectName::Userset(ty, id.to_string(), role),
            SubjectName::Wildcard(ty) => SubjectName::Wildcard(ty),
        };
        CheckedFact::Assign {
            subject,
            role: self.role,
            on: (self.on.0, self.on.1.to_string()),
            until: self.until,
            span: self.span,
        }
    }
}

/// A value checked against its declared type, entities still by name.
#[derive(Clone, Debug, PartialEq)]
pub enum FactValue {
    /// A `bool` value.
    Bool(bool),
    /// An `int` value.
    Int(i64),
    /// A `string` or enumeration value.
    Str(String),
    /// A `time`, in microseconds since the Unix epoch.
    Time(i64),
    /// A `duration`, in microseconds.
    Duration(i64),
    /// An entity: its type and id.
    Entity(TypeId, String),
    /// A list's elements, in the order written.
    List(Vec<FactValue>),
    /// The fields as written (each declared field at most once).
    Record(Vec<(String, FactValue)>),
}

/// A fact that passed every check, ready for [`super::Facts::apply`].
#[derive(Clone, Debug, PartialEq)]
pub enum CheckedFact {
    /// `subject is role on entity [until time]`.
    Assign {
        /// Who is assigned.
        subject: SubjectName,
        /// The role, on the type of `on`.
        role: RoleId,
        /// The entity the role is held on.
        on: EntityName,
        /// When the assignment expires, in microseconds since the Unix epoch; `None`: never.
        until: Option<i64>,
        /// Where the fact was written (`None` for facts without a source).
        span: Option<Span>,
    },
    /// `entity.rel = target` (or a list of targets for a many-valued relation).
    Relation {
        /// The entity the relation starts at.
        entity: EntityName,
        /// The relation, on the entity's type.
        rel: RelId,
        /// The entities it points to (one for a single-valued relation).
        targets: Vec<EntityName>,
    },
    /// `entity.attr = value`.
    Attribute {
        /// The entity described.
        entity: EntityName,
        /// The attribute, on the entity's type.
        attr: AttrId,
        /// The value, of the attribute's declared type.
        value: FactValue,
    },
    /// `context.field = value;`: a context value for the requests that follow (tests, REPL).
    Context {
        /// The field's index in [`Policy::context`].
        field: usize,
        /// The value, of the field's declared type.
        value: FactValue,
    },
    /// `action.soft = true;`: an action property for the requests that follow (tests, REPL).
    Action {
        /// The property's index in [`Policy::action`].
        field: usize,
        /// The value, of the property's declared type.
        value: FactValue,
    },
}

/// A value as written, in either syntax.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    /// What was written.
    pub kind: InputKind,
    /// Where it was written (for diagnostics).
    pub span: Span,
}

/// The shape of a value as written, before its declared type is known.
#[derive(Clone, Debug, PartialEq)]
pub enum InputKind {
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (also times, durations and entities in JSON, read by the expected type).
    Str(String),
    /// `type:id` written as an entity reference (in `.pol`).
    Entity(String, String),
    /// Microseconds, and the text as written.
    Duration(i64, String),
    /// `[a, b]`.
    List(Vec<Input>),
    /// `{ name: value, ... }` (in JSON, an object where a record is expected): each field
    /// with the span of its name.
    Record(Vec<(String, Span, Input)>),
    /// JSON `null` or an object: never a valid fact value.
    Other(&'static str),
}

/// A name with where it was written.
#[derive(Clone, Copy, Debug)]
pub struct Named<'s> {
    /// The name.
    pub name: &'s str,
    /// Where it was written.
    pub span: Span,
}

/// The subject of an assignment as written.
#[derive(Clone, Copy, Debug)]
pub enum SubjectInput<'s> {
    /// `type:id`.
    Entity {
        /// The type's name.
        ty: Named<'s>,
        /// The id, read literally.
        id: &'s str,
    },
    /// `type:id#role`.
    Userset {
        /// The group's type.
        ty: Named<'s>,
        /// The group's id.
        id: &'s str,
        /// The role of the group's type whose holders are meant.
        role: Named<'s>,
    },
    /// `type:*`.
    Wildcard {
        /// The actor type.
        ty: Named<'s>,
    },
}

/// A relation or an attribute of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// A relation of the type.
    Relation(RelId),
    /// An attribute of the type.
    Attribute(AttrId),
}

/// Checks facts written in `.pol` or JSON against a policy: resolves every name (with a
/// "did you mean" on a typo) and types every value; each method returns a diagnostic
/// (`E02xx`, `E04xx`) instead of the fact when something does not fit.
pub struct Checker<'p> {
    /// The policy the facts are checked against.
    pub policy: &'p Policy,
}

impl<'p> Checker<'p> {
    /// A checker for `policy`.
    pub fn new(policy: &'p Policy) -> Checker<'p> {
        Checker { policy }
    }

    /// A type named in the facts.
    pub fn ty(&self, ty: Named<'_>) -> Result<TypeId, Diagnostic> {
        self.policy.type_id(ty.name).ok_or_else(|| {
            let names = self.policy.types.iter().map(|t| t.name.as_str());
            let d = Diagnostic::new(Code::E0201, format!("unknown type `{}`", ty.name))
                .primary(ty.span, "not declared in the policy");
            match did_you_mean(ty.name, names) {
                Some(h) => d.help(h),
                None => d.help("facts may only name the policy's actor and resource types"),
            }
        })
    }

    /// `written` (the subject as written) is only called for the diagnostic: formatting it for
    /// every assignment was an allocation per fact when loading.
    fn actor_type(
        &self,
        ty: Named<'_>,
        written: impl FnOnce() -> String,
    ) -> Result<TypeId, Diagnostic> {
        let id = self.ty(ty)?;
        if self.policy.ty(id).kind != Kind::Actor {
            return Err(Diagnostic::new(
                Code::E0502,
                format!(
                    "`{}` cannot hold roles: `{}` is not an actor type",
                    written(),
                    ty.name
                ),
            )
            .primary(ty.span, "a resource type")
            .help(format!(
                "assign the role to a userset such as `{}:ID#ROLE` (everyone holding ROLE there), or declare `actor {};` if it really is a kind of principal",
                ty.name, ty.name
            )));
        }
        Ok(id)
    }

    /// A role of `ty`, with a hint when the role belongs to another type.
    pub fn role(&self, ty: TypeId, role: Named<'_>) -> Result<RoleId, Diagnostic> {
        let t = self.policy.ty(ty);
        if let Some(r) = t.role(role.name) {
            return Ok(r);
        }
        let mut d = Diagnostic::new(
            Code::E0202,
            format!("`{}` has no role `{}`", t.name, role.name),
        )
        .primary(role.span, "unknown role");
        let elsewhere: Vec<&str> = self
            .policy
            .types
            .iter()
            .filter(|o| o.role(role.name).is_some())
            .map(|o| o.name.as_str())
            .collect();
        d = if let Some(h) = did_you_mean(role.name, t.roles.iter().map(|r| r.name.as_str())) {
            d.help(h)
        } else if !elsewhere.is_empty() {
            d.help(format!(
                "`{}` is a role of {}",
                role.name,
                elsewhere
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if t.roles.is_empty() {
            d.help(format!("`{}` declares no roles", t.name))
        } else {
            d.help(format!(
                "the roles of `{}` are: {}",
                t.name,
                t.roles
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        Err(d)
    }

    /// Checks `subject is role on entity [until time]` (`until` as written, with its span) and
    /// returns it as an owned fact. Errors: an unknown type or role, a subject of the wrong kind,
    /// an invalid id, or a time that does not parse.
    pub fn assignment(
        &self,
        subject: SubjectInput<'_>,
        role: Named<'_>,
        on: (Named<'_>, &str),
        until: Option<(&str, Span)>,
        span: Span,
    ) -> Result<CheckedFact, Diagnostic> {
        self.check_assignment(subject, role, on, until, span)
            .map(|a| a.to_fact())
    }

    /// [`Checker::assignment`], the ids left borrowed.
    pub fn check_assignment<'s>(
        &self,
        subject: SubjectInput<'s>,
        role: Named<'_>,
        on: (Named<'_>, &'s str),
        until: Option<(&str, Span)>,
        span: Span,
    ) -> Result<CheckedAssignment<'s>, Diagnostic> {
        let subject = match subject {
            SubjectInput::Entity { ty, id } => SubjectName::Actor(
                self.actor_type(ty, || crate::facts::display_entity(ty.name, id))?,
                id,
            ),
            SubjectInput::Userset { ty, id, role } => {
                let t = self.ty(ty)?;
                SubjectName::Userset(t, id, self.role(t, role)?)
            }
            SubjectInput::Wildcard { ty } => {
                SubjectName::Wildcard(self.actor_type(ty, || format!("{}:*", ty.name))?)
            }
        };
        let on_ty = self.ty(on.0)?;
        let role = self.role(on_ty, role)?;
        let until = match until {
            Some((text, span)) => Some(parse_time(text, span)?),
            None => None,
        };
        Ok(CheckedAssignment {
            subject,
            role,
            on: (on_ty, on.1),
            until,
            span: Some(span),
        })
    }

    /// `entity.name = value`: a relation or an attribute of the entity's type.
    pub fn set(
        &self,
        ty: Named<'_>,
        id: &str,
        name: Named<'_>,
        value: &Input,
    ) -> Result<CheckedFact, Diagnostic> {
        let tid = self.ty(ty)?;
        let t = self.policy.ty(tid);
        let entity = (tid, id.to_string());
        if let Some(rel) = t.relation(name.name) {
            let r = &t.relations[rel.index()];
            let expected = Type::Entity(r.target);
            let what = || format!("{}.{}", crate::facts::display_entity(&t.name, id), r.name);
            let targets = match (&value.kind, r.many) {
                (InputKind::List(items), true) => items
                    .iter()
                    .map(|i| self.entity_value(&expected, i, &what))
                    .collect::<Result<Vec<_>, _>>()?,
                (InputKind::List(_), false) => {
                    return Err(Diagnostic::new(
                        Code::E0401,
                        format!(
                            "`{}.{}` holds one `{}`, not a list",
                            t.name,
                            r.name,
                            self.policy.type_name(r.target)
                        ),
                    )
                    .primary(value.span, "a list")
                    .help(format!(
                        "declare it `relation {}: [{}];` to allow several",
                        r.name,
                        self.policy.type_name(r.target)
                    )));
                }
                _ => vec![self.entity_value(&expected, value, &what)?],
            };
            return Ok(CheckedFact::Relation {
                entity,
                rel,
                targets,
            });
        }
        if let Some(attr) = t.attribute(name.name) {
            let a = &t.attributes[attr.index()];
            let v = self.value_of(&a.ty, value, &|| format!("{}.{}", t.name, a.name))?;
            return Ok(CheckedFact::Attribute {
                entity,
                attr,
                value: v,
            });
        }
        Err(self.unknown_member(tid, name))
    }

    /// A relation or an attribute of `ty` by its name (what a delete names); E0205 as in
    /// [`Checker::set`] otherwise.
    pub fn member(&self, ty: TypeId, name: Named<'_>) -> Result<Member, Diagnostic> {
        let t = self.policy.ty(ty);
        if let Some(rel) = t.relation(name.name) {
            return Ok(Member::Relation(rel));
        }
        if let Some(attr) = t.attribute(name.name) {
            return Ok(Member::Attribute(attr));
        }
        Err(self.unknown_member(ty, name))
    }

    fn unknown_member(&self, ty: TypeId, name: Named<'_>) -> Diagnostic {
        let t = self.policy.ty(ty);
        let names = t
            .relations
            .iter()
            .map(|r| r.name.as_str())
            .chain(t.attributes.iter().map(|a| a.name.as_str()));
        let d = Diagnostic::new(
            Code::E0205,
            format!("`{}` has no attribute or relation `{}`", t.name, name.name),
        )
        .primary(name.span, "unknown attribute or relation");
        match did_you_mean(name.name, names) {
            Some(h) => d.help(h),
            None => d.help(format!(
                "declare it in `resource {}`: `attribute {}: TYPE;`",
                t.name, name.name
            )),
        }
    }

    /// Checks `context.name = value` against the `context { .. }` declarations (`E0209` for an
    /// undeclared field).
    pub fn context(&self, name: Named<'_>, value: &Input) -> Result<CheckedFact, Diagnostic> {
        let Some(field) = self.policy.context_field(name.name) else {
            return Err(self.unknown_context(name));
        };
        let v = self.value(
            &self.policy.context[field].ty,
            value,
            &format!("context.{}", name.name),
        )?;
        Ok(CheckedFact::Context { field, value: v })
    }

    /// `action.NAME = VALUE`: typed against the `action { ... }` declarations (`E0407` for an
    /// undeclared one).
    pub fn action(&self, name: Named<'_>, value: &Input) -> Result<CheckedFact, Diagnostic> {
        let Some(field) = self.policy.action_field(name.name) else {
            return Err(unknown_action_property(
                &self.policy.action,
                name.name,
                name.span,
            ));
        };
        let v = self.value(
            &self.policy.action[field].ty,
            value,
            &format!("action.{}", name.name),
        )?;
        Ok(CheckedFact::Action { field, value: v })
    }

    /// The diagnostic for an undeclared context field `name` (`E0209`, with a "did you mean").
    pub fn unknown_context(&self, name: Named<'_>) -> Diagnostic {
        let d = Diagnostic::new(
            Code::E0209,
            format!("no context field is named `{}`", name.name),
        )
        .primary(name.span, "not declared");
        match did_you_mean(
            name.name,
            self.policy.context.iter().map(|f| f.name.as_str()),
        ) {
            Some(h) => d.help(h),
            None => d.help(format!(
                "declare it in the policy: `context {{ {}: TYPE; }}`",
                name.name
            )),
        }
    }
}

/// An RFC 3339 time; `E0102` otherwise.
pub fn parse_time(text: &str, span: Span) -> Result<i64, Diagnostic> {
    crate::time::parse_checked(text).map_err(|why| {
        Diagnostic::new(Code::E0102, format!("{text:?} is not a valid time: {why}"))
            .primary(span, "expected an RFC 3339 time")
            .help(
                "write times like \"2026-12-31T00:00:00Z\" (date, `T`, time, and `Z` or an offset)",
            )
    })
}

/// `E0407`: `action.NAME` (in a condition, a test or the REPL) where no `action { ... }` block
/// declares `NAME`; `declared` are the properties that are declared.
pub fn unknown_action_property(
    declared: &[crate::compiled::ContextField],
    name: &str,
    span: Span,
) -> Diagnostic {
    let d = Diagnostic::new(Code::E0407, format!("no action property is named `{name}`"))
        .primary(span, "unknown action property");
    match did_you_mean(name, declared.iter().map(|f| f.name.as_str())) {
        Some(h) => d.help(h),
        None => d.help(format!(
            "declare it in the policy: `action {{ {name}: TYPE; }}`"
        )),
    }
}
