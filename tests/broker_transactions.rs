//! Probes of the test broker's transactions and groups under failures: every behaviour that
//! weir's exactly-once tests and the chaos suite rely on, checked on the broker alone (no
//! weir), with the ecosystem's Python client as the producer or member that is killed.
//!
//! - a producer killed with an open transaction: the broker aborts it after
//!   `transaction.timeout.ms`, and `read_committed` consumers move past it without its records;
//! - a new producer re-initialising the same `transactional.id` aborts the old transaction,
//!   and waits while the time-out sweep is still aborting it;
//! - a live producer whose transaction timed out is fenced;
//! - a transaction commits only its own offsets, pending offsets are not answered to an
//!   `OffsetFetch` that requires stable offsets, and committed offsets never move back;
//! - a killed group member is evicted after `session.timeout.ms` and its partitions move;
//! - an idempotent producer writes each record once through connection resets.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::{Offset, TopicPartitionList};

use support::TestBroker;
use support::broker::{CONSUME_TIMEOUT, OP_TIMEOUT, TIMED_OUT_MARKER_DELAY};
use support::kafka::{Received, consume_with, deliver};
use support::python;

/// A child process whose stdout lines arrive on a channel; killed (SIGKILL) on drop.
struct Witness {
    child: Child,
    lines: Receiver<String>,
    name: String,
}

impl Witness {
    fn spawn(name: &str, script: &str, args: &[&str]) -> Witness {
        let mut child = python::script(script, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Witness {
            child,
            lines,
            name: name.to_owned(),
        }
    }

    /// The next line starting with `prefix`, within `within`.
    fn expect_line(&mut self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    panic!("{} printed no {prefix} line within {within:?}", self.name)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().ok();
                    panic!("{} exited ({status:?}) before printing {prefix}", self.name)
                }
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read(
    broker: &TestBroker,
    topic: &str,
    isolation: &str,
    n: usize,
    within: Duration,
) -> Vec<String> {
    let mut config = broker.consumer_config(&format!("{topic}-{isolation}-{n}"));
    config.set("isolation.level", isolation);
    values(&consume_with(config, &[topic], n, within))
}

fn values(records: &[Received]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.value_str().unwrap_or_default())
        .collect()
}

/// Commits one record `value` to `topic` in a transaction of its own.
fn commit_one(broker: &TestBroker, transactional_id: &str, topic: &str, value: &str) {
    let producer = broker.transactional_producer(transactional_id);
    producer.begin_transaction().expect("begin_transaction");
    deliver(&producer, topic, value, value);
    producer
        .commit_transaction(OP_TIMEOUT)
        .expect("commit_transaction");
}

#[test]
fn a_killed_producers_open_transaction_times_out_and_is_aborted() {
    let broker = TestBroker::shared();
    let topic = "probe-killed-producer";
    broker.create_topic(topic, 1);
    let mut zombie = Witness::spawn(
        "the producer to kill",
        "txn_producer.py",
        &[
            broker.bootstrap(),
            "probe-zombie",
            topic,
            "zombie",
            "5",
            "3000",
            "hold",
        ],
    );
    zombie.expect_line("READY", Duration::from_secs(30));
    zombie.kill();
    let killed_at = Instant::now();

    commit_one(broker, "probe-after-zombie", topic, "after");
    // The zombie's five records are in the log ahead of the committed one.
    let all = read(broker, topic, "read_uncommitted", 6, CONSUME_TIMEOUT);
    assert_eq!(all.len(), 6, "read_uncommitted: {all:?}");

    // read_committed waits for the open transaction (3 s time-out, swept every second), then
    // gets the committed record and none of the zombie's.
    let committed = read(broker, topic, "read_committed", 1, Duration::from_secs(30));
    eprintln!(
        "read_committed moved on {:?} after the kill",
        killed_at.elapsed()
    );
    assert_eq!(committed, ["after"], "read_committed after the time-out");
    assert!(
        killed_at.elapsed() >= Duration::from_secs(2),
        "the transaction ended before its time-out could have passed"
    );
}

#[test]
fn reinitialising_a_transactional_id_aborts_the_fenced_transaction() {
    let broker = TestBroker::shared();
    let topic = "probe-reinit";
    broker.create_topic(topic, 1);
    let mut old = Witness::spawn(
        "the old producer",
        "txn_producer.py",
        &[
            broker.bootstrap(),
            "probe-reinit-id",
            topic,
            "fenced",
            "5",
            "60000",
            "hold",
        ],
    );
    old.expect_line("READY", Duration::from_secs(30));
    old.kill();

    // The same transactional id, long before the old transaction's 60 s time-out.
    let began = Instant::now();
    commit_one(broker, "probe-reinit-id", topic, "after");
    let committed = read(broker, topic, "read_committed", 1, CONSUME_TIMEOUT);
    assert_eq!(
        committed,
        ["after"],
        "read_committed after the re-initialisation"
    );
    assert!(
        began.elapsed() < Duration::from_secs(30),
        "the old transaction was not aborted by the re-initialisation but timed out"
    );
}

/// The time-out sweep fences a timed-out transaction's producer (an epoch bump) and then
/// writes the abort markers. A producer re-initialising the same transactional id in between
/// must wait for the markers (Kafka answers CONCURRENT_TRANSACTIONS): had it written first, its
/// records would lie ahead of the old transaction's abort marker, where `read_committed`
/// consumers skip them with the aborted ones (records of the chaos suite's control went
/// missing so). The broker pauses 3 s between the two steps here, so that the
/// re-initialisation lands inside that window every time.
#[test]
fn reinitialising_while_the_time_out_sweep_aborts_waits_for_its_markers() {
    let broker = TestBroker::start_with_env(&[(TIMED_OUT_MARKER_DELAY, "3000")]);
    let topic = "probe-reinit-during-sweep";
    broker.create_topic(topic, 1);
    let mut old = Witness::spawn(
        "the producer to time out",
        "txn_producer.py",
        &[
            broker.bootstrap(),
            "probe-reinit-sweep",
            topic,
            "timed-out",
            "5",
            "2000",
            "hold",
        ],
    );
    old.expect_line("READY", Duration::from_secs(30));
    let ready = Instant::now();
    old.kill();

    // The transaction began just before READY. Its 2 s time-out is found by a sweep within the
    // next second (at most 3 s after READY), which then waits 3 s before writing the markers
    // (at least 5 s after): 3.5 s after READY is inside that window.
    std::thread::sleep(
        (ready + Duration::from_millis(3500)).saturating_duration_since(Instant::now()),
    );
    let began = Instant::now();
    commit_one(&broker, "probe-reinit-sweep", topic, "after");
    let waited = began.elapsed();

    let all = read(&broker, topic, "read_uncommitted", 6, CONSUME_TIMEOUT);
    assert_eq!(all.len(), 6, "read_uncommitted: {all:?}");
    let committed = read(&broker, topic, "read_committed", 1, CONSUME_TIMEOUT);
    assert_eq!(
        committed,
        ["after"],
        "read_committed after a re-initialisation during the sweep's abort"
    );
    assert!(
        waited >= Duration::from_millis(500),
        "the re-initialisation took {waited:?}: it did not wait for the sweep's markers"
    );
}

#[test]
fn a_producer_whose_transaction_timed_out_is_fenced() {
    let broker = TestBroker::shared();
    let topic = "probe-timed-out-live";
    broker.create_topic(topic, 1);
    let slow: FutureProducer = broker
        .producer_config()
        .set("transactional.id", "probe-slow")
        .set("transaction.timeout.ms", "2000")
        .set("message.timeout.ms", "2000")
        .create()
        .expect("producer");
    slow.init_transactions(OP_TIMEOUT)
        .expect("init_transactions");
    slow.begin_transaction().expect("begin_transaction");
    deliver(&slow, topic, "slow", "slow");

    // Once the broker aborted it, a later commit reaches read_committed consumers.
    commit_one(broker, "probe-after-slow", topic, "after");
    let committed = read(broker, topic, "read_committed", 1, Duration::from_secs(30));
    assert_eq!(committed, ["after"]);

    let outcome = slow.commit_transaction(OP_TIMEOUT);
    assert!(
        outcome.is_err(),
        "a producer whose transaction the broker aborted must not commit it"
    );
    eprintln!("commit after the time-out: {outcome:?}");
    let committed = values(&broker.read_to_end(topic, "read_committed", CONSUME_TIMEOUT));
    assert_eq!(
        committed,
        ["after"],
        "the timed-out record must stay invisible"
    );
}

/// The committed offset of `group` for partition `partition` of `topic`, through a consumer
/// with the given isolation level (`read_committed` asks for stable offsets, KIP-447).
fn committed(
    broker: &TestBroker,
    group: &str,
    topic: &str,
    partition: i32,
    isolation: &str,
    within: Duration,
) -> Result<Offset, String> {
    let consumer: BaseConsumer = broker
        .consumer_config(group)
        .set("isolation.level", isolation)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, partition);
    consumer
        .committed_offsets(tpl, within)
        .map_err(|e| e.to_string())
        .and_then(|list| {
            list.find_partition(topic, partition)
                .map(|p| p.offset())
                .ok_or_else(|| "partition missing from the answer".to_owned())
        })
}

/// Sends `offset` for `partition` of `topic` in `group` into the producer's open transaction.
fn send_offset(
    producer: &FutureProducer,
    broker: &TestBroker,
    group: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) {
    let consumer: BaseConsumer = broker.consumer_config(group).create().expect("consumer");
    let metadata = consumer.group_metadata().expect("group metadata");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
        .expect("offset");
    producer
        .send_offsets_to_transaction(&tpl, &metadata, OP_TIMEOUT)
        .expect("send_offsets_to_transaction");
}

#[test]
fn a_transaction_commits_only_its_own_offsets_and_offsets_never_move_back() {
    let broker = TestBroker::shared();
    let (input, output, group) = (
        "probe-offsets-in",
        "probe-offsets-out",
        "probe-offsets-group",
    );
    broker.create_topic(input, 2);
    broker.create_topic(output, 1);
    let first = broker.transactional_producer("probe-offsets-1");
    let second = broker.transactional_producer("probe-offsets-2");

    // Two transactions overlap on the output partition; the first holds offset 100 for
    // input partition 0, the second commits offset 7 for input partition 1.
    first.begin_transaction().expect("begin");
    deliver(&first, output, "first", "first");
    send_offset(&first, broker, group, input, 0, 100);
    second.begin_transaction().expect("begin");
    deliver(&second, output, "second", "second");
    send_offset(&second, broker, group, input, 1, 7);
    second.commit_transaction(OP_TIMEOUT).expect("commit");

    let wait = Duration::from_secs(10);
    assert_eq!(
        committed(broker, group, input, 1, "read_committed", wait),
        Ok(Offset::Offset(7))
    );
    assert_eq!(
        committed(broker, group, input, 0, "read_uncommitted", wait),
        Ok(Offset::Invalid),
        "the open transaction's offset must not be committed by another's end"
    );
    // A consumer asking for stable offsets is not answered while offsets are pending.
    let pending = committed(
        broker,
        group,
        input,
        0,
        "read_committed",
        Duration::from_secs(3),
    );
    assert!(
        pending.is_err(),
        "a pending offset was answered as stable: {pending:?}"
    );

    first.commit_transaction(OP_TIMEOUT).expect("commit");
    assert_eq!(
        committed(broker, group, input, 0, "read_committed", wait),
        Ok(Offset::Offset(100))
    );

    // A later transaction with an older offset does not move the committed offset back.
    let third = broker.transactional_producer("probe-offsets-3");
    third.begin_transaction().expect("begin");
    send_offset(&third, broker, group, input, 0, 50);
    third.commit_transaction(OP_TIMEOUT).expect("commit");
    assert_eq!(
        committed(broker, group, input, 0, "read_committed", wait),
        Ok(Offset::Offset(100))
    );

    let records = read(broker, output, "read_committed", 2, CONSUME_TIMEOUT);
    assert_eq!(records.len(), 2, "both committed records: {records:?}");
}

#[test]
fn a_killed_group_member_is_evicted_and_its_partitions_move() {
    let broker = TestBroker::shared();
    let (topic, group) = ("probe-eviction", "probe-eviction-group");
    broker.create_topic(topic, 4);
    let mut doomed = Witness::spawn(
        "the member to kill",
        "group_member.py",
        &[broker.bootstrap(), group, topic, "6000"],
    );
    doomed.expect_line("ASSIGNED", Duration::from_secs(30));

    let survivor: BaseConsumer = broker.consumer_config(group).create().expect("consumer");
    survivor.subscribe(&[topic]).expect("subscribe");
    // Wait until the group has both members: the survivor holds some but not all partitions.
    let deadline = Instant::now() + Duration::from_secs(30);
    let owned = |consumer: &BaseConsumer| consumer.assignment().map_or(0, |a| a.count());
    while owned(&survivor) == 0 || owned(&survivor) == 4 {
        assert!(
            Instant::now() < deadline,
            "the survivor never shared the partitions"
        );
        survivor.poll(Duration::from_millis(100));
    }
    doomed.kill();
    let killed_at = Instant::now();
    let deadline = killed_at + Duration::from_secs(30);
    while owned(&survivor) < 4 {
        assert!(
            Instant::now() < deadline,
            "the killed member's partitions did not move within 30 s"
        );
        survivor.poll(Duration::from_millis(100));
    }
    eprintln!("partitions moved {:?} after the kill", killed_at.elapsed());
}

#[test]
fn an_idempotent_producer_writes_each_record_once_through_connection_resets() {
    let (broker, proxy) = TestBroker::start_behind_proxy();
    let topic = "probe-idempotent";
    broker.create_topic(topic, 1);
    let producer: FutureProducer = broker
        .producer_config()
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", "60000")
        .create()
        .expect("producer");
    // Connected first, so that every reset below hits requests in flight.
    deliver(&producer, topic, "first", "first");
    let count = 3000;
    let mut deliveries = Vec::with_capacity(count);
    for i in 0..count {
        let value = format!("record-{i}");
        let record = rdkafka::producer::FutureRecord::to(topic)
            .key(&value)
            .payload(&value);
        deliveries.push(producer.send_result(record).expect("queued"));
        if i % 500 == 499 {
            proxy.reset();
        }
    }
    for delivery in deliveries {
        support::kafka::block_on(delivery)
            .expect("delivery future")
            .expect("delivered");
    }
    assert!(proxy.resets() > 0, "the proxy reset no connection");
    let got = values(&broker.read_to_end(topic, "read_uncommitted", CONSUME_TIMEOUT));
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), count + 1, "distinct records");
    assert_eq!(
        got.len(),
        count + 1,
        "records in the log (duplicates: {})",
        got.len() - sorted.len()
    );
}

/// Polls `consumers` until each owns `each` partitions.
fn wait_assigned(consumers: &[&BaseConsumer], each: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while consumers
        .iter()
        .any(|c| c.assignment().map_or(0, |a| a.count()) != each)
    {
        assert!(Instant::now() < deadline, "the group never settled");
        for consumer in consumers {
            consumer.poll(Duration::from_millis(50));
        }
    }
}

#[test]
fn offsets_of_an_older_group_generation_are_refused() {
    let broker = TestBroker::shared();
    let (input, output, group) = (
        "probe-generation-in",
        "probe-generation-out",
        "probe-generation-group",
    );
    broker.create_topic(input, 2);
    broker.create_topic(output, 1);
    let first: BaseConsumer = broker.consumer_config(group).create().expect("consumer");
    first.subscribe(&[input]).expect("subscribe");
    wait_assigned(&[&first], 2);
    let stale = first.group_metadata().expect("group metadata");

    // A second member makes a new generation; the first member's old metadata is stale.
    let second: BaseConsumer = broker.consumer_config(group).create().expect("consumer");
    second.subscribe(&[input]).expect("subscribe");
    wait_assigned(&[&first, &second], 1);

    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(input, 0, Offset::Offset(5))
        .expect("offset");
    let zombie = broker.transactional_producer("probe-generation-zombie");
    zombie.begin_transaction().expect("begin");
    deliver(&zombie, output, "zombie", "zombie");
    let outcome = zombie.send_offsets_to_transaction(&offsets, &stale, OP_TIMEOUT);
    assert!(
        outcome.is_err(),
        "offsets of an older generation were accepted"
    );

    let current = first.group_metadata().expect("group metadata");
    let live = broker.transactional_producer("probe-generation-live");
    live.begin_transaction().expect("begin");
    live.send_offsets_to_transaction(&offsets, &current, OP_TIMEOUT)
        .expect("offsets of the current generation");
    live.commit_transaction(OP_TIMEOUT).expect("commit");
}
