//! JSON functions over JSON text: EXTRACTJSONFIELD (a `$.a.b[0]` path; text nodes come back
//! unquoted), IS_JSON_STRING, JSON_ARRAY_LENGTH, JSON_ARRAY_CONTAINS, JSON_CONCAT (objects
//! merged, otherwise arrays concatenated), JSON_ITEMS, JSON_KEYS, JSON_RECORDS, and
//! TO_JSON_STRING of any SQL value. Documents are read by the record reader
//! ([`crate::format::json_parse`], Jackson's `readTree` rules) and written back by its writer;
//! an object is seen as Jackson's `ObjectNode` holds it (a repeated name keeps its first
//! position and takes its last value). Blank text gives NULL, text that is not JSON is an
//! evaluation error as in ksqlDB (FALSE for the predicates).

use super::{CallSite, FnImpl, f, str_arg, try_f};
use crate::expr::compile::EvalError;
use crate::format::json_parse::{self, JsonNode};
use crate::format::json_write::{Decimals, unique_members, write_node, write_string};
use crate::types::java_hash_map::JavaHashMap;
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
                Some(node) => Value::string(text_of(node)),
            })
        }),
        "IS_JSON_STRING" => f(|a| {
            Value::Boolean(str_arg(a, 0).is_some_and(|s| matches!(read(s), Read::Document(_))))
        }),
        "JSON_ARRAY_LENGTH" => try_f(|a| {
            Ok(match str_arg(a, 0).map(document).transpose()?.flatten() {
                Some(JsonNode::Array(items)) => Value::Int(items.len() as i32),
                _ => Value::Null,
            })
        }),
        "JSON_ARRAY_CONTAINS" => f(|a| {
            let Some(Read::Document(JsonNode::Array(items))) = str_arg(a, 0).map(read) else {
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
                Value::string(json_text(&concat(docs), Decimals::Plain))
            })
        }),
        "JSON_ITEMS" => try_f(|a| {
            let Some(text) = str_arg(a, 0) else {
                return Ok(Value::Null);
            };
            match read(text) {
                Read::Document(JsonNode::Array(items)) => Ok(Value::array(
                    items
                        .iter()
                        .map(|i| Value::string(json_text(i, Decimals::Java)))
                        .collect(),
                )),
                _ => Err(invalid(text)),
            }
        }),
        "JSON_KEYS" => try_f(|a| {
            Ok(match str_arg(a, 0).map(document).transpose()?.flatten() {
                Some(JsonNode::Object(members)) => Value::array(
                    unique_members(&members)
                        .into_iter()
                        .map(|(k, _)| Value::string(k))
                        .collect(),
                ),
                _ => Value::Null,
            })
        }),
        "JSON_RECORDS" => try_f(|a| {
            Ok(match str_arg(a, 0).map(document).transpose()?.flatten() {
                // `new HashMap<>(node.size())`, a field at a time.
                Some(JsonNode::Object(members)) => {
                    let unique = unique_members(&members);
                    let mut map = JavaHashMap::with_capacity(unique.len());
                    for (k, v) in unique {
                        map.put(Value::string(k), Value::string(text_of(v)));
                    }
                    map.into_value()
                }
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

/// What a text holds: a document, nothing (blank text, Jackson's `MissingNode`), or not JSON.
enum Read<'a> {
    Document(JsonNode<'a>),
    Missing,
    Invalid,
}

/// Reads the first JSON value of `text` as Jackson's `readTree` does.
fn read(text: &str) -> Read<'_> {
    if text
        .bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return Read::Missing;
    }
    match json_parse::parse(text.as_bytes()) {
        Ok(doc) => Read::Document(doc),
        Err(_) => Read::Invalid,
    }
}

/// The document in `text`: `None` for blank text, an error for text that is not JSON.
fn document(text: &str) -> Result<Option<JsonNode<'_>>, EvalError> {
    match read(text) {
        Read::Document(doc) => Ok(Some(doc)),
        Read::Missing => Ok(None),
        Read::Invalid => Err(invalid(text)),
    }
}

/// A node as compact JSON text.
fn json_text(node: &JsonNode<'_>, decimals: Decimals) -> String {
    let mut out = Vec::new();
    write_node(node, decimals, &mut out);
    utf8(out)
}

/// A text node's text, any other node as Jackson's `toString()`.
fn text_of(node: &JsonNode<'_>) -> String {
    match node {
        JsonNode::String(s) => s.to_string(),
        other => json_text(other, Decimals::Java),
    }
}

/// Text the writers produced from `str`s (so always UTF-8).
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A JSON string literal, escaped as Jackson does.
fn quote(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + 2);
    write_string(text, &mut out);
    utf8(out)
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

/// Jackson's `get` per token: an index into an array, a member of an object (the last value
/// of a repeated name).
fn walk<'j, 'a>(mut node: &'j JsonNode<'a>, tokens: &[String]) -> Option<&'j JsonNode<'a>> {
    for token in tokens {
        node = match node {
            JsonNode::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            JsonNode::Object(members) => &members.iter().rev().find(|(k, _)| k == token)?.1,
            _ => return None,
        };
    }
    Some(node)
}

/// JSON_ARRAY_CONTAINS: integers match INT/BIGINT, fractions DOUBLE, text STRING, booleans and
/// NULL themselves.
fn json_equals_value(item: &JsonNode<'_>, v: &Value) -> bool {
    match (item, v) {
        (JsonNode::Null, Value::Null) => true,
        (JsonNode::Bool(a), Value::Boolean(b)) => a == b,
        (JsonNode::String(a), Value::String(b)) => a.as_ref() == &**b,
        (JsonNode::Number(n), Value::Int(_) | Value::Bigint(_)) => {
            !n.contains(['.', 'e', 'E']) && n.parse::<i64>().ok() == v.as_i64()
        }
        (JsonNode::Number(n), Value::Double(d)) => {
            n.contains(['.', 'e', 'E']) && n.parse::<f64>().ok() == Some(*d)
        }
        _ => false,
    }
}

/// JSON_CONCAT: all objects merge (Jackson's `setAll`: a name seen before keeps its place and
/// takes the later value, which the writer's [`unique_members`] does); otherwise every document
/// is an array (a non-array is one element) and they are concatenated.
fn concat(docs: Vec<JsonNode<'_>>) -> JsonNode<'_> {
    if docs.iter().all(|d| matches!(d, JsonNode::Object(_))) {
        let mut merged = Vec::new();
        for doc in docs {
            if let JsonNode::Object(members) = doc {
                merged.extend(members);
            }
        }
        return JsonNode::Object(merged);
    }
    let mut items = Vec::new();
    for doc in docs {
        match doc {
            JsonNode::Array(inner) => items.extend(inner),
            other => items.push(other),
        }
    }
    JsonNode::Array(items)
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
#[path = "json_tests.rs"]
mod tests;
