//! End-to-end tests of the builder: SQL planned, built into a topology, run on the driver.

use std::sync::Arc;

use crate::driver::Driver;
use crate::ops::{BuildError, build};
use crate::plan::plan_file;

fn run(
    sql: &str,
    inputs: &[(Option<&str>, Option<&str>)],
) -> Vec<(Option<String>, Option<String>)> {
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
    driver
        .output("OUT")
        .iter()
        .map(|r| (text(&r.key), text(&r.value)))
        .collect()
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
fn unsupported_steps_are_named() {
    let planned = plan_file(
        "CREATE STREAM S (K STRING KEY, A INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT K, COUNT(*) AS C FROM S GROUP BY K;",
        "svc",
    )
    .expect("plans");
    let err = build(&planned.queries[0])
        .err()
        .expect("aggregate is not built yet");
    assert!(matches!(err, BuildError::Unsupported { .. }), "{err}");
    assert!(
        err.to_string().contains("not supported yet: aggregate/v1"),
        "{err}"
    );
}
