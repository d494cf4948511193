//! Memory that goes back to the system once a request is answered (SPEC §7).
//!
//! Each Argon2 hash takes a 19 MiB block. glibc serves a block that size
//! with mmap at first, then raises its mmap threshold to the freed size, so
//! later blocks come from per-thread heaps and stay there: measured, 300
//! sign-ins 50 at a time left the server at ~600 MB although only two hashes
//! ever ran at once. A fixed threshold keeps large blocks on mmap, which
//! frees them back to the system as soon as the hash is done.

/// Blocks from this size up are mapped on their own and unmapped on free.
const MMAP_THRESHOLD: i32 = 1 << 20;

pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; any value is valid.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
