//! A broker process for integration tests: find (or build) the binary, start it on a free
//! loopback port, wait until it answers metadata requests, and kill it when done. The rdkafka
//! helpers around it (topics, produce, consume N through a group) live in `kafka`.
//!
//! The broker is nisshi 0.7.0 (tansu's successor, an Apache Kafka API compatible broker) with
//! weir's patch to its memory storage engine, built by `.ci/install-broker`: its transactions
//! are right under failures (abandoned transactions time out and are aborted, aborted records
//! never reach `read_committed` consumers, a transaction applies only its own offsets).
//! `tests/broker_fixture.rs` probes every broker behaviour the other tests rely on.
//!
//! Two ways to get a broker:
//! - [`TestBroker::shared()`]: one broker per test binary, started on first use, for tests
//!   that only need topics and groups of their own (give them unique names).
//! - [`TestBroker::start()`]: a broker of the test's own, killed when dropped (also when the
//!   test panics, in which case the broker's log is printed), for tests that need isolation.
//! - [`TestBroker::start_behind_proxy()`]: a broker of the test's own that advertises a
//!   [`Proxy`] in front of it, so that the test can cut every client off the broker.
//!
//! The broker never outlives the test process. It runs under a small `sh` watchdog that reads
//! a pipe whose write end only this process holds; when the process exits for any reason
//! (normal exit with the shared static never dropped, a panic, `kill -9`) the pipe closes and
//! the watchdog kills the broker. `prctl(PR_SET_PDEATHSIG)` is deliberately not used: it fires
//! when the *thread* that spawned the child exits, and tests spawn from short-lived threads,
//! so a shared broker would die with the first test that started it.
//!
//! Settings and quirks:
//! - The first rebalance of a new consumer group waits [`INITIAL_REBALANCE_DELAY`] for more
//!   members (Kafka's `group.initial.rebalance.delay.ms`). Wait on records or assignment
//!   with a deadline, never with a fixed sleep.
//! - Abandoned transactions are looked for every [`TRANSACTION_SWEEP`]: a transaction is
//!   aborted at most that long after its `transaction.timeout.ms`.
//! - Storage is in memory: nothing survives a broker restart.
//! - librdkafka's default `isolation.level` is `read_committed`; set it when it matters.
//!
//! Environment:
//! - `TEST_BROKER_BIN`: path of the broker binary (skips the lookup and the build).
//! - `XDG_CACHE_HOME`: `.ci/install-broker` caches under `$XDG_CACHE_HOME/weir` (default
//!   `~/.cache/weir`).
//! - `TEST_BROKER_LOG`: passed to the broker as `RUST_LOG` (e.g. `debug`).

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::FutureProducer;

use super::proxy::Proxy;

/// How long the broker may take to answer its first metadata request.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on single operations: create a topic, deliver a record, a transaction step.
pub const OP_TIMEOUT: Duration = Duration::from_secs(15);
/// Default bound on [`TestBroker::consume`]: covers a new group's first assignment (~3 s).
pub const CONSUME_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts get another port when the broker exits at once (e.g. the free port was taken).
const START_ATTEMPTS: usize = 3;

/// `sh -c` script run as `sh -c WATCHDOG watchdog BROKER ARGS...`: starts the broker, kills it
/// when stdin (our pipe) reaches end-of-file, and exits with the broker's status when the
/// broker exits first. Background jobs of a non-interactive shell get /dev/null as stdin, so
/// the pipe is handed to the watcher explicitly through fd 3.
pub(super) const WATCHDOG: &str = r#"
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

/// Environment variables the broker reads that must not leak in from the developer's shell.
const BROKER_ENV: &[&str] = &[
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "GROUP_INITIAL_REBALANCE_DELAY",
    "GROUP_POLL_INTERVAL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "RUST_LOG",
    TIMED_OUT_MARKER_DELAY,
    PRODUCE_WRITE_DELAY,
];

/// The patched broker's probe-only pause between fencing a timed-out transaction's producer and
/// writing its markers, in milliseconds (`.ci/broker/README.md`).
pub const TIMED_OUT_MARKER_DELAY: &str = "NISSHI_TIMED_OUT_MARKER_DELAY_MS";

/// The patched broker's probe-only pause before an idempotent batch is written, in
/// milliseconds (`.ci/broker/README.md`).
pub const PRODUCE_WRITE_DELAY: &str = "NISSHI_PRODUCE_WRITE_DELAY_MS";

/// How long the first rebalance of a new group waits for more members to join.
pub const INITIAL_REBALANCE_DELAY: &str = "1s";
/// How often the broker looks for transactions past their time-out.
pub const TRANSACTION_SWEEP: &str = "1s";

/// A running test broker on `127.0.0.1`, killed on drop.
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
        Self::start_advertising(None, &[])
    }

    /// Starts a broker of the caller's own with extra environment variables (the patch's
    /// probe-only settings, such as [`TIMED_OUT_MARKER_DELAY`]).
    pub fn start_with_env(env: &[(&str, &str)]) -> TestBroker {
        Self::start_advertising(None, env)
    }

    /// Starts a broker of the caller's own that advertises a proxy in front of it: every
    /// client, once bootstrapped through the proxy, connects through it, so
    /// [`Proxy::cut`] cuts them all off. [`TestBroker::bootstrap`] is the proxy's address.
    pub fn start_behind_proxy() -> (TestBroker, Proxy) {
        Self::start_behind_proxy_with_env(&[])
    }

    /// [`TestBroker::start_behind_proxy`] with extra environment variables (the patch's
    /// probe-only settings).
    pub fn start_behind_proxy_with_env(env: &[(&str, &str)]) -> (TestBroker, Proxy) {
        let listener = Proxy::bind();
        let advertised = listener.local_addr().expect("proxy address");
        let mut broker = Self::start_advertising(Some(advertised), env);
        let upstream = broker.bootstrap.parse().expect("broker address");
        let proxy = Proxy::start(listener, upstream);
        broker.bootstrap = advertised.to_string();
        if let Err(StartError::Exited(why) | StartError::Fatal(why)) = broker.wait_ready() {
            panic!(
                "the test broker does not answer through the proxy: {why}\n{}",
                broker.log()
            );
        }
        (broker, proxy)
    }

    fn start_advertising(advertised: Option<SocketAddr>, env: &[(&str, &str)]) -> TestBroker {
        let binary = broker_binary();
        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match Self::try_start(&binary, advertised, env) {
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

    /// Starts the broker on a free port; it advertises `advertised` (a proxy) when given.
    /// Until the caller starts that proxy, readiness is checked on the broker's own port
    /// (metadata answers list the proxy, which is enough: the probe only needs an answer).
    fn try_start(
        binary: &Path,
        advertised: Option<SocketAddr>,
        env: &[(&str, &str)],
    ) -> Result<TestBroker, StartError> {
        let began = Instant::now();
        let port = free_port().map_err(StartError::Fatal)?;
        let bootstrap = format!("127.0.0.1:{port}");
        let url = format!("tcp://{bootstrap}");
        let advertised_url = advertised.map_or_else(|| url.clone(), |a| format!("tcp://{a}"));
        let dir = tempfile::Builder::new()
            .prefix("broker-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .map_err(|e| StartError::Fatal(format!("cannot make a temp dir for the log: {e}")))?;
        let log_path = dir.path().join("broker.log");
        let log = File::create(&log_path)
            .map_err(|e| StartError::Fatal(format!("cannot create {}: {e}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| StartError::Fatal(format!("cannot dup the log file: {e}")))?;

        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("broker-watchdog")
            .arg(binary)
            .arg("broker")
            .args(["--listener-url", &url])
            .args(["--advertised-listener-url", &advertised_url])
            .args([
                "--storage-engine",
                &format!("memory://weir/?transaction_maintenance_interval={TRANSACTION_SWEEP}"),
            ])
            .args(["--group-initial-rebalance-delay", INITIAL_REBALANCE_DELAY])
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_err);
        for var in BROKER_ENV {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        if let Some(level) = std::env::var_os("TEST_BROKER_LOG") {
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
        // Behind a proxy not started yet, metadata answers point at the proxy: the broker is
        // only checked to accept connections here, and for metadata through the proxy later.
        let ready = match advertised {
            None => broker.wait_ready(),
            Some(_) => broker.wait_listening(),
        };
        match ready {
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

    /// Waits until the broker accepts TCP connections, the process exits, or the deadline.
    fn wait_listening(&mut self) -> Result<(), StartError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let address: SocketAddr = self.bootstrap.parse().expect("broker address");
        loop {
            if let Ok(Some(status)) = self.watchdog.try_wait() {
                return Err(StartError::Exited(format!(
                    "the broker exited ({status}) before listening on {}",
                    self.bootstrap
                )));
            }
            let tried = Instant::now();
            if std::net::TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StartError::Fatal(format!(
                    "{} accepts no connection within {READY_TIMEOUT:?}",
                    self.bootstrap
                )));
            }
            pace(tried);
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
pub(super) fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the bound port: {e}"))
}

/// The broker binary: `TEST_BROKER_BIN`, else what `.ci/install-broker` prints (it returns at
/// once when the build is cached).
pub fn broker_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("TEST_BROKER_BIN") {
                let path = PathBuf::from(path);
                assert!(
                    path.is_file(),
                    "TEST_BROKER_BIN={} is not a file; unset it to use the cached build",
                    path.display()
                );
                return path;
            }
            install_broker()
        })
        .clone()
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
        "{} failed ({}); set TEST_BROKER_BIN to a broker binary to skip it:\n{}{}",
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
