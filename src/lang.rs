//! The vocabulary every stage shares: a rule's effect, a condition's kind and the binary
//! operators. The parser writes them into the AST (`syntax::ast` re-exports them), the compiled
//! policy and the evaluator read them; none of them depends on the syntax.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
/// What a rule does where it applies.
pub enum Effect {
    /// `permit`: gives the action, without a role.
    Permit,
    /// `forbid`: takes the action away from everyone, whatever their roles.
    Forbid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
/// How a rule's condition decides where it applies.
pub enum ConditionKind {
    /// `when C`: the rule applies where `C` is true.
    When,
    /// `unless C`: the rule applies where `C` is false.
    Unless,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
/// A binary operator of conditions (see `docs/language.md`, "Rules and expressions").
pub enum BinOp {
    /// `==` (on sets, order and repeats are ignored).
    Eq,
    /// `!=`.
    Ne,
    /// `<`, on `int`, `time` and `duration`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `&&`, short-circuit.
    And,
    /// `||`, short-circuit.
    Or,
    /// `x in set`: membership.
    In,
    /// `+`: on `int`s, `time + duration`, `duration + duration`.
    Add,
    /// `-`: on `int`s, `time - duration`, `time - time`, `duration - duration`.
    Sub,
}

impl BinOp {
    /// The operator as written in Pol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::In => "in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }
}
