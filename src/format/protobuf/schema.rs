//! A parsed PROTOBUF schema: the messages and enums of a `.proto` text and of the files it
//! references, by full name, with name resolution as `protoc` does it (innermost scope
//! first) and the message-index paths of Confluent's wire format. Both schema inference
//! (`analyze::registry::protobuf`) and the codec ([`super::ProtobufCodec`]) read schemas
//! through this module; it sits in the format layer so the codec does not reach up into
//! analysis.
//!
//! Why not `protox`/`prost-reflect`: they compile strictly (every import must resolve,
//! `confluent/meta.proto` and `google/type/*.proto` included), while registered schemas often
//! name well-known types without shipping them, and ksqlDB reads those. This reader is small,
//! lenient where ksqlDB is, fuzzed (`benches/fuzz/proto.rs`), and provides the well-known
//! types the codec maps ([`WELL_KNOWN`]) whenever a schema names them without defining them.

use std::collections::HashMap;

use super::parse::{self, Parser};
pub use super::parse::{Field, FieldType};

/// A message: its fields in declaration order and its nested messages in declaration order
/// (the order Confluent's message indexes count in).
#[derive(Debug, Clone)]
pub struct MessageDef {
    pub fields: Vec<Field>,
    pub nested: Vec<String>,
    /// Declared in a `proto3` file: scalars without `optional` have no presence.
    pub proto3: bool,
}

/// An enum's values in declaration order.
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub values: Vec<(String, i32)>,
}

/// What a type name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Message(String),
    Enum(String),
}

/// The messages and enums of a schema and its references.
#[derive(Debug, Clone, Default)]
pub struct ProtoSchema {
    pub(super) messages: HashMap<String, MessageDef>,
    pub(super) enums: HashMap<String, EnumDef>,
    /// The main file's top-level messages, in declaration order.
    top: Vec<String>,
}

/// The well-known types the codec maps to SQL types, as they are defined upstream
/// (`google/protobuf/timestamp.proto`, `wrappers.proto`, `google/type/date.proto`,
/// `timeofday.proto`, `confluent/type/decimal.proto`). Added to every schema that does not
/// define them itself, so a schema that imports them without a reference still resolves.
pub const WELL_KNOWN: &str = r#"
syntax = "proto3";
package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message DoubleValue { double value = 1; }
message FloatValue { float value = 1; }
message Int64Value { int64 value = 1; }
message UInt64Value { uint64 value = 1; }
message Int32Value { int32 value = 1; }
message UInt32Value { uint32 value = 1; }
message BoolValue { bool value = 1; }
message StringValue { string value = 1; }
message BytesValue { bytes value = 1; }
"#;
const WELL_KNOWN_TYPE: &str = r#"
syntax = "proto3";
package google.type;
message Date { int32 year = 1; int32 month = 2; int32 day = 3; }
message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }
"#;
const WELL_KNOWN_CONFLUENT: &str = r#"
syntax = "proto3";
package confluent.type;
message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }
"#;

impl ProtoSchema {
    /// Parses the main `.proto` text and the texts of its references (imported files).
    pub fn parse<'a>(
        text: &str,
        references: impl IntoIterator<Item = &'a str>,
    ) -> Result<ProtoSchema, String> {
        let mut schema = ProtoSchema::default();
        schema.top = schema.add_file(text)?;
        for reference in references {
            schema.add_file(reference)?;
        }
        for builtin in [WELL_KNOWN, WELL_KNOWN_TYPE, WELL_KNOWN_CONFLUENT] {
            let mut extra = ProtoSchema::default();
            extra.add_file(builtin)?;
            for (name, def) in extra.messages {
                schema.messages.entry(name).or_insert(def);
            }
        }
        Ok(schema)
    }

    /// Parses one file into the schema; returns its top-level messages.
    fn add_file(&mut self, text: &str) -> Result<Vec<String>, String> {
        let tokens = parse::tokenize(text)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            pool: self,
            proto3: false,
        };
        parser.file()
    }

    /// The main file's first message.
    pub fn first_message(&self) -> Option<&str> {
        self.top.first().map(String::as_str)
    }

    pub fn message(&self, full_name: &str) -> Option<&MessageDef> {
        self.messages.get(full_name)
    }

    pub fn enumeration(&self, full_name: &str) -> Option<&EnumDef> {
        self.enums.get(full_name)
    }

    /// A message by full name, or else the alphabetically first whose name ends in `.name`
    /// (how `*_SCHEMA_FULL_NAME` may name a message without its package).
    pub fn find_message(&self, name: &str) -> Option<String> {
        let name = name.trim_start_matches('.');
        if self.messages.contains_key(name) {
            return Some(name.to_string());
        }
        let suffix = format!(".{name}");
        let mut matches: Vec<&String> = self
            .messages
            .keys()
            .filter(|k| k.ends_with(&suffix))
            .collect();
        matches.sort();
        matches.first().map(|s| s.to_string())
    }

    /// Resolves `name` used inside `scope` (the full name of the enclosing message).
    pub fn resolve(&self, name: &str, scope: &str) -> Option<Resolved> {
        if let Some(absolute) = name.strip_prefix('.') {
            return self.lookup(absolute);
        }
        let mut scope = scope.to_string();
        loop {
            let candidate = parse::qualify(&scope, name);
            if let Some(found) = self.lookup(&candidate) {
                return Some(found);
            }
            if scope.is_empty() {
                return None;
            }
            scope = scope
                .rsplit_once('.')
                .map_or(String::new(), |(s, _)| s.to_string());
        }
    }

    fn lookup(&self, full: &str) -> Option<Resolved> {
        if self.messages.contains_key(full) {
            Some(Resolved::Message(full.to_string()))
        } else if self.enums.contains_key(full) {
            Some(Resolved::Enum(full.to_string()))
        } else {
            None
        }
    }

    /// Confluent's message indexes of a message of the main file: the position of its
    /// top-level ancestor, then the position inside each enclosing message.
    pub fn message_indexes(&self, full_name: &str) -> Option<Vec<i32>> {
        fn search(schema: &ProtoSchema, names: &[String], target: &str) -> Option<Vec<i32>> {
            for (i, name) in names.iter().enumerate() {
                let i = i32::try_from(i).ok()?;
                if name == target {
                    return Some(vec![i]);
                }
                if target.starts_with(name.as_str()) {
                    let nested = &schema.messages.get(name)?.nested;
                    if let Some(mut rest) = search(schema, nested, target) {
                        rest.insert(0, i);
                        return Some(rest);
                    }
                }
            }
            None
        }
        search(self, &self.top, full_name)
    }

    /// The message at Confluent message indexes (an empty list means the first message).
    pub fn message_at(&self, indexes: &[i32]) -> Option<&str> {
        let Some((first, rest)) = indexes.split_first() else {
            return self.first_message();
        };
        let mut name = self.top.get(usize::try_from(*first).ok()?)?;
        for index in rest {
            name = self
                .messages
                .get(name)?
                .nested
                .get(usize::try_from(*index).ok()?)?;
        }
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: &str = r#"syntax = "proto3"; package p;
        message A { message B { message C { int32 x = 1; } } message D { int32 y = 2; } }
        message E { optional int32 z = 0x10; enum Suit { SPADES = 0; HEARTS = 1 [deprecated = true]; } }"#;

    #[test]
    fn message_indexes_follow_declaration_order() {
        let schema = ProtoSchema::parse(NESTED, []).unwrap();
        assert_eq!(schema.message_indexes("p.A"), Some(vec![0]));
        assert_eq!(schema.message_indexes("p.A.B.C"), Some(vec![0, 0, 0]));
        assert_eq!(schema.message_indexes("p.A.D"), Some(vec![0, 1]));
        assert_eq!(schema.message_indexes("p.E"), Some(vec![1]));
        assert_eq!(schema.message_at(&[0, 1]), Some("p.A.D"));
        assert_eq!(schema.message_at(&[]), Some("p.A"));
        assert_eq!(schema.message_at(&[2]), None);
        assert_eq!(schema.message_at(&[-1]), None);
    }

    #[test]
    fn numbers_labels_enum_values_and_well_known_types() {
        let schema = ProtoSchema::parse(NESTED, []).unwrap();
        let e = schema.message("p.E").unwrap();
        assert_eq!(e.fields[0].number, 16);
        assert!(e.fields[0].optional && e.proto3);
        let suit = schema.enumeration("p.E.Suit").unwrap();
        assert_eq!(
            suit.values,
            vec![("SPADES".into(), 0), ("HEARTS".into(), 1)]
        );
        assert_eq!(
            schema.resolve("google.protobuf.StringValue", "p.E"),
            Some(Resolved::Message("google.protobuf.StringValue".into()))
        );
        assert_eq!(
            schema.resolve("Suit", "p.E"),
            Some(Resolved::Enum("p.E.Suit".into()))
        );
        assert!(ProtoSchema::parse("message M { int32 a = 0; }", []).is_err());
        assert!(ProtoSchema::parse("message M { int32 a = 536870912; }", []).is_err());
    }
}
