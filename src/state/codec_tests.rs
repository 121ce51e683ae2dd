//! Codec properties: byte order is value order, rows round-trip, bad bytes are errors.

use super::*;
use proptest::prelude::*;
use std::str::FromStr;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Bigint),
        (any::<i64>()).prop_map(|m| Value::Decimal(Decimal::new(m, 2))),
        any::<f64>().prop_map(Value::Double),
        "[a\\x00b\u{e9}]{0,6}".prop_map(Value::string),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(Value::bytes),
        any::<i32>().prop_map(Value::Date),
        any::<i64>().prop_map(Value::Timestamp),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::array),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::structure),
            proptest::collection::vec((inner.clone(), inner), 0..3).prop_map(Value::map),
        ]
    })
}

fn row() -> impl Strategy<Value = Row> {
    proptest::collection::vec(value(), 0..4)
}

proptest! {
    #[test]
    fn byte_order_is_value_order(a in row(), b in row()) {
        let (ea, eb) = (row_to_bytes(&a), row_to_bytes(&b));
        prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
    }

    #[test]
    fn rows_round_trip(a in row()) {
        let decoded = decode_row(&row_to_bytes(&a)).unwrap();
        prop_assert_eq!(row_to_bytes(&decoded), row_to_bytes(&a));
    }

    #[test]
    fn store_scans_visit_rows_in_value_order(rows in proptest::collection::vec(row(), 0..12)) {
        use crate::state::{KeyValueStore, MemoryKeyValueStore};
        let mut store = MemoryKeyValueStore::new("s");
        for r in &rows {
            store.put(&row_to_bytes(r), b"").unwrap();
        }
        let mut scanned = Vec::new();
        store
            .scan(&mut |k, _| {
                scanned.push(decode_row(k).unwrap());
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        let mut expected = rows.clone();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(scanned, expected);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = decode_row(&bytes);
    }
}

#[test]
fn decimals_keep_their_scale_and_order() {
    let values: Vec<Decimal> = [
        "-12.50", "-1.5", "-0.001", "0.00", "0.010", "1", "1.50", "10", "99.9",
    ]
    .iter()
    .map(|t| Decimal::from_str(t).unwrap())
    .collect();
    for pair in values.windows(2) {
        let (a, b) = (
            row_to_bytes(&[pair[0].into()]),
            row_to_bytes(&[pair[1].into()]),
        );
        assert!(a < b, "{} < {}", pair[0], pair[1]);
    }
    for d in values {
        match decode_row(&row_to_bytes(&[d.into()])).unwrap().as_slice() {
            [Value::Decimal(back)] => assert_eq!(back.to_string(), d.to_string()),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn doubles_follow_total_order() {
    let values = [
        f64::NEG_INFINITY,
        -1.0,
        -0.0,
        0.0,
        1e-300,
        2.0,
        f64::INFINITY,
        f64::NAN,
    ];
    for pair in values.windows(2) {
        assert!(row_to_bytes(&[pair[0].into()]) < row_to_bytes(&[pair[1].into()]));
    }
}

#[test]
fn zero_bytes_are_escaped_and_restored() {
    let row = vec![
        Value::bytes(vec![0, 0, 7, 0]),
        Value::from("a\0b"),
        Value::bytes(vec![]),
    ];
    assert_eq!(decode_row(&row_to_bytes(&row)).unwrap(), row);
    assert!(row_to_bytes(&[Value::bytes(vec![0])]) < row_to_bytes(&[Value::bytes(vec![0, 0])]));
}

#[test]
fn truncated_input_is_an_error() {
    let bytes = row_to_bytes(&[Value::from("abc"), Value::Bigint(7)]);
    assert!(matches!(
        decode_row(&bytes[..bytes.len() - 1]),
        Err(CodecError::Truncated { .. })
    ));
    assert!(matches!(
        decode_row(&[0x7F]),
        Err(CodecError::UnknownTag { .. })
    ));
}
