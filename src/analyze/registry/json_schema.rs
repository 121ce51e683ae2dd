//! JSON schemas (the JSON_SR format) to SQL types, as ksqlDB translates them through Kafka
//! Connect: `integer` → BIGINT (INT when `connect.type` says int8/16/32), `number` → DOUBLE,
//! objects with `properties` → STRUCT (ordered by `connect.index`, then name), objects with only
//! `additionalProperties` → MAP<STRING, …>, `oneOf`/`anyOf`/type lists with `null` → the other
//! branch, and Connect's decimal, date, time and timestamp annotations.

use serde_json::Value as Json;

use crate::types::{SqlType, StructField};

/// Translates a JSON schema given as text.
pub fn to_sql_type(text: &str) -> Result<SqlType, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON schema: {e}"))?;
    translate(&json)
}

fn translate(schema: &Json) -> Result<SqlType, String> {
    let Json::Object(object) = schema else {
        return Err(format!("not a JSON schema: {schema}"));
    };
    for combinator in ["oneOf", "anyOf"] {
        if let Some(Json::Array(branches)) = object.get(combinator) {
            let non_null: Vec<&Json> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Json::as_str) != Some("null"))
                .collect();
            return match non_null.as_slice() {
                [single] => translate(single),
                [] => Err(format!(
                    "a JSON schema {combinator} of only null has no SQL type"
                )),
                many => {
                    let fields = many
                        .iter()
                        .enumerate()
                        .map(|(i, branch)| {
                            Ok(StructField {
                                name: format!("io.confluent.connect.json.OneOf.field.{i}"),
                                ty: translate(branch)?,
                            })
                        })
                        .collect::<Result<Vec<_>, String>>()?;
                    Ok(SqlType::Struct(fields))
                }
            };
        }
    }
    let kind: &str = match object.get("type") {
        Some(Json::String(kind)) => kind.as_str(),
        Some(Json::Array(kinds)) => {
            let mut non_null = kinds
                .iter()
                .filter_map(Json::as_str)
                .filter(|k| *k != "null");
            match (non_null.next(), non_null.next()) {
                (Some(single), None) => single,
                _ => return Err(format!("unsupported JSON schema type list: {schema}")),
            }
        }
        None if object.contains_key("properties") => "object",
        _ => return Err(format!("JSON schema without a type: {schema}")),
    };
    let connect_type = object.get("connect.type").and_then(Json::as_str);
    let title = object.get("title").and_then(Json::as_str);
    match title {
        Some("org.apache.kafka.connect.data.Decimal") => return decimal(object),
        Some("org.apache.kafka.connect.data.Date") => return Ok(SqlType::Date),
        Some("org.apache.kafka.connect.data.Time") => return Ok(SqlType::Time),
        Some("org.apache.kafka.connect.data.Timestamp") => return Ok(SqlType::Timestamp),
        _ => {}
    }
    Ok(match kind {
        "boolean" => SqlType::Boolean,
        "integer" => match connect_type {
            Some("int8" | "int16" | "int32") => SqlType::Int,
            _ => SqlType::Bigint,
        },
        "number" => SqlType::Double,
        "string" => match connect_type {
            Some("bytes") => SqlType::Bytes,
            _ => SqlType::String,
        },
        "array" => {
            let items = object
                .get("items")
                .ok_or_else(|| format!("JSON schema array without items: {schema}"))?;
            SqlType::array(translate(items)?)
        }
        "object" => object_type(object)?,
        other => return Err(format!("unsupported JSON schema type `{other}`")),
    })
}

fn object_type(object: &serde_json::Map<String, Json>) -> Result<SqlType, String> {
    let is_map = object.get("connect.type").and_then(Json::as_str) == Some("map")
        || (!object.contains_key("properties")
            && matches!(object.get("additionalProperties"), Some(Json::Object(_))));
    if is_map {
        let values = object
            .get("additionalProperties")
            .ok_or("JSON schema map without additionalProperties")?;
        return Ok(SqlType::map(SqlType::String, translate(values)?));
    }
    let mut properties: Vec<(&String, &Json)> = object
        .get("properties")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .collect();
    properties.sort_by_key(|(name, property)| {
        (
            property
                .get("connect.index")
                .and_then(Json::as_u64)
                .unwrap_or(u64::MAX),
            name.to_string(),
        )
    });
    let fields = properties
        .into_iter()
        .map(|(name, property)| {
            Ok(StructField {
                name: name.clone(),
                ty: translate(property)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SqlType::Struct(fields))
}

fn decimal(object: &serde_json::Map<String, Json>) -> Result<SqlType, String> {
    let parameter = |key: &str, default: u32| -> u32 {
        object
            .get("connect.parameters")
            .and_then(|p| p.get(key))
            .and_then(|v| match v {
                Json::String(s) => s.parse().ok(),
                Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                _ => None,
            })
            .unwrap_or(default)
    };
    SqlType::decimal(
        parameter("connect.decimal.precision", 64),
        parameter("scale", 0),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> SqlType {
        to_sql_type(text).unwrap()
    }

    #[test]
    fn primitives_and_connect_types() {
        assert_eq!(ty(r#"{"type":"integer"}"#), SqlType::Bigint);
        assert_eq!(
            ty(r#"{"type":"integer","connect.type":"int32"}"#),
            SqlType::Int
        );
        assert_eq!(ty(r#"{"type":"number"}"#), SqlType::Double);
        assert_eq!(ty(r#"{"type":"string"}"#), SqlType::String);
        assert_eq!(ty(r#"{"type":"boolean"}"#), SqlType::Boolean);
    }

    #[test]
    fn nullable_branches() {
        assert_eq!(
            ty(r#"{"oneOf":[{"type":"null"},{"type":"integer","connect.type":"int32"}]}"#),
            SqlType::Int
        );
        assert_eq!(ty(r#"{"type":["null","string"]}"#), SqlType::String);
    }

    #[test]
    fn decimals() {
        let schema = r#"{"type":"number","title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes","connect.parameters":{"scale":"2","connect.decimal.precision":"4"}}"#;
        assert_eq!(ty(schema), SqlType::decimal(4, 2).unwrap());
    }

    #[test]
    fn objects_order_by_connect_index_then_name() {
        let schema = r#"{"type":"object","properties":{
            "b":{"type":"string","connect.index":0},
            "a":{"type":"array","items":{"type":"number"},"connect.index":1}}}"#;
        assert_eq!(
            ty(schema),
            SqlType::structure([
                ("b", SqlType::String),
                ("a", SqlType::array(SqlType::Double))
            ])
        );
        assert_eq!(
            ty(r#"{"type":"object","properties":{"z":{"type":"integer"},"y":{"type":"boolean"}}}"#),
            SqlType::structure([("y", SqlType::Boolean), ("z", SqlType::Bigint)])
        );
    }

    #[test]
    fn maps() {
        assert_eq!(
            ty(r#"{"type":"object","additionalProperties":{"type":"integer"}}"#),
            SqlType::map(SqlType::String, SqlType::Bigint)
        );
    }

    #[test]
    fn bad_schemas_are_errors() {
        assert!(to_sql_type("not json").is_err());
        assert!(to_sql_type(r#"{"type":"array"}"#).is_err());
        assert!(to_sql_type("[1]").is_err());
    }
}
