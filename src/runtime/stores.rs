//! The runtime's [`StoreProvider`]: opens the declared stores of one task as RocksDB databases
//! in its state directory (`<state_dir>/<app_id>/<task>/<store>`, all sharing the process's
//! [`RocksBudget`]), restores each logged store from its changelog partition (from the
//! checkpointed offset when the local copy is trusted, else from the beginning into a wiped
//! store) and wraps it so every later write is logged. It keeps a [`RocksHandle`] per store
//! so the stream thread can flush them before it writes the task's checkpoint.
//!
//! Logged writes go to a [`ChangelogBuffer`] the stream thread drains after each batch and
//! produces (inside the transaction under exactly-once), so no store holds a producer. The
//! thread's record cache budget is handed to the operators that cache their stores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::RuntimeError;
use super::restore::Restorer;
use crate::state::buffered::BufferSink;
pub use crate::state::buffered::ChangelogBuffer;
use crate::state::provider::find_spec;
use crate::state::rocks::{RocksHandle, destroy_store_dir};
use crate::state::{
    CacheBudget, ChangelogSink, KeyValueStore, Logged, RestoreTarget, RocksBudget,
    RocksKeyValueStore, RocksSessionStore, RocksWindowStore, SessionStore, StateError, StoreKind,
    StoreProvider, StoreSpec, WindowStore, restore,
};

/// Restore progress of one store, reported as it goes.
pub trait RestoreListener {
    fn progress(&mut self, store: &str, remaining: u64);
    fn restored(&mut self, store: &str, records: u64);
}

/// Opens the stores of one task.
pub struct TaskStores<'a> {
    pub specs: &'a [StoreSpec],
    pub partition: i32,
    /// `<state_dir>/<app_id>/<task>`.
    pub dir: PathBuf,
    pub budget: &'a RocksBudget,
    pub restorer: &'a Restorer,
    pub buffer: &'a ChangelogBuffer,
    /// Store → first changelog offset the local copy lacks (from a valid checkpoint).
    pub resume_from: BTreeMap<String, i64>,
    pub listener: &'a mut dyn RestoreListener,
    /// Store → offset of the last changelog record applied (for the next checkpoint).
    pub applied: BTreeMap<String, i64>,
    /// Every store opened, for flushing before a checkpoint.
    pub handles: Vec<RocksHandle>,
    /// The first restore failure, with its cause (the provider's error type is `StateError`).
    pub failure: Option<RuntimeError>,
    /// The stream thread's record cache budget (`None`: no cache).
    pub record_cache: Option<CacheBudget>,
}

impl TaskStores<'_> {
    fn replay(
        &mut self,
        spec: &StoreSpec,
        target: &mut RestoreTarget<'_>,
    ) -> Result<(), StateError> {
        let Some(topic) = &spec.changelog else {
            return Ok(());
        };
        let from = self.resume_from.get(&spec.name).copied();
        let name = spec.name.clone();
        let listener = &mut *self.listener;
        let mut apply = |entries: &[crate::state::ChangelogEntry<'_>]| {
            let target = match target {
                RestoreTarget::KeyValue(s) => RestoreTarget::KeyValue(&mut **s),
                RestoreTarget::Window(s) => RestoreTarget::Window(&mut **s),
                RestoreTarget::Session(s) => RestoreTarget::Session(&mut **s),
            };
            restore(target, entries.iter().copied())
                .map(|_| ())
                .map_err(|e| RuntimeError::State(e.to_string()))
        };
        let mut progress_name = name.clone();
        let mut progress = |remaining| listener.progress(&progress_name, remaining);
        let replayed = self
            .restorer
            .replay(topic, self.partition, from, &mut apply, &mut progress);
        progress_name.clear();
        match replayed {
            Ok(done) => {
                self.listener.restored(&name, done.records);
                if let Some(last) = done.last_offset.or(from.map(|f| f - 1)) {
                    self.applied.insert(name, last);
                }
                Ok(())
            }
            Err(error) => {
                let reason = error.to_string();
                self.failure.get_or_insert(error);
                Err(StateError::Restore {
                    store: name,
                    offset: from.unwrap_or(0),
                    reason,
                })
            }
        }
    }

    /// Opens store `name` with `open`. A store whose files are corrupt is wiped and opened
    /// empty, to be restored from the beginning of its changelog.
    fn open<S>(
        &mut self,
        name: &str,
        open: fn(&RocksBudget, &str, &Path) -> Result<S, StateError>,
    ) -> Result<S, StateError> {
        let path = self.dir.join(name);
        match open(self.budget, name, &path) {
            Err(StateError::Corrupt { reason, .. }) => {
                tracing::warn!(
                    store = name,
                    path = %path.display(),
                    %reason,
                    "store is corrupt; wiping it and restoring from the start of its changelog"
                );
                destroy_store_dir(name, &path)?;
                self.resume_from.remove(name);
                open(self.budget, name, &path)
            }
            opened => opened,
        }
    }

    fn sink(&self, spec: &StoreSpec) -> Option<Box<dyn ChangelogSink>> {
        spec.changelog.as_ref().map(|topic| {
            Box::new(BufferSink::new(topic, self.partition, self.buffer.clone()))
                as Box<dyn ChangelogSink>
        })
    }
}

impl StoreProvider for TaskStores<'_> {
    fn key_value(&mut self, name: &str) -> Result<Box<dyn KeyValueStore>, StateError> {
        let spec = find_spec(self.specs, name, StoreKind::KeyValue)?.clone();
        let store = self.open(name, RocksKeyValueStore::open)?;
        self.handles.push(store.handle());
        let mut store: Box<dyn KeyValueStore> = Box::new(store);
        self.replay(&spec, &mut RestoreTarget::KeyValue(store.as_mut()))?;
        Ok(match self.sink(&spec) {
            Some(sink) => Box::new(Logged::new(store, sink)),
            None => store,
        })
    }

    fn window(&mut self, name: &str) -> Result<Box<dyn WindowStore>, StateError> {
        let spec = find_spec(self.specs, name, StoreKind::Window)?.clone();
        let store = self.open(name, RocksWindowStore::open)?;
        self.handles.push(store.handle());
        let mut store: Box<dyn WindowStore> = Box::new(store);
        self.replay(&spec, &mut RestoreTarget::Window(store.as_mut()))?;
        Ok(match self.sink(&spec) {
            Some(sink) => Box::new(Logged::new(store, sink)),
            None => store,
        })
    }

    fn session(&mut self, name: &str) -> Result<Box<dyn SessionStore>, StateError> {
        let spec = find_spec(self.specs, name, StoreKind::Session)?.clone();
        let store = self.open(name, RocksSessionStore::open)?;
        self.handles.push(store.handle());
        let mut store: Box<dyn SessionStore> = Box::new(store);
        self.replay(&spec, &mut RestoreTarget::Session(store.as_mut()))?;
        Ok(match self.sink(&spec) {
            Some(sink) => Box::new(Logged::new(store, sink)),
            None => store,
        })
    }

    fn record_cache(&self) -> Option<CacheBudget> {
        self.record_cache.clone()
    }
}
