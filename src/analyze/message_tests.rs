//! Analyzer tests of ksqlDB's message rules: each rule (its template in ksqlDB's source is
//! named on the test) over several clauses, types and functions, not only the case that
//! showed it.

use super::tests::{error_of, schema_of};

/// ksqlDB reads `F(*)` as `F()`: COUNT accepts it, every other function reports `()`.
#[test]
fn a_star_call_is_a_call_without_arguments() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID, ABS(*) AS A FROM ORDERS;",
            "Function 'Abs' does not accept parameters ().",
        ),
        (
            "CREATE TABLE T AS SELECT STATUS, SUM(*) AS N FROM ORDERS GROUP BY STATUS;",
            "Function 'SUM' does not accept parameters ().",
        ),
        (
            "CREATE STREAM S AS SELECT ID FROM ORDERS WHERE LEN(*) > 1;",
            "Function 'len' does not accept parameters ().",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
    schema_of(
        "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N FROM ORDERS GROUP BY STATUS;",
        "T",
    );
}

/// ksqlDB's `AmbiguousColumnException`: qualified candidates, sorted, in a list ending in "or".
#[test]
fn ambiguous_columns_list_their_candidates_sorted() {
    let err = error_of(
        "CREATE STREAM S AS SELECT Z.ID AS ZID, ID FROM ORDERS Z \
         JOIN RETURNS A WITHIN 1 SECOND ON Z.ID = A.ID;",
    );
    assert!(
        err.contains("Column 'ID' is ambiguous. Could be A.ID or Z.ID."),
        "{err}"
    );
}

/// ksqlDB's `Analyzer.checkForReservedToken`: a reserved name selected as itself (bare or
/// aliased to its own name) versus a reserved name given to another expression.
#[test]
fn reserved_names_in_a_projection() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID, ROWTIME FROM ORDERS;",
            "Reserved column name in select: `ROWTIME`. Please remove or alias the column.",
        ),
        (
            "CREATE STREAM S AS SELECT ID, O.ROWPARTITION AS ROWPARTITION FROM ORDERS O;",
            "Reserved column name in select: `ROWPARTITION`. Please remove or alias the column.",
        ),
        (
            "CREATE STREAM S AS SELECT ID, AMOUNT AS ROWOFFSET FROM ORDERS;",
            "`ROWOFFSET` is a reserved column name. You cannot use it as an alias for a column.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `AggregateAnalyzer`: each select expression reading a column outside the
/// grouping, as written, then what to do about it.
#[test]
fn ungrouped_select_expressions_are_named_whole() {
    for (query, listed) in [
        (
            "CREATE TABLE T AS SELECT CUSTOMER, UCASE(STATUS) AS U, COUNT(*) AS N FROM ORDERS \
             GROUP BY CUSTOMER;",
            "UCASE(STATUS)",
        ),
        (
            "CREATE TABLE T AS SELECT CUSTOMER, (AMOUNT * SUM(AMOUNT)) AS X FROM ORDERS \
             GROUP BY CUSTOMER;",
            "(AMOUNT * SUM(AMOUNT))",
        ),
        (
            "CREATE TABLE T AS SELECT CUSTOMER, ID, LEN(STATUS) AS L, COUNT(*) AS N \
             FROM ORDERS GROUP BY CUSTOMER;",
            "ID, LEN(STATUS)",
        ),
    ] {
        let err = error_of(query);
        assert!(
            err.contains(&format!(
                "Non-aggregate SELECT expression(s) not part of GROUP BY: {listed}\n\
                 Either add the column(s) to the GROUP BY or remove them from the SELECT."
            )),
            "{query}: {err}"
        );
    }
    // Columns that are each grouped make any expression of them grouped.
    schema_of(
        "CREATE TABLE T WITH (KEY_FORMAT='JSON') AS SELECT CUSTOMER, STATUS, CUSTOMER + STATUS AS CS, COUNT(*) AS N \
         FROM ORDERS GROUP BY CUSTOMER, STATUS;",
        "T",
    );
}

/// ksqlDB's `CoercionUtil.coerceUserList` over `x IN (…)`: the type folded so far, the
/// entry's type and text; string literals must read as the list's number or BOOLEAN.
#[test]
fn in_lists_without_a_common_type() {
    let hint = "\nHint: You might need to add explicit type casts.";
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE CUSTOMER IN ('a', AMOUNT);",
            format!(
                "Invalid Predicate: operator does not exist: STRING = DECIMAL(10, 2) (AMOUNT){hint}"
            ),
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE ID IN (1, 2.5, false);",
            format!(
                "Invalid Predicate: operator does not exist: DECIMAL(20, 1) = BOOLEAN (false){hint}"
            ),
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE (ID > 1) IN (STATUS);",
            format!("Invalid Predicate: operator does not exist: BOOLEAN = STRING (STATUS){hint}"),
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE ID IN (NULL, 'many');",
            "Invalid Predicate: invalid input syntax for type BIGINT: \"many\".".to_string(),
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE (ID > 1) IN ('maybe');",
            "Invalid Predicate: invalid input syntax for type BOOLEAN: \"maybe\".".to_string(),
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(&expected), "{query}: {err}");
    }
    // Literals of any kind join a STRING list; numeric strings join a numeric one.
    schema_of(
        "CREATE STREAM S AS SELECT * FROM ORDERS WHERE CUSTOMER IN ('a', 1, 2.5) \
         AND ID IN ('10', 2, 3.5);",
        "S",
    );
}

/// ksqlDB's `LogicalPlanner` join checks: the condition as written with its columns
/// qualified, the sources by name and the join type in `JoinNode.JoinType`'s words.
#[test]
fn join_conditions_are_printed_as_written_and_qualified() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS JOIN CUSTOMERS ON NAME = STATUS;",
            "Invalid join condition: stream-table joins require to join on the table's primary \
             key. Got CUSTOMERS.NAME = ORDERS.STATUS.",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS O JOIN CUSTOMERS C \
             ON C.CUSTOMER = CAST(ID AS DECIMAL(20, 0));",
            "Invalid join condition: types don't match. \
             Got C.CUSTOMER{STRING} = CAST(O.ID AS DECIMAL(20, 0)){DECIMAL(20, 0)}.",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS O FULL OUTER JOIN CUSTOMERS C \
             ON O.CUSTOMER = C.CUSTOMER;",
            "Invalid join type: full-outer join not supported for stream-table join. \
             Got ORDERS [FULL] OUTER JOIN CUSTOMERS.",
        ),
        (
            "CREATE TABLE T AS SELECT * FROM CUSTOMERS C LEFT JOIN ORDERS O \
             ON O.CUSTOMER = C.CUSTOMER;",
            "Invalid join order: table-stream joins are not supported; only stream-table joins. \
             Got CUSTOMERS LEFT [OUTER] JOIN ORDERS.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `Analyzer.visitJoinedSource` and `visitAliasedRelation`, checked over every join
/// before any join's keys: the shape of `ON`, the sources each side reads, repeated sources.
#[test]
fn join_criteria_are_checked_as_ksqldb_analyzes_them() {
    let three = "FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER = C.CUSTOMER \
                 JOIN RETURNS R WITHIN 1 HOUR ON";
    for (query, expected) in [
        (
            format!("CREATE STREAM S AS SELECT * {three} O.ID = O.ID;"),
            "Each side of the join must reference exactly one source and not the same source. \
             Left side references `O` and right references `O`",
        ),
        (
            format!("CREATE STREAM S AS SELECT * {three} C.CUSTOMER = O.CUSTOMER;"),
            "A join criteria is expected to reference the source (`R`) in the FROM clause, \
             instead the right source references `O` and the left source references `C`",
        ),
        (
            format!("CREATE STREAM S AS SELECT * {three} O.ID = R.ID AND O.ID = R.ID;"),
            "Invalid join condition: joins on multiple conditions are not yet supported. \
             Got ((O.ID = R.ID) AND (O.ID = R.ID)).",
        ),
        (
            format!("CREATE STREAM S AS SELECT * {three} O.ID < R.ID;"),
            "Only equality join criteria is supported.",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS O JOIN RETURNS R WITHIN 1 HOUR \
             ON O.ID = R.ID JOIN RETURNS X WITHIN 1 HOUR ON O.ID = X.ID;"
                .to_string(),
            "N-way joins do not support multiple occurrences of the same source. \
             Source: 'RETURNS'.",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS O JOIN ORDERS X WITHIN 1 HOUR \
             ON O.ID = X.ID;"
                .to_string(),
            "Can not join 'ORDERS' to 'ORDERS': self joins are not yet supported.",
        ),
    ] {
        let err = error_of(&query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `AggregateAnalyzer` on nesting (`OUTER(INNER())`), `AggregateNode`'s list of
/// the grouping expressions a projection misses and `DataSourceNode`'s of all key columns.
#[test]
fn nested_aggregates_and_missing_keys() {
    for (query, expected) in [
        (
            "CREATE TABLE T AS SELECT STATUS, MAX(SUM(AMOUNT)) AS M FROM ORDERS GROUP BY STATUS;",
            "Aggregate functions can not be nested: MAX(SUM())",
        ),
        (
            "CREATE TABLE T AS SELECT STATUS, SUM(COUNT(*)) AS M FROM ORDERS GROUP BY STATUS;",
            "Aggregate functions can not be nested: SUM(COUNT())",
        ),
        (
            "CREATE TABLE T WITH (KEY_FORMAT='JSON') AS SELECT STATUS, COUNT(*) AS N \
             FROM ORDERS GROUP BY STATUS, CUSTOMER;",
            "The query used to build `T` must include the grouping expression CUSTOMER in its \
             projection (eg, SELECT CUSTOMER...).",
        ),
        (
            "CREATE STREAM K2 (A INT KEY, B INT KEY, V INT) WITH (KAFKA_TOPIC='k2', \
             FORMAT='JSON'); CREATE STREAM S AS SELECT B, V FROM K2;",
            "The query used to build `S` must include the key columns A and B in its \
             projection (eg, SELECT A, B...).",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `Analyzer` on PARTITION BY columns, and `CommonCreateConfigs` on FORMAT beside
/// KEY_FORMAT or VALUE_FORMAT.
#[test]
fn partition_by_columns_and_format_properties() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID, STATUS AS S2 FROM ORDERS PARTITION BY S2;",
            "PARTITION BY column 'S2' cannot be resolved. 'S2' must be a column in the source \
             schema since PARTITION BY is applied on the input.",
        ),
        (
            "CREATE STREAM X (A INT) WITH (KAFKA_TOPIC='x', FORMAT='JSON', KEY_FORMAT='KAFKA');",
            "Cannot supply both 'KEY_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key \
             and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `DuplicateColumnException` when a projection names two columns alike.
#[test]
fn duplicate_output_columns() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID, AMOUNT AS X, STATUS AS X FROM ORDERS;",
            "Duplicate value columns found in schema: `X` STRING",
        ),
        (
            "CREATE TABLE T AS SELECT STATUS AS N, SUM(AMOUNT) AS N FROM ORDERS GROUP BY STATUS;",
            "Duplicate value columns found in schema: `N` DECIMAL(10, 2)",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// ksqlDB's `ExpressionTypeManager` on arithmetic, `FilterTypeValidator`'s prefix on typing
/// errors in WHERE and HAVING, and `CreateSourceFactory` on reserved column names.
#[test]
fn arithmetic_filters_and_reserved_declarations() {
    for (query, expected) in [
        (
            "CREATE STREAM S AS SELECT ID, STATUS * 2 AS X FROM ORDERS;",
            "Error processing expression: (STATUS * 2). Unsupported arithmetic types. STRING INTEGER",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE (true + 1.5) > 0;",
            "Error in WHERE expression: Error processing expression: (true + 1.5). \
             Unsupported arithmetic types. BOOLEAN DECIMAL",
        ),
        (
            "CREATE STREAM S AS SELECT * FROM ORDERS WHERE LEN(AMOUNT) > 1;",
            "Error in WHERE expression: Function 'len' does not accept parameters \
             (DECIMAL(10, 2)).",
        ),
        (
            "CREATE TABLE T AS SELECT STATUS, COUNT(*) AS N FROM ORDERS GROUP BY STATUS \
             HAVING MAX(ID) - 'x' > 1;",
            "Error in HAVING expression: Error processing expression: (MAX(ID) - 'x'). \
             Unsupported arithmetic types. BIGINT STRING",
        ),
        (
            "CREATE STREAM X (ROWOFFSET INT) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON');",
            "'ROWOFFSET' is a reserved column name. You cannot use it as a name for a column.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// A key selected twice: ksqlDB's `LogicalPlanner` for a grouping expression (aliases in
/// projection order), its `FinalProjectNode` for a source's key column.
#[test]
fn keys_selected_twice() {
    for (query, expected) in [
        (
            "CREATE TABLE T AS SELECT STATUS AS B, STATUS AS A, COUNT(*) AS N FROM ORDERS \
             GROUP BY STATUS;",
            "The projection contains a key column more than once: `B` and `A`.\nEach key column \
             must only be in the projection once.",
        ),
        (
            "CREATE STREAM S AS SELECT ID AS B, ID AS A, STATUS FROM ORDERS;",
            "more than once, aliased as: A and B.\n\
             Each key column must only be in the projection once.",
        ),
    ] {
        let err = error_of(query);
        assert!(err.contains(expected), "{query}: {err}");
    }
}

/// `PlanNode.throwKeysNotIncludedError` prints partitioning expressions as the analyzer
/// leaves them: every column qualified by its source, inside calls too.
#[test]
fn partitioning_expressions_are_printed_qualified() {
    let err = error_of("CREATE STREAM S AS SELECT STATUS FROM ORDERS O PARTITION BY ABS(ID) * 2;");
    assert!(
        err.contains(
            "must include the partitioning expression (ABS(O.ID) * 2) in its projection \
             (eg, SELECT (ABS(O.ID) * 2)...)."
        ),
        "{err}"
    );
}
