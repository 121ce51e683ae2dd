//! Unit tests of the record cache: coalescing, priors, LRU eviction over a shared budget,
//! partial flushes and the budget's accounting.

use super::*;

type Cache = RecordCache<u32>;

impl Resident for u32 {
    fn resident_bytes(&self) -> usize {
        4
    }
}

fn none() -> Result<Option<Vec<u8>>, ()> {
    Ok(None)
}

/// A store as a list of writes, to check what a flush wrote and in which order.
fn writer(
    log: &mut Vec<(Vec<u8>, Option<Vec<u8>>)>,
) -> impl FnMut(&[u8], Option<&[u8]>) -> Result<(), ()> + '_ {
    |key, value| {
        log.push((key.to_vec(), value.map(<[u8]>::to_vec)));
        Ok(())
    }
}

#[test]
fn updates_of_a_key_coalesce_into_one_write_with_the_first_prior() {
    let mut cache = Cache::new(CacheBudget::new(1 << 20));
    cache
        .put(b"k", Some(b"1".to_vec()), 1, || {
            Ok::<_, ()>(Some(b"0".to_vec()))
        })
        .unwrap();
    cache
        .put(b"k", Some(b"2".to_vec()), 2, || -> Result<_, ()> {
            panic!("cached: no read")
        })
        .unwrap();
    assert_eq!(
        cache.get(b"k"),
        Some(Some(&b"2"[..])),
        "reads see the cache"
    );
    let mut log = Vec::new();
    let flushed = cache.flush(writer(&mut log)).unwrap();
    assert_eq!(
        flushed,
        vec![Flushed {
            key: b"k".to_vec(),
            value: Some(b"2".to_vec()),
            prior: Some(b"0".to_vec()),
            context: 2
        }]
    );
    assert_eq!(log, vec![(b"k".to_vec(), Some(b"2".to_vec()))]);
    assert_eq!(cache.dirty_len(), 0);
    assert!(
        cache.flush(writer(&mut log)).unwrap().is_empty(),
        "nothing dirty left"
    );
    // A clean entry's value is the next prior.
    cache.put(b"k", Some(b"3".to_vec()), 3, none).unwrap();
    let flushed = cache.flush(writer(&mut log)).unwrap();
    assert_eq!(flushed[0].prior, Some(b"2".to_vec()));
}

#[test]
fn a_remembered_read_is_clean_and_is_the_prior_of_the_next_write() {
    let mut cache = Cache::new(CacheBudget::new(1 << 20));
    cache.remember(b"a", None);
    assert_eq!(cache.get(b"a"), Some(None), "absence is cached");
    assert_eq!(cache.dirty_len(), 0);
    cache
        .put(b"a", Some(b"x".to_vec()), 7, || -> Result<_, ()> {
            panic!("cached: no read")
        })
        .unwrap();
    let flushed = cache.flush(|_, _| Ok::<_, ()>(())).unwrap();
    assert_eq!(flushed[0].prior, None);
    assert_eq!(flushed[0].context, 7);
}

#[test]
fn flushes_write_least_recently_used_first() {
    let mut cache = Cache::new(CacheBudget::new(1 << 20));
    for key in [b"a", b"b", b"c"] {
        cache.put(key, Some(key.to_vec()), 0, none).unwrap();
    }
    cache.put(b"a", Some(b"a2".to_vec()), 0, none).unwrap();
    let mut log = Vec::new();
    cache.flush(writer(&mut log)).unwrap();
    let keys: Vec<&[u8]> = log.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, vec![&b"b"[..], b"c", b"a"]);
}

#[test]
fn the_budget_counts_every_cache_of_the_thread_and_eviction_flushes_the_written_one() {
    let budget = CacheBudget::new(400);
    let mut first = Cache::new(budget.clone());
    let mut second = Cache::new(budget.clone());
    first.put(b"a", Some(vec![1; 40]), 1, none).unwrap();
    first.put(b"b", Some(vec![2; 40]), 2, none).unwrap();
    second.put(b"z", Some(vec![9; 40]), 9, none).unwrap();
    assert_eq!(budget.used(), first.bytes() + second.bytes());
    assert!(!second.over_budget());
    // The next write goes over: the cache written evicts its least recently used entry, which
    // is dirty, so every dirty entry of that cache is written.
    second.put(b"y", Some(vec![8; 200]), 8, none).unwrap();
    assert!(second.over_budget());
    let mut log = Vec::new();
    let flushed = second.evict(writer(&mut log)).unwrap();
    let keys: Vec<&[u8]> = flushed.iter().map(|f| f.key.as_slice()).collect();
    assert_eq!(keys, vec![&b"z"[..], b"y"], "z evicted, y flushed with it");
    assert_eq!(log.len(), 2);
    assert_eq!(first.dirty_len(), 2, "the other cache is untouched");
    assert!(budget.used() <= budget.limit() || second.is_empty());
    assert_eq!(budget.used(), first.bytes() + second.bytes());
    drop(second);
    assert_eq!(
        budget.used(),
        first.bytes(),
        "a dropped cache gives its bytes back"
    );
}

#[test]
fn a_zero_budget_evicts_every_write() {
    let budget = CacheBudget::new(0);
    let mut cache = Cache::new(budget.clone());
    cache.put(b"k", Some(b"v".to_vec()), 1, none).unwrap();
    let flushed = cache.evict(|_, _| Ok::<_, ()>(())).unwrap();
    assert_eq!(flushed.len(), 1);
    assert!(cache.is_empty());
    assert_eq!(budget.used(), 0);
}

#[test]
fn flush_and_drop_takes_only_matching_entries() {
    let mut cache = Cache::new(CacheBudget::new(1 << 20));
    cache
        .put(b"old-dirty", Some(b"1".to_vec()), 1, none)
        .unwrap();
    cache.remember(b"old-clean", Some(b"2".to_vec()));
    cache
        .put(b"new-dirty", Some(b"3".to_vec()), 3, none)
        .unwrap();
    let mut log = Vec::new();
    let flushed = cache
        .flush_and_drop(|k| k.starts_with(b"old"), writer(&mut log))
        .unwrap();
    assert_eq!(flushed.len(), 1);
    assert_eq!(flushed[0].key, b"old-dirty");
    let left: Vec<&[u8]> = cache.keys().collect();
    assert_eq!(left, vec![&b"new-dirty"[..]]);
    assert_eq!(cache.dirty_len(), 1);
}

#[test]
fn a_failed_write_leaves_the_rest_dirty() {
    let mut cache = Cache::new(CacheBudget::new(1 << 20));
    for key in [b"a", b"b", b"c"] {
        cache.put(key, Some(key.to_vec()), 0, none).unwrap();
    }
    let mut writes = 0;
    let failed = cache.flush(|_, _| {
        writes += 1;
        if writes == 2 {
            Err("disk full")
        } else {
            Ok(())
        }
    });
    assert_eq!(failed, Err("disk full"));
    assert_eq!(cache.dirty_len(), 2, "only the first write succeeded");
    let flushed = cache.flush(|_, _| Ok::<_, ()>(())).unwrap();
    assert_eq!(flushed.len(), 2);
}
