//! The process-wide memory budget of every RocksDB store: ONE LRU block cache and ONE
//! write-buffer manager whose memtables are charged to that cache, shared by every store the
//! process opens, so memory stays bounded however many tasks and stores are assigned (Kafka
//! Streams users get this only by writing a `RocksDBConfigSetter`). It also builds the
//! options every store database opens with. Build it once at startup and clone it (clones
//! share the same cache and manager); it never opens a database itself.

use std::fmt;

use rocksdb::{BlockBasedOptions, Cache, DBCompressionType, LogLevel, Options, WriteBufferManager};

/// Memtable size of one store before it is flushed (further bounded by the shared manager).
const MAX_STORE_WRITE_BUFFER: usize = 4 << 20;
const MIN_STORE_WRITE_BUFFER: usize = 64 << 10;
/// Open SST files per store: a per-task store is small, and file handles are shared by all.
const MAX_OPEN_FILES: i32 = 64;
const BLOCK_SIZE: usize = 4 << 10;

/// One shared block cache and write-buffer manager; see the module docs.
#[derive(Clone)]
pub struct RocksBudget {
    cache: Cache,
    write_buffers: WriteBufferManager,
    block_cache_bytes: usize,
    write_buffer_bytes: usize,
}

impl RocksBudget {
    /// A budget of `block_cache_bytes` for data, index and filter blocks plus
    /// `write_buffer_bytes` for memtables. Memtables are charged to the same cache, whose
    /// capacity is the sum, so RocksDB's memory for all stores together stays near
    /// `block_cache_bytes + write_buffer_bytes` (plus small per-database overhead).
    pub fn new(block_cache_bytes: usize, write_buffer_bytes: usize) -> Self {
        let cache = Cache::new_lru_cache(block_cache_bytes.saturating_add(write_buffer_bytes));
        // No stall: when the budget is exceeded the manager triggers flushes instead of
        // blocking the stream thread.
        let write_buffers = WriteBufferManager::new_write_buffer_manager_with_cache(
            write_buffer_bytes,
            false,
            cache.clone(),
        );
        RocksBudget {
            cache,
            write_buffers,
            block_cache_bytes,
            write_buffer_bytes,
        }
    }

    pub fn block_cache_bytes(&self) -> usize {
        self.block_cache_bytes
    }

    pub fn write_buffer_bytes(&self) -> usize {
        self.write_buffer_bytes
    }

    /// Bytes held in the shared cache now (blocks and charged memtables), for metrics.
    pub fn cache_usage(&self) -> usize {
        self.cache.get_usage()
    }

    /// Bytes of memtables of all stores now, for metrics.
    pub fn write_buffer_usage(&self) -> usize {
        self.write_buffers.get_usage()
    }

    /// The options one store database opens with: shared cache and write-buffer manager,
    /// LZ4 compression, small memtables, bounded open files, quiet info log, and the
    /// directory created when missing.
    pub fn store_options(&self) -> Options {
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&self.cache);
        table.set_block_size(BLOCK_SIZE);
        table.set_cache_index_and_filter_blocks(true);
        table.set_pin_l0_filter_and_index_blocks_in_cache(true);
        table.set_bloom_filter(10.0, false);
        table.set_format_version(5);

        let mut options = Options::default();
        options.create_if_missing(true);
        options.set_block_based_table_factory(&table);
        options.set_write_buffer_manager(&self.write_buffers);
        options.set_write_buffer_size(
            (self.write_buffer_bytes / 4).clamp(MIN_STORE_WRITE_BUFFER, MAX_STORE_WRITE_BUFFER),
        );
        options.set_max_write_buffer_number(2);
        options.set_compression_type(DBCompressionType::Lz4);
        options.set_max_open_files(MAX_OPEN_FILES);
        options.set_max_background_jobs(2);
        options.set_log_level(LogLevel::Warn);
        options.set_keep_log_file_num(2);
        options.set_max_log_file_size(1 << 20);
        options
    }
}

impl fmt::Debug for RocksBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksBudget")
            .field("block_cache_bytes", &self.block_cache_bytes)
            .field("write_buffer_bytes", &self.write_buffer_bytes)
            .finish()
    }
}
