//! JSON_SR end to end on parts written by others: `weir run` against the test broker and
//! rivven-schema (`support::TestRegistry`). Input keys and values are framed here by hand
//! (byte 0, a schema id rivven gave out, then JSON whose member names differ in case from the
//! columns); the sink's records are read here against what rivven holds under the sink's
//! subjects: the ids in the frames, and the schema shape ksqlDB registers. A record without
//! the frame goes to the processing log and the records after it go on; `weir check` accepts
//! the file. With the fault-injecting registry: a registry down when the sink first writes
//! holds the records back without logging or losing any.

mod e2e;
mod harness;
mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use e2e::{Input, Output, config, produce_all, read_until, start};
use harness::Workspace;
use support::{FaultRegistry, TestBroker, TestRegistry};

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, STATUS STRING, AMOUNT DOUBLE, PRICE DECIMAL(8, 2),
                      TAGS ARRAY<STRING>)
  WITH (KAFKA_TOPIC='orders', FORMAT='JSON_SR', PARTITIONS=2);
CREATE STREAM PAID AS
  SELECT ID, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S, PRICE, TAGS
  FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";

/// The producer's schemas: plain JSON Schema, as a non-Connect producer registers it.
const KEY_SCHEMA: &str = r#"{"type":"integer"}"#;
const VALUE_SCHEMA: &str = r#"{"type":"object","properties":{"status":{"type":"string"},
  "amount":{"type":"number"},"price":{"type":"number"},
  "tags":{"type":"array","items":{"type":"string"}}}}"#;

fn framed(id: i64, json: &str) -> Vec<u8> {
    let mut out = vec![0];
    out.extend(u32::try_from(id).expect("a 4-byte id").to_be_bytes());
    out.extend(json.as_bytes());
    out
}

/// Order `i`: (status, amount, price in cents).
fn order(i: i64) -> (&'static str, f64, i64) {
    let status = if i % 3 == 0 { "open" } else { "paid" };
    (status, i as f64 + 0.25, 1000 * i + 7)
}

fn orders(key_id: i64, value_id: i64, from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| {
            let (status, amount, cents) = order(i);
            let value = format!(
                r#"{{"status":"{status}","amount":{amount:?},"price":{}.{:02},"tags":["t{i}",null]}}"#,
                cents / 100,
                cents % 100
            );
            Input {
                topic: "orders".into(),
                key: framed(key_id, &i.to_string()),
                value: Some(framed(value_id, &value)),
                timestamp: 1_700_000_000_000 + i,
            }
        })
        .collect()
}

/// The sink rows the inputs `from..from + count` must give, as JSON values.
fn expected(from: i64, count: i64) -> BTreeSet<(i64, String)> {
    (from..from + count)
        .filter_map(|i| {
            let (status, amount, cents) = order(i);
            let value = serde_json::json!({
                "DOUBLED": amount * 2.0,
                "S": status.to_uppercase(),
                "PRICE": format!("{}.{:02}", cents / 100, cents % 100).parse::<f64>().unwrap(),
                "TAGS": [format!("t{i}"), null],
            });
            (status == "paid").then(|| (i, normalize(&value)))
        })
        .collect()
}

/// The id and schema text rivven holds as the latest version of `subject`.
fn latest(registry: &TestRegistry, subject: &str) -> (u32, serde_json::Value) {
    let answer = registry.json("GET", &format!("/subjects/{subject}/versions/latest"), None);
    assert_eq!(answer["schemaType"], "JSON", "{subject}: {answer}");
    let text = answer["schema"].as_str().expect("schema text");
    let id = answer["id"].as_u64().expect("an id");
    (
        id as u32,
        serde_json::from_str(text).expect("JSON schema text"),
    )
}

fn unframe(bytes: &[u8], id: u32) -> serde_json::Value {
    assert_eq!(bytes[0], 0, "magic byte");
    assert_eq!(u32::from_be_bytes(bytes[1..5].try_into().unwrap()), id);
    serde_json::from_slice(&bytes[5..]).expect("JSON after the frame")
}

/// Reads the sink's records against the schemas weir registered in rivven.
fn decode_sink(registry: &TestRegistry, records: &Output) -> BTreeSet<(i64, String)> {
    decode_with(|subject| latest(registry, subject), records)
}

/// Reads the sink's records against the schemas `latest` gives for the sink's subjects.
fn decode_with(
    latest: impl Fn(&str) -> (u32, serde_json::Value),
    records: &Output,
) -> BTreeSet<(i64, String)> {
    let (key_id, key_schema) = latest("PAID-key");
    assert_eq!(
        key_schema,
        serde_json::json!({"oneOf": [{"type": "null"},
            {"type": "integer", "connect.type": "int64"}]})
    );
    let (value_id, value_schema) = latest("PAID-value");
    assert_eq!(value_schema["type"], "object");
    let properties = value_schema["properties"].as_object().expect("properties");
    for (index, name) in ["DOUBLED", "S", "PRICE", "TAGS"].iter().enumerate() {
        assert_eq!(properties[*name]["connect.index"], index, "{name}");
        assert_eq!(properties[*name]["oneOf"][0]["type"], "null", "{name}");
    }
    let price = &properties["PRICE"]["oneOf"][1];
    assert_eq!(price["title"], "org.apache.kafka.connect.data.Decimal");
    assert_eq!(price["connect.parameters"]["scale"], "2");
    records
        .iter()
        .map(|(key, value)| {
            let key = unframe(key.as_deref().expect("a key"), key_id);
            let value = unframe(value.as_deref().expect("a value"), value_id);
            (key.as_i64().expect("a BIGINT key"), normalize(&value))
        })
        .collect()
}

/// `value` with every number as an f64, so `8.00` and `8.0` compare equal.
fn normalize(value: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Number(n) => serde_json::json!(n.as_f64()),
            serde_json::Value::Array(items) => items.iter().map(walk).collect(),
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), walk(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => other.clone(),
        }
    }
    walk(value).to_string()
}

#[test]
fn json_sr_source_to_json_sr_sink_on_rivven() {
    let broker = TestBroker::start();
    let registry = TestRegistry::start();
    let key_id = registry.register("orders-key", "JSON", KEY_SCHEMA, "[]");
    let value_id = registry.register("orders-value", "JSON", VALUE_SCHEMA, "[]");
    let state = tempfile::tempdir().unwrap();
    let workspace = Workspace::new(
        &config(
            &broker,
            &state.path().display().to_string(),
            &format!(
                "startup_timeout = \"60s\"\n[schema_registry]\nurls = [\"{}\"]\n",
                registry.url()
            ),
        ),
        QUERIES,
    );
    let (code, _, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 0, "weir check accepts JSON_SR: {stderr}");
    let (mut daemon, _addr) = start(&workspace);
    let mut inputs = orders(key_id, value_id, 0, 20);
    // An unframed value (plain JSON) between framed ones: refused, as ksqlDB refuses it.
    inputs.insert(
        10,
        Input {
            topic: "orders".into(),
            key: framed(key_id, "1000"),
            value: Some(br#"{"status":"paid","amount":1.0}"#.to_vec()),
            timestamp: 1_700_000_000_000,
        },
    );
    produce_all(&broker, &inputs);
    let want = expected(0, 20);
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    assert_eq!(decode_sink(&registry, &got), want, "{}", daemon.log());
    let log = read_until(
        &broker,
        "weir_processing_log",
        false,
        Duration::from_secs(60),
        |got| !got.is_empty(),
    );
    assert_eq!(log.len(), 1, "{}", daemon.log());
    let entry: serde_json::Value = serde_json::from_slice(log[0].1.as_deref().unwrap()).unwrap();
    assert_eq!(entry["kind"], "DESERIALIZATION_ERROR");
    assert!(
        entry["error"].as_str().unwrap().contains("magic byte"),
        "{entry}"
    );
}

/// The sink's first write finds the registry down: the records wait (the thread restarts and
/// reads them again), none reaches the processing log, and all come out once it is back.
/// Reading never asks the registry, so the input ids are ids it never gave out.
#[test]
fn a_registry_down_at_the_sinks_first_write_holds_records_back() {
    let broker = TestBroker::start();
    let registry = FaultRegistry::start();
    let state = tempfile::tempdir().unwrap();
    let workspace = Workspace::new(
        &config(
            &broker,
            &state.path().display().to_string(),
            &format!(
                "startup_timeout = \"60s\"\n[errors]\nrestart_backoff_initial = \"200ms\"\n\
                 restart_backoff_max = \"1s\"\n[schema_registry]\nurls = [\"{}\"]\n\
                 unavailable_wait = \"300ms\"\n",
                registry.url()
            ),
        ),
        QUERIES,
    );
    let (mut daemon, _addr) = start(&workspace);
    registry.fail_with(503);
    produce_all(&broker, &orders(4000, 4001, 0, 12));
    daemon.wait_for_line("waits for an unavailable service", Duration::from_secs(60));
    registry.fail_with(0);
    let want = expected(0, 12);
    let latest = |subject: &str| {
        let (id, text) = registry.latest(subject).expect("the sink's schema");
        (id, serde_json::from_str(&text).expect("JSON schema text"))
    };
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= want.len()
    });
    assert_eq!(decode_with(latest, &got), want, "{}", daemon.log());
    assert_eq!(got.len(), want.len(), "no record twice");
    let quiet_until = Instant::now() + Duration::from_secs(2);
    let log = read_until(
        &broker,
        "weir_processing_log",
        false,
        Duration::from_secs(30),
        |got| !got.is_empty() || Instant::now() >= quiet_until,
    );
    assert!(log.is_empty(), "nothing logged: {}", daemon.log());
}
