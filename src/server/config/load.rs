//! Merges the config layers with figment: built-in defaults (applied while reading) < the
//! config file < `WEIR_` environment variables < command-line flags.
//!
//! Environment variables nest with `__`: `WEIR_HTTP__LISTEN` sets `http.listen`. Under
//! `WEIR_KAFKA__…` single underscores become dots, so `WEIR_KAFKA__BOOTSTRAP_SERVERS` sets the
//! librdkafka property `bootstrap.servers` and `WEIR_KAFKA__CONSUMER__FETCH_MIN_BYTES` sets
//! `kafka.consumer."fetch.min.bytes"`. The environment is passed in, never read globally, so
//! tests can layer it.

use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::errors::{ConfigError, ConfigErrors};
use super::{Config, read};

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/weir/weir.toml";

/// Prefix of the environment variables weir reads.
pub const ENV_PREFIX: &str = "WEIR_";

/// Everything a config is loaded from.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// `--config PATH`: must exist when given.
    pub file: Option<PathBuf>,
    /// Read when `file` is not given and it exists (normally [`DEFAULT_CONFIG_FILE`]).
    pub default_file: Option<PathBuf>,
    /// Environment variables; only those starting with `WEIR_` are used.
    pub env: Vec<(String, String)>,
    /// Values from command-line flags.
    pub flags: FlagOverrides,
}

impl ConfigSources {
    /// Sources for a real process: its environment and the default file location.
    pub fn from_process(file: Option<PathBuf>, flags: FlagOverrides) -> Self {
        ConfigSources {
            file,
            default_file: Some(PathBuf::from(DEFAULT_CONFIG_FILE)),
            env: std::env::vars().collect(),
            flags,
        }
    }
}

/// Config values given as command-line flags, each with the key path it sets and the flag
/// that set it (for error messages).
#[derive(Debug, Clone, Default)]
pub struct FlagOverrides {
    entries: Vec<(Vec<String>, String)>,
}

impl FlagOverrides {
    /// Sets the key at `path` (segments, so Kafka property names keep their dots) to `value`.
    pub fn set(&mut self, path: Vec<String>, value: String) {
        self.entries.push((path, value));
    }

    /// Parses `KEY=VALUE` as given to `--set`: the key is a dotted path, except that after
    /// `kafka.` (or `kafka.consumer.` / `kafka.producer.`) the rest is one property name.
    pub fn set_assignment(&mut self, assignment: &str) -> Result<(), String> {
        let Some((key, value)) = assignment.split_once('=') else {
            return Err(format!("`{assignment}` is not of the form KEY=VALUE"));
        };
        let path = split_key_path(key.trim());
        if path.iter().any(String::is_empty) {
            return Err(format!("`{key}` is not a config key path"));
        }
        self.set(path, value.trim().to_string());
        Ok(())
    }
}

/// Splits a dotted key path, keeping librdkafka property names (which contain dots) whole.
fn split_key_path(key: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = key;
    if let Some(after) = rest.strip_prefix("kafka.") {
        parts.push("kafka".into());
        rest = after;
        for client in ["consumer", "producer"] {
            if let Some(after) = rest.strip_prefix(client).and_then(|r| r.strip_prefix('.')) {
                parts.push(client.into());
                rest = after;
            }
        }
        parts.push(rest.to_string());
        return parts;
    }
    key.split('.').map(str::to_string).collect()
}

/// Loads, merges and reads every layer, reporting all errors at once.
pub fn load(sources: &ConfigSources) -> Result<Config, ConfigErrors> {
    let mut figment = Figment::new();
    match (&sources.file, &sources.default_file) {
        (Some(file), _) => {
            if let Err(error) = std::fs::metadata(file) {
                return Err(ConfigErrors(vec![ConfigError {
                    key: "--config".into(),
                    value: Some(format!("{:?}", file.display().to_string())),
                    origin: Some("command-line flag".into()),
                    expected: format!("a readable TOML file ({error})"),
                }]));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        (None, Some(default)) if default.is_file() => {
            figment = figment.merge(Toml::file_exact(default));
        }
        _ => {}
    }
    figment = figment
        .merge(Layer::environment(&sources.env))
        .merge(Layer::flags(&sources.flags));

    let root = match figment.data() {
        Ok(mut profiles) => profiles.remove(&Profile::Default).unwrap_or_default(),
        Err(error) => return Err(file_syntax_error(sources, error)),
    };
    read::read_config(&figment, &root)
}

fn file_syntax_error(sources: &ConfigSources, error: figment::Error) -> ConfigErrors {
    let file = sources
        .file
        .clone()
        .or_else(|| sources.default_file.clone());
    ConfigErrors(vec![ConfigError {
        key: "--config".into(),
        value: file.map(|path| format!("{:?}", path.display().to_string())),
        origin: None,
        expected: format!("valid TOML ({})", error.kind),
    }])
}

/// A figment provider over a dictionary we built ourselves (environment or flags), whose
/// metadata can name the exact variable or flag behind each key.
struct Layer {
    name: &'static str,
    dict: Dict,
    describe_key: fn(&[&str]) -> String,
}

impl Layer {
    fn environment(env: &[(String, String)]) -> Layer {
        let mut dict = Dict::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path = env_key_path(rest);
            if path.iter().any(String::is_empty) {
                continue;
            }
            insert_path(&mut dict, &path, Value::from(value.clone()));
        }
        Layer {
            name: "environment",
            dict,
            describe_key: env_var_name,
        }
    }

    fn flags(flags: &FlagOverrides) -> Layer {
        let mut dict = Dict::new();
        for (path, value) in &flags.entries {
            insert_path(&mut dict, path, Value::from(value.clone()));
        }
        Layer {
            name: "command-line flags",
            dict,
            describe_key: |keys| format!("flag --set {}", keys.join(".")),
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let describe_key = self.describe_key;
        Metadata::named(self.name)
            .interpolater(move |_: &Profile, keys: &[&str]| describe_key(keys))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// `HTTP__LISTEN` → `["http", "listen"]`; `KAFKA__CONSUMER__FETCH_MIN_BYTES` →
/// `["kafka", "consumer", "fetch.min.bytes"]`.
fn env_key_path(rest: &str) -> Vec<String> {
    let segments: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    if segments.first().map(String::as_str) != Some("kafka") || segments.len() < 2 {
        return segments;
    }
    let mut path = vec!["kafka".to_string()];
    let mut properties = &segments[1..];
    if properties.len() >= 2 && matches!(properties[0].as_str(), "consumer" | "producer") {
        path.push(properties[0].clone());
        properties = &properties[1..];
    }
    path.push(properties.join("_").replace('_', "."));
    path
}

/// The inverse of [`env_key_path`], for messages.
fn env_var_name(keys: &[&str]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|key| key.replace('.', "_").to_ascii_uppercase())
        .collect();
    format!("{ENV_PREFIX}{}", parts.join("__"))
}

fn insert_path(dict: &mut Dict, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = dict;
    for parent in parents {
        let entry = current
            .entry(parent.clone())
            .or_insert_with(|| Value::from(Dict::new()));
        if !matches!(entry, Value::Dict(..)) {
            *entry = Value::from(Dict::new());
        }
        let Value::Dict(_, inner) = entry else {
            unreachable!("just made a dict")
        };
        current = inner;
    }
    current.insert(last.clone(), value);
}

/// Where a value came from, for messages: a file path, an environment variable or a flag.
pub(super) fn origin_of(figment: &Figment, value: &Value, path: &[&str]) -> Option<String> {
    let metadata = figment.get_metadata(value.tag())?;
    if let Some(file) = metadata.source.as_ref().and_then(|s| s.file_path()) {
        return Some(file.display().to_string());
    }
    Some(metadata.interpolate(&Profile::Default, path))
}

/// The folder of the file a value came from, to resolve relative paths against.
pub(super) fn file_dir_of(figment: &Figment, value: &Value) -> Option<PathBuf> {
    let metadata = figment.get_metadata(value.tag())?;
    let file = metadata.source.as_ref()?.file_path()?;
    file.parent().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_map_to_key_paths_and_back() {
        assert_eq!(env_key_path("HTTP__LISTEN"), ["http", "listen"]);
        assert_eq!(
            env_key_path("KAFKA__BOOTSTRAP_SERVERS"),
            ["kafka", "bootstrap.servers"]
        );
        assert_eq!(
            env_key_path("KAFKA__CONSUMER__FETCH_MIN_BYTES"),
            ["kafka", "consumer", "fetch.min.bytes"]
        );
        assert_eq!(
            env_var_name(&["kafka", "consumer", "fetch.min.bytes"]),
            "WEIR_KAFKA__CONSUMER__FETCH_MIN_BYTES"
        );
    }

    #[test]
    fn set_assignments_keep_kafka_property_names_whole() {
        assert_eq!(
            split_key_path("kafka.producer.linger.ms"),
            ["kafka", "producer", "linger.ms"]
        );
        assert_eq!(split_key_path("http.listen"), ["http", "listen"]);
        let mut flags = FlagOverrides::default();
        assert!(flags.set_assignment("threads").is_err());
        assert!(flags.set_assignment("threads=4").is_ok());
    }
}
