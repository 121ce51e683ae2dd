//! A case's Schema Registry, as ksqlDB's test harness keeps it in its mock client: before the
//! records run, the `keySchema`/`valueSchema` of every entry of the case's `topics` is
//! registered under `<topic>-key`/`<topic>-value` (with `keySchemaId`/`valueSchemaId` when the
//! case gives them, else the next free id from 1; key before value), its `*SchemaReferences`
//! first under their own names when it has an id (`TestExecutor.maybeRegisterTopicSchemas`),
//! else held inside the schema without ids of their own (`TestExecutorUtil.initializeTopics`
//! registers the parsed schema, dependencies included); the topics the statements create get the schema of their
//! declared columns, all in the harness's order ([`java_hash_map_order`]). After the run, the schemas registered
//! under the subjects `post.topics.topics` lists are compared with the case's: AVRO and JSON
//! schemas as parsed JSON (Kafka Connect's `connect.*` properties left out on both sides, as
//! the cases themselves list them for some logical types and not others), PROTOBUF schemas as
//! text with runs of white space made one space.

use serde_json::Value as Json;
use weir::registry::{self, MemoryRegistry, NewSchema, Reference, SchemaKind, SchemaRegistry};

/// Registers the `keySchema`/`valueSchema` of one entry of a case's `topics`. `format`
/// gives a side's format when the entry names none: the format of the source the statements
/// declare on the topic, else the case's `format` entry (ksqlDB's `TopicNode` default).
pub fn register_topic(
    registry: &MemoryRegistry,
    topic: &Json,
    format: impl Fn(bool) -> Option<String>,
) -> Result<(), String> {
    let Some(name) = topic.get("name").and_then(Json::as_str) else {
        return Ok(());
    };
    for (is_key, side) in [(true, "key"), (false, "value")] {
        let Some(schema) = topic.get(format!("{side}Schema")).filter(|s| !s.is_null()) else {
            continue;
        };
        let kind = kind(topic.get(format!("{side}Format")), format(is_key), schema);
        let subject = registry::subject(name, is_key);
        let id = topic
            .get(format!("{side}SchemaId"))
            .and_then(Json::as_u64)
            .and_then(|id| u32::try_from(id).ok());
        let text = text(schema, kind);
        match id {
            Some(id) => {
                let new = NewSchema {
                    kind,
                    text,
                    references: register_references(registry, topic, side, kind)?,
                };
                registry.register_with_id(&subject, &new, id)
            }
            None => {
                let (references, resolved) = held_references(topic, side, kind);
                let new = NewSchema {
                    kind,
                    text,
                    references,
                };
                registry.register_resolved(&subject, &new, resolved)
            }
        }
        .map_err(|e| format!("registering {subject}: {e}"))?;
    }
    Ok(())
}

/// The order in which ksqlDB's harness registers its topics: it collects them in a Java
/// `HashMap` keyed by topic name (the case's `topics` first, then those the statements
/// create) and registers them in that map's iteration order, which gives the schema ids the
/// cases' `KEY_SCHEMA_ID`/`VALUE_SCHEMA_ID` refer to. Returns indexes into `names`
/// (insertion order), iterated as a `HashMap` of default capacity would.
pub fn java_hash_map_order(names: &[&str]) -> Vec<usize> {
    let mut capacity: usize = 16;
    while names.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |name: &str| {
        let h = name
            .encode_utf16()
            .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
        (h ^ (h >> 16)) as usize & (capacity - 1)
    };
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| bucket(names[i]));
    order
}

/// The `*SchemaReferences` of one side of a case topic: (name, schema text) pairs.
fn case_references(topic: &Json, side: &str, kind: SchemaKind) -> Vec<(String, String)> {
    topic
        .get(format!("{side}SchemaReferences"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let name = r.get("name").and_then(Json::as_str)?;
            Some((name.to_owned(), text(r.get("schema")?, kind)))
        })
        .collect()
}

fn reference_to(name: &str) -> Reference {
    Reference {
        name: name.to_owned(),
        subject: name.to_owned(),
        version: 1,
    }
}

/// For a topic with a schema id: each reference registered under its own name first (taking
/// the next free ids), as the harness's `maybeRegisterTopicSchemas` does.
fn register_references(
    registry: &MemoryRegistry,
    topic: &Json,
    side: &str,
    kind: SchemaKind,
) -> Result<Vec<Reference>, String> {
    let mut out = Vec::new();
    for (name, text) in case_references(topic, side, kind) {
        let new = NewSchema {
            kind,
            text,
            references: Vec::new(),
        };
        registry
            .register(&name, &new)
            .map_err(|e| format!("registering reference {name}: {e}"))?;
        out.push(reference_to(&name));
    }
    Ok(out)
}

/// For a topic without one: the references travel inside the parsed schema the harness's
/// `initializeTopics` registers, so they take no ids of their own.
fn held_references(
    topic: &Json,
    side: &str,
    kind: SchemaKind,
) -> (Vec<Reference>, Vec<(String, String)>) {
    let resolved = case_references(topic, side, kind);
    let references = resolved
        .iter()
        .map(|(name, _)| reference_to(name))
        .collect();
    (references, resolved)
}

/// A schema given as JSON is registered as its JSON text; one given as a string as written,
/// except that an AVRO or JSON schema string that is not JSON is a bare name (`"int"`).
fn text(schema: &Json, kind: SchemaKind) -> String {
    match schema {
        Json::String(text)
            if kind != SchemaKind::Protobuf && serde_json::from_str::<Json>(text).is_err() =>
        {
            schema.to_string()
        }
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The schema language: the side's own format, else the case's format, else the shape of
/// the schema (a string is PROTOBUF text, a JSON object is AVRO unless it reads as a JSON
/// schema).
fn kind(side_format: Option<&Json>, default: Option<String>, schema: &Json) -> SchemaKind {
    let named = side_format
        .and_then(|f| {
            f.as_str()
                .or_else(|| f.get("format").and_then(Json::as_str))
        })
        .map(str::to_owned)
        .or(default);
    match named.map(|n| n.to_ascii_uppercase()).as_deref() {
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

/// Schema equality as the cases mean it: parsed JSON without `connect.*` properties and with
/// Avro names made full names (a named type's namespace is inherited when not written, so
/// `{"name":"A","namespace":"x"}` and `{"name":"x.A"}` are one type), or (for schema text
/// that is not JSON) the text with white space runs made one space.
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
    normalized(json, "")
}

/// [`without_connect`] below the Avro namespace `namespace`.
fn normalized(json: &Json, namespace: &str) -> Json {
    match json {
        Json::Object(members) => {
            let named = matches!(
                members.get("type").and_then(Json::as_str),
                Some("record" | "enum" | "fixed")
            );
            let name = members.get("name").and_then(Json::as_str).filter(|_| named);
            let full = name.map(
                |name| match (name.contains('.'), members.get("namespace")) {
                    (true, _) => name.to_owned(),
                    (false, Some(Json::String(ns))) if !ns.is_empty() => format!("{ns}.{name}"),
                    (false, Some(_)) => name.to_owned(),
                    (false, None) if namespace.is_empty() => name.to_owned(),
                    (false, None) => format!("{namespace}.{name}"),
                },
            );
            let inner = full
                .as_deref()
                .map_or(namespace, |f| f.rsplit_once('.').map_or("", |(ns, _)| ns));
            let mut out: serde_json::Map<String, Json> = members
                .iter()
                .filter(|(k, _)| !k.starts_with("connect."))
                .filter(|(k, _)| !(full.is_some() && k.as_str() == "namespace"))
                .map(|(k, v)| (k.clone(), normalized(v, inner)))
                .collect();
            if let Some(full) = full {
                out.insert("name".into(), Json::String(full));
            }
            Json::Object(out)
        }
        Json::Array(items) => Json::Array(items.iter().map(|i| normalized(i, namespace)).collect()),
        other => other.clone(),
    }
}
