//! rdkafka helpers around a [`TestBroker`]: client configs with the broker's quirks applied
//! (short session timeout), topic creation that waits for the partitions, produce and
//! consume-N through a consumer group, transactional producers, and a tiny `block_on` for the
//! rdkafka futures. Every wait has a deadline; none is a fixed sleep.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use super::broker::{CONSUME_TIMEOUT, OP_TIMEOUT, TestBroker, pace};

/// A consumed record, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// The record's timestamp, epoch milliseconds (0 when it has none).
    pub timestamp: i64,
}

impl Received {
    /// The key as UTF-8 (lossy); `None` for a null key.
    pub fn key_str(&self) -> Option<String> {
        self.key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }

    /// The value as UTF-8 (lossy); `None` for a null value (tombstone).
    pub fn value_str(&self) -> Option<String> {
        self.value
            .as_deref()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

impl TestBroker {
    /// Base client config: only `bootstrap.servers`.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap);
        config
    }

    /// Producer config with bounded delivery time.
    pub fn producer_config(&self) -> ClientConfig {
        let mut config = self.client_config();
        config.set("message.timeout.ms", OP_TIMEOUT.as_millis().to_string());
        config
    }

    /// Consumer config for `group`: earliest offsets, no auto-commit, and the short session
    /// timeout that keeps this broker's first assignment at ~3 s (see the module docs).
    pub fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = self.client_config();
        config
            .set("group.id", group)
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "1000");
        config
    }

    /// Lag of consumer group `group` on each partition of `topic`, computed apart from the
    /// group's members: the records from the group's committed offset (the start of the log
    /// where it committed nothing) to the partition's end, visible at `isolation`. They are
    /// counted by reading them, by assignment without joining the group, so that the figure
    /// does not rest on the broker's answer for end offsets (which the patch had to correct,
    /// `the_end_offset_is_the_high_watermark_or_the_last_stable_offset` in broker_fixture.rs).
    pub fn group_lag(
        &self,
        group: &str,
        topic: &str,
        partitions: i32,
        isolation: &str,
    ) -> Vec<i64> {
        let consumer: BaseConsumer = self
            .consumer_config(group)
            .set("isolation.level", isolation)
            .set("enable.partition.eof", "true")
            .create()
            .expect("consumer");
        let mut wanted = TopicPartitionList::new();
        for partition in 0..partitions {
            wanted.add_partition(topic, partition);
        }
        let committed = consumer
            .committed_offsets(wanted, OP_TIMEOUT)
            .expect("committed offsets");
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            let from = match committed
                .find_partition(topic, partition)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(offset)) => Offset::Offset(offset),
                _ => Offset::Beginning,
            };
            assignment
                .add_partition_offset(topic, partition, from)
                .expect("offset");
        }
        consumer.assign(&assignment).expect("assign");
        let deadline = Instant::now() + OP_TIMEOUT;
        let mut lag = vec![0; partitions as usize];
        let mut ended = vec![false; partitions as usize];
        while ended.iter().any(|e| !e) {
            assert!(
                Instant::now() < deadline,
                "{topic}: partitions did not reach their end: {ended:?}"
            );
            match consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) => {
                    if let Some(count) = lag.get_mut(message.partition() as usize) {
                        *count += 1;
                    }
                }
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    if let Some(ended) = ended.get_mut(partition as usize) {
                        *ended = true;
                    }
                }
                _ => {}
            }
        }
        lag
    }

    /// A transactional producer with `init_transactions` done.
    pub fn transactional_producer(&self, transactional_id: &str) -> FutureProducer {
        let producer: FutureProducer = self
            .producer_config()
            .set("transactional.id", transactional_id)
            .create()
            .unwrap_or_else(|e| {
                panic!("cannot create transactional producer {transactional_id}: {e}")
            });
        rdkafka::producer::Producer::init_transactions(&producer, OP_TIMEOUT).unwrap_or_else(|e| {
            panic!(
                "init_transactions for {transactional_id} on {} failed: {e}",
                self.bootstrap
            )
        });
        producer
    }

    /// Creates `name` with `partitions` partitions (replication 1) and waits until metadata
    /// shows all of them.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        self.create_topic_with(name, partitions, &[]);
    }

    /// Like [`TestBroker::create_topic`], with topic configs (e.g. `cleanup.policy=compact`).
    pub fn create_topic_with(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let admin: AdminClient<DefaultClientContext> = self
            .client_config()
            .create()
            .unwrap_or_else(|e| panic!("cannot create an admin client: {e}"));
        let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        for (key, value) in configs {
            topic = topic.set(key, value);
        }
        let options = AdminOptions::new()
            .operation_timeout(Some(OP_TIMEOUT))
            .request_timeout(Some(OP_TIMEOUT));
        let results = block_on(admin.create_topics([&topic], &options))
            .unwrap_or_else(|e| panic!("CreateTopics {name} on {} failed: {e}", self.bootstrap));
        for result in results {
            if let Err((topic, code)) = result {
                panic!(
                    "creating topic {topic} on {} failed: {code}",
                    self.bootstrap
                );
            }
        }
        self.wait_for_topic(name, partitions);
    }

    /// Waits until metadata shows `name` with `partitions` partitions and no error.
    pub fn wait_for_topic(&self, name: &str, partitions: i32) {
        let probe: BaseConsumer = self
            .client_config()
            .create()
            .unwrap_or_else(|e| panic!("cannot create a metadata client: {e}"));
        let deadline = Instant::now() + OP_TIMEOUT;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            let tried = Instant::now();
            match probe.fetch_metadata(Some(name), Duration::from_secs(1)) {
                Ok(metadata) => {
                    let found = metadata.topics().iter().find(|t| t.name() == name);
                    match found {
                        Some(t)
                            if t.error().is_none()
                                && t.partitions().len() == partitions as usize =>
                        {
                            return;
                        }
                        Some(t) => {
                            last = format!(
                                "{} partitions, error {:?}",
                                t.partitions().len(),
                                t.error()
                            )
                        }
                        None => last = "topic not in metadata".into(),
                    }
                }
                Err(e) => last = e.to_string(),
            }
            pace(tried);
        }
        panic!(
            "topic {name} did not show {partitions} partitions on {} within {OP_TIMEOUT:?}; last: {last}",
            self.bootstrap
        );
    }

    /// Produces one record and waits for its delivery; returns (partition, offset).
    pub fn produce(
        &self,
        topic: &str,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> (i32, i64) {
        let producer = self.producer.get_or_init(|| {
            self.producer_config()
                .create()
                .unwrap_or_else(|e| panic!("cannot create a producer: {e}"))
        });
        deliver(producer, topic, key, value)
    }

    /// Consumes exactly `n` records of `topic` as member of `group`, then commits their
    /// offsets and leaves the group. Panics after [`CONSUME_TIMEOUT`] with what it got.
    pub fn consume(&self, topic: &str, group: &str, n: usize) -> Vec<Received> {
        consume_with(self.consumer_config(group), &[topic], n, CONSUME_TIMEOUT)
    }
}

impl TestBroker {
    /// Every record of `topic` visible at `isolation` (`read_committed` stops at the last
    /// stable offset), read by assignment without a group from the start of each partition
    /// until each reports its end. Panics after `timeout` with what it got.
    pub fn read_to_end(&self, topic: &str, isolation: &str, timeout: Duration) -> Vec<Received> {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", format!("read-to-end-{topic}"))
            .set("isolation.level", isolation)
            .set("enable.partition.eof", "true")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap_or_else(|e| panic!("cannot create a consumer for {topic}: {e}"));
        let metadata = consumer
            .fetch_metadata(Some(topic), OP_TIMEOUT)
            .unwrap_or_else(|e| panic!("no metadata for {topic}: {e}"));
        let partitions = metadata
            .topics()
            .first()
            .map_or(0, |t| t.partitions().len() as i32);
        assert!(partitions > 0, "{topic} has no partitions");
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .expect("offset");
        }
        consumer.assign(&assignment).expect("assign");
        let deadline = Instant::now() + timeout;
        let mut ended = vec![false; partitions as usize];
        let mut received = Vec::new();
        while ended.iter().any(|e| !e) {
            assert!(
                Instant::now() < deadline,
                "{topic} ({isolation}): partitions {:?} did not reach their end within \
                 {timeout:?}; {} records read",
                ended
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| !**e)
                    .map(|(p, _)| p)
                    .collect::<Vec<_>>(),
                received.len()
            );
            match consumer.poll(Duration::from_millis(200)) {
                None => {}
                Some(Ok(message)) => received.push(Received {
                    topic: message.topic().to_owned(),
                    partition: message.partition(),
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    value: message.payload().map(<[u8]>::to_vec),
                    timestamp: message.timestamp().to_millis().unwrap_or_default(),
                }),
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    if let Some(ended) = ended.get_mut(partition as usize) {
                        *ended = true;
                    }
                }
                Some(Err(_)) => {}
            }
        }
        received
    }
}

/// Sends one record with `producer` and waits for its delivery; returns (partition, offset).
pub fn deliver(
    producer: &FutureProducer,
    topic: &str,
    key: impl AsRef<[u8]>,
    value: impl AsRef<[u8]>,
) -> (i32, i64) {
    let record = FutureRecord::to(topic)
        .key(key.as_ref())
        .payload(value.as_ref());
    let delivery = producer
        .send_result(record)
        .unwrap_or_else(|(e, _)| panic!("cannot enqueue a record for {topic}: {e}"));
    match block_on(delivery) {
        Ok(Ok(delivery)) => (delivery.partition, delivery.offset),
        Ok(Err((e, _))) => panic!("delivery to {topic} failed: {e}"),
        Err(_) => panic!("delivery to {topic}: the producer went away before reporting"),
    }
}

/// Consumes exactly `n` records of `topics` with `config` (which must set `group.id`), then
/// commits their offsets and leaves the group. Panics after `timeout` with what it got.
pub fn consume_with(
    config: ClientConfig,
    topics: &[&str],
    n: usize,
    timeout: Duration,
) -> Vec<Received> {
    let group = config.get("group.id").unwrap_or("<none>").to_owned();
    let consumer: BaseConsumer = config
        .create()
        .unwrap_or_else(|e| panic!("cannot create a consumer for group {group}: {e}"));
    consumer
        .subscribe(topics)
        .unwrap_or_else(|e| panic!("cannot subscribe group {group} to {topics:?}: {e}"));
    let deadline = Instant::now() + timeout;
    let mut received = Vec::with_capacity(n);
    let mut last_error = None;
    while received.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!(
                "got {} of {n} records from {topics:?} (group {group}) within {timeout:?}; \
                 assignment: {:?}; last error: {last_error:?}; received: {received:#?}",
                received.len(),
                consumer.assignment().map(|a| a.elements().len()),
            );
        }
        match consumer.poll(left.min(Duration::from_millis(500))) {
            None => {}
            Some(Ok(message)) => received.push(Received {
                topic: message.topic().to_owned(),
                partition: message.partition(),
                offset: message.offset(),
                key: message.key().map(<[u8]>::to_vec),
                value: message.payload().map(<[u8]>::to_vec),
                timestamp: message.timestamp().to_millis().unwrap_or_default(),
            }),
            // Transient errors (e.g. a topic still propagating) are kept for the report.
            Some(Err(e)) => last_error = Some(e.to_string()),
        }
    }
    if n > 0 {
        consumer
            .commit_consumer_state(CommitMode::Sync)
            .unwrap_or_else(|e| panic!("group {group} could not commit its offsets: {e}"));
    }
    received
}

/// Runs a future to completion on the current thread. The rdkafka futures used here
/// (admin results, delivery reports) are completed by librdkafka's own threads and need no
/// async runtime, and this works inside `#[tokio::test]` too (no nested runtime).
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
