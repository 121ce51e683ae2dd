//! Faults beyond a kill, each on `weir run` against the test broker, judged on
//! `read_committed` output:
//!
//! - the broker unreachable (through the test proxy): queries pause, `/readyz` answers 503
//!   naming the unreachable clients, and everything resumes by itself, nothing lost or
//!   duplicated;
//! - a corrupt checkpoint or a corrupt store file: detected at the restart, the store is wiped
//!   and restored from its changelog, and the results are right;
//! - the state directory full: the query stops with an error naming the path, and is right
//!   again once space returns (needs root to mount a small tmpfs; skipped otherwise).

mod e2e;
mod harness;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e::{Input, config, final_table, produce_all, read_until, start, wait_ready};
use harness::{Daemon, Workspace, http_get};
use support::TestBroker;

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER_ID STRING, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE STREAM COPIED AS SELECT ID, CUSTOMER_ID, AMOUNT FROM ORDERS EMIT CHANGES;
CREATE TABLE REVENUE AS
  SELECT CUSTOMER_ID, COUNT(*) AS ORDERS, SUM(AMOUNT) AS TOTAL
  FROM ORDERS GROUP BY CUSTOMER_ID EMIT CHANGES;
";

fn orders(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "orders".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(
                format!(
                    r#"{{"CUSTOMER_ID":"c{}","AMOUNT":{}}}"#,
                    (i * 7) % 11,
                    i % 100
                )
                .into_bytes(),
            ),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

/// Customer → (orders, total) as the inputs imply.
fn expected_revenue(inputs: &[Input]) -> BTreeMap<String, (i64, i64)> {
    let mut revenue = BTreeMap::new();
    for input in inputs {
        let json: serde_json::Value =
            serde_json::from_slice(input.value.as_deref().unwrap_or_default()).expect("JSON");
        let entry = revenue
            .entry(json["CUSTOMER_ID"].as_str().unwrap_or_default().to_owned())
            .or_insert((0, 0));
        entry.0 += 1;
        entry.1 += json["AMOUNT"].as_i64().unwrap_or_default();
    }
    revenue
}

fn revenue(records: &e2e::Output) -> BTreeMap<String, (i64, i64)> {
    final_table(records)
        .into_iter()
        .map(|(key, value)| {
            let json: serde_json::Value = serde_json::from_slice(&value).expect("JSON value");
            (
                String::from_utf8_lossy(&key).into_owned(),
                (
                    json["ORDERS"].as_i64().unwrap_or(-1),
                    json["TOTAL"].as_i64().unwrap_or(-1),
                ),
            )
        })
        .collect()
}

/// Waits until REVENUE holds `inputs`' totals and COPIED every input exactly once.
fn wait_exact(broker: &TestBroker, inputs: &[Input], daemon: &mut Daemon) {
    let expected = expected_revenue(inputs);
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_until(broker, "REVENUE", true, Duration::from_secs(120), |got| {
            revenue(got) == expected
        });
        let copied = read_until(broker, "COPIED", true, Duration::from_secs(60), |got| {
            got.len() >= inputs.len()
        });
        let mut ids: Vec<&Option<Vec<u8>>> = copied.iter().map(|(key, _)| key).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), inputs.len(), "distinct outputs");
        assert_eq!(copied.len(), inputs.len(), "every input exactly once");
    }));
    if let Err(panic) = checked {
        eprintln!("--- weir log ---\n{}", daemon.log());
        std::panic::resume_unwind(panic);
    }
}

/// Waits until `/readyz` answers `code`; returns its body.
fn wait_readyz(addr: std::net::SocketAddr, code: u16, within: Duration) -> String {
    wait_readyz_naming(addr, code, &[], within)
}

/// Waits until `/readyz` answers `code` with a body that contains every one of `names`
/// (each stream thread reports an outage when its own client notices it, not all at once).
fn wait_readyz_naming(
    addr: std::net::SocketAddr,
    code: u16,
    names: &[&str],
    within: Duration,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let (got, body) = http_get(addr, "/readyz");
        if got == code && names.iter().all(|name| body.contains(name)) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz did not answer {code} naming {names:?} within {within:?}; last: {got} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_unreachable_broker_pauses_queries_until_it_is_back() {
    let (broker, proxy) = TestBroker::start_behind_proxy();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(
            &broker,
            &state.path().display().to_string(),
            "processing_guarantee = \"exactly_once_v2\"",
        ),
        QUERIES,
    );
    let (mut daemon, addr) = start(&workspace);
    let first = orders(0, 200);
    produce_all(&broker, &first);
    wait_exact(&broker, &first, &mut daemon);

    proxy.cut();
    // /readyz names the unreachable clients of every query, as each notices the outage.
    let body = wait_readyz_naming(
        addr,
        503,
        &["unreachable", "CSAS_COPIED", "CTAS_REVENUE"],
        Duration::from_secs(60),
    );
    assert!(
        body.contains("brokers are down"),
        "/readyz says why: {body}"
    );
    // Liveness is not readiness: the process is healthy while the broker is away.
    assert_eq!(
        http_get(addr, "/healthz").0,
        200,
        "/healthz during the outage"
    );
    std::thread::sleep(Duration::from_secs(3));
    proxy.restore();

    wait_readyz(addr, 200, Duration::from_secs(90));
    let second = orders(200, 200);
    produce_all(&broker, &second);
    let all: Vec<Input> = first.into_iter().chain(second).collect();
    wait_exact(&broker, &all, &mut daemon);
    assert!(
        daemon.child.try_wait().expect("try_wait").is_none(),
        "weir exited"
    );
}

/// Every file under `dir` whose name satisfies `wanted`.
fn files(dir: &Path, wanted: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files(&path, wanted));
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(wanted)
        {
            found.push(path);
        }
    }
    found
}

/// Runs the stateful query at least once, stops it cleanly (checkpoints written), damages
/// its local state with `damage`, restarts and checks the results and that the log says
/// `detected`.
fn survives_damaged_state(damage: &dyn Fn(&Path) -> usize, detected: &str) {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        QUERIES,
    );
    let (mut daemon, _) = start(&workspace);
    let first = orders(0, 300);
    produce_all(&broker, &first);
    let expected = expected_revenue(&first);
    read_until(&broker, "REVENUE", false, Duration::from_secs(90), |got| {
        revenue(got) == expected
    });
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "clean stop: {status:?}\n{}",
        daemon.log()
    );
    let damaged = damage(state.path());
    assert!(
        damaged > 0,
        "nothing to damage under {}",
        state.path().display()
    );

    let (mut daemon, addr) = start(&workspace);
    wait_ready(addr, Duration::from_secs(60));
    let second = orders(300, 100);
    produce_all(&broker, &second);
    let all: Vec<Input> = first.into_iter().chain(second).collect();
    let expected = expected_revenue(&all);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_until(&broker, "REVENUE", false, Duration::from_secs(90), |got| {
            revenue(got) == expected
        })
    }));
    if let Err(panic) = outcome {
        eprintln!("--- weir log ---\n{}", daemon.log());
        std::panic::resume_unwind(panic);
    }
    let log = daemon.log();
    assert!(
        log.contains(detected) && log.contains("store restored"),
        "the damage must be detected ({detected:?}) and the store rebuilt from its changelog; \
         log:\n{log}"
    );
}

#[test]
fn a_corrupt_checkpoint_is_detected_and_the_store_restored() {
    survives_damaged_state(
        &|state| {
            let checkpoints = files(state, &|name| name == ".checkpoint");
            for path in &checkpoints {
                std::fs::write(path, b"\x00garbage{not a checkpoint").expect("corrupt checkpoint");
            }
            checkpoints.len()
        },
        "checkpoint ignored",
    );
}

#[test]
fn a_corrupt_store_file_is_detected_and_the_store_restored() {
    survives_damaged_state(
        &|state| {
            let tables = files(state, &|name| name.ends_with(".sst"));
            for path in &tables {
                let mut bytes = std::fs::read(path).expect("read sst");
                let middle = bytes.len() / 2;
                let end = (middle + 64).min(bytes.len());
                for byte in &mut bytes[middle..end] {
                    *byte ^= 0xA5;
                }
                std::fs::write(path, bytes).expect("corrupt sst");
            }
            tables.len()
        },
        "store is corrupt",
    );
}

/// A small tmpfs mounted for the test (root only), unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("mount point");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { dir })
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(self.dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {size}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

const PADDED: &str = "
CREATE STREAM EVENTS (ID BIGINT KEY, PAD STRING)
  WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE PADS AS
  SELECT ID, LATEST_BY_OFFSET(PAD) AS PAD, COUNT(*) AS N FROM EVENTS GROUP BY ID EMIT CHANGES;
";

/// `len` hex digits that do not compress (a splitmix64 stream seeded by `seed`).
fn noise(seed: i64, len: usize) -> String {
    let mut state = seed as u64;
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.push_str(&format!("{:016x}", z ^ (z >> 31)));
    }
    out.truncate(len);
    out
}

fn padded(from: i64, count: i64) -> Vec<Input> {
    (from..from + count)
        .map(|i| Input {
            topic: "events".into(),
            key: i.to_be_bytes().to_vec(),
            value: Some(format!(r#"{{"PAD":"{i}-{}"}}"#, noise(i, 2000)).into_bytes()),
            timestamp: 1_700_000_000_000 + i,
        })
        .collect()
}

#[test]
fn a_full_state_dir_stops_the_query_naming_the_path_and_it_recovers_with_space() {
    let Some(disk) = SmallDisk::mount("3m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let broker = TestBroker::start();
    let state = disk.dir.path().display().to_string();
    let workspace = Workspace::new(&config(&broker, &state, ""), PADDED);
    let (mut daemon, addr) = start(&workspace);

    // Write until the query reports the full disk, naming the state directory.
    let mut inputs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let detail = loop {
        let batch = padded(inputs.len() as i64, 500);
        produce_all(&broker, &batch);
        inputs.extend(batch);
        let settle = Instant::now() + Duration::from_secs(5);
        let mut found = None;
        while Instant::now() < settle && found.is_none() {
            let (_, body) = http_get(addr, "/info");
            let info: serde_json::Value = serde_json::from_str(&body).expect("info JSON");
            found = info["queries"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|q| q["state"] == "ERROR")
                .map(|q| q["detail"].as_str().unwrap_or_default().to_owned());
            std::thread::sleep(Duration::from_millis(200));
        }
        if let Some(detail) = found {
            break detail;
        }
        assert!(
            Instant::now() < deadline,
            "the query never failed on the full disk after {} records; log:\n{}",
            inputs.len(),
            daemon.log()
        );
    };
    assert!(
        detail.contains(&state),
        "the error must name the state directory {state}: {detail}"
    );
    eprintln!(
        "failed as expected after {} records: {detail}",
        inputs.len()
    );

    disk.resize("512m");
    wait_ready(addr, Duration::from_secs(120));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_until(&broker, "PADS", false, Duration::from_secs(120), |got| {
            let table = final_table(got);
            table.len() == inputs.len()
                && table.values().all(|v| {
                    let json: serde_json::Value = serde_json::from_slice(v).unwrap_or_default();
                    json["N"] == 1
                })
        })
    }));
    if let Err(panic) = outcome {
        eprintln!("--- weir log ---\n{}", daemon.log());
        std::panic::resume_unwind(panic);
    }
    let (_, metrics) = http_get(addr, "/metrics");
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("weir_processing_errors_total") && !l.ends_with(" 0")),
        "no record may be skipped for the full disk:\n{metrics}"
    );
}
