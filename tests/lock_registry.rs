//! The lock pins the Schema Registry schemas that sources declared without columns take their
//! columns from: `weir lock` records each one's fingerprint, a schema registered anew under
//! the subject shows up in `weir plan`, and `weir check` and `weir run` refuse it (exit 2)
//! until `weir lock` accepts it. Against rivven-schema, a registry weir did not write; no
//! broker is needed, since all of this happens before weir connects to Kafka.

mod harness;
mod support;

use harness::Workspace;
use support::registry::TestRegistry;

const QUERIES: &str = "
CREATE STREAM ORDERS WITH (KAFKA_TOPIC='orders', FORMAT='AVRO');
CREATE STREAM PAID AS SELECT * FROM ORDERS WHERE STATUS = 'paid' EMIT CHANGES;
";

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"status","type":"string"},{"name":"amount","type":"double"}]}"#;

/// V1 with one more optional field: compatible, so the registry takes it as version 2.
const ORDER_V2: &str = r#"{"type":"record","name":"Order","fields":[
  {"name":"status","type":"string"},{"name":"amount","type":"double"},
  {"name":"note","type":["null","string"],"default":null}]}"#;

fn workspace(registry_url: &str) -> Workspace {
    // Nothing listens on the discard port: a command that reached Kafka would fail there.
    Workspace::new(
        &format!(
            "queries = \"app.sql\"\nstate_dir = \"state\"\n[kafka]\n\
             \"bootstrap.servers\" = \"127.0.0.1:9\"\n[schema_registry]\nurls = [\"{registry_url}\"]\n"
        ),
        QUERIES,
    )
}

#[test]
fn a_schema_registered_anew_is_drift_until_locked() {
    let registry = TestRegistry::start();
    registry.register("orders-value", "AVRO", ORDER_V1, "[]");
    let workspace = workspace(registry.url());

    let (code, stdout, stderr) = workspace.output(&["lock"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lock = std::fs::read_to_string(workspace.path("app.sql.lock")).unwrap();
    assert!(lock.contains("[[query.registry_schema]]"), "{lock}");
    assert!(lock.contains("source = \"ORDERS\""), "{lock}");
    assert!(lock.contains("side = \"value\""), "{lock}");
    let (code, stdout, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    registry.register("orders-value", "AVRO", ORDER_V2, "[]");
    let (code, stdout, stderr) = workspace.output(&["plan"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("~ CSAS_PAID (changed: plan, registered schema)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the schema registered for ORDERS value is not the one locked"),
        "{stdout}"
    );
    for command in ["check", "run"] {
        let (code, stdout, stderr) = workspace.output(&[command]);
        assert_eq!(code, 2, "weir {command}: {stdout}{stderr}");
        assert!(
            stderr.contains("the queries file and its lock disagree (changed: CSAS_PAID)"),
            "weir {command}: {stderr}"
        );
    }

    let (code, stdout, stderr) = workspace.output(&["lock"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("registered schema"), "{stdout}");
    let (code, stdout, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn an_unreachable_registry_is_named_by_check_lock_and_plan() {
    let registry = TestRegistry::start();
    registry.register("orders-value", "AVRO", ORDER_V1, "[]");
    let workspace = workspace(registry.url());
    drop(registry);
    for command in ["check", "lock", "plan"] {
        let (code, stdout, stderr) = workspace.output(&[command]);
        assert_eq!(code, 2, "weir {command}: {stdout}{stderr}");
        assert!(
            stderr.contains("come from Schema Registry, which did not answer"),
            "weir {command}: {stderr}"
        );
    }
    assert!(
        !workspace.path("app.sql.lock").exists(),
        "no lock is written without the schemas"
    );
}
