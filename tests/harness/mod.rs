//! Test harness for the `weir` binary: starts it as a real process, reads its JSON log lines,
//! talks real HTTP to it and sends it real signals. Waits are on conditions with deadlines,
//! never fixed sleeps.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A temp folder with a config file and a queries file.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    /// The `weir` binary its commands run.
    binary: PathBuf,
}

impl Workspace {
    /// `config` is the body of `weir.toml`; `queries` of `app.sql`.
    pub fn new(config: &str, queries: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("weir.toml"), config).expect("write config");
        std::fs::write(dir.path().join("app.sql"), queries).expect("write queries");
        Workspace {
            dir,
            binary: PathBuf::from(env!("CARGO_BIN_EXE_weir")),
        }
    }

    /// Runs a private copy of the binary from now on: a long run (the chaos suite's) keeps the
    /// build it started with when the same target directory is rebuilt meanwhile, which
    /// replaces `target/*/weir`. A hard link keeps the old file; a copy where links fail.
    pub fn pin_binary(&mut self) {
        let pinned = self.path("weir-pinned");
        if std::fs::hard_link(&self.binary, &pinned).is_err() {
            std::fs::copy(&self.binary, &pinned).expect("copy the weir binary");
        }
        self.binary = pinned;
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `weir <args…> --config <dir>/weir.toml`, with a clean `WEIR_` environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .arg("--config")
            .arg(self.path("weir.toml"));
        for (name, _) in std::env::vars() {
            if name.starts_with("WEIR_") || name == "RUST_LOG" || name == "NOTIFY_SOCKET" {
                command.env_remove(name);
            }
        }
        command.current_dir(self.dir.path());
        command
    }

    /// Runs a command to completion: (exit code, stdout, stderr).
    pub fn output(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.command(args).output().expect("run weir");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// A running `weir` process whose stderr log lines are collected on a thread.
pub struct Daemon {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Daemon {
    pub fn spawn(mut command: Command) -> Daemon {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn weir");
        let stderr: ChildStderr = child.stderr.take().expect("piped stderr");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a log line containing `needle`; panics with everything seen on timeout.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needle:?} within {timeout:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every log line so far (collected ones and those waiting), for failure reports.
    pub fn log(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }

    /// The HTTP address from the "serving HTTP" JSON log line.
    pub fn http_addr(&mut self) -> SocketAddr {
        let line = self.wait_for_line("serving HTTP", Duration::from_secs(30));
        let json: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        json["addr"]
            .as_str()
            .expect("addr field")
            .parse()
            .expect("socket address")
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET: (status code, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The repository root, for files such as `queries/app.sql`.
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
