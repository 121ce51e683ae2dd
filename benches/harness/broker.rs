//! The test broker (nisshi with weir's patch, built by `.ci/install-broker`, see
//! `.ci/broker/README.md`) on a free loopback port with in-memory storage, killed when dropped. One per
//! workload, so that every run starts from empty topics and the broker's memory is returned.

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};

use super::BenchResult;

/// A running broker, killed on drop.
pub struct Broker {
    pub bootstrap: String,
    child: Child,
    /// The broker's log file (kept for post-mortems of a failed run).
    pub log: PathBuf,
}

/// A port nobody listens on right now.
pub fn free_port() -> BenchResult<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The broker binary: `$TEST_BROKER_BIN`, else what `.ci/install-broker` prints.
pub fn broker_binary() -> BenchResult<PathBuf> {
    if let Some(path) = std::env::var_os("TEST_BROKER_BIN") {
        return Ok(PathBuf::from(path));
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/install-broker");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().last() {
        Some(line) if output.status.success() => Ok(PathBuf::from(line.trim())),
        _ => Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

impl Broker {
    /// Starts a broker and waits until it answers a metadata request.
    pub fn start(log_dir: &std::path::Path) -> BenchResult<Broker> {
        let binary = broker_binary()?;
        let port = free_port()?;
        let url = format!("tcp://127.0.0.1:{port}");
        let log = log_dir.join(format!("broker-{port}.log"));
        let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let mut command = Command::new(&binary);
        command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://weir/"])
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err);
        for name in [
            "CLUSTER_ID",
            "LISTENER_URL",
            "ADVERTISED_LISTENER_URL",
            "STORAGE_ENGINE",
            "GROUP_INITIAL_REBALANCE_DELAY",
        ] {
            command.env_remove(name);
        }
        command.env_remove("RUST_LOG");
        let child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let broker = Broker {
            bootstrap: format!("127.0.0.1:{port}"),
            child,
            log,
        };
        broker.wait_ready(Duration::from_secs(30))?;
        Ok(broker)
    }

    fn wait_ready(&self, timeout: Duration) -> BenchResult<()> {
        let probe: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .map_err(|e| format!("metadata client: {e}"))?;
        let deadline = Instant::now() + timeout;
        loop {
            if probe.fetch_metadata(None, Duration::from_secs(2)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "broker {} not ready within {timeout:?}; log: {}",
                    self.bootstrap,
                    self.log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
