//! DELIMITED serde cases modelled on ksqlDB's `delimited.json`.

use crate::format::{
    Delimiter, Encoded, Format, FormatError, Role, RowSerde, SerdeColumn, SerdeOptions,
};
use crate::types::decimal::parse_decimal;
use crate::types::{SqlType, Value};

fn serde(columns: &[(&str, SqlType)], delimiter: Option<&str>) -> RowSerde {
    let columns = columns
        .iter()
        .map(|(n, t)| SerdeColumn::new(*n, t.clone()))
        .collect();
    let options = SerdeOptions {
        wrap_single_value: None,
        delimiter: delimiter.map(|d| Delimiter::parse(d).unwrap()),
        nullable: None,
    };
    RowSerde::new(Format::Delimited, Role::Value, columns, &options).unwrap()
}

fn read(serde: &mut RowSerde, text: &str) -> Result<Vec<Value>, FormatError> {
    serde.deserialize(Some(text.as_bytes())).map(Option::unwrap)
}

fn write(serde: &RowSerde, row: &[Value]) -> String {
    let mut out = Vec::new();
    assert_eq!(serde.serialize(row, &mut out).unwrap(), Encoded::Bytes);
    String::from_utf8(out).unwrap()
}

fn dec(text: &str) -> Value {
    Value::Decimal(parse_decimal(text).unwrap())
}

#[test]
fn reads_and_writes_primitive_rows() {
    let mut s = serde(
        &[
            ("ID", SqlType::Bigint),
            ("NAME", SqlType::String),
            ("VALUE", SqlType::Int),
        ],
        None,
    );
    let row = read(&mut s, "0,zero,0").unwrap();
    assert_eq!(
        row,
        vec![Value::Bigint(0), Value::from("zero"), Value::Int(0)]
    );
    assert_eq!(write(&s, &row), "0,zero,0");
    assert_eq!(read(&mut s, "1,,2").unwrap()[1], Value::Null);
    assert_eq!(
        write(&s, &[Value::Bigint(1), Value::Null, Value::Int(2)]),
        "1,,2"
    );
}

#[test]
fn quoted_fields_unescape() {
    let mut s = serde(&[("A", SqlType::String), ("B", SqlType::Int)], None);
    assert_eq!(
        read(&mut s, "\"a,\"\"b\"\"\",\"22\"").unwrap(),
        vec![Value::from("a,\"b\""), Value::Int(22)]
    );
    assert_eq!(
        read(&mut s, "\n\nx,1\r\nignored,2").unwrap(),
        vec![Value::from("x"), Value::Int(1)]
    );
    assert!(matches!(
        read(&mut s, "\"open,1"),
        Err(FormatError::Malformed { .. })
    ));
    assert!(matches!(
        read(&mut s, "\"a\"x,1"),
        Err(FormatError::Malformed { .. })
    ));
}

#[test]
fn java_whitespace_may_follow_a_closing_quote() {
    // Found by the fuzz runner: Commons CSV skips any `Character.isWhitespace` character
    // between a closing quote and the delimiter; only spaces and tabs were skipped.
    let mut s = serde(&[("A", SqlType::String), ("B", SqlType::String)], None);
    assert_eq!(
        read(&mut s, "\"a\"\u{c}\u{b}\u{3000},\"b\" \t\u{2028}").unwrap(),
        vec![Value::from("a"), Value::from("b")]
    );
    // A no-break space is not Java whitespace.
    assert!(read(&mut s, "\"a\"\u{a0},b").is_err());
}

#[test]
fn a_malformed_later_record_fails_the_payload() {
    // Found by the fuzz runner: ksqlDB parses every record of the payload and fails on a
    // broken one; only the first was read.
    let mut s = serde(&[("A", SqlType::String), ("B", SqlType::String)], None);
    for broken in [
        "a,b\n\"open",
        "a,b\r\n\"x\"y,z",
        "a,b\n\nc\n\"\"\"",
        "a,b\r\"q\"\u{a0}",
    ] {
        assert!(
            matches!(read(&mut s, broken), Err(FormatError::Malformed { .. })),
            "{broken:?}"
        );
    }
    assert_eq!(
        read(&mut s, "a,b\n\"x\"\"\",\"y\"\r\n,\n").unwrap(),
        vec![Value::from("a"), Value::from("b")]
    );
}

#[test]
fn invalid_utf8_reads_as_replacement_characters() {
    // Found by the fuzz runner: ksqlDB decodes the payload as Java does, so a malformed
    // sequence is U+FFFD in the field; the whole record was refused.
    let mut s = serde(
        &[
            ("A", SqlType::String),
            ("B", SqlType::String),
            ("C", SqlType::Int),
        ],
        None,
    );
    assert_eq!(
        s.deserialize(Some(b"a\xff\xc3b,\"\xe2\x82\",1")).unwrap(),
        Some(vec![
            Value::from("a\u{fffd}\u{fffd}b"),
            Value::from("\u{fffd}"),
            Value::Int(1)
        ])
    );
}

#[test]
fn field_count_must_match() {
    let mut s = serde(&[("A", SqlType::Int), ("B", SqlType::Int)], None);
    assert_eq!(
        read(&mut s, "1").unwrap_err().to_string(),
        "Column count mismatch on deserialization. expected: 2, got: 1"
    );
    assert!(matches!(read(&mut s, ""), Err(FormatError::NoFields)));
}

#[test]
fn quoting_follows_commons_csv_1_4() {
    let s = serde(&[("A", SqlType::String), ("B", SqlType::String)], None);
    let row = |a: &str, b: &str| [Value::from(a), Value::from(b)];
    assert_eq!(write(&s, &row("-1", "-1")), "\"-1\",-1");
    assert_eq!(write(&s, &row("", "")), "\"\",");
    assert_eq!(
        write(&s, &row("a,b", "say \"hi\"")),
        "\"a,b\",\"say \"\"hi\"\"\""
    );
    assert_eq!(write(&s, &row("x", " lead")), "x,\" lead\"");
    assert_eq!(write(&s, &row("x", "trail ")), "x,\"trail \"");
    assert_eq!(write(&s, &row("x", "#tag")), "x,\"#tag\"");
}

#[test]
fn decimals_are_padded_to_scale_and_negative_first_fields_quoted() {
    let mut s = serde(
        &[(
            "V",
            SqlType::Decimal {
                precision: 33,
                scale: 16,
            },
        )],
        None,
    );
    let row = read(&mut s, ".12").unwrap();
    assert_eq!(write(&s, &row), "0.1200000000000000");
    let row = read(&mut s, "\"-12345.12\"").unwrap();
    assert_eq!(write(&s, &row), "\"-12345.1200000000000000\"");
    let mut narrow = serde(
        &[(
            "K",
            SqlType::Decimal {
                precision: 6,
                scale: 4,
            },
        )],
        None,
    );
    assert_eq!(read(&mut narrow, "12.0").unwrap(), vec![dec("12.0000")]);
    assert!(read(&mut narrow, "1.23456").is_err());
}

#[test]
fn other_delimiters() {
    let mut s = serde(&[("A", SqlType::Int), ("B", SqlType::String)], Some("TAB"));
    assert_eq!(
        read(&mut s, "1\tzero").unwrap(),
        vec![Value::Int(1), Value::from("zero")]
    );
    assert_eq!(write(&s, &[Value::Int(1), Value::from("a b")]), "1\ta b");
    let space = serde(
        &[("A", SqlType::Int), ("B", SqlType::String)],
        Some("SPACE"),
    );
    assert_eq!(
        write(&space, &[Value::Int(1), Value::from("a b")]),
        "1 \"a b\""
    );
}

#[test]
fn primitive_parsers_match_java() {
    let mut s = serde(
        &[
            ("B", SqlType::Boolean),
            ("D", SqlType::Double),
            ("T", SqlType::Time),
            ("BY", SqlType::Bytes),
        ],
        None,
    );
    let row = read(&mut s, "yes, 10.3 ,1000,AQI").unwrap();
    assert_eq!(
        row,
        vec![
            Value::Boolean(false),
            Value::Double(10.3),
            Value::Time(1000),
            Value::bytes(vec![1, 2])
        ]
    );
    assert_eq!(write(&s, &row), "false,10.3,1000,AQI=");
    assert!(read(&mut s, "true,x,1,AQI=").is_err());
}
