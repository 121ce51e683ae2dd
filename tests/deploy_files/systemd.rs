//! `systemd/weir.service`: the documented settings, and `systemd-analyze verify` where that
//! tool exists.

use super::*;

/// `key=value` settings of a unit file, per key in file order (keys may repeat).
fn unit_settings(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with(';')
            || line.starts_with('[')
        {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            settings
                .entry(key.trim().to_owned())
                .or_default()
                .push(value.trim().to_owned());
        }
    }
    settings
}

#[test]
fn systemd_unit_has_the_documented_settings() {
    let settings = unit_settings(&read("systemd/weir.service"));
    let one = |key: &str| -> &str {
        match settings.get(key).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("weir.service: expected one {key}=, found {other:?}"),
        }
    };
    for (key, expected) in [
        ("Type", "notify"),
        (
            "ExecStartPre",
            "/usr/bin/weir check --config /etc/weir/weir.toml",
        ),
        (
            "ExecStart",
            "/usr/bin/weir run --config /etc/weir/weir.toml",
        ),
        ("Restart", "on-failure"),
        ("RestartPreventExitStatus", "2"),
        ("KillSignal", "SIGTERM"),
        ("StateDirectory", "weir"),
        ("ConfigurationDirectory", "weir"),
        ("DynamicUser", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
    ] {
        assert_eq!(one(key), expected, "weir.service: {key}=");
    }
    assert!(
        settings["SystemCallFilter"]
            .iter()
            .any(|f| f == "@system-service"),
        "weir.service: SystemCallFilter=@system-service"
    );
    for key in ["ReadWritePaths", "ReadWriteDirectories"] {
        assert!(
            !settings.contains_key(key),
            "weir.service: {key}= would make more than the state directory writable"
        );
    }
    // weir pings every WatchdogSec/2 while alive and withholds the ping once a loop has
    // stalled for STALL_AFTER (15 s): a shorter watchdog would kill a replica before weir's
    // own liveness rule says it is stuck, or on one late ping.
    let watchdog = one("WatchdogSec");
    let watchdog_secs = humantime::parse_duration(watchdog)
        .unwrap_or_else(|e| panic!("weir.service: WatchdogSec={watchdog}: {e}"))
        .as_secs();
    assert!(
        (STALL_AFTER_SECS..=60).contains(&watchdog_secs),
        "weir.service: WatchdogSec={watchdog} must be between weir's STALL_AFTER \
         ({STALL_AFTER_SECS}s) and a minute"
    );
    let stop = one("TimeoutStopSec");
    let stop_secs = humantime::parse_duration(stop)
        .unwrap_or_else(|e| panic!("weir.service: TimeoutStopSec={stop}: {e}"))
        .as_secs() as i64;
    assert!(
        stop_secs > SHUTDOWN_TIMEOUT_SECS,
        "weir.service: TimeoutStopSec={stop} must exceed the shutdown timeout ({SHUTDOWN_TIMEOUT_SECS}s)"
    );
}

/// Runs `systemd-analyze verify` on a copy of the unit that points at the built binary.
/// `verify` needs no running systemd, but a sandbox may still make it fail for reasons of its
/// own: only messages about the unit itself count as failures; anything else is a skip note.
#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    let Some(analyze) = find_in_path("systemd-analyze") else {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = dir.path().join("weir.service");
    let text = read("systemd/weir.service").replace("/usr/bin/weir", env!("CARGO_BIN_EXE_weir"));
    std::fs::write(&unit, text).expect("write the unit copy");

    let output = Command::new(&analyze)
        .args(["verify", "--man=no"])
        .arg(&unit)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("cannot run systemd-analyze");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let unit_path = unit.display().to_string();
    // Messages about the unit: "<path>:<line>: ..." (parse problems) or "weir.service: ..."
    // (bad commands, bad settings once loaded).
    let about_unit: Vec<&str> = stderr
        .lines()
        .chain(stdout.lines())
        .filter(|l| l.starts_with(&unit_path) || l.starts_with("weir.service:"))
        .collect();
    assert!(
        about_unit.is_empty(),
        "systemd-analyze verify found problems in systemd/weir.service:\n{}",
        about_unit.join("\n")
    );
    if !output.status.success() {
        eprintln!(
            "skipped: systemd-analyze verify failed ({}) with nothing about the unit; \
             assuming the sandbox:\n{stderr}{stdout}",
            output.status
        );
        return;
    }
    if !stderr.trim().is_empty() {
        eprintln!("note: systemd-analyze verify said (not about the unit):\n{stderr}");
    }

    // The hardening stays good: `security --offline` scores the file without a manager.
    let security = Command::new(&analyze)
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("cannot run systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    match report
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for weir.service:"))
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse::<f64>().ok())
    {
        Some(exposure) => assert!(
            exposure <= 2.0,
            "systemd-analyze security: exposure {exposure} above 2.0 (hardening weakened?):\n{report}"
        ),
        None => eprintln!(
            "skipped exposure check: systemd-analyze security --offline gave no score ({}):\n{}",
            security.status,
            String::from_utf8_lossy(&security.stderr)
        ),
    }
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
