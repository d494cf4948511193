//! How times read in the tables: relative ("5 min ago", "in 6 days"), with
//! the exact UTC time for the tooltip. Pure, so server and browser agree.

/// `2026-01-05 09:00 UTC`. Integer arithmetic rather than chrono, which
/// would add its formatter to the browser's download.
pub fn exact_time(ms: i64) -> String {
    let (date, minutes) = split_utc(ms);
    let (year, month, day) = civil_from_days(date);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

/// Clock time only, for "You can resend at 14:32 UTC".
pub fn clock_time(ms: i64) -> String {
    let (_, minutes) = split_utc(ms);
    format!("{:02}:{:02} UTC", minutes / 60, minutes % 60)
}

/// Days since 1970-01-01 and minutes into that day (UTC).
fn split_utc(ms: i64) -> (i64, i64) {
    let minutes = ms.div_euclid(60_000);
    (minutes.div_euclid(1440), minutes.rem_euclid(1440))
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01):
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
        plural(rounded(secs, 3600), "hour")
    } else {
        // Rounded, not cut: a 7-day link made a moment ago reads "in 7 days".
        plural(rounded(secs, 86_400), "day")
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

fn rounded(secs: i64, unit: i64) -> i64 {
    (secs + unit / 2) / unit
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
        assert_eq!(
            relative_time(now + 7 * 86_400_000 - 5_000, now),
            "in 7 days"
        );
        assert_eq!(
            relative_time(now - 3 * 3_600_000 - 40 * 60_000, now),
            "4 hours ago"
        );
        assert_eq!(exact_time(now), "2026-01-05 09:00 UTC");
        assert_eq!(clock_time(now + 15 * 60_000), "09:15 UTC");
    }

    #[test]
    fn exact_times_agree_with_chrono() {
        use chrono::{TimeZone, Utc};
        // Leap days, year ends, before 1970, far ahead.
        let samples = [
            0,
            -1,
            951_782_400_000,
            1_709_164_799_999,
            1_735_689_599_000,
            -2_208_988_800_001,
            4_102_444_800_000,
            1_767_603_600_000,
        ];
        for ms in samples
            .into_iter()
            .chain((0..2_000).map(|i| i * 86_399_937 + 12_345))
        {
            let t = Utc.timestamp_millis_opt(ms).unwrap();
            assert_eq!(
                exact_time(ms),
                t.format("%Y-%m-%d %H:%M UTC").to_string(),
                "{ms}"
            );
            assert_eq!(clock_time(ms), t.format("%H:%M UTC").to_string(), "{ms}");
        }
    }
}
