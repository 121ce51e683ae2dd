//! The analyzer: a catalog of streams, tables and types, name resolution, type checking and
//! output-schema naming under ksqlDB's rules, and the dry run of a whole queries file against a
//! scratch catalog. It never reaches Kafka.
//!
//! Lands with the front-end issue; empty until then.
