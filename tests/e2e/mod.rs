//! Helpers for end-to-end tests of `weir run` against the test broker: a workspace whose
//! config points at the broker (short session timeout, one stream thread, JSON logs, an
//! ephemeral HTTP port), the same queries run through the in-memory driver for the expected
//! output, and readers that wait for a topic to hold what a test needs.
#![allow(dead_code)]

pub mod replicas;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

use crate::harness::{Daemon, Workspace, http_get};
use crate::support::TestBroker;
use weir::driver::Driver;

/// A `weir.toml` for `broker`, with `extra` lines appended at the top level.
pub fn config(broker: &TestBroker, state_dir: &str, extra: &str) -> String {
    format!(
        r#"queries = "app.sql"
state_dir = "{state_dir}"
threads = 1
shutdown_timeout = "20s"
commit_interval = "200ms"
{extra}
[kafka]
"bootstrap.servers" = "{bootstrap}"
[kafka.consumer]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "1000"
[http]
listen = "127.0.0.1:0"
[log]
format = "json"
"#,
        bootstrap = broker.bootstrap()
    )
}

/// Starts `weir run` in `workspace` and waits until every query runs with its tasks.
pub fn start(workspace: &Workspace) -> (Daemon, std::net::SocketAddr) {
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    let addr = daemon.http_addr();
    wait_ready(addr, Duration::from_secs(60));
    (daemon, addr)
}

/// Waits for `/readyz` to answer 200.
pub fn wait_ready(addr: std::net::SocketAddr, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let (code, body) = http_get(addr, "/readyz");
        if code == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not ready within {timeout:?}: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One metric's value from `/metrics` (the sum over series whose labels contain `labels`).
pub fn metric(addr: std::net::SocketAddr, name: &str, labels: &str) -> f64 {
    let (_, body) = http_get(addr, "/metrics");
    body.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter(|l| l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// An input record: topic, key, value, timestamp.
#[derive(Clone, Debug)]
pub struct Input {
    pub topic: String,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub timestamp: i64,
}

/// (key, value) pairs, as bytes.
pub type Output = Vec<(Option<Vec<u8>>, Option<Vec<u8>>)>;

/// What the in-memory driver writes to `sink` when `queries` runs over `inputs` (each input
/// topic with `partitions` partitions).
pub fn driver_output(queries: &str, inputs: &[Input], partitions: i32, sink: &str) -> Output {
    let planned = weir::plan::plan_file(queries, "weir").expect("queries plan");
    let mut driver = Driver::new();
    for input in inputs {
        driver.create_topic(&input.topic, partitions);
    }
    // Declared topics as `weir run` creates them: with their PARTITIONS.
    for source in planned.catalog.sources.values() {
        if source.written_by.is_none() {
            let count = source.partitions.map_or(partitions, |p| p as i32);
            driver.create_topic(&source.topic, count);
        }
    }
    for query in &planned.queries {
        let topology = weir::ops::build(query).expect("query builds");
        driver
            .register(&query.id, Arc::new(topology))
            .expect("query registers");
    }
    for input in inputs {
        driver
            .pipe(
                &input.topic,
                Some(&input.key),
                input.value.as_deref(),
                Some(input.timestamp),
                &[],
            )
            .expect("driver runs the record");
    }
    driver
        .output(sink)
        .into_iter()
        .map(|r| (r.key.clone(), r.value.clone()))
        .collect()
}

/// Produces `inputs` with Kafka's default partitioning of keys, waiting for each delivery.
pub fn produce_all(broker: &TestBroker, inputs: &[Input]) {
    produce_all_to(broker.bootstrap(), inputs);
}

/// [`produce_all`] from another thread (the broker handle stays with the test).
pub fn produce_all_to(bootstrap: &str, inputs: &[Input]) {
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    let producer: ThreadedProducer<DefaultProducerContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("partitioner", "murmur2_random")
        .create()
        .expect("producer");
    for input in inputs {
        let mut record = BaseRecord::to(&input.topic)
            .key(&input.key)
            .timestamp(input.timestamp);
        if let Some(value) = &input.value {
            record = record.payload(value);
        }
        producer.send(record).map_err(|(e, _)| e).expect("enqueue");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// Reads `topic` from the beginning (no group) until `done` holds for what was read, or
/// panics after `timeout` with what it saw. `read_committed` for exactly-once checks.
pub fn read_until(
    broker: &TestBroker,
    topic: &str,
    read_committed: bool,
    timeout: Duration,
    done: impl Fn(&Output) -> bool,
) -> Output {
    let consumer: BaseConsumer = broker
        .client_config()
        .set("group.id", format!("reader-{topic}-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .expect("reader");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata
        .topics()
        .first()
        .map_or(0, |t| t.partitions().len());
    let mut assignment = rdkafka::TopicPartitionList::new();
    for p in 0..partitions as i32 {
        assignment
            .add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&assignment).expect("assign");
    let deadline = Instant::now() + timeout;
    let mut got: Output = Vec::new();
    loop {
        if done(&got) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{topic}: condition not met within {timeout:?}; read {} records, the last 30: {:?}",
            got.len(),
            got[got.len().saturating_sub(30)..]
                .iter()
                .map(|(k, v)| (show(k), show(v)))
                .collect::<Vec<_>>()
        );
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            got.push((
                message.key().map(<[u8]>::to_vec),
                message.payload().map(<[u8]>::to_vec),
            ));
        }
    }
}

pub fn show(bytes: &Option<Vec<u8>>) -> String {
    bytes
        .as_deref()
        .map_or("<null>".into(), |b| String::from_utf8_lossy(b).into_owned())
}

/// Records as a sorted multiset, for comparisons that ignore the order across partitions.
pub fn sorted(records: &Output) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = records
        .iter()
        .map(|(k, v)| (format!("{k:?}"), show(v)))
        .collect();
    all.sort();
    all
}

/// The last value per key (a table's final state), tombstones removing the key.
pub fn final_table(records: &Output) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut table = BTreeMap::new();
    for (key, value) in records {
        let key = key.clone().unwrap_or_default();
        match value {
            Some(v) => {
                table.insert(key, v.clone());
            }
            None => {
                table.remove(&key);
            }
        }
    }
    table
}
