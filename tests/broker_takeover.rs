//! Probe of the test broker for the moment a consumer takes over partitions whose offsets an
//! open transaction holds (KIP-447): the broker answers its `OffsetFetch` with
//! UNSTABLE_OFFSET_COMMIT *per partition*, so librdkafka asks again, and the consumer starts
//! from the transaction's offset once it commits. (Answered as a group error with no
//! partitions, librdkafka never asked again: the consumer held its assignment and fetched
//! nothing, for good — a replica taking over a killed replica's tasks stalled so.)

mod support;

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::Producer;
use rdkafka::{Offset, TopicPartitionList};

use support::TestBroker;
use support::broker::OP_TIMEOUT;

/// Polls `consumer` for `period`, returning the values it delivered.
fn poll_for(consumer: &BaseConsumer, period: Duration) -> Vec<String> {
    let until = Instant::now() + period;
    let mut values = Vec::new();
    while Instant::now() < until {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            let value = message.payload().unwrap_or_default();
            values.push(String::from_utf8_lossy(value).into_owned());
        }
    }
    values
}

#[test]
fn a_consumer_taking_over_offsets_a_transaction_holds_starts_once_it_commits() {
    let broker = TestBroker::shared();
    let (topic, group) = ("probe-takeover", "probe-takeover-group");
    broker.create_topic(topic, 1);
    for value in ["v0", "v1", "v2", "v3"] {
        broker.produce(topic, value, value);
    }

    // An open transaction holds offset 2 of the group's partition.
    let producer = broker.transactional_producer("probe-takeover-txn");
    producer.begin_transaction().expect("begin_transaction");
    let metadata_source: BaseConsumer = broker.consumer_config(group).create().expect("consumer");
    let metadata = metadata_source.group_metadata().expect("group metadata");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(topic, 0, Offset::Offset(2))
        .expect("offset");
    producer
        .send_offsets_to_transaction(&offsets, &metadata, OP_TIMEOUT)
        .expect("send_offsets_to_transaction");

    // A member of the group is assigned the partition meanwhile: it must wait, not start
    // from the last stable offset (none: the beginning) nor skip ahead.
    let consumer: BaseConsumer = broker
        .consumer_config(group)
        .set("isolation.level", "read_committed")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let early = poll_for(&consumer, Duration::from_secs(5));
    assert!(
        early.is_empty(),
        "records delivered while a transaction held the offsets: {early:?}"
    );

    producer
        .commit_transaction(OP_TIMEOUT)
        .expect("commit_transaction");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut values = Vec::new();
    while values.len() < 2 && Instant::now() < deadline {
        values.extend(poll_for(&consumer, Duration::from_millis(500)));
    }
    assert_eq!(
        values,
        ["v2", "v3"],
        "after the commit the consumer starts from the transaction's offset"
    );
}
