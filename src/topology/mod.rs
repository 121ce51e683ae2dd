//! The small core both runners share: `Record`, the `Processor` trait, the processor context
//! and the task graph types. Depends on no operator, no Kafka and no SQL.
//!
//! Lands with the engine issue; empty until then.
