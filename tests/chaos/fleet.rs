//! The replicas under test: `weir run` processes of one service, each with a state directory
//! of its own that outlives the process, so that a replica can be killed with SIGKILL and
//! started again on the same state (as systemd's `Restart=` does), or on an empty one (a
//! replaced machine), stopped with SIGTERM, or added and removed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::harness::{Daemon, Workspace, http_get};

/// One replica slot: a state directory and, while it runs, its process.
pub struct Replica {
    pub name: String,
    pub state: PathBuf,
    pub daemon: Option<Daemon>,
    pub http: Option<std::net::SocketAddr>,
    pub starts: u32,
}

/// All replica slots of the run, and the workspace (config and queries) they share.
pub struct Fleet {
    pub workspace: Workspace,
    pub replicas: Vec<Replica>,
    /// SIGTERMs that did not end in a clean exit in time (the replica was then killed): the
    /// run goes on, as a fleet's would, and the report names them.
    pub unclean_stops: Vec<String>,
    root: tempfile::TempDir,
}

impl Fleet {
    pub fn new(workspace: Workspace, count: usize) -> Fleet {
        let root = tempfile::tempdir().expect("state root");
        let mut fleet = Fleet {
            workspace,
            replicas: Vec::new(),
            unclean_stops: Vec::new(),
            root,
        };
        for _ in 0..count {
            fleet.add();
        }
        fleet
    }

    /// A new replica slot (not started). Returns its index.
    pub fn add(&mut self) -> usize {
        let index = self.replicas.len();
        let state = self.root.path().join(format!("replica-{index}"));
        std::fs::create_dir_all(&state).expect("state dir");
        self.replicas.push(Replica {
            name: format!("replica-{index}"),
            state,
            daemon: None,
            http: None,
            starts: 0,
        });
        index
    }

    pub fn running(&self) -> Vec<usize> {
        (0..self.replicas.len())
            .filter(|&i| self.replicas[i].daemon.is_some())
            .collect()
    }

    pub fn stopped(&self) -> Vec<usize> {
        (0..self.replicas.len())
            .filter(|&i| self.replicas[i].daemon.is_none())
            .collect()
    }

    /// Starts replica `index` on its state directory; returns once it serves HTTP.
    pub fn start(&mut self, index: usize) {
        let replica = &mut self.replicas[index];
        assert!(replica.daemon.is_none(), "{} is running", replica.name);
        let state = replica.state.display().to_string();
        let mut daemon = Daemon::spawn(self.workspace.command(&["run", "--state-dir", &state]));
        replica.http = Some(daemon.http_addr());
        replica.daemon = Some(daemon);
        replica.starts += 1;
    }

    /// SIGKILL, and waits until the process is gone.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut daemon) = self.replicas[index].daemon.take() {
            let _ = daemon.child.kill();
            let _ = daemon.child.wait();
        }
        self.replicas[index].http = None;
    }

    /// SIGTERM, and waits for a clean exit (status 0) within `timeout`. Anything else (an
    /// exit after `shutdown_timeout` ran out, or none at all) is recorded in `unclean_stops`
    /// with the log's tail, and the process is killed if it still runs.
    pub fn stop(&mut self, index: usize, timeout: Duration) {
        let Some(mut daemon) = self.replicas[index].daemon.take() else {
            return;
        };
        self.replicas[index].http = None;
        daemon.signal("TERM");
        match daemon.wait_exit(timeout) {
            Some(status) if status.success() => {}
            other => {
                let _ = daemon.child.kill();
                let _ = daemon.child.wait();
                let what = format!(
                    "{} did not stop cleanly within {timeout:?} ({other:?})",
                    self.replicas[index].name
                );
                eprintln!("chaos: {what}; log:\n{}", tail(&daemon.log(), 15));
                self.unclean_stops.push(what);
            }
        }
    }

    /// Deletes replica `index`'s state directory (it must be stopped).
    pub fn wipe(&mut self, index: usize) {
        assert!(self.replicas[index].daemon.is_none());
        let state = &self.replicas[index].state;
        std::fs::remove_dir_all(state).expect("remove state dir");
        std::fs::create_dir_all(state).expect("state dir");
    }

    /// Waits until every running replica answers `/readyz` with 200.
    pub fn wait_ready(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        for index in self.running() {
            let addr = self.replicas[index].http.expect("running replica has HTTP");
            loop {
                let (code, body) = http_get(addr, "/readyz");
                if code == 200 {
                    break;
                }
                if Instant::now() >= deadline {
                    let log = self.replicas[index]
                        .daemon
                        .as_mut()
                        .map(|d| d.log())
                        .unwrap_or_default();
                    panic!(
                        "{} not ready within {timeout:?}: {body}\nlog:\n{}",
                        self.replicas[index].name,
                        tail(&log, 40)
                    );
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }

    /// The last lines of every running replica's log, for failure reports.
    pub fn logs(&mut self, lines: usize) -> String {
        let mut out = String::new();
        for replica in &mut self.replicas {
            if let Some(daemon) = replica.daemon.as_mut() {
                out.push_str(&format!(
                    "--- {} ---\n{}\n",
                    replica.name,
                    tail(&daemon.log(), lines)
                ));
            }
        }
        out
    }
}

fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
