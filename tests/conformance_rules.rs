//! Unit tests of the conformance runner's rules: how expected records are compared
//! (`tests/conformance/expected.rs`), how failures are sorted by cause
//! (`tests/conformance/causes.rs`), how expected messages are matched and their differences
//! sorted (`tests/conformance/messages.rs`), and which input values are written as the case
//! file writes them (`tests/conformance/raw.rs`). They live here because the runner is a
//! binary without a test harness.

#[path = "conformance/causes.rs"]
#[allow(dead_code)]
mod causes;
#[path = "conformance/expected.rs"]
mod expected;
#[path = "conformance/messages.rs"]
#[allow(dead_code)]
mod messages;
#[path = "conformance/raw.rs"]
mod raw;

use causes::{Cause, calls_test_jar_function, cause};
use expected::{blank_empty_bytes, matches};
use serde_json::json;
use weir::types::{SqlType, StructField};

fn field(name: &str, ty: SqlType) -> StructField {
    StructField {
        name: name.into(),
        ty,
    }
}

fn row(fields: Vec<StructField>) -> SqlType {
    SqlType::Struct(fields)
}

#[test]
fn an_expected_lower_case_name_finds_the_upper_case_field() {
    let ty = row(vec![field("JSON_V", SqlType::String)]);
    assert!(matches(
        &json!({"json_v": "1"}),
        &json!({"JSON_V": "1"}),
        Some(&ty)
    ));
    assert!(!matches(
        &json!({"json_v": "2"}),
        &json!({"JSON_V": "1"}),
        Some(&ty)
    ));
}

#[test]
fn a_quoted_lower_case_field_is_not_found_by_an_upper_case_expectation() {
    // The fallback upper-cases the expected name only, so case still matters this way.
    let ty = row(vec![field("foo", SqlType::Int)]);
    assert!(matches(&json!({"foo": 1}), &json!({"foo": 1}), Some(&ty)));
    assert!(!matches(&json!({"FOO": 1}), &json!({"foo": 1}), Some(&ty)));
}

#[test]
fn an_exact_name_wins_over_the_upper_case_one() {
    let ty = row(vec![field("a", SqlType::Int), field("A", SqlType::Int)]);
    let got = json!({"a": 1, "A": 2});
    assert!(matches(&json!({"a": 1, "A": 2}), &got, Some(&ty)));
    assert!(!matches(&json!({"a": 2, "A": 2}), &got, Some(&ty)));
}

#[test]
fn nested_struct_fields_fall_back_at_every_level() {
    let inner = row(vec![
        field("ID", SqlType::Int),
        field("name", SqlType::String),
    ]);
    let ty = row(vec![field("S", SqlType::Array(Box::new(inner)))]);
    let got = json!({"S": [{"ID": 1, "name": "x"}]});
    assert!(matches(
        &json!({"s": [{"id": 1, "name": "x"}]}),
        &got,
        Some(&ty)
    ));
    // `NAME` upper-cased is still `NAME`, and the field is `name`.
    assert!(!matches(
        &json!({"s": [{"id": 1, "NAME": "x"}]}),
        &got,
        Some(&ty)
    ));
}

#[test]
fn map_keys_compare_exactly_even_inside_a_struct() {
    let map = SqlType::Map(Box::new(SqlType::String), Box::new(SqlType::Int));
    let ty = row(vec![field("M", map)]);
    let got = json!({"M": {"Key": 1, "KEY": 2, "key": 3}});
    assert!(matches(
        &json!({"m": {"Key": 1, "KEY": 2, "key": 3}}),
        &got,
        Some(&ty)
    ));
    assert!(!matches(
        &json!({"m": {"kEY": 1, "KEY": 2, "key": 3}}),
        &got,
        Some(&ty)
    ));
    let upper_only = json!({"M": {"K": 1}});
    assert!(!matches(&json!({"M": {"k": 1}}), &upper_only, Some(&ty)));
}

#[test]
fn a_struct_inside_a_map_value_still_falls_back() {
    let inner = row(vec![field("V", SqlType::Int)]);
    let map = SqlType::Map(Box::new(SqlType::String), Box::new(inner));
    let ty = row(vec![field("M", map)]);
    let got = json!({"M": {"a": {"V": 1}}});
    assert!(matches(&json!({"M": {"a": {"v": 1}}}), &got, Some(&ty)));
}

#[test]
fn field_counts_must_agree() {
    let ty = row(vec![field("A", SqlType::Int), field("B", SqlType::Int)]);
    assert!(!matches(
        &json!({"a": 1}),
        &json!({"A": 1, "B": null}),
        Some(&ty)
    ));
    assert!(!matches(
        &json!({"a": 1, "A": 1, "b": null}),
        &json!({"A": 1, "B": null}),
        Some(&ty)
    ));
}

#[test]
fn a_name_found_neither_way_reads_as_null() {
    let ty = row(vec![field("A", SqlType::Int), field("B", SqlType::Int)]);
    let got = json!({"A": null, "B": 1});
    assert!(matches(&json!({"X": null, "b": 1}), &got, Some(&ty)));
    assert!(!matches(&json!({"X": 1, "b": 1}), &got, Some(&ty)));
}

#[test]
fn without_a_type_objects_compare_exactly() {
    assert!(!matches(&json!({"a": 1}), &json!({"A": 1}), None));
    assert!(matches(&json!({"A": 1.0}), &json!({"A": 1}), None));
}

#[test]
fn numbers_and_decimal_text_compare_by_value() {
    assert!(matches(
        &json!("005.40"),
        &json!(5.4),
        Some(&SqlType::Double)
    ));
    assert!(!matches(&json!("5.4x"), &json!(5.4), None));
}

#[test]
fn empty_top_level_bytes_read_as_null() {
    let ty = row(vec![
        field("B", SqlType::Bytes),
        field("S", SqlType::String),
    ]);
    let got = blank_empty_bytes(json!({"B": "", "S": ""}), Some(&ty));
    assert_eq!(got, json!({"B": null, "S": ""}));
    let kept = blank_empty_bytes(json!({"B": "IQ=="}), Some(&ty));
    assert_eq!(kept, json!({"B": "IQ=="}));
    // A bare BYTES value is no record: nothing to blank.
    assert_eq!(
        blank_empty_bytes(json!(""), Some(&SqlType::Bytes)),
        json!("")
    );
}

#[test]
fn nested_empty_bytes_stay_empty() {
    let inner = row(vec![field("B", SqlType::Bytes)]);
    let ty = row(vec![field("S", inner)]);
    let got = blank_empty_bytes(json!({"S": {"B": ""}}), Some(&ty));
    assert_eq!(got, json!({"S": {"B": ""}}));
}

#[test]
fn a_test_jar_function_is_found_when_called_in_any_case() {
    assert!(calls_test_jar_function("SELECT test_udf(a, b) FROM s;"));
    assert!(calls_test_jar_function(
        "SELECT k, TOSTRUCT (v) AS s FROM s;"
    ));
    assert!(calls_test_jar_function(
        "SELECT Var_Arg(a) FROM s GROUP BY k;"
    ));
}

#[test]
fn a_test_jar_name_that_is_not_a_call_is_not_found() {
    assert!(!calls_test_jar_function("SELECT test_udf FROM s;"));
    assert!(!calls_test_jar_function(
        "SELECT 'test_udf(1)' AS t FROM s;"
    ));
    assert!(!calls_test_jar_function("SELECT my_test_udf(a) FROM s;"));
    assert!(!calls_test_jar_function(
        "SELECT TOPK(a, 2) FROM s GROUP BY k;"
    ));
}

#[test]
fn failures_are_sorted_by_cause() {
    assert_eq!(cause(true, "anything"), Cause::TestJarUdf);
    assert_eq!(
        cause(false, "`DROP STREAM` is not allowed in a queries file"),
        Cause::UnsupportedByDesign
    );
    assert_eq!(
        cause(false, "topic OUTPUT record 0: expected"),
        Cause::KnownGap
    );
}

fn at(line: usize, column: usize) -> Option<weir::sql::LineColumn> {
    Some(weir::sql::LineColumn { line, column })
}

#[test]
fn ksqldb_frames_are_read_off_and_their_location_checked() {
    let ambiguous = "Column 'F0' is ambiguous. Could be I1.F0 or I2.F0.";
    let framed = format!("Exception while preparing statement: Line: 3, Col: 38: {ambiguous}");
    assert!(messages::matches(&framed, ambiguous, at(3, 38)));
    assert!(!messages::matches(&framed, ambiguous, at(3, 37)));
    assert!(!messages::matches(&framed, ambiguous, None));
    // A `ParsingException` from the AST builder adds one to the node's 1-based column.
    let literal = "Failed to prepare statement: line 2:40: Invalid numeric literal: 9";
    assert!(messages::matches(
        literal,
        "Invalid numeric literal: 9",
        at(2, 39)
    ));
    assert!(!messages::matches(
        literal,
        "Invalid numeric literal: 9",
        at(1, 39)
    ));
    let echoed = "Key format does not support schema.\nStatement: CREATE TABLE T AS SELECT 1";
    assert!(messages::matches(
        echoed,
        "Key format does not support schema.",
        None
    ));
    assert!(!messages::matches(
        echoed,
        "Value format does not support schema.",
        None
    ));
    // Plain containment, as ksqlDB's harness matches.
    assert!(messages::matches("ambiguous", ambiguous, None));
}

#[test]
fn message_differences_by_design_follow_a_rule() {
    use messages::{Mismatch, classify};
    let refused = "`DROP STREAM` is not allowed in a queries file";
    assert_eq!(
        classify("Stream TEST does not exist", refused, true),
        Mismatch::RefusedStatement
    );
    let syntax = "line 2:74: Syntax Error\nmissing ')' at ','";
    assert_eq!(
        classify(syntax, "expected `)`", true),
        Mismatch::SyntaxError
    );
    // Not a syntax error of weir's parser: a message still to align.
    assert_eq!(classify(syntax, "expected `)`", false), Mismatch::Other);
    assert_eq!(classify("Unknown column X.", "Y", false), Mismatch::Other);
    assert!(Mismatch::SyntaxError.by_design() && !Mismatch::Other.by_design());
}

#[test]
fn input_objects_and_arrays_keep_the_text_they_are_written_in() {
    let text = r#"{"tests":[{"name":"n","inputs":[{"value":{"B":1,"A":{"D":2,"C":3}}},
        {"value":5},{"value":[{"Y":1,"X":2}]},{"key":"k"}]},{"name":"no inputs"}]}"#;
    let mut doc: serde_json::Value = serde_json::from_str(text).unwrap();
    raw::annotate(&mut doc, text);
    let inputs = &doc["tests"][0]["inputs"];
    assert_eq!(inputs[0][raw::VALUE_TEXT], r#"{"B":1,"A":{"D":2,"C":3}}"#);
    assert!(inputs[1].get(raw::VALUE_TEXT).is_none());
    assert_eq!(inputs[2][raw::VALUE_TEXT], r#"[{"Y":1,"X":2}]"#);
    assert!(inputs[3].get(raw::VALUE_TEXT).is_none());
    // The parsed value itself is untouched.
    assert_eq!(inputs[0]["value"]["B"], 1);
}
