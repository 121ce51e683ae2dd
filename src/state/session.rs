//! The session store trait: one value per (key, session start, session end), for session
//! window aggregates, which merge the sessions a new record overlaps. Keys are bytes as in
//! [`super::kv`]. Expiry is local and not change-logged, as for [`super::window`].

use super::{StateError, StateStore, Visit};

/// Visits one session of a scan: key, start, end, value.
pub type SessionScan<'a> = dyn FnMut(&[u8], i64, i64, &[u8]) -> Visit + 'a;

pub trait SessionStore: StateStore {
    fn get(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>, StateError>;

    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<(), StateError>;

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<(), StateError>;

    /// Visits `key`'s sessions that overlap `[earliest_end, latest_start]`, i.e. those with
    /// `end >= earliest_end` and `start <= latest_start`, ascending by (start, end). This is
    /// Kafka Streams' `findSessions`: pass `(t - gap, t + gap)` to find what a record at `t` merges.
    fn find_sessions(
        &self,
        key: &[u8],
        earliest_end: i64,
        latest_start: i64,
        visit: &mut dyn FnMut(i64, i64, &[u8]) -> Visit,
    ) -> Result<(), StateError>;

    /// Visits every session of every key, by key then (start, end).
    fn scan(&self, visit: &mut SessionScan<'_>) -> Result<(), StateError>;

    /// Drops every session that ended before `end` (retention); returns how many.
    fn expire_before(&mut self, end: i64) -> Result<u64, StateError>;
}
