//! The users table's data layer (R24, R25, SPEC §8) on both databases:
//! search through the trigram indexes gives the LIKE test's answers at every
//! length and with LIKE's own characters in it, keyset pages are the pages
//! counted from the start, and an unknown status is an error, not a guess.

mod common;

use common::{
    world::{active_user, World},
    write_unchecked, TestDb, DAY, MINUTE, T0,
};
use roster::domain::{
    invitations::{LinkFilter, PageAnchor, SortKey, UserPage, UserQuery},
    AppError, Role, UserStatus,
};
use std::collections::BTreeSet;

/// Users whose names and emails hold LIKE's characters, a quote, an accent
/// and capitals; (email, name).
const PEOPLE: &[(&str, &str)] = &[
    ("ada@example.com", "Ada Lovelace"),
    ("grace@navy.test", "Grace Hopper"),
    ("alan.turing@example.com", "Alan Turing"),
    ("x@y.test", ""),
    ("percent@example.com", "100% Sure"),
    ("hundred@example.com", "100 Sure"),
    ("under_score@example.com", "Under Score"),
    ("underxscore@example.com", "Decoy"),
    ("back@example.com", "Back\\Slash"),
    ("backxslash@example.com", "Backslash"),
    ("quote@example.com", "O\"Brien \"Q\""),
    ("elodie@example.com", "élodie Dupont"),
    ("abc@example.com", "ABC Caps"),
];

/// The World's own: the Org Manager and two staff.
const STAFF: &[(&str, &str)] = &[
    ("olive@acme.test", "Olive Org"),
    ("tina@acme.test", "Tina Team"),
    ("mo@acme.test", "Mo Member"),
];

async fn list(w: &World, query: UserQuery, now: i64) -> UserPage {
    w.engine
        .list_users(&w.org_manager, query, now)
        .await
        .unwrap()
}

fn emails(page: &UserPage) -> Vec<String> {
    page.rows.iter().map(|r| r.email.clone()).collect()
}

fn ids(page: &UserPage) -> Vec<String> {
    page.rows.iter().map(|r| r.id.clone()).collect()
}

/// R25: one and two characters (no trigram), three and more (through the
/// index), LIKE's own characters, quotes, capitals and accents: always the
/// users whose email or lower-cased name contains the search.
async fn search_finds_what_contains_it_at_any_length(t: TestDb) {
    let w = World::new(t).await;
    for (email, name) in PEOPLE {
        active_user(&w.engine, &w.org_manager.org_id, email, name, Role::Member).await;
    }
    let everyone: Vec<(&str, &str)> = PEOPLE.iter().chain(STAFF).copied().collect();
    // Under three characters there is no trigram to look up.
    let short = [
        "a", "A", "z", "@", ".", "%", "_", "\\", "\"", "é", "0", " ", "ad", "AD", "0%", "%_", "r_",
        "k\\", "él", "\"q",
    ];
    let indexed = [
        "r_s", "k\\s", "0% ", "100%", "r_sc", "k\\sl", "n \"q", "\"q\"", "élo", "%%%", "___",
        "\\\\\\", "gus", "ÉLODIE",
    ];
    let words = [
        "lovelace",
        "ada lov",
        "  Ada  ",
        "example.com",
        "e.com",
        "under_",
        "globex",
        "nobody here",
        "ada@example.com",
        "turing@example",
        "@example.com",
        "x@y",
        "e@navy.t",
        "n.turing@",
    ];
    for search in short.into_iter().chain(indexed).chain(words) {
        let wanted = search.trim().to_lowercase();
        let expected: BTreeSet<String> = everyone
            .iter()
            .filter(|(email, name)| {
                email.contains(&wanted) || name.to_lowercase().contains(&wanted)
            })
            .map(|(email, _)| email.to_string())
            .collect();
        let query = UserQuery {
            search: search.into(),
            per_page: 200,
            ..Default::default()
        };
        let page = list(&w, query.clone(), T0).await;
        let found: BTreeSet<String> = emails(&page).into_iter().collect();
        assert_eq!(found, expected, "search {search:?}");
        assert_eq!(page.total, expected.len() as i64, "total of {search:?}");
        let matching = w
            .engine
            .matching_user_ids(&w.org_manager, query, T0)
            .await
            .unwrap();
        assert_eq!(matching, ids(&page), "R24 ids of {search:?}");
    }
}

/// R25: a search's pages, in name order, and a page past its last (the total
/// is then counted on its own).
async fn search_pages_and_a_page_past_the_last(t: TestDb) {
    let w = World::new(t).await;
    for (email, name) in PEOPLE {
        active_user(&w.engine, &w.org_manager.org_id, email, name, Role::Member).await;
    }
    let query = |page: u32| UserQuery {
        search: "example.com".into(),
        per_page: 3,
        page,
        ..Default::default()
    };
    let mut seen = Vec::new();
    for page in 1..=4 {
        let found = list(&w, query(page), T0).await;
        assert_eq!(found.total, 11);
        seen.extend(found.rows.into_iter().map(|r| r.name));
    }
    let mut by_name = seen.clone();
    by_name.sort_by_key(|name| name.to_lowercase());
    assert_eq!((seen.len(), &seen), (11, &by_name));
    let past = list(&w, query(9), T0).await;
    assert_eq!((past.rows.len(), past.total), (0, 11));
}

/// The search index follows every write: a new name, a changed email, and a
/// user removed by revoking their invitation.
async fn search_follows_renames_and_removals(t: TestDb) {
    let w = World::new(t).await;
    let ada = active_user(
        &w.engine,
        &w.org_manager.org_id,
        "ada@example.com",
        "Ada Lovelace",
        Role::Member,
    )
    .await;
    let invited = w.invite("someone@example.com", None, T0).await;
    let found = |search: &'static str| {
        let w = &w;
        async move {
            let page = list(
                w,
                UserQuery {
                    search: search.into(),
                    ..Default::default()
                },
                T0 + DAY,
            )
            .await;
            emails(&page)
        }
    };
    assert_eq!(found("someone").await, ["someone@example.com"]);
    sqlx::query("UPDATE users SET name = $1, email = $2 WHERE id = $3")
        .bind("Countess of Lovelace")
        .bind("countess@example.com")
        .bind(&ada)
        .execute(&w.t.db)
        .await
        .unwrap();
    assert_eq!(found("countess").await, ["countess@example.com"]);
    assert!(found("ada@ex").await.is_empty());
    assert_eq!(found("of lov").await, ["countess@example.com"]);
    w.engine
        .revoke(&w.org_manager, &invited, T0 + MINUTE)
        .await
        .unwrap();
    assert!(found("someone").await.is_empty());
}

/// What the listing did before keyset paging: each sort's ORDER BY as it was
/// written then (Last sent read from the invitations on every row).
async fn ids_in_the_former_order(
    w: &World,
    sort: SortKey,
    descending: bool,
    statuses: &[UserStatus],
) -> Vec<String> {
    let d = if descending { "DESC" } else { "ASC" };
    let order = match sort {
        SortKey::Name => format!("LOWER(u.name) {d}, u.email {d}"),
        SortKey::Email => format!("u.email {d}"),
        SortKey::Status => format!("u.status {d}, LOWER(u.name) {d}"),
        SortKey::LastSent => format!(
            "COALESCE((SELECT MAX(i.last_sent_at) FROM invitations i WHERE i.user_id = u.id), 0) {d}"
        ),
        SortKey::Expires => format!("COALESCE(u.link_expires_at, 0) {d}"),
    };
    let status = statuses
        .iter()
        .map(|s| format!(" AND u.status = '{}'", s.as_db()))
        .collect::<String>();
    sqlx::query_scalar(&format!(
        "SELECT u.id FROM users u WHERE u.org_id = $1{status} ORDER BY {order}, u.id {d}"
    ))
    .bind(&w.org_manager.org_id)
    .fetch_all(&w.t.db)
    .await
    .unwrap()
}

/// SPEC §8: keyset pages (after the last row shown, before the first) are
/// the pages counted from the start, in every sort and direction, through
/// ties on every sort key (one name, one minute of invitations, no link);
/// the last page is short; an anchor gone or elsewhere counts instead.
async fn keyset_pages_are_the_counted_pages_through_ties(t: TestDb) {
    let w = World::new(t).await;
    let org = w.org_manager.org_id.clone();
    // Ties: the same name, invited in the same minute, expiring together.
    let csv: String = (0..36)
        .map(|i| format!("sam{i:02}@example.com,Sam Same\n"))
        .collect();
    w.engine
        .bulk_invite(&w.org_manager, &csv, None, T0)
        .await
        .unwrap();
    let csv: String = (0..12)
        .map(|i| {
            format!(
                "later{i:02}@example.com,{}\n",
                ["", "Zoe", "sam same"][i % 3]
            )
        })
        .collect();
    w.engine
        .bulk_invite(&w.org_manager, &csv, None, T0 + DAY)
        .await
        .unwrap();
    for i in 0..14 {
        let name = if i % 2 == 0 { "Sam Same" } else { "SAM SAME" };
        active_user(
            &w.engine,
            &org,
            &format!("active{i:02}@example.com"),
            name,
            Role::Member,
        )
        .await;
    }
    // Resent later, so Last sent and Expires move for some.
    let resent = w
        .engine
        .matching_user_ids(
            &w.org_manager,
            UserQuery {
                search: "sam0".into(),
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    for id in &resent[..5] {
        w.engine
            .resend(&w.org_manager, id, T0 + 2 * DAY)
            .await
            .unwrap();
    }
    for id in &resent[5..8] {
        w.engine
            .deactivate(&w.org_manager, id, T0 + 2 * DAY)
            .await
            .unwrap();
    }
    let now = T0 + 3 * DAY;
    let per_page = 7;
    let sorts = [
        SortKey::Name,
        SortKey::Email,
        SortKey::Status,
        SortKey::LastSent,
        SortKey::Expires,
    ];
    for statuses in [vec![], vec![UserStatus::Invited]] {
        for sort in sorts {
            for descending in [false, true] {
                let case = format!("{sort:?} desc={descending} {statuses:?}");
                let query = |page: u32, anchor: Option<PageAnchor>| UserQuery {
                    statuses: statuses.clone(),
                    sort,
                    descending,
                    page,
                    anchor,
                    per_page,
                    ..Default::default()
                };
                let former = ids_in_the_former_order(&w, sort, descending, &statuses).await;
                let pages = former.len().div_ceil(per_page as usize) as u32;
                let mut counted = Vec::new();
                for page in 1..=pages {
                    counted.push(ids(&list(&w, query(page, None), now).await));
                }
                assert_eq!(counted.concat(), former, "{case}: counted pages");
                assert_eq!(
                    counted.last().unwrap().len(),
                    match former.len() % per_page as usize {
                        0 => per_page as usize,
                        short => short,
                    },
                    "{case}: the last page"
                );
                for page in 2..=pages {
                    let after = counted[page as usize - 2].last().unwrap().clone();
                    let found = list(&w, query(page, Some(PageAnchor::After(after))), now).await;
                    assert_eq!(
                        ids(&found),
                        counted[page as usize - 1],
                        "{case}: next to {page}"
                    );
                    assert_eq!(found.page, page);
                    let before = counted[page as usize - 1][0].clone();
                    let found =
                        list(&w, query(page - 1, Some(PageAnchor::Before(before))), now).await;
                    assert_eq!(
                        ids(&found),
                        counted[page as usize - 2],
                        "{case}: back to {}",
                        page - 1
                    );
                }
                let past = counted.last().unwrap().last().unwrap().clone();
                let found = list(&w, query(pages + 1, Some(PageAnchor::After(past))), now).await;
                assert!(found.rows.is_empty(), "{case}: nothing after the last");
            }
        }
    }
    // An anchor that is gone, or in another organisation, counts from the start.
    let third = ids(&list(
        &w,
        UserQuery {
            page: 3,
            per_page,
            ..Default::default()
        },
        now,
    )
    .await);
    let gus: String = sqlx::query_scalar("SELECT id FROM users WHERE email = 'gus@globex.test'")
        .fetch_one(&w.t.db)
        .await
        .unwrap();
    for anchor in [
        PageAnchor::After("no-such-user".into()),
        PageAnchor::Before(gus),
    ] {
        let query = UserQuery {
            page: 3,
            per_page,
            anchor: Some(anchor),
            ..Default::default()
        };
        assert_eq!(ids(&list(&w, query, now).await), third);
    }
    // Page 1 starts at the start whatever the anchor.
    let first = ids(&list(
        &w,
        UserQuery {
            per_page,
            ..Default::default()
        },
        now,
    )
    .await);
    let anchored = UserQuery {
        per_page,
        anchor: Some(PageAnchor::After(third[0].clone())),
        ..Default::default()
    };
    assert_eq!(ids(&list(&w, anchored, now).await), first);
    // R24: all that match, in one query, in the listing's order.
    let invited_by_expiry = UserQuery {
        statuses: vec![UserStatus::Invited],
        link: LinkFilter::Any,
        sort: SortKey::Expires,
        ..Default::default()
    };
    assert_eq!(
        w.engine
            .matching_user_ids(&w.org_manager, invited_by_expiry, now)
            .await
            .unwrap(),
        ids_in_the_former_order(&w, SortKey::Expires, false, &[UserStatus::Invited]).await
    );
}

/// A status this build does not know is a loud error (logged, a generic
/// failure for the client), never shown as another status.
async fn an_unknown_status_is_an_error(t: TestDb) {
    let w = World::new(t).await;
    let before = list(&w, UserQuery::default(), T0).await;
    assert_eq!(before.total, 3);
    write_unchecked(
        &w.t.db,
        &[("users", "users_status_check")],
        &["UPDATE users SET status = 'suspended' WHERE email = 'mo@acme.test'"],
    )
    .await;
    // A new instant: the counts are read again.
    let error = w
        .engine
        .list_users(&w.org_manager, UserQuery::default(), T0 + 10 * MINUTE)
        .await
        .unwrap_err();
    assert_eq!(error, AppError::Internal);
    let error = w
        .engine
        .list_users(
            &w.org_manager,
            UserQuery {
                search: "mo@".into(),
                ..Default::default()
            },
            T0 + 10 * MINUTE,
        )
        .await
        .unwrap_err();
    assert_eq!(error, AppError::Internal);
}

/// R24: "Resend Invite to all that match" says how many it sends to: the
/// Invited users among the matches, with and without a search, whatever
/// the status filter, and past the last page.
async fn invited_matching_counts_whom_resend_to_all_reaches(t: TestDb) {
    let w = World::new(t).await;
    for (email, name) in PEOPLE.iter().take(4) {
        active_user(&w.engine, &w.org_manager.org_id, email, name, Role::Member).await;
    }
    for who in [
        "inv.one@example.com",
        "inv.two@example.com",
        "inv.three@navy.test",
    ] {
        w.invite(who, None, T0).await;
    }
    let invited_matching = |search: &str, statuses: Vec<UserStatus>, page: u32| {
        let query = UserQuery {
            search: search.into(),
            statuses,
            per_page: 2,
            page,
            ..Default::default()
        };
        let w = &w;
        async move {
            let found = list(w, query, T0 + MINUTE).await;
            (found.total, found.invited_matching)
        }
    };
    // Everyone: the World's three staff, four active people, three invited.
    assert_eq!(invited_matching("", vec![], 1).await, (10, 3));
    assert_eq!(
        invited_matching("", vec![UserStatus::Active], 1).await,
        (7, 0)
    );
    assert_eq!(
        invited_matching("", vec![UserStatus::Invited], 1).await,
        (3, 3)
    );
    // A search: through the index (three characters and more) and below it.
    assert_eq!(invited_matching("example.com", vec![], 1).await, (4, 2));
    assert_eq!(invited_matching("example.com", vec![], 9).await, (4, 2));
    assert_eq!(invited_matching("navy", vec![], 1).await, (2, 1));
    assert_eq!(
        invited_matching("in", vec![UserStatus::Active, UserStatus::Invited], 1)
            .await
            .1,
        3
    );
    assert_eq!(
        invited_matching("example.com", vec![UserStatus::Active], 1).await,
        (2, 0)
    );
}

on_both_databases!(
    search_finds_what_contains_it_at_any_length,
    search_pages_and_a_page_past_the_last,
    search_follows_renames_and_removals,
    keyset_pages_are_the_counted_pages_through_ties,
    an_unknown_status_is_an_error,
    invited_matching_counts_whom_resend_to_all_reaches,
);
