//! Type checking of records, methods (`contains`, `containsAll`, `containsAny`, `timeOfDay`,
//! `dayOfWeek`) and arithmetic (`+`, `-` on ints, times and durations).

use super::{Checker, Guard};
use crate::compiled::expr::{Lit, Method};
use crate::compiled::{CExpr, FieldType, Type};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::syntax::ast::{BinOp, Expr, Ident};

impl Checker<'_, '_> {
    /// `{ a: e, b: f }`: a record whose fields are all present.
    pub(super) fn record(
        &mut self,
        fields: &[(Ident, Expr)],
        guards: &[Guard],
    ) -> Option<(CExpr, Type)> {
        let mut out: Vec<(String, CExpr)> = Vec::new();
        let mut types: Vec<FieldType> = Vec::new();
        for (name, e) in fields {
            if let Some(prev) = fields.iter().find(|(n, _)| n.name == name.name)
                && prev.0.span != name.span
            {
                self.report(
                    Diagnostic::new(
                        Code::E0206,
                        format!("record field `{}` is given twice", name.name),
                    )
                    .primary(name.span, "given again here")
                    .secondary(prev.0.span, "first given here"),
                );
                return None;
            }
            let (c, t) = self.expr(e, guards)?;
            out.push((name.name.clone(), c));
            types.push(FieldType {
                name: name.name.clone(),
                ty: t,
                optional: false,
            });
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        types.sort_by(|a, b| a.name.cmp(&b.name));
        Some((CExpr::Record(out), Type::Record(types)))
    }

    /// The declared field `name` of a record type; `E0205` when it has none.
    pub(super) fn record_field(&mut self, t: &Type, name: &Ident) -> Option<FieldType> {
        if let Some(f) = t.field(&name.name) {
            return Some(f.clone());
        }
        let described = self.describe(t);
        let names: Vec<String> = match t {
            Type::Record(fs) => fs.iter().map(|f| f.name.clone()).collect(),
            _ => Vec::new(),
        };
        let mut d = Diagnostic::new(
            Code::E0205,
            format!("the record `{described}` has no field `{}`", name.name),
        )
        .primary(name.span, "unknown field");
        if let Some(h) = did_you_mean(&name.name, names.iter().map(String::as_str)) {
            d = d.help(h);
        }
        self.report(d);
        None
    }

    /// `receiver.method(args)`.
    pub(super) fn call(
        &mut self,
        e: &Expr,
        receiver: &Expr,
        method: &Ident,
        args: &[Expr],
        guards: &[Guard],
    ) -> Option<(CExpr, Type)> {
        let Some(m) = Method::ALL.into_iter().find(|m| m.name() == method.name) else {
            let names = Method::ALL.map(Method::name);
            let mut d =
                Diagnostic::new(Code::E0405, format!("no method is named `{}`", method.name))
                    .primary(method.span, "unknown method");
            d = match did_you_mean(&method.name, names) {
                Some(h) => d.help(h),
                None => d.help(format!(
                    "the methods are {}",
                    names.map(|n| format!("`{n}`")).join(", ")
                )),
            };
            self.report(d);
            return None;
        };
        let (takes_time, min_args) = match m {
            Method::TimeOfDay | Method::DayOfWeek => (true, 0),
            _ => (false, 1),
        };
        if args.len() > 1 || args.len() < min_args {
            let want = if takes_time {
                "an optional UTC offset (a `duration`)"
            } else {
                "one argument"
            };
            self.report(
                Diagnostic::new(
                    Code::E0405,
                    format!(
                        "`{}` takes {want}, found {} arguments",
                        m.name(),
                        args.len()
                    ),
                )
                .primary(e.span, "wrong number of arguments")
                .help(match m {
                    Method::Contains => "write `SET.contains(VALUE)`",
                    Method::ContainsAll | Method::ContainsAny => "write `SET.containsAll(SET)`",
                    Method::TimeOfDay | Method::DayOfWeek => {
                        "write `context.now.timeOfDay(-5h)` for a time at UTC-5"
                    }
                }),
            );
            return None;
        }
        let (cr, tr) = self.expr(receiver, guards)?;
        let arg = match args.first() {
            Some(a) => Some((self.expr(a, guards)?, a)),
            None => None,
        };
        if takes_time {
            if tr != Type::Time {
                let found = self.describe(&tr);
                self.mismatch(
                    receiver.span,
                    format!("`{}` needs a `time`, found `{found}`", m.name()),
                    "not a time",
                    None,
                );
                return None;
            }
            let offset = match arg {
                Some(((c, Type::Duration), _)) => c,
                Some(((_, t), a)) => {
                    let found = self.describe(&t);
                    self.mismatch(
                        a.span,
                        format!(
                            "the offset of `{}` is a `duration`, found `{found}`",
                            m.name()
                        ),
                        "not a duration",
                        Some("write the UTC offset as a duration: `-5h`, `5h30m`".into()),
                    );
                    return None;
                }
                None => CExpr::Lit(Lit::Duration(0)),
            };
            let ty = match m {
                Method::TimeOfDay => Type::Duration,
                _ => Type::Enum(
                    crate::duration::WEEKDAYS
                        .iter()
                        .map(|d| d.to_string())
                        .collect(),
                ),
            };
            return Some((
                CExpr::Call {
                    method: m,
                    receiver: Box::new(cr),
                    arg: Box::new(offset),
                },
                ty,
            ));
        }
        let ((ca, ta), a) = arg?;
        let elem = match &tr {
            Type::List(t) => Some((**t).clone()),
            Type::EmptyList => None,
            other => {
                let found = self.describe(other);
                self.mismatch(
                    receiver.span,
                    format!("`{}` needs a set on its left, found `{found}`", m.name()),
                    "not a set",
                    None,
                );
                return None;
            }
        };
        let ca = match (m, &elem) {
            (Method::Contains, Some(el)) => {
                if let (Type::Enum(vs), CExpr::Lit(Lit::Str(s))) = (el, &ca) {
                    self.check_enum(vs, s, a.span);
                }
                let ca = self.coerce(ca, &ta, el, a.span);
                if !ta.comparable(el) {
                    let (x, y) = (self.describe(&tr), self.describe(&ta));
                    self.mismatch(
                        e.span,
                        format!("a `{x}` cannot contain a `{y}`"),
                        "types do not match",
                        None,
                    );
                    return None;
                }
                ca
            }
            (Method::Contains, None) => ca,
            (_, _) => {
                let ok = match (&ta, &elem) {
                    (Type::EmptyList, _) | (Type::List(_), None) => true,
                    (Type::List(t), Some(el)) => t.comparable(el),
                    _ => false,
                };
                if !ok {
                    let (x, y) = (self.describe(&tr), self.describe(&ta));
                    let help = (!matches!(ta, Type::List(_) | Type::EmptyList)).then(|| {
                        format!("`{}` takes a set; for one value use `contains`", m.name())
                    });
                    self.mismatch(
                        e.span,
                        format!("cannot compare the elements of `{x}` and `{y}`"),
                        "types do not match",
                        help,
                    );
                    return None;
                }
                match &elem {
                    Some(el) => self.coerce(ca, &ta, &Type::List(Box::new(el.clone())), a.span),
                    None => ca,
                }
            }
        };
        Some((
            CExpr::Call {
                method: m,
                receiver: Box::new(cr),
                arg: Box::new(ca),
            },
            Type::Bool,
        ))
    }

    /// The two operands of a binary operator, typed; a string literal next to a time is a time.
    #[allow(clippy::type_complexity)]
    pub(super) fn operands(
        &mut self,
        a: &Expr,
        b: &Expr,
        guards: &[Guard],
    ) -> Option<((CExpr, Type), (CExpr, Type))> {
        let (ca, ta) = self.expr(a, guards)?;
        let (cb, tb) = self.expr(b, guards)?;
        let (ca, ta) = if ta == Type::String && tb == Type::Time {
            (self.coerce(ca, &ta, &tb, a.span), Type::Time)
        } else {
            (ca, ta)
        };
        let (cb, tb) = if tb == Type::String && ta == Type::Time {
            (self.coerce(cb, &tb, &ta, b.span), Type::Time)
        } else {
            (cb, tb)
        };
        Some(((ca, ta), (cb, tb)))
    }

    /// `a + b`, `a - b`: ints, `time ± duration`, `time - time`, `duration ± duration`.
    pub(super) fn arith(
        &mut self,
        e: &Expr,
        op: BinOp,
        a: &Expr,
        b: &Expr,
        guards: &[Guard],
    ) -> Option<(CExpr, Type)> {
        let ((ca, ta), (cb, tb)) = self.operands(a, b, guards)?;
        use Type::{Duration, Int, Time};
        let ty = match (op, &ta, &tb) {
            (_, Int, Int) => Int,
            (_, Duration, Duration) => Duration,
            (_, Time, Duration) => Time,
            (BinOp::Add, Duration, Time) => Time,
            (BinOp::Sub, Time, Time) => Duration,
            _ => {
                let (x, y) = (self.describe(&ta), self.describe(&tb));
                let verb = if op == BinOp::Add { "add" } else { "subtract" };
                let (l, r) = if op == BinOp::Add { (x, y) } else { (y, x) };
                let into = if op == BinOp::Add { "to" } else { "from" };
                self.mismatch(
                    e.span,
                    format!("cannot {verb} `{l}` {into} `{r}`"),
                    "types do not support this",
                    Some(
                        "`+` and `-` take two `int`s, two `duration`s, a `time` and a `duration`, or (for `-`) two `time`s"
                            .into(),
                    ),
                );
                return None;
            }
        };
        Some((CExpr::Arith(op, Box::new(ca), Box::new(cb)), ty))
    }
}
