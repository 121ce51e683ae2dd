//! The RocksDB window store. Each window is a data entry `DATA ++ key ++ start` (see
//! `layout`), so a key's windows sort by start and keys never mix, plus an empty
//! index entry `INDEX ++ start ++ key` that orders windows by start across keys: expiry walks
//! the index from its previous bound to the new one and deletes both entries of each window it
//! finds, costing what it drops. (Point deletes, not range deletes: RocksDB rebuilds its list
//! of memtable range tombstones for every new iterator, so a range delete per record makes
//! every read slower.) A low-water mark skips even the seek when nothing can have expired,
//! since operators expire before every read.

use std::path::Path;
use std::sync::Arc;

use rocksdb::{WriteBatch, WriteOptions};

use super::layout::{DATA, INDEX, TIME_LEN, after, data_key, decode_time, encode_time, split_key};
use super::{Database, RocksBudget, RocksHandle, write_options};
use crate::state::window::WindowScan;
use crate::state::{StateError, StateStore, Visit, WindowStore};

/// A [`WindowStore`] in its own RocksDB database.
pub struct RocksWindowStore {
    database: Arc<Database>,
    write: WriteOptions,
    /// No window starts below this (`i64::MIN` until the first expiry after opening).
    low_water: i64,
}

impl RocksWindowStore {
    /// Opens (creating when missing) the store `name` in directory `path`.
    pub fn open(budget: &RocksBudget, name: &str, path: &Path) -> Result<Self, StateError> {
        Ok(RocksWindowStore {
            database: Database::open(budget, name, path)?,
            write: write_options(),
            low_water: i64::MIN,
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

    fn malformed(&self, entry: &[u8]) -> StateError {
        self.database.error(
            "read",
            format!(
                "malformed window entry {entry:02x?} (the directory holds another kind of store?)"
            ),
        )
    }
}

/// `INDEX ++ start ++ escaped key`.
fn index_key(key: &[u8], start: i64) -> Vec<u8> {
    let data = data_key(key, &[]);
    let mut out = Vec::with_capacity(data.len() + TIME_LEN);
    out.push(INDEX);
    out.extend_from_slice(&encode_time(start));
    out.extend_from_slice(&data[1..]);
    out
}

impl StateStore for RocksWindowStore {
    fn name(&self) -> &str {
        &self.database.name
    }

    fn flush(&mut self) -> Result<(), StateError> {
        self.database.flush()
    }
}

impl WindowStore for RocksWindowStore {
    fn get(&self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError> {
        self.database.get(&data_key(key, &[start]))
    }

    fn put(&mut self, key: &[u8], start: i64, value: &[u8]) -> Result<(), StateError> {
        let mut batch = WriteBatch::default();
        batch.put(data_key(key, &[start]), value);
        batch.put(index_key(key, start), []);
        self.database.write(batch, &self.write)?;
        self.low_water = self.low_water.min(start);
        Ok(())
    }

    fn delete(&mut self, key: &[u8], start: i64) -> Result<(), StateError> {
        let mut batch = WriteBatch::default();
        batch.delete(data_key(key, &[start]));
        batch.delete(index_key(key, start));
        self.database.write(batch, &self.write)
    }

    fn fetch(
        &self,
        key: &[u8],
        from_start: i64,
        to_start: i64,
        visit: &mut dyn FnMut(i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        if from_start > to_start {
            return Ok(());
        }
        let lower = data_key(key, &[from_start]);
        let upper = after(data_key(key, &[to_start]));
        let start_at = lower.len() - TIME_LEN;
        self.database
            .visit(&lower, Some(upper), &mut |entry, value| {
                // Bounds share the key's prefix and every entry has one length per key, so an
                // entry in range is one of this key's windows.
                match entry.get(start_at..).and_then(decode_time) {
                    Some(start) => Ok(visit(start, value)),
                    None => Err(self.malformed(entry)),
                }
            })
    }

    fn scan(&self, visit: &mut WindowScan<'_>) -> Result<(), StateError> {
        let mut key = Vec::new();
        self.database
            .visit(&[DATA], Some(vec![INDEX]), &mut |entry, value| {
                let start = split_key(&entry[1..], &mut key).and_then(decode_time);
                match start {
                    Some(start) => Ok(visit(&key, start, value)),
                    None => Err(self.malformed(entry)),
                }
            })
    }

    fn expire_before(&mut self, start: i64) -> Result<u64, StateError> {
        if start <= self.low_water {
            return Ok(0);
        }
        // Nothing lies below the low-water mark (its index entries are deleted already):
        // seeking there skips their tombstones instead of walking them on every expiry.
        let lower = [&[INDEX][..], &encode_time(self.low_water)].concat();
        let bound = [&[INDEX][..], &encode_time(start)].concat();
        let mut batch = WriteBatch::default();
        let mut dropped = 0u64;
        self.database.visit(&lower, Some(bound), &mut |entry, _| {
            // INDEX ++ start ++ escaped key  ->  DATA ++ escaped key ++ start
            let (Some(time), Some(key)) = (entry.get(1..=TIME_LEN), entry.get(1 + TIME_LEN..))
            else {
                return Err(self.malformed(entry));
            };
            batch.delete([&[DATA][..], key, time].concat());
            batch.delete(entry);
            dropped += 1;
            Ok(Visit::Continue(()))
        })?;
        if dropped > 0 {
            self.database.write(batch, &self.write)?;
        }
        self.low_water = start;
        Ok(dropped)
    }
}
