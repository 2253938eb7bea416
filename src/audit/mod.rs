//! `polc audit`: questions about who can hand out what, asked of a compiled policy.
//!
//! - [`escalation`](mod@escalation): every way the holder of a role can come to hold more than it has, through
//!   the roles its permissions let it assign (`permissions P assigns R, ...;`), directly, through
//!   a chain of assignments, and across types through `from` edges. Findings are diagnostics
//!   (W0701 to W0704), rendered like any other.
//! - [`access`](mod@access): the periodic access review over the facts: who holds what where and through
//!   which path, elevated and expiring assignments, and the data checks an auditor acts on.

//! - [`blast`]: the blast radius of one actor: what it can do, what it can grant, and what it
//!   comes to do by assigning itself every role it may.

pub mod access;
pub mod blast;
pub mod escalation;

pub use access::{AccessReport, Grouping, access};
pub use blast::{BlastRadius, blast_radius};

pub use escalation::{Finding, FindingKind, escalation, escalation_diagnostics};
