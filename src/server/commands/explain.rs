//! `weir explain`: each query's topology as planned from the queries file — sub-topologies,
//! processors, state stores, internal topics and consumer group. Needs no Kafka.

use super::output::{out, outln};
use super::{CommandError, ConfigFlags, load_config, load_queries};

pub fn explain(flags: &ConfigFlags) -> Result<(), CommandError> {
    let config = load_config(flags)?;
    let loaded = load_queries(&config)?;
    for (i, query) in loaded.planned.queries.iter().enumerate() {
        if i > 0 {
            outln!()?;
        }
        out!("{query}")?;
    }
    Ok(())
}
