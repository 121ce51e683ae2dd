//! PROTOBUF and PROTOBUF_NOSR end to end: `weir run` against the test broker and rivven-schema
//! (`support::registry`, a registry written by others). Input records are framed and encoded
//! here by hand from the protobuf wire specification, with a writer schema that is not the one
//! weir would derive (a package, a second message picked by its message index, other field
//! numbers); the sink's records are decoded here by hand and the schema weir registered is
//! read back from rivven. An id rivven does not know goes to the processing log. With the
//! fault-injecting registry: a schema importing another subject, and a registry down while a
//! new schema id arrives (the records wait; none is lost).

mod e2e;
mod harness;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use e2e::{Input, Output, config, produce_all, read_until, start};
use harness::Workspace;
use support::TestBroker;
use support::fault_registry::FaultRegistry;
use support::registry::TestRegistry;

/// The producer's value schema: the order is the second message (indexes `[1]`).
const WRITER: &str = "syntax = \"proto3\";\npackage shop;\n\nmessage Meta {\n  string origin = 1;\n}\n\n\
message Order {\n  double amount = 4;\n  string status = 7;\n  string note = 9;\n}\n";
const WRITER_KEY: &str =
    "syntax = \"proto3\";\npackage shop;\n\nmessage OrderKey {\n  int64 id = 1;\n}\n";

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn string_field(out: &mut Vec<u8>, number: u64, text: &str) {
    varint(out, number << 3 | 2);
    varint(out, text.len() as u64);
    out.extend(text.as_bytes());
}

fn double_field(out: &mut Vec<u8>, number: u64, value: f64) {
    varint(out, number << 3 | 1);
    out.extend(value.to_le_bytes());
}

/// What order `i` holds: (status, amount).
fn order(i: i64) -> (&'static str, f64) {
    (if i % 3 == 0 { "open" } else { "paid" }, i as f64 + 0.25)
}

/// The message body of order `i` in the writer schema.
fn order_body(i: i64) -> Vec<u8> {
    let (status, amount) = order(i);
    let mut body = Vec::new();
    double_field(&mut body, 4, amount);
    string_field(&mut body, 7, status);
    string_field(&mut body, 9, "ignored");
    body
}

/// The sink rows the inputs `0..count` must give: (ID, DOUBLED as text, S).
fn expected(count: i64) -> BTreeSet<(i64, String, String)> {
    (0..count)
        .filter_map(|i| {
            let (status, amount) = order(i);
            (status == "paid").then(|| (i, format!("{:?}", amount * 2.0), status.to_uppercase()))
        })
        .collect()
}

/// A protobuf field's raw value: a varint, 8 bytes, or a length-delimited run.
#[derive(Debug, Clone)]
enum Raw {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(Vec<u8>),
}

/// Reads a message's fields (last one wins) from the wire specification.
fn fields(mut bytes: &[u8]) -> BTreeMap<u64, Raw> {
    fn read_varint(bytes: &mut &[u8]) -> u64 {
        let (mut n, mut shift) = (0u64, 0);
        loop {
            let byte = bytes[0];
            *bytes = &bytes[1..];
            n |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return n;
            }
        }
    }
    let mut out = BTreeMap::new();
    while !bytes.is_empty() {
        let tag = read_varint(&mut bytes);
        let raw = match tag & 7 {
            0 => Raw::Varint(read_varint(&mut bytes)),
            1 => {
                let (head, tail) = bytes.split_at(8);
                bytes = tail;
                Raw::Fixed64(head.try_into().unwrap())
            }
            2 => {
                let len = read_varint(&mut bytes) as usize;
                let (head, tail) = bytes.split_at(len);
                bytes = tail;
                Raw::Bytes(head.to_vec())
            }
            other => panic!("unexpected wire type {other}"),
        };
        out.insert(tag >> 3, raw);
    }
    out
}

fn double(raw: Option<&Raw>) -> String {
    match raw {
        Some(Raw::Fixed64(b)) => format!("{:?}", f64::from_le_bytes(*b)),
        None => format!("{:?}", 0.0),
        other => panic!("not a double: {other:?}"),
    }
}

fn text(raw: Option<&Raw>) -> String {
    match raw {
        Some(Raw::Bytes(b)) => String::from_utf8(b.clone()).unwrap(),
        None => String::new(),
        other => panic!("not a string: {other:?}"),
    }
}

/// Strips Confluent's framing (magic byte, id, the single-0 index list) and returns the id.
fn unframe(bytes: &[u8]) -> (u32, &[u8]) {
    assert_eq!(bytes[0], 0, "magic byte");
    assert_eq!(bytes[5], 0, "the first message");
    (
        u32::from_be_bytes(bytes[1..5].try_into().unwrap()),
        &bytes[6..],
    )
}

fn registry_config(broker: &TestBroker, state: &tempfile::TempDir, url: &str) -> String {
    config(
        broker,
        &state.path().display().to_string(),
        &format!(
            "startup_timeout = \"60s\"\n[errors]\nrestart_backoff_initial = \"200ms\"\n\
             restart_backoff_max = \"1s\"\n[schema_registry]\nurls = [\"{url}\"]\n"
        ),
    )
}

fn framed(id: i64, indexes: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend(u32::try_from(id).unwrap().to_be_bytes());
    out.extend(indexes);
    out.extend(body);
    out
}

#[test]
fn protobuf_source_to_protobuf_sink_through_rivven() {
    let broker = TestBroker::start();
    let registry = TestRegistry::start();
    let key_id = registry.register("orders-key", "PROTOBUF", WRITER_KEY, "[]");
    let value_id = registry.register("orders-value", "PROTOBUF", WRITER, "[]");
    let state = tempfile::tempdir().unwrap();
    let queries = "
CREATE STREAM ORDERS (ID BIGINT KEY, STATUS STRING, AMOUNT DOUBLE)
  WITH (KAFKA_TOPIC='orders', FORMAT='PROTOBUF', PARTITIONS=2);
CREATE STREAM PAID AS
  SELECT ID, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S
  FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";
    let workspace = Workspace::new(&registry_config(&broker, &state, registry.url()), queries);
    let (code, _, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    let (_daemon, _addr) = start(&workspace);
    let mut inputs: Vec<Input> = (0..30)
        .map(|i| {
            let mut key_body = Vec::new();
            varint(&mut key_body, 1 << 3);
            varint(&mut key_body, i as u64);
            Input {
                topic: "orders".into(),
                key: framed(key_id, &[0], &key_body),
                // Indexes [1]: a count of 1 (zigzag 2), then index 1 (zigzag 2).
                value: Some(framed(value_id, &[2, 2], &order_body(i))),
                timestamp: 1_700_000_000_000 + i,
            }
        })
        .collect();
    // An id rivven never gave out: the processing log, and the records after it go on.
    inputs.insert(
        10,
        Input {
            topic: "orders".into(),
            key: framed(key_id, &[0], &[8, 1]),
            value: Some(framed(9_999, &[0], &order_body(1))),
            timestamp: 1_700_000_000_000,
        },
    );
    produce_all(&broker, &inputs);
    let want = expected(30);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    let registered = registry.json("GET", "/subjects/PAID-value/versions/latest", None);
    let sink_id = registered["id"].as_i64().unwrap();
    let schema = registered["schema"].as_str().unwrap();
    assert!(
        schema.contains("message ConnectDefault1")
            && schema.contains("double DOUBLED = 1;")
            && schema.contains("string S = 2;"),
        "{schema}"
    );
    let key_schema = registry.json("GET", "/subjects/PAID-key/versions/latest", None);
    assert!(
        key_schema["schema"]
            .as_str()
            .unwrap()
            .contains("int64 ID = 1;"),
        "{key_schema}"
    );
    assert_eq!(decode_sink(&got, Some(sink_id)), want);
    let log = read_until(
        &broker,
        "weir_processing_log",
        false,
        Duration::from_secs(30),
        |l| !l.is_empty(),
    );
    let text = String::from_utf8_lossy(log[0].1.as_deref().unwrap_or_default()).into_owned();
    assert!(text.contains("9999"), "{text}");
}

/// The sink's (ID, DOUBLED, S) rows and value schema id, from framed PROTOBUF records.
fn decode_framed(records: &Output) -> Vec<((i64, String, String), u32)> {
    records
        .iter()
        .map(|(key, value)| {
            let (key_id, key) = unframe(key.as_deref().unwrap());
            let (value_id, value) = unframe(value.as_deref().unwrap());
            assert_ne!(key_id, value_id);
            let id = match fields(key).get(&1) {
                Some(Raw::Varint(n)) => *n as i64,
                None => 0,
                other => panic!("not an id: {other:?}"),
            };
            let value = fields(value);
            ((id, double(value.get(&1)), text(value.get(&2))), value_id)
        })
        .collect()
}

/// The sink's (ID, DOUBLED, S) rows: `sink_id` for framed PROTOBUF records, `None` for
/// PROTOBUF_NOSR values with a KAFKA key and wrapped (WRAPPER) fields.
fn decode_sink(records: &Output, sink_id: Option<i64>) -> BTreeSet<(i64, String, String)> {
    if let Some(id) = sink_id {
        let rows = decode_framed(records);
        assert!(rows.iter().all(|(_, value_id)| i64::from(*value_id) == id));
        return rows.into_iter().map(|(row, _)| row).collect();
    }
    records
        .iter()
        .map(|(key, value)| {
            let (key, value) = (key.as_deref().unwrap(), value.as_deref().unwrap());
            let id = i64::from_be_bytes(key.try_into().unwrap());
            let value = fields(value);
            let unwrap = |n| match value.get(&n) {
                Some(Raw::Bytes(inner)) => fields(inner).get(&1).cloned(),
                other => panic!("not a wrapper: {other:?}"),
            };
            (id, double(unwrap(1).as_ref()), text(unwrap(2).as_ref()))
        })
        .collect()
}

#[test]
fn protobuf_nosr_source_to_protobuf_nosr_sink_with_wrappers() {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().unwrap();
    // The value schema ksqlDB derives: STATUS = 1, AMOUNT = 2, plain proto3 fields.
    let queries = "
CREATE STREAM ORDERS (ID BIGINT KEY, STATUS STRING, AMOUNT DOUBLE)
  WITH (KAFKA_TOPIC='orders', KEY_FORMAT='KAFKA', VALUE_FORMAT='PROTOBUF_NOSR', PARTITIONS=2);
CREATE STREAM PAID WITH (VALUE_PROTOBUF_NULLABLE_REPRESENTATION='WRAPPER') AS
  SELECT ID, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S
  FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        queries,
    );
    let (code, _, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    let (_daemon, _addr) = start(&workspace);
    let inputs: Vec<Input> = (0..30)
        .map(|i| {
            let (status, amount) = order(i);
            let mut value = Vec::new();
            string_field(&mut value, 1, status);
            double_field(&mut value, 2, amount);
            Input {
                topic: "orders".into(),
                key: i.to_be_bytes().to_vec(),
                value: Some(value),
                timestamp: 1_700_000_000_000 + i,
            }
        })
        .collect();
    produce_all(&broker, &inputs);
    let want = expected(30);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    assert_eq!(decode_sink(&got, None), want);
}

/// The value schema of `registry_down_mid_run…`: it imports `Meta` from another subject.
const WRITER_IMPORTING: &str = "syntax = \"proto3\";\npackage shop;\nimport \"shop/meta.proto\";\n\n\
message Order {\n  double amount = 4;\n  string status = 7;\n  string note = 9;\n  shop.Meta meta = 10;\n}\n";
const META: &str =
    "syntax = \"proto3\";\npackage shop;\n\nmessage Meta {\n  string origin = 1;\n}\n";

/// Orders `from..from + count` in `WRITER_IMPORTING` (first message), from the web.
fn importing_orders(key_id: u32, value_id: u32, from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| {
            let mut key_body = Vec::new();
            varint(&mut key_body, 1 << 3);
            varint(&mut key_body, i as u64);
            let mut body = order_body(i);
            let mut meta = Vec::new();
            string_field(&mut meta, 1, "web");
            varint(&mut body, 10 << 3 | 2);
            varint(&mut body, meta.len() as u64);
            body.extend(meta);
            Input {
                topic: "orders".into(),
                key: framed(key_id.into(), &[0], &key_body),
                value: Some(framed(value_id.into(), &[0], &body)),
                timestamp: 1_700_000_000_000 + i,
            }
        })
        .collect()
}

#[test]
fn a_registry_down_mid_run_holds_new_protobuf_ids_back_and_references_are_resolved() {
    let broker = TestBroker::start();
    let registry = FaultRegistry::start();
    let key_id = registry.register_kind("orders-key", "PROTOBUF", WRITER_KEY, &[]);
    registry.register_kind("meta", "PROTOBUF", META, &[]);
    let refs = [("shop/meta.proto", "meta", 1)];
    let value_id = registry.register_kind("orders-value", "PROTOBUF", WRITER_IMPORTING, &refs);
    let state = tempfile::tempdir().unwrap();
    let queries = "
CREATE STREAM ORDERS (ID BIGINT KEY, STATUS STRING, AMOUNT DOUBLE, META STRUCT<ORIGIN STRING>)
  WITH (KAFKA_TOPIC='orders', FORMAT='PROTOBUF', PARTITIONS=2);
CREATE STREAM PAID AS
  SELECT ID, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S
  FROM ORDERS WHERE STATUS = 'paid' AND META->ORIGIN = 'web' EMIT CHANGES;
";
    let settings = format!(
        "startup_timeout = \"60s\"\n[errors]\nrestart_backoff_initial = \"200ms\"\n\
         restart_backoff_max = \"1s\"\n[schema_registry]\nurls = [\"{}\"]\n\
         unavailable_wait = \"300ms\"\n",
        registry.url()
    );
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), &settings),
        queries,
    );
    let (mut daemon, _addr) = start(&workspace);
    produce_all(&broker, &importing_orders(key_id, value_id, 0, 12));
    let first = expected(12);
    read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= first.len()
    });

    // A new writer schema weir has not seen, then the registry fails.
    let v2_text = WRITER_IMPORTING.replace("}\n", "  string channel = 11;\n}\n");
    let v2 = registry.register_kind("orders-value", "PROTOBUF", &v2_text, &refs);
    registry.fail_with(503);
    let before = registry.requests();
    produce_all(&broker, &importing_orders(key_id, v2, 12, 12));
    daemon.wait_for_line("waits for an unavailable service", Duration::from_secs(60));
    assert!(
        registry.requests() > before,
        "weir asked the registry for the new id"
    );
    let held = decode_framed(&read_until(
        &broker,
        "PAID",
        false,
        Duration::from_secs(5),
        |got| got.len() >= first.len(),
    ));
    assert!(
        held.iter().all(|((id, _, _), _)| *id < 12),
        "no record of the new schema passed: {held:?}"
    );
    registry.fail_with(0);
    let want = expected(24);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    let rows: BTreeSet<_> = decode_framed(&got)
        .into_iter()
        .map(|(row, _)| row)
        .collect();
    assert_eq!(
        rows,
        want,
        "every record once the registry is back: {}",
        daemon.log()
    );
}
