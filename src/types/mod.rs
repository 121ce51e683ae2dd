//! SQL types and runtime values: the `SqlType` of every column and expression and the
//! `Value` a record carries, with ksqlDB's null semantics and casts. Knows nothing of SQL text,
//! Kafka or formats.
