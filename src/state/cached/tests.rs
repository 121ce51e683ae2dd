//! Unit tests of the cached stores: reads through the cache, writes that reach the store (and
//! its changelog) only when flushed, and the partial flush of windows.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use super::*;
use crate::state::{ChangelogSink, Logged, MemoryKeyValueStore, MemoryWindowStore};

type Log = Arc<Mutex<Vec<(Vec<u8>, Option<Vec<u8>>)>>>;

struct VecSink(Log);

impl ChangelogSink for VecSink {
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .push((key.to_vec(), value.map(<[u8]>::to_vec)));
        Ok(())
    }
}

fn logged_kv(log: &Log) -> Box<dyn KeyValueStore> {
    Box::new(Logged::new(
        Box::new(MemoryKeyValueStore::new("kv")),
        Box::new(VecSink(log.clone())),
    ))
}

#[test]
fn key_value_writes_reach_the_store_and_changelog_once_per_flush() {
    let log = Log::default();
    let mut store = CachedKeyValueStore::<()>::new(logged_kv(&log), CacheBudget::new(1 << 20));
    assert_eq!(store.get(b"k").unwrap(), None);
    for n in 1..=5u8 {
        store.put(b"k", &[n], ()).unwrap();
    }
    assert_eq!(store.get(b"k").unwrap(), Some(vec![5]));
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing logged before the flush"
    );
    let flushed = store.flush().unwrap();
    assert_eq!(flushed.len(), 1);
    assert_eq!(
        (flushed[0].value.clone(), flushed[0].prior.clone()),
        (Some(vec![5]), None)
    );
    assert_eq!(*log.lock().unwrap(), vec![(b"k".to_vec(), Some(vec![5]))]);
    store.put(b"k", &[6], ()).unwrap();
    let flushed = store.flush().unwrap();
    assert_eq!(
        flushed[0].prior,
        Some(vec![5]),
        "the store's value before the update"
    );
}

#[test]
fn a_key_value_store_over_budget_writes_through_eviction() {
    let log = Log::default();
    let mut store = CachedKeyValueStore::<()>::new(logged_kv(&log), CacheBudget::new(0));
    store.put(b"k", b"v", ()).unwrap();
    let flushed = store.evict().unwrap();
    assert_eq!(flushed.len(), 1);
    assert_eq!(log.lock().unwrap().len(), 1);
    assert!(store.cache().is_empty());
}

fn windows(store: &mut dyn WindowStore) -> Vec<(Vec<u8>, i64, Vec<u8>)> {
    let mut seen = Vec::new();
    store
        .scan(&mut |k, s, v| {
            seen.push((k.to_vec(), s, v.to_vec()));
            ControlFlow::Continue(())
        })
        .unwrap();
    seen
}

#[test]
fn closed_windows_are_flushed_and_dropped_through_a_start() {
    let log = Log::default();
    let inner = Box::new(Logged::new(
        Box::new(MemoryWindowStore::new("w")),
        Box::new(VecSink(log.clone())),
    ));
    let mut store = CachedWindowStore::<()>::new(inner, CacheBudget::new(1 << 20));
    for start in [0, 10, 20] {
        store.put(b"k", start, &[1], ()).unwrap();
        store.put(b"k", start, &[2], ()).unwrap();
    }
    assert_eq!(store.get(b"k", 10).unwrap(), Some(vec![2]));
    assert!(windows(store.store()).is_empty());
    let flushed = store.flush_and_drop_through(10).unwrap();
    let starts: Vec<i64> = flushed
        .iter()
        .filter_map(|f| split_window_key(&f.key).map(|(_, s)| s))
        .collect();
    assert_eq!(starts, vec![0, 10]);
    assert_eq!(
        windows(store.store()),
        vec![(b"k".to_vec(), 0, vec![2]), (b"k".to_vec(), 10, vec![2])]
    );
    assert_eq!(store.cache().len(), 1, "the window at 20 stays cached");
    assert!(store.flush_and_drop_through(10).unwrap().is_empty());
    // The changelog key of a cached window is the store's own: `key ‖ start`.
    let mut key = Vec::new();
    window_changelog_key(b"k", 10, &mut key);
    assert_eq!(log.lock().unwrap()[1].0, key);
    let rest = store.flush().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(windows(store.store()).len(), 3);
}
