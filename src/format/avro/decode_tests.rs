//! Reading hand-assembled Avro binary (bytes written out from the specification, not by
//! weir's writer) through compiled plans.

use super::*;
use crate::types::SqlType as T;

/// Zig-zag varint, written out independently of the codec.
fn zz(value: i64) -> Vec<u8> {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn read(schema: &str, target: &T, bytes: &[u8]) -> Result<Value, DecodeError> {
    let writer = Avro::parse(schema, &[]).unwrap();
    let plan = compile(&writer, target, "value").unwrap();
    let mut input = Input { bytes, pos: 0 };
    let value = plan.read(&mut input)?;
    assert_eq!(input.pos, bytes.len(), "the whole payload is read");
    Ok(value)
}

#[test]
fn record_fields_match_by_name_skip_unknown_and_null_missing() {
    let schema = r#"{"type":"record","name":"r","fields":[
        {"name":"id","type":"int"},
        {"name":"extra","type":{"type":"array","items":"string"}},
        {"name":"name","type":["null","string"]},
        {"name":"color","type":{"type":"enum","name":"C","symbols":["RED","GREEN"]}}]}"#;
    let target = T::structure([
        ("NAME", T::String),
        ("ID", T::Bigint),
        ("COLOR", T::String),
        ("MISSING", T::Int),
    ]);
    let mut bytes = zz(-1);
    bytes.extend(zz(1)); // one item in the skipped array
    bytes.extend(zz(1));
    bytes.push(b'x');
    bytes.push(0); // end of array
    bytes.extend(zz(1)); // union branch 1: string
    bytes.extend(zz(2));
    bytes.extend(b"hi");
    bytes.extend(zz(1)); // GREEN
    let value = read(schema, &target, &bytes).unwrap();
    assert_eq!(
        value,
        Value::Struct(
            vec![
                Value::string("hi"),
                Value::Bigint(-1),
                Value::string("GREEN"),
                Value::Null
            ]
            .into()
        )
    );
}

#[test]
fn logical_types_read_into_sql_values() {
    let decimal = r#"{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}"#;
    let value = read(decimal, &T::decimal(5, 2).unwrap(), &[0x04, 0x30, 0x39]).unwrap();
    assert_eq!(value, Value::Decimal("123.45".parse().unwrap()));
    // -12.3: unscaled -123 is 0xFF85 in two's complement.
    let negative = r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":1}"#;
    let value = read(negative, &T::decimal(4, 1).unwrap(), &[0x04, 0xff, 0x85]).unwrap();
    assert_eq!(value, Value::Decimal("-12.3".parse().unwrap()));
    let micros = r#"{"type":"long","logicalType":"timestamp-micros"}"#;
    assert_eq!(
        read(micros, &T::Timestamp, &zz(1_500_999)).unwrap(),
        Value::Timestamp(1500)
    );
    let date = r#"{"type":"int","logicalType":"date"}"#;
    assert_eq!(
        read(date, &T::Date, &zz(19_000)).unwrap(),
        Value::Date(19_000)
    );
    let time = r#"{"type":"long","logicalType":"time-micros"}"#;
    assert_eq!(
        read(time, &T::Time, &zz(4_000_000)).unwrap(),
        Value::Time(4000)
    );
    let float = 1.5f32.to_le_bytes();
    assert_eq!(
        read(r#""float""#, &T::Double, &float).unwrap(),
        Value::Double(1.5)
    );
}

#[test]
fn maps_arrays_and_multi_type_unions() {
    let schema = r#"{"type":"map","values":["null","int"]}"#;
    let mut bytes = zz(2);
    bytes.extend(zz(1));
    bytes.push(b'a');
    bytes.extend(zz(1));
    bytes.extend(zz(7));
    bytes.extend(zz(1));
    bytes.push(b'b');
    bytes.extend(zz(0)); // null branch
    bytes.push(0);
    let value = read(schema, &T::map(T::String, T::Int), &bytes).unwrap();
    assert_eq!(
        value,
        Value::map(vec![
            (Value::string("a"), Value::Int(7)),
            (Value::string("b"), Value::Null)
        ])
    );
    // ksqlDB reads a union of several types as a STRUCT with a field per branch.
    let union = r#"["null","int","string"]"#;
    let target = T::structure([("INT", T::Int), ("STRING", T::String)]);
    let mut bytes = zz(2);
    bytes.extend(zz(1));
    bytes.push(b'z');
    assert_eq!(
        read(union, &target, &bytes).unwrap(),
        Value::Struct(vec![Value::Null, Value::string("z")].into())
    );
    // Array blocks with a negative count carry their size in bytes.
    let mut bytes = zz(-2);
    bytes.extend(zz(2));
    bytes.extend(zz(3));
    bytes.extend(zz(4));
    bytes.push(0);
    assert_eq!(
        read(
            r#"{"type":"array","items":"int"}"#,
            &T::array(T::Int),
            &bytes
        )
        .unwrap(),
        Value::array(vec![Value::Int(3), Value::Int(4)])
    );
}

#[test]
fn incompatible_schemas_fail_at_compile_naming_the_path() {
    let writer = Avro::parse(
        r#"{"type":"record","name":"r","fields":[{"name":"a","type":"string"}]}"#,
        &[],
    )
    .unwrap();
    let err = compile(&writer, &T::structure([("A", T::Int)]), "value").unwrap_err();
    assert!(err.contains("value.a"), "{err}");
    let long = Avro::parse(r#""long""#, &[]).unwrap();
    assert!(compile(&long, &T::Int, "value").is_err());
}

#[test]
fn bad_payloads_are_errors_never_panics() {
    let schema = r#"{"type":"record","name":"r","fields":[
        {"name":"s","type":"string"},{"name":"m","type":{"type":"map","values":"long"}},
        {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}}]}"#;
    let target = T::structure([
        ("S", T::String),
        ("M", T::map(T::String, T::Bigint)),
        ("D", T::decimal(5, 2).unwrap()),
    ]);
    let writer = Avro::parse(schema, &[]).unwrap();
    let plan = compile(&writer, &target, "value").unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for len in 0..2000 {
        let bytes: Vec<u8> = (0..len % 40)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let _ = plan.read(&mut Input {
            bytes: &bytes,
            pos: 0,
        });
    }
    let err = read(schema, &target, &[0x10, b'a']).unwrap_err();
    assert!(err.reason.contains("ends inside"), "{err:?}");
    // 123456.78 does not fit DECIMAL(5, 2).
    let mut bytes = zz(0);
    bytes.push(0);
    bytes.extend(zz(4));
    bytes.extend(12_345_678i32.to_be_bytes());
    assert!(read(schema, &target, &bytes).is_err());
}

#[test]
fn repeated_map_keys_keep_the_first_position_and_the_last_value() {
    let schema = r#"{"type":"map","values":"int"}"#;
    let mut bytes = zz(3);
    for (key, value) in [("a", 1), ("b", 2), ("a", 3)] {
        bytes.extend(zz(1));
        bytes.extend(key.as_bytes());
        bytes.extend(zz(value));
    }
    bytes.push(0);
    assert_eq!(
        read(schema, &T::map(T::String, T::Int), &bytes).unwrap(),
        Value::map(vec![
            (Value::string("a"), Value::Int(1)),
            (Value::string("b"), Value::Int(2)),
            (Value::string("a"), Value::Int(3)),
        ])
    );
}

#[test]
fn unread_strings_are_left_null_but_still_checked_to_be_utf8() {
    let schema = r#"{"type":"record","name":"r","fields":[
        {"name":"id","type":"long"},{"name":"url","type":"string"},{"name":"tag","type":"string"}]}"#;
    let target = T::structure([("ID", T::Bigint), ("URL", T::String), ("TAG", T::String)]);
    let writer = Avro::parse(schema, &[]).unwrap();
    let mut plan = compile(&writer, &target, "value").unwrap();
    plan.skip_unread(&[true, false, true]);
    let record = |url: &[u8]| {
        let mut bytes = zz(7);
        bytes.extend(zz(url.len() as i64));
        bytes.extend(url);
        bytes.extend(zz(2));
        bytes.extend(b"hi");
        bytes
    };
    let bytes = record(b"https://x");
    let mut input = Input {
        bytes: &bytes,
        pos: 0,
    };
    let row = plan.read_row(&mut input).unwrap().unwrap();
    assert_eq!(
        row,
        vec![Value::Bigint(7), Value::Null, Value::string("hi")]
    );
    assert_eq!(input.pos, bytes.len(), "the unread string is passed over");
    let bad = record(&[0xff, 0xfe]);
    let mut input = Input {
        bytes: &bad,
        pos: 0,
    };
    assert!(
        plan.read_row(&mut input).unwrap().is_err(),
        "a string that is not UTF-8 fails the record whether or not it is read"
    );
}

#[test]
fn numbers_and_booleans_read_into_string_columns_as_java_writes_them() {
    assert_eq!(
        read(r#""int""#, &T::String, &zz(10)),
        Ok(Value::string("10"))
    );
    assert_eq!(
        read(r#""long""#, &T::String, &zz(-7)),
        Ok(Value::string("-7"))
    );
    let float = 1.1f32.to_le_bytes();
    assert_eq!(
        read(r#""float""#, &T::String, &float),
        Ok(Value::string("1.1"))
    );
    let double = 1e10f64.to_le_bytes();
    assert_eq!(
        read(r#""double""#, &T::String, &double),
        Ok(Value::string("1.0E10"))
    );
    assert_eq!(
        read(r#""boolean""#, &T::String, &[1]),
        Ok(Value::string("true"))
    );
    // Nested and nullable places coerce the same way.
    let mut bytes = zz(1);
    bytes.extend(zz(1)); // union branch 1: int
    bytes.extend(zz(3));
    bytes.push(0);
    assert_eq!(
        read(
            r#"{"type":"array","items":["null","int"]}"#,
            &T::Array(Box::new(T::String)),
            &bytes
        ),
        Ok(Value::array(vec![Value::string("3")]))
    );
    // Logical types and decimals are not coerced: ksqlDB refuses them too.
    let date = Avro::parse(r#"{"type":"int","logicalType":"date"}"#, &[]).unwrap();
    assert!(compile(&date, &T::String, "value").is_err());
    let bytes_schema = Avro::parse(r#""bytes""#, &[]).unwrap();
    assert!(compile(&bytes_schema, &T::Int, "value").is_err());
}

#[test]
fn maps_take_the_order_of_ksqldbs_java_hash_map() {
    // Written "foo", "bar", "baz"; a JVM's `new HashMap<>()` iterates "bar", "foo", "baz".
    let mut bytes = zz(3);
    for (key, value) in [("foo", 1), ("bar", 2), ("baz", 3)] {
        bytes.extend(zz(key.len() as i64));
        bytes.extend(key.as_bytes());
        bytes.extend(zz(value));
    }
    bytes.push(0);
    let map = read(
        r#"{"type":"map","values":"int"}"#,
        &T::Map(Box::new(T::String), Box::new(T::Int)),
        &bytes,
    )
    .unwrap();
    let keys: Vec<Value> = map.as_map().unwrap().iter().map(|e| e.0.clone()).collect();
    assert_eq!(keys, ["bar", "foo", "baz"].map(Value::string));
}
