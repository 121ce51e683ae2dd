//! The windowed store trait: one value per (key, window start), for tumbling and hopping
//! aggregates and stream-stream join buffers. Window ends are not stored: the operator knows
//! its window size. Keys are bytes as in [`super::kv`]; a key's windows are visited in
//! ascending start order.
//!
//! Expiry ([`WindowStore::expire_before`]) is local only and is *not* change-logged, as in
//! Kafka Streams (the changelog topic's retention drops old windows instead). A store restored
//! from its changelog may therefore hold windows that had already expired: operators must call
//! `expire_before` with their retention bound before they read, which they do on every record.
//!
//! One value per (key, start): a stream-stream join buffer, which must keep every record of a
//! key at one timestamp (Kafka Streams' `retainDuplicates`), stores them as one value (an
//! encoded `ARRAY` of `STRUCT` rows) and rewrites it on append.

use super::{StateError, StateStore, Visit};

/// Visits one window of a scan: key, window start, value.
pub type WindowScan<'a> = dyn FnMut(&[u8], i64, &[u8]) -> Visit + 'a;

pub trait WindowStore: StateStore {
    fn get(&self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError>;

    fn put(&mut self, key: &[u8], start: i64, value: &[u8]) -> Result<(), StateError>;

    fn delete(&mut self, key: &[u8], start: i64) -> Result<(), StateError>;

    /// Visits `key`'s windows with `from_start <= start <= to_start`, ascending by start.
    fn fetch(
        &self,
        key: &[u8],
        from_start: i64,
        to_start: i64,
        visit: &mut dyn FnMut(i64, &[u8]) -> Visit,
    ) -> Result<(), StateError>;

    /// Visits every window of every key, by key then start.
    fn scan(&self, visit: &mut WindowScan<'_>) -> Result<(), StateError>;

    /// Drops every window whose start is below `start` (retention); returns how many.
    fn expire_before(&mut self, start: i64) -> Result<u64, StateError>;
}
