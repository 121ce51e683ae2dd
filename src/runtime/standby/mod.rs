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
//! stores closed) and keeps the follower from opening it again; after the task is listed as
//! owned (or failed to open) the thread calls [`Standbys::settle`]. The follower opens a
//! standby only under the same lock, and only for a task that no stream thread owns or claims.
//! A dropped standby leaves its directory and checkpoint behind: if the task comes here later
//! it restores only what it missed; `state.cleanup_delay` removes directories left alone.

pub mod follower;
pub mod ring;
pub mod task;

use std::collections::{BTreeMap, BTreeSet};
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
    /// Tasks a stream thread is opening as active.
    pub(crate) claimed: BTreeSet<TaskId>,
    /// Bumped whenever a standby opens or closes: changelog records fetched before that are
    /// not applied, and the follower's consumer is assigned again from the tasks' offsets.
    pub(crate) epoch: u64,
}

impl Standbys {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A stream thread is about to open `task` as active: its standby, if any, writes its
    /// checkpoint and closes its stores now, and none opens until [`Standbys::settle`].
    pub fn claim(&self, task: TaskId) {
        let mut inner = self.lock();
        inner.claimed.insert(task);
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

    /// The stream thread that claimed `task` lists it as owned now (or gave up opening it).
    pub fn settle(&self, task: TaskId) {
        self.lock().claimed.remove(&task);
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
