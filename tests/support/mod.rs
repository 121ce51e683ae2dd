//! Shared helpers for weir's integration tests, included by each test binary as `mod support;`.
//!
//! `broker` starts a real Kafka-protocol broker (tansu, see `shared/TEST-BROKER.md`) on
//! loopback; `kafka` offers small rdkafka helpers around it; `qtt` loads the conformance cases.
//! Each test binary uses only part of this module, hence the allowances.
#![allow(dead_code, unused_imports)]

pub mod broker;
pub mod kafka;
pub mod qtt;

pub use broker::TestBroker;
