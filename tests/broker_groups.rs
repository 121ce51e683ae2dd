//! Probes the group listing weir's lock agreement relies on (`runtime/agreement.rs`): a client
//! that never joins a group asks librdkafka's `fetch_group_list(Some(group))` (ListGroups, then
//! DescribeGroups at the coordinator) and reads each live member's `client.id`, where every
//! weir consumer carries its query's plan tag. On the test broker the member's `client_id`
//! field comes back empty, but its member id is `<client.id>-<uuid>` as on Apache Kafka, so
//! the tag is read from either. A member that closes leaves the listing at once; a group
//! nobody ever joined lists no member. The test broker lists a group only once it has
//! committed offsets (Apache Kafka lists it from its first member on): until then a weir
//! replica sees no member there, which the lock-agreement test accounts for.
//!
//! It also probes static membership (KIP-345, `group.instance.id`), which weir's
//! `static_membership` relies on: a static member that closes stays in the group (and in the
//! listing, as `<group.instance.id>-<uuid>`); a new consumer with the same
//! `group.instance.id` that joins within the session timeout takes its place and gets the
//! same partitions while the other member sees no revocation; one that does not come back
//! loses its partitions to the others once its session times out; and one that unsubscribes
//! while it keeps polling (weir's refusal after a lock conflict) leaves at once. The test
//! broker expires a member only when a request for its group arrives (Apache Kafka has a
//! timer), so a static member left alone in its group stays listed past its session timeout
//! until another member joins: a weir replica waiting outside the group for a stopped static
//! member of another plan to expire (the upgrade under static membership) waits for good
//! there, and no test relies on that expiry.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use support::TestBroker;

const LIST_TIMEOUT: Duration = Duration::from_secs(5);

/// (member id, client id) of every member `inspector` sees in `group`.
fn members(inspector: &BaseConsumer, group: &str) -> Vec<(String, String)> {
    let list = inspector
        .fetch_group_list(Some(group), LIST_TIMEOUT)
        .unwrap_or_else(|e| panic!("listing group {group}: {e}"));
    list.groups()
        .iter()
        .filter(|g| g.name() == group)
        .flat_map(|g| g.members())
        .map(|m| (m.id().to_owned(), m.client_id().to_owned()))
        .collect()
}

/// Polls `check` every 100 ms until it holds or `timeout` passes; panics with `what`.
fn wait_until(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_group_lists_its_live_members_with_their_client_ids() {
    let broker = TestBroker::shared();
    let topic = "groups-probe";
    let group = "groups-probe-group";
    broker.create_topic(topic, 2);
    let inspector: BaseConsumer = broker.client_config().create().expect("inspector");
    assert!(
        members(&inspector, "groups-probe-never-joined").is_empty(),
        "a group nobody joined has no member"
    );

    let client_id = "weir-probe.plan-0123456789abcdef";
    let member: BaseConsumer = broker
        .consumer_config(group)
        .set("client.id", client_id)
        .create()
        .expect("member");
    member.subscribe(&[topic]).expect("subscribe");
    wait_until(Duration::from_secs(30), "the member was assigned", || {
        let _ = member.poll(Duration::from_millis(100));
        member.assignment().is_ok_and(|a| a.count() == 2)
    });

    // The test broker lists a group (ListGroups) only once it has committed offsets, so
    // librdkafka describes nothing before that; Apache Kafka lists every group. A weir group
    // commits as soon as it has processed a record.
    eprintln!(
        "before its first commit the group lists {:?}",
        members(&inspector, group)
    );
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(topic, 0, Offset::Offset(0))
        .expect("offset");
    member
        .commit(&offsets, CommitMode::Sync)
        .expect("commit an offset");
    let listed = members(&inspector, group);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let (member_id, listed_client_id) = &listed[0];
    assert!(
        member_id.starts_with(&format!("{client_id}-")),
        "the member id begins with the client id: {member_id}"
    );
    assert!(
        listed_client_id.is_empty() || listed_client_id == client_id,
        "the client id is the member's or empty (the test broker leaves it empty): \
         {listed_client_id:?}"
    );

    member.unsubscribe();
    drop(member);
    wait_until(
        Duration::from_secs(10),
        "the closed member left the listing",
        || members(&inspector, group).is_empty(),
    );
}

/// Counts the rebalance callbacks a consumer is served.
#[derive(Default)]
struct Rebalances {
    assigned: AtomicUsize,
    revoked: AtomicUsize,
}

impl ClientContext for Rebalances {}

impl ConsumerContext for Rebalances {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let counter = match rebalance {
            Rebalance::Assign(_) => &self.assigned,
            Rebalance::Revoke(_) => &self.revoked,
            Rebalance::Error(_) => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

type Member = BaseConsumer<Rebalances>;

/// A static member of `group` (`group.instance.id` = `client.id` = `instance`), with the range
/// assignor and `session`, subscribed to `topic`.
fn static_member(
    broker: &TestBroker,
    group: &str,
    instance: &str,
    session: Duration,
    topic: &str,
) -> Member {
    let member: Member = broker
        .consumer_config(group)
        .set("group.instance.id", instance)
        .set("client.id", instance)
        .set("partition.assignment.strategy", "range")
        .set("session.timeout.ms", session.as_millis().to_string())
        .create_with_context(Rebalances::default())
        .expect("static member");
    member.subscribe(&[topic]).expect("subscribe");
    member
}

/// The member's assigned partitions, sorted.
fn partitions(member: &Member) -> Vec<i32> {
    let mut assigned: Vec<i32> = member
        .assignment()
        .map(|a| a.elements().iter().map(|e| e.partition()).collect())
        .unwrap_or_default();
    assigned.sort_unstable();
    assigned
}

/// Polls each member once, serving its rebalance callbacks.
fn poll_all(members: &[&Member]) {
    for member in members {
        let _ = member.poll(Duration::from_millis(50));
    }
}

fn counts(member: &Member) -> (usize, usize) {
    let context = member.context();
    (
        context.assigned.load(Ordering::Relaxed),
        context.revoked.load(Ordering::Relaxed),
    )
}

/// Two static members `<prefix>-a` and `<prefix>-b` of a fresh group over a fresh 4-partition
/// topic, once each holds two partitions, and with an offset committed so the test broker
/// lists the group.
fn two_static_members(
    broker: &TestBroker,
    prefix: &str,
    session: Duration,
) -> (String, String, Member, Member) {
    let topic = format!("{prefix}-topic");
    let group = format!("{prefix}-group");
    broker.create_topic(&topic, 4);
    let a = static_member(broker, &group, &format!("{prefix}-a"), session, &topic);
    let b = static_member(broker, &group, &format!("{prefix}-b"), session, &topic);
    wait_until(
        Duration::from_secs(60),
        "both static members hold two partitions",
        || {
            poll_all(&[&a, &b]);
            partitions(&a).len() == 2 && partitions(&b).len() == 2
        },
    );
    let mut offsets = TopicPartitionList::new();
    let first_of_b = partitions(&b)[0];
    offsets
        .add_partition_offset(&topic, first_of_b, Offset::Offset(0))
        .expect("offset");
    b.commit(&offsets, CommitMode::Sync).expect("commit");
    (topic, group, a, b)
}

#[test]
fn a_static_member_restarted_within_its_session_gets_its_partitions_back_without_a_rebalance() {
    let broker = TestBroker::shared();
    let session = Duration::from_secs(10);
    let prefix = "static-return";
    let (topic, group, a, b) = two_static_members(broker, prefix, session);
    let inspector: BaseConsumer = broker.client_config().create().expect("inspector");
    let held_by_a = partitions(&a);
    let held_by_b = partitions(&b);
    let b_before = counts(&b);
    let listed_a = |inspector: &BaseConsumer| -> Vec<String> {
        members(inspector, &group)
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| id.starts_with(&format!("{prefix}-a-")))
            .collect()
    };
    let first_run = listed_a(&inspector);
    assert_eq!(
        first_run.len(),
        1,
        "member ids are <group.instance.id>-<uuid>: {first_run:?}"
    );

    // A clean close, as a stopping weir replica's: no LeaveGroup for a static member.
    drop(a);
    let closed = Instant::now();
    assert_eq!(
        listed_a(&inspector),
        first_run,
        "the closed static member is still in the group"
    );

    let again = static_member(broker, &group, &format!("{prefix}-a"), session, &topic);
    wait_until(
        Duration::from_secs(30),
        "the restarted static member holds partitions",
        || {
            poll_all(&[&again, &b]);
            !partitions(&again).is_empty()
        },
    );
    let took = closed.elapsed();
    eprintln!("the restarted static member had its partitions back {took:?} after the close");
    assert!(took < session, "back within the session timeout: {took:?}");
    assert_eq!(partitions(&again), held_by_a, "the same partitions");
    // Served callbacks after the rejoin would show a rebalance the other member took part in.
    poll_all(&[&again, &b]);
    assert_eq!(
        counts(&b),
        b_before,
        "the other member saw no revocation or assignment"
    );
    assert_eq!(partitions(&b), held_by_b);
    assert_eq!(counts(&again), (1, 0), "one assignment, nothing revoked");
    let second_run = listed_a(&inspector);
    assert!(
        second_run.len() == 1 && second_run != first_run,
        "the new instance took the old one's place: {first_run:?} then {second_run:?}"
    );
}

#[test]
fn a_static_member_that_does_not_return_loses_its_partitions_when_its_session_times_out() {
    let broker = TestBroker::shared();
    let session = Duration::from_secs(6);
    let (_, _, a, b) = two_static_members(broker, "static-gone", session);
    let (_, b_revoked) = counts(&b);
    drop(a);
    let closed = Instant::now();
    wait_until(
        Duration::from_secs(30),
        "the other member holds every partition",
        || {
            poll_all(&[&b]);
            partitions(&b).len() == 4
        },
    );
    let took = closed.elapsed();
    eprintln!("the partitions of the static member that did not return moved after {took:?}");
    // Its session runs from its last heartbeat, at most a heartbeat interval (1 s) before the
    // close.
    assert!(
        took >= session - Duration::from_secs(2),
        "the partitions waited for the session timeout ({session:?}): {took:?}"
    );
    assert!(counts(&b).1 > b_revoked, "the other member was rebalanced");
}

#[test]
fn a_static_member_that_unsubscribes_and_keeps_polling_leaves_at_once() {
    let broker = TestBroker::shared();
    let session = Duration::from_secs(20);
    let prefix = "static-leave";
    let (_, group, a, b) = two_static_members(broker, prefix, session);
    let inspector: BaseConsumer = broker.client_config().create().expect("inspector");
    a.unsubscribe();
    let left = Instant::now();
    wait_until(
        Duration::from_secs(30),
        "the other member holds every partition",
        || {
            poll_all(&[&a, &b]);
            partitions(&b).len() == 4
        },
    );
    let took = left.elapsed();
    eprintln!("the partitions of the static member that unsubscribed moved after {took:?}");
    assert!(
        took < session / 2,
        "LeaveGroup, not the session timeout ({session:?}): {took:?}"
    );
    let listed = members(&inspector, &group);
    assert!(
        listed
            .iter()
            .all(|(id, _)| !id.starts_with(&format!("{prefix}-a-"))),
        "{listed:?}"
    );
}

#[test]
fn a_lone_static_member_that_closes_stays_listed_until_the_group_hears_from_a_client() {
    let broker = TestBroker::shared();
    let session = Duration::from_secs(6);
    let prefix = "static-lone";
    let topic = format!("{prefix}-topic");
    let group = format!("{prefix}-group");
    broker.create_topic(&topic, 2);
    let lone = static_member(broker, &group, &format!("{prefix}-a"), session, &topic);
    wait_until(
        Duration::from_secs(30),
        "the member holds both partitions",
        || {
            poll_all(&[&lone]);
            partitions(&lone).len() == 2
        },
    );
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 0, Offset::Offset(0))
        .expect("offset");
    lone.commit(&offsets, CommitMode::Sync).expect("commit");
    let inspector: BaseConsumer = broker.client_config().create().expect("inspector");
    let listed_lone = |inspector: &BaseConsumer| {
        members(inspector, &group)
            .iter()
            .filter(|(id, _)| id.starts_with(&format!("{prefix}-a-")))
            .count()
    };
    drop(lone);
    let closed = Instant::now();
    assert_eq!(listed_lone(&inspector), 1, "no LeaveGroup on close");

    // Apache Kafka expires the member on a timer at its session timeout. The test broker has
    // no timer: it expires members only when a group request (join, sync, heartbeat, leave,
    // offset commit) arrives, and DescribeGroups is not one, so with nobody else in the group
    // the member stays listed (measured: still there 18 s after a 6 s session).
    wait_until(session * 2, "twice the session timeout has passed", || {
        closed.elapsed() >= session + Duration::from_secs(3)
    });
    eprintln!(
        "{:?} after the close, past its {session:?} session, the closed static member is {}listed",
        closed.elapsed(),
        if listed_lone(&inspector) == 0 {
            "not "
        } else {
            "still "
        }
    );

    // A new member's join makes the broker expire it; the newcomer gets every partition.
    let newcomer = static_member(broker, &group, &format!("{prefix}-b"), session, &topic);
    wait_until(
        Duration::from_secs(30),
        "the new member holds both partitions",
        || {
            poll_all(&[&newcomer]);
            partitions(&newcomer).len() == 2
        },
    );
    assert_eq!(
        listed_lone(&inspector),
        0,
        "the expired member left the listing"
    );
}

/// Standby replicas (`runtime/standby/ring.rs`) need to know which partitions each member of
/// a query's group holds. Apache Kafka's DescribeGroups returns every member's assignment; the
/// test broker leaves it out, and weir then computes librdkafka's `range` assignment from the
/// listed member ids. This checks that computation against what three range members of one
/// group really got, and that an assignment the listing does carry decodes to the same.
#[test]
fn the_range_assignment_weir_computes_from_the_listing_is_what_the_members_got() {
    use weir::runtime::standby::ring::{parse_assignment, range_assignment};
    let broker = TestBroker::shared();
    let (first, second) = ("groups-range-a", "groups-range-b");
    let group = "groups-range-probe-group";
    broker.create_topic(first, 7);
    broker.create_topic(second, 2);
    let inspector: BaseConsumer = broker.client_config().create().expect("inspector");
    let members: Vec<BaseConsumer> = (0..3)
        .map(|i| {
            let member: BaseConsumer = broker
                .consumer_config(group)
                .set("client.id", format!("weir-probe-range-{i}"))
                .set("partition.assignment.strategy", "range")
                .create()
                .expect("member");
            member.subscribe(&[first, second]).expect("subscribe");
            member
        })
        .collect();
    let held = |member: &BaseConsumer| -> Vec<(String, i32)> {
        let mut held: Vec<(String, i32)> = member
            .assignment()
            .map(|a| {
                a.elements()
                    .iter()
                    .map(|e| (e.topic().to_owned(), e.partition()))
                    .collect()
            })
            .unwrap_or_default();
        held.sort();
        held
    };
    wait_until(
        Duration::from_secs(30),
        "the three members split both topics",
        || {
            for member in &members {
                let _ = member.poll(Duration::from_millis(50));
            }
            members.iter().map(|m| held(m).len()).sum::<usize>() == 9
                && members.iter().all(|m| !held(m).is_empty())
        },
    );
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(first, 0, Offset::Offset(0))
        .expect("offset");
    members[0]
        .commit(&offsets, CommitMode::Sync)
        .expect("commit an offset");
    let list = inspector
        .fetch_group_list(Some(group), LIST_TIMEOUT)
        .expect("listing");
    let listed: Vec<(String, Option<Vec<u8>>)> = list
        .groups()
        .iter()
        .filter(|g| g.name() == group)
        .flat_map(|g| g.members())
        .map(|m| (m.id().to_owned(), m.assignment().map(<[u8]>::to_vec)))
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    let ids: Vec<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    let counts = BTreeMap::from([(first.to_owned(), 7), (second.to_owned(), 2)]);
    let computed = range_assignment(&ids, &counts);
    for (i, (id, bytes)) in listed.iter().enumerate() {
        let owner = (0..members.len())
            .find(|j| id.starts_with(&format!("weir-probe-range-{j}-")))
            .unwrap_or_else(|| panic!("no member for {id}"));
        let mut expected = computed[i].clone();
        expected.sort();
        assert_eq!(held(&members[owner]), expected, "member {id}");
        if let Some(bytes) = bytes.as_deref().filter(|b| !b.is_empty()) {
            let mut parsed = parse_assignment(bytes);
            parsed.sort();
            assert_eq!(parsed, expected, "the listed assignment of {id}");
        }
    }
}
