//! The Kafka runtime: consumer-group membership, stream tasks, record collection, commits,
//! transactions, state restore, rebalances, error policies and query supervision. It never
//! parses SQL.
//!
//! Lands with the Kafka runtime issue; empty until then.
