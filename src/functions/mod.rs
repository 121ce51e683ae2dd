//! ksqlDB's scalar, aggregate and table functions with their null, overflow and cast
//! semantics, behind a registry in which adding a function is one small entry.
//!
//! Lands with the engine issue; empty until then.
