//! A replica takes over partitions whose offsets an open transaction of their previous owner
//! holds (KIP-447: the group's `OffsetFetch` answers UNSTABLE_OFFSET_COMMIT until it ends),
//! and its assignment changes while it waits — a second replica joins. Under exactly-once it
//! must start each partition from the group's committed offset once the transaction has
//! ended, never from `auto.offset.reset`. (librdkafka's own offset fetch starts such a
//! partition from `auto.offset.reset`: see `runtime::positions`; in the chaos run a whole
//! partition was copied twice so.)

mod e2e;
mod harness;
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use e2e::replicas::{replica, wait_split};
use e2e::{config, read_until, wait_ready};
use harness::Workspace;
use support::TestBroker;
use support::broker::OP_TIMEOUT;

const QUERIES: &str = "
CREATE STREAM EVENTS (ID STRING KEY, SEQ BIGINT)
  WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=2);
CREATE STREAM COPY AS SELECT ID, SEQ FROM EVENTS EMIT CHANGES;
";
/// The group of the COPY query under `service_id = "takeover"`.
const GROUP: &str = "_weir-takeover-CSAS_COPY";
/// Records per input partition; the group has committed offset `COMMITTED` on each.
const PER_PARTITION: i64 = 60;
const COMMITTED: i64 = 40;
/// How long the open transaction lasts before the broker aborts it.
const HOLD: Duration = Duration::from_secs(20);
/// How long a started replica may take to join the group, at most.
const JOIN_MARGIN: Duration = Duration::from_secs(5);

/// Produces `PER_PARTITION` records to each partition of `events`, `SEQ` unique:
/// partition * 1000 + offset.
fn produce_input(broker: &TestBroker) {
    let producer: FutureProducer = broker.producer_config().create().expect("producer");
    for partition in 0..2 {
        for offset in 0..PER_PARTITION {
            let seq = i64::from(partition) * 1000 + offset;
            let key = format!("k{seq}");
            let value = format!(r#"{{"SEQ":{seq}}}"#);
            producer
                .send_result(
                    FutureRecord::to("events")
                        .partition(partition)
                        .key(&key)
                        .payload(&value),
                )
                .expect("enqueue");
        }
    }
    producer.flush(OP_TIMEOUT).expect("flush");
}

/// Offsets `offset` of both partitions of `events`, for the group.
fn both_at(offset: i64) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for partition in 0..2 {
        list.add_partition_offset("events", partition, Offset::Offset(offset))
            .expect("offset");
    }
    list
}

/// Commits offset `COMMITTED` for the group in one transaction, then leaves a second one open
/// that holds offset `COMMITTED + 10` of both partitions, as a replica killed after
/// `send_offsets_to_transaction` leaves it. Returns the producer: it must stay alive (and
/// silent) until the broker aborts the transaction after `HOLD`.
fn hold_offsets_in_an_open_transaction(broker: &TestBroker) -> FutureProducer {
    let producer: FutureProducer = broker
        .producer_config()
        .set("transactional.id", "takeover-previous-owner")
        .set("transaction.timeout.ms", HOLD.as_millis().to_string())
        .create()
        .expect("transactional producer");
    producer.init_transactions(OP_TIMEOUT).expect("init");
    let metadata_source: BaseConsumer = broker.consumer_config(GROUP).create().expect("consumer");
    let metadata = metadata_source.group_metadata().expect("group metadata");
    producer.begin_transaction().expect("begin");
    producer
        .send_offsets_to_transaction(&both_at(COMMITTED), &metadata, OP_TIMEOUT)
        .expect("send offsets");
    producer.commit_transaction(OP_TIMEOUT).expect("commit");
    producer.begin_transaction().expect("begin");
    producer
        .send_offsets_to_transaction(&both_at(COMMITTED + 10), &metadata, OP_TIMEOUT)
        .expect("send offsets");
    producer
}

#[test]
fn a_replica_whose_assignment_changes_while_offsets_are_unstable_starts_from_the_committed_ones() {
    let broker = TestBroker::start();
    broker.create_topic("events", 2);
    produce_input(&broker);
    let opened = Instant::now();
    let _previous_owner = hold_offsets_in_an_open_transaction(&broker);

    let workspace = Workspace::new(
        &config(
            &broker,
            "/nonexistent-overridden",
            "service_id = \"takeover\"\nprocessing_guarantee = \"exactly_once_v2\"",
        ),
        QUERIES,
    );
    let first = replica(&workspace);
    // The first replica is assigned both partitions and asks for their offsets, which the open
    // transaction holds: the broker answers UNSTABLE_OFFSET_COMMIT.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !broker.log().contains("UnstableOffsetCommit") {
        assert!(
            Instant::now() < deadline,
            "the first replica never asked for the held offsets"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second replica joins while the transaction is still open, so the first one's
    // assignment changes while it waits.
    let second = replica(&workspace);
    assert!(
        opened.elapsed() + JOIN_MARGIN < HOLD,
        "the second replica came up only {:?} after the transaction opened: the test proves nothing",
        opened.elapsed()
    );
    let mut replicas = [first, second];
    wait_split(&replicas, "CSAS_COPY", 2);
    for r in &replicas {
        wait_ready(r.addr, Duration::from_secs(60));
    }

    let expected = (2 * (PER_PARTITION - COMMITTED)) as usize;
    let output = read_until(&broker, "COPY", true, Duration::from_secs(90), |got| {
        got.len() >= expected
    });
    // Anything read twice would arrive within a few commit intervals of the rest.
    std::thread::sleep(Duration::from_secs(3));
    let output = read_until(&broker, "COPY", true, Duration::from_secs(30), |got| {
        got.len() >= output.len()
    });
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, value) in &output {
        let json: serde_json::Value =
            serde_json::from_slice(value.as_deref().unwrap_or_default()).expect("JSON value");
        *seen.entry(json["SEQ"].as_i64().expect("SEQ")).or_default() += 1;
    }
    let wanted: Vec<i64> = (0..2)
        .flat_map(|p| (COMMITTED..PER_PARTITION).map(move |o| p * 1000 + o))
        .collect();
    let got: Vec<i64> = seen.keys().copied().collect();
    let twice: Vec<i64> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(s, _)| *s)
        .collect();
    if got != wanted || !twice.is_empty() {
        for (i, r) in replicas.iter_mut().enumerate() {
            eprintln!("--- replica {i} log ---\n{}", r.daemon.log());
        }
    }
    assert!(twice.is_empty(), "records copied more than once: {twice:?}");
    assert_eq!(
        got, wanted,
        "COPY must hold each record from the committed offset {COMMITTED} on, once"
    );
}
