//! R1, R2 over HTTP, where the attacker stands: every server function ×
//! every kind of caller → the status Roster must answer. Every refusal (and
//! every read) leaves the database as it was and queues no email. A server
//! function without a row fails the test, so a new endpoint cannot ship
//! without someone deciding who may call it.
//!
//! Columns: anonymous, a member of Blue, Blue's Team Manager acting inside
//! Blue ("in scope") and on Green ("out of scope"), Acme's Org Manager, and
//! Globex's Org Manager acting on Acme. Each cell gets its own fresh target
//! (an invited or active person in Blue, or in Green for the out-of-scope
//! column), so one cell's success never changes another cell's answer.

mod common;
#[path = "common/http.rs"]
mod http_app;

use common::Backend;
use http_app::{spawn_app_with, Answer, Settings, TestApp, Who};
use roster::domain::{invitations::UserQuery, AppError, Role, UserStatus};
use roster::server::now_ms;
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Anonymous,
    Member,
    TeamManagerInScope,
    TeamManagerOutOfScope,
    OrgManager,
    OtherOrgManager,
}

const COLS: [Col; 6] = [
    Col::Anonymous,
    Col::Member,
    Col::TeamManagerInScope,
    Col::TeamManagerOutOfScope,
    Col::OrgManager,
    Col::OtherOrgManager,
];

impl Col {
    fn who(self) -> Who {
        match self {
            Col::Anonymous => Who::Anonymous,
            Col::Member => Who::Member,
            Col::TeamManagerInScope | Col::TeamManagerOutOfScope => Who::TeamManager,
            Col::OrgManager => Who::OrgManager,
            Col::OtherOrgManager => Who::OtherOrgManager,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Col::Anonymous => "anonymous",
            Col::Member => "member",
            Col::TeamManagerInScope => "TM in scope",
            Col::TeamManagerOutOfScope => "TM out of scope",
            Col::OrgManager => "org manager",
            Col::OtherOrgManager => "other org's manager",
        }
    }
}

/// What a cell must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200; the action happened (so the database changed: which also
    /// proves the snapshot sees what the refusals must not do).
    Done,
    /// 200, and nothing in the database changed (reads, and bulk rows
    /// refused one by one inside a 200 report).
    Unchanged,
    /// This status with a JSON `AppError` body; nothing changed, no email.
    Refused(u16),
}

const OK: Expect = Expect::Done;
const READ: Expect = Expect::Unchanged;
const E401: Expect = Expect::Refused(401);
const E403: Expect = Expect::Refused(403);
const E404: Expect = Expect::Refused(404);
const E409: Expect = Expect::Refused(409);
const E422: Expect = Expect::Refused(422);

/// What each cell is given, made fresh for it before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    Nothing,
    /// A person invited into the cell's team a day ago (cooldown over, link
    /// valid); `token` is their emailed link.
    Invited,
    /// An Active person in the cell's team.
    Active,
    /// An Active person in no team.
    Unteamed,
    /// A Deactivated (once registered) person in the cell's team.
    Deactivated,
    /// Like `Invited`, then Olive copied a link: `token` is the copied one.
    CopiedLink,
    /// Like `Invited`, then Olive copied a link: `token` is the emailed one,
    /// now superseded (R12), which offers a self-service resend (R13).
    SupersededLink,
}

/// The cell's target and inputs.
struct Cell {
    team_id: String,
    /// The cell's team, except for Globex's manager: a team of Globex.
    own_team_id: String,
    team_name: &'static str,
    user_id: String,
    email: String,
    token: String,
    /// An address nobody has, for invites.
    fresh_email: String,
    caller_name: String,
}

enum Body {
    Form(Vec<(&'static str, String)>),
    Json(Value),
}

fn form(fields: &[(&'static str, &str)]) -> Body {
    Body::Form(fields.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

fn team_query(team_id: &str) -> Value {
    serde_json::to_value(UserQuery {
        team_id: Some(team_id.to_string()),
        ..Default::default()
    })
    .unwrap()
}

struct Row {
    /// What the row calls, as the report names it.
    call: &'static str,
    path: &'static str,
    fixture: Fixture,
    /// The call ends the caller's session: each cell signs in afresh.
    ends_session: bool,
    body: fn(&Cell) -> Body,
    /// In the order of `COLS`: anonymous, member, TM in scope, TM out of
    /// scope, org manager, other organisation's manager.
    expect: [Expect; 6],
}

fn row(
    call: &'static str,
    path: &'static str,
    fixture: Fixture,
    body: fn(&Cell) -> Body,
    expect: [Expect; 6],
) -> Row {
    Row {
        call,
        path,
        fixture,
        ends_session: false,
        body,
        expect,
    }
}

/// The table. Expected answers come from SPEC §1 (who may do what), R1, R2
/// and the rules of the engine (services/access.rs): a Team Manager may
/// view, resend and copy links for their teams' members and invite into
/// their teams; everything else about users and teams is the Org Manager's;
/// another organisation's ids are refused like ids that do not exist; the
/// invitee endpoints take the token as the credential, whoever calls.
fn table() -> Vec<Row> {
    use Fixture::*;
    vec![
        // Session and first run: open to everyone; first run happens once.
        row(
            "get_session",
            "/api/get_session",
            Nothing,
            |_| form(&[]),
            [READ; 6],
        ),
        row(
            "create_organisation (already set up)",
            "/api/create_organisation",
            Nothing,
            |c| {
                form(&[
                    ("org_name", "Evil Corp"),
                    ("your_name", "Eve"),
                    ("email", &c.fresh_email),
                    ("password", "correct horse battery"),
                ])
            },
            [E409; 6],
        ),
        row(
            "sign_in (wrong password)",
            "/api/sign_in",
            Nothing,
            |_| {
                form(&[
                    ("email", "olive@acme.test"),
                    ("password", "not the password"),
                ])
            },
            [E401; 6],
        ),
        Row {
            ends_session: true,
            // Without a session there is nothing to end.
            ..row(
                "sign_out",
                "/api/sign_out",
                Nothing,
                |_| form(&[]),
                [READ, OK, OK, OK, OK, OK],
            )
        },
        // The invitee's endpoints: the token is the credential (R6, R10, R13).
        row(
            "inspect_invite (unknown token)",
            "/api/inspect_invite",
            Nothing,
            |c| form(&[("token", &c.token)]),
            [E404; 6],
        ),
        row(
            "inspect_invite (emailed link)",
            "/api/inspect_invite",
            Invited,
            |c| form(&[("token", &c.token)]),
            [READ; 6],
        ),
        row(
            "confirm_invite_email (unknown token)",
            "/api/confirm_invite_email",
            Nothing,
            |c| form(&[("token", &c.token), ("email", &c.email)]),
            [E404; 6],
        ),
        row(
            "confirm_invite_email (copied link, right address)",
            "/api/confirm_invite_email",
            CopiedLink,
            |c| form(&[("token", &c.token), ("email", &c.email)]),
            [OK; 6],
        ),
        row(
            "set_invite_password (unknown token)",
            "/api/set_invite_password",
            Nothing,
            |c| {
                form(&[
                    ("token", &c.token),
                    ("password", "a new long password"),
                    ("confirm_password", "a new long password"),
                ])
            },
            [E404; 6],
        ),
        row(
            "set_invite_password (emailed link)",
            "/api/set_invite_password",
            Invited,
            |c| {
                form(&[
                    ("token", &c.token),
                    ("password", "a new long password"),
                    ("confirm_password", "a new long password"),
                ])
            },
            [OK; 6],
        ),
        row(
            "resend_from_link (unknown token)",
            "/api/resend_from_link",
            Nothing,
            |c| form(&[("token", &c.token)]),
            [E404; 6],
        ),
        row(
            "resend_from_link (superseded link)",
            "/api/resend_from_link",
            SupersededLink,
            |c| form(&[("token", &c.token)]),
            [OK; 6],
        ),
        // Onboarding: any signed-in person, on their own account.
        row(
            "complete_profile (own account)",
            "/api/complete_profile",
            Nothing,
            |c| {
                form(&[
                    ("display_name", &c.caller_name),
                    ("time_zone", "Europe/London"),
                    ("accept_terms", "on"),
                ])
            },
            [E401, OK, OK, OK, OK, OK],
        ),
        // Listings: the whole organisation is the Org Manager's; a team's
        // members are its managers' too. Globex sees Globex only.
        row(
            "list_users (whole organisation)",
            "/api/list_users",
            Nothing,
            |_| Body::Json(json!({ "query": UserQuery::default() })),
            [E401, E403, E403, E403, READ, READ],
        ),
        row(
            "list_users (a team's members)",
            "/api/list_users",
            Nothing,
            |c| Body::Json(json!({ "query": team_query(&c.team_id) })),
            [E401, E403, READ, E403, READ, E403],
        ),
        row(
            "matching_user_ids (whole organisation)",
            "/api/matching_user_ids",
            Nothing,
            |_| Body::Json(json!({ "query": UserQuery::default() })),
            [E401, E403, E403, E403, READ, READ],
        ),
        row(
            "matching_user_ids (a team's members)",
            "/api/matching_user_ids",
            Nothing,
            |c| Body::Json(json!({ "query": team_query(&c.team_id) })),
            [E401, E403, READ, E403, READ, E403],
        ),
        row(
            "user_details",
            "/api/user_details",
            Invited,
            |c| form(&[("user_id", &c.user_id)]),
            [E401, E403, READ, E403, READ, E403],
        ),
        // Inviting (R3, R4): Team Managers into their teams only.
        row(
            "invite_user (into the team)",
            "/api/invite_user",
            Nothing,
            |c| {
                Body::Json(json!({ "request": {
                    "email": c.fresh_email, "name": "", "team_ids": [c.team_id] } }))
            },
            [E401, E403, OK, E403, OK, E403],
        ),
        row(
            "invite_user (no team: into the caller's own organisation)",
            "/api/invite_user",
            Nothing,
            |c| {
                Body::Json(json!({ "request": {
                    "email": c.fresh_email, "name": "", "team_ids": [] } }))
            },
            [E401, E403, E422, E422, OK, OK],
        ),
        row(
            "bulk_invite (into the team)",
            "/api/bulk_invite",
            Nothing,
            |c| {
                Body::Json(
                    json!({ "csv": format!("{},Bulk Person", c.fresh_email), "team_id": c.team_id }),
                )
            },
            [E401, E403, OK, E403, OK, E403],
        ),
        row(
            "bulk_invite (team named per row)",
            "/api/bulk_invite",
            Nothing,
            |c| {
                Body::Json(json!({
                    "csv": format!("{},Bulk Person,{}", c.fresh_email, c.team_name), "team_id": null }))
            },
            // Out of scope and in Globex the row is refused inside a 200 report.
            [E401, E403, OK, READ, OK, READ],
        ),
        // Resend and Copy Invite Link (R7, R9): managers of the person's team.
        row(
            "resend_invite",
            "/api/resend_invite",
            Invited,
            |c| form(&[("user_id", &c.user_id)]),
            [E401, E403, OK, E403, OK, E403],
        ),
        row(
            "resend_invite (user id that does not exist)",
            "/api/resend_invite",
            Nothing,
            |_| form(&[("user_id", "00000000-0000-4000-8000-000000000000")]),
            [E401, E403, E403, E403, E403, E403],
        ),
        row(
            "copy_invite_link",
            "/api/copy_invite_link",
            Invited,
            |c| form(&[("user_id", &c.user_id)]),
            [E401, E403, OK, E403, OK, E403],
        ),
        row(
            "bulk_resend (chosen users)",
            "/api/bulk_resend",
            Invited,
            |c| Body::Json(json!({ "user_ids": [c.user_id], "matching": null })),
            [E401, E403, OK, E403, OK, E403],
        ),
        row(
            "bulk_resend (all matching a team's filter)",
            "/api/bulk_resend",
            Invited,
            |c| Body::Json(json!({ "user_ids": [], "matching": team_query(&c.team_id) })),
            [E401, E403, OK, E403, OK, E403],
        ),
        // Org Manager actions (R18, R23, SPEC §1).
        row(
            "revoke_invite",
            "/api/revoke_invite",
            Invited,
            |c| form(&[("user_id", &c.user_id)]),
            [E401, E403, E403, E403, OK, E403],
        ),
        row(
            "deactivate_user",
            "/api/deactivate_user",
            Active,
            |c| form(&[("user_id", &c.user_id)]),
            [E401, E403, E403, E403, OK, E403],
        ),
        row(
            "reactivate_user",
            "/api/reactivate_user",
            Deactivated,
            |c| form(&[("user_id", &c.user_id)]),
            [E401, E403, E403, E403, OK, E403],
        ),
        // Teams: Org Managers manage them; Team Managers see theirs.
        row(
            "list_teams",
            "/api/list_teams",
            Nothing,
            |_| form(&[]),
            [E401, E403, READ, READ, READ, READ],
        ),
        row(
            "create_team (in the caller's own organisation)",
            "/api/create_team",
            Nothing,
            |c| form(&[("name", &c.fresh_email)]),
            [E401, E403, E403, E403, OK, OK],
        ),
        row(
            "add_team_member (as its manager)",
            "/api/add_team_member",
            Unteamed,
            |c| {
                form(&[
                    ("team_id", &c.team_id),
                    ("user_id", &c.user_id),
                    ("as_manager", "true"),
                ])
            },
            [E401, E403, E403, E403, OK, E403],
        ),
        row(
            "add_team_member (caller's own team, Acme's person)",
            "/api/add_team_member",
            Unteamed,
            |c| {
                form(&[
                    ("team_id", &c.own_team_id),
                    ("user_id", &c.user_id),
                    ("as_manager", "false"),
                ])
            },
            // Globex's manager puts Acme's person into a Globex team: R2.
            [E401, E403, E403, E403, OK, E403],
        ),
        row(
            "add_team_member_by_email (as its manager)",
            "/api/add_team_member_by_email",
            Unteamed,
            |c| {
                form(&[
                    ("team_id", &c.team_id),
                    ("email", &c.email),
                    ("as_manager", "true"),
                ])
            },
            // Globex's manager names Acme's team: refused as not theirs (R1, R2).
            [E401, E403, E403, E403, OK, E403],
        ),
        // Platform settings (R17): the Org Manager's, each of their own organisation.
        row(
            "get_sign_in_settings",
            "/api/get_sign_in_settings",
            Nothing,
            |_| form(&[]),
            [E401, E403, E403, E403, READ, READ],
        ),
        row(
            "save_sign_in_settings (passwords)",
            "/api/save_sign_in_settings",
            Nothing,
            |_| {
                form(&[
                    ("method", "Password"),
                    ("issuer", ""),
                    ("client_id", ""),
                    ("client_secret", ""),
                ])
            },
            [E401, E403, E403, E403, OK, OK],
        ),
        // API tokens (Step 10): the Org Manager's, each of their own organisation.
        row(
            "list_api_tokens",
            "/api/list_api_tokens",
            Nothing,
            |_| form(&[]),
            [E401, E403, E403, E403, READ, READ],
        ),
        row(
            "create_api_token",
            "/api/create_api_token",
            Nothing,
            |_| form(&[("name", "Authz check")]),
            [E401, E403, E403, E403, OK, OK],
        ),
        // Revoking a token of this organisation is covered in tests/api_v1.rs
        // (another organisation's manager gets 404 there too).
        row(
            "revoke_api_token (unknown id)",
            "/api/revoke_api_token",
            Nothing,
            |_| form(&[("id", &unique())]),
            [E401, E403, E403, E403, E404, E404],
        ),
        // Reminders (R27): the Org Manager's, each of their own organisation.
        row(
            "get_reminder_schedule",
            "/api/get_reminder_schedule",
            Nothing,
            |_| form(&[]),
            [E401, E403, E403, E403, READ, READ],
        ),
        row(
            "save_reminder_schedule",
            "/api/save_reminder_schedule",
            Nothing,
            |_| form(&[("days", "")]),
            [E401, E403, E403, E403, OK, OK],
        ),
        // Webhooks (Step 10): the Org Manager's, each of their own organisation.
        row(
            "get_webhook_settings",
            "/api/get_webhook_settings",
            Nothing,
            |_| form(&[]),
            [E401, E403, E403, E403, READ, READ],
        ),
        row(
            "add_webhook_endpoint",
            "/api/add_webhook_endpoint",
            Nothing,
            |_| {
                form(&[
                    ("url", &format!("https://{}.example.com/hooks", unique())),
                    ("events[]", "invitation.created"),
                ])
            },
            [E401, E403, E403, E403, OK, OK],
        ),
        row(
            "send_test_webhook (unknown id)",
            "/api/send_test_webhook",
            Nothing,
            |_| form(&[("id", &unique())]),
            [E401, E403, E403, E403, E404, E404],
        ),
        // Deleting one of this organisation's endpoints, and another
        // organisation's manager getting 404 for it, is in tests/webhooks.rs.
        row(
            "delete_webhook_endpoint (unknown id)",
            "/api/delete_webhook_endpoint",
            Nothing,
            |_| form(&[("id", &unique())]),
            [E401, E403, E403, E403, E404, E404],
        ),
    ]
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A well-formed token (43 URL-safe characters) that no link has.
fn unknown_token() -> String {
    format!("{}Qz_-Qz_-Qz_", unique())
}

async fn make_cell(app: &TestApp, globex_team: &str, col: Col, fixture: Fixture) -> Cell {
    let (team_id, team_name) = if col == Col::TeamManagerOutOfScope {
        (app.green.clone(), "Green")
    } else {
        (app.blue.clone(), "Blue")
    };
    let caller_name = match col.who() {
        Who::Anonymous => "Nobody".to_string(),
        who => app.person(who).name.clone(),
    };
    let mut cell = Cell {
        team_id: team_id.clone(),
        own_team_id: if col == Col::OtherOrgManager {
            globex_team.to_string()
        } else {
            team_id.clone()
        },
        team_name,
        user_id: String::new(),
        email: format!("{}@nobody.test", unique()),
        token: unknown_token(),
        fresh_email: format!("{}@new.test", unique()),
        caller_name,
    };
    let person = |status: UserStatus| async move {
        let email = format!("{}@people.test", unique());
        let id = app
            .insert_user(
                &app.org_id,
                &email,
                "Pat Person",
                Role::Member,
                status,
                now_ms(),
            )
            .await;
        (id, email)
    };
    match fixture {
        Fixture::Nothing => {}
        Fixture::Invited | Fixture::CopiedLink | Fixture::SupersededLink => {
            let (invitee, emailed) = app.invited_a_day_ago(&team_id).await;
            cell.user_id = invitee.id;
            cell.email = invitee.email;
            cell.token = emailed;
            if fixture != Fixture::Invited {
                let copied = app.copy_link(&cell.user_id).await;
                if fixture == Fixture::CopiedLink {
                    cell.token = copied;
                }
            }
        }
        Fixture::Active | Fixture::Deactivated => {
            let status = if fixture == Fixture::Active {
                UserStatus::Active
            } else {
                UserStatus::Deactivated
            };
            (cell.user_id, cell.email) = person(status).await;
            app.add_to_team(&team_id, &cell.user_id, false).await;
        }
        Fixture::Unteamed => {
            (cell.user_id, cell.email) = person(UserStatus::Active).await;
        }
    }
    cell
}

async fn send(app: &TestApp, client: &reqwest::Client, path: &str, body: Body) -> Answer {
    match body {
        Body::Form(fields) => {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(client, path, &fields).await
        }
        Body::Json(value) => app.post_json(client, path, &value).await,
    }
}

fn short(body: &str) -> String {
    let body = body.replace('\n', " ");
    if body.chars().count() > 160 {
        format!("{}…", body.chars().take(160).collect::<String>())
    } else {
        body
    }
}

/// Runs one cell; returns the status it got and what was wrong, if anything.
async fn run_cell(
    app: &TestApp,
    globex_team: &str,
    row: &Row,
    col: Col,
    expect: Expect,
) -> (u16, Option<String>) {
    let cell = make_cell(app, globex_team, col, row.fixture).await;
    let client = if row.ends_session {
        app.new_session(col.who()).await
    } else {
        app.client(col.who())
    };
    let before = app.snapshot().await;
    let answer = send(app, &client, row.path, (row.body)(&cell)).await;
    let after = app.snapshot().await;
    let changes = before.diff(&after);
    let got = answer.status;
    let at = format!("{} × {}", row.call, col.label());
    let problem = match expect {
        Expect::Done if got == 200 && !changes.is_empty() => None,
        Expect::Done if got == 200 => Some(format!("{at}: answered 200 but changed nothing")),
        Expect::Unchanged if got == 200 && changes.is_empty() => None,
        Expect::Unchanged if got == 200 => Some(format!(
            "{at}: a read that changed the database: {changes:?}"
        )),
        Expect::Refused(status) if got == status => {
            if !changes.is_empty() {
                Some(format!(
                    "{at}: refused with {got} but changed the database: {changes:?}"
                ))
            } else if answer.error().is_none() {
                Some(format!(
                    "{at}: refused with {got} but the body is not a JSON AppError: {}",
                    short(&answer.body)
                ))
            } else {
                None
            }
        }
        Expect::Refused(status) if got == 200 => Some(format!(
            "{at}: ALLOWED (200), expected {status}; changes: {changes:?}; body {}",
            short(&answer.body)
        )),
        _ => Some(format!(
            "{at}: expected {}, got {got} {}{}",
            match expect {
                Expect::Refused(s) => s.to_string(),
                _ => "200".into(),
            },
            short(&answer.body),
            if changes.is_empty() || got == 200 {
                String::new()
            } else {
                format!("; and it changed the database: {changes:?}")
            }
        )),
    };
    (got, problem)
}

fn registered_server_functions() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _method)| path.to_string())
        .collect()
}

/// R1, R2: the whole table, then R2's "nothing of A is visible to B" on
/// the answers Globex's manager got.
async fn authorization_matrix(backend: Backend) {
    // The matrix makes about a hundred calls to the public endpoints from
    // one address within a minute; the per-client limit has its own tests.
    let app = spawn_app_with(
        backend,
        Settings::default()
            .var("ROSTER_RATE_LIMIT", "100000")
            .var("ROSTER_INVITE_RATE_LIMIT", "100000"),
    )
    .await;
    let table = table();
    let mut problems = vec![];
    let globex_team = app.create_team_as(Who::OtherOrgManager, "Red").await;

    let registered = registered_server_functions();
    assert!(!registered.is_empty(), "no server function is registered");
    println!(
        "{} server functions registered: {registered:?}",
        registered.len()
    );
    for path in &registered {
        if !table.iter().any(|r| r.path == path) {
            problems.push(format!(
                "{path}: a server function without a row in the table"
            ));
        }
    }
    for r in &table {
        if !registered.contains(r.path) {
            problems.push(format!(
                "{}: a row for a path that is not a server function",
                r.path
            ));
        }
    }

    let mut grid = vec![format!(
        "{:<58} {}",
        "call",
        COLS.map(|c| format!("{:>11}", c.label().chars().take(11).collect::<String>()))
            .join("")
    )];
    for r in &table {
        let mut line = format!("{:<58} ", r.call);
        for (col, expect) in COLS.iter().zip(r.expect) {
            let (got, problem) = run_cell(&app, &globex_team, r, *col, expect).await;
            let mark = if problem.is_some() { "!" } else { " " };
            line += &format!("{:>10}{mark}", got);
            problems.extend(problem);
        }
        grid.push(line);
    }
    println!("{}", grid.join("\n"));

    // CSRF defence lets GET through, so no server function may run on a GET
    // (an <img src> on another site would carry the manager's cookie).
    let olive = app.client(Who::OrgManager);
    let before = app.snapshot().await;
    for path in &registered {
        let answer = app
            .get(
                &olive,
                &format!("{path}?user_id={}&name=Via%20GET", app.invited_blue.id),
            )
            .await;
        if !(400..500).contains(&answer.status) {
            problems.push(format!(
                "GET {path}: expected a 4xx, got {} {}",
                answer.status,
                short(&answer.body)
            ));
        }
    }
    let changes = before.diff(&app.snapshot().await);
    if !changes.is_empty() {
        problems.push(format!(
            "GET on server functions changed the database: {changes:?}"
        ));
    }

    // R2: Globex's manager, allowed to list, sees Globex only.
    let gus = app.client(Who::OtherOrgManager);
    let page: Value = app
        .post_json(
            &gus,
            "/api/list_users",
            &json!({ "query": UserQuery::default() }),
        )
        .await
        .ok()
        .json();
    for r in page["rows"].as_array().unwrap() {
        let email = r["email"].as_str().unwrap_or_default();
        if email.ends_with("acme.test")
            || email.ends_with("people.test")
            || email.ends_with("invitees.test")
        {
            problems.push(format!("R2: Globex's manager sees {email} of Acme"));
        }
    }
    let teams: Value = app
        .post_form(&gus, "/api/list_teams", &[])
        .await
        .ok()
        .json();
    for t in teams.as_array().unwrap() {
        if t["id"] == app.blue.as_str() || t["id"] == app.green.as_str() {
            problems.push(format!("R2: Globex's manager sees Acme's team {t}"));
        }
    }

    assert!(
        problems.is_empty(),
        "{} cells differ from the table:\n{}\n\n{}",
        problems.len(),
        problems.join("\n"),
        grid.join("\n")
    );
}

/// Over HTTP a refusal is told apart from a failure: the errors of `AppError`
/// have their status, and the body decodes back to the same error.
async fn refusals_carry_their_status_and_error(backend: Backend) {
    let app = http_app::spawn_app(backend).await;
    let anonymous = app.client(Who::Anonymous);
    let answer = app.post_form(&anonymous, "/api/list_teams", &[]).await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.error(), Some(AppError::Unauthenticated));
    let mo = app.client(Who::Member);
    let answer = app.post_form(&mo, "/api/list_teams", &[]).await;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(answer.error(), Some(AppError::Forbidden));
    let olive = app.client(Who::OrgManager);
    let answer = app
        .post_form(
            &olive,
            "/api/resend_invite",
            &[("user_id", &app.invited_blue.id)],
        )
        .await;
    assert_eq!(
        answer.status, 409,
        "R8: just invited, so within the cooldown: {answer:?}"
    );
    assert!(matches!(answer.error(), Some(AppError::Cooldown { .. })));
}

on_both_databases_over_http!(authorization_matrix, refusals_carry_their_status_and_error);
