//! Plan-tree helpers for the builder: how a query's step tree splits into sub-topologies at
//! its repartitions, the row shape each step emits, and the topic serdes of a source or sink.
//! Pure functions of the plan; they build no processors.

use crate::analyze::{FormatInfo, Schema};
use std::sync::Arc;
use std::time::Duration;

use crate::format::{
    Delimiter, FormatError, RegistryBinding, Role, RowSerde, SerdeColumn, SerdeOptions,
};
use crate::plan::Step;
use crate::registry::SchemaRegistry;

/// The steps whose output leaves a sub-topology (repartitions, then the sink), in dependency
/// order: a sub-topology's id is its position here.
pub(super) fn segment_roots<'s>(step: &'s Step, out: &mut Vec<&'s Step>) {
    for input in step.inputs() {
        segment_roots(input, out);
    }
    if matches!(step, Step::Sink { .. }) || is_repartition(step) {
        out.push(step);
    }
}

/// A `selectKey/v1` or `groupBy/v1` that writes a repartition topic (and so ends a
/// sub-topology). A `selectKey/v1` without one re-keys in place.
pub(super) fn is_repartition(step: &Step) -> bool {
    step.repartition().is_some()
}

/// The steps of the sub-topology ending at `root`: it stops at (and includes) the
/// repartitions it reads.
pub(super) fn segment(root: &Step) -> Vec<&Step> {
    fn visit<'s>(step: &'s Step, root: bool, out: &mut Vec<&'s Step>) {
        out.push(step);
        if root || !is_repartition(step) {
            for input in step.inputs() {
                visit(input, false, out);
            }
        }
    }
    let mut out = Vec::new();
    visit(root, true, &mut out);
    out
}

/// The row schema a step emits (keys first) and whether it is a table.
pub(super) fn shape(step: &Step) -> Option<(&Schema, bool)> {
    match step {
        Step::StreamSource { schema, .. } => Some((schema, false)),
        Step::TableSource { schema, .. } => Some((schema, true)),
        Step::Filter { input, .. }
        | Step::TableFilter { input, .. }
        | Step::SelectKey { input, .. } => shape(input),
        Step::Select { input, schema, .. } => shape(input).map(|(_, table)| (schema, table)),
        Step::Join {
            schema, join_type, ..
        } => Some((
            schema,
            matches!(
                join_type,
                crate::analyze::JoinType::TableTable | crate::analyze::JoinType::ForeignKey
            ),
        )),
        _ => None,
    }
}

/// The Schema Registry the registry formats (AVRO) of a query use.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    pub registry: Arc<dyn SchemaRegistry>,
    /// How long a record whose schema id is not cached waits for an unreachable registry
    /// before its task fails (to be restarted, the record read again).
    pub unavailable_wait: Duration,
}

fn options(info: &FormatInfo) -> Result<SerdeOptions, FormatError> {
    Ok(SerdeOptions {
        wrap_single_value: info.wrap_single_value,
        delimiter: info
            .delimiter
            .as_deref()
            .map(Delimiter::parse)
            .transpose()?,
        nullable: info.nullable,
    })
}

/// The key and value serdes of `topic` for `schema` (header columns are not in the payload).
/// Registry formats read and write through `registry`.
pub(super) fn serdes(
    schema: &Schema,
    topic: &str,
    key: &FormatInfo,
    value: &FormatInfo,
    registry: Option<&RegistryOptions>,
) -> Result<(RowSerde, RowSerde), FormatError> {
    let cols = |key_side: bool| {
        schema
            .columns
            .iter()
            .filter(|c| c.is_key() == key_side)
            .filter(|c| key_side || c.namespace == crate::analyze::Namespace::Value)
            .map(|c| SerdeColumn::new(c.name.clone(), c.ty.clone()))
            .collect::<Vec<_>>()
    };
    let binding = |info: &FormatInfo| {
        registry.map(|r| RegistryBinding {
            registry: r.registry.clone(),
            topic: topic.to_string(),
            schema_id: info.schema_id,
            full_name: info.full_name.clone(),
            unavailable_wait: r.unavailable_wait,
        })
    };
    let key = RowSerde::with_registry(
        key.format,
        Role::Key,
        cols(true),
        &options(key)?,
        binding(key).as_ref(),
    )?;
    let value = RowSerde::with_registry(
        value.format,
        Role::Value,
        cols(false),
        &options(value)?,
        binding(value).as_ref(),
    )?;
    Ok((key, value))
}
