//! The AVRO `RowSerde` against an in-memory registry: framing, registration under the topic's
//! subject, unwrapped keys and values, unknown ids, and an unreachable registry.

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

fn serde(
    registry: &Arc<MemoryRegistry>,
    role: Role,
    columns: Vec<SerdeColumn>,
    wrap: Option<bool>,
) -> RowSerde {
    let options = SerdeOptions {
        wrap_single_value: wrap,
        delimiter: None,
        nullable: None,
    };
    RowSerde::with_registry(
        Format::Avro,
        role,
        columns,
        &options,
        Some(&binding(registry)),
    )
    .unwrap()
}

fn register(registry: &MemoryRegistry, text: &str) -> u32 {
    let schema = NewSchema {
        kind: SchemaKind::Avro,
        text: text.into(),
        references: Vec::new(),
    };
    registry.register("elsewhere", &schema).unwrap()
}

#[test]
fn values_are_framed_registered_under_the_topic_subject_and_read_back() {
    let registry = Arc::new(MemoryRegistry::new());
    let columns = vec![
        SerdeColumn::new("ID", SqlType::Bigint),
        SerdeColumn::new("NAME", SqlType::String),
    ];
    let mut value = serde(&registry, Role::Value, columns, None);
    let mut out = Vec::new();
    let row = vec![Value::Bigint(3), Value::string("x")];
    assert_eq!(value.serialize(&row, &mut out).unwrap(), Encoded::Bytes);
    assert_eq!(out, [0, 0, 0, 0, 1, 0x02, 0x06, 0x02, 0x02, b'x']);
    let registered = registry.versions("orders-value");
    assert_eq!(registered.len(), 1);
    assert!(
        registered[0].contains("KsqlDataSourceSchema"),
        "{}",
        registered[0]
    );
    assert_eq!(value.deserialize(Some(&out)).unwrap(), Some(row));
    assert_eq!(value.deserialize(None).unwrap(), None);
}

#[test]
fn single_keys_and_unwrapped_values_are_bare_avro() {
    let registry = Arc::new(MemoryRegistry::new());
    let key = serde(
        &registry,
        Role::Key,
        vec![SerdeColumn::new("K", SqlType::Int)],
        None,
    );
    let mut out = Vec::new();
    key.serialize(&[Value::Int(-2)], &mut out).unwrap();
    assert_eq!(out, [0, 0, 0, 0, 1, 0x03]);
    assert_eq!(
        registry.versions("orders-key"),
        vec![r#""int""#.to_string()]
    );
    let value = serde(
        &registry,
        Role::Value,
        vec![SerdeColumn::new("V", SqlType::String)],
        Some(false),
    );
    out.clear();
    value.serialize(&[Value::string("hi")], &mut out).unwrap();
    assert_eq!(out, [0, 0, 0, 0, 2, 0x04, b'h', b'i']);
    out.clear();
    assert_eq!(
        value.serialize(&[Value::Null], &mut out).unwrap(),
        Encoded::Null
    );
}

#[test]
fn records_from_another_writer_schema_resolve_by_name() {
    let registry = Arc::new(MemoryRegistry::new());
    let id = register(
        &registry,
        r#"{"type":"record","name":"w","fields":[{"name":"name","type":"string"},{"name":"id","type":"int"}]}"#,
    );
    let columns = vec![
        SerdeColumn::new("ID", SqlType::Bigint),
        SerdeColumn::new("NAME", SqlType::String),
    ];
    let mut value = serde(&registry, Role::Value, columns, None);
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.extend([0x02, b'a', 0x08]);
    assert_eq!(
        value.deserialize(Some(&bytes)).unwrap(),
        Some(vec![Value::Bigint(4), Value::string("a")])
    );
}

#[test]
fn unknown_ids_and_bad_framing_are_the_records_fault() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut value = serde(
        &registry,
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
        None,
    );
    let err = value.deserialize(Some(&[0, 0, 0, 0, 9, 0])).unwrap_err();
    assert!(matches!(err, FormatError::Registry { .. }), "{err}");
    assert!(!err.is_unavailable());
    assert!(err.to_string().contains("schema id 9"), "{err}");
    let err = value.deserialize(Some(b"{\"A\":1}")).unwrap_err();
    assert!(err.to_string().contains("Unknown magic byte"), "{err}");
}

#[test]
fn an_unreachable_registry_is_retried_not_blamed_on_the_record() {
    let registry = Arc::new(MemoryRegistry::new());
    let id = register(
        &registry,
        r#"{"type":"record","name":"w","fields":[{"name":"A","type":"int"}]}"#,
    );
    let mut value = serde(
        &registry,
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
        None,
    );
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.push(0x54);
    registry.set_unavailable(true);
    let err = value.deserialize(Some(&bytes)).unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    // Back up: the same record reads (the failure was not remembered for the id).
    registry.set_unavailable(false);
    assert_eq!(
        value.deserialize(Some(&bytes)).unwrap(),
        Some(vec![Value::Int(42)])
    );
    // Once compiled, records with that id no longer need the registry.
    registry.set_unavailable(true);
    assert_eq!(
        value.deserialize(Some(&bytes)).unwrap(),
        Some(vec![Value::Int(42)])
    );
}

#[test]
fn a_configured_schema_id_is_written_with_and_nothing_is_registered() {
    let registry = Arc::new(MemoryRegistry::new());
    let id = register(
        &registry,
        r#"{"type":"record","name":"given","fields":[{"name":"A","type":"long"},{"name":"B","type":["null","string"],"default":null}]}"#,
    );
    let mut binding = binding(&registry);
    binding.schema_id = Some(id);
    let value = RowSerde::with_registry(
        Format::Avro,
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
        &SerdeOptions::default(),
        Some(&binding),
    )
    .unwrap();
    let mut out = Vec::new();
    value.serialize(&[Value::Int(5)], &mut out).unwrap();
    assert_eq!(out, [0, 0, 0, 0, id as u8, 0x0a, 0x00]);
    assert!(registry.versions("orders-value").is_empty());
}

#[test]
fn avro_without_a_registry_says_what_to_configure() {
    let err = RowSerde::new(
        Format::Avro,
        Role::Value,
        vec![SerdeColumn::new("A", SqlType::Int)],
        &SerdeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("schema_registry.urls"), "{err}");
    let _: &dyn SchemaRegistry = &MemoryRegistry::new();
}

#[test]
fn a_full_schema_name_names_the_written_record_and_its_nested_records() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut binding = binding(&registry);
    binding.full_name = Some("com.acme.Order".into());
    let columns = vec![SerdeColumn::new(
        "SHIP",
        SqlType::structure([("CITY", SqlType::String)]),
    )];
    let value = RowSerde::with_registry(
        Format::Avro,
        Role::Value,
        columns,
        &SerdeOptions::default(),
        Some(&binding),
    )
    .unwrap();
    let mut out = Vec::new();
    let row = vec![Value::Struct(vec![Value::string("Oslo")].into())];
    value.serialize(&row, &mut out).unwrap();
    let text = &registry.versions("orders-value")[0];
    let schema: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(schema["name"], "Order");
    assert_eq!(schema["namespace"], "com.acme");
    assert_eq!(schema["fields"][0]["type"][1]["name"], "Order_SHIP");
}

#[test]
fn a_schema_registered_before_any_record_is_the_one_records_carry() {
    let registry = Arc::new(MemoryRegistry::new());
    register(&registry, "\"string\"");
    let columns = vec![SerdeColumn::new("ID", SqlType::Int)];
    let value = serde(&registry, Role::Value, columns, None);
    assert_eq!(value.register_schema().unwrap(), Some(2));
    assert_eq!(value.register_schema().unwrap(), Some(2));
    assert_eq!(registry.versions("orders-value").len(), 1);
    let mut out = Vec::new();
    value.serialize(&[Value::Int(7)], &mut out).unwrap();
    assert_eq!(out[..5], [0, 0, 0, 0, 2]);
}

#[test]
fn formats_without_a_registry_register_nothing() {
    let columns = vec![SerdeColumn::new("ID", SqlType::Int)];
    let json = RowSerde::new(Format::Json, Role::Value, columns, &SerdeOptions::default());
    assert_eq!(json.unwrap().register_schema().unwrap(), None);
}
