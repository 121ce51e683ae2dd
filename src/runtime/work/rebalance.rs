//! The rebalance side of [`Work`], called from the consumer's rebalance callbacks (inside
//! `poll`, on the stream thread): an assignment opens and restores the task of each new
//! partition, a revocation commits and closes the tasks that read the revoked partitions (or
//! aborts and closes them dirty when the assignment was lost). Restore progress beats for the
//! thread, so a long restore keeps `/healthz` green.

use std::collections::BTreeMap;

use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};

use super::{ActiveTask, InputPosition, RebalanceKind, Work};
use crate::runtime::RuntimeError;
use crate::runtime::stores::{RestoreListener, TaskStores};
use crate::runtime::supervisor::{Shared, ThreadPhase};
use crate::runtime::task_state::{self, TaskState};
use crate::runtime::thread::GroupConsumer;
use crate::telemetry::LoopWatch;
use crate::topology::{Task, TaskId};

impl Work {
    /// Partitions were assigned: opens (and restores) the task of every new one.
    pub fn assign(&mut self, assigned: &TopicPartitionList) {
        self.count_rebalance(RebalanceKind::Assigned);
        let mut wanted: BTreeMap<TaskId, Vec<InputPosition>> = BTreeMap::new();
        for element in assigned.elements() {
            if let Some(route) = self.routes.get(element.topic()) {
                let task = TaskId {
                    sub_topology: route.sub_topology,
                    partition: element.partition(),
                };
                // The assignment carries the group's committed offsets
                // (`positions::committed_starts`); anything else means none is known.
                let committed = match element.offset() {
                    Offset::Offset(offset) => offset,
                    _ => -1,
                };
                wanted.entry(task).or_default().push(InputPosition {
                    topic: element.topic().to_owned(),
                    partition: element.partition(),
                    next: -1,
                    committed,
                });
            }
        }
        self.query
            .set_phase(self.thread, ThreadPhase::Restoring, &[]);
        self.query.standbys.note_rebalance();
        for (task, inputs) in wanted {
            if self.tasks.contains_key(&task) {
                continue;
            }
            // The task's standby here (if any) checkpoints and closes its stores first, so
            // the task restores only what the standby had not applied.
            self.query.standbys.claim(task);
            match self.open_task(task) {
                Ok((opened, state)) => {
                    self.tasks.insert(
                        task,
                        ActiveTask {
                            task: opened,
                            state,
                            positions: inputs,
                            late_counted: 0,
                        },
                    );
                    self.track(task);
                }
                Err(error) => {
                    // The stores it opened are closed again.
                    self.query.standbys.release(task);
                    return self.fail(error);
                }
            }
        }
        self.publish();
    }

    fn open_task(&mut self, id: TaskId) -> Result<(Task, TaskState), RuntimeError> {
        let query = &self.query.query;
        let spec = query.topology.spec();
        let sub = spec
            .sub_topologies
            .iter()
            .find(|s| s.id == id.sub_topology)
            .ok_or_else(|| RuntimeError::Task(format!("no sub-topology {}", id.sub_topology)))?;
        let mut listener = MetricsListener {
            shared: &self.shared,
            query: &query.id,
            watch: &self.watch,
        };
        let dir = self
            .shared
            .options
            .state_dir
            .join(&query.app_id)
            .join(id.to_string());
        let owner = format!("{}/{id}", query.app_id);
        let resume_from =
            task_state::prepare(&dir, &owner, &sub.stores, self.shared.options.exactly_once)?;
        let mut stores = TaskStores {
            specs: &sub.stores,
            partition: id.partition,
            dir: dir.clone(),
            budget: &self.shared.budget,
            restorer: &self.restorer,
            buffer: &self.changelog,
            resume_from,
            listener: &mut listener,
            applied: BTreeMap::new(),
            handles: Vec::new(),
            failure: None,
            record_cache: self.record_cache.clone(),
        };
        let graph = query.topology.build(id, &mut stores);
        let failure = stores.failure.take();
        let graph = graph.map_err(|e| {
            failure.unwrap_or_else(|| RuntimeError::Task(format!("building task {id}: {e}")))
        })?;
        let state = TaskState::new(
            dir,
            owner,
            id.partition,
            &sub.stores,
            std::mem::take(&mut stores.handles),
            &stores.applied,
        );
        tracing::info!(query = %query.id, task = %id, "task opened");
        Ok((Task::new(id, graph), state))
    }

    /// Partitions are being revoked: commits, then closes the tasks that read them. When the
    /// assignment was lost instead (the session expired, e.g. while the broker was
    /// unreachable), other members may own the partitions already: under exactly-once the
    /// open transaction is aborted rather than committed (the broker would refuse its offsets
    /// anyway, KIP-447) and the tasks are closed without a checkpoint, so their stores are
    /// rebuilt from the changelogs when they are assigned again. Under at-least-once the
    /// commit is tried as usual: at worst a duplicate, never a loss.
    pub fn revoke(&mut self, consumer: &GroupConsumer, revoked: &TopicPartitionList) {
        let gone = self.tasks_of(revoked);
        let lost = consumer.assignment_lost();
        self.count_rebalance(if lost {
            RebalanceKind::Lost
        } else {
            RebalanceKind::Revoked
        });
        if self.failed {
            // The thread is going down after a fatal error: what it processed since the last
            // commit is given up (the new owner, or this thread restarted, reads it again).
            self.abort();
            self.close(gone);
            return;
        }
        if self.shared.options.exactly_once && lost {
            tracing::warn!(
                query = %self.query.query.id,
                tasks = gone.len(),
                "assignment lost: aborting the open transaction and closing the tasks dirty"
            );
            self.abort();
            self.pending_commit = false;
            self.close(gone);
            return;
        }
        match self.commit(consumer) {
            Ok(()) => {
                if let Err(error) = self.checkpoint_all(Some(&gone)) {
                    self.fail(error);
                }
            }
            Err(error) => self.fail(error),
        }
        self.close(gone);
    }

    /// The tasks that read any of `partitions`.
    fn tasks_of(&self, partitions: &TopicPartitionList) -> Vec<TaskId> {
        partitions
            .elements()
            .iter()
            .filter_map(|e| {
                let route = self.routes.get(e.topic())?;
                Some(TaskId {
                    sub_topology: route.sub_topology,
                    partition: e.partition(),
                })
            })
            .collect()
    }

    fn close(&mut self, gone: Vec<TaskId>) {
        for id in gone {
            if let Some(active) = self.tasks.remove(&id) {
                self.forget(id, &active);
                drop(active);
                self.query.standbys.release(id);
                tracing::info!(query = %self.query.query.id, task = %id, "task closed");
            }
        }
        self.publish();
    }
}

struct MetricsListener<'a> {
    shared: &'a Shared,
    query: &'a str,
    /// A long restore keeps `/healthz` green by beating for its thread.
    watch: &'a LoopWatch,
}

impl RestoreListener for MetricsListener<'_> {
    fn progress(&mut self, store: &str, remaining: u64) {
        self.watch.beat();
        self.shared
            .metrics
            .restore_remaining_records
            .with_label_values(&[self.query, store])
            .set(remaining as i64);
    }

    fn restored(&mut self, store: &str, records: u64) {
        self.shared
            .metrics
            .restored_records_total
            .with_label_values(&[self.query, store])
            .inc_by(records);
        if records > 0 {
            tracing::info!(query = self.query, store, records, "store restored");
        }
    }
}
