//! The lock file next to the queries file: per-query identity, statement hash, plan
//! fingerprint, state stores and internal topics, and the diff between a file and its lock.
//!
//! Lands with the front-end issue; empty until then.
