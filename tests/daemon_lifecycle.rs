//! `weir run` as a real process against the test broker: the four HTTP endpoints on an
//! ephemeral port, systemd notifications over a real socket, SIGHUP, SIGTERM → exit 0 within
//! `shutdown_timeout`, and a clear error when no Kafka cluster answers within
//! `startup_timeout`.

mod harness;
mod support;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use harness::{Daemon, Workspace, http_get};
use support::TestBroker;

const QUERIES: &str = "CREATE STREAM A (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);\n\
                       CREATE STREAM B AS SELECT * FROM A;\n";

fn workspace_for(bootstrap: &str) -> Workspace {
    Workspace::new(
        &format!(
            r#"
service_id = "lifecycle"
queries = "app.sql"
state_dir = "state"
shutdown_timeout = "5s"
startup_timeout = "3s"
threads = 1
[kafka]
"bootstrap.servers" = "{bootstrap}"
[kafka.consumer]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "1000"
[http]
listen = "127.0.0.1:0"
[log]
format = "json"
"#
        ),
        QUERIES,
    )
}

fn workspace() -> Workspace {
    workspace_for(TestBroker::shared().bootstrap())
}

#[test]
fn serves_endpoints_and_stops_cleanly_on_sigterm() {
    let workspace = workspace();
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    let addr = daemon.http_addr();
    daemon.wait_for_line("weir started", Duration::from_secs(30));

    let (status, body) = http_get(addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"status":"ok"}"#);

    let (status, body) = http_get(addr, "/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("weir_build_info{version=\""), "{body}");
    assert!(body.contains("process_resident_memory_bytes"), "{body}");
    assert!(body.contains("process_cpu_seconds_total"), "{body}");
    assert!(body.contains("process_open_fds"), "{body}");

    let (status, body) = http_get(addr, "/info");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["service_id"], "lifecycle");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["phase"], "RUNNING");
    assert!(info["queries_file"].as_str().unwrap().ends_with("app.sql"));

    let (status, body) = http_get(addr, "/readyz");
    let readiness: serde_json::Value = serde_json::from_str(&body).unwrap();
    let queries = info["queries"].as_array().unwrap();
    let all_running = !queries.is_empty() && queries.iter().all(|q| q["state"] == "RUNNING");
    if all_running {
        assert_eq!(status, 200, "{body}");
    } else {
        assert_eq!(status, 503, "{body}");
        assert_eq!(readiness["status"], "not ready");
    }

    let (status, _) = http_get(addr, "/nope");
    assert_eq!(status, 404);

    let stop_requested = Instant::now();
    daemon.signal("TERM");
    let exit = daemon
        .wait_exit(Duration::from_secs(5))
        .expect("exits within shutdown_timeout");
    assert_eq!(exit.code(), Some(0), "clean stop exits 0");
    assert!(stop_requested.elapsed() < Duration::from_secs(5));
    daemon.wait_for_line("stopped cleanly", Duration::from_secs(5));
}

#[test]
fn sighup_only_logs_and_sigint_stops() {
    let workspace = workspace();
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    let addr = daemon.http_addr();
    daemon.signal("HUP");
    daemon.wait_for_line("re-read only on restart", Duration::from_secs(10));
    assert_eq!(
        http_get(addr, "/healthz").0,
        200,
        "still serving after SIGHUP"
    );
    daemon.signal("INT");
    let exit = daemon.wait_exit(Duration::from_secs(5)).expect("exits");
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn notifies_systemd_ready_then_stopping() {
    let workspace = workspace();
    let socket_path = workspace.path("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut command = workspace.command(&["run"]);
    command.env("NOTIFY_SOCKET", &socket_path);
    let mut daemon = Daemon::spawn(command);

    let mut buffer = [0u8; 512];
    let received = socket.recv(&mut buffer).expect("READY notification");
    let message = String::from_utf8_lossy(&buffer[..received]).into_owned();
    assert!(message.lines().any(|l| l == "READY=1"), "{message}");

    daemon.signal("TERM");
    let received = socket.recv(&mut buffer).expect("STOPPING notification");
    let message = String::from_utf8_lossy(&buffer[..received]).into_owned();
    assert!(message.lines().any(|l| l == "STOPPING=1"), "{message}");
    assert_eq!(
        daemon.wait_exit(Duration::from_secs(5)).unwrap().code(),
        Some(0)
    );
}

#[test]
fn a_busy_http_port_is_a_runtime_failure() {
    let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = blocker.local_addr().unwrap().port();
    let workspace = workspace();
    let listen = format!("http.listen=127.0.0.1:{port}");
    let (code, _, stderr) = workspace.output(&["run", "--set", &listen]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: binding HTTP on 127.0.0.1:{port}: Address already in use"
        )),
        "{stderr}"
    );
}

#[test]
fn no_kafka_within_startup_timeout_is_a_clear_runtime_failure() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let workspace = workspace_for(&format!("127.0.0.1:{port}"));
    let started = Instant::now();
    let (code, _, stderr) = workspace.output(&["run"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "no Kafka cluster answered at 127.0.0.1:{port} within startup_timeout (3s)"
        )),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "gave up in time"
    );
}
