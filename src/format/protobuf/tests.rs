//! Codec tests: bytes spelled out from the protobuf encoding spec, round trips through the
//! codec, ksqlDB's null rules, the framing, and arbitrary bytes through a wide plan.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::types::SqlType;

fn col(name: &str, ty: SqlType) -> SerdeColumn {
    SerdeColumn::new(name, ty)
}

fn codec(text: &str, columns: &[SerdeColumn]) -> ProtobufCodec {
    let schema = ProtoSchema::parse(text, []).unwrap();
    ProtobufCodec::new(&schema, None, columns, Framing::Bare).unwrap()
}

const SCALARS: &str = r#"syntax = "proto3";
message M {
  int32 a = 1; string b = 2; sint32 c = 3; sint64 d = 4; fixed32 e = 5; sfixed64 f = 6;
  float g = 7; double h = 8; bool i = 9; uint64 j = 10; bytes k = 11; uint32 l = 12;
}"#;

fn scalar_columns() -> Vec<SerdeColumn> {
    vec![
        col("A", SqlType::Int),
        col("B", SqlType::String),
        col("C", SqlType::Int),
        col("D", SqlType::Bigint),
        col("E", SqlType::Bigint),
        col("F", SqlType::Bigint),
        col("G", SqlType::Double),
        col("H", SqlType::Double),
        col("I", SqlType::Boolean),
        col("J", SqlType::Bigint),
        col("K", SqlType::Bytes),
        col("L", SqlType::Bigint),
    ]
}

#[test]
fn unread_strings_are_left_null_but_still_checked_to_be_utf8() {
    let mut codec = codec(SCALARS, &scalar_columns());
    let mut read = vec![true; 12];
    read[1] = false; // B, a string
    read[10] = false; // K, bytes: not a string, still read
    codec.skip_unread_strings(&read);
    let bytes = [
        0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g', 0x5a, 0x01, 0x07,
    ];
    let row = codec.decode(&bytes).unwrap();
    assert_eq!(row[0], Value::Int(150));
    assert_eq!(row[1], Value::Null, "unread string");
    assert_eq!(row[10], Value::bytes(vec![7]));
    // Absent, an unread string is NULL too (not proto3's "").
    assert_eq!(codec.decode(&[0x08, 0x01]).unwrap()[1], Value::Null);
    // A string that is not UTF-8 fails the record whether or not the query reads it.
    let bad = [0x12, 0x02, 0xff, 0xfe];
    let read_all = self::codec(SCALARS, &scalar_columns());
    assert!(read_all.decode(&bad).is_err());
    assert!(codec.decode(&bad).is_err());
}

#[test]
fn decodes_the_encoding_spec_examples() {
    // protobuf.dev/programming-guides/encoding: `08 96 01` is field 1 = 150, `12 07 74 65 73
    // 74 69 6e 67` is field 2 = "testing"; sint32 -2 is zigzag 3.
    let codec = codec(SCALARS, &scalar_columns());
    let row = codec
        .decode(&[
            0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g', 0x18, 0x03,
        ])
        .unwrap();
    assert_eq!(row[0], Value::Int(150));
    assert_eq!(row[1], Value::string("testing"));
    assert_eq!(row[2], Value::Int(-2));
    // Absent proto3 scalars read as their defaults, as Connect's ProtobufData reads them.
    assert_eq!(row[3], Value::Bigint(0));
    assert_eq!(row[8], Value::Boolean(false));
    assert_eq!(row[10], Value::bytes(Vec::new()));
    // An unknown field (number 15, varint) is skipped; the last of a repeated scalar wins.
    let row = codec.decode(&[0x78, 0x01, 0x08, 0x01, 0x08, 0x02]).unwrap();
    assert_eq!(row[0], Value::Int(2));
}

#[test]
fn scalars_round_trip_at_their_limits() {
    let codec = codec(SCALARS, &scalar_columns());
    let row = vec![
        Value::Int(i32::MIN),
        Value::string("héllo"),
        Value::Int(i32::MIN),
        Value::Bigint(i64::MIN),
        Value::Bigint(u32::MAX.into()),
        Value::Bigint(-1),
        Value::Double(1.5),
        Value::Double(-0.1),
        Value::Boolean(true),
        Value::Bigint(-1), // uint64 max, as Java's long
        Value::bytes(vec![0, 255]),
        Value::Bigint(u32::MAX.into()),
    ];
    let mut out = Vec::new();
    codec.encode(&row, &mut out).unwrap();
    assert_eq!(codec.decode(&out).unwrap(), row);
    // Out of the field's range is an error, not a wrapped value.
    let mut bad = row.clone();
    bad[11] = Value::Bigint(-1);
    let err = codec.encode(&bad, &mut Vec::new()).unwrap_err().to_string();
    assert!(
        err.contains("l") && err.contains("unsigned 32-bit"),
        "{err}"
    );
}

#[test]
fn numbers_and_booleans_read_into_string_columns_as_java_writes_them() {
    let natural = codec(SCALARS, &scalar_columns());
    let row = vec![
        Value::Int(-5),
        Value::string("s"),
        Value::Int(7),
        Value::Bigint(1 << 40),
        Value::Bigint(9),
        Value::Bigint(-3),
        Value::Double(f64::from(1.1f32)),
        Value::Double(1e10),
        Value::Boolean(true),
        Value::Bigint(-1),
        Value::bytes(vec![1]),
        Value::Bigint(4),
    ];
    let mut out = Vec::new();
    natural.encode(&row, &mut out).unwrap();
    let texts: Vec<SerdeColumn> = ["A", "C", "D", "G", "H", "I", "J"]
        .into_iter()
        .map(|name| col(name, SqlType::String))
        .collect();
    let as_text = codec(SCALARS, &texts);
    let strings = ["-5", "7", "1099511627776", "1.1", "1.0E10", "true", "-1"];
    let want: Vec<Value> = strings.into_iter().map(Value::string).collect();
    assert_eq!(as_text.decode(&out).unwrap(), want);
    // Absent scalars read as their defaults, in text.
    let defaults: Vec<Value> = ["0", "0", "0", "0.0", "0.0", "false", "0"]
        .into_iter()
        .map(Value::string)
        .collect();
    assert_eq!(as_text.decode(&[]).unwrap(), defaults);
    // Bytes are not coerced: ksqlDB refuses them too.
    let schema = ProtoSchema::parse(SCALARS, []).unwrap();
    let bytes_as_int = [col("K", SqlType::Int)];
    assert!(ProtobufCodec::new(&schema, None, &bytes_as_int, Framing::Bare).is_err());
}

#[test]
fn nulls_follow_presence() {
    let text = r#"syntax = "proto3"; import "google/protobuf/wrappers.proto";
        message M { int32 a = 1; optional int32 b = 2; google.protobuf.Int32Value c = 3; N n = 4;
                    message N { string s = 1; } }"#;
    let n = SqlType::structure([("S", SqlType::String)]);
    let columns = [
        col("A", SqlType::Int),
        col("B", SqlType::Int),
        col("C", SqlType::Int),
        col("N", n),
        col("MISSING", SqlType::Int),
    ];
    let codec = codec(text, &columns);
    let mut out = Vec::new();
    codec
        .encode(
            &[
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Int(7),
            ],
            &mut out,
        )
        .unwrap();
    assert!(
        out.is_empty(),
        "NULLs and unknown columns are not written: {out:?}"
    );
    assert_eq!(
        codec.decode(&out).unwrap(),
        vec![
            Value::Int(0),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    // Zero is kept where presence is tracked, and a wrapper reads as its scalar.
    let row = vec![
        Value::Int(0),
        Value::Int(0),
        Value::Int(0),
        Value::structure(vec![Value::string("")]),
        Value::Null,
    ];
    let mut out = Vec::new();
    codec.encode(&row, &mut out).unwrap();
    assert_eq!(codec.decode(&out).unwrap(), row);
}

#[test]
fn maps_take_the_order_of_ksqldbs_java_hash_map() {
    let text = r#"syntax = "proto3"; message M { map<string, int32> m = 1; }"#;
    let codec = codec(
        text,
        &[col("M", SqlType::map(SqlType::String, SqlType::Int))],
    );
    let written: Vec<(Value, Value)> = [("foo", 1), ("bar", 2), ("baz", 3), ("foo", 4)]
        .into_iter()
        .map(|(k, v)| (Value::string(k), Value::Int(v)))
        .collect();
    // Entries written one by one (a repeated key too): encode each map on its own.
    let mut out = Vec::new();
    for entry in written {
        codec.encode(&[Value::map(vec![entry])], &mut out).unwrap();
    }
    // A JVM's `new HashMap<>()` iterates "bar", "foo", "baz"; the repeated key's last value wins.
    let want = Value::map(vec![
        (Value::string("bar"), Value::Int(2)),
        (Value::string("foo"), Value::Int(4)),
        (Value::string("baz"), Value::Int(3)),
    ]);
    assert_eq!(codec.decode(&out).unwrap(), vec![want]);
}

#[test]
fn collections_well_known_types_enums_and_oneof_round_trip() {
    let text = r#"syntax = "proto3";
        import "google/protobuf/timestamp.proto"; import "confluent/type/decimal.proto";
        import "google/type/date.proto"; import "google/type/timeofday.proto";
        message M {
          repeated int64 nums = 1; repeated string words = 2; map<string, Inner> m = 3;
          google.protobuf.Timestamp ts = 4; confluent.type.Decimal dec = 5;
          google.type.Date day = 6; google.type.TimeOfDay tod = 7; Suit suit = 8;
          oneof choice { int32 x = 9; string y = 10; }
          repeated Inner inners = 11;
          enum Suit { SPADES = 0; HEARTS = 1; }
          message Inner { double v = 1; }
        }"#;
    let inner = SqlType::structure([("V", SqlType::Double)]);
    let columns = [
        col("NUMS", SqlType::array(SqlType::Bigint)),
        col("WORDS", SqlType::array(SqlType::String)),
        col("M", SqlType::map(SqlType::String, inner.clone())),
        col("TS", SqlType::Timestamp),
        col("DEC", SqlType::decimal(6, 2).unwrap()),
        col("DAY", SqlType::Date),
        col("TOD", SqlType::Time),
        col("SUIT", SqlType::String),
        col(
            "CHOICE",
            SqlType::structure([("X", SqlType::Int), ("Y", SqlType::String)]),
        ),
        col("INNERS", SqlType::array(inner)),
    ];
    let codec = codec(text, &columns);
    let row = vec![
        Value::array(vec![Value::Bigint(1), Value::Bigint(-300)]),
        Value::array(vec![Value::string("a"), Value::string("")]),
        Value::map(vec![(
            Value::string("k"),
            Value::structure(vec![Value::Double(2.5)]),
        )]),
        Value::Timestamp(-1),
        Value::Decimal(Decimal::new(-12345, 2)),
        Value::Date(-719_162), // 0001-01-01
        Value::Time(86_399_999),
        Value::string("HEARTS"),
        Value::structure(vec![Value::Null, Value::string("why")]),
        Value::array(vec![Value::structure(vec![Value::Double(0.0)])]),
    ];
    let mut out = Vec::new();
    codec.encode(&row, &mut out).unwrap();
    assert_eq!(codec.decode(&out).unwrap(), row);
    // Absent: empty collections, NULL messages and oneof, the enum's first value.
    let empty = codec.decode(&[]).unwrap();
    assert_eq!(empty[0], Value::array(vec![]));
    assert_eq!(empty[2], Value::map(vec![]));
    assert_eq!(empty[3], Value::Null);
    assert_eq!(empty[7], Value::string("SPADES"));
    assert_eq!(empty[8], Value::Null);
    // An enum number the schema does not list reads as Java's name for it, and writes back.
    let unknown = codec.decode(&[0x40, 0x07]).unwrap();
    assert_eq!(unknown[7], Value::string("UNKNOWN_ENUM_VALUE_Suit_7"));
    let mut out = Vec::new();
    codec.encode(&unknown, &mut out).unwrap();
    assert_eq!(out, [0x40, 0x07]);
    let err = codec
        .encode(
            &[&row[..7], &[Value::string("CLUBS")], &row[8..]].concat(),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("CLUBS"), "{err}");
}

#[test]
fn packed_and_unpacked_repeated_fields_both_decode() {
    let text = r#"syntax = "proto3"; message M { repeated int32 r = 4; }"#;
    let codec = codec(text, &[col("R", SqlType::array(SqlType::Int))]);
    // The spec's packed example: `22 06 03 8e 02 9e a7 05` is field 4 = [3, 270, 86942].
    let packed = [0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05];
    let expected = vec![Value::array(vec![
        Value::Int(3),
        Value::Int(270),
        Value::Int(86942),
    ])];
    assert_eq!(codec.decode(&packed).unwrap(), expected);
    let unpacked = [0x20, 0x03, 0x20, 0x8e, 0x02, 0x20, 0x9e, 0xa7, 0x05];
    assert_eq!(codec.decode(&unpacked).unwrap(), expected);
    let mut out = Vec::new();
    codec.encode(&expected, &mut out).unwrap();
    assert_eq!(out, packed, "proto3 packs repeated numbers");
}

#[test]
fn confluent_framing_and_message_indexes() {
    let text =
        r#"syntax = "proto3"; message A { int32 a = 1; } message B { message C { int32 c = 1; } }"#;
    let schema = ProtoSchema::parse(text, []).unwrap();
    let first = ProtobufCodec::new(
        &schema,
        None,
        &[col("A", SqlType::Int)],
        Framing::Confluent { schema_id: 7 },
    )
    .unwrap();
    let mut out = Vec::new();
    first.encode(&[Value::Int(1)], &mut out).unwrap();
    assert_eq!(
        out,
        [0, 0, 0, 0, 7, 0, 0x08, 0x01],
        "the single-0 shortcut for the first message"
    );
    assert_eq!(first.decode(&out).unwrap(), vec![Value::Int(1)]);
    // The explicit form [1, 0] of a nested message: count 2, then 1 and 0, all zigzag.
    let nested = ProtobufCodec::new(
        &schema,
        Some("B.C"),
        &[col("C", SqlType::Int)],
        Framing::Confluent { schema_id: 7 },
    )
    .unwrap();
    let mut out = Vec::new();
    nested.encode(&[Value::Int(1)], &mut out).unwrap();
    assert_eq!(out, [0, 0, 0, 0, 7, 4, 2, 0, 0x08, 0x01]);
    let header = read_header(&out).unwrap();
    assert_eq!(
        (header.schema_id, header.indexes.as_slice(), header.payload),
        (7, &[1, 0][..], 8)
    );
    assert_eq!(schema.message_at(&header.indexes), Some("B.C"));
    assert!(
        first
            .decode(&out)
            .unwrap_err()
            .to_string()
            .contains("message indexes")
    );
    assert!(read_header(&[1, 0, 0, 0, 7, 0]).is_err());
    assert!(read_header(&[0, 0, 0]).is_err());
}

#[test]
fn nosr_derives_ksqldb_schema_text() {
    let columns = [col("I", SqlType::Int), col("S", SqlType::String)];
    let text = columns::schema_for(
        &columns
            .iter()
            .map(|c| (c.name.as_str(), &c.ty))
            .collect::<Vec<_>>(),
        NullableRepresentation::Wrapper,
    )
    .unwrap();
    assert_eq!(
        text,
        "syntax = \"proto3\";\n\nimport \"google/protobuf/wrappers.proto\";\n\nmessage ConnectDefault1 {\n  google.protobuf.Int32Value I = 1;\n  google.protobuf.StringValue S = 2;\n}\n"
    );
    let nested = [
        col(
            "ST",
            SqlType::structure([("X", SqlType::decimal(4, 1).unwrap())]),
        ),
        col("M", SqlType::map(SqlType::String, SqlType::Timestamp)),
        col("A", SqlType::array(SqlType::Date)),
    ];
    let codec = ProtobufCodec::nosr(&nested, NullableRepresentation::Optional).unwrap();
    let row = vec![
        Value::structure(vec![Value::Decimal(Decimal::new(-5, 1))]),
        Value::map(vec![(
            Value::string("t"),
            Value::Timestamp(1_700_000_000_123),
        )]),
        Value::array(vec![Value::Date(19_000)]),
    ];
    let mut out = Vec::new();
    codec.encode(&row, &mut out).unwrap();
    assert_eq!(codec.decode(&out).unwrap(), row);
    assert!(
        ProtobufCodec::nosr(
            &[col("AA", SqlType::array(SqlType::array(SqlType::Int)))],
            NullableRepresentation::Plain
        )
        .is_err()
    );
}

#[test]
fn a_column_type_the_field_cannot_hold_is_a_plan_error() {
    let schema = ProtoSchema::parse(SCALARS, []).unwrap();
    let err =
        ProtobufCodec::new(&schema, None, &[col("B", SqlType::Int)], Framing::Bare).unwrap_err();
    assert!(err.to_string().contains("cannot be read as INT"), "{err}");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = r#"syntax = "proto3"; import "google/protobuf/wrappers.proto";
            message M { repeated sint64 a = 1; map<int32, string> b = 2; M2 c = 3;
              google.protobuf.StringValue d = 4; oneof o { bytes e = 5; fixed64 f = 6; }
              message M2 { repeated M2 deeper = 1; float g = 2; } }"#;
        let m2 = SqlType::structure([("G", SqlType::Double)]);
        let columns = [
            col("A", SqlType::array(SqlType::Bigint)),
            col("B", SqlType::map(SqlType::Int, SqlType::String)),
            col("C", m2),
            col("D", SqlType::String),
            col("O", SqlType::structure([("E", SqlType::Bytes), ("F", SqlType::Bigint)])),
        ];
        let schema = ProtoSchema::parse(text, []).unwrap();
        for framing in [Framing::Bare, Framing::Confluent { schema_id: 1 }] {
            let codec = ProtobufCodec::new(&schema, None, &columns, framing).unwrap();
            if let Ok(row) = codec.decode(&bytes) {
                // Whatever decodes encodes, and reads back the same.
                let mut out = Vec::new();
                codec.encode(&row, &mut out).unwrap();
                prop_assert_eq!(codec.decode(&out).unwrap(), row);
            }
        }
    }
}
