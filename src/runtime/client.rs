//! Kafka client settings: the user's pass-through properties (`[kafka]`, `[kafka.consumer]`,
//! `[kafka.producer]`) overlaid with the few that weir owns because its guarantees depend on
//! them (group id, static group membership, manual commits, isolation level, transactional id,
//! Java-compatible partitioning). Built once per client; nothing here talks to a broker.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;

/// What every client of a query's stream thread needs to know to configure itself.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The user's properties: common ones, then consumer and producer overrides.
    pub common: BTreeMap<String, String>,
    pub consumer: BTreeMap<String, String>,
    pub producer: BTreeMap<String, String>,
    /// `earliest` or `latest`.
    pub auto_offset_reset: &'static str,
    pub exactly_once: bool,
    /// Whether group consumers are static members (`group.instance.id`, KIP-345).
    pub static_membership: bool,
}

/// librdkafka defaults weir lowers so that many clients in one process stay small: a group
/// consumer prefetches at most 4 MiB (librdkafka's default is 64 MiB and 100 000 records per
/// partition), a producer queues at most 16 MiB before `produce` waits (default 1 GiB). Kafka
/// Streams buffers about as little (`buffered.records.per.partition` = 1000). A consumer whose
/// prefetch is full asks again after 10 ms, not librdkafka's 1 s, which would otherwise stall
/// every partition that fills its queue. Statistics every 10 s feed the lag and store metrics
/// (`runtime::work::telemetry`). The user's `[kafka]` properties override them.
const CONSUMER_DEFAULTS: [(&str, &str); 4] = [
    ("queued.max.messages.kbytes", "4096"),
    ("queued.min.messages", "10000"),
    ("fetch.queue.backoff.ms", "10"),
    ("statistics.interval.ms", "10000"),
];
/// Restores read a whole changelog as fast as the store takes it: librdkafka's prefetch, but
/// no 1 s pause whenever it is full.
const RESTORE_DEFAULTS: [(&str, &str); 1] = [("fetch.queue.backoff.ms", "10")];
const PRODUCER_DEFAULTS: [(&str, &str); 1] = [("queue.buffering.max.kbytes", "16384")];

impl ClientSettings {
    fn base(
        &self,
        defaults: &[(&str, &str)],
        overrides: &BTreeMap<String, String>,
    ) -> ClientConfig {
        let mut config = ClientConfig::new();
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in self.common.iter().chain(overrides) {
            config.set(key, value);
        }
        config
    }

    /// The group consumer of one stream thread of a query: manual commits, range assignment
    /// (co-partitioned join inputs land on one member), `read_committed` under exactly-once.
    ///
    /// With static membership its `group.instance.id` is its `client_id`, which is stable for
    /// a replica restarted on the same state directory (the replica id is kept there) and
    /// unique in the group (one per replica and stream thread). The broker then keeps the
    /// member's partitions for it while it is gone, up to `session.timeout.ms`, and gives them
    /// back to the restarted consumer without a rebalance.
    pub fn group_consumer(&self, group_id: &str, client_id: &str) -> ClientConfig {
        let mut config = self.base(&CONSUMER_DEFAULTS, &self.consumer);
        config
            .set("group.id", group_id)
            .set("client.id", client_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", self.auto_offset_reset)
            .set("partition.assignment.strategy", "range")
            .set(
                "isolation.level",
                if self.exactly_once {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            );
        if self.static_membership {
            config.set("group.instance.id", client_id);
        }
        config
    }

    /// The consumer that reads changelog partitions back into stores: assigned by hand, never
    /// in a group, stopping at each partition's end.
    pub fn restore_consumer(&self, client_id: &str) -> ClientConfig {
        let mut config = self.base(&RESTORE_DEFAULTS, &self.consumer);
        config
            .set("group.id", format!("{client_id}-restore"))
            .set("client.id", format!("{client_id}-restore"))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "earliest")
            // Nothing reads a restore consumer's statistics.
            .set("statistics.interval.ms", "0")
            .set(
                "isolation.level",
                if self.exactly_once {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            );
        config
    }

    /// The producer of one stream thread: idempotent, murmur2 partitioning as Kafka's Java
    /// clients (so keys land where ksqlDB would put them), transactional under exactly-once.
    pub fn producer(&self, client_id: &str, transactional_id: Option<&str>) -> ClientConfig {
        let mut config = self.base(&PRODUCER_DEFAULTS, &self.producer);
        config
            .set("client.id", client_id)
            .set("enable.idempotence", "true")
            .set("partitioner", "murmur2_random");
        if let Some(id) = transactional_id {
            config.set("transactional.id", id).set(
                "transaction.timeout.ms",
                TRANSACTION_TIMEOUT.as_millis().to_string(),
            );
        }
        config
    }

    /// The admin client that creates and checks topics at startup.
    pub fn admin(&self) -> ClientConfig {
        self.base(&[], &BTreeMap::new())
    }
}

/// Kafka Streams' exactly-once default: a replica that dies mid-transaction blocks
/// `read_committed` readers of its partitions for at most this long.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(10);
