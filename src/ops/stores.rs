//! Stores of a query's steps as the topology declares them: which [`StoreKind`] each stateful
//! step needs and its changelog topic (`<app_id>-<store>-changelog`), the extra store a table
//! `groupBy/v1` keeps ([`super::group_by::PRIOR_STORE_SUFFIX`]). Pure functions of the plan; no I/O.

use crate::analyze::WindowType;
use crate::plan::Step;
use crate::state::{StoreKind, StoreSpec};

use super::group_by::PRIOR_STORE_SUFFIX;

/// Whether `step` emits a table (a changelog of rows per key) rather than a stream.
pub fn is_table(step: &Step) -> bool {
    step.is_table()
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
        Step::TableSource { store, .. }
        | Step::Filter {
            store: Some(store), ..
        } => vec![spec(store, StoreKind::KeyValue)],
        // EMIT FINAL is fused into the windowed aggregate, which emits from its own store.
        Step::Suppress { .. } => Vec::new(),
        Step::Join { .. } => super::join::store_specs(app_id, step),
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
