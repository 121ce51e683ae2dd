//! Metering as a decorator: counts the operations on a store (reads, writes, deletes, scans,
//! expiries) in shared atomic counters that telemetry reads when it renders metrics. It only
//! counts: no clocks per call, no names or labels (those live in the telemetry layer), and it
//! changes nothing about what the store does.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::session::SessionScan;
use super::window::WindowScan;
use super::{KeyValueStore, SessionStore, StateError, StateStore, Visit, WindowStore};

/// Operation counts of one store. Written by the store's task, read by telemetry from any
/// thread (relaxed: counts, not synchronisation).
#[derive(Debug, Default)]
pub struct StoreMetrics {
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub deletes: AtomicU64,
    pub scans: AtomicU64,
    pub expired: AtomicU64,
}

impl StoreMetrics {
    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

/// A store whose operations are counted in `metrics`.
pub struct Metered<S: ?Sized> {
    metrics: Arc<StoreMetrics>,
    inner: Box<S>,
}

impl<S: ?Sized + StateStore> Metered<S> {
    pub fn new(inner: Box<S>, metrics: Arc<StoreMetrics>) -> Self {
        Metered { metrics, inner }
    }
}

impl<S: ?Sized + StateStore> StateStore for Metered<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn flush(&mut self) -> Result<(), StateError> {
        self.inner.flush()
    }
}

impl<S: ?Sized + KeyValueStore> KeyValueStore for Metered<S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        StoreMetrics::bump(&self.metrics.reads, 1);
        self.inner.get(key)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.writes, 1);
        self.inner.put(key, value)
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.deletes, 1);
        self.inner.delete(key)
    }

    fn range(
        &self,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.scans, 1);
        self.inner.range(from, to, visit)
    }

    fn approximate_len(&self) -> u64 {
        self.inner.approximate_len()
    }
}

impl<S: ?Sized + WindowStore> WindowStore for Metered<S> {
    fn get(&self, key: &[u8], start: i64) -> Result<Option<Vec<u8>>, StateError> {
        StoreMetrics::bump(&self.metrics.reads, 1);
        self.inner.get(key, start)
    }

    fn put(&mut self, key: &[u8], start: i64, value: &[u8]) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.writes, 1);
        self.inner.put(key, start, value)
    }

    fn delete(&mut self, key: &[u8], start: i64) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.deletes, 1);
        self.inner.delete(key, start)
    }

    fn fetch(
        &self,
        key: &[u8],
        from_start: i64,
        to_start: i64,
        visit: &mut dyn FnMut(i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.scans, 1);
        self.inner.fetch(key, from_start, to_start, visit)
    }

    fn scan(&self, visit: &mut WindowScan<'_>) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.scans, 1);
        self.inner.scan(visit)
    }

    fn expire_before(&mut self, start: i64) -> Result<u64, StateError> {
        let dropped = self.inner.expire_before(start)?;
        StoreMetrics::bump(&self.metrics.expired, dropped);
        Ok(dropped)
    }
}

impl<S: ?Sized + SessionStore> SessionStore for Metered<S> {
    fn get(&self, key: &[u8], start: i64, end: i64) -> Result<Option<Vec<u8>>, StateError> {
        StoreMetrics::bump(&self.metrics.reads, 1);
        self.inner.get(key, start, end)
    }

    fn put(&mut self, key: &[u8], start: i64, end: i64, value: &[u8]) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.writes, 1);
        self.inner.put(key, start, end, value)
    }

    fn remove(&mut self, key: &[u8], start: i64, end: i64) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.deletes, 1);
        self.inner.remove(key, start, end)
    }

    fn find_sessions(
        &self,
        key: &[u8],
        earliest_end: i64,
        latest_start: i64,
        visit: &mut dyn FnMut(i64, i64, &[u8]) -> Visit,
    ) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.scans, 1);
        self.inner
            .find_sessions(key, earliest_end, latest_start, visit)
    }

    fn scan(&self, visit: &mut SessionScan<'_>) -> Result<(), StateError> {
        StoreMetrics::bump(&self.metrics.scans, 1);
        self.inner.scan(visit)
    }

    fn expire_before(&mut self, end: i64) -> Result<u64, StateError> {
        let dropped = self.inner.expire_before(end)?;
        StoreMetrics::bump(&self.metrics.expired, dropped);
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::{MemoryKeyValueStore, MemoryWindowStore};
    use std::ops::ControlFlow;

    #[test]
    fn operations_are_counted() {
        let metrics = Arc::new(StoreMetrics::default());
        let mut kv = Metered::new(Box::new(MemoryKeyValueStore::new("kv")), metrics.clone());
        kv.put(b"a", b"1").unwrap();
        kv.get(b"a").unwrap();
        kv.delete(b"a").unwrap();
        kv.scan(&mut |_, _| ControlFlow::Continue(())).unwrap();
        let mut windows = Metered::new(Box::new(MemoryWindowStore::new("w")), metrics.clone());
        windows.put(b"k", 0, b"v").unwrap();
        windows.put(b"k", 10, b"v").unwrap();
        assert_eq!(windows.expire_before(5).unwrap(), 1);
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(
            (
                count(&metrics.reads),
                count(&metrics.writes),
                count(&metrics.deletes),
                count(&metrics.scans),
                count(&metrics.expired)
            ),
            (1, 3, 1, 1, 1)
        );
        assert_eq!(kv.name(), "kv");
    }
}
