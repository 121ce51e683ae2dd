//! `weir check`: validates config, queries file and lock without touching Kafka. Used as
//! systemd's `ExecStartPre`, so it must be fast and its message must say what to fix.

use super::output::outln;
use super::{CommandError, ConfigFlags, ensure_locked, load_config, load_queries, lock_state};
use crate::lock::LockFile;

pub fn check(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    let loaded = load_queries(&config)?;
    let (wanted, on_disk) = lock_state(&config, &loaded)?;
    let lock_note = match &on_disk {
        Some(lock) => {
            ensure_locked(&config, &wanted, lock)?;
            format!("matches its lock (hash {})", lock.hash())
        }
        None => format!(
            "has no lock yet ({} will be written by `weir lock`, or by the first `weir run`)",
            LockFile::path_for(&config.queries).display()
        ),
    };
    outln!(
        "ok: config is valid; queries file {} plans {} persistent queries and {lock_note}",
        config.queries.display(),
        loaded.planned.queries.len(),
    )
}
