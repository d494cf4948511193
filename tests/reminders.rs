//! R27: automatic reminders on both databases. A reminder is a resend on the
//! organisation's schedule: a fresh link and an email, once per due day, never
//! within the cooldown, never after acceptance, revocation, deactivation or
//! the link's expiry, and once only with two servers on one database.

mod common;

use common::{
    world::{token_of, World, COOLDOWN_MS},
    TestDb, DAY, MINUTE, T0,
};
use roster::domain::{reminders::ReminderSchedule, AppError};
use roster::server::{repos::reminders, services::reminders::REMINDER_SENDER};

async fn subjects_to(w: &World, email: &str) -> Vec<String> {
    sqlx::query_as::<_, (String,)>(
        "SELECT subject FROM outbox WHERE to_address = $1 ORDER BY created_at, id",
    )
    .bind(email)
    .fetch_all(&w.t.db)
    .await
    .unwrap()
    .into_iter()
    .map(|(subject,)| subject)
    .collect()
}

async fn remind(w: &World, at: i64) -> usize {
    w.engine.send_due_reminders(DAY, at).await.unwrap()
}

/// Off by default; only Org Managers set it; bad days are refused with the
/// reason and change nothing; the change is in the audit log.
async fn r27_the_schedule_is_an_org_managers_setting(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    assert!(e.reminder_schedule(&w.org_manager).await.unwrap().is_off());
    for who in [&w.team_manager, &w.member] {
        assert_eq!(e.reminder_schedule(who).await, Err(AppError::Forbidden));
        assert_eq!(
            e.save_reminder_schedule(who, "2", T0).await,
            Err(AppError::Forbidden)
        );
    }
    let saved = e
        .save_reminder_schedule(&w.org_manager, "5, 2", T0)
        .await
        .unwrap();
    assert_eq!(saved.days(), [2, 5]);
    let refused = e.save_reminder_schedule(&w.org_manager, "2, 40", T0).await;
    assert!(matches!(refused, Err(AppError::Invalid(ref why)) if why.contains("40")));
    assert_eq!(
        e.reminder_schedule(&w.org_manager).await.unwrap(),
        ReminderSchedule::parse("2,5").unwrap()
    );
    // Another organisation's schedule is its own.
    assert!(e
        .reminder_schedule(&w.other_org_manager)
        .await
        .unwrap()
        .is_off());
    let (action, detail): (String, String) = sqlx::query_as(
        "SELECT action, detail FROM audit_log WHERE action = 'set_reminders' ORDER BY at DESC LIMIT 1",
    )
    .fetch_one(&w.t.db)
    .await
    .unwrap();
    assert_eq!(
        (action.as_str(), detail.as_str()),
        ("set_reminders", "days 2, 5")
    );
}

/// Each due day sends one reminder with a fresh link (the old one stops
/// working), in the audit log and the history as sent by the schedule.
async fn r27_reminders_are_resends_on_the_due_days(t: TestDb) {
    let w = World::new(t).await;
    assert_eq!(remind(&w, T0 + 3 * DAY).await, 0, "off: nothing");
    w.engine
        .save_reminder_schedule(&w.org_manager, "2, 5", T0)
        .await
        .unwrap();
    let ida = "ida@example.com";
    let user_id = w.invite(ida, None, T0).await;
    let first_link = w.last_link_emailed_to(ida).await;
    assert_eq!(remind(&w, T0 + 2 * DAY - 1).await, 0);
    assert_eq!(remind(&w, T0 + 2 * DAY).await, 1);
    assert_eq!(remind(&w, T0 + 2 * DAY + MINUTE).await, 0, "day 2 is done");
    assert_eq!(remind(&w, T0 + 5 * DAY).await, 1);
    assert_eq!(remind(&w, T0 + 30 * DAY).await, 0, "no day left");
    let subjects = subjects_to(&w, ida).await;
    assert_eq!(subjects.len(), 3);
    assert!(!subjects[0].starts_with("Reminder: "));
    assert!(subjects[1..].iter().all(|s| s.starts_with("Reminder: ")));
    // R12: the reminder's link replaced the first.
    let newest = w.last_link_emailed_to(ida).await;
    assert_ne!(newest, first_link);
    let old = w
        .engine
        .inspect_link(&token_of(&first_link), T0 + 5 * DAY)
        .await
        .unwrap();
    assert_eq!(old.verdict, roster::domain::rules::LinkVerdict::Superseded);
    let history = w
        .engine
        .user_history(&w.org_manager, &user_id, T0 + 5 * DAY)
        .await
        .unwrap();
    let reminders: Vec<_> = history
        .audit
        .iter()
        .filter(|line| line.action == "remind")
        .collect();
    assert_eq!(reminders.len(), 2);
    assert!(reminders.iter().all(|line| line.actor == REMINDER_SENDER));
    assert_eq!(reminders[0].action_label(), "Sent a reminder");
    assert_eq!(history.emails.len(), 3);
}

/// None within the cooldown of a manager's resend (the day's reminder comes
/// once the cooldown has passed), none after acceptance, revocation or
/// deactivation, none once the working link has expired.
async fn r27_reminders_obey_what_a_resend_obeys(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    e.save_reminder_schedule(&w.org_manager, "2, 8", T0)
        .await
        .unwrap();
    let [cool, accepted, revoked, gone, expired] = [
        "cool@example.com",
        "accepted@example.com",
        "revoked@example.com",
        "gone@example.com",
        "expired@example.com",
    ];
    let cool_id = w.invite(cool, None, T0).await;
    w.invite(accepted, None, T0).await;
    let revoked_id = w.invite(revoked, None, T0).await;
    let gone_id = w.invite(gone, None, T0).await;
    w.invite(expired, None, T0).await;

    e.resend(&w.org_manager, &cool_id, T0 + 2 * DAY - MINUTE)
        .await
        .unwrap();
    let link = w.last_link_emailed_to(accepted).await;
    e.set_password(&token_of(&link), "a fine password", T0 + DAY)
        .await
        .unwrap();
    e.revoke(&w.org_manager, &revoked_id, T0 + DAY)
        .await
        .unwrap();
    e.deactivate(&w.org_manager, &gone_id, T0 + DAY)
        .await
        .unwrap();

    // Day 2: only `expired` (its link is still good) is reminded; `cool`
    // had an email a minute ago.
    assert_eq!(remind(&w, T0 + 2 * DAY).await, 1);
    assert_eq!(subjects_to(&w, expired).await.len(), 2);
    assert_eq!(subjects_to(&w, cool).await.len(), 2);
    // The cooldown over, `cool` gets day 2's reminder.
    assert_eq!(remind(&w, T0 + 2 * DAY - MINUTE + COOLDOWN_MS).await, 1);
    assert_eq!(subjects_to(&w, cool).await.len(), 3);
    for closed in [accepted, revoked, gone] {
        assert_eq!(subjects_to(&w, closed).await.len(), 1, "{closed}");
    }
    // Day 8: `expired`'s day-2 link (7 days) ended on day 9 and still works;
    // at day 10 nobody's link does, and day 8's reminder is not sent late.
    assert_eq!(remind(&w, T0 + 10 * DAY).await, 0);
    assert_eq!(subjects_to(&w, expired).await.len(), 2);
}

/// Two servers on one database, at the same moment: one reminder.
async fn r27_two_servers_send_one_reminder(t: TestDb) {
    let w = World::new(t).await;
    let other = common::world::engine(&w.t);
    w.engine
        .save_reminder_schedule(&w.org_manager, "1", T0)
        .await
        .unwrap();
    let emails: Vec<String> = (0..20).map(|i| format!("twice{i}@example.com")).collect();
    for email in &emails {
        w.invite(email, None, T0).await;
    }
    let at = T0 + DAY;
    let (a, b) = tokio::join!(
        w.engine.send_due_reminders(DAY, at),
        other.send_due_reminders(DAY, at)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 20);
    for email in &emails {
        assert_eq!(subjects_to(&w, email).await.len(), 2, "{email}");
    }
    assert_eq!(remind(&w, at + 2 * COOLDOWN_MS).await, 0);
}

/// The scheduler reads only the invitations whose time has come: after one
/// look at new invitations, nothing until their first day; a deactivated
/// user is dropped, and reactivating them brings reminders back.
async fn r27_the_scheduler_reads_only_what_is_due(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    e.save_reminder_schedule(&w.org_manager, "2, 5", T0)
        .await
        .unwrap();
    let emails: Vec<String> = (0..50).map(|i| format!("due{i}@example.com")).collect();
    for email in &emails {
        w.invite(email, None, T0).await;
    }
    let waiting = |at: i64| {
        let db = w.t.db.clone();
        async move {
            let mut conn = db.acquire().await.unwrap();
            reminders::find_reminder_candidates(&mut conn, at, None, 1_000)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(waiting(T0 + MINUTE).await, 50, "new: looked at once");
    assert_eq!(remind(&w, T0 + MINUTE).await, 0);
    assert_eq!(
        waiting(T0 + 2 * DAY - 1).await,
        0,
        "nothing to read before day 2"
    );
    let paused = w.invite("paused@example.com", None, T0).await;
    e.deactivate(&w.org_manager, &paused, T0 + MINUTE)
        .await
        .unwrap();
    assert_eq!(remind(&w, T0 + 2 * MINUTE).await, 0);
    assert_eq!(remind(&w, T0 + 2 * DAY).await, 50);
    assert_eq!(subjects_to(&w, "paused@example.com").await.len(), 1);
    assert_eq!(waiting(T0 + 5 * DAY - 1).await, 0, "nothing until day 5");
    e.reactivate(&w.org_manager, &paused, T0 + 3 * DAY)
        .await
        .unwrap();
    assert_eq!(
        remind(&w, T0 + 3 * DAY).await,
        1,
        "day 2's, after reactivation"
    );
    assert_eq!(subjects_to(&w, "paused@example.com").await.len(), 2);
    assert_eq!(remind(&w, T0 + 5 * DAY).await, 51);
    assert_eq!(waiting(T0 + 30 * DAY).await, 0, "no day left: never again");
    // Off: nobody is looked at; on again: every open invitation once.
    e.save_reminder_schedule(&w.org_manager, "", T0 + 6 * DAY)
        .await
        .unwrap();
    e.save_reminder_schedule(&w.org_manager, "9", T0 + 6 * DAY)
        .await
        .unwrap();
    assert_eq!(waiting(T0 + 6 * DAY).await, 51);
    // A scan that planned with the schedule as it was (off) does not undo
    // the save that came in between.
    let (id, at): (String, i64) = sqlx::query_as(
        "SELECT id, next_reminder_at FROM invitations WHERE next_reminder_at IS NOT NULL LIMIT 1",
    )
    .fetch_one(&w.t.db)
    .await
    .unwrap();
    reminders::reschedule(&w.t.db, &[id.as_str()], at, None, "")
        .await
        .unwrap();
    assert_eq!(waiting(T0 + 6 * DAY).await, 51);
}

on_both_databases!(
    r27_the_scheduler_reads_only_what_is_due,
    r27_the_schedule_is_an_org_managers_setting,
    r27_reminders_are_resends_on_the_due_days,
    r27_reminders_obey_what_a_resend_obeys,
    r27_two_servers_send_one_reminder,
);
