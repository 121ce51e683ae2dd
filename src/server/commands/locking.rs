//! `weir lock` and `weir plan`: pin what the queries file runs, and show what a change to the
//! file would do to each query's consumer group and state before it is deployed.

use super::output::{out, outln, unless_closed};
use super::{CommandError, ConfigFlags, load_config, load_queries, lock_state};
use crate::lock::{self, LockFile};

/// Writes the lock file next to the queries file, after showing what changed. The lock is
/// written even when nobody reads what is shown.
pub fn lock(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    let loaded = load_queries(&config)?;
    let (wanted, on_disk) = lock_state(&config, &loaded)?;
    if let Some(previous) = &on_disk {
        let diff = lock::diff(&wanted, previous);
        if diff.is_empty() {
            return outln!(
                "{} is up to date ({} queries)",
                LockFile::path_for(&config.queries).display(),
                wanted.queries.len()
            );
        }
        unless_closed(out!("{diff}\n"))?;
    }
    let path = wanted.write_for(&config.queries)?;
    outln!(
        "wrote {} ({} queries, hash {})",
        path.display(),
        wanted.queries.len(),
        wanted.hash()
    )
}

/// Prints the diff between the queries file and its lock; changes nothing.
pub fn plan(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    let loaded = load_queries(&config)?;
    let (wanted, on_disk) = lock_state(&config, &loaded)?;
    let lock_path = LockFile::path_for(&config.queries);
    let previous = match on_disk {
        Some(lock) => lock,
        None => {
            outln!(
                "{} does not exist yet: every query is new",
                lock_path.display()
            )?;
            LockFile::new(Vec::new())
        }
    };
    let diff = lock::diff(&wanted, &previous);
    out!("{diff}")?;
    if !diff.is_empty() {
        outln!("\nrun `weir lock` to accept these changes")?;
    }
    Ok(())
}
