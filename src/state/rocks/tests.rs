//! RocksDB backend tests: the shared behavioural suite on real databases, plus what only a
//! persistent backend has: reopening keeps data (and expiry state), one budget shared by many
//! stores, destroying a directory, and errors that name the store and its path.

use std::ops::ControlFlow;
use std::path::Path;

use super::*;
use crate::state::changelog::{ChangelogEntry, ChangelogSink, Logged, RestoreTarget, restore};
use crate::state::store_suite::{key_value_suite, session_suite, window_suite};
use crate::state::{KeyValueStore, SessionStore, StateStore, WindowStore};

fn budget() -> RocksBudget {
    RocksBudget::new(8 << 20, 4 << 20)
}

fn open_kv(budget: &RocksBudget, path: &Path) -> RocksKeyValueStore {
    RocksKeyValueStore::open(budget, "kv", path).expect("open kv")
}

#[test]
fn rocks_key_value_store_passes_the_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    key_value_suite(&mut open_kv(&budget(), dir.path()));
}

#[test]
fn rocks_window_store_passes_the_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    window_suite(&mut RocksWindowStore::open(&budget(), "w", dir.path()).expect("open"));
}

#[test]
fn rocks_session_store_passes_the_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    session_suite(&mut RocksSessionStore::open(&budget(), "s", dir.path()).expect("open"));
}

#[test]
fn the_suite_also_passes_after_a_flush_to_sst_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = RocksWindowStore::open(&budget(), "w", dir.path()).expect("open");
    store.put(b"old", -7, b"x").expect("put");
    store.flush().expect("flush");
    assert_eq!(store.expire_before(i64::MIN + 1).expect("expire"), 0);
    assert_eq!(store.expire_before(0).expect("expire"), 1);
    store.flush().expect("flush");
    window_suite(&mut store);
}

#[test]
fn reopening_keeps_the_data_of_every_store_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let budget = budget();
    let (kv_dir, w_dir, s_dir) = (
        dir.path().join("kv"),
        dir.path().join("w"),
        dir.path().join("s"),
    );
    {
        let mut kv = open_kv(&budget, &kv_dir);
        kv.put(b"a", b"1").expect("put");
        kv.put(b"b", b"2").expect("put");
        kv.delete(b"b").expect("delete");
        let mut w = RocksWindowStore::open(&budget, "w", &w_dir).expect("open");
        w.put(b"k", -10, b"old").expect("put");
        w.put(b"k", 10, b"new").expect("put");
        let mut s = RocksSessionStore::open(&budget, "s", &s_dir).expect("open");
        s.put(b"k", 1, 5, b"early").expect("put");
        s.put(b"k", 8, 20, b"late").expect("put");
        // Dropped without an explicit flush: closing flushes (writes skip the WAL).
    }
    let kv = open_kv(&budget, &kv_dir);
    assert_eq!(kv.get(b"a").expect("get"), Some(b"1".to_vec()));
    assert_eq!(kv.get(b"b").expect("get"), None);
    let mut w = RocksWindowStore::open(&budget, "w", &w_dir).expect("reopen");
    assert_eq!(w.get(b"k", 10).expect("get"), Some(b"new".to_vec()));
    // The time index survived too: expiry after reopening finds the old window.
    assert_eq!(w.expire_before(0).expect("expire"), 1);
    assert_eq!(w.get(b"k", -10).expect("get"), None);
    let mut s = RocksSessionStore::open(&budget, "s", &s_dir).expect("reopen");
    assert_eq!(s.expire_before(6).expect("expire"), 1);
    assert_eq!(s.get(b"k", 8, 20).expect("get"), Some(b"late".to_vec()));
}

#[test]
fn one_budget_is_shared_by_many_stores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let budget = RocksBudget::new(1 << 20, 1 << 20);
    let shared = budget.clone();
    let mut stores: Vec<RocksKeyValueStore> = (0..4)
        .map(|i| {
            let name = format!("kv{i}");
            RocksKeyValueStore::open(&shared, &name, &dir.path().join(&name)).expect("open")
        })
        .collect();
    // Four empty memtables, all counted by the one manager.
    let idle = budget.write_buffer_usage();
    let value = vec![7u8; 1024];
    for (i, store) in stores.iter_mut().enumerate() {
        for n in 0u32..64 {
            store.put(&n.to_be_bytes(), &value).expect("put");
        }
        assert_eq!(store.name(), format!("kv{i}"));
    }
    // Every store's memtable is counted by the one manager and charged to the one cache.
    let used = budget.write_buffer_usage();
    assert!(
        used >= idle + 4 * 64 * 1024,
        "write buffers use {used} bytes"
    );
    assert!(
        budget.cache_usage() >= used,
        "cache {} < {used}",
        budget.cache_usage()
    );
    assert_eq!(
        (budget.block_cache_bytes(), budget.write_buffer_bytes()),
        (1 << 20, 1 << 20)
    );
    for store in &mut stores {
        store.flush().expect("flush");
    }
    assert!(budget.write_buffer_usage() < used);
    assert_eq!(
        stores[3].get(&5u32.to_be_bytes()).expect("get"),
        Some(value)
    );
}

#[test]
fn a_handle_flushes_and_measures_the_store_an_operator_owns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open_kv(&budget(), dir.path());
    let handle = store.handle();
    store.put(b"a", b"1").expect("put");
    store.put(b"b", b"2").expect("put");
    handle.flush().expect("flush");
    assert_eq!(handle.estimated_keys(), 2);
    assert_eq!((handle.name(), handle.path()), ("kv", dir.path()));
    drop(store);
    // The handle keeps the database open: the directory is still locked.
    let error = RocksKeyValueStore::open(&budget(), "kv", dir.path())
        .err()
        .expect("the directory is locked");
    assert!(error.to_string().contains("store kv at "), "{error}");
    drop(handle);
    assert_eq!(
        open_kv(&budget(), dir.path()).get(b"b").expect("get"),
        Some(b"2".to_vec())
    );
}

#[test]
fn destroying_a_store_directory_wipes_it_but_not_while_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app").join("0_1").join("store");
    let mut store = open_kv(&budget(), &path);
    store.put(b"a", b"1").expect("put");
    let error = destroy_store_dir("kv", &path).expect_err("open stores are not destroyed");
    assert!(
        matches!(&error, StateError::Rocks { store, action: "destroy", .. } if store == "kv"),
        "{error}"
    );
    drop(store);
    destroy_store_dir("kv", &path).expect("destroy");
    assert!(!path.exists());
    destroy_store_dir("kv", &path).expect("a missing directory is already destroyed");
    let reopened = open_kv(&budget(), &path);
    let mut count = 0;
    reopened
        .scan(&mut |_, _| {
            count += 1;
            ControlFlow::Continue(())
        })
        .expect("scan");
    assert_eq!(count, 0);
}

#[test]
fn errors_name_the_store_the_path_and_the_action() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").expect("write");
    let error = RocksKeyValueStore::open(&budget(), "counts", &file)
        .err()
        .expect("a file is not a store directory");
    let message = error.to_string();
    assert!(message.starts_with("store counts at "), "{message}");
    assert!(message.contains("not-a-directory"), "{message}");
}

#[test]
fn a_directory_of_another_store_kind_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut kv = open_kv(&budget(), dir.path());
        kv.put(&[super::layout::DATA, b'x'], b"v").expect("put");
    }
    let window = RocksWindowStore::open(&budget(), "w", dir.path()).expect("open");
    let error = window
        .scan(&mut |_, _, _| ControlFlow::Continue(()))
        .expect_err("malformed");
    assert!(
        error.to_string().contains("malformed window entry"),
        "{error}"
    );
    let session = {
        drop(window);
        RocksSessionStore::open(&budget(), "s", dir.path()).expect("open")
    };
    let error = session
        .scan(&mut |_, _, _, _| ControlFlow::Continue(()))
        .expect_err("malformed");
    assert!(
        error.to_string().contains("malformed session entry"),
        "{error}"
    );
}

/// A changelog record: key and value (`None` for a tombstone).
type Record = (Vec<u8>, Option<Vec<u8>>);

/// Collects changelog records as a topic partition would.
#[derive(Clone, Default)]
struct SharedLog(std::sync::Arc<std::sync::Mutex<Vec<Record>>>);

impl ChangelogSink for SharedLog {
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String> {
        let mut records = self.0.lock().map_err(|e| e.to_string())?;
        records.push((key.to_vec(), value.map(<[u8]>::to_vec)));
        Ok(())
    }
}

fn window_contents(store: &dyn WindowStore) -> Vec<(Vec<u8>, i64, Vec<u8>)> {
    let mut seen = Vec::new();
    store
        .scan(&mut |key, start, value| {
            seen.push((key.to_vec(), start, value.to_vec()));
            ControlFlow::Continue(())
        })
        .expect("scan");
    seen
}

#[test]
fn a_wiped_store_is_rebuilt_from_its_changelog() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w");
    let budget = budget();
    let log = SharedLog::default();
    let mut logged = Logged::new(
        Box::new(RocksWindowStore::open(&budget, "w", &path).expect("open")),
        Box::new(log.clone()),
    );
    for (key, start) in [(&b"a"[..], -20), (b"a\0", 5), (b"b", 0), (b"a", 7)] {
        logged.put(key, start, &start.to_be_bytes()).expect("put");
    }
    logged.delete(b"b", 0).expect("delete");
    logged.put(b"a", 7, b"last").expect("put");
    let before = window_contents(&logged);
    assert_eq!(before.len(), 3);
    drop(logged);

    destroy_store_dir("w", &path).expect("wipe");
    let mut rebuilt = RocksWindowStore::open(&budget, "w", &path).expect("reopen");
    assert!(window_contents(&rebuilt).is_empty());
    let records = log.0.lock().expect("log").clone();
    let last = restore(
        RestoreTarget::Window(&mut rebuilt),
        records
            .iter()
            .enumerate()
            .map(|(offset, (key, value))| ChangelogEntry {
                offset: offset as i64,
                key,
                value: value.as_deref(),
            }),
    )
    .expect("restore");
    assert_eq!(last, Some(5));
    assert_eq!(window_contents(&rebuilt), before);
    rebuilt.close().expect("close");
}
