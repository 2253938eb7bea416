//! Checks of the facts that evaluate: the data lints (`data`, LANGUAGE.md section 7, `polc check
//! --data`) and the write path's judgement of a transaction against the preconditions and the
//! data constraints (`judge`). Both ask the evaluator (`eval::query`), so they sit above it; the
//! old paths `facts::lints` and `facts::write::{judge, ...}` re-export them.

pub mod data;
pub mod judge;
