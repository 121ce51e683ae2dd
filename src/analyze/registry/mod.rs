//! Schema inference for sources declared without columns: ksqlDB fetches the key or value
//! schema of the topic from Schema Registry and turns it into columns. Here the analyzer asks
//! a [`SchemaSource`] (the default has no registry, so inference fails with a clear error; the
//! corpus tests supply one built from each case's `topics`; [`RegistrySchemas`] asks a real
//! registry through `crate::registry`) and translates the schema text of the source's format
//! ([`avro`], [`protobuf`], [`json_schema`]) to SQL types the way ksqlDB does. Only
//! [`RegistrySchemas`] reaches the network, and only when the caller supplies one.

pub mod avro;
pub mod checks;
pub mod json_schema;
pub(crate) mod names;
pub mod protobuf;
mod source;

pub use source::RegistrySchemas;

use std::fmt;

use crate::format::Format;
use crate::types::{SqlType, StructField};

/// Which half of a record a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaSide {
    Key,
    Value,
}

impl SchemaSide {
    /// `KEY` or `VALUE`, as in the property names.
    pub fn word(self) -> &'static str {
        match self {
            SchemaSide::Key => "KEY",
            SchemaSide::Value => "VALUE",
        }
    }
}

/// Another schema a registered schema imports (a PROTOBUF `import "event.proto"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaReference {
    /// The name it is imported by, e.g. `event.proto`.
    pub name: String,
    pub text: String,
}

/// A schema as Schema Registry returns it: the text in the format's own schema language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    pub text: String,
    pub references: Vec<SchemaReference>,
}

impl RegisteredSchema {
    /// `sha256:<hex>` over the text and every reference (name and text): what the lock pins
    /// of a schema a source's columns were inferred from.
    pub fn fingerprint(&self) -> String {
        let mut bytes = self.text.clone().into_bytes();
        for reference in &self.references {
            bytes.push(0);
            bytes.extend_from_slice(reference.name.as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(reference.text.as_bytes());
        }
        crate::lock::fingerprint(&bytes)
    }
}

/// A registered schema a source's columns were inferred from, pinned by fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InferredSchema {
    pub side: SchemaSide,
    /// [`RegisteredSchema::fingerprint`] of the schema read.
    pub fingerprint: String,
}

/// Where the analyzer finds the registered schema of a topic's key or value.
pub trait SchemaSource: fmt::Debug + Send + Sync {
    /// The latest schema (or the one with `id`, when given) registered for `topic`'s `side`.
    fn schema(&self, topic: &str, side: SchemaSide, id: Option<i64>) -> Option<RegisteredSchema>;

    /// False for a source that stands in for a missing registry (errors then say so).
    fn is_connected(&self) -> bool {
        true
    }
}

/// The default source: weir has no Schema Registry client yet, so nothing is registered.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRegistry;

impl SchemaSource for NoRegistry {
    fn schema(&self, _: &str, _: SchemaSide, _: Option<i64>) -> Option<RegisteredSchema> {
        None
    }

    fn is_connected(&self) -> bool {
        false
    }
}

/// Whether ksqlDB infers schemas for this format from Schema Registry.
pub fn supports_inference(format: Format) -> bool {
    matches!(format, Format::Avro | Format::Protobuf | Format::JsonSr)
}

/// How the inferred schema becomes columns.
#[derive(Debug, Clone, Default)]
pub struct InferOptions {
    /// `*_SCHEMA_ID` was given: field names keep their case (otherwise they are upper-cased).
    pub schema_id: bool,
    /// `*_SCHEMA_FULL_NAME`: the PROTOBUF message (or AVRO record) to use.
    pub full_name: Option<String>,
    /// The side is read as one unwrapped column (`ROWKEY`/`ROWVAL`) instead of a record's fields.
    pub unwrap_single: bool,
}

/// Translates a registered schema of `format` to (column name, type) pairs.
pub fn infer_columns(
    format: Format,
    side: SchemaSide,
    schema: &RegisteredSchema,
    options: &InferOptions,
) -> Result<Vec<(String, SqlType)>, String> {
    let ty = match format {
        Format::Avro => avro::to_sql_type(&schema.text)?,
        Format::Protobuf => protobuf::to_sql_type(
            &schema.text,
            &schema.references,
            options.full_name.as_deref(),
        )?,
        Format::JsonSr => json_schema::to_sql_type(&schema.text)?,
        other => return Err(format!("{other} does not support schema inference")),
    };
    let ty = if options.schema_id {
        ty
    } else {
        upper_case_fields(ty)
    };
    // PROTOBUF cannot unwrap: its schemas are always messages whose fields are the columns.
    let unwrap =
        format.unwraps_single_column() && (options.unwrap_single || side == SchemaSide::Key);
    if unwrap {
        let name = match side {
            SchemaSide::Key => "ROWKEY",
            SchemaSide::Value => "ROWVAL",
        };
        return Ok(vec![(name.to_string(), ty)]);
    }
    match ty {
        SqlType::Struct(fields) => Ok(fields.into_iter().map(|f| (f.name, f.ty)).collect()),
        other => Err(format!(
            "the registered {} schema is {other}, not a record; set WRAP_SINGLE_VALUE=false to read it as one column",
            side.word().to_lowercase()
        )),
    }
}

/// ksqlDB's default naming policy for inferred schemas: every field name upper-cased.
fn upper_case_fields(ty: SqlType) -> SqlType {
    match ty {
        SqlType::Struct(fields) => SqlType::Struct(
            fields
                .into_iter()
                .map(|f| StructField {
                    name: f.name.to_uppercase(),
                    ty: upper_case_fields(f.ty),
                })
                .collect(),
        ),
        SqlType::Array(element) => SqlType::Array(Box::new(upper_case_fields(*element))),
        SqlType::Map(key, value) => SqlType::Map(
            Box::new(upper_case_fields(*key)),
            Box::new(upper_case_fields(*value)),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> RegisteredSchema {
        RegisteredSchema {
            text: text.to_string(),
            references: Vec::new(),
        }
    }

    #[test]
    fn record_fields_become_upper_cased_columns() {
        let columns = infer_columns(
            Format::Avro,
            SchemaSide::Value,
            &schema(r#"{"type":"record","name":"r","fields":[{"name":"c1","type":{"type":"record","name":"s","fields":[{"name":"f1","type":"int"}]}}]}"#),
            &InferOptions::default(),
        )
        .unwrap();
        assert_eq!(
            columns,
            vec![("C1".to_string(), SqlType::structure([("F1", SqlType::Int)]))]
        );
    }

    #[test]
    fn schema_id_keeps_field_case() {
        let options = InferOptions {
            schema_id: true,
            ..InferOptions::default()
        };
        let columns = infer_columns(
            Format::JsonSr,
            SchemaSide::Value,
            &schema(r#"{"type":"object","properties":{"c1":{"type":"integer"}}}"#),
            &options,
        )
        .unwrap();
        assert_eq!(columns, vec![("c1".to_string(), SqlType::Bigint)]);
    }

    #[test]
    fn keys_are_one_rowkey_column_except_protobuf() {
        let avro = infer_columns(
            Format::Avro,
            SchemaSide::Key,
            &schema(
                r#"{"type":"record","name":"k","fields":[{"name":"K","type":["null","int"]}]}"#,
            ),
            &InferOptions::default(),
        )
        .unwrap();
        assert_eq!(
            avro,
            vec![(
                "ROWKEY".to_string(),
                SqlType::structure([("K", SqlType::Int)])
            )]
        );
        let proto = infer_columns(
            Format::Protobuf,
            SchemaSide::Key,
            &schema(r#"syntax = "proto3"; message K { int32 c0 = 1; }"#),
            &InferOptions::default(),
        )
        .unwrap();
        assert_eq!(proto, vec![("C0".to_string(), SqlType::Int)]);
    }

    #[test]
    fn unwrapped_value_is_rowval() {
        let options = InferOptions {
            unwrap_single: true,
            ..InferOptions::default()
        };
        let columns =
            infer_columns(Format::Avro, SchemaSide::Value, &schema("int"), &options).unwrap();
        assert_eq!(columns, vec![("ROWVAL".to_string(), SqlType::Int)]);
    }

    #[test]
    fn a_primitive_value_without_unwrapping_is_an_error() {
        let err = infer_columns(
            Format::Avro,
            SchemaSide::Value,
            &schema(r#""int""#),
            &InferOptions::default(),
        )
        .unwrap_err();
        assert!(err.contains("not a record"), "{err}");
    }
}
