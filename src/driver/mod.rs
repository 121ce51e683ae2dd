//! The in-memory driver: topics with partitions and a manual clock that run any topology
//! deterministically, record by record. Used by unit tests and the conformance suite.
//!
//! Lands with the engine issue; empty until then.
