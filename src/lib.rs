//! # weir: a headless streaming-SQL daemon for Apache Kafka
//!
//! weir reads a locked `.sql` queries file written in ksqlDB's dialect, plans every persistent
//! query (`CREATE STREAM|TABLE … AS SELECT`, `INSERT INTO … SELECT`) into a topology of
//! synchronous processors, and runs each query as a fixed set of stream tasks (one per input
//! partition and sub-topology) that it shares with peer replicas through Kafka consumer groups.
//!
//! Data flows one way through the layers, and imports point down this list only:
//!
//! ```text
//! queries/app.sql ─► sql (parse) ─► analyze (catalog, types) ─► plan (logical → physical steps)
//!                                                                   │
//!                         app.sql.lock ◄── lock (fingerprints) ◄────┤
//!                                                                   ▼
//!             topology (sub-topologies, stores, internal topics) ◄─ ops (processors)
//!                       │                                  │
//!            runtime (Kafka groups, tasks, state,    driver (in-memory, deterministic:
//!             changelogs, transactions)               unit tests and conformance)
//! ```
//!
//! Below the pipeline sit the building blocks every stage shares: [`types`] (SQL types and
//! values), [`expr`] and [`functions`] (compiled expressions, ksqlDB's function library),
//! [`format`] (key and value serdes), [`registry`] (the Schema Registry client the registry
//! formats share) and [`state`] (store traits and backends). On top sits
//! [`server`]: config, CLI, logging, signals, the HTTP endpoints and systemd integration.
//!
//! The runtime never looks at SQL; the planner never touches Kafka.

pub mod types;

pub mod registry;

pub mod sql;

pub mod analyze;

pub mod plan;

pub mod lock;

pub mod expr;

pub mod functions;

pub mod format;

pub mod state;

pub mod topology;

pub mod ops;

pub mod runtime;

pub mod driver;

pub mod telemetry;

pub mod server;
