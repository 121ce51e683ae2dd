//! JSON_SR interop with Confluent's own Python serializers, through rivven-schema and the test
//! broker: Python's JSONSerializer writes keyed records (a string key; a value object with an
//! integer, a number, a string, a boolean, an array and a nested object) and registers their
//! schemas; `weir run` copies them with `CREATE STREAM … AS SELECT *` from a source whose
//! columns are inferred from the registry and from one that declares them; Python's
//! JSONDeserializer reads both sinks back (fetching weir's registered schemas by the ids in
//! the frames, and validating each payload against them). What Python reads must equal what
//! the test gave Python to write: exactly for the declared source (its column names quoted in
//! the producer's case), and with member names upper-cased for the inferred one, as ksqlDB
//! names inferred columns.

mod e2e;
mod harness;
mod support;

use std::io::Write;
use std::process::Stdio;

use e2e::{config, start};
use harness::Workspace;
use serde_json::{Value, json};
use support::{TestBroker, TestRegistry, python};

const TOPIC: &str = "interop_json";
const RECORDS: i64 = 20;

const KEY_SCHEMA: &str = r#"{"type":"string"}"#;
const VALUE_SCHEMA: &str = r#"{"type":"object","properties":{
  "qty":{"type":"integer"},"ratio":{"type":"number"},"label":{"type":"string"},
  "flag":{"type":"boolean"},"tags":{"type":"array","items":{"type":"integer"}},
  "place":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"integer"}}}}}"#;

const QUERIES: &str = "
CREATE STREAM S1 WITH (KAFKA_TOPIC='interop_json', FORMAT='JSON_SR');
CREATE STREAM S2 AS SELECT * FROM S1;
CREATE STREAM S1D (`k` STRING KEY, `qty` BIGINT, `ratio` DOUBLE, `label` STRING,
                   `flag` BOOLEAN, `tags` ARRAY<BIGINT>,
                   `place` STRUCT<`city` STRING, `zip` BIGINT>)
  WITH (KAFKA_TOPIC='interop_json', FORMAT='JSON_SR');
CREATE STREAM S2D AS SELECT * FROM S1D;
";

/// The record Python writes as number `i`: `{"key": …, "value": …}`.
fn record(i: i64) -> Value {
    json!({
        "key": format!("k{i}"),
        "value": {
            "qty": i * 7 - 30,
            "ratio": i as f64 / 8.0 + 0.1,
            "label": format!("name {i} \u{fc} \"q\" \\"),
            "flag": i % 2 == 0,
            "tags": [i, i * i, -1],
            "place": {"city": format!("c{i}"), "zip": 10_000 + i},
        },
    })
}

/// `value` with every object member name upper-cased: ksqlDB upper-cases the column and
/// field names it infers from a registered schema (`c1` becomes `C1`), so a sink of an
/// inferred source writes them so.
fn upper_cased(value: &Value) -> Value {
    match value {
        Value::Object(members) => members
            .iter()
            .map(|(name, v)| (name.to_uppercase(), upper_cased(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Array(items) => items.iter().map(upper_cased).collect(),
        other => other.clone(),
    }
}

fn sorted(mut records: Vec<Value>) -> Vec<Value> {
    records.sort_by_key(|r| r["key"].to_string());
    records
}

fn produce(broker: &TestBroker, registry: &TestRegistry, records: &[Value]) {
    let mut child = python::script(
        "sr_json_roundtrip.py",
        &[
            "produce",
            broker.bootstrap(),
            registry.url(),
            TOPIC,
            KEY_SCHEMA,
            VALUE_SCHEMA,
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("python3 runs");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for r in records {
            writeln!(stdin, "{r}").expect("write a record to python");
        }
    }
    let output = child.wait_with_output().expect("the producer ends");
    assert!(
        output.status.success(),
        "the Python producer failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn consume(broker: &TestBroker, registry: &TestRegistry, topic: &str) -> Vec<Value> {
    let count = RECORDS.to_string();
    let output = python::script(
        "sr_json_roundtrip.py",
        &[
            "consume",
            broker.bootstrap(),
            registry.url(),
            topic,
            &count,
            "90",
        ],
    )
    .output()
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the Python consumer of {topic} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn confluent_json_serializer_records_round_trip_through_weir() {
    let broker = TestBroker::start();
    let registry = TestRegistry::start();
    let records: Vec<Value> = (0..RECORDS).map(record).collect();
    produce(&broker, &registry, &records);

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
    let (mut daemon, _addr) = start(&workspace);
    let inferred: Vec<Value> = records
        .iter()
        .map(|r| json!({"key": r["key"], "value": upper_cased(&r["value"])}))
        .collect();
    for (sink, want) in [("S2", sorted(inferred)), ("S2D", sorted(records))] {
        let got = sorted(consume(&broker, &registry, sink));
        assert_eq!(got, want, "{sink} as Python reads it\n{}", daemon.log());
    }
}
