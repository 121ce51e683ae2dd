//! The small core both runners share: [`Record`], the [`Processor`] trait and its
//! [`ProcessorContext`], the task graph ([`GraphBuilder`], [`TaskGraph`]), the [`Task`] that
//! drives one graph for one partition, the edge traits through which bytes enter and leave a
//! task ([`RecordDeserializer`], [`RecordSerializer`], [`RecordCollector`]), and the
//! [`TopologySpec`]/[`TopologyFactory`] a runner builds tasks from.
//!
//! An operator is a struct implementing [`Processor`]; the operator layer's builder adds one
//! node per operator to a [`GraphBuilder`] (parents first), opening the stores it declared in
//! the [`TopologySpec`] through the runner's store provider:
//!
//! ```
//! use weir::topology::{GraphBuilder, Port, Processor, ProcessorContext, Record};
//!
//! /// Forwards records whose first value column is not NULL.
//! struct NotNull;
//!
//! impl Processor for NotNull {
//!     fn process(&mut self, _port: Port, record: Record, ctx: &mut ProcessorContext<'_>) {
//!         if record.value.as_ref().and_then(|v| v.first()).is_some_and(|c| !c.is_null()) {
//!             ctx.forward(record);
//!         }
//!     }
//! }
//!
//! let mut graph = GraphBuilder::new();
//! let node = graph.processor("NotNull", Box::new(NotNull));
//! # let _ = node;
//! ```
//!
//! The tests in `topology/tests.rs` and `driver/tests/` build whole graphs with sources, sinks
//! and stores, and run them.
//!
//! It depends on no operator, no Kafka and no SQL: operators implement its traits in `ops`,
//! runners drive it in `driver` and `runtime`. From `state` it uses only the store
//! declarations a factory needs. Nothing here does I/O, awaits, or panics on a record.

pub mod describe;
pub mod error;
pub mod graph;
pub mod io;
pub mod partitioner;
pub mod processor;
pub mod record;
pub mod spec;
pub mod task;

#[cfg(test)]
pub(crate) mod tests;

pub use describe::{ScratchStores, describe};
pub use error::{ProcessingError, ProcessingErrorKind, TaskError, TopologyError};
pub use graph::{GraphBuilder, NodeId, SourceId, TaskGraph};
pub use io::{OutgoingRecord, RecordCollector, RecordDeserializer, RecordSerializer, Serialized};
pub use processor::{Processor, ProcessorContext};
pub use record::{Header, Port, RawRecord, Record, Window};
pub use spec::{SubTopologySpec, TopologyFactory, TopologySpec};
pub use task::{NO_STREAM_TIME, Task, TaskId};
