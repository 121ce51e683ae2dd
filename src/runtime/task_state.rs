//! A task's local state between runs: its directory `<state_dir>/<app_id>/<task>` holds one
//! RocksDB database per store and a checkpoint file naming, per store, the last changelog
//! offset the local copy holds. [`prepare`] decides at assignment what to trust: a valid
//! checkpoint means "restore only the tail after these offsets"; no checkpoint or a bad one
//! means "wipe the stores and restore everything". Under exactly-once the checkpoint is deleted
//! as soon as it is read, so an unclean stop (whose stores may hold uncommitted writes) always
//! wipes; a clean close writes it again. [`remove_abandoned`] deletes directories of tasks
//! this replica has not owned for `state.cleanup_delay`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::RuntimeError;
use crate::state::StoreSpec;
use crate::state::checkpoint::{self, Checkpoint, CheckpointRead};
use crate::state::rocks::{RocksHandle, destroy_store_dir};

const CHECKPOINT_FILE: &str = ".checkpoint";

fn state_error(e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::State(e.to_string())
}

/// Reads the task's checkpoint and returns, per store, the first changelog offset to restore
/// from; wipes the stores when the checkpoint cannot be trusted.
pub fn prepare(
    dir: &Path,
    owner: &str,
    stores: &[StoreSpec],
    exactly_once: bool,
) -> Result<BTreeMap<String, i64>, RuntimeError> {
    let path = dir.join(CHECKPOINT_FILE);
    let resume = match checkpoint::read(&path, owner) {
        CheckpointRead::Valid(checkpoint) => checkpoint
            .offsets
            .into_iter()
            .map(|(store, offset)| (store, offset + 1))
            .collect(),
        read => {
            if let CheckpointRead::Ignored { reason } = &read {
                tracing::warn!(task = owner, %reason, "checkpoint ignored; restoring from the start");
            }
            for store in stores {
                destroy_store_dir(&store.name, &dir.join(&store.name)).map_err(state_error)?;
            }
            BTreeMap::new()
        }
    };
    if exactly_once {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(state_error(format!("removing {}: {e}", path.display())));
            }
            _ => {}
        }
    }
    Ok(resume)
}

/// What a task needs to write its checkpoint.
pub struct TaskState {
    dir: PathBuf,
    owner: String,
    partition: i32,
    handles: Vec<RocksHandle>,
    /// Store → (changelog topic, last offset the local copy holds).
    offsets: BTreeMap<String, (String, i64)>,
}

impl TaskState {
    pub fn new(
        dir: PathBuf,
        owner: String,
        partition: i32,
        specs: &[StoreSpec],
        handles: Vec<RocksHandle>,
        applied: &BTreeMap<String, i64>,
    ) -> TaskState {
        let offsets = specs
            .iter()
            .filter_map(|spec| {
                let topic = spec.changelog.clone()?;
                Some((
                    spec.name.clone(),
                    (topic, applied.get(&spec.name).copied().unwrap_or(-1)),
                ))
            })
            .collect();
        TaskState {
            dir,
            owner,
            partition,
            handles,
            offsets,
        }
    }

    /// Removes the task's checkpoint: its stores are not trusted any more (a store failed),
    /// so the next open wipes them and restores everything from the changelogs.
    pub fn invalidate(&self) -> Result<(), RuntimeError> {
        let path = self.dir.join(CHECKPOINT_FILE);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(state_error(format!("removing {}: {e}", path.display())))
            }
            _ => Ok(()),
        }
    }

    /// The task's RocksDB stores, for their metrics.
    pub fn stores(&self) -> &[RocksHandle] {
        &self.handles
    }

    /// Flushes the stores and writes the checkpoint with every changelog offset the producer
    /// has had acknowledged (`delivered`, by topic and partition).
    pub fn checkpoint(
        &mut self,
        delivered: &HashMap<(String, i32), i64>,
    ) -> Result<(), RuntimeError> {
        if self.offsets.is_empty() {
            return Ok(());
        }
        for handle in &self.handles {
            handle.flush().map_err(state_error)?;
        }
        let mut checkpoint = Checkpoint {
            owner: self.owner.clone(),
            offsets: BTreeMap::new(),
        };
        for (store, (topic, offset)) in &mut self.offsets {
            if let Some(&written) = delivered.get(&(topic.clone(), self.partition)) {
                *offset = (*offset).max(written);
            }
            if *offset >= 0 {
                checkpoint.offsets.insert(store.clone(), *offset);
            }
        }
        checkpoint::write(&self.dir.join(CHECKPOINT_FILE), &checkpoint).map_err(state_error)
    }
}

/// Deletes task directories under `app_dir` that are not in `owned` (task ids) and have not
/// been touched for `delay`. Errors are logged, never fatal.
pub fn remove_abandoned(app_dir: &Path, owned: &[String], delay: Duration) {
    let Ok(entries) = std::fs::read_dir(app_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if owned.contains(&name) || !entry.path().is_dir() {
            continue;
        }
        let idle = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok());
        if idle.is_some_and(|idle| idle >= delay) {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => {
                    tracing::info!(dir = %entry.path().display(), "removed state of a task this replica no longer owns")
                }
                Err(error) => {
                    tracing::warn!(dir = %entry.path().display(), %error, "cannot remove abandoned state")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{KeyValueStore, RocksBudget, RocksKeyValueStore, StoreKind};

    fn spec(name: &str) -> StoreSpec {
        StoreSpec {
            name: name.into(),
            kind: StoreKind::KeyValue,
            changelog: Some(format!("app-{name}-changelog")),
        }
    }

    #[test]
    fn a_checkpoint_resumes_after_its_offsets_and_a_missing_one_wipes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let budget = RocksBudget::new(1 << 20, 1 << 20);
        let specs = [spec("counts")];
        let mut store =
            RocksKeyValueStore::open(&budget, "counts", &dir.path().join("counts")).expect("open");
        store.put(b"k", b"v").expect("put");
        let mut state = TaskState::new(
            dir.path().to_path_buf(),
            "app/0_1".into(),
            1,
            &specs,
            vec![store.handle()],
            &BTreeMap::new(),
        );
        let delivered = HashMap::from([(("app-counts-changelog".to_owned(), 1), 41)]);
        state.checkpoint(&delivered).expect("checkpoint");
        drop(state);
        drop(store);

        let resume = prepare(dir.path(), "app/0_1", &specs, false).expect("prepare");
        assert_eq!(resume.get("counts"), Some(&42));
        let store =
            RocksKeyValueStore::open(&budget, "counts", &dir.path().join("counts")).expect("open");
        assert_eq!(store.get(b"k").expect("get"), Some(b"v".to_vec()), "kept");
        drop(store);

        // Exactly-once deletes the checkpoint on reading it: the next open wipes.
        prepare(dir.path(), "app/0_1", &specs, true).expect("prepare");
        let resume = prepare(dir.path(), "app/0_1", &specs, true).expect("prepare");
        assert!(resume.is_empty());
        let store =
            RocksKeyValueStore::open(&budget, "counts", &dir.path().join("counts")).expect("open");
        assert_eq!(store.get(b"k").expect("get"), None, "wiped");
    }

    #[test]
    fn abandoned_task_directories_go_after_the_delay() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("0_0")).expect("mkdir");
        std::fs::create_dir(dir.path().join("0_1")).expect("mkdir");
        remove_abandoned(dir.path(), &["0_0".into()], Duration::from_secs(3600));
        assert!(dir.path().join("0_1").exists(), "kept within the delay");
        remove_abandoned(dir.path(), &["0_0".into()], Duration::ZERO);
        assert!(dir.path().join("0_0").exists(), "owned");
        assert!(!dir.path().join("0_1").exists(), "abandoned");
    }
}
