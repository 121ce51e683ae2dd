//! Cast cases modelled on ksqlDB's `cast.json` conformance tests.

use super::*;
use crate::types::decimal::parse_decimal;

fn dec_type(p: u32, s: u32) -> SqlType {
    SqlType::Decimal {
        precision: p,
        scale: s,
    }
}

fn dec(text: &str) -> Value {
    Value::Decimal(parse_decimal(text).unwrap())
}

fn text(value: Result<Value, CastError>) -> String {
    match value.unwrap() {
        Value::String(s) => s.to_string(),
        Value::Decimal(d) => crate::types::decimal::to_plain_string(&d),
        other => format!("{other:?}"),
    }
}

#[test]
fn unsupported_casts_are_named_like_ksqldb() {
    let to = SqlType::array(SqlType::Int);
    assert!(!can_cast(&SqlType::String, &to));
    assert_eq!(
        cast(&Value::from("x"), &SqlType::String, &to)
            .unwrap_err()
            .to_string(),
        "Cast of STRING to ARRAY<INTEGER> is not supported"
    );
    assert!(!can_cast(&SqlType::Int, &SqlType::Boolean));
    assert!(!can_cast(&SqlType::Bytes, &SqlType::String));
    assert!(!can_cast(&SqlType::Date, &SqlType::Time));
    assert!(can_cast(&SqlType::Timestamp, &SqlType::Date));
}

#[test]
fn nulls_cast_to_null() {
    for to in [SqlType::Boolean, SqlType::Int, SqlType::array(SqlType::Int)] {
        assert_eq!(
            cast(&Value::Null, &SqlType::String, &to).unwrap(),
            Value::Null
        );
    }
}

#[test]
fn integer_narrowing_wraps_and_double_narrowing_truncates() {
    assert_eq!(
        cast(
            &Value::Bigint(2_147_483_648),
            &SqlType::Bigint,
            &SqlType::Int
        )
        .unwrap(),
        Value::Int(-2_147_483_648)
    );
    assert_eq!(
        cast(&Value::Double(1.2), &SqlType::Double, &SqlType::Int).unwrap(),
        Value::Int(1)
    );
    assert_eq!(
        cast(&Value::Double(-1.9), &SqlType::Double, &SqlType::Bigint).unwrap(),
        Value::Bigint(-1)
    );
    assert_eq!(
        cast(&Value::Double(1e20), &SqlType::Double, &SqlType::Int).unwrap(),
        Value::Int(i32::MAX)
    );
    assert_eq!(
        cast(&dec("10.01"), &dec_type(4, 2), &SqlType::Int).unwrap(),
        Value::Int(10)
    );
    assert_eq!(
        cast(&dec("10.01"), &dec_type(4, 2), &SqlType::Double).unwrap(),
        Value::Double(10.01)
    );
}

#[test]
fn decimal_targets_round_half_up_and_overflow_is_an_error() {
    assert_eq!(
        text(cast(&dec("10.12"), &dec_type(4, 2), &dec_type(5, 3))),
        "10.120"
    );
    assert_eq!(
        text(cast(&Value::Int(-1), &SqlType::Int, &dec_type(2, 1))),
        "-1.0"
    );
    assert!(cast(&Value::Int(10), &SqlType::Int, &dec_type(2, 1)).is_err());
    assert_eq!(
        text(cast(
            &Value::Double(0.99),
            &SqlType::Double,
            &dec_type(2, 1)
        )),
        "1.0"
    );
    assert_eq!(
        text(cast(
            &Value::from("0.99"),
            &SqlType::String,
            &dec_type(2, 1)
        )),
        "1.0"
    );
    assert_eq!(
        text(cast(
            &Value::from(" 0.10 "),
            &SqlType::String,
            &dec_type(2, 1)
        )),
        "0.1"
    );
    assert!(cast(&Value::from("abc"), &SqlType::String, &dec_type(2, 1)).is_err());
}

#[test]
fn numbers_render_as_java_strings() {
    assert_eq!(
        text(cast(&Value::Int(-1), &SqlType::Int, &SqlType::String)),
        "-1"
    );
    assert_eq!(
        text(cast(
            &Value::Double(10.0),
            &SqlType::Double,
            &SqlType::String
        )),
        "10.0"
    );
    assert_eq!(
        text(cast(&dec("0.00"), &dec_type(4, 2), &SqlType::String)),
        "0.00"
    );
    assert_eq!(
        text(cast(
            &Value::Boolean(true),
            &SqlType::Boolean,
            &SqlType::String
        )),
        "true"
    );
}

#[test]
fn strings_parse_after_trimming() {
    assert_eq!(
        cast(&Value::from(" 42 "), &SqlType::String, &SqlType::Int).unwrap(),
        Value::Int(42)
    );
    assert!(cast(&Value::from("4.2"), &SqlType::String, &SqlType::Int).is_err());
    assert_eq!(
        cast(&Value::from("1e2"), &SqlType::String, &SqlType::Double).unwrap(),
        Value::Double(100.0)
    );
    assert!(cast(&Value::from("NaN"), &SqlType::String, &SqlType::Double).is_err());
    for (input, expected) in [
        ("t", true),
        ("YES", true),
        ("tru", true),
        ("false", false),
        ("maybe", false),
        ("", false),
    ] {
        assert_eq!(
            cast(&Value::from(input), &SqlType::String, &SqlType::Boolean).unwrap(),
            Value::Boolean(expected),
            "{input}"
        );
    }
    assert_eq!(
        cast(
            &Value::from("2022-04-28T21:44:47.943Z"),
            &SqlType::String,
            &SqlType::Timestamp
        )
        .unwrap(),
        Value::Timestamp(1_651_182_287_943)
    );
    assert_eq!(
        cast(&Value::from("1970-01-02"), &SqlType::String, &SqlType::Date).unwrap(),
        Value::Date(1)
    );
    assert_eq!(
        cast(&Value::from("00:00:01"), &SqlType::String, &SqlType::Time).unwrap(),
        Value::Time(1000)
    );
    assert_eq!(
        cast(&Value::from("AQI="), &SqlType::String, &SqlType::Bytes).unwrap(),
        Value::bytes(vec![1, 2])
    );
}

#[test]
fn temporal_casts() {
    let ts = Value::Timestamp(1_651_182_287_943);
    assert_eq!(
        text(cast(&ts, &SqlType::Timestamp, &SqlType::String)),
        "2022-04-28T21:44:47.943"
    );
    assert_eq!(
        cast(&ts, &SqlType::Timestamp, &SqlType::Date).unwrap(),
        Value::Date(19_110)
    );
    assert_eq!(
        cast(&ts, &SqlType::Timestamp, &SqlType::Time).unwrap(),
        Value::Time(78_287_943)
    );
    assert_eq!(
        cast(&Value::Date(1), &SqlType::Date, &SqlType::Timestamp).unwrap(),
        Value::Timestamp(86_400_000)
    );
    assert_eq!(
        text(cast(&Value::Date(1), &SqlType::Date, &SqlType::String)),
        "1970-01-02"
    );
    assert_eq!(
        text(cast(
            &Value::Time(78_287_943),
            &SqlType::Time,
            &SqlType::String
        )),
        "21:44:47"
    );
}

#[test]
fn collections_cast_element_wise() {
    let bigints = SqlType::array(SqlType::Bigint);
    let value = Value::array(vec![
        Value::Bigint(1),
        Value::Bigint(2_147_483_648),
        Value::Null,
    ]);
    assert_eq!(
        cast(&value, &bigints, &SqlType::array(SqlType::Int)).unwrap(),
        Value::array(vec![Value::Int(1), Value::Int(-2_147_483_648), Value::Null])
    );
    assert_eq!(
        cast(&value, &bigints, &SqlType::array(SqlType::String)).unwrap(),
        Value::array(vec![
            Value::from("1"),
            Value::from("2147483648"),
            Value::Null
        ])
    );
    let map_type = SqlType::map(SqlType::String, SqlType::Int);
    let map = Value::map(vec![(Value::from("this"), Value::Int(1))]);
    assert_eq!(text(cast(&map, &map_type, &SqlType::String)), "{this=1}");
    assert_eq!(
        text(cast(
            &Value::array(vec![Value::Int(1), Value::Int(3)]),
            &SqlType::array(SqlType::Int),
            &SqlType::String
        )),
        "[1, 3]"
    );
}

#[test]
fn structs_cast_by_field_name() {
    let from = SqlType::structure([("F0", SqlType::Bigint), ("F1", SqlType::String)]);
    let to = SqlType::structure([("F0", SqlType::String), ("F3", SqlType::String)]);
    let value = Value::structure(vec![Value::Bigint(1), Value::from("3")]);
    assert_eq!(
        cast(&value, &from, &to).unwrap(),
        Value::structure(vec![Value::from("1"), Value::Null])
    );
    let printed = SqlType::structure([
        ("F0", SqlType::Int),
        ("f1", SqlType::Int),
        ("G", SqlType::Int),
    ]);
    let value = Value::structure(vec![Value::Int(1), Value::Int(3), Value::Null]);
    assert_eq!(
        text(cast(&value, &printed, &SqlType::String)),
        "Struct{F0=1,f1=3}"
    );
}

#[test]
fn mismatched_values_are_errors_not_panics() {
    let err = cast(
        &Value::from("x"),
        &SqlType::array(SqlType::Int),
        &SqlType::array(SqlType::String),
    );
    assert!(matches!(err, Err(CastError::ValueTypeMismatch { .. })));
    assert!(cast(&Value::Int(1), &SqlType::String, &SqlType::Date).is_err());
}
