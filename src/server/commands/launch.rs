//! From a planned, locked queries file to a running [`Runtime`]: builds each query's topology,
//! lists the topics the file declares, makes sure every topic exists (through a
//! [`TopicAdmin`]: the real cluster for `weir run`, the in-process one for `weir demo`) and
//! starts the stream threads. This is the only place where the planner's output and the
//! Kafka runtime meet.

use std::path::Path;
use std::sync::Arc;

use super::CommandError;
use crate::ops::{self, RegistryOptions};
use crate::plan::{PlannedFile, Step};
use crate::registry::RegistryClient;
use crate::runtime::agreement;
use crate::runtime::{
    ClientSettings, DeclaredTopic, Runtime, RuntimeOptions, RuntimeQuery, Shared, TopicAdmin,
    ensure_topics,
};
use crate::server::config::{Config, OffsetReset, ProcessingGuarantee, RecordErrorPolicy};
use crate::telemetry::{Metrics, StatusBoard};

/// Every query of the file as the runtime runs it. A query whose topology cannot be built yet
/// is an error naming it.
pub fn runtime_queries(
    planned: &PlannedFile,
    path: &Path,
    registry: Option<&RegistryOptions>,
) -> Result<Vec<RuntimeQuery>, CommandError> {
    planned
        .queries
        .iter()
        .map(|query| {
            let built = ops::build_with_registry(query, registry.cloned());
            let topology = built.map_err(|e| CommandError::Queries {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            let (sink_topic, sink_partitions) = query
                .steps
                .walk()
                .into_iter()
                .find_map(|step| match step {
                    Step::Sink {
                        topic, partitions, ..
                    } => Some((topic.topic.clone(), *partitions)),
                    _ => None,
                })
                .unwrap_or_default();
            Ok(RuntimeQuery {
                id: query.id.clone(),
                app_id: query.application_id.clone(),
                sink: query.sink.clone(),
                sink_topic,
                sink_partitions,
                topology: Arc::new(topology),
                plan_tag: agreement::plan_tag(&query.locked().plan_fingerprint),
                record_cache_bytes: query
                    .analyzed
                    .record_cache_bytes
                    .map(|bytes| usize::try_from(bytes).unwrap_or(usize::MAX)),
            })
        })
        .collect()
}

/// The topics of the streams and tables the file declares (not those its queries create).
pub fn declared_topics(planned: &PlannedFile) -> Vec<DeclaredTopic> {
    planned
        .catalog
        .sources
        .values()
        .filter(|s| s.written_by.is_none())
        .map(|s| DeclaredTopic {
            topic: s.topic.clone(),
            source: s.name.clone(),
            partitions: s.partitions,
        })
        .collect()
}

pub fn client_settings(config: &Config) -> ClientSettings {
    ClientSettings {
        common: config.kafka.common.clone(),
        consumer: config.kafka.consumer.clone(),
        producer: config.kafka.producer.clone(),
        auto_offset_reset: match config.auto_offset_reset {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
        },
        exactly_once: config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2,
        static_membership: config.static_membership,
    }
}

/// This replica's id: kept in the state directory so a restarted replica reuses its
/// transactional ids and fences its own unfinished transactions at once.
pub fn replica_id(config: &Config) -> Result<String, CommandError> {
    persisted_replica_id(&config.state_dir, &config.service_id)
}

/// The id stored as `<service_id>.replica-id` in `dir`, or a new one written there.
fn persisted_replica_id(dir: &Path, service_id: &str) -> Result<String, CommandError> {
    std::fs::create_dir_all(dir).map_err(CommandError::io(format!(
        "creating state_dir {}",
        dir.display()
    )))?;
    let path = dir.join(format!("{service_id}.replica-id"));
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(id.to_owned());
        }
    }
    let id = new_replica_id();
    std::fs::write(&path, &id).map_err(CommandError::io(format!("writing {}", path.display())))?;
    Ok(id)
}

/// A new replica id: 64 random bits from the operating system's generator (through `rand`'s
/// thread-local generator), as 16 hex digits. Not derived from the clock or the process id:
/// replicas started in the same instant in containers (where every pid is 1) would share ids,
/// hence transactional ids, and fence each other.
fn new_replica_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Creates and checks topics, then starts every query.
pub fn start(
    config: &Config,
    planned: &PlannedFile,
    admin: &dyn TopicAdmin,
    metrics: &Metrics,
    status: &Arc<StatusBoard>,
) -> Result<Runtime, CommandError> {
    let registry = connect_registry(config, planned)?;
    let queries = runtime_queries(planned, &config.queries, registry.as_ref())?;
    let partitions = ensure_topics(
        admin,
        &declared_topics(planned),
        &queries,
        &config.errors.processing_log_topic,
    )
    .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let settings = client_settings(config);
    refuse_when_no_query_agrees(&settings, &queries)?;
    let options = RuntimeOptions {
        exactly_once: config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2,
        commit_interval: config.commit_interval,
        processing_log: config.errors.processing_log_topic.clone(),
        fail_on_deserialization: config.errors.on_deserialization == RecordErrorPolicy::Fail,
        fail_on_processing: config.errors.on_processing == RecordErrorPolicy::Fail,
        state_dir: config.state_dir.clone(),
        replica_id: replica_id(config)?,
        threads: config.threads,
        backoff_initial: config.errors.restart_backoff_initial,
        backoff_max: config.errors.restart_backoff_max,
        block_cache_bytes: config.state.block_cache_bytes,
        write_buffer_bytes: config.state.write_buffer_bytes,
        cleanup_delay: config.state.cleanup_delay,
        standby_replicas: config.standby_replicas,
        record_cache_bytes: config.state.record_cache_bytes,
    };
    let shared = Shared::new(
        settings,
        partitions,
        metrics.clone(),
        status.clone(),
        options,
    );
    Runtime::start(shared, queries).map_err(|e| CommandError::Runtime(e.to_string()))
}

/// Refuses to start when the consumer group of every query runs another plan of it on a live
/// replica (nothing could run here); a query in conflict among others that agree waits in its
/// stream threads instead. A group listing that fails lets the threads decide.
fn refuse_when_no_query_agrees(
    settings: &ClientSettings,
    queries: &[RuntimeQuery],
) -> Result<(), CommandError> {
    let conflicts = match agreement::conflicts_at_start(settings, queries) {
        Ok(conflicts) => conflicts,
        Err(error) => {
            tracing::warn!(%error, "cannot list the queries' consumer groups at startup; each query checks again before it joins");
            return Ok(());
        }
    };
    if conflicts.is_empty() || conflicts.len() < queries.len() {
        return Ok(());
    }
    let lines: Vec<String> = conflicts.iter().map(|c| format!("  {c}")).collect();
    Err(CommandError::LockConflict(lines.join("\n")))
}

/// Whether a topic of the file is read or written in a Schema Registry format.
pub fn uses_registry(planned: &PlannedFile) -> bool {
    planned
        .catalog
        .sources
        .values()
        .any(|s| s.key_format.format.needs_registry() || s.value_format.format.needs_registry())
}

/// The Schema Registry client, when the file uses a registry format: built from the config
/// and waited for (within `startup_timeout`) so that an unreachable registry or refused
/// credentials stop the startup with a clear error instead of failing every record.
fn connect_registry(
    config: &Config,
    planned: &PlannedFile,
) -> Result<Option<RegistryOptions>, CommandError> {
    let Some(settings) = config
        .schema_registry
        .as_ref()
        .filter(|_| uses_registry(planned))
    else {
        return Ok(None);
    };
    let client = RegistryClient::new(settings)?;
    client.wait_until_reachable(config.startup_timeout)?;
    tracing::info!(urls = %settings.urls.join(","), "Schema Registry reachable");
    Ok(Some(RegistryOptions {
        registry: Arc::new(client),
        unavailable_wait: settings.unavailable_wait,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn new_ids_are_distinct_and_not_derived_from_the_clock() {
        let ids: Vec<String> = (0..10_000).map(|_| new_replica_id()).collect();
        assert!(ids.iter().all(|id| id.len() == 16));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        // Ids made within the same few milliseconds by one process: every one of the 64 bits
        // takes both values (ids built from the clock share their high bits).
        let bits: Vec<u64> = ids[..1000]
            .iter()
            .map(|id| u64::from_str_radix(id, 16).unwrap())
            .collect();
        let ones = bits.iter().fold(0, |acc, b| acc | b);
        let zeros = bits.iter().fold(0, |acc, b| acc | !b);
        assert_eq!((ones, zeros), (u64::MAX, u64::MAX));
    }

    #[test]
    fn an_id_is_kept_in_the_state_dir_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = persisted_replica_id(dir.path(), "svc").unwrap();
        assert_eq!(persisted_replica_id(dir.path(), "svc").unwrap(), first);
        let stored = std::fs::read_to_string(dir.path().join("svc.replica-id")).unwrap();
        assert_eq!(stored, first);
        std::fs::write(dir.path().join("other.replica-id"), "abc123\n").unwrap();
        assert_eq!(persisted_replica_id(dir.path(), "other").unwrap(), "abc123");
        assert_ne!(persisted_replica_id(dir.path(), "third").unwrap(), first);
    }
}
