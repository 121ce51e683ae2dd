//! Config errors: each names the key path, the offending value, where that value came from
//! (file, environment variable or flag) and what was expected. They are collected, never
//! thrown one at a time, so a single run reports everything wrong with a config.

use std::fmt;

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `http.listen` or `kafka.consumer.fetch.min.bytes`.
    pub key: String,
    /// The offending value as written, when there is one.
    pub value: Option<String>,
    /// Where the value came from, e.g. `/etc/weir/weir.toml` or `WEIR_HTTP__LISTEN`.
    pub origin: Option<String>,
    /// What was expected instead, as a sentence fragment.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.key)?;
        if let Some(value) = &self.value {
            write!(f, " = {value}")?;
        }
        if let Some(origin) = &self.origin {
            write!(f, " (from {origin})")?;
        }
        write!(f, ": {}", self.expected)
    }
}

/// Every error found in one pass over the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        let noun = if count == 1 { "error" } else { "errors" };
        write!(f, "config has {count} {noun}:")?;
        for error in &self.0 {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}

impl ConfigErrors {
    /// A single error without a value, such as an unreadable file.
    pub fn single(key: &str, origin: Option<String>, expected: impl Into<String>) -> Self {
        ConfigErrors(vec![ConfigError {
            key: key.to_string(),
            value: None,
            origin,
            expected: expected.into(),
        }])
    }
}
