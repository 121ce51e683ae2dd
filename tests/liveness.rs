//! Liveness against the test broker, on `weir run` as a real process:
//!
//! - the broker unreachable for 40 s (through the test proxy) while exactly-once processing
//!   runs: the stream thread blocks in its transaction calls, `/healthz` answers 200 every
//!   time it is asked (saying what it waits on), `/readyz` 503 with the reason, and
//!   processing resumes afterwards, every record exactly once;
//! - a stream thread stuck for good (stopped with ptrace, as `gdb` would, the other threads
//!   running on): `/healthz` answers 503 naming it within `STALL_AFTER` (15 s) and a few
//!   seconds, and the systemd watchdog pings, which came every half interval after READY=1,
//!   stop. The service manager is the test itself: a Unix datagram socket in
//!   `NOTIFY_SOCKET`, with `WATCHDOG_USEC` set.

mod e2e;
mod harness;
mod support;

use std::io::Write;
use std::os::unix::net::UnixDatagram;
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
            // A batch in flight at the cut is sent again: without idempotence the broker may
            // append it twice, and the input itself would hold a duplicate.
            .set("enable.idempotence", "true")
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
    // Records stop at the cut (they come through the proxy too), so the stream thread blocks
    // in a transaction call only if a transaction is open at the cut: the cut waits for one
    // (below), and a 5 s interval leaves the transaction open long after it is seen, its
    // commit falling due inside the outage.
    let mut daemon = Daemon::spawn(workspace.command(&["run", "--set", "commit_interval=5s"]));
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
    wait_for_an_open_transaction(&broker, "COPIED", Duration::from_secs(60));

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

/// Returns once partition 0 of `topic` holds records no `read_committed` reader sees yet: its
/// end offset (read uncommitted) lies past its last stable offset (the end a
/// `read_committed` client is answered), so a transaction is open.
fn wait_for_an_open_transaction(broker: &TestBroker, topic: &str, within: Duration) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let end_offset = |isolation: &str| {
        let consumer: BaseConsumer = broker
            .client_config()
            .set("group.id", "liveness-watermarks")
            .set("isolation.level", isolation)
            .create()
            .expect("a consumer for watermarks");
        move || {
            consumer
                .fetch_watermarks(topic, 0, Duration::from_secs(5))
                .map(|(_, end)| end)
        }
    };
    let (written_end, stable_end) = (end_offset("read_uncommitted"), end_offset("read_committed"));
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let (Ok(written), Ok(stable)) = (written_end(), stable_end())
            && written > stable
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no open transaction on {topic} within {within:?}");
}

/// The test's end of `NOTIFY_SOCKET`: the datagrams weir sends, one string each, read as
/// they come by a thread of its own (a full socket queue would block weir's sends).
struct ServiceManager {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    received: mpsc::Receiver<String>,
}

impl ServiceManager {
    fn bind() -> ServiceManager {
        let dir = tempfile::tempdir().expect("socket dir");
        let path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        let (sender, received) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                let message = String::from_utf8_lossy(&buf[..n]).into_owned();
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        ServiceManager {
            _dir: dir,
            path,
            received,
        }
    }

    /// The next datagram within `within`, if any.
    fn next(&self, within: Duration) -> Option<String> {
        self.received.recv_timeout(within).ok()
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

/// One thread of another process held stopped with ptrace (the mechanism `gdb` uses),
/// traced alone: the process's other threads run on untouched. Released (the thread runs
/// on) when dropped.
///
/// `gdb` in non-stop mode (`attach PID &`, then `interrupt` on the one thread) does the same
/// and was used first; plain ptrace needs no tool installed and no parsing of gdb's output.
struct FrozenThread {
    release: mpsc::Sender<()>,
    tracer: Option<std::thread::JoinHandle<()>>,
}

impl FrozenThread {
    /// Stops the thread of `pid` whose name starts with `name` (Linux thread names are cut
    /// at 15 bytes) while it waits in the kernel (a futex, poll or epoll wait), where it holds
    /// no lock another thread needs (stopped at an arbitrary instruction it could hold a
    /// malloc arena of the C libraries). Err when that is not possible here (no ptrace).
    fn freeze(pid: u32, name: &str) -> Result<FrozenThread, String> {
        let comm: String = name.chars().take(15).collect();
        let tid: libc::pid_t = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map_err(|e| e.to_string())?
            .flatten()
            .find(|task| {
                std::fs::read_to_string(task.path().join("comm")).is_ok_and(|c| c.trim() == comm)
            })
            .and_then(|task| task.file_name().into_string().ok()?.parse().ok())
            .ok_or_else(|| format!("no thread {comm} in process {pid}"))?;
        let (frozen, result) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        // ptrace requests must come from the thread that attached: one thread does it all.
        let tracer = std::thread::spawn(move || {
            let outcome = stop_waiting(pid, tid);
            let stopped = outcome.is_ok();
            let _ = frozen.send(outcome);
            if stopped {
                let _ = released.recv();
            }
            // SAFETY: plain ptrace requests on a thread this thread traces (or not: then
            // the request fails harmlessly).
            unsafe {
                libc::ptrace(libc::PTRACE_DETACH, tid, 0, 0);
            }
        });
        result
            .recv()
            .map_err(|e| e.to_string())?
            .map(|()| FrozenThread {
                release,
                tracer: Some(tracer),
            })
    }
}

/// Every thread of `pid`: name, kernel wait channel and syscall line, for failure reports.
fn thread_waits(pid: u32) -> String {
    let mut text = String::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let read = |file: &str| {
            std::fs::read_to_string(task.path().join(file))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        text.push_str(&format!(
            "{:?} {} wchan={} syscall={}\n",
            task.file_name(),
            read("comm"),
            read("wchan"),
            read("syscall")
        ));
    }
    text
}

/// Seizes thread `tid` and stops it until it is found waiting in one of the kernel's waits.
fn stop_waiting(pid: u32, tid: libc::pid_t) -> Result<(), String> {
    let waits = [
        libc::SYS_futex,
        libc::SYS_epoll_wait,
        libc::SYS_epoll_pwait,
        libc::SYS_poll,
        libc::SYS_ppoll,
    ];
    // SAFETY: ptrace and waitpid on one thread id, with no pointers passed.
    unsafe {
        if libc::ptrace(libc::PTRACE_SEIZE, tid, 0, 0) != 0 {
            return Err(format!("PTRACE_SEIZE: {}", std::io::Error::last_os_error()));
        }
        for _ in 0..200 {
            libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0);
            let mut status = 0;
            if libc::waitpid(tid, &mut status, libc::__WALL) != tid {
                return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
            }
            let syscall = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
                .unwrap_or_default();
            let number = syscall
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok());
            if number.is_some_and(|n: libc::c_long| waits.contains(&n)) {
                return Ok(());
            }
            libc::ptrace(libc::PTRACE_CONT, tid, 0, 0);
            std::thread::sleep(Duration::from_millis(7));
        }
    }
    Err("the thread was never found waiting in the kernel".into())
}

impl Drop for FrozenThread {
    fn drop(&mut self) {
        let _ = self.release.send(());
        if let Some(tracer) = self.tracer.take() {
            let _ = tracer.join();
        }
    }
}

/// A GET that gives up after `timeout`: `None` when nothing answered.
fn try_get(addr: std::net::SocketAddr, path: &str, timeout: Duration) -> Option<(u16, String)> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let code = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((code, body))
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

    let frozen = match FrozenThread::freeze(daemon.child.id(), "weir-CSAS_COPIED-0") {
        Ok(frozen) => frozen,
        Err(why) => {
            eprintln!("skipped the stuck-thread half: cannot stop one thread here ({why})");
            return;
        }
    };
    let frozen_at = Instant::now();
    let within = STALL_AFTER + Duration::from_secs(5);
    let body = loop {
        let Some((code, body)) = try_get(addr, "/healthz", Duration::from_secs(5)) else {
            panic!(
                "/healthz does not answer {:.1}s after one stream thread stopped; threads:\n{}",
                frozen_at.elapsed().as_secs_f64(),
                thread_waits(daemon.child.id())
            );
        };
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
    let json: serde_json::Value = serde_json::from_str(&body).expect("healthz JSON");
    let silent = json["stalled"][0]["silent_seconds"]
        .as_f64()
        .unwrap_or_default();
    assert!(
        silent >= STALL_AFTER.as_secs_f64(),
        "not before STALL_AFTER: {body}"
    );
    assert_eq!(json["status"], "stalled");
    assert_eq!(json["stalled"][0]["loop"], THREAD, "{body}");
    assert!(
        json["reason"].as_str().is_some_and(|r| r.contains(THREAD)),
        "{body}"
    );

    // No ping after liveness failed. One decided just before may still be on its way on a
    // loaded machine: what comes within two and a half ping intervals is let go.
    std::thread::sleep(Duration::from_millis(2500));
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
