//! One `weir run` process for a workload: a workspace (temp folder with `weir.toml` and
//! `app.sql`), the process itself with its log in a file, `/metrics` and `/readyz` over plain
//! HTTP, and a clean stop with SIGTERM. The config mirrors a production one: two stream
//! threads, the workload's guarantee, a short consumer session so the broker's first
//! assignment is quick.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::BenchResult;
use super::broker::free_port;
use super::procfs;

/// `commit_interval` for every daemon of this process (weir's default when unset).
pub static COMMIT_INTERVAL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A `weir run` process, stopped with SIGTERM (then killed) on drop.
pub struct Daemon {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

/// Writes `weir.toml` and `app.sql` into `dir`; returns the config path.
pub fn workspace(
    dir: &Path,
    sql: &str,
    bootstrap: &str,
    guarantee: &str,
    state_dir: &Path,
    http_port: u16,
) -> BenchResult<PathBuf> {
    let commit = COMMIT_INTERVAL
        .get()
        .map_or(String::new(), |c| format!("commit_interval = \"{c}\"\n"));
    let config = format!(
        r#"queries = "app.sql"
service_id = "bench"
state_dir = "{state}"
threads = 2
processing_guarantee = "{guarantee}"
{commit}shutdown_timeout = "30s"
[kafka]
"bootstrap.servers" = "{bootstrap}"
[kafka.consumer]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "1000"
[http]
listen = "127.0.0.1:{http_port}"
[log]
format = "json"
filter = "info"
"#,
        state = state_dir.display()
    );
    let path = dir.join("weir.toml");
    std::fs::write(&path, config).map_err(|e| format!("{}: {e}", path.display()))?;
    let queries = dir.join("app.sql");
    std::fs::write(&queries, sql).map_err(|e| format!("{}: {e}", queries.display()))?;
    Ok(path)
}

impl Daemon {
    /// Writes the workspace into `dir` and starts `weir run` on it (see [`Daemon::wait_ready`]).
    pub fn spawn(
        weir: &Path,
        dir: &Path,
        sql: &str,
        bootstrap: &str,
        guarantee: &str,
        state_dir: &Path,
        log_name: &str,
    ) -> BenchResult<Daemon> {
        let port = free_port()?;
        let config = workspace(dir, sql, bootstrap, guarantee, state_dir, port)?;
        let log = dir.join(log_name);
        let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut command = Command::new(weir);
        command
            .arg("run")
            .arg("--config")
            .arg(&config)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file);
        for (name, _) in std::env::vars() {
            if name.starts_with("WEIR_") || name == "RUST_LOG" || name == "NOTIFY_SOCKET" {
                command.env_remove(name);
            }
        }
        let child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", weir.display()))?;
        Ok(Daemon {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/readyz` answers 200 (every query running and restored).
    pub fn wait_ready(&mut self, timeout: Duration) -> BenchResult<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "weir exited with {status} before it was ready; log: {}",
                    self.log.display()
                ));
            }
            if http_get(self.addr, "/readyz").is_ok_and(|(code, _)| code == 200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "weir not ready within {timeout:?}; log: {}",
                    self.log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The sum of a metric over its series whose labels contain `labels`.
    pub fn metric(&self, name: &str, labels: &str) -> BenchResult<f64> {
        let (_, body) = http_get(self.addr, "/metrics")?;
        Ok(metric_sum(&body, name, labels))
    }

    /// CPU seconds the process used so far.
    pub fn cpu_seconds(&self) -> f64 {
        procfs::cpu_seconds(self.pid()).unwrap_or(0.0)
    }

    /// Stops the process with SIGTERM and waits for it (kills it after 30 s).
    pub fn stop(&mut self) -> BenchResult<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err(format!(
            "weir did not stop within 30 s of SIGTERM; log: {}",
            self.log.display()
        ))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.stop();
        }
    }
}

/// Sums the samples of metric `name` whose label set contains `labels`.
pub fn metric_sum(body: &str, name: &str, labels: &str) -> f64 {
    body.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter(|l| l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A plain HTTP/1.0 GET: (status code, body).
pub fn http_get(addr: SocketAddr, path: &str) -> BenchResult<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| format!("{addr}: {e}"))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")
        .map_err(|e| format!("GET {path} from {addr}: {e}"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| format!("GET {path} from {addr}: {e}"))?;
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    Ok((code, body))
}
