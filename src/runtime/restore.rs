//! Restoring stores from their changelog topics: a [`Restorer`] owns one consumer that is
//! never in a group; for each changelog partition it seeks to the first offset the local store
//! lacks (after the checkpoint, or the beginning), reads to the partition's end and hands the
//! records to the store in batches. Reading stops at end-of-partition events rather than at a
//! watermark, so transaction markers at the end of an exactly-once changelog cannot stall it.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::RuntimeError;
use crate::state::ChangelogEntry;

/// Records handed to a store at once.
const BATCH: usize = 4096;
/// A restore that receives nothing for this long fails instead of hanging the thread.
const STALL: Duration = Duration::from_secs(60);

/// What one changelog partition's replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    pub records: u64,
    /// Offset of the last record applied, when any was.
    pub last_offset: Option<i64>,
    /// Records the partition held after the start offset when the replay began.
    pub expected: u64,
}

pub struct Restorer {
    consumer: BaseConsumer,
}

type Owned = (i64, Vec<u8>, Option<Vec<u8>>);

impl Restorer {
    pub fn new(config: &ClientConfig) -> Result<Restorer, RuntimeError> {
        let consumer = config
            .create()
            .map_err(|e| RuntimeError::Kafka(format!("creating the restore consumer: {e}")))?;
        Ok(Restorer { consumer })
    }

    /// Replays `topic`/`partition` from `from` (the first offset to read; `None` = beginning)
    /// into `apply`, which gets batches in offset order. `progress` is told the records still
    /// to go after each batch.
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
        let (low, high) = self
            .consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(30))
            .map_err(kafka)?;
        let start = from.unwrap_or(low).max(low);
        let mut done = Replayed {
            expected: (high - start).max(0) as u64,
            ..Replayed::default()
        };
        if start >= high {
            return Ok(done);
        }
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(start))
            .map_err(kafka)?;
        self.consumer.assign(&tpl).map_err(kafka)?;
        let mut batch: Vec<Owned> = Vec::with_capacity(BATCH);
        let mut last_seen = Instant::now();
        let result = loop {
            match self.consumer.poll(Duration::from_millis(200)) {
                Some(Ok(message)) => {
                    last_seen = Instant::now();
                    batch.push((
                        message.offset(),
                        message.key().unwrap_or_default().to_vec(),
                        message.payload().map(<[u8]>::to_vec),
                    ));
                    let at_end = message.offset() + 1 >= high;
                    if batch.len() >= BATCH || at_end {
                        flush(&mut batch, &mut done, apply)?;
                        progress(done.expected.saturating_sub(done.records));
                    }
                    if at_end {
                        break Ok(());
                    }
                }
                Some(Err(KafkaError::PartitionEOF(_))) => break Ok(()),
                Some(Err(error)) => break Err(kafka(error)),
                None if last_seen.elapsed() > STALL => {
                    break Err(RuntimeError::Kafka(format!(
                        "restoring from {topic} partition {partition}: no record for {STALL:?} \
                         before reaching offset {high}"
                    )));
                }
                None => {}
            }
        };
        let flushed = flush(&mut batch, &mut done, apply);
        let _ = self.consumer.unassign();
        result.and(flushed)?;
        progress(0);
        Ok(done)
    }
}

fn flush(
    batch: &mut Vec<Owned>,
    done: &mut Replayed,
    apply: &mut dyn FnMut(&[ChangelogEntry<'_>]) -> Result<(), RuntimeError>,
) -> Result<(), RuntimeError> {
    if batch.is_empty() {
        return Ok(());
    }
    let entries: Vec<ChangelogEntry<'_>> = batch
        .iter()
        .map(|(offset, key, value)| ChangelogEntry {
            offset: *offset,
            key,
            value: value.as_deref(),
        })
        .collect();
    apply(&entries)?;
    done.records += entries.len() as u64;
    done.last_offset = entries.last().map(|e| e.offset);
    batch.clear();
    Ok(())
}
