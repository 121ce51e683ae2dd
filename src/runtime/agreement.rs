//! Lock agreement between replicas: a replica never processes a query whose consumer group is
//! being run, by a live member, with another plan for it. Replicas of two versions of one
//! query id in one group would split its partitions and mix both versions' results in one sink
//! and one changelog.
//!
//! Every group consumer of a query carries the query's plan tag (the first 16 hex digits of
//! its `plan_fingerprint` from the lock) in its `client.id`, as `<client id>.plan-<tag>`. The
//! broker names each group member `<client.id>-<uuid>` and DescribeGroups returns the client
//! id too (the test broker leaves that field empty), so any client can read the tags of a
//! group's live members with librdkafka's group listing. Members without a tag (tools, older
//! weir builds) are not counted.
//!
//! [`decide`] is the rule, a pure function of what the listing shows:
//! - before joining, a replica waits while any live member carries another tag, and joins
//!   by itself once none does (the old version was stopped: the upgrade procedure);
//! - after each assignment, a replica that sees another tag in the group — two versions that
//!   passed the check at the same instant and joined together — keeps the query only if its
//!   own tag is the smallest of the tags present, compared as text; every other replica leaves
//!   the group before opening any task and waits again. Both sides compute the same answer
//!   from the same listing, so exactly one version stays.
//!
//! This module only reads the listing and decides; the stream thread ([`super::thread`]) acts
//! on the verdict and the supervisor reports it on the status board.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use super::RuntimeError;
use super::client::ClientSettings;
use super::query::RuntimeQuery;

/// What separates a client id from the plan tag it carries.
const TAG_MARKER: &str = ".plan-";
/// Hex digits of the plan fingerprint in a tag: 64 bits, plenty to tell versions apart.
const TAG_LEN: usize = 16;
/// How long one group listing may take.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a replica that waits for the other version to stop looks at the group again.
pub const RECHECK_EVERY: Duration = Duration::from_secs(3);

/// The plan tag of a lock's `plan_fingerprint` (`sha256:<hex>`): its first 16 hex digits.
pub fn plan_tag(fingerprint: &str) -> String {
    let hex = fingerprint.strip_prefix("sha256:").unwrap_or(fingerprint);
    hex.chars()
        .filter(char::is_ascii_hexdigit)
        .take(TAG_LEN)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The `client.id` of a group consumer that carries `tag`.
pub fn tagged_client_id(client_id: &str, tag: &str) -> String {
    format!("{client_id}{TAG_MARKER}{tag}")
}

/// The plan tag a group member carries: read from its client id, or from its member id
/// (`<client.id>-<uuid>`) when the broker leaves the client id empty. `None` for a member
/// without one.
pub fn member_tag<'a>(member_id: &'a str, client_id: &'a str) -> Option<&'a str> {
    let named = if client_id.is_empty() {
        member_id
    } else {
        client_id
    };
    let (_, after) = named.rsplit_once(TAG_MARKER)?;
    let tag = after.get(..TAG_LEN)?;
    let rest = &after[TAG_LEN..];
    let ends = rest.is_empty() || rest.starts_with('-');
    (ends && tag.chars().all(|c| c.is_ascii_hexdigit())).then_some(tag)
}

/// The plan tags of the live members of `group`, one per member that carries one. A group the
/// broker does not list has no live member. A cluster that does not offer the group listing
/// at all (librdkafka's in-process cluster behind `weir demo`) cannot be checked: every tag
/// there is taken to agree, and a warning says so.
pub fn live_plan_tags<C: ConsumerContext + 'static>(
    client: &BaseConsumer<C>,
    group: &str,
) -> Result<Vec<String>, RuntimeError> {
    let list = match client.fetch_group_list(Some(group), LIST_TIMEOUT) {
        Ok(list) => list,
        Err(KafkaError::GroupListFetch(RDKafkaErrorCode::UnsupportedFeature)) => {
            if !UNCHECKABLE_REPORTED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    group,
                    "the Kafka cluster does not answer ListGroups/DescribeGroups: replicas cannot check that they run the same plans"
                );
            }
            return Ok(Vec::new());
        }
        Err(e) => {
            return Err(RuntimeError::Kafka(format!(
                "listing the members of group {group}: {e}"
            )));
        }
    };
    Ok(list
        .groups()
        .iter()
        .filter(|g| g.name() == group)
        .flat_map(|g| g.members())
        .filter_map(|m| member_tag(m.id(), m.client_id()).map(str::to_owned))
        .collect())
}

/// Whether the warning about a cluster without group listings was logged (once a process).
static UNCHECKABLE_REPORTED: AtomicBool = AtomicBool::new(false);

/// The queries whose consumer groups have live members with another plan, looked at once
/// before anything starts (`weir run` gives up when no query could run).
pub fn conflicts_at_start(
    settings: &ClientSettings,
    queries: &[RuntimeQuery],
) -> Result<Vec<Conflict>, RuntimeError> {
    let client: BaseConsumer = settings
        .admin()
        .create()
        .map_err(|e| RuntimeError::Kafka(format!("creating the group inspector: {e}")))?;
    let mut conflicts = Vec::new();
    for query in queries {
        let tags = live_plan_tags(&client, &query.app_id)?;
        if let Verdict::Refuses(conflict) | Verdict::Prevails(conflict) =
            decide(&query.id, &query.app_id, &query.plan_tag, &tags, false)
        {
            conflicts.push(conflict);
        }
    }
    Ok(conflicts)
}

/// A query whose consumer group has live members with another plan than this replica's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub query: String,
    pub group: String,
    /// This replica's plan tag.
    pub ours: String,
    /// The other tags the group's live members carry, sorted.
    pub theirs: Vec<String>,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "query {} runs plan {} in consumer group {} on another replica; this replica's lock \
             has plan {} (plan tags: the first 16 hex digits of plan_fingerprint in the lock). \
             It does not process {} while a replica of the other version is alive: stop those \
             replicas to upgrade, or run this version under another service_id",
            self.query,
            self.theirs.join(", "),
            self.group,
            self.ours,
            self.query
        )
    }
}

/// What a replica does with a query after looking at its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No live member carries another plan: run the query.
    Agrees,
    /// Members with another plan joined together with this replica, and this replica's tag is
    /// the smallest: it keeps the query, they yield.
    Prevails(Conflict),
    /// Do not process the query: wait before joining, or leave the group after joining.
    Refuses(Conflict),
}

/// The rule (see the module doc). `tags` are those of the group's live members, this
/// replica's own members included; `joined` says whether this replica is a member already.
pub fn decide(query: &str, group: &str, ours: &str, tags: &[String], joined: bool) -> Verdict {
    let mut theirs: Vec<String> = tags.iter().filter(|t| *t != ours).cloned().collect();
    theirs.sort();
    theirs.dedup();
    if theirs.is_empty() {
        return Verdict::Agrees;
    }
    let conflict = Conflict {
        query: query.to_owned(),
        group: group.to_owned(),
        ours: ours.to_owned(),
        theirs,
    };
    if joined && conflict.theirs.iter().all(|t| ours < t.as_str()) {
        Verdict::Prevails(conflict)
    } else {
        Verdict::Refuses(conflict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "1111111111111111";
    const NEWER: &str = "2222222222222222";
    const OLDER: &str = "0000000000000000";

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn a_tag_is_the_start_of_the_plan_fingerprint() {
        let fingerprint = format!("sha256:ABCDEF0123456789{}", "f".repeat(48));
        assert_eq!(plan_tag(&fingerprint), "abcdef0123456789");
        let client = tagged_client_id("_weir-svc-CSAS_A-00ff-0", &plan_tag(&fingerprint));
        assert_eq!(client, "_weir-svc-CSAS_A-00ff-0.plan-abcdef0123456789");
    }

    #[test]
    fn a_member_tag_comes_from_the_client_id_or_the_member_id() {
        let client = "_weir-svc-CSAS_A-00ff-0.plan-abcdef0123456789";
        let member = format!("{client}-5b0e9a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
        assert_eq!(member_tag(&member, ""), Some("abcdef0123456789"));
        assert_eq!(member_tag(&member, client), Some("abcdef0123456789"));
        assert_eq!(member_tag("rdkafka-5b0e9a52", ""), None, "no tag");
        assert_eq!(member_tag("x.plan-abc-uuid", ""), None, "too short");
        assert_eq!(member_tag("x.plan-zzzzzzzzzzzzzzzz", ""), None, "not hex");
        assert_eq!(
            member_tag("x.plan-abcdef0123456789ab", ""),
            None,
            "too long"
        );
        // A service id that contains the marker: the last one counts.
        let odd = "_weir-a.plan-b-CSAS_A-1-0.plan-0123456789abcdef-uuid";
        assert_eq!(member_tag(odd, ""), Some("0123456789abcdef"));
    }

    #[test]
    fn an_empty_group_or_one_running_the_same_plan_agrees() {
        assert_eq!(decide("Q", "G", OURS, &[], false), Verdict::Agrees);
        let same = tags(&[OURS, OURS]);
        assert_eq!(decide("Q", "G", OURS, &same, false), Verdict::Agrees);
        assert_eq!(decide("Q", "G", OURS, &same, true), Verdict::Agrees);
    }

    #[test]
    fn before_joining_any_other_plan_makes_the_replica_wait() {
        for other in [NEWER, OLDER] {
            let verdict = decide("Q", "G", OURS, &tags(&[other, other]), false);
            let Verdict::Refuses(conflict) = verdict else {
                panic!("{other}: {verdict:?}");
            };
            assert_eq!(conflict.theirs, [other]);
        }
    }

    #[test]
    fn after_joining_together_only_the_smallest_tag_keeps_the_query() {
        let group = tags(&[OURS, NEWER]);
        assert!(matches!(
            decide("Q", "G", OURS, &group, true),
            Verdict::Prevails(_)
        ));
        assert!(matches!(
            decide("Q", "G", NEWER, &group, true),
            Verdict::Refuses(_)
        ));
        // Three versions at once: only the smallest stays.
        let three = tags(&[OURS, NEWER, OLDER]);
        let kept: Vec<&str> = [OURS, NEWER, OLDER]
            .into_iter()
            .filter(|t| !matches!(decide("Q", "G", t, &three, true), Verdict::Refuses(_)))
            .collect();
        assert_eq!(kept, [OLDER]);
    }

    #[test]
    fn the_conflict_names_the_query_the_group_and_both_plans() {
        let Verdict::Refuses(conflict) =
            decide("CSAS_A", "_weir-svc-CSAS_A", OURS, &tags(&[OLDER]), false)
        else {
            panic!("expected a refusal");
        };
        assert_eq!(
            conflict.to_string(),
            "query CSAS_A runs plan 0000000000000000 in consumer group _weir-svc-CSAS_A on \
             another replica; this replica's lock has plan 1111111111111111 (plan tags: the \
             first 16 hex digits of plan_fingerprint in the lock). It does not process CSAS_A \
             while a replica of the other version is alive: stop those replicas to upgrade, or \
             run this version under another service_id"
        );
    }
}
