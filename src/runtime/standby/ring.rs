//! Which standby tasks a replica keeps, decided from what the broker shows of a query's
//! consumer group. The group's `range` assignment hands out active tasks only (weir has no
//! assignor of its own, so standbys cannot travel in the group protocol as in Kafka Streams);
//! instead every replica reads the group's members and their assignments and applies the same
//! rule: the live replica ids, sorted, form a ring, and a stateful task active on replica R is
//! kept as a standby by the next `standby_replicas` replicas after R on that ring. Replicas
//! that see the same listing agree without talking to each other; one that sees an older
//! listing for a moment keeps a standby too many or too few until the next look.
//!
//! The listing (DescribeGroups through librdkafka's group list) gives each member's id,
//! `<app_id>-<replica_id>-<thread>.plan-<tag>-<uuid>`, and on Apache Kafka its assignment as
//! the raw bytes of the consumer protocol's `MemberAssignment`: version (i16), then an array
//! (i32 count) of topic name (i16 length, UTF-8) with an array (i32 count) of partitions
//! (i32), then user data, which is ignored. rdkafka does not decode them and the format is
//! small and frozen since Kafka 0.9, so [`parse_assignment`] reads them by hand; anything
//! malformed yields no partitions rather than an error. Some brokers (the test broker among
//! them) leave the assignment out of the listing; then [`range_assignment`] computes it as
//! librdkafka's `range` assignor did on the group's leader: every member of a weir group
//! subscribes to the query's source topics, and the assignor is a pure function of the
//! member ids and the partition counts. This module is pure: no broker calls, no files.

use std::collections::{BTreeMap, BTreeSet};

use crate::topology::TaskId;

/// One member of the group as the listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMember {
    /// The replica the member belongs to (from its member or client id).
    pub replica: String,
    /// Topic → partitions assigned to the member.
    pub partitions: Vec<(String, i32)>,
}

/// The replica id in a group member's id or client id, `<app_id>-<replica_id>-<thread>…`:
/// `None` for members that are not weir stream threads of `app_id`.
pub fn member_replica<'a>(app_id: &str, member_id: &'a str, client_id: &'a str) -> Option<&'a str> {
    let named = if client_id.is_empty() {
        member_id
    } else {
        client_id
    };
    let rest = named.strip_prefix(app_id)?.strip_prefix('-')?;
    let (replica, after) = rest.split_once('-')?;
    let thread_digits = after.chars().take_while(char::is_ascii_digit).count();
    let valid = !replica.is_empty()
        && replica.chars().all(|c| c.is_ascii_alphanumeric())
        && thread_digits > 0;
    valid.then_some(replica)
}

/// The topic partitions in a consumer protocol `MemberAssignment`; empty when the bytes are
/// missing or malformed.
pub fn parse_assignment(bytes: &[u8]) -> Vec<(String, i32)> {
    parse_topics(bytes).unwrap_or_default()
}

fn parse_topics(bytes: &[u8]) -> Option<Vec<(String, i32)>> {
    let mut reader = Reader { bytes, at: 0 };
    let _version = reader.i16()?;
    let topics = reader.i32()?;
    let mut assigned = Vec::new();
    for _ in 0..topics.max(0) {
        let length = usize::try_from(reader.i16()?).ok()?;
        let name = std::str::from_utf8(reader.take(length)?).ok()?.to_owned();
        let partitions = reader.i32()?;
        for _ in 0..partitions.max(0) {
            assigned.push((name.clone(), reader.i32()?));
        }
    }
    Some(assigned)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// What librdkafka's `range` assignor gives each member when every member subscribes to every
/// topic of `partitions` (topic → partition count): per topic, members in member id order
/// (`rd_kafka_group_member_cmp`; a static member's id begins with its `group.instance.id`, so
/// the order is the same) get consecutive runs of partitions, the first `count % members` one
/// more than the rest. Returned in the order of `member_ids`.
pub fn range_assignment(
    member_ids: &[&str],
    partitions: &BTreeMap<String, i32>,
) -> Vec<Vec<(String, i32)>> {
    let mut order: Vec<usize> = (0..member_ids.len()).collect();
    order.sort_by(|a, b| member_ids[*a].cmp(member_ids[*b]));
    let mut assigned = vec![Vec::new(); member_ids.len()];
    let count = member_ids.len() as i32;
    if count == 0 {
        return assigned;
    }
    for (topic, &total) in partitions {
        let each = total.max(0) / count;
        let with_extra = total.max(0) % count;
        for (rank, &member) in order.iter().enumerate() {
            let rank = rank as i32;
            let start = each * rank + rank.min(with_extra);
            let length = each + i32::from(rank < with_extra);
            assigned[member].extend((start..start + length).map(|p| (topic.clone(), p)));
        }
    }
    assigned
}

/// The stateful tasks `me` keeps as standbys: `sources` maps each input topic of a stateful
/// sub-topology to that sub-topology's id. A task active on replica R goes to the
/// `standby_replicas` distinct replicas after R on the ring of live replica ids (never to R).
/// A task active on `me` is never a standby here; one active nowhere (between assignments)
/// has no standby owner until it is assigned again.
pub fn standby_tasks(
    me: &str,
    members: &[ListedMember],
    sources: &BTreeMap<String, u32>,
    standby_replicas: usize,
) -> BTreeSet<TaskId> {
    let ring: Vec<&str> = members
        .iter()
        .map(|m| m.replica.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let Some(my_place) = ring.iter().position(|r| *r == me) else {
        return BTreeSet::new();
    };
    let mut active: BTreeMap<TaskId, BTreeSet<&str>> = BTreeMap::new();
    for member in members {
        for (topic, partition) in &member.partitions {
            if let Some(&sub_topology) = sources.get(topic) {
                let task = TaskId {
                    sub_topology,
                    partition: *partition,
                };
                active
                    .entry(task)
                    .or_default()
                    .insert(member.replica.as_str());
            }
        }
    }
    let keepers = standby_replicas.min(ring.len().saturating_sub(1));
    active
        .into_iter()
        .filter(|(_, owners)| !owners.contains(me))
        .filter(|(_, owners)| {
            owners.iter().any(|owner| {
                let Some(owner_place) = ring.iter().position(|r| r == owner) else {
                    return false;
                };
                let distance = (my_place + ring.len() - owner_place) % ring.len();
                (1..=keepers).contains(&distance)
            })
        })
        .map(|(task, _)| task)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "_weir-svc-CTAS_T";

    /// A `MemberAssignment` as the consumer protocol encodes it.
    fn encode(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut bytes = 0i16.to_be_bytes().to_vec();
        bytes.extend((topics.len() as i32).to_be_bytes());
        for (topic, partitions) in topics {
            bytes.extend((topic.len() as i16).to_be_bytes());
            bytes.extend(topic.as_bytes());
            bytes.extend((partitions.len() as i32).to_be_bytes());
            for p in *partitions {
                bytes.extend(p.to_be_bytes());
            }
        }
        bytes.extend((-1i32).to_be_bytes()); // no user data
        bytes
    }

    fn member(replica: &str, topics: &[(&str, &[i32])]) -> ListedMember {
        ListedMember {
            replica: replica.into(),
            partitions: parse_assignment(&encode(topics)),
        }
    }

    fn task(sub_topology: u32, partition: i32) -> TaskId {
        TaskId {
            sub_topology,
            partition,
        }
    }

    #[test]
    fn an_assignment_is_read_from_the_consumer_protocol_bytes() {
        let bytes = encode(&[("orders", &[0, 2]), ("rep", &[1])]);
        assert_eq!(
            parse_assignment(&bytes),
            [
                ("orders".into(), 0),
                ("orders".into(), 2),
                ("rep".into(), 1)
            ]
        );
        assert!(parse_assignment(&[]).is_empty(), "no bytes");
        assert!(parse_assignment(&bytes[..9]).is_empty(), "truncated");
        let mut lying = encode(&[("orders", &[0])]);
        lying[2..6].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(parse_assignment(&lying).is_empty(), "a count past the end");
    }

    #[test]
    fn the_range_assignment_gives_runs_of_partitions_in_member_id_order() {
        let partitions = BTreeMap::from([("orders".to_owned(), 7), ("rep".to_owned(), 2)]);
        let assigned = range_assignment(&["m-c", "m-a", "m-b"], &partitions);
        let of = |i: usize| assigned[i].clone();
        let run = |topic: &str, ps: &[i32]| -> Vec<(String, i32)> {
            ps.iter().map(|p| (topic.to_owned(), *p)).collect()
        };
        assert_eq!(
            of(1),
            [run("orders", &[0, 1, 2]), run("rep", &[0])].concat()
        );
        assert_eq!(of(2), [run("orders", &[3, 4]), run("rep", &[1])].concat());
        assert_eq!(of(0), run("orders", &[5, 6]));
        assert!(range_assignment(&[], &partitions).is_empty());
    }

    #[test]
    fn the_replica_comes_from_the_member_or_the_client_id() {
        let client = format!("{APP}-00ff00ff00ff00ff-1.plan-0123456789abcdef");
        let member = format!("{client}-5b0e9a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
        assert_eq!(member_replica(APP, &member, ""), Some("00ff00ff00ff00ff"));
        assert_eq!(
            member_replica(APP, &member, &client),
            Some("00ff00ff00ff00ff")
        );
        assert_eq!(member_replica(APP, "rdkafka-5b0e9a52", ""), None, "a tool");
        assert_eq!(
            member_replica("_weir-svc-CTAS_OTHER", &member, ""),
            None,
            "another query's id"
        );
        assert_eq!(
            member_replica(APP, &format!("{APP}-abc-x"), ""),
            None,
            "no thread"
        );
    }

    #[test]
    fn each_task_is_kept_by_the_next_replicas_on_the_ring() {
        // Sub-topology 1 is stateful and reads `rep`; sub-topology 0 (reading `orders`) is not.
        let sources = BTreeMap::from([("rep".to_owned(), 1)]);
        let members = [
            member("a", &[("orders", &[0, 1]), ("rep", &[0, 1])]),
            member("b", &[("orders", &[2, 3]), ("rep", &[2, 3])]),
            member("c", &[("orders", &[4, 5]), ("rep", &[4, 5])]),
        ];
        let one = |me| standby_tasks(me, &members, &sources, 1);
        assert_eq!(one("a"), BTreeSet::from([task(1, 4), task(1, 5)]));
        assert_eq!(one("b"), BTreeSet::from([task(1, 0), task(1, 1)]));
        assert_eq!(one("c"), BTreeSet::from([task(1, 2), task(1, 3)]));
        // Two standbys each: every replica keeps every task it does not run.
        let two = standby_tasks("a", &members, &sources, 2);
        assert_eq!(
            two,
            BTreeSet::from([task(1, 2), task(1, 3), task(1, 4), task(1, 5)])
        );
        // More standbys than other replicas: capped, never the active replica itself.
        assert_eq!(standby_tasks("a", &members, &sources, 9), two);
        assert!(standby_tasks("a", &members, &sources, 0).is_empty());
    }

    #[test]
    fn threads_of_one_replica_count_once_and_strangers_keep_nothing() {
        let sources = BTreeMap::from([("rep".to_owned(), 1)]);
        let members = [
            member("a", &[("rep", &[0])]),
            member("a", &[("rep", &[1])]),
            member("b", &[("rep", &[2])]),
        ];
        assert_eq!(
            standby_tasks("b", &members, &sources, 1),
            BTreeSet::from([task(1, 0), task(1, 1)])
        );
        assert_eq!(
            standby_tasks("a", &members, &sources, 1),
            BTreeSet::from([task(1, 2)])
        );
        assert!(
            standby_tasks("z", &members, &sources, 1).is_empty(),
            "a replica not in the group yet keeps nothing"
        );
    }
}
