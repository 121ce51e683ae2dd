//! End-to-end tests of aggregations over joins: the aggregate arguments read each input's
//! columns where the grouped joined row holds them, and a table aggregation withdraws a
//! joined row's previous version whichever input updated it.

use std::sync::Arc;

use crate::driver::Driver;
use crate::ops::build;
use crate::plan::plan_file;

const TABLES: &str = "
CREATE TABLE L (ID BIGINT PRIMARY KEY, A INT, NAME STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON');
CREATE TABLE R (ID BIGINT PRIMARY KEY, B INT) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON');
CREATE STREAM S (ID BIGINT KEY, C INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
";

/// Plans `TABLES` and `query`, pipes `inputs` (topic, key, JSON value or tombstone) and
/// returns the values written to `OUT`, as text.
fn run(query: &str, inputs: &[(&str, i64, Option<&str>)]) -> Vec<Option<String>> {
    let planned = plan_file(&format!("{TABLES}{query}"), "svc").expect("plans");
    let mut driver = Driver::new();
    for topic in ["l", "r", "s"] {
        driver.create_topic(topic, 1);
    }
    for query in &planned.queries {
        driver
            .register(&query.id, Arc::new(build(query).expect("builds")))
            .expect("registers");
    }
    for (topic, key, value) in inputs {
        let key = key.to_be_bytes();
        driver
            .pipe(topic, Some(&key), value.map(str::as_bytes), Some(1), &[])
            .expect("pipes");
    }
    driver
        .output("OUT")
        .iter()
        .map(|r| {
            r.value
                .as_ref()
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
        .collect()
}

fn texts(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

#[test]
fn a_table_join_aggregate_reads_both_inputs_and_withdraws_updated_rows() {
    let out = run(
        "CREATE TABLE OUT AS SELECT L.ID, SUM(L.A) AS SA, SUM(R.B) AS SB, COUNT(*) AS N \
         FROM L LEFT JOIN R ON L.ID = R.ID GROUP BY L.ID;",
        &[
            ("l", 0, Some(r#"{"A": 100, "NAME": "x"}"#)),
            ("r", 0, Some(r#"{"B": 5}"#)),
            ("r", 0, Some(r#"{"B": 20}"#)),
            ("l", 0, Some(r#"{"A": 1, "NAME": "x"}"#)),
            ("r", 0, None),
        ],
    );
    // Every update replaces the joined row: the count stays 1 and the sums follow it (a SUM
    // of no values is 0, as ksqlDB's starts).
    assert_eq!(
        out,
        texts(&[
            r#"{"SA":100,"SB":0,"N":1}"#,
            r#"{"SA":100,"SB":5,"N":1}"#,
            r#"{"SA":100,"SB":20,"N":1}"#,
            r#"{"SA":1,"SB":20,"N":1}"#,
            r#"{"SA":1,"SB":0,"N":1}"#,
        ])
    );
}

#[test]
fn a_table_join_grouped_by_a_value_column_moves_rows_between_groups() {
    let out = run(
        "CREATE TABLE OUT AS SELECT L.NAME, SUM(R.B) AS SB FROM L JOIN R ON L.ID = R.ID \
         GROUP BY L.NAME;",
        &[
            ("l", 1, Some(r#"{"A": 1, "NAME": "x"}"#)),
            ("r", 1, Some(r#"{"B": 7}"#)),
            ("l", 1, Some(r#"{"A": 1, "NAME": "y"}"#)),
        ],
    );
    assert_eq!(out, texts(&[r#"{"SB":7}"#, r#"{"SB":0}"#, r#"{"SB":7}"#]));
}

#[test]
fn a_stream_table_join_aggregate_reads_the_table_side() {
    let out = run(
        "CREATE TABLE OUT AS SELECT S.ID, SUM(S.C * R.B) AS P, MAX(L.A) AS M FROM S \
         JOIN R ON S.ID = R.ID JOIN L ON S.ID = L.ID GROUP BY S.ID;",
        &[
            ("r", 3, Some(r#"{"B": 10}"#)),
            ("l", 3, Some(r#"{"A": 4, "NAME": "n"}"#)),
            ("s", 3, Some(r#"{"C": 2}"#)),
            ("s", 3, Some(r#"{"C": 5}"#)),
        ],
    );
    assert_eq!(out, texts(&[r#"{"P":20,"M":4}"#, r#"{"P":70,"M":4}"#]));
}
