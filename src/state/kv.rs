//! The key-value store trait: what aggregates, table sources and joins keep per key. Keys and
//! values are bytes (encoded with [`super::codec`] by the operators) because that is what
//! RocksDB and the changelog topics store; a store never interprets them. Iteration is in
//! ascending byte order of keys.
//!
//! Reads hand entries to a visitor instead of returning an iterator: both backends can then
//! lend their own slices (RocksDB's raw iterator, the B-tree's entries) with no copy per entry,
//! and no borrow outlives the call. A visitor returns [`ControlFlow::Break`] to stop early. A
//! store must not be written while it is being visited (collect keys first).

use std::ops::{Bound, ControlFlow};

use super::StateError;

/// What a visitor returns: `Continue` for the next entry, `Break` to stop.
pub type Visit = ControlFlow<()>;

/// Common to every store: its name and durability.
pub trait StateStore: Send {
    /// The store name as the topology declares it (also the changelog topic's infix).
    fn name(&self) -> &str;

    /// Makes every write so far durable locally (RocksDB flush); the changelog sink is the
    /// caller's to flush. The in-memory backend has nothing to do.
    fn flush(&mut self) -> Result<(), StateError> {
        Ok(())
    }
}

/// A byte-keyed map with ordered iteration.
pub trait KeyValueStore: StateStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError>;

    /// Removes `key`; deleting an absent key is not an error (and is still change-logged).
    fn delete(&mut self, key: &[u8]) -> Result<(), StateError>;

    /// Visits the entries with keys within the bounds, in ascending key order.
    fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<(), StateError>;

    /// Visits every entry in ascending key order.
    fn scan(&self, visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit) -> Result<(), StateError> {
        self.range(Bound::Unbounded, Bound::Unbounded, visit)
    }

    /// Number of entries (exact for memory, an estimate for RocksDB).
    fn approximate_len(&self) -> u64;
}
