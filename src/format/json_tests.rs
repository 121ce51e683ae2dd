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
        nullable: None,
    };
    RowSerde::new(Format::Json, role, columns, &options).unwrap()
}

fn read(serde: &mut RowSerde, json: &str) -> Result<Option<Vec<Value>>, FormatError> {
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
    let mut s = serde(
        Role::Value,
        &[("FOO", SqlType::Int), ("bar", SqlType::String)],
        None,
    );
    assert_eq!(
        read(&mut s, r#"{"foo": 1, "bar": "x"}"#).unwrap(),
        Some(vec![Value::Int(1), Value::from("x")])
    );
    assert_eq!(
        read(&mut s, r#"{"FOO": 2, "BAR": "x"}"#).unwrap(),
        Some(vec![Value::Int(2), Value::Null])
    );
    assert_eq!(
        read(&mut s, r#"{"Foo": 3, "foo": 4, "FOO": 5}"#).unwrap(),
        Some(vec![Value::Int(5), Value::Null])
    );
    assert_eq!(
        read(&mut s, "{}").unwrap(),
        Some(vec![Value::Null, Value::Null])
    );
    assert_eq!(read(&mut s, "null").unwrap(), None);
    assert_eq!(s.deserialize(None).unwrap(), None);
    assert!(matches!(
        read(&mut s, "[1]"),
        Err(FormatError::JsonTypeMismatch { .. })
    ));
}

#[test]
fn an_upper_cased_match_takes_the_whole_upper_cased_name() {
    // Found by the fuzz runner: `lower` upper-cased is `LOWER`, not `Lower`, so the member
    // belongs to column `lower` alone and its object is never coerced into `Lower`.
    let mut s = serde(
        Role::Value,
        &[("lower", SqlType::Bigint), ("Lower", SqlType::Boolean)],
        None,
    );
    let record = r#"{"lower": {"a": 1}, "lower": -242, "Lower": true}"#;
    for _ in 0..2 {
        assert_eq!(
            read(&mut s, record).unwrap(),
            Some(vec![Value::Bigint(-242), Value::Boolean(true)])
        );
    }
    assert_eq!(
        read(&mut s, r#"{"lower": 1}"#).unwrap(),
        Some(vec![Value::Bigint(1), Value::Null])
    );
    let mut upper = serde(Role::Value, &[("LoWER", SqlType::Int)], None);
    assert_eq!(
        read(&mut upper, r#"{"lower": 1}"#).unwrap(),
        Some(vec![Value::Null])
    );
}

#[test]
fn a_member_fills_every_column_its_name_matches() {
    // `a` and `A` are both columns: member `a` is `a` exactly and `A` once upper-cased.
    let mut s = serde(
        Role::Value,
        &[
            ("a", SqlType::Int),
            ("A", SqlType::Int),
            ("B", SqlType::Int),
        ],
        None,
    );
    assert_eq!(
        read(&mut s, r#"{"a": 1, "b": 3}"#).unwrap(),
        Some(vec![Value::Int(1), Value::Int(1), Value::Int(3)])
    );
    assert_eq!(
        read(&mut s, r#"{"A": 2, "a": 1}"#).unwrap(),
        Some(vec![Value::Int(1), Value::Int(2), Value::Null])
    );
    // Distinct names: an exact member is not replaced by a later upper-cased one, in or out
    // of column order.
    let mut distinct = serde(
        Role::Value,
        &[("FOO", SqlType::Int), ("BAR", SqlType::Int)],
        None,
    );
    assert_eq!(
        read(
            &mut distinct,
            r#"{"FOO": 2, "foo": 9, "bar": 4, "x": {"y": [1]}}"#
        )
        .unwrap(),
        Some(vec![Value::Int(2), Value::Int(4)])
    );
    assert_eq!(
        read(&mut distinct, r#"{"bar": 4, "FOO": 2}"#).unwrap(),
        Some(vec![Value::Int(2), Value::Int(4)])
    );
}

#[test]
fn a_reader_that_learned_earlier_names_reads_each_record_as_a_fresh_reader_does() {
    let columns = [
        ("FOO", SqlType::Bigint),
        ("BAR", SqlType::String),
        ("Baz", SqlType::Int),
    ];
    let records = [
        r#"{"foo": 1, "bar": "x", "Baz": 2}"#,
        // The same names at other positions, and names that extend a learned one.
        r#"{"bar": "y", "foo": 2}"#,
        r#"{"foox": 3, "fo": 4, "foo": 5, "BAZ": 6}"#,
        // An escaped name is the name it decodes to; an empty name matches nothing.
        r#"{"f\u006fo": 6, "": 1, "Baz": 7}"#,
        r#"{"FOO": 7, "foo": 8, "Baz": 9, "baz": 10}"#,
        r#"{"foo": 8, "FOO": 7}"#,
        r#"{"foo" : 9 , "bar" :"z"}"#,
        // Failures and malformed records after learned ones.
        r#"{"foo": "nine", "bar": "q"}"#,
        r#"{"foo": 1 "bar": "q"}"#,
        r#"{"foo"; 1}"#,
        r#"{"foo": 01}"#,
        r#"{"foo": 1, "bar": "x", "Baz": 2}"#,
        // The same names laid out differently, and records cut short after a learned name.
        r#"{ "foo":1,"bar" : "x","Baz":2}"#,
        r#"{"foo":1,"bar":"x","Baz":2}"#,
        r#"{"foo":1,"bar":"x","Baz":}"#,
        r#"{"foo":1,"bar":"x","Baz""#,
        r#"{"foo":1,"bar":"x","Baz":2,}"#,
        r#"{"foo":1,"bar":"x","Baz":2,"foo":3}"#,
        r#"{"foo":1,"bar":"x","Baz":2}"#,
    ];
    let mut learning = serde(Role::Value, &columns, None);
    for record in records {
        let mut fresh = serde(Role::Value, &columns, None);
        assert_eq!(
            format!("{:?}", read(&mut learning, record)),
            format!("{:?}", read(&mut fresh, record)),
            "{record}"
        );
    }
}

#[test]
fn skipped_values_are_still_checked() {
    // `X` is read by nothing (its text is skipped unread), `y` matches no column.
    let mut s = serde(
        Role::Value,
        &[("FOO", SqlType::Int), ("X", SqlType::String)],
        None,
    );
    s.skip_unread_strings(&[true, false]);
    let good = [
        r#"{"X": "plain", "y": "also plain", "FOO": 1}"#,
        r#"{"X": "a\u0041\"b", "y": "caf\u00e9", "FOO": 1}"#,
        "{\"X\": \"caf\u{e9}\", \"y\": \"\u{1f600}\", \"FOO\": 1}",
        r#"{"X": "", "y": [1, {"z": "w"}], "FOO": 1}"#,
    ];
    for record in good {
        assert_eq!(
            read(&mut s, record).unwrap(),
            Some(vec![Value::Int(1), Value::Null]),
            "{record}"
        );
    }
    let bad: [&[u8]; 5] = [
        b"{\"X\": \"tab\there\", \"FOO\": 1}",
        b"{\"y\": \"bad \\q escape\", \"FOO\": 1}",
        b"{\"y\": \"\xff\xfe\", \"FOO\": 1}",
        b"{\"X\": \"unterminated, \"FOO\": 1",
        b"{\"y\": \"no end",
    ];
    for record in bad {
        assert!(
            s.deserialize(Some(record)).is_err(),
            "{}",
            String::from_utf8_lossy(record)
        );
    }
}

#[test]
fn plain_integers_read_on_the_fast_path_as_the_general_coercion_reads_them() {
    let mut s = serde(Role::Value, &[("N", SqlType::Bigint)], None);
    let exact = [
        "0",
        "-0",
        "7",
        "-123",
        "999999999999999999",
        "-999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
        "12345678901234567890",
        "1.5",
        "-2.5e1",
        "1E+2",
    ];
    for text in exact {
        assert_eq!(
            read(&mut s, &format!(r#"{{"n": {text}}}"#)).unwrap(),
            Some(vec![Value::Bigint(jvm_long_value(text))]),
            "{text}"
        );
    }
    for malformed in ["01", "-", "-01", "1.", "1e", "--1"] {
        assert!(
            read(&mut s, &format!(r#"{{"n": {malformed}}}"#)).is_err(),
            "{malformed}"
        );
    }
}

#[test]
fn single_values_unwrap_for_keys_and_when_asked() {
    let mut key = serde(Role::Key, &[("K", SqlType::Int)], None);
    assert_eq!(read(&mut key, "33").unwrap(), Some(vec![Value::Int(33)]));
    assert_eq!(write(&key, &[Value::Int(33)]).as_deref(), Some("33"));
    assert_eq!(write(&key, &[Value::Null]), None);

    let mut unwrapped = serde(Role::Value, &[("V", SqlType::Boolean)], Some(false));
    assert_eq!(
        read(&mut unwrapped, "true").unwrap(),
        Some(vec![Value::Boolean(true)])
    );
    assert_eq!(
        read(&mut unwrapped, "null").unwrap(),
        Some(vec![Value::Null])
    );
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
    let mut unwrapped_struct = serde(Role::Value, &[("FOO", structure)], Some(false));
    assert_eq!(
        read(&mut unwrapped_struct, r#"{"f1": "bar"}"#).unwrap(),
        Some(vec![Value::structure(vec![Value::from("bar")])])
    );
}

#[test]
fn multi_column_keys_are_objects() {
    let mut key = serde(
        Role::Key,
        &[("K", SqlType::Int), ("K2", SqlType::Int)],
        None,
    );
    assert_eq!(
        read(&mut key, r#"{"K": null, "K2": 2}"#).unwrap(),
        Some(vec![Value::Null, Value::Int(2)])
    );
    assert_eq!(
        write(&key, &[Value::Int(1), Value::Int(2)]).as_deref(),
        Some(r#"{"K":1,"K2":2}"#)
    );
}

#[test]
fn numbers_coerce_like_jackson() {
    let mut s = serde(
        Role::Value,
        &[
            ("I", SqlType::Int),
            ("L", SqlType::Bigint),
            ("D", SqlType::Double),
            ("S", SqlType::String),
        ],
        None,
    );
    let row = read(&mut s, r#"{"I": 1.9, "L": "12", "D": "2.5", "S": 10}"#)
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
    let row = read(&mut s, r#"{"I": 2147483648, "L": 1e3, "D": 3, "S": 1.50}"#)
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
        read(&mut s, r#"{"I": "1.5"}"#),
        Err(FormatError::JsonStringCoercion { .. })
    ));
    assert!(matches!(
        read(&mut s, r#"{"I": true}"#),
        Err(FormatError::JsonTypeMismatch { .. })
    ));
    assert_eq!(
        read(&mut s, r#"{"S": true}"#).unwrap().unwrap()[3],
        Value::from("true")
    );
    // Found by the fuzz runner: fractions are exact `BigDecimal`s in ksqlDB, whose text keeps
    // a negative scale (`1e3` is `1E+3`) and any number of digits; `1000` and the raw
    // `16337e+170` came out.
    let mut text = serde(Role::Value, &[("S", SqlType::String)], Some(false));
    for (json, java) in [
        ("1e3", "1E+3"),
        ("16337e+170", "1.6337E+174"),
        (r#"{"a":1E3,"b":[2.50e-9]}"#, r#"{"a":1E+3,"b":[2.50E-9]}"#),
    ] {
        assert_eq!(
            read(&mut text, json).unwrap(),
            Some(vec![Value::from(java)]),
            "{json}"
        );
    }
}

#[test]
fn strings_absorb_objects_and_arrays() {
    let mut s = serde(Role::Value, &[("S", SqlType::String)], Some(false));
    assert_eq!(
        read(&mut s, r#"{"a": 1, "b": [true, "x"]}"#)
            .unwrap()
            .unwrap()[0],
        Value::from(r#"{"a":1,"b":[true,"x"]}"#)
    );
    assert_eq!(
        read(&mut s, r#"[1, "a", null]"#).unwrap().unwrap()[0],
        Value::from("[1, a, null]")
    );
    // Found by the fuzz runner: a repeated name stays where it first appeared, with its last
    // value, as in Jackson's `ObjectNode`; it moved to its last position.
    assert_eq!(
        read(
            &mut s,
            r#"{"d": 1, "x": {"b": 2, "a": 3, "b": 4}, "d": [], "e": 5}"#
        )
        .unwrap()
        .unwrap()[0],
        Value::from(r#"{"d":[],"x":{"b":4,"a":3},"e":5}"#)
    );
}

#[test]
fn a_repeated_map_key_reads_only_its_last_value() {
    // Found by the fuzz runner: ksqlDB reads a MAP from Jackson's ObjectNode, which keeps a
    // repeated key's last value only, so an earlier value that does not fit is never read;
    // it failed the record.
    let mut s = serde(
        Role::Value,
        &[("M", SqlType::map(SqlType::String, SqlType::Int))],
        Some(false),
    );
    assert_eq!(
        read(&mut s, r#"{"ss": {}, "k": 1, "ss": 724}"#).unwrap(),
        Some(vec![Value::map(vec![
            (Value::from("ss"), Value::Int(724)),
            (Value::from("k"), Value::Int(1)),
        ])])
    );
    let many: Vec<String> = (0..40)
        .map(|i| format!(r#""k{}": "x{i}""#, i % 20))
        .collect();
    let last: Vec<String> = (0..20).map(|i| format!(r#""k{i}": {i}"#)).collect();
    let record = format!("{{{}, {}}}", many.join(", "), last.join(", "));
    let Some(row) = read(&mut s, &record).unwrap() else {
        panic!("a row")
    };
    let Value::Map(entries) = &row[0] else {
        panic!("a map")
    };
    assert_eq!(entries.len(), 20);
    assert_eq!(entries[3], (Value::from("k3"), Value::Int(3)));
}

#[test]
fn booleans_accept_only_json_booleans() {
    let mut s = serde(Role::Value, &[("B", SqlType::Boolean)], None);
    assert!(read(&mut s, r#"{"B": "true"}"#).is_err());
    assert_eq!(
        read(&mut s, r#"{"B": false}"#).unwrap(),
        Some(vec![Value::Boolean(false)])
    );
}

#[test]
fn decimals_keep_their_scale_and_must_fit() {
    let mut s = serde(
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
    assert_eq!(read(&mut s, "10.1").unwrap(), Some(vec![dec("10.10")]));
    assert_eq!(read(&mut s, "\"1.5\"").unwrap(), Some(vec![dec("1.50")]));
    assert!(read(&mut s, "100").is_err());
    assert!(read(&mut s, "1.234").is_err());
    assert_eq!(write(&s, &[dec("10.10")]).as_deref(), Some("10.10"));
}

#[test]
fn temporal_and_bytes_columns() {
    let mut s = serde(
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
        &mut s,
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
    assert!(read(&mut s, r#"{"T": -1}"#).is_err());
    assert!(read(&mut s, r#"{"B": "***"}"#).is_err());
}

#[test]
fn nested_collections_round_trip() {
    let ty = SqlType::structure([
        ("A", SqlType::array(SqlType::Double)),
        ("M", SqlType::map(SqlType::String, SqlType::Int)),
    ]);
    let mut s = serde(Role::Value, &[("V", ty)], None);
    let json = r#"{"V":{"A":[1.0,null,1.0E10],"M":{"x":1,"y":null}}}"#;
    let row = read(&mut s, json).unwrap().unwrap();
    assert_eq!(write(&s, &row).as_deref(), Some(json));
    let err = read(&mut s, r#"{"V": {"A": [1, "x"]}}"#).unwrap_err();
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
    let mut s = serde(Role::Value, &[("V", SqlType::Int)], None);
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
