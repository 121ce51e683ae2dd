//! The standby thread of one query: every few seconds, and soon after each assignment a stream
//! thread of the query receives, it lists the query's consumer group and asks [`ring`] which
//! standby tasks this replica keeps; it opens the missing ones (never one a stream thread owns
//! or claims), checkpoints and drops the others, and follows all their changelog partitions
//! with one consumer that never joins a group (`read_committed` under exactly-once), applying
//! records in batches and writing each standby's checkpoint every [`CHECKPOINT_EVERY`].
//!
//! It runs on its own OS thread, never on a stream thread's poll loop, and is watched by
//! `/healthz` like one: it beats every loop, and the group listing goes through its
//! [`LoopWatch`] as a broker call. A failure (a store that cannot be opened or written, a
//! listing that fails) is logged and retried at the next look; a standby is an optimisation,
//! so nothing it does stops the query.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::ring::{self, ListedMember};
use super::task::StandbyTask;
use crate::runtime::RuntimeError;
use crate::runtime::agreement::{self, LIST_TIMEOUT};
use crate::runtime::supervisor::{QueryShared, Shared};
use crate::state::ChangelogEntry;
use crate::telemetry::LoopWatch;
use crate::topology::TaskId;

/// How often the group is looked at when no assignment prompts it.
const LOOK_EVERY: Duration = Duration::from_secs(3);
/// How often each standby with new records writes its checkpoint.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// How long one poll waits for changelog records.
const POLL: Duration = Duration::from_millis(100);
/// Most records applied per lock of the standbys.
const BATCH: usize = 4096;

/// The standby consumer's context: end-of-partition events are expected (the consumer shares
/// the restore consumer's settings) and not logged as errors.
struct FollowContext;

impl ClientContext for FollowContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let end_of_partition = matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !end_of_partition {
            DefaultConsumerContext.error(error, reason);
        }
    }
}

impl rdkafka::consumer::ConsumerContext for FollowContext {}

/// What the follower knows of the query's topology.
struct Layout {
    /// Input topic of a stateful sub-topology → its id (for the ring).
    stateful_sources: BTreeMap<String, u32>,
    /// Partition count of every input topic of the query (for the computed assignment).
    source_partitions: BTreeMap<String, i32>,
    /// Changelog topic → the sub-topology whose store logs there.
    changelogs: BTreeMap<String, u32>,
}

impl Layout {
    fn of(shared: &Shared, query: &QueryShared) -> Layout {
        let mut layout = Layout {
            stateful_sources: BTreeMap::new(),
            source_partitions: BTreeMap::new(),
            changelogs: BTreeMap::new(),
        };
        for sub in &query.query.topology.spec().sub_topologies {
            let logged: Vec<&String> = sub
                .stores
                .iter()
                .filter_map(|s| s.changelog.as_ref())
                .collect();
            for topic in &sub.sources {
                if let Some(&count) = shared.partitions.get(topic) {
                    layout.source_partitions.insert(topic.clone(), count);
                }
                if !logged.is_empty() {
                    layout.stateful_sources.insert(topic.clone(), sub.id);
                }
            }
            for topic in logged {
                layout.changelogs.insert(topic.clone(), sub.id);
            }
        }
        layout
    }
}

/// Whether `query` has anything a standby could keep.
pub fn has_state(query: &QueryShared) -> bool {
    query
        .query
        .topology
        .spec()
        .sub_topologies
        .iter()
        .any(|s| s.stores.iter().any(|st| st.changelog.is_some()))
}

/// Runs the standby thread of `query` until the runtime stops.
pub fn run(shared: &Arc<Shared>, query: &Arc<QueryShared>) {
    let watch = LoopWatch::new(
        shared.status.clone(),
        &format!("{}/standby", query.query.id),
    );
    let client_id = format!(
        "{}-{}-standby",
        query.query.app_id, shared.options.replica_id
    );
    let consumer: Result<BaseConsumer<FollowContext>, _> = shared
        .settings
        .restore_consumer(&client_id)
        .create_with_context(FollowContext);
    match consumer {
        Ok(consumer) => Follower {
            shared,
            query,
            watch: &watch,
            consumer,
            layout: Layout::of(shared, query),
            assigned_epoch: None,
            following: false,
            last_look: None,
            last_checkpoint: Instant::now(),
        }
        .follow(),
        Err(error) => {
            tracing::error!(query = %query.query.id, %error, "cannot create the standby consumer; this replica keeps no standby tasks")
        }
    }
    watch.forget();
}

struct Follower<'a> {
    shared: &'a Arc<Shared>,
    query: &'a Arc<QueryShared>,
    watch: &'a LoopWatch,
    consumer: BaseConsumer<FollowContext>,
    layout: Layout,
    /// The standbys' epoch the consumer's assignment was made for.
    assigned_epoch: Option<u64>,
    /// Whether that assignment holds any partition.
    following: bool,
    last_look: Option<Instant>,
    last_checkpoint: Instant,
}

impl Follower<'_> {
    fn follow(mut self) {
        let id = self.query.query.id.clone();
        while !self.shared.stopping() {
            self.watch.beat();
            let due = self.last_look.is_none_or(|t| t.elapsed() >= LOOK_EVERY);
            if due || self.query.standbys.take_rebalance() {
                self.last_look = Some(Instant::now());
                match self.wanted() {
                    Ok(Some(wanted)) => self.reconcile(&wanted),
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(query = %id, %error, "standby: cannot list the consumer group; looking again soon")
                    }
                }
            }
            if let Err(error) = self.poll_and_apply() {
                tracing::warn!(query = %id, %error, "standby: applying changelog records failed; dropping the standbys");
                self.drop_all();
            }
            if self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                self.last_checkpoint = Instant::now();
                self.checkpoint_all();
            }
        }
        self.drop_all();
    }

    /// The standby tasks the ring gives this replica now; `None` when the cluster cannot be
    /// listed at all (librdkafka's in-process cluster behind `weir demo`).
    fn wanted(&self) -> Result<Option<BTreeSet<TaskId>>, RuntimeError> {
        let app_id = &self.query.query.app_id;
        let list = match self.watch.call("list_groups", LIST_TIMEOUT, || {
            self.consumer.fetch_group_list(Some(app_id), LIST_TIMEOUT)
        }) {
            Ok(list) => list,
            Err(KafkaError::GroupListFetch(RDKafkaErrorCode::UnsupportedFeature)) => {
                return Ok(None);
            }
            Err(e) => return Err(RuntimeError::Kafka(format!("listing group {app_id}: {e}"))),
        };
        let listed: Vec<(String, String, Vec<u8>)> = list
            .groups()
            .iter()
            .filter(|g| g.name() == app_id)
            .flat_map(|g| g.members())
            .map(|m| {
                (
                    m.id().to_owned(),
                    m.client_id().to_owned(),
                    m.assignment().unwrap_or_default().to_vec(),
                )
            })
            .collect();
        let carried = listed.iter().any(|(_, _, bytes)| !bytes.is_empty());
        let computed = if carried {
            Vec::new()
        } else {
            let ids: Vec<&str> = listed.iter().map(|(id, _, _)| id.as_str()).collect();
            ring::range_assignment(&ids, &self.layout.source_partitions)
        };
        let members: Vec<ListedMember> = listed
            .iter()
            .enumerate()
            .filter_map(|(i, (id, client, bytes))| {
                // Members running another plan of the query (waiting on the lock agreement
                // to settle) keep their stores to themselves.
                let tag = agreement::member_tag(id, client)?;
                if tag != self.query.query.plan_tag {
                    return None;
                }
                let replica = ring::member_replica(app_id, id, client)?.to_owned();
                let partitions = if carried {
                    ring::parse_assignment(bytes)
                } else {
                    computed.get(i).cloned().unwrap_or_default()
                };
                Some(ListedMember {
                    replica,
                    partitions,
                })
            })
            .collect();
        Ok(Some(ring::standby_tasks(
            &self.shared.options.replica_id,
            &members,
            &self.layout.stateful_sources,
            self.shared.options.standby_replicas,
        )))
    }

    /// Opens the wanted standbys this replica lacks and drops the others. A task a stream
    /// thread has claimed is never opened here.
    fn reconcile(&mut self, wanted: &BTreeSet<TaskId>) {
        let query = &self.query.query;
        let mut inner = self.query.standbys.lock();
        let busy = |task: &TaskId, active: &BTreeMap<TaskId, usize>| active.contains_key(task);
        let unwanted: Vec<TaskId> = inner
            .tasks
            .keys()
            .filter(|t| !wanted.contains(t) || busy(t, &inner.active))
            .copied()
            .collect();
        for task in unwanted {
            if let Some(mut standby) = inner.tasks.remove(&task) {
                inner.epoch += 1;
                if let Err(error) = standby.checkpoint() {
                    tracing::warn!(query = %query.id, task = %task, %error, "standby checkpoint failed");
                }
                tracing::info!(query = %query.id, task = %task, "standby task dropped");
            }
        }
        for &task in wanted {
            if inner.tasks.contains_key(&task) || busy(&task, &inner.active) {
                continue;
            }
            let Some(sub) = query
                .topology
                .spec()
                .sub_topologies
                .iter()
                .find(|s| s.id == task.sub_topology)
            else {
                continue;
            };
            let dir = self
                .shared
                .options
                .state_dir
                .join(&query.app_id)
                .join(task.to_string());
            let owner = format!("{}/{task}", query.app_id);
            match StandbyTask::open(task, dir, owner, &sub.stores, &self.shared.budget) {
                Ok(standby) => {
                    tracing::info!(query = %query.id, task = %task, from = ?standby.followed(), "standby task opened");
                    inner.tasks.insert(task, standby);
                    inner.epoch += 1;
                }
                Err(error) => {
                    tracing::warn!(query = %query.id, task = %task, %error, "cannot open the standby task")
                }
            }
        }
        self.shared
            .metrics
            .standby_tasks
            .with_label_values(&[query.id.as_str()])
            .set(inner.tasks.len() as i64);
    }

    /// Polls changelog records and applies them to their standbys. Records fetched under an
    /// older epoch (a standby opened or closed since the consumer was assigned) are dropped,
    /// and the consumer is assigned again from each standby's next offset.
    fn poll_and_apply(&mut self) -> Result<(), RuntimeError> {
        self.assign_if_changed()?;
        if !self.following {
            std::thread::sleep(POLL);
            return Ok(());
        }
        let mut batch: Vec<BorrowedMessage<'_>> = Vec::new();
        let mut wait = POLL;
        while batch.len() < BATCH {
            match self.consumer.poll(wait) {
                Some(Ok(message)) => batch.push(message),
                Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(error)) => {
                    tracing::warn!(query = %self.query.query.id, %error, "standby consumer error (librdkafka retries by itself)");
                    break;
                }
                None => break,
            }
            wait = Duration::ZERO;
        }
        if batch.is_empty() {
            return Ok(());
        }
        let mut inner = self.query.standbys.lock();
        if Some(inner.epoch) != self.assigned_epoch {
            return Ok(());
        }
        let mut applied = 0;
        let mut start = 0;
        while start < batch.len() {
            let (topic, partition) = (batch[start].topic(), batch[start].partition());
            let end = batch[start..]
                .iter()
                .position(|m| m.topic() != topic || m.partition() != partition)
                .map_or(batch.len(), |n| start + n);
            let entries: Vec<ChangelogEntry<'_>> = batch[start..end]
                .iter()
                .map(|m| ChangelogEntry {
                    offset: m.offset(),
                    key: m.key().unwrap_or_default(),
                    value: m.payload(),
                })
                .collect();
            if let Some(&sub_topology) = self.layout.changelogs.get(topic) {
                let task = TaskId {
                    sub_topology,
                    partition,
                };
                if let Some(standby) = inner.tasks.get_mut(&task) {
                    applied += standby.apply(topic, &entries)?;
                }
            }
            start = end;
        }
        self.shared
            .metrics
            .standby_records_applied_total
            .with_label_values(&[self.query.query.id.as_str()])
            .inc_by(applied);
        Ok(())
    }

    /// Assigns the consumer every changelog partition the standbys follow, from the next
    /// offset each needs, when the standbys changed since the last assignment.
    fn assign_if_changed(&mut self) -> Result<(), RuntimeError> {
        let inner = self.query.standbys.lock();
        if Some(inner.epoch) == self.assigned_epoch {
            return Ok(());
        }
        let kafka =
            |e: KafkaError| RuntimeError::Kafka(format!("assigning the standby consumer: {e}"));
        let mut tpl = TopicPartitionList::new();
        for standby in inner.tasks.values() {
            for (topic, partition, next) in standby.followed() {
                let offset = next.map_or(Offset::Beginning, Offset::Offset);
                tpl.add_partition_offset(&topic, partition, offset)
                    .map_err(kafka)?;
            }
        }
        self.consumer.assign(&tpl).map_err(kafka)?;
        self.assigned_epoch = Some(inner.epoch);
        self.following = tpl.count() > 0;
        Ok(())
    }

    fn checkpoint_all(&self) {
        let mut inner = self.query.standbys.lock();
        for (task, standby) in inner.tasks.iter_mut() {
            if let Err(error) = standby.checkpoint() {
                tracing::warn!(query = %self.query.query.id, task = %task, %error, "standby checkpoint failed");
            }
        }
    }

    /// Checkpoints and closes every standby (the runtime stops, or applying failed).
    fn drop_all(&mut self) {
        self.checkpoint_all();
        let mut inner = self.query.standbys.lock();
        if !inner.tasks.is_empty() {
            inner.tasks.clear();
            inner.epoch += 1;
        }
        self.shared
            .metrics
            .standby_tasks
            .with_label_values(&[self.query.query.id.as_str()])
            .set(0);
    }
}
