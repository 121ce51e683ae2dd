//! The JSON schema a JSON_SR sink registers for its columns: what ksqlDB registers, which is
//! Kafka Connect's `JsonSchemaData.fromConnectSchema` applied to ksqlDB's Connect schema of
//! the columns. Every SQL column and nested field is optional in Connect, so each becomes
//! `{"oneOf":[{"type":"null"},T]}`; struct members carry `connect.index` (their position);
//! the wrapped row itself is a required `object`. Integers and doubles carry `connect.type`,
//! BYTES is a `string` with `connect.type: bytes`, DECIMAL a `number` titled
//! `org.apache.kafka.connect.data.Decimal` with its scale and precision as `connect.parameters`,
//! DATE/TIME/TIMESTAMP `integer`s titled with Connect's logical names, and MAPs (always STRING
//! keys in JSON_SR) `object`s with `additionalProperties` and `connect.type: map`.

use serde_json::{Map, Value as Json, json};

use crate::types::{SqlType, StructField};

/// The schema text for `target`: the columns' STRUCT when `wrapped`, else the single column's
/// type.
pub(super) fn sink_schema(target: &SqlType, wrapped: bool) -> Json {
    match (wrapped, target) {
        (true, SqlType::Struct(fields)) => object(fields),
        _ => optional(required(target), None),
    }
}

/// `{"oneOf":[{"type":"null"}, schema]}`, with `connect.index` when it is a struct member.
fn optional(schema: Json, index: Option<usize>) -> Json {
    let mut union = Map::new();
    if let Some(index) = index {
        union.insert("connect.index".into(), json!(index));
    }
    union.insert("oneOf".into(), json!([{ "type": "null" }, schema]));
    Json::Object(union)
}

fn object(fields: &[StructField]) -> Json {
    let properties: Map<String, Json> = fields
        .iter()
        .enumerate()
        .map(|(index, field)| {
            (
                field.name.clone(),
                optional(required(&field.ty), Some(index)),
            )
        })
        .collect();
    json!({ "type": "object", "properties": properties })
}

/// A Connect logical type: its base schema with the logical name as `title`, version 1.
fn logical(kind: &str, connect_type: &str, name: &str) -> Json {
    json!({
        "type": kind,
        "title": format!("org.apache.kafka.connect.data.{name}"),
        "connect.version": 1,
        "connect.type": connect_type,
    })
}

/// The schema of a value of `ty` that is present (the non-null branch).
fn required(ty: &SqlType) -> Json {
    match ty {
        SqlType::Boolean => json!({ "type": "boolean" }),
        SqlType::Int => json!({ "type": "integer", "connect.type": "int32" }),
        SqlType::Bigint => json!({ "type": "integer", "connect.type": "int64" }),
        SqlType::Double => json!({ "type": "number", "connect.type": "float64" }),
        SqlType::String => json!({ "type": "string" }),
        SqlType::Bytes => json!({ "type": "string", "connect.type": "bytes" }),
        SqlType::Decimal { precision, scale } => {
            let mut schema = logical("number", "bytes", "Decimal");
            schema["connect.parameters"] = json!({
                "scale": scale.to_string(),
                "connect.decimal.precision": precision.to_string(),
            });
            schema
        }
        SqlType::Date => logical("integer", "int32", "Date"),
        SqlType::Time => logical("integer", "int32", "Time"),
        SqlType::Timestamp => logical("integer", "int64", "Timestamp"),
        SqlType::Array(element) => json!({
            "type": "array",
            "items": optional(required(element), None),
        }),
        SqlType::Map(_, value) => json!({
            "type": "object",
            "additionalProperties": optional(required(value), None),
            "connect.type": "map",
        }),
        SqlType::Struct(fields) => object(fields),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::registry::json_schema::to_sql_type;

    fn field(name: &str, ty: SqlType) -> StructField {
        StructField {
            name: name.into(),
            ty,
        }
    }

    #[test]
    fn a_wrapped_row_is_a_required_object_of_optional_indexed_members() {
        let row = SqlType::Struct(vec![
            field("FOO", SqlType::Int),
            field(
                "D",
                SqlType::Decimal {
                    precision: 4,
                    scale: 2,
                },
            ),
        ]);
        assert_eq!(
            sink_schema(&row, true),
            json!({"type": "object", "properties": {
                "FOO": {"connect.index": 0,
                        "oneOf": [{"type": "null"}, {"type": "integer", "connect.type": "int32"}]},
                "D": {"connect.index": 1, "oneOf": [{"type": "null"}, {
                    "type": "number", "title": "org.apache.kafka.connect.data.Decimal",
                    "connect.version": 1, "connect.type": "bytes",
                    "connect.parameters": {"scale": "2", "connect.decimal.precision": "4"}}]},
            }})
        );
    }

    #[test]
    fn an_unwrapped_key_is_an_optional_primitive() {
        assert_eq!(
            sink_schema(&SqlType::Bigint, false),
            json!({"oneOf": [{"type": "null"}, {"type": "integer", "connect.type": "int64"}]})
        );
    }

    /// What a sink registers reads back, through the analyzer's JSON schema translation, as
    /// the columns it was made from.
    #[test]
    fn every_type_round_trips_through_inference() {
        let nested = SqlType::Struct(vec![
            field("A", SqlType::Array(Box::new(SqlType::Double))),
            field(
                "M",
                SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Bytes)),
            ),
        ]);
        let row = SqlType::Struct(vec![
            field("B", SqlType::Boolean),
            field("I", SqlType::Int),
            field("L", SqlType::Bigint),
            field("S", SqlType::String),
            field(
                "DEC",
                SqlType::Decimal {
                    precision: 10,
                    scale: 3,
                },
            ),
            field("DT", SqlType::Date),
            field("T", SqlType::Time),
            field("TS", SqlType::Timestamp),
            field("N", nested),
        ]);
        let text = sink_schema(&row, true).to_string();
        assert_eq!(to_sql_type(&text), Ok(row));
        let text = sink_schema(&SqlType::String, false).to_string();
        assert_eq!(to_sql_type(&text), Ok(SqlType::String));
    }
}
