//! Typed expressions compiled once per query into evaluators that do no name lookups and no
//! allocation for scalar work per record.
//!
//! Lands with the engine issue; empty until then.
