//! Stores behind a [`RecordCache`]: Kafka Streams' `CachingKeyValueStore` and
//! `CachingWindowStore` for the operators that materialize aggregates. Reads see the cache,
//! then the store (remembering what the store held); writes stay in the cache until a flush,
//! an eviction or, for windows, their close or expiry writes them to the store (and so to its
//! changelog, when the store is [`super::Logged`]). Each of those returns the entries written,
//! for the operator to forward.
//!
//! A window is cached under its changelog key, `key ‖ start` ([`window_changelog_key`]).
//! Scans are not merged with the cache: an operator that scans a window store first flushes
//! what the scan must see ([`CachedWindowStore::flush_and_drop_through`]).

use super::cache::{CacheBudget, Flushed, RecordCache, Resident};
use super::changelog::{split_time, window_changelog_key};
use super::{KeyValueStore, StateError, WindowStore};

/// A key-value store with a record cache in front.
pub struct CachedKeyValueStore<C> {
    store: Box<dyn KeyValueStore>,
    cache: RecordCache<C>,
}

fn write_kv(
    store: &mut dyn KeyValueStore,
) -> impl FnMut(&[u8], Option<&[u8]>) -> Result<(), StateError> + '_ {
    move |key, value| match value {
        Some(value) => store.put(key, value),
        None => store.delete(key),
    }
}

impl<C: Resident> CachedKeyValueStore<C> {
    pub fn new(store: Box<dyn KeyValueStore>, budget: CacheBudget) -> Self {
        CachedKeyValueStore {
            store,
            cache: RecordCache::new(budget),
        }
    }

    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// The latest value of `key`: the cache's, else the store's (then remembered).
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(cached) = self.cache.get(key) {
            return Ok(cached.map(<[u8]>::to_vec));
        }
        let stored = self.store.get(key)?;
        self.cache.remember(key, stored.clone());
        Ok(stored)
    }

    /// Puts `value` for `key` in the cache, dirty, with the update's `context`.
    pub fn put(&mut self, key: &[u8], value: &[u8], context: C) -> Result<(), StateError> {
        let store = &self.store;
        self.cache
            .put(key, Some(value.to_vec()), context, || store.get(key))
    }

    /// Evicts while the thread's caches exceed their budget; returns the entries written.
    pub fn evict(&mut self) -> Result<Vec<Flushed<C>>, StateError> {
        if !self.cache.over_budget() {
            return Ok(Vec::new());
        }
        self.cache.evict(write_kv(self.store.as_mut()))
    }

    /// Writes every dirty entry to the store; returns them.
    pub fn flush(&mut self) -> Result<Vec<Flushed<C>>, StateError> {
        self.cache.flush(write_kv(self.store.as_mut()))
    }

    pub fn cache(&self) -> &RecordCache<C> {
        &self.cache
    }
}

/// A window store with a record cache in front.
pub struct CachedWindowStore<C> {
    store: Box<dyn WindowStore>,
    cache: RecordCache<C>,
    /// No cached window starts before this (a lower bound, exact after a partial flush).
    min_start: i64,
    key_buf: Vec<u8>,
}

/// Splits a cached window's key into the store key and the window start.
pub fn split_window_key(cached: &[u8]) -> Option<(&[u8], i64)> {
    split_time(cached)
}

fn write_window(
    store: &mut dyn WindowStore,
) -> impl FnMut(&[u8], Option<&[u8]>) -> Result<(), StateError> + '_ {
    move |cached, value| {
        let Some((key, start)) = split_time(cached) else {
            return Err(StateError::Backend {
                store: store.name().to_owned(),
                reason: "a cached window key is shorter than its start".to_owned(),
            });
        };
        match value {
            Some(value) => store.put(key, start, value),
            None => store.delete(key, start),
        }
    }
}

fn start_of(cached: &[u8]) -> i64 {
    split_time(cached).map_or(i64::MIN, |(_, start)| start)
}

impl<C: Resident> CachedWindowStore<C> {
    pub fn new(store: Box<dyn WindowStore>, budget: CacheBudget) -> Self {
        CachedWindowStore {
            store,
            cache: RecordCache::new(budget),
            min_start: i64::MAX,
            key_buf: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// The store, for scans and expiry (flush what they must see first).
    pub fn store(&mut self) -> &mut dyn WindowStore {
        self.store.as_mut()
    }

    /// The latest value of `key`'s window at `start`: the cache's, else the store's.
    pub fn get(&mut self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError> {
        window_changelog_key(key, start, &mut self.key_buf);
        if let Some(cached) = self.cache.get(&self.key_buf) {
            return Ok(cached.map(<[u8]>::to_vec));
        }
        let stored = self.store.get(key, start)?;
        self.cache.remember(&self.key_buf, stored.clone());
        self.min_start = self.min_start.min(start);
        Ok(stored)
    }

    /// Puts `value` for `key`'s window at `start` in the cache, dirty.
    pub fn put(
        &mut self,
        key: &[u8],
        start: i64,
        value: &[u8],
        context: C,
    ) -> Result<(), StateError> {
        window_changelog_key(key, start, &mut self.key_buf);
        self.min_start = self.min_start.min(start);
        let store = &self.store;
        self.cache
            .put(&self.key_buf, Some(value.to_vec()), context, || {
                store.get(key, start)
            })
    }

    /// Evicts while the thread's caches exceed their budget; returns the entries written.
    pub fn evict(&mut self) -> Result<Vec<Flushed<C>>, StateError> {
        if !self.cache.over_budget() {
            return Ok(Vec::new());
        }
        self.cache.evict(write_window(self.store.as_mut()))
    }

    /// Writes every dirty window to the store; returns them.
    pub fn flush(&mut self) -> Result<Vec<Flushed<C>>, StateError> {
        self.cache.flush(write_window(self.store.as_mut()))
    }

    /// Writes the dirty windows starting at or before `last_start` to the store and drops
    /// every cached window that does: before a scan of closed windows, or expiry.
    pub fn flush_and_drop_through(
        &mut self,
        last_start: i64,
    ) -> Result<Vec<Flushed<C>>, StateError> {
        if self.min_start > last_start {
            return Ok(Vec::new());
        }
        let flushed = self.cache.flush_and_drop(
            |cached| start_of(cached) <= last_start,
            write_window(self.store.as_mut()),
        )?;
        // What is left starts after `last_start`; the exact minimum keeps the next check cheap.
        self.min_start = self.cache.keys().map(start_of).min().unwrap_or(i64::MAX);
        Ok(flushed)
    }

    pub fn cache(&self) -> &RecordCache<C> {
        &self.cache
    }
}

#[cfg(test)]
mod tests;
