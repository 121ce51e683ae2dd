//! In-memory topics for the driver: named, partitioned, append-only logs of records with keys,
//! values, timestamps, headers and offsets, plus the order in which records were appended to
//! each topic across its partitions (so tests read outputs exactly as they were written).
//! Partitioning by key uses Kafka's default partitioner (murmur2), so a multi-partition case
//! lands records where a Java producer would; a null key goes to partition 0. Nothing is ever
//! deleted or compacted: changelog topics keep every write, which a restore replays in order.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::topology::{Header, RawRecord};

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
    /// (partition, offset) of every record, in append order.
    appended: Vec<(i32, i64)>,
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
            appended: Vec::new(),
        });
        topic.partitions.len() as i32
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
        let count = self.partitions(name)?;
        Some(match key {
            Some(key) => ((murmur2(key) & 0x7fff_ffff) as u32 % count as u32) as i32,
            None => 0,
        })
    }

    /// Appends a record; `None` when the topic or partition does not exist. Returns the
    /// record's (partition, offset).
    pub fn append(
        &mut self,
        name: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        timestamp: i64,
        headers: &[Header],
    ) -> Option<(i32, i64)> {
        let partition = match partition {
            Some(p) => p,
            None => self.partition_for(name, key)?,
        };
        let topic = self.topics.get_mut(name)?;
        let log = topic.partitions.get_mut(usize::try_from(partition).ok()?)?;
        let offset = log.len() as i64;
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
        Some((partition, offset))
    }

    pub fn get(&self, name: &str, partition: i32, offset: i64) -> Option<&StoredRecord> {
        let topic = self.topics.get(name)?;
        topic
            .partitions
            .get(usize::try_from(partition).ok()?)?
            .get(usize::try_from(offset).ok()?)
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
