//! One behavioural suite for every store backend: each function takes a freshly opened, empty
//! store and asserts concrete results (ordering, bounds, prefix-key isolation, negative
//! timestamps, expiry, early stop), so the memory and RocksDB backends are held to identical
//! semantics. The memory backend runs it here; `rocks::tests` runs it on RocksDB.

use std::ops::{Bound, ControlFlow};

use super::{KeyValueStore, SessionStore, WindowStore};

const GO: ControlFlow<()> = ControlFlow::Continue(());

fn kv_range(store: &dyn KeyValueStore, from: Bound<&[u8]>, to: Bound<&[u8]>) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    store
        .range(from, to, &mut |k, _| {
            keys.push(k.to_vec());
            GO
        })
        .expect("range");
    keys
}

fn keys(list: &[&[u8]]) -> Vec<Vec<u8>> {
    list.iter().map(|k| k.to_vec()).collect()
}

/// Point reads and writes, ordering, every bound shape, prefix keys and early stop.
pub(crate) fn key_value_suite(store: &mut dyn KeyValueStore) {
    use Bound::{Excluded, Included, Unbounded};
    let all: [&[u8]; 6] = [b"b", b"a\0", b"", b"a", b"ab", b"\xff"];
    for k in all {
        store.put(k, &[k.len() as u8]).expect("put");
    }
    assert_eq!(store.approximate_len(), 6);
    store.put(b"a", b"second").expect("overwrite");
    store
        .delete(b"absent")
        .expect("deleting an absent key is fine");
    assert_eq!(store.get(b"a").expect("get"), Some(b"second".to_vec()));
    assert_eq!(store.get(b"a\0").expect("get"), Some(vec![2]));
    assert_eq!(store.get(b"").expect("get"), Some(vec![0]));
    assert_eq!(store.get(b"zz").expect("get"), None);

    let sorted = keys(&[b"", b"a", b"a\0", b"ab", b"b", b"\xff"]);
    assert_eq!(kv_range(store, Unbounded, Unbounded), sorted);
    let mut scanned = Vec::new();
    store
        .scan(&mut |k, v| {
            scanned.push((k.to_vec(), v.to_vec()));
            GO
        })
        .expect("scan");
    assert_eq!(scanned.len(), 6);
    assert_eq!(scanned[1], (b"a".to_vec(), b"second".to_vec()));

    let range = |from, to| kv_range(store, from, to);
    assert_eq!(
        range(Included(b"a"), Excluded(b"b")),
        keys(&[b"a", b"a\0", b"ab"])
    );
    assert_eq!(
        range(Excluded(b"a"), Included(b"b")),
        keys(&[b"a\0", b"ab", b"b"])
    );
    assert_eq!(range(Excluded(b"a"), Excluded(b"ab")), keys(&[b"a\0"]));
    assert_eq!(range(Included(b"a\0"), Included(b"a\0")), keys(&[b"a\0"]));
    assert_eq!(range(Unbounded, Excluded(b"a")), keys(&[b""]));
    assert_eq!(range(Included(b"b"), Unbounded), keys(&[b"b", b"\xff"]));
    assert_eq!(range(Excluded(b"b"), Unbounded), keys(&[b"\xff"]));
    assert!(range(Included(b"c"), Included(b"a")).is_empty());
    assert!(range(Excluded(b"b"), Excluded(b"b")).is_empty());
    assert!(range(Included(b"b"), Excluded(b"b")).is_empty());

    let mut first_two = Vec::new();
    store
        .scan(&mut |k, _| {
            first_two.push(k.to_vec());
            if first_two.len() == 2 {
                ControlFlow::Break(())
            } else {
                GO
            }
        })
        .expect("scan");
    assert_eq!(first_two, keys(&[b"", b"a"]));

    store.delete(b"a").expect("delete");
    assert_eq!(store.get(b"a").expect("get"), None);
    assert_eq!(
        kv_range(store, Unbounded, Excluded(b"ab")),
        keys(&[b"", b"a\0"])
    );
}

fn window_fetch(store: &dyn WindowStore, key: &[u8], from: i64, to: i64) -> Vec<(i64, Vec<u8>)> {
    let mut seen = Vec::new();
    store
        .fetch(key, from, to, &mut |start, value| {
            seen.push((start, value.to_vec()));
            GO
        })
        .expect("fetch");
    seen
}

fn window_scan(store: &dyn WindowStore) -> Vec<(Vec<u8>, i64)> {
    let mut seen = Vec::new();
    store
        .scan(&mut |key, start, _| {
            seen.push((key.to_vec(), start));
            GO
        })
        .expect("scan");
    seen
}

/// Fetch bounds, negative and extreme starts, prefix keys, scan order, expiry and delete.
pub(crate) fn window_suite(store: &mut dyn WindowStore) {
    let starts = [20, -1, i64::MIN, 0, -300, i64::MAX, 10];
    for start in starts {
        store.put(b"k", start, &start.to_be_bytes()).expect("put");
    }
    // Keys that start with "k", and one whose bytes look like "k" plus an encoded start.
    let mut lookalike = b"k".to_vec();
    lookalike.extend_from_slice(&(5u64 ^ (1 << 63)).to_be_bytes());
    for key in [&b"k\0"[..], b"kk", b"", &lookalike] {
        store.put(key, 5, b"other").expect("put");
    }
    store.put(b"k", 10, b"ten").expect("overwrite");

    let all: Vec<i64> = window_fetch(store, b"k", i64::MIN, i64::MAX)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(all, vec![i64::MIN, -300, -1, 0, 10, 20, i64::MAX]);
    assert_eq!(
        window_fetch(store, b"k", -1, 10),
        vec![
            (-1, (-1i64).to_be_bytes().to_vec()),
            (0, vec![0; 8]),
            (10, b"ten".to_vec())
        ]
    );
    assert!(window_fetch(store, b"k", 1, 9).is_empty());
    assert!(window_fetch(store, b"k", 10, 0).is_empty());
    assert_eq!(
        window_fetch(store, b"k\0", i64::MIN, i64::MAX),
        vec![(5, b"other".to_vec())]
    );
    assert!(window_fetch(store, b"absent", i64::MIN, i64::MAX).is_empty());
    assert_eq!(
        store.get(b"k", -300).expect("get"),
        Some((-300i64).to_be_bytes().to_vec())
    );
    assert_eq!(store.get(b"k", 5).expect("get"), None);
    assert_eq!(
        store.get(&lookalike, 5).expect("get"),
        Some(b"other".to_vec())
    );

    let mut expected_scan = vec![(b"".to_vec(), 5)];
    expected_scan.extend(all.iter().map(|&s| (b"k".to_vec(), s)));
    expected_scan.push((b"k\0".to_vec(), 5));
    expected_scan.push((b"kk".to_vec(), 5));
    expected_scan.push((lookalike.clone(), 5));
    assert_eq!(window_scan(store), expected_scan);

    let mut stopped = Vec::new();
    store
        .fetch(b"k", i64::MIN, i64::MAX, &mut |start, _| {
            stopped.push(start);
            ControlFlow::Break(())
        })
        .expect("fetch");
    assert_eq!(stopped, vec![i64::MIN]);

    assert_eq!(store.expire_before(0).expect("expire"), 3);
    assert_eq!(store.expire_before(0).expect("expire again"), 0);
    assert_eq!(store.expire_before(-50).expect("expire below"), 0);
    assert_eq!(store.get(b"k", -1).expect("get"), None);
    assert_eq!(
        window_fetch(store, b"k", i64::MIN, 0),
        vec![(0, vec![0; 8])]
    );
    // A late window below the expired bound is stored, then expired by the next bound.
    store.put(b"late", -5, b"x").expect("put");
    assert_eq!(store.get(b"late", -5).expect("get"), Some(b"x".to_vec()));
    assert_eq!(store.expire_before(6).expect("expire"), 6);
    let left: Vec<(Vec<u8>, i64)> = window_scan(store);
    assert_eq!(
        left,
        vec![
            (b"k".to_vec(), 10),
            (b"k".to_vec(), 20),
            (b"k".to_vec(), i64::MAX)
        ]
    );

    store.delete(b"k", 20).expect("delete");
    store
        .delete(b"k", 21)
        .expect("deleting an absent window is fine");
    assert_eq!(store.get(b"k", 20).expect("get"), None);
    assert_eq!(store.expire_before(i64::MAX).expect("expire"), 1);
    assert_eq!(window_scan(store), vec![(b"k".to_vec(), i64::MAX)]);
}

fn find(
    store: &dyn SessionStore,
    key: &[u8],
    earliest_end: i64,
    latest_start: i64,
) -> Vec<(i64, i64)> {
    let mut seen = Vec::new();
    store
        .find_sessions(key, earliest_end, latest_start, &mut |s, e, _| {
            seen.push((s, e));
            GO
        })
        .expect("find_sessions");
    seen
}

fn session_scan(store: &dyn SessionStore) -> Vec<(Vec<u8>, i64, i64)> {
    let mut seen = Vec::new();
    store
        .scan(&mut |key, start, end, _| {
            seen.push((key.to_vec(), start, end));
            GO
        })
        .expect("scan");
    seen
}

/// Overlap search, (start, end) order with negative times, prefix keys, scan order, expiry.
pub(crate) fn session_suite(store: &mut dyn SessionStore) {
    let sessions = [
        (0, 10),
        (20, 30),
        (20, 25),
        (-40, -35),
        (50, 50),
        (i64::MIN, -100),
    ];
    for (start, end) in sessions {
        store
            .put(b"k", start, end, &start.to_be_bytes())
            .expect("put");
    }
    for key in [&b"k\0"[..], b"ka", b""] {
        store.put(key, 0, 10, b"other").expect("put");
    }
    store.put(b"k", 0, 10, b"again").expect("overwrite");
    assert_eq!(
        store.get(b"k", 0, 10).expect("get"),
        Some(b"again".to_vec())
    );
    assert_eq!(store.get(b"k", 0, 11).expect("get"), None);
    assert_eq!(
        store.get(b"k\0", 0, 10).expect("get"),
        Some(b"other".to_vec())
    );

    assert_eq!(find(store, b"k", 8, 25), vec![(0, 10), (20, 25), (20, 30)]);
    assert_eq!(
        find(store, b"k", i64::MIN, i64::MAX),
        vec![
            (i64::MIN, -100),
            (-40, -35),
            (0, 10),
            (20, 25),
            (20, 30),
            (50, 50)
        ]
    );
    assert_eq!(find(store, b"k", -38, -38), vec![(-40, -35)]);
    assert_eq!(find(store, b"k", 26, 49), vec![(20, 30)]);
    assert!(find(store, b"k", 31, 49).is_empty());
    assert_eq!(find(store, b"k\0", 0, 100), vec![(0, 10)]);
    assert!(find(store, b"absent", i64::MIN, i64::MAX).is_empty());

    let mut first = Vec::new();
    store
        .find_sessions(b"k", i64::MIN, i64::MAX, &mut |s, e, _| {
            first.push((s, e));
            ControlFlow::Break(())
        })
        .expect("find_sessions");
    assert_eq!(first, vec![(i64::MIN, -100)]);

    let scanned = session_scan(store);
    assert_eq!(scanned.first(), Some(&(b"".to_vec(), 0, 10)));
    assert_eq!(scanned[1], (b"k".to_vec(), i64::MIN, -100));
    assert_eq!(
        &scanned[7..],
        &[(b"k\0".to_vec(), 0, 10), (b"ka".to_vec(), 0, 10)]
    );

    assert_eq!(store.expire_before(25).expect("expire"), 6);
    assert_eq!(store.expire_before(25).expect("expire again"), 0);
    assert_eq!(
        session_scan(store),
        vec![
            (b"k".to_vec(), 20, 25),
            (b"k".to_vec(), 20, 30),
            (b"k".to_vec(), 50, 50)
        ]
    );
    store.put(b"late", 1, 2, b"x").expect("put");
    store.remove(b"k", 20, 30).expect("remove");
    store
        .remove(b"k", 20, 31)
        .expect("removing an absent session is fine");
    assert_eq!(store.expire_before(50).expect("expire"), 2);
    assert_eq!(session_scan(store), vec![(b"k".to_vec(), 50, 50)]);
}

mod memory {
    use super::*;
    use crate::state::{MemoryKeyValueStore, MemorySessionStore, MemoryWindowStore};

    #[test]
    fn memory_key_value_store_passes_the_suite() {
        key_value_suite(&mut MemoryKeyValueStore::new("kv"));
    }

    #[test]
    fn memory_window_store_passes_the_suite() {
        window_suite(&mut MemoryWindowStore::new("w"));
    }

    #[test]
    fn memory_session_store_passes_the_suite() {
        session_suite(&mut MemorySessionStore::new("s"));
    }
}
