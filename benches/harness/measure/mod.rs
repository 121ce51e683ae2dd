//! Per-workload runs against a real broker: pre-produce the inputs, start `weir run`, time it
//! through them (wall clock from the last poll before the first record is consumed to the
//! poll that sees the last, CPU seconds of the weir process from `/proc`), then the latency
//! phase at a fixed rate ([`latency`]), then the check of a windowed sink against the input
//! ([`windows`](super::windows)), then the passthrough ceiling over the same topics, then,
//! when asked, a peer over the same input ([`peers`](super::peers)). The restore run lives in
//! [`restore`].

pub mod latency;
pub mod restore;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::BenchResult;
use super::broker::Broker;
use super::daemon::Daemon;
use super::kafka;
use super::passthrough::PassthroughResult;
use super::peers::{self, Expected, PeerResult};
use super::procfs;
use super::windows::{self, Layout, WindowCheck};
use super::workloads::Workload;

pub use latency::LatencyResult;

/// Input partitions of every workload topic (weir runs two stream threads).
pub const PARTITIONS: i32 = 2;

/// How a run is sized and where its programs and files are.
#[derive(Clone, Debug)]
pub struct Options {
    /// Bids pre-produced per workload.
    pub bids: u64,
    /// Fixed rate of the latency phase (records/s) and its length.
    pub latency_rate: u64,
    pub latency_seconds: u64,
    /// Keys of the restore aggregate.
    pub restore_keys: u64,
    /// Time limit of one workload's throughput phase, from its first record consumed.
    pub max_seconds: u64,
    /// The `weir` binary under test.
    pub weir: PathBuf,
    /// The bench binary itself, to run the passthrough as a separate process; `None` runs it
    /// on a thread of this process (the smoke test, where CPU figures do not matter).
    pub bench: Option<PathBuf>,
    /// Logs and state of the runs (kept for post-mortems).
    pub work_dir: PathBuf,
    /// Run the peers ([`peers::WORKLOADS`]) after weir over the same input.
    pub peers: bool,
    /// How long the daemon idles after the backlog before its idle memory is read
    /// ([`SETTLE`]; shorter in the smoke run, which does not report memory).
    pub settle: Duration,
}

/// What one workload measured against the broker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BrokerResult {
    pub workload: String,
    pub title: String,
    pub guarantee: String,
    /// Input records pre-produced (bids, plus auctions for W3).
    pub records: u64,
    /// Input records weir got through before the time limit (all of them when `complete`).
    pub processed: u64,
    pub complete: bool,
    /// Queries on the daemon (each reads every bid).
    pub queries: u64,
    /// Commits (transactions under exactly-once) and the seconds they took, summed.
    pub commits: f64,
    pub commit_seconds: f64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    /// Input records per wall second, first record consumed to last.
    pub records_per_second: f64,
    /// Input records per CPU second of the weir process.
    pub records_per_cpu_second: f64,
    /// Resident memory when the daemon reports ready (consumers already prefetching the
    /// pre-produced backlog).
    #[serde(default)]
    pub ready_rss_mib: f64,
    /// Resident memory once the backlog is processed and no record has arrived for
    /// [`SETTLE`]: the daemon idle with its queries running.
    pub idle_rss_mib: f64,
    /// Peak resident memory over the whole run (VmHWM).
    pub peak_rss_mib: f64,
    pub latency: Option<LatencyResult>,
    pub ceiling: PassthroughResult,
    pub ceiling_records_per_second: f64,
    pub ceiling_records_per_cpu_second: f64,
    /// weir ÷ ceiling, wall throughput and per core.
    pub ratio_wall: f64,
    pub ratio_per_core: f64,
    /// The sink's final windows against the input (W2, W4): a run with any wrong, missing
    /// or unexpected window failed.
    #[serde(default)]
    pub windows: Option<WindowCheck>,
    /// The peer's run over the same input (`--peers`), or why it failed.
    #[serde(default)]
    pub peer: Option<PeerResult>,
    #[serde(default)]
    pub peer_failure: Option<String>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A fresh folder `work_dir/<name>`.
pub fn fresh_dir(work_dir: &Path, name: &str) -> BenchResult<PathBuf> {
    let dir = work_dir.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// How far a polled metric got.
pub struct Progress {
    /// The last poll that saw the metric at zero: everything counted happened after it.
    pub first: Instant,
    /// Poll that saw it reach the target, or the last poll before the time limit.
    pub last: Instant,
    pub value: f64,
    pub complete: bool,
}

/// Polls `metric` on `daemon` every 20 ms until it reaches `target` or `limit` passes since
/// it was first above zero (then the progress so far is returned, `complete: false`). The
/// window opens at the last poll that saw zero, so every record counted is inside it (a
/// window opened at the first poll above zero credited it with what came before).
pub fn wait_for_metric(
    daemon: &mut Daemon,
    metric: &str,
    target: f64,
    limit: Duration,
) -> BenchResult<Progress> {
    // Generous for the consumer group's first assignment, before the first record.
    let start_deadline = Instant::now() + Duration::from_secs(120);
    let mut first: Option<Instant> = None;
    let mut last_zero = Instant::now();
    let mut value = 0.0;
    loop {
        if let Ok(Some(status)) = daemon.child.try_wait() {
            return Err(format!(
                "weir exited with {status} while waiting for {metric}; log: {}",
                daemon.log.display()
            ));
        }
        value = daemon.metric(metric, "").unwrap_or(value);
        let now = Instant::now();
        if value > 0.0 {
            first.get_or_insert(last_zero);
        } else {
            last_zero = now;
        }
        match first {
            Some(first) if value >= target || now - first > limit => {
                return Ok(Progress {
                    first,
                    last: now,
                    value,
                    complete: value >= target,
                });
            }
            None if now > start_deadline => {
                return Err(format!(
                    "{metric} stayed 0 for 120 s; log: {}",
                    daemon.log.display()
                ));
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How long the daemon runs without input before its idle memory is read: longer than the
/// period of weir's memory trim (10 s), so the reading shows an idle daemon, not one that has
/// not yet handed back what the backlog left behind.
pub const SETTLE: Duration = Duration::from_secs(weir::runtime::memory::TRIM_EVERY.as_secs() + 5);

/// Runs one workload end to end against a broker of its own.
pub fn run(workload: &Workload, options: &Options) -> BenchResult<BrokerResult> {
    let dir = fresh_dir(&options.work_dir, workload.id)?;
    let broker = Broker::start(&dir)?;
    let topics: Vec<&str> = workload.topics(options.bids).iter().map(|t| t.0).collect();
    // The test broker describes only the configs a topic was created with, and Quix Streams
    // sizes its changelog from its input's `retention.ms` (Kafka's default is 7 days).
    let config: &[(&str, &str)] = if options.peers {
        &[("retention.ms", "-1")]
    } else {
        &[]
    };
    kafka::create_topics_with(&broker.bootstrap, &topics, PARTITIONS, config)?;
    // Pre-produced event times end well before the latency phase's "now".
    let base = now_ms() - options.bids as i64 - 600_000;
    let events = workload.events(options.bids, base);
    kafka::produce_all(&broker.bootstrap, &events)?;
    let records = events.len() as u64;
    let mut expected = Expected::default();
    expected.add(&events, workload.window_ms)?;
    drop(events);

    let sql = workload.sql()?;
    let state = dir.join("state");
    let mut daemon = Daemon::spawn(
        &options.weir,
        &dir,
        &sql,
        &broker.bootstrap,
        workload.guarantee,
        &state,
        "weir.log",
    )?;
    daemon.wait_ready(Duration::from_secs(60))?;
    let ready_rss_mib = procfs::rss_mib(daemon.pid()).unwrap_or(0.0);
    let cpu_before = daemon.cpu_seconds();
    let bids = records
        - workload
            .topics(options.bids)
            .iter()
            .filter(|t| t.0 != "bids")
            .map(|t| t.1)
            .sum::<u64>();
    let target = (records - bids + bids * workload.queries) as f64;
    let progress = wait_for_metric(
        &mut daemon,
        "weir_records_consumed_total",
        target,
        Duration::from_secs(options.max_seconds),
    )?;
    let cpu_seconds = daemon.cpu_seconds() - cpu_before;
    let wall_seconds = (progress.last - progress.first).as_secs_f64();
    let processed = ((records as f64) * (progress.value / target).min(1.0)).round() as u64;
    std::thread::sleep(options.settle);
    let idle_rss_mib = procfs::rss_mib(daemon.pid()).unwrap_or(0.0);
    let (_, body) = super::daemon::http_get(daemon.addr, "/metrics")?;
    let commits = super::daemon::metric_sum(&body, "weir_commits_total", "");
    let commit_seconds = super::daemon::metric_sum(&body, "weir_commit_latency_seconds_sum", "");

    // A run that could not keep up would time its own backlog, not latency.
    let exactly_once = workload.guarantee == "exactly_once_v2";
    let mut sent = Vec::new();
    let latency = if progress.complete {
        latency::run(
            &broker.bootstrap,
            workload,
            options,
            exactly_once,
            &mut sent,
        )
        .map_err(|e| format!("{} latency phase: {e}", workload.id))?
    } else {
        None
    };
    expected.add(&sent, workload.window_ms)?;
    drop(sent);
    let peak_rss_mib = procfs::peak_rss_mib(daemon.pid()).unwrap_or(0.0);
    daemon.stop()?;
    // After the clean stop: every window's last update is written (and committed).
    let windows = match workload.window_ms {
        Some(_) => {
            let check = windows::check(
                &broker.bootstrap,
                workload.sink,
                Layout::Weir,
                exactly_once,
                &expected.windows,
            )
            .map_err(|e| format!("{} window check: {e}", workload.id))?;
            eprintln!("  weir {}", check.summary());
            Some(check)
        }
        None => None,
    };

    let ceiling = passthrough(options, &broker.bootstrap, &topics, records)?;
    let (peer, peer_failure) = if options.peers && peers::WORKLOADS.contains(&workload.id) {
        let limit = Duration::from_secs(options.max_seconds);
        match peers::run_quix(&broker.bootstrap, workload, &dir, &expected, limit) {
            Ok(peer) => (Some(peer), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    let records_per_second = processed as f64 / wall_seconds.max(1e-3);
    let records_per_cpu_second = processed as f64 / cpu_seconds.max(1e-3);
    let ceiling_records_per_second = ceiling.records as f64 / ceiling.wall_seconds.max(1e-3);
    let ceiling_records_per_cpu_second = ceiling.records as f64 / ceiling.cpu_seconds.max(1e-3);
    Ok(BrokerResult {
        workload: workload.id.to_owned(),
        title: workload.title.to_owned(),
        guarantee: workload.guarantee.to_owned(),
        records,
        processed,
        complete: progress.complete,
        queries: workload.queries,
        commits,
        commit_seconds,
        wall_seconds,
        cpu_seconds,
        records_per_second,
        records_per_cpu_second,
        ready_rss_mib,
        idle_rss_mib,
        peak_rss_mib,
        latency,
        ratio_wall: records_per_second / ceiling_records_per_second.max(1e-9),
        ratio_per_core: records_per_cpu_second / ceiling_records_per_cpu_second.max(1e-9),
        ceiling,
        ceiling_records_per_second,
        ceiling_records_per_cpu_second,
        windows,
        peer,
        peer_failure,
    })
}

/// Runs the passthrough as its own process over `topics` and reads its one-line JSON result.
pub fn passthrough(
    options: &Options,
    bootstrap: &str,
    topics: &[&str],
    records: u64,
) -> BenchResult<PassthroughResult> {
    let Some(bench) = &options.bench else {
        return super::passthrough::run(bootstrap, topics, "passthrough-out", records);
    };
    let output = Command::new(bench)
        .args(["passthrough", "--bootstrap", bootstrap, "--inputs"])
        .arg(topics.join(","))
        .args(["--output", "passthrough-out", "--expected"])
        .arg(records.to_string())
        .output()
        .map_err(|e| format!("starting the passthrough {}: {e}", bench.display()))?;
    if !output.status.success() {
        return Err(format!(
            "passthrough failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rfind(|l| l.starts_with('{'))
        .ok_or_else(|| format!("passthrough printed no result: {stdout}"))?;
    serde_json::from_str(line).map_err(|e| format!("passthrough result {line}: {e}"))
}
