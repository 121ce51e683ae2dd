//! Shared helpers for weir's integration tests, included by each test binary as `mod support;`.
//!
//! `broker` starts a real Kafka-protocol broker (nisshi with weir's patch, see
//! `.ci/broker/README.md`) on loopback; `proxy` puts a TCP proxy in front of it for network
//! faults; `kafka` offers small rdkafka helpers around it; `qtt` loads the conformance cases;
//! `registry` starts a Schema Registry (rivven-schema) on loopback; `fault_registry` serves
//! one from memory that can be told to fail (5xx, 401, latency) or to start late.
//! Each test binary uses only part of this module, hence the allowances.
#![allow(dead_code, unused_imports)]

pub mod broker;
pub mod fault_registry;
pub mod kafka;
pub mod proxy;
pub mod python;
pub mod qtt;
pub mod registry;

pub use broker::TestBroker;
pub use fault_registry::FaultRegistry;
pub use proxy::Proxy;
pub use registry::TestRegistry;
