//! Liveness against the test broker, on `weir run` as a real process:
//!
//! - the broker unreachable for 40 s (through the test proxy) while exactly-once processing
//!   runs: the stream thread blocks in its transaction calls, `/healthz` answers 200 every
//!   time it is asked (saying what it waits on), `/readyz` 503 with the reason, and
//!   processing resumes afterwards, every record exactly once;
//! - a stream thread stuck for good (stopped by `gdb` in non-stop mode, the other threads
//!   running on): `/healthz` answers 503 naming it within `STALL_AFTER` (15 s) and a few
//!   seconds, and the systemd watchdog pings, which came every half interval after READY=1,
//!   stop. The service manager is the test itself: a Unix datagram socket in
//!   `NOTIFY_SOCKET`, with `WATCHDOG_USEC` set.

mod e2e;
mod harness;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixDatagram;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use e2e::{config, read_until, wait_ready};
use harness::{Daemon, Workspace, http_get};
use support::TestBroker;

const QUERIES: &str = "
CREATE STREAM ORDERS (ID BIGINT KEY, AMOUNT BIGINT)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM COPIED AS SELECT ID, AMOUNT FROM ORDERS EMIT CHANGES;
";

/// The stream thread's name on the status board.
const THREAD: &str = "CSAS_COPIED/thread-0";
/// weir's `STALL_AFTER`.
const STALL_AFTER: Duration = Duration::from_secs(15);

/// Produces one order every 20 ms through `bootstrap` until told to stop; returns how many.
struct Feeder {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicI64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feeder {
    fn start(bootstrap: &str) -> Feeder {
        use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
        let producer: ThreadedProducer<DefaultProducerContext> = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("message.timeout.ms", "300000")
            .create()
            .expect("feeder producer");
        let (stop, sent) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicI64::new(0)),
        );
        let thread = {
            let (stop, sent) = (stop.clone(), sent.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let id = sent.load(Ordering::Relaxed);
                    let key = id.to_be_bytes();
                    let value = format!(r#"{{"AMOUNT":{id}}}"#);
                    let record = BaseRecord::to("orders").key(&key[..]).payload(&value);
                    if producer.send(record).is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                producer
                    .flush(Duration::from_secs(120))
                    .expect("feeder flush after the outage");
            })
        };
        Feeder {
            stop,
            sent,
            thread: Some(thread),
        }
    }

    /// Stops feeding, waits for every record to be delivered; returns how many were sent.
    fn finish(mut self) -> i64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("feeder thread");
        }
        self.sent.load(Ordering::Relaxed)
    }
}

#[test]
fn a_broker_outage_keeps_healthz_green_while_the_stream_thread_waits_on_it() {
    let (broker, proxy) = TestBroker::start_behind_proxy();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(
            &broker,
            &state.path().display().to_string(),
            "processing_guarantee = \"exactly_once_v2\"",
        ),
        QUERIES,
    );
    // Records stop at the cut (they come through the proxy too) and the test broker answers
    // fetches in bursts: with 200 ms the last commit often comes just before the cut, and
    // nothing is left to commit. With 2 s a transaction is open at the cut, and its commit
    // falls due inside the outage, before the consumer's session (6 s) expires.
    let mut daemon = Daemon::spawn(workspace.command(&["run", "--set", "commit_interval=2s"]));
    let addr = daemon.http_addr();
    wait_ready(addr, Duration::from_secs(60));
    let feeder = Feeder::start(broker.bootstrap());
    // Cut only while records flow through the query (its task may still be opening at
    // first).
    let flowing = read_until(&broker, "COPIED", true, Duration::from_secs(60), |got| {
        got.len() >= 20
    })
    .len();
    read_until(&broker, "COPIED", true, Duration::from_secs(60), |got| {
        got.len() >= flowing + 25
    });

    proxy.cut();
    let cut_at = Instant::now();
    let mut waits: Vec<String> = Vec::new();
    let mut readyz_said = None;
    while cut_at.elapsed() < Duration::from_secs(40) {
        let (code, body) = http_get(addr, "/healthz");
        assert_eq!(
            code,
            200,
            "/healthz {:.1}s into the outage: {body}\n--- weir log ---\n{}",
            cut_at.elapsed().as_secs_f64(),
            daemon.log()
        );
        if body.contains("waiting_on_broker") {
            waits.push(format!("{:.0}s {body}", cut_at.elapsed().as_secs_f64()));
        }
        let (code, body) = http_get(addr, "/readyz");
        if code == 503 && body.contains("brokers are down") {
            readyz_said.get_or_insert(body);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    proxy.restore();
    eprintln!("/healthz while waiting:\n{}", waits.join("\n"));
    let readyz = readyz_said.expect("/readyz answered 503 naming the unreachable broker");
    assert!(
        readyz.contains(THREAD) && readyz.contains("unreachable"),
        "{readyz}"
    );
    assert!(
        waits.iter().any(|w| w.contains(THREAD)
            && w.contains("_transaction")
            && w.contains("bound_seconds")),
        "/healthz must say the thread waits in a transaction call; it said:\n{}\n--- weir log ---\n{}",
        waits.join("\n"),
        daemon.log()
    );

    // Processing resumes: every record fed, before and during the outage, exactly once.
    let sent = feeder.finish();
    wait_ready(addr, Duration::from_secs(120));
    let copied = read_until(&broker, "COPIED", true, Duration::from_secs(120), |got| {
        got.len() as i64 >= sent
    });
    let mut keys: Vec<_> = copied.iter().map(|(key, _)| key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        (keys.len() as i64, copied.len() as i64),
        (sent, sent),
        "every record exactly once"
    );
    assert!(
        daemon.child.try_wait().expect("try_wait").is_none(),
        "weir exited"
    );
}

/// The test's end of `NOTIFY_SOCKET`: the datagrams weir sends, one string each.
struct ServiceManager {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    socket: UnixDatagram,
}

impl ServiceManager {
    fn bind() -> ServiceManager {
        let dir = tempfile::tempdir().expect("socket dir");
        let path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        ServiceManager {
            _dir: dir,
            path,
            socket,
        }
    }

    /// The next datagram within `within`, if any.
    fn next(&self, within: Duration) -> Option<String> {
        self.socket
            .set_read_timeout(Some(within.max(Duration::from_millis(1))))
            .expect("read timeout");
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Waits for a datagram with `line`; panics after `within`.
    fn wait_for(&self, line: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Some(message) = self.next(left)
                && message.lines().any(|l| l == line)
            {
                return message;
            }
        }
        panic!("no {line} datagram within {within:?}");
    }
}

/// `gdb` attached to a process in non-stop mode, holding one of its threads stopped; the
/// others run on. Detaches (the thread resumes) when dropped.
struct FrozenThread {
    gdb: Child,
    stdin: ChildStdin,
}

impl FrozenThread {
    /// Stops the thread of `pid` whose name starts with `name` (Linux thread names are cut
    /// at 15 bytes). `None` when that did not work (gdb cannot attach, or never showed the
    /// thread stopped and the others running within a minute).
    fn freeze(pid: u32, name: &str) -> Option<FrozenThread> {
        let comm: String = name.chars().take(15).collect();
        let tid = std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .flatten()
            .find(|task| {
                std::fs::read_to_string(task.path().join("comm")).is_ok_and(|c| c.trim() == comm)
            })?
            .file_name()
            .into_string()
            .ok()?;
        let mut gdb = Command::new("gdb")
            .args(["-q", "-nx"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut stdin = gdb.stdin.take()?;
        let stdout = gdb.stdout.take()?;
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        // `attach &` in non-stop mode leaves every thread running; then only the target stops.
        let script = format!(
            "set pagination off\nset confirm off\nset non-stop on\nset auto-load off\n\
             attach {pid} &\n"
        );
        stdin.write_all(script.as_bytes()).ok()?;
        stdin
            .write_all(format!("thread find LWP {tid}\necho FOUND-END\\n\n").as_bytes())
            .ok()?;
        let mut gdb_thread = None;
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Ok(line) =
            received.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if let Some(rest) = line.split("Thread ").nth(1)
                && line.contains(&format!("LWP {tid})"))
                && line.contains("has target id")
                && gdb_thread.is_none()
            {
                gdb_thread = rest.split_whitespace().next().map(str::to_owned);
            }
            if line.contains("FOUND-END") {
                break;
            }
        }
        let Some(gdb_thread) = gdb_thread else {
            let _ = gdb.kill();
            return None;
        };
        stdin
            .write_all(format!("thread {gdb_thread}\ninterrupt\necho FROZEN\\n\n").as_bytes())
            .ok()?;
        while let Ok(line) =
            received.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if line.contains("FROZEN") {
                break;
            }
        }
        // Frozen when gdb lists every other thread as running (it may still hold some while
        // it reads the threads' state).
        while Instant::now() < deadline {
            stdin.write_all(b"info threads\necho INFO-END\\n\n").ok()?;
            let (mut others_run, mut target_stopped) = (true, false);
            while let Ok(line) =
                received.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                if line.contains("INFO-END") {
                    break;
                }
                if line.contains("Thread 0x") {
                    let running = line.contains("(running)");
                    if line.contains(&format!("LWP {tid})")) {
                        target_stopped = !running;
                    } else {
                        others_run &= running;
                    }
                }
            }
            if others_run && target_stopped {
                return Some(FrozenThread { gdb, stdin });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = gdb.kill();
        None
    }
}

impl Drop for FrozenThread {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"detach\nquit\n");
        std::thread::sleep(Duration::from_millis(200));
        let _ = self.gdb.kill();
        let _ = self.gdb.wait();
    }
}

#[test]
fn a_stuck_stream_thread_fails_healthz_and_stops_the_watchdog_pings() {
    let broker = TestBroker::start();
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &config(&broker, &state.path().display().to_string(), ""),
        QUERIES,
    );
    let manager = ServiceManager::bind();
    let mut command = workspace.command(&["run"]);
    command
        .env("NOTIFY_SOCKET", &manager.path)
        .env("WATCHDOG_USEC", "2000000")
        .env_remove("WATCHDOG_PID");
    let mut daemon = Daemon::spawn(command);
    let addr = daemon.http_addr();
    manager.wait_for("READY=1", Duration::from_secs(60));
    wait_ready(addr, Duration::from_secs(60));
    // Pings every half interval (1 s) while alive.
    let started = Instant::now();
    for _ in 0..3 {
        manager.wait_for("WATCHDOG=1", Duration::from_secs(3));
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "pings every ~1 s"
    );

    if Command::new("gdb").arg("--version").output().is_err() {
        eprintln!("skipped the stuck-thread half: gdb is not installed");
        return;
    }
    let frozen = FrozenThread::freeze(daemon.child.id(), "weir-CSAS_COPIED-0")
        .expect("gdb (non-stop, attached) stops the stream thread and leaves the others running");
    let frozen_at = Instant::now();
    let within = STALL_AFTER + Duration::from_secs(5);
    let body = loop {
        let (code, body) = http_get(addr, "/healthz");
        if code == 503 {
            break body;
        }
        assert_eq!(code, 200, "{body}");
        assert!(
            frozen_at.elapsed() < within,
            "/healthz still {code} {:.1}s after the thread froze: {body}\n{}",
            frozen_at.elapsed().as_secs_f64(),
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let took = frozen_at.elapsed();
    eprintln!("/healthz 503 after {:.1}s: {body}", took.as_secs_f64());
    assert!(
        took >= STALL_AFTER - Duration::from_secs(1),
        "not before STALL_AFTER"
    );
    let json: serde_json::Value = serde_json::from_str(&body).expect("healthz JSON");
    assert_eq!(json["status"], "stalled");
    assert_eq!(json["stalled"][0]["loop"], THREAD, "{body}");
    assert!(
        json["reason"].as_str().is_some_and(|r| r.contains(THREAD)),
        "{body}"
    );

    // No ping after liveness failed (one decided just before may still be in the socket).
    std::thread::sleep(Duration::from_millis(200));
    while manager.next(Duration::from_millis(1)).is_some() {}
    let mut after = Vec::new();
    let quiet_until = Instant::now() + Duration::from_secs(4);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        if let Some(message) = manager.next(left) {
            after.push(message);
        }
    }
    assert!(
        !after.iter().any(|m| m.lines().any(|l| l == "WATCHDOG=1")),
        "watchdog pings while a thread is stuck: {after:?}"
    );
    drop(frozen);
}
