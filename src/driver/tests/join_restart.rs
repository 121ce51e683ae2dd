//! Joins across restarts: queries planned from SQL and built by the operator layer, stopped
//! before every input in turn and restored from their changelogs, give the outputs of an
//! uninterrupted run (stream-stream with grace and its outer store, table-table, stream-table).

use std::sync::Arc;

use crate::driver::Driver;
use crate::plan::{PlannedFile, plan_file};

const STREAMS: &str = "
CREATE STREAM L (ID BIGINT KEY, A BIGINT) WITH (kafka_topic='l', key_format='JSON', value_format='JSON');
CREATE STREAM R (ID BIGINT KEY, B BIGINT) WITH (kafka_topic='r', key_format='JSON', value_format='JSON');
";

const TABLES: &str = "
CREATE TABLE L (ID BIGINT PRIMARY KEY, A BIGINT) WITH (kafka_topic='l', key_format='JSON', value_format='JSON');
CREATE TABLE R (ID BIGINT PRIMARY KEY, B BIGINT) WITH (kafka_topic='r', key_format='JSON', value_format='JSON');
";

const STREAM_TABLE: &str = "
CREATE STREAM L (ID BIGINT KEY, A BIGINT) WITH (kafka_topic='l', key_format='JSON', value_format='JSON');
CREATE TABLE R (ID BIGINT PRIMARY KEY, B BIGINT) WITH (kafka_topic='r', key_format='JSON', value_format='JSON');
";

/// (topic, key, value, timestamp)
type Input = (&'static str, i64, Option<i64>, i64);

/// Records on both sides, with matches, misses, late and out-of-order records and deletes.
const INPUTS: &[Input] = &[
    ("l", 1, Some(10), 1_000),
    ("r", 2, Some(20), 2_000),
    ("r", 1, Some(11), 3_000),
    ("l", 3, Some(30), 4_000),
    ("l", 2, Some(21), 9_000),
    ("r", 1, None, 10_000),
    ("l", 1, Some(12), 12_000),
    ("r", 4, Some(40), 30_000),
    ("l", 4, Some(41), 26_000),
    ("l", 5, Some(50), 31_000),
    ("r", 3, Some(31), 60_000),
    ("l", 1, None, 61_000),
];

type Out = (Option<String>, Option<String>, i64);

fn plan(sql: &str) -> PlannedFile {
    match plan_file(sql, "test") {
        Ok(planned) => planned,
        Err(diags) => panic!("{sql}: {diags:?}"),
    }
}

/// Runs the query of `sql` over [`INPUTS`], restarting before input `restart_at`.
fn run(sql: &str, restart_at: Option<usize>) -> Vec<Out> {
    let planned = plan(sql);
    let mut driver = Driver::new();
    for query in &planned.queries {
        let built = crate::ops::build(query).expect("query builds");
        driver
            .register(&query.id, Arc::new(built))
            .expect("query registers");
    }
    for (i, &(topic, key, value, ts)) in INPUTS.iter().enumerate() {
        if restart_at == Some(i) {
            driver.restart().expect("restart");
        }
        let key = key.to_string();
        let value = value.map(|v| format!("{{\"{}\": {v}}}", if topic == "l" { "A" } else { "B" }));
        driver
            .pipe(
                topic,
                Some(key.as_bytes()),
                value.as_deref().map(str::as_bytes),
                Some(ts),
                &[],
            )
            .expect("pipe");
    }
    let text = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
    driver
        .output("OUTPUT")
        .iter()
        .map(|r| (text(&r.key), text(&r.value), r.timestamp))
        .collect()
}

fn assert_restart_changes_nothing(sql: &str) {
    let straight = run(sql, None);
    assert!(!straight.is_empty(), "{sql}: no output at all");
    for i in 1..INPUTS.len() {
        assert_eq!(
            run(sql, Some(i)),
            straight,
            "{sql}: restart before input {i}"
        );
    }
}

#[test]
fn stream_stream_outer_join_with_grace_restores_its_buffers_and_outer_store() {
    let sql = format!(
        "{STREAMS} CREATE STREAM OUTPUT AS SELECT ROWKEY AS K, A, B FROM L FULL OUTER JOIN R \
         WITHIN 5 SECONDS GRACE PERIOD 2 SECONDS ON L.ID = R.ID;"
    );
    let straight = run(&sql, None);
    // The unmatched left record of key 3 (time 4000) is emitted once its window closes.
    assert!(straight.contains(&(
        Some("3".into()),
        Some("{\"A\":30,\"B\":null}".into()),
        4_000
    )));
    assert_restart_changes_nothing(&sql);
}

#[test]
fn stream_stream_left_join_without_grace_restores() {
    assert_restart_changes_nothing(&format!(
        "{STREAMS} CREATE STREAM OUTPUT AS SELECT L.ID, A, B FROM L LEFT JOIN R \
         WITHIN 10 SECONDS ON L.ID = R.ID;"
    ));
}

#[test]
fn table_table_joins_restore_both_tables() {
    for kind in ["INNER", "LEFT", "FULL OUTER"] {
        let key = if kind == "FULL OUTER" {
            "ROWKEY AS K"
        } else {
            "L.ID"
        };
        assert_restart_changes_nothing(&format!(
            "{TABLES} CREATE TABLE OUTPUT AS SELECT {key}, A, B FROM L {kind} JOIN R ON L.ID = R.ID;"
        ));
    }
}

#[test]
fn stream_table_join_restores_the_table() {
    assert_restart_changes_nothing(&format!(
        "{STREAM_TABLE} CREATE STREAM OUTPUT AS SELECT L.ID, A, B FROM L LEFT JOIN R ON L.ID = R.ID;"
    ));
}
