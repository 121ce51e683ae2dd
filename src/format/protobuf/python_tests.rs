//! Decoding bytes written by an independent encoder: Google's `protobuf` package for Python
//! (with googleapis-common-protos and confluent-kafka's `confluent.type.Decimal`), from the
//! pinned install of `.ci/install-python-clients`, runs `tests/support/py/proto_witness.py`
//! and the codec must read back every value it set.

use std::path::Path;
use std::process::{Command, Stdio};

use rust_decimal::Decimal;

use super::*;
use crate::types::SqlType;

/// The schema `proto_witness.py` builds as a descriptor.
const WITNESS: &str = r#"syntax = "proto3";
package weirtest;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/type/date.proto";
import "google/type/timeofday.proto";
import "confluent/type/decimal.proto";
message Witness {
  enum Suit { SPADES = 0; HEARTS = 1; }
  message Inner { string label = 1; repeated double xs = 2; }
  int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4; sint32 s32 = 5; sint64 s64 = 6;
  fixed32 f32 = 7; fixed64 f64 = 8; sfixed32 sf32 = 9; sfixed64 sf64 = 10; float fl = 11;
  double db = 12; bool b = 13; string s = 14; bytes by = 15; Suit suit = 16;
  repeated int32 packed = 17; repeated sint64 unpacked = 18 [packed = false];
  repeated string words = 19; map<string, int64> counts = 20; Inner inner = 21;
  repeated Inner inners = 22;
  oneof choice { string name = 23; int32 number = 24; }
  google.protobuf.StringValue ws = 25; google.protobuf.Int64Value wl = 26;
  google.protobuf.Timestamp ts = 27; google.type.Date day = 28; google.type.TimeOfDay tod = 29;
  confluent.type.Decimal dec = 30;
}"#;

/// The PYTHONPATH of the pinned install (`TEST_PYTHON_CLIENTS`, else the installer's answer).
fn python_path() -> String {
    if let Some(path) = std::env::var_os("TEST_PYTHON_CLIENTS") {
        return path.to_string_lossy().into_owned();
    }
    let installer = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/install-python-clients");
    let output = Command::new("bash")
        .arg(&installer)
        .stdin(Stdio::null())
        .output()
        .expect("run .ci/install-python-clients");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout.lines().last().unwrap_or_default().trim().to_string()
}

fn witness_bytes() -> Vec<u8> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/py/proto_witness.py");
    let output = Command::new("python3")
        .arg(script)
        .env("PYTHONPATH", python_path())
        .stdin(Stdio::null())
        .output()
        .expect("run proto_witness.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hex = String::from_utf8(output.stdout).expect("hex output");
    let hex = hex.trim();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

#[test]
fn decodes_what_googles_python_protobuf_wrote() {
    let inner = SqlType::structure([
        ("LABEL", SqlType::String),
        ("XS", SqlType::array(SqlType::Double)),
    ]);
    let names_and_types = [
        ("I32", SqlType::Int),
        ("I64", SqlType::Bigint),
        ("U32", SqlType::Bigint),
        ("U64", SqlType::Bigint),
        ("S32", SqlType::Int),
        ("S64", SqlType::Bigint),
        ("F32", SqlType::Bigint),
        ("F64", SqlType::Bigint),
        ("SF32", SqlType::Int),
        ("SF64", SqlType::Bigint),
        ("FL", SqlType::Double),
        ("DB", SqlType::Double),
        ("B", SqlType::Boolean),
        ("S", SqlType::String),
        ("BY", SqlType::Bytes),
        ("SUIT", SqlType::String),
        ("PACKED", SqlType::array(SqlType::Int)),
        ("UNPACKED", SqlType::array(SqlType::Bigint)),
        ("WORDS", SqlType::array(SqlType::String)),
        ("COUNTS", SqlType::map(SqlType::String, SqlType::Bigint)),
        ("INNER", inner.clone()),
        ("INNERS", SqlType::array(inner)),
        (
            "CHOICE",
            SqlType::structure([("NAME", SqlType::String), ("NUMBER", SqlType::Int)]),
        ),
        ("WS", SqlType::String),
        ("WL", SqlType::Bigint),
        ("TS", SqlType::Timestamp),
        ("DAY", SqlType::Date),
        ("TOD", SqlType::Time),
        ("DEC", SqlType::decimal(5, 2).unwrap()),
    ];
    let columns: Vec<SerdeColumn> = names_and_types
        .into_iter()
        .map(|(n, t)| SerdeColumn::new(n, t))
        .collect();
    let schema = ProtoSchema::parse(WITNESS, []).unwrap();
    let codec = ProtobufCodec::new(&schema, None, &columns, Framing::Bare).unwrap();
    let row = codec.decode(&witness_bytes()).unwrap();
    let expected = vec![
        Value::Int(-2),
        Value::Bigint(i64::MIN),
        Value::Bigint(u32::MAX.into()),
        Value::Bigint(-1),
        Value::Int(i32::MIN),
        Value::Bigint(i64::MAX),
        Value::Bigint(4_000_000_000),
        Value::Bigint(-2),
        Value::Int(-7),
        Value::Bigint(-8),
        Value::Double(1.5),
        Value::Double(-2.25),
        Value::Boolean(true),
        Value::string("grüße"),
        Value::bytes(vec![0x00, 0xff]),
        Value::string("HEARTS"),
        Value::array(vec![Value::Int(3), Value::Int(270), Value::Int(86942)]),
        Value::array(vec![Value::Bigint(-1), Value::Bigint(1)]),
        Value::array(vec![Value::string("a"), Value::string("")]),
        Value::map(vec![(Value::string("k"), Value::Bigint(5))]),
        Value::structure(vec![
            Value::string("in"),
            Value::array(vec![Value::Double(0.5)]),
        ]),
        Value::array(vec![
            Value::structure(vec![Value::string("x"), Value::array(vec![])]),
            Value::structure(vec![Value::string(""), Value::array(vec![])]),
        ]),
        Value::structure(vec![Value::Null, Value::Int(0)]),
        Value::string(""),
        Value::Null,
        Value::Timestamp(-1),
        Value::Date(19_782), // 2024-02-29
        Value::Time(86_398_007),
        Value::Decimal(Decimal::new(-12345, 2)),
    ];
    for (i, (got, want)) in row.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "column {}", columns[i].name);
    }
    assert_eq!(row.len(), expected.len());
    // What weir writes, Python's bytes or not, reads back the same.
    let mut out = Vec::new();
    codec.encode(&row, &mut out).unwrap();
    assert_eq!(codec.decode(&out).unwrap(), row);
}
