//! What the runtime runs: a query reduced to what Kafka needs (ids, topics, and the factory
//! that builds its task graphs). The server makes these from the planner's output, so the
//! runtime never sees SQL.

use std::sync::Arc;

use crate::topology::TopologyFactory;

#[derive(Clone)]
pub struct RuntimeQuery {
    /// The stable query id (`CSAS_<SINK>`, …).
    pub id: String,
    /// `_weir-<service_id>-<query_id>`: the consumer group and internal-topic prefix.
    pub app_id: String,
    /// The sink stream or table.
    pub sink: String,
    pub sink_topic: String,
    /// `PARTITIONS` declared for the sink, if any.
    pub sink_partitions: Option<u32>,
    pub topology: Arc<dyn TopologyFactory>,
    /// The plan tag its group consumers carry (`agreement::plan_tag` of the lock's
    /// `plan_fingerprint`), so replicas with another plan for the query can tell.
    pub plan_tag: String,
    /// The query's own record cache size (a `SET 'cache.max.bytes.buffering'` in the queries
    /// file), overriding the config's `state.cache_max_bytes_buffering`.
    pub record_cache_bytes: Option<usize>,
}
