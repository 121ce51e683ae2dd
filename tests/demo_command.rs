//! `weir demo` end to end: on librdkafka's in-process cluster it prints records of every demo
//! sink (stateless, join, windowed aggregation) within seconds, and exits 0 on SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[test]
fn demo_prints_sink_records_and_stops_on_sigint() {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["demo", "--http-listen", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn weir demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut waiting = vec![
        "[CONTENT_VIEWS]",
        "[PAGEVIEWS_ENRICHED]",
        "[VIEWS_PER_REGION]",
    ];
    let mut seen = Vec::new();
    while !waiting.is_empty() {
        let line = received
            .recv_timeout(Duration::from_secs(60).saturating_sub(started.elapsed()))
            .unwrap_or_else(|_| {
                panic!(
                    "demo printed no {waiting:?} line; saw:\n{}",
                    seen.join("\n")
                )
            });
        waiting.retain(|sink| !line.starts_with(sink));
        seen.push(line);
    }
    let windowed = seen
        .iter()
        .find(|l| l.starts_with("[VIEWS_PER_REGION]"))
        .expect("a windowed line");
    assert!(windowed.contains("[window from"), "{windowed}");
    assert!(windowed.contains("\"VIEWS\":"), "{windowed}");
    eprintln!("every sink printed after {:?}", started.elapsed());

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("try_wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "demo did not stop within 30 s of SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
}
