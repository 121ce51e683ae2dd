//! AVRO with a Schema Registry, end to end: `weir run` against the test broker and the test
//! registry (`support::fault_registry`). Input records are framed and Avro-encoded here by hand,
//! with a writer schema that differs from the declared columns (other field order and case,
//! an extra field, nullable unions, logical types); the sink's records are decoded here by
//! hand against the schema weir registered. The faults: a registry down at startup (weir
//! waits, then runs), never up (a clear error), refusing credentials (a clear error), down
//! mid-run while a new schema id arrives (the records wait, none lost or logged), and an id
//! the registry does not know (the processing log).

mod e2e;
mod harness;
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use e2e::{Input, Output, config, produce_all, read_until, start};
use harness::{Daemon, Workspace};
use support::TestBroker;
use support::fault_registry::{FaultRegistry, free_address};

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, STATUS STRING, AMOUNT DOUBLE, PLACED TIMESTAMP,
                      PRICE DECIMAL(8, 2))
  WITH (KAFKA_TOPIC='orders', FORMAT='AVRO', PARTITIONS=2);
CREATE STREAM PAID AS
  SELECT ID, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S, PLACED, PRICE
  FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";

/// The producer's value schema: lower-case names, another order, an extra field.
const WRITER: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"status","type":"string"},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"amount","type":["null","double"]},
  {"name":"placed","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}}]}"#;

/// A later version of it: one more field at the end.
const WRITER_V2: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"status","type":"string"},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"amount","type":["null","double"]},
  {"name":"placed","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
  {"name":"channel","type":["null","string"],"default":null}]}"#;

fn zz(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn framed(id: u32) -> Vec<u8> {
    let mut out = vec![0];
    out.extend(id.to_be_bytes());
    out
}

/// What order `i` holds, and the sink's expected (DOUBLED, S, PLACED, PRICE cents) if paid.
fn order(i: i64) -> (&'static str, f64, i64, i64) {
    let status = if i % 3 == 0 { "open" } else { "paid" };
    (status, i as f64 + 0.25, 1_700_000_000_000 + i, 1000 * i + 7)
}

fn orders(key_id: u32, value_id: u32, from: i64, count: i64, v2: bool) -> Vec<Input> {
    (from..from + count)
        .map(|i| {
            let (status, amount, placed, cents) = order(i);
            let mut key = framed(key_id);
            zz(&mut key, i);
            let mut value = framed(value_id);
            zz(&mut value, status.len() as i64);
            value.extend(status.as_bytes());
            zz(&mut value, 1); // note: non-null branch
            zz(&mut value, 2);
            value.extend(b"hi");
            zz(&mut value, 1); // amount: the double branch
            value.extend(amount.to_le_bytes());
            zz(&mut value, placed);
            zz(&mut value, 8); // price: 8 bytes of two's complement, longer than needed
            value.extend(cents.to_be_bytes());
            if v2 {
                zz(&mut value, 0); // channel: null
            }
            Input {
                topic: "orders".into(),
                key,
                value: Some(value),
                timestamp: placed,
            }
        })
        .collect()
}

/// The sink rows the inputs `from..from + count` must give: (ID, DOUBLED, S, PLACED, PRICE).
fn expected(from: i64, count: i64) -> BTreeSet<(i64, String, String, i64, i64)> {
    (from..from + count)
        .filter_map(|i| {
            let (status, amount, placed, cents) = order(i);
            (status == "paid").then(|| {
                (
                    i,
                    format!("{:?}", amount * 2.0),
                    status.to_uppercase(),
                    placed,
                    cents,
                )
            })
        })
        .collect()
}

/// A reader of Avro binary written out from the specification.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn long(&mut self) -> i64 {
        let (mut n, mut shift) = (0u64, 0);
        loop {
            let byte = self.0[0];
            self.0 = &self.0[1..];
            n |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return (n >> 1) as i64 ^ -((n & 1) as i64);
            }
        }
    }

    fn bytes(&mut self) -> Vec<u8> {
        let len = self.long() as usize;
        let (head, tail) = self.0.split_at(len);
        self.0 = tail;
        head.to_vec()
    }

    fn framed(&mut self) -> u32 {
        assert_eq!(self.0[0], 0, "magic byte");
        let id = u32::from_be_bytes([self.0[1], self.0[2], self.0[3], self.0[4]]);
        self.0 = &self.0[5..];
        id
    }
}

/// Decodes the sink's records with the schemas weir registered, checking their shape.
fn decode_sink(
    registry: &FaultRegistry,
    records: &Output,
) -> BTreeSet<(i64, String, String, i64, i64)> {
    let (key_id, key_schema) = registry.latest("PAID-key").expect("the sink's key schema");
    assert_eq!(key_schema, r#""long""#);
    let (value_id, value_schema) = registry
        .latest("PAID-value")
        .expect("the sink's value schema");
    let schema: serde_json::Value = serde_json::from_str(&value_schema).unwrap();
    assert_eq!(schema["name"], "KsqlDataSourceSchema");
    assert_eq!(schema["namespace"], "io.confluent.ksql.avro_schemas");
    let fields: Vec<(String, serde_json::Value)> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["type"].clone()))
        .collect();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["DOUBLED", "S", "PLACED", "PRICE"]);
    for (name, ty) in &fields {
        assert_eq!(ty[0], "null", "{name} is a nullable union");
    }
    assert_eq!(fields[2].1[1]["logicalType"], "timestamp-millis");
    assert_eq!(fields[3].1[1]["logicalType"], "decimal");
    assert_eq!(fields[3].1[1]["scale"], 2);
    records
        .iter()
        .map(|(key, value)| {
            let mut k = Cursor(key.as_deref().expect("a key"));
            assert_eq!(k.framed(), key_id);
            let id = k.long();
            let mut v = Cursor(value.as_deref().expect("a value"));
            assert_eq!(v.framed(), value_id);
            assert_eq!(v.long(), 1);
            let doubled = f64::from_le_bytes(v.0[..8].try_into().unwrap());
            v.0 = &v.0[8..];
            assert_eq!(v.long(), 1);
            let s = String::from_utf8(v.bytes()).unwrap();
            assert_eq!(v.long(), 1);
            let placed = v.long();
            assert_eq!(v.long(), 1);
            let unscaled = v.bytes();
            let mut wide = [if unscaled[0] & 0x80 != 0 { 0xff } else { 0 }; 8];
            wide[8 - unscaled.len()..].copy_from_slice(&unscaled);
            assert!(v.0.is_empty(), "nothing after the last field");
            (
                id,
                format!("{doubled:?}"),
                s,
                placed,
                i64::from_be_bytes(wide),
            )
        })
        .collect()
}

fn registry_config(
    broker: &TestBroker,
    state: &tempfile::TempDir,
    url: &str,
    extra: &str,
) -> String {
    config(
        broker,
        &state.path().display().to_string(),
        &format!(
            "startup_timeout = \"60s\"\n[errors]\nrestart_backoff_initial = \"200ms\"\n\
             restart_backoff_max = \"1s\"\n[schema_registry]\nurls = [\"{url}\"]\n{extra}"
        ),
    )
}

fn register_inputs(registry: &FaultRegistry) -> (u32, u32) {
    (
        registry.register("orders-key", r#""long""#),
        registry.register("orders-value", WRITER),
    )
}

#[test]
fn avro_source_to_avro_sink_with_basic_auth() {
    let broker = TestBroker::start();
    let registry = FaultRegistry::start();
    let (key_id, value_id) = register_inputs(&registry);
    registry.require_basic_auth("weir", "s3cret");
    let state = tempfile::tempdir().unwrap();
    let workspace = Workspace::new(
        &registry_config(
            &broker,
            &state,
            &registry.url(),
            "basic_auth_user_info = \"weir:s3cret\"",
        ),
        QUERIES,
    );
    let (_daemon, _addr) = start(&workspace);
    produce_all(&broker, &orders(key_id, value_id, 0, 30, false));
    let want = expected(0, 30);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    assert_eq!(decode_sink(&registry, &got), want);
}

#[test]
fn a_registry_down_mid_run_holds_new_ids_back_and_unknown_ids_go_to_the_processing_log() {
    let broker = TestBroker::start();
    let registry = FaultRegistry::start();
    let (key_id, value_id) = register_inputs(&registry);
    let state = tempfile::tempdir().unwrap();
    let workspace = Workspace::new(
        &registry_config(
            &broker,
            &state,
            &registry.url(),
            "unavailable_wait = \"300ms\"",
        ),
        QUERIES,
    );
    let (mut daemon, _addr) = start(&workspace);
    produce_all(&broker, &orders(key_id, value_id, 0, 12, false));
    let first = expected(0, 12);
    read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= first.len()
    });

    // A new writer schema that weir has not seen, then the registry fails.
    let v2 = registry.register("orders-value", WRITER_V2);
    registry.fail_with(503);
    let before = registry.requests();
    produce_all(&broker, &orders(key_id, v2, 12, 12, true));
    daemon.wait_for_line("waits for an unavailable service", Duration::from_secs(60));
    let asked = registry.requests();
    assert!(asked > before, "weir asked the registry for the new id");
    let sink = read_all_now(&broker, "PAID");
    let held: BTreeSet<_> = decode_sink_ids(&sink);
    assert!(!held.is_empty(), "the first batch is in the sink");
    assert!(
        held.iter().all(|id| *id < 12),
        "no record of the new schema passed: {held:?}"
    );

    registry.fail_with(0);
    let mut all = expected(0, 24);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        decode_sink(&registry, got).len() >= all.len()
    });
    assert_eq!(
        decode_sink(&registry, &got),
        all,
        "every record once the registry is back"
    );

    // An id the registry never gave out: the processing log, and the next records go on.
    let mut unknown = orders(key_id, 9999, 24, 1, false);
    unknown.extend(orders(key_id, value_id, 25, 6, false));
    produce_all(&broker, &unknown);
    all.extend(expected(25, 6));
    let log = read_until(
        &broker,
        "weir_processing_log",
        false,
        Duration::from_secs(60),
        |got| !got.is_empty(),
    );
    let entry: serde_json::Value = serde_json::from_slice(log[0].1.as_deref().unwrap()).unwrap();
    assert_eq!(entry["kind"], "DESERIALIZATION_ERROR");
    assert!(
        entry["error"].as_str().unwrap().contains("schema id 9999"),
        "{entry}"
    );
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        decode_sink(&registry, got).len() >= all.len()
    });
    assert_eq!(decode_sink(&registry, &got), all);
    let log = read_all_now(&broker, "weir_processing_log");
    assert_eq!(
        log.len(),
        1,
        "only the unknown id was logged: {}",
        daemon.log()
    );
}

/// Every record `topic` holds now: as many as its partitions' watermarks count.
fn read_all_now(broker: &TestBroker, topic: &str) -> Output {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = broker.client_config().create().expect("a consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata
        .topics()
        .first()
        .map_or(0, |t| t.partitions().len());
    let total: i64 = (0..partitions as i32)
        .map(|p| {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .expect("watermarks");
            high - low
        })
        .sum();
    read_until(broker, topic, false, Duration::from_secs(30), |got| {
        got.len() as i64 >= total
    })
}

fn decode_sink_ids(records: &Output) -> BTreeSet<i64> {
    records
        .iter()
        .map(|(key, _)| {
            let mut k = Cursor(key.as_deref().expect("a key"));
            k.framed();
            k.long()
        })
        .collect()
}

#[test]
fn a_registry_down_at_startup_is_waited_for() {
    let broker = TestBroker::start();
    let address = free_address();
    let state = tempfile::tempdir().unwrap();
    let workspace = Workspace::new(
        &registry_config(&broker, &state, &format!("http://{address}"), ""),
        QUERIES,
    );
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    daemon.wait_for_line("Schema Registry not reachable yet", Duration::from_secs(60));
    let registry = FaultRegistry::start_on(address);
    let (key_id, value_id) = register_inputs(&registry);
    let addr = daemon.http_addr();
    e2e::wait_ready(addr, Duration::from_secs(60));
    produce_all(&broker, &orders(key_id, value_id, 0, 9, false));
    let want = expected(0, 9);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    assert_eq!(decode_sink(&registry, &got), want);
}

#[test]
fn a_registry_that_never_answers_or_refuses_credentials_stops_startup_with_a_clear_error() {
    let broker = TestBroker::shared();
    let state = tempfile::tempdir().unwrap();
    let nowhere = format!("http://{}", free_address());
    let workspace = Workspace::new(
        &registry_config(broker, &state, &nowhere, "").replace("\"60s\"", "\"2s\""),
        QUERIES,
    );
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    let status = daemon
        .wait_exit(Duration::from_secs(60))
        .expect("weir gives up");
    assert_eq!(status.code(), Some(1));
    let log = daemon.log();
    assert!(log.contains("gave up after startup_timeout"), "{log}");
    assert!(log.contains(&nowhere), "{log}");

    let registry = FaultRegistry::start();
    registry.require_basic_auth("weir", "right");
    let workspace = Workspace::new(
        &registry_config(
            broker,
            &state,
            &registry.url(),
            "basic_auth_user_info = \"weir:wrong\"",
        ),
        QUERIES,
    );
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    let status = daemon
        .wait_exit(Duration::from_secs(60))
        .expect("weir stops");
    assert_eq!(status.code(), Some(1));
    let log = daemon.log();
    assert!(log.contains("HTTP 401"), "{log}");
    assert!(log.contains("basic_auth_user_info"), "{log}");
}

#[test]
fn check_refuses_registry_formats_without_a_registry() {
    let broker = TestBroker::shared();
    let state = tempfile::tempdir().unwrap();
    let workspace = Workspace::new(
        &config(broker, &state.path().display().to_string(), ""),
        QUERIES,
    );
    let (code, _, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "the statement that creates ORDERS: Cannot create topic 'orders' with format AVRO \
             without configuring 'schema_registry.urls'"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("the sink PAID of query CSAS_PAID"),
        "{stderr}"
    );
}

#[test]
fn columns_left_out_are_inferred_from_the_registry_at_run() {
    let broker = TestBroker::start();
    let registry = FaultRegistry::start();
    let (key_id, value_id) = register_inputs(&registry);
    let state = tempfile::tempdir().unwrap();
    let queries = "
CREATE STREAM ORDERS WITH (KAFKA_TOPIC='orders', FORMAT='AVRO', PARTITIONS=2);
CREATE STREAM PAID AS
  SELECT ROWKEY, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S, PLACED, PRICE
  FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";
    let workspace = Workspace::new(
        &registry_config(&broker, &state, &registry.url(), ""),
        queries,
    );
    let (_daemon, _addr) = start(&workspace);
    let lock = std::fs::read_to_string(workspace.path("app.sql.lock")).unwrap();
    assert!(lock.contains("CSAS_PAID"), "{lock}");
    produce_all(&broker, &orders(key_id, value_id, 0, 15, false));
    let want = expected(0, 15);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    assert_eq!(decode_sink(&registry, &got), want);

    // Without the registry, `weir check` says it could not ask it.
    drop(registry);
    let (code, _, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("come from Schema Registry, which did not answer"),
        "{stderr}"
    );
}
