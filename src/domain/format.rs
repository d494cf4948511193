//! How times read in the tables: relative ("5 min ago", "in 6 days"), with
//! the exact UTC time for the tooltip. Pure, so server and browser agree.

use chrono::{TimeZone, Utc};

pub fn exact_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Clock time only, for "You can resend at 14:32 UTC".
pub fn clock_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_default()
}

pub fn relative_time(ms: i64, now: i64) -> String {
    let delta = (ms - now) / 1000;
    let future = delta > 0;
    let secs = delta.abs();
    let amount = if secs < 60 {
        return if future {
            "in a moment".into()
        } else {
            "just now".into()
        };
    } else if secs < 3600 {
        format!("{} min", secs / 60)
    } else if secs < 86_400 {
        plural(secs / 3600, "hour")
    } else {
        plural(secs / 86_400, "day")
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_767_603_600_000;
        assert_eq!(relative_time(now - 30_000, now), "just now");
        assert_eq!(relative_time(now - 5 * 60_000, now), "5 min ago");
        assert_eq!(relative_time(now - 3 * 3_600_000, now), "3 hours ago");
        assert_eq!(relative_time(now + 6 * 86_400_000 + 1000, now), "in 6 days");
        assert_eq!(relative_time(now + 86_400_000 + 1000, now), "in 1 day");
        assert_eq!(exact_time(now), "2026-01-05 09:00 UTC");
        assert_eq!(clock_time(now + 15 * 60_000), "09:15 UTC");
    }
}
