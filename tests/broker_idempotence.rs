//! Probes the test broker's idempotent produce against the retries a client makes: a batch
//! whose answer the client did not get in time is sent again while its first attempt may
//! still be running on the broker. Kafka writes such a batch once (the sequence check and the
//! append are one step per partition); the chaos suite once saw a committed transaction of
//! weir's carry a batch twice because the test broker checked and advanced the sequence in
//! separate steps. The broker's probe-only `NISSHI_PRODUCE_WRITE_DELAY_MS` holds every
//! idempotent write long enough for the client's request time-out to fire first.

mod support;

use rdkafka::producer::{FutureProducer, FutureRecord};

use support::TestBroker;
use support::broker::{CONSUME_TIMEOUT, PRODUCE_WRITE_DELAY};

#[test]
fn a_batch_retried_while_its_first_attempt_runs_is_written_once() {
    let (broker, proxy) = TestBroker::start_behind_proxy_with_env(&[(PRODUCE_WRITE_DELAY, "2500")]);
    let topic = "probe-idempotent-retry";
    broker.create_topic(topic, 1);
    let producer: FutureProducer = broker
        .producer_config()
        .set("enable.idempotence", "true")
        .set("retry.backoff.ms", "100")
        .set("message.timeout.ms", "60000")
        .create()
        .expect("producer");
    let count = 5;
    let deliveries: Vec<_> = (0..count)
        .map(|i| {
            let value = format!("record-{i}");
            producer
                .send_result(FutureRecord::to(topic).key(&value).payload(&value))
                .expect("queued")
        })
        .collect();
    // Each write is held 2.5 s: a connection reset while it is held makes the client send the
    // batch again (same producer, same sequence) on a new connection, beside the first attempt.
    std::thread::sleep(std::time::Duration::from_millis(800));
    proxy.reset();
    for delivery in deliveries {
        support::kafka::block_on(delivery)
            .expect("delivery future")
            .expect("delivered");
    }
    let got: Vec<String> = broker
        .read_to_end(topic, "read_uncommitted", CONSUME_TIMEOUT)
        .iter()
        .map(|record| String::from_utf8_lossy(record.value.as_deref().unwrap_or_default()).into())
        .collect();
    let mut distinct = got.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), count, "distinct records: {got:?}");
    assert!(proxy.resets() > 0, "the proxy reset no connection");
    assert_eq!(got.len(), count, "records in the log, each once: {got:?}");
}
