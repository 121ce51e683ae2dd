//! weir's configuration: one strict, documented struct, loaded in layers
//! (built-in defaults < config file < `WEIR_` environment variables < command-line flags).
//!
//! Loading ([`load`]) merges the layers with figment; reading ([`read`]) then walks the merged
//! tree key by key so that *every* mistake in it (unknown keys, wrong types, bad durations or
//! addresses, a missing queries file) is reported in one run, each naming its key path, the
//! value, where the value came from and what was expected. The config is passed explicitly to
//! whoever needs it; there is no global.

mod errors;
mod load;
mod read;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use errors::{ConfigError, ConfigErrors};
pub use load::{ConfigSources, FlagOverrides, load};

/// The whole configuration of one weir process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Names the cluster of replicas that share work; part of every consumer group id and
    /// internal topic name (`_weir-<service_id>-<query_id>`). Default `weir`.
    pub service_id: String,
    /// The locked `.sql` queries file. Required; relative paths in a config file resolve
    /// against the file's folder.
    pub queries: PathBuf,
    /// Where local state stores and checkpoints live. Default `/var/lib/weir`.
    pub state_dir: PathBuf,
    /// Stream threads that run processors. Default: the number of cores.
    pub threads: usize,
    /// `at_least_once` (default) or `exactly_once_v2`.
    pub processing_guarantee: ProcessingGuarantee,
    /// How often offsets (and transactions) commit. Default [`DEFAULT_COMMIT_INTERVAL`].
    pub commit_interval: Duration,
    /// How long a graceful stop may take before weir exits anyway. Default 30s.
    pub shutdown_timeout: Duration,
    /// How long startup may wait for the Kafka cluster. Default 60s.
    pub startup_timeout: Duration,
    /// Where a query starts when its consumer group has no committed offset. Default `earliest`.
    pub auto_offset_reset: OffsetReset,
    /// Whether each stream thread's group consumer is a static member of its group (Kafka's
    /// `group.instance.id`, KIP-345), so that a replica restarted within `session.timeout.ms`
    /// gets its own partitions back without a rebalance. Default false.
    pub static_membership: bool,
    /// How many other replicas keep a standby copy of each stateful task, following its
    /// changelog, so that a task failing over to one of them restores only the changelog tail
    /// (Kafka Streams' `num.standby.replicas`). Default 0.
    pub standby_replicas: usize,
    /// librdkafka client properties, passed through verbatim.
    pub kafka: KafkaProperties,
    /// The HTTP endpoint for metrics, health and info.
    pub http: HttpConfig,
    /// Log format and filter.
    pub log: LogConfig,
    /// What happens to records that fail, and to queries that fail.
    pub errors: ErrorPolicies,
    /// Local state stores: memory budget and cleanup.
    pub state: StateConfig,
    /// The Schema Registry of AVRO topics (`[schema_registry]`); `None` when no URL is set.
    pub schema_registry: Option<crate::registry::RegistrySettings>,
}

/// The `[state]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateConfig {
    /// RocksDB block cache shared by every store of the process. Default 64 MiB.
    pub block_cache_bytes: usize,
    /// RocksDB memtables of every store together (charged to the cache). Default 32 MiB.
    pub write_buffer_bytes: usize,
    /// `cache_max_bytes_buffering`: the record cache of each query on this replica, divided
    /// evenly among its stream threads (ksqlDB's `cache.max.bytes.buffering`). Aggregates
    /// coalesce updates of a key in it until a commit or eviction; 0 emits every update.
    /// Default 10 MB, ksqlDB's.
    pub record_cache_bytes: usize,
    /// How long state of tasks this replica no longer owns stays on disk (a task that comes
    /// back within it restores only the changelog tail). Default 10 minutes.
    pub cleanup_delay: Duration,
}

/// Delivery guarantee of every query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessingGuarantee {
    /// Flush the producer, then commit offsets: nothing lost, duplicates possible after a crash.
    AtLeastOnce,
    /// Outputs, changelog writes and input offsets commit in one Kafka transaction.
    ExactlyOnceV2,
}

/// Where to start reading when a consumer group has no committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
}

/// librdkafka properties: `common` apply to every client, `consumer` and `producer` override
/// them for that kind of client. Keys and values are passed to librdkafka unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KafkaProperties {
    pub common: BTreeMap<String, String>,
    pub consumer: BTreeMap<String, String>,
    pub producer: BTreeMap<String, String>,
}

impl KafkaProperties {
    /// The properties a consumer gets: common ones overridden by consumer ones.
    pub fn for_consumer(&self) -> BTreeMap<String, String> {
        let mut merged = self.common.clone();
        merged.extend(self.consumer.clone());
        merged
    }

    /// The properties a producer gets: common ones overridden by producer ones.
    pub fn for_producer(&self) -> BTreeMap<String, String> {
        let mut merged = self.common.clone();
        merged.extend(self.producer.clone());
        merged
    }
}

/// The HTTP listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Address to listen on; `None` when configured as `off`. Default `127.0.0.1:9464`.
    pub listen: Option<SocketAddr>,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `auto` (default: pretty on a terminal, JSON otherwise), `pretty` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info,weir=debug`; `RUST_LOG` overrides it. Default `info`.
    pub filter: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Auto,
    Pretty,
    Json,
}

/// Error policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPolicies {
    /// Records whose key or value cannot be deserialized. Default `log_and_continue`.
    pub on_deserialization: RecordErrorPolicy,
    /// Records whose expressions fail to evaluate. Default `log_and_continue`.
    pub on_processing: RecordErrorPolicy,
    /// The processing-log topic. Default `<service_id>_processing_log`.
    pub processing_log_topic: String,
    /// First delay before a failed query is restarted. Default 1s.
    pub restart_backoff_initial: Duration,
    /// Longest delay between restarts of a failed query. Default 60s.
    pub restart_backoff_max: Duration,
}

/// What to do with a record that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordErrorPolicy {
    /// Write it to the processing log, count it, skip it.
    LogAndContinue,
    /// Stop the query with an error.
    Fail,
}

/// The commit interval used when none is configured, under either guarantee: 2 s, as in
/// ksqlDB, which sets Kafka Streams' `commit.interval.ms` to 2000 itself, so its exactly-once
/// queries do not get Kafka Streams' 100 ms either. Under exactly-once it is also how long
/// outputs wait before `read_committed` consumers see them; set it lower for lower latency at
/// the cost of more transactions (on the benchmark's broker one takes ~100 ms).
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_secs(2);
