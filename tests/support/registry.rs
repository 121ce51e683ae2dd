//! A Schema Registry process for integration tests: rivven-schema (a Confluent-REST-compatible
//! registry written by others, installed by `.ci/install-registry`), started on a free
//! loopback port with in-memory storage, waited for until `GET /subjects` answers, killed on
//! drop. Like the broker it runs under the `sh` watchdog of [`super::broker`], so it never
//! outlives the test process, even on `kill -9`. [`TestRegistry::request`] is a small
//! HTTP/1.1 client over `std::net` (one request per connection) so tests need no HTTP crate.
//!
//! What rivven does and does not do is probed in `tests/registry_probes.rs`; its gaps (no
//! `POST /subjects/{subject}` lookup, `versions/latest` without references) are documented
//! there and must be worked around, not relied on.
//!
//! Environment: `TEST_REGISTRY_BIN` names the binary (skips the lookup and the build).

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::broker::{WATCHDOG, free_port};

/// How long the registry may take to answer its first request.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The media type Confluent's clients send and accept.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A running rivven-schema on `127.0.0.1`, killed on drop.
pub struct TestRegistry {
    url: String,
    port: u16,
    watchdog: Child,
    lifeline: Option<ChildStdin>,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    /// Starts a registry of the caller's own and waits until it answers. Panics with its log
    /// when it cannot (after three ports, in case a free port was taken meanwhile).
    pub fn start() -> TestRegistry {
        let binary = registry_binary();
        let mut failures = Vec::new();
        for attempt in 1..=3 {
            match Self::try_start(&binary) {
                Ok(registry) => return registry,
                Err(why) => failures.push(format!("attempt {attempt}: {why}")),
            }
        }
        panic!(
            "could not start the test registry {}:\n{}",
            binary.display(),
            failures.join("\n")
        );
    }

    fn try_start(binary: &Path) -> Result<TestRegistry, String> {
        let port = free_port()?;
        let dir = tempfile::Builder::new()
            .prefix("registry-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .map_err(|e| format!("cannot make a temp dir for the log: {e}"))?;
        let log_path = dir.path().join("registry.log");
        let log = File::create(&log_path).map_err(|e| format!("cannot create the log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot dup the log: {e}"))?;
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("registry-watchdog")
            .arg(binary)
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("cannot spawn sh for {}: {e}", binary.display()))?;
        let lifeline = watchdog.stdin.take();
        let mut registry = TestRegistry {
            url: format!("http://127.0.0.1:{port}"),
            port,
            watchdog,
            lifeline,
            log_path,
            _dir: dir,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = registry.watchdog.try_wait() {
                return Err(format!(
                    "rivven-schema exited ({status}):\n{}",
                    registry.log()
                ));
            }
            if let Ok((200, _)) = registry.request("GET", "/subjects", None) {
                return Ok(registry);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "rivven-schema did not answer within {READY_TIMEOUT:?}:\n{}",
                    registry.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One HTTP request; returns the status and the body. `body` is sent as JSON.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<(u16, String), String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| format!("connect to {}: {e}", self.url))?;
        stream.set_read_timeout(Some(REQUEST_TIMEOUT)).ok();
        stream.set_write_timeout(Some(REQUEST_TIMEOUT)).ok();
        let body = body.unwrap_or("");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: {CONTENT_TYPE}\r\n\
             Content-Type: {CONTENT_TYPE}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .map_err(|e| format!("send {method} {path}: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .map_err(|e| format!("read the answer to {method} {path}: {e}"))?;
        parse_response(&response).ok_or_else(|| {
            format!(
                "unreadable answer to {method} {path}: {}",
                String::from_utf8_lossy(&response)
            )
        })
    }

    /// A request whose answer must be 200 with a JSON body.
    pub fn json(&self, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
        let (status, text) = self
            .request(method, path, body)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, 200, "{method} {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
    }

    /// Registers `schema` (of `schema_type`: AVRO, PROTOBUF or JSON) under `subject` with
    /// `references` (a JSON array); returns its id.
    pub fn register(
        &self,
        subject: &str,
        schema_type: &str,
        schema: &str,
        references: &str,
    ) -> i64 {
        let body = serde_json::json!({
            "schemaType": schema_type,
            "schema": schema,
            "references": serde_json::from_str::<serde_json::Value>(references)
                .expect("references are JSON"),
        });
        let answer = self.json(
            "POST",
            &format!("/subjects/{subject}/versions"),
            Some(&body.to_string()),
        );
        answer["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {answer}"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.log_path.display()))
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        // EOF on the watchdog's stdin makes it kill the registry and exit.
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while !matches!(self.watchdog.try_wait(), Ok(Some(_)) | Err(_)) {
            if Instant::now() > deadline {
                let _ = self.watchdog.kill();
                let _ = self.watchdog.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if std::thread::panicking() {
            eprintln!(
                "--- test registry {} log ---\n{}--- end ---",
                self.url,
                self.log()
            );
        }
    }
}

/// Status and body of an HTTP/1.1 answer (identity or chunked body).
fn parse_response(bytes: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    if !chunked {
        return Some((status, body.to_string()));
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some((status, out));
        }
        out.push_str(after.get(..size)?);
        rest = after.get(size + 2..)?;
    }
}

/// The registry binary: `TEST_REGISTRY_BIN`, else what `.ci/install-registry` prints (at once
/// when the build is cached; ~5-10 minutes the first time).
pub fn registry_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("TEST_REGISTRY_BIN") {
                return PathBuf::from(path);
            }
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/install-registry");
            let output = Command::new("bash")
                .arg(&script)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{} failed ({}); set TEST_REGISTRY_BIN to skip it:\n{stdout}{}",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            PathBuf::from(stdout.lines().last().unwrap_or_default().trim())
        })
        .clone()
}
