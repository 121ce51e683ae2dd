//! Log priorities for journald, without systemd: `weir run` is started with stderr going to
//! a file the test made, once with `JOURNAL_STREAM` set to that file's `<device>:<inode>`
//! (what systemd sets when stderr is the journal) and once without. With it, every line
//! starts with the sd-daemon priority of its level (`<6>` info, `<4>` warn, `<3>` error,
//! the final error included) and the JSON after the prefix is the same JSON; without it, or
//! when the variable names another file, no line has a prefix.
//!
//! No broker is needed: the Kafka address answers nothing, so `weir run` logs its startup
//! lines, then gives up after `startup_timeout` with an error.

mod harness;

use std::os::unix::fs::MetadataExt;
use std::process::Stdio;

use harness::Workspace;

const QUERIES: &str = "
CREATE STREAM A (ID BIGINT KEY, X BIGINT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM B AS SELECT * FROM A EMIT CHANGES;
";

/// Runs `weir run` against no broker with stderr to a new file; `journal` says whether
/// `JOURNAL_STREAM` names that file (`Some(true)`), another file (`Some(false)`) or is unset.
fn run_logging_to_file(journal: Option<bool>) -> String {
    let state = tempfile::tempdir().expect("state dir");
    let workspace = Workspace::new(
        &format!(
            r#"queries = "app.sql"
state_dir = "{}"
startup_timeout = "2s"
[kafka]
"bootstrap.servers" = "127.0.0.1:1"
[http]
listen = "127.0.0.1:0"
[log]
format = "json"
"#,
            state.path().display()
        ),
        QUERIES,
    );
    let log_path = workspace.path("stderr.log");
    let log = std::fs::File::create(&log_path).expect("stderr file");
    let meta = log.metadata().expect("stat the stderr file");
    let other = workspace
        .path("weir.toml")
        .metadata()
        .expect("stat another file");
    let mut command = workspace.command(&["run"]);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .env_remove("JOURNAL_STREAM");
    match journal {
        Some(true) => command.env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino())),
        Some(false) => command.env("JOURNAL_STREAM", format!("{}:{}", other.dev(), other.ino())),
        None => &mut command,
    };
    let status = command.status().expect("run weir");
    assert_eq!(
        status.code(),
        Some(1),
        "no Kafka cluster: a runtime failure"
    );
    std::fs::read_to_string(&log_path).expect("read the stderr file")
}

#[test]
fn under_the_journal_each_line_starts_with_its_priority() {
    let log = run_logging_to_file(Some(true));
    let mut levels = Vec::new();
    for line in log.lines() {
        let (prefix, rest) = line.split_at(line.find('>').map_or(0, |i| i + 1));
        if rest.starts_with('{') {
            let json: serde_json::Value = serde_json::from_str(rest)
                .unwrap_or_else(|e| panic!("JSON after the prefix ({e}): {line}"));
            let level = json["level"].as_str().unwrap_or_default().to_owned();
            let expected = match level.as_str() {
                "ERROR" => "<3>",
                "WARN" => "<4>",
                "INFO" => "<6>",
                _ => "<7>",
            };
            assert_eq!(prefix, expected, "{line}");
            levels.push(level);
        } else {
            assert_eq!(prefix, "<3>", "the final error is an error: {line}");
            assert!(rest.starts_with("error: "), "{line}");
        }
    }
    assert!(levels.iter().any(|l| l == "INFO"), "info lines:\n{log}");
    assert!(
        log.lines().any(|l| l.starts_with("<3>error: ")),
        "the final error:\n{log}"
    );
}

#[test]
fn without_the_journal_no_line_has_a_prefix() {
    for journal in [None, Some(false)] {
        let log = run_logging_to_file(journal);
        assert!(!log.is_empty());
        for line in log.lines() {
            assert!(
                line.starts_with('{') || line.starts_with("error: "),
                "JOURNAL_STREAM {journal:?}: {line}"
            );
        }
    }
}
