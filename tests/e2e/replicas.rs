//! Replicas for end-to-end tests: `weir run` processes of one workspace, each with a state
//! directory of its own (kept when a stopped replica is started again), and what their
//! `/info` says about the tasks each owns.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Daemon, Workspace, http_get};

/// One `weir run` process with its HTTP address and its own state directory.
pub struct Replica {
    pub daemon: Daemon,
    pub addr: std::net::SocketAddr,
    state: tempfile::TempDir,
}

/// Starts a replica of `workspace` with a fresh state directory.
pub fn replica(workspace: &Workspace) -> Replica {
    let state = tempfile::tempdir().expect("state dir");
    run_on(workspace, state)
}

/// Starts `workspace` again on the state directory of `stopped`, whose process must have
/// exited: the new process reads the same replica id (so the same client, transactional and
/// group instance ids) and the checkpoints the old one wrote.
pub fn restart(workspace: &Workspace, mut stopped: Replica) -> Replica {
    let exited = stopped.daemon.child.try_wait().expect("try_wait");
    assert!(
        exited.is_some(),
        "restart a replica only once it has exited"
    );
    run_on(workspace, stopped.state)
}

fn run_on(workspace: &Workspace, state: tempfile::TempDir) -> Replica {
    let state_dir = state.path().display().to_string();
    let mut daemon = Daemon::spawn(workspace.command(&["run", "--state-dir", &state_dir]));
    let addr = daemon.http_addr();
    Replica {
        daemon,
        addr,
        state,
    }
}

impl Replica {
    /// The replica's state directory.
    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }
}

/// Tasks each replica owns for `query`, from `/info`.
pub fn tasks(replica: &Replica, query: &str) -> Vec<String> {
    let (_, body) = http_get(replica.addr, "/info");
    let info: serde_json::Value = serde_json::from_str(&body).expect("info JSON");
    info["queries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| q["id"] == query)
        .flat_map(|q| q["tasks"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect()
}

/// Waits until the replicas own every task of `query` between them, each owning some.
pub fn wait_split(replicas: &[Replica], query: &str, total: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let owned: Vec<Vec<String>> = replicas.iter().map(|r| tasks(r, query)).collect();
        let count: usize = owned.iter().map(Vec::len).sum();
        if count == total && owned.iter().all(|t| !t.is_empty()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{query} never split over the replicas: {owned:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
