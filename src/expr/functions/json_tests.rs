//! The JSON functions' cases: reading, paths, repeated names, numbers, malformed text and
//! large documents.

use super::super::test_support::*;
use super::*;

#[test]
fn extract_and_inspect_json_text() {
    let doc = r#"{"name":{"first":"Ann","tags":["a",{"x":1}]},"n":2.5}"#;
    let get = |path: &str| call("EXTRACTJSONFIELD", SqlType::String, &[s(doc), s(path)]).unwrap();
    assert_eq!(get("$.name.first"), sv("Ann"));
    assert_eq!(get("$.name.tags[1]"), sv(r#"{"x":1}"#));
    assert_eq!(get("$.n"), sv("2.5"));
    assert_eq!(get("$.missing"), Value::Null);
    assert_eq!(
        call(
            "EXTRACTJSONFIELD",
            SqlType::String,
            &[s(r#"{"a":null}"#), s("$.a")]
        ),
        Ok(sv("null"))
    );
    assert!(call("EXTRACTJSONFIELD", SqlType::String, &[s("{oops"), s("$.a")]).is_err());
    assert!(call("JSON_ITEMS", SqlType::array(SqlType::String), &[s("{}")]).is_err());
    assert_eq!(
        call(
            "JSON_RECORDS",
            SqlType::map(SqlType::String, SqlType::String),
            &[s(r#"{"a":"x","b":[1]}"#)]
        ),
        Ok(Value::map(vec![(sv("a"), sv("x")), (sv("b"), sv("[1]"))]))
    );
    assert_eq!(
        call(
            "EXTRACTJSONFIELD",
            SqlType::String,
            &[s(r#"{"a":"b"}}"#), s("$.a")]
        ),
        Ok(sv("b"))
    );
    assert_eq!(
        call("IS_JSON_STRING", SqlType::Boolean, &[s("{bad")]),
        Ok(Value::Boolean(false))
    );
    assert_eq!(
        call("JSON_ARRAY_LENGTH", SqlType::Int, &[s("[1,2,3]")]),
        Ok(Value::Int(3))
    );
    assert_eq!(
        call(
            "JSON_ARRAY_CONTAINS",
            SqlType::Boolean,
            &[s("[1,\"a\"]"), s("a")]
        ),
        Ok(Value::Boolean(true))
    );
    assert_eq!(
        call("JSON_ARRAY_CONTAINS", SqlType::Boolean, &[s("[1]"), i(2)]),
        Ok(Value::Boolean(false))
    );
    assert_eq!(
        call(
            "JSON_KEYS",
            SqlType::array(SqlType::String),
            &[s(r#"{"b":1,"a":2}"#)]
        ),
        Ok(Value::array(vec![sv("b"), sv("a")]))
    );
    assert_eq!(
        call(
            "JSON_ITEMS",
            SqlType::array(SqlType::String),
            &[s(r#"[{"a":1},2]"#)]
        ),
        Ok(Value::array(vec![sv(r#"{"a":1}"#), sv("2")]))
    );
}

#[test]
fn concat_and_to_json_string() {
    assert_eq!(
        call(
            "JSON_CONCAT",
            SqlType::String,
            &[s(r#"{"a":1}"#), s(r#"{"b":2,"a":3}"#)]
        ),
        Ok(sv(r#"{"a":3,"b":2}"#))
    );
    assert_eq!(
        call("JSON_CONCAT", SqlType::String, &[s("[1]"), s("2")]),
        Ok(sv("[1,2]"))
    );
    let ty = SqlType::map(SqlType::String, SqlType::array(SqlType::Int));
    let v = Value::map(vec![(
        sv("id"),
        Value::array(vec![Value::Int(1), Value::Int(2)]),
    )]);
    assert_eq!(
        call("TO_JSON_STRING", SqlType::String, &[(v, ty)]),
        Ok(sv(r#"{"id":[1,2]}"#))
    );
    assert_eq!(
        call("TO_JSON_STRING", SqlType::String, &[s("abc")]),
        Ok(sv("\"abc\""))
    );
    assert_eq!(
        call("TO_JSON_STRING", SqlType::String, &[null(SqlType::Int)]),
        Ok(sv("null"))
    );
    assert_eq!(
        call(
            "TO_JSON_STRING",
            SqlType::String,
            &[(Value::Timestamp(60220000000), SqlType::Timestamp)]
        ),
        Ok(sv("\"1971-11-28T23:46:40.000\""))
    );
}

#[test]
fn text_that_jackson_refuses_is_not_json() {
    let is_json = |text: &str| call("IS_JSON_STRING", SqlType::Boolean, &[s(text)]).unwrap();
    for bad in [
        "01",
        "-01",
        "\"\\u+041\"",
        "\"\\u041\"",
        "1.",
        "-",
        "+1",
        ".5",
        "1e",
        "1x",
        "1]",
        "truex",
        "null1",
        "nul",
        "[1,]",
        "{\"a\":1,}",
        "{'a':1}",
        "\"\\x\"",
        "\"a\tb\"",
        "",
        " ",
        "NaN",
    ] {
        assert_eq!(is_json(bad), Value::Boolean(false), "{bad:?}");
    }
    // Jackson's readTree reads the first value and ignores what follows it, as ksqlDB's
    // EXTRACTJSONFIELD cases rely on (`{...}}`).
    for good in [
        "0",
        "-0.5e+3",
        "1 x",
        "true]",
        "[1]]",
        "{\"a\":\"b\"}}",
        "\"\\u0041\"",
        " null ",
    ] {
        assert_eq!(is_json(good), Value::Boolean(true), "{good:?}");
    }
    assert_eq!(
        call("JSON_ARRAY_LENGTH", SqlType::Int, &[s("01")]),
        Err(EvalError::Function("Invalid JSON format:01".into()))
    );
    assert_eq!(
        call("JSON_ARRAY_LENGTH", SqlType::Int, &[s("  ")]),
        Ok(Value::Null)
    );
}

#[test]
fn repeated_names_keep_their_first_place_and_last_value() {
    let doc = r#"{"b":1,"a":{"x":1,"y":2,"x":3},"b":2}"#;
    assert_eq!(
        call("JSON_KEYS", SqlType::array(SqlType::String), &[s(doc)]),
        Ok(Value::array(vec![sv("b"), sv("a")]))
    );
    let get = |path: &str| call("EXTRACTJSONFIELD", SqlType::String, &[s(doc), s(path)]);
    assert_eq!(get("$.b"), Ok(sv("2")));
    assert_eq!(get("$.a"), Ok(sv(r#"{"x":3,"y":2}"#)));
    assert_eq!(
        call(
            "JSON_RECORDS",
            SqlType::map(SqlType::String, SqlType::String),
            &[s(doc)]
        ),
        // A Java `HashMap` iterates "a" (bucket 1) before "b" (bucket 2).
        Ok(Value::map(vec![
            (sv("a"), sv(r#"{"x":3,"y":2}"#)),
            (sv("b"), sv("2"))
        ]))
    );
}

#[test]
fn numbers_are_written_as_jackson_writes_big_decimals() {
    let doc = r#"[2.50, -0, 1e-7, 12345678901234567890]"#;
    assert_eq!(
        call("JSON_ITEMS", SqlType::array(SqlType::String), &[s(doc)]),
        Ok(Value::array(vec![
            sv("2.50"),
            sv("0"),
            sv("1E-7"),
            sv("12345678901234567890")
        ]))
    );
    // JSON_CONCAT's mapper writes decimals plain.
    assert_eq!(
        call("JSON_CONCAT", SqlType::String, &[s(doc), s("[]")]),
        Ok(sv("[2.50,0,0.0000001,12345678901234567890]"))
    );
    assert_eq!(
        call("TO_JSON_STRING", SqlType::String, &[s("a\u{1f}\"b")]),
        Ok(sv("\"a\\u001F\\\"b\""))
    );
}

#[test]
fn a_document_of_a_hundred_thousand_members_reads_in_linear_time() {
    let n = 100_000;
    let members: Vec<String> = (0..n).map(|i| format!("\"k{i}\":{i}")).collect();
    let doc = format!("{{{}}}", members.join(","));
    let Ok(Value::Array(keys)) = call("JSON_KEYS", SqlType::array(SqlType::String), &[s(&doc)])
    else {
        panic!("JSON_KEYS gave no array");
    };
    assert_eq!(keys.len(), n);
    assert_eq!(
        (&keys[0], &keys[n - 1]),
        (&sv("k0"), &sv(&format!("k{}", n - 1)))
    );
    // Merging it with itself repeats every name once more.
    let Ok(Value::String(merged)) = call("JSON_CONCAT", SqlType::String, &[s(&doc), s(&doc)])
    else {
        panic!("JSON_CONCAT gave no text");
    };
    assert_eq!(*merged, *doc);
    assert_eq!(
        call(
            "EXTRACTJSONFIELD",
            SqlType::String,
            &[s(&doc), s("$.k99999")]
        ),
        Ok(sv("99999"))
    );
}
