//! The continuous input of a chaos run: events with unique sequence numbers over a fixed set
//! of users and buckets, and one payment per event (same sequence number) for the join, at a
//! steady rate from a thread of its own. The producer is idempotent with a long delivery
//! time-out, so broker outages and connection resets neither lose nor duplicate input; the
//! checker still takes the ground truth from the input topics themselves.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

pub const EVENTS: &str = "events";
pub const PAYMENTS: &str = "payments";
pub const USERS: u64 = 300;
pub const BUCKETS: u64 = 20;

/// The running input thread; [`Input::stop`] ends it after a flush.
pub struct Input {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl Input {
    /// Produces `rate` events (and as many payments) per second to `bootstrap`.
    pub fn start(bootstrap: &str, rate: u64) -> Input {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("enable.idempotence", "true")
            .set("partitioner", "murmur2_random")
            .set("message.timeout.ms", "600000")
            .set("linger.ms", "5")
            .create()
            .expect("input producer");
        let thread = {
            let (stop, sent) = (stop.clone(), sent.clone());
            std::thread::spawn(move || produce(&producer, rate, &stop, &sent))
        };
        Input {
            stop,
            sent,
            thread: Some(thread),
        }
    }

    /// Events sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Stops producing and waits until everything sent is delivered.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .expect("input thread")
                .unwrap_or_else(|e| panic!("input: {e}"));
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The event with sequence number `seq`: (user, amount, bucket).
pub fn event_fields(seq: u64) -> (String, u64, u64) {
    let mixed = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (
        format!("user-{}", mixed % USERS),
        (mixed >> 20) % 1000,
        (mixed >> 40) % BUCKETS,
    )
}

fn produce(
    producer: &ThreadedProducer<DefaultProducerContext>,
    rate: u64,
    stop: &AtomicBool,
    sent: &AtomicU64,
) -> Result<(), String> {
    let started = Instant::now();
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        // Catch up to the rate in small steps, then sleep until the next record is due.
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        while seq < due && !stop.load(Ordering::Relaxed) {
            let (user, amount, bucket) = event_fields(seq);
            let timestamp = now_ms();
            let event = format!(r#"{{"SEQ":{seq},"AMOUNT":{amount},"BUCKET":{bucket}}}"#);
            let payment = format!(r#"{{"SEQ":{seq},"PAID":{amount}}}"#);
            for (topic, value) in [(EVENTS, &event), (PAYMENTS, &payment)] {
                let mut record = BaseRecord::to(topic)
                    .key(user.as_bytes())
                    .payload(value.as_bytes())
                    .timestamp(timestamp);
                // A full queue (the broker unreachable for long) waits, never drops.
                loop {
                    match producer.send(record) {
                        Ok(()) => break,
                        Err((e, back)) => {
                            if stop.load(Ordering::Relaxed) {
                                return Ok(());
                            }
                            if !matches!(
                                e,
                                rdkafka::error::KafkaError::MessageProduction(
                                    rdkafka::types::RDKafkaErrorCode::QueueFull
                                )
                            ) {
                                return Err(format!("producing input {seq}: {e}"));
                            }
                            record = back;
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                }
            }
            seq += 1;
            sent.store(seq, Ordering::Relaxed);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    producer
        .flush(Duration::from_secs(600))
        .map_err(|e| format!("flushing the input: {e}"))
}
