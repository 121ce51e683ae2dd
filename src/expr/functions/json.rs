//! JSON functions over JSON text: EXTRACTJSONFIELD (a `$.a.b[0]` path; text nodes come back
//! unquoted), IS_JSON_STRING, JSON_ARRAY_LENGTH, JSON_ARRAY_CONTAINS, JSON_CONCAT (objects
//! merged, otherwise arrays concatenated), JSON_ITEMS, JSON_KEYS, JSON_RECORDS, and
//! TO_JSON_STRING of any SQL value. Documents are read with member order kept, as Jackson does;
//! text that is not JSON gives NULL (FALSE for the predicates).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{CallSite, FnImpl, f, str_arg};
use crate::types::{SqlType, Value, decimal, java_text, time};

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "EXTRACTJSONFIELD" => f(|a| {
            let (Some(text), Some(path)) = (str_arg(a, 0), str_arg(a, 1)) else {
                return Value::Null;
            };
            let (Some(doc), Some(steps)) = (parse(text), parse_path(path)) else {
                return Value::Null;
            };
            match walk(&doc, &steps) {
                None | Some(Json::Null) => Value::Null,
                Some(Json::String(s)) => Value::string(s.as_str()),
                Some(node) => Value::string(node.to_string()),
            }
        }),
        "IS_JSON_STRING" => f(|a| Value::Boolean(str_arg(a, 0).and_then(parse).is_some())),
        "JSON_ARRAY_LENGTH" => f(|a| match str_arg(a, 0).and_then(parse) {
            Some(Json::Array(items)) => Value::Int(items.len() as i32),
            _ => Value::Null,
        }),
        "JSON_ARRAY_CONTAINS" => f(|a| {
            let Some(Json::Array(items)) = str_arg(a, 0).and_then(parse) else {
                return Value::Boolean(false);
            };
            let needle = a.get(1).unwrap_or(&Value::Null);
            Value::Boolean(items.iter().any(|item| json_equals_value(item, needle)))
        }),
        "JSON_CONCAT" => f(|a| {
            let docs: Option<Vec<Json>> = a.iter().map(|v| v.as_str().and_then(parse)).collect();
            match docs {
                Some(docs) if !docs.is_empty() => Value::string(concat(docs).to_string()),
                _ => Value::Null,
            }
        }),
        "JSON_ITEMS" => f(|a| match str_arg(a, 0).and_then(parse) {
            Some(Json::Array(items)) => {
                Value::array(items.iter().map(|i| Value::string(i.to_string())).collect())
            }
            _ => Value::Null,
        }),
        "JSON_KEYS" => f(|a| match str_arg(a, 0).and_then(parse) {
            Some(Json::Object(members)) => Value::array(
                members
                    .iter()
                    .map(|(k, _)| Value::string(k.as_str()))
                    .collect(),
            ),
            _ => Value::Null,
        }),
        "JSON_RECORDS" => f(|a| match str_arg(a, 0).and_then(parse) {
            Some(Json::Object(members)) => Value::map(
                members
                    .iter()
                    .map(|(k, v)| (Value::string(k.as_str()), Value::string(v.to_string())))
                    .collect(),
            ),
            _ => Value::Null,
        }),
        "TO_JSON_STRING" => {
            let ty = site.arg_ty(0).clone();
            f(move |a| {
                let mut out = String::new();
                write_value(a.first().unwrap_or(&Value::Null), &ty, &mut out);
                Value::string(out)
            })
        }
        _ => None,
    }
}

/// A JSON document with object members in document order.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// The first JSON value of `text`; anything after it is ignored, as Jackson's `readTree`.
fn parse(text: &str) -> Option<Json> {
    let mut reader = serde_json::Deserializer::from_str(text);
    Json::deserialize(&mut reader).ok()
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
                Ok(serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members: Vec<(String, Json)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    match members.iter_mut().find(|(name, _)| *name == k) {
                        Some(existing) => existing.1 = v,
                        None => members.push((k, v)),
                    }
                }
                Ok(Json::Object(members))
            }
        }
        d.deserialize_any(JsonVisitor)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => write!(f, "{n}"),
            Json::String(s) => f.write_str(&quote(s)),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Json::Object(members) => {
                f.write_str("{")?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", quote(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

enum Step {
    Field(String),
    Index(usize),
}

/// `$.a.b[0]['c']`: the steps after the `$` root.
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut rest = path.trim().strip_prefix('$').unwrap_or(path.trim());
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            steps.push(Step::Field(after[..end].to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = after[..end].trim();
            let quoted = inside
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
            steps.push(match quoted {
                Some(name) => Step::Field(name.to_string()),
                None => Step::Index(inside.parse().ok()?),
            });
            rest = &after[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            steps.push(Step::Field(rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    Some(steps)
}

fn walk<'j>(mut node: &'j Json, steps: &[Step]) -> Option<&'j Json> {
    for step in steps {
        node = match (step, node) {
            (Step::Field(name), Json::Object(members)) => {
                &members.iter().find(|(k, _)| k == name)?.1
            }
            (Step::Index(i), Json::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn json_equals_value(item: &Json, v: &Value) -> bool {
    match (item, v) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Boolean(b)) => a == b,
        (Json::String(a), Value::String(b)) => a.as_str() == &**b,
        (Json::Number(n), Value::Int(_) | Value::Bigint(_)) => {
            n.as_i64() == v.as_i64() && !n.is_f64()
        }
        (Json::Number(n), Value::Double(d)) => n.is_f64() && n.as_f64() == Some(*d),
        _ => false,
    }
}

/// JSON_CONCAT: all objects merge (later members win); otherwise every document is an array
/// (a non-array is one element) and they are concatenated.
fn concat(docs: Vec<Json>) -> Json {
    if docs.iter().all(|d| matches!(d, Json::Object(_))) {
        let mut merged: Vec<(String, Json)> = Vec::new();
        for doc in docs {
            if let Json::Object(members) = doc {
                for (k, v) in members {
                    match merged.iter_mut().find(|(name, _)| *name == k) {
                        Some(existing) => existing.1 = v,
                        None => merged.push((k, v)),
                    }
                }
            }
        }
        return Json::Object(merged);
    }
    let mut items = Vec::new();
    for doc in docs {
        match doc {
            Json::Array(inner) => items.extend(inner),
            other => items.push(other),
        }
    }
    Json::Array(items)
}

/// TO_JSON_STRING: temporal values as their ISO text, BYTES as base64, DECIMAL plain,
/// structs as objects under their field names.
fn write_value(v: &Value, ty: &SqlType, out: &mut String) {
    use base64::Engine;
    match v {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Bigint(i) => out.push_str(&i.to_string()),
        Value::Double(d) if d.is_finite() => java_text::write_double(*d, out),
        Value::Double(d) => out.push_str(&quote(&java_text::double_to_string(*d))),
        Value::Decimal(d) => out.push_str(&decimal::to_plain_string(d)),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Bytes(b) => {
            out.push_str(&quote(&base64::engine::general_purpose::STANDARD.encode(b)))
        }
        Value::Date(d) => out.push_str(&quote(&time::format_date(*d))),
        Value::Time(t) => {
            let seconds = i64::from(*t).rem_euclid(time::MILLIS_PER_DAY) / 1000;
            out.push_str(&quote(&format!(
                "{:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            )));
        }
        Value::Timestamp(t) => out.push_str(&quote(&time::format_timestamp(*t))),
        Value::Array(items) => {
            let element = match ty {
                SqlType::Array(e) => e.as_ref(),
                other => other,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, element, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let (key_ty, value_ty) = match ty {
                SqlType::Map(k, v) => (k.as_ref(), v.as_ref()),
                other => (other, other),
            };
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let mut key = String::new();
                crate::types::cast::write_java_string(k, key_ty, &mut key);
                out.push_str(&quote(&key));
                out.push(':');
                write_value(val, value_ty, out);
            }
            out.push('}');
        }
        Value::Struct(fields) => {
            let names: Vec<(&str, &SqlType)> = match ty {
                SqlType::Struct(fs) => fs.iter().map(|f| (f.name.as_str(), &f.ty)).collect(),
                _ => Vec::new(),
            };
            out.push('{');
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let (name, field_ty) = names.get(i).copied().unwrap_or(("", &SqlType::String));
                out.push_str(&quote(name));
                out.push(':');
                write_value(field, field_ty, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn extract_and_inspect_json_text() {
        let doc = r#"{"name":{"first":"Ann","tags":["a",{"x":1}]},"n":2.5}"#;
        let get =
            |path: &str| call("EXTRACTJSONFIELD", SqlType::String, &[s(doc), s(path)]).unwrap();
        assert_eq!(get("$.name.first"), sv("Ann"));
        assert_eq!(get("$.name.tags[1]"), sv(r#"{"x":1}"#));
        assert_eq!(get("$.n"), sv("2.5"));
        assert_eq!(get("$.missing"), Value::Null);
        assert_eq!(
            call(
                "EXTRACTJSONFIELD",
                SqlType::String,
                &[s(r#"{"a":"b"}}"#), s("$.a")]
            ),
            Ok(sv("b"))
        );
        assert_eq!(
            call("IS_JSON_STRING", SqlType::Boolean, &[s("{bad")]),
            Ok(Value::Boolean(false))
        );
        assert_eq!(
            call("JSON_ARRAY_LENGTH", SqlType::Int, &[s("[1,2,3]")]),
            Ok(Value::Int(3))
        );
        assert_eq!(
            call(
                "JSON_ARRAY_CONTAINS",
                SqlType::Boolean,
                &[s("[1,\"a\"]"), s("a")]
            ),
            Ok(Value::Boolean(true))
        );
        assert_eq!(
            call("JSON_ARRAY_CONTAINS", SqlType::Boolean, &[s("[1]"), i(2)]),
            Ok(Value::Boolean(false))
        );
        assert_eq!(
            call(
                "JSON_KEYS",
                SqlType::array(SqlType::String),
                &[s(r#"{"b":1,"a":2}"#)]
            ),
            Ok(Value::array(vec![sv("b"), sv("a")]))
        );
        assert_eq!(
            call(
                "JSON_ITEMS",
                SqlType::array(SqlType::String),
                &[s(r#"[{"a":1},2]"#)]
            ),
            Ok(Value::array(vec![sv(r#"{"a":1}"#), sv("2")]))
        );
    }

    #[test]
    fn concat_and_to_json_string() {
        assert_eq!(
            call(
                "JSON_CONCAT",
                SqlType::String,
                &[s(r#"{"a":1}"#), s(r#"{"b":2,"a":3}"#)]
            ),
            Ok(sv(r#"{"a":3,"b":2}"#))
        );
        assert_eq!(
            call("JSON_CONCAT", SqlType::String, &[s("[1]"), s("2")]),
            Ok(sv("[1,2]"))
        );
        let ty = SqlType::map(SqlType::String, SqlType::array(SqlType::Int));
        let v = Value::map(vec![(
            sv("id"),
            Value::array(vec![Value::Int(1), Value::Int(2)]),
        )]);
        assert_eq!(
            call("TO_JSON_STRING", SqlType::String, &[(v, ty)]),
            Ok(sv(r#"{"id":[1,2]}"#))
        );
        assert_eq!(
            call("TO_JSON_STRING", SqlType::String, &[s("abc")]),
            Ok(sv("\"abc\""))
        );
        assert_eq!(
            call("TO_JSON_STRING", SqlType::String, &[null(SqlType::Int)]),
            Ok(sv("null"))
        );
        assert_eq!(
            call(
                "TO_JSON_STRING",
                SqlType::String,
                &[(Value::Timestamp(60220000000), SqlType::Timestamp)]
            ),
            Ok(sv("\"1971-11-28T23:46:40.000\""))
        );
    }
}
