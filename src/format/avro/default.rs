//! A record field's `default`, encoded once as the Avro binary it stands for. A writer schema
//! chosen by `*_SCHEMA_ID` may have fields no column supplies, or that a NULL value cannot be
//! written to; Avro (and Kafka Connect's `AvroData`, which ksqlDB writes through) writes the
//! field's default there. Per the Avro specification, a union's default is a value of its
//! first branch; `bytes` and `fixed` defaults are strings whose code points are the bytes.
//! Only encoding lives here: the caller decides when a default applies.

use serde_json::Value as Json;

use super::encode::write_long;
use super::schema::Avro;

/// The Avro binary of `default` as a value of `schema`, or why it is not one.
pub(crate) fn encode(schema: &Avro, default: &Json) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write(schema, default, &mut out)?;
    Ok(out)
}

fn write(schema: &Avro, json: &Json, out: &mut Vec<u8>) -> Result<(), String> {
    let wrong = || format!("default {json} is not a value of {schema:?}");
    match (schema, json) {
        (Avro::Union(branches), _) => {
            let first = branches.first().ok_or_else(wrong)?;
            write_long(out, 0);
            write(first, json, out)?;
        }
        (Avro::Null, Json::Null) => {}
        (Avro::Boolean, Json::Bool(b)) => out.push(u8::from(*b)),
        (Avro::Int | Avro::Date | Avro::TimeMillis, Json::Number(n)) => {
            let n = n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(wrong)?;
            write_long(out, i64::from(n));
        }
        (
            Avro::Long | Avro::TimestampMillis | Avro::TimestampMicros | Avro::TimeMicros,
            Json::Number(n),
        ) => write_long(out, n.as_i64().ok_or_else(wrong)?),
        (Avro::Float, Json::Number(n)) => {
            out.extend_from_slice(&(n.as_f64().ok_or_else(wrong)? as f32).to_le_bytes())
        }
        (Avro::Double, Json::Number(n)) => {
            out.extend_from_slice(&n.as_f64().ok_or_else(wrong)?.to_le_bytes())
        }
        (Avro::String, Json::String(s)) => {
            write_long(out, s.len() as i64);
            out.extend_from_slice(s.as_bytes());
        }
        (Avro::Bytes, Json::String(s)) => {
            let bytes = code_points(s).ok_or_else(wrong)?;
            write_long(out, bytes.len() as i64);
            out.extend_from_slice(&bytes);
        }
        (Avro::Fixed(size), Json::String(s)) => {
            let bytes = code_points(s)
                .filter(|b| b.len() == *size)
                .ok_or_else(wrong)?;
            out.extend_from_slice(&bytes);
        }
        (Avro::Enum(symbols), Json::String(s)) => {
            let i = symbols.iter().position(|x| x == s).ok_or_else(wrong)?;
            write_long(out, i as i64);
        }
        (Avro::Array(items), Json::Array(values)) => {
            if !values.is_empty() {
                write_long(out, values.len() as i64);
                for v in values {
                    write(items, v, out)?;
                }
            }
            write_long(out, 0);
        }
        (Avro::Map(values), Json::Object(members)) => {
            if !members.is_empty() {
                write_long(out, members.len() as i64);
                for (k, v) in members {
                    write_long(out, k.len() as i64);
                    out.extend_from_slice(k.as_bytes());
                    write(values, v, out)?;
                }
            }
            write_long(out, 0);
        }
        (Avro::Record(record), Json::Object(members)) => {
            for field in &record.fields {
                let value = members
                    .get(&field.name)
                    .or(field.default.as_ref())
                    .ok_or_else(wrong)?;
                write(&field.schema, value, out)?;
            }
        }
        _ => return Err(wrong()),
    }
    Ok(())
}

/// A `bytes` default: each character one byte (code points 0 to 255).
fn code_points(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> Avro {
        Avro::parse(text, &[]).expect("schema parses")
    }

    #[test]
    fn primitive_defaults_encode_as_their_values() {
        assert_eq!(
            encode(&schema(r#""string""#), &Json::from("foo")),
            Ok(b"\x06foo".to_vec())
        );
        assert_eq!(
            encode(&schema(r#""int""#), &Json::from(100)),
            Ok(vec![200, 1])
        );
        assert_eq!(
            encode(&schema(r#""boolean""#), &Json::from(true)),
            Ok(vec![1])
        );
        assert_eq!(
            encode(&schema(r#""bytes""#), &Json::from("\u{ff}")),
            Ok(vec![2, 255])
        );
        let symbols = schema(r#"{"type":"enum","name":"E","symbols":["A","B"]}"#);
        assert_eq!(encode(&symbols, &Json::from("B")), Ok(vec![2]));
    }

    #[test]
    fn a_double_default_is_read_to_the_nearest_double() {
        // The schema's text is parsed as Jackson parses it: correctly rounded, where a fast
        // parse lands one unit in the last place off (…375.25 for 15^13).
        for text in [
            "1946195068359375.0",
            "0.1",
            "2.2250738585072014e-308",
            "9007199254740993",
        ] {
            let default: Json = serde_json::from_str(text).expect("a number");
            let want: f64 = text.parse().expect("a double");
            assert_eq!(
                encode(&schema(r#""double""#), &default),
                Ok(want.to_le_bytes().to_vec()),
                "{text}"
            );
        }
    }

    #[test]
    fn a_union_default_is_a_value_of_its_first_branch() {
        assert_eq!(
            encode(&schema(r#"["null","int"]"#), &Json::Null),
            Ok(vec![0])
        );
        assert_eq!(
            encode(&schema(r#"["int","null"]"#), &Json::from(1)),
            Ok(vec![0, 2])
        );
        assert!(encode(&schema(r#"["null","int"]"#), &Json::from(1)).is_err());
    }

    #[test]
    fn compound_defaults_encode_element_by_element() {
        let array = schema(r#"{"type":"array","items":"long"}"#);
        assert_eq!(
            encode(&array, &serde_json::json!([1, 2])),
            Ok(vec![4, 2, 4, 0])
        );
        assert_eq!(encode(&array, &serde_json::json!([])), Ok(vec![0]));
        let record = schema(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},
                {"name":"b","type":"string","default":"x"}]}"#,
        );
        assert_eq!(
            encode(&record, &serde_json::json!({"a": 1})),
            Ok(vec![2, 2, b'x'])
        );
        assert!(encode(&record, &serde_json::json!({})).is_err());
    }
}
