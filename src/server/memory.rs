//! Keeps memory the C libraries have freed from staying resident. librdkafka and RocksDB
//! allocate with glibc's malloc, which gives each busy thread an arena of its own and keeps
//! freed pages in it: with ten queries' clients (about 170 threads) a daemon that had just
//! read a backlog stayed at 420 MiB when idle, of which `malloc_trim` released 257 MiB
//! (measured on the W5 benchmark, see `benches/README.md`). So arenas are capped at startup
//! and freed pages are handed back every few seconds. Rust's own allocations use mimalloc,
//! which returns memory by itself. Elsewhere than glibc this does nothing.

use std::time::Duration;

/// How often freed C-library memory is handed back to the system.
pub const TRIM_EVERY: Duration = Duration::from_secs(10);

/// glibc malloc arenas at most: fewer arenas hold fewer half-empty heaps, and the threads
/// that share them (librdkafka's, RocksDB's) are I/O-bound, not malloc-bound.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 4;

/// Caps glibc's arenas; call before any thread starts. An explicit `MALLOC_ARENA_MAX` in the
/// environment wins.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; no thread allocates yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        }
    }
}

/// Hands freed pages of every glibc arena back to the system (`malloc_trim(0)`).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused pages; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_c_heap_memory_leaves_the_resident_set() {
        fn rss_kib() -> u64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
                .unwrap()
        }
        // 64 MiB in small C allocations (below the mmap threshold, so they stay in the heap),
        // touched, then freed: glibc keeps them until trimmed.
        let blocks: Vec<*mut libc::c_void> = (0..16_384)
            .map(|_| {
                // SAFETY: plain malloc/memset of 4 KiB blocks, freed below.
                unsafe {
                    let block = libc::malloc(4096);
                    assert!(!block.is_null());
                    libc::memset(block, 1, 4096);
                    block
                }
            })
            .collect();
        // Keep the last one so the heap's top cannot shrink by itself.
        for &block in &blocks[..blocks.len() - 1] {
            // SAFETY: each block was returned by malloc above and is freed once.
            unsafe { libc::free(block) };
        }
        let before = rss_kib();
        release_freed();
        let after = rss_kib();
        // SAFETY: the last block, freed once.
        unsafe { libc::free(blocks[blocks.len() - 1]) };
        assert!(
            after + 16 * 1024 < before,
            "trim released too little: {before} KiB -> {after} KiB"
        );
    }
}
