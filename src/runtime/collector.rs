//! The producing edge of a stream thread: [`DeliveryTracker`] (the producer's context) notes
//! the first delivery failure and the highest offset written to each changelog partition (what
//! a checkpoint records), and [`KafkaCollector`] is the [`RecordCollector`] tasks write into.
//! It hands each record to librdkafka's queue and returns; when the queue is full it serves
//! delivery reports until there is room, which is the backpressure from a slow broker.
//!
//! Keys are partitioned like Kafka's Java clients (murmur2); a windowed key is partitioned by
//! its unwindowed prefix, computed here because librdkafka only hashes whole keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use prometheus::{Histogram, IntCounter};
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header as KafkaHeader, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, ProducerContext};

use crate::topology::partitioner::partition_for;
use crate::topology::{OutgoingRecord, RecordCollector};

/// What the producer's delivery reports have told us since the thread started.
#[derive(Debug, Default)]
pub struct Deliveries {
    /// The first failed delivery, which fails the query (nothing may be lost silently).
    pub failure: Option<String>,
    /// Highest offset acknowledged per (topic, partition), for changelog checkpoints.
    pub offsets: HashMap<(String, i32), i64>,
}

/// The producer's context: collects [`Deliveries`].
#[derive(Default)]
pub struct DeliveryTracker {
    pub deliveries: Mutex<Deliveries>,
}

impl ClientContext for DeliveryTracker {}

impl ProducerContext for DeliveryTracker {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let Ok(mut deliveries) = self.deliveries.lock() else {
            return;
        };
        match result {
            Ok(message) => {
                let key = (message.topic().to_owned(), message.partition());
                let offset = deliveries.offsets.entry(key).or_insert(-1);
                *offset = (*offset).max(message.offset());
            }
            Err((error, message)) => {
                if deliveries.failure.is_none() {
                    deliveries.failure = Some(format!(
                        "producing to {} partition {} failed: {error}",
                        message.topic(),
                        message.partition()
                    ));
                }
            }
        }
    }
}

pub type ThreadProducer = BaseProducer<DeliveryTracker>;

/// Sends one record, waiting for queue space when librdkafka's buffer is full.
pub fn produce(
    producer: &ThreadProducer,
    mut record: BaseRecord<'_, [u8], [u8], ()>,
) -> Result<(), String> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                producer.poll(Duration::from_millis(10));
            }
            Err((error, back)) => {
                return Err(format!("cannot produce to {}: {error}", back.topic));
            }
        }
    }
}

/// The sink side of the tasks of one stream thread.
pub struct KafkaCollector<'a> {
    pub producer: &'a ThreadProducer,
    /// Partition counts of every topic, for windowed keys.
    pub partitions: &'a std::collections::BTreeMap<String, i32>,
    /// The query's sink topic: its records count as produced and feed the latency histogram.
    pub sink_topic: &'a str,
    pub produced: &'a IntCounter,
    pub latency: &'a Histogram,
    /// Wall clock of the current batch, epoch milliseconds (read once per batch).
    pub now_ms: i64,
}

impl RecordCollector for KafkaCollector<'_> {
    fn send(&mut self, out: OutgoingRecord<'_>) -> Result<(), String> {
        let mut record: BaseRecord<'_, [u8], [u8], ()> = BaseRecord::to(out.topic);
        if let Some(key) = out.key {
            record = record.key(key);
        }
        if let Some(value) = out.value {
            record = record.payload(value);
        }
        if out.timestamp >= 0 {
            record = record.timestamp(out.timestamp);
        }
        let partition = match (out.partition, out.partition_key, out.key) {
            (Some(p), _, _) => Some(p),
            // A windowed key: hash only its unwindowed prefix.
            (None, Some(prefix), Some(key)) if prefix.len() != key.len() => self
                .partitions
                .get(out.topic)
                .map(|&count| partition_for(prefix, count)),
            _ => None,
        };
        if let Some(p) = partition {
            record = record.partition(p);
        }
        if !out.headers.is_empty() {
            let headers = out.headers.iter().fold(OwnedHeaders::new(), |h, header| {
                h.insert(KafkaHeader {
                    key: &header.key,
                    value: header.value.as_deref(),
                })
            });
            record = record.headers(headers);
        }
        produce(self.producer, record)?;
        if out.topic == self.sink_topic {
            self.produced.inc();
            let lag_ms = self.now_ms - out.timestamp;
            if lag_ms >= 0 {
                self.latency.observe(lag_ms as f64 / 1000.0);
            }
        }
        Ok(())
    }
}
