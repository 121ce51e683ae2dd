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

#[allow(dead_code)]
fn expect(what: &str, expected: &str) {
    let (_, source) = MISTAKES.iter().find(|(name, _)| *name == what).unwrap();
    assert_eq!(render_errors(source), expected, "rendering of `{what}`");
}
