//! Live heap bytes of the bench process, counted by `stats_alloc` around the system allocator
//! when built with `--features heap-stats`: separates the engine's live state from what the
//! allocator keeps resident on top of it. Without the feature, nothing is counted.

#[cfg(feature = "heap-stats")]
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

/// Bytes requested and not yet freed, if counted.
#[cfg(feature = "heap-stats")]
pub fn live_bytes() -> Option<i64> {
    let s = GLOBAL.stats();
    // A reallocation already counts its growth as allocated or its shrinking as freed.
    Some(s.bytes_allocated as i64 - s.bytes_deallocated as i64)
}

/// Bytes requested and not yet freed, if counted.
#[cfg(not(feature = "heap-stats"))]
pub fn live_bytes() -> Option<i64> {
    None
}
