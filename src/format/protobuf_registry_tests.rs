//! The PROTOBUF and PROTOBUF_NOSR `RowSerde`s against an in-memory registry: registration of
//! the derived schema under the topic's subject, a writer schema whose second message the
//! record names, `*_SCHEMA_ID` with `*_SCHEMA_FULL_NAME`, unknown ids, an unreachable registry
//! and the nullable representations.

use std::sync::Arc;
use std::time::Duration;

use super::protobuf::{self, NullableRepresentation};
use crate::format::{
    Encoded, Format, FormatError, RegistryBinding, Role, RowSerde, SerdeColumn, SerdeOptions,
};
use crate::registry::{MemoryRegistry, NewSchema, SchemaKind, SchemaRegistry};
use crate::types::{SqlType, Value};

const WRITER: &str = "syntax = \"proto3\";\npackage shop;\n\
message Meta { string origin = 1; }\n\
message Order { string status = 3; int64 id = 1; }\n";

fn binding(registry: &Arc<MemoryRegistry>) -> RegistryBinding {
    RegistryBinding {
        registry: registry.clone(),
        topic: "orders".into(),
        schema_id: None,
        full_name: None,
        unavailable_wait: Duration::from_millis(200),
    }
}

fn columns() -> Vec<SerdeColumn> {
    vec![
        SerdeColumn::new("ID", SqlType::Bigint),
        SerdeColumn::new("STATUS", SqlType::String),
    ]
}

fn serde(binding: &RegistryBinding, nullable: Option<NullableRepresentation>) -> RowSerde {
    let options = SerdeOptions {
        nullable,
        ..SerdeOptions::default()
    };
    RowSerde::with_registry(
        Format::Protobuf,
        Role::Value,
        columns(),
        &options,
        Some(binding),
    )
    .unwrap()
}

fn register(registry: &MemoryRegistry, text: &str) -> u32 {
    let schema = NewSchema {
        kind: SchemaKind::Protobuf,
        text: text.into(),
        references: Vec::new(),
    };
    registry.register("elsewhere", &schema).unwrap()
}

#[test]
fn sinks_register_the_derived_schema_and_read_their_own_records() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut value = serde(&binding(&registry), None);
    let row = vec![Value::Bigint(7), Value::String("paid".into())];
    let mut out = Vec::new();
    assert_eq!(value.serialize(&row, &mut out).unwrap(), Encoded::Bytes);
    let (id, registered) = registry.latest("orders-value").unwrap();
    assert!(
        registered.text.contains("message ConnectDefault1"),
        "{}",
        registered.text
    );
    let header = protobuf::read_header(&out).unwrap();
    assert_eq!((header.schema_id, header.payload), (id, 6));
    assert_eq!(value.deserialize(Some(&out)).unwrap(), Some(row));
}

#[test]
fn records_name_the_message_they_hold_by_its_indexes() {
    let registry = Arc::new(MemoryRegistry::new());
    let id = register(&registry, WRITER);
    let mut value = serde(&binding(&registry), None);
    let mut record = vec![0];
    record.extend(id.to_be_bytes());
    record.extend([2, 2]); // indexes [1]: Order
    record.extend([8, 9, 26, 4]);
    record.extend(b"open");
    let row = value.deserialize(Some(&record)).unwrap().unwrap();
    assert_eq!(row, vec![Value::Bigint(9), Value::String("open".into())]);
}

#[test]
fn a_schema_id_and_full_name_pick_the_written_message() {
    let registry = Arc::new(MemoryRegistry::new());
    let id = register(&registry, WRITER);
    let mut bound = binding(&registry);
    bound.schema_id = Some(id);
    bound.full_name = Some("shop.Order".into());
    let value = serde(&bound, None);
    let mut out = Vec::new();
    let row = vec![Value::Bigint(1), Value::String("x".into())];
    value.serialize(&row, &mut out).unwrap();
    let header = protobuf::read_header(&out).unwrap();
    assert_eq!((header.schema_id, header.indexes), (id, vec![1]));
    assert!(registry.versions("orders-value").is_empty());
}

#[test]
fn unknown_ids_are_the_records_fault_and_an_unreachable_registry_is_not() {
    let registry = Arc::new(MemoryRegistry::new());
    let mut value = serde(&binding(&registry), None);
    let unknown = [0, 0, 0, 0x30, 0x39, 0, 8, 1];
    let err = value.deserialize(Some(&unknown)).unwrap_err();
    assert!(!err.is_unavailable(), "{err}");
    registry.set_unavailable(true);
    let id = register_while_down(&registry);
    let mut record = vec![0];
    record.extend(id.to_be_bytes());
    record.extend([2, 2, 8, 1]); // Order, id 1, no status
    let err = value.deserialize(Some(&record)).unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    let mut out = Vec::new();
    let row = vec![Value::Bigint(1), Value::Null];
    assert!(
        value
            .serialize(&row, &mut out)
            .unwrap_err()
            .is_unavailable()
    );
    registry.set_unavailable(false);
    assert_eq!(
        value.deserialize(Some(&record)).unwrap(),
        Some(vec![Value::Bigint(1), Value::String("".into())])
    );
}

/// Registers the writer schema with the registry briefly reachable again.
fn register_while_down(registry: &MemoryRegistry) -> u32 {
    registry.set_unavailable(false);
    let id = register(registry, WRITER.replace("package shop;", "").as_str());
    registry.set_unavailable(true);
    id
}

#[test]
fn nosr_needs_no_registry_and_wrappers_keep_nulls() {
    let options = SerdeOptions {
        nullable: Some(NullableRepresentation::Wrapper),
        ..SerdeOptions::default()
    };
    let mut value = RowSerde::new(Format::ProtobufNoSr, Role::Value, columns(), &options).unwrap();
    let row = vec![Value::Bigint(3), Value::Null];
    let mut out = Vec::new();
    value.serialize(&row, &mut out).unwrap();
    assert_eq!(value.deserialize(Some(&out)).unwrap(), Some(row));
    let none = RowSerde::new(Format::Protobuf, Role::Value, columns(), &options);
    assert!(matches!(
        none,
        Err(FormatError::NoRegistry(Format::Protobuf))
    ));
}
