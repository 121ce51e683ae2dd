//! The rdkafka plumbing of the harness: client configs, topic creation, bulk produce with
//! delivery waits, topic record counts and byte sizes, and a tiny `block_on` for admin futures
//! (completed by librdkafka's own threads, so no async runtime is needed).

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

use super::BenchResult;
use super::generator::Event;

/// Bound on metadata and admin operations.
pub const OP_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs a future to completion on this thread.
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

/// A client config for `bootstrap`.
pub fn client(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    config
}

/// Creates `topics` with `partitions` partitions each (existing ones are kept).
pub fn create_topics(bootstrap: &str, topics: &[&str], partitions: i32) -> BenchResult<()> {
    create_topics_with(bootstrap, topics, partitions, &[])
}

/// [`create_topics`] with topic configs.
pub fn create_topics_with(
    bootstrap: &str,
    topics: &[&str],
    partitions: i32,
    config: &[(&str, &str)],
) -> BenchResult<()> {
    let admin: AdminClient<DefaultClientContext> = client(bootstrap)
        .create()
        .map_err(|e| format!("admin client: {e}"))?;
    let new: Vec<NewTopic> = topics
        .iter()
        .map(|t| {
            config.iter().fold(
                NewTopic::new(t, partitions, TopicReplication::Fixed(1)),
                |topic, (name, value)| topic.set(name, value),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(OP_TIMEOUT));
    let results = block_on(admin.create_topics(&new, &options))
        .map_err(|e| format!("CreateTopics on {bootstrap}: {e}"))?;
    for result in results {
        if let Err((topic, code)) = result
            && code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists
        {
            return Err(format!("creating topic {topic}: {code}"));
        }
    }
    Ok(())
}

/// A fast bulk producer (batches of up to 1 MB, 5 ms linger, murmur2 key partitioning like
/// Kafka's Java clients, so keys land where weir's co-partitioning expects them).
/// Sends `record`, waiting while the producer's queue is full (its background thread drains it).
pub fn send_waiting(
    producer: &ThreadedProducer<DefaultProducerContext>,
    mut record: BaseRecord<'_, [u8], [u8]>,
) -> Result<(), rdkafka::error::KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((
                rdkafka::error::KafkaError::MessageProduction(
                    rdkafka::types::RDKafkaErrorCode::QueueFull,
                ),
                back,
            )) => {
                record = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

pub fn bulk_producer(bootstrap: &str) -> BenchResult<ThreadedProducer<DefaultProducerContext>> {
    client(bootstrap)
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .map_err(|e| format!("producer: {e}"))
}

/// Produces `events` and waits until every one is delivered.
pub fn produce_all(bootstrap: &str, events: &[Event]) -> BenchResult<()> {
    let producer = bulk_producer(bootstrap)?;
    for event in events {
        let record = BaseRecord::to(event.topic)
            .key(event.key.as_slice())
            .payload(event.value.as_slice())
            .timestamp(event.timestamp);
        send_waiting(&producer, record)
            .map_err(|e| format!("producing to {}: {e}", event.topic))?;
    }
    producer
        .flush(Duration::from_secs(300))
        .map_err(|e| format!("flushing the produced records: {e}"))?;
    Ok(())
}

/// Records in `topic` (sum of high watermarks minus low watermarks), 0 when it does not exist.
pub fn count(bootstrap: &str, topic: &str) -> BenchResult<u64> {
    let consumer: BaseConsumer = client(bootstrap)
        .create()
        .map_err(|e| format!("metadata client: {e}"))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), OP_TIMEOUT)
        .map_err(|e| format!("metadata of {topic}: {e}"))?;
    let mut total = 0;
    for t in metadata.topics() {
        for p in t.partitions() {
            if let Ok((low, high)) = consumer.fetch_watermarks(topic, p.id(), OP_TIMEOUT) {
                total += (high - low).max(0) as u64;
            }
        }
    }
    Ok(total)
}

/// Every topic name on the broker.
pub fn topic_names(bootstrap: &str) -> BenchResult<Vec<String>> {
    let consumer: BaseConsumer = client(bootstrap)
        .create()
        .map_err(|e| format!("metadata client: {e}"))?;
    let metadata = consumer
        .fetch_metadata(None, OP_TIMEOUT)
        .map_err(|e| format!("metadata: {e}"))?;
    Ok(metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .collect())
}

/// (records, key + value bytes) of `topic`, read from the beginning of every partition.
pub fn size(bootstrap: &str, topic: &str, timeout: Duration) -> BenchResult<(u64, u64)> {
    let expected = count(bootstrap, topic)?;
    let consumer: BaseConsumer = client(bootstrap)
        .set("group.id", format!("bench-size-{topic}"))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("isolation.level", "read_uncommitted")
        .create()
        .map_err(|e| format!("consumer: {e}"))?;
    assign_all(&consumer, bootstrap, topic, rdkafka::Offset::Beginning)?;
    let deadline = Instant::now() + timeout;
    let (mut records, mut bytes) = (0u64, 0u64);
    while records < expected && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                records += 1;
                bytes +=
                    (m.key().map_or(0, <[u8]>::len) + m.payload().map_or(0, <[u8]>::len)) as u64;
            }
            Some(Err(e)) => return Err(format!("reading {topic}: {e}")),
            None => {}
        }
    }
    Ok((records, bytes))
}

/// Assigns every partition of `topic` to `consumer` at `offset`.
pub fn assign_all(
    consumer: &BaseConsumer,
    bootstrap: &str,
    topic: &str,
    offset: rdkafka::Offset,
) -> BenchResult<()> {
    let metadata = consumer
        .fetch_metadata(Some(topic), OP_TIMEOUT)
        .map_err(|e| format!("metadata of {topic} on {bootstrap}: {e}"))?;
    let mut list = rdkafka::TopicPartitionList::new();
    for t in metadata.topics() {
        for p in t.partitions() {
            list.add_partition_offset(topic, p.id(), offset)
                .map_err(|e| format!("assigning {topic}: {e}"))?;
        }
    }
    consumer
        .assign(&list)
        .map_err(|e| format!("assigning {topic}: {e}"))
}
