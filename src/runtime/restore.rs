//! Restoring stores from their changelog topics. For each changelog partition a [`Restorer`]
//! starts a consumer that is never in a group, seeks to the first offset the local store lacks
//! (after the checkpoint, or the beginning), reads until librdkafka reports the end of the
//! partition and hands the records to the store in batches.
//!
//! The end is librdkafka's end-of-partition event, not a high watermark read beforehand: some
//! Kafka-compatible brokers (the test broker among them) report watermarks that lag the
//! records, and transaction markers take offsets that no record fills. A fresh consumer per
//! partition keeps events of one replay from ever being mistaken for another's; replays are
//! rare (assignment only), so the extra connection is cheap.
//!
//! A replay runs on its stream thread, which stays watched: the watermark request is a broker
//! call bounded by [`WATERMARKS_TIMEOUT`], and the replay as a whole is a broker call bounded
//! by [`STALL`] of silence, beating whenever records arrive (at least once a second).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};

use super::RuntimeError;
use crate::state::ChangelogEntry;
use crate::telemetry::LoopWatch;

/// Records handed to a store at once.
const BATCH: usize = 4096;
/// A restore that receives nothing for this long fails instead of hanging the thread.
const STALL: Duration = Duration::from_secs(60);
/// How long the request for a changelog partition's watermarks may take.
const WATERMARKS_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a replay that receives records beats for its thread.
const BEAT_EVERY: Duration = Duration::from_secs(1);

/// What one changelog partition's replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    pub records: u64,
    /// Offset of the last record applied, when any was.
    pub last_offset: Option<i64>,
    /// Records the broker said the partition held after the start offset (for progress).
    pub expected: u64,
}

pub struct Restorer {
    config: ClientConfig,
    /// The stream thread's heartbeats and broker calls.
    watch: LoopWatch,
}

/// The restore consumer's context: the end of a partition is how a replay ends, so
/// librdkafka's report of it is not logged as an error; everything else is.
struct RestoreContext;

impl ClientContext for RestoreContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let end_of_partition = matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !end_of_partition {
            DefaultConsumerContext.error(error, reason);
        }
    }
}

impl rdkafka::consumer::ConsumerContext for RestoreContext {}

impl Restorer {
    /// `config` must enable `enable.partition.eof` (see `ClientSettings::restore_consumer`).
    pub fn new(config: &ClientConfig, watch: LoopWatch) -> Result<Restorer, RuntimeError> {
        Ok(Restorer {
            config: config.clone(),
            watch,
        })
    }

    /// Replays `topic`/`partition` from `from` (the first offset to read; `None` = beginning)
    /// into `apply`, which gets batches in offset order. `progress` is told the records still
    /// to go after each batch, as far as the broker's watermarks tell.
    pub fn replay(
        &self,
        topic: &str,
        partition: i32,
        from: Option<i64>,
        apply: &mut dyn FnMut(&[ChangelogEntry<'_>]) -> Result<(), RuntimeError>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Replayed, RuntimeError> {
        let kafka = |e: KafkaError| {
            RuntimeError::Kafka(format!("restoring from {topic} partition {partition}: {e}"))
        };
        let consumer: BaseConsumer<RestoreContext> = self
            .config
            .create_with_context(RestoreContext)
            .map_err(kafka)?;
        let (low, high) = self
            .watch
            .call("fetch_watermarks", WATERMARKS_TIMEOUT, || {
                consumer.fetch_watermarks(topic, partition, WATERMARKS_TIMEOUT)
            })
            .map_err(kafka)?;
        let start = from.unwrap_or(low).max(low);
        let mut done = Replayed {
            expected: (high - start).max(0) as u64,
            ..Replayed::default()
        };
        let begin = match from {
            Some(from) => Offset::Offset(from),
            None => Offset::Beginning,
        };
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, begin)
            .map_err(kafka)?;
        consumer.assign(&tpl).map_err(kafka)?;
        // Messages are applied straight from librdkafka's buffers, a batch at a time.
        let mut batch: Vec<BorrowedMessage<'_>> = Vec::with_capacity(BATCH);
        let mut last_seen = Instant::now();
        let mut last_beat = Instant::now();
        let _replaying = self.watch.enter("restore_changelog", STALL);
        loop {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) => {
                    last_seen = Instant::now();
                    if last_beat.elapsed() >= BEAT_EVERY {
                        self.watch.beat();
                        last_beat = last_seen;
                    }
                    batch.push(message);
                    if batch.len() >= BATCH {
                        flush(&mut batch, &mut done, apply)?;
                        progress(done.expected.saturating_sub(done.records));
                    }
                }
                Some(Err(KafkaError::PartitionEOF(_))) => break,
                Some(Err(error)) => return Err(kafka(error)),
                None if last_seen.elapsed() > STALL => {
                    return Err(RuntimeError::Kafka(format!(
                        "restoring from {topic} partition {partition}: nothing received for \
                         {STALL:?} and no end of partition"
                    )));
                }
                None => {}
            }
        }
        flush(&mut batch, &mut done, apply)?;
        progress(0);
        Ok(done)
    }
}

fn flush(
    batch: &mut Vec<BorrowedMessage<'_>>,
    done: &mut Replayed,
    apply: &mut dyn FnMut(&[ChangelogEntry<'_>]) -> Result<(), RuntimeError>,
) -> Result<(), RuntimeError> {
    if batch.is_empty() {
        return Ok(());
    }
    let entries: Vec<ChangelogEntry<'_>> = batch
        .iter()
        .map(|message| ChangelogEntry {
            offset: message.offset(),
            key: message.key().unwrap_or_default(),
            value: message.payload(),
        })
        .collect();
    apply(&entries)?;
    done.records += entries.len() as u64;
    done.last_offset = entries.last().map(|e| e.offset);
    batch.clear();
    Ok(())
}
