//! `weir run` end to end against the test broker: a CSAS filter/projection produces what the
//! in-memory driver produces for the same input; a record that cannot be read lands in the
//! processing log, is counted, and processing goes on; SIGTERM under load exits 0 in time and a
//! restart under exactly-once produces nothing twice.

mod e2e;
mod harness;
mod support;

use std::time::Duration;

use e2e::{Input, config, driver_output, metric, produce_all, read_until, sorted, start};
use harness::Workspace;
use support::TestBroker;

const ORDERS: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, STATUS STRING, AMOUNT DOUBLE)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=2);
CREATE STREAM PAID AS
  SELECT ID, AMOUNT * 2 AS DOUBLED, UCASE(STATUS) AS S FROM ORDERS WHERE STATUS = 'paid'
  EMIT CHANGES;
";

fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(
                format!(
                    r#"{{"STATUS":"{}","AMOUNT":{}.5}}"#,
                    if i % 3 == 0 { "open" } else { "paid" },
                    i
                )
                .into_bytes(),
            ),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

#[test]
fn filter_and_projection_match_the_driver_and_a_poison_pill_is_logged() {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        ORDERS,
    );
    let (_daemon, addr) = start(&workspace);

    let mut inputs = orders(0, 60);
    let poison = Input {
        topic: "orders".into(),
        key: 7i64.to_be_bytes().to_vec(),
        value: Some(b"{not json".to_vec()),
        timestamp: 1_700_000_000_100,
    };
    inputs.insert(30, poison);
    produce_all(&broker, &inputs);

    let expected = driver_output(ORDERS, &inputs, 2, "PAID");
    assert_eq!(expected.len(), 40, "the driver keeps the paid orders");
    let got = read_until(&broker, "PAID", false, Duration::from_secs(60), |got| {
        got.len() >= expected.len()
    });
    assert_eq!(sorted(&got), sorted(&expected));

    let log = read_until(
        &broker,
        "weir_processing_log",
        false,
        Duration::from_secs(30),
        |got| !got.is_empty(),
    );
    let entry: serde_json::Value =
        serde_json::from_slice(log[0].1.as_deref().expect("a value")).expect("JSON entry");
    assert_eq!(entry["query"], "CSAS_PAID");
    assert_eq!(entry["topic"], "orders");
    assert_eq!(entry["kind"], "DESERIALIZATION_ERROR");
    assert_eq!(entry["value"], "e25vdCBqc29u", "the record's bytes, base64");
    let counted = metric(addr, "weir_processing_errors_total", "CSAS_PAID");
    assert_eq!(counted, 1.0);
    let consumed = metric(addr, "weir_records_consumed_total", "orders");
    assert_eq!(consumed, 61.0);
}

#[test]
fn sigterm_under_load_exits_cleanly_and_a_restart_produces_nothing_twice() {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(
            &broker,
            &state.path().display().to_string(),
            "processing_guarantee = \"exactly_once_v2\"",
        ),
        ORDERS,
    );
    let (mut daemon, _) = start(&workspace);
    let first = orders(0, 300);
    let producing = {
        let first = first.clone();
        let bootstrap = broker.bootstrap().to_owned();
        std::thread::spawn(move || e2e::produce_all_to(&bootstrap, &first))
    };
    // Stop while records are still arriving.
    read_until(&broker, "PAID", true, Duration::from_secs(60), |got| {
        !got.is_empty()
    });
    daemon.signal("TERM");
    let status = daemon
        .wait_exit(Duration::from_secs(25))
        .expect("weir stops within shutdown_timeout");
    assert_eq!(status.code(), Some(0), "{}", daemon.seen.join("\n"));
    producing.join().expect("producer thread");

    let (_daemon, _) = start(&workspace);
    let second = orders(300, 30);
    produce_all(&broker, &second);
    let all: Vec<Input> = first.into_iter().chain(second).collect();
    let expected = driver_output(ORDERS, &all, 2, "PAID");
    let got = read_until(&broker, "PAID", true, Duration::from_secs(60), |got| {
        got.len() >= expected.len()
    });
    assert_eq!(sorted(&got), sorted(&expected), "every output exactly once");
}
