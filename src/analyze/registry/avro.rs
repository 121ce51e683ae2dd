//! AVRO schemas (JSON text) to SQL types, as ksqlDB translates them through Kafka Connect:
//! records → STRUCT, arrays, maps (STRING keys), `[null, T]` → T, other unions → a STRUCT with
//! one field per branch, enums → STRING, fixed → BYTES, float → DOUBLE, and the logical types
//! decimal (precision 64 when absent), date, time-millis and timestamp-millis. Named types
//! declared earlier in the schema may be referenced by name; a schema whose type expands to
//! more than [`MAX_FIELDS`] fields that way is refused.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::types::{SqlType, StructField};

/// Translates an AVRO schema; a bare primitive name (`int`) is accepted as well as JSON.
pub fn to_sql_type(text: &str) -> Result<SqlType, String> {
    let json = match serde_json::from_str::<Json>(text) {
        Ok(json) => json,
        Err(_) => Json::String(text.trim().to_string()),
    };
    Translator::default().translate(&json, None)
}

#[derive(Default)]
struct Translator {
    /// Named types seen so far, by full and by simple name.
    named: HashMap<String, SqlType>,
    /// Struct fields produced so far, those of named types counted at every use (see
    /// [`MAX_FIELDS`]).
    translated: usize,
}

/// Most struct fields one translation may produce. A named record used twice in each of a
/// chain of records is copied at every use, so a schema of a few lines can describe a type of
/// billions of fields; it is refused instead of exhausting time and memory.
const MAX_FIELDS: usize = 100_000;

/// Struct fields in `ty`, nested ones included.
fn field_count(ty: &SqlType) -> usize {
    match ty {
        SqlType::Struct(fields) => {
            fields.len() + fields.iter().map(|f| field_count(&f.ty)).sum::<usize>()
        }
        SqlType::Array(element) => field_count(element),
        SqlType::Map(key, value) => field_count(key) + field_count(value),
        _ => 0,
    }
}

impl Translator {
    fn translate(&mut self, schema: &Json, namespace: Option<&str>) -> Result<SqlType, String> {
        match schema {
            Json::String(name) => self.by_name(name, namespace),
            Json::Array(branches) => self.union(branches, namespace),
            Json::Object(object) => {
                let Some(Json::String(kind)) = object.get("type") else {
                    return match object.get("type") {
                        Some(inner) => self.translate(inner, namespace),
                        None => Err(format!("AVRO schema without a type: {schema}")),
                    };
                };
                if let Some(ty) = logical_type(object, kind)? {
                    return Ok(ty);
                }
                let namespace = object.get("namespace").and_then(Json::as_str).or(namespace);
                let ty = match kind.as_str() {
                    "record" | "error" => {
                        let fields = object
                            .get("fields")
                            .and_then(Json::as_array)
                            .ok_or_else(|| format!("AVRO record without fields: {schema}"))?;
                        // Register the name first: a record may refer to itself through a union.
                        self.count(fields.len())?;
                        let mut out = Vec::with_capacity(fields.len());
                        for field in fields {
                            let name = field
                                .get("name")
                                .and_then(Json::as_str)
                                .ok_or_else(|| format!("AVRO field without a name: {field}"))?;
                            let ty = field
                                .get("type")
                                .ok_or_else(|| format!("AVRO field `{name}` without a type"))?;
                            out.push(StructField {
                                name: name.to_string(),
                                ty: self.translate(ty, namespace)?,
                            });
                        }
                        SqlType::Struct(out)
                    }
                    "enum" => SqlType::String,
                    "fixed" => SqlType::Bytes,
                    "array" => {
                        let items = object
                            .get("items")
                            .ok_or_else(|| format!("AVRO array without items: {schema}"))?;
                        SqlType::array(self.translate(items, namespace)?)
                    }
                    "map" => {
                        let values = object
                            .get("values")
                            .ok_or_else(|| format!("AVRO map without values: {schema}"))?;
                        SqlType::map(SqlType::String, self.translate(values, namespace)?)
                    }
                    primitive => self.by_name(primitive, namespace)?,
                };
                if let Some(name) = object.get("name").and_then(Json::as_str) {
                    self.remember(name, namespace, &ty);
                }
                Ok(ty)
            }
            other => Err(format!("not an AVRO schema: {other}")),
        }
    }

    fn remember(&mut self, name: &str, namespace: Option<&str>, ty: &SqlType) {
        self.named.insert(name.to_string(), ty.clone());
        if let Some(ns) = namespace.filter(|_| !name.contains('.')) {
            self.named.insert(format!("{ns}.{name}"), ty.clone());
        }
        if let Some((_, simple)) = name.rsplit_once('.') {
            self.named.insert(simple.to_string(), ty.clone());
        }
    }

    /// Counts `fields` more struct fields against [`MAX_FIELDS`].
    fn count(&mut self, fields: usize) -> Result<(), String> {
        self.translated += fields;
        if self.translated > MAX_FIELDS {
            return Err(format!(
                "the AVRO schema expands to more than {MAX_FIELDS} fields"
            ));
        }
        Ok(())
    }

    fn by_name(&mut self, name: &str, namespace: Option<&str>) -> Result<SqlType, String> {
        Ok(match name {
            "boolean" => SqlType::Boolean,
            "int" => SqlType::Int,
            "long" => SqlType::Bigint,
            "float" | "double" => SqlType::Double,
            "string" => SqlType::String,
            "bytes" => SqlType::Bytes,
            "null" => return Err("an AVRO schema of type null has no SQL type".to_string()),
            other => {
                let qualified = namespace.map(|ns| format!("{ns}.{other}"));
                let named = qualified
                    .and_then(|q| self.named.get(&q))
                    .or_else(|| self.named.get(other))
                    .ok_or_else(|| format!("unknown AVRO type `{other}`"))?;
                let fields = field_count(named);
                let named = named.clone();
                self.count(fields)?;
                named
            }
        })
    }

    fn union(&mut self, branches: &[Json], namespace: Option<&str>) -> Result<SqlType, String> {
        let non_null: Vec<&Json> = branches
            .iter()
            .filter(|b| b.as_str() != Some("null"))
            .collect();
        match non_null.as_slice() {
            [] => Err("an AVRO union of only null has no SQL type".to_string()),
            [single] => self.translate(single, namespace),
            many => {
                let mut fields = Vec::with_capacity(many.len());
                for branch in many {
                    let ty = self.translate(branch, namespace)?;
                    fields.push(StructField {
                        name: branch_name(branch),
                        ty,
                    });
                }
                Ok(SqlType::Struct(fields))
            }
        }
    }
}

/// Connect's field name for a union branch: the type name, or the record's name.
fn branch_name(branch: &Json) -> String {
    match branch {
        Json::String(name) => name.clone(),
        Json::Object(object) => object
            .get("name")
            .or_else(|| object.get("type"))
            .and_then(Json::as_str)
            .unwrap_or("branch")
            .to_string(),
        _ => "branch".to_string(),
    }
}

fn logical_type(
    object: &serde_json::Map<String, Json>,
    kind: &str,
) -> Result<Option<SqlType>, String> {
    let logical = object.get("logicalType").and_then(Json::as_str);
    let connect = object.get("connect.name").and_then(Json::as_str);
    Ok(Some(match (logical, kind) {
        (Some("decimal"), "bytes" | "fixed") => {
            let number =
                |key: &str, default: u64| object.get(key).and_then(Json::as_u64).unwrap_or(default);
            let precision = u32::try_from(number("precision", 64)).unwrap_or(u32::MAX);
            let scale = u32::try_from(number("scale", 0)).unwrap_or(u32::MAX);
            SqlType::decimal(precision, scale).map_err(|e| e.to_string())?
        }
        (Some("date"), "int") => SqlType::Date,
        (Some("time-millis"), "int") => SqlType::Time,
        (Some("timestamp-millis"), "long") => SqlType::Timestamp,
        _ => match connect {
            Some("org.apache.kafka.connect.data.Date") => SqlType::Date,
            Some("org.apache.kafka.connect.data.Time") => SqlType::Time,
            Some("org.apache.kafka.connect.data.Timestamp") => SqlType::Timestamp,
            _ => return Ok(None),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> SqlType {
        to_sql_type(text).unwrap()
    }

    #[test]
    fn a_type_that_expands_exponentially_is_an_error() {
        // Found by the fuzz runner: records that each hold the previous one three times by
        // name expand to 3^n fields; 30 of them (a few KB) hung the analyzer.
        let mut schema =
            r#"{"type":"record","name":"C0","fields":[{"name":"x","type":"int"}]}"#.to_string();
        for i in 1..30 {
            let uses: Vec<String> = (0..3)
                .map(|k| format!(r#"{{"name":"f{k}","type":"C{}"}}"#, i - 1))
                .collect();
            schema = format!(
                r#"{{"type":"record","name":"C{i}","fields":[{{"name":"d","type":{schema}}},{}]}}"#,
                uses.join(",")
            );
        }
        let err = to_sql_type(&schema).unwrap_err();
        assert!(err.contains("expands to more than 100000 fields"), "{err}");
    }

    #[test]
    fn primitives() {
        assert_eq!(ty("int"), SqlType::Int);
        assert_eq!(ty(r#""long""#), SqlType::Bigint);
        assert_eq!(ty(r#"{"type":"float"}"#), SqlType::Double);
        assert_eq!(ty(r#"{"type":"boolean"}"#), SqlType::Boolean);
        assert_eq!(
            ty(r#"{"type":"fixed","name":"f","size":4}"#),
            SqlType::Bytes
        );
    }

    #[test]
    fn nullable_unions_collections_and_enums() {
        assert_eq!(
            ty(r#"{"type":"array","items":["null","string"]}"#),
            SqlType::array(SqlType::String)
        );
        assert_eq!(
            ty(r#"{"type":"map","values":["null","int"]}"#),
            SqlType::map(SqlType::String, SqlType::Int)
        );
        assert_eq!(
            ty(r#"{"type":"enum","name":"Suit","symbols":["A","B"]}"#),
            SqlType::String
        );
    }

    #[test]
    fn logical_types() {
        assert_eq!(
            ty(r#"{"type":"bytes","logicalType":"decimal","scale":2}"#),
            SqlType::decimal(64, 2).unwrap()
        );
        assert_eq!(
            ty(r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#),
            SqlType::decimal(4, 2).unwrap()
        );
        assert_eq!(ty(r#"{"type":"int","logicalType":"date"}"#), SqlType::Date);
        assert_eq!(
            ty(r#"{"type":"int","logicalType":"time-millis"}"#),
            SqlType::Time
        );
        assert_eq!(
            ty(r#"{"type":"long","logicalType":"timestamp-millis"}"#),
            SqlType::Timestamp
        );
    }

    #[test]
    fn named_types_can_be_reused() {
        let schema = r#"{"type":"record","name":"r","fields":[
            {"name":"a","type":{"type":"record","name":"P","fields":[{"name":"x","type":"int"}]}},
            {"name":"b","type":["null","P"]}]}"#;
        let point = SqlType::structure([("x", SqlType::Int)]);
        assert_eq!(
            ty(schema),
            SqlType::structure([("a", point.clone()), ("b", point)])
        );
    }

    #[test]
    fn multi_branch_unions_become_structs() {
        assert_eq!(
            ty(r#"["null","int","string"]"#),
            SqlType::structure([("int", SqlType::Int), ("string", SqlType::String)])
        );
    }

    #[test]
    fn bad_schemas_are_errors() {
        assert!(to_sql_type(r#"{"type":"record","name":"r"}"#).is_err());
        assert!(to_sql_type("nonsense").is_err());
        assert!(to_sql_type("42").is_err());
    }
}
