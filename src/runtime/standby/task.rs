//! One standby task: the logged stores of a stateful task, opened in the directory the active
//! task would use on this replica (`<state_dir>/<app_id>/<task>/<store>`), kept up to date
//! by applying its changelog records, and a checkpoint written in the active task's format
//! with the offsets applied. When the group later assigns the task here, `task_state::prepare`
//! finds that checkpoint and the task restores only the changelog tail after it.
//!
//! Opening trusts the directory as `prepare` does: a valid checkpoint resumes after its
//! offsets, anything else wipes the stores and follows the changelogs from their start. It
//! never deletes the checkpoint (unlike an active task under exactly-once): a standby applies
//! only committed records (its consumer reads `read_committed` then), so its stores never hold
//! anything a crash would have to undo, and replaying records after the checkpoint again is
//! harmless. A task's stores are opened by one owner at a time (see the registry in
//! `standby/mod.rs`): RocksDB refuses a second open of the same directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::runtime::RuntimeError;
use crate::state::checkpoint::{self, Checkpoint, CheckpointRead};
use crate::state::rocks::{RocksHandle, destroy_store_dir};
use crate::state::{
    ChangelogEntry, RestoreTarget, RocksBudget, RocksKeyValueStore, RocksSessionStore,
    RocksWindowStore, StateError, StoreKind, StoreSpec, restore,
};
use crate::topology::TaskId;

/// The checkpoint file of a task directory (as `runtime::task_state` names it).
pub const CHECKPOINT_FILE: &str = ".checkpoint";

fn state_error(task: TaskId, e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::State(format!("standby task {task}: {e}"))
}

/// A store of the task, opened by its kind.
enum OpenStore {
    KeyValue(RocksKeyValueStore),
    Window(RocksWindowStore),
    Session(RocksSessionStore),
}

impl OpenStore {
    fn open(budget: &RocksBudget, spec: &StoreSpec, path: &Path) -> Result<Self, StateError> {
        Ok(match spec.kind {
            StoreKind::KeyValue => {
                Self::KeyValue(RocksKeyValueStore::open(budget, &spec.name, path)?)
            }
            StoreKind::Window => Self::Window(RocksWindowStore::open(budget, &spec.name, path)?),
            StoreKind::Session => Self::Session(RocksSessionStore::open(budget, &spec.name, path)?),
        })
    }

    fn handle(&self) -> RocksHandle {
        match self {
            Self::KeyValue(s) => s.handle(),
            Self::Window(s) => s.handle(),
            Self::Session(s) => s.handle(),
        }
    }

    fn target(&mut self) -> RestoreTarget<'_> {
        match self {
            Self::KeyValue(s) => RestoreTarget::KeyValue(s),
            Self::Window(s) => RestoreTarget::Window(s),
            Self::Session(s) => RestoreTarget::Session(s),
        }
    }
}

/// One logged store of a standby task and how far it follows its changelog partition.
struct FollowedStore {
    name: String,
    changelog: String,
    store: OpenStore,
    /// Offset of the last changelog record the store holds; -1 when none.
    applied: i64,
}

/// A standby task with its stores open.
pub struct StandbyTask {
    id: TaskId,
    dir: PathBuf,
    owner: String,
    stores: Vec<FollowedStore>,
    /// Whether records were applied since the last checkpoint.
    dirty: bool,
}

impl StandbyTask {
    /// Opens the logged stores of task `id` in `dir` (`owner` = `<app_id>/<task>`, as in the
    /// checkpoint), resuming after a valid checkpoint or wiping them.
    pub fn open(
        id: TaskId,
        dir: PathBuf,
        owner: String,
        specs: &[StoreSpec],
        budget: &RocksBudget,
    ) -> Result<StandbyTask, RuntimeError> {
        let logged: Vec<&StoreSpec> = specs.iter().filter(|s| s.changelog.is_some()).collect();
        let offsets = match checkpoint::read(&dir.join(CHECKPOINT_FILE), &owner) {
            CheckpointRead::Valid(checkpoint) => checkpoint.offsets,
            read => {
                if let CheckpointRead::Ignored { reason } = &read {
                    tracing::warn!(task = owner, %reason, "checkpoint ignored; the standby follows the changelogs from the start");
                }
                for spec in &logged {
                    destroy_store_dir(&spec.name, &dir.join(&spec.name))
                        .map_err(|e| state_error(id, e))?;
                }
                BTreeMap::new()
            }
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| state_error(id, format!("{}: {e}", dir.display())))?;
        let mut stores = Vec::with_capacity(logged.len());
        for spec in logged {
            let path = dir.join(&spec.name);
            let mut applied = offsets.get(&spec.name).copied().unwrap_or(-1);
            let store = match OpenStore::open(budget, spec, &path) {
                Err(StateError::Corrupt { reason, .. }) => {
                    tracing::warn!(task = owner, store = spec.name, %reason, "store is corrupt; the standby wipes it and follows its changelog from the start");
                    destroy_store_dir(&spec.name, &path).map_err(|e| state_error(id, e))?;
                    applied = -1;
                    OpenStore::open(budget, spec, &path)
                }
                opened => opened,
            }
            .map_err(|e| state_error(id, e))?;
            stores.push(FollowedStore {
                name: spec.name.clone(),
                changelog: spec.changelog.clone().unwrap_or_default(),
                store,
                applied,
            });
        }
        Ok(StandbyTask {
            id,
            dir,
            owner,
            stores,
            dirty: false,
        })
    }

    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Every changelog partition the task follows, with the first offset it still needs
    /// (`None`: from the beginning).
    pub fn followed(&self) -> Vec<(String, i32, Option<i64>)> {
        self.stores
            .iter()
            .map(|s| {
                let next = (s.applied >= 0).then_some(s.applied + 1);
                (s.changelog.clone(), self.id.partition, next)
            })
            .collect()
    }

    /// Applies `entries` (in offset order, all from `changelog`) to the store that logs there,
    /// skipping any it holds already. Returns how many were applied.
    pub fn apply(
        &mut self,
        changelog: &str,
        entries: &[ChangelogEntry<'_>],
    ) -> Result<u64, RuntimeError> {
        let id = self.id;
        let Some(store) = self.stores.iter_mut().find(|s| s.changelog == changelog) else {
            return Ok(0);
        };
        let fresh: Vec<ChangelogEntry<'_>> = entries
            .iter()
            .copied()
            .filter(|e| e.offset > store.applied)
            .collect();
        if let Some(last) =
            restore(store.store.target(), fresh.iter().copied()).map_err(|e| state_error(id, e))?
        {
            store.applied = last;
            self.dirty = true;
        }
        Ok(fresh.len() as u64)
    }

    /// Flushes the stores and writes the checkpoint, when anything was applied since the last.
    pub fn checkpoint(&mut self) -> Result<(), RuntimeError> {
        if !self.dirty {
            return Ok(());
        }
        for store in &self.stores {
            store
                .store
                .handle()
                .flush()
                .map_err(|e| state_error(self.id, e))?;
        }
        let checkpoint = Checkpoint {
            owner: self.owner.clone(),
            offsets: self
                .stores
                .iter()
                .filter(|s| s.applied >= 0)
                .map(|s| (s.name.clone(), s.applied))
                .collect(),
        };
        checkpoint::write(&self.dir.join(CHECKPOINT_FILE), &checkpoint)
            .map_err(|e| state_error(self.id, e))?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::task_state;
    use crate::state::KeyValueStore;

    fn spec() -> StoreSpec {
        StoreSpec {
            name: "counts".into(),
            kind: StoreKind::KeyValue,
            changelog: Some("app-counts-changelog".into()),
        }
    }

    fn entry<'a>(offset: i64, key: &'a [u8], value: &'a [u8]) -> ChangelogEntry<'a> {
        ChangelogEntry {
            offset,
            key,
            value: Some(value),
        }
    }

    #[test]
    fn a_standby_checkpoint_makes_the_active_task_restore_only_the_tail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let budget = RocksBudget::new(1 << 20, 1 << 20);
        let id = TaskId {
            sub_topology: 1,
            partition: 3,
        };
        let owner = "app/1_3".to_owned();
        let specs = [spec()];
        let mut standby =
            StandbyTask::open(id, dir.path().to_path_buf(), owner.clone(), &specs, &budget)
                .expect("open");
        assert_eq!(
            standby.followed(),
            [("app-counts-changelog".into(), 3, None)]
        );
        let applied = standby
            .apply(
                "app-counts-changelog",
                &[entry(0, b"a", b"1"), entry(2, b"b", b"2")],
            )
            .expect("apply");
        assert_eq!(applied, 2);
        // A record seen again (a consumer reassigned from an older offset) is skipped.
        let again = standby
            .apply(
                "app-counts-changelog",
                &[entry(2, b"b", b"2"), entry(4, b"a", b"3")],
            )
            .expect("apply");
        assert_eq!(again, 1);
        assert_eq!(
            standby.followed(),
            [("app-counts-changelog".into(), 3, Some(5))]
        );
        standby.checkpoint().expect("checkpoint");
        drop(standby);

        // The active task opening here resumes after the standby's offsets, stores kept.
        let resume = task_state::prepare(dir.path(), &owner, &specs, true).expect("prepare");
        assert_eq!(resume.get("counts"), Some(&5));
        let store =
            RocksKeyValueStore::open(&budget, "counts", &dir.path().join("counts")).expect("open");
        assert_eq!(store.get(b"a").expect("get"), Some(b"3".to_vec()));
        assert_eq!(store.get(b"b").expect("get"), Some(b"2".to_vec()));
    }

    #[test]
    fn a_standby_without_a_valid_checkpoint_starts_from_empty_stores() {
        let dir = tempfile::tempdir().expect("temp dir");
        let budget = RocksBudget::new(1 << 20, 1 << 20);
        let id = TaskId {
            sub_topology: 0,
            partition: 0,
        };
        let specs = [spec()];
        let mut store =
            RocksKeyValueStore::open(&budget, "counts", &dir.path().join("counts")).expect("open");
        store.put(b"stale", b"x").expect("put");
        drop(store);
        std::fs::write(dir.path().join(CHECKPOINT_FILE), "garbage").expect("write");
        let standby = StandbyTask::open(
            id,
            dir.path().to_path_buf(),
            "app/0_0".into(),
            &specs,
            &budget,
        )
        .expect("open");
        assert_eq!(
            standby.followed(),
            [("app-counts-changelog".into(), 0, None)]
        );
        drop(standby);
        let store =
            RocksKeyValueStore::open(&budget, "counts", &dir.path().join("counts")).expect("open");
        assert_eq!(store.get(b"stale").expect("get"), None, "wiped");
    }
}
