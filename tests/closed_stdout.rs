//! Every command that prints, with its stdout on a pipe whose reader has already gone (as in
//! `weir explain | head -0`): it exits 0 without a panic message, and a command whose point is
//! more than its output still does it (`weir lock` writes the lock, `weir demo` stops its
//! queries). With stderr closed too, a failing command keeps its own exit code.

mod harness;

use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use harness::Workspace;

const QUERIES: &str = "CREATE STREAM A (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');\n\
                       CREATE STREAM B AS SELECT * FROM A;\n";

/// The write end of a pipe whose read end is closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` fills `fds` with two new descriptors on success; each is owned once.
    let (read, write) = unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
    };
    drop(read);
    Stdio::from(write)
}

/// Runs `command` with stdout on a closed pipe (and stderr too when `stderr_closed`): its
/// exit code and what it wrote to stderr. Fails after 90 s.
fn run(mut command: Command, stderr_closed: bool) -> (Option<i32>, String) {
    command.stdin(Stdio::null()).stdout(closed_pipe());
    command.stderr(if stderr_closed {
        closed_pipe()
    } else {
        Stdio::piped()
    });
    let child = command.spawn().expect("spawn weir");
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(Duration::from_secs(90)) {
        Ok(output) => output.expect("wait for weir"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{command:?} did not end within 90 s of its stdout closing");
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

fn assert_quiet_success(args: &[&str], (code, stderr): (Option<i32>, String)) {
    assert!(!stderr.contains("panicked"), "weir {args:?}:\n{stderr}");
    assert_eq!(code, Some(0), "weir {args:?}:\n{stderr}");
}

#[test]
fn printing_commands_end_quietly_when_stdout_is_closed() {
    let workspace = Workspace::new("queries = \"app.sql\"\n", QUERIES);
    for args in [&["explain"][..], &["plan"], &["check"]] {
        assert_quiet_success(args, run(workspace.command(args), false));
    }
    // The lock is written although nobody reads the report; then it is up to date.
    assert_quiet_success(&["lock"], run(workspace.command(&["lock"]), false));
    assert!(workspace.path("app.sql.lock").exists());
    assert_quiet_success(&["lock"], run(workspace.command(&["lock"]), false));
    let mut help = Command::new(env!("CARGO_BIN_EXE_weir"));
    help.arg("--help");
    assert_quiet_success(&["--help"], run(help, false));
}

#[test]
fn a_failing_command_keeps_its_exit_code_when_stderr_is_closed_too() {
    let workspace = Workspace::new("queries = \"missing.sql\"\n", QUERIES);
    let (code, _) = run(workspace.command(&["check"]), true);
    assert_eq!(code, Some(2));
}

#[test]
fn the_demo_stops_cleanly_when_stdout_is_closed() {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_weir"));
    demo.args(["demo", "--http-listen", "off"])
        .env_remove("RUST_LOG");
    assert_quiet_success(&["demo"], run(demo, false));
}
