//! The in-memory backend: B-tree maps behind the three store traits, for the driver and for
//! tests. Byte order of keys is the B-tree's order, matching what RocksDB's default comparator
//! gives. It holds everything on the heap and persists nothing: durability comes from the
//! change-logging decorator in front of it.

use std::collections::BTreeMap;
use std::ops::{Bound, ControlFlow};

use super::session::SessionScan;
use super::window::WindowScan;
use super::{KeyValueStore, SessionStore, StateError, StateStore, Visit, WindowStore};

/// A key-value store in a `BTreeMap`.
#[derive(Debug, Default)]
pub struct MemoryKeyValueStore {
    name: String,
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryKeyValueStore {
    pub fn new(name: impl Into<String>) -> Self {
        MemoryKeyValueStore {
            name: name.into(),
            entries: BTreeMap::new(),
        }
    }
}

impl StateStore for MemoryKeyValueStore {
    fn name(&self) -> &str {
        &self.name
    }
}

impl KeyValueStore for MemoryKeyValueStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.entries.get(key).cloned())
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        match self.entries.get_mut(key) {
            Some(existing) => {
                existing.clear();
                existing.extend_from_slice(value);
            }
            None => {
                self.entries.insert(key.to_vec(), value.to_vec());
            }
        }
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        self.entries.remove(key);
        Ok(())
    }

    fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) =
            (from, to)
        {
            // BTreeMap::range panics on inverted or empty-exclusive bounds; an empty range is
            // simply nothing to visit.
            if a > b
                || (a == b
                    && !(matches!(from, Bound::Included(_)) && matches!(to, Bound::Included(_))))
            {
                return Ok(());
            }
        }
        for (key, value) in self.entries.range::<[u8], _>((from, to)) {
            if visit(key, value).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn approximate_len(&self) -> u64 {
        self.entries.len() as u64
    }
}

/// A window store: per key, the windows by start.
#[derive(Debug, Default)]
pub struct MemoryWindowStore {
    name: String,
    keys: BTreeMap<Vec<u8>, BTreeMap<i64, Vec<u8>>>,
    /// No window starts below this: expiry below it has nothing to scan.
    low_water: i64,
}

impl MemoryWindowStore {
    pub fn new(name: impl Into<String>) -> Self {
        MemoryWindowStore {
            name: name.into(),
            keys: BTreeMap::new(),
            low_water: i64::MIN,
        }
    }
}

impl StateStore for MemoryWindowStore {
    fn name(&self) -> &str {
        &self.name
    }
}

impl WindowStore for MemoryWindowStore {
    fn get(&self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.keys.get(key).and_then(|w| w.get(&start)).cloned())
    }

    fn put(&mut self, key: &[u8], start: i64, value: &[u8]) -> Result<(), StateError> {
        let windows = match self.keys.get_mut(key) {
            Some(windows) => windows,
            None => self.keys.entry(key.to_vec()).or_default(),
        };
        windows.insert(start, value.to_vec());
        self.low_water = self.low_water.min(start);
        Ok(())
    }

    fn delete(&mut self, key: &[u8], start: i64) -> Result<(), StateError> {
        if let Some(windows) = self.keys.get_mut(key) {
            windows.remove(&start);
            if windows.is_empty() {
                self.keys.remove(key);
            }
        }
        Ok(())
    }

    fn fetch(
        &self,
        key: &[u8],
        from_start: i64,
        to_start: i64,
        visit: &mut dyn FnMut(i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        if from_start > to_start {
            return Ok(());
        }
        if let Some(windows) = self.keys.get(key) {
            for (start, value) in windows.range(from_start..=to_start) {
                if visit(*start, value).is_break() {
                    break;
                }
            }
        }
        Ok(())
    }

    fn scan(&self, visit: &mut WindowScan<'_>) -> Result<(), StateError> {
        for (key, windows) in &self.keys {
            for (start, value) in windows {
                if visit(key, *start, value).is_break() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn expire_before(&mut self, start: i64) -> Result<u64, StateError> {
        if start <= self.low_water {
            return Ok(0);
        }
        let mut dropped = 0u64;
        self.keys.retain(|_, windows| {
            let kept = windows.split_off(&start);
            dropped += windows.len() as u64;
            *windows = kept;
            !windows.is_empty()
        });
        self.low_water = start;
        Ok(dropped)
    }
}

/// One key's sessions by (start, end).
type Sessions = BTreeMap<(i64, i64), Vec<u8>>;

/// A session store: per key, the sessions by (start, end).
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    name: String,
    keys: BTreeMap<Vec<u8>, Sessions>,
}

impl MemorySessionStore {
    pub fn new(name: impl Into<String>) -> Self {
        MemorySessionStore {
            name: name.into(),
            keys: BTreeMap::new(),
        }
    }
}

impl StateStore for MemorySessionStore {
    fn name(&self) -> &str {
        &self.name
    }
}

impl SessionStore for MemorySessionStore {
    fn get(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .keys
            .get(key)
            .and_then(|s| s.get(&(start, end)))
            .cloned())
    }

    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<(), StateError> {
        let sessions = match self.keys.get_mut(key) {
            Some(sessions) => sessions,
            None => self.keys.entry(key.to_vec()).or_default(),
        };
        sessions.insert((start, end), value.to_vec());
        Ok(())
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<(), StateError> {
        if let Some(sessions) = self.keys.get_mut(key) {
            sessions.remove(&(start, end));
            if sessions.is_empty() {
                self.keys.remove(key);
            }
        }
        Ok(())
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_end: i64,
        latest_start: i64,
        visit: &mut dyn FnMut(i64, i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        if let Some(sessions) = self.keys.get(key) {
            for (&(start, end), value) in sessions.range(..=(latest_start, i64::MAX)) {
                if end >= earliest_end && visit(start, end, value).is_break() {
                    break;
                }
            }
        }
        Ok(())
    }

    fn scan(&self, visit: &mut SessionScan<'_>) -> Result<(), StateError> {
        for (key, sessions) in &self.keys {
            for (&(start, end), value) in sessions {
                if let ControlFlow::Break(()) = visit(key, start, end, value) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn expire_before(&mut self, end: i64) -> Result<u64, StateError> {
        let mut dropped = 0u64;
        self.keys.retain(|_, sessions| {
            let before = sessions.len();
            sessions.retain(|&(_, e), _| e >= end);
            dropped += (before - sessions.len()) as u64;
            !sessions.is_empty()
        });
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_kv(
        store: &MemoryKeyValueStore,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
    ) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        store
            .range(from, to, &mut |k, _| {
                keys.push(k.to_vec());
                ControlFlow::Continue(())
            })
            .unwrap();
        keys
    }

    #[test]
    fn key_value_ranges_are_ordered_and_tolerate_inverted_bounds() {
        let mut store = MemoryKeyValueStore::new("s");
        for k in [b"b", b"a", b"c"] {
            store.put(k, b"v").unwrap();
        }
        store.delete(b"zz").unwrap();
        assert_eq!(
            collect_kv(&store, Bound::Included(b"a"), Bound::Excluded(b"c")),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert!(collect_kv(&store, Bound::Included(b"c"), Bound::Included(b"a")).is_empty());
        assert!(collect_kv(&store, Bound::Excluded(b"b"), Bound::Excluded(b"b")).is_empty());
        assert_eq!(store.approximate_len(), 3);
    }

    #[test]
    fn windows_fetch_by_time_and_expire() {
        let mut store = MemoryWindowStore::new("w");
        for start in [0, 10, 20] {
            store.put(b"k", start, &[start as u8]).unwrap();
        }
        store.put(b"j", 5, b"x").unwrap();
        let mut seen = Vec::new();
        store
            .fetch(b"k", 5, 20, &mut |s, _| {
                seen.push(s);
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, vec![10, 20]);
        assert_eq!(store.expire_before(10).unwrap(), 2);
        assert_eq!(store.get(b"k", 0).unwrap(), None);
        assert_eq!(store.get(b"k", 10).unwrap(), Some(vec![10]));
        assert_eq!(store.expire_before(5).unwrap(), 0);
    }

    #[test]
    fn sessions_are_found_by_overlap() {
        let mut store = MemorySessionStore::new("s");
        store.put(b"k", 0, 10, b"a").unwrap();
        store.put(b"k", 20, 30, b"b").unwrap();
        store.put(b"k", 50, 50, b"c").unwrap();
        let mut seen = Vec::new();
        store
            .find_sessions(b"k", 8, 25, &mut |s, e, _| {
                seen.push((s, e));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, vec![(0, 10), (20, 30)]);
        assert_eq!(store.expire_before(30).unwrap(), 1);
        store.remove(b"k", 20, 30).unwrap();
        assert_eq!(store.get(b"k", 50, 50).unwrap(), Some(b"c".to_vec()));
    }
}
