//! Standby replicas (`standby_replicas`, Kafka Streams' `num.standby.replicas`): besides the
//! tasks the consumer group assigns it, a replica keeps warm copies of stateful tasks that run
//! on other replicas, so that when one of those tasks fails over to it the task restores only
//! the changelog tail written since, instead of the whole changelog.
//!
//! [`ring`] decides which standbys this replica keeps, from the group listing (weir uses
//! librdkafka's `range` assignor, so standbys are not handed out by the group protocol).
//! [`task`] keeps one standby's stores and checkpoint in the directory the active task would
//! use here. [`follower`] is the one thread per query that looks at the group, opens and
//! drops standbys, and applies their changelog records; it never runs on a stream thread.
//!
//! [`Standbys`], shared by the follower and the query's stream threads, makes sure a task's
//! stores have one owner at a time. Before a stream thread opens a task as active it calls
//! [`Standbys::claim`], which stops that task's standby synchronously (checkpoint written,
//! stores closed) and marks the task active; once the active task's stores are closed again
//! (or failed to open) the thread calls [`Standbys::release`]. The follower opens a standby
//! only under the same lock, and only for a task not marked active. The marks are kept here,
//! not read from the status board, whose task lists are updated after the stores open and
//! before they close.
//! A dropped standby leaves its directory and checkpoint behind: if the task comes here later
//! it restores only what it missed; `state.cleanup_delay` removes directories left alone.

pub mod follower;
pub mod ring;
pub mod task;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::topology::TaskId;
use task::StandbyTask;

/// The standby tasks of one query on this replica and the tasks its stream threads are
/// opening. Locked briefly by stream threads (claims) and by the follower (every batch).
#[derive(Default)]
pub struct Standbys {
    inner: Mutex<Inner>,
    /// Set by a stream thread's assignment: the follower looks at the group again soon.
    rebalanced: AtomicBool,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) tasks: BTreeMap<TaskId, StandbyTask>,
    /// Tasks whose stores a stream thread has open (or is opening) as active, with how many
    /// threads claim each (more than one only in the moment a task moves between threads).
    pub(crate) active: BTreeMap<TaskId, usize>,
    /// Bumped whenever a standby opens or closes: changelog records fetched before that are
    /// not applied, and the follower's consumer is assigned again from the tasks' offsets.
    pub(crate) epoch: u64,
}

impl Standbys {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A stream thread is about to open `task` as active: its standby, if any, writes its
    /// checkpoint and closes its stores now, and none opens until [`Standbys::release`].
    pub fn claim(&self, task: TaskId) {
        let mut inner = self.lock();
        *inner.active.entry(task).or_default() += 1;
        if let Some(mut standby) = inner.tasks.remove(&task) {
            inner.epoch += 1;
            match standby.checkpoint() {
                Ok(()) => {
                    tracing::info!(task = %task, "standby task handed over to the active task")
                }
                // The previous checkpoint stays: the active task restores a longer tail.
                Err(error) => {
                    tracing::warn!(task = %task, %error, "standby checkpoint failed at handover")
                }
            }
        }
    }

    /// The stream thread that claimed `task` has closed its stores (or failed to open them).
    pub fn release(&self, task: TaskId) {
        let mut inner = self.lock();
        if let Some(claims) = inner.active.get_mut(&task) {
            *claims -= 1;
            if *claims == 0 {
                inner.active.remove(&task);
            }
        }
    }

    /// A stream thread of the query was assigned partitions.
    pub fn note_rebalance(&self) {
        self.rebalanced.store(true, Ordering::Relaxed);
    }

    pub(crate) fn take_rebalance(&self) -> bool {
        self.rebalanced.swap(false, Ordering::Relaxed)
    }

    /// Standby tasks kept now, as `<sub>_<partition>`.
    pub fn kept(&self) -> Vec<String> {
        self.lock().tasks.keys().map(TaskId::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ChangelogEntry, RocksBudget, StoreKind, StoreSpec};

    #[test]
    fn a_claim_checkpoints_and_closes_the_standby_and_marks_the_task_until_released() {
        let dir = tempfile::tempdir().expect("temp dir");
        let budget = RocksBudget::new(1 << 20, 1 << 20);
        let task = TaskId {
            sub_topology: 1,
            partition: 0,
        };
        let specs = [StoreSpec {
            name: "counts".into(),
            kind: StoreKind::KeyValue,
            changelog: Some("app-counts-changelog".into()),
        }];
        let open = || {
            StandbyTask::open(
                task,
                dir.path().to_path_buf(),
                "app/1_0".into(),
                &specs,
                &budget,
            )
            .expect("open")
        };
        let mut standby = open();
        let entry = ChangelogEntry {
            offset: 7,
            key: b"k",
            value: Some(b"v"),
        };
        standby
            .apply("app-counts-changelog", &[entry])
            .expect("apply");
        let standbys = Standbys::default();
        standbys.lock().tasks.insert(task, standby);

        // Two threads claim it in the moment it moves between them; one releases.
        standbys.claim(task);
        standbys.claim(task);
        assert!(standbys.kept().is_empty(), "the standby was stopped");
        assert_eq!(standbys.lock().active.get(&task), Some(&2));
        // Its stores are closed (RocksDB would refuse a second open) and checkpointed.
        let reopened = open();
        assert_eq!(
            reopened.followed(),
            [("app-counts-changelog".into(), 0, Some(8))]
        );
        drop(reopened);
        standbys.release(task);
        assert_eq!(standbys.lock().active.get(&task), Some(&1));
        standbys.release(task);
        assert!(
            standbys.lock().active.is_empty(),
            "free for a standby again"
        );
        standbys.release(task);
        assert!(
            standbys.lock().active.is_empty(),
            "an extra release is harmless"
        );
    }
}
