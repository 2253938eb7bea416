//! W0122: a denied request naming an entity the facts do not know, with the nearest name of its
//! type. [`UnknownEntities`] says each unknown name once and stops searching after a number of
//! hints, so a stream of millions of requests about entities the facts legitimately do not hold
//! (users with no role yet) costs one check per line, not a name search per line.

use super::Request;
use crate::compiled::{Policy, TypeId};
use crate::diag::{Code, Diagnostic};
use crate::facts::Facts;
use crate::source::Span;
use std::collections::{HashMap, HashSet};

/// How many distinct unknown entities `polc eval` hints about before it only counts them.
pub const HINT_LIMIT: usize = 20;

/// The W0122 hints of a stream of requests: each unknown entity (type and name) is hinted about
/// once, at most `limit` of them; the denied requests past that are counted for
/// [`UnknownEntities::summary`], and no name is searched for them.
#[derive(Debug)]
pub struct UnknownEntities {
    limit: usize,
    said: HashMap<TypeId, HashSet<String>>,
    /// How many entities were hinted about.
    count: usize,
    /// Denied requests naming an unknown entity that was already hinted about.
    repeated: u64,
    /// Denied requests naming an unknown entity past the limit.
    unsaid: u64,
}

impl Default for UnknownEntities {
    fn default() -> UnknownEntities {
        UnknownEntities::new(HINT_LIMIT)
    }
}

impl UnknownEntities {
    /// Hints about at most `limit` distinct entities.
    pub fn new(limit: usize) -> UnknownEntities {
        UnknownEntities {
            limit,
            said: HashMap::new(),
            count: 0,
            repeated: 0,
            unsaid: 0,
        }
    }

    /// The W0122 diagnostics for the denied request `req` (`spans`: where its line writes the
    /// principal and the resource): one per entity of the request the facts do not know and
    /// that was not hinted about before, with the nearest name of its type
    /// ([`nearest_entity`](super::nearest_entity)). Nothing is searched when the facts know
    /// both entities, which is the common case; nothing is said about an entity of a type the
    /// facts name no entity of (no facts at all, or a type only rules and request properties
    /// decide about). The decision is not changed: an entity the facts do not hold may be one
    /// that only rules decide about.
    pub fn hints(
        &mut self,
        policy: &Policy,
        facts: &Facts,
        req: &Request,
        spans: (Span, Span),
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let (mut repeated, mut unsaid) = (false, false);
        for (e, what, span) in [
            (&req.principal, "principal", spans.0),
            (&req.resource, "resource", spans.1),
        ] {
            if e.id.is_some() || facts.entities_of_unordered(e.ty).next().is_none() {
                continue;
            }
            if self.said.get(&e.ty).is_some_and(|s| s.contains(&e.name)) {
                repeated = true;
                continue;
            }
            if self.count >= self.limit {
                unsaid = true;
                continue;
            }
            self.count += 1;
            self.said.entry(e.ty).or_default().insert(e.name.clone());
            let shown = crate::facts::display_entity(policy.type_name(e.ty), &e.name);
            let d = Diagnostic::new(
                Code::W0122,
                format!("the {what} {shown} appears nowhere in the facts; the request is denied"),
            )
            .primary(span, "not in the facts");
            out.push(match super::nearest_entity(policy, facts, e) {
                Some(hint) => d.help(hint),
                None => d.help(format!(
                    "no name of its type is near; a {what} the facts do not hold gets only what \
                     rules that need no facts give (`polc explain W0122`)"
                )),
            });
        }
        if out.is_empty() {
            self.unsaid += u64::from(unsaid);
            self.repeated += u64::from(repeated && !unsaid);
        }
        out
    }

    /// The closing W0122, when requests were denied about unknown entities without a hint of
    /// their own: how many, and why.
    pub fn summary(&self) -> Option<Diagnostic> {
        if self.repeated + self.unsaid == 0 {
            return None;
        }
        let n = self.repeated + self.unsaid;
        let s = if n == 1 { "" } else { "s" };
        let mut why = Vec::new();
        if self.repeated > 0 {
            why.push(format!(
                "{} named an entity already hinted about (each is hinted about once)",
                self.repeated
            ));
        }
        if self.unsaid > 0 {
            why.push(format!(
                "{} named other unknown entities (hints stop after {} entities; no name is \
                 searched for after that)",
                self.unsaid, self.limit
            ));
        }
        Some(
            Diagnostic::new(
                Code::W0122,
                format!(
                    "{n} more denied request{s} named entities the facts do not know: {}",
                    why.join("; ")
                ),
            )
            .help(
                "a principal or resource the facts do not hold is denied unless a rule that \
                 needs no facts gives it the action (`polc explain W0122`)",
            ),
        )
    }
}
