//! Extra functions ([`crate::functions::extra`]) planned from SQL and run by the in-memory
//! driver like built-ins: a scalar function, an aggregate with a constant argument, over a
//! stream and over a table (undoing replaced rows), and a table function.

use std::sync::Arc;

use crate::driver::Driver;
use crate::functions::extra::tests::install_test_extras;
use crate::plan::plan_file;

/// Runs `sql` over `inputs` (key, JSON value) on topic `in`; the values written to `OUT`.
fn run(sql: &str, inputs: &[(&str, Option<&str>)]) -> Vec<Option<String>> {
    install_test_extras();
    let planned = plan_file(sql, "svc").expect("plans");
    let mut driver = Driver::new();
    driver.create_topic("in", 1);
    for query in &planned.queries {
        let built = crate::ops::build(query).expect("builds");
        driver
            .register(&query.id, Arc::new(built))
            .expect("registers");
    }
    for (i, (key, value)) in inputs.iter().enumerate() {
        let key = format!("\"{key}\"");
        driver
            .pipe(
                "in",
                Some(key.as_bytes()),
                value.map(str::as_bytes),
                Some(i as i64),
                &[],
            )
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

fn values(texts: &[&str]) -> Vec<Option<String>> {
    texts.iter().map(|t| Some((*t).to_string())).collect()
}

#[test]
fn an_extra_scalar_function_runs_the_overload_resolution_chose() {
    // `Xt_Pick` answers with its argument count; the INT widens to the variadic BIGINT one.
    let out = run(
        "CREATE STREAM S (K STRING KEY, V STRING, N INT) WITH (kafka_topic='in', format='JSON');
         CREATE STREAM OUT AS SELECT K, XT_PICK(N, V) AS A, XT_PICK(N, N, N) AS B FROM S;",
        &[("a", Some(r#"{"V": "p", "N": 2}"#))],
    );
    assert_eq!(out, values(&[r#"{"A":"2","B":"3"}"#]));
}

#[test]
fn an_extra_aggregate_folds_a_stream_from_its_constant() {
    let out = run(
        "CREATE STREAM S (K STRING KEY, G STRING, V STRING) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT G, XT_SUM_LEN(V, 10) AS L FROM S GROUP BY G;",
        &[
            ("a", Some(r#"{"G": "x", "V": "abc"}"#)),
            ("b", Some(r#"{"G": "x", "V": null}"#)),
            ("c", Some(r#"{"G": "x", "V": "de"}"#)),
        ],
    );
    assert_eq!(out, values(&[r#"{"L":13}"#, r#"{"L":13}"#, r#"{"L":15}"#]));
}

#[test]
fn an_extra_aggregate_undoes_replaced_table_rows() {
    let out = run(
        "CREATE TABLE T (K STRING PRIMARY KEY, G STRING, V STRING) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT G, XT_SUM_LEN(V, 0) AS L FROM T GROUP BY G;",
        &[
            ("a", Some(r#"{"G": "x", "V": "abc"}"#)),
            ("a", Some(r#"{"G": "x", "V": "z"}"#)),
        ],
    );
    // The replaced row is undone before the new one is added; the group emits once.
    assert_eq!(out, values(&[r#"{"L":3}"#, r#"{"L":1}"#]));
}

#[test]
fn an_extra_aggregate_refuses_a_column_for_its_constant() {
    install_test_extras();
    let error = plan_file(
        "CREATE STREAM S (K STRING KEY, V STRING, N INT) WITH (kafka_topic='in', format='JSON');
         CREATE TABLE OUT AS SELECT K, XT_SUM_LEN(V, N) AS L FROM S GROUP BY K;",
        "svc",
    )
    .expect_err("refused");
    assert!(
        format!("{error:?}").contains("must be a literal constant"),
        "{error:?}"
    );
}

#[test]
fn an_extra_table_function_emits_its_rows_and_reports_its_failures() {
    let out = run(
        "CREATE STREAM S (K STRING KEY, V STRING, N INT) WITH (kafka_topic='in', format='JSON');
         CREATE STREAM OUT AS SELECT K, XT_REPEAT(V, N) AS R FROM S;",
        &[
            ("a", Some(r#"{"V": "p", "N": 2}"#)),
            ("b", Some(r#"{"V": "q", "N": -1}"#)),
            ("c", Some(r#"{"V": "r", "N": 1}"#)),
        ],
    );
    assert_eq!(
        out,
        values(&[r#"{"R":"p"}"#, r#"{"R":"p"}"#, r#"{"R":"r"}"#])
    );
}
