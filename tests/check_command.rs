//! `weir check` and the other subcommands as a user runs them: exit codes (0 ok, 2 bad input)
//! and the exact messages.

mod harness;

use harness::{Workspace, repo_path};

const GOOD_QUERIES: &str = "CREATE STREAM A (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');\n\
                            CREATE STREAM B AS SELECT * FROM A;\n";

#[test]
fn check_passes_on_a_good_config() {
    let workspace = Workspace::new("queries = \"app.sql\"\n", GOOD_QUERIES);
    let (code, stdout, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("ok: "), "{stdout}");
}

#[test]
fn check_reports_every_config_error_and_exits_2() {
    let workspace = Workspace::new(
        "queries = \"app.sql\"\nthreads = \"many\"\n[http]\nlisten = \"nowhere\"\n",
        GOOD_QUERIES,
    );
    let (code, stdout, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    let dir = workspace.dir.path().display().to_string();
    assert_eq!(
        stderr.replace(&dir, "DIR"),
        "error: config has 2 errors:\n  \
         - `threads` = \"many\" (from DIR/weir.toml): a whole number from 1 to 256\n  \
         - `http.listen` = \"nowhere\" (from DIR/weir.toml): a socket address such as \"127.0.0.1:9464\" or \"0.0.0.0:9464\", or \"off\"\n"
    );
}

#[test]
fn check_rejects_a_file_without_persistent_queries() {
    let workspace = Workspace::new(
        "queries = \"app.sql\"\n",
        "-- only a source\nCREATE STREAM A (ID INT KEY) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');\n",
    );
    let (code, _, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    let dir = workspace.dir.path().display().to_string();
    let expected = [
        "error: The queries file contains no persistent query: nothing would run",
        " --> DIR/app.sql:2:74",
        "  |",
        "2 | CREATE STREAM A (ID INT KEY) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');",
        "  |                                                                          ^",
        "  = help: add a CREATE STREAM|TABLE … AS SELECT or an INSERT INTO … SELECT",
        "queries file DIR/app.sql has 1 error(s)",
        "",
    ]
    .join("\n");
    assert_eq!(stderr.replace(&dir, "DIR"), expected);
}

#[test]
fn check_renders_every_sql_error_with_file_line_and_caret() {
    let workspace = Workspace::new(
        "queries = \"app.sql\"\n",
        "CREATE STREAM A (ID INT KEY) WITH (KAFKA_TOPC='a', VALUE_FORMAT='JSON');\n\
         DROP STREAM A;\n\
         CREATE STREAM B AS SELECT * FROM A;\n",
    );
    let (code, stdout, stderr) = workspace.output(&["check"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    let dir = workspace.dir.path().display().to_string();
    let stderr = stderr.replace(&dir, "DIR");
    let first = [
        "error: unknown property `KAFKA_TOPC`",
        " --> DIR/app.sql:1:36",
        "  |",
        "1 | CREATE STREAM A (ID INT KEY) WITH (KAFKA_TOPC='a', VALUE_FORMAT='JSON');",
        "  |                                    ^^^^^^^^^^",
        "  = help: did you mean `KAFKA_TOPIC`?",
    ]
    .join("\n");
    assert!(stderr.starts_with(&first), "{stderr}");
    assert!(
        stderr.contains(
            "error: `DROP STREAM` is not allowed in a queries file\n --> DIR/app.sql:2:1\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("queries file DIR/app.sql has 2 error(s)\n"),
        "{stderr}"
    );
}

#[test]
fn flags_override_the_config_file() {
    let workspace = Workspace::new("queries = \"missing.sql\"\n", GOOD_QUERIES);
    let (code, _, _) = workspace.output(&["check"]);
    assert_eq!(code, 2);
    let queries = workspace.path("app.sql");
    let (code, _, stderr) = workspace.output(&["check", "--queries", queries.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_bad_set_flag_exits_2() {
    let workspace = Workspace::new("queries = \"app.sql\"\n", GOOD_QUERIES);
    let (code, _, stderr) = workspace.output(&["check", "--set", "threads"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: bad flag: `threads` is not of the form KEY=VALUE\n"
    );
}

#[test]
fn the_documented_config_file_is_valid() {
    let config = repo_path("config/weir.toml");
    // The documented file points at ../queries/app.sql relative to itself.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_weir"));
    command.args(["check", "--config", config.to_str().unwrap()]);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("WEIR_")) {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn version_prints_the_crate_version() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("weir {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// The queries files shipped in the repository are locked, and their locks match: a change
/// to the planner that moves a fingerprint shows up here (re-lock deliberately with the
/// command in the message).
#[test]
fn every_shipped_queries_file_matches_its_lock() {
    let shipped = [
        ("config/weir.toml", "queries/app.sql"),
        ("config/weir.toml", "queries/demo.sql"),
        ("deploy/weir.toml", "deploy/queries.sql"),
    ];
    for (config, queries) in shipped {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_weir"));
        command.args(["check", "--config", config, "--queries", queries]);
        command.current_dir(env!("CARGO_MANIFEST_DIR"));
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("WEIR_")) {
            command.env_remove(name);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("matches its lock"),
            "{queries}: {stdout}{}\nif the change is deliberate: weir lock --config {config} --queries {queries}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
