//! User mistakes and the exact error text weir prints for them.

use super::*;

/// (what the user got wrong, the file they wrote)
const MISTAKES: &[(&str, &str)] = &[
    (
        "unknown property",
        "CREATE STREAM S (A INT) WITH (KAFKA_TOPC='s', VALUE_FORMAT='JSON');",
    ),
    (
        "missing semicolon",
        "CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON')\nCREATE STREAM T AS SELECT * FROM S;",
    ),
    ("drop stream", "DROP STREAM S DELETE TOPIC;"),
    (
        "bad window type",
        "CREATE TABLE T AS SELECT K, COUNT(*) FROM S\n  WINDOW TUMBELING (SIZE 1 MINUTE) GROUP BY K;",
    ),
    (
        "unterminated string",
        "SET 'auto.offset.reset' = 'earliest;\nCREATE STREAM T AS SELECT * FROM S;",
    ),
    ("bare select", "SELECT * FROM S EMIT CHANGES;"),
    ("insert values", "INSERT INTO S (A) VALUES (1);"),
    ("missing from", "CREATE STREAM T AS SELECT A, B;"),
    (
        "bad time unit",
        "CREATE TABLE T AS SELECT K, COUNT(*) FROM S WINDOW TUMBLING (SIZE 5 MINUTS) GROUP BY K;",
    ),
    (
        "clause order",
        "CREATE TABLE T AS SELECT K, COUNT(*) FROM S GROUP BY K WHERE K > 0;",
    ),
    (
        "reserved word as column",
        "CREATE STREAM S (FROM INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');",
    ),
    (
        "map with equals",
        "CREATE STREAM T AS SELECT MAP('a' = 1) FROM S;",
    ),
    (
        "duplicate property",
        "CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', kafka_topic='t', VALUE_FORMAT='JSON');",
    ),
    (
        "hopping without advance",
        "CREATE TABLE T AS SELECT K, COUNT(*) FROM S WINDOW HOPPING (SIZE 1 MINUTE) GROUP BY K;",
    ),
    (
        "columns on create as",
        "CREATE STREAM T (A INT) AS SELECT * FROM S;",
    ),
    (
        "misspelled statement",
        "CRATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');",
    ),
    (
        "join without on",
        "CREATE STREAM T AS SELECT * FROM A JOIN B WITHIN 1 HOUR A.ID = B.ID;",
    ),
    ("terminate", "TERMINATE CSAS_T_1;"),
    (
        "date literal",
        "CREATE STREAM T AS SELECT DATE '2020-01-01' AS D FROM S;",
    ),
    (
        "unclosed parenthesis",
        "CREATE STREAM T AS SELECT (A + B FROM S;",
    ),
    (
        "several errors at once",
        "CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', VALU_FORMAT='JSON');\nDROP TABLE X;\nCREATE STREAM T AS SELECT * FROM S WHERE;\n",
    ),
    (
        "non-ascii before the error",
        "-- café ☕\nCREATE STREAM S (A INT) WITH (KAFKA_TOPIC='☕', VALUE_FORMT='JSON');",
    ),
];

#[test]
#[ignore = "prints every rendered mistake, for reviewing new messages"]
fn print_mistakes() {
    for (what, source) in MISTAKES {
        println!("=== {what}\n{}", render_errors(source));
    }
}

fn expect(what: &str, expected: &str) {
    let (_, source) = MISTAKES.iter().find(|(name, _)| *name == what).unwrap();
    assert_eq!(render_errors(source), expected, "rendering of `{what}`");
}

#[test]
fn unknown_property() {
    expect(
        "unknown property",
        r#"error: unknown property `KAFKA_TOPC`
 --> app.sql:1:31
  |
1 | CREATE STREAM S (A INT) WITH (KAFKA_TOPC='s', VALUE_FORMAT='JSON');
  |                               ^^^^^^^^^^
  = help: did you mean `KAFKA_TOPIC`?
"#,
    );
}

#[test]
fn missing_semicolon() {
    expect(
        "missing semicolon",
        r#"error: missing `;` before the next statement (`CREATE`)
 --> app.sql:1:68
  |
1 | CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON')
  |                                                                    ^
  = help: end every statement with `;`
"#,
    );
}

#[test]
fn drop_stream() {
    expect(
        "drop stream",
        r#"error: `DROP STREAM` is not allowed in a queries file
 --> app.sql:1:1
  |
1 | DROP STREAM S DELETE TOPIC;
  | ^^^^^^^^^^^
  = help: to remove a query or source, delete its statement from the file and re-lock; a headless queries file holds only persistent queries (`CREATE STREAM|TABLE … AS SELECT`, `INSERT INTO … SELECT`) and the streams, tables, types and properties they use
"#,
    );
}

#[test]
fn bad_window_type() {
    expect(
        "bad window type",
        r#"error: expected a window type (TUMBLING, HOPPING or SESSION), found `TUMBELING`
 --> app.sql:2:10
  |
2 |   WINDOW TUMBELING (SIZE 1 MINUTE) GROUP BY K;
  |          ^^^^^^^^^
  = help: did you mean `TUMBLING`?
"#,
    );
}

#[test]
fn unterminated_string() {
    expect(
        "unterminated string",
        r#"error: unterminated string literal
 --> app.sql:1:27
  |
1 | SET 'auto.offset.reset' = 'earliest;
  |                           ^^^^^^^^^^
  = help: close the string with `'`; write `''` for a quote inside a string
"#,
    );
}

#[test]
fn bare_select() {
    expect(
        "bare select",
        r#"error: `SELECT` is not allowed in a queries file
 --> app.sql:1:1
  |
1 | SELECT * FROM S EMIT CHANGES;
  | ^^^^^^
  = help: a bare `SELECT` is a transient push query; to run it persistently write `CREATE STREAM name AS SELECT …`; a headless queries file holds only persistent queries (`CREATE STREAM|TABLE … AS SELECT`, `INSERT INTO … SELECT`) and the streams, tables, types and properties they use
"#,
    );
}

#[test]
fn insert_values() {
    expect(
        "insert values",
        r#"error: `INSERT INTO … VALUES` is not allowed in a queries file
 --> app.sql:1:1
  |
1 | INSERT INTO S (A) VALUES (1);
  | ^^^^^^^^^^^^^
  = help: a queries file holds persistent queries only; produce the rows to the topic instead
"#,
    );
}

#[test]
fn missing_from() {
    expect(
        "missing from",
        r#"error: expected `,` or `FROM` after the select list, found `;`
 --> app.sql:1:31
  |
1 | CREATE STREAM T AS SELECT A, B;
  |                               ^
  = help: a persistent query reads from a stream or table: `SELECT … FROM source`
"#,
    );
}

#[test]
fn bad_time_unit() {
    expect(
        "bad time unit",
        r#"error: expected a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS), found `MINUTS`
 --> app.sql:1:69
  |
1 | CREATE TABLE T AS SELECT K, COUNT(*) FROM S WINDOW TUMBLING (SIZE 5 MINUTS) GROUP BY K;
  |                                                                     ^^^^^^
  = help: did you mean `MINUTES`?
"#,
    );
}

#[test]
fn clause_order() {
    expect(
        "clause order",
        r#"error: `WHERE` must come before `GROUP BY`
 --> app.sql:1:56
  |
1 | CREATE TABLE T AS SELECT K, COUNT(*) FROM S GROUP BY K WHERE K > 0;
  |                                                        ^^^^^
  = help: ksqlDB's clause order is WINDOW, WHERE, GROUP BY, PARTITION BY, HAVING, EMIT, LIMIT
"#,
    );
}

#[test]
fn reserved_word_as_column() {
    expect(
        "reserved word as column",
        r#"error: expected a column name, found reserved word `FROM`
 --> app.sql:1:18
  |
1 | CREATE STREAM S (FROM INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
  |                  ^^^^
  = help: a reserved word can be a name when quoted, as in "FROM"
"#,
    );
}

#[test]
fn map_with_equals() {
    expect(
        "map with equals",
        r#"error: expected `key := value` in `MAP(…)`
 --> app.sql:1:31
  |
1 | CREATE STREAM T AS SELECT MAP('a' = 1) FROM S;
  |                               ^^^^^^^
  = help: map entries pair keys and values with `:=`, not `=`
"#,
    );
}

#[test]
fn duplicate_property() {
    expect(
        "duplicate property",
        r#"error: property `KAFKA_TOPIC` is set more than once
 --> app.sql:1:48
  |
1 | CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', kafka_topic='t', VALUE_FORMAT='JSON');
  |                                                ^^^^^^^^^^^
  = help: remove one of the two settings
"#,
    );
}

#[test]
fn hopping_without_advance() {
    expect(
        "hopping without advance",
        r#"error: expected `, ADVANCE BY`, found `)`
 --> app.sql:1:74
  |
1 | CREATE TABLE T AS SELECT K, COUNT(*) FROM S WINDOW HOPPING (SIZE 1 MINUTE) GROUP BY K;
  |                                                                          ^
  = help: a hopping window needs both a size and an advance: `HOPPING (SIZE 1 MINUTE, ADVANCE BY 10 SECONDS)`
"#,
    );
}

#[test]
fn columns_on_create_as() {
    expect(
        "columns on create as",
        r#"error: `CREATE … AS SELECT` cannot declare columns
 --> app.sql:1:17
  |
1 | CREATE STREAM T (A INT) AS SELECT * FROM S;
  |                 ^^^^^^^^^^
  = help: the columns come from the query; remove the column list
"#,
    );
}

#[test]
fn misspelled_statement() {
    expect(
        "misspelled statement",
        r#"error: expected a statement, found `CRATE`
 --> app.sql:1:1
  |
1 | CRATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
  | ^^^^^
  = help: did you mean `CREATE`?
"#,
    );
}

#[test]
fn join_without_on() {
    expect(
        "join without on",
        r#"error: expected `ON` and a join condition, found `A`
 --> app.sql:1:57
  |
1 | CREATE STREAM T AS SELECT * FROM A JOIN B WITHIN 1 HOUR A.ID = B.ID;
  |                                                         ^
  = help: every join needs a condition, as in `JOIN other ON s.id = other.id`
"#,
    );
}

#[test]
fn terminate() {
    expect(
        "terminate",
        r#"error: `TERMINATE` is not allowed in a queries file
 --> app.sql:1:1
  |
1 | TERMINATE CSAS_T_1;
  | ^^^^^^^^^
  = help: to remove a query or source, delete its statement from the file and re-lock; a headless queries file holds only persistent queries (`CREATE STREAM|TABLE … AS SELECT`, `INSERT INTO … SELECT`) and the streams, tables, types and properties they use
"#,
    );
}

#[test]
fn date_literal() {
    expect(
        "date literal",
        r#"error: unknown typed literal `DATE '…'`
 --> app.sql:1:27
  |
1 | CREATE STREAM T AS SELECT DATE '2020-01-01' AS D FROM S;
  |                           ^^^^^^^^^^^^^^^^^
  = help: ksqlDB has no `DATE '…'` literal; write `CAST('2020-01-01' AS DATE)` or use a PARSE_DATE function
"#,
    );
}

#[test]
fn unclosed_parenthesis() {
    expect(
        "unclosed parenthesis",
        r#"error: expected `)`, found `FROM`
 --> app.sql:1:34
  |
1 | CREATE STREAM T AS SELECT (A + B FROM S;
  |                                  ^^^^
"#,
    );
}

#[test]
fn several_errors_at_once() {
    expect(
        "several errors at once",
        r#"error: unknown property `VALU_FORMAT`
 --> app.sql:1:48
  |
1 | CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', VALU_FORMAT='JSON');
  |                                                ^^^^^^^^^^^
  = help: did you mean `VALUE_FORMAT`?

error: `DROP TABLE` is not allowed in a queries file
 --> app.sql:2:1
  |
2 | DROP TABLE X;
  | ^^^^^^^^^^
  = help: to remove a query or source, delete its statement from the file and re-lock; a headless queries file holds only persistent queries (`CREATE STREAM|TABLE … AS SELECT`, `INSERT INTO … SELECT`) and the streams, tables, types and properties they use

error: expected an expression, found `;`
 --> app.sql:3:41
  |
3 | CREATE STREAM T AS SELECT * FROM S WHERE;
  |                                         ^
"#,
    );
}

#[test]
fn non_ascii_before_the_error() {
    expect(
        "non-ascii before the error",
        r#"error: unknown property `VALUE_FORMT`
 --> app.sql:2:48
  |
2 | CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='☕', VALUE_FORMT='JSON');
  |                                                ^^^^^^^^^^^
  = help: did you mean `VALUE_FORMAT`?
"#,
    );
}

/// ksqlDB's `ParserUtil` texts for numbers it cannot read, inside weir's rendering.
#[test]
fn numeric_literals_out_of_range_use_ksqldb_text() {
    assert_eq!(
        render_errors("CREATE STREAM T AS SELECT * FROM S WHERE A > 99999999999999999999;"),
        r#"error: Invalid numeric literal: 99999999999999999999
 --> app.sql:1:46
  |
1 | CREATE STREAM T AS SELECT * FROM S WHERE A > 99999999999999999999;
  |                                              ^^^^^^^^^^^^^^^^^^^^
"#
    );
    let text = render_errors("CREATE STREAM T AS SELECT 2E400 AS D FROM S;");
    assert!(
        text.starts_with("error: Number overflows DOUBLE: 2E400\n"),
        "{text}"
    );
    let text = render_errors("CREATE STREAM T AS SELECT -9223372036854775809 AS D FROM S;");
    assert!(
        text.starts_with("error: Invalid numeric literal: -9223372036854775809\n"),
        "{text}"
    );
}
