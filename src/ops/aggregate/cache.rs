//! The record cache of the aggregate operators (ksqlDB's `cache.max.bytes.buffering`, Kafka
//! Streams' caching stores): with a budget from the stream thread ([`StoreProvider`]'s
//! `record_cache`), an aggregate's updates stay in a [`crate::state::RecordCache`] in front of
//! its store and are written and forwarded once per group (and window) when the task flushes
//! before a commit, when the thread's caches outgrow the budget, or when a window closes or
//! expires. What is forwarded then is what Kafka Streams' `TimestampedCacheFlushListener`
//! forwards: the latest result, compared (by a fused `HAVING`) with the result the store held
//! before the first cached update, at the latest update's time, with the latest input's
//! partition, offset and headers ([`Origin`]).
//!
//! Without a budget (`None`, or 0 bytes: the conformance runner's and ksqlDB test harness's
//! setting) the operators write and forward every update at once, as before. Session
//! aggregates and stream-stream joins are never cached.
//!
//! [`StoreProvider`]: crate::state::StoreProvider

use std::sync::Arc;

use crate::state::{
    CacheBudget, CachedKeyValueStore, CachedWindowStore, KeyValueStore, Resident, StateError,
    WindowStore,
};
use crate::topology::{Header, Record, Window};
use crate::types::{Row, Value};

/// What a flushed update needs of the latest input that made it: the group's key row and the
/// source metadata every output carries.
#[derive(Debug, Clone)]
pub struct Origin {
    pub key: Row,
    pub partition: i32,
    pub offset: i64,
    pub headers: Option<Arc<[Header]>>,
}

impl Origin {
    pub fn of(record: &Record) -> Origin {
        Origin {
            key: record.key.clone(),
            partition: record.partition,
            offset: record.offset,
            headers: record.headers.clone(),
        }
    }

    /// The output for this group: `value` at `timestamp`, in `window` if windowed.
    pub fn output(self, value: Option<Row>, timestamp: i64, window: Option<Window>) -> Record {
        Record {
            key: self.key,
            value,
            timestamp,
            window,
            partition: self.partition,
            offset: self.offset,
            headers: self.headers,
        }
    }
}

impl Resident for Origin {
    fn resident_bytes(&self) -> usize {
        let headers = self.headers.as_deref().map_or(0, |headers| {
            headers
                .iter()
                .map(|h| h.key.len() + h.value.as_ref().map_or(0, Vec::len))
                .sum()
        });
        std::mem::size_of::<Origin>() + self.key.len() * std::mem::size_of::<Value>() + headers
    }
}

/// A non-windowed aggregate's store, cached or not.
pub enum GroupStore {
    Direct(Box<dyn KeyValueStore>),
    Cached(CachedKeyValueStore<Origin>),
}

impl GroupStore {
    /// `store`, behind a record cache when the thread has a budget for one.
    pub fn new(store: Box<dyn KeyValueStore>, cache: Option<CacheBudget>) -> GroupStore {
        match cache.filter(|b| b.limit() > 0) {
            Some(budget) => GroupStore::Cached(CachedKeyValueStore::new(store, budget)),
            None => GroupStore::Direct(store),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            GroupStore::Direct(store) => store.name(),
            GroupStore::Cached(store) => store.name(),
        }
    }

    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        match self {
            GroupStore::Direct(store) => store.get(key),
            GroupStore::Cached(store) => store.get(key),
        }
    }

    pub fn is_cached(&self) -> bool {
        matches!(self, GroupStore::Cached(_))
    }
}

/// A time-windowed aggregate's store, cached or not.
pub enum WindowedStore {
    Direct(Box<dyn WindowStore>),
    Cached(CachedWindowStore<Origin>),
}

impl WindowedStore {
    /// `store`, behind a record cache when the thread has a budget for one.
    pub fn new(store: Box<dyn WindowStore>, cache: Option<CacheBudget>) -> WindowedStore {
        match cache.filter(|b| b.limit() > 0) {
            Some(budget) => WindowedStore::Cached(CachedWindowStore::new(store, budget)),
            None => WindowedStore::Direct(store),
        }
    }

    /// The store itself, for scans and expiry: a cached store's caller flushes first what
    /// those must see.
    pub fn store(&mut self) -> &mut dyn WindowStore {
        match self {
            WindowedStore::Direct(store) => store.as_mut(),
            WindowedStore::Cached(store) => store.store(),
        }
    }

    pub fn get(&mut self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError> {
        match self {
            WindowedStore::Direct(store) => store.get(key, start),
            WindowedStore::Cached(store) => store.get(key, start),
        }
    }

    pub fn is_cached(&self) -> bool {
        matches!(self, WindowedStore::Cached(_))
    }
}
