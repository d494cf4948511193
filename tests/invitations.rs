//! The invitation engine's rules (SPEC §3) on both databases, through the
//! same services the server functions call.

mod common;

use common::{
    world::{token_of, World, COOLDOWN_MS},
    write_unchecked, TestDb, DAY, MINUTE, T0,
};
use roster::domain::{
    invitations::{InviteRequest, LinkFilter, SortKey, UserQuery},
    rules::LinkVerdict,
    AppError, UserStatus,
};
use roster::server::services::{invitations::BulkTarget, registration::Registered};

const DEACTIVATED: &str =
    "The user has been deactivated. Contact Organisation Manager/Support to reactivate them.";

fn request(email: &str) -> InviteRequest {
    InviteRequest {
        email: email.into(),
        name: "Ada".into(),
        team_ids: vec![],
    }
}

/// R3: emails are trimmed and compared case-insensitively; one organisation
/// never holds the same email twice.
async fn r3_invite_normalises_email_and_refuses_duplicates(t: TestDb) {
    let w = World::new(t).await;
    let invited = w
        .engine
        .invite(&w.org_manager, request("  Ada@Example.COM "), T0)
        .await
        .unwrap();
    assert_eq!(invited.email, "ada@example.com");
    assert_eq!(invited.expires_at, T0 + 7 * DAY);
    let again = w
        .engine
        .invite(&w.org_manager, request("ADA@example.com"), T0 + MINUTE)
        .await
        .unwrap_err();
    assert_eq!(
        again,
        AppError::AlreadyInvited {
            email: "ada@example.com".into()
        }
    );
    assert_eq!(w.emails_to("ada@example.com").await, 1);
    // Another organisation may hold the same address.
    w.engine
        .invite(&w.other_org_manager, request("ada@example.com"), T0)
        .await
        .unwrap();
}

/// R5: inviting a deactivated user fails with the seed's message.
async fn r5_inviting_a_deactivated_user_shows_the_seed_message(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("dee@example.com", None, T0).await;
    w.engine.deactivate(&w.org_manager, &id, T0).await.unwrap();
    let error = w
        .engine
        .invite(&w.org_manager, request("dee@example.com"), T0 + MINUTE)
        .await
        .unwrap_err();
    assert_eq!(error, AppError::Deactivated);
    assert_eq!(error.to_string(), DEACTIVATED);
}

/// R7: resend only for Invited users; an Active user is refused.
async fn r7_resend_only_for_invited_users(t: TestDb) {
    let w = World::new(t).await;
    let error = w
        .engine
        .resend(&w.org_manager, &w.member.id, T0 + DAY)
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::NotInvited { .. }), "{error:?}");
    let id = w.invite("ada@example.com", None, T0).await;
    let sent = w
        .engine
        .resend(&w.org_manager, &id, T0 + DAY)
        .await
        .unwrap();
    assert_eq!(sent.email, "ada@example.com");
    assert_eq!(w.emails_to("ada@example.com").await, 2);
}

/// R8: a resend at 14:59 after the last email is refused with the seed's
/// text and the time it becomes possible; at 15:00 it goes.
async fn r8_resend_refused_within_15_minutes(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("ada@example.com", None, T0).await;
    let error = w
        .engine
        .resend(&w.org_manager, &id, T0 + COOLDOWN_MS - 1000)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        AppError::Cooldown {
            until: T0 + COOLDOWN_MS
        }
    );
    assert_eq!(error.to_string(), "Invite sent within the last 15 minutes");
    w.engine
        .resend(&w.org_manager, &id, T0 + COOLDOWN_MS)
        .await
        .unwrap();
    assert_eq!(w.emails_to("ada@example.com").await, 2);
}

/// R8 under concurrency: 50 simultaneous resends send exactly one email.
async fn r8_fifty_concurrent_resends_send_one_email(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("ada@example.com", None, T0).await;
    let now = T0 + DAY;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (engine, actor, id) = (w.engine.clone(), w.org_manager.clone(), id.clone());
        tasks.spawn(async move { engine.resend(&actor, &id, now).await });
    }
    let mut sent = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => sent += 1,
            Err(AppError::Cooldown { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sent, 1);
    assert_eq!(
        w.emails_to("ada@example.com").await,
        2,
        "the invitation and exactly one resend"
    );
}

/// R9, R12: Copy Invite Link only for Invited users; the copied link
/// supersedes the emailed one, whose page says a newer link was sent.
async fn r9_r12_copy_link_supersedes_the_emailed_link(t: TestDb) {
    let w = World::new(t).await;
    assert!(matches!(
        w.engine
            .copy_link(&w.org_manager, &w.member.id, T0)
            .await
            .unwrap_err(),
        AppError::NotInvited { .. }
    ));
    let id = w.invite("ada@example.com", None, T0).await;
    let emailed = token_of(&w.last_link_emailed_to("ada@example.com").await);
    let copied = w
        .engine
        .copy_link(&w.org_manager, &id, T0 + MINUTE)
        .await
        .unwrap();
    assert!(copied.url.starts_with("http://roster.test/invite/"));
    assert!(copied.url.ends_with(&copied.token_end));
    assert_eq!(copied.expires_at, T0 + MINUTE + 7 * DAY);
    assert_eq!(
        w.engine
            .inspect_link(&emailed, T0 + 2 * MINUTE)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::Superseded
    );
    assert_eq!(
        w.engine
            .inspect_link(&token_of(&copied.url), T0 + 2 * MINUTE)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::Usable
    );
    // R12: the table shows the newest link's token end.
    let page = w
        .engine
        .list_users(
            &w.org_manager,
            UserQuery {
                search: "ada@".into(),
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        page.rows[0].token_end.as_deref(),
        Some(copied.token_end.as_str())
    );
    assert_eq!(
        w.emails_to("ada@example.com").await,
        1,
        "copying a link sends no email"
    );
}

/// R11: a link works at 6 days 23 hours and is expired at 7 days.
async fn r11_links_expire_after_seven_days(t: TestDb) {
    let w = World::new(t).await;
    w.invite("ada@example.com", None, T0).await;
    let token = token_of(&w.last_link_emailed_to("ada@example.com").await);
    assert_eq!(
        w.engine
            .inspect_link(&token, T0 + 7 * DAY - 60 * MINUTE)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::Usable
    );
    assert_eq!(
        w.engine
            .inspect_link(&token, T0 + 7 * DAY)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::Expired
    );
    assert_eq!(
        w.engine
            .set_password(&token, "a fine password", T0 + 7 * DAY)
            .await
            .unwrap_err(),
        AppError::LinkUnusable
    );
}

/// R14, R26: resending keeps Invited by; the row shows who sent last and when.
async fn r14_resend_keeps_invited_by(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("ada@example.com", Some(&w.blue), T0).await;
    w.engine
        .resend(&w.team_manager, &id, T0 + DAY)
        .await
        .unwrap();
    let page = w
        .engine
        .list_users(
            &w.org_manager,
            UserQuery {
                search: "ada@".into(),
                ..Default::default()
            },
            T0 + DAY,
        )
        .await
        .unwrap();
    let row = &page.rows[0];
    assert_eq!(row.invited_by.as_deref(), Some("Olive Org"));
    assert_eq!(row.last_sent_by.as_deref(), Some("Tina Team"));
    assert_eq!(row.last_sent_at, Some(T0 + DAY));
    assert_eq!(row.teams, vec!["Blue".to_string()]);
    // The resent email still names the original inviter.
    use sqlx::Row;
    let body: String = sqlx::query("SELECT body_text FROM outbox ORDER BY created_at DESC LIMIT 1")
        .fetch_one(&w.t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(body.contains("Olive Org invited you"), "{body}");
}

/// R26: Invited by survives the inviter's deactivation, shown as a former user.
async fn r26_invited_by_survives_the_inviter(t: TestDb) {
    let w = World::new(t).await;
    let invited = w
        .engine
        .invite(
            &w.team_manager,
            InviteRequest {
                email: "ada@example.com".into(),
                name: String::new(),
                team_ids: vec![w.blue.clone()],
            },
            T0,
        )
        .await
        .unwrap();
    w.engine
        .deactivate(&w.org_manager, &w.team_manager.id, T0 + MINUTE)
        .await
        .unwrap();
    let page = w
        .engine
        .list_users(
            &w.org_manager,
            UserQuery {
                search: "ada@".into(),
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(page.rows[0].id, invited.user_id);
    assert_eq!(page.rows[0].invited_by.as_deref(), Some("Tina Team"));
    assert!(page.rows[0].inviter_is_former);
}

/// R6, R15: the email link validates the address; setting the password
/// signs the invitee in; the link then says the invitation was accepted.
async fn r6_r15_email_link_registers_once(t: TestDb) {
    let w = World::new(t).await;
    w.invite("ada@example.com", None, T0).await;
    let token = token_of(&w.last_link_emailed_to("ada@example.com").await);
    let view = w.engine.inspect_link(&token, T0 + MINUTE).await.unwrap();
    assert_eq!(view.verdict, LinkVerdict::Usable);
    assert_eq!(view.org_name, "Acme");
    assert_eq!(view.email_hint, "a•••a@example.com");
    assert!(matches!(
        w.engine.set_password(&token, "short", T0).await,
        Err(AppError::Invalid(_))
    ));
    let Registered::SignedIn { session_token } = w
        .engine
        .set_password(&token, "a fine password", T0 + MINUTE)
        .await
        .unwrap()
    else {
        panic!("an email link signs the invitee in");
    };
    let user = roster::server::auth::current_user(&w.t.db, Some(&session_token), T0 + MINUTE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(
        w.engine
            .inspect_link(&token, T0 + 2 * MINUTE)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::AlreadyAccepted
    );
    assert_eq!(
        w.engine
            .set_password(&token, "another password", T0 + 2 * MINUTE)
            .await
            .unwrap_err(),
        AppError::LinkUnusable
    );
    roster::server::auth::sign_in(
        &w.t.db,
        "ada@example.com",
        "a fine password",
        T0 + 3 * MINUTE,
    )
    .await
    .unwrap();
}

/// R10: a copied link wants the typed email (case and spaces ignored), then
/// a password, then sign-in; five wrong emails lock it.
async fn r10_copied_link_confirms_email_and_locks_after_five_misses(t: TestDb) {
    let w = World::new(t).await;
    let ada = w.invite("ada@example.com", None, T0).await;
    let copied = token_of(
        &w.engine
            .copy_link(&w.org_manager, &ada, T0)
            .await
            .unwrap()
            .url,
    );
    assert!(matches!(
        w.engine.set_password(&copied, "a fine password", T0).await,
        Err(AppError::Invalid(_))
    ));
    w.engine
        .confirm_email(&copied, "  ADA@example.com ", T0)
        .await
        .unwrap();
    assert_eq!(
        w.engine
            .set_password(&copied, "a fine password", T0)
            .await
            .unwrap(),
        Registered::SignInNext {
            email: "ada@example.com".into()
        }
    );
    roster::server::auth::sign_in(&w.t.db, "ada@example.com", "a fine password", T0)
        .await
        .unwrap();

    let bob = w.invite("bob@example.com", None, T0).await;
    let copied = token_of(
        &w.engine
            .copy_link(&w.org_manager, &bob, T0)
            .await
            .unwrap()
            .url,
    );
    for tries_left in [4, 3, 2, 1] {
        assert_eq!(
            w.engine
                .confirm_email(&copied, "eve@example.com", T0)
                .await
                .unwrap_err(),
            AppError::EmailMismatch { tries_left }
        );
    }
    assert_eq!(
        w.engine
            .confirm_email(&copied, "eve@example.com", T0)
            .await
            .unwrap_err(),
        AppError::LinkLocked
    );
    assert_eq!(
        w.engine
            .confirm_email(&copied, "bob@example.com", T0)
            .await
            .unwrap_err(),
        AppError::LinkLocked
    );
    assert_eq!(
        w.engine.inspect_link(&copied, T0).await.unwrap().verdict,
        LinkVerdict::Locked
    );
    // A manager makes a new link, which works.
    let fresh = token_of(
        &w.engine
            .copy_link(&w.org_manager, &bob, T0 + MINUTE)
            .await
            .unwrap()
            .url,
    );
    w.engine
        .confirm_email(&fresh, "bob@example.com", T0 + MINUTE)
        .await
        .unwrap();
}

/// R13: an expired link offers a fresh one to the invitation's own address;
/// R8 applies to it too.
async fn r13_self_service_resend_from_a_dead_link(t: TestDb) {
    let w = World::new(t).await;
    w.invite("ada@example.com", None, T0).await;
    let old = token_of(&w.last_link_emailed_to("ada@example.com").await);
    let live = T0 + 3 * DAY;
    assert_eq!(
        w.engine.resend_from_link(&old, live).await.unwrap_err(),
        AppError::LinkUnusable,
        "a usable link needs no resend"
    );
    let later = T0 + 8 * DAY;
    w.engine.resend_from_link(&old, later).await.unwrap();
    let fresh = token_of(&w.last_link_emailed_to("ada@example.com").await);
    assert_ne!(fresh, old);
    assert_eq!(
        w.engine.inspect_link(&fresh, later).await.unwrap().verdict,
        LinkVerdict::Usable
    );
    assert_eq!(
        w.engine.inspect_link(&old, later).await.unwrap().verdict,
        LinkVerdict::Superseded
    );
    assert_eq!(
        w.engine
            .resend_from_link(&old, later + MINUTE)
            .await
            .unwrap_err(),
        AppError::Cooldown {
            until: later + COOLDOWN_MS
        }
    );
    assert_eq!(w.emails_to("ada@example.com").await, 2);
}

/// R18: deactivated users' links stop working and they cannot sign in;
/// reactivating (Org Managers only) restores them.
async fn r18_deactivate_and_reactivate(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("ada@example.com", Some(&w.blue), T0).await;
    let token = token_of(&w.last_link_emailed_to("ada@example.com").await);
    assert_eq!(
        w.engine
            .deactivate(&w.team_manager, &id, T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    w.engine.deactivate(&w.org_manager, &id, T0).await.unwrap();
    assert_eq!(
        w.engine.inspect_link(&token, T0).await.unwrap().verdict,
        LinkVerdict::Deactivated
    );
    assert_eq!(
        w.engine
            .resend(&w.org_manager, &id, T0 + DAY)
            .await
            .unwrap_err(),
        AppError::Deactivated
    );
    assert_eq!(
        w.engine
            .reactivate(&w.team_manager, &id, T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        w.engine.reactivate(&w.org_manager, &id, T0).await.unwrap(),
        UserStatus::Invited
    );
    assert_eq!(
        w.engine.inspect_link(&token, T0).await.unwrap().verdict,
        LinkVerdict::Usable
    );
    assert_eq!(
        w.engine
            .deactivate(&w.org_manager, &w.org_manager.id, T0)
            .await
            .unwrap_err()
            .to_string(),
        "You cannot deactivate yourself."
    );
}

/// R23: revoking stops the links at once and the row leaves the Invited filter.
async fn r23_revoke_invite(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("ada@example.com", None, T0).await;
    let token = token_of(&w.last_link_emailed_to("ada@example.com").await);
    w.engine
        .revoke(&w.org_manager, &id, T0 + MINUTE)
        .await
        .unwrap();
    assert_eq!(
        w.engine
            .inspect_link(&token, T0 + MINUTE)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::Revoked
    );
    let invited = UserQuery {
        statuses: vec![UserStatus::Invited],
        ..Default::default()
    };
    assert_eq!(
        w.engine
            .list_users(&w.org_manager, invited, T0)
            .await
            .unwrap()
            .total,
        0
    );
    use sqlx::Row;
    let audited: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'revoke' AND target_email = 'ada@example.com'")
        .fetch_one(&w.t.db).await.unwrap().try_get(0).unwrap();
    assert_eq!(audited, 1);
    // The person can be invited again, once the first email's cooldown has
    // run (R8; tests/hostile_input.rs checks the refusal before it).
    w.invite("ada@example.com", None, T0 + COOLDOWN_MS).await;
}

/// R24: bulk resend of a selection or of all matching rows; those in the
/// cooldown are skipped and counted.
async fn r24_bulk_resend_skips_the_cooldown(t: TestDb) {
    let w = World::new(t).await;
    let a = w.invite("a@example.com", None, T0).await;
    let b = w.invite("b@example.com", None, T0 + DAY).await;
    let now = T0 + DAY + MINUTE; // b was invited a minute ago
    let report = w
        .engine
        .bulk_resend(
            &w.org_manager,
            BulkTarget::Users(vec![a.clone(), b, w.member.id.clone()]),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.skipped_cooldown, report.not_invited),
        (1, 1, 1)
    );
    let all_invited = UserQuery {
        statuses: vec![UserStatus::Invited],
        ..Default::default()
    };
    let report = w
        .engine
        .bulk_resend(
            &w.org_manager,
            BulkTarget::Matching(all_invited),
            now + 20 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.skipped_cooldown, report.not_invited),
        (2, 0, 0)
    );
    assert_eq!(w.emails_to("a@example.com").await, 3);
}

/// R25: filters combine with OR, search, Expired / Expiring soon views and
/// counts by state.
async fn r25_listing_filters_and_counts(t: TestDb) {
    let w = World::new(t).await;
    w.invite("old@example.com", None, T0).await;
    w.invite("soon@example.com", None, T0 + 2 * DAY).await;
    w.invite("fresh@example.com", None, T0 + 6 * DAY).await;
    let deact = w.invite("gone@example.com", None, T0).await;
    w.engine
        .deactivate(&w.org_manager, &deact, T0)
        .await
        .unwrap();
    let now = T0 + 7 * DAY + MINUTE;
    let list = |q: UserQuery| {
        let e = w.engine.clone();
        let a = w.org_manager.clone();
        async move { e.list_users(&a, q, now).await.unwrap() }
    };

    let all = list(UserQuery::default()).await;
    assert_eq!(all.total, 7); // 3 active staff + 3 invited + 1 deactivated
    assert_eq!(
        (
            all.counts.invited,
            all.counts.active,
            all.counts.deactivated
        ),
        (3, 3, 1)
    );
    assert_eq!((all.counts.expired, all.counts.expiring_soon), (1, 1));
    let both = list(UserQuery {
        statuses: vec![UserStatus::Invited, UserStatus::Deactivated],
        ..Default::default()
    })
    .await;
    assert_eq!(both.total, 4);
    let expired = list(UserQuery {
        link: LinkFilter::Expired,
        ..Default::default()
    })
    .await;
    assert_eq!(
        expired
            .rows
            .iter()
            .map(|r| r.email.as_str())
            .collect::<Vec<_>>(),
        ["old@example.com"]
    );
    let soon = list(UserQuery {
        link: LinkFilter::ExpiringSoon,
        ..Default::default()
    })
    .await;
    assert_eq!(
        soon.rows
            .iter()
            .map(|r| r.email.as_str())
            .collect::<Vec<_>>(),
        ["soon@example.com"]
    );
    let search = list(UserQuery {
        search: "TINA".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(search.rows.len(), 1);
    let wildcard = list(UserQuery {
        search: "%".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(wildcard.total, 0, "search terms are literal");
    let paged = list(UserQuery {
        per_page: 2,
        page: 4,
        ..Default::default()
    })
    .await;
    assert_eq!((paged.rows.len(), paged.total), (1, 7));
    assert_eq!((expired.total, soon.total), (1, 1));
    let invited_by_expiry = list(UserQuery {
        statuses: vec![UserStatus::Invited],
        sort: SortKey::Expires,
        ..Default::default()
    })
    .await;
    assert_eq!(
        emails(&invited_by_expiry),
        ["old@example.com", "soon@example.com", "fresh@example.com"]
    );
    let by_last_sent = list(UserQuery {
        statuses: vec![UserStatus::Invited],
        sort: SortKey::LastSent,
        descending: true,
        ..Default::default()
    })
    .await;
    assert_eq!(by_last_sent.rows[0].email, "fresh@example.com");
}

fn emails(page: &roster::domain::invitations::UserPage) -> Vec<&str> {
    page.rows.iter().map(|r| r.email.as_str()).collect()
}

/// R25: the counts are cached between changes (SPEC §8), never across one:
/// within the same second, each change shows in the next listing.
async fn r25_counts_follow_every_change_at_once(t: TestDb) {
    let w = World::new(t).await;
    let counts = || {
        let (e, a) = (w.engine.clone(), w.org_manager.clone());
        async move { e.list_users(&a, UserQuery::default(), T0).await.unwrap() }
    };
    let before = counts().await;
    let id = w.invite("new@example.com", Some(&w.blue), T0).await;
    let after = counts().await;
    assert_eq!(after.counts.invited, before.counts.invited + 1);
    assert_eq!(after.total, before.total + 1);
    w.engine.deactivate(&w.org_manager, &id, T0).await.unwrap();
    let after = counts().await;
    assert_eq!(after.counts.invited, before.counts.invited);
    assert_eq!(after.counts.deactivated, before.counts.deactivated + 1);
}

/// R10 R25: a copied link locked by wrong emails no longer works, so its
/// user shows in the Expired view; a new link takes them out of it.
async fn r25_locked_link_counts_as_expired(t: TestDb) {
    let w = World::new(t).await;
    let id = w.invite("locky@example.com", None, T0).await;
    let copied = w.engine.copy_link(&w.org_manager, &id, T0).await.unwrap();
    let token = token_of(&copied.url);
    for _ in 0..5 {
        let _ = w
            .engine
            .confirm_email(&token, "wrong@example.com", T0)
            .await;
    }
    let expired = |now: i64| {
        let (e, a) = (w.engine.clone(), w.org_manager.clone());
        async move {
            e.list_users(
                &a,
                UserQuery {
                    link: LinkFilter::Expired,
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap()
        }
    };
    let page = expired(T0 + MINUTE).await;
    assert_eq!((page.total, page.counts.expired), (1, 1));
    assert_eq!(emails(&page), ["locky@example.com"]);
    w.engine
        .resend(&w.org_manager, &id, T0 + DAY)
        .await
        .unwrap();
    let page = expired(T0 + DAY + MINUTE).await;
    assert_eq!((page.total, page.counts.expired), (0, 0));
}

/// R4: each CSV row gets its own outcome; good rows are stored.
async fn r4_bulk_invite_reports_every_row(t: TestDb) {
    let w = World::new(t).await;
    let gone = w.invite("gone@example.com", None, T0).await;
    w.engine
        .deactivate(&w.org_manager, &gone, T0)
        .await
        .unwrap();
    w.invite("pending@example.com", None, T0).await;
    let csv = "email,name,team\n\
               new1@example.com,New One,Blue\n\
               NEW1@example.com,Dup\n\
               not-an-email\n\
               mo@acme.test\n\
               pending@example.com\n\
               gone@example.com\n\
               new2@example.com,,Purple\n\
               \"new3@example.com\",\"Three, Esq.\",green\n";
    let report = w
        .engine
        .bulk_invite(&w.org_manager, csv, None, T0 + MINUTE)
        .await
        .unwrap();
    use roster::domain::invitations::BulkOutcome::*;
    let outcomes: Vec<_> = report.rows.iter().map(|r| (r.line, r.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (2, Invited),
            (3, DuplicateRow),
            (4, InvalidEmail),
            (5, AlreadyActive),
            (6, AlreadyInvited),
            (7, Deactivated),
            (8, UnknownTeam),
            (9, Invited)
        ]
    );
    assert_eq!(report.rows[5].message, DEACTIVATED);
    let page = w
        .engine
        .list_users(
            &w.org_manager,
            UserQuery {
                search: "new".into(),
                ..Default::default()
            },
            T0 + MINUTE,
        )
        .await
        .unwrap();
    let names: Vec<_> = page
        .rows
        .iter()
        .map(|r| (r.email.as_str(), r.name.as_str(), r.teams.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("new1@example.com", "New One", vec!["Blue".to_string()]),
            ("new3@example.com", "Three, Esq.", vec!["Green".to_string()])
        ]
    );
    assert_eq!(w.emails_to("new1@example.com").await, 1);
    // The bulk links work like any other.
    let token = token_of(&w.last_link_emailed_to("new3@example.com").await);
    assert_eq!(
        w.engine
            .inspect_link(&token, T0 + MINUTE)
            .await
            .unwrap()
            .verdict,
        LinkVerdict::Usable
    );
    // Team Managers only invite into their teams.
    let report = w
        .engine
        .bulk_invite(
            &w.team_manager,
            "x@example.com,X,Green\ny@example.com,Y,Blue",
            None,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        report.rows.iter().map(|r| r.outcome).collect::<Vec<_>>(),
        [NotAllowed, Invited]
    );
    // Over the limit: refused whole, with a clear message.
    let huge: String = (0..10_001).map(|i| format!("u{i}@example.com\n")).collect();
    assert!(
        matches!(w.engine.bulk_invite(&w.org_manager, &huge, None, T0).await, Err(AppError::Invalid(m)) if m.contains("10000"))
    );
}

/// R1, R2: every manager service × org manager, team manager in and out of
/// scope, member, and the manager of another organisation.
async fn r1_r2_authorization_matrix(t: TestDb) {
    let w = World::new(t).await;
    let in_blue = w.invite("blue@example.com", Some(&w.blue), T0).await;
    let in_green = w.invite("green@example.com", Some(&w.green), T0).await;
    let later = T0 + DAY;
    let e = &w.engine;
    let forbidden = |r: Result<(), AppError>| assert_eq!(r.unwrap_err(), AppError::Forbidden);
    let ok = |r: Result<(), AppError>| r.unwrap();
    macro_rules! each_action {
        ($actor:expr, $user:expr, $expect_resend:expr, $expect_copy:expr, $expect_org:expr) => {{
            $expect_resend(e.resend($actor, $user, later).await.map(|_| ()));
            $expect_copy(e.copy_link($actor, $user, later).await.map(|_| ()));
            $expect_org(e.deactivate($actor, $user, later).await);
            $expect_org(e.reactivate($actor, $user, later).await.map(|_| ()));
            $expect_org(e.revoke($actor, $user, later).await);
        }};
    }
    // Team Manager: resend and copy inside Blue; nothing in Green; never org actions.
    each_action!(&w.team_manager, &in_blue, ok, ok, forbidden);
    each_action!(&w.team_manager, &in_green, forbidden, forbidden, forbidden);
    // Members and other organisations: nothing, even with a real id.
    each_action!(&w.member, &in_blue, forbidden, forbidden, forbidden);
    each_action!(
        &w.other_org_manager,
        &in_green,
        forbidden,
        forbidden,
        forbidden
    );
    each_action!(
        &w.other_org_manager,
        "no-such-user",
        forbidden,
        forbidden,
        forbidden
    );
    // Org Manager: everything (revoke last, it removes the row).
    each_action!(&w.org_manager, &in_green, ok, ok, ok);

    // Listings, invites, teams.
    assert_eq!(
        e.list_users(&w.team_manager, UserQuery::default(), T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    let blue_members = e
        .list_users(
            &w.team_manager,
            UserQuery {
                team_id: Some(w.blue.clone()),
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert!(blue_members
        .rows
        .iter()
        .all(|r| r.teams.contains(&"Blue".to_string())));
    assert_eq!(
        e.list_users(
            &w.team_manager,
            UserQuery {
                team_id: Some(w.green.clone()),
                ..Default::default()
            },
            T0
        )
        .await
        .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.list_users(&w.member, UserQuery::default(), T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.list_users(
            &w.other_org_manager,
            UserQuery {
                team_id: Some(w.blue.clone()),
                ..Default::default()
            },
            T0
        )
        .await
        .unwrap_err(),
        AppError::Forbidden
    );
    let other = e
        .list_users(&w.other_org_manager, UserQuery::default(), T0)
        .await
        .unwrap();
    assert!(
        other.rows.iter().all(|r| r.email.ends_with("globex.test")),
        "R2: no rows of another organisation"
    );
    let into = |team: &str| InviteRequest {
        email: format!("{}@example.com", uuid::Uuid::new_v4().simple()),
        name: String::new(),
        team_ids: vec![team.to_string()],
    };
    e.invite(&w.team_manager, into(&w.blue), T0).await.unwrap();
    assert_eq!(
        e.invite(&w.team_manager, into(&w.green), T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert!(matches!(
        e.invite(&w.team_manager, request("loose@example.com"), T0)
            .await
            .unwrap_err(),
        AppError::Invalid(_)
    ));
    assert_eq!(
        e.invite(&w.member, into(&w.blue), T0).await.unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.invite(&w.other_org_manager, into(&w.blue), T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.bulk_invite(&w.member, "a@example.com", None, T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.bulk_resend(&w.member, BulkTarget::Users(vec![in_blue.clone()]), later)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.create_team(&w.team_manager, "Red", T0).await.unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.add_team_member(&w.team_manager, &w.blue, &in_green, false, T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.add_team_member(&w.other_org_manager, &w.blue, &in_blue, true, T0)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    assert_eq!(
        e.list_teams(&w.member).await.unwrap_err(),
        AppError::Forbidden
    );
    let tina_teams: Vec<_> = e
        .list_teams(&w.team_manager)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tina_teams, ["Blue"]);
    assert_eq!(e.list_teams(&w.other_org_manager).await.unwrap().len(), 0);
}

/// Stored values this build does not know (a link state, an invitation
/// status) are a loud error, a generic failure for the client, never read
/// as another value: a link is not judged on a guess.
async fn an_unknown_link_state_or_invitation_status_is_an_error(t: TestDb) {
    let w = World::new(t).await;
    let ada = w.invite("ada@example.com", None, T0).await;
    let token = token_of(&w.last_link_emailed_to("ada@example.com").await);
    let verdict = || async {
        w.engine
            .inspect_link(&token, T0 + MINUTE)
            .await
            .map(|view| view.verdict)
    };
    let checks = [
        ("invite_links", "invite_links_state_check"),
        ("invitations", "invitations_status_check"),
    ];
    let state = "UPDATE invite_links SET state = 'paused'";
    write_unchecked(&w.t.db, &checks, &[state]).await;
    assert_eq!(verdict().await, Err(AppError::Internal));
    let state = "UPDATE invite_links SET state = 'active'";
    write_unchecked(&w.t.db, &[], &[state]).await;
    assert_eq!(verdict().await, Ok(LinkVerdict::Usable));
    let status = "UPDATE invitations SET status = 'on_hold'";
    write_unchecked(&w.t.db, &[], &[status]).await;
    assert_eq!(verdict().await, Err(AppError::Internal));
    assert_eq!(
        w.engine
            .user_history(&w.org_manager, &ada, T0 + MINUTE)
            .await
            .unwrap_err(),
        AppError::Internal
    );
}

on_both_databases!(
    r3_invite_normalises_email_and_refuses_duplicates,
    r5_inviting_a_deactivated_user_shows_the_seed_message,
    r7_resend_only_for_invited_users,
    r8_resend_refused_within_15_minutes,
    r8_fifty_concurrent_resends_send_one_email,
    r9_r12_copy_link_supersedes_the_emailed_link,
    r11_links_expire_after_seven_days,
    r14_resend_keeps_invited_by,
    r26_invited_by_survives_the_inviter,
    r6_r15_email_link_registers_once,
    r10_copied_link_confirms_email_and_locks_after_five_misses,
    r13_self_service_resend_from_a_dead_link,
    r18_deactivate_and_reactivate,
    r23_revoke_invite,
    r24_bulk_resend_skips_the_cooldown,
    r25_listing_filters_and_counts,
    r25_locked_link_counts_as_expired,
    r25_counts_follow_every_change_at_once,
    r4_bulk_invite_reports_every_row,
    r1_r2_authorization_matrix,
    an_unknown_link_state_or_invitation_status_is_an_error,
);
