//! When to try again after a failed delivery, emails (R20) and webhooks
//! alike: exponential back-off, for a day after the thing was queued.

/// How long a delivery is retried before it fails for good (an outage of a
/// few hours, a night, loses nothing).
pub const RETRY_FOR_MS: i64 = 24 * 3_600_000;

/// Back-off after the `attempt`-th failure: 5 s, 10 s, 20 s … capped at 1 h.
pub fn retry_delay_ms(attempt: i64) -> i64 {
    let exponent = attempt.clamp(1, 20) - 1;
    (5_000i64 << exponent).min(3_600_000)
}

/// When to try a failed delivery again, or `None` once a day since it was
/// queued has gone by (then managers see it failed).
pub fn next_try_at(created_at: i64, now: i64, attempt: i64) -> Option<i64> {
    let at = now + retry_delay_ms(attempt);
    (at <= created_at + RETRY_FOR_MS).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::{next_try_at, retry_delay_ms, RETRY_FOR_MS};

    #[test]
    fn retries_go_on_for_a_day_then_stop() {
        let queued = 1_000_000;
        assert_eq!(next_try_at(queued, queued, 1), Some(queued + 5_000));
        // Twelve attempts (the old limit) are only about two and a half hours in.
        let mut now = queued;
        let mut attempt = 1;
        while let Some(at) = next_try_at(queued, now, attempt) {
            now = at;
            attempt += 1;
        }
        assert!(attempt > 12, "{attempt} attempts");
        assert!(now > queued + RETRY_FOR_MS - 3_600_000 && now <= queued + RETRY_FOR_MS);
    }

    #[test]
    fn r20_back_off_doubles_and_is_capped() {
        assert_eq!(retry_delay_ms(1), 5_000);
        assert_eq!(retry_delay_ms(2), 10_000);
        assert_eq!(retry_delay_ms(5), 80_000);
        assert_eq!(retry_delay_ms(11), 3_600_000);
        assert_eq!(retry_delay_ms(50), 3_600_000);
    }
}
