//! Confluent Schema Registry: the settings, the [`SchemaRegistry`] trait every registry format
//! uses to find schemas by id and to register the schemas it writes, and the HTTP client
//! ([`RegistryClient`]) that implements it against a Confluent-REST-compatible server. It sits
//! below `format` and `analyze` (both may import it) and imports nothing of the crate but
//! itself, so it must not know rows, SQL or Kafka. Calls block: the stream threads that decode
//! records are synchronous, and a lookup that misses the cache is one short HTTP request.
//!
//! Errors say whether retrying can help ([`RegistryError::is_transient`]): a registry that
//! cannot be reached or answers 5xx is transient (the record waits, see the `format` layer); a
//! 404 for an id is the record's fault; 401/403 is the operator's, and says which credentials
//! to check.

mod cache;
mod client;
mod memory;
mod tls;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

pub use client::RegistryClient;
pub use memory::MemoryRegistry;

/// How to reach the registry (the `[schema_registry]` config table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    /// Base URLs, tried in order until one answers (ksqlDB's `ksql.schema.registry.url` list).
    pub urls: Vec<String>,
    /// HTTP basic credentials, from `USER_INFO` (`user:password`).
    pub basic_auth: Option<(String, String)>,
    /// A bearer token sent as `Authorization: Bearer …` (exclusive with basic auth).
    pub bearer_token: Option<String>,
    /// PEM files or PKCS#12 stores for TLS.
    pub tls: TlsFiles,
    /// How long one HTTP request may take (connect, send, read).
    pub request_timeout: Duration,
    /// How many schemas by id are kept in memory.
    pub cache_capacity: usize,
    /// How long a record whose schema is not cached waits for an unreachable registry before
    /// its task gives up for a restart (its query is restarted with backoff; the record is
    /// read again).
    pub unavailable_wait: Duration,
}

impl RegistrySettings {
    /// Settings for `urls` with no authentication and the config's defaults.
    pub fn new(urls: Vec<String>) -> RegistrySettings {
        RegistrySettings {
            urls,
            basic_auth: None,
            bearer_token: None,
            tls: TlsFiles::default(),
            request_timeout: Duration::from_secs(5),
            cache_capacity: 1000,
            unavailable_wait: Duration::from_secs(10),
        }
    }
}

/// TLS files for the registry: PEM, or PKCS#12 stores (ksqlDB's `ssl.keystore.*` and
/// `ssl.truststore.*` with type PKCS12). A JKS store is refused with how to convert it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA certificates to trust instead of the bundled web roots.
    pub ca_pem: Option<PathBuf>,
    /// The client certificate chain, for mutual TLS.
    pub cert_pem: Option<PathBuf>,
    /// The client's private key (PKCS#8, PKCS#1 or SEC1), for mutual TLS.
    pub key_pem: Option<PathBuf>,
    /// A PKCS#12 store with the client's private key and certificate chain (exclusive with
    /// `cert_pem`/`key_pem`).
    pub keystore: Option<Pkcs12Store>,
    /// A PKCS#12 store whose certificates are trusted instead of the bundled web roots
    /// (exclusive with `ca_pem`).
    pub truststore: Option<Pkcs12Store>,
}

/// A PKCS#12 file and the password it is encrypted with.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs12Store {
    pub path: PathBuf,
    pub password: String,
}

impl fmt::Debug for Pkcs12Store {
    /// Never prints the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs12Store")
            .field("path", &self.path)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The language a registered schema is written in (`schemaType`; absent means AVRO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    Avro,
    Protobuf,
    Json,
}

impl SchemaKind {
    /// The registry's `schemaType` name.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Avro => "AVRO",
            SchemaKind::Protobuf => "PROTOBUF",
            SchemaKind::Json => "JSON",
        }
    }

    fn parse(name: Option<&str>) -> Option<SchemaKind> {
        match name.unwrap_or("AVRO") {
            "AVRO" => Some(SchemaKind::Avro),
            "PROTOBUF" => Some(SchemaKind::Protobuf),
            "JSON" => Some(SchemaKind::Json),
            _ => None,
        }
    }
}

/// A reference from one registered schema to another (`import "other.proto"`, a named Avro
/// type defined in another subject).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The name the referring schema uses for it.
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry stores it, with the texts of its references resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<Reference>,
    /// `(reference name, schema text)` for every reference, transitively, dependencies first.
    pub resolved: Vec<(String, String)>,
}

/// A schema to register under a subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewSchema {
    pub kind: SchemaKind,
    pub text: String,
    pub references: Vec<Reference>,
}

/// What registry formats need from a registry. [`RegistryClient`] is the real one; tests and
/// the conformance runner may supply others. Implementations cache: `schema_by_id` is called
/// once per record whose codec has not seen the id, so it must be cheap for known ids.
pub trait SchemaRegistry: fmt::Debug + Send + Sync {
    /// The schema registered with `id` (ids are global to a registry).
    fn schema_by_id(&self, id: u32) -> Result<Arc<Schema>, RegistryError>;
    /// The latest version of `subject`, with its id.
    fn latest(&self, subject: &str) -> Result<(u32, Arc<Schema>), RegistryError>;
    /// Registers `schema` under `subject` (or finds it registered) and returns its id.
    fn register(&self, subject: &str, schema: &NewSchema) -> Result<u32, RegistryError>;
}

/// The subject of a topic's key or value under the default `TopicNameStrategy`.
pub fn subject(topic: &str, key: bool) -> String {
    format!("{topic}-{}", if key { "key" } else { "value" })
}

/// Why a registry call failed. `url` is the request that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    #[error(
        "Schema Registry at {url} is unavailable: {reason}; check that the registry is up and \
         reachable"
    )]
    Unavailable { url: String, reason: String },
    #[error(
        "Schema Registry at {url} refused the request with HTTP {status}: {message}; check \
         schema_registry.basic_auth_user_info or schema_registry.bearer_token"
    )]
    Unauthorized {
        url: String,
        status: u16,
        message: String,
    },
    #[error("Schema Registry at {url} does not know {what} (HTTP 404{}): {message}", code_suffix(.code))]
    NotFound {
        url: String,
        what: String,
        code: Option<u32>,
        message: String,
    },
    #[error("Schema Registry at {url} answered HTTP {status}: {message}")]
    Rejected {
        url: String,
        status: u16,
        message: String,
    },
    #[error("Schema Registry at {url} sent an answer weir cannot read: {reason}")]
    BadAnswer { url: String, reason: String },
    #[error("Schema Registry settings: {0}")]
    Settings(String),
}

fn code_suffix(code: &Option<u32>) -> String {
    code.map(|c| format!(", error code {c}"))
        .unwrap_or_default()
}

impl RegistryError {
    /// Whether asking again later can succeed: the registry was unreachable or failed itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, RegistryError::Unavailable { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_the_topic_name_strategy() {
        assert_eq!(subject("orders", false), "orders-value");
        assert_eq!(subject("orders", true), "orders-key");
    }

    #[test]
    fn schema_kind_defaults_to_avro() {
        assert_eq!(SchemaKind::parse(None), Some(SchemaKind::Avro));
        assert_eq!(SchemaKind::parse(Some("JSON")), Some(SchemaKind::Json));
        assert_eq!(SchemaKind::parse(Some("XML")), None);
    }
}
