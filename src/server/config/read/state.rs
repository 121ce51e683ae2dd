//! The `[state]` table: the memory budget every RocksDB store shares, the record cache of each
//! query (`cache_max_bytes_buffering`) and how long state of tasks this replica no longer owns
//! is kept. Sizes are written like "64MiB", "512KiB", "10MB", "1GiB" or a plain number of
//! bytes.

use std::time::Duration;

use super::{Reader, Table};
use crate::server::config::StateConfig;

const STATE_KEYS: &[&str] = &[
    "block_cache",
    "write_buffers",
    "cache_max_bytes_buffering",
    "cleanup_delay",
];

/// ksqlDB's `ksql.streams.cache.max.bytes.buffering` default: 10 MB (decimal).
pub const DEFAULT_RECORD_CACHE_BYTES: usize = 10_000_000;

impl<'a> Reader<'a> {
    pub(super) fn state(&mut self, top: Table<'a>) -> StateConfig {
        let state = self.sub_table(top, "state", &["state"]);
        self.check_known_keys(state, STATE_KEYS);
        let size = |reader: &mut Self, key: &str, default: usize| {
            reader
                .parsed(
                    state,
                    key,
                    "a size such as \"64MiB\", \"512KiB\" or a number of bytes",
                    parse_size,
                )
                .unwrap_or(default)
        };
        let block_cache_bytes = size(self, "block_cache", 64 << 20);
        let write_buffer_bytes = size(self, "write_buffers", 32 << 20);
        let record_cache_bytes = size(
            self,
            "cache_max_bytes_buffering",
            DEFAULT_RECORD_CACHE_BYTES,
        );
        let cleanup_delay = self
            .duration(state, "cleanup_delay")
            .unwrap_or(Duration::from_secs(600));
        StateConfig {
            block_cache_bytes,
            write_buffer_bytes,
            record_cache_bytes,
            cleanup_delay,
        }
    }
}

/// `"64MiB"` → 67108864; binary (KiB, MiB, GiB) and decimal (KB, MB, GB) units, or bytes.
fn parse_size(text: &str) -> Option<usize> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number.parse().ok()?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("512 KiB"), Some(512 << 10));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("2GB"), Some(2_000_000_000));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5 parsecs"), None);
    }
}
