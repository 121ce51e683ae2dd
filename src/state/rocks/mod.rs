//! The RocksDB backend behind the three store traits: one database per (task, store) in the
//! directory the caller gives (the runtime uses `<state_dir>/<app_id>/<task>/<store>`), all
//! sharing one [`RocksBudget`] (block cache and write-buffer manager) so memory stays bounded.
//! [`RocksKeyValueStore`] stores keys as they are; [`RocksWindowStore`] and
//! [`RocksSessionStore`] lay keys out as the private `layout` module describes so that byte order is the order
//! the traits promise, with a time index that makes expiry cost what it drops.
//!
//! Writes skip RocksDB's write-ahead log: durability comes from the changelog topic and the
//! checkpoint file written after [`StateStore::flush`] (or [`RocksHandle::flush`]) has flushed
//! the memtables, as in Kafka Streams. A crash loses unflushed writes, and restore replays
//! them from the changelog. Closing (dropping the last store or handle) flushes too.
//!
//! Every RocksDB error becomes a [`StateError::Rocks`] naming the store, its directory and the
//! action; nothing here panics. This module knows nothing of Kafka, tasks or changelogs.

pub mod budget;
pub mod kv;
mod layout;
pub mod session;
pub mod window;

#[cfg(test)]
mod tests;

use std::fmt::Display;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rocksdb::{DB, Options, ReadOptions, WriteBatch, WriteOptions};

pub use budget::RocksBudget;
pub use kv::RocksKeyValueStore;
pub use session::RocksSessionStore;
pub use window::RocksWindowStore;

#[cfg(doc)]
use super::StateStore;
use super::{StateError, Visit};

/// Visits one raw entry (key, value); an error stops the iteration and is returned.
type EntryVisitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<Visit, StateError> + 'a;

/// One open database with the name and directory its errors report. Shared between a store
/// and the runtime's [`RocksHandle`]s; the database closes when the last of them drops.
struct Database {
    db: DB,
    name: String,
    path: PathBuf,
}

impl Database {
    fn open(budget: &RocksBudget, name: &str, path: &Path) -> Result<Arc<Self>, StateError> {
        let error = |action, reason: &dyn Display| rocks_error(name, path, action, reason);
        fs::create_dir_all(path).map_err(|e| error("directory creation", &e))?;
        let db = DB::open(&budget.store_options(), path).map_err(|e| {
            if e.kind() == rocksdb::ErrorKind::Corruption {
                StateError::Corrupt {
                    store: name.to_owned(),
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }
            } else {
                error("open", &e)
            }
        })?;
        Ok(Arc::new(Database {
            db,
            name: name.to_owned(),
            path: path.to_owned(),
        }))
    }

    fn error(&self, action: &'static str, reason: impl Display) -> StateError {
        rocks_error(&self.name, &self.path, action, &reason)
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self.db.get_pinned(key) {
            Ok(value) => Ok(value.map(|v| v.to_vec())),
            Err(e) => Err(self.error("get", e)),
        }
    }

    fn put(&self, key: &[u8], value: &[u8], options: &WriteOptions) -> Result<(), StateError> {
        self.db
            .put_opt(key, value, options)
            .map_err(|e| self.error("put", e))
    }

    fn delete(&self, key: &[u8], options: &WriteOptions) -> Result<(), StateError> {
        self.db
            .delete_opt(key, options)
            .map_err(|e| self.error("delete", e))
    }

    fn write(&self, batch: WriteBatch, options: &WriteOptions) -> Result<(), StateError> {
        self.db
            .write_opt(batch, options)
            .map_err(|e| self.error("write", e))
    }

    /// Visits the entries with `lower <= key < upper` (no upper bound when `None`) in order.
    fn visit(
        &self,
        lower: &[u8],
        upper: Option<Vec<u8>>,
        visit: &mut EntryVisitor<'_>,
    ) -> Result<(), StateError> {
        let mut options = ReadOptions::default();
        if let Some(upper) = upper {
            if upper.as_slice() <= lower {
                return Ok(());
            }
            options.set_iterate_upper_bound(upper);
        }
        let mut iterator = self.db.raw_iterator_opt(options);
        iterator.seek(lower);
        while let Some((key, value)) = iterator.item() {
            if visit(key, value)?.is_break() {
                return Ok(());
            }
            iterator.next();
        }
        iterator.status().map_err(|e| self.error("iteration", e))
    }

    fn flush(&self) -> Result<(), StateError> {
        self.db.flush().map_err(|e| self.error("flush", e))
    }

    /// RocksDB's `rocksdb.estimate-num-keys` (0 when unavailable).
    fn estimated_keys(&self) -> u64 {
        self.db
            .property_int_value("rocksdb.estimate-num-keys")
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// An integer property of the database (0 when RocksDB does not know it).
    fn int_property(&self, name: &str) -> u64 {
        self.db.property_int_value(name).ok().flatten().unwrap_or(0)
    }

    fn approximate_bytes(&self) -> u64 {
        [
            "rocksdb.total-sst-files-size",
            "rocksdb.cur-size-all-mem-tables",
        ]
        .iter()
        .filter_map(|p| self.db.property_int_value(*p).ok().flatten())
        .sum()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // Writes skip the WAL: flush so a clean close keeps them. RocksDB also flushes
        // unpersisted memtables on close; this makes it explicit and reports failures.
        if let Err(e) = self.db.flush() {
            tracing::warn!(store = %self.name, path = %self.path.display(), error = %e,
                "flushing the store on close failed; restore will replay the changelog");
        }
    }
}

fn rocks_error(store: &str, path: &Path, action: &'static str, reason: &dyn Display) -> StateError {
    StateError::Rocks {
        store: store.to_owned(),
        path: path.display().to_string(),
        action,
        reason: reason.to_string(),
    }
}

/// Write options of every store: no write-ahead log (see the module docs).
fn write_options() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.disable_wal(true);
    options
}

/// What the runtime keeps of a store it handed to an operator: enough to flush it at commit,
/// before writing the checkpoint, and to report its size. Cheap to clone; thread-safe.
#[derive(Clone)]
pub struct RocksHandle {
    database: Arc<Database>,
}

impl RocksHandle {
    pub fn name(&self) -> &str {
        &self.database.name
    }

    pub fn path(&self) -> &Path {
        &self.database.path
    }

    /// Flushes the store's memtables to disk.
    pub fn flush(&self) -> Result<(), StateError> {
        self.database.flush()
    }

    /// RocksDB's estimate of the number of keys on disk and in memtables (window and session
    /// stores count their time index too, so about twice their windows).
    pub fn estimated_keys(&self) -> u64 {
        self.database.estimated_keys()
    }

    /// Bytes in SST files plus memtables: what the store occupies, for metrics.
    pub fn approximate_bytes(&self) -> u64 {
        self.database.approximate_bytes()
    }

    /// RocksDB's `rocksdb.estimate-pending-compaction-bytes`: what compaction has still to
    /// rewrite to bring every level under its target size (0 when unknown).
    pub fn pending_compaction_bytes(&self) -> u64 {
        self.database
            .int_property("rocksdb.estimate-pending-compaction-bytes")
    }
}

impl std::fmt::Debug for RocksHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksHandle")
            .field("name", &self.database.name)
            .field("path", &self.database.path)
            .finish()
    }
}

/// Deletes the store database in `path` and the directory itself, when state must be wiped
/// (unclean stop under exactly-once, or a task this replica no longer owns). The store must be
/// closed: RocksDB refuses to destroy a database that is open (its lock file is held), and
/// that refusal is returned as an error. A missing directory is not an error.
pub fn destroy_store_dir(name: &str, path: &Path) -> Result<(), StateError> {
    if !path.exists() {
        return Ok(());
    }
    DB::destroy(&Options::default(), path).map_err(|e| rocks_error(name, path, "destroy", &e))?;
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(rocks_error(name, path, "directory removal", &e)),
    }
}
