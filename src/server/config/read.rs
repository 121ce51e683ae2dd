//! Reads the merged config tree key by key into [`Config`], applying built-in defaults and
//! collecting every error instead of stopping at the first (serde would stop at the first).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::value::{Dict, Value};

use super::errors::{ConfigError, ConfigErrors};
use super::load::{file_dir_of, origin_of};
use super::*;

mod registry;
mod state;

const TOP_KEYS: &[&str] = &[
    "service_id",
    "queries",
    "state_dir",
    "threads",
    "processing_guarantee",
    "commit_interval",
    "shutdown_timeout",
    "startup_timeout",
    "auto_offset_reset",
    "static_membership",
    "standby_replicas",
    "kafka",
    "http",
    "log",
    "errors",
    "state",
    "schema_registry",
];
const HTTP_KEYS: &[&str] = &["listen"];
const LOG_KEYS: &[&str] = &["format", "filter"];
const ERRORS_KEYS: &[&str] = &[
    "on_deserialization",
    "on_processing",
    "processing_log_topic",
    "restart_backoff_initial",
    "restart_backoff_max",
];

/// librdkafka properties weir sets itself, per query, and why a user may not.
const RESERVED_KAFKA_PROPERTIES: &[(&str, &str)] = &[
    (
        "group.id",
        "weir sets it per query to the query's application id",
    ),
    (
        "transactional.id",
        "weir sets it per query and stream thread",
    ),
    (
        "group.instance.id",
        "weir sets it per query and stream thread; use the top-level key static_membership",
    ),
    ("enable.auto.commit", "weir commits offsets itself"),
    ("enable.auto.offset.store", "weir stores offsets itself"),
    ("isolation.level", "weir sets it from processing_guarantee"),
    (
        "auto.offset.reset",
        "use the top-level key auto_offset_reset",
    ),
];

/// Walks the tree, remembering every error.
struct Reader<'a> {
    figment: &'a Figment,
    errors: Vec<ConfigError>,
}

/// A table of the tree and the key path that leads to it.
#[derive(Clone, Copy)]
struct Table<'a> {
    path: &'a [&'a str],
    dict: Option<&'a Dict>,
}

pub(super) fn read_config(figment: &Figment, root: &Dict) -> Result<Config, ConfigErrors> {
    let mut reader = Reader {
        figment,
        errors: Vec::new(),
    };
    let top = Table {
        path: &[],
        dict: Some(root),
    };
    reader.check_known_keys(top, TOP_KEYS);

    let service_id = reader
        .name(top, "service_id")
        .unwrap_or_else(|| "weir".into());
    let queries = reader.queries_path(top);
    let state_dir = reader
        .path(top, "state_dir")
        .unwrap_or_else(|| PathBuf::from("/var/lib/weir"));
    let default_threads = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = reader
        .integer(top, "threads", 1, 256)
        .map_or(default_threads, |n| n as usize);
    let processing_guarantee = reader
        .choice(
            top,
            "processing_guarantee",
            &[
                ("at_least_once", ProcessingGuarantee::AtLeastOnce),
                ("exactly_once_v2", ProcessingGuarantee::ExactlyOnceV2),
            ],
        )
        .unwrap_or(ProcessingGuarantee::AtLeastOnce);
    let commit_interval = reader
        .duration(top, "commit_interval")
        .unwrap_or(super::DEFAULT_COMMIT_INTERVAL);
    let shutdown_timeout = reader
        .duration(top, "shutdown_timeout")
        .unwrap_or(Duration::from_secs(30));
    let startup_timeout = reader
        .duration(top, "startup_timeout")
        .unwrap_or(Duration::from_secs(60));
    let auto_offset_reset = reader
        .choice(
            top,
            "auto_offset_reset",
            &[
                ("earliest", OffsetReset::Earliest),
                ("latest", OffsetReset::Latest),
            ],
        )
        .unwrap_or(OffsetReset::Earliest);
    let static_membership = reader.boolean(top, "static_membership").unwrap_or(false);
    let standby_replicas = reader
        .integer(top, "standby_replicas", 0, 64)
        .map_or(0, |n| n as usize);
    let kafka = reader.kafka(top);
    let http = reader.http(top);
    let log = reader.log(top);
    let errors = reader.error_policies(top, &service_id);
    let state = reader.state(top);
    let schema_registry = reader.schema_registry(top);

    if !reader.errors.is_empty() {
        return Err(ConfigErrors(reader.errors));
    }
    let Some(queries) = queries else {
        unreachable!("a missing queries path is recorded as an error")
    };
    Ok(Config {
        service_id,
        queries,
        state_dir,
        threads,
        processing_guarantee,
        commit_interval,
        shutdown_timeout,
        startup_timeout,
        auto_offset_reset,
        static_membership,
        standby_replicas,
        kafka,
        http,
        log,
        errors,
        state,
        schema_registry,
    })
}

impl<'a> Reader<'a> {
    fn error(&mut self, table: Table, key: &str, value: Option<&Value>, expected: String) {
        let mut path: Vec<&str> = table.path.to_vec();
        path.push(key);
        let origin = value.and_then(|v| origin_of(self.figment, v, &path));
        self.errors.push(ConfigError {
            key: path.join("."),
            value: value.map(render_value),
            origin,
            expected,
        });
    }

    fn check_known_keys(&mut self, table: Table, known: &[&str]) {
        let Some(dict) = table.dict else { return };
        for (key, value) in dict {
            if known.contains(&key.as_str()) {
                continue;
            }
            let expected = match crate::sql::suggest(key, known.iter().copied()) {
                Some(close) => format!("unknown key; did you mean `{close}`?"),
                None => format!("unknown key; known keys here: {}", known.join(", ")),
            };
            self.error(table, key, Some(value), expected);
        }
    }

    fn sub_table(&mut self, table: Table<'a>, key: &'a str, path: &'a [&'a str]) -> Table<'a> {
        let dict = match table.dict.and_then(|d| d.get(key)) {
            None => None,
            Some(Value::Dict(_, dict)) => Some(dict),
            Some(other) => {
                self.error(table, key, Some(other), "a table".into());
                None
            }
        };
        Table { path, dict }
    }

    fn string(&mut self, table: Table, key: &str) -> Option<String> {
        match table.dict?.get(key)? {
            Value::String(_, s) => Some(s.clone()),
            other => {
                self.error(table, key, Some(other), "a string".into());
                None
            }
        }
    }

    /// Parses a string value, recording `expected` when `parse` rejects it.
    fn parsed<T>(
        &mut self,
        table: Table,
        key: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let value = table.dict?.get(key)?;
        let parsed = match value {
            Value::String(_, s) => parse(s.trim()),
            _ => None,
        };
        if parsed.is_none() {
            self.error(table, key, Some(value), expected.to_string());
        }
        parsed
    }

    fn name(&mut self, table: Table, key: &str) -> Option<String> {
        self.parsed(
            table,
            key,
            "a non-empty name of letters, digits, '.', '_' or '-'",
            |s| is_topic_safe_name(s).then(|| s.to_string()),
        )
    }

    fn choice<T: Copy>(&mut self, table: Table, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let expected = format!("one of {}", names.join(", "));
        self.parsed(table, key, &expected, |s| {
            choices
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(s))
                .map(|(_, value)| *value)
        })
    }

    /// `true` or `false`: a TOML boolean, or that text (environment variables and flags are
    /// text).
    fn boolean(&mut self, table: Table, key: &str) -> Option<bool> {
        let value = table.dict?.get(key)?;
        let parsed = match value {
            Value::Bool(_, b) => Some(*b),
            Value::String(_, s) => s.trim().to_ascii_lowercase().parse::<bool>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.error(table, key, Some(value), "true or false".into());
        }
        parsed
    }

    fn duration(&mut self, table: Table, key: &str) -> Option<Duration> {
        self.parsed(
            table,
            key,
            "a duration such as \"30s\", \"500ms\" or \"2m\"",
            |s| humantime::parse_duration(s).ok(),
        )
    }

    fn integer(&mut self, table: Table, key: &str, min: i128, max: i128) -> Option<i128> {
        let value = table.dict?.get(key)?;
        let number = match value {
            Value::Num(_, n) => n.to_i128(),
            Value::String(_, s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        match number {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                let expected = format!("a whole number from {min} to {max}");
                self.error(table, key, Some(value), expected);
                None
            }
        }
    }

    /// A path; relative ones resolve against the folder of the config file they came from.
    fn path(&mut self, table: Table, key: &str) -> Option<PathBuf> {
        let text = self.string(table, key)?;
        let path = PathBuf::from(&text);
        let value = table.dict?.get(key)?;
        match file_dir_of(self.figment, value) {
            Some(dir) if path.is_relative() => Some(dir.join(path)),
            _ => Some(path),
        }
    }

    fn queries_path(&mut self, top: Table) -> Option<PathBuf> {
        let Some(path) = self.path(top, "queries") else {
            if top.dict.and_then(|d| d.get("queries")).is_none() {
                let expected = "the path of the .sql queries file; set it in the config file, \
                                as WEIR_QUERIES, or with --queries"
                    .to_string();
                self.error(top, "queries", None, expected);
            }
            return None;
        };
        if let Err(error) = std::fs::File::open(&path) {
            let value = top.dict.and_then(|d| d.get("queries"));
            let expected = format!("a readable .sql file ({}: {error})", path.display());
            self.error(top, "queries", value, expected);
            return None;
        }
        Some(path)
    }

    fn kafka(&mut self, top: Table<'a>) -> KafkaProperties {
        let kafka = self.sub_table(top, "kafka", &["kafka"]);
        let mut properties = KafkaProperties::default();
        let Some(dict) = kafka.dict else {
            return properties;
        };
        for (key, value) in dict {
            match (key.as_str(), value) {
                ("consumer", Value::Dict(_, _)) => {
                    let table = self.sub_table(kafka, "consumer", &["kafka", "consumer"]);
                    properties.consumer = self.kafka_properties(table);
                }
                ("producer", Value::Dict(_, _)) => {
                    let table = self.sub_table(kafka, "producer", &["kafka", "producer"]);
                    properties.producer = self.kafka_properties(table);
                }
                _ => {}
            }
        }
        properties.common = self.kafka_properties(kafka);
        properties
    }

    /// The scalar entries of a `[kafka…]` table as librdkafka strings.
    fn kafka_properties(&mut self, table: Table) -> BTreeMap<String, String> {
        let mut properties = BTreeMap::new();
        let Some(dict) = table.dict else {
            return properties;
        };
        for (key, value) in dict {
            let nested_client = table.path == ["kafka"] && (key == "consumer" || key == "producer");
            if nested_client && matches!(value, Value::Dict(..)) {
                continue;
            }
            if let Some((_, why)) = RESERVED_KAFKA_PROPERTIES.iter().find(|(k, _)| k == key) {
                let expected = format!("not set here: {why}");
                self.error(table, key, Some(value), expected);
                continue;
            }
            let text = match value {
                Value::String(_, s) => s.clone(),
                Value::Num(_, n) => match (n.to_i128(), n.to_f64()) {
                    (Some(i), _) => i.to_string(),
                    (None, Some(f)) => f.to_string(),
                    _ => continue,
                },
                Value::Bool(_, b) => b.to_string(),
                other => {
                    let expected = "a librdkafka property value (string, number or boolean)";
                    self.error(table, key, Some(other), expected.into());
                    continue;
                }
            };
            properties.insert(key.clone(), text);
        }
        properties
    }

    fn http(&mut self, top: Table<'a>) -> HttpConfig {
        let http = self.sub_table(top, "http", &["http"]);
        self.check_known_keys(http, HTTP_KEYS);
        let default = SocketAddr::from((Ipv4Addr::LOCALHOST, 9464));
        let listen = self
            .parsed(
                http,
                "listen",
                "a socket address such as \"127.0.0.1:9464\" or \"0.0.0.0:9464\", or \"off\"",
                parse_listen,
            )
            .unwrap_or(Some(default));
        HttpConfig { listen }
    }

    fn log(&mut self, top: Table<'a>) -> LogConfig {
        let log = self.sub_table(top, "log", &["log"]);
        self.check_known_keys(log, LOG_KEYS);
        let format = self
            .choice(
                log,
                "format",
                &[
                    ("auto", LogFormat::Auto),
                    ("pretty", LogFormat::Pretty),
                    ("json", LogFormat::Json),
                ],
            )
            .unwrap_or(LogFormat::Auto);
        let filter = self
            .parsed(
                log,
                "filter",
                "a log filter such as \"info\" or \"warn,weir=debug\"",
                |s| {
                    tracing_subscriber::EnvFilter::try_new(s)
                        .ok()
                        .map(|_| s.to_string())
                },
            )
            .unwrap_or_else(|| "info".into());
        LogConfig { format, filter }
    }

    fn error_policies(&mut self, top: Table<'a>, service_id: &str) -> ErrorPolicies {
        let errors = self.sub_table(top, "errors", &["errors"]);
        self.check_known_keys(errors, ERRORS_KEYS);
        let policies = [
            ("log_and_continue", RecordErrorPolicy::LogAndContinue),
            ("fail", RecordErrorPolicy::Fail),
        ];
        let on_deserialization = self
            .choice(errors, "on_deserialization", &policies)
            .unwrap_or(RecordErrorPolicy::LogAndContinue);
        let on_processing = self
            .choice(errors, "on_processing", &policies)
            .unwrap_or(RecordErrorPolicy::LogAndContinue);
        let processing_log_topic = self
            .name(errors, "processing_log_topic")
            .unwrap_or_else(|| format!("{service_id}_processing_log"));
        let restart_backoff_initial = self
            .duration(errors, "restart_backoff_initial")
            .unwrap_or(Duration::from_secs(1));
        let restart_backoff_max = self
            .duration(errors, "restart_backoff_max")
            .unwrap_or(Duration::from_secs(60));
        ErrorPolicies {
            on_deserialization,
            on_processing,
            processing_log_topic,
            restart_backoff_initial,
            restart_backoff_max,
        }
    }
}

fn parse_listen(text: &str) -> Option<Option<SocketAddr>> {
    if text.eq_ignore_ascii_case("off") {
        return Some(None);
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        let port = port.parse::<u16>().ok()?;
        return Some(Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port))));
    }
    text.parse::<SocketAddr>().ok().map(Some)
}

/// Names that end up in topic names and group ids.
fn is_topic_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A value as it would be written in TOML, for messages.
fn render_value(value: &Value) -> String {
    match value {
        Value::String(_, s) => format!("{s:?}"),
        Value::Char(_, c) => format!("{:?}", c.to_string()),
        Value::Bool(_, b) => b.to_string(),
        Value::Num(_, n) => match (n.to_i128(), n.to_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => f.to_string(),
            _ => "a number".into(),
        },
        Value::Empty(..) => "nothing".into(),
        Value::Dict(..) => "a table".into(),
        Value::Array(..) => "an array".into(),
    }
}
