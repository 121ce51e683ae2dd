//! Tests of the test broker fixture itself (`tests/support/broker.rs`): a record goes in and
//! comes back through a consumer group; transactions commit and abort and committed records
//! reach `read_committed` consumers while aborted ones do not (what `exactly_once_v2` relies
//! on; the failure cases are probed in `tests/broker_transactions.rs`); a partition's end
//! offset is answered as Kafka answers it (the high watermark, and the last stable offset to a
//! `read_committed` client while a transaction is open); and the broker dies with the test
//! process even when nothing drops it.

mod support;

use std::io::ErrorKind;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::producer::Producer;

use support::TestBroker;
use support::broker::{CONSUME_TIMEOUT, OP_TIMEOUT};
use support::kafka::{consume_with, deliver};

#[test]
fn a_record_round_trips_through_a_consumer_group() {
    let broker = TestBroker::shared();
    eprintln!(
        "shared broker on {} ready in {:?}",
        broker.bootstrap(),
        broker.started_in()
    );
    let topic = "fixture-round-trip";
    broker.create_topic(topic, 3);

    let (partition, offset) = broker.produce(topic, "key-1", "value-1");

    let began = Instant::now();
    let got = broker.consume(topic, "fixture-round-trip-group", 1);
    eprintln!("first record of a new group after {:?}", began.elapsed());
    assert_eq!(got.len(), 1);
    let record = &got[0];
    assert_eq!(
        record.key_str().as_deref(),
        Some("key-1"),
        "key of {record:?}"
    );
    assert_eq!(
        record.value_str().as_deref(),
        Some("value-1"),
        "value of {record:?}"
    );
    assert_eq!(
        (record.partition, record.offset),
        (partition, offset),
        "position of {record:?}"
    );
}

/// Runs three transactions on a new one-partition topic: commit, abort (after the record was
/// delivered, so it really is in the log), commit.
fn commit_abort_commit(broker: &TestBroker, topic: &str) {
    broker.create_topic(topic, 1);
    let producer = broker.transactional_producer(&format!("{topic}-producer"));
    for (value, commit) in [
        ("committed-1", true),
        ("aborted", false),
        ("committed-2", true),
    ] {
        producer.begin_transaction().expect("begin_transaction");
        // Wait for delivery: aborting before it purges the record client-side, and a test
        // of visibility would then pass without the broker doing anything.
        deliver(&producer, topic, value, value);
        if commit {
            producer
                .commit_transaction(OP_TIMEOUT)
                .expect("commit_transaction");
        } else {
            producer
                .abort_transaction(OP_TIMEOUT)
                .expect("abort_transaction");
        }
    }
}

fn values(broker: &TestBroker, topic: &str, isolation: &str, n: usize) -> Vec<String> {
    let mut config = broker.consumer_config(&format!("{topic}-{isolation}"));
    config.set("isolation.level", isolation);
    consume_with(config, &[topic], n, CONSUME_TIMEOUT)
        .iter()
        .map(|r| r.value_str().unwrap_or_default())
        .collect()
}

#[test]
fn transactions_commit_and_abort_and_committed_records_are_visible() {
    let broker = TestBroker::shared();
    let topic = "fixture-transactions";
    commit_abort_commit(broker, topic);

    // All three records are in the log, in order.
    assert_eq!(
        values(broker, topic, "read_uncommitted", 3),
        ["committed-1", "aborted", "committed-2"]
    );
    // A read_committed consumer gets both committed records (the last one proves the
    // transaction markers do not stall it at the last stable offset).
    assert_eq!(
        values(broker, topic, "read_committed", 2),
        ["committed-1", "committed-2"]
    );
}

/// The full exactly-once visibility contract: an aborted record that reached the log is not
/// returned to `read_committed` consumers.
#[test]
fn read_committed_does_not_see_aborted_records() {
    let broker = TestBroker::shared();
    let topic = "fixture-transactions-strict";
    commit_abort_commit(broker, topic);
    // The aborted record sits between the two committed ones, so a read_committed consumer
    // that got it would return it as its second record.
    assert_eq!(
        values(broker, topic, "read_committed", 2),
        ["committed-1", "committed-2"],
        "read_committed must skip the aborted record"
    );
}

/// Env var that turns [`child_holds_a_broker_and_exits`] from a no-op into the real child.
const CHILD_ENV: &str = "WEIR_FIXTURE_CHILD";

#[test]
fn the_broker_dies_with_the_test_process() {
    // Re-run this test binary as a child that starts a broker and exits without dropping it.
    let output = Command::new(std::env::current_exe().expect("current_exe"))
        .args([
            "--exact",
            "child_holds_a_broker_and_exits",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("cannot run the child test process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let bootstrap = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BOOTSTRAP="))
        .unwrap_or_else(|| {
            panic!(
                "the child printed no BOOTSTRAP= line ({}):\n{stdout}\n{stderr}",
                output.status
            )
        });

    // The child has exited; its broker must stop listening soon after.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect_timeout(&bootstrap.parse().unwrap(), Duration::from_millis(200)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => break,
            outcome => {
                assert!(
                    Instant::now() < deadline,
                    "the broker at {bootstrap} still answers 10 s after its test process exited \
                     (last connect: {outcome:?})"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// The child half of [`the_broker_dies_with_the_test_process`]; does nothing when run directly.
#[test]
#[ignore = "run by the_broker_dies_with_the_test_process as a child process"]
fn child_holds_a_broker_and_exits() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let broker = TestBroker::start();
    println!("BOOTSTRAP={}", broker.bootstrap());
    // Exit without running destructors, as a process does when killed or at the end of
    // main with a static broker.
    std::process::exit(0);
}

/// The end offset a client is answered for `topic` partition 0 (`ListOffsets` latest).
fn end_offset(broker: &TestBroker, topic: &str, isolation: &str) -> i64 {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = broker
        .client_config()
        .set("group.id", "probe-end-offset")
        .set("isolation.level", isolation)
        .create()
        .expect("consumer");
    consumer
        .fetch_watermarks(topic, 0, OP_TIMEOUT)
        .expect("watermarks")
        .1
}

#[test]
fn the_end_offset_is_the_high_watermark_or_the_last_stable_offset() {
    let broker = TestBroker::shared();
    let topic = "probe-end-offset";
    broker.create_topic(topic, 1);
    // Ten records in one batch: an end offset taken from the newest batch's first record
    // (the broker's answer before the patch) says 1.
    let producer: rdkafka::producer::FutureProducer = broker
        .producer_config()
        .set("linger.ms", "200")
        .create()
        .expect("producer");
    let deliveries: Vec<_> = (0..10)
        .map(|i| {
            let value = format!("record-{i}");
            producer
                .send_result(
                    rdkafka::producer::FutureRecord::to(topic)
                        .key(&value)
                        .payload(&value),
                )
                .expect("queued")
        })
        .collect();
    for delivery in deliveries {
        support::kafka::block_on(delivery)
            .expect("delivery future")
            .expect("delivered");
    }
    assert_eq!(end_offset(broker, topic, "read_uncommitted"), 10);
    assert_eq!(end_offset(broker, topic, "read_committed"), 10);

    // An open transaction holds the last stable offset at its first record.
    let transactional = broker.transactional_producer(&format!("{topic}-producer"));
    transactional
        .begin_transaction()
        .expect("begin_transaction");
    for i in 0..3 {
        deliver(&transactional, topic, "open", format!("open-{i}"));
    }
    assert_eq!(end_offset(broker, topic, "read_uncommitted"), 13);
    assert_eq!(end_offset(broker, topic, "read_committed"), 10);
    transactional
        .commit_transaction(OP_TIMEOUT)
        .expect("commit_transaction");
    // The commit marker takes offset 13.
    assert_eq!(end_offset(broker, topic, "read_uncommitted"), 14);
    assert_eq!(end_offset(broker, topic, "read_committed"), 14);
}
