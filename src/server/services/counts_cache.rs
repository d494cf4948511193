//! Counts by state (R25) are one pass over every user in scope: tens of
//! milliseconds at 100,000 users, on every page of the users table. They are
//! kept here until anything changes or `MAX_AGE_MS` passes (SPEC §8).
//!
//! Every service that changes users, invitations or links calls
//! `invalidate` after its commit. A count computed while a change commits
//! carries the older generation and is never served. With several instances
//! on one Postgres, another instance's change shows within `MAX_AGE_MS`
//! (tests/multi_instance.rs).
//!
//! When the counts of a scope are missing, one request computes them and the
//! others asking at the same moment wait for its answer (`get_or_compute`):
//! under load every page asked at once when they expired, and 16 requests
//! each counting 100,000 users cost more than all their pages.

use crate::domain::invitations::StatusCounts;
use std::collections::HashMap;
use std::future::Future;
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
    /// Per scope: held by the request computing its counts.
    turns: HashMap<String, Arc<tokio::sync::Mutex<()>>>,
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
        self.fresh(scope, now, 0)
    }

    /// The cached counts of `scope`, or those `compute` returns, kept for the
    /// next request. Of the requests that miss at once, one computes.
    pub async fn get_or_compute<E, F, Fut>(
        &self,
        scope: &str,
        now: i64,
        compute: F,
    ) -> Result<StatusCounts, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<StatusCounts, E>>,
    {
        if let Some(counts) = self.get(scope, now) {
            return Ok(counts);
        }
        let turn = self.turn(scope);
        let _turn = turn.lock().await;
        // Counted while this request waited, by one whose clock read a
        // little later than `now`: as good.
        if let Some(counts) = self.fresh(scope, now, MAX_AGE_MS) {
            return Ok(counts);
        }
        let generation = self.generation();
        let counts = compute().await?;
        self.put(scope.to_string(), generation, now, counts.clone());
        Ok(counts)
    }

    /// Counts of the current generation, at most `MAX_AGE_MS` old at `now`
    /// and computed at most `ahead` ms after it.
    fn fresh(&self, scope: &str, now: i64, ahead: i64) -> Option<StatusCounts> {
        let state = self.lock();
        let entry = state.entries.get(scope)?;
        let age = now - entry.at;
        (entry.generation == state.generation && (-ahead..MAX_AGE_MS).contains(&age))
            .then(|| entry.counts.clone())
    }

    fn turn(&self, scope: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.lock()
            .turns
            .entry(scope.to_string())
            .or_default()
            .clone()
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

    #[tokio::test]
    async fn r25_one_of_the_requests_that_miss_at_once_counts() {
        let cache = CountsCache::default();
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let asks = (0..8).map(|i| {
            let (cache, computed) = (cache.clone(), computed.clone());
            async move {
                cache
                    .get_or_compute("org", 1_000 + i, || async move {
                        computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<_, ()>(counts(7))
                    })
                    .await
            }
        });
        for answer in futures::future::join_all(asks).await {
            assert_eq!(answer, Ok(counts(7)));
        }
        assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 1);
        cache.invalidate();
        let again = cache
            .get_or_compute("org", 1_001, || async { Ok::<_, ()>(counts(8)) })
            .await;
        assert_eq!(again, Ok(counts(8)), "a change is counted afresh");
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
