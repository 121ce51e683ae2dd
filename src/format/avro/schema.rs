//! Avro schemas (the JSON text of the specification) as a tree the codec compiles plans from:
//! primitives, records, enums, arrays, maps, unions, fixed, and the logical types ksqlDB maps
//! (decimal on bytes or fixed, date, time-millis/micros, timestamp-millis/micros; a logical
//! type on the wrong base type is ignored, as the specification says). Named types may be
//! used by name after their definition, also from the schemas a registered schema references;
//! records are shared (`Arc`), so a name used many times costs nothing. Recursive types are
//! refused: no SQL type could hold them.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

/// One Avro schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Avro {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record(Arc<Record>),
    Enum(Arc<[String]>),
    Array(Box<Avro>),
    Map(Box<Avro>),
    Union(Vec<Avro>),
    Fixed(usize),
    /// `decimal` on `bytes` (`fixed` = None) or on `fixed` of that size.
    Decimal {
        precision: u32,
        scale: u32,
        fixed: Option<usize>,
    },
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// The full name (`namespace.name`).
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub name: String,
    pub schema: Avro,
    /// The field's `default`, as written in the schema (JSON `null` is a default too).
    pub default: Option<Json>,
}

impl Avro {
    /// Parses `text`; `references` are the texts of the schemas it references, dependencies
    /// first, whose named types it may use.
    pub(crate) fn parse(text: &str, references: &[(String, String)]) -> Result<Avro, String> {
        let mut parser = Parser::default();
        for (name, reference) in references {
            let json = parse_json(reference)
                .map_err(|e| format!("referenced schema `{name}` is not valid: {e}"))?;
            parser.schema(&json, None)?;
        }
        parser.schema(&parse_json(text)?, None)
    }
}

fn parse_json(text: &str) -> Result<Json, String> {
    match serde_json::from_str::<Json>(text) {
        Ok(json) => Ok(json),
        // A bare primitive name (`int`), as some registries hand them back.
        Err(_) if text.trim().bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Json::String(text.trim().to_string()))
        }
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// Nesting beyond this is refused (a hostile schema must not overflow the stack).
const MAX_DEPTH: usize = 200;

#[derive(Default)]
struct Parser {
    named: HashMap<String, Avro>,
    /// Records being defined: a use of one of these names inside itself is recursion.
    open: Vec<String>,
    depth: usize,
}

impl Parser {
    fn schema(&mut self, json: &Json, namespace: Option<&str>) -> Result<Avro, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("AVRO schema nested too deeply".into());
        }
        let result = self.schema_inner(json, namespace);
        self.depth -= 1;
        result
    }

    fn schema_inner(&mut self, json: &Json, namespace: Option<&str>) -> Result<Avro, String> {
        match json {
            Json::String(name) => self.by_name(name, namespace),
            Json::Array(branches) => {
                let branches = branches
                    .iter()
                    .map(|b| self.schema(b, namespace))
                    .collect::<Result<Vec<_>, _>>()?;
                if branches.iter().any(|b| matches!(b, Avro::Union(_))) {
                    return Err("an AVRO union may not directly contain a union".into());
                }
                Ok(Avro::Union(branches))
            }
            Json::Object(object) => self.object(object, namespace),
            other => Err(format!("not an AVRO schema: {other}")),
        }
    }

    fn by_name(&mut self, name: &str, namespace: Option<&str>) -> Result<Avro, String> {
        Ok(match name {
            "null" => Avro::Null,
            "boolean" => Avro::Boolean,
            "int" => Avro::Int,
            "long" => Avro::Long,
            "float" => Avro::Float,
            "double" => Avro::Double,
            "bytes" => Avro::Bytes,
            "string" => Avro::String,
            other => {
                let full = full_name(other, namespace);
                if self.open.contains(&full) || self.open.iter().any(|o| o == other) {
                    return Err(format!(
                        "AVRO type `{full}` refers to itself; recursive types are not supported"
                    ));
                }
                self.named
                    .get(&full)
                    .or_else(|| self.named.get(other))
                    .cloned()
                    .ok_or_else(|| format!("unknown AVRO type `{other}`"))?
            }
        })
    }

    fn object(
        &mut self,
        object: &Map<String, Json>,
        namespace: Option<&str>,
    ) -> Result<Avro, String> {
        let kind = match object.get("type") {
            Some(Json::String(kind)) => kind.as_str(),
            Some(inner) => return self.schema(inner, namespace),
            None => return Err("AVRO schema without a type".into()),
        };
        let namespace = object.get("namespace").and_then(Json::as_str).or(namespace);
        let name = object.get("name").and_then(Json::as_str);
        let logical = object.get("logicalType").and_then(Json::as_str);
        let number = |key: &str| object.get(key).and_then(Json::as_u64);
        let schema = match kind {
            "record" | "error" => {
                let name = name.ok_or("AVRO record without a name")?;
                let full = full_name(name, namespace);
                let record_namespace = full.rsplit_once('.').map(|(ns, _)| ns.to_string());
                let fields_json = object
                    .get("fields")
                    .and_then(Json::as_array)
                    .ok_or_else(|| format!("AVRO record `{full}` without fields"))?;
                self.open.push(full.clone());
                let mut fields = Vec::with_capacity(fields_json.len());
                for field in fields_json {
                    let field_name = field
                        .get("name")
                        .and_then(Json::as_str)
                        .ok_or_else(|| format!("a field of AVRO record `{full}` has no name"))?;
                    let ty = field.get("type").ok_or_else(|| {
                        format!("field `{field_name}` of AVRO record `{full}` has no type")
                    });
                    let schema = match ty {
                        Ok(ty) => self.schema(ty, record_namespace.as_deref()),
                        Err(e) => Err(e),
                    };
                    let schema = match schema {
                        Ok(schema) => schema,
                        Err(e) => {
                            self.open.pop();
                            return Err(e);
                        }
                    };
                    fields.push(Field {
                        name: field_name.to_string(),
                        schema,
                        default: field.get("default").cloned(),
                    });
                }
                self.open.pop();
                let record = Avro::Record(Arc::new(Record {
                    name: full.clone(),
                    fields,
                }));
                self.named.insert(full, record.clone());
                return Ok(record);
            }
            "enum" => {
                let symbols = object
                    .get("symbols")
                    .and_then(Json::as_array)
                    .ok_or("AVRO enum without symbols")?
                    .iter()
                    .map(|s| {
                        s.as_str()
                            .map(str::to_string)
                            .ok_or("an AVRO enum symbol is not a string")
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Avro::Enum(symbols.into())
            }
            "fixed" => {
                let size = number("size").ok_or("AVRO fixed without a size")?;
                let size = usize::try_from(size).map_err(|_| "AVRO fixed size too large")?;
                match logical {
                    Some("decimal") => decimal(object, Some(size))?,
                    _ => Avro::Fixed(size),
                }
            }
            "array" => {
                let items = object.get("items").ok_or("AVRO array without items")?;
                Avro::Array(Box::new(self.schema(items, namespace)?))
            }
            "map" => {
                let values = object.get("values").ok_or("AVRO map without values")?;
                Avro::Map(Box::new(self.schema(values, namespace)?))
            }
            "bytes" if logical == Some("decimal") => decimal(object, None)?,
            "int" if logical == Some("date") => Avro::Date,
            "int" if logical == Some("time-millis") => Avro::TimeMillis,
            "long" if logical == Some("time-micros") => Avro::TimeMicros,
            "long" if logical == Some("timestamp-millis") => Avro::TimestampMillis,
            "long" if logical == Some("timestamp-micros") => Avro::TimestampMicros,
            primitive => return self.by_name(primitive, namespace),
        };
        if let (Some(name), Avro::Enum(_) | Avro::Fixed(_) | Avro::Decimal { fixed: Some(_), .. }) =
            (name, &schema)
        {
            self.named
                .insert(full_name(name, namespace), schema.clone());
        }
        Ok(schema)
    }
}

fn decimal(object: &Map<String, Json>, fixed: Option<usize>) -> Result<Avro, String> {
    let number = |key: &str| object.get(key).and_then(Json::as_u64);
    let precision = number("precision").ok_or("AVRO decimal without a precision")?;
    let scale = number("scale").unwrap_or(0);
    if precision == 0 || scale > precision {
        return Err(format!(
            "AVRO decimal with precision {precision} and scale {scale} is invalid"
        ));
    }
    Ok(Avro::Decimal {
        precision: u32::try_from(precision).map_err(|_| "AVRO decimal precision too large")?,
        scale: u32::try_from(scale).map_err(|_| "AVRO decimal scale too large")?,
        fixed,
    })
}

fn full_name(name: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if !name.contains('.') && !ns.is_empty() => format!("{ns}.{name}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_logical_types_and_named_references() {
        let text = r#"{"type":"record","name":"r","namespace":"n","fields":[
            {"name":"a","type":["null",{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}]},
            {"name":"b","type":{"type":"record","name":"inner","fields":[{"name":"x","type":"int"}]}},
            {"name":"c","type":"n.inner"},
            {"name":"d","type":{"type":"long","logicalType":"timestamp-micros"}},
            {"name":"e","type":{"type":"string","logicalType":"uuid"}}]}"#;
        let Avro::Record(record) = Avro::parse(text, &[]).unwrap() else {
            panic!("a record")
        };
        assert_eq!(record.name, "n.r");
        assert_eq!(
            record.fields[0].schema,
            Avro::Union(vec![
                Avro::Null,
                Avro::Decimal {
                    precision: 4,
                    scale: 2,
                    fixed: None
                }
            ])
        );
        assert_eq!(record.fields[1].schema, record.fields[2].schema);
        assert!(matches!(&record.fields[1].schema, Avro::Record(r) if r.name == "n.inner"));
        assert_eq!(record.fields[3].schema, Avro::TimestampMicros);
        assert_eq!(record.fields[4].schema, Avro::String);
    }

    #[test]
    fn referenced_schemas_define_names() {
        let refs = vec![(
            "other".to_string(),
            r#"{"type":"enum","name":"x.Color","symbols":["RED"]}"#.to_string(),
        )];
        let schema = Avro::parse(r#"{"type":"array","items":"x.Color"}"#, &refs).unwrap();
        assert_eq!(
            schema,
            Avro::Array(Box::new(Avro::Enum(vec!["RED".to_string()].into())))
        );
    }

    #[test]
    fn recursion_and_garbage_are_errors_not_panics() {
        let recursive =
            r#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#;
        assert!(
            Avro::parse(recursive, &[])
                .unwrap_err()
                .contains("recursive")
        );
        assert!(Avro::parse("{", &[]).is_err());
        assert!(Avro::parse(r#"{"type":"wat"}"#, &[]).is_err());
        let deep = format!("{}\"int\"{}", "[".repeat(300), "]".repeat(300));
        assert!(Avro::parse(&deep, &[]).is_err());
    }
}
