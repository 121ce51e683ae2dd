//! Analyzer tests of ksqlDB's message rules, second part: each rule over other clauses,
//! types and functions than the case that showed it, and the order in which ksqlDB checks
//! (the first error it reports is the one weir reports).

use super::tests::error_of;

/// `CodeGenRunner.buildCodeGenFromParseTree` wraps `CastEvaluator`'s refusal as
/// "Invalid <type>: …." with the name of the clause's generated code.
#[test]
fn unsupported_casts_name_the_clause_as_ksqldb_generates_it() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID, CAST(STATUS AS ARRAY<INT>) AS A FROM ORDERS;",
            "Invalid Select: Cast of STRING to ARRAY<INTEGER> is not supported.",
        ),
        (
            "CREATE STREAM S AS SELECT ID FROM ORDERS \
             WHERE CAST(ADDRESS AS MAP<STRING, INT>) IS NULL;",
            "Invalid Predicate: Cast of STRUCT<`CITY` STRING, `ZIP` INTEGER> to \
             MAP<STRING, INTEGER> is not supported.",
        ),
        (
            "CREATE TABLE T AS SELECT CAST(CUSTOMER AS ARRAY<STRING>) AS C, COUNT(*) AS N \
             FROM ORDERS GROUP BY CAST(CUSTOMER AS ARRAY<STRING>);",
            "Invalid Group By: Cast of STRING to ARRAY<STRING> is not supported.",
        ),
        (
            "CREATE STREAM S AS SELECT ID FROM ORDERS PARTITION BY CAST(AMOUNT AS BOOLEAN);",
            "Invalid SelectKey: Cast of DECIMAL(10, 2) to BOOLEAN is not supported.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// After a join, ksqlDB type-checks WHERE and HAVING on the join's output, whose columns are
/// named `<alias>_<column>`; its messages print the expressions so.
#[test]
fn filters_after_a_join_print_the_joined_names() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT O.ID, R.REASON FROM ORDERS O JOIN RETURNS R \
             WITHIN 1 HOUR ON O.ID = R.ID WHERE O.STATUS > R.ID;",
            "Error in WHERE expression: Cannot compare O_STATUS (STRING) to R_ID (BIGINT) \
             with GREATER_THAN.",
        ),
        (
            "CREATE STREAM S AS SELECT O.ID, R.REASON FROM ORDERS O JOIN RETURNS R \
             WITHIN 1 HOUR ON O.ID = R.ID WHERE REASON = 1;",
            "Error in WHERE expression: Cannot compare R_REASON (STRING) to 1 (INTEGER) \
             with EQUAL.",
        ),
        (
            "CREATE TABLE T AS SELECT O.STATUS, COUNT(*) AS N FROM ORDERS O JOIN RETURNS R \
             WITHIN 1 HOUR ON O.ID = R.ID GROUP BY O.STATUS HAVING MAX(R.ID) > 'x';",
            "Error in HAVING expression: Cannot compare MAX(R_ID) (BIGINT) to 'x' (STRING) \
             with GREATER_THAN.",
        ),
        // Without a join, and in a join's SELECT, columns print as written.
        (
            "CREATE STREAM S AS SELECT ID FROM ORDERS O WHERE O.STATUS > 1;",
            "Cannot compare O.STATUS (STRING) to 1 (INTEGER) with GREATER_THAN.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `JoinNode.throwMissingKeyColumnForFkJoinException`: every primary key column the
/// projection misses, "column" or "columns", the left table by its alias.
#[test]
fn foreign_key_joins_name_every_missing_key() {
    let tables = "CREATE TABLE L (A BIGINT PRIMARY KEY, B BIGINT PRIMARY KEY, F STRING, FK BIGINT) \
                  WITH (KAFKA_TOPIC='l', FORMAT='JSON'); \
                  CREATE TABLE R (ID BIGINT PRIMARY KEY, G STRING) \
                  WITH (KAFKA_TOPIC='r', FORMAT='JSON');";
    for (query, expected) in [
        (
            "CREATE TABLE T AS SELECT F, G FROM L JOIN R ON FK = ID;",
            "Primary key columns missing in projection. For foreign-key table-table joins, the \
             projection must include all primary key columns from the left input table (`L`). \
             Missing columns: `A`, `B`.",
        ),
        (
            "CREATE TABLE T AS SELECT X.A, F, G FROM L X LEFT JOIN R ON FK = ID;",
            "Primary key column missing in projection. For foreign-key table-table joins, the \
             projection must include all primary key columns from the left input table (`X`). \
             Missing column: `B`.",
        ),
    ] {
        let err = error_of(&format!("{tables}{query}"));
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `AstSanitizer`: the query's sources first ("X does not exist."), then the
/// target of INSERT INTO (`UnknownSourceException`).
#[test]
fn insert_into_an_unknown_stream() {
    for (query, expected) in [
        (
            "INSERT INTO NOWHERE SELECT ID, STATUS FROM ORDERS;",
            "Source `NOWHERE` does not exist.",
        ),
        (
            "INSERT INTO NOWHERE SELECT ID FROM ORDERS O JOIN RETURNS R WITHIN 1 HOUR \
             ON O.ID = R.ID;",
            "Source `NOWHERE` does not exist.",
        ),
        (
            "INSERT INTO NOWHERE SELECT ID FROM NOTHING;",
            "NOTHING does not exist.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `ConfigValidators` checks the delimiters and `Format.validateProperties` the formats'
/// configs when ksqlDB prepares the statement, before it looks for columns.
#[test]
fn delimiters_are_checked_before_the_columns() {
    for (query, expected) in [
        (
            "CREATE STREAM X WITH (KAFKA_TOPIC='x', VALUE_FORMAT='DELIMITED', \
             VALUE_DELIMITER='<~>');",
            "Configuration VALUE_DELIMITER is invalid: Invalid delimiter value: '<~>'. \
             Delimiter must be a single character or TAB,SPACE\nExample valid value: ';'",
        ),
        (
            "CREATE STREAM X WITH (KAFKA_TOPIC='x', VALUE_FORMAT='DELIMITED', \
             VALUE_DELIMITER=' ');",
            "Configuration VALUE_DELIMITER is invalid: Delimiter cannot be empty",
        ),
        (
            "CREATE TABLE X WITH (KAFKA_TOPIC='x', KEY_FORMAT='DELIMITED', \
             VALUE_FORMAT='JSON', KEY_DELIMITER='');",
            "Configuration KEY_DELIMITER is invalid: Delimiter cannot be empty",
        ),
        (
            "CREATE STREAM X WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON', VALUE_DELIMITER='|');",
            "JSON does not support the following configs: [delimiter]",
        ),
        (
            "CREATE STREAM X (A INT) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='AVRO', \
             VALUE_DELIMITER='|');",
            "AVRO does not support the following configs: [delimiter]",
        ),
        (
            "CREATE STREAM X (A INT) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='DELIMITED', \
             KEY_DELIMITER='|');",
            "KAFKA does not support the following configs: [delimiter]",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `DurationParser.parse` under `ConfigValidators`: each way a WINDOW_SIZE can be wrong.
#[test]
fn window_sizes_are_parsed_as_ksqldb_parses_durations() {
    let create = |size: &str| {
        format!(
            "CREATE TABLE W (K STRING PRIMARY KEY, V BIGINT) WITH (KAFKA_TOPIC='w', \
             VALUE_FORMAT='JSON', WINDOW_TYPE='Tumbling', WINDOW_SIZE='{size}');"
        )
    };
    for (size, expected) in [
        (
            "30 bobs",
            "Configuration WINDOW_SIZE is invalid: Invalid duration: '30 bobs'. \
             Unknown time unit: 'BOBS'\nSupported time units are: NANOSECONDS,",
        ),
        (
            "ten SECONDS",
            "Configuration WINDOW_SIZE is invalid: Invalid duration: 'ten SECONDS'. \
             Not numeric: 'ten'",
        ),
        (
            "10",
            "Configuration WINDOW_SIZE is invalid: Invalid duration: '10'. \
             Expected 2 tokens, got: 1",
        ),
        (
            "10  SECONDS",
            "Invalid duration: '10  SECONDS'. Expected 2 tokens, got: 3",
        ),
    ] {
        let err = error_of(&create(size));
        assert!(err.contains(expected), "{size}: {err}");
    }
    // Singular or plural, any case, as `TimeUnit.valueOf` after the added `S`.
    for size in ["10 second", "10 SECONDS", "250 Milliseconds", "1 day"] {
        let text = create(size);
        let file = super::analyze_source(
            &format!("{text}CREATE TABLE C AS SELECT K, COUNT(*) AS N FROM W GROUP BY K;"),
            &super::AnalyzeOptions::default(),
        );
        assert!(file.is_ok(), "{size}");
    }
}

/// ksqlDB's `Analyzer.addDummyGroupbyForUdafs`: aggregates without GROUP BY group by a
/// constant, so the select list is checked against it first ("Non-aggregate SELECT
/// expression(s) not part of GROUP BY"), then `AggregateNode.validateKeyPresent` refuses the
/// constant key, listing the aggregate calls as its planner rewrote them.
#[test]
fn aggregates_without_group_by() {
    for (query, expected) in [
        (
            "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N FROM ORDERS;",
            "Non-aggregate SELECT expression(s) not part of GROUP BY: STATUS",
        ),
        (
            "CREATE TABLE T AS SELECT COUNT(*) AS N FROM ORDERS \
             WINDOW TUMBLING (SIZE 1 MINUTE);",
            "CREATE TABLE AS SELECT statement does not support aggregate function \
             [COUNT(ROWTIME)] without a GROUP BY clause.",
        ),
        (
            "CREATE TABLE T AS SELECT SUM(O.AMOUNT) AS S, MAX(ID) + 1 AS M FROM ORDERS O;",
            "CREATE TABLE AS SELECT statement does not support aggregate function \
             [SUM(AMOUNT), MAX(ID)] without a GROUP BY clause.",
        ),
        (
            "CREATE TABLE T AS SELECT COUNT(R.REASON) AS N FROM ORDERS O JOIN RETURNS R \
             WITHIN 1 HOUR ON O.ID = R.ID;",
            "CREATE TABLE AS SELECT statement does not support aggregate function \
             [COUNT(R_REASON)] without a GROUP BY clause.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// A windowed aggregation over a stream that is not windowed: WHERE is type-checked on the
/// source (no bounds: "Unknown column"), then `AggregateAnalyzer` refuses a bound in GROUP BY
/// or HAVING, inside an aggregate or not, in the order it visits them.
#[test]
fn window_bounds_outside_the_select_of_a_windowed_aggregation() {
    let windowed = "FROM ORDERS WINDOW TUMBLING (SIZE 1 SECOND)";
    let bounds = "can only be used in the SELECT clause of windowed aggregations";
    for (query, expected) in [
        (
            format!(
                "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N {windowed} \
                 WHERE MIN(WINDOWEND) < 5 GROUP BY STATUS;"
            ),
            "Error in WHERE expression: Unknown column WINDOWEND.".to_string(),
        ),
        (
            format!(
                "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N {windowed} \
                 WHERE WINDOWSTART > 5 GROUP BY STATUS;"
            ),
            "Error in WHERE expression: Unknown column WINDOWSTART.".to_string(),
        ),
        (
            format!(
                "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N {windowed} \
                 GROUP BY STATUS, WINDOWEND, WINDOWSTART;"
            ),
            format!("Window bounds column WINDOWEND {bounds}"),
        ),
        (
            format!("CREATE TABLE T AS SELECT COUNT(*) AS N {windowed} GROUP BY WINDOWSTART;"),
            format!("Window bounds column WINDOWSTART {bounds}"),
        ),
        (
            format!(
                "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N {windowed} GROUP BY STATUS \
                 HAVING WINDOWSTART > 1 AND MIN(WINDOWEND) < 5;"
            ),
            format!("Window bounds column WINDOWSTART {bounds}"),
        ),
        (
            format!(
                "CREATE TABLE T AS SELECT STATUS, MAX(WINDOWEND) AS M {windowed} GROUP BY STATUS;"
            ),
            format!("Window bounds column WINDOWEND {bounds}"),
        ),
    ] {
        let err = error_of(&query);
        assert!(err.contains(&expected), "{query}: {err}");
    }
}

/// A windowed source keeps its bounds in WHERE; the aggregation still refuses them there.
#[test]
fn window_bounds_of_a_windowed_source() {
    let source = "CREATE STREAM W (K STRING KEY, V BIGINT) WITH (KAFKA_TOPIC='w', \
                  VALUE_FORMAT='JSON', WINDOW_TYPE='Tumbling', WINDOW_SIZE='1 SECOND');";
    let err = error_of(&format!(
        "{source}CREATE TABLE T AS SELECT K, COUNT(*) AS N FROM W \
         WINDOW TUMBLING (SIZE 1 MINUTE) WHERE WINDOWSTART > 1 GROUP BY K;"
    ));
    assert!(
        err.contains("Window bounds column WINDOWSTART can only be used in the SELECT clause"),
        "{err}"
    );
    super::tests::schema_of(
        &format!("{source}CREATE STREAM T AS SELECT K, V FROM W WHERE WINDOWSTART > 1;"),
        "T",
    );
}

/// `Analyzer.visitSelect`, item by item before anything is typed: reserved names, and table
/// functions under a GROUP BY or after an aggregate call (ksqlDB's implied grouping).
#[test]
fn select_items_are_checked_before_the_clauses_are_typed() {
    for (query, expected) in [
        (
            "CREATE TABLE T AS SELECT CUSTOMER, WINDOWSTART, COUNT(*) AS N FROM ORDERS \
             GROUP BY WINDOWSTART;",
            "Reserved column name in select: `WINDOWSTART`. Please remove or alias the column.",
        ),
        (
            "CREATE STREAM S AS SELECT ID, ROWOFFSET FROM ORDERS WHERE NOPE > 1;",
            "Reserved column name in select: `ROWOFFSET`.",
        ),
        (
            "CREATE TABLE T AS SELECT STATUS, EXPLODE(ARRAY[1, 2]) AS E, COUNT(*) AS N \
             FROM ORDERS GROUP BY STATUS;",
            "Table functions cannot be used with aggregations.",
        ),
        (
            "CREATE TABLE T AS SELECT COUNT(*) AS N, ABS(EXPLODE(ARRAY[1, 2])) AS E FROM ORDERS;",
            "Table functions cannot be used with aggregations.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `FinalProjectNode` names a key column selected twice by its name in the schema it reads:
/// the source's column, or the join's `<alias>_<column>`.
#[test]
fn a_key_selected_twice_is_named_as_its_source_names_it() {
    let tables = "CREATE TABLE L (A BIGINT PRIMARY KEY, F STRING, FK BIGINT) \
                  WITH (KAFKA_TOPIC='l', FORMAT='JSON'); \
                  CREATE TABLE R (ID BIGINT PRIMARY KEY, G STRING) \
                  WITH (KAFKA_TOPIC='r', FORMAT='JSON');";
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID AS B, ID AS A, STATUS FROM ORDERS;",
            "The projection contains a key column (`ID`) more than once, aliased as: A and B.",
        ),
        (
            "CREATE TABLE T AS SELECT A, A AS A2, F, G FROM L JOIN R ON FK = ID;",
            "The projection contains a key column (`L_A`) more than once, aliased as: A and A2.",
        ),
        (
            "CREATE TABLE T AS SELECT X.A AS K1, X.A AS K2, G FROM L X JOIN R ON FK = ID;",
            "The projection contains a key column (`X_A`) more than once, aliased as: K1 and K2.",
        ),
    ] {
        let err = error_of(&format!("{tables}{query}"));
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `MaterializationUtil`: an aggregation keeps its state in its source's value format, and
/// refuses a function whose state that format cannot hold, before the sink's format is
/// checked.
#[test]
fn aggregate_state_in_the_source_value_format() {
    let delimited = "CREATE STREAM D (ID BIGINT KEY, NAME STRING, V INT) \
                     WITH (KAFKA_TOPIC='d', VALUE_FORMAT='DELIMITED');";
    let refused = "One of the functions used in the statement has an intermediate type that \
                   the value format can not handle. Please remove the function or change the \
                   format.";
    for select in [
        "ID, TOPK(V, 3) AS T",
        "ID, AVG(V) AS A",
        "ID, COLLECT_LIST(NAME) AS L",
        "ID, HISTOGRAM(NAME) AS H",
        "ID, LATEST_BY_OFFSET(V) AS L",
        "ID, COUNT_DISTINCT(V) AS C",
    ] {
        for sink_format in ["DELIMITED", "JSON"] {
            let query = format!(
                "{delimited}CREATE TABLE T WITH (VALUE_FORMAT='{sink_format}') AS \
                 SELECT {select} FROM D GROUP BY ID;"
            );
            let err = error_of(&query);
            assert!(err.contains(refused), "{query}: {err}");
        }
    }
    // Primitive state is fine; from a JSON source the DELIMITED sink refuses the ARRAY itself.
    super::tests::schema_of(
        &format!(
            "{delimited}CREATE TABLE T AS SELECT ID, COUNT(*) AS N, MAX(V) AS M FROM D GROUP BY ID;"
        ),
        "T",
    );
    let err = error_of(
        "CREATE TABLE T WITH (VALUE_FORMAT='DELIMITED') AS SELECT CUSTOMER, \
         COLLECT_LIST(STATUS) AS L FROM ORDERS GROUP BY CUSTOMER;",
    );
    assert!(
        err.contains("Value format does not support schema."),
        "{err}"
    );
}

/// ksqlDB's `AstBuilder` checks every qualifier against the query's sources while it builds
/// the statement: before sources are looked up or columns resolved (an ambiguous column, an
/// unknown source), the first in the text.
#[test]
fn unknown_qualifiers_come_first() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT O.ID FROM ORDERS O JOIN RETURNS R WITHIN 1 HOUR \
             ON ID = NOPE.ID;",
            "'NOPE' is not a valid stream/table name or alias.",
        ),
        (
            "CREATE STREAM S AS SELECT X.ID, Y.ID FROM ORDERS O WHERE AMOUNTT > 1;",
            "'X' is not a valid stream/table name or alias.",
        ),
        (
            "CREATE STREAM S AS SELECT O.ID FROM ORDERS O WHERE ORDERS.STATUS = 'x';",
            "'ORDERS' is not a valid stream/table name or alias.",
        ),
        (
            "CREATE STREAM S AS SELECT Q.ID FROM NOTHING N;",
            "'Q' is not a valid stream/table name or alias.",
        ),
        (
            "INSERT INTO NOWHERE SELECT Q.ID FROM ORDERS;",
            "'Q' is not a valid stream/table name or alias.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `LogicalPlanner.buildOutputNode` checks the sink's TIMESTAMP column before the output node
/// checks that the keys are selected.
#[test]
fn the_sink_timestamp_before_the_keys() {
    for (query, expected) in [
        (
            "CREATE STREAM S WITH (TIMESTAMP='nope') AS SELECT CUSTOMER, AMOUNT FROM ORDERS;",
            "The TIMESTAMP column set in the WITH clause does not exist in the schema: 'NOPE'",
        ),
        (
            "CREATE TABLE T WITH (TIMESTAMP='N') AS SELECT LATEST_BY_OFFSET(STATUS) AS N \
             FROM ORDERS GROUP BY CUSTOMER;",
            "Timestamp column, `N`, should be LONG(INT64), TIMESTAMP, or a String with a \
             timestamp_format specified.",
        ),
        (
            "CREATE STREAM S WITH (TIMESTAMP='CUSTOMER') AS SELECT CUSTOMER, AMOUNT FROM ORDERS;",
            "Timestamp column, `CUSTOMER`, should be LONG(INT64), TIMESTAMP",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}
