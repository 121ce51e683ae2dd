//! How a task gets its stores: the topology declares each store ([`StoreSpec`]), and the runner
//! hands the task's builder a [`StoreProvider`] that opens the declared store for this task,
//! already restored and wrapped for change-logging. Operators receive boxed trait objects and
//! never learn which backend or runner they run on.
//!
//! Operators own the stores they are given; the task never touches them. A runner that must
//! flush stores and write checkpoints at commit (the RocksDB runtime) keeps its own handle to
//! what it opened (RocksDB's `DB` is shared and thread-safe) in its provider, next to the
//! changelog offsets its producer reports.

use super::{CacheBudget, KeyValueStore, SessionStore, StateError, WindowStore};

/// The three store shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    KeyValue,
    Window,
    Session,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::KeyValue => "key-value",
            StoreKind::Window => "window",
            StoreKind::Session => "session",
        }
    }
}

/// A store as the topology declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    /// Stable name derived from the plan path (never from a counter).
    pub name: String,
    pub kind: StoreKind,
    /// The compacted changelog topic (`<app_id>-<name>-changelog`), or `None` for a store that
    /// is not logged. A task of partition p logs to partition p.
    pub changelog: Option<String>,
}

/// Opens the declared stores of one task. Called by the task's builder, once per store.
pub trait StoreProvider {
    fn key_value(&mut self, name: &str) -> Result<Box<dyn KeyValueStore>, StateError>;
    fn window(&mut self, name: &str) -> Result<Box<dyn WindowStore>, StateError>;
    fn session(&mut self, name: &str) -> Result<Box<dyn SessionStore>, StateError>;

    /// The record cache budget of the stream thread the task runs on, which the operators that
    /// materialize aggregates put a [`super::RecordCache`] in front of their stores with.
    /// `None` (the default, and a budget of 0 bytes): no cache, every update is written and
    /// forwarded at once.
    fn record_cache(&self) -> Option<CacheBudget> {
        None
    }
}

/// Finds `name` among `specs` and checks it is of the `requested` kind: the check every
/// provider makes before opening a store.
pub fn find_spec<'s>(
    specs: &'s [StoreSpec],
    name: &str,
    requested: StoreKind,
) -> Result<&'s StoreSpec, StateError> {
    let spec =
        specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| StateError::UndeclaredStore {
                store: name.to_owned(),
                declared: specs
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
    if spec.kind != requested {
        return Err(StateError::WrongKind {
            store: name.to_owned(),
            declared: spec.kind.name(),
            requested: requested.name(),
        });
    }
    Ok(spec)
}
