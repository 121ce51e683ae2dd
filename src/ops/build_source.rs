//! The builder's part for sources: a `streamSource/v1` or `tableSource/v1` step becomes the
//! graph's entry for its topic, with the key and value serdes, the columns the query never
//! reads (left unread by the JSON reader, see [`super::prune`]), the event-time column and,
//! for windowed sources, the window read from the key. Called from [`super::build`]'s step
//! match once per task graph.

use super::build::{Attach, BuildError, Built, QueryTopology};
use super::layout::InputLayout;
use super::segment::serdes;
use super::source::{EventTime, SourceDeserializer, ValueColumn, value_columns};
use super::window_key::WindowedSource;
use crate::analyze::{Schema, TimestampColumn};
use crate::plan::Step;
use crate::topology::GraphBuilder;
use crate::types::SqlType;

impl QueryTopology {
    /// The graph entry for a stream or table source step.
    pub(super) fn source(
        &self,
        step: &Step,
        graph: &mut GraphBuilder,
    ) -> Result<Built, BuildError> {
        let (Step::StreamSource {
            topic,
            schema,
            timestamp,
            window,
            ..
        }
        | Step::TableSource {
            topic,
            schema,
            timestamp,
            window,
            ..
        }) = step
        else {
            return Err(self.unsupported_what(step.ctx(), "a source step that is not a source"));
        };
        let ctx = step.ctx();
        let fmt = |source| BuildError::Format {
            query: self.query.clone(),
            ctx: ctx.to_owned(),
            source: Box::new(source),
        };

        let table = matches!(step, Step::TableSource { .. });
        let (key, mut value) = serdes(
            schema,
            &topic.topic,
            &topic.key_format,
            &topic.value_format,
            self.registry.as_ref(),
        )
        .map_err(fmt)?;
        let columns = value_columns(schema);
        if let Some(read) = self.read_columns.get(ctx) {
            let payload: Vec<bool> = columns
                .iter()
                .zip(read)
                .filter(|(column, _)| **column == ValueColumn::Payload)
                .map(|(_, &read)| read)
                .collect();
            value.skip_unread_strings(&payload);
        }
        let time = match timestamp {
            None => EventTime::Record,
            Some(ts) => self.event_time(ctx, schema, ts)?,
        };
        let de = SourceDeserializer {
            key,
            value,
            key_count: schema.keys().count(),
            columns,
            time,
            table,
        };
        let de: Box<dyn crate::topology::RecordDeserializer> = match window {
            Some(window) => Box::new(WindowedSource {
                inner: de,
                window: *window,
            }),
            None => Box::new(de),
        };
        let id = graph.source(ctx, &topic.topic, de);
        Ok(Built {
            at: Attach::Source(id),
            layout: InputLayout::keys(schema.keys().count()),
            table,
            rekeyed: false,
        })
    }

    /// The event-time source for `ts`: a value column position.
    pub(super) fn event_time(
        &self,
        ctx: &str,
        schema: &Schema,
        ts: &TimestampColumn,
    ) -> Result<EventTime, BuildError> {
        let position = schema.values().position(|c| c.name == ts.column);
        let column = position.and_then(|p| schema.values().nth(p).map(|c| (p, c)));
        match column {
            Some((p, c))
                if ts.format.is_none() && matches!(c.ty, SqlType::Bigint | SqlType::Timestamp) =>
            {
                Ok(EventTime::Column(p))
            }
            Some((p, c)) if ts.format.is_none() && c.ty == SqlType::String => {
                Ok(EventTime::TextColumn(p))
            }
            _ => Err(self.unsupported_what(
                ctx,
                &format!("TIMESTAMP column {} with this type or format", ts.column),
            )),
        }
    }
}
