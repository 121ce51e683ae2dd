//! Restore of the SQL aggregation operators: a query planned from SQL and built by
//! [`crate::ops::build`] is stopped mid-stream, restarted from its changelog topics, and must
//! give exactly the outputs (and late drops) of an uninterrupted run.

use std::sync::Arc;

use crate::driver::Driver;
use crate::plan::plan_file;

type Output = (Option<Vec<u8>>, Option<Vec<u8>>, i64);

/// Runs `sql` over `inputs` (key, JSON value, timestamp), restarting before the inputs whose
/// index is in `restarts`; returns the outputs of topic `OUT` and the late-drop count.
fn run(sql: &str, inputs: &[(&str, Option<&str>, i64)], restarts: &[usize]) -> (Vec<Output>, u64) {
    let planned = plan_file(sql, "svc").expect("plans");
    let mut driver = Driver::new();
    driver.create_topic("in", 2);
    for query in &planned.queries {
        let built = crate::ops::build(query).expect("builds");
        driver
            .register(&query.id, Arc::new(built))
            .expect("registers");
    }
    for (i, (key, value, ts)) in inputs.iter().enumerate() {
        if restarts.contains(&i) {
            driver.restart().expect("restarts");
        }
        let key = format!("\"{key}\"");
        driver
            .pipe(
                "in",
                Some(key.as_bytes()),
                value.map(str::as_bytes),
                Some(*ts),
                &[],
            )
            .expect("pipes");
    }
    let outputs = driver
        .output("OUT")
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), r.timestamp))
        .collect();
    (outputs, driver.late_dropped())
}

fn inputs() -> Vec<(&'static str, Option<&'static str>, i64)> {
    vec![
        ("a", Some(r#"{"G": "x", "V": 1}"#), 1_000),
        ("b", Some(r#"{"G": "y", "V": 2}"#), 2_000),
        ("c", Some(r#"{"G": "x", "V": 3}"#), 6_000),
        ("a", Some(r#"{"G": "x", "V": 4}"#), 12_000),
        ("b", Some(r#"{"G": "x", "V": 5}"#), 3_000), // late for [0, 10) after grace 2s
        ("c", Some(r#"{"G": "x", "V": 6}"#), 11_000), // out of order, within grace
        ("a", None, 13_000),
        ("b", Some(r#"{"G": "x", "V": 7}"#), 25_000),
        ("c", Some(r#"{"G": "y", "V": 8}"#), 26_000),
    ]
}

/// Returns the uninterrupted run's late-drop count.
fn assert_restore_matches(sql: &str) -> u64 {
    let straight = run(sql, &inputs(), &[]);
    assert!(!straight.0.is_empty(), "the query emits something");
    for restarts in [vec![3], vec![4, 5], vec![1, 6, 8]] {
        // Late drops are counted per task instance (a metric), so only outputs must match.
        let restarted = run(sql, &inputs(), &restarts);
        assert_eq!(
            restarted.0, straight.0,
            "restarting before inputs {restarts:?}"
        );
    }
    straight.1
}

#[test]
fn hopping_aggregation_through_a_repartition_restores_mid_stream() {
    let late = assert_restore_matches(
        "CREATE STREAM S (K STRING KEY, G STRING, V INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT G, COUNT(*) AS C, SUM(V) AS T FROM S
           WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, GRACE PERIOD 2 SECONDS)
           GROUP BY G;",
    );
    // The record at 3s falls in [0, 10) (closed at 12s) and [-5, 5) (never opened).
    assert_eq!(late, 1);
}

#[test]
fn session_and_emit_final_aggregations_restore_mid_stream() {
    let _ = assert_restore_matches(
        "CREATE STREAM S (K STRING KEY, G STRING, V INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT G, COLLECT_LIST(V) AS L FROM S
           WINDOW SESSION (5 SECONDS, GRACE PERIOD 2 SECONDS) GROUP BY G;",
    );
    let _ = assert_restore_matches(
        "CREATE STREAM S (K STRING KEY, G STRING, V INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT G, MAX(V) AS M FROM S
           WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 SECOND) GROUP BY G EMIT FINAL;",
    );
}

#[test]
fn table_aggregation_restores_its_previous_rows() {
    let _ = assert_restore_matches(
        "CREATE TABLE T (K STRING PRIMARY KEY, G STRING, V INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT G, SUM(V) AS T, COUNT(*) AS C FROM T GROUP BY G HAVING COUNT(*) > 1;",
    );
}
