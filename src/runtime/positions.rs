//! Where a stream thread starts reading the partitions an assignment gives it: the offsets
//! its consumer group committed, fetched here in the rebalance callback and handed to
//! librdkafka with the assignment, instead of leaving the fetch to librdkafka's assignment
//! state machine.
//!
//! Why by hand: when an open transaction of a partition's previous owner holds offsets for it
//! (a replica killed after `send_offsets_to_transaction`), the group answers UNSTABLE_OFFSET_COMMIT
//! until the transaction ends (KIP-447). librdkafka asks again, but only while its assignment is
//! unchanged; when the assignment changes meanwhile (another rebalance: a replica added or
//! restarted while a killed one's transaction waits out its time-out), the answer puts the
//! partition back as pending with the answer's offset, -1, which that state machine takes for
//! "no committed offset": the partition starts from `auto.offset.reset`, and under exactly-once
//! a whole partition is processed again (librdkafka 2.12.1, and its main branch as read on
//! 2026-12-07; `rd_kafka_assignment_apply_offsets`). `rd_kafka_committed` instead asks until
//! every partition is stable or its time-out passes, and the thread asks it again until it
//! answers: a partition starts from the offset the group committed, or from
//! `auto.offset.reset` when the group has none. The thread waits inside the callback, as a Kafka
//! Streams thread waits in `poll` for its positions; the wait shows on `/healthz` as a broker
//! call.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};

use crate::telemetry::LoopWatch;

/// How long one request for committed offsets may wait (for stable offsets, or for the group
/// coordinator) before the thread asks again.
const ATTEMPT: Duration = Duration::from_secs(5);

/// The committed offsets of `assigned` for this consumer's group: each partition's offset is
/// the committed one, or [`Offset::Invalid`] where the group has none (librdkafka then applies
/// `auto.offset.reset`). Waits while a transaction holds any of them or the coordinator does
/// not answer; `None` when `stopping` turns true first.
pub fn committed_starts<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    assigned: &TopicPartitionList,
    watch: &LoopWatch,
    stopping: impl Fn() -> bool,
) -> Option<TopicPartitionList> {
    let mut waited = false;
    loop {
        let answer = watch.call("committed_offsets", ATTEMPT, || {
            consumer.committed_offsets(assigned.clone(), ATTEMPT)
        });
        let reason = match answer {
            Ok(starts) => match unstable_partition(&starts) {
                None => {
                    if waited {
                        tracing::info!(partitions = %describe(&starts), "committed offsets are stable again; starting from them");
                    }
                    return Some(starts);
                }
                Some(reason) => reason,
            },
            Err(error) => error.to_string(),
        };
        if !waited {
            tracing::info!(
                partitions = %describe(assigned),
                %reason,
                "waiting for the consumer group's committed offsets before starting the assigned partitions (an open transaction of their previous owner holds them until it commits, aborts or times out)"
            );
            waited = true;
        }
        watch.beat();
        if stopping() {
            return None;
        }
    }
}

/// Why `starts` cannot be used yet: the first partition that came back with an error
/// (UNSTABLE_OFFSET_COMMIT while a transaction holds its offset).
fn unstable_partition(starts: &TopicPartitionList) -> Option<String> {
    starts.elements().into_iter().find_map(|element| {
        element.error().err().map(|error| {
            let error = match error {
                KafkaError::OffsetFetch(RDKafkaErrorCode::UnstableOffsetCommit) => {
                    "unstable offset commit".to_owned()
                }
                other => other.to_string(),
            };
            format!("{} [{}]: {error}", element.topic(), element.partition())
        })
    })
}

/// `topic[partition]@offset, …` for logs.
fn describe(list: &TopicPartitionList) -> String {
    list.elements()
        .iter()
        .map(|element| match element.offset() {
            Offset::Offset(offset) => {
                format!("{}[{}]@{offset}", element.topic(), element.partition())
            }
            _ => format!("{}[{}]", element.topic(), element.partition()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
