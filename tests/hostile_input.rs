//! Step 6, input: one mailbox has one spelling (IDN and punycode, NFC and
//! NFD), invisible characters are refused in emails and names, the R8
//! cooldown holds across revoke and re-invite, and a Team Manager learns
//! nothing of people or teams outside their own. On both databases.

mod common;

use common::{
    world::{World, COOLDOWN_MS},
    TestDb, MINUTE, T0,
};
use roster::domain::{
    invitations::{BulkOutcome, InviteRequest},
    AppError,
};

fn request(email: &str, name: &str, team_ids: &[&str]) -> InviteRequest {
    InviteRequest {
        email: email.into(),
        name: name.into(),
        team_ids: team_ids.iter().map(|t| t.to_string()).collect(),
    }
}

/// The same mailbox cannot be invited twice by writing it another way.
async fn one_mailbox_cannot_be_invited_twice_under_another_spelling(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let first = e
        .invite(&w.org_manager, request("ada@bücher.example", "", &[]), T0)
        .await
        .unwrap();
    assert_eq!(first.email, "ada@xn--bcher-kva.example");
    let again = e
        .invite(
            &w.org_manager,
            request("ADA@xn--bcher-kva.example", "", &[]),
            T0 + MINUTE,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, AppError::AlreadyInvited { .. }),
        "{again:?}"
    );

    e.invite(
        &w.org_manager,
        request("jos\u{e9}@example.com", "", &[]),
        T0,
    )
    .await
    .unwrap();
    let decomposed = e
        .invite(
            &w.org_manager,
            request("jose\u{301}@example.com", "", &[]),
            T0 + MINUTE,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(decomposed, AppError::AlreadyInvited { .. }),
        "{decomposed:?}"
    );

    // In a CSV too, against the database and within the file.
    let report = e
        .bulk_invite(
            &w.org_manager,
            "email\nada@BÜCHER.example\nnew@b\u{fc}cher.example\nnew@xn--bcher-kva.example\n",
            None,
            T0 + 2 * MINUTE,
        )
        .await
        .unwrap();
    let outcomes: Vec<_> = report.rows.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            BulkOutcome::AlreadyInvited,
            BulkOutcome::Invited,
            BulkOutcome::DuplicateRow
        ]
    );
}

/// Zero-width spaces, soft hyphens and direction overrides are refused in
/// emails and in every name (they would reach tables and email subjects).
async fn invisible_characters_are_refused_in_emails_and_names(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    for email in [
        "ada\u{200B}@example.com",
        "ada@exam\u{AD}ple.com",
        "\u{202E}ada@example.com",
    ] {
        let refused = e
            .invite(&w.org_manager, request(email, "", &[]), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::Invalid(m) if m.contains("invisible")),
            "{email:?}: {refused:?}"
        );
    }
    for name in ["Ada\u{202E}ecalevoL", "A\u{200B}da", "Ada\u{AD}"] {
        let refused = e
            .invite(&w.org_manager, request("ada@example.com", name, &[]), T0)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::Invalid(m) if m.contains("invisible")),
            "{name:?}: {refused:?}"
        );
        let team = e.create_team(&w.org_manager, name, T0).await.unwrap_err();
        assert!(
            matches!(&team, AppError::Invalid(m) if m.contains("invisible")),
            "{name:?}: {team:?}"
        );
    }
    assert_eq!(w.emails_to("ada@example.com").await, 0);
    // Persian names need the zero-width non-joiner: allowed.
    e.invite(
        &w.org_manager,
        request("mehr@example.com", "مهر\u{200C}آسا", &[]),
        T0,
    )
    .await
    .unwrap();
}

/// R8: revoking an invitation and inviting the address again does not send
/// a second email within the cooldown, one at a time or in a CSV.
async fn r8_cooldown_holds_across_revoke_and_reinvite(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let user = w.invite("ada@example.com", None, T0).await;
    e.revoke(&w.org_manager, &user, T0 + MINUTE).await.unwrap();
    let again = e
        .invite(
            &w.org_manager,
            request("ada@example.com", "", &[]),
            T0 + 2 * MINUTE,
        )
        .await
        .unwrap_err();
    assert_eq!(
        again,
        AppError::Cooldown {
            until: T0 + COOLDOWN_MS
        }
    );
    let report = e
        .bulk_invite(
            &w.org_manager,
            "email\nada@example.com\n",
            None,
            T0 + 3 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(report.rows[0].outcome, BulkOutcome::Cooldown);
    assert_eq!(
        report.rows[0].message,
        "Invite sent within the last 15 minutes"
    );
    assert_eq!(w.emails_to("ada@example.com").await, 1);

    e.invite(
        &w.org_manager,
        request("ada@example.com", "", &[]),
        T0 + COOLDOWN_MS,
    )
    .await
    .unwrap();
    assert_eq!(w.emails_to("ada@example.com").await, 2);
}

/// R2: a Team Manager inviting an address that belongs to someone outside
/// their teams hears the same words whatever that person's status, and a
/// team they do not manage reads the same as one that does not exist.
async fn r2_team_managers_learn_nothing_outside_their_teams(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let outsider_invited = w.invite("ivy@example.com", Some(&w.green), T0).await;
    let _ = outsider_invited;
    let outsider_active = common::world::active_user(
        e,
        &w.org_manager.org_id,
        "gil@example.com",
        "Gil",
        roster::domain::Role::Member,
    )
    .await;
    e.add_team_member(&w.org_manager, &w.green, &outsider_active, false, T0)
        .await
        .unwrap();
    let blue = w.blue.as_str();
    let mut answers = Vec::new();
    for email in ["ivy@example.com", "gil@example.com"] {
        let refused = e
            .invite(&w.team_manager, request(email, "", &[blue]), T0 + MINUTE)
            .await
            .unwrap_err();
        answers.push(refused.to_string().replace(email, "EMAIL"));
    }
    assert_eq!(answers[0], answers[1], "status must not show");
    assert!(!answers[0].contains("already"), "{}", answers[0]);
    // In scope, the manager is told plainly.
    let insider = e
        .invite(
            &w.team_manager,
            request("mo@acme.test", "", &[blue]),
            T0 + MINUTE,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(insider, AppError::AlreadyActive { .. }),
        "{insider:?}"
    );

    let report = e
        .bulk_invite(
            &w.team_manager,
            "email,name,team\nivy@example.com,,Blue\ngil@example.com,,Blue\nnew1@example.com,,Green\nnew2@example.com,,Nowhere\n",
            None,
            T0 + MINUTE,
        )
        .await
        .unwrap();
    let rows: Vec<_> = report
        .rows
        .iter()
        .map(|r| (r.outcome, r.message.replace(&r.email, "EMAIL")))
        .collect();
    assert_eq!(rows[0], rows[1], "status must not show: {rows:?}");
    assert_eq!(rows[0].0, BulkOutcome::NotAllowed);
    assert_eq!(
        rows[2], rows[3],
        "another's team reads as a missing one: {rows:?}"
    );
    assert_eq!(rows[2].0, BulkOutcome::NotAllowed);
    assert_eq!(
        w.emails_to("new1@example.com").await + w.emails_to("new2@example.com").await,
        0
    );
}

on_both_databases!(
    one_mailbox_cannot_be_invited_twice_under_another_spelling,
    invisible_characters_are_refused_in_emails_and_names,
    r8_cooldown_holds_across_revoke_and_reinvite,
    r2_team_managers_learn_nothing_outside_their_teams,
);
