//! Stores of a query's steps as the topology declares them: which [`StoreKind`] each stateful
//! step needs and its changelog topic (`<app_id>-<store>-changelog`), the extra store a table
//! `groupBy/v1` keeps ([`super::group_by::PRIOR_STORE_SUFFIX`]), and a scratch
//! [`StoreProvider`] of fresh in-memory stores that the builder uses to check a plan once at
//! build time. Pure functions of the plan; no I/O.

use crate::analyze::WindowType;
use crate::plan::Step;
use crate::state::{
    KeyValueStore, MemoryKeyValueStore, MemorySessionStore, MemoryWindowStore, SessionStore,
    StateError, StoreKind, StoreProvider, StoreSpec, WindowStore,
};

use super::group_by::PRIOR_STORE_SUFFIX;

/// Whether `step` emits a table (a changelog of rows per key) rather than a stream.
pub fn is_table(step: &Step) -> bool {
    match step {
        Step::TableSource { .. } | Step::Aggregate { .. } => true,
        Step::StreamSource { .. } | Step::GroupBy { .. } => false,
        Step::Join { left, right, .. } => is_table(left) && is_table(right),
        Step::Filter { input, .. }
        | Step::FlatMap { input, .. }
        | Step::SelectKey { input, .. }
        | Step::TableFilter { input, .. }
        | Step::Suppress { input, .. }
        | Step::Select { input, .. }
        | Step::Sink { input, .. } => is_table(input),
    }
}

/// The name of the previous-rows store of a table `groupBy/v1` with context `ctx`.
pub fn prior_store(ctx: &str) -> String {
    format!("{ctx}{PRIOR_STORE_SUFFIX}")
}

/// The stores `step` itself owns, as declared to the runner.
pub fn declared(step: &Step, app_id: &str) -> Vec<StoreSpec> {
    let changelog = |name: &str, logged: bool| logged.then(|| format!("{app_id}-{name}-changelog"));
    let spec = |s: &crate::plan::StoreSpec, kind: StoreKind| StoreSpec {
        name: s.name.clone(),
        kind,
        changelog: changelog(&s.name, s.changelog),
    };
    match step {
        Step::Aggregate { store, window, .. } => {
            let kind = match window.map(|w| w.window_type) {
                None => StoreKind::KeyValue,
                Some(WindowType::Session) => StoreKind::Session,
                Some(_) => StoreKind::Window,
            };
            vec![spec(store, kind)]
        }
        Step::TableSource { store, .. } => vec![spec(store, StoreKind::KeyValue)],
        // EMIT FINAL is fused into the windowed aggregate, which emits from its own store.
        Step::Suppress { .. } => Vec::new(),
        Step::Join { stores, within, .. } => {
            let kind = if within.is_some() {
                StoreKind::Window
            } else {
                StoreKind::KeyValue
            };
            stores.iter().map(|s| spec(s, kind)).collect()
        }
        Step::GroupBy { ctx, input, .. } if is_table(input) => {
            let name = prior_store(ctx);
            vec![StoreSpec {
                changelog: changelog(&name, true),
                name,
                kind: StoreKind::KeyValue,
            }]
        }
        _ => Vec::new(),
    }
}

/// Fresh, empty in-memory stores for whatever is asked: for checking a plan at build time.
pub struct ScratchStores;

impl StoreProvider for ScratchStores {
    fn key_value(&mut self, name: &str) -> Result<Box<dyn KeyValueStore>, StateError> {
        Ok(Box::new(MemoryKeyValueStore::new(name)))
    }

    fn window(&mut self, name: &str) -> Result<Box<dyn WindowStore>, StateError> {
        Ok(Box::new(MemoryWindowStore::new(name)))
    }

    fn session(&mut self, name: &str) -> Result<Box<dyn SessionStore>, StateError> {
        Ok(Box::new(MemorySessionStore::new(name)))
    }
}
