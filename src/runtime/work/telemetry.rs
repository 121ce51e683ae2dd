//! What one stream thread's [`Work`] exports besides its commit counts, and when each series
//! ends.
//!
//! Periodic measurements ride on the group consumer's librdkafka statistics
//! (`statistics.interval.ms`, 10 s by default), which `poll` delivers on the stream thread:
//! consumer lag is the partition's end as librdkafka last saw it in a fetch response (the high
//! watermark, or the last stable offset under exactly-once, whose consumers read committed)
//! minus the group's committed offset: the one this thread last committed, or the one it was
//! assigned with. That is the group's lag as `kafka-consumer-groups` and librdkafka's own
//! `consumer_lag` count it, so the replicas' series sum to it; between commits it includes
//! records processed but not yet committed. While the group has no committed offset for the
//! partition the processed position stands in. No broker request is made for it. The same tick reads the
//! RocksDB properties of the thread's stores and the shared block cache's usage: in-memory
//! property reads, never on the per-record path.
//!
//! Every series of a partition (lag, records consumed) or of a task's store disappears when
//! the thread closes the task, so after a rebalance each partition is exported by exactly one
//! replica. Nothing here may block or fail the thread.

use rdkafka::statistics::Statistics;

use super::{ActiveTask, Work};
use crate::topology::TaskId;

/// How a rebalance event touched this thread, the `kind` label of `weir_rebalances_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebalanceKind {
    Assigned,
    Revoked,
    /// Revoked after the assignment was lost (session expiry): others may own it already.
    Lost,
}

impl RebalanceKind {
    fn label(self) -> &'static str {
        match self {
            RebalanceKind::Assigned => "assigned",
            RebalanceKind::Revoked => "revoked",
            RebalanceKind::Lost => "lost",
        }
    }
}

/// Records from the committed offset to `end`, the processed position (next offset to
/// process) standing in while nothing is committed; `None` while neither or `end` is known
/// (librdkafka and weir keep unknown offsets as negative values).
pub fn lag(end: i64, committed: i64, processed: i64) -> Option<i64> {
    let start = if committed >= 0 { committed } else { processed };
    (end >= 0 && start >= 0).then(|| (end - start).max(0))
}

impl Work {
    /// One statistics tick of the group consumer: lag of every owned input partition, then
    /// the store properties.
    pub fn record_statistics(&self, stats: &Statistics) {
        let metrics = &self.shared.metrics;
        let query = self.query.query.id.as_str();
        let read_committed = self.shared.options.exactly_once;
        for active in self.tasks.values() {
            for position in &active.positions {
                let (topic, partition) = (&position.topic, &position.partition);
                let Some(seen) = stats
                    .topics
                    .get(topic)
                    .and_then(|t| t.partitions.get(partition))
                else {
                    continue;
                };
                let end = if read_committed {
                    seen.ls_offset
                } else {
                    seen.hi_offset
                };
                if let Some(records) = lag(end, position.committed, position.next) {
                    metrics
                        .consumer_lag_records
                        .with_label_values(&[query, topic, &partition.to_string()])
                        .set(records);
                }
            }
        }
        self.report_stores();
    }

    /// Size, estimated keys and pending compaction of every store of this thread's tasks,
    /// and the shared block cache's usage.
    fn report_stores(&self) {
        let metrics = &self.shared.metrics;
        let query = self.query.query.id.as_str();
        for (id, active) in &self.tasks {
            let task = id.to_string();
            for store in active.state.stores() {
                let labels = [query, store.name(), task.as_str()];
                let set = |gauge: &prometheus::IntGaugeVec, value: u64| {
                    gauge
                        .with_label_values(&labels)
                        .set(i64::try_from(value).unwrap_or(i64::MAX));
                };
                set(&metrics.state_store_bytes, store.approximate_bytes());
                set(&metrics.state_store_estimated_keys, store.estimated_keys());
                set(
                    &metrics.state_store_pending_compaction_bytes,
                    store.pending_compaction_bytes(),
                );
            }
        }
        let usage = self.shared.budget.cache_usage();
        metrics
            .state_block_cache_usage_bytes
            .set(i64::try_from(usage).unwrap_or(i64::MAX));
    }

    pub(super) fn count_rebalance(&self, kind: RebalanceKind) {
        self.shared
            .metrics
            .rebalances_total
            .with_label_values(&[self.query.query.id.as_str(), kind.label()])
            .inc();
    }

    /// Starts the per-partition series of a task just opened (records consumed).
    pub(super) fn track(&mut self, id: TaskId) {
        let Some(active) = self.tasks.get(&id) else {
            return;
        };
        let query = self.query.query.id.as_str();
        for position in &active.positions {
            let (topic, partition) = (&position.topic, position.partition);
            if let Some(slot) = self
                .routes
                .get_mut(topic)
                .and_then(|r| r.consumed.get_mut(partition as usize))
            {
                *slot = Some(
                    self.shared
                        .metrics
                        .records_consumed_total
                        .with_label_values(&[query, topic, &partition.to_string()]),
                );
            }
        }
    }

    /// Removes every series of a task this thread no longer owns: its partitions' lag and
    /// records consumed, its stores' sizes, keys and pending compaction.
    pub(super) fn forget(&mut self, id: TaskId, active: &ActiveTask) {
        let metrics = &self.shared.metrics;
        let query = self.query.query.id.as_str();
        for position in &active.positions {
            let (topic, partition) = (&position.topic, position.partition);
            let partition_label = partition.to_string();
            let labels = [query, topic.as_str(), partition_label.as_str()];
            let _ = metrics.consumer_lag_records.remove_label_values(&labels);
            let _ = metrics.records_consumed_total.remove_label_values(&labels);
            if let Some(slot) = self
                .routes
                .get_mut(topic)
                .and_then(|r| r.consumed.get_mut(partition as usize))
            {
                *slot = None;
            }
        }
        let task = id.to_string();
        for store in active.state.stores() {
            let labels = [query, store.name(), task.as_str()];
            let _ = metrics.state_store_bytes.remove_label_values(&labels);
            let _ = metrics
                .state_store_estimated_keys
                .remove_label_values(&labels);
            let _ = metrics
                .state_store_pending_compaction_bytes
                .remove_label_values(&labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_from_the_committed_offset_else_the_processed_position() {
        // end, committed, processed
        assert_eq!(
            lag(100, 40, 60),
            Some(60),
            "processed but uncommitted records count"
        );
        assert_eq!(lag(100, -1, 40), Some(60), "nothing committed yet");
        assert_eq!(lag(100, -1, -1), None, "no position known yet");
        assert_eq!(lag(-1, 40, 60), None, "end not fetched yet");
        assert_eq!(lag(100, 100, 100), Some(0));
        // A stale end offset behind the committed offset never shows as negative lag.
        assert_eq!(lag(90, 100, 100), Some(0));
    }

    #[test]
    fn rebalance_kinds_have_their_labels() {
        let labels = [
            RebalanceKind::Assigned,
            RebalanceKind::Revoked,
            RebalanceKind::Lost,
        ]
        .map(RebalanceKind::label);
        assert_eq!(labels, ["assigned", "revoked", "lost"]);
    }
}
