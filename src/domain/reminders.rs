//! R27: an organisation's reminder schedule, and which reminder is due.
//! Pure: the scheduler in `server::services::reminders` asks, the database
//! decides who sends (one row per reminder sent).

use super::AppError;
use serde::{Deserialize, Serialize};

/// Days after the invitation on which Invited users are reminded, ascending;
/// empty when reminders are off (the default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSchedule {
    days: Vec<u32>,
}

impl ReminderSchedule {
    /// Reminders at most per invitation: more would be nagging.
    pub const MOST: usize = 5;
    /// The last day a reminder may be set for.
    pub const LAST_DAY: u32 = 30;

    /// What a manager typed: days as whole numbers separated by commas or
    /// spaces ("2, 5"), in any order; empty turns reminders off.
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let mut days = Vec::new();
        for part in text.split([',', ' ', ';']).filter(|p| !p.trim().is_empty()) {
            let day: u32 = part.trim().parse().map_err(|_| {
                AppError::invalid(format!(
                    "“{}” is not a day: type whole numbers of days, like 2, 5.",
                    part.trim()
                ))
            })?;
            if day == 0 || day > Self::LAST_DAY {
                return Err(AppError::invalid(format!(
                    "Reminder days are from 1 to {}; {day} is not.",
                    Self::LAST_DAY
                )));
            }
            days.push(day);
        }
        days.sort_unstable();
        days.dedup();
        if days.len() > Self::MOST {
            return Err(AppError::invalid(format!(
                "At most {} reminders per invitation.",
                Self::MOST
            )));
        }
        Ok(ReminderSchedule { days })
    }

    /// As stored: "2,5", or "" when off.
    pub fn to_db(&self) -> String {
        self.days
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// As stored; what could not be read is left out (the column is only
    /// ever written from `to_db`).
    pub fn from_db(text: &str) -> Self {
        let mut days: Vec<u32> = text
            .split(',')
            .filter_map(|d| d.trim().parse().ok())
            .filter(|d| (1..=Self::LAST_DAY).contains(d))
            .collect();
        days.sort_unstable();
        days.dedup();
        ReminderSchedule { days }
    }

    pub fn is_off(&self) -> bool {
        self.days.is_empty()
    }

    pub fn days(&self) -> &[u32] {
        &self.days
    }

    /// "2, 5" for the settings form.
    pub fn to_text(&self) -> String {
        self.to_db().replace(',', ", ")
    }

    /// The step (index into the days) of the reminder to send now, if any:
    /// the latest day that has come since `first_sent_at`, when no reminder
    /// for it or a later day was sent. Days missed while the server was
    /// down give one reminder, not one each.
    pub fn due_step(
        &self,
        first_sent_at: i64,
        day_ms: i64,
        now: i64,
        last_step_sent: Option<u32>,
    ) -> Option<u32> {
        let passed = self
            .days
            .iter()
            .take_while(|day| first_sent_at + i64::from(**day) * day_ms <= now)
            .count() as u32;
        let latest = passed.checked_sub(1)?;
        match last_step_sent {
            Some(sent) if sent >= latest => None,
            _ => Some(latest),
        }
    }
}

/// What the scheduler does with an open invitation whose time has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderPlan {
    /// Send reminder `step` (the sending sets the next look, the next
    /// day's time, with the schedule it commits with).
    Send { step: u32 },
    /// Nothing now: look again at this time, or never.
    LookAgain(Option<i64>),
}

impl ReminderSchedule {
    /// When step `step` (an index into the days) falls due.
    pub fn step_at(&self, first_sent_at: i64, day_ms: i64, step: u32) -> Option<i64> {
        let day = self.days.get(step as usize)?;
        Some(first_sent_at + i64::from(*day) * day_ms)
    }

    /// The reminder due now, if the cooldown since the last email allows it
    /// (else look again when it ends), or when the next one falls due.
    pub fn plan(
        &self,
        first_sent_at: i64,
        last_sent_at: i64,
        last_step_sent: Option<u32>,
        day_ms: i64,
        cooldown_ms: i64,
        now: i64,
    ) -> ReminderPlan {
        match self.due_step(first_sent_at, day_ms, now, last_step_sent) {
            Some(_) if now < last_sent_at + cooldown_ms => {
                ReminderPlan::LookAgain(Some(last_sent_at + cooldown_ms))
            }
            Some(step) => ReminderPlan::Send { step },
            None => {
                let next = last_step_sent.map_or(0, |sent| sent + 1);
                ReminderPlan::LookAgain(self.step_at(first_sent_at, day_ms, next))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r27_a_schedule_is_typed_as_days() {
        assert_eq!(ReminderSchedule::parse("2, 5").unwrap().days(), [2, 5]);
        assert_eq!(ReminderSchedule::parse(" 5 2 5 ").unwrap().days(), [2, 5]);
        assert!(ReminderSchedule::parse("").unwrap().is_off());
        assert!(ReminderSchedule::parse(" , ").unwrap().is_off());
        for bad in ["two", "0", "31", "2.5", "-1", "1,2,3,4,5,6"] {
            let error = ReminderSchedule::parse(bad).unwrap_err();
            assert!(matches!(error, AppError::Invalid(_)), "{bad}: {error:?}");
        }
        let schedule = ReminderSchedule::parse("5,2").unwrap();
        assert_eq!(schedule.to_db(), "2,5");
        assert_eq!(schedule.to_text(), "2, 5");
        assert_eq!(ReminderSchedule::from_db("2,5"), schedule);
        assert!(ReminderSchedule::from_db("").is_off());
    }

    #[test]
    fn r27_the_latest_day_passed_is_due_once() {
        let day = 1000;
        let s = ReminderSchedule::parse("2, 5").unwrap();
        assert_eq!(s.due_step(0, day, 1999, None), None);
        assert_eq!(s.due_step(0, day, 2000, None), Some(0));
        assert_eq!(s.due_step(0, day, 4999, Some(0)), None);
        assert_eq!(s.due_step(0, day, 5000, Some(0)), Some(1));
        assert_eq!(s.due_step(0, day, 9000, Some(1)), None);
        // Both days passed while nothing was sent: one reminder, the later.
        assert_eq!(s.due_step(0, day, 6000, None), Some(1));
        assert_eq!(
            ReminderSchedule::default().due_step(0, day, 1_000_000, None),
            None
        );
    }

    #[test]
    fn r27_the_plan_says_what_to_send_and_when_to_look_again() {
        use ReminderPlan::*;
        let (day, cooldown) = (1000, 100);
        let s = ReminderSchedule::parse("2, 5").unwrap();
        assert_eq!(
            s.plan(0, 0, None, day, cooldown, 500),
            LookAgain(Some(2000))
        );
        assert_eq!(s.plan(0, 0, None, day, cooldown, 2000), Send { step: 0 });
        // Resent a moment ago: after the cooldown.
        assert_eq!(
            s.plan(0, 1950, None, day, cooldown, 2000),
            LookAgain(Some(2050))
        );
        assert_eq!(
            s.plan(0, 2000, Some(0), day, cooldown, 2001),
            LookAgain(Some(5000))
        );
        assert_eq!(
            s.plan(0, 2000, Some(0), day, cooldown, 5000),
            Send { step: 1 }
        );
        assert_eq!(
            s.plan(0, 5000, Some(1), day, cooldown, 9000),
            LookAgain(None)
        );
        // Both days missed: one reminder, the later, and nothing after it.
        assert_eq!(s.plan(0, 0, None, day, cooldown, 6000), Send { step: 1 });
        assert_eq!(
            ReminderSchedule::default().plan(0, 0, None, day, cooldown, 6000),
            LookAgain(None)
        );
    }
}
