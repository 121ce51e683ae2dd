//! One chaos run: a broker behind a proxy, N `exactly_once_v2` replicas of one queries file,
//! continuous input, the control copy loops, and a sequence of faults drawn from the plan's
//! menu with a seeded generator (printed, so a failing run can be replayed). After the last
//! fault the input stops, the fleet is made whole, and the checker compares every sink with
//! the input until it matches or a deadline passes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::check::{self, Report};
use crate::control::{self, Control};
use crate::fleet::Fleet;
use crate::harness::Workspace;
use crate::input::{EVENTS, Input, PAYMENTS};
use crate::support::{Proxy, TestBroker};

pub const QUERIES: &str = "
CREATE STREAM EVENTS (USER_ID STRING KEY, SEQ BIGINT, AMOUNT INT, BUCKET INT)
  WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON');
CREATE STREAM PAYMENTS (USER_ID STRING KEY, SEQ BIGINT, PAID INT)
  WITH (KAFKA_TOPIC='payments', VALUE_FORMAT='JSON');
CREATE STREAM COPY AS SELECT USER_ID, SEQ, AMOUNT FROM EVENTS EMIT CHANGES;
CREATE TABLE TOTALS AS
  SELECT USER_ID, AS_VALUE(USER_ID) AS U, COUNT(*) AS N, SUM(AMOUNT) AS TOTAL
  FROM EVENTS GROUP BY USER_ID EMIT CHANGES;
CREATE TABLE BY_BUCKET AS
  SELECT BUCKET, AS_VALUE(BUCKET) AS B, COUNT(*) AS N FROM EVENTS GROUP BY BUCKET EMIT CHANGES;
CREATE TABLE WINDOWED AS
  SELECT BUCKET, AS_VALUE(BUCKET) AS B, WINDOWSTART AS WS, COUNT(*) AS N FROM EVENTS
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 HOUR) GROUP BY BUCKET EMIT CHANGES;
CREATE STREAM MATCHED AS
  SELECT E.SEQ AS SEQ, AS_VALUE(E.SEQ) AS S, E.AMOUNT AS AMOUNT, P.PAID AS PAID
  FROM EVENTS E JOIN PAYMENTS P WITHIN 1 HOURS ON E.SEQ = P.SEQ EMIT CHANGES;
";

const PARTITIONS: i32 = 6;

/// A fault the run may inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// SIGKILL one replica (and one control loop), start it again 1-4 s later on its state.
    KillRestart,
    /// The same, with the replica's state directory deleted before the restart.
    KillWipe,
    /// SIGTERM every running replica in turn, each started again and ready before the next.
    RollingRestart,
    /// Start a stopped replica slot, or a new one (at most `max_replicas` running).
    AddReplica,
    /// SIGTERM one replica for good (at least two keep running).
    RemoveReplica,
    /// The broker unreachable through the proxy for 1-30 s.
    BrokerCut,
    /// Every connection reset once (requests in flight fail, mid-transaction included).
    ConnectionReset,
}

pub struct Plan {
    pub replicas: usize,
    pub max_replicas: usize,
    pub cycles: usize,
    /// Events (and payments) per second.
    pub rate: u64,
    pub menu: Vec<Fault>,
    pub control_loops: usize,
    pub seed: u64,
    /// How long the sinks may take to match the input once it stopped.
    pub settle: Duration,
}

/// A small deterministic generator (xorshift64*), enough to draw faults and pauses.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.below(to - from + 1))
    }
}

fn config(bootstrap: &str) -> String {
    format!(
        r#"service_id = "chaos"
queries = "app.sql"
state_dir = "state"
threads = 1
processing_guarantee = "exactly_once_v2"
commit_interval = "500ms"
shutdown_timeout = "30s"
startup_timeout = "120s"
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
    )
}

/// Runs `plan` and returns the final report with what was injected.
pub fn run(plan: &Plan) -> (Report, BTreeMap<Fault, u32>) {
    let began = Instant::now();
    let (broker, proxy) = TestBroker::start_behind_proxy();
    for topic in [EVENTS, PAYMENTS, control::SINK] {
        broker.create_topic(topic, PARTITIONS);
    }
    let mut workspace = Workspace::new(&config(broker.bootstrap()), QUERIES);
    workspace.pin_binary();
    let mut fleet = Fleet::new(workspace, plan.replicas);
    for index in 0..plan.replicas {
        fleet.start(index);
    }
    fleet.wait_ready(Duration::from_secs(120));
    let mut input = Input::start(broker.bootstrap(), plan.rate);
    let mut control = Control::start(broker.bootstrap(), plan.control_loops);
    eprintln!(
        "chaos: seed {}, {} replicas, {} cycles of {:?}, {} events/s; ready after {:?}",
        plan.seed,
        plan.replicas,
        plan.cycles,
        plan.menu,
        plan.rate,
        began.elapsed()
    );

    let mut draw = Draw(plan.seed | 1);
    let mut injected: BTreeMap<Fault, u32> = BTreeMap::new();
    for cycle in 1..=plan.cycles {
        std::thread::sleep(draw.millis(4_000, 10_000));
        control.revive();
        let fault = plan.menu[draw.below(plan.menu.len() as u64) as usize];
        let applied = inject(fault, plan, &mut fleet, &proxy, &mut control, &mut draw);
        if applied {
            *injected.entry(fault).or_default() += 1;
        }
        eprintln!(
            "chaos: cycle {cycle}/{}: {fault:?}{} ({} events sent, {:?})",
            plan.cycles,
            if applied { "" } else { " (skipped)" },
            input.sent(),
            began.elapsed()
        );
    }

    // Make the fleet whole, let the input end, and wait for the sinks to settle.
    proxy.restore();
    while fleet.running().len() < plan.replicas {
        let index = fleet.stopped()[0];
        fleet.start(index);
    }
    for slot in 0..control.slots() {
        control.restart(slot);
    }
    input.stop();
    fleet.wait_ready(Duration::from_secs(180));
    let sent = input.sent();
    eprintln!(
        "chaos: input stopped at {sent} events; checking ({:?})",
        began.elapsed()
    );

    let deadline = Instant::now() + plan.settle;
    for pass in 1.. {
        control.revive();
        let last = Instant::now() >= deadline;
        let report = check::check(&broker, plan.control_loops > 0, last);
        eprintln!(
            "chaos: check pass {pass} ({:?}): {}",
            began.elapsed(),
            report.summary()
        );
        if report.ok() || report.duplicated() || last {
            if !report.ok() {
                eprintln!("chaos: replica logs:\n{}", fleet.logs(30));
                keep_broker_log(&broker, plan.seed);
            }
            eprintln!(
                "chaos: {} after {:?}, faults {injected:?}, replica starts {:?}, control restarts {}, unclean stops {:?}\n{report}",
                if report.ok() { "exact" } else { "NOT EXACT" },
                began.elapsed(),
                fleet.replicas.iter().map(|r| r.starts).collect::<Vec<_>>(),
                control.restarts,
                fleet.unclean_stops,
            );
            return (report, injected);
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    unreachable!("the check loop returns")
}

/// Copies the broker's log out of its temporary directory (removed with the broker) for a
/// run that is not exact; `TEST_BROKER_LOG=weir_patch=info` logs every transaction's ending.
fn keep_broker_log(broker: &TestBroker, seed: u64) {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chaos-broker-{seed}-{since_epoch}.log"));
    match std::fs::copy(broker.log_path(), &kept) {
        Ok(_) => eprintln!("chaos: the broker's log is kept at {}", kept.display()),
        Err(e) => eprintln!("chaos: cannot keep the broker's log: {e}"),
    }
}

/// Applies one fault; false when it does not apply right now (e.g. too few replicas).
fn inject(
    fault: Fault,
    plan: &Plan,
    fleet: &mut Fleet,
    proxy: &Proxy,
    control: &mut Control,
    draw: &mut Draw,
) -> bool {
    let running = fleet.running();
    match fault {
        Fault::KillRestart | Fault::KillWipe => {
            let Some(&index) = running.get(draw.below(running.len() as u64) as usize) else {
                return false;
            };
            fleet.kill(index);
            let slot = draw.below(control.slots() as u64) as usize;
            if control.slots() > 0 {
                control.kill(slot);
            }
            if fault == Fault::KillWipe {
                fleet.wipe(index);
            }
            std::thread::sleep(draw.millis(1_000, 4_000));
            fleet.start(index);
            if control.slots() > 0 {
                control.restart(slot);
            }
        }
        Fault::RollingRestart => {
            // Each restarted replica restores its tasks' changelogs, which the test broker
            // never compacts: restores grow with the run, so the wait is the run's settle time.
            for index in running {
                fleet.stop(index, Duration::from_secs(60));
                fleet.start(index);
                fleet.wait_ready(plan.settle);
            }
        }
        Fault::AddReplica => {
            if running.len() >= plan.max_replicas {
                return false;
            }
            let index = fleet
                .stopped()
                .first()
                .copied()
                .unwrap_or_else(|| fleet.add());
            fleet.start(index);
        }
        Fault::RemoveReplica => {
            if running.len() <= 2 {
                return false;
            }
            let index = running[draw.below(running.len() as u64) as usize];
            fleet.stop(index, Duration::from_secs(60));
        }
        Fault::BrokerCut => {
            proxy.cut();
            std::thread::sleep(draw.millis(1_000, 30_000));
            proxy.restore();
        }
        Fault::ConnectionReset => proxy.reset(),
    }
    true
}
