//! State stores behind traits, so operators stay backend-agnostic: key-value ([`kv`]),
//! windowed ([`window`]) and session ([`session`]) stores over bytes, the order-preserving row
//! [`codec`] operators use to make those bytes, the in-memory backend ([`memory`]),
//! change-logging as a decorator with restore ([`changelog`]), the record cache of a stream
//! thread ([`cache`]) and the stores aggregates keep behind it ([`cached`]), metering as a
//! decorator ([`metered`]), checkpoint files ([`checkpoint`]), the [`provider`] a runner hands
//! to task builders, and the RocksDB backend
//! ([`rocks`]) the Kafka runtime uses, with one memory budget for all its stores. Both
//! backends pass one behavioural suite (`store_suite`, test-only).
//!
//! Stores are owned by one task and used from one stream thread at a time (`Send`, not `Sync`);
//! nothing here knows about topologies, Kafka or SQL, and nothing here panics on bad bytes.

pub mod buffered;
pub mod cache;
pub mod cached;
pub mod changelog;
pub mod checkpoint;
pub mod codec;
pub mod error;
pub mod kv;
pub mod memory;
pub mod metered;
pub mod provider;
pub mod rocks;
pub mod session;
#[cfg(test)]
mod store_suite;
pub mod window;

pub use cache::{CacheBudget, Flushed, RecordCache, Resident};
pub use cached::{CachedKeyValueStore, CachedWindowStore};
pub use changelog::{ChangelogEntry, ChangelogSink, Logged, RestoreTarget, restore};
pub use checkpoint::{Checkpoint, CheckpointRead};
pub use codec::CodecError;
pub use error::StateError;
pub use kv::{KeyValueStore, StateStore, Visit};
pub use memory::{MemoryKeyValueStore, MemorySessionStore, MemoryWindowStore};
pub use metered::{Metered, StoreMetrics};
pub use provider::{StoreKind, StoreProvider, StoreSpec};
pub use rocks::{
    RocksBudget, RocksHandle, RocksKeyValueStore, RocksSessionStore, RocksWindowStore,
    destroy_store_dir,
};
pub use session::{SessionScan, SessionStore};
pub use window::{WindowScan, WindowStore};
