//! Replicas agree on the lock (`runtime/agreement.rs`): two `weir run` processes of one
//! service_id whose locks differ for one query id, against the test broker. The newcomer does
//! not process the query whose plan differs (its `/readyz` is 503 naming the query and both
//! plan tags, and its log says why), keeps running the query both agree on, and starts the
//! other by itself once the first replica stops. A replica none of whose queries agree exits 2.
//! The sink is read `read_committed` and holds only the running version's rows.

mod e2e;
mod harness;
mod support;

use std::time::{Duration, Instant};

use e2e::{Input, Output, config, produce_all, read_until, wait_ready};
use harness::{Daemon, Workspace, http_get};
use support::TestBroker;
use weir::lock::LockFile;
use weir::runtime::agreement::plan_tag;

const ORDERS: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=2);
CREATE STREAM ALL_ORDERS AS SELECT ID, AMOUNT FROM ORDERS EMIT CHANGES;
";
/// The query both versions share by id; the versions differ in the WHERE.
const BIG_V1: &str =
    "CREATE STREAM BIG_ORDERS AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT >= 50 EMIT CHANGES;\n";
const BIG_V2: &str =
    "CREATE STREAM BIG_ORDERS AS SELECT ID, AMOUNT FROM ORDERS WHERE AMOUNT >= 10 EMIT CHANGES;\n";
const QUERY: &str = "CSAS_BIG_ORDERS";

/// Orders `from..from + count`, the amount of order `i` being `i % 100`.
fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(format!(r#"{{"AMOUNT":{}}}"#, i % 100).into_bytes()),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

/// (order id, amount) of every record of an output.
fn rows(output: &Output) -> Vec<(i64, i64)> {
    output
        .iter()
        .map(|(key, value)| {
            let id = key
                .as_deref()
                .and_then(|k| <[u8; 8]>::try_from(k).ok())
                .map_or(-1, i64::from_be_bytes);
            let json: serde_json::Value =
                serde_json::from_slice(value.as_deref().unwrap_or_default()).expect("JSON value");
            (id, json["AMOUNT"].as_i64().unwrap_or(-1))
        })
        .collect()
}

struct Replica {
    daemon: Daemon,
    addr: std::net::SocketAddr,
    _state: tempfile::TempDir,
}

fn replica(workspace: &Workspace) -> Replica {
    let state = tempfile::tempdir().expect("state dir");
    let state_dir = state.path().display().to_string();
    let mut daemon = Daemon::spawn(workspace.command(&["run", "--state-dir", &state_dir]));
    let addr = daemon.http_addr();
    Replica {
        daemon,
        addr,
        _state: state,
    }
}

/// A workspace of `queries` for `broker`, locked with `weir lock`; returns it and the plan tag
/// its lock gives [`QUERY`].
fn locked(broker: &TestBroker, queries: &str) -> (Workspace, String) {
    let workspace = Workspace::new(
        &config(
            broker,
            "/nonexistent-overridden",
            "processing_guarantee = \"exactly_once_v2\"",
        ),
        queries,
    );
    let (code, out, err) = workspace.output(&["lock"]);
    assert_eq!(code, 0, "weir lock: {out}{err}");
    let lock = LockFile::read_for(&workspace.path("app.sql"))
        .expect("lock readable")
        .expect("lock written");
    let tag = plan_tag(&lock.query(QUERY).expect("query locked").plan_fingerprint);
    (workspace, tag)
}

/// `query`'s state on a replica, from `/info`.
fn state_of(replica: &Replica, query: &str) -> String {
    let (_, body) = http_get(replica.addr, "/info");
    let info: serde_json::Value = serde_json::from_str(&body).expect("info JSON");
    info["queries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|q| q["id"] == query)
        .and_then(|q| q["state"].as_str())
        .unwrap_or("absent")
        .to_owned()
}

/// Waits until `check` holds, polling every 100 ms; panics with `what` and the log of `replica`.
fn wait_until(
    replica: &mut Replica,
    timeout: Duration,
    what: &str,
    check: impl Fn(&Replica) -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !check(replica) {
        if Instant::now() > deadline {
            panic!("{what} within {timeout:?}; log:\n{}", replica.daemon.log());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_replica_with_another_plan_waits_until_the_running_version_stops() {
    let broker = TestBroker::start();
    let (v1, tag_v1) = locked(&broker, &format!("{ORDERS}{BIG_V1}"));
    let (v2, tag_v2) = locked(&broker, &format!("{ORDERS}{BIG_V2}"));
    let (v2_only, _) = locked(
        &broker,
        &format!("{ORDERS}{BIG_V2}").replace(
            "CREATE STREAM ALL_ORDERS AS SELECT ID, AMOUNT FROM ORDERS EMIT CHANGES;\n",
            "",
        ),
    );
    assert_ne!(tag_v1, tag_v2, "the versions' plans differ");

    let mut first = replica(&v1);
    wait_ready(first.addr, Duration::from_secs(60));
    produce_all(&broker, &orders(0, 100));
    // Once the output is committed, so are the group's offsets (the test broker lists a group
    // only from then on, see tests/broker_groups.rs).
    read_until(
        &broker,
        "BIG_ORDERS",
        true,
        Duration::from_secs(60),
        |got| got.len() >= 50,
    );

    // A replica all of whose queries disagree has nothing to run: exit 2, saying why.
    let lone_state = tempfile::tempdir().expect("state dir");
    let (code, _, stderr) = v2_only.output(&[
        "run",
        "--state-dir",
        &lone_state.path().display().to_string(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no query can run on this replica")
            && stderr.contains(&format!("query {QUERY} runs plan {tag_v1}"))
            && stderr.contains(&format!("this replica's lock has plan {tag_v2}")),
        "{stderr}"
    );

    // The newcomer runs ALL_ORDERS (same plan) and refuses BIG_ORDERS.
    let mut newcomer = replica(&v2);
    wait_until(
        &mut newcomer,
        Duration::from_secs(60),
        "the newcomer runs ALL_ORDERS and refuses BIG_ORDERS",
        |r| state_of(r, "CSAS_ALL_ORDERS") == "RUNNING" && state_of(r, QUERY) == "LOCK_CONFLICT",
    );
    let (code, body) = http_get(newcomer.addr, "/readyz");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains(QUERY)
            && body.contains("LOCK_CONFLICT")
            && body.contains(&format!("runs plan {tag_v1}"))
            && body.contains(&format!("lock has plan {tag_v2}")),
        "{body}"
    );
    let line = newcomer
        .daemon
        .wait_for_line("\"ours\":", Duration::from_secs(10));
    assert!(
        line.contains(QUERY) && line.contains(&tag_v1) && line.contains(&tag_v2),
        "{line}"
    );
    assert_eq!(state_of(&first, QUERY), "RUNNING");

    // More input while both run: only the first replica's version writes BIG_ORDERS.
    produce_all(&broker, &orders(100, 100));
    read_until(
        &broker,
        "ALL_ORDERS",
        true,
        Duration::from_secs(60),
        |got| got.len() >= 200,
    );
    let big = read_until(
        &broker,
        "BIG_ORDERS",
        true,
        Duration::from_secs(60),
        |got| got.len() >= 100,
    );
    let big = rows(&big);
    assert_eq!(big.len(), 100, "{big:?}");
    assert!(big.iter().all(|(_, amount)| *amount >= 50), "{big:?}");
    assert_eq!(state_of(&newcomer, QUERY), "LOCK_CONFLICT");

    // The upgrade: the first replica stops, the newcomer starts BIG_ORDERS by itself.
    first.daemon.signal("TERM");
    let status = first.daemon.wait_exit(Duration::from_secs(30));
    assert!(status.is_some_and(|s| s.success()), "{:?}", status);
    wait_ready(newcomer.addr, Duration::from_secs(60));
    newcomer
        .daemon
        .wait_for_line("no live replica runs another plan", Duration::from_secs(10));
    produce_all(&broker, &orders(200, 100));
    let big = read_until(
        &broker,
        "BIG_ORDERS",
        true,
        Duration::from_secs(60),
        |got| {
            rows(got)
                .iter()
                .any(|(id, amount)| *id >= 200 && *amount < 50)
        },
    );
    let big = rows(&big);
    let third: Vec<&(i64, i64)> = big.iter().filter(|(id, _)| *id >= 200).collect();
    assert!(
        third.iter().all(|(_, amount)| *amount >= 10),
        "the new version's rows only: {third:?}"
    );
    assert!(
        big.iter()
            .filter(|(id, _)| *id < 200)
            .all(|(_, amount)| *amount >= 50),
        "{big:?}"
    );
}
