//! JSON serde cases modelled on ksqlDB's `json.json`, `serdes.json` and `multi-col-keys.json`.

use crate::format::{Encoded, Format, FormatError, Role, RowSerde, SerdeColumn, SerdeOptions};
use crate::types::decimal::parse_decimal;
use crate::types::{SqlType, Value};

use super::jvm_long_value;

fn serde(role: Role, columns: &[(&str, SqlType)], wrap: Option<bool>) -> RowSerde {
    let columns = columns
        .iter()
        .map(|(n, t)| SerdeColumn::new(*n, t.clone()))
        .collect();
    let options = SerdeOptions {
        wrap_single_value: wrap,
        delimiter: None,
    };
    RowSerde::new(Format::Json, role, columns, &options).unwrap()
}

fn read(serde: &RowSerde, json: &str) -> Result<Option<Vec<Value>>, FormatError> {
    serde.deserialize(Some(json.as_bytes()))
}

fn write(serde: &RowSerde, row: &[Value]) -> Option<String> {
    let mut out = Vec::new();
    match serde.serialize(row, &mut out).unwrap() {
        Encoded::Null => None,
        Encoded::Bytes => Some(String::from_utf8(out).unwrap()),
    }
}

fn dec(text: &str) -> Value {
    Value::Decimal(parse_decimal(text).unwrap())
}

#[test]
fn wrapped_values_match_names_exactly_then_case_insensitively() {
    let s = serde(
        Role::Value,
        &[("FOO", SqlType::Int), ("bar", SqlType::String)],
        None,
    );
    assert_eq!(
        read(&s, r#"{"foo": 1, "bar": "x"}"#).unwrap(),
        Some(vec![Value::Int(1), Value::from("x")])
    );
    assert_eq!(
        read(&s, r#"{"FOO": 2, "BAR": "x"}"#).unwrap(),
        Some(vec![Value::Int(2), Value::Null])
    );
    assert_eq!(
        read(&s, r#"{"Foo": 3, "foo": 4, "FOO": 5}"#).unwrap(),
        Some(vec![Value::Int(5), Value::Null])
    );
    assert_eq!(
        read(&s, "{}").unwrap(),
        Some(vec![Value::Null, Value::Null])
    );
    assert_eq!(read(&s, "null").unwrap(), None);
    assert_eq!(s.deserialize(None).unwrap(), None);
    assert!(matches!(
        read(&s, "[1]"),
        Err(FormatError::JsonTypeMismatch { .. })
    ));
}

#[test]
fn a_member_fills_every_column_its_name_matches() {
    // `a` and `A` are both columns: member `a` is `a` exactly and `A` once upper-cased.
    let s = serde(
        Role::Value,
        &[
            ("a", SqlType::Int),
            ("A", SqlType::Int),
            ("B", SqlType::Int),
        ],
        None,
    );
    assert_eq!(
        read(&s, r#"{"a": 1, "b": 3}"#).unwrap(),
        Some(vec![Value::Int(1), Value::Int(1), Value::Int(3)])
    );
    assert_eq!(
        read(&s, r#"{"A": 2, "a": 1}"#).unwrap(),
        Some(vec![Value::Int(1), Value::Int(2), Value::Null])
    );
    // Distinct names: an exact member is not replaced by a later upper-cased one, in or out
    // of column order.
    let distinct = serde(
        Role::Value,
        &[("FOO", SqlType::Int), ("BAR", SqlType::Int)],
        None,
    );
    assert_eq!(
        read(
            &distinct,
            r#"{"FOO": 2, "foo": 9, "bar": 4, "x": {"y": [1]}}"#
        )
        .unwrap(),
        Some(vec![Value::Int(2), Value::Int(4)])
    );
    assert_eq!(
        read(&distinct, r#"{"bar": 4, "FOO": 2}"#).unwrap(),
        Some(vec![Value::Int(2), Value::Int(4)])
    );
}

#[test]
fn single_values_unwrap_for_keys_and_when_asked() {
    let key = serde(Role::Key, &[("K", SqlType::Int)], None);
    assert_eq!(read(&key, "33").unwrap(), Some(vec![Value::Int(33)]));
    assert_eq!(write(&key, &[Value::Int(33)]).as_deref(), Some("33"));
    assert_eq!(write(&key, &[Value::Null]), None);

    let unwrapped = serde(Role::Value, &[("V", SqlType::Boolean)], Some(false));
    assert_eq!(
        read(&unwrapped, "true").unwrap(),
        Some(vec![Value::Boolean(true)])
    );
    assert_eq!(read(&unwrapped, "null").unwrap(), Some(vec![Value::Null]));
    assert_eq!(
        write(&unwrapped, &[Value::Boolean(false)]).as_deref(),
        Some("false")
    );

    let wrapped = serde(Role::Value, &[("FOO", SqlType::Boolean)], Some(true));
    assert_eq!(
        write(&wrapped, &[Value::Null]).as_deref(),
        Some(r#"{"FOO":null}"#)
    );

    let structure = SqlType::structure([("F1", SqlType::String)]);
    let unwrapped_struct = serde(Role::Value, &[("FOO", structure)], Some(false));
    assert_eq!(
        read(&unwrapped_struct, r#"{"f1": "bar"}"#).unwrap(),
        Some(vec![Value::structure(vec![Value::from("bar")])])
    );
}

#[test]
fn multi_column_keys_are_objects() {
    let key = serde(
        Role::Key,
        &[("K", SqlType::Int), ("K2", SqlType::Int)],
        None,
    );
    assert_eq!(
        read(&key, r#"{"K": null, "K2": 2}"#).unwrap(),
        Some(vec![Value::Null, Value::Int(2)])
    );
    assert_eq!(
        write(&key, &[Value::Int(1), Value::Int(2)]).as_deref(),
        Some(r#"{"K":1,"K2":2}"#)
    );
}

#[test]
fn numbers_coerce_like_jackson() {
    let s = serde(
        Role::Value,
        &[
            ("I", SqlType::Int),
            ("L", SqlType::Bigint),
            ("D", SqlType::Double),
            ("S", SqlType::String),
        ],
        None,
    );
    let row = read(&s, r#"{"I": 1.9, "L": "12", "D": "2.5", "S": 10}"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        row,
        vec![
            Value::Int(1),
            Value::Bigint(12),
            Value::Double(2.5),
            Value::from("10")
        ]
    );
    let row = read(&s, r#"{"I": 2147483648, "L": 1e3, "D": 3, "S": 1.50}"#)
        .unwrap()
        .unwrap();
    assert_eq!(
        row,
        vec![
            Value::Int(-2_147_483_648),
            Value::Bigint(1000),
            Value::Double(3.0),
            Value::from("1.50")
        ]
    );
    assert!(matches!(
        read(&s, r#"{"I": "1.5"}"#),
        Err(FormatError::JsonStringCoercion { .. })
    ));
    assert!(matches!(
        read(&s, r#"{"I": true}"#),
        Err(FormatError::JsonTypeMismatch { .. })
    ));
    assert_eq!(
        read(&s, r#"{"S": true}"#).unwrap().unwrap()[3],
        Value::from("true")
    );
}

#[test]
fn strings_absorb_objects_and_arrays() {
    let s = serde(Role::Value, &[("S", SqlType::String)], Some(false));
    assert_eq!(
        read(&s, r#"{"a": 1, "b": [true, "x"]}"#).unwrap().unwrap()[0],
        Value::from(r#"{"a":1,"b":[true,"x"]}"#)
    );
    assert_eq!(
        read(&s, r#"[1, "a", null]"#).unwrap().unwrap()[0],
        Value::from("[1, a, null]")
    );
}

#[test]
fn booleans_accept_only_json_booleans() {
    let s = serde(Role::Value, &[("B", SqlType::Boolean)], None);
    assert!(read(&s, r#"{"B": "true"}"#).is_err());
    assert_eq!(
        read(&s, r#"{"B": false}"#).unwrap(),
        Some(vec![Value::Boolean(false)])
    );
}

#[test]
fn decimals_keep_their_scale_and_must_fit() {
    let s = serde(
        Role::Value,
        &[(
            "V",
            SqlType::Decimal {
                precision: 4,
                scale: 2,
            },
        )],
        Some(false),
    );
    assert_eq!(read(&s, "10.1").unwrap(), Some(vec![dec("10.10")]));
    assert_eq!(read(&s, "\"1.5\"").unwrap(), Some(vec![dec("1.50")]));
    assert!(read(&s, "100").is_err());
    assert!(read(&s, "1.234").is_err());
    assert_eq!(write(&s, &[dec("10.10")]).as_deref(), Some("10.10"));
}

#[test]
fn temporal_and_bytes_columns() {
    let s = serde(
        Role::Value,
        &[
            ("D", SqlType::Date),
            ("T", SqlType::Time),
            ("TS", SqlType::Timestamp),
            ("B", SqlType::Bytes),
        ],
        None,
    );
    let row = read(
        &s,
        r#"{"D": 18408, "T": "5000", "TS": 1651182287943, "B": "AQI="}"#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        row,
        vec![
            Value::Date(18_408),
            Value::Time(5_000),
            Value::Timestamp(1_651_182_287_943),
            Value::bytes(vec![1, 2])
        ]
    );
    assert_eq!(
        write(&s, &row).as_deref(),
        Some(r#"{"D":18408,"T":5000,"TS":1651182287943,"B":"AQI="}"#)
    );
    assert!(read(&s, r#"{"T": -1}"#).is_err());
    assert!(read(&s, r#"{"B": "***"}"#).is_err());
}

#[test]
fn nested_collections_round_trip() {
    let ty = SqlType::structure([
        ("A", SqlType::array(SqlType::Double)),
        ("M", SqlType::map(SqlType::String, SqlType::Int)),
    ]);
    let s = serde(Role::Value, &[("V", ty)], None);
    let json = r#"{"V":{"A":[1.0,null,1.0E10],"M":{"x":1,"y":null}}}"#;
    let row = read(&s, json).unwrap().unwrap();
    assert_eq!(write(&s, &row).as_deref(), Some(json));
    let err = read(&s, r#"{"V": {"A": [1, "x"]}}"#).unwrap_err();
    assert!(err.to_string().contains("path: $.V.A[1]"), "{err}");
}

#[test]
fn doubles_and_strings_are_written_like_ksqldb() {
    let s = serde(
        Role::Value,
        &[("D", SqlType::Double), ("S", SqlType::String)],
        None,
    );
    assert_eq!(
        write(&s, &[Value::Double(1.0), Value::from("a\"b\\c\n\u{1}é")]).as_deref(),
        Some("{\"D\":1.0,\"S\":\"a\\\"b\\\\c\\n\\u0001é\"}")
    );
    assert_eq!(
        write(&s, &[Value::Double(f64::NAN), Value::Null]).as_deref(),
        Some(r#"{"D":"NaN","S":null}"#)
    );
}

#[test]
fn malformed_payloads_and_mismatched_rows_are_errors() {
    let s = serde(Role::Value, &[("V", SqlType::Int)], None);
    let bad_payloads: [&[u8]; 4] = [b"{", b"", b"\xff", b"{\"V\": 01}"];
    for bad in bad_payloads {
        assert!(s.deserialize(Some(bad)).is_err());
    }
    let mut out = Vec::new();
    assert!(matches!(
        s.serialize(&[Value::from("x")], &mut out),
        Err(FormatError::ValueTypeMismatch { .. })
    ));
    assert!(matches!(
        s.serialize(&[], &mut out),
        Err(FormatError::ColumnCount { .. })
    ));
}

#[test]
fn integers_read_exactly_on_both_paths() {
    for n in [
        0i64,
        -0,
        7,
        -7,
        999_999_999_999_999_999,
        -999_999_999_999_999_999,
        1_000_000_000_000_000_000,
        i64::MAX,
        i64::MIN,
    ] {
        assert_eq!(jvm_long_value(&n.to_string()), n, "{n}");
    }
    assert_eq!(jvm_long_value("-0"), 0);
    // Past 64 bits only the low bits are kept, like Java's BigInteger.longValue().
    assert_eq!(jvm_long_value("9223372036854775808"), i64::MIN);
    assert_eq!(jvm_long_value("12.9"), 12);
    assert_eq!(jvm_long_value("1e3"), 1000);
}

proptest::proptest! {
    #[test]
    fn any_long_reads_back(n in proptest::num::i64::ANY) {
        proptest::prop_assert_eq!(jvm_long_value(&n.to_string()), n);
    }
}
