//! The JSON reader's own cases: values, escapes, trailing content, malformed input, UTF-8
//! checks.

use super::*;

#[test]
fn reads_values_keeping_number_text() {
    let node = parse(br#" {"a": [1, -2.50, 1e3], "b": "x\"y", "c": null, "d": true} "#).unwrap();
    let JsonNode::Object(members) = node else {
        panic!("not an object")
    };
    assert_eq!(
        members[0].1,
        JsonNode::Array(vec![
            JsonNode::Number("1"),
            JsonNode::Number("-2.50"),
            JsonNode::Number("1e3")
        ])
    );
    assert_eq!(members[1].1, JsonNode::String(Cow::Owned("x\"y".into())));
    assert_eq!(members[2].1, JsonNode::Null);
    assert_eq!(members[3].1, JsonNode::Bool(true));
}

#[test]
fn decodes_escapes_and_surrogate_pairs() {
    assert_eq!(
        parse(br#""\u00e9\ud83d\ude00\n""#).unwrap(),
        JsonNode::String(Cow::Owned("é😀\n".into()))
    );
    assert!(matches!(
        parse(br#""plain""#).unwrap(),
        JsonNode::String(Cow::Borrowed("plain"))
    ));
}

#[test]
fn ignores_trailing_content_like_jackson() {
    assert_eq!(parse(b"1 2").unwrap(), JsonNode::Number("1"));
    assert_eq!(parse(b"1\n}").unwrap(), JsonNode::Number("1"));
    assert_eq!(parse(b"true]").unwrap(), JsonNode::Bool(true));
    assert_eq!(parse(b"null-").unwrap(), JsonNode::Null);
    assert_eq!(parse(b"false:x").unwrap(), JsonNode::Bool(false));
    assert_eq!(
        parse(br#"{"a":1}x"#).unwrap(),
        parse(br#"{"a":1}"#).unwrap()
    );
    assert_eq!(
        parse(br#""a"b"#).unwrap(),
        JsonNode::String(Cow::Borrowed("a"))
    );
}

#[test]
fn root_scalars_must_end_where_jackson_ends_them() {
    // Found by the fuzz runner: these read as `127`, `5394.41…` and `null` before.
    for bad in [
        "127\"312",
        "5394.4145078549270.485083213\n",
        "1]",
        "1,2",
        "-0x",
        "nullnull",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        assert!(parse_members(bad.as_bytes()).is_err(), "{bad:?}");
    }
    for bad in ["truex", "false1", "null_", "trueé", "true\u{7f}"] {
        assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
    assert!(parse(b"true\xff").is_err());
}

#[test]
fn refuses_what_jackson_reads_as_one_bad_token() {
    for bad in [
        "1x",
        "1]",
        "0,",
        "-2.5e3}",
        "truex",
        "null1",
        "false_",
        "true\u{e9}",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
    let TopLevel::Other(node) = parse_members(b"7 junk").unwrap() else {
        panic!("a number is not an object");
    };
    assert_eq!(node, JsonNode::Number("7"));
    assert!(parse_members(b"7junk").is_err());
}

#[test]
fn rejects_malformed_input_without_panicking() {
    for bad in [
        "",
        "{",
        "[1,",
        "01",
        "-",
        "1.",
        "1e",
        "tru",
        "\"abc",
        "{\"a\" 1}",
        "[1 2]",
        "\"\\x\"",
        "\"\\u12\"",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
    let deep = "[".repeat(MAX_DEPTH + 2);
    assert_eq!(
        parse(deep.as_bytes()).unwrap_err().reason,
        "nesting too deep"
    );
}

#[test]
fn reads_non_ascii_strings_and_rejects_invalid_utf8_where_it_is() {
    let text = "{\"name\": \"Zoë 😀 naïve, a longer run of text\", \"n\": 1}";
    let JsonNode::Object(members) = parse(text.as_bytes()).unwrap() else {
        panic!("not an object")
    };
    assert_eq!(
        members[0].1,
        JsonNode::String(Cow::Borrowed("Zoë 😀 naïve, a longer run of text"))
    );
    let mut bad = br#"{"a": "ok", "b": "abcdefghij"#.to_vec();
    let at = bad.len();
    bad.extend_from_slice(b"\xff\"}");
    let error = parse(&bad).unwrap_err();
    assert_eq!((error.offset, error.reason), (at, "invalid UTF-8"));
    let mut escaped = br#""a\n"#.to_vec();
    escaped.extend_from_slice(b"\xc3\x28\"");
    assert_eq!(parse(&escaped).unwrap_err().reason, "invalid UTF-8");
}
