//! Format names, declaration checks (with ksqlDB's messages from `formats.json`, `kafka.json`,
//! `none.json`, `serdes.json`), and the KAFKA and NONE serdes.

use super::*;

fn cols(columns: &[(&str, SqlType)]) -> Vec<SerdeColumn> {
    columns
        .iter()
        .map(|(n, t)| SerdeColumn::new(*n, t.clone()))
        .collect()
}

fn build(
    format: Format,
    role: Role,
    columns: &[(&str, SqlType)],
    options: SerdeOptions,
) -> Result<RowSerde, FormatError> {
    RowSerde::new(format, role, cols(columns), &options)
}

fn message(result: Result<RowSerde, FormatError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn formats_parse_case_insensitively() {
    assert_eq!("json".parse::<Format>().unwrap(), Format::Json);
    assert_eq!(" Delimited ".parse::<Format>().unwrap(), Format::Delimited);
    assert_eq!("KAFKA".parse::<Format>().unwrap(), Format::Kafka);
    assert_eq!("none".parse::<Format>().unwrap(), Format::None);
    assert_eq!("avro".parse::<Format>().unwrap(), Format::Avro);
    assert_eq!(
        "foo".parse::<Format>().unwrap_err().to_string(),
        "Unknown format: FOO"
    );
}

#[test]
fn schema_registry_formats_are_refused_clearly() {
    let err = message(build(
        Format::Avro,
        Role::Value,
        &[("V", SqlType::Int)],
        SerdeOptions::default(),
    ));
    assert_eq!(
        err,
        "The 'AVRO' format needs a Schema Registry: set schema_registry.urls in the config"
    );
    let err = message(build(
        Format::JsonSr,
        Role::Value,
        &[("V", SqlType::Int)],
        SerdeOptions::default(),
    ));
    assert_eq!(
        err,
        "The 'JSON_SR' format needs a Schema Registry: set schema_registry.urls in the config"
    );
}

#[test]
fn declaration_errors_use_ksqldb_wording() {
    let none = SerdeOptions::default();
    assert!(
        message(build(
            Format::Kafka,
            Role::Key,
            &[("K", SqlType::Boolean)],
            none
        ))
        .starts_with("The 'KAFKA' format does not support type 'BOOLEAN'")
    );
    assert!(
        message(build(
            Format::Kafka,
            Role::Value,
            &[("V", SqlType::array(SqlType::Int))],
            none
        ))
        .starts_with("The 'KAFKA' format does not support type 'ARRAY'")
    );
    assert!(
        message(build(
            Format::Delimited,
            Role::Value,
            &[("V", SqlType::map(SqlType::String, SqlType::Int))],
            none
        ))
        .starts_with("The 'DELIMITED' format does not support type 'MAP'")
    );
    assert_eq!(
        message(build(
            Format::None,
            Role::Key,
            &[("K", SqlType::String)],
            none
        )),
        "The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]"
    );
    assert_eq!(
        message(build(
            Format::Kafka,
            Role::Value,
            &[("A", SqlType::Int), ("B", SqlType::Int)],
            none
        )),
        "The 'KAFKA' format only supports a single field. Got: [`A` INTEGER, `B` INTEGER]"
    );
    assert_eq!(
        message(build(
            Format::Json,
            Role::Value,
            &[("V", SqlType::map(SqlType::Int, SqlType::Int))],
            none
        )),
        "JSON only supports MAP types with STRING keys"
    );
    assert!(
        message(build(
            Format::Json,
            Role::Key,
            &[(
                "K",
                SqlType::array(SqlType::map(SqlType::Int, SqlType::Double))
            )],
            none
        ))
        .contains("Key column name: `K`. Column type: ARRAY<MAP<INTEGER, DOUBLE>>.")
    );
}

#[test]
fn wrap_single_value_rules() {
    let wrap = |w| SerdeOptions {
        wrap_single_value: Some(w),
        delimiter: None,
        nullable: None,
    };
    assert_eq!(
        message(build(
            Format::Kafka,
            Role::Value,
            &[("V", SqlType::Int)],
            wrap(true)
        )),
        "Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'."
    );
    assert_eq!(
        message(build(
            Format::Delimited,
            Role::Value,
            &[("V", SqlType::Int)],
            wrap(true)
        )),
        "Format 'DELIMITED' does not support 'WRAP_SINGLE_VALUE' set to 'true'."
    );
    for w in [true, false] {
        assert_eq!(
            message(build(
                Format::Json,
                Role::Value,
                &[("A", SqlType::Int), ("B", SqlType::Int)],
                wrap(w)
            )),
            "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas"
        );
    }
    assert!(
        build(
            Format::Kafka,
            Role::Value,
            &[("V", SqlType::Int)],
            wrap(false)
        )
        .is_ok()
    );
}

#[test]
fn delimiter_only_for_delimited() {
    let options = SerdeOptions {
        wrap_single_value: None,
        delimiter: Some(Delimiter::parse("|").unwrap()),
        nullable: None,
    };
    assert_eq!(
        message(build(
            Format::Json,
            Role::Value,
            &[("V", SqlType::Int)],
            options
        )),
        "JSON does not support the following configs: [delimiter]"
    );
}

#[test]
fn kafka_primitives_are_big_endian() {
    let cases = [
        (SqlType::Int, Value::Int(1), vec![0, 0, 0, 1]),
        (
            SqlType::Bigint,
            Value::Bigint(-2),
            (-2i64).to_be_bytes().to_vec(),
        ),
        (
            SqlType::Double,
            Value::Double(1.5),
            1.5f64.to_be_bytes().to_vec(),
        ),
        (
            SqlType::String,
            Value::from("héllo"),
            "héllo".as_bytes().to_vec(),
        ),
        (SqlType::Bytes, Value::bytes(vec![0, 1]), vec![0, 1]),
    ];
    for (ty, value, bytes) in cases {
        let mut serde = build(
            Format::Kafka,
            Role::Key,
            &[("K", ty)],
            SerdeOptions::default(),
        )
        .unwrap();
        let mut out = Vec::new();
        assert_eq!(
            serde
                .serialize(std::slice::from_ref(&value), &mut out)
                .unwrap(),
            Encoded::Bytes
        );
        assert_eq!(out, bytes);
        assert_eq!(
            serde.deserialize(Some(bytes.as_slice())).unwrap(),
            Some(vec![value])
        );
    }
}

#[test]
fn kafka_nulls_and_bad_sizes() {
    let mut serde = build(
        Format::Kafka,
        Role::Value,
        &[("V", SqlType::Int)],
        SerdeOptions::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    assert_eq!(
        serde.serialize(&[Value::Null], &mut out).unwrap(),
        Encoded::Null
    );
    assert!(out.is_empty());
    assert_eq!(serde.deserialize(None).unwrap(), None);
    assert!(matches!(
        serde.deserialize(Some(&[1u8, 2, 3][..])),
        Err(FormatError::WrongSize {
            expected: 4,
            got: 3,
            ..
        })
    ));
}

#[test]
fn columnless_serdes_read_and_write_nothing() {
    for format in [Format::None, Format::Kafka, Format::Json] {
        let mut serde = build(format, Role::Key, &[], SerdeOptions::default()).unwrap();
        let mut out = Vec::new();
        assert_eq!(serde.serialize(&[], &mut out).unwrap(), Encoded::Null);
        assert_eq!(
            serde.deserialize(Some(&b"anything"[..])).unwrap(),
            Some(vec![])
        );
        assert_eq!(serde.deserialize(None).unwrap(), None);
    }
}

#[test]
fn unread_string_columns_stay_null_and_unread_numbers_are_still_checked() {
    let columns = [
        ("ID", SqlType::Bigint),
        ("NAME", SqlType::String),
        ("AGE", SqlType::Int),
        ("NOTE", SqlType::String),
    ];
    let mut serde = build(Format::Json, Role::Value, &columns, SerdeOptions::default()).unwrap();
    serde.skip_unread_strings(&[true, false, false, true]);
    let row = serde
        .deserialize(Some(
            br#"{"id": 7, "name": {"a": 1}, "age": 3, "note": "x"}"#,
        ))
        .unwrap()
        .unwrap();
    assert_eq!(
        row,
        [
            Value::Bigint(7),
            Value::Null,
            Value::Int(3),
            Value::string("x")
        ]
    );
    // AGE is unread but not a STRING: a bad value still fails the record, as when it is read.
    let bad = serde
        .deserialize(Some(br#"{"id": 7, "name": "n", "age": true}"#))
        .unwrap_err();
    assert!(bad.to_string().contains("AGE"), "{bad}");
    // Malformed JSON inside a skipped column is still malformed.
    assert!(
        serde
            .deserialize(Some(br#"{"id": 7, "name": "n}"#))
            .is_err()
    );
}

/// ksqlDB's `GenericSerdeFactory` wrapping of a serde's refusal, and the reasons of
/// `KafkaSerdeFactory` (type only) and the DELIMITED deserializer (type and column).
#[test]
fn schema_refusals_are_wrapped_as_ksqldb_wraps_them() {
    let refusal = |format, role, columns: &[(&str, SqlType)]| {
        let columns: Vec<SerdeColumn> = columns
            .iter()
            .map(|(n, t)| SerdeColumn::new(n.to_string(), t.clone()))
            .collect();
        match validate(format, role, &columns, &SerdeOptions::default()) {
            Ok(()) => String::new(),
            Err(e) => e.schema_refusal(role, &columns),
        }
    };
    assert_eq!(
        refusal(
            Format::Kafka,
            Role::Value,
            &[("D", SqlType::decimal(4, 2).unwrap())]
        ),
        "Value format does not support schema.\nformat: KAFKA\n\
         schema: Persistence{columns=[`D` DECIMAL(4, 2)], features=[]}\n\
         reason: The 'KAFKA' format does not support type 'DECIMAL'"
    );
    assert_eq!(
        refusal(
            Format::Delimited,
            Role::Key,
            &[("A", SqlType::array(SqlType::Bigint))]
        ),
        "Key format does not support schema.\nformat: DELIMITED\n\
         schema: Persistence{columns=[`A` ARRAY<BIGINT> KEY], features=[]}\n\
         reason: The 'DELIMITED' format does not support type 'ARRAY', column: `A`"
    );
    assert!(
        refusal(
            Format::Kafka,
            Role::Key,
            &[("A", SqlType::Int), ("B", SqlType::Bigint)]
        )
        .ends_with(
            "reason: The 'KAFKA' format only supports a single field. \
             Got: [`A` INTEGER KEY, `B` BIGINT KEY]"
        )
    );
    // Other refusals keep their own text.
    assert_eq!(
        refusal(Format::None, Role::Value, &[("V", SqlType::Int)]),
        "The 'NONE' format can only be used when no columns are defined. Got: [`V` INTEGER]"
    );
}
