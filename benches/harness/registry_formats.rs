//! The AVRO and PROTOBUF variants of a workload: the generator's JSON bids re-encoded, before
//! the timed phase, in the Confluent wire format (magic byte, 4-byte schema id, for PROTOBUF
//! the message indexes) against a writer schema registered in an in-process registry, which
//! the engine's codecs then read (and the sink's writes register into). The encoders here
//! follow the Avro and Protobuf specifications directly and are independent of weir's codecs,
//! so the bench cannot agree with weir by sharing its bugs.

use std::sync::Arc;

use weir::registry::{MemoryRegistry, NewSchema, SchemaKind, SchemaRegistry};

use super::BenchResult;
use super::generator::Event;

/// The value format a workload's sources are declared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueFormat {
    Json,
    Avro,
    Protobuf,
}

impl ValueFormat {
    /// The `VALUE_FORMAT` property's value.
    pub fn name(self) -> &'static str {
        match self {
            ValueFormat::Json => "JSON",
            ValueFormat::Avro => "AVRO",
            ValueFormat::Protobuf => "PROTOBUF",
        }
    }
}

/// The bid fields in the generator's JSON order, with whether each is a string.
const BID_FIELDS: [(&str, bool); 7] = [
    ("auction", false),
    ("bidder", false),
    ("price", false),
    ("channel", true),
    ("url", true),
    ("date_time", false),
    ("extra", true),
];

/// The producer's schema of a bid in `format`'s schema language.
fn writer_schema(format: ValueFormat) -> BenchResult<NewSchema> {
    let (kind, text) = match format {
        ValueFormat::Avro => {
            let fields: Vec<String> = BID_FIELDS
                .iter()
                .map(|(name, string)| {
                    format!(
                        r#"{{"name":"{name}","type":"{}"}}"#,
                        if *string { "string" } else { "long" }
                    )
                })
                .collect();
            (
                SchemaKind::Avro,
                format!(
                    r#"{{"type":"record","name":"Bid","namespace":"nexmark","fields":[{}]}}"#,
                    fields.join(",")
                ),
            )
        }
        ValueFormat::Protobuf => {
            let fields: Vec<String> = BID_FIELDS
                .iter()
                .enumerate()
                .map(|(i, (name, string))| {
                    format!(
                        "  {} {name} = {};",
                        if *string { "string" } else { "int64" },
                        i + 1
                    )
                })
                .collect();
            (
                SchemaKind::Protobuf,
                format!(
                    "syntax = \"proto3\";\npackage nexmark;\n\nmessage Bid {{\n{}\n}}\n",
                    fields.join("\n")
                ),
            )
        }
        ValueFormat::Json => return Err("JSON needs no registered schema".into()),
    };
    Ok(NewSchema {
        kind,
        text,
        references: Vec::new(),
    })
}

/// A registry holding the writer schema of `topic`'s values, and its id.
pub fn registry_for(format: ValueFormat, topic: &str) -> BenchResult<(Arc<MemoryRegistry>, u32)> {
    let registry = Arc::new(MemoryRegistry::new());
    let schema = writer_schema(format)?;
    let id = registry
        .register(&weir::registry::subject(topic, false), &schema)
        .map_err(|e| format!("registering the bid schema: {e}"))?;
    Ok((registry, id))
}

fn zigzag(out: &mut Vec<u8>, value: i64) {
    varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// `event`'s JSON value re-encoded in `format` with the Confluent framing for schema `id`.
pub fn encode(event: &Event, format: ValueFormat, id: u32) -> BenchResult<Event> {
    let json: serde_json::Value = serde_json::from_slice(&event.value)
        .map_err(|e| format!("generated bid is not JSON: {e}"))?;
    let mut value = vec![0u8];
    value.extend(id.to_be_bytes());
    if format == ValueFormat::Protobuf {
        // Message indexes: an empty list (one zero byte) names the first message.
        value.push(0);
    }
    for (number, (name, string)) in BID_FIELDS.iter().enumerate() {
        let field = &json[*name];
        match (format, string) {
            (ValueFormat::Avro, true) => {
                let text = field.as_str().unwrap_or_default();
                zigzag(&mut value, text.len() as i64);
                value.extend(text.as_bytes());
            }
            (ValueFormat::Avro, false) => zigzag(&mut value, field.as_i64().unwrap_or_default()),
            (ValueFormat::Protobuf, true) => {
                let text = field.as_str().unwrap_or_default();
                // proto3 leaves default values (the empty string, zero) off the wire.
                if !text.is_empty() {
                    varint(&mut value, ((number as u64 + 1) << 3) | 2);
                    varint(&mut value, text.len() as u64);
                    value.extend(text.as_bytes());
                }
            }
            (ValueFormat::Protobuf, false) => {
                let n = field.as_i64().unwrap_or_default();
                if n != 0 {
                    varint(&mut value, (number as u64 + 1) << 3);
                    varint(&mut value, n as u64);
                }
            }
            (ValueFormat::Json, _) => return Ok(event.clone()),
        }
    }
    Ok(Event {
        value,
        ..event.clone()
    })
}
