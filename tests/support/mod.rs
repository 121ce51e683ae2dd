//! Shared helpers for weir's integration tests, included by each test binary as `mod support;`.
//!
//! `broker` starts a real Kafka-protocol broker (tansu, see `shared/TEST-BROKER.md`) on
//! loopback; `kafka` offers small rdkafka helpers around it. Each test binary uses only part of
//! this module, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod broker;
pub mod kafka;

pub use broker::TestBroker;
