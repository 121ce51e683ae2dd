//! The I/O ceiling: a raw rdkafka consumer→producer copy over the same broker and topics as a
//! workload, with no parsing and no state: what any Kafka stream processor on this machine
//! could at best reach. It runs as its own process (`weir-bench passthrough …`) so its CPU time
//! is measured the same way as weir's, from `/proc`.

use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;
use rdkafka::message::{Message, Timestamp};
use rdkafka::producer::{BaseRecord, Producer};
use serde::{Deserialize, Serialize};

use super::BenchResult;
use super::kafka;
use super::procfs;

/// What a passthrough run measured, printed as one JSON line on stdout.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PassthroughResult {
    pub records: u64,
    /// From the first record consumed to the last one delivered.
    pub wall_seconds: f64,
    /// CPU seconds of the whole passthrough process.
    pub cpu_seconds: f64,
}

/// Copies `expected` records from `inputs` (from the beginning) to `output`, partition for
/// partition, then flushes.
pub fn run(
    bootstrap: &str,
    inputs: &[&str],
    output: &str,
    expected: u64,
) -> BenchResult<PassthroughResult> {
    let consumer: BaseConsumer = kafka::client(bootstrap)
        .set("group.id", "bench-passthrough")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_uncommitted")
        .create()
        .map_err(|e| format!("passthrough consumer: {e}"))?;
    let mut list = rdkafka::TopicPartitionList::new();
    for topic in inputs {
        let metadata =
            rdkafka::consumer::Consumer::fetch_metadata(&consumer, Some(topic), kafka::OP_TIMEOUT)
                .map_err(|e| format!("metadata of {topic}: {e}"))?;
        for t in metadata.topics() {
            for p in t.partitions() {
                list.add_partition_offset(topic, p.id(), rdkafka::Offset::Beginning)
                    .map_err(|e| format!("assigning {topic}: {e}"))?;
            }
        }
    }
    rdkafka::consumer::Consumer::assign(&consumer, &list)
        .map_err(|e| format!("assigning the inputs: {e}"))?;
    let producer = kafka::bulk_producer(bootstrap)?;
    let mut records = 0u64;
    let mut started = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    while records < expected {
        if Instant::now() > deadline {
            return Err(format!(
                "passthrough copied {records} of {expected} records in 600 s"
            ));
        }
        let message = match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(format!("passthrough consume: {e}")),
            None => continue,
        };
        started.get_or_insert_with(Instant::now);
        let mut record: BaseRecord<'_, [u8], [u8]> =
            BaseRecord::to(output).partition(message.partition());
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        if let Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) = message.timestamp() {
            record = record.timestamp(t);
        }
        kafka::send_waiting(&producer, record).map_err(|e| format!("passthrough produce: {e}"))?;
        records += 1;
    }
    producer
        .flush(Duration::from_secs(120))
        .map_err(|e| format!("passthrough flush: {e}"))?;
    let wall_seconds = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    Ok(PassthroughResult {
        records,
        wall_seconds,
        cpu_seconds: procfs::cpu_seconds(std::process::id()).unwrap_or(0.0),
    })
}
