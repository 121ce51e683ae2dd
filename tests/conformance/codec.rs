//! Test-side encoding of QTT `inputs` into topic bytes and decoding of our output bytes back
//! into the JSON shape QTT `outputs` use, per the topic's formats; and JSON comparison where
//! numbers compare by value.

use weir::analyze::{FormatInfo, Schema};
use weir::format::{Format, Role, RowSerde, SerdeColumn, SerdeOptions};
use weir::types::{SqlType, Value};

use serde_json::Value as Json;

/// One side of a topic as a source or sink declares it.
pub struct Side {
    pub format: FormatInfo,
    pub columns: Vec<SerdeColumn>,
    pub role: Role,
}

impl Side {
    pub fn of(schema: &Schema, format: &FormatInfo, role: Role) -> Side {
        let columns = schema
            .columns
            .iter()
            .filter(|c| match role {
                Role::Key => c.is_key(),
                Role::Value => c.namespace == weir::analyze::Namespace::Value,
            })
            .map(|c| SerdeColumn::new(c.name.clone(), c.ty.clone()))
            .collect();
        Side {
            format: format.clone(),
            columns,
            role,
        }
    }

    fn serde(&self) -> Result<RowSerde, String> {
        let options = SerdeOptions {
            wrap_single_value: self.format.wrap_single_value,
            delimiter: self
                .format
                .delimiter
                .as_deref()
                .map(weir::format::Delimiter::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
            nullable: self.format.nullable,
        };
        RowSerde::new(
            self.format.format,
            self.role,
            self.columns.clone(),
            &options,
        )
        .map_err(|e| e.to_string())
    }

    /// QTT JSON to bytes: JSON formats as JSON text, DELIMITED as the string, KAFKA through
    /// the primitive serde.
    pub fn encode(&self, json: &Json) -> Result<Option<Vec<u8>>, String> {
        if json.is_null() {
            return Ok(None);
        }
        match (self.format.format, json) {
            (Format::Kafka, _) if self.columns.len() == 1 => {
                let value = json_to_value(json, &self.columns[0].ty);
                let mut out = Vec::new();
                match self.serde()?.serialize(&[value], &mut out) {
                    Ok(weir::format::Encoded::Null) => Ok(None),
                    Ok(_) => Ok(Some(out)),
                    Err(e) => Err(e.to_string()),
                }
            }
            (_, Json::String(s)) if self.format.format != Format::Json => {
                Ok(Some(s.as_bytes().to_vec()))
            }
            (Format::Json, _) => Ok(Some(json.to_string().into_bytes())),
            (_, other) => Ok(Some(plain_text(other).into_bytes())),
        }
    }

    /// Our bytes to QTT JSON.
    pub fn decode(&self, bytes: Option<&[u8]>) -> Json {
        let Some(bytes) = bytes else {
            return Json::Null;
        };
        match self.format.format {
            Format::Json => serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(bytes).into_owned())),
            Format::Kafka if self.columns.len() == 1 => match self.serde() {
                Ok(mut serde) => match serde.deserialize(Some(bytes)) {
                    Ok(Some(row)) => row.first().map_or(Json::Null, value_to_json),
                    _ => Json::String(String::from_utf8_lossy(bytes).into_owned()),
                },
                Err(_) => Json::String(String::from_utf8_lossy(bytes).into_owned()),
            },
            _ => Json::String(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

fn plain_text(json: &Json) -> String {
    match json {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A QTT JSON primitive as a value of `ty` (for KAFKA-format sides).
fn json_to_value(json: &Json, ty: &SqlType) -> Value {
    match (ty, json) {
        (_, Json::Null) => Value::Null,
        (SqlType::Int, j) => j
            .as_i64()
            .or_else(|| plain_text(j).parse().ok())
            .map_or(Value::Null, |i| Value::Int(i as i32)),
        (SqlType::Bigint, j) => j
            .as_i64()
            .or_else(|| plain_text(j).parse().ok())
            .map_or(Value::Null, Value::Bigint),
        (SqlType::Double, j) => j
            .as_f64()
            .or_else(|| plain_text(j).parse().ok())
            .map_or(Value::Null, Value::Double),
        (SqlType::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (_, j) => Value::string(plain_text(j)),
    }
}

fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Bigint(i) => Json::from(*i),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        other => Json::String(format!("{other:?}")),
    }
}

/// JSON equality where numbers compare by value (`1` = `1.0`).
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
