//! The state layer's error: what failed, in which store, and why. Backends map their own
//! errors (RocksDB's, I/O) into it with the store name attached; they never panic.

use thiserror::Error;

use super::codec::CodecError;

#[derive(Debug, Error)]
pub enum StateError {
    #[error("store {store}: {reason}")]
    Backend { store: String, reason: String },
    #[error("store {store}: changelog write failed: {reason}")]
    Changelog { store: String, reason: String },
    #[error("store {store}: changelog record at offset {offset} is malformed: {reason}")]
    Restore {
        store: String,
        offset: i64,
        reason: String,
    },
    #[error("store {store} is not declared by this sub-topology (declared: {declared})")]
    UndeclaredStore { store: String, declared: String },
    #[error(
        "store {store} is declared as a {declared} store but was opened as a {requested} store"
    )]
    WrongKind {
        store: String,
        declared: &'static str,
        requested: &'static str,
    },
    #[error("store {store}: {source}")]
    Codec {
        store: String,
        #[source]
        source: CodecError,
    },
    /// The store's files fail RocksDB's checks (a checksum mismatch, a truncated file): the
    /// local copy cannot be trusted, and the runtime rebuilds it from the changelog.
    #[error("store {store} at {path} is corrupt: {reason}")]
    Corrupt {
        store: String,
        path: String,
        reason: String,
    },
    #[error("store {store} at {path}: RocksDB {action} failed: {reason}")]
    Rocks {
        store: String,
        path: String,
        action: &'static str,
        reason: String,
    },
    #[error("checkpoint {path}: {reason}")]
    Checkpoint { path: String, reason: String },
}
