//! Keeps memory that was freed from staying resident once a daemon goes idle.
//!
//! librdkafka and RocksDB allocate with glibc's malloc, which gives each busy thread an arena
//! of its own and keeps freed pages in it: with ten queries' clients (about 170 threads) a
//! daemon that had just read a backlog stayed at 420 MiB when idle, of which `malloc_trim`
//! released 257 MiB (measured on the W5 benchmark, see `benches/README.md`). So arenas are
//! capped at startup and freed pages are handed back every few seconds ([`release_freed`]).
//!
//! Rust's allocations go to mimalloc (the binary's global allocator), built without
//! transparent huge pages (the `no_thp` feature): with them, its arenas were backed by 2 MiB
//! pages of which an idle daemon used little, and idle W5 sat at 126 MiB instead of 82 MiB.
//! mimalloc's heaps are per thread and a stream thread keeps the pages it emptied for its next
//! records; only that thread can hand them back, so each stream thread calls
//! [`release_thread_cache`] when it has been idle for a while (on the THP build, doing that on
//! every thread of an idle W5 daemon through gdb released 9 of mimalloc's 42 MiB). Elsewhere
//! than glibc the glibc calls do nothing; without mimalloc as the allocator
//! `release_thread_cache` finds nothing to release.

use std::time::Duration;

/// How often freed C-library memory is handed back to the system, and how often an idle
/// stream thread hands back its own.
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

/// Hands the pages the calling thread's mimalloc heap keeps for reuse back to the system.
/// Costs a walk over that heap's pages: call it when the thread is idle, not per record.
pub fn release_thread_cache() {
    // SAFETY: mi_collect only frees and purges pages the calling thread's heap owns and no
    // live allocation uses; it takes no pointers.
    unsafe {
        libmimalloc_sys::mi_collect(false);
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
