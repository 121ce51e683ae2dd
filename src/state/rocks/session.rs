//! The RocksDB session store. Each session is a data entry `DATA ++ key ++ start ++ end` (see
//! `layout`), so a key's sessions sort by (start, end) and keys never mix, plus an
//! empty index entry `INDEX ++ end ++ key ++ start` ordering sessions by end across keys, which
//! expiry (by end) walks below its bound, as the window store does by start.

use std::path::Path;
use std::sync::Arc;

use rocksdb::{WriteBatch, WriteOptions};

use super::layout::{DATA, INDEX, TIME_LEN, after, data_key, decode_time, encode_time, split_key};
use super::{Database, RocksBudget, RocksHandle, write_options};
use crate::state::session::SessionScan;
use crate::state::{SessionStore, StateError, StateStore, Visit};

/// A [`SessionStore`] in its own RocksDB database.
pub struct RocksSessionStore {
    database: Arc<Database>,
    write: WriteOptions,
    /// No session ends below this (`i64::MIN` until the first expiry after opening).
    low_water: i64,
}

impl RocksSessionStore {
    /// Opens (creating when missing) the store `name` in directory `path`.
    pub fn open(budget: &RocksBudget, name: &str, path: &Path) -> Result<Self, StateError> {
        Ok(RocksSessionStore {
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
                "malformed session entry {entry:02x?} (the directory holds another kind of store?)"
            ),
        )
    }
}

/// `INDEX ++ end ++ escaped key ++ start`.
fn index_key(key: &[u8], start: i64, end: i64) -> Vec<u8> {
    let data = data_key(key, &[start]);
    let mut out = Vec::with_capacity(data.len() + TIME_LEN);
    out.push(INDEX);
    out.extend_from_slice(&encode_time(end));
    out.extend_from_slice(&data[1..]);
    out
}

/// The (start, end) that follow a session entry's escaped key.
fn decode_times(rest: &[u8]) -> Option<(i64, i64)> {
    if rest.len() != 2 * TIME_LEN {
        return None;
    }
    Some((
        decode_time(&rest[..TIME_LEN])?,
        decode_time(&rest[TIME_LEN..])?,
    ))
}

impl StateStore for RocksSessionStore {
    fn name(&self) -> &str {
        &self.database.name
    }

    fn flush(&mut self) -> Result<(), StateError> {
        self.database.flush()
    }
}

impl SessionStore for RocksSessionStore {
    fn get(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>, StateError> {
        self.database.get(&data_key(key, &[start, end]))
    }

    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<(), StateError> {
        let mut batch = WriteBatch::default();
        batch.put(data_key(key, &[start, end]), value);
        batch.put(index_key(key, start, end), []);
        self.database.write(batch, &self.write)?;
        self.low_water = self.low_water.min(end);
        Ok(())
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<(), StateError> {
        let mut batch = WriteBatch::default();
        batch.delete(data_key(key, &[start, end]));
        batch.delete(index_key(key, start, end));
        self.database.write(batch, &self.write)
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_end: i64,
        latest_start: i64,
        visit: &mut dyn FnMut(i64, i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        let lower = data_key(key, &[]);
        let upper = after(data_key(key, &[latest_start, i64::MAX]));
        let times_at = lower.len();
        self.database
            .visit(&lower, Some(upper), &mut |entry, value| {
                // Bounds share the escaped key, which no other key's encoding starts with.
                match entry.get(times_at..).and_then(decode_times) {
                    Some((start, end)) if end >= earliest_end => Ok(visit(start, end, value)),
                    Some(_) => Ok(Visit::Continue(())),
                    None => Err(self.malformed(entry)),
                }
            })
    }

    fn scan(&self, visit: &mut SessionScan<'_>) -> Result<(), StateError> {
        let mut key = Vec::new();
        self.database.visit(
            &[DATA],
            Some(vec![INDEX]),
            &mut |entry, value| match split_key(&entry[1..], &mut key).and_then(decode_times) {
                Some((start, end)) => Ok(visit(&key, start, end, value)),
                None => Err(self.malformed(entry)),
            },
        )
    }

    fn expire_before(&mut self, end: i64) -> Result<u64, StateError> {
        if end <= self.low_water {
            return Ok(0);
        }
        // Nothing lies below the low-water mark (its index entries are deleted already):
        // seeking there skips their tombstones instead of walking them on every expiry.
        let lower = [&[INDEX][..], &encode_time(self.low_water)].concat();
        let bound = [&[INDEX][..], &encode_time(end)].concat();
        let mut batch = WriteBatch::default();
        let mut dropped = 0u64;
        self.database.visit(&lower, Some(bound), &mut |entry, _| {
            // INDEX ++ end ++ escaped key ++ start  ->  DATA ++ escaped key ++ start ++ end
            let key_and_start = entry
                .get(1 + TIME_LEN..)
                .filter(|k| k.len() >= 2 + TIME_LEN);
            let (Some(end), Some(key_and_start)) = (entry.get(1..=TIME_LEN), key_and_start) else {
                return Err(self.malformed(entry));
            };
            batch.delete([&[DATA][..], key_and_start, end].concat());
            batch.delete(entry);
            dropped += 1;
            Ok(Visit::Continue(()))
        })?;
        if dropped > 0 {
            self.database.write(batch, &self.write)?;
        }
        self.low_water = end;
        Ok(dropped)
    }
}
