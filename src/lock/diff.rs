//! The diff between the queries in a file and those in its lock, and what each change means
//! for state: a query added starts fresh, a query removed abandons its consumer group and
//! stores, a changed query keeps its state when every store keeps its schemas and loses it
//! otherwise. `weir plan` prints it; `weir check` and `weir run` refuse a non-empty one.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use super::{LockFile, LockedQuery};

/// How one query differs between the file and the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// In the file, not in the lock.
    Added,
    /// In the lock, not in the file.
    Removed,
    /// In both; the statement or plan differs. `stores` lists what happens to each store.
    Changed {
        statement: bool,
        plan: bool,
        consumer_group: bool,
        stores: Vec<StoreChange>,
        /// Sources whose registered schema (key or value) differs from the one locked,
        /// as `SOURCE key` / `SOURCE value`.
        registry_schemas: Vec<String>,
    },
}

/// What happens to one state store of a changed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// Same name and schemas: its state carries over.
    Kept(String),
    /// New in the file: starts empty.
    Added(String),
    /// Gone from the file: its state is abandoned.
    Removed(String),
    /// Same name, different key or value schema: its state would be reset.
    SchemaChanged {
        name: String,
        key: bool,
        value: bool,
    },
}

/// One query's entry in the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDiff {
    pub id: String,
    pub change: Change,
    /// The consumer group of the query as it would run (the file's), or as it ran (the lock's).
    pub consumer_group: String,
}

/// Every difference, sorted by query id, and how many queries are unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockDiff {
    pub changes: Vec<QueryDiff>,
    pub unchanged: usize,
}

impl Change {
    /// Whether any state of the query would be lost or reset.
    pub fn loses_state(&self) -> bool {
        match self {
            Change::Added => false,
            Change::Removed => true,
            Change::Changed {
                consumer_group,
                stores,
                ..
            } => {
                *consumer_group
                    || stores.iter().any(|s| {
                        matches!(
                            s,
                            StoreChange::Removed(_) | StoreChange::SchemaChanged { .. }
                        )
                    })
            }
        }
    }
}

/// Compares the queries planned from the file with the lock.
pub fn diff(file: &LockFile, lock: &LockFile) -> LockDiff {
    let planned: BTreeMap<&str, &LockedQuery> =
        file.queries.iter().map(|q| (q.id.as_str(), q)).collect();
    let locked: BTreeMap<&str, &LockedQuery> =
        lock.queries.iter().map(|q| (q.id.as_str(), q)).collect();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (id, new) in &planned {
        match locked.get(id) {
            None => changes.push(QueryDiff {
                id: id.to_string(),
                change: Change::Added,
                consumer_group: new.consumer_group.clone(),
            }),
            Some(old) if old == new => unchanged += 1,
            Some(old) => changes.push(QueryDiff {
                id: id.to_string(),
                change: compare(old, new),
                consumer_group: new.consumer_group.clone(),
            }),
        }
    }
    for (id, old) in &locked {
        if !planned.contains_key(id) {
            changes.push(QueryDiff {
                id: id.to_string(),
                change: Change::Removed,
                consumer_group: old.consumer_group.clone(),
            });
        }
    }
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    LockDiff { changes, unchanged }
}

fn compare(old: &LockedQuery, new: &LockedQuery) -> Change {
    let old_stores: BTreeMap<&str, _> = old.stores.iter().map(|s| (s.name.as_str(), s)).collect();
    let new_stores: BTreeMap<&str, _> = new.stores.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut stores = Vec::new();
    for (name, store) in &new_stores {
        stores.push(match old_stores.get(name) {
            None => StoreChange::Added(name.to_string()),
            Some(before) if before == store => StoreChange::Kept(name.to_string()),
            Some(before) => StoreChange::SchemaChanged {
                name: name.to_string(),
                key: before.key_schema != store.key_schema,
                value: before.value_schema != store.value_schema,
            },
        });
    }
    for name in old_stores.keys() {
        if !new_stores.contains_key(name) {
            stores.push(StoreChange::Removed(name.to_string()));
        }
    }
    let mut registry_schemas: Vec<String> = old
        .registry_schemas
        .iter()
        .filter(|s| !new.registry_schemas.contains(s))
        .chain(
            new.registry_schemas
                .iter()
                .filter(|s| !old.registry_schemas.contains(s)),
        )
        .map(|s| format!("{} {}", s.source, s.side))
        .collect();
    registry_schemas.sort();
    registry_schemas.dedup();
    Change::Changed {
        registry_schemas,
        statement: old.statement_hash != new.statement_hash,
        plan: old.plan_fingerprint != new.plan_fingerprint
            || old.kind != new.kind
            || old.sink != new.sink
            || old.sources != new.sources,
        consumer_group: old.consumer_group != new.consumer_group,
        stores,
    }
}

impl LockDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The queries whose plan changed: each must not run beside its old version.
    pub fn plan_changed(&self) -> Vec<&str> {
        self.changes
            .iter()
            .filter(|c| matches!(c.change, Change::Changed { plan: true, .. }))
            .map(|c| c.id.as_str())
            .collect()
    }

    fn count(&self, pick: impl Fn(&Change) -> bool) -> usize {
        self.changes.iter().filter(|c| pick(&c.change)).count()
    }

    /// One line for errors: which queries differ and what to run.
    pub fn summary(&self) -> String {
        let ids = |pick: fn(&Change) -> bool| -> Vec<&str> {
            self.changes
                .iter()
                .filter(|c| pick(&c.change))
                .map(|c| c.id.as_str())
                .collect()
        };
        let mut parts = Vec::new();
        for (label, list) in [
            ("changed", ids(|c| matches!(c, Change::Changed { .. }))),
            ("added", ids(|c| matches!(c, Change::Added))),
            ("removed", ids(|c| matches!(c, Change::Removed))),
        ] {
            if !list.is_empty() {
                parts.push(format!("{label}: {}", list.join(", ")));
            }
        }
        format!(
            "the queries file and its lock disagree ({}); run `weir plan` to see what would \
             happen to their state, then `weir lock` to accept the change",
            parts.join("; ")
        )
    }
}

impl fmt::Display for LockDiff {
    /// The report `weir plan` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let added = self.count(|c| matches!(c, Change::Added));
        let removed = self.count(|c| matches!(c, Change::Removed));
        let changed = self.count(|c| matches!(c, Change::Changed { .. }));
        writeln!(
            f,
            "{added} added, {removed} removed, {changed} changed, {} unchanged",
            self.unchanged
        )?;
        for query in &self.changes {
            f.write_char('\n')?;
            write_query(f, query)?;
        }
        Ok(())
    }
}

fn write_query(f: &mut fmt::Formatter<'_>, query: &QueryDiff) -> fmt::Result {
    let group = &query.consumer_group;
    match &query.change {
        Change::Added => {
            writeln!(f, "+ {} (new query)", query.id)?;
            writeln!(
                f,
                "    starts in a new consumer group {group}, from auto_offset_reset"
            )
        }
        Change::Removed => {
            writeln!(f, "- {} (removed)", query.id)?;
            writeln!(
                f,
                "    its consumer group {group} and state stores are abandoned; its internal \
                 topics stay until you delete them"
            )
        }
        Change::Changed {
            statement,
            plan,
            consumer_group,
            stores,
            registry_schemas,
        } => {
            let mut what = Vec::new();
            if *statement {
                what.push("statement");
            }
            if *plan {
                what.push("plan");
            }
            if *consumer_group {
                what.push("consumer group");
            }
            if !registry_schemas.is_empty() {
                what.push("registered schema");
            }
            writeln!(f, "~ {} (changed: {})", query.id, what.join(", "))?;
            for side in registry_schemas {
                writeln!(
                    f,
                    "    the schema registered for {side} is not the one locked: its columns \
                     are inferred from what Schema Registry holds now"
                )?;
            }
            if *consumer_group {
                writeln!(
                    f,
                    "    moves to consumer group {group}: committed offsets and state of the old \
                     group are not carried over"
                )?;
            }
            if stores.is_empty() && !*consumer_group {
                writeln!(
                    f,
                    "    stateless: keeps consumer group {group} and resumes from its committed \
                     offsets"
                )?;
            }
            for store in stores {
                match store {
                    StoreChange::Kept(name) => {
                        writeln!(f, "    store {name}: schemas unchanged; state carries over")?
                    }
                    StoreChange::Added(name) => writeln!(f, "    store {name}: new; starts empty")?,
                    StoreChange::Removed(name) => writeln!(
                        f,
                        "    store {name}: no longer used; its state is abandoned"
                    )?,
                    StoreChange::SchemaChanged { name, key, value } => {
                        let which = match (key, value) {
                            (true, true) => "key and value schemas",
                            (true, false) => "key schema",
                            _ => "value schema",
                        };
                        writeln!(
                            f,
                            "    store {name}: {which} changed; its state would be reset"
                        )?
                    }
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::query;
    use super::*;

    fn lock(queries: Vec<LockedQuery>) -> LockFile {
        LockFile::new(queries)
    }

    #[test]
    fn identical_files_have_no_diff() {
        let a = lock(vec![query("CSAS_A", "p", &[])]);
        let diff = diff(&a, &a.clone());
        assert!(diff.is_empty());
        assert_eq!(diff.unchanged, 1);
    }

    #[test]
    fn a_changed_filter_is_stateless_and_compatible() {
        let old = lock(vec![query("CSAS_A", "filter x > 1", &[])]);
        let new = lock(vec![query("CSAS_A", "filter x > 2", &[])]);
        let diff = diff(&new, &old);
        assert!(!diff.changes[0].change.loses_state());
        assert_eq!(diff.plan_changed(), ["CSAS_A"]);
        assert_eq!(
            diff.to_string(),
            "0 added, 0 removed, 1 changed, 0 unchanged\n\n\
             ~ CSAS_A (changed: plan)\n    \
             stateless: keeps consumer group _weir-svc-CSAS_A and resumes from its committed offsets\n"
        );
    }

    #[test]
    fn a_schema_registered_anew_is_drift_even_with_the_same_plan() {
        let with_schema = |fingerprint: &str| {
            let mut q = query("CSAS_A", "p", &[]);
            q.registry_schemas = vec![super::super::LockedSchema {
                source: "ORDERS".into(),
                side: "value".into(),
                fingerprint: fingerprint.into(),
            }];
            lock(vec![q])
        };
        let diff = diff(&with_schema("sha256:new"), &with_schema("sha256:old"));
        assert_eq!(diff.changes.len(), 1);
        assert!(diff.plan_changed().is_empty(), "the plan is the same");
        assert!(!diff.changes[0].change.loses_state());
        assert_eq!(
            diff.to_string(),
            "0 added, 0 removed, 1 changed, 0 unchanged\n\n\
             ~ CSAS_A (changed: registered schema)\n    \
             the schema registered for ORDERS value is not the one locked: its columns are \
             inferred from what Schema Registry holds now\n    \
             stateless: keeps consumer group _weir-svc-CSAS_A and resumes from its committed offsets\n"
        );
        let text = with_schema("sha256:old").to_toml();
        assert!(text.contains("[[query.registry_schema]]"), "{text}");
        let read = LockFile::from_toml(std::path::Path::new("x.lock"), &text).unwrap();
        assert_eq!(read, with_schema("sha256:old"));
    }

    #[test]
    fn changed_aggregate_columns_reset_state() {
        let old = lock(vec![query(
            "CTAS_T",
            "count",
            &[("Aggregate-Materialize", "k", "count")],
        )]);
        let new = lock(vec![query(
            "CTAS_T",
            "count, sum",
            &[("Aggregate-Materialize", "k", "count, sum")],
        )]);
        let diff = diff(&new, &old);
        assert!(diff.changes[0].change.loses_state());
        assert_eq!(
            diff.to_string(),
            "0 added, 0 removed, 1 changed, 0 unchanged\n\n\
             ~ CTAS_T (changed: plan)\n    \
             store Aggregate-Materialize: value schema changed; its state would be reset\n"
        );
    }

    #[test]
    fn a_renamed_sink_is_one_added_and_one_removed() {
        let old = lock(vec![
            query("CSAS_OLD", "p", &[]),
            query("CSAS_KEEP", "k", &[]),
        ]);
        let new = lock(vec![
            query("CSAS_NEW", "p", &[]),
            query("CSAS_KEEP", "k", &[]),
        ]);
        let diff = diff(&new, &old);
        assert_eq!(diff.unchanged, 1);
        assert_eq!(
            diff.to_string(),
            "1 added, 1 removed, 0 changed, 1 unchanged\n\n\
             + CSAS_NEW (new query)\n    \
             starts in a new consumer group _weir-svc-CSAS_NEW, from auto_offset_reset\n\n\
             - CSAS_OLD (removed)\n    \
             its consumer group _weir-svc-CSAS_OLD and state stores are abandoned; its internal \
             topics stay until you delete them\n"
        );
        assert_eq!(
            diff.summary(),
            "the queries file and its lock disagree (added: CSAS_NEW; removed: CSAS_OLD); run \
             `weir plan` to see what would happen to their state, then `weir lock` to accept the \
             change"
        );
    }
}
