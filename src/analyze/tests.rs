//! Analyzer tests: output schemas of the common statement shapes, and users' mistakes with
//! their messages.

use super::{AnalyzeOptions, analyze_source};
use crate::expr::{ColumnRef, ExprKind};
use crate::lock::QueryKind;
use crate::sql::render_all;

const SOURCES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER STRING, AMOUNT DECIMAL(10, 2), STATUS STRING,
  ADDRESS STRUCT<CITY STRING, ZIP INT>)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE TABLE CUSTOMERS (CUSTOMER STRING PRIMARY KEY, NAME STRING, COUNTRY STRING)
  WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');
CREATE STREAM RETURNS (ID BIGINT KEY, REASON STRING)
  WITH (KAFKA_TOPIC='returns', VALUE_FORMAT='JSON');
";

pub(super) fn schema_of(queries: &str, sink: &str) -> String {
    let text = format!("{SOURCES}{queries}");
    match analyze_source(&text, &AnalyzeOptions::default()) {
        Ok(file) => file.catalog.source(sink).expect("sink").schema.to_string(),
        Err(d) => panic!("{}", render_all(&d, &text, "app.sql")),
    }
}

pub(super) fn error_of(queries: &str) -> String {
    let text = format!("{SOURCES}{queries}");
    match analyze_source(&text, &AnalyzeOptions::default()) {
        Ok(_) => panic!("accepted: {queries}"),
        Err(d) => d
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn projection_filter_keeps_the_source_key() {
    assert_eq!(
        schema_of(
            "CREATE STREAM PAID AS SELECT ID, AMOUNT * 2, ADDRESS->CITY FROM ORDERS WHERE STATUS = 'PAID';",
            "PAID"
        ),
        "`ID` BIGINT KEY, `KSQL_COL_0` DECIMAL(21, 2), `CITY` STRING"
    );
}

#[test]
fn aggregation_keys_by_the_grouping_expression() {
    let text = format!(
        "{SOURCES}CREATE TABLE TOTALS AS SELECT CUSTOMER, COUNT(*) AS N, SUM(AMOUNT) AS TOTAL \
         FROM ORDERS WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY CUSTOMER HAVING COUNT(*) > 1;"
    );
    let file = analyze_source(&text, &AnalyzeOptions::default()).unwrap();
    let query = &file.queries[0];
    assert_eq!(query.id, "CTAS_TOTALS");
    assert_eq!(query.kind, QueryKind::CreateTableAsSelect);
    assert_eq!(
        query.output.to_string(),
        "`CUSTOMER` STRING KEY, `N` BIGINT, `TOTAL` DECIMAL(10, 2)"
    );
    assert_eq!(query.aggregates.len(), 2, "COUNT(*) is shared with HAVING");
    assert!(matches!(
        query.projection[0].expr.kind,
        ExprKind::Column {
            column: ColumnRef::GroupKey { index: 0 }
        }
    ));
    assert!(query.output_window.is_some());
}

#[test]
fn joins_name_ambiguous_columns_by_alias() {
    assert_eq!(
        schema_of(
            "CREATE STREAM ENRICHED AS SELECT O.CUSTOMER, O.ID, C.NAME FROM ORDERS O \
             JOIN CUSTOMERS C ON O.CUSTOMER = C.CUSTOMER;",
            "ENRICHED"
        ),
        "`O_CUSTOMER` STRING KEY, `ID` BIGINT, `NAME` STRING"
    );
    assert_eq!(
        schema_of(
            "CREATE STREAM BOTH AS SELECT * FROM ORDERS O JOIN RETURNS R WITHIN 1 HOUR ON O.ID = R.ID;",
            "BOTH"
        ),
        "`O_ID` BIGINT KEY, `O_CUSTOMER` STRING, `O_AMOUNT` DECIMAL(10, 2), `O_STATUS` STRING, \
         `O_ADDRESS` STRUCT<`CITY` STRING, `ZIP` INTEGER>, `R_ID` BIGINT, `R_REASON` STRING"
    );
}

#[test]
fn partition_by_moves_the_key() {
    assert_eq!(
        schema_of(
            "CREATE STREAM BY_CUSTOMER AS SELECT CUSTOMER, ID, AMOUNT FROM ORDERS PARTITION BY CUSTOMER;",
            "BY_CUSTOMER"
        ),
        "`CUSTOMER` STRING KEY, `ID` BIGINT, `AMOUNT` DECIMAL(10, 2)"
    );
}

#[test]
fn query_ids_come_from_sinks_or_query_id() {
    let text = format!(
        "{SOURCES}CREATE STREAM ALL_ORDERS AS SELECT * FROM ORDERS;
         INSERT INTO ALL_ORDERS WITH (QUERY_ID='more_orders') SELECT * FROM ORDERS;"
    );
    let file = analyze_source(&text, &AnalyzeOptions::default()).unwrap();
    let ids: Vec<&str> = file.queries.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["CSAS_ALL_ORDERS", "MORE_ORDERS"]);
}

#[test]
fn users_mistakes_are_reported_with_ksqldb_messages() {
    let cases = [
        (
            "CREATE STREAM S AS SELECT ID, AMOUNTT FROM ORDERS;",
            "SELECT column 'AMOUNTT' cannot be resolved.",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDER;",
            "ORDER does not exist.",
        ),
        (
            "CREATE STREAM S AS SELECT ID, LENN(STATUS) FROM ORDERS;",
            "Can't find any functions with the name 'LENN'",
        ),
        (
            "CREATE STREAM S AS SELECT ID, LEN(AMOUNT) FROM ORDERS;",
            "Function 'len' does not accept parameters (DECIMAL(10, 2)).",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE STATUS > 5;",
            "Error in WHERE expression: Cannot compare STATUS (STRING) to 5 (INTEGER) with GREATER_THAN.",
        ),
        (
            "CREATE TABLE T AS SELECT CUSTOMER, STATUS, COUNT(*) FROM ORDERS GROUP BY CUSTOMER;",
            "Non-aggregate SELECT expression(s) not part of GROUP BY: STATUS",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS O JOIN RETURNS R ON O.ID = R.ID;",
            "Stream-Stream joins must have a WITHIN clause specified.",
        ),
        (
            "CREATE STREAM S AS SELECT ID, STATUS FROM ORDERS; INSERT INTO S SELECT ID, CUSTOMER, STATUS FROM ORDERS;",
            "Incompatible schema between results and sink.",
        ),
        (
            "CREATE STREAM S AS SELECT CUSTOMER, COUNT(*) FROM ORDERS GROUP BY CUSTOMER;",
            "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead.",
        ),
        (
            "CREATE STREAM S AS SELECT STATUS FROM ORDERS;",
            "The query used to build `S` must include the key column ID in its projection (eg, SELECT ID...).",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE COUNT(*) > 1;",
            "Aggregate functions can not be used in the WHERE clause",
        ),
        (
            "CREATE TABLE T (ID INT KEY, V INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');",
            "Column `ID` is a 'KEY' column: please use 'PRIMARY KEY' for tables.",
        ),
    ];
    for (sql, expected) in cases {
        let message = error_of(sql);
        assert!(
            message.contains(expected),
            "{sql}\n  expected: {expected}\n  got: {message}"
        );
    }
}

#[test]
fn did_you_mean_points_at_the_column() {
    let text = format!("{SOURCES}CREATE STREAM S AS SELECT ID, AMOUNTT FROM ORDERS;");
    let diagnostics = analyze_source(&text, &AnalyzeOptions::default()).unwrap_err();
    let rendered = render_all(&diagnostics, &text, "app.sql");
    assert!(
        rendered.contains("SELECT column 'AMOUNTT' cannot be resolved."),
        "{rendered}"
    );
    assert!(rendered.contains("did you mean `AMOUNT`?"), "{rendered}");
    assert!(rendered.contains("app.sql:9:"), "{rendered}");
}

#[test]
fn every_statement_is_checked_in_one_run() {
    let text = format!(
        "{SOURCES}CREATE STREAM A AS SELECT ID, NOPE FROM ORDERS;
         CREATE STREAM B AS SELECT ID, ALSO_NOPE FROM ORDERS;"
    );
    let diagnostics = analyze_source(&text, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(diagnostics.len(), 2);
}

#[test]
fn a_file_without_persistent_queries_is_refused() {
    let diagnostics = analyze_source(SOURCES, &AnalyzeOptions::default()).unwrap_err();
    assert!(diagnostics[0].message.contains("no persistent query"));
}

const WINDOWED: &str = "
CREATE STREAM H (ID INT KEY, V BIGINT) WITH (KAFKA_TOPIC='h', VALUE_FORMAT='JSON', WINDOW_TYPE='Hopping', WINDOW_SIZE='5 SECONDS');
CREATE STREAM T (ID INT KEY, V BIGINT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', WINDOW_TYPE='Tumbling', WINDOW_SIZE='2 SECONDS');
CREATE STREAM H2 (ID INT KEY, V BIGINT) WITH (KAFKA_TOPIC='h2', VALUE_FORMAT='JSON', WINDOW_TYPE='Hopping', WINDOW_SIZE='5 SECONDS');
";

#[test]
fn joining_sources_of_different_windows_needs_a_repartition() {
    let text = format!(
        "{WINDOWED}CREATE STREAM O AS SELECT * FROM H JOIN T WITHIN 1 MINUTE ON H.ID = T.ID;"
    );
    let errors = analyze_source(&text, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(
        errors[0].message,
        "Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385."
    );
}

#[test]
fn a_star_over_a_windowed_join_carries_each_side_window_bounds() {
    let text = format!(
        "{WINDOWED}CREATE STREAM O AS SELECT * FROM H JOIN H2 WITHIN 1 MINUTE ON H.ID = H2.ID;"
    );
    let file = analyze_source(&text, &AnalyzeOptions::default()).unwrap();
    assert_eq!(
        file.catalog.source("O").unwrap().schema.to_string(),
        "`H_ID` INTEGER KEY, `H_WINDOWSTART` BIGINT, `H_WINDOWEND` BIGINT, `H_V` BIGINT, \
         `H2_ID` INTEGER, `H2_WINDOWSTART` BIGINT, `H2_WINDOWEND` BIGINT, `H2_V` BIGINT"
    );
}

#[test]
fn window_bounds_of_an_aggregation_over_a_join_do_not_resolve() {
    let err = error_of(
        "CREATE TABLE W AS SELECT O.CUSTOMER, COUNT(*), WINDOWSTART AS WS FROM ORDERS O \
         JOIN CUSTOMERS C ON O.CUSTOMER = C.CUSTOMER WINDOW TUMBLING (SIZE 1 MINUTE) \
         GROUP BY O.CUSTOMER;",
    );
    assert_eq!(err, "SELECT column 'WINDOWSTART' cannot be resolved.");
}

#[test]
fn insert_into_casts_numbers_to_the_sink_types() {
    let text = "CREATE STREAM SRC (IGNORED STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
CREATE STREAM TARGET (C1 DECIMAL(5, 2), C2 DECIMAL(5, 2)) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');
INSERT INTO TARGET SELECT 1 AS C1, 2.0 AS C2 FROM SRC;
INSERT INTO TARGET WITH (QUERY_ID='BAD') SELECT 'x' AS C1, 2.0 AS C2 FROM SRC;";
    let errors = analyze_source(text, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(errors.len(), 1, "only the STRING column is refused");
    assert!(
        errors[0]
            .message
            .starts_with("Incompatible schema between results and sink.")
    );
    let ok = analyze_source(
        &text[..text.rfind("INSERT").unwrap()],
        &AnalyzeOptions::default(),
    )
    .unwrap();
    let projection = &ok.queries[0].projection;
    assert_eq!(
        projection[0].expr.ty,
        crate::types::SqlType::decimal(5, 2).unwrap()
    );
    assert_eq!(
        projection[1].expr.ty,
        crate::types::SqlType::decimal(5, 2).unwrap()
    );
}

#[test]
fn the_new_query_planner_lets_a_projection_drop_the_key() {
    let text =
        "CREATE STREAM I (ID INT KEY, NAME STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');
CREATE STREAM O AS SELECT NAME FROM I;";
    let mut options = AnalyzeOptions::default();
    assert!(
        analyze_source(text, &options).is_err(),
        "the key is required by default"
    );
    options
        .properties
        .insert("ksql.new.query.planner.enabled".into(), "true".into());
    let file = analyze_source(text, &options).unwrap();
    assert_eq!(
        file.catalog.source("O").unwrap().schema.to_string(),
        "`NAME` STRING"
    );
}

#[test]
fn a_sink_inheriting_a_delimited_format_keeps_its_delimiter() {
    let text = "CREATE STREAM P (K STRING KEY, V INT, W INT) \
                WITH (KAFKA_TOPIC='p', VALUE_FORMAT='DELIMITED', VALUE_DELIMITER='|');\
                CREATE STREAM SAME AS SELECT * FROM P;\
                CREATE STREAM OWN WITH (VALUE_FORMAT='DELIMITED') AS SELECT * FROM P;";
    let file = analyze_source(text, &AnalyzeOptions::default()).unwrap();
    let delimiter = |id: &str| {
        let query = file.queries.iter().find(|q| q.id == id).unwrap();
        query.value_format.delimiter.clone()
    };
    assert_eq!(delimiter("CSAS_SAME").as_deref(), Some("|"));
    assert_eq!(delimiter("CSAS_OWN"), None);
}

#[test]
fn generated_names_skip_every_source_column() {
    let text = "CREATE STREAM I (KSQL_COL_1 INT KEY, KSQL_COL_0 INT, KSQL_COL_2 INT) \
                WITH (KAFKA_TOPIC='i', VALUE_FORMAT='JSON');\
                CREATE STREAM O AS SELECT KSQL_COL_1, ABS(KSQL_COL_0), ABS(KSQL_COL_0) FROM I;";
    let file = analyze_source(text, &AnalyzeOptions::default()).unwrap();
    assert_eq!(
        file.catalog.source("O").unwrap().schema.to_string(),
        "`KSQL_COL_1` INTEGER KEY, `KSQL_COL_3` INTEGER, `KSQL_COL_4` INTEGER"
    );
}

#[test]
fn calls_made_ambiguous_by_nulls_are_refused_in_every_clause() {
    let queries = [
        (
            "CREATE STREAM S AS SELECT ID, LEAST(NULL, NULL) AS L FROM ORDERS;",
            "least",
            "null, null",
        ),
        (
            "CREATE STREAM S AS SELECT ID FROM ORDERS WHERE ABS(NULL) > 0;",
            "Abs",
            "null",
        ),
        (
            "CREATE TABLE T AS SELECT LEN(NULL) AS K, COUNT(*) AS N FROM ORDERS GROUP BY LEN(NULL);",
            "len",
            "null",
        ),
        (
            "CREATE TABLE T AS SELECT STATUS, SUM(ROUND(NULL)) AS N FROM ORDERS GROUP BY STATUS;",
            "Round",
            "null",
        ),
        (
            "CREATE STREAM S AS SELECT ID, SUBSTRING(NULL, 2) AS P FROM ORDERS PARTITION BY STATUS;",
            "substring",
            "null, INTEGER",
        ),
    ];
    for (query, name, args) in queries {
        let err = error_of(query);
        assert!(
            err.contains(&format!(
                "Function '{name}' cannot be resolved due to ambiguous method parameters ({args})."
            )),
            "{query}: {err}"
        );
    }
    // A typed argument beside the NULL settles the overload.
    schema_of(
        "CREATE STREAM S AS SELECT ID, LEAST(NULL, AMOUNT) AS L, SUBSTRING(STATUS, NULL) AS P \
         FROM ORDERS WHERE ABS(CAST(NULL AS INT)) IS NULL;",
        "S",
    );
}

#[test]
fn topk_with_other_columns_returns_structs_of_them() {
    let schema = schema_of(
        "CREATE TABLE T AS SELECT STATUS, TOPK(ID, CUSTOMER, AMOUNT, 2) AS TOP FROM ORDERS \
         GROUP BY STATUS;",
        "T",
    );
    assert!(
        schema.contains(
            "`TOP` ARRAY<STRUCT<`sort_col` BIGINT, `col0` STRING, `col1` DECIMAL(10, 2)>>"
        ),
        "{schema}"
    );
    // Expressions as other columns, a STRING sort column, and a use in HAVING.
    let schema = schema_of(
        "CREATE TABLE T AS SELECT ID, TOPK(STATUS, ADDRESS->CITY, LEN(CUSTOMER), 3) AS TOP \
         FROM ORDERS GROUP BY ID HAVING ARRAY_LENGTH(TOPK(STATUS, CUSTOMER, 3)) > 1;",
        "T",
    );
    assert!(
        schema.contains("ARRAY<STRUCT<`sort_col` STRING, `col0` STRING, `col1` INTEGER>>"),
        "{schema}"
    );
    // `k` alone must be a literal; the sort column takes the types ksqlDB sorts.
    let err = error_of(
        "CREATE TABLE T AS SELECT STATUS, TOPK(ID, CUSTOMER, LEN(STATUS)) AS TOP FROM ORDERS \
         GROUP BY STATUS;",
    );
    assert!(
        err.contains("Parameter 3 passed to function TOPK must be a literal constant"),
        "{err}"
    );
    let err = error_of(
        "CREATE TABLE T AS SELECT STATUS, TOPK(ADDRESS, CUSTOMER, 2) AS TOP FROM ORDERS \
         GROUP BY STATUS;",
    );
    assert!(
        err.contains("Function 'TOPK' does not accept parameters"),
        "{err}"
    );
}

#[test]
fn a_set_record_cache_size_applies_to_the_queries_after_it() {
    let text = format!(
        "{SOURCES}CREATE STREAM FIRST AS SELECT * FROM ORDERS;
         SET 'cache.max.bytes.buffering'='0';
         CREATE TABLE SECOND AS SELECT CUSTOMER, COUNT(*) AS N FROM ORDERS GROUP BY CUSTOMER;
         SET 'ksql.streams.cache.max.bytes.buffering'='2048';
         CREATE STREAM THIRD AS SELECT * FROM ORDERS;
         UNSET 'cache.max.bytes.buffering';
         UNSET 'ksql.streams.cache.max.bytes.buffering';
         CREATE STREAM FOURTH AS SELECT * FROM ORDERS;"
    );
    let file = analyze_source(&text, &AnalyzeOptions::default()).unwrap();
    let sizes: Vec<(&str, Option<u64>)> = file
        .queries
        .iter()
        .map(|q| (q.sink.as_str(), q.record_cache_bytes))
        .collect();
    assert_eq!(
        sizes,
        vec![
            ("FIRST", None),
            ("SECOND", Some(0)),
            // Both names are set: the `ksql.streams.` one wins.
            ("THIRD", Some(2048)),
            ("FOURTH", None),
        ]
    );
    assert_eq!(
        error_of("SET 'cache.max.bytes.buffering'='lots';"),
        "Invalid value lots for configuration cache.max.bytes.buffering: Not a number of type LONG"
    );
}
