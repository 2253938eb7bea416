//! The shape of a serializable value with its [`Span`](crate::source::Span)s left out: a byte
//! string, equal for two values exactly when they are equal but for their positions. It tells
//! a layout-only edit (the same items, moved) from one that changed what the items say, at a
//! fraction of the cost of comparing `serde_json::Value`s.

use serde::ser::{self, Serialize};
use std::fmt;

/// The shape of `value`: every field and variant, in order, spans left out.
pub fn shape<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    let mut s = Shape(Vec::new());
    value.serialize(&mut s).ok()?;
    Some(s.0)
}

struct Shape(Vec<u8>);

#[derive(Debug)]
struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value that has no shape")
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Error {
        Error
    }
}

impl Shape {
    fn tag(&mut self, t: u8) {
        self.0.push(t);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(&(b.len() as u64).to_le_bytes());
        self.0.extend_from_slice(b);
    }

    fn num(&mut self, t: u8, n: u64) {
        self.tag(t);
        self.0.extend_from_slice(&n.to_le_bytes());
    }
}

/// A struct or map being written; `skip` for a span, whose fields are left out.
struct Compound<'a> {
    s: &'a mut Shape,
    skip: bool,
}

type Res = Result<(), Error>;

impl<'a> ser::Serializer for &'a mut Shape {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Res {
        self.num(1, u64::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Res {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Res {
        self.num(2, v as u64);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Res {
        self.tag(3);
        self.0.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Res {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Res {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Res {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Res {
        self.num(4, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Res {
        self.tag(5);
        self.0.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Res {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Res {
        self.num(6, v.to_bits());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Res {
        self.num(7, u64::from(v));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Res {
        self.tag(8);
        self.bytes(v.as_bytes());
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        self.tag(9);
        self.bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> Res {
        self.tag(10);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
        self.tag(11);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        self.tag(12);
        Ok(())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Res {
        self.tag(13);
        self.bytes(name.as_bytes());
        Ok(())
    }
    fn serialize_unit_variant(self, name: &'static str, index: u32, _: &'static str) -> Res {
        self.tag(14);
        self.bytes(name.as_bytes());
        self.num(15, u64::from(index));
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Res {
        self.tag(16);
        self.bytes(name.as_bytes());
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Res {
        self.tag(17);
        self.bytes(name.as_bytes());
        self.num(15, u64::from(index));
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.num(18, len.map_or(u64::MAX, |n| n as u64));
        Ok(Compound {
            s: self,
            skip: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.tag(19);
        self.bytes(name.as_bytes());
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.tag(20);
        self.bytes(name.as_bytes());
        self.num(15, u64::from(index));
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.num(21, len.map_or(u64::MAX, |n| n as u64));
        Ok(Compound {
            s: self,
            skip: false,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        let skip = name == "Span";
        if !skip {
            self.tag(22);
            self.bytes(name.as_bytes());
            self.num(15, len as u64);
        }
        Ok(Compound { s: self, skip })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.tag(23);
        self.bytes(name.as_bytes());
        self.num(15, u64::from(index));
        self.num(15, len as u64);
        Ok(Compound {
            s: self,
            skip: false,
        })
    }
}

impl Compound<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        if self.skip {
            return Ok(());
        }
        value.serialize(&mut *self.s)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        if self.skip {
            return Ok(());
        }
        self.s.bytes(key.as_bytes());
        value.serialize(&mut *self.s)
    }

    fn end(self) -> Res {
        if !self.skip {
            self.s.tag(24);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        self.item(value)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        self.item(value)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        self.item(value)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        self.item(value)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Res {
        self.item(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
        self.item(value)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.field(key, value)
    }
    fn skip_field(&mut self, key: &'static str) -> Res {
        if !self.skip {
            self.s.tag(25);
            self.s.bytes(key.as_bytes());
        }
        Ok(())
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
        self.field(key, value)
    }
    fn end(self) -> Res {
        Compound::end(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax::parse_file;

    fn items(text: &str) -> Vec<u8> {
        let (f, _) = parse_file(FileId(0), text);
        shape(&f.items).unwrap_or_default()
    }

    #[test]
    fn positions_do_not_count_names_and_values_do() {
        let a = "resource doc { permissions read; role r { grants read; } }";
        let moved = "\n\nresource  doc {\n  permissions read;\n  role r { grants read; }\n}\n";
        assert!(!items(a).is_empty());
        assert_eq!(items(a), items(moved));
        assert_ne!(items(a), items(&a.replace("role r", "role s")));
        assert_ne!(items(a), items(&a.replace("role r", "/// Reads.\nrole r")));
    }
}
