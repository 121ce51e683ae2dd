//! JSON functions over JSON text: EXTRACTJSONFIELD (a `$.a.b[0]` path; text nodes come back
//! unquoted), IS_JSON_STRING, JSON_ARRAY_LENGTH, JSON_ARRAY_CONTAINS, JSON_CONCAT (objects
//! merged, otherwise arrays concatenated), JSON_ITEMS, JSON_KEYS, JSON_RECORDS, and
//! TO_JSON_STRING of any SQL value. Documents are read by [`super::json_text`]; empty text gives
//! NULL, text that is not JSON is an evaluation error as in ksqlDB (FALSE for the predicates).

use super::json_text::{Json, Read, quote, read};
use super::{CallSite, FnImpl, f, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::types::{SqlType, Value, decimal, java_text, time};

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "EXTRACTJSONFIELD" => try_f(|a| {
            let (Some(text), Some(path)) = (str_arg(a, 0), str_arg(a, 1)) else {
                return Ok(Value::Null);
            };
            let Some(doc) = document(text)? else {
                return Ok(Value::Null);
            };
            Ok(match walk(&doc, &path_tokens(path)) {
                None => Value::Null,
                Some(Json::String(s)) => Value::string(s.as_str()),
                Some(node) => Value::string(node.to_string()),
            })
        }),
        "IS_JSON_STRING" => f(|a| {
            Value::Boolean(str_arg(a, 0).is_some_and(|s| matches!(read(s), Read::Document(_))))
        }),
        "JSON_ARRAY_LENGTH" => try_f(|a| {
            Ok(match str_arg(a, 0).map(document).transpose()?.flatten() {
                Some(Json::Array(items)) => Value::Int(items.len() as i32),
                _ => Value::Null,
            })
        }),
        "JSON_ARRAY_CONTAINS" => f(|a| {
            let Some(Read::Document(Json::Array(items))) = str_arg(a, 0).map(read) else {
                return Value::Boolean(false);
            };
            let needle = a.get(1).unwrap_or(&Value::Null);
            Value::Boolean(items.iter().any(|item| json_equals_value(item, needle)))
        }),
        "JSON_CONCAT" => try_f(|a| {
            let mut docs = Vec::with_capacity(a.len());
            for v in a {
                let Some(text) = v.as_str() else {
                    return Ok(Value::Null);
                };
                match document(text)? {
                    Some(doc) => docs.push(doc),
                    None => return Ok(Value::Null),
                }
            }
            Ok(if docs.is_empty() {
                Value::Null
            } else {
                Value::string(concat(docs).to_string())
            })
        }),
        "JSON_ITEMS" => try_f(|a| {
            let Some(text) = str_arg(a, 0) else {
                return Ok(Value::Null);
            };
            match read(text) {
                Read::Document(Json::Array(items)) => Ok(Value::array(
                    items.iter().map(|i| Value::string(i.to_string())).collect(),
                )),
                _ => Err(invalid(text)),
            }
        }),
        "JSON_KEYS" => try_f(|a| {
            Ok(match str_arg(a, 0).map(document).transpose()?.flatten() {
                Some(Json::Object(members)) => Value::array(
                    members
                        .iter()
                        .map(|(k, _)| Value::string(k.as_str()))
                        .collect(),
                ),
                _ => Value::Null,
            })
        }),
        "JSON_RECORDS" => try_f(|a| {
            Ok(match str_arg(a, 0).map(document).transpose()?.flatten() {
                Some(Json::Object(members)) => Value::map(
                    members
                        .iter()
                        .map(|(k, v)| {
                            let text = match v {
                                Json::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (Value::string(k.as_str()), Value::string(text))
                        })
                        .collect(),
                ),
                _ => Value::Null,
            })
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

/// The document in `text`: `None` for empty text, an error for text that is not JSON.
fn document(text: &str) -> Result<Option<Json>, EvalError> {
    match read(text) {
        Read::Document(doc) => Ok(Some(doc)),
        Read::Missing => Ok(None),
        Read::Invalid => Err(invalid(text)),
    }
}

fn invalid(text: &str) -> EvalError {
    EvalError::Function(format!("Invalid JSON format:{text}"))
}

/// ksqlDB's JSON path tokens: `$.a.b[0]['c']` is `a`, `b`, `0`, `c`.
fn path_tokens(path: &str) -> Vec<String> {
    let trimmed = path.trim();
    let mut rest = trimmed.strip_prefix('$').unwrap_or(trimmed);
    let mut tokens = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').unwrap_or(after.len());
            let inside = after[..end].trim();
            let unquoted = inside
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inside.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                .unwrap_or(inside);
            tokens.push(unquoted.to_string());
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let body = rest.strip_prefix('.').unwrap_or(rest);
            let end = body.find(['.', '[']).unwrap_or(body.len());
            tokens.push(body[..end].to_string());
            rest = &body[end..];
        }
    }
    tokens
}

/// Jackson's `get` per token: an index into an array, a member of an object.
fn walk<'j>(mut node: &'j Json, tokens: &[String]) -> Option<&'j Json> {
    for token in tokens {
        node = match node {
            Json::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            Json::Object(members) => &members.iter().find(|(k, _)| k == token)?.1,
            _ => return None,
        };
    }
    Some(node)
}

/// JSON_ARRAY_CONTAINS: integers match INT/BIGINT, fractions DOUBLE, text STRING, booleans and
/// NULL themselves.
fn json_equals_value(item: &Json, v: &Value) -> bool {
    match (item, v) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Boolean(b)) => a == b,
        (Json::String(a), Value::String(b)) => a.as_str() == &**b,
        (Json::Number(n), Value::Int(_) | Value::Bigint(_)) => {
            !n.contains(['.', 'e', 'E']) && n.parse::<i64>().ok() == v.as_i64()
        }
        (Json::Number(n), Value::Double(d)) => {
            n.contains(['.', 'e', 'E']) && n.parse::<f64>().ok() == Some(*d)
        }
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
                &[s(r#"{"a":null}"#), s("$.a")]
            ),
            Ok(sv("null"))
        );
        assert!(call("EXTRACTJSONFIELD", SqlType::String, &[s("{oops"), s("$.a")]).is_err());
        assert!(call("JSON_ITEMS", SqlType::array(SqlType::String), &[s("{}")]).is_err());
        assert_eq!(
            call(
                "JSON_RECORDS",
                SqlType::map(SqlType::String, SqlType::String),
                &[s(r#"{"a":"x","b":[1]}"#)]
            ),
            Ok(Value::map(vec![(sv("a"), sv("x")), (sv("b"), sv("[1]"))]))
        );
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
