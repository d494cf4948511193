//! Counts by state (R25) are one pass over every user in scope: tens of
//! milliseconds at 100,000 users, on every page of the users table. They are
//! kept here until anything changes or `MAX_AGE_MS` passes (SPEC §8).
//!
//! Every service that changes users, invitations or links calls
//! `invalidate` after its commit. A count computed while a change commits
//! carries the older generation and is never served. With several instances
//! on one Postgres, another instance's change shows within `MAX_AGE_MS`
//! (tests/multi_instance.rs).

use crate::domain::invitations::StatusCounts;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Also bounds how late the Expired / Expiring soon counts follow the clock.
/// SPEC §8 allows 2 s for another instance's change to show; a page asked
/// for just before the cached counts expire is answered a little later, so
/// they expire with room to spare.
pub const MAX_AGE_MS: i64 = 1_500;

#[derive(Clone, Default)]
pub struct CountsCache {
    inner: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    generation: u64,
    entries: HashMap<String, Entry>,
}

struct Entry {
    generation: u64,
    at: i64,
    counts: StatusCounts,
}

impl CountsCache {
    /// The generation to hand back to `put` with counts computed from now on.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    pub fn get(&self, scope: &str, now: i64) -> Option<StatusCounts> {
        let state = self.lock();
        let entry = state.entries.get(scope)?;
        let age = now - entry.at;
        (entry.generation == state.generation && (0..MAX_AGE_MS).contains(&age))
            .then(|| entry.counts.clone())
    }

    pub fn put(&self, scope: String, generation: u64, now: i64, counts: StatusCounts) {
        let mut state = self.lock();
        if generation == state.generation {
            state.entries.insert(
                scope,
                Entry {
                    generation,
                    at: now,
                    counts,
                },
            );
        }
    }

    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain data: a panic elsewhere cannot leave it half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(all: i64) -> StatusCounts {
        StatusCounts {
            all,
            ..Default::default()
        }
    }

    #[test]
    fn r25_served_until_a_change_or_max_age() {
        let cache = CountsCache::default();
        let g = cache.generation();
        cache.put("org".into(), g, 1_000, counts(7));
        assert_eq!(cache.get("org", 1_000 + MAX_AGE_MS - 1), Some(counts(7)));
        assert_eq!(cache.get("org", 1_000 + MAX_AGE_MS), None);
        assert_eq!(cache.get("org", 999), None, "a clock that went back");
        cache.invalidate();
        assert_eq!(cache.get("org", 1_000), None);
    }

    #[test]
    fn r25_counts_computed_across_a_change_are_not_kept() {
        let cache = CountsCache::default();
        let g = cache.generation();
        cache.invalidate(); // a change commits while the counts are computed
        cache.put("org".into(), g, 1_000, counts(7));
        assert_eq!(cache.get("org", 1_000), None);
    }
}
