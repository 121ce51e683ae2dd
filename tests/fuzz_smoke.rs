//! The fuzz runner of `benches/weir_fuzz.rs` in its short bounded mode, so it keeps working
//! and catches what a few thousand inputs find: every target, a fixed seed, no panic and no
//! differential mismatch. The long runs (10M inputs per target) are documented in that file
//! and are not part of the test suite.

// The replay path belongs to the bench's command line.
#[allow(dead_code)]
#[path = "../benches/fuzz/mod.rs"]
mod fuzz;

/// Inputs per target: about three seconds each in a debug build. The SQL front end, and the
/// schema translators' exponentially growing types (refused at 100,000 fields), cost more
/// per input than the record readers.
fn inputs(target: &str) -> u64 {
    match target {
        "sql" => 2_000,
        "protobuf" | "schemas" => 4_000,
        _ => 20_000,
    }
}

#[test]
fn every_target_survives_a_bounded_run() {
    let corpus = fuzz::Corpus::load();
    let mut failures = Vec::new();
    for name in fuzz::TARGETS {
        let mut target = fuzz::target(name, &corpus).expect("known target");
        let options = fuzz::Options {
            inputs: inputs(name),
            seed: 20_260_101,
            start: 0,
            out_dir: std::env::temp_dir().join("weir-fuzz-smoke"),
            progress: None,
            // Sizes are the release build's; debug frames are several times larger.
            stack_scale: if cfg!(debug_assertions) { 8 } else { 1 },
        };
        let outcome = fuzz::run(target.as_mut(), &options);
        print!("{}", outcome.report());
        if !outcome.clean() {
            failures.push(outcome.report());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_delimited_oracle_reads_like_commons_csv() {
    use fuzz::csv_model::first_record;
    assert_eq!(
        first_record(b"a,\"b\"\"c\",", b',').unwrap(),
        ["a", "b\"c", ""]
    );
    assert_eq!(first_record(b"\r\n\nx\r\ny", b',').unwrap(), ["x"]);
    assert!(first_record(b"\"a\"b", b',').is_err());
    assert!(first_record(b"a\n\"b", b',').is_err());
    assert!(first_record(b"", b',').is_err());
    assert_eq!(first_record(b"\"a\" \x0b,b", b',').unwrap(), ["a", "b"]);
}

#[test]
fn the_json_oracle_counts_depth_as_weir_does() {
    use fuzz::json_oracle::max_value_depth;
    assert_eq!(max_value_depth(b"1"), 0);
    assert_eq!(max_value_depth(b"[]"), 0);
    assert_eq!(max_value_depth(b"[1]"), 1);
    assert_eq!(max_value_depth(b"[[]]"), 1);
    assert_eq!(max_value_depth(br#"{"a":{"b":"]]"}}"#), 2);
}
