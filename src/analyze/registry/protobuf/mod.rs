//! PROTOBUF schemas (`.proto` text, proto2 or proto3) to SQL types, as ksqlDB translates them
//! through Kafka Connect: messages → STRUCT, `repeated` → ARRAY, `map<K, V>` → MAP, enums →
//! STRING, float → DOUBLE, unsigned 32-bit and all 64-bit integers → BIGINT, `oneof` → a STRUCT
//! of its alternatives, and the well-known `google.protobuf.Timestamp`, `google.type.Date`,
//! `google.type.TimeOfDay` and `confluent.type.Decimal` (precision and scale from the field's
//! `confluent.field_meta` params). The schema's first message is used unless a full name is
//! given; imported files come from the schema's references. A schema whose type expands to
//! more than [`MAX_FIELDS`] fields (messages used many times over) is refused. The `.proto`
//! reader itself is `format::protobuf::schema`, shared with the codec.

use std::cell::Cell;

use super::SchemaReference;
use crate::format::protobuf::schema::{Field, FieldType, ProtoSchema, Resolved};
use crate::types::{SqlType, StructField};

/// Translates the message `full_name` (or the first message) of a `.proto` text.
pub fn to_sql_type(
    text: &str,
    references: &[SchemaReference],
    full_name: Option<&str>,
) -> Result<SqlType, String> {
    let schema = ProtoSchema::parse(text, references.iter().map(|r| r.text.as_str()))?;
    let root = match full_name {
        Some(name) => schema
            .find_message(name)
            .ok_or_else(|| format!("the PROTOBUF schema has no message named `{name}`"))?,
        None => schema
            .first_message()
            .ok_or("the PROTOBUF schema declares no message")?
            .to_string(),
    };
    let pool = Pool {
        schema: &schema,
        translated: Cell::new(0),
    };
    pool.message_type(&root, 0)
}

struct Pool<'s> {
    schema: &'s ProtoSchema,
    /// Struct fields translated so far (see [`MAX_FIELDS`]).
    translated: Cell<usize>,
}

const MAX_DEPTH: usize = 32;
/// Most struct fields one translation may produce. A message used twice in each of a chain of
/// messages is expanded every time it is used, so a schema of a few lines can describe a type
/// of billions of fields; it is refused instead of exhausting time and memory.
const MAX_FIELDS: usize = 100_000;

impl Pool<'_> {
    fn message_type(&self, full_name: &str, depth: usize) -> Result<SqlType, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "the PROTOBUF message `{full_name}` nests too deeply (recursive?)"
            ));
        }
        let fields = &self
            .schema
            .message(full_name)
            .ok_or_else(|| format!("unknown PROTOBUF message `{full_name}`"))?
            .fields;
        self.translated.set(self.translated.get() + fields.len());
        if self.translated.get() > MAX_FIELDS {
            return Err(format!(
                "the PROTOBUF message `{full_name}` expands to more than {MAX_FIELDS} fields"
            ));
        }
        let out = fields
            .iter()
            .map(|f| {
                Ok(StructField {
                    name: f.name.clone(),
                    ty: self.field_type(f, full_name, depth)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(SqlType::Struct(out))
    }

    fn field_type(&self, field: &Field, scope: &str, depth: usize) -> Result<SqlType, String> {
        let ty = match &field.ty {
            FieldType::Named(name) => self.named_type(name, &field.options, scope, depth)?,
            FieldType::Map(key, value) => SqlType::map(
                self.plain_type(key, scope, depth)?,
                self.plain_type(value, scope, depth)?,
            ),
            FieldType::OneOf(fields) => SqlType::Struct(
                fields
                    .iter()
                    .map(|f| {
                        Ok(StructField {
                            name: f.name.clone(),
                            ty: self.field_type(f, scope, depth)?,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?,
            ),
        };
        Ok(if field.repeated {
            SqlType::array(ty)
        } else {
            ty
        })
    }

    fn plain_type(&self, ty: &FieldType, scope: &str, depth: usize) -> Result<SqlType, String> {
        match ty {
            FieldType::Named(name) => self.named_type(name, "", scope, depth),
            _ => Err("a PROTOBUF map key or value must be a named type".to_string()),
        }
    }

    fn named_type(
        &self,
        name: &str,
        options: &str,
        scope: &str,
        depth: usize,
    ) -> Result<SqlType, String> {
        Ok(match name {
            "double" | "float" => SqlType::Double,
            "int32" | "sint32" | "sfixed32" => SqlType::Int,
            "int64" | "sint64" | "sfixed64" | "uint32" | "fixed32" | "uint64" | "fixed64" => {
                SqlType::Bigint
            }
            "bool" => SqlType::Boolean,
            "string" => SqlType::String,
            "bytes" => SqlType::Bytes,
            _ => match name.trim_start_matches('.') {
                "google.protobuf.Timestamp" => SqlType::Timestamp,
                "google.type.Date" => SqlType::Date,
                "google.type.TimeOfDay" => SqlType::Time,
                "confluent.type.Decimal" => decimal(options)?,
                _ => match self.schema.resolve(name, scope) {
                    Some(Resolved::Enum(_)) => SqlType::String,
                    Some(Resolved::Message(full)) => self.message_type(&full, depth + 1)?,
                    None => return Err(format!("unknown PROTOBUF type `{name}`")),
                },
            },
        })
    }
}

/// `confluent.type.Decimal` precision and scale from `params: [{ value: "4", key: "precision" }]`.
fn decimal(options: &str) -> Result<SqlType, String> {
    let param = |key: &str| -> Option<u32> {
        // Each param is `{ key: "k", value: "v" }` in either order.
        options.split('{').find_map(|chunk| {
            let chunk = chunk.split('}').next()?;
            let quoted = |field: &str| {
                let rest = &chunk[chunk.find(field)? + field.len()..];
                let rest = rest.trim_start().strip_prefix(':')?.trim_start();
                let rest = rest.strip_prefix('"')?;
                Some(rest[..rest.find('"')?].to_string())
            };
            (quoted("key")? == key).then(|| quoted("value")?.parse().ok())?
        })
    };
    SqlType::decimal(
        param("precision").unwrap_or(64),
        param("scale").unwrap_or(0),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> SqlType {
        to_sql_type(text, &[], None).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(
            ty(
                r#"syntax = "proto3"; message M {float c1 = 1; uint32 c2 = 2; uint64 c3 = 3; sint32 c4 = 4; sint64 c5 = 5; bool b = 6; bytes y = 7;}"#
            ),
            SqlType::structure([
                ("c1", SqlType::Double),
                ("c2", SqlType::Bigint),
                ("c3", SqlType::Bigint),
                ("c4", SqlType::Int),
                ("c5", SqlType::Bigint),
                ("b", SqlType::Boolean),
                ("y", SqlType::Bytes),
            ])
        );
    }

    #[test]
    fn nested_messages_enums_repeated_and_maps() {
        let schema = r#"syntax = "proto3";
            // a comment
            message M {
              enum Suit { SPADES = 0; HEARTS = 1; }
              message Inner { int32 f1 = 1; }
              Suit s = 1;
              Inner i = 2;
              repeated string r = 3;
              map<string, int64> m = 4;
            }"#;
        assert_eq!(
            ty(schema),
            SqlType::structure([
                ("s", SqlType::String),
                ("i", SqlType::structure([("f1", SqlType::Int)])),
                ("r", SqlType::array(SqlType::String)),
                ("m", SqlType::map(SqlType::String, SqlType::Bigint)),
            ])
        );
    }

    #[test]
    fn decimal_precision_and_scale_come_from_field_meta() {
        let schema = r#"syntax = "proto3"; import "confluent/type/decimal.proto";
            message M { confluent.type.Decimal d = 1 [(confluent.field_meta) = { params: [{ value: "4", key: "precision" }, { value: "2", key: "scale" }]}]; }"#;
        assert_eq!(
            ty(schema),
            SqlType::structure([("d", SqlType::decimal(4, 2).unwrap())])
        );
    }

    #[test]
    fn full_name_picks_the_message_and_references_resolve() {
        let two = r#"syntax = "proto3"; message V1 { float c1 = 1; } message V2 { string c = 1; }"#;
        assert_eq!(
            to_sql_type(two, &[], Some("V2")).unwrap(),
            SqlType::structure([("c", SqlType::String)])
        );
        let main = r#"syntax = "proto3"; import "event.proto"; message L { Event event = 1; }"#;
        let event = SchemaReference {
            name: "event.proto".into(),
            text: r#"syntax = "proto3"; message Event { int64 timestamp = 1; }"#.into(),
        };
        assert_eq!(
            to_sql_type(main, &[event], None).unwrap(),
            SqlType::structure([(
                "event",
                SqlType::structure([("timestamp", SqlType::Bigint)])
            )])
        );
    }

    #[test]
    fn oneof_becomes_a_struct_and_recursion_is_an_error() {
        assert_eq!(
            ty(r#"syntax = "proto3"; message M { oneof choice { int32 a = 1; string b = 2; } }"#),
            SqlType::structure([(
                "choice",
                SqlType::structure([("a", SqlType::Int), ("b", SqlType::String)])
            )])
        );
        assert!(to_sql_type(r#"message N { N next = 1; }"#, &[], None).is_err());
    }

    #[test]
    fn a_type_that_expands_exponentially_is_an_error() {
        // Found by the fuzz runner: 29 messages of three fields each using the next one, 1.5 KB
        // of schema, expand to 3^28 fields; the translation ran out of time and memory.
        let mut schema = String::from("syntax = \"proto3\";\n");
        for i in 0..28 {
            let next = i + 1;
            schema.push_str(&format!(
                "message C{i} {{ C{next} f0 = 1; C{next} f1 = 2; C{next} f2 = 3; }}\n"
            ));
        }
        schema.push_str("message C28 { int32 f0 = 1; }\n");
        let err = to_sql_type(&schema, &[], None).unwrap_err();
        assert!(err.contains("expands to more than 100000 fields"), "{err}");
        // A wide message is fine.
        let wide: String = (0..2000)
            .map(|i| format!("int32 f{i} = {};", i + 1))
            .collect();
        assert!(to_sql_type(&format!("message W {{ {wide} }}"), &[], None).is_ok());
    }

    #[test]
    fn bad_schemas_are_errors() {
        assert!(to_sql_type("message {", &[], None).is_err());
        assert!(to_sql_type(r#"syntax = "proto3";"#, &[], None).is_err());
        assert!(to_sql_type(r#"message M { Missing m = 1; }"#, &[], None).is_err());
        assert!(to_sql_type(r#"message M { int32 m = "#, &[], None).is_err());
    }
}
