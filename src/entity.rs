//! The one reading of an entity reference, for every input (docs/language.md, "Entity
//! references").
//!
//! An entity is a type and an id. Pol source writes it `type:id` or `type:"any id"` (the quotes
//! and escapes are Pol string syntax, gone once parsed); every other input (JSON facts, JSON
//! requests, the server, [`crate::eval::Request::new`]) writes the text `type:id`, read here: the
//! type is everything before the first `:`, the id everything after it, literally. So the JSON
//! string `"user:\"alice\""` names the entity whose id is `"alice"` with its quotes, the one Pol
//! writes `user:"\"alice\""`, never `user:alice`.
//!
//! The same rule holds for every input: a type is an identifier; an id is not empty and is not
//! `*` (which is the wildcard `type:*`, a subject of assignments and never an entity). The Pol
//! parser checks its ids with [`check_id`], and the JSON readers call [`EntityRef::parse`] and
//! [`SubjectRef::parse`].

use std::fmt;

/// A reference to one entity: `type:id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntityRef<'a> {
    /// The type's name (`user`), not checked against a policy.
    pub ty: &'a str,
    /// The id (`alice`), read literally.
    pub id: &'a str,
}

/// The subject of an assignment: an entity, a userset `type:id#role` (everyone holding `role`
/// on the entity) or a wildcard `type:*` (every actor of the type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubjectRef<'a> {
    /// `type:id`: that entity.
    Entity(EntityRef<'a>),
    /// `type:id#role`: everyone holding `role` on the entity.
    Userset(EntityRef<'a>, &'a str),
    /// `type:*`: every actor of the type (the type's name).
    Wildcard(&'a str),
}

/// Why a text is not an entity reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefError {
    /// No `:` at all.
    NoColon,
    /// What comes before the first `:` is not an identifier.
    BadType,
    /// Nothing after the `:`.
    EmptyId,
    /// The id `*`: that is the wildcard, not an entity.
    Wildcard,
    /// What follows the `#` of a userset is not a role name.
    BadRole,
}

impl RefError {
    /// What is wrong, for a diagnostic's message (after "... is not an entity: ").
    pub fn reason(self) -> &'static str {
        match self {
            RefError::NoColon => "it has no `:` between type and id",
            RefError::BadType => "the type before the first `:` is not a name",
            RefError::EmptyId => "the id after the `:` is empty",
            RefError::Wildcard => "`type:*` is the wildcard, every actor of the type",
            RefError::BadRole => "what follows the `#` of a userset is not a role name",
        }
    }

    /// Advice for a diagnostic's help.
    pub fn help(self) -> &'static str {
        match self {
            RefError::Wildcard => {
                "a wildcard may only be the actor of an assignment; an entity id cannot be `*`"
            }
            RefError::BadRole => {
                "a userset is `type:id#role`; the id is everything before the last `#`"
            }
            _ => {
                "write entities as \"type:id\", e.g. \"user:alice\"; the id is everything after the first `:`, read literally"
            }
        }
    }
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// Whether `s` is a Pol identifier (`[A-Za-z_][A-Za-z0-9_]*`): type and role names.
pub fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Checks an id, however it was written: not empty, not `*`.
pub fn check_id(id: &str) -> Result<(), RefError> {
    match id {
        "" => Err(RefError::EmptyId),
        "*" => Err(RefError::Wildcard),
        _ => Ok(()),
    }
}

impl<'a> EntityRef<'a> {
    /// An entity from its parts, checked by the rule every input follows.
    pub fn new(ty: &'a str, id: &'a str) -> Result<EntityRef<'a>, RefError> {
        if !is_name(ty) {
            return Err(RefError::BadType);
        }
        check_id(id)?;
        Ok(EntityRef { ty, id })
    }

    /// Reads `type:id`: the type up to the first `:`, the id the rest, literally.
    pub fn parse(text: &'a str) -> Result<EntityRef<'a>, RefError> {
        // A byte search: type names are short, and `split_once` set up a searcher per call
        // (some 7% of a plain `polc eval` line's instructions went to it).
        let colon = text
            .bytes()
            .position(|b| b == b':')
            .ok_or(RefError::NoColon)?;
        let (ty, id) = (&text[..colon], &text[colon + 1..]);
        EntityRef::new(ty, id)
    }
}

impl<'a> SubjectRef<'a> {
    /// Reads a subject: `type:*` is a wildcard; text with a `#` after the `:` is a userset,
    /// split at the last `#` (the role after it must be a name, the entity before it is read as
    /// [`EntityRef::parse`] reads it); anything else is an entity.
    pub fn parse(text: &'a str) -> Result<SubjectRef<'a>, RefError> {
        let (ty, id) = text.split_once(':').ok_or(RefError::NoColon)?;
        if id == "*" {
            if !is_name(ty) {
                return Err(RefError::BadType);
            }
            return Ok(SubjectRef::Wildcard(ty));
        }
        match id.rsplit_once('#') {
            Some((id, role)) => {
                let entity = EntityRef::new(ty, id)?;
                if !is_name(role) {
                    return Err(RefError::BadRole);
                }
                Ok(SubjectRef::Userset(entity, role))
            }
            None => EntityRef::new(ty, id).map(SubjectRef::Entity),
        }
    }
}

impl fmt::Display for EntityRef<'_> {
    /// The text [`EntityRef::parse`] reads back: `type:id`, the id as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.ty, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_id_literally() {
        let e = EntityRef::parse("user:\"alice\"").unwrap();
        assert_eq!(e.id, "\"alice\"");
        assert_eq!(EntityRef::parse("a:b:c").unwrap().id, "b:c");
        assert_eq!(EntityRef::parse("doc:#1").unwrap().id, "#1");
        assert_eq!(EntityRef::parse("folder:*"), Err(RefError::Wildcard));
        assert_eq!(EntityRef::parse("folder:"), Err(RefError::EmptyId));
        assert_eq!(EntityRef::parse(":x"), Err(RefError::BadType));
        assert_eq!(EntityRef::parse("x"), Err(RefError::NoColon));
    }

    #[test]
    fn subjects() {
        assert_eq!(
            SubjectRef::parse("user:*").unwrap(),
            SubjectRef::Wildcard("user")
        );
        assert_eq!(
            SubjectRef::parse("team:a#b#member").unwrap(),
            SubjectRef::Userset(
                EntityRef {
                    ty: "team",
                    id: "a#b"
                },
                "member"
            )
        );
        assert_eq!(SubjectRef::parse("team:*#member"), Err(RefError::Wildcard));
        assert_eq!(SubjectRef::parse("team:x#"), Err(RefError::BadRole));
        assert_eq!(SubjectRef::parse("team:#member"), Err(RefError::EmptyId));
    }
}
