//! The builder's part for `selectKey/v1` with a repartition topic (`PARTITION BY`): the
//! writing side ends a sub-topology at the repartition topic, each row keyed by its new key;
//! the reading side starts the next sub-topology from that topic. Called from
//! [`super::build`]'s step match; rows cross the topic in the internal JSON serde.

use super::build::{Attach, BuildError, Built, QueryTopology, unsupported};
use super::layout::InputLayout;
use super::repartition::{
    RepartitionDeserializer, RepartitionSerializer, internal_serde, row_types,
};
use super::segment::shape;
use crate::expr::TypedExpr;
use crate::plan::Step;
use crate::topology::GraphBuilder;
use crate::types::SqlType;

impl QueryTopology {
    /// The reading side: the sub-topology of step `ctx` starts at the repartition topic that
    /// `input`'s rows were written to.
    pub(super) fn repartition_source(
        &self,
        ctx: &str,
        input: &Step,
        repartition_topic: &str,
        graph: &mut GraphBuilder,
    ) -> Result<Built, BuildError> {
        let Some((schema, table)) = shape(input) else {
            return Err(unsupported(&self.query, input));
        };
        let (key_count, types) = super::join::repartitioned_row(input)
            .unwrap_or_else(|| (schema.keys().count(), row_types(schema)));
        let row_serde = internal_serde(&types).map_err(|e| self.format(ctx, e))?;
        let de = RepartitionDeserializer {
            row_serde,
            key_count,
        };
        let topic = format!("{}-{repartition_topic}-repartition", self.app_id);
        let id = graph.source(&format!("{ctx}-source"), &topic, Box::new(de));
        Ok(Built {
            at: Attach::Source(id),
            layout: super::join::output_layout(input).unwrap_or(InputLayout::keys(key_count)),
            table,
            rekeyed: true,
        })
    }

    /// The writing side: `input`'s rows (built as `built`) go to the repartition topic keyed
    /// by `keys`, which ends this sub-topology.
    pub(super) fn repartition_sink(
        &self,
        ctx: &str,
        input: &Step,
        keys: &[TypedExpr],
        repartition_topic: &str,
        built: Built,
        graph: &mut GraphBuilder,
    ) -> Result<Built, BuildError> {
        let Some((schema, _)) = shape(input) else {
            return Err(unsupported(&self.query, input));
        };
        let keys = keys
            .iter()
            .map(|k| self.compile_in(ctx, k, built.layout))
            .collect::<Result<Vec<_>, _>>()?;
        let key_types: Vec<SqlType> = keys.iter().map(|k| k.ty().clone()).collect();
        let (key_count, types) = super::join::repartitioned_row(input)
            .unwrap_or_else(|| (schema.keys().count(), row_types(schema)));
        let ser = RepartitionSerializer {
            keys,
            key_count,
            key_serde: internal_serde(&key_types).map_err(|e| self.format(ctx, e))?,
            row_serde: internal_serde(&types).map_err(|e| self.format(ctx, e))?,
        };
        let topic = format!("{}-{repartition_topic}-repartition", self.app_id);
        let sink = graph.sink(ctx, &topic, Box::new(ser));
        self.connect(graph, built.at, sink)?;
        Ok(Built {
            at: Attach::Node(sink),
            ..built
        })
    }
}
