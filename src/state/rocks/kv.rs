//! The RocksDB key-value store: keys and values stored as given, so RocksDB's bytewise
//! comparator is the trait's ascending key order. Range bounds map onto a seek and an
//! iterator upper bound; nothing is copied per visited entry.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use rocksdb::WriteOptions;

use super::layout::after;
use super::{Database, RocksBudget, RocksHandle, write_options};
use crate::state::{KeyValueStore, StateError, StateStore, Visit};

/// A [`KeyValueStore`] in its own RocksDB database.
pub struct RocksKeyValueStore {
    database: Arc<Database>,
    write: WriteOptions,
}

impl RocksKeyValueStore {
    /// Opens (creating when missing) the store `name` in directory `path`.
    pub fn open(budget: &RocksBudget, name: &str, path: &Path) -> Result<Self, StateError> {
        Ok(RocksKeyValueStore {
            database: Database::open(budget, name, path)?,
            write: write_options(),
        })
    }

    /// Flushes and closes the database, reporting a failed flush (dropping the store closes
    /// it too, logging such a failure). A [`RocksHandle`] still held keeps it open.
    pub fn close(self) -> Result<(), StateError> {
        self.database.flush()
    }

    /// A handle for the runtime to flush and measure the store while an operator owns it.
    pub fn handle(&self) -> RocksHandle {
        RocksHandle {
            database: Arc::clone(&self.database),
        }
    }
}

impl StateStore for RocksKeyValueStore {
    fn name(&self) -> &str {
        &self.database.name
    }

    fn flush(&mut self) -> Result<(), StateError> {
        self.database.flush()
    }
}

impl KeyValueStore for RocksKeyValueStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.database.get(key)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        self.database.put(key, value, &self.write)
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        self.database.delete(key, &self.write)
    }

    fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        let (lower, skip) = match from {
            Bound::Included(key) => (key, None),
            Bound::Excluded(key) => (key, Some(key)),
            Bound::Unbounded => (&[][..], None),
        };
        let upper = match to {
            Bound::Included(key) => Some(after(key.to_vec())),
            Bound::Excluded(key) => Some(key.to_vec()),
            Bound::Unbounded => None,
        };
        self.database.visit(lower, upper, &mut |key, value| {
            if skip == Some(key) {
                return Ok(Visit::Continue(()));
            }
            Ok(visit(key, value))
        })
    }

    fn approximate_len(&self) -> u64 {
        self.database.estimated_keys()
    }
}
