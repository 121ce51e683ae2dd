//! `weir lock` and `weir plan`: pin what the queries file runs, and show what a change to the
//! file would do to each query's consumer group and state before it is deployed, and how to
//! deploy a query whose plan changed.

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
    let changed = diff.plan_changed();
    if !changed.is_empty() {
        out!("{}", upgrade_procedure(&changed))?;
    }
    if !diff.is_empty() {
        outln!("\nrun `weir lock` to accept these changes")?;
    }
    Ok(())
}

/// How to deploy queries whose plan changed: replicas refuse to run a query beside another
/// plan of it (`runtime::agreement`), so the old version has to go first, or the new one runs
/// apart under its own service id.
fn upgrade_procedure(changed: &[&str]) -> String {
    format!(
        "\nchanged plans ({}): a replica does not process a query while a live replica runs \
         another plan of it in its consumer group. To deploy:\n  \
         1. stop every replica that runs the old lock (under static_membership they stay in \
         their groups until their sessions time out);\n  \
         2. start the replicas with the new lock (started earlier, they wait with the query in \
         LOCK_CONFLICT, and run it once no old replica is left).\n  \
         Or blue/green: run the new version under a new service_id with its own sink topics \
         (new consumer groups and internal topics, read from auto_offset_reset), move readers \
         over, then stop the old one.\n",
        changed.join(", ")
    )
}
