//! The peers: another stream processor run over the same input topic on the same broker as
//! weir, right after weir's run of a workload, when the bench is asked for it (`--peers`).
//! Today one, Quix Streams (Python, librdkafka underneath), for W1 and W2: its application
//! is `benches/peers/quix_app.py`, pinned and installed by `.ci/install-python-peers`.
//!
//! Its CPU time is read from `/proc/<pid>/stat` of the Python process, as weir's is, from the
//! line it prints just before `Application.run` (imports done, like weir's ready) to the one
//! it prints when the last input record is processed; wall time from its first record to its
//! last. Its output is checked like weir's: W2's final windows ([`windows`](super::windows)),
//! W1's record count. It measures only: what a peer gets wrong is reported, not fixed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::BenchResult;
use super::generator::Event;
use super::kafka;
use super::procfs;
use super::windows::{self, Figures, Layout, WindowCheck, WindowKey};
use super::workloads::Workload;

/// Workloads a peer runs.
pub const WORKLOADS: [&str; 2] = ["W1", "W2"];

/// What a peer measured on one workload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerResult {
    /// "Quix Streams 3.28.1".
    pub peer: String,
    /// Input records it processed: the pre-produced ones and weir's latency phase's.
    pub records: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    pub records_per_second: f64,
    pub records_per_cpu_second: f64,
    pub peak_rss_mib: f64,
    /// Records it wrote to its sink, and how many the input makes (W1; W2's are updates).
    pub outputs: u64,
    pub expected_outputs: Option<u64>,
    /// Records it dropped as late (its own count).
    pub late: u64,
    /// W2's final windows against the input.
    pub windows: Option<WindowCheck>,
}

impl PeerResult {
    /// Whether its output is what the input makes.
    pub fn passed(&self) -> bool {
        self.windows.as_ref().is_none_or(WindowCheck::passed)
            && self.expected_outputs.is_none_or(|e| e == self.outputs)
    }
}

/// What the input of a workload makes, to check a run's output against.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    /// Final figures per window (windowed workloads).
    pub windows: HashMap<WindowKey, Figures>,
    /// Bids W1 keeps (auction not a multiple of 10).
    pub w1_outputs: u64,
}

impl Expected {
    /// Adds the bids among `events` (windows of `window_ms`, when the workload has them).
    pub fn add(&mut self, events: &[Event], window_ms: Option<i64>) -> BenchResult<()> {
        if let Some(size) = window_ms {
            windows::add_expected(&mut self.windows, events, size)?;
        }
        self.w1_outputs += events
            .iter()
            .filter(|e| e.topic == "bids")
            .filter(|e| {
                e.key
                    .as_slice()
                    .try_into()
                    .is_ok_and(|k| i64::from_be_bytes(k) % 10 != 0)
            })
            .count() as u64;
        Ok(())
    }
}

/// The folder to put on PYTHONPATH: `$BENCH_PYTHON_PEERS`, else what
/// `.ci/install-python-peers` prints (it installs on first use).
pub fn python_path() -> BenchResult<PathBuf> {
    if let Some(path) = std::env::var_os("BENCH_PYTHON_PEERS") {
        return Ok(PathBuf::from(path));
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/install-python-peers");
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().last() {
        Some(line) if output.status.success() => Ok(PathBuf::from(line.trim())),
        _ => Err(format!("{} failed ({})", script.display(), output.status)),
    }
}

/// A line of the app's stdout, when it came, and the process's CPU seconds then.
struct Line {
    text: String,
    at: Instant,
    cpu: Option<f64>,
    rss: Option<f64>,
}

/// Runs the Quix Streams app of `workload` (W1 or W2) over the `bids` topic on `bootstrap`
/// until it has processed every record there, then checks its sink against `expected`.
pub fn run_quix(
    bootstrap: &str,
    workload: &Workload,
    dir: &Path,
    expected: &Expected,
    limit: Duration,
) -> BenchResult<PeerResult> {
    let records = kafka::count(bootstrap, "bids")?;
    let output = format!("quix-{}", workload.id.to_lowercase());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/quix_app.py");
    let log = dir.join("quix.log");
    let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = Command::new("python3")
        .arg(&script)
        .args(["--bootstrap", bootstrap, "--workload", workload.id])
        .args(["--input", "bids", "--output", &output, "--expected"])
        .arg(records.to_string())
        .arg("--state-dir")
        .arg(dir.join("quix-state"))
        .env("PYTHONPATH", python_path()?)
        .env("PYTHONWARNINGS", "ignore")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("starting python3 {}: {e}", script.display()))?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout of the Quix app")?;
    let (lines, received) = mpsc::channel();
    // Reads the app's lines and stamps each with the time and the process's CPU; ends with
    // the pipe (the app's exit).
    let reader = std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            let line = Line {
                cpu: procfs::cpu_seconds(pid),
                rss: procfs::peak_rss_mib(pid),
                at: Instant::now(),
                text,
            };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let waited = wait_for_done(&received, limit + Duration::from_secs(120));
    // The app stops by itself once done; a hung one is killed (it is this harness's child).
    let grace = if waited.is_ok() { 60 } else { 0 };
    let deadline = Instant::now() + Duration::from_secs(grace);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the Quix app: {e}"))?;
    let _ = reader.join();
    let (peer, ready, first, done) = waited.map_err(|e| format!("{e}; log: {}", log.display()))?;
    if !status.success() {
        return Err(format!(
            "the Quix app exited with {status} after it was done; log: {}",
            log.display()
        ));
    }
    let late = done
        .text
        .split_whitespace()
        .skip_while(|w| *w != "late")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let cpu_seconds = done.cpu.unwrap_or(0.0) - ready.cpu.unwrap_or(0.0);
    let wall_seconds = (done.at - first).as_secs_f64();
    let outputs = kafka::count(bootstrap, &output)?;
    let (windows, expected_outputs) = if workload.window_ms.is_some() {
        let check = windows::check(bootstrap, &output, Layout::Quix, false, &expected.windows)?;
        (Some(check), None)
    } else {
        (None, Some(expected.w1_outputs))
    };
    Ok(PeerResult {
        peer,
        records,
        wall_seconds,
        cpu_seconds,
        records_per_second: records as f64 / wall_seconds.max(1e-3),
        records_per_cpu_second: records as f64 / cpu_seconds.max(1e-3),
        peak_rss_mib: done.rss.unwrap_or(0.0),
        outputs,
        expected_outputs,
        late,
        windows,
    })
}

/// Waits for the app's `ready <name> <version>`, `first` and `done …` lines: (peer name, ready
/// line, time of the first record, done line).
fn wait_for_done(
    received: &mpsc::Receiver<Line>,
    limit: Duration,
) -> BenchResult<(String, Line, Instant, Line)> {
    let deadline = Instant::now() + limit;
    let (mut ready, mut first) = (None, None);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match received.recv_timeout(left) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("the Quix app was not done within {limit:?}"));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("the Quix app exited before it was done".to_owned());
            }
        };
        let word = line.text.split_whitespace().next().unwrap_or_default();
        match word {
            "ready" => ready = Some(line),
            "first" => first = Some(line.at),
            "done" => {
                let ready = ready.ok_or("the Quix app was done before it was ready")?;
                let peer = ready
                    .text
                    .strip_prefix("ready ")
                    .unwrap_or("Quix Streams")
                    .to_owned();
                return Ok((peer, ready, first.unwrap_or(line.at), line));
            }
            _ => {}
        }
    }
}
