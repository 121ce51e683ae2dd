//! `EXPLAIN` text of a planned query: its identity and consumer group, its sub-topologies
//! (split at repartition topics, merged at joins), the processors of each, its state stores
//! with their key and value schemas, and its internal topics. Text only; stable across runs so
//! that golden files can hold it.

use std::fmt;

use super::PlannedQuery;
use super::step::Step;

/// Assigns `input` and, when it writes a repartition topic, starts the sub-topology that reads
/// it; returns the sub-topology the next step joins.
fn through(input: &Step, topologies: &mut Vec<Vec<String>>, app_id: &str) -> usize {
    let t = assign(input, topologies, app_id);
    match input.repartition() {
        Some(name) => {
            let topic = super::names::repartition_topic(app_id, name);
            topologies[t].push(format!("sink topic '{topic}'"));
            topologies.push(vec![format!("source topic '{topic}'")]);
            topologies.len() - 1
        }
        None => t,
    }
}

/// Assigns steps to sub-topologies (split at repartition topics, merged at joins); returns the
/// index of the sub-topology `step` ends in.
fn assign(step: &Step, topologies: &mut Vec<Vec<String>>, app_id: &str) -> usize {
    let line = describe(step);
    let inputs = step.inputs();
    let t = match inputs.as_slice() {
        [] => {
            let (Step::StreamSource { topic, .. } | Step::TableSource { topic, .. }) = step else {
                return 0;
            };
            topologies.push(vec![format!("source topic '{}'", topic.topic)]);
            topologies.len() - 1
        }
        [input] => through(input, topologies, app_id),
        [left, right, ..] => {
            let l = through(left, topologies, app_id);
            let r = through(right, topologies, app_id);
            if l != r {
                let moved = std::mem::take(&mut topologies[r]);
                topologies[l].extend(moved);
            }
            l
        }
    };
    topologies[t].push(line);
    t
}

fn describe(step: &Step) -> String {
    let detail = match step {
        Step::StreamSource { source, .. } | Step::TableSource { source, .. } => {
            format!(" ({source})")
        }
        Step::Join {
            kind, join_type, ..
        } => format!(" ({kind:?} {join_type:?})"),
        Step::Aggregate {
            aggregates, window, ..
        } => {
            let names: Vec<&str> = aggregates
                .iter()
                .map(|a| a.function.name.as_str())
                .collect();
            let window = window
                .map(|w| format!(", {:?} window of {} ms", w.window_type, w.size_ms))
                .unwrap_or_default();
            format!(" ({}{window})", names.join(", "))
        }
        Step::Sink { topic, .. } => format!(" → topic '{}'", topic.topic),
        _ => String::new(),
    };
    format!(
        "{} {}{detail}\n        schema: {}",
        step.tag(),
        step.ctx(),
        step.schema()
    )
}

impl fmt::Display for PlannedQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Query {} ({:?}) → {}", self.id, self.kind, self.sink)?;
        writeln!(f, "  sources: {}", self.sources.join(", "))?;
        writeln!(f, "  consumer group: {}", self.application_id)?;
        let mut topologies = Vec::new();
        assign(&self.steps, &mut topologies, &self.application_id);
        for (i, processors) in topologies.iter().filter(|t| !t.is_empty()).enumerate() {
            writeln!(f, "  sub-topology {i}:")?;
            for processor in processors {
                writeln!(f, "    {processor}")?;
            }
        }
        writeln!(f, "  state stores:")?;
        for store in self.stores() {
            writeln!(
                f,
                "    {}  key: {}  value: {}",
                store.name, store.key_schema, store.value_schema
            )?;
        }
        writeln!(f, "  internal topics:")?;
        for topic in self.internal_topics() {
            writeln!(f, "    {topic}")?;
        }
        Ok(())
    }
}
