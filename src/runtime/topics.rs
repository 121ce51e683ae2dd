//! Startup topic work: wait for the cluster, then make sure every topic the queries need
//! exists with the right shape before any task starts. Declared sources must exist (or are
//! created when their `PARTITIONS` is declared, as ksqlDB does); sinks, repartition topics
//! (the partition count of the sub-topology writing them), changelogs (compacted; windowed
//! stores also delete) and the processing log are created when missing. Inputs of one
//! sub-topology must have equal partition counts and an existing sink must match its declared
//! count: both are startup errors naming the topics and counts.
//!
//! Broker access is behind [`TopicAdmin`] so `weir demo` can use the in-process mock cluster,
//! whose CreateTopics is not implemented.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;

use super::RuntimeError;
use super::query::RuntimeQuery;
use crate::state::StoreKind;

/// A topic the runtime creates when it is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopicSpec {
    pub name: String,
    pub partitions: i32,
    /// Topic configs such as `cleanup.policy`.
    pub config: Vec<(&'static str, String)>,
}

/// What the runtime needs from a cluster at startup.
pub trait TopicAdmin {
    /// Partition count of every topic that exists.
    fn describe(&self) -> Result<BTreeMap<String, i32>, String>;
    fn create(&self, topics: &[NewTopicSpec]) -> Result<(), String>;
}

/// A user-declared source topic (`CREATE STREAM|TABLE … WITH (KAFKA_TOPIC=…)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTopic {
    pub topic: String,
    /// The stream or table that declared it, for error messages.
    pub source: String,
    pub partitions: Option<u32>,
}

/// Changelogs of windowed stores keep a window's records this long (ksqlDB's default
/// retention plus a day) before compaction-and-delete may drop them.
const WINDOWED_CHANGELOG_RETENTION: Duration = Duration::from_secs(2 * 24 * 3600);

/// Makes sure every topic exists and is co-partitioned; returns every topic's partition count.
pub fn ensure_topics(
    admin: &dyn TopicAdmin,
    declared: &[DeclaredTopic],
    queries: &[RuntimeQuery],
    processing_log: &str,
) -> Result<BTreeMap<String, i32>, RuntimeError> {
    let mut known = admin.describe().map_err(RuntimeError::Kafka)?;
    let mut create = Vec::new();
    for source in declared {
        match (known.get(&source.topic), source.partitions) {
            (Some(&have), Some(want)) if have != want as i32 => {
                return Err(RuntimeError::Topics(format!(
                    "topic {} of {} has {have} partitions, but PARTITIONS={want} is declared",
                    source.topic, source.source
                )));
            }
            (Some(_), _) => {}
            (None, Some(want)) => {
                known.insert(source.topic.clone(), want as i32);
                create.push(plain(&source.topic, want as i32));
            }
            (None, None) => {
                return Err(RuntimeError::Topics(format!(
                    "topic {} of {} does not exist; create it, or declare PARTITIONS in its WITH \
                     clause so weir creates it",
                    source.topic, source.source
                )));
            }
        }
    }
    for query in queries {
        for sub in &query.topology.spec().sub_topologies {
            let counts: Vec<(&String, Option<i32>)> = sub
                .sources
                .iter()
                .map(|t| (t, known.get(t).copied()))
                .collect();
            if let Some((topic, _)) = counts.iter().find(|(_, c)| c.is_none()) {
                return Err(RuntimeError::Topics(format!(
                    "query {}: input topic {topic} does not exist",
                    query.id
                )));
            }
            let partitions = counts.first().and_then(|c| c.1).unwrap_or(1);
            if counts.iter().any(|(_, c)| *c != Some(partitions)) {
                let listed: Vec<String> = counts
                    .iter()
                    .map(|(t, c)| format!("{t} ({} partitions)", c.unwrap_or(0)))
                    .collect();
                return Err(RuntimeError::Topics(format!(
                    "query {}: the inputs of sub-topology {} must have equal partition counts \
                     to be co-partitioned, but they are {}",
                    query.id,
                    sub.id,
                    listed.join(", ")
                )));
            }
            for topic in &sub.sinks {
                let declared = query.sink_partitions.filter(|_| *topic == query.sink_topic);
                match (known.get(topic), declared) {
                    (Some(&have), Some(want)) if have != want as i32 => {
                        return Err(RuntimeError::Topics(format!(
                            "query {}: sink topic {topic} exists with {have} partitions, but \
                             PARTITIONS={want} is declared",
                            query.id
                        )));
                    }
                    (Some(_), _) => {}
                    (None, want) => {
                        let count = want.map_or(partitions, |w| w as i32);
                        known.insert(topic.clone(), count);
                        create.push(plain(topic, count));
                    }
                }
            }
            for store in &sub.stores {
                let Some(changelog) = &store.changelog else {
                    continue;
                };
                if known.contains_key(changelog) {
                    continue;
                }
                known.insert(changelog.clone(), partitions);
                let policy = match store.kind {
                    StoreKind::KeyValue => vec![("cleanup.policy", "compact".to_owned())],
                    StoreKind::Window | StoreKind::Session => vec![
                        ("cleanup.policy", "compact,delete".to_owned()),
                        (
                            "retention.ms",
                            WINDOWED_CHANGELOG_RETENTION.as_millis().to_string(),
                        ),
                    ],
                };
                create.push(NewTopicSpec {
                    name: changelog.clone(),
                    partitions,
                    config: policy,
                });
            }
        }
    }
    if !known.contains_key(processing_log) {
        known.insert(processing_log.to_owned(), 1);
        create.push(plain(processing_log, 1));
    }
    if !create.is_empty() {
        for topic in &create {
            tracing::info!(topic = %topic.name, partitions = topic.partitions, "creating topic");
        }
        admin.create(&create).map_err(RuntimeError::Topics)?;
    }
    Ok(known)
}

fn plain(name: &str, partitions: i32) -> NewTopicSpec {
    NewTopicSpec {
        name: name.to_owned(),
        partitions,
        config: Vec::new(),
    }
}

/// A real cluster, through librdkafka's metadata and admin APIs.
pub struct KafkaAdmin {
    metadata: BaseConsumer,
    admin: AdminClient<DefaultClientContext>,
    timeout: Duration,
}

impl KafkaAdmin {
    /// Connects, retrying until the cluster answers a metadata request or `startup_timeout`
    /// passes; the error then says which servers were tried and the last failure.
    pub fn connect(config: &ClientConfig, startup_timeout: Duration) -> Result<Self, RuntimeError> {
        let servers = config.get("bootstrap.servers").unwrap_or("").to_owned();
        let metadata: BaseConsumer = config
            .create()
            .map_err(|e| RuntimeError::Kafka(format!("creating a client for {servers}: {e}")))?;
        let admin: AdminClient<DefaultClientContext> = config.create().map_err(|e| {
            RuntimeError::Kafka(format!("creating an admin client for {servers}: {e}"))
        })?;
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match metadata.fetch_metadata(None, Duration::from_secs(5)) {
                Ok(_) => break,
                Err(error) if started.elapsed() + delay < startup_timeout => {
                    tracing::warn!(%error, servers = %servers, "Kafka not reachable yet; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(error) => {
                    return Err(RuntimeError::Kafka(format!(
                        "no Kafka cluster answered at {servers} within startup_timeout \
                         ({startup_timeout:?}); last error: {error}"
                    )));
                }
            }
        }
        Ok(KafkaAdmin {
            metadata,
            admin,
            timeout: Duration::from_secs(30),
        })
    }
}

impl TopicAdmin for KafkaAdmin {
    fn describe(&self) -> Result<BTreeMap<String, i32>, String> {
        let metadata = self
            .metadata
            .fetch_metadata(None, self.timeout)
            .map_err(|e| format!("reading cluster metadata: {e}"))?;
        Ok(metadata
            .topics()
            .iter()
            .filter(|t| t.error().is_none())
            .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
            .collect())
    }

    fn create(&self, topics: &[NewTopicSpec]) -> Result<(), String> {
        let new: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| {
                t.config.iter().fold(
                    NewTopic::new(&t.name, t.partitions, TopicReplication::Fixed(-1)),
                    |n, (k, v)| n.set(k, v),
                )
            })
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(self.timeout));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("starting the admin runtime: {e}"))?;
        let results = runtime
            .block_on(self.admin.create_topics(&new, &options))
            .map_err(|e| format!("creating topics: {e}"))?;
        for result in results {
            match result {
                Ok(_) => {}
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(format!("creating topic {topic}: {code}")),
            }
        }
        // Metadata lags creation; wait until every new topic is visible with its partitions.
        let deadline = Instant::now() + self.timeout;
        loop {
            let known = self.describe()?;
            let missing: Vec<&str> = topics
                .iter()
                .filter(|t| known.get(&t.name) != Some(&t.partitions))
                .map(|t| t.name.as_str())
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "created topics not visible in metadata: {}",
                    missing.join(", ")
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
