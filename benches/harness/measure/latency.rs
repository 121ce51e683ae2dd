//! End-to-end latency at a fixed rate below saturation: bids stamped with the wall clock are
//! produced at `latency_rate` records/s, and a consumer of the workload's sink topic (started
//! at its end) takes `arrival time − record timestamp` of every output whose timestamp falls in
//! the phase. The output carries its input's timestamp, so this is input record timestamp to
//! output visible to a consumer (after the commit, under exactly-once, read_committed).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use serde::{Deserialize, Serialize};

use super::super::BenchResult;
use super::super::generator::Event;
use super::super::kafka;
use super::super::workloads::Workload;
use super::{Options, now_ms};

/// Latency percentiles of one phase.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LatencyResult {
    /// Records produced per second, and for how long.
    pub rate: u64,
    pub seconds: u64,
    pub sent: u64,
    /// Output records timed.
    pub samples: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The `q` quantile of sorted `values`.
pub fn quantile(sorted: &[i64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)] as f64
}

/// Runs the phase; `None` when the sink produced nothing timed (e.g. a filter that dropped all).
/// Every bid it produces is appended to `sent` (the input of the window check).
pub fn run(
    bootstrap: &str,
    workload: &Workload,
    options: &Options,
    read_committed: bool,
    sent: &mut Vec<Event>,
) -> BenchResult<Option<LatencyResult>> {
    let consumer: BaseConsumer = kafka::client(bootstrap)
        .set("group.id", "bench-latency")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .set(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .map_err(|e| format!("latency consumer: {e}"))?;
    let mut list = rdkafka::TopicPartitionList::new();
    let metadata = consumer
        .fetch_metadata(Some(workload.sink), kafka::OP_TIMEOUT)
        .map_err(|e| format!("metadata of {}: {e}", workload.sink))?;
    for t in metadata.topics() {
        for p in t.partitions() {
            let (_, high) = consumer
                .fetch_watermarks(workload.sink, p.id(), kafka::OP_TIMEOUT)
                .map_err(|e| format!("watermarks of {}: {e}", workload.sink))?;
            list.add_partition_offset(workload.sink, p.id(), rdkafka::Offset::Offset(high))
                .map_err(|e| format!("assigning {}: {e}", workload.sink))?;
        }
    }
    consumer
        .assign(&list)
        .map_err(|e| format!("assigning {}: {e}", workload.sink))?;

    let phase_start = now_ms();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut last = Instant::now();
            while !stop.load(Ordering::Relaxed) || last.elapsed() < Duration::from_secs(1) {
                if let Some(Ok(message)) = consumer.poll(Duration::from_millis(5)) {
                    let arrived = now_ms();
                    if let Some(t) = message.timestamp().to_millis()
                        && t >= phase_start
                    {
                        samples.push(arrived - t);
                        last = Instant::now();
                    }
                }
            }
            samples
        })
    };

    let producer: ThreadedProducer<DefaultProducerContext> = kafka::client(bootstrap)
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "0")
        .create()
        .map_err(|e| format!("latency producer: {e}"))?;
    let generator = Workload::generator(options.bids, phase_start);
    let total = options.latency_rate * options.latency_seconds;
    let started = Instant::now();
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / options.latency_rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let event = generator.bid_at(options.bids + i, now_ms());
        let record = BaseRecord::to(event.topic)
            .key(&event.key)
            .payload(&event.value)
            .timestamp(event.timestamp);
        producer
            .send(record)
            .map_err(|(e, _)| format!("latency produce: {e}"))?;
        sent.push(event);
    }
    producer
        .flush(Duration::from_secs(30))
        .map_err(|e| format!("latency flush: {e}"))?;
    // Outputs of the last records may trail by a commit interval or a window emission.
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    let mut samples = reader
        .join()
        .map_err(|_| "the latency reader thread panicked".to_owned())?;
    if samples.is_empty() {
        return Ok(None);
    }
    samples.sort_unstable();
    Ok(Some(LatencyResult {
        rate: options.latency_rate,
        seconds: options.latency_seconds,
        sent: total,
        samples: samples.len() as u64,
        p50_ms: quantile(&samples, 0.50),
        p99_ms: quantile(&samples, 0.99),
        max_ms: quantile(&samples, 1.0),
    }))
}
