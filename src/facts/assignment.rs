//! Assignments, and the slots and chains the facts keep them in.

use super::EntityId;
use crate::compiled::{RoleId, TypeId};
use crate::source::Span;

/// Who an assignment is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// The actor itself.
    Actor(EntityId),
    /// Everyone holding `role` on the entity (`team:core#member`).
    Userset(EntityId, RoleId),
    /// Every actor of the type (`user:*`).
    Wildcard(TypeId),
}

/// A role assignment. Kept small (40 bytes): there are millions of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// Who holds the role.
    pub subject: Subject,
    /// The role, on the type of `on`.
    pub role: RoleId,
    /// The entity the role is held on.
    pub on: EntityId,
    /// Live while `now < until` (microseconds); `i64::MAX` for no `until`.
    pub(super) until: i64,
    /// Where the fact was written; `file` is `u32::MAX` when it was not written anywhere.
    span: Span,
}

impl Assignment {
    /// An assignment; `until` in microseconds since the Unix epoch (`None`: it never expires),
    /// `span` where it was written (`None`: nowhere).
    pub fn new(
        subject: Subject,
        role: RoleId,
        on: EntityId,
        until: Option<i64>,
        span: Option<Span>,
    ) -> Assignment {
        let none = Span {
            file: crate::source::FileId(u32::MAX),
            start: 0,
            end: 0,
        };
        Assignment {
            subject,
            role,
            on,
            // INVARIANT: `i64::MIN` marks a retracted slot (see `Slot`), never a real `until`.
            until: until.map_or(i64::MAX, |u| u.max(i64::MIN + 1)),
            span: span.unwrap_or(none),
        }
    }

    /// Whether the assignment holds at `now` (microseconds since the Unix epoch): `now < until`.
    #[inline]
    pub fn live(&self, now: i64) -> bool {
        now < self.until
    }

    /// The `until` time (microseconds), if the assignment has one.
    pub fn until(&self) -> Option<i64> {
        (self.until != i64::MAX).then_some(self.until)
    }

    /// Where the fact was written, in the sources it was loaded with.
    pub fn span(&self) -> Option<Span> {
        (self.span.file.0 != u32::MAX).then_some(self.span)
    }
}

/// The end of a chain.
pub(super) const NONE: u32 = u32::MAX;

/// An assignment and where its chains continue (indices of slots, [`NONE`] at the end): the
/// next one in its `direct` or `sets` chain, and in its `on` chain. Kept together so that
/// walking a chain reads one place per assignment. A retracted slot stays in its chains with
/// `until` set to [`RETRACTED`]: never live, and skipped by every reader.
#[derive(Clone, Debug)]
pub(super) struct Slot {
    pub(super) a: Assignment,
    pub(super) next: u32,
    pub(super) next_on: u32,
}

/// What the assignments of one (actor, resource) chain give, without reading them: bit `r` for
/// each role `r` below 31 held by an assignment without `until` (live whatever the time), and
/// [`Summary::OTHERS`] when the chain also has assignments with an `until` or a role numbered
/// 31 or more (which only the chain can tell about).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary(pub(crate) u32);

impl Summary {
    pub(crate) const OTHERS: u32 = 1 << 31;

    pub(super) fn of(a: &Assignment) -> u32 {
        if a.until == i64::MAX && a.role.index() < 31 {
            1 << a.role.index()
        } else {
            Summary::OTHERS
        }
    }
}

/// The `until` of a retracted slot.
pub(super) const RETRACTED: i64 = i64::MIN;

impl Slot {
    #[inline]
    pub(super) fn get(&self) -> Option<&Assignment> {
        (self.a.until != RETRACTED).then_some(&self.a)
    }
}

/// The first and last assignment of a chain: most chains hold one assignment, so an index pair
/// in the map costs less than a list per key.
#[derive(Clone, Copy, Debug)]
pub(super) struct Chain {
    pub(super) head: u32,
    pub(super) tail: u32,
}

impl Chain {
    pub(super) const EMPTY: Chain = Chain {
        head: NONE,
        tail: NONE,
    };

    /// Appends `idx`; returns the previous tail, whose link must point to `idx`.
    pub(super) fn push(&mut self, idx: u32) -> Option<u32> {
        let prev = (self.tail != NONE).then_some(self.tail);
        if self.head == NONE {
            self.head = idx;
        }
        self.tail = idx;
        prev
    }
}
