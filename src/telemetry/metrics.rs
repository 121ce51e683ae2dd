//! Every metric weir exports, by name, in one place. Labels are bounded: query id, topic,
//! partition, error kind, state; never a record key or value.
//!
//! Names follow Prometheus conventions: a `weir_` prefix, base units, `_total` on counters.
//! Series of a partition, task or store exist only on the replica that owns it: the runtime
//! removes them when it gives the partition up or closes the task, so summing a series over
//! replicas never counts a partition twice. README's metrics section documents each one.

use prometheus::core::Collector;
use prometheus::{
    Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};

/// The registry and every metric in it. Cheap to clone (metrics are shared handles).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Always 1; labels carry the version.
    pub build_info: GaugeVec,
    /// Seconds since the Unix epoch at which the process started.
    pub start_time_seconds: Gauge,
    /// 1 for the state each query is in, 0 for the others.
    pub query_state: IntGaugeVec,
    /// Records read from input topics, by query, topic and partition.
    pub records_consumed_total: IntCounterVec,
    /// Records written to sink topics, by query and topic.
    pub records_produced_total: IntCounterVec,
    /// Records that failed and were sent to the processing log, by query and error kind.
    pub processing_errors_total: IntCounterVec,
    /// Stream tasks this replica owns, by query.
    pub tasks_assigned: IntGaugeVec,
    /// Rebalance events, by query and kind (`assigned`, `revoked`, `lost`).
    pub rebalances_total: IntCounterVec,
    /// Transactions aborted (exactly-once), by query.
    pub transactions_aborted_total: IntCounterVec,
    /// Records dropped by windowed aggregations for arriving after their window closed.
    pub late_records_dropped_total: IntCounterVec,
    /// Offset (or transaction) commits, by query.
    pub commits_total: IntCounterVec,
    /// Commit latency, by query.
    pub commit_latency_seconds: HistogramVec,
    /// Records between the processed (or committed) position of each owned input partition
    /// and its end (last stable offset under exactly-once), by query, topic and partition.
    pub consumer_lag_records: IntGaugeVec,
    /// Changelog records restored into state stores, by query and store.
    pub restored_records_total: IntCounterVec,
    /// Changelog records still to restore, by query and store.
    pub restore_remaining_records: IntGaugeVec,
    /// Standby tasks this replica keeps (`standby_replicas`), by query.
    pub standby_tasks: IntGaugeVec,
    /// Changelog records applied to standby tasks, by query.
    pub standby_records_applied_total: IntCounterVec,
    /// Approximate bytes of each local state store, by query, store and task.
    pub state_store_bytes: IntGaugeVec,
    /// RocksDB's `rocksdb.estimate-num-keys` of each store, by query, store and task.
    pub state_store_estimated_keys: IntGaugeVec,
    /// RocksDB's `rocksdb.estimate-pending-compaction-bytes`, by query, store and task.
    pub state_store_pending_compaction_bytes: IntGaugeVec,
    /// Bytes in the block cache every store of the process shares (`rocksdb.block-cache-usage`).
    pub state_block_cache_usage_bytes: IntGauge,
    /// Record timestamp to output append, by query.
    pub end_to_end_latency_seconds: HistogramVec,
    /// Queries in the locked file.
    pub queries: IntGauge,
}

impl Metrics {
    /// Creates the registry with every weir metric and the process collector (RSS, CPU
    /// seconds, open file descriptors) registered.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let build_info = GaugeVec::new(
            Opts::new("weir_build_info", "Build information; always 1."),
            &["version"],
        )
        .expect("valid metric");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1.0);
        let start_time_seconds = Gauge::new(
            "weir_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.",
        )
        .expect("valid metric");
        if let Ok(since_epoch) = std::time::UNIX_EPOCH.elapsed() {
            start_time_seconds.set(since_epoch.as_secs_f64());
        }
        let int_gauge = |name: &str, help: &str, labels: &[&str]| {
            IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
        };
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
        };
        let latency = |name: &str, help: &str| {
            let buckets = prometheus::exponential_buckets(0.0005, 2.0, 16).expect("valid buckets");
            HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), &["query"])
                .expect("valid metric")
        };
        let metrics = Metrics {
            build_info,
            start_time_seconds,
            query_state: int_gauge(
                "weir_query_state",
                "1 for the state each query is in, 0 for the others.",
                &["query", "state"],
            ),
            records_consumed_total: counter(
                "weir_records_consumed_total",
                "Records read from input topics.",
                &["query", "topic", "partition"],
            ),
            records_produced_total: counter(
                "weir_records_produced_total",
                "Records written to sink topics.",
                &["query", "topic"],
            ),
            processing_errors_total: counter(
                "weir_processing_errors_total",
                "Records that failed and went to the processing log.",
                &["query", "kind"],
            ),
            tasks_assigned: int_gauge(
                "weir_tasks_assigned",
                "Stream tasks this replica owns.",
                &["query"],
            ),
            rebalances_total: counter(
                "weir_rebalances_total",
                "Consumer-group rebalance events by kind: assigned, revoked or lost.",
                &["query", "kind"],
            ),
            transactions_aborted_total: counter(
                "weir_transactions_aborted_total",
                "Transactions aborted (exactly-once): after a failure or a lost assignment.",
                &["query"],
            ),
            late_records_dropped_total: counter(
                "weir_late_records_dropped_total",
                "Records dropped by windowed aggregations because their window had closed.",
                &["query"],
            ),
            commits_total: counter(
                "weir_commits_total",
                "Offset or transaction commits.",
                &["query"],
            ),
            commit_latency_seconds: latency(
                "weir_commit_latency_seconds",
                "Time to commit offsets or a transaction.",
            ),
            consumer_lag_records: int_gauge(
                "weir_consumer_lag_records",
                "Records between the group's committed offset of an owned input partition and its end.",
                &["query", "topic", "partition"],
            ),
            restored_records_total: counter(
                "weir_restored_records_total",
                "Changelog records restored into state stores.",
                &["query", "store"],
            ),
            restore_remaining_records: int_gauge(
                "weir_restore_remaining_records",
                "Changelog records still to restore.",
                &["query", "store"],
            ),
            standby_tasks: int_gauge(
                "weir_standby_tasks",
                "Standby tasks this replica keeps up to date from their changelogs.",
                &["query"],
            ),
            standby_records_applied_total: counter(
                "weir_standby_records_applied_total",
                "Changelog records applied to standby tasks.",
                &["query"],
            ),
            state_store_bytes: int_gauge(
                "weir_state_store_bytes",
                "Approximate size of a local state store (SST files and memtables).",
                &["query", "store", "task"],
            ),
            state_store_estimated_keys: int_gauge(
                "weir_state_store_estimated_keys",
                "RocksDB's estimate of the keys in a local state store.",
                &["query", "store", "task"],
            ),
            state_store_pending_compaction_bytes: int_gauge(
                "weir_state_store_pending_compaction_bytes",
                "RocksDB's estimate of the bytes compaction has still to rewrite in a store.",
                &["query", "store", "task"],
            ),
            state_block_cache_usage_bytes: IntGauge::new(
                "weir_state_block_cache_usage_bytes",
                "Bytes in the RocksDB block cache all stores share (with charged memtables).",
            )
            .expect("valid metric"),
            end_to_end_latency_seconds: latency(
                "weir_end_to_end_latency_seconds",
                "From an input record's timestamp to its output's append.",
            ),
            queries: IntGauge::new("weir_queries", "Queries in the locked queries file.")
                .expect("valid metric"),
            registry,
        };
        metrics.register_all();
        metrics
    }

    fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.build_info.clone()),
            Box::new(self.start_time_seconds.clone()),
            Box::new(self.query_state.clone()),
            Box::new(self.records_consumed_total.clone()),
            Box::new(self.records_produced_total.clone()),
            Box::new(self.processing_errors_total.clone()),
            Box::new(self.tasks_assigned.clone()),
            Box::new(self.rebalances_total.clone()),
            Box::new(self.transactions_aborted_total.clone()),
            Box::new(self.late_records_dropped_total.clone()),
            Box::new(self.commits_total.clone()),
            Box::new(self.commit_latency_seconds.clone()),
            Box::new(self.consumer_lag_records.clone()),
            Box::new(self.restored_records_total.clone()),
            Box::new(self.restore_remaining_records.clone()),
            Box::new(self.standby_tasks.clone()),
            Box::new(self.standby_records_applied_total.clone()),
            Box::new(self.state_store_bytes.clone()),
            Box::new(self.state_store_estimated_keys.clone()),
            Box::new(self.state_store_pending_compaction_bytes.clone()),
            Box::new(self.state_block_cache_usage_bytes.clone()),
            Box::new(self.end_to_end_latency_seconds.clone()),
            Box::new(self.queries.clone()),
            Box::new(prometheus::process_collector::ProcessCollector::for_self()),
        ]
    }

    fn register_all(&self) {
        for collector in self.collectors() {
            self.registry
                .register(collector)
                .expect("metric names are unique");
        }
    }

    /// The name of every metric family weir can export, the process collector's included
    /// (a vector appears in [`Metrics::render`] only once it has a series; this lists it
    /// regardless). Histograms are named without their `_bucket`/`_sum`/`_count` suffixes.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .collectors()
            .iter()
            .flat_map(|c| c.desc().into_iter().map(|d| d.fq_name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let families = self.registry.gather();
        prometheus::TextEncoder::new()
            .encode_to_string(&families)
            .unwrap_or_else(|error| format!("# metrics could not be encoded: {error}\n"))
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_build_info_and_process_metrics() {
        let metrics = Metrics::new();
        metrics.queries.set(3);
        let text = metrics.render();
        assert!(text.contains("weir_build_info{version=\""), "{text}");
        assert!(text.contains("weir_queries 3"), "{text}");
        assert!(text.contains("process_resident_memory_bytes"), "{text}");
        assert!(text.contains("process_cpu_seconds_total"), "{text}");
        assert!(text.contains("process_open_fds"), "{text}");
    }

    #[test]
    fn names_list_every_family_with_or_without_series() {
        let names = Metrics::new().names();
        for name in [
            "weir_consumer_lag_records",
            "weir_late_records_dropped_total",
            "weir_transactions_aborted_total",
            "weir_commit_latency_seconds",
            "process_resident_memory_bytes",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
        }
    }
}
