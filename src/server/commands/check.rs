//! `weir check`: validates config, queries file and lock without touching Kafka. Used as
//! systemd's `ExecStartPre`, so it must be fast and its message must say what to fix.

use super::{CommandError, ConfigFlags, load_config, load_queries};

pub fn check(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    let queries = load_queries(&config)?;
    println!(
        "ok: config is valid; queries file {} has {} statements, {} persistent queries",
        config.queries.display(),
        queries.statements.len(),
        queries.persistent_query_count()
    );
    Ok(())
}
