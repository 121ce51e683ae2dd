//! The ecosystem's own Kafka client for Python (confluent-kafka), installed by
//! `.ci/install-python-clients`, as an independent witness: the broker probes kill its
//! transactional producers with open transactions, and the chaos suite runs its transactional
//! copy loop as the control next to weir. The scripts live in `tests/support/py/`.
//!
//! Environment: `TEST_PYTHON_CLIENTS` names the installed client (skips the install).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A `python3` command for `script` (a file in `tests/support/py/`) with the client on its
/// path and `args` after it.
pub fn script(script: &str, args: &[&str]) -> Command {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/py")
        .join(script);
    let mut command = Command::new("python3");
    command
        .arg("-u")
        .arg(path)
        .args(args)
        .env("PYTHONPATH", client_path())
        .stdin(Stdio::null());
    command
}

/// The directory holding the installed client.
pub fn client_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(path) = std::env::var_os("TEST_PYTHON_CLIENTS") {
            return PathBuf::from(path);
        }
        let installer = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/install-python-clients");
        let output = Command::new("bash")
            .arg(&installer)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", installer.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{} failed ({}):\n{stdout}{}",
            installer.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        PathBuf::from(stdout.lines().last().unwrap_or_default().trim())
    })
    .clone()
}
