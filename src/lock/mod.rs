//! The lock file next to the queries file (`app.sql` → `app.sql.lock`): what each persistent
//! query is, pinned, so that a redeploy can never silently orphan a consumer group or its
//! state. Per query it records the stable id, kind, sink and sources, a hash of the
//! normalized statement, a fingerprint of the physical plan, the state stores with key and
//! value schema fingerprints, the internal topics, the consumer group, and the fingerprints of
//! the Schema Registry schemas its sources' columns were inferred from.
//!
//! This module owns the file format ([`LockFile`]), reading and writing it, and the diff
//! between the queries file and its lock ([`diff`]). It knows nothing of SQL or Kafka: the
//! planner hands it [`LockedQuery`] entries.

mod diff;

pub use diff::diff;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use diff::{Change, LockDiff, QueryDiff, StoreChange};

/// The format version this build writes and reads.
pub const LOCK_FORMAT_VERSION: u32 = 1;

const HEADER: &str = "\
# weir lock file, written by `weir lock`. Commit it next to the queries file.
# `weir run` refuses to start when the queries file and this lock disagree;
# `weir plan` shows what changed and what would happen to each query's state.
";

/// The whole lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// [`LOCK_FORMAT_VERSION`] when written.
    pub version: u32,
    /// Every persistent query, sorted by id.
    #[serde(default, rename = "query")]
    pub queries: Vec<LockedQuery>,
}

/// What kind of persistent query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryKind {
    CreateStreamAsSelect,
    CreateTableAsSelect,
    InsertInto,
}

/// One persistent query, pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedQuery {
    /// Stable id: `CSAS_<SINK>`, `CTAS_<SINK>`, `INSERTQUERY_<SINK>` or an explicit QUERY_ID.
    pub id: String,
    pub kind: QueryKind,
    pub sink: String,
    /// Source streams and tables, sorted.
    pub sources: Vec<String>,
    /// Hash of the statement with comments, whitespace and identifier case normalized.
    pub statement_hash: String,
    /// Hash of the physical plan: what the query computes.
    pub plan_fingerprint: String,
    /// The consumer group, `_weir-<service_id>-<query_id>`.
    pub consumer_group: String,
    /// Repartition and changelog topics, sorted.
    #[serde(default)]
    pub internal_topics: Vec<String>,
    /// State stores, sorted by name.
    #[serde(default, rename = "store")]
    pub stores: Vec<LockedStore>,
    /// The Schema Registry schemas its sources' columns were inferred from, sorted: a schema
    /// registered anew under the subject shows up as drift.
    #[serde(
        default,
        rename = "registry_schema",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub registry_schemas: Vec<LockedSchema>,
}

/// A registered schema that columns of a query's source were inferred from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedSchema {
    /// The stream or table declared without those columns.
    pub source: String,
    /// `key` or `value`.
    pub side: String,
    /// Fingerprint of the schema text and its references.
    pub fingerprint: String,
}

/// One state store of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedStore {
    /// Derived from the plan path, e.g. `Aggregate-Materialize`.
    pub name: String,
    /// Fingerprint of the store's key schema.
    pub key_schema: String,
    /// Fingerprint of the store's value schema.
    pub value_schema: String,
}

/// Reading or writing a lock file failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot read lock file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write lock file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("lock file {path} is not valid: {message}; regenerate it with `weir lock`")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "lock file {path} has format version {found}, this weir reads version {expected}; \
         regenerate it with `weir lock` after checking `weir plan`"
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
}

impl LockFile {
    /// A lock of these queries, in canonical order.
    pub fn new(mut queries: Vec<LockedQuery>) -> LockFile {
        for query in &mut queries {
            query.sources.sort();
            query.sources.dedup();
            query.internal_topics.sort();
            query.internal_topics.dedup();
            query.stores.sort_by(|a, b| a.name.cmp(&b.name));
            query.registry_schemas.sort();
            query.registry_schemas.dedup();
        }
        queries.sort_by(|a, b| a.id.cmp(&b.id));
        LockFile {
            version: LOCK_FORMAT_VERSION,
            queries,
        }
    }

    /// The lock file's path for a queries file: `app.sql` → `app.sql.lock`.
    pub fn path_for(queries_file: &Path) -> PathBuf {
        let mut name = queries_file.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// The file's text: a header comment, then stable, diff-friendly TOML.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("lock entries are plain strings");
        format!("{HEADER}\n{body}")
    }

    /// Parses a lock file's text.
    pub fn from_toml(path: &Path, text: &str) -> Result<LockFile, LockError> {
        let lock: LockFile = toml::from_str(text).map_err(|error| LockError::Invalid {
            path: path.to_path_buf(),
            message: error.message().to_string(),
        })?;
        if lock.version != LOCK_FORMAT_VERSION {
            return Err(LockError::Version {
                path: path.to_path_buf(),
                found: lock.version,
                expected: LOCK_FORMAT_VERSION,
            });
        }
        Ok(lock)
    }

    /// Reads the lock next to `queries_file`; `Ok(None)` when there is none yet.
    pub fn read_for(queries_file: &Path) -> Result<Option<LockFile>, LockError> {
        let path = LockFile::path_for(queries_file);
        match std::fs::read_to_string(&path) {
            Ok(text) => LockFile::from_toml(&path, &text).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LockError::Read { path, source }),
        }
    }

    /// Writes the lock next to `queries_file` (via a temp file and rename, so a reader never
    /// sees half a file) and returns its path.
    pub fn write_for(&self, queries_file: &Path) -> Result<PathBuf, LockError> {
        let path = LockFile::path_for(queries_file);
        let temp = LockFile::path_for(&path.with_extension("lock.tmp"));
        let write_error = |source| LockError::Write {
            path: path.clone(),
            source,
        };
        std::fs::write(&temp, self.to_toml()).map_err(write_error)?;
        std::fs::rename(&temp, &path).map_err(write_error)?;
        Ok(path)
    }

    /// The lock hash replicas compare before processing: a hash of the canonical text.
    pub fn hash(&self) -> String {
        fingerprint(self.to_toml().as_bytes())
    }

    pub fn query(&self, id: &str) -> Option<&LockedQuery> {
        self.queries.iter().find(|q| q.id == id)
    }
}

/// `sha256:<hex>` of some bytes: the fingerprint format used throughout the lock.
pub fn fingerprint(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn query(id: &str, plan: &str, stores: &[(&str, &str, &str)]) -> LockedQuery {
        LockedQuery {
            id: id.into(),
            kind: QueryKind::CreateTableAsSelect,
            sink: id.split_once('_').map_or(id, |(_, sink)| sink).into(),
            sources: vec!["B".into(), "A".into()],
            statement_hash: fingerprint(id.as_bytes()),
            plan_fingerprint: fingerprint(plan.as_bytes()),
            consumer_group: format!("_weir-svc-{id}"),
            internal_topics: stores
                .iter()
                .map(|(name, _, _)| format!("_weir-svc-{id}-{name}-changelog"))
                .collect(),
            stores: stores
                .iter()
                .map(|(name, key, value)| LockedStore {
                    name: (*name).into(),
                    key_schema: fingerprint(key.as_bytes()),
                    value_schema: fingerprint(value.as_bytes()),
                })
                .collect(),
            registry_schemas: Vec::new(),
        }
    }

    #[test]
    fn round_trips_through_toml_in_canonical_order() {
        let lock = LockFile::new(vec![
            query("CTAS_TOTALS", "agg", &[("Aggregate-Materialize", "k", "v")]),
            query("CSAS_CLEAN", "filter", &[]),
        ]);
        assert_eq!(lock.queries[0].id, "CSAS_CLEAN", "sorted by id");
        assert_eq!(lock.queries[0].sources, ["A", "B"], "sources sorted");
        let text = lock.to_toml();
        assert!(text.starts_with("# weir lock file"), "{text}");
        assert!(text.contains("[[query]]\nid = \"CSAS_CLEAN\""), "{text}");
        assert!(text.contains("[[query.store]]"), "{text}");
        let parsed = LockFile::from_toml(Path::new("x.lock"), &text).unwrap();
        assert_eq!(parsed, lock);
        assert_eq!(parsed.hash(), lock.hash());
    }

    #[test]
    fn rejects_another_version_and_unknown_fields() {
        let error = LockFile::from_toml(Path::new("a.sql.lock"), "version = 9\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "lock file a.sql.lock has format version 9, this weir reads version 1; regenerate \
             it with `weir lock` after checking `weir plan`"
        );
        let error =
            LockFile::from_toml(Path::new("a.sql.lock"), "version = 1\nextra = 2\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("lock file a.sql.lock is not valid: unknown field `extra`"),
            "{error}"
        );
    }

    #[test]
    fn writes_next_to_the_queries_file_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let queries = dir.path().join("app.sql");
        assert!(LockFile::read_for(&queries).unwrap().is_none());
        let lock = LockFile::new(vec![query("CSAS_A", "p", &[])]);
        let path = lock.write_for(&queries).unwrap();
        assert_eq!(path, dir.path().join("app.sql.lock"));
        assert_eq!(LockFile::read_for(&queries).unwrap(), Some(lock));
    }
}
