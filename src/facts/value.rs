//! Values of attributes, context fields and expressions.

use super::EntityId;
use std::sync::Arc;

/// A value of an attribute, a context field, or of an expression at decision time.
///
/// INVARIANT: a `List` is a set, its items sorted and without repeats, and a `Record`'s fields
/// are sorted by name: build them with [`Value::set`] and [`Value::record`], so that the derived
/// equality is set equality (`[a, b] == [b, a]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// A `bool`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `string` or an enumeration's value.
    Str(Arc<str>),
    /// Microseconds since the Unix epoch.
    Time(i64),
    /// Microseconds.
    Duration(i64),
    /// An entity the facts name.
    Entity(EntityId),
    /// A list (a set: sorted, no repeats; see the invariant above).
    List(Arc<[Value]>),
    /// A record: its fields sorted by name.
    Record(Arc<[(Arc<str>, Value)]>),
}

impl Value {
    /// A set of the items: sorted, repeats removed.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_unstable();
        items.dedup();
        Value::List(items.into())
    }

    /// A record of the fields, sorted by name (names are unique: the checker saw to it).
    pub fn record(mut fields: Vec<(Arc<str>, Value)>) -> Value {
        fields.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Value::Record(fields.into())
    }

    /// The field `name` of a record.
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Record(fs) => fs
                .binary_search_by(|(n, _)| (**n).cmp(name))
                .ok()
                .map(|i| &fs[i].1),
            _ => None,
        }
    }
}
