//! Several `weir run` processes with one service_id share a query's partitions through the
//! consumer group; when one is killed with SIGKILL mid-stream the others take its tasks over,
//! restore their state from the changelogs and end with the single-process result. Under
//! exactly_once_v2 a read_committed reader sees every output exactly once; under
//! at_least_once nothing is missing.

mod e2e;
mod harness;
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use e2e::replicas::{Replica, replica, wait_split};
use e2e::{Input, config, driver_output, final_table, produce_all, read_until, sorted, wait_ready};
use harness::Workspace;
use support::TestBroker;

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER_ID STRING, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=6);
CREATE TABLE REVENUE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS, SUM(AMOUNT) AS TOTAL
  FROM ORDERS GROUP BY CUSTOMER_ID EMIT CHANGES;
CREATE STREAM BIG_ORDERS AS
  SELECT ID, CUSTOMER_ID, AMOUNT FROM ORDERS WHERE AMOUNT >= 50 EMIT CHANGES;
";

fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(
                format!(
                    r#"{{"CUSTOMER_ID":"c{}","AMOUNT":{}}}"#,
                    (i * 7) % 13,
                    i % 100
                )
                .into_bytes(),
            ),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

/// Customer → (orders, total) from the REVENUE output's final state.
fn revenue(records: &e2e::Output) -> BTreeMap<String, (i64, i64)> {
    final_table(records)
        .into_iter()
        .map(|(key, value)| {
            let json: serde_json::Value = serde_json::from_slice(&value).expect("JSON value");
            let orders = json["ORDERS"].as_i64().unwrap_or(-1);
            let total = json["TOTAL"].as_i64().unwrap_or(-1);
            (String::from_utf8_lossy(&key).into_owned(), (orders, total))
        })
        .collect()
}

/// The two scenarios run one after the other: five daemons and two brokers at once are more
/// than a two-core CI machine runs within the timeouts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn kill_one_mid_stream(
    guarantee: &str,
    replicas_count: usize,
) -> (TestBroker, Vec<Input>, Vec<Replica>) {
    let broker = TestBroker::start();
    let workspace = Workspace::new(
        &config(
            &broker,
            "/nonexistent-overridden",
            &format!("processing_guarantee = \"{guarantee}\""),
        ),
        QUERIES,
    );
    let mut replicas: Vec<Replica> = (0..replicas_count).map(|_| replica(&workspace)).collect();
    for r in &replicas {
        wait_ready(r.addr, Duration::from_secs(60));
    }
    // 6 input partitions: sub-topologies 0 and 1 of REVENUE make 12 tasks.
    wait_split(&replicas, "CTAS_REVENUE", 12);

    let first = orders(0, 400);
    produce_all(&broker, &first);
    // Mid-stream: most customers have a total out (the record cache sends one per customer
    // and commit, not one per order).
    read_until(
        &broker,
        "REVENUE",
        guarantee == "exactly_once_v2",
        Duration::from_secs(60),
        |got| final_table(got).len() >= 10,
    );
    let mut victim = replicas.remove(0);
    victim.daemon.child.kill().expect("SIGKILL");
    victim.daemon.child.wait().expect("reaped");

    let second = orders(400, 400);
    produce_all(&broker, &second);
    wait_split(&replicas, "CTAS_REVENUE", 12);
    let all: Vec<Input> = first.into_iter().chain(second).collect();
    (broker, all, replicas)
}

/// Runs `check`; when it panics, prints the surviving replicas' logs, then `summary()` (last,
/// so that a truncated CI log still shows it).
fn reporting<T>(
    replicas: &mut [Replica],
    summary: impl FnOnce() -> String,
    check: impl FnOnce() -> T,
) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)) {
        Ok(value) => value,
        Err(panic) => {
            for (i, r) in replicas.iter_mut().enumerate() {
                eprintln!("--- replica {i} log ---\n{}", r.daemon.log());
            }
            eprintln!("--- what the check saw last ---\n{}", summary());
            std::panic::resume_unwind(panic)
        }
    }
}

/// Customers whose (orders, total) in `got` differ from `expected`, for failure reports.
fn revenue_diff(
    got: &BTreeMap<String, (i64, i64)>,
    expected: &BTreeMap<String, (i64, i64)>,
) -> String {
    let keys: std::collections::BTreeSet<&String> = got.keys().chain(expected.keys()).collect();
    let wrong: Vec<String> = keys
        .into_iter()
        .filter(|k| got.get(*k) != expected.get(*k))
        .map(|k| format!("{k}: got {:?}, expected {:?}", got.get(k), expected.get(k)))
        .collect();
    format!(
        "{} of {} customers differ: {wrong:?}",
        wrong.len(),
        expected.len()
    )
}

#[test]
fn exactly_once_three_replicas_survive_a_kill_with_every_output_once() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (broker, all, mut replicas) = kill_one_mid_stream("exactly_once_v2", 3);
    let expected = revenue(&driver_output(QUERIES, &all, 6, "REVENUE"));
    let last = std::cell::RefCell::new((0, BTreeMap::new()));
    reporting(
        &mut replicas,
        || {
            let (records, got) = &*last.borrow();
            format!(
                "REVENUE: {records} records read; {}",
                revenue_diff(got, &expected)
            )
        },
        || {
            read_until(&broker, "REVENUE", true, Duration::from_secs(90), |got| {
                let table = revenue(got);
                let done = table == expected;
                *last.borrow_mut() = (got.len(), table);
                done
            })
        },
    );
    let expected = driver_output(QUERIES, &all, 6, "BIG_ORDERS");
    let got = read_until(
        &broker,
        "BIG_ORDERS",
        true,
        Duration::from_secs(60),
        |got| got.len() >= expected.len(),
    );
    assert_eq!(
        sorted(&got),
        sorted(&expected),
        "no duplicate, nothing missing"
    );
}

#[test]
fn at_least_once_two_replicas_survive_a_kill_with_nothing_missing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (broker, all, mut replicas) = kill_one_mid_stream("at_least_once", 2);
    let expected = revenue(&driver_output(QUERIES, &all, 6, "REVENUE"));
    let last = std::cell::RefCell::new((0, BTreeMap::new()));
    reporting(
        &mut replicas,
        || {
            let (records, got) = &*last.borrow();
            format!(
                "REVENUE: {records} records read; {}",
                revenue_diff(got, &expected)
            )
        },
        || {
            read_until(
                &broker,
                "REVENUE",
                false,
                Duration::from_secs(90),
                |records| {
                    let got = revenue(records);
                    // Replays after the kill may count an order twice, never zero times.
                    let done = got.len() == expected.len()
                        && expected.iter().all(|(k, (orders, total))| {
                            got.get(k).is_some_and(|g| g.0 >= *orders && g.1 >= *total)
                        });
                    *last.borrow_mut() = (records.len(), got);
                    done
                },
            )
        },
    );
    let expected = driver_output(QUERIES, &all, 6, "BIG_ORDERS");
    let got = read_until(
        &broker,
        "BIG_ORDERS",
        false,
        Duration::from_secs(60),
        |got| {
            let got = sorted(got);
            sorted(&expected)
                .iter()
                .all(|e| got.binary_search(e).is_ok())
        },
    );
    assert!(got.len() >= expected.len());
}
