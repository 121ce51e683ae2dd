//! The JSON_SR `RowSerde` against an in-memory registry: framing, registration under the
//! topic's subject, unwrapped keys, refused unframed payloads, ids the registry does not know,
//! an unreachable registry, and `*_SCHEMA_ID`.

use std::sync::Arc;
use std::time::Duration;

use crate::format::{
    Encoded, Format, FormatError, RegistryBinding, Role, RowSerde, SerdeColumn, SerdeOptions,
};
use crate::registry::{MemoryRegistry, NewSchema, SchemaKind, SchemaRegistry};
use crate::types::{SqlType, Value};

fn binding(registry: &Arc<MemoryRegistry>) -> RegistryBinding {
    RegistryBinding {
        registry: registry.clone(),
        topic: "orders".into(),
        schema_id: None,
        full_name: None,
        unavailable_wait: Duration::from_millis(200),
    }
}

fn serde_with(binding: &RegistryBinding, role: Role, columns: Vec<SerdeColumn>) -> RowSerde {
    RowSerde::with_registry(
        Format::JsonSr,
        role,
        columns,
        &SerdeOptions::default(),
        Some(binding),
    )
    .unwrap()
}

fn framed(id: u32, json: &str) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.extend(json.as_bytes());
    bytes
}

#[test]
fn values_are_framed_registered_under_the_topic_subject_and_read_back() {
    let registry = Arc::new(MemoryRegistry::new());
    let columns = vec![
        SerdeColumn::new("ID", SqlType::Bigint),
        SerdeColumn::new("NAME", SqlType::String),
    ];
    let mut value = serde_with(&binding(&registry), Role::Value, columns);
    let mut out = Vec::new();
    let row = vec![Value::Bigint(3), Value::string("x")];
    assert_eq!(value.serialize(&row, &mut out).unwrap(), Encoded::Bytes);
    assert_eq!(out, framed(1, r#"{"ID":3,"NAME":"x"}"#));
    let registered = registry.versions("orders-value");
    assert_eq!(registered.len(), 1);
    let schema: serde_json::Value = serde_json::from_str(&registered[0]).unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["NAME"]["connect.index"], 1);
    // A second record reuses the id: nothing more is registered.
    out.clear();
    value.serialize(&row, &mut out).unwrap();
    assert_eq!(registry.versions("orders-value").len(), 1);
    assert_eq!(value.deserialize(Some(&out)).unwrap(), Some(row));
    assert_eq!(value.deserialize(None).unwrap(), None);
}

#[test]
fn single_keys_are_bare_json_and_a_null_key_is_no_payload() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut key = serde_with(
        &binding(&registry),
        Role::Key,
        vec![SerdeColumn::new("K", SqlType::String)],
    );
    let mut out = Vec::new();
    key.serialize(&[Value::string("k1")], &mut out).unwrap();
    assert_eq!(out, framed(1, r#""k1""#));
    assert_eq!(
        key.deserialize(Some(&out)).unwrap(),
        Some(vec![Value::string("k1")])
    );
    let schema = &registry.versions("orders-key")[0];
    assert_eq!(schema, r#"{"oneOf":[{"type":"null"},{"type":"string"}]}"#);
    out.clear();
    assert_eq!(
        key.serialize(&[Value::Null], &mut out).unwrap(),
        Encoded::Null
    );
    assert!(out.is_empty());
}

/// ksqlDB refuses a JSON_SR payload that does not start with byte 0, and does not look the id
/// up when reading: the JSON reader's coercions then apply as for JSON.
#[test]
fn unframed_payloads_are_refused_and_ids_are_not_looked_up() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut value = serde_with(
        &binding(&registry),
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
    );
    for bytes in [&b"{\"A\":1}"[..], &[0, 0, 1][..], &[][..]] {
        let err = value.deserialize(Some(bytes)).unwrap_err();
        assert!(
            matches!(
                err,
                FormatError::NotFramed {
                    format: Format::JsonSr,
                    ..
                }
            ),
            "{err}"
        );
    }
    registry.set_unavailable(true);
    assert_eq!(
        value
            .deserialize(Some(&framed(77, r#"{"a":"12"}"#)))
            .unwrap(),
        Some(vec![Value::Int(12)])
    );
    let err = value.deserialize(Some(&framed(77, "{"))).unwrap_err();
    assert!(!err.is_unavailable(), "{err}");
}

#[test]
fn an_unreachable_registry_fails_the_write_as_unavailable_then_recovers() {
    let registry = Arc::new(MemoryRegistry::new());
    let value = serde_with(
        &binding(&registry),
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
    );
    registry.set_unavailable(true);
    let mut out = Vec::new();
    let err = value.serialize(&[Value::Int(1)], &mut out).unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(out.is_empty());
    registry.set_unavailable(false);
    value.serialize(&[Value::Int(1)], &mut out).unwrap();
    assert_eq!(out, framed(1, r#"{"A":1}"#));
}

#[test]
fn a_configured_schema_id_is_written_with_and_must_be_a_known_json_schema() {
    let registry = Arc::new(MemoryRegistry::new());
    let given = NewSchema {
        kind: SchemaKind::Json,
        text: r#"{"type":"object","properties":{"A":{"type":"integer"}}}"#.into(),
        references: Vec::new(),
    };
    let id = registry.register("elsewhere", &given).unwrap();
    let mut with_id = binding(&registry);
    with_id.schema_id = Some(id);
    let columns = vec![SerdeColumn::new("A", SqlType::Int)];
    let value = serde_with(&with_id, Role::Value, columns.clone());
    let mut out = Vec::new();
    value.serialize(&[Value::Int(5)], &mut out).unwrap();
    assert_eq!(out, framed(id, r#"{"A":5}"#));
    assert!(registry.versions("orders-value").is_empty());

    with_id.schema_id = Some(999);
    let unknown = serde_with(&with_id, Role::Value, columns.clone());
    let err = unknown
        .serialize(&[Value::Int(5)], &mut Vec::new())
        .unwrap_err();
    assert!(!err.is_unavailable(), "{err}");

    let avro = NewSchema {
        kind: SchemaKind::Avro,
        text: r#""int""#.into(),
        references: Vec::new(),
    };
    with_id.schema_id = Some(registry.register("other", &avro).unwrap());
    let wrong_kind = serde_with(&with_id, Role::Value, columns);
    let err = wrong_kind
        .serialize(&[Value::Int(5)], &mut Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[test]
fn json_sr_without_a_registry_says_what_to_configure() {
    let err = RowSerde::new(
        Format::JsonSr,
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
        &SerdeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("schema_registry.urls"), "{err}");
    let _: &dyn SchemaRegistry = &MemoryRegistry::new();
}

proptest::proptest! {
    /// Any bytes, framed or not, give a row or an error, never a panic; a frame around a
    /// valid document reads as the document does.
    #[test]
    fn arbitrary_payloads_never_panic(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        id in proptest::prelude::any::<u32>(),
    ) {
        let registry = Arc::new(MemoryRegistry::new());
        let columns = vec![
            SerdeColumn::new("A", SqlType::Int),
            SerdeColumn::new("B", SqlType::Array(Box::new(SqlType::String))),
        ];
        let mut value = serde_with(&binding(&registry), Role::Value, columns);
        let _ = value.deserialize(Some(&bytes));
        let mut wrapped = vec![0];
        wrapped.extend(id.to_be_bytes());
        wrapped.extend(&bytes);
        let _ = value.deserialize(Some(&wrapped));
        let doc = framed(id, r#"{"A":1}"#);
        proptest::prop_assert_eq!(
            value.deserialize(Some(&doc)).unwrap(),
            Some(vec![Value::Int(1), Value::Null])
        );
    }
}
