//! The schema a sink registers (ksqlDB's names and nullable shapes) and the bytes written.

use serde_json::json;

use super::*;
use crate::format::avro::decode::{self, Input};
use crate::types::SqlType as T;

#[test]
fn sink_schema_has_ksqldb_names_and_nullable_fields() {
    let ty = T::structure([
        ("ID", T::Bigint),
        ("ADDRESS", T::structure([("CITY", T::String)])),
        ("TAGS", T::map(T::String, T::structure([("N", T::Int)]))),
    ]);
    let schema = sink_schema(&ty, DEFAULT_FULL_NAME);
    // Nested records share the enclosing namespace, so (as Avro writes it) do not repeat it.
    let address = json!({
        "type": "record", "name": "KsqlDataSourceSchema_ADDRESS",
        "connect.name": "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema_ADDRESS",
        "fields": [{"name": "CITY", "type": ["null", "string"], "default": null}],
    });
    let tag = json!({
        "type": "record", "name": "KsqlDataSourceSchema_TAGS_MapValue",
        "connect.name": "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema_TAGS_MapValue",
        "fields": [{"name": "N", "type": ["null", "int"], "default": null}],
    });
    assert_eq!(
        schema,
        json!({
            "type": "record", "name": "KsqlDataSourceSchema",
            "namespace": "io.confluent.ksql.avro_schemas",
            "connect.name": "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema",
            "fields": [
                {"name": "ID", "type": ["null", "long"], "default": null},
                {"name": "ADDRESS", "type": ["null", address], "default": null},
                {"name": "TAGS", "type": ["null", {"type": "map", "values": ["null", tag]}], "default": null},
            ],
        })
    );
    // An unwrapped root is not optional.
    assert_eq!(
        sink_schema(&T::decimal(64, 2).unwrap(), DEFAULT_FULL_NAME),
        json!({"type": "bytes", "logicalType": "decimal", "precision": 64, "scale": 2})
    );
}

#[test]
fn nested_records_in_arrays_and_unnamespaced_roots_write_no_namespace() {
    let ty = T::structure([("L", T::array(T::structure([("X", T::Int)])))]);
    let schema = sink_schema(&ty, "com.acme.Outer");
    let item = &schema["fields"][0]["type"][1]["items"][1];
    assert_eq!(item["name"], json!("Outer_L"));
    assert_eq!(item.get("namespace"), None);
    assert_eq!(item["connect.name"], json!("com.acme.Outer_L"));
    let bare = sink_schema(&ty, "Outer");
    assert_eq!(bare.get("namespace"), None);
    assert_eq!(
        bare["fields"][0]["type"][1]["items"][1].get("namespace"),
        None
    );
    // Both still parse, nested names resolving to the enclosing namespace.
    assert!(Avro::parse(&schema.to_string(), &[]).is_ok());
}

#[test]
fn decimals_are_shortest_twos_complement_big_endian() {
    let writer = Avro::parse(
        r#"{"type":"bytes","logicalType":"decimal","precision":5,"scale":2}"#,
        &[],
    )
    .unwrap();
    let ty = T::decimal(5, 2).unwrap();
    let plan = compile(&writer, &ty, "value").unwrap();
    let mut out = Vec::new();
    plan.write(&Value::Decimal("123.45".parse().unwrap()), &mut out)
        .unwrap();
    assert_eq!(out, [0x04, 0x30, 0x39]);
    out.clear();
    plan.write(&Value::Decimal("-1.28".parse().unwrap()), &mut out)
        .unwrap();
    assert_eq!(out, [0x02, 0x80]);
    out.clear();
    plan.write(&Value::Decimal("1.28".parse().unwrap()), &mut out)
        .unwrap();
    assert_eq!(out, [0x04, 0x00, 0x80]);
}

#[test]
fn every_type_round_trips_through_the_registered_schema() {
    let ty = T::structure([
        ("B", T::Boolean),
        ("I", T::Int),
        ("L", T::Bigint),
        ("D", T::Double),
        ("DEC", T::decimal(10, 3).unwrap()),
        ("S", T::String),
        ("BY", T::Bytes),
        ("DT", T::Date),
        ("TM", T::Time),
        ("TS", T::Timestamp),
        ("A", T::array(T::String)),
        ("M", T::map(T::String, T::Bigint)),
        (
            "ST",
            T::structure([("X", T::Int), ("Y", T::array(T::Double))]),
        ),
    ]);
    let row = vec![
        Value::Boolean(true),
        Value::Int(-42),
        Value::Bigint(i64::MIN),
        Value::Double(-0.5),
        Value::Decimal("-1234567.891".parse().unwrap()),
        Value::string("ünï"),
        Value::bytes(vec![0u8, 255]),
        Value::Date(-3),
        Value::Time(86_399_999),
        Value::Timestamp(1_700_000_000_123),
        Value::array(vec![Value::string("a"), Value::Null]),
        Value::map(vec![(Value::string("k"), Value::Bigint(9))]),
        Value::Struct(vec![Value::Null, Value::array(vec![Value::Double(2.0)])].into()),
    ];
    let text = sink_schema(&ty, DEFAULT_FULL_NAME).to_string();
    let writer = Avro::parse(&text, &[]).unwrap();
    let mut out = Vec::new();
    let value = Value::Struct(row.clone().into());
    compile(&writer, &ty, "value")
        .unwrap()
        .write(&value, &mut out)
        .unwrap();
    let reader = decode::compile(&writer, &ty, "value").unwrap();
    let mut input = Input {
        bytes: &out,
        pos: 0,
    };
    assert_eq!(reader.read(&mut input).unwrap(), value);
    assert_eq!(input.pos, out.len());
    let nulls = Value::Struct(vec![Value::Null; 13].into());
    out.clear();
    compile(&writer, &ty, "value")
        .unwrap()
        .write(&nulls, &mut out)
        .unwrap();
    assert_eq!(
        out, [0u8; 13],
        "each NULL is the union's null branch, one byte"
    );
}

#[test]
fn a_registered_schema_with_fields_no_column_supplies() {
    let writer = Avro::parse(
        r#"{"type":"record","name":"r","fields":[{"name":"A","type":"int"},
            {"name":"note","type":["null","string"]}]}"#,
        &[],
    )
    .unwrap();
    let plan = compile(&writer, &T::structure([("A", T::Int)]), "value").unwrap();
    let mut out = Vec::new();
    plan.write(&Value::Struct(vec![Value::Int(1)].into()), &mut out)
        .unwrap();
    assert_eq!(out, [0x02, 0x00]);
    assert!(
        plan.write(&Value::Struct(vec![Value::Null].into()), &mut out)
            .unwrap_err()
            .contains("not optional")
    );
    let required = Avro::parse(
        r#"{"type":"record","name":"r","fields":[{"name":"B","type":"int"}]}"#,
        &[],
    )
    .unwrap();
    assert!(compile(&required, &T::structure([("A", T::Int)]), "value").is_err());
}
