//! Email delivery (R19–R22) through a real SMTP server process and to files.

mod common;

use common::{
    smtp::{free_port, invitation_link, SmtpSink},
    world::{token_of, World},
    TestDb, MINUTE, T0,
};
use roster::domain::{
    history::EmailHistory,
    invitations::{InviteRequest, UserListRow, UserQuery},
    rules::LinkVerdict,
};
use roster::server::{
    mail::{worker::OutboxWorker, Mailer},
    now_ms,
    repos::outbox,
    retry::RETRY_FOR_MS,
};
use std::time::{Duration, Instant};

fn worker(w: &World, mailer: Mailer) -> OutboxWorker {
    OutboxWorker {
        db: w.t.db.clone(),
        mailer,
        from: "roster@roster.test".into(),
        wake: w.engine.outbox_wake.clone(),
    }
}

fn mail_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join("roster-tests")
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()))
}

async fn invite(w: &World, email: &str) {
    let request = InviteRequest {
        email: email.into(),
        name: "Ada <b>Lovelace</b>".into(),
        team_ids: vec![],
    };
    w.engine
        .invite(&w.org_manager, request, now_ms())
        .await
        .unwrap();
}

/// R6, R19, R22: an invitation goes through a real SMTP server with a text
/// and an HTML part; its link opens the registration flow.
async fn r19_invitation_delivered_over_smtp_and_its_link_works(t: TestDb) {
    let w = World::new(t).await;
    let sink = SmtpSink::start(free_port(), mail_dir("smtp")).await;
    let mailer = Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    invite(&w, "ada@example.com").await;
    assert_eq!(worker(&w, mailer).run_once().await.unwrap(), 1);
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 1);
    let raw = &messages[0];
    assert!(raw.contains("To: ada@example.com"));
    assert!(raw.contains("From: Roster <roster@roster.test>"));
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    let link = invitation_link(raw);
    assert!(link.starts_with("http://roster.test/invite/"), "{link}");
    let view = w
        .engine
        .inspect_link(&token_of(&link), now_ms())
        .await
        .unwrap();
    assert_eq!(view.verdict, LinkVerdict::Usable);
    // R21: the attempt is recorded with the SMTP server's reply.
    use sqlx::Row;
    let reply: String = sqlx::query("SELECT reply FROM delivery_attempts")
        .fetch_one(&w.t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(
        reply.starts_with("250") && reply.contains("Queued as"),
        "{reply}"
    );
}

/// The value of a raw message's top-level header `name` (case-insensitive).
fn header(raw: &str, name: &str) -> Option<String> {
    raw.lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
}

async fn outbox_ids(w: &World) -> Vec<String> {
    use sqlx::Row;
    sqlx::query("SELECT id FROM outbox ORDER BY to_address")
        .fetch_all(&w.t.db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect()
}

/// R22 (deliverability): what arrives at the SMTP server carries a
/// `Message-ID` at the sender's domain, one per email and the same on a
/// retry of that email, and `Auto-Submitted: auto-generated` (RFC 3834).
async fn r22_emails_carry_message_id_and_auto_submitted(t: TestDb) {
    let w = World::new(t).await;
    let sink = SmtpSink::start(free_port(), mail_dir("headers")).await;
    let mailer = Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    invite(&w, "ada@example.com").await;
    invite(&w, "bob@example.com").await;
    let worker = worker(&w, mailer);
    assert_eq!(worker.run_once().await.unwrap(), 2);
    let messages = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 2);
    let mut ids = Vec::new();
    for raw in &messages {
        assert_eq!(
            header(raw, "Auto-Submitted").as_deref(),
            Some("auto-generated"),
            "{raw}"
        );
        let id = header(raw, "Message-ID").unwrap_or_else(|| panic!("no Message-ID: {raw}"));
        let (local, domain) = id
            .strip_prefix('<')
            .and_then(|id| id.strip_suffix('>'))
            .and_then(|id| id.split_once('@'))
            .unwrap_or_else(|| panic!("malformed Message-ID {id}"));
        assert!(!local.is_empty(), "{id}");
        assert_eq!(domain, "roster.test", "at the sender's domain: {id}");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "each email has its own Message-ID");
    // Derived from the outbox row, so a retry keeps it.
    let mut expected: Vec<String> = outbox_ids(&w)
        .await
        .iter()
        .map(|id| format!("<{id}@roster.test>"))
        .collect();
    expected.sort();
    ids.sort();
    assert_eq!(ids, expected);

    // A retry of an email the server did get (its reply was lost, say):
    // the copy carries the same Message-ID, so the receiver can drop it.
    let ada = messages
        .iter()
        .find(|m| header(m, "To").as_deref() == Some("ada@example.com"))
        .unwrap();
    sqlx::query(
        "UPDATE outbox SET status = 'queued', next_attempt_at = 0, claimed_until = 0
         WHERE to_address = 'ada@example.com'",
    )
    .execute(&w.t.db)
    .await
    .unwrap();
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let messages = sink.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 3);
    let copies: Vec<_> = messages
        .iter()
        .filter(|m| header(m, "To").as_deref() == Some("ada@example.com"))
        .map(|m| header(m, "Message-ID"))
        .collect();
    assert_eq!(copies.len(), 2);
    assert!(
        copies.iter().all(|id| *id == header(ada, "Message-ID")),
        "{copies:?}"
    );
}

/// R20: with the SMTP server down, 100 invitations wait in the outbox and
/// the failed attempts are recorded; once it is back, all 100 arrive, none twice.
async fn r20_smtp_outage_loses_nothing_and_sends_nothing_twice(t: TestDb) {
    let w = World::new(t).await;
    let port = free_port();
    let dir = mail_dir("outage");
    let mailer =
        Mailer::from_config(Some(&format!("smtp://127.0.0.1:{port}")), "unused".into()).unwrap();
    for i in 0..100 {
        invite(&w, &format!("user{i:03}@example.com")).await;
    }
    let worker = worker(&w, mailer);
    worker.run_once().await.unwrap();
    assert_eq!(
        outbox::count_by_status(&w.t.db, "queued").await.unwrap(),
        100,
        "nothing lost while the server is down"
    );
    use sqlx::Row;
    let failures: i64 = sqlx::query("SELECT COUNT(*) FROM delivery_attempts WHERE succeeded = 0")
        .fetch_one(&w.t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(
        failures >= 64,
        "each failed attempt is recorded ({failures})"
    );

    let sink = SmtpSink::start(port, dir).await;
    // Retries are due after the back-off; make them due now rather than sleep.
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(&w.t.db)
        .await
        .unwrap();
    for _ in 0..20 {
        if worker.run_once().await.unwrap() == 0 {
            break;
        }
    }
    let messages = sink.wait_for(100, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 100);
    let mut recipients: Vec<String> = messages
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("To: "))
                .unwrap()
                .to_string()
        })
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 100, "every recipient exactly once");
    assert_eq!(outbox::count_by_status(&w.t.db, "sent").await.unwrap(), 100);
}

/// An invitation email still queued (SMTP down) when its invitation is
/// revoked or accepted, or its user deactivated, is not sent once SMTP is
/// back: its link would be dead. The manager sees why in the history.
async fn queued_emails_of_closed_invitations_are_not_sent(t: TestDb) {
    let w = World::new(t).await;
    let port = free_port();
    let mailer =
        Mailer::from_config(Some(&format!("smtp://127.0.0.1:{port}")), "unused".into()).unwrap();
    for who in ["keep", "revoked", "gone"] {
        invite(&w, &format!("{who}@example.com")).await;
    }
    let worker = worker(&w, mailer);
    worker.run_once().await.unwrap(); // SMTP is down: all three wait
    let revoked = user_id_of(&w, "revoked@example.com").await;
    w.engine
        .revoke(&w.org_manager, &revoked, now_ms())
        .await
        .unwrap();
    // A copied link registers "gone" while the email waits: then deactivated.
    let gone = user_id_of(&w, "gone@example.com").await;
    sqlx::query("UPDATE users SET status = 'deactivated' WHERE id = $1")
        .bind(&gone)
        .execute(&w.t.db)
        .await
        .unwrap();

    let sink = SmtpSink::start(port, mail_dir("closed")).await;
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(&w.t.db)
        .await
        .unwrap();
    for _ in 0..5 {
        if worker.run_once().await.unwrap() == 0 {
            break;
        }
    }
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = if sink.messages().len() > messages.len() {
        sink.messages()
    } else {
        messages
    };
    assert_eq!(
        messages.len(),
        1,
        "only the open invitation's email goes out"
    );
    assert!(
        messages[0].contains("To: keep@example.com"),
        "{}",
        messages[0]
    );
    use sqlx::Row;
    let reasons: Vec<String> =
        sqlx::query("SELECT last_result FROM outbox WHERE status = 'failed' ORDER BY to_address")
            .fetch_all(&w.t.db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
    assert_eq!(
        reasons,
        [
            "Not sent: the user was deactivated before delivery.",
            "Not sent: the invitation was revoked before delivery."
        ]
    );
}

/// The database refuses writes for longer than its busy timeout (10 s) just
/// while an SMTP reply is pending: the attempt is still recorded once the
/// database is back, and the email is not sent a second time.
async fn a_delivery_is_recorded_after_a_long_database_lock(t: TestDb) {
    use sqlx::{Connection, Executor, Row};
    let w = World::new(t).await;
    let sink = SmtpSink::start_with_reply_delay(free_port(), mail_dir("slow"), 1500).await;
    let mailer = Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    invite(&w, "ada@example.com").await;
    let worker = worker(&w, mailer);
    let sending = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run_once().await }
    });
    sink.wait_for(1, Duration::from_secs(10)).await; // out, reply pending
    let mut blocker = sqlx::AnyConnection::connect(&w.t.url).await.unwrap();
    if w.t.url.starts_with("sqlite:") {
        blocker.execute("BEGIN IMMEDIATE").await.unwrap();
    } else {
        blocker.execute("BEGIN").await.unwrap();
        blocker
            .execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(12)).await;
    blocker.execute("ROLLBACK").await.unwrap();
    sending.await.unwrap().unwrap();

    assert_eq!(outbox::count_by_status(&w.t.db, "sent").await.unwrap(), 1);
    let attempts: i64 = sqlx::query("SELECT COUNT(*) FROM delivery_attempts WHERE succeeded = 1")
        .fetch_one(&w.t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(attempts, 1, "the delivery is in the history");
    // Recorded as sent: nothing is due, nothing goes out again.
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 1);
}

/// R19: with no SMTP server configured, emails are written as .eml files.
async fn r19_without_smtp_emails_are_written_to_files(t: TestDb) {
    let w = World::new(t).await;
    let dir = mail_dir("files");
    invite(&w, "ada@example.com").await;
    worker(&w, Mailer::Files(dir.clone()))
        .run_once()
        .await
        .unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(files[0].path().extension().unwrap() == "eml");
    assert!(invitation_link(&raw).contains("/invite/"));
    // R22: names are escaped in the HTML part.
    assert!(!raw.contains("<b>Lovelace</b>") || raw.contains("&lt;b&gt;"));
    // R22: the file is the same message SMTP would carry, headers included.
    assert_eq!(
        header(&raw, "Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let outbox_id = outbox_ids(&w).await.remove(0);
    assert_eq!(
        header(&raw, "Message-ID"),
        Some(format!("<{outbox_id}@roster.test>"))
    );
}

/// R21: the detail panel lists each email with every delivery attempt: the
/// refused connection while the server is down, then the server's 250 reply.
async fn r21_user_history_shows_every_delivery_attempt_and_reply(t: TestDb) {
    let w = World::new(t).await;
    let port = free_port();
    let mailer =
        Mailer::from_config(Some(&format!("smtp://127.0.0.1:{port}")), "unused".into()).unwrap();
    invite(&w, "ada@example.com").await;
    let worker = worker(&w, mailer);
    worker.run_once().await.unwrap();
    let _sink = SmtpSink::start(port, mail_dir("history")).await;
    sqlx::query("UPDATE outbox SET next_attempt_at = 0")
        .execute(&w.t.db)
        .await
        .unwrap();
    assert_eq!(worker.run_once().await.unwrap(), 1);

    let user_id = user_id_of(&w, "ada@example.com").await;
    let history = w
        .engine
        .user_history(&w.org_manager, &user_id, now_ms())
        .await
        .unwrap();
    assert_eq!(history.email, "ada@example.com");
    assert_eq!(history.invitations.len(), 1);
    assert_eq!(history.invitations[0].invited_by, "Olive Org");
    assert_eq!(history.invitations[0].links.len(), 1);
    assert_eq!(history.emails.len(), 1);
    let email = &history.emails[0];
    assert_eq!(email.status, "sent");
    assert_eq!(email.attempts.len(), 2, "{:?}", email.attempts);
    assert!(!email.attempts[0].succeeded);
    assert!(!email.attempts[0].reply.is_empty());
    assert!(email.attempts[1].succeeded);
    assert!(
        email.attempts[1].reply.starts_with("250"),
        "{}",
        email.attempts[1].reply
    );
    assert_eq!(history.audit.len(), 1);
    assert_eq!(history.audit[0].action, "invite");
    assert_eq!(history.audit[0].actor, "Olive Org");

    // R1, R2: the same rights as acting on the user.
    for outsider in [&w.team_manager, &w.member, &w.other_org_manager] {
        assert_eq!(
            w.engine.user_history(outsider, &user_id, now_ms()).await,
            Err(roster::domain::AppError::Forbidden)
        );
    }
}

/// R20, R21 with a slow SMTP server (each 250 comes 1.5 s after the
/// message): passes of the worker, and of a second instance, while the
/// replies are pending send nothing again (the emails are leased); each email
/// arrives once and its one attempt is recorded as accepted, with the reply.
async fn r20_slow_smtp_sends_each_email_once(t: TestDb) {
    let w = World::new(t).await;
    let sink = SmtpSink::start_with_reply_delay(free_port(), mail_dir("slow-smtp"), 1500).await;
    let mailer = || Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    let emails = ["ada@example.com", "bob@example.com", "cy@example.com"];
    let mut users = Vec::new();
    for email in emails {
        users.push(w.invite(email, None, now_ms()).await);
    }
    let other_instance = worker(&w, mailer());
    let worker = worker(&w, mailer());
    let started = Instant::now();
    let sending = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run_once().await }
    });
    assert_eq!(sink.wait_for(3, Duration::from_secs(10)).await.len(), 3);
    assert!(!sending.is_finished(), "the replies are still pending");
    assert_eq!(worker.run_once().await.unwrap(), 0, "nothing is due twice");
    assert_eq!(other_instance.run_once().await.unwrap(), 0);
    assert_eq!(sending.await.unwrap().unwrap(), 3);
    assert!(started.elapsed() >= Duration::from_millis(1500));

    assert_eq!(worker.run_once().await.unwrap(), 0, "all recorded as sent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut recipients: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| header(m, "To").unwrap())
        .collect();
    recipients.sort();
    assert_eq!(recipients, emails, "each email exactly once");
    assert_eq!(outbox::count_by_status(&w.t.db, "sent").await.unwrap(), 3);
    for user in &users {
        let history = emails_of(&w, user).await;
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].status, "sent");
        let attempts = &history[0].attempts;
        assert_eq!(attempts.len(), 1, "{attempts:?}");
        assert!(attempts[0].succeeded);
        assert!(
            attempts[0].reply.starts_with("250") && attempts[0].reply.contains("Queued as"),
            "{}",
            attempts[0].reply
        );
    }
}

/// R20, R21 with an SMTP server that refuses: a 451 is recorded with its
/// reply and retried after a back-off; the 550 that follows fails the email
/// for good (no more attempts), its reply in the user's history. Nothing
/// reached the server's mailbox, so nothing can have been sent twice.
async fn r20_smtp_refusals_retry_on_4xx_and_fail_for_good_on_5xx(t: TestDb) {
    let w = World::new(t).await;
    let sink = SmtpSink::start_refusing(free_port(), mail_dir("refusing"), &[451, 550]).await;
    let mailer = Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    let ada = w.invite("ada@example.com", None, now_ms()).await;
    let worker = worker(&w, mailer);

    assert_eq!(worker.run_once().await.unwrap(), 1);
    let email = emails_of(&w, &ada).await.remove(0);
    assert_eq!(email.status, "queued", "a 4xx is worth another try");
    assert_eq!(email.status_label(), "Retrying");
    assert_eq!(email.attempts.len(), 1);
    assert!(!email.attempts[0].succeeded);
    let reply = &email.attempts[0].reply;
    assert!(
        reply.contains("451") && reply.contains("Try again later (message 1)"),
        "{reply}"
    );
    // Not retried at once: its next try waits for the back-off.
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(outbox::skip_back_off(&w.t.db, now_ms()).await.unwrap(), 1);

    assert_eq!(worker.run_once().await.unwrap(), 1);
    let email = emails_of(&w, &ada).await.remove(0);
    assert_eq!(email.status, "failed", "a 5xx will never work");
    assert_eq!(
        email.status_label(),
        "Not delivered: the mail server refused it, or retries ran out. Resend to try again."
    );
    assert_eq!(email.attempts.len(), 2);
    assert!(!email.attempts[1].succeeded);
    let reply = &email.attempts[1].reply;
    assert!(
        reply.contains("550") && reply.contains("Mailbox unavailable (message 2)"),
        "{reply}"
    );
    // No further attempt, now or later.
    assert_eq!(outbox::skip_back_off(&w.t.db, now_ms()).await.unwrap(), 0);
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(emails_of(&w, &ada).await[0].attempts.len(), 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.messages().is_empty(), "refused mail is not delivered");
}

/// R20: an email is retried for a day after it was queued (RETRY_FOR_MS),
/// then failed for good with the last reason; one queued 23 hours ago is
/// still retried, and delivered once the server accepts.
async fn r20_retries_give_up_a_day_after_queueing(t: TestDb) {
    let w = World::new(t).await;
    let sink = SmtpSink::start_refusing(free_port(), mail_dir("day"), &[451; 4]).await;
    let mailer = Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    let now = now_ms();
    // The day runs out 9 s from now: a first retry 5 s after a failure
    // fits, a second (10 s after) does not.
    let old = w
        .invite("old@example.com", None, now - RETRY_FOR_MS + 9_000)
        .await;
    let young = w
        .invite("young@example.com", None, now - RETRY_FOR_MS + 60 * MINUTE)
        .await;
    let worker = worker(&w, mailer);

    assert_eq!(worker.run_once().await.unwrap(), 2);
    assert_eq!(emails_of(&w, &old).await[0].status, "queued");
    assert_eq!(outbox::skip_back_off(&w.t.db, now_ms()).await.unwrap(), 2);
    assert_eq!(worker.run_once().await.unwrap(), 2);

    let email = emails_of(&w, &old).await.remove(0);
    assert_eq!(email.status, "failed", "a day after queueing: {email:?}");
    assert_eq!(email.attempts.len(), 2);
    let last = &email.attempts[1].reply;
    assert!(
        last.contains("451") && last.contains("Try again later"),
        "{last}"
    );
    assert_ne!(last, &email.attempts[0].reply, "the last reason is kept");
    let listed = row_of(&w, &old).await;
    assert_eq!(listed.email_failure.as_ref(), Some(last));

    let email = emails_of(&w, &young).await.remove(0);
    assert_eq!(email.status, "queued", "retried within its day: {email:?}");
    assert_eq!(outbox::skip_back_off(&w.t.db, now_ms()).await.unwrap(), 1);
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(emails_of(&w, &young).await[0].status, "sent");
    assert_eq!(worker.run_once().await.unwrap(), 0);
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(
        header(&messages[0], "To").as_deref(),
        Some("young@example.com")
    );
}

/// R21: the users table marks an Invited user whose newest invitation email
/// failed for good, with the reason; a resend (a newer email) clears it.
async fn r21_users_table_marks_a_failed_invitation_email_until_a_resend(t: TestDb) {
    let w = World::new(t).await;
    let sink = SmtpSink::start_refusing(free_port(), mail_dir("marked"), &[550]).await;
    let mailer = Mailer::from_config(Some(&sink.url()), "unused".into()).unwrap();
    let worker = worker(&w, mailer);
    // Invited 20 minutes ago, so a resend now is past the cooldown.
    let ada = w
        .invite("ada@example.com", None, now_ms() - 20 * MINUTE)
        .await;
    assert_eq!(worker.run_once().await.unwrap(), 1); // 550: failed for good
    let bob = w.invite("bob@example.com", None, now_ms()).await;
    assert_eq!(worker.run_once().await.unwrap(), 1); // accepted

    let rows = list(&w).await;
    let reason = rows
        .iter()
        .find(|r| r.id == ada)
        .and_then(|r| r.email_failure.clone())
        .unwrap_or_else(|| panic!("ada's failed email is marked: {rows:?}"));
    assert!(
        reason.contains("550") && reason.contains("Mailbox unavailable (message 1)"),
        "{reason}"
    );
    assert_eq!(reason.matches("Mailbox unavailable").count(), 1, "{reason}");
    let unmarked = rows.iter().filter(|r| r.email_failure.is_none()).count();
    assert_eq!(unmarked, rows.len() - 1, "only ada: {rows:?}");
    assert!(rows.iter().any(|r| r.id == bob));

    w.engine
        .resend(&w.org_manager, &ada, now_ms())
        .await
        .unwrap();
    assert_eq!(row_of(&w, &ada).await.email_failure, None, "queued again");
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(row_of(&w, &ada).await.email_failure, None, "sent");
    assert_eq!(sink.wait_for(2, Duration::from_secs(10)).await.len(), 2);
}

async fn emails_of(w: &World, user_id: &str) -> Vec<EmailHistory> {
    w.engine
        .user_history(&w.org_manager, user_id, now_ms())
        .await
        .unwrap()
        .emails
}

async fn list(w: &World) -> Vec<UserListRow> {
    w.engine
        .list_users(&w.org_manager, UserQuery::default(), now_ms())
        .await
        .unwrap()
        .rows
}

async fn row_of(w: &World, user_id: &str) -> UserListRow {
    list(w)
        .await
        .into_iter()
        .find(|r| r.id == user_id)
        .expect("listed")
}

async fn user_id_of(w: &World, email: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&w.t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

on_both_databases!(
    queued_emails_of_closed_invitations_are_not_sent,
    a_delivery_is_recorded_after_a_long_database_lock,
    r21_user_history_shows_every_delivery_attempt_and_reply,
    r19_invitation_delivered_over_smtp_and_its_link_works,
    r20_smtp_outage_loses_nothing_and_sends_nothing_twice,
    r19_without_smtp_emails_are_written_to_files,
    r22_emails_carry_message_id_and_auto_submitted,
    r20_slow_smtp_sends_each_email_once,
    r20_smtp_refusals_retry_on_4xx_and_fail_for_good_on_5xx,
    r20_retries_give_up_a_day_after_queueing,
    r21_users_table_marks_a_failed_invitation_email_until_a_resend,
);

#[test]
fn t0_is_a_fixed_instant() {
    assert_eq!(T0 % 1000, 0);
}
