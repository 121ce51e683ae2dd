//! A case's Schema Registry, as ksqlDB's test harness keeps it in its mock client: before the
//! statements run, the `keySchema`/`valueSchema` of every entry of the case's `topics` is
//! registered under `<topic>-key`/`<topic>-value` (with `keySchemaId`/`valueSchemaId` when the
//! case gives them, else the next free id from 1; key before value, topics in order), its
//! `*SchemaReferences` first under their own names. After the run, the schemas registered
//! under the subjects `post.topics.topics` lists are compared with the case's: AVRO and JSON
//! schemas as parsed JSON (Kafka Connect's `connect.*` properties left out on both sides, as
//! the cases themselves list them for some logical types and not others), PROTOBUF schemas as
//! text with runs of white space made one space.

use std::sync::Arc;

use serde_json::Value as Json;
use weir::registry::{self, MemoryRegistry, NewSchema, Reference, SchemaKind, SchemaRegistry};

/// The registry of `case` run in `format` (the case's `format` entry, which is also the
/// format of a topic that names none, as in ksqlDB's `TopicNode`).
pub fn preload(case: &Json, format: Option<&str>) -> Result<Arc<MemoryRegistry>, String> {
    let registry = Arc::new(MemoryRegistry::new());
    for topic in case
        .get("topics")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = topic.get("name").and_then(Json::as_str) else {
            continue;
        };
        for (is_key, side) in [(true, "key"), (false, "value")] {
            let Some(schema) = topic.get(format!("{side}Schema")).filter(|s| !s.is_null()) else {
                continue;
            };
            let kind = kind(topic.get(format!("{side}Format")), format, schema);
            let references = references(&registry, topic, side, kind)?;
            let new = NewSchema {
                kind,
                text: text(schema),
                references,
            };
            let subject = registry::subject(name, is_key);
            let id = topic
                .get(format!("{side}SchemaId"))
                .and_then(Json::as_u64)
                .and_then(|id| u32::try_from(id).ok());
            match id {
                Some(id) => registry.register_with_id(&subject, &new, id),
                None => registry.register(&subject, &new),
            }
            .map_err(|e| format!("registering {subject}: {e}"))?;
        }
    }
    Ok(registry)
}

fn references(
    registry: &MemoryRegistry,
    topic: &Json,
    side: &str,
    kind: SchemaKind,
) -> Result<Vec<Reference>, String> {
    let mut out = Vec::new();
    for r in topic
        .get(format!("{side}SchemaReferences"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(schema)) = (r.get("name").and_then(Json::as_str), r.get("schema"))
        else {
            continue;
        };
        let new = NewSchema {
            kind,
            text: text(schema),
            references: Vec::new(),
        };
        registry
            .register(name, &new)
            .map_err(|e| format!("registering reference {name}: {e}"))?;
        out.push(Reference {
            name: name.to_owned(),
            subject: name.to_owned(),
            version: 1,
        });
    }
    Ok(out)
}

/// A schema given as JSON is registered as its JSON text; one given as a string as written.
fn text(schema: &Json) -> String {
    match schema {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The schema language: the side's own format, else the case's format, else the shape of
/// the schema (a string is PROTOBUF text, a JSON object is AVRO unless it reads as a JSON
/// schema).
fn kind(side_format: Option<&Json>, case_format: Option<&str>, schema: &Json) -> SchemaKind {
    let named = side_format
        .and_then(|f| {
            f.as_str()
                .or_else(|| f.get("format").and_then(Json::as_str))
        })
        .or(case_format);
    match named.map(str::to_ascii_uppercase).as_deref() {
        Some("AVRO") => SchemaKind::Avro,
        Some("PROTOBUF") | Some("PROTOBUF_NOSR") => SchemaKind::Protobuf,
        Some("JSON_SR") | Some("JSON") => SchemaKind::Json,
        _ => match schema {
            Json::String(_) => SchemaKind::Protobuf,
            s if s.get("$schema").is_some() || s.get("properties").is_some() => SchemaKind::Json,
            _ => SchemaKind::Avro,
        },
    }
}

fn expected_topics(case: &Json) -> impl Iterator<Item = &Json> {
    case.get("post")
        .and_then(|p| p.get("topics"))
        .and_then(|t| t.get("topics"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
}

/// The first registered schema that differs from `post.topics.topics`, as a message.
pub fn check_sink_schemas(case: &Json, registry: &MemoryRegistry) -> Result<(), String> {
    for topic in expected_topics(case) {
        let Some(name) = topic.get("name").and_then(Json::as_str) else {
            continue;
        };
        for (is_key, side) in [(true, "key"), (false, "value")] {
            let Some(want) = topic.get(format!("{side}Schema")).filter(|s| !s.is_null()) else {
                continue;
            };
            let subject = registry::subject(name, is_key);
            let got = registry
                .latest(&subject)
                .map_err(|_| format!("post: no schema registered under {subject}"))?
                .1;
            if !same_schema(want, &got.text) {
                return Err(format!(
                    "post: {subject} has schema {}, expected {want}",
                    got.text
                ));
            }
        }
    }
    Ok(())
}

/// Schema equality as the cases mean it: parsed JSON without `connect.*` properties, or
/// (for schema text that is not JSON) the text with white space runs made one space.
pub fn same_schema(want: &Json, got: &str) -> bool {
    match (want, serde_json::from_str::<Json>(got)) {
        (Json::String(text), _) if serde_json::from_str::<Json>(text).is_err() => {
            squash(text) == squash(got)
        }
        (Json::String(text), Ok(got)) => serde_json::from_str::<Json>(text)
            .is_ok_and(|want| without_connect(&want) == without_connect(&got)),
        (want, Ok(got)) => without_connect(want) == without_connect(&got),
        (_, Err(_)) => false,
    }
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn without_connect(json: &Json) -> Json {
    match json {
        Json::Object(members) => Json::Object(
            members
                .iter()
                .filter(|(k, _)| !k.starts_with("connect."))
                .map(|(k, v)| (k.clone(), without_connect(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(without_connect).collect()),
        other => other.clone(),
    }
}
