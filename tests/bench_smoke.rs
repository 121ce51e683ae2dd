//! The benchmark harness in smoke mode, so it cannot rot: every workload of `benches/` through
//! the in-memory driver for a thousand bids, and W1 and W2 end to end against the test broker
//! (debug weir binary, a one-second latency phase, the passthrough ceiling on a thread).
//! Asserts that each stage produced output, not how fast (see `benches/README.md` for the
//! figures), and that W2's final windows are the input's, as every bench run checks them.

#[path = "../benches/harness/mod.rs"]
mod bench_harness;

use std::collections::HashMap;

use bench_harness::generator::Generator;
use bench_harness::smoke;
use bench_harness::windows;

#[test]
fn generated_records_are_deterministic_json_keyed_by_their_ids() {
    let g = Generator::new(100, 1_700_000_000_000);
    assert_eq!(g.bid(7).value, g.bid(7).value);
    let bid: serde_json::Value = serde_json::from_slice(&g.bid(7).value).expect("bid JSON");
    let auction = bid["auction"].as_i64().expect("auction id");
    assert!((1000..1100).contains(&auction), "auction {auction}");
    assert_eq!(g.bid(7).key, auction.to_be_bytes().to_vec());
    assert_eq!(bid["date_time"], 1_700_000_000_007i64);
    let a: serde_json::Value = serde_json::from_slice(&g.auction(3).value).expect("auction JSON");
    assert_eq!(a["id"], 1003);
    assert_eq!(g.auction(3).key, 1003i64.to_be_bytes().to_vec());
    let p: serde_json::Value = serde_json::from_slice(&g.person(3).value).expect("person JSON");
    assert_eq!(p["id"], 1003);
}

#[test]
fn every_workload_runs_through_the_driver() {
    let results = smoke::engine(1_000).expect("engine smoke run");
    let ids: Vec<&str> = results.iter().map(|r| r.workload.as_str()).collect();
    assert_eq!(
        ids,
        [
            "W1",
            "W2",
            "W3",
            "W4",
            "W5",
            "W1-AVRO",
            "W1-PROTOBUF",
            "RESTORE"
        ]
    );
    for r in &results {
        assert!(r.records >= 1_000, "{}: {} records", r.workload, r.records);
        assert!(r.outputs > 0, "{}: no output", r.workload);
    }
    // W1 keeps nine bids in ten; W3 joins every bid to its auction.
    let w1 = &results[0];
    assert!(
        w1.outputs > 850 && w1.outputs < 950,
        "W1 outputs {}",
        w1.outputs
    );
    assert_eq!(results[2].outputs, 1_000, "W3 joins every bid");
    // The registry-format variants read every bid (a value they could not decode would go to
    // the processing log, not the sink) and keep the same ones.
    for variant in &results[5..7] {
        assert_eq!(variant.outputs, w1.outputs, "{}", variant.workload);
    }
}

#[test]
fn w1_runs_end_to_end_against_the_broker() {
    let work = tempfile::tempdir().expect("work dir");
    let r = smoke::broker(
        std::path::Path::new(env!("CARGO_BIN_EXE_weir")),
        work.path(),
        "W1",
        1_000,
    )
    .expect("W1 broker smoke run");
    assert!(r.windows.is_none(), "W1 has no windows to check");
    assert_eq!(r.records, 1_000);
    // The kernel counts CPU time in 10 ms ticks: a thousand records can take less than one.
    assert!(r.wall_seconds > 0.0 && r.cpu_seconds >= 0.0, "{r:?}");
    assert_eq!(r.ceiling.records, 1_000);
    let latency = r.latency.expect("the latency phase timed W1's output");
    assert!(
        latency.samples > 0 && latency.p99_ms >= latency.p50_ms,
        "{latency:?}"
    );
    assert!(r.peak_rss_mib > 0.0);
}

#[test]
fn w2_windows_are_exact_end_to_end_against_the_broker() {
    let work = tempfile::tempdir().expect("work dir");
    let r = smoke::broker(
        std::path::Path::new(env!("CARGO_BIN_EXE_weir")),
        work.path(),
        "W2",
        1_000,
    )
    .expect("W2 broker smoke run");
    let check = r.windows.expect("W2's windows are checked");
    // A thousand bids one millisecond apart, plus the latency phase's: at least 100 auctions
    // in one or two windows.
    assert!(check.windows >= 100, "{check:?}");
    assert!(check.passed(), "{}: {check:?}", check.summary());
}

#[test]
fn the_window_check_counts_wrong_missing_and_unexpected_windows() {
    let g = Generator::new(10, 1_700_000_000_000);
    let bids: Vec<_> = (0..25_000).map(|i| g.bid(i)).collect();
    let mut expected = HashMap::new();
    windows::add_expected(&mut expected, &bids, 10_000).expect("expected windows");
    // 25 s of bids from a window boundary: three windows for each of the 10 auctions.
    assert_eq!(expected.len(), 30);
    assert_eq!(expected.values().map(|f| f.0).sum::<u64>(), 25_000);
    let exact = windows::compare(&expected, &expected, 30);
    assert!(exact.passed(), "{exact:?}");
    assert_eq!(exact.summary(), "windows exact 30/30");

    let mut found = expected.clone();
    let (&first, _) = found.iter().next().expect("a window");
    found.get_mut(&first).expect("a window").0 += 1;
    let second = *found.keys().find(|k| **k != first).expect("another window");
    found.remove(&second);
    found.insert((999, 0), (1, 1));
    let check = windows::compare(&expected, &found, 30);
    assert!(!check.passed());
    assert_eq!(
        (check.exact, check.wrong, check.missing, check.unexpected),
        (28, 1, 1, 1)
    );
    assert!(
        check.summary().starts_with("windows exact 28/30 (FAILED"),
        "{}",
        check.summary()
    );
}
