//! The PROTOBUF wire target: weir's PROTOBUF codec (`format::protobuf::ProtobufCodec`) on
//! record bytes. Inputs are records the codec itself wrote for generated rows of a schema
//! that has every wire shape (varints, zigzag, fixed widths, strings, packed and unpacked
//! repeated fields, maps, nested and well-known messages, a `oneof`), with the Confluent
//! framing or without, then mutated at the byte level. Besides never panicking, a record that
//! decodes must encode and decode back to the same row (a differential check of the codec
//! against itself: what weir reads it can write).

use rand::Rng;
use rand::rngs::SmallRng;
use rust_decimal::Decimal;

use super::{Mismatch, Target, mutate};
use weir::format::SerdeColumn;
use weir::format::protobuf::{Framing, ProtoSchema, ProtobufCodec};
use weir::types::{SqlType, Value};

const SCHEMA: &str = r#"syntax = "proto3";
import "google/protobuf/timestamp.proto"; import "google/protobuf/wrappers.proto";
import "confluent/type/decimal.proto"; import "google/type/date.proto";
message M {
  int32 a = 1; sint64 b = 2; fixed32 c = 3; double d = 4; string e = 5; bytes f = 6;
  repeated int64 g = 7; repeated string h = 8 ; map<string, int32> i = 9; N n = 10;
  google.protobuf.Timestamp t = 11; google.protobuf.StringValue w = 12;
  confluent.type.Decimal dec = 13; google.type.Date day = 14; Kind kind = 15;
  oneof o { float x = 16; bool y = 17; }
  repeated sfixed32 u = 18 [packed = false];
  enum Kind { A = 0; B = 1; }
  message N { repeated N deeper = 1; uint32 z = 2; }
}"#;

const MAX_LEN: usize = 4096;

pub struct ProtoWireTarget {
    codecs: Vec<ProtobufCodec>,
    decoded: u64,
    refused: u64,
}

fn columns() -> Vec<SerdeColumn> {
    let n2 = SqlType::structure([("Z", SqlType::Bigint)]);
    let n = SqlType::structure([("DEEPER", SqlType::array(n2)), ("Z", SqlType::Bigint)]);
    [
        ("A", SqlType::Int),
        ("B", SqlType::Bigint),
        ("C", SqlType::Bigint),
        ("D", SqlType::Double),
        ("E", SqlType::String),
        ("F", SqlType::Bytes),
        ("G", SqlType::array(SqlType::Bigint)),
        ("H", SqlType::array(SqlType::String)),
        ("I", SqlType::map(SqlType::String, SqlType::Int)),
        ("N", n),
        ("T", SqlType::Timestamp),
        ("W", SqlType::String),
        (
            "DEC",
            SqlType::Decimal {
                precision: 10,
                scale: 3,
            },
        ),
        ("DAY", SqlType::Date),
        ("KIND", SqlType::String),
        (
            "O",
            SqlType::structure([("X", SqlType::Double), ("Y", SqlType::Boolean)]),
        ),
        ("U", SqlType::array(SqlType::Int)),
    ]
    .into_iter()
    .map(|(name, ty)| SerdeColumn::new(name, ty))
    .collect()
}

impl ProtoWireTarget {
    pub fn new() -> ProtoWireTarget {
        let schema = ProtoSchema::parse(SCHEMA, []).expect("the target's schema parses");
        let columns = columns();
        let codecs = [Framing::Bare, Framing::Confluent { schema_id: 42 }]
            .into_iter()
            .map(|framing| {
                ProtobufCodec::new(&schema, None, &columns, framing).expect("the codec compiles")
            })
            .collect();
        ProtoWireTarget {
            codecs,
            decoded: 0,
            refused: 0,
        }
    }
}

fn row(rng: &mut SmallRng) -> Vec<Value> {
    let small = |rng: &mut SmallRng| -> String {
        (0..rng.random_range(0..4))
            .map(|_| rng.random_range('a'..='é'))
            .collect()
    };
    // The value first: it borrows `rng` before `maybe` does.
    let maybe = |v: Value, rng: &mut SmallRng| {
        if rng.random_ratio(1, 5) {
            Value::Null
        } else {
            v
        }
    };
    let n2 = Value::structure(vec![Value::Bigint(rng.random_range(0..=u32::MAX as i64))]);
    vec![
        maybe(Value::Int(rng.random()), rng),
        maybe(Value::Bigint(rng.random()), rng),
        maybe(Value::Bigint(rng.random_range(0..=u32::MAX as i64)), rng),
        maybe(Value::Double(rng.random::<f64>() * 1e6 - 5e5), rng),
        maybe(Value::string(small(rng)), rng),
        maybe(Value::bytes(small(rng).into_bytes()), rng),
        Value::array(
            (0..rng.random_range(0..3))
                .map(|_| Value::Bigint(rng.random()))
                .collect(),
        ),
        Value::array(
            (0..rng.random_range(0..3))
                .map(|_| Value::string(small(rng)))
                .collect(),
        ),
        Value::map(vec![(Value::string(small(rng)), Value::Int(rng.random()))]),
        maybe(
            Value::structure(vec![Value::array(vec![n2]), Value::Bigint(7)]),
            rng,
        ),
        maybe(
            Value::Timestamp(rng.random_range(-1_000_000_000_000..4_000_000_000_000)),
            rng,
        ),
        maybe(Value::string(small(rng)), rng),
        maybe(
            Value::Decimal(Decimal::new(rng.random_range(-9_999_999..9_999_999), 3)),
            rng,
        ),
        maybe(Value::Date(rng.random_range(-700_000..700_000)), rng),
        Value::string(if rng.random() { "A" } else { "B" }),
        maybe(
            Value::structure(vec![Value::Null, Value::Boolean(rng.random())]),
            rng,
        ),
        Value::array(
            (0..rng.random_range(0..3))
                .map(|_| Value::Int(rng.random()))
                .collect(),
        ),
    ]
}

impl Target for ProtoWireTarget {
    fn name(&self) -> &'static str {
        "protobuf-wire"
    }

    fn generate(&mut self, rng: &mut SmallRng, input: &mut Vec<u8>) {
        let codec = &self.codecs[rng.random_range(0..self.codecs.len())];
        input.push(u8::from(matches!(codec.indexes(), [0]) && rng.random()));
        let mut record = Vec::new();
        if codec.encode(&row(rng), &mut record).is_err() {
            record.clear();
        }
        let other: Vec<u8> = (0..8).map(|_| rng.random()).collect();
        if rng.random_ratio(3, 4) {
            let max_len = MAX_LEN.max(record.len());
            mutate::bytes(rng, &mut record, &[], &other, 4, max_len);
        }
        input.extend_from_slice(&record);
    }

    fn check(&mut self, input: &[u8]) -> Result<(), Mismatch> {
        let Some((which, record)) = input.split_first() else {
            return Ok(());
        };
        let codec = &self.codecs[usize::from(*which & 1)];
        let Ok(row) = codec.decode(record) else {
            self.refused += 1;
            return Ok(());
        };
        self.decoded += 1;
        let mut out = Vec::new();
        codec
            .encode(&row, &mut out)
            .map_err(|e| Mismatch::new("decoded row does not encode", e.to_string()))?;
        match codec.decode(&out) {
            Ok(again) if again == row => Ok(()),
            other => Err(Mismatch::new(
                "round trip differs",
                format!("first {row:?}\nthen {other:?}"),
            )),
        }
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        vec![("decoded", self.decoded), ("refused", self.refused)]
    }

    fn stack_size(&self) -> usize {
        // Records are read on a stream thread.
        2 << 20
    }
}
