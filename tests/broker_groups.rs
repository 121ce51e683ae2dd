//! Probes the group listing weir's lock agreement relies on (`runtime/agreement.rs`): a client
//! that never joins a group asks librdkafka's `fetch_group_list(Some(group))` (ListGroups, then
//! DescribeGroups at the coordinator) and reads each live member's `client.id`, where every
//! weir consumer carries its query's plan tag. On the test broker the member's `client_id`
//! field comes back empty, but its member id is `<client.id>-<uuid>` as on Apache Kafka, so
//! the tag is read from either. A member that closes leaves the listing at once; a group
//! nobody ever joined lists no member. The test broker lists a group only once it has
//! committed offsets (Apache Kafka lists it from its first member on): until then a weir
//! replica sees no member there, which the lock-agreement test accounts for.

mod support;

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

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
