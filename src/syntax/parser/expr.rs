//! pest pairs -> AST for expressions (conditions), with the nesting limit.

use super::{Conv, MAX_EXPR_DEPTH, MIN_MAGNITUDE, Rule, kids};
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::*;
use pest::iterators::Pair;

impl Conv<'_> {
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        self.expr_d(pair).map(|(e, _)| e)
    }

    /// Builds an expression and returns its depth; stops (with E0003) before the tree gets deep
    /// enough to endanger later stages' recursion.
    fn expr_d(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let span = self.span(&pair);
        let checked = |conv: &mut Self, e: Expr, d: usize| -> Option<(Expr, usize)> {
            if d > MAX_EXPR_DEPTH {
                if !conv.limit_hit {
                    conv.limit_hit = true;
                    conv.diags.push(
                        Diagnostic::new(
                            Code::E0003,
                            format!("expression is nested deeper than {MAX_EXPR_DEPTH} operators"),
                        )
                        .primary(span, "this expression is too deep")
                        .help("split the condition into several rules"),
                    );
                }
                return None;
            }
            Some((e, d))
        };
        match pair.as_rule() {
            Rule::expr | Rule::and_expr => {
                let mut it = kids(pair);
                let (mut left, mut d) = self.expr_d(it.next()?)?;
                while let Some(op) = it.next() {
                    let op = if op.as_rule() == Rule::op_or {
                        BinOp::Or
                    } else {
                        BinOp::And
                    };
                    let (right, rd) = self.expr_d(it.next()?)?;
                    (left, d) = checked(self, binary(op, left, right), d.max(rd) + 1)?;
                }
                Some((left, d))
            }
            Rule::add_expr => {
                let mut it = kids(pair);
                let (mut left, mut d) = self.expr_d(it.next()?)?;
                while let Some(op) = it.next() {
                    let op = if op.as_str() == "+" {
                        BinOp::Add
                    } else {
                        BinOp::Sub
                    };
                    let (right, rd) = self.expr_d(it.next()?)?;
                    (left, d) = checked(self, binary(op, left, right), d.max(rd) + 1)?;
                }
                Some((left, d))
            }
            Rule::cmp_expr => {
                let mut it = kids(pair);
                let (left, ld) = self.expr_d(it.next()?)?;
                let Some(op) = it.next() else {
                    return Some((left, ld));
                };
                let op = match op.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<=" => BinOp::Le,
                    ">=" => BinOp::Ge,
                    "<" => BinOp::Lt,
                    ">" => BinOp::Gt,
                    _ => BinOp::In,
                };
                let (right, rd) = self.expr_d(it.next()?)?;
                checked(self, binary(op, left, right), ld.max(rd) + 1)
            }
            Rule::unary_expr => {
                let mut ops = Vec::new();
                let mut operand = None;
                for p in kids(pair) {
                    if p.as_rule() == Rule::prefix_op {
                        ops.push((self.span(&p), kids(p).next()?.as_rule()));
                    } else if let Some(&(neg, Rule::op_neg)) = ops.last()
                        && p.as_str().trim_end() == MIN_MAGNITUDE
                    {
                        // `-9223372036854775808`: the one integer whose magnitude alone does
                        // not fit in 64 bits is read with its sign.
                        ops.pop();
                        let span = neg.to(self.span(&p));
                        let kind = ExprKind::Literal(Literal::Int(i64::MIN));
                        operand = Some((Expr { kind, span }, 1));
                    } else {
                        operand = Some(self.expr_d(p)?);
                    }
                }
                let (mut e, mut d) = operand?;
                if d + ops.len() > MAX_EXPR_DEPTH {
                    return checked(self, e, d + ops.len());
                }
                for (span, op) in ops.into_iter().rev() {
                    let span = span.to(e.span);
                    let kind = if op == Rule::op_not {
                        ExprKind::Not(Box::new(e))
                    } else {
                        ExprKind::Neg(Box::new(e))
                    };
                    e = Expr { kind, span };
                    d += 1;
                }
                Some((e, d))
            }
            Rule::test_expr => {
                let mut it = kids(pair);
                let (subject, mut d) = self.expr_d(it.next()?)?;
                let Some(suffix) = it.next() else {
                    return Some((subject, d));
                };
                let span = subject.span.to(self.span(&suffix));
                let mut s = kids(suffix);
                let kw = s.next()?;
                let name = self.ident(&s.next()?);
                let kind = if kw.as_rule() == Rule::kw_has {
                    ExprKind::Has(Box::new(subject), name)
                } else if s.next().is_some() {
                    // `on`
                    let (target, td) = self.expr_d(s.next()?)?;
                    d = d.max(td);
                    ExprKind::Is {
                        subject: Box::new(subject),
                        role: name,
                        target: Box::new(target),
                    }
                } else {
                    ExprKind::IsType {
                        subject: Box::new(subject),
                        ty: name,
                    }
                };
                checked(self, Expr { kind, span }, d + 1)
            }
            Rule::postfix_expr => {
                let mut it = kids(pair).peekable();
                let (mut e, mut d) = self.expr_d(it.next()?)?;
                while let Some(access) = it.next() {
                    let name = self.ident(&kids(access).next()?);
                    let (kind, span) = match it.next_if(|p| p.as_rule() == Rule::call_args) {
                        Some(args) => {
                            let span = e.span.to(self.span(&args));
                            let mut xs = Vec::new();
                            for a in kids(args) {
                                let (x, xd) = self.expr_d(a)?;
                                d = d.max(xd);
                                xs.push(x);
                            }
                            let call = ExprKind::Call {
                                receiver: Box::new(e),
                                method: name,
                                args: xs,
                            };
                            (call, span)
                        }
                        None => {
                            let span = e.span.to(name.span);
                            (ExprKind::Access(Box::new(e), name), span)
                        }
                    };
                    (e, d) = checked(self, Expr { kind, span }, d + 1)?;
                }
                Some((e, d))
            }
            Rule::primary => self.primary(kids(pair).next()?),
            _ => None,
        }
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let span = self.span(&p);
        let mut depth = 1;
        let kind = match p.as_rule() {
            Rule::paren_expr => {
                let (e, d) = self.expr_d(kids(p).next()?)?;
                depth += d;
                ExprKind::Paren(Box::new(e))
            }
            Rule::list_expr => {
                let mut items = Vec::new();
                for item in kids(p) {
                    let (e, d) = self.expr_d(item)?;
                    depth = depth.max(d + 1);
                    items.push(e);
                }
                ExprKind::List(items)
            }
            Rule::record_expr => {
                let mut fields = Vec::new();
                for entry in kids(p) {
                    let mut it = kids(entry);
                    let name = self.ident(&it.next()?);
                    let (e, d) = self.expr_d(it.next()?)?;
                    depth = depth.max(d + 1);
                    fields.push((name, e));
                }
                ExprKind::Record(fields)
            }
            Rule::entity_ref => ExprKind::Literal(Literal::Entity(self.entity_ref(p)?)),
            Rule::duration => ExprKind::Literal(Literal::Duration(self.duration(&p))),
            Rule::int => ExprKind::Literal(Literal::Int(self.int(&p))),
            Rule::string => ExprKind::Literal(Literal::Str(self.string(p).value)),
            Rule::kw_true => ExprKind::Literal(Literal::Bool(true)),
            Rule::kw_false => ExprKind::Literal(Literal::Bool(false)),
            Rule::kw_principal => ExprKind::Var(Var::Principal),
            Rule::kw_resource => ExprKind::Var(Var::Resource),
            Rule::kw_context => ExprKind::Var(Var::Context),
            Rule::kw_action => ExprKind::Var(Var::Action),
            _ => return None,
        };
        Some((Expr { kind, span }, depth))
    }
}

fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr {
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
        span,
    }
}
