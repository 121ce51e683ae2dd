//! End-to-end tests of the builder: SQL planned, built into a topology, run on the driver.

use std::sync::Arc;

use crate::driver::Driver;
use crate::ops::build;
use crate::plan::plan_file;

type Outputs = Vec<(Option<String>, Option<String>)>;

fn run(sql: &str, inputs: &[(Option<&str>, Option<&str>)]) -> Outputs {
    run_logged(sql, inputs).0
}

/// [`run`], also returning the processing log's messages.
fn run_logged(sql: &str, inputs: &[(Option<&str>, Option<&str>)]) -> (Outputs, Vec<String>) {
    let planned = plan_file(sql, "svc").expect("plans");
    let mut driver = Driver::new();
    driver.create_topic("in", 1);
    for query in &planned.queries {
        driver
            .register(&query.id, Arc::new(build(query).expect("builds")))
            .expect("registers");
    }
    for (key, value) in inputs {
        driver
            .pipe(
                "in",
                key.map(str::as_bytes),
                value.map(str::as_bytes),
                Some(1),
                &[],
            )
            .expect("pipes");
    }
    let text = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
    let outputs = driver
        .output("OUT")
        .iter()
        .map(|r| (text(&r.key), text(&r.value)))
        .collect();
    let log = driver
        .processing_log()
        .iter()
        .map(|e| e.message.clone())
        .collect();
    (outputs, log)
}

#[test]
fn filter_and_project_through_json() {
    let out = run(
        "CREATE STREAM S (K STRING KEY, A INT, B STRING) WITH (kafka_topic='in', format='JSON');
         CREATE STREAM OUT AS SELECT K, A * 2 AS D, UCASE(B) AS U FROM S WHERE A > 1;",
        &[
            (Some("\"x\""), Some(r#"{"A": 1, "B": "no"}"#)),
            (Some("\"y\""), Some(r#"{"A": 2, "B": "yes"}"#)),
            (None, Some(r#"{"A": 3, "B": null}"#)),
        ],
    );
    assert_eq!(
        out,
        vec![
            (Some("\"y\"".into()), Some(r#"{"D":4,"U":"YES"}"#.into())),
            (None, Some(r#"{"D":6,"U":null}"#.into())),
        ]
    );
}

#[test]
fn partition_by_rekeys_through_a_repartition_topic() {
    let out = run(
        "CREATE STREAM S (K STRING KEY, A INT, B STRING) WITH (kafka_topic='in', format='JSON');
         CREATE STREAM OUT AS SELECT B, K, A FROM S PARTITION BY B;",
        &[(Some("\"x\""), Some(r#"{"A": 1, "B": "b"}"#))],
    );
    assert_eq!(
        out,
        vec![(Some("\"b\"".into()), Some(r#"{"K":"x","A":1}"#.into()))]
    );
}

#[test]
fn group_by_declares_its_store_and_repartition() {
    let planned = plan_file(
        "CREATE STREAM S (K STRING KEY, A INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT A, COUNT(*) AS C FROM S GROUP BY A;",
        "svc",
    )
    .expect("plans");
    let built = build(&planned.queries[0]).expect("builds");
    let spec = crate::topology::TopologyFactory::spec(&built);
    assert_eq!(spec.sub_topologies.len(), 2);
    assert_eq!(spec.repartition_topics.len(), 1);
    let store = &spec.sub_topologies[1].stores[0];
    assert_eq!(store.name, "Aggregate-Aggregate-Materialize");
    assert_eq!(store.kind, crate::state::StoreKind::KeyValue);
    assert_eq!(
        store.changelog.as_deref(),
        Some("_weir-svc-CTAS_OUT-Aggregate-Aggregate-Materialize-changelog")
    );
}

#[test]
fn stream_aggregate_counts_and_sums_per_group() {
    let out = run(
        "CREATE STREAM S (K STRING KEY, A INT, B STRING) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT B, COUNT(*) AS C, SUM(A) AS S FROM S GROUP BY B;",
        &[
            (Some("\"x\""), Some(r#"{"A": 1, "B": "b"}"#)),
            (Some("\"y\""), Some(r#"{"A": 2, "B": "c"}"#)),
            (Some("\"z\""), Some(r#"{"A": 3, "B": "b"}"#)),
            (None, Some(r#"{"A": 3, "B": null}"#)),
        ],
    );
    assert_eq!(
        out,
        vec![
            (Some("\"b\"".into()), Some(r#"{"C":1,"S":1}"#.into())),
            (Some("\"c\"".into()), Some(r#"{"C":1,"S":2}"#.into())),
            (Some("\"b\"".into()), Some(r#"{"C":2,"S":4}"#.into())),
        ]
    );
}

#[test]
fn table_aggregate_undoes_the_previous_row_and_having_tombstones() {
    let out = run(
        "CREATE TABLE T (K STRING PRIMARY KEY, A INT, B STRING) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT B, SUM(A) AS S FROM T GROUP BY B HAVING SUM(A) > 1;",
        &[
            (Some("\"x\""), Some(r#"{"A": 2, "B": "b"}"#)),
            (Some("\"x\""), Some(r#"{"A": 1, "B": "b"}"#)),
            (Some("\"y\""), Some(r#"{"A": 5, "B": "b"}"#)),
            (Some("\"y\""), None),
        ],
    );
    assert_eq!(
        out,
        vec![
            (Some("\"b\"".into()), Some(r#"{"S":2}"#.into())),
            // undo of x=2 leaves 0: the group stops matching
            (Some("\"b\"".into()), None),
            (Some("\"b\"".into()), Some(r#"{"S":6}"#.into())),
            (Some("\"b\"".into()), None),
        ]
    );
}

#[test]
fn a_failed_function_call_is_null_in_the_output_and_logged() {
    let sql = "CREATE STREAM S (K STRING KEY, D STRING) WITH (kafka_topic='in', format='JSON');
         CREATE STREAM OUT AS SELECT K, STRINGTODATE(D, 'yyyy-MM-dd') AS DAY FROM S;";
    let planned = plan_file(sql, "svc").expect("plans");
    let mut driver = Driver::new();
    driver.create_topic("in", 1);
    let query = &planned.queries[0];
    driver
        .register(&query.id, Arc::new(build(query).expect("builds")))
        .expect("registers");
    for value in [r#"{"D": "2024-02-29"}"#, r#"{"D": "not a date"}"#] {
        driver
            .pipe("in", Some(b"\"k\""), Some(value.as_bytes()), Some(1), &[])
            .expect("pipes");
    }
    let values: Vec<String> = driver
        .output("OUT")
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned())
        .collect();
    assert_eq!(values, vec![r#"{"DAY":19782}"#, r#"{"DAY":null}"#]);
    let log = driver.processing_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].message.contains("column DAY") && log[0].message.contains("evaluated to NULL"),
        "{}",
        log[0].message
    );
}

#[test]
fn a_failed_function_call_in_where_drops_the_row_and_is_logged() {
    let (out, log) = run_logged(
        "CREATE STREAM S (K STRING KEY, D STRING) WITH (kafka_topic='in', format='JSON');
         CREATE STREAM OUT AS SELECT K, D FROM S
           WHERE STRINGTODATE(D, 'yyyy-MM-dd') > 0;",
        &[
            (Some("\"a\""), Some(r#"{"D": "2024-02-29"}"#)),
            (Some("\"b\""), Some(r#"{"D": "not a date"}"#)),
        ],
    );
    assert_eq!(
        out,
        vec![(Some("\"a\"".into()), Some(r#"{"D":"2024-02-29"}"#.into()))]
    );
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].contains("Error evaluating predicate"), "{}", log[0]);
}
