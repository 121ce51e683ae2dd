//! In-memory topics for the driver: named, partitioned, append-only logs of records with keys,
//! values, timestamps, headers and offsets, plus the order in which records were appended to
//! each topic across its partitions (so tests read outputs exactly as they were written).
//! Partitioning by key uses Kafka's default partitioner (murmur2), so a multi-partition case
//! lands records where a Java producer would; a null key goes to partition 0. Nothing is ever
//! deleted or compacted: changelog topics keep every write, which a restore replays in order.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::topology::{Header, OutgoingRecord, RawRecord};

/// One record as stored in a topic partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

impl StoredRecord {
    /// The record as a task reads it.
    pub fn as_raw(&self) -> RawRecord<'_> {
        RawRecord {
            topic: &self.topic,
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: &self.headers,
        }
    }
}

#[derive(Debug)]
struct Topic {
    name: Arc<str>,
    partitions: Vec<Vec<StoredRecord>>,
    /// Next offset per partition (records appended so far, kept or not).
    next: Vec<i64>,
    /// Whether appended records are stored; a counted-only topic just advances `next`.
    kept: bool,
    /// (partition, offset) of every kept record, in append order.
    appended: Vec<(i32, i64)>,
}

impl Topic {
    /// The partition a record with `key` goes to (the Java client's default partitioner).
    fn partition_for(&self, key: Option<&[u8]>) -> i32 {
        key.map_or(0, |key| {
            crate::topology::partitioner::partition_for(key, self.partitions.len() as i32)
        })
    }
}

/// Where [`Topics::append`] put a record.
#[derive(Debug, Clone)]
pub struct Appended {
    pub partition: i32,
    pub offset: i64,
    /// The topic's name when the record is stored (readable with [`Topics::get`]); `None`
    /// when the topic only counts its records.
    pub kept: Option<Arc<str>>,
}

/// Every topic of a driver.
#[derive(Debug, Default)]
pub struct Topics {
    topics: BTreeMap<String, Topic>,
}

impl Topics {
    /// Creates `name` with `partitions` partitions; an existing topic is left as it is.
    /// Returns the topic's partition count.
    pub fn create(&mut self, name: &str, partitions: i32) -> i32 {
        let topic = self.topics.entry(name.to_owned()).or_insert_with(|| Topic {
            name: name.into(),
            partitions: (0..partitions.max(1)).map(|_| Vec::new()).collect(),
            next: vec![0; partitions.max(1) as usize],
            kept: true,
            appended: Vec::new(),
        });
        topic.partitions.len() as i32
    }

    /// Whether records appended to `name` from now on are stored (the default) or only
    /// counted. Unknown topics are ignored.
    pub fn keep_records(&mut self, name: &str, keep: bool) {
        if let Some(topic) = self.topics.get_mut(name) {
            topic.kept = keep;
        }
    }

    /// Records appended to `name` so far, kept or only counted.
    pub fn appended_count(&self, name: &str) -> u64 {
        self.topics
            .get(name)
            .map_or(0, |t| t.next.iter().map(|&n| n as u64).sum())
    }

    /// Takes the next offset of a partition (`partition`, or the one `key` goes to) without
    /// storing anything (a record that is run but not kept): the partition and offset, or
    /// `None` when the topic or partition does not exist.
    pub fn reserve(
        &mut self,
        name: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
    ) -> Option<(i32, i64)> {
        let topic = self.topics.get_mut(name)?;
        let partition = partition.unwrap_or_else(|| topic.partition_for(key));
        let next = topic.next.get_mut(usize::try_from(partition).ok()?)?;
        let offset = *next;
        *next += 1;
        Some((partition, offset))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.topics.contains_key(name)
    }

    pub fn partitions(&self, name: &str) -> Option<i32> {
        self.topics.get(name).map(|t| t.partitions.len() as i32)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.topics.keys().map(String::as_str)
    }

    /// The partition a record with `key` goes to when none is given.
    pub fn partition_for(&self, name: &str, key: Option<&[u8]>) -> Option<i32> {
        self.topics.get(name).map(|topic| topic.partition_for(key))
    }

    /// Appends a record (stored unless the topic only counts); `None` when the topic or
    /// partition does not exist. Without a partition it goes where its key hashes to.
    pub fn append(
        &mut self,
        name: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        headers: &[Header],
    ) -> Option<Appended> {
        self.append_outgoing(&OutgoingRecord {
            topic: name,
            partition,
            key,
            partition_key: key,
            value,
            timestamp,
            headers,
        })
    }

    /// [`Topics::append`] for a task's output, which may name the bytes to partition by.
    pub fn append_outgoing(&mut self, record: &OutgoingRecord<'_>) -> Option<Appended> {
        let OutgoingRecord {
            topic: name,
            partition,
            key,
            partition_key,
            value,
            timestamp,
            headers,
        } = *record;
        let topic = self.topics.get_mut(name)?;
        let partition = partition.unwrap_or_else(|| topic.partition_for(partition_key));
        let index = usize::try_from(partition).ok()?;
        let log = topic.partitions.get_mut(index)?;
        let offset = topic.next[index];
        topic.next[index] += 1;
        if !topic.kept {
            return Some(Appended {
                partition,
                offset,
                kept: None,
            });
        }
        log.push(StoredRecord {
            topic: topic.name.clone(),
            partition,
            offset,
            timestamp,
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            headers: headers.to_vec(),
        });
        topic.appended.push((partition, offset));
        Some(Appended {
            partition,
            offset,
            kept: Some(topic.name.clone()),
        })
    }

    /// The stored record at an offset. Offsets count every append, so a topic that was
    /// counted-only for a while has no record at those offsets.
    pub fn get(&self, name: &str, partition: i32, offset: i64) -> Option<&StoredRecord> {
        let log = self
            .topics
            .get(name)?
            .partitions
            .get(usize::try_from(partition).ok()?)?;
        match log.get(usize::try_from(offset).ok()?) {
            Some(record) if record.offset == offset => Some(record),
            _ => log
                .binary_search_by_key(&offset, |r| r.offset)
                .ok()
                .map(|at| &log[at]),
        }
    }

    /// One partition's records in offset order (empty for an unknown topic or partition).
    pub fn partition(&self, name: &str, partition: i32) -> &[StoredRecord] {
        self.topics
            .get(name)
            .and_then(|t| t.partitions.get(usize::try_from(partition).ok()?))
            .map_or(&[], Vec::as_slice)
    }

    /// Every record of `name`, in the order they were appended.
    pub fn records(&self, name: &str) -> Vec<&StoredRecord> {
        let Some(topic) = self.topics.get(name) else {
            return Vec::new();
        };
        topic
            .appended
            .iter()
            .filter_map(|&(p, o)| topic.partitions.get(p as usize)?.get(o as usize))
            .collect()
    }
}

pub use crate::topology::partitioner::murmur2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_keep_per_topic_order_across_partitions() {
        let mut topics = Topics::default();
        assert_eq!(topics.create("t", 3), 3);
        assert_eq!(topics.create("t", 5), 3);
        topics
            .append("t", Some(2), None, Some(b"a"), 1, &[])
            .unwrap();
        topics
            .append("t", Some(0), None, Some(b"b"), 2, &[])
            .unwrap();
        topics
            .append("t", Some(2), None, Some(b"c"), 3, &[])
            .unwrap();
        let order: Vec<(i32, i64)> = topics
            .records("t")
            .iter()
            .map(|r| (r.partition, r.offset))
            .collect();
        assert_eq!(order, [(2, 0), (0, 0), (2, 1)]);
        assert!(topics.append("t", Some(7), None, None, 0, &[]).is_none());
        assert!(topics.append("missing", None, None, None, 0, &[]).is_none());
        assert_eq!(topics.partition_for("t", None), Some(0));
    }
}
