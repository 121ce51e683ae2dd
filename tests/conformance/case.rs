//! One QTT case in one format: plan the statements, build and register every query on a
//! [`Driver`], pipe the inputs, and compare each sink topic's output with the expected records.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::Value as Json;
use weir::analyze::WindowType;
use weir::driver::Driver;
use weir::format::Role;
use weir::ops::{BuildError, RegistryOptions};
use weir::plan::PlannedFile;
use weir::registry::{MemoryRegistry, SchemaRegistry};
use weir::sql::LineColumn;
use weir::topology::{Header, Window};

use crate::codec::Side;
use crate::expected::{blank_empty_bytes, matches};
use crate::messages::{self, Mismatch};

/// The shared case loader, for the case's topic schemas (its Schema Registry) at planning.
#[path = "../support/qtt.rs"]
#[allow(dead_code)]
mod qtt;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed(String),
    Error(String),
    Skipped(String),
}

/// Why `case` (with `format` substituted) is skipped, if it is.
pub fn skip_reason(case: &Json) -> Option<String> {
    if case.get("enabled") == Some(&Json::Bool(false)) {
        return Some("enabled: false".into());
    }
    if let Some(props) = case.get("properties").and_then(Json::as_object) {
        let names: Vec<&str> = props
            .iter()
            .filter(|(name, value)| !neutral_property(name, value))
            .map(|(name, _)| name.as_str())
            .collect();
        if !names.is_empty() {
            return Some(format!("unsupported properties: {}", names.join(", ")));
        }
    }
    None
}

/// Properties whose value does not change what weir computes: an emit interval of 0 (weir
/// emits every update), the query planner choice (both planners give the same results), and
/// the non-legacy session key format (the only one weir writes).
fn neutral_property(name: &str, value: &Json) -> bool {
    let text = match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    match name {
        "ksql.streams.__emit.interval.ms.kstreams.windowed.aggregation__" => text == "0",
        "ksql.new.query.planner.enabled" => true,
        "ksql.windowed.session.key.legacy" => text.eq_ignore_ascii_case("false"),
        // Kafka Streams' topology optimization only decides whether a source table's store
        // reuses the source topic as its changelog; the records processed are the same.
        "ksql.streams.topology.optimization" => true,
        // Not neutral, but honoured: the runner hands case properties to the analyzer.
        "ksql.persistence.default.format.key"
        | "ksql.persistence.default.format.value"
        | "ksql.output.topic.name.prefix" => true,
        _ => false,
    }
}

/// The message weir gave for a case that expects an exception.
pub struct ErrorMessage {
    /// Whether it contains the case's `expectedException.message`: ksqlDB's test harness
    /// (`KsqlExpectedException.expectMessage`) matches with `containsString`, and so does this,
    /// reading ksqlDB's location and statement frame as weir's own rendering
    /// (`messages.rs`).
    pub matches: bool,
    /// Why it is not ksqlDB's, when it is not.
    pub mismatch: Option<Mismatch>,
    /// weir's message (the diagnostics' messages, without position or caret rendering).
    pub actual: String,
}

/// Runs one case; `expected_error` is the `expectedException.message` when there is one.
/// For an expected exception that weir raises, the second value holds weir's message.
pub fn run(case: &Json, format: Option<&str>, statements: &str) -> (Status, Option<ErrorMessage>) {
    let expected = case.get("expectedException");
    let expect_message = expected
        .and_then(|e| e.get("message"))
        .and_then(Json::as_str)
        .unwrap_or("");
    let outcome = execute(case, format, statements);
    match (expected, outcome) {
        (_, Err(Outcome::Unsupported(why))) => (Status::Skipped(why), None),
        // A function we have not implemented is not the error the case expects.
        (Some(_), Err(Outcome::Unimplemented(why))) => (Status::Skipped(why), None),
        (None, Err(Outcome::Unimplemented(why))) => (Status::Failed(why), None),
        (Some(_), Err(Outcome::Failed(message))) => (
            Status::Passed,
            Some(error_message(expect_message, message, None, statements)),
        ),
        (Some(_), Err(Outcome::Rejected { message, at })) => (
            Status::Passed,
            Some(error_message(expect_message, message, at, statements)),
        ),
        (Some(_), Ok(())) => (
            Status::Failed(format!("expected an error containing {expect_message:?}")),
            None,
        ),
        (None, Err(Outcome::Failed(message) | Outcome::Rejected { message, .. })) => {
            (Status::Failed(message), None)
        }
        (None, Err(Outcome::Mismatch(message))) => (Status::Failed(message), None),
        (Some(_), Err(Outcome::Mismatch(message))) => (
            Status::Failed(format!("expected an error, got outputs: {message}")),
            None,
        ),
        (None, Ok(())) => (Status::Passed, None),
    }
}

/// weir's `actual` message, raised at `at`, against the case's `expected` one.
fn error_message(
    expected: &str,
    actual: String,
    at: Option<LineColumn>,
    statements: &str,
) -> ErrorMessage {
    let matches = messages::matches(expected, &actual, at);
    let mismatch = (!matches).then(|| {
        let parse_failed = weir::sql::parse_file(statements).is_err();
        messages::classify(expected, &actual, parse_failed)
    });
    ErrorMessage {
        matches,
        mismatch,
        actual,
    }
}

enum Outcome {
    /// Building or running failed.
    Failed(String),
    /// Parsing or planning refused the file; `at` is where the first diagnostic points.
    Rejected {
        message: String,
        at: Option<LineColumn>,
    },
    /// Ran, but the outputs differ.
    Mismatch(String),
    Unsupported(String),
    /// An expression needs a function (or construct) the evaluator does not have yet.
    Unimplemented(String),
}

fn execute(case: &Json, format: Option<&str>, statements: &str) -> Result<(), Outcome> {
    let properties = case
        .get("properties")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), String::from),
            )
        })
        .collect();
    let options = weir::analyze::AnalyzeOptions {
        properties,
        schemas: Some(qtt::CaseSchemas::of(case)),
        ..weir::analyze::AnalyzeOptions::default()
    };
    let planned = weir::plan::plan_file_with(statements, "qtt", &options).map_err(|diags| {
        Outcome::Rejected {
            message: diags
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            at: diags
                .first()
                .map(|d| LineColumn::of(statements, d.span.start)),
        }
    })?;
    let registry = Arc::new(MemoryRegistry::new());
    let shared: Arc<dyn SchemaRegistry> = registry.clone();
    preload(case, format, &planned, &registry, &shared).map_err(Outcome::Failed)?;
    let mut driver = Driver::new();
    // ksqlDB's query-validation harness sets `cache.max.bytes.buffering` to 0: every update
    // of an aggregate is an expected output.
    driver.record_cache(0);
    for topic in case
        .get("topics")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = topic.get("name").and_then(Json::as_str) {
            // ksqlDB runs its cases on TopologyTestDriver, where every topic is one partition:
            // a declared count only feeds ksqlDB's topic checks, never the processing.
            driver.create_topic(name, 1);
        }
    }
    let inputs = records(case, "inputs");
    for input in &inputs {
        driver.create_topic(text(input, "topic"), 1);
    }
    let mut sinks = Vec::new();
    for query in &planned.queries {
        let options = RegistryOptions {
            registry: shared.clone(),
            unavailable_wait: Duration::ZERO,
        };
        let built = weir::ops::build_with_registry(query, Some(options)).map_err(|e| match e {
            BuildError::Unsupported { .. } => Outcome::Unsupported(e.to_string()),
            BuildError::Compile { .. } => Outcome::Unimplemented(e.to_string()),
            other => Outcome::Failed(other.to_string()),
        })?;
        driver
            .register(&query.id, Arc::new(built))
            .map_err(|e| Outcome::Failed(e.to_string()))?;
        if let weir::plan::Step::Sink { topic, .. } = &query.steps {
            sinks.push(topic.topic.clone());
        }
    }
    for input in &inputs {
        pipe(&mut driver, &planned, &shared, input)?;
    }
    compare(
        &driver,
        &planned,
        &shared,
        &sinks,
        &records(case, "outputs"),
    )
    .map_err(|e| match e {
        Outcome::Mismatch(m) => Outcome::Mismatch(match driver.processing_log().first() {
            Some(first) => format!("{m} (processing log: {first})"),
            None => m,
        }),
        other => other,
    })?;
    crate::post::check(case, &driver, &planned).map_err(Outcome::Mismatch)?;
    crate::registry::check_sink_schemas(case, &registry).map_err(Outcome::Mismatch)
}

/// Fills the case's registry as ksqlDB's harness does: the case's `topics`, then the topics
/// of the sources the statements create (not the query sinks, which register their schema
/// when they write), in the harness's order.
fn preload(
    case: &Json,
    format: Option<&str>,
    planned: &PlannedFile,
    registry: &MemoryRegistry,
    shared: &Arc<dyn SchemaRegistry>,
) -> Result<(), String> {
    let case_topics = records(case, "topics");
    let mut names: Vec<&str> = case_topics.iter().map(|t| text(t, "name")).collect();
    let mut created = Vec::new();
    for source in planned
        .catalog
        .source_names()
        .filter_map(|name| planned.catalog.source(name))
        .filter(|s| s.written_by.is_none())
    {
        if !names.contains(&source.topic.as_str()) {
            names.push(&source.topic);
            created.push(source);
        }
    }
    let declared = |topic: &str, is_key: bool| {
        planned
            .catalog
            .source_names()
            .filter_map(|name| planned.catalog.source(name))
            .find(|s| s.topic == topic)
            .map(|s| {
                let info = if is_key {
                    &s.key_format
                } else {
                    &s.value_format
                };
                info.format.name().to_owned()
            })
            .or_else(|| format.map(str::to_owned))
    };
    for i in crate::registry::java_hash_map_order(&names) {
        if let Some(topic) = case_topics.get(i) {
            let name = text(topic, "name");
            crate::registry::register_topic(registry, topic, |is_key| declared(name, is_key))?;
            continue;
        }
        let source = created[i - case_topics.len()];
        for role in [Role::Key, Role::Value] {
            let info = match role {
                Role::Key => &source.key_format,
                Role::Value => &source.value_format,
            };
            let side =
                Side::of(&source.schema, info, role).with_registry(&source.topic, shared.clone());
            side.register_schema()?;
        }
    }
    Ok(())
}

fn records<'a>(case: &'a Json, field: &str) -> Vec<&'a Json> {
    case.get(field)
        .and_then(Json::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn text<'a>(record: &'a Json, field: &str) -> &'a str {
    record.get(field).and_then(Json::as_str).unwrap_or("")
}

/// The key and value sides of a topic, from the catalog source that uses it.
fn sides(
    planned: &PlannedFile,
    registry: &Arc<dyn SchemaRegistry>,
    topic: &str,
) -> Option<(Side, Side)> {
    planned
        .catalog
        .source_names()
        .filter_map(|name| planned.catalog.source(name))
        .find(|s| s.topic == topic)
        .map(|s| {
            (
                Side::of(&s.schema, &s.key_format, Role::Key)
                    .with_registry(topic, registry.clone()),
                Side::of(&s.schema, &s.value_format, Role::Value)
                    .with_registry(topic, registry.clone()),
            )
        })
}

fn pipe(
    driver: &mut Driver,
    planned: &PlannedFile,
    registry: &Arc<dyn SchemaRegistry>,
    input: &Json,
) -> Result<(), Outcome> {
    let topic = text(input, "topic");
    let null = Json::Null;
    let key = input.get("key").unwrap_or(&null);
    let value = input.get("value").unwrap_or(&null);
    let as_written = input.get(crate::raw::VALUE_TEXT).and_then(Json::as_str);
    let (mut key, value) = match sides(planned, registry, topic) {
        Some((k, v)) => (
            k.encode(key).map_err(Outcome::Failed)?,
            match as_written.filter(|_| v.writes_json_text()) {
                Some(text) => Some(text.as_bytes().to_vec()),
                None => v.encode(value).map_err(Outcome::Failed)?,
            },
        ),
        None => (raw(key), raw(value)),
    };
    if let Some((window, kind)) = json_window(input) {
        let bytes = key.get_or_insert_with(Vec::new);
        weir::ops::window_key::append_window(kind, window, bytes);
    }
    let headers = input
        .get("headers")
        .and_then(Json::as_array)
        .map(|hs| {
            hs.iter()
                .map(|h| Header {
                    key: text(h, "KEY").to_owned(),
                    value: h
                        .get("VALUE")
                        .and_then(Json::as_str)
                        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok()),
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let timestamp = input.get("timestamp").and_then(Json::as_i64);
    driver
        .pipe(topic, key.as_deref(), value.as_deref(), timestamp, &headers)
        .map_err(|e| Outcome::Failed(e.to_string()))
}

/// The `window` object of a QTT record: bounds and type.
fn json_window(record: &Json) -> Option<(Window, WindowType)> {
    let w = record.get("window")?;
    let kind = match w
        .get("type")
        .and_then(Json::as_str)?
        .to_ascii_lowercase()
        .as_str()
    {
        "session" => WindowType::Session,
        "hopping" => WindowType::Hopping,
        _ => WindowType::Tumbling,
    };
    let start = w.get("start").and_then(Json::as_i64)?;
    let end = w.get("end").and_then(Json::as_i64).unwrap_or(start);
    Some((Window { start, end }, kind))
}

/// The window type and size of the source writing `topic`, when its key is windowed.
fn sink_window(planned: &PlannedFile, topic: &str) -> Option<(WindowType, i64)> {
    planned
        .catalog
        .source_names()
        .filter_map(|name| planned.catalog.source(name))
        .find(|s| s.topic == topic)
        .and_then(|s| s.window)
        .map(|w| (w.window_type, w.size_ms.map_or(0, |s| s as i64)))
}

fn raw(json: &Json) -> Option<Vec<u8>> {
    match json {
        Json::Null => None,
        Json::String(s) => Some(s.as_bytes().to_vec()),
        other => Some(other.to_string().into_bytes()),
    }
}

fn compare(
    driver: &Driver,
    planned: &PlannedFile,
    registry: &Arc<dyn SchemaRegistry>,
    sinks: &[String],
    expected: &[&Json],
) -> Result<(), Outcome> {
    let mut by_topic: BTreeMap<&str, Vec<&Json>> = BTreeMap::new();
    // As QTT does: only the topics the case lists outputs for are checked.
    let _ = sinks;
    for record in expected {
        by_topic
            .entry(text(record, "topic"))
            .or_default()
            .push(record);
    }
    for (topic, want) in by_topic {
        let got = driver.output(topic);
        let (key_side, value_side) = match sides(planned, registry, topic) {
            Some(s) => s,
            None if want.is_empty() && got.is_empty() => continue,
            None => return Err(Outcome::Mismatch(format!("no source for topic {topic}"))),
        };
        let null = Json::Null;
        for i in 0..want.len().max(got.len()) {
            let (Some(w), Some(g)) = (want.get(i), got.get(i)) else {
                return Err(Outcome::Mismatch(format!(
                    "topic {topic}: expected {} records, got {}",
                    want.len(),
                    got.len()
                )));
            };
            let windowed = sink_window(planned, topic);
            let (key_bytes, got_window) = match (windowed, g.key.as_deref()) {
                (Some((kind, size)), Some(bytes)) => {
                    match weir::ops::window_key::split_window(kind, size, bytes) {
                        Some((k, w)) => (Some(k), Some(w)),
                        None => (Some(bytes), None),
                    }
                }
                (_, bytes) => (bytes, None),
            };
            let want_window = json_window(w).map(|(w, _)| w);
            if want_window.is_some() && want_window != got_window {
                return Err(Outcome::Mismatch(format!(
                    "topic {topic} record {i}: expected window {want_window:?}, got {got_window:?}"
                )));
            }
            let key = key_side.decode(key_bytes);
            let value = value_side.decode(g.value.as_deref());
            let (key_shape, value_shape) = (key_side.json_shape(), value_side.json_shape());
            let key = if key_side.read_through_connect() {
                blank_empty_bytes(key, key_shape.as_ref())
            } else {
                key
            };
            let value = if value_side.read_through_connect() {
                blank_empty_bytes(value, value_shape.as_ref())
            } else {
                value
            };
            let ts_ok = w
                .get("timestamp")
                .and_then(Json::as_i64)
                .is_none_or(|t| t == g.timestamp);
            if !matches(w.get("key").unwrap_or(&null), &key, key_shape.as_ref())
                || !matches(
                    w.get("value").unwrap_or(&null),
                    &value,
                    value_shape.as_ref(),
                )
                || !ts_ok
            {
                return Err(Outcome::Mismatch(format!(
                    "topic {topic} record {i}: expected key {} value {} timestamp {}, got key {key} value {value} timestamp {}",
                    w.get("key").unwrap_or(&null),
                    w.get("value").unwrap_or(&null),
                    w.get("timestamp").unwrap_or(&null),
                    g.timestamp
                )));
            }
        }
    }
    Ok(())
}
