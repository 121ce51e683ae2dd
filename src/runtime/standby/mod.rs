//! Standby replicas (`standby_replicas`, Kafka Streams' `num.standby.replicas`).
pub mod ring;
