//! Round trips through Confluent's own Python serializers (`tests/support/py/sr_roundtrip.py`),
//! rivven-schema and the test broker: Python produces keyed records, `weir run` copies them
//! with `CREATE STREAM … AS SELECT * FROM …` (columns inferred from the registry), and Python's
//! deserializers read weir's output back. What Python read must equal what it wrote, compared
//! on the script's own normalised print of both, so no expected value is written here.
//! Keys are a primitive (PROTOBUF: a one-field message) and a record.

mod e2e;
mod harness;
mod support;

use e2e::{config, start};
use harness::Workspace;
use support::registry::TestRegistry;
use support::{TestBroker, python};

/// Records per topic.
const COUNT: usize = 12;

/// Runs `sr_roundtrip.py` with `args`; returns its stdout lines, sorted.
fn script(args: &[&str]) -> Vec<String> {
    let output = python::script("sr_roundtrip.py", args)
        .output()
        .expect("run sr_roundtrip.py");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "sr_roundtrip.py {args:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// Produces with Python to a primitive-keyed and a record-keyed topic, runs weir's copies of
/// both, and checks what Python reads back from each sink.
fn round_trip(format: &str) {
    let broker = TestBroker::start();
    let registry = TestRegistry::start();
    let count = COUNT.to_string();
    let mut produced = Vec::new();
    for kind in ["primitive", "record"] {
        let topic = format!("in_{kind}");
        broker.create_topic(&topic, 1);
        let lines = script(&[
            "produce",
            format,
            broker.bootstrap(),
            registry.url(),
            &topic,
            kind,
            &count,
        ]);
        assert_eq!(lines.len(), COUNT, "{lines:?}");
        // Every record carries the nested record, the collections and the logical types.
        for field in ["\"inner\"", "\"counts\"", "\"dec\"", "\"day\"", "\"ts\""] {
            assert!(
                lines.iter().all(|l| l.contains(field)),
                "{field}: {lines:?}"
            );
        }
        produced.push(lines);
    }
    let upper = format.to_uppercase();
    let queries = format!(
        "
CREATE STREAM P1 WITH (KAFKA_TOPIC='in_primitive', FORMAT='{upper}');
CREATE STREAM P2 AS SELECT * FROM P1;
CREATE STREAM R1 WITH (KAFKA_TOPIC='in_record', FORMAT='{upper}');
CREATE STREAM R2 AS SELECT * FROM R1;
"
    );
    let state = tempfile::tempdir().unwrap();
    let settings = format!(
        "startup_timeout = \"60s\"\n[schema_registry]\nurls = [\"{}\"]\n",
        registry.url()
    );
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), &settings),
        &queries,
    );
    let (_daemon, _addr) = start(&workspace);
    for ((sink, kind), wrote) in [("P2", "primitive"), ("R2", "record")]
        .iter()
        .zip(&produced)
    {
        broker.wait_for_topic(sink, 1);
        let read = script(&[
            "consume",
            format,
            broker.bootstrap(),
            registry.url(),
            sink,
            kind,
            &count,
        ]);
        assert_eq!(
            &read, wrote,
            "{format} {sink}: what Python read back from weir"
        );
    }
}

#[test]
fn protobuf_keys_and_values_round_trip_through_confluents_python_serializers() {
    round_trip("protobuf");
}

#[test]
fn avro_keys_and_values_round_trip_through_confluents_python_serializers() {
    round_trip("avro");
}
