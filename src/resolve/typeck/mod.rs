//! Type-checks rule conditions against the declarations and compiles them to [`CExpr`].

use super::Resolver;
use crate::compiled::expr::Lit;
use crate::compiled::{CExpr, Kind, Type, TypeId};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Expr, ExprKind, Literal, Var};

mod ops;
mod reads;

/// What a guard has established: the base expression, as text, and the name (`x has a`), or
/// `:T` for a type test (`x is T`).
type Guard = (String, String);

struct Checker<'r, 'a> {
    r: &'r mut Resolver<'a>,
    resource: TypeId,
    ok: bool,
    /// Where the value of a read comes from: the read's span, what it is (`attribute `level`
    /// of `run``) and its declaration, for the messages of E0401.
    origins: Vec<(Span, String, Span)>,
}

/// Checks a condition; `None` when it has errors (already reported).
pub(super) fn check_condition(r: &mut Resolver<'_>, resource: TypeId, e: &Expr) -> Option<CExpr> {
    let mut c = Checker {
        r,
        resource,
        ok: true,
        origins: Vec::new(),
    };
    let typed = c.expr(e, &[]);
    match typed {
        Some((ce, Type::Bool)) if c.ok => Some(ce),
        // An error inside the condition is already reported.
        Some((_, Type::Bool)) => None,
        Some((_, t)) => {
            let found = c.describe(&t);
            c.report(
                Diagnostic::new(
                    Code::E0401,
                    format!("a condition must be a `bool`, found `{found}`"),
                )
                .primary(e.span, "not a bool"),
            );
            None
        }
        None => None,
    }
}

/// The guards known to hold when `e` is true.
fn true_guards(e: &Expr, out: &mut Vec<Guard>) {
    match &e.kind {
        ExprKind::Has(base, name) => out.push((key(base), name.name.clone())),
        ExprKind::IsType { subject, ty } => out.push((key(subject), format!(":{}", ty.name))),
        ExprKind::Binary(BinOp::And, a, b) => {
            true_guards(a, out);
            true_guards(b, out);
        }
        ExprKind::Paren(x) => true_guards(x, out),
        ExprKind::Not(x) => false_guards(x, out),
        _ => {}
    }
}

/// The guards known to hold when `e` is false.
fn false_guards(e: &Expr, out: &mut Vec<Guard>) {
    match &e.kind {
        ExprKind::Binary(BinOp::Or, a, b) => {
            false_guards(a, out);
            false_guards(b, out);
        }
        ExprKind::Paren(x) => false_guards(x, out),
        ExprKind::Not(x) => true_guards(x, out),
        _ => {}
    }
}

/// A canonical text of an access chain (`resource.workspace`), for matching guards to reads.
fn key(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Var(Var::Principal) => "principal".into(),
        ExprKind::Var(Var::Resource) => "resource".into(),
        ExprKind::Var(Var::Context) => "context".into(),
        ExprKind::Var(Var::Action) => "action".into(),
        ExprKind::Access(b, n) => format!("{}.{}", key(b), n.name),
        ExprKind::Paren(x) => key(x),
        _ => format!("#{}", e.span.start),
    }
}

impl Checker<'_, '_> {
    fn report(&mut self, d: Diagnostic) {
        self.ok = false;
        self.r.error(d);
    }

    /// The actor types, found once per policy (conditions ask for them at every `principal`).
    fn actor_types(&mut self) -> &[TypeId] {
        if self.r.actor_types.is_none() {
            let actors = self
                .r
                .types
                .iter()
                .enumerate()
                .filter(|(_, t)| t.kind == Kind::Actor)
                .map(|(i, _)| TypeId(i as u32))
                .collect();
            self.r.actor_types = Some(actors);
        }
        self.r.actor_types.as_deref().unwrap_or(&[])
    }

    fn describe(&self, t: &Type) -> String {
        t.describe(
            &self
                .r
                .types
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>(),
        )
    }

    /// E0401 on two operands: each labelled with its type and, for a read, what it reads, with
    /// the declarations that gave the types.
    fn sides(&mut self, msg: String, sides: [(&Expr, &Type); 2], help: Option<String>) {
        let mut d = Diagnostic::new(Code::E0401, msg);
        for (i, (x, t)) in sides.into_iter().enumerate() {
            let ty = self.describe(t);
            let origin = self.origins.iter().find(|(s, _, _)| *s == x.span).cloned();
            let label = match &origin {
                Some((_, what, _)) => format!("`{ty}`: {what}"),
                None => format!("`{ty}`"),
            };
            d = if i == 0 {
                d.primary(x.span, label)
            } else {
                d.secondary(x.span, label)
            };
            if let Some((_, what, decl)) = origin {
                d = d.secondary(decl, format!("{what} is declared `{ty}` here"));
            }
        }
        if let Some(h) = help {
            d = d.help(h);
        }
        self.report(d);
    }

    fn mismatch(&mut self, span: Span, msg: String, label: &str, help: Option<String>) {
        let mut d = Diagnostic::new(Code::E0401, msg).primary(span, label.to_string());
        if let Some(h) = help {
            d = d.help(h);
        }
        self.report(d);
    }

    fn expr(&mut self, e: &Expr, guards: &[Guard]) -> Option<(CExpr, Type)> {
        match &e.kind {
            ExprKind::Var(Var::Principal) => {
                let actors = self.actor_types();
                let ty = if actors.len() == 1 {
                    Type::Entity(actors[0])
                } else {
                    Type::AnyActor
                };
                Some((CExpr::Principal, ty))
            }
            ExprKind::Var(Var::Resource) => Some((CExpr::Resource, Type::Entity(self.resource))),
            ExprKind::Var(Var::Context) => {
                self.mismatch(
                    e.span,
                    "`context` is not a value by itself".into(),
                    "read one of its fields",
                    Some("write `context.FIELD`, e.g. `context.now`".into()),
                );
                None
            }
            ExprKind::Var(Var::Action) => {
                self.mismatch(
                    e.span,
                    "`action` is not a value by itself".into(),
                    "read one of its properties",
                    Some("write `action.PROPERTY`, e.g. `action.soft`; the rule's actions are listed after `permit` or `forbid`".into()),
                );
                None
            }
            ExprKind::Paren(x) => self.expr(x, guards),
            ExprKind::Access(base, name) => self.access(e, base, name, guards),
            ExprKind::Literal(lit) => self.literal(lit),
            ExprKind::Record(fields) => self.record(fields, guards),
            ExprKind::Call {
                receiver,
                method,
                args,
            } => self.call(e, receiver, method, args, guards),
            ExprKind::IsType { subject, ty } => {
                let (cs, ts) = self.expr(subject, guards)?;
                if !matches!(ts, Type::Entity(_) | Type::AnyActor) {
                    let found = self.describe(&ts);
                    self.mismatch(
                        subject.span,
                        format!(
                            "`is {}` needs an entity on its left, found `{found}`",
                            ty.name
                        ),
                        "not an entity",
                        None,
                    );
                    return None;
                }
                let Some(t) = self.r.type_index.get(ty.name.as_str()).copied() else {
                    let names: Vec<&str> =
                        self.r.builds.iter().map(|b| b.name.name.as_str()).collect();
                    let mut d = Diagnostic::new(Code::E0201, format!("unknown type `{}`", ty.name))
                        .primary(ty.span, "not an actor or resource type");
                    d = match did_you_mean(&ty.name, names.iter().copied()) {
                        Some(h) => d.help(h),
                        None => d.help(format!(
                            "`is T` tests the type; to test a role write `is {} on ENTITY`",
                            ty.name
                        )),
                    };
                    self.report(d);
                    return None;
                };
                Some((
                    CExpr::IsType {
                        subject: Box::new(cs),
                        ty: t,
                    },
                    Type::Bool,
                ))
            }
            ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
                self.arith(e, *op, a, b, guards)
            }
            ExprKind::List(items) => {
                let mut out = Vec::new();
                let mut elem: Option<Type> = None;
                for item in items {
                    let (c, t) = self.expr(item, guards)?;
                    match &elem {
                        None => elem = Some(t),
                        Some(prev) if prev.comparable(&t) => {
                            if matches!(prev, Type::Enum(_)) && t == Type::String {
                                elem = Some(Type::String);
                            }
                        }
                        Some(prev) => {
                            let (a, b) = (self.describe(prev), self.describe(&t));
                            self.mismatch(
                                item.span,
                                format!(
                                    "list elements must have one type: `{a}` and `{b}` are mixed"
                                ),
                                "different type",
                                None,
                            );
                            return None;
                        }
                    }
                    out.push(c);
                }
                let ty = elem.map_or(Type::EmptyList, |t| Type::List(Box::new(t)));
                Some((CExpr::List(out), ty))
            }
            ExprKind::Not(x) => {
                let (c, t) = self.expr(x, guards)?;
                if t != Type::Bool {
                    let found = self.describe(&t);
                    self.mismatch(
                        x.span,
                        format!("`!` needs a `bool`, found `{found}`"),
                        "not a bool",
                        None,
                    );
                    return None;
                }
                Some((CExpr::Not(Box::new(c)), Type::Bool))
            }
            ExprKind::Neg(x) => {
                let (c, t) = self.expr(x, guards)?;
                if !matches!(t, Type::Int | Type::Duration) {
                    let found = self.describe(&t);
                    self.mismatch(
                        x.span,
                        format!("`-` needs an `int` or a `duration`, found `{found}`"),
                        "not a number",
                        None,
                    );
                    return None;
                }
                Some((CExpr::Neg(Box::new(c)), t))
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let (ca, ta) = self.expr(a, guards)?;
                let mut inner = guards.to_vec();
                if *op == BinOp::And {
                    true_guards(a, &mut inner)
                } else {
                    false_guards(a, &mut inner)
                }
                let (cb, tb) = self.expr(b, &inner)?;
                for (t, x) in [(&ta, a), (&tb, b)] {
                    if *t != Type::Bool {
                        let found = self.describe(t);
                        self.mismatch(
                            x.span,
                            format!("`{}` needs `bool` operands, found `{found}`", op.symbol()),
                            "not a bool",
                            None,
                        );
                        return None;
                    }
                }
                let c = if *op == BinOp::And {
                    CExpr::And(Box::new(ca), Box::new(cb))
                } else {
                    CExpr::Or(Box::new(ca), Box::new(cb))
                };
                Some((c, Type::Bool))
            }
            ExprKind::Binary(BinOp::In, a, b) => {
                let (ca, ta) = self.expr(a, guards)?;
                let (cb, tb) = self.expr(b, guards)?;
                let elem = match &tb {
                    Type::List(t) => (**t).clone(),
                    Type::EmptyList => ta.clone(),
                    other => {
                        let found = self.describe(other);
                        self.mismatch(
                            b.span,
                            format!("`in` needs a list on its right, found `{found}`"),
                            "not a list",
                            None,
                        );
                        return None;
                    }
                };
                // `resource.impact in ["high", "critical"]`: check literals against the enum.
                let cb = match (cb, &ta) {
                    (CExpr::List(items), Type::Enum(vs)) => {
                        let spans: Vec<Span> = match &b.kind {
                            ExprKind::List(xs) => xs.iter().map(|x| x.span).collect(),
                            _ => Vec::new(),
                        };
                        for (i, item) in items.iter().enumerate() {
                            if let CExpr::Lit(Lit::Str(s)) = item {
                                self.check_enum(vs, s, spans.get(i).copied().unwrap_or(b.span));
                            }
                        }
                        CExpr::List(items)
                    }
                    (cb, _) => cb,
                };
                let ca = self.coerce(ca, &ta, &elem, a.span);
                if !ta.comparable(&elem) {
                    let (x, y) = (self.describe(&ta), self.describe(&tb));
                    self.sides(
                        format!("cannot look for a `{x}` in a `{y}`"),
                        [(a, &ta), (b, &tb)],
                        None,
                    );
                    return None;
                }
                Some((CExpr::In(Box::new(ca), Box::new(cb)), Type::Bool))
            }
            ExprKind::Binary(op, a, b) => self.compare(e, *op, a, b, guards),
            ExprKind::Has(base, name) if matches!(base.kind, ExprKind::Var(Var::Context)) => {
                let i = self.context_field(name)?;
                Some((CExpr::HasContext(i), Type::Bool))
            }
            ExprKind::Has(base, name) if matches!(base.kind, ExprKind::Var(Var::Action)) => {
                let i = self.action_field(name)?;
                Some((CExpr::HasAction(i), Type::Bool))
            }
            ExprKind::Has(base, name) => {
                let (cb, tb) = self.expr(base, guards)?;
                if let Type::Record(_) = tb {
                    self.record_field(&tb, name)?;
                    return Some((
                        CExpr::HasField {
                            base: Box::new(cb),
                            name: name.name.clone(),
                        },
                        Type::Bool,
                    ));
                }
                let member = self.member(&tb, name, base, guards, true)?;
                Some((
                    CExpr::Has {
                        base: Box::new(cb),
                        name: name.name.clone(),
                        member: member.0,
                    },
                    Type::Bool,
                ))
            }
            ExprKind::Is {
                subject,
                role,
                target,
            } => {
                let (cs, ts) = self.expr(subject, guards)?;
                if !matches!(ts, Type::Entity(_) | Type::AnyActor) {
                    let found = self.describe(&ts);
                    self.mismatch(
                        subject.span,
                        format!("`is ... on` needs an actor on its left, found `{found}`"),
                        "not an actor",
                        None,
                    );
                    return None;
                }
                let (ct, tt) = self.expr(target, guards)?;
                let Type::Entity(ty) = tt else {
                    let found = self.describe(&tt);
                    let help = matches!(tt, Type::List(_))
                        .then(|| "a many-valued relation is a list: test one entity".to_string());
                    self.mismatch(
                        target.span,
                        format!("`is ... on` needs one entity on its right, found `{found}`"),
                        "not an entity",
                        help,
                    );
                    return None;
                };
                let Some(r) = self.r.lookup_role(ty, role) else {
                    self.ok = false;
                    return None;
                };
                self.r.roles_used_in_rules.push((ty, r));
                Some((
                    CExpr::Is {
                        subject: Box::new(cs),
                        role: r,
                        ty,
                        target: Box::new(ct),
                    },
                    Type::Bool,
                ))
            }
        }
    }

    fn literal(&mut self, lit: &Literal) -> Option<(CExpr, Type)> {
        Some(match lit {
            Literal::Bool(b) => (CExpr::Lit(Lit::Bool(*b)), Type::Bool),
            Literal::Int(i) => (CExpr::Lit(Lit::Int(*i)), Type::Int),
            Literal::Str(s) => (CExpr::Lit(Lit::Str(s.clone())), Type::String),
            Literal::Duration(d) => (CExpr::Lit(Lit::Duration(d.micros)), Type::Duration),
            Literal::Entity(er) => {
                let ty = self.r.lookup_type(&er.ty)?;
                (
                    CExpr::Lit(Lit::Entity {
                        ty,
                        id: er.id.value.clone(),
                    }),
                    Type::Entity(ty),
                )
            }
        })
    }

    fn check_enum(&mut self, values: &[String], s: &str, span: Span) {
        if !values.iter().any(|v| v == s) {
            let mut d = Diagnostic::new(
                Code::E0403,
                format!(
                    "\"{s}\" is not one of the values: {}",
                    values
                        .iter()
                        .map(|v| format!("\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .primary(span, "never equal");
            if let Some(h) = did_you_mean(s, values.iter().map(String::as_str)) {
                d = d.help(h);
            }
            self.report(d);
        }
    }

    /// Turns a string literal into a time literal where a time is expected.
    fn coerce(&mut self, c: CExpr, from: &Type, to: &Type, span: Span) -> CExpr {
        match (c, from, to) {
            (CExpr::Lit(Lit::Str(s)), Type::String, Type::Time) => {
                match crate::time::parse_checked(&s) {
                    Ok(t) => CExpr::Lit(Lit::Time(t)),
                    Err(why) => {
                        self.report(
                            Diagnostic::new(Code::E0102, format!("{s:?} is not a time: {why}"))
                                .primary(span, "expected an RFC 3339 time")
                                .help("write times like \"2026-11-23T10:00:00Z\""),
                        );
                        CExpr::Lit(Lit::Str(s))
                    }
                }
            }
            (CExpr::List(items), Type::List(inner), Type::List(target)) => CExpr::List(
                items
                    .into_iter()
                    .map(|i| self.coerce(i, inner, target, span))
                    .collect(),
            ),
            (c, _, _) => c,
        }
    }

    fn compare(
        &mut self,
        _e: &Expr,
        op: BinOp,
        a: &Expr,
        b: &Expr,
        guards: &[Guard],
    ) -> Option<(CExpr, Type)> {
        let ((ca, ta), (cb, tb)) = self.operands(a, b, guards)?;
        if let (Type::Enum(vs), CExpr::Lit(Lit::Str(s))) = (&ta, &cb) {
            self.check_enum(vs, s, b.span);
        }
        if let (Type::Enum(vs), CExpr::Lit(Lit::Str(s))) = (&tb, &ca) {
            self.check_enum(vs, s, a.span);
        }
        match op {
            BinOp::Eq | BinOp::Ne => {
                if !ta.comparable(&tb) {
                    let (x, y) = (self.describe(&ta), self.describe(&tb));
                    self.sides(
                        format!("cannot compare `{x}` with `{y}`"),
                        [(a, &ta), (b, &tb)],
                        None,
                    );
                    return None;
                }
            }
            _ => {
                let same = ta == tb || (ta.ordered() && ta.comparable(&tb));
                if !(ta.ordered() && same) {
                    let help = if ta.ordered() || tb.ordered() {
                        None
                    } else {
                        Some(format!(
                            "`{}` orders `int`, `time` and `duration` values",
                            op.symbol()
                        ))
                    };
                    let (x, y) = (self.describe(&ta), self.describe(&tb));
                    self.sides(
                        format!("cannot order `{x}` and `{y}` with `{}`", op.symbol()),
                        [(a, &ta), (b, &tb)],
                        help,
                    );
                    return None;
                }
            }
        }
        Some((CExpr::Cmp(op, Box::new(ca), Box::new(cb)), Type::Bool))
    }
}
