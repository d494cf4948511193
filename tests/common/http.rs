//! zero2prod's `spawn_app()`: the real Roster (router, outbox worker,
//! housekeeping, limits) served on 127.0.0.1:0 over a fresh database and a
//! real SMTP server process, with a signed-in, cookie-aware HTTP client per
//! role. Tests drive it where the attacker stands: over HTTP.
//!
//! Include it next to `mod common;` with
//! `#[path = "common/http.rs"] mod http_app;` (common/mod.rs does not list it, so
//! test binaries that do not speak HTTP do not compile it).
#![allow(dead_code)]

use crate::common::{
    fresh_db,
    smtp::{free_port, SmtpSink},
    world::{link_in, token_of},
    Backend, TestDb,
};
use leptos::prelude::LeptosOptions;
use reqwest::{
    cookie::{CookieStore, Jar},
    header::{HeaderMap, ACCEPT, ORIGIN},
    Client, Url,
};
use roster::domain::{AppError, Role, UserStatus};
use roster::server::{
    app_server,
    config::Config,
    db::Db,
    new_id, now_ms, passwords,
    repos::{orgs, teams, users},
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sqlx::{any::AnyRow, Column, Row};
use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

/// Every person the harness creates signs in with this.
pub const PASSWORD: &str = "correct horse battery";
pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// Who is calling: a role of the populated organisation (or nobody).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Anonymous,
    /// Olive, the Org Manager of Acme (made by first run over HTTP).
    OrgManager,
    /// Tina, Team Manager of Blue (not of Green).
    TeamManager,
    /// Mo, a plain member of Blue.
    Member,
    /// Gina, a plain member of Green.
    GreenUser,
    /// Gus, the Org Manager of Globex, another organisation.
    OtherOrgManager,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// One HTTP answer, read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "answer is not the expected JSON ({e}): {} {}",
                self.status, self.body
            )
        })
    }

    /// The refusal, if the body is a JSON-encoded `AppError`.
    pub fn error(&self) -> Option<AppError> {
        serde_json::from_str(&self.body).ok()
    }

    /// Panics with the whole answer unless the status is 200.
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 200, "expected 200, got {self:?}");
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
}

/// The rows of the tables an action can change; compared before and after a
/// refused request to prove nothing happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<&'static str, Vec<String>>);

/// Tables whose every column is compared. The outbox is compared by its rows'
/// identity only: the worker updates their delivery columns meanwhile.
const SNAPSHOT_TABLES: &[(&str, &str)] = &[
    ("organisations", "SELECT * FROM organisations"),
    ("users", "SELECT * FROM users"),
    ("teams", "SELECT * FROM teams"),
    ("team_members", "SELECT * FROM team_members"),
    ("invitations", "SELECT * FROM invitations"),
    ("invite_links", "SELECT * FROM invite_links"),
    ("sessions", "SELECT * FROM sessions"),
    ("audit_log", "SELECT * FROM audit_log"),
    (
        "outbox",
        "SELECT id, org_id, invitation_id, to_address, subject, body_text, created_at FROM outbox",
    ),
];

impl Snapshot {
    /// Names of the tables that differ, with the rows gained and lost.
    pub fn diff(&self, after: &Snapshot) -> Vec<String> {
        let mut changes = vec![];
        for (table, before_rows) in &self.0 {
            let after_rows = after.0.get(table).cloned().unwrap_or_default();
            if *before_rows != after_rows {
                let gained: Vec<_> = after_rows
                    .iter()
                    .filter(|r| !before_rows.contains(r))
                    .collect();
                let lost: Vec<_> = before_rows
                    .iter()
                    .filter(|r| !after_rows.contains(r))
                    .collect();
                changes.push(format!("{table}: +{gained:?} -{lost:?}"));
            }
        }
        changes
    }
}

fn render_row(row: &AnyRow) -> String {
    (0..row.columns().len())
        .map(|i| {
            let name = row.columns()[i].name();
            let value = if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                format!("{v:?}")
            } else if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                format!("{v:?}")
            } else if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
                format!("{v:?}")
            } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                format!("{v:?}")
            } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                format!("{v:?}")
            } else {
                "<unreadable>".to_string()
            };
            format!("{name}={value}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Settings for one app; `spawn_app` uses the defaults of production except
/// the addresses.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Extra environment-style variables (e.g. `ROSTER_RATE_LIMIT`).
    pub vars: Vec<(String, String)>,
    /// Only the server: no organisation, nobody signed in.
    pub bare: bool,
    /// The site's files (`target/site` unless a test brings its own).
    pub site_root: Option<PathBuf>,
}

impl Settings {
    pub fn bare(mut self) -> Self {
        self.bare = true;
        self
    }

    pub fn site_root(mut self, dir: PathBuf) -> Self {
        self.site_root = Some(dir);
        self
    }

    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_string(), value.to_string()));
        self
    }
}

pub struct TestApp {
    pub backend: Backend,
    /// `http://127.0.0.1:{port}`: also `ROSTER_PUBLIC_URL`, so the Origin a
    /// browser on our pages would send.
    pub address: String,
    /// `scheme://host[:port]` of `ROSTER_PUBLIC_URL` (the address unless a
    /// test sets it): the `Origin` our requests carry, as a browser on
    /// Roster's pages would send.
    pub origin: String,
    pub db: Db,
    pub smtp: SmtpSink,
    pub org_id: String,
    pub other_org_id: String,
    pub blue: String,
    pub green: String,
    pub org_manager: Person,
    pub team_manager: Person,
    pub member: Person,
    pub green_user: Person,
    pub other_org_manager: Person,
    /// Invited (by Olive, over HTTP) into Blue and into Green.
    pub invited_blue: Person,
    pub invited_green: Person,
    /// Each role's cookies (`name=value`) after its sign-in over HTTP.
    cookies: HashMap<Who, Vec<String>>,
    /// An Argon2id hash of `PASSWORD`, reused for the people inserted by repos.
    password_hash: String,
    server: tokio::task::JoinHandle<Result<(), String>>,
    pub t: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The real app with the populated organisation of `world.rs`, every role
/// signed in over HTTP.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Settings::default()).await
}

pub async fn spawn_app_with(backend: Backend, settings: Settings) -> TestApp {
    let t = fresh_db(backend).await;
    let dir = std::env::temp_dir()
        .join("roster-tests")
        .join(format!("http-{}", uuid::Uuid::new_v4().simple()));
    let smtp = SmtpSink::start(free_port(), dir.join("smtp")).await;
    let (address, server) = start_server(&t, &smtp, dir.join("mail"), &settings).await;
    let origin = settings
        .vars
        .iter()
        .rev()
        .find(|(name, _)| name == "ROSTER_PUBLIC_URL")
        .map(|(_, url)| Url::parse(url).unwrap().origin().ascii_serialization())
        .unwrap_or_else(|| address.clone());

    let password_hash = passwords::hash_password(PASSWORD.to_string())
        .await
        .expect("hash the test password");
    let mut app = TestApp {
        backend,
        address,
        origin,
        db: t.db.clone(),
        smtp,
        org_id: String::new(),
        other_org_id: String::new(),
        blue: String::new(),
        green: String::new(),
        org_manager: person("olive@acme.test", "Olive Org"),
        team_manager: person("tina@acme.test", "Tina Team"),
        member: person("mo@acme.test", "Mo Member"),
        green_user: person("gina@acme.test", "Gina Green"),
        other_org_manager: person("gus@globex.test", "Gus Globex"),
        invited_blue: person("ivy@acme.test", ""),
        invited_green: person("ian@acme.test", ""),
        cookies: HashMap::new(),
        password_hash,
        server,
        t,
    };
    if !settings.bare {
        app.populate().await;
    }
    app
}

fn person(email: &str, name: &str) -> Person {
    Person {
        id: String::new(),
        email: email.into(),
        name: name.into(),
    }
}

async fn start_server(
    t: &TestDb,
    smtp: &SmtpSink,
    mail_dir: PathBuf,
    settings: &Settings,
) -> (String, tokio::task::JoinHandle<Result<(), String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let address = format!("http://{addr}");
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", t.url.clone()),
        ("ROSTER_PUBLIC_URL", address.clone()),
        ("ROSTER_SMTP_URL", smtp.url()),
        // With SMTP the sender must be at a real domain, not 127.0.0.1.
        ("ROSTER_MAIL_FROM", "roster@roster.test".to_string()),
        ("ROSTER_MAIL_DIR", mail_dir.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    vars.extend(settings.vars.iter().cloned());
    let config = Config::from_lookup(addr, |name| vars.get(name).cloned()).expect("test config");
    let leptos_options = LeptosOptions::builder()
        .output_name("roster")
        .site_root(
            settings
                .site_root
                .as_ref()
                .map_or("target/site".to_string(), |d| d.display().to_string()),
        )
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let server = tokio::spawn(async move {
        app_server::serve(config, leptos_options, listener)
            .await
            .map_err(|e| e.to_string())
    });

    // Ready once /healthz answers 200 (the database is reachable).
    let client = Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if server.is_finished() {
            let result = server.await;
            panic!("Roster stopped while starting: {result:?}");
        }
        if let Ok(r) = client.get(format!("{address}/healthz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Roster did not answer /healthz within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (address, server)
}

impl TestApp {
    /// World of `world.rs`, built the way a person would where HTTP can do
    /// it: first run, teams, team membership and invitations over HTTP; the
    /// people who would otherwise need an email round trip by repos.
    async fn populate(&mut self) {
        let now = now_ms();
        let anonymous = self.client(Who::Anonymous);
        let answer = self
            .post_form(
                &anonymous,
                "/api/create_organisation",
                &[
                    ("org_name", "Acme"),
                    ("your_name", self.org_manager.name.as_str()),
                    ("email", self.org_manager.email.as_str()),
                    ("password", PASSWORD),
                ],
            )
            .await
            .ok();
        let cookies = cookie_pairs(&answer);
        assert!(
            cookies.iter().any(|c| c.starts_with("roster_session=")),
            "first run signs its creator in: {answer:?}"
        );
        self.cookies.insert(Who::OrgManager, cookies);
        let olive = self.client(Who::OrgManager);
        let session: Value = self
            .post_form(&olive, "/api/get_session", &[])
            .await
            .ok()
            .json();
        self.org_manager.id = session["user"]["id"].as_str().unwrap().to_string();
        self.org_id = session["user"]["org_id"].as_str().unwrap().to_string();

        self.blue = self.create_team("Blue").await;
        self.green = self.create_team("Green").await;

        let org = self.org_id.clone();
        self.team_manager.id = self
            .insert_person(&org, &self.team_manager.clone(), Role::Member, now)
            .await;
        self.member.id = self
            .insert_person(&org, &self.member.clone(), Role::Member, now)
            .await;
        self.green_user.id = self
            .insert_person(&org, &self.green_user.clone(), Role::Member, now)
            .await;
        let (blue, green) = (self.blue.clone(), self.green.clone());
        for (team, user, manager) in [
            (&blue, self.team_manager.id.clone(), true),
            (&blue, self.member.id.clone(), false),
            (&green, self.green_user.id.clone(), false),
        ] {
            let manager = manager.to_string();
            self.post_form(
                &olive,
                "/api/add_team_member",
                &[
                    ("team_id", team.as_str()),
                    ("user_id", user.as_str()),
                    ("as_manager", manager.as_str()),
                ],
            )
            .await
            .ok();
        }
        self.invited_blue.id = self
            .invited_id(&self.invited_blue.email.clone(), &blue)
            .await;
        self.invited_green.id = self
            .invited_id(&self.invited_green.email.clone(), &green)
            .await;

        // A second organisation, which no HTTP call can create (first run is
        // once). Made after Acme, which stays the one first run made: what
        // anonymous visitors see (the sign-in method on /login).
        self.other_org_id = new_id();
        orgs::insert_organisation(&self.db, &self.other_org_id, "Globex", now_ms())
            .await
            .unwrap();
        let other = self.other_org_id.clone();
        self.other_org_manager.id = self
            .insert_person(
                &other,
                &self.other_org_manager.clone(),
                Role::OrgManager,
                now,
            )
            .await;

        for (who, email) in [
            (Who::TeamManager, self.team_manager.email.clone()),
            (Who::Member, self.member.email.clone()),
            (Who::GreenUser, self.green_user.email.clone()),
            (Who::OtherOrgManager, self.other_org_manager.email.clone()),
        ] {
            let answer = self.sign_in(&email, PASSWORD).await.0.ok();
            self.cookies.insert(who, cookie_pairs(&answer));
        }
    }

    /// An Active person inserted by repos with a real Argon2id hash of `PASSWORD`.
    async fn insert_person(&self, org_id: &str, p: &Person, role: Role, now: i64) -> String {
        self.insert_user(org_id, &p.email, &p.name, role, UserStatus::Active, now)
            .await
    }

    pub async fn insert_user(
        &self,
        org_id: &str,
        email: &str,
        name: &str,
        role: Role,
        status: UserStatus,
        now: i64,
    ) -> String {
        let id = new_id();
        users::insert_user(
            &self.db,
            users::NewUser {
                id: &id,
                org_id,
                email,
                name,
                role,
                status,
                password_hash: Some(&self.password_hash),
                now,
            },
        )
        .await
        .unwrap();
        id
    }

    pub async fn add_to_team(&self, team_id: &str, user_id: &str, as_manager: bool) {
        teams::insert_member(&self.db, team_id, user_id, as_manager, now_ms())
            .await
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn person(&self, who: Who) -> &Person {
        match who {
            Who::Anonymous => panic!("nobody is anonymous's person"),
            Who::OrgManager => &self.org_manager,
            Who::TeamManager => &self.team_manager,
            Who::Member => &self.member,
            Who::GreenUser => &self.green_user,
            Who::OtherOrgManager => &self.other_org_manager,
        }
    }

    /// A new client holding `who`'s session cookies (none for `Anonymous`):
    /// what it receives (a new session, a cleared cookie) stays its own.
    pub fn client(&self, who: Who) -> Client {
        let pairs = self.cookies.get(&who).cloned().unwrap_or_default();
        self.client_with_cookies(&pairs)
    }

    pub fn client_with_cookies(&self, pairs: &[String]) -> Client {
        let jar = Arc::new(Jar::default());
        let url: Url = self.address.parse().unwrap();
        for pair in pairs {
            jar.add_cookie_str(&format!("{pair}; Path=/"), &url);
        }
        Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// `who`'s cookies (`name=value`), as signed in at start.
    pub fn cookies_of(&self, who: Who) -> Vec<String> {
        self.cookies.get(&who).cloned().unwrap_or_default()
    }

    /// Signs in over HTTP; returns the answer and a client holding the new session.
    pub async fn sign_in(&self, email: &str, password: &str) -> (Answer, Client) {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let answer = self
            .post_form(
                &client,
                "/api/sign_in",
                &[("email", email), ("password", password)],
            )
            .await;
        (answer, client)
    }

    /// A fresh session for `who` over HTTP (for tests that end sessions).
    pub async fn new_session(&self, who: Who) -> Client {
        if who == Who::Anonymous {
            return self.client(Who::Anonymous);
        }
        let (answer, client) = self
            .sign_in(&self.person(who).email.clone(), PASSWORD)
            .await;
        answer.ok();
        client
    }

    /// A server function call with form fields, as the browser's server-function
    /// client sends it: same-site `Origin`, asking for JSON (so a function that
    /// redirects answers 200 with the redirect in headers, not 302).
    pub async fn post_form(&self, client: &Client, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = client
            .post(self.url(path))
            .header(ORIGIN, &self.origin)
            .header(ACCEPT, "application/json")
            .form(fields);
        read(request.send().await.expect("request reaches Roster")).await
    }

    /// A server function with `input = Json`: one JSON object of the arguments.
    pub async fn post_json(&self, client: &Client, path: &str, body: &Value) -> Answer {
        let request = client
            .post(self.url(path))
            .header(ORIGIN, &self.origin)
            .header(ACCEPT, "application/json")
            .json(body);
        read(request.send().await.expect("request reaches Roster")).await
    }

    /// Sends a request built by the test (own headers, own body).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        read(request.send().await.expect("request reaches Roster")).await
    }

    /// `host:port` the server listens on, for raw TCP.
    pub fn socket_addr(&self) -> String {
        self.address.trim_start_matches("http://").to_string()
    }

    pub async fn get(&self, client: &Client, path: &str) -> Answer {
        read(
            client
                .get(self.url(path))
                .send()
                .await
                .expect("request reaches Roster"),
        )
        .await
    }

    /// `create_team` over HTTP as Olive; returns the team's id.
    pub async fn create_team(&self, name: &str) -> String {
        self.create_team_as(Who::OrgManager, name).await
    }

    pub async fn create_team_as(&self, who: Who, name: &str) -> String {
        let client = self.client(who);
        self.post_form(&client, "/api/create_team", &[("name", name)])
            .await
            .ok()
            .json()
    }

    /// Invites `email` into `team` as Olive; the new user's id.
    async fn invited_id(&self, email: &str, team: &str) -> String {
        self.invite_as(Who::OrgManager, email, Some(team))
            .await
            .ok()
            .json::<Value>()["user_id"]
            .as_str()
            .expect("the invite answer names the user")
            .to_string()
    }

    /// `invite_user` over HTTP as `who`.
    pub async fn invite_as(&self, who: Who, email: &str, team: Option<&str>) -> Answer {
        let client = self.client(who);
        let team_ids: Vec<&str> = team.into_iter().collect();
        self.post_json(
            &client,
            "/api/invite_user",
            &json!({ "request": { "email": email, "name": "", "team_ids": team_ids } }),
        )
        .await
    }

    /// A person invited by Olive into `team` a day ago (so the resend
    /// cooldown is over and the link still valid); returns them and the
    /// token of their emailed link.
    pub async fn invited_a_day_ago(&self, team: &str) -> (Person, String) {
        let email = format!("{}@invitees.test", uuid::Uuid::new_v4().simple());
        let invited: Value = self
            .invite_as(Who::OrgManager, &email, Some(team))
            .await
            .ok()
            .json();
        let id = invited["user_id"].as_str().unwrap().to_string();
        self.backdate_invitation(&id, DAY_MS).await;
        let token = token_of(&self.last_link_emailed_to(&email).await);
        (
            Person {
                id,
                email,
                name: String::new(),
            },
            token,
        )
    }

    /// Moves the user's open invitation `by_ms` into the past (its emails
    /// were sent then); the link keeps its expiry.
    pub async fn backdate_invitation(&self, user_id: &str, by_ms: i64) {
        sqlx::query(
            "UPDATE invitations SET first_sent_at = first_sent_at - $2, last_sent_at = last_sent_at - $2,
                    created_at = created_at - $2
             WHERE user_id = $1 AND status = 'pending'",
        )
        .bind(user_id)
        .bind(by_ms)
        .execute(&self.db)
        .await
        .unwrap();
    }

    /// `copy_invite_link` over HTTP as Olive; returns the copied link's token.
    pub async fn copy_link(&self, user_id: &str) -> String {
        let olive = self.client(Who::OrgManager);
        let copied: Value = self
            .post_form(&olive, "/api/copy_invite_link", &[("user_id", user_id)])
            .await
            .ok()
            .json();
        token_of(copied["url"].as_str().unwrap())
    }

    /// The invitation link of the newest email queued to `email`.
    pub async fn last_link_emailed_to(&self, email: &str) -> String {
        let row = sqlx::query(
            "SELECT body_text FROM outbox WHERE to_address = $1 ORDER BY created_at DESC, id LIMIT 1",
        )
        .bind(email)
        .fetch_one(&self.db)
        .await
        .unwrap();
        link_in(&row.get::<String, _>(0))
    }

    pub async fn outbox_count(&self) -> i64 {
        sqlx::query("SELECT COUNT(*) FROM outbox")
            .fetch_one(&self.db)
            .await
            .unwrap()
            .get::<i64, _>(0)
    }

    pub async fn snapshot(&self) -> Snapshot {
        let mut tables = BTreeMap::new();
        for (table, sql) in SNAPSHOT_TABLES {
            let mut rows: Vec<String> = sqlx::query(sql)
                .fetch_all(&self.db)
                .await
                .unwrap_or_else(|e| panic!("snapshot of {table}: {e}"))
                .iter()
                .map(render_row)
                .collect();
            rows.sort();
            tables.insert(*table, rows);
        }
        Snapshot(tables)
    }
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

/// `name=value` of each cookie an answer sets (and does not clear).
pub fn cookie_pairs(answer: &Answer) -> Vec<String> {
    answer
        .set_cookies()
        .iter()
        .filter_map(|c| c.split(';').next())
        .map(|pair| pair.trim().to_string())
        .filter(|pair| pair.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
        .collect()
}

/// The cookies a client's jar would send to `address`.
pub fn jar_cookies(jar: &Jar, address: &str) -> Option<String> {
    jar.cookies(&address.parse().unwrap())
        .and_then(|v| v.to_str().ok().map(str::to_string))
}
