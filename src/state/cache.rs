//! The record cache: Kafka Streams' `ThreadCache` and `NamedCache`, which ksqlDB sizes with
//! `cache.max.bytes.buffering`. A [`RecordCache`] sits in front of one store of one task; a
//! write puts the new value in the cache, marked dirty, and remembers the value the store held
//! before the first cached update (the *prior*) and an opaque context of the latest update (the
//! operator's record metadata). Reads see the cache first. A flush writes each dirty key's
//! latest value to the store once and hands it back with its prior and context, so the
//! operator forwards one update per key instead of one per input.
//!
//! Every cache of a stream thread charges one [`CacheBudget`]. After a write the cache that was
//! written evicts its least recently used entries while the thread's caches together exceed
//! the budget; evicting a dirty entry first flushes every dirty entry of that cache, oldest
//! access first (Kafka Streams' `NamedCache.evict`). Clean entries stay as a read cache until
//! they are evicted. A cache gives its bytes back to the budget when it is dropped.
//!
//! The cache knows bytes only: the store writes are the caller's closure, the context is
//! whatever the operator needs to rebuild its output. It never panics and never does I/O.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hashlink::LinkedHashMap;

/// What an entry costs beyond its key, values and context: the map's node, its links and the
/// bookkeeping below (an estimate, as Kafka Streams' `LRUNode.size` is).
const ENTRY_OVERHEAD: usize = 64;

/// The byte budget that every record cache of one stream thread shares.
#[derive(Debug, Clone)]
pub struct CacheBudget {
    limit: usize,
    used: Arc<AtomicUsize>,
}

impl CacheBudget {
    pub fn new(limit: usize) -> CacheBudget {
        CacheBudget {
            limit,
            used: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes held by the caches of this budget now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn over(&self) -> bool {
        self.used() > self.limit
    }

    fn charge(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::Relaxed);
    }

    fn release(&self, bytes: usize) {
        // Never below zero, even if a caller's arithmetic were off.
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

/// How many bytes a context holds, for the budget.
pub trait Resident {
    fn resident_bytes(&self) -> usize;
}

impl Resident for () {
    fn resident_bytes(&self) -> usize {
        0
    }
}

/// A dirty entry as a flush wrote it: the key, the value written (`None`: deleted), the value
/// the store held before the first cached update, and the latest update's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flushed<C> {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub prior: Option<Vec<u8>>,
    pub context: C,
}

struct Dirty<C> {
    prior: Option<Vec<u8>>,
    context: C,
}

struct Entry<C> {
    /// `None`: the store holds nothing for the key (or will not, once flushed).
    value: Option<Vec<u8>>,
    dirty: Option<Dirty<C>>,
    /// What the entry is charged, key included.
    size: usize,
}

fn entry_size<C: Resident>(key: &[u8], value: Option<&[u8]>, dirty: Option<&Dirty<C>>) -> usize {
    let dirty = dirty.map_or(0, |d| {
        d.prior.as_ref().map_or(0, Vec::len) + d.context.resident_bytes()
    });
    ENTRY_OVERHEAD + key.len() + value.map_or(0, <[u8]>::len) + dirty
}

/// One store's cache, in least-recently-used order.
pub struct RecordCache<C> {
    entries: LinkedHashMap<Vec<u8>, Entry<C>>,
    bytes: usize,
    dirty: usize,
    budget: CacheBudget,
}

impl<C: Resident> RecordCache<C> {
    pub fn new(budget: CacheBudget) -> RecordCache<C> {
        RecordCache {
            entries: LinkedHashMap::new(),
            bytes: 0,
            dirty: 0,
            budget,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries with an update the store does not have yet.
    pub fn dirty_len(&self) -> usize {
        self.dirty
    }

    /// The cached keys, least recently used first.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.keys().map(Vec::as_slice)
    }

    /// Bytes this cache is charged.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn resize(&mut self, old: usize, new: usize) {
        self.bytes = self.bytes.saturating_sub(old).saturating_add(new);
        self.budget.release(old);
        self.budget.charge(new);
    }

    /// The cached value of `key` (`Some(None)`: known to be absent), now the most recently
    /// used; `None` when the key is not cached.
    pub fn get(&mut self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.entries.to_back(key).map(|e| e.value.as_deref())
    }

    /// Keeps what the store holds for `key` as a clean entry (a read that missed the cache).
    /// Never evicts: the write that follows the read does.
    pub fn remember(&mut self, key: &[u8], stored: Option<Vec<u8>>) {
        if self.entries.contains_key(key) {
            return;
        }
        let size = entry_size::<C>(key, stored.as_deref(), None);
        self.entries.insert(
            key.to_vec(),
            Entry {
                value: stored,
                dirty: None,
                size,
            },
        );
        self.resize(0, size);
    }

    /// Puts `value` for `key`, dirty, with the update's `context`. The prior of a key that
    /// becomes dirty is its clean cached value, or what `stored` reads from the store when the
    /// key is not cached.
    pub fn put<E>(
        &mut self,
        key: &[u8],
        value: Option<Vec<u8>>,
        context: C,
        stored: impl FnOnce() -> Result<Option<Vec<u8>>, E>,
    ) -> Result<(), E> {
        if let Some(entry) = self.entries.to_back(key) {
            let old = entry.size;
            let previous = std::mem::replace(&mut entry.value, value);
            let became_dirty = match &mut entry.dirty {
                Some(dirty) => {
                    dirty.context = context;
                    false
                }
                None => {
                    entry.dirty = Some(Dirty {
                        prior: previous,
                        context,
                    });
                    true
                }
            };
            entry.size = entry_size(key, entry.value.as_deref(), entry.dirty.as_ref());
            let new = entry.size;
            self.dirty += usize::from(became_dirty);
            self.resize(old, new);
            return Ok(());
        }
        let dirty = Dirty {
            prior: stored()?,
            context,
        };
        let size = entry_size(key, value.as_deref(), Some(&dirty));
        self.entries.insert(
            key.to_vec(),
            Entry {
                value,
                dirty: Some(dirty),
                size,
            },
        );
        self.dirty += 1;
        self.resize(0, size);
        Ok(())
    }

    /// Whether the thread's caches exceed their budget while this one has something to evict.
    pub fn over_budget(&self) -> bool {
        self.budget.over() && !self.entries.is_empty()
    }

    /// Evicts least recently used entries while the thread's caches exceed the budget. An
    /// evicted dirty entry is written with `write`, and every other dirty entry with it.
    /// Returns what was written, in the order it was written.
    pub fn evict<E>(
        &mut self,
        mut write: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), E>,
    ) -> Result<Vec<Flushed<C>>, E> {
        let mut flushed = Vec::new();
        while self.budget.over() {
            let Some((key, entry)) = self.entries.pop_front() else {
                break;
            };
            self.resize(entry.size, 0);
            if let Some(dirty) = entry.dirty {
                self.dirty = self.dirty.saturating_sub(1);
                write(&key, entry.value.as_deref())?;
                flushed.push(Flushed {
                    key,
                    value: entry.value,
                    prior: dirty.prior,
                    context: dirty.context,
                });
                flushed.extend(self.flush(&mut write)?);
            }
        }
        Ok(flushed)
    }

    /// Writes every dirty entry with `write`, least recently used first, and keeps it clean.
    /// Returns what was written. On an error the entries written so far are clean, the rest
    /// still dirty.
    pub fn flush<E>(
        &mut self,
        write: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), E>,
    ) -> Result<Vec<Flushed<C>>, E> {
        self.flush_matching(|_| true, false, write)
    }

    /// Writes the dirty entries whose key `matches` and drops every matching entry, clean ones
    /// included (windows that closed or expired are never read again).
    pub fn flush_and_drop<E>(
        &mut self,
        matches: impl Fn(&[u8]) -> bool,
        write: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), E>,
    ) -> Result<Vec<Flushed<C>>, E> {
        self.flush_matching(matches, true, write)
    }

    fn flush_matching<E>(
        &mut self,
        matches: impl Fn(&[u8]) -> bool,
        drop_matching: bool,
        mut write: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), E>,
    ) -> Result<Vec<Flushed<C>>, E> {
        let mut flushed = Vec::new();
        if self.dirty == 0 && !drop_matching {
            return Ok(flushed);
        }
        let (mut released, mut charged, mut cleaned) = (0, 0, 0);
        let mut result = Ok(());
        for (key, entry) in self.entries.iter_mut() {
            if !matches(key) {
                continue;
            }
            if entry.dirty.is_none() {
                continue;
            }
            if let Err(e) = write(key, entry.value.as_deref()) {
                result = Err(e);
                break;
            }
            let Some(dirty) = entry.dirty.take() else {
                continue;
            };
            cleaned += 1;
            released += entry.size;
            entry.size = entry_size::<C>(key, entry.value.as_deref(), None);
            charged += entry.size;
            flushed.push(Flushed {
                key: key.clone(),
                value: entry.value.clone(),
                prior: dirty.prior,
                context: dirty.context,
            });
        }
        self.dirty = self.dirty.saturating_sub(cleaned);
        self.resize(released, charged);
        result?;
        if drop_matching {
            let mut dropped = 0;
            self.entries.retain_with_order(|key, entry| {
                let keep = entry.dirty.is_some() || !matches(key);
                if !keep {
                    dropped += entry.size;
                }
                keep
            });
            self.resize(dropped, 0);
        }
        Ok(flushed)
    }
}

impl<C> Drop for RecordCache<C> {
    /// A closed task's cache gives its bytes back to the thread's budget (its dirty entries
    /// are dropped: a clean close flushed them, a dirty one rebuilds from the changelog).
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

#[cfg(test)]
mod tests;
