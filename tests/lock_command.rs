//! `weir lock`, `weir plan`, and the lock check in `weir check` / `weir run`, as a user runs
//! them on edits of a queries file: what counts as no change, what keeps state, what resets it.

mod harness;

use harness::{Daemon, Workspace};
use std::time::Duration;

const SOURCES: &str = "\
CREATE STREAM ORDERS (ID BIGINT KEY, CUSTOMER STRING, AMOUNT INT, STATUS STRING)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON');
";
const PAID: &str = "CREATE STREAM PAID AS SELECT * FROM ORDERS WHERE STATUS = 'PAID';\n";
const TOTALS: &str =
    "CREATE TABLE TOTALS AS SELECT CUSTOMER, COUNT(*) AS N FROM ORDERS GROUP BY CUSTOMER;\n";

/// A workspace whose queries file is `queries`, locked.
fn locked(queries: &str) -> Workspace {
    let workspace = Workspace::new("queries = \"app.sql\"\n", queries);
    let (code, stdout, stderr) = workspace.output(&["lock"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("wrote "), "{stdout}");
    workspace
}

fn edit(workspace: &Workspace, queries: &str) {
    std::fs::write(workspace.path("app.sql"), queries).unwrap();
}

fn plan(workspace: &Workspace) -> String {
    let (code, stdout, stderr) = workspace.output(&["plan"]);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

fn check(workspace: &Workspace) -> (i32, String) {
    let (code, stdout, stderr) = workspace.output(&["check"]);
    (code, stdout + &stderr)
}

#[test]
fn reordering_statements_changes_nothing() {
    let workspace = locked(&format!("{SOURCES}{PAID}{TOTALS}"));
    edit(&workspace, &format!("{SOURCES}{TOTALS}{PAID}"));
    assert_eq!(
        plan(&workspace),
        "0 added, 0 removed, 0 changed, 2 unchanged\n"
    );
    assert_eq!(check(&workspace).0, 0);
}

#[test]
fn comment_and_whitespace_edits_change_nothing() {
    let workspace = locked(&format!("{SOURCES}{PAID}{TOTALS}"));
    let reformatted = format!(
        "-- orders, cleaned\n{SOURCES}\n\nCREATE STREAM PAID AS\n  SELECT *\n  FROM ORDERS /* paid only */\n  WHERE STATUS = 'PAID';\n{TOTALS}"
    );
    edit(&workspace, &reformatted);
    assert_eq!(
        plan(&workspace),
        "0 added, 0 removed, 0 changed, 2 unchanged\n"
    );
    assert_eq!(check(&workspace).0, 0);
}

#[test]
fn adding_a_query_anywhere_keeps_every_existing_identity() {
    let workspace = locked(&format!("{SOURCES}{PAID}{TOTALS}"));
    let extra = "CREATE STREAM BIG AS SELECT * FROM ORDERS WHERE AMOUNT > 100;\n";
    edit(&workspace, &format!("{SOURCES}{extra}{PAID}{TOTALS}"));
    assert_eq!(
        plan(&workspace),
        "1 added, 0 removed, 0 changed, 2 unchanged\n\n\
         + CSAS_BIG (new query)\n    \
         starts in a new consumer group _weir-weir-CSAS_BIG, from auto_offset_reset\n\n\
         run `weir lock` to accept these changes\n"
    );
}

#[test]
fn a_changed_filter_is_stateless_and_keeps_its_group() {
    let workspace = locked(&format!("{SOURCES}{PAID}"));
    edit(
        &workspace,
        &format!("{SOURCES}{}", PAID.replace("'PAID'", "'SETTLED'")),
    );
    assert_eq!(
        plan(&workspace),
        "0 added, 0 removed, 1 changed, 0 unchanged\n\n\
         ~ CSAS_PAID (changed: statement, plan)\n    \
         stateless: keeps consumer group _weir-weir-CSAS_PAID and resumes from its committed offsets\n\n\
         changed plans (CSAS_PAID): a replica does not process a query while a live replica runs \
         another plan of it in its consumer group. To deploy:\n  \
         1. stop every replica that runs the old lock (under static_membership they stay in \
         their groups until their sessions time out);\n  \
         2. start the replicas with the new lock (started earlier, they wait with the query in \
         LOCK_CONFLICT, and run it once no old replica is left).\n  \
         Or blue/green: run the new version under a new service_id with its own sink topics \
         (new consumer groups and internal topics, read from auto_offset_reset), move readers \
         over, then stop the old one.\n\n\
         run `weir lock` to accept these changes\n"
    );
    let (code, output) = check(&workspace);
    assert_eq!(code, 2, "{output}");
    assert!(
        output.ends_with(
            "app.sql: the queries file and its lock disagree (changed: CSAS_PAID); run `weir plan` \
             to see what would happen to their state, then `weir lock` to accept the change\n"
        ),
        "{output}"
    );
}

#[test]
fn changed_aggregate_columns_reset_the_aggregate_state() {
    let workspace = locked(&format!("{SOURCES}{TOTALS}"));
    edit(
        &workspace,
        &format!(
            "{SOURCES}{}",
            TOTALS.replace("COUNT(*) AS N", "COUNT(*) AS N, SUM(AMOUNT) AS TOTAL")
        ),
    );
    let plan = plan(&workspace);
    assert!(
        plan.contains("~ CTAS_TOTALS (changed: statement, plan)\n"),
        "{plan}"
    );
    assert!(
        plan.contains(": value schema changed; its state would be reset\n"),
        "{plan}"
    );
}

#[test]
fn a_renamed_sink_is_one_query_added_and_one_removed() {
    let workspace = locked(&format!("{SOURCES}{PAID}"));
    edit(
        &workspace,
        &format!(
            "{SOURCES}{}",
            PAID.replace("STREAM PAID", "STREAM PAID_ORDERS")
        ),
    );
    let plan = plan(&workspace);
    assert!(
        plan.starts_with("1 added, 1 removed, 0 changed, 0 unchanged\n"),
        "{plan}"
    );
    assert!(plan.contains("+ CSAS_PAID_ORDERS (new query)\n"), "{plan}");
    assert!(
        plan.contains(
            "- CSAS_PAID (removed)\n    its consumer group _weir-weir-CSAS_PAID and state stores \
             are abandoned"
        ),
        "{plan}"
    );
    assert_eq!(workspace.output(&["lock"]).0, 0);
    assert_eq!(check(&workspace).0, 0, "locked again");
}

#[test]
fn a_first_run_writes_the_lock_and_a_disagreeing_file_refuses_to_run() {
    let workspace = Workspace::new(
        "queries = \"app.sql\"\nshutdown_timeout = \"5s\"\n[http]\nlisten = \"off\"\n[log]\nformat = \"json\"\n",
        &format!("{SOURCES}{PAID}"),
    );
    let mut daemon = Daemon::spawn(workspace.command(&["run"]));
    daemon.wait_for_line("no lock file yet: created it", Duration::from_secs(30));
    daemon.signal("TERM");
    assert_eq!(
        daemon.wait_exit(Duration::from_secs(5)).unwrap().code(),
        Some(0)
    );
    assert!(workspace.path("app.sql.lock").is_file());

    edit(
        &workspace,
        &format!("{SOURCES}{}", PAID.replace("'PAID'", "'X'")),
    );
    let (code, _, stderr) = workspace.output(&["run"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the queries file and its lock disagree (changed: CSAS_PAID)"),
        "{stderr}"
    );
}

#[test]
fn explain_prints_each_query_topology() {
    let workspace = Workspace::new("queries = \"app.sql\"\n", &format!("{SOURCES}{TOTALS}"));
    let (code, stdout, stderr) = workspace.output(&["explain"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Query CTAS_TOTALS"), "{stdout}");
    assert!(
        stdout.contains("consumer group: _weir-weir-CTAS_TOTALS"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-repartition"),
        "grouping by a non-key column repartitions: {stdout}"
    );
}
