//! The driver's [`StoreProvider`]: opens in-memory stores for one task, restores each logged
//! store by replaying its changelog topic partition from the start, and wraps it so further
//! writes go to a shared [`ChangelogBuffer`]. The driver moves buffered writes into the
//! changelog topics after every record; the buffer is the only state shared between stores and
//! driver, behind a mutex that is never held across a call into a processor.

use crate::state::buffered::{BufferSink, ChangelogBuffer};
use crate::state::provider::find_spec;
use crate::state::{
    CacheBudget, ChangelogEntry, ChangelogSink, KeyValueStore, Logged, MemoryKeyValueStore,
    MemorySessionStore, MemoryWindowStore, RestoreTarget, SessionStore, StateError, StoreKind,
    StoreProvider, StoreSpec, WindowStore, restore,
};

use super::topics::Topics;

/// Opens the stores of one task (one sub-topology, one partition).
pub struct DriverStores<'a> {
    pub specs: &'a [StoreSpec],
    pub partition: i32,
    pub topics: &'a Topics,
    pub buffer: &'a ChangelogBuffer,
    /// Records replayed per store, for tests of restore.
    pub restored: Vec<(String, usize)>,
    /// The record cache budget of the query's tasks (`None`: no cache).
    pub cache: Option<CacheBudget>,
}

impl DriverStores<'_> {
    fn entries(&self, spec: &StoreSpec) -> impl Iterator<Item = ChangelogEntry<'_>> {
        let records = match &spec.changelog {
            Some(topic) => self.topics.partition(topic, self.partition),
            None => &[],
        };
        records.iter().map(|r| ChangelogEntry {
            offset: r.offset,
            key: r.key.as_deref().unwrap_or(&[]),
            value: r.value.as_deref(),
        })
    }

    fn sink(&self, spec: &StoreSpec) -> Option<Box<dyn ChangelogSink>> {
        spec.changelog.as_ref().map(|topic| {
            Box::new(BufferSink::new(topic, self.partition, self.buffer.clone()))
                as Box<dyn ChangelogSink>
        })
    }

    fn note(&mut self, spec: &StoreSpec) {
        let count = self.entries(spec).count();
        self.restored.push((spec.name.clone(), count));
    }
}

impl StoreProvider for DriverStores<'_> {
    fn key_value(&mut self, name: &str) -> Result<Box<dyn KeyValueStore>, StateError> {
        let spec = find_spec(self.specs, name, StoreKind::KeyValue)?;
        let mut store = Box::new(MemoryKeyValueStore::new(name));
        restore(RestoreTarget::KeyValue(store.as_mut()), self.entries(spec))?;
        self.note(spec);
        Ok(match self.sink(spec) {
            Some(sink) => Box::new(Logged::new(store, sink)),
            None => store,
        })
    }

    fn window(&mut self, name: &str) -> Result<Box<dyn WindowStore>, StateError> {
        let spec = find_spec(self.specs, name, StoreKind::Window)?;
        let mut store = Box::new(MemoryWindowStore::new(name));
        restore(RestoreTarget::Window(store.as_mut()), self.entries(spec))?;
        self.note(spec);
        Ok(match self.sink(spec) {
            Some(sink) => Box::new(Logged::new(store, sink)),
            None => store,
        })
    }

    fn session(&mut self, name: &str) -> Result<Box<dyn SessionStore>, StateError> {
        let spec = find_spec(self.specs, name, StoreKind::Session)?;
        let mut store = Box::new(MemorySessionStore::new(name));
        restore(RestoreTarget::Session(store.as_mut()), self.entries(spec))?;
        self.note(spec);
        Ok(match self.sink(spec) {
            Some(sink) => Box::new(Logged::new(store, sink)),
            None => store,
        })
    }

    fn record_cache(&self) -> Option<CacheBudget> {
        self.cache.clone()
    }
}
