//! State stores behind traits (key-value, windowed, session), with in-memory and RocksDB
//! backends, change-logging as a decorator, and checkpoint files.
//!
//! Lands with the engine and runtime issues; empty until then.
