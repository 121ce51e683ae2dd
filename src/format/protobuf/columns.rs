//! The `.proto` text ksqlDB derives from a list of columns, for PROTOBUF_NOSR (read and write
//! with it) and for the schemas PROTOBUF sinks register. ksqlDB turns the columns into a Kafka
//! Connect schema and Connect's `ProtobufData.fromConnectSchema` turns that into proto3: the
//! root message `ConnectDefault1`, fields numbered from 1 in column order, a STRUCT as a
//! message nested in its parent and named `ConnectDefault2`, `ConnectDefault3`, … in the
//! order they are met, ARRAY as `repeated`, MAP as `map<K, V>`, DECIMAL as
//! `confluent.type.Decimal` with its precision and scale as `confluent.field_meta` params, DATE,
//! TIME and TIMESTAMP as `google.type.Date`, `google.type.TimeOfDay` and
//! `google.protobuf.Timestamp`. Nullable scalars follow `*_PROTOBUF_NULLABLE_REPRESENTATION`:
//! plain (NULL reads back as the default), `optional`, or the `google.protobuf` wrappers.
//! The primitive layout matches the registered schemas of ksqlDB's query-validation cases;
//! the nested names follow Connect's naming and have not been compared with a ksqlDB run.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::types::SqlType;

/// `KEY_/VALUE_PROTOBUF_NULLABLE_REPRESENTATION`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NullableRepresentation {
    /// Not given: plain proto3 fields, a NULL is written as nothing and reads as the default.
    #[default]
    Plain,
    /// `OPTIONAL`: proto3 `optional` scalars, which keep NULL.
    Optional,
    /// `WRAPPER`: `google.protobuf.*Value` wrappers, which keep NULL.
    Wrapper,
}

impl NullableRepresentation {
    /// The property's value as ksqlDB accepts it: `OPTIONAL` or `WRAPPER`, in any case.
    pub fn parse(text: &str) -> Option<NullableRepresentation> {
        match text.trim().to_ascii_uppercase().as_str() {
            "OPTIONAL" => Some(NullableRepresentation::Optional),
            "WRAPPER" => Some(NullableRepresentation::Wrapper),
            _ => None,
        }
    }
}

/// The name of the root message of a derived schema.
pub const ROOT: &str = "ConnectDefault1";

/// The `.proto` text for `columns` (name and type, in order).
pub fn schema_for(
    columns: &[(&str, &SqlType)],
    nullable: NullableRepresentation,
) -> Result<String, String> {
    let mut writer = Writer {
        next_name: 2,
        imports: BTreeSet::new(),
        nullable,
    };
    let mut body = String::new();
    writer.message(&mut body, ROOT, columns, 0)?;
    let mut text = String::from("syntax = \"proto3\";\n\n");
    for import in &writer.imports {
        let _ = writeln!(text, "import \"{import}\";");
    }
    if !writer.imports.is_empty() {
        text.push('\n');
    }
    text.push_str(&body);
    Ok(text)
}

struct Writer {
    next_name: usize,
    imports: BTreeSet<&'static str>,
    nullable: NullableRepresentation,
}

impl Writer {
    fn message(
        &mut self,
        out: &mut String,
        name: &str,
        fields: &[(&str, &SqlType)],
        depth: usize,
    ) -> Result<(), String> {
        let indent = "  ".repeat(depth);
        let _ = writeln!(out, "{indent}message {name} {{");
        let mut nested = String::new();
        for (number, &(field, ty)) in (1..).zip(fields) {
            let (repeated, element) = match ty {
                SqlType::Array(element) => {
                    if matches!(**element, SqlType::Array(_)) {
                        return Err(format!(
                            "PROTOBUF cannot hold nested arrays (column `{field}`)"
                        ));
                    }
                    (true, element.as_ref())
                }
                other => (false, other),
            };
            let type_name = match element {
                SqlType::Map(..) if repeated => {
                    return Err(format!(
                        "PROTOBUF cannot hold an array of maps (column `{field}`)"
                    ));
                }
                SqlType::Map(key, value) => format!(
                    "map<{}, {}>",
                    self.type_name(&mut nested, key.as_ref(), depth, false)?,
                    self.type_name(&mut nested, value.as_ref(), depth, false)?
                ),
                other => self.type_name(&mut nested, other, depth, !repeated)?,
            };
            let label = if repeated {
                "repeated "
            } else if self.nullable == NullableRepresentation::Optional && is_scalar(element) {
                "optional "
            } else {
                ""
            };
            let meta = match element {
                SqlType::Decimal { precision, scale } => format!(
                    " [(confluent.field_meta) = {{ params: [{{ key: \"precision\", value: \"{precision}\" }}, {{ key: \"scale\", value: \"{scale}\" }}] }}]"
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{indent}  {label}{type_name} {field} = {number}{meta};"
            );
        }
        out.push_str(&nested);
        let _ = writeln!(out, "{indent}}}");
        Ok(())
    }

    /// The field type's name, declaring a nested message for a STRUCT.
    fn type_name(
        &mut self,
        nested: &mut String,
        ty: &SqlType,
        depth: usize,
        may_wrap: bool,
    ) -> Result<String, String> {
        let wrap = may_wrap && self.nullable == NullableRepresentation::Wrapper;
        let wrapper = |this: &mut Writer, plain: &str, wrapper: &str| {
            if wrap {
                this.imports.insert("google/protobuf/wrappers.proto");
                format!("google.protobuf.{wrapper}")
            } else {
                plain.to_string()
            }
        };
        Ok(match ty {
            SqlType::Boolean => wrapper(self, "bool", "BoolValue"),
            SqlType::Int => wrapper(self, "int32", "Int32Value"),
            SqlType::Bigint => wrapper(self, "int64", "Int64Value"),
            SqlType::Double => wrapper(self, "double", "DoubleValue"),
            SqlType::String => wrapper(self, "string", "StringValue"),
            SqlType::Bytes => wrapper(self, "bytes", "BytesValue"),
            SqlType::Decimal { .. } => {
                self.imports.insert("confluent/meta.proto");
                self.imports.insert("confluent/type/decimal.proto");
                "confluent.type.Decimal".into()
            }
            SqlType::Date => {
                self.imports.insert("google/type/date.proto");
                "google.type.Date".into()
            }
            SqlType::Time => {
                self.imports.insert("google/type/timeofday.proto");
                "google.type.TimeOfDay".into()
            }
            SqlType::Timestamp => {
                self.imports.insert("google/protobuf/timestamp.proto");
                "google.protobuf.Timestamp".into()
            }
            SqlType::Struct(fields) => {
                let name = format!("ConnectDefault{}", self.next_name);
                self.next_name += 1;
                let fields: Vec<(&str, &SqlType)> =
                    fields.iter().map(|f| (f.name.as_str(), &f.ty)).collect();
                self.message(nested, &name, &fields, depth + 1)?;
                name
            }
            SqlType::Array(_) | SqlType::Map(..) => {
                return Err(format!("PROTOBUF cannot hold {ty} inside a map or array"));
            }
        })
    }
}

fn is_scalar(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::Boolean
            | SqlType::Int
            | SqlType::Bigint
            | SqlType::Double
            | SqlType::String
            | SqlType::Bytes
    )
}
