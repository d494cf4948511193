//! Demo data: `roster demo --users 100000 [--teams 20] [--force]` fills the
//! configured database with an organisation of made-up people in every
//! state a manager meets (SPEC §2, §3): Active users and Team Managers,
//! Invited ones whose links work, expire soon, have expired, were resent,
//! copied or locked, whose last email failed, and Deactivated ones; teams,
//! invitations with their links, delivered and failed emails, and the audit
//! log. Everything is written in one transaction with multi-row INSERTs, so
//! 100,000 users take seconds and a failure leaves nothing half-made.
//!
//! It refuses a database with users at real domains (everyone it makes is
//! at a domain reserved for examples) unless `--force` is given, so a real
//! deployment is not filled by accident.

pub mod people;

use crate::domain::{
    rules::{self, LinkKind, EXPIRING_SOON_MS, MAX_EMAIL_CONFIRMATION_TRIES},
    AppError, Role, UserStatus,
};
use crate::server::{
    app_server::BoxError,
    config::Config,
    db::{self, Backend},
    mail::compose,
    new_id, now_ms, passwords,
    repos::{
        audit::AuditRow,
        batch::{self, TableRow},
        demo as repo,
        invitations::{InvitationRow, LinkRow},
        orgs,
        outbox::{AttemptRow, EmailRow},
        teams::{MemberRow, NewTeam},
        users::{self, UserRow},
    },
    services::{token_end, Engine},
    state::AppState,
    tokens,
};
use people::{AddressBook, Rng, DEMO_DOMAINS};
use std::{fmt, time::Duration};

pub const DEMO_ORG_NAME: &str = "Demo Organisation";
pub const DEMO_MANAGER_EMAIL: &str = "demo@example.com";
pub const DEMO_MANAGER_NAME: &str = "Dana Demo";
pub const MAX_USERS: usize = 1_000_000;
pub const MAX_TEAMS: usize = 1_000;
/// Users generated, then written, at a time: bounds the memory (emails are
/// a few KB each) without costing statements.
const CHUNK: usize = 5_000;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// The oldest demo invitation.
const HISTORY_DAYS: i64 = 400;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPlan {
    pub users: usize,
    pub teams: usize,
    /// Add demo users even if the database has users at real domains.
    pub force: bool,
}

impl Default for DemoPlan {
    fn default() -> Self {
        DemoPlan {
            users: 1_000,
            teams: 20,
            force: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Plan(String),
    #[error(
        "the database has users who are not demo users (such as {email}): roster demo adds \
         only to an empty database or to one it filled. Add --force to add demo users anyway"
    )]
    NotADemoDatabase { email: String },
    #[error("the organisation “{0}” has no active Org Manager to invite the demo users")]
    NoOrgManager(String),
    #[error("another first run created an organisation meanwhile; run roster demo again")]
    FirstRunRace,
    #[error("hashing the demo password: {0}")]
    Password(AppError),
    #[error("inserting demo rows into {table}: {source}")]
    Insert {
        table: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("{step}: {source}")]
    Database {
        step: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// Names the step a database error happened in.
trait Step<T> {
    fn step(self, step: &'static str) -> Result<T, DemoError>;
}

impl<T> Step<T> for Result<T, sqlx::Error> {
    fn step(self, step: &'static str) -> Result<T, DemoError> {
        self.map_err(|source| DemoError::Database { step, source })
    }
}

/// What a run made. Holds the password and a link's secret, printed once
/// for whoever ran the command: it is neither `Debug` nor `Serialize`.
#[derive(Default)]
pub struct DemoSummary {
    pub org_name: String,
    pub org_created: bool,
    pub manager_email: String,
    /// The password of the new Active demo users (and of demo@example.com
    /// when this run made it); `None` when they share the password of
    /// demo@example.com from an earlier run.
    pub password: Option<String>,
    pub users: usize,
    pub active: usize,
    /// Active users who manage a team (counted in `active` too).
    pub team_managers: usize,
    /// Invited, a working emailed link with more than two days left.
    pub invited_fresh: usize,
    pub invited_expiring_soon: usize,
    pub invited_expired: usize,
    /// Invited, emailed twice: the first link superseded, the second works.
    pub invited_resent: usize,
    /// Invited, a copied link superseded the emailed one.
    pub invited_copied: usize,
    /// Invited, the copied link locked after five wrong addresses (R10).
    pub invited_locked: usize,
    /// Invited, the invitation email failed for good (R21).
    pub invited_email_failed: usize,
    pub deactivated_after_joining: usize,
    pub deactivated_while_invited: usize,
    /// Invitations revoked before they were accepted: their user is gone (R23).
    pub revoked_invitations: usize,
    pub teams: usize,
    pub teams_created: usize,
    pub memberships: usize,
    pub invitations: usize,
    pub links: usize,
    pub emails_sent: usize,
    pub emails_failed: usize,
    pub delivery_attempts: usize,
    pub audit_entries: usize,
    /// A working emailed link, to try the invitee's side.
    pub sample_link: Option<SampleLink>,
    pub elapsed: Duration,
    /// Where the writing time went, table by table, in the order written.
    pub writes: Vec<TableWrite>,
    /// The commit (and on Postgres, analyzing users).
    pub committing: Duration,
}

/// Rows written to one table, and the time their INSERTs took.
pub struct TableWrite {
    pub table: &'static str,
    pub rows: usize,
    pub time: Duration,
}

pub struct SampleLink {
    pub email: String,
    pub url: String,
}

impl DemoSummary {
    pub fn invited(&self) -> usize {
        self.invited_fresh
            + self.invited_expiring_soon
            + self.invited_expired
            + self.invited_resent
            + self.invited_copied
            + self.invited_locked
            + self.invited_email_failed
    }

    pub fn deactivated(&self) -> usize {
        self.deactivated_after_joining + self.deactivated_while_invited
    }

    /// Of `elapsed`, the INSERTs and the commit; the rest is reading,
    /// hashing the password and making the rows.
    pub fn writing(&self) -> Duration {
        self.committing + self.writes.iter().map(|w| w.time).sum::<Duration>()
    }

    fn wrote(&mut self, table: &'static str, rows: usize, time: Duration) {
        match self.writes.iter_mut().find(|w| w.table == table) {
            Some(write) => {
                write.rows += rows;
                write.time += time;
            }
            None => self.writes.push(TableWrite { table, rows, time }),
        }
    }
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = thousands;
        let made = if self.org_created {
            "created"
        } else {
            "reused"
        };
        writeln!(f, "Organisation “{}” ({made}).", self.org_name)?;
        match (&self.password, self.org_created) {
            (Some(password), true) => writeln!(
                f,
                "Sign in as {} with the password {password}; every Active demo user has it too.",
                self.manager_email
            )?,
            (Some(password), false) => writeln!(
                f,
                "The new Active demo users sign in with the password {password}."
            )?,
            (None, _) => writeln!(
                f,
                "The new Active demo users share the password of {} (printed when it was created).",
                self.manager_email
            )?,
        }
        writeln!(
            f,
            "Added {} users in {:.1} s ({:.1} s of it writing):",
            n(self.users),
            self.elapsed.as_secs_f64(),
            self.writing().as_secs_f64()
        )?;
        writeln!(
            f,
            "  {} Active ({} of them Team Managers)",
            n(self.active),
            n(self.team_managers)
        )?;
        writeln!(
            f,
            "  {} Invited: {} with a working link, {} expiring within 2 days, {} expired, {} resent, \
             {} with a copied link, {} with a locked copied link, {} whose email failed",
            n(self.invited()),
            n(self.invited_fresh),
            n(self.invited_expiring_soon),
            n(self.invited_expired),
            n(self.invited_resent),
            n(self.invited_copied),
            n(self.invited_locked),
            n(self.invited_email_failed)
        )?;
        writeln!(
            f,
            "  {} Deactivated ({} after joining, {} while invited)",
            n(self.deactivated()),
            n(self.deactivated_after_joining),
            n(self.deactivated_while_invited)
        )?;
        writeln!(
            f,
            "Teams: {} ({} new), {} memberships. Invitations: {} ({} revoked), links: {}.",
            n(self.teams),
            n(self.teams_created),
            n(self.memberships),
            n(self.invitations),
            n(self.revoked_invitations),
            n(self.links)
        )?;
        writeln!(
            f,
            "Emails: {} sent, {} failed, {} delivery attempts (none queued: nothing will be sent). Audit entries: {}.",
            n(self.emails_sent),
            n(self.emails_failed),
            n(self.delivery_attempts),
            n(self.audit_entries)
        )?;
        let tables: Vec<String> = self
            .writes
            .iter()
            .map(|w| format!("{} {:.1} s", w.table, w.time.as_secs_f64()))
            .collect();
        writeln!(
            f,
            "Writing, table by table: {}; commit {:.1} s.",
            tables.join(", "),
            self.committing.as_secs_f64()
        )?;
        if let Some(link) = &self.sample_link {
            writeln!(
                f,
                "Try the invitee's side: {} (invitation of {})",
                link.url, link.email
            )?;
        }
        Ok(())
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Adds `plan.users` demo users (and `plan.teams` teams) to the database of
/// `engine`: to the existing organisation, or to a new one with the Org
/// Manager demo@example.com. Links expire after the engine's lifetime,
/// counted from `now`.
pub async fn fill(engine: &Engine, plan: &DemoPlan, now: i64) -> Result<DemoSummary, DemoError> {
    let started = std::time::Instant::now();
    check_plan(plan)?;
    let db = &engine.db;
    if !plan.force {
        if let Some(email) = repo::find_email_outside_domains(db, DEMO_DOMAINS)
            .await
            .step("look for users who are not demo users")?
        {
            return Err(DemoError::NotADemoDatabase { email });
        }
    }
    let (org, manager) = find_organisation(db).await?;
    let mut summary = DemoSummary::default();
    let (password_hash, password) = demo_password(manager.as_ref()).await?;
    summary.password = password;
    let founded = now - (HISTORY_DAYS + 1) * DAY;
    let inviter = match &manager {
        Some(m) => Inviter {
            id: m.id.clone(),
            name: m.name.clone(),
        },
        None => Inviter {
            id: new_id(),
            name: DEMO_MANAGER_NAME.into(),
        },
    };
    summary.org_created = manager.is_none();
    summary.org_name = org.name.clone();
    summary.manager_email = manager
        .as_ref()
        .map_or(DEMO_MANAGER_EMAIL.into(), |m| m.email.clone());

    let existing_teams = repo::find_teams_of_org(db, &org.id)
        .await
        .step("read the teams")?;
    let addresses = repo::find_addresses_of_org(db, &org.id)
        .await
        .step("read the addresses in use")?;
    // Each run goes on where the last one stopped, so it meets new people.
    let first_index = addresses.len() as u64;

    let mut scene = Scene {
        engine,
        now,
        ttl: engine.invite_ttl_ms.max(2),
        org_id: org.id.clone(),
        org_name: org.name.clone(),
        org_manager: inviter,
        password_hash,
        teams: vec![],
        book: AddressBook::new(addresses),
        rows: Rows::default(),
        summary,
    };
    scene.plan_teams(plan.teams, &existing_teams, founded);

    let mut conn = db.acquire().await.step("connect")?;
    repo::tune_sqlite_for_bulk_writes(&mut conn, true)
        .await
        .step("tune SQLite for the load")?;
    let mut tx = sqlx::Connection::begin(&mut *conn)
        .await
        .step("begin the demo transaction")?;
    if manager.is_none() {
        // First run, as the set-up page does it (one organisation, ever).
        if !orgs::claim_first_run(&mut tx, now)
            .await
            .step("claim first run")?
        {
            return Err(DemoError::FirstRunRace);
        }
        orgs::insert_organisation(&mut *tx, &org.id, &org.name, founded)
            .await
            .step("insert the demo organisation")?;
        users::insert_user(
            &mut *tx,
            users::NewUser {
                id: &scene.org_manager.id,
                org_id: &org.id,
                email: DEMO_MANAGER_EMAIL,
                name: DEMO_MANAGER_NAME,
                role: Role::OrgManager,
                status: UserStatus::Active,
                password_hash: Some(&scene.password_hash),
                now: founded,
            },
        )
        .await
        .step("insert the demo Org Manager")?;
        scene.book.claim("demo", "example.com");
    }
    let new_teams = std::mem::take(&mut scene.rows.teams);
    insert(&mut tx, new_teams, &mut scene.summary).await?;
    for start in (0..plan.users).step_by(CHUNK) {
        for position in start..(start + CHUNK).min(plan.users) {
            scene.add_user(first_index + position as u64, position);
        }
        let rows = std::mem::take(&mut scene.rows);
        scene.summary.count(&rows);
        rows.write(&mut tx, &mut scene.summary).await?;
    }
    let committing = std::time::Instant::now();
    tx.commit().await.step("commit the demo data")?;
    repo::tune_sqlite_for_bulk_writes(&mut conn, false)
        .await
        .step("restore SQLite's defaults")?;
    // Whoever reads next (a benchmark, the Users page) gets the plans of a
    // filled table at once, not after autovacuum's next round.
    crate::server::repos::batch::analyze_on_postgres(&mut conn, &[UserRow::TABLE])
        .await
        .step("analyze the users table")?;
    scene.summary.committing = committing.elapsed();
    engine.counts_cache.invalidate();

    let mut summary = scene.summary;
    summary.users = plan.users;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn check_plan(plan: &DemoPlan) -> Result<(), DemoError> {
    if plan.users == 0 || plan.users > MAX_USERS {
        return Err(DemoError::Plan(format!(
            "--users must be between 1 and {}",
            thousands(MAX_USERS)
        )));
    }
    if plan.teams > MAX_TEAMS {
        return Err(DemoError::Plan(format!(
            "--teams must be at most {MAX_TEAMS}"
        )));
    }
    Ok(())
}

/// The organisation with its Org Manager, or (`None`) the one to create.
async fn find_organisation(
    db: &db::Db,
) -> Result<(repo::OrganisationRecord, Option<repo::OrgManagerRecord>), DemoError> {
    let Some(org) = repo::find_first_organisation(db)
        .await
        .step("find the organisation")?
    else {
        let org = repo::OrganisationRecord {
            id: new_id(),
            name: DEMO_ORG_NAME.into(),
        };
        return Ok((org, None));
    };
    let manager = repo::find_first_active_org_manager(db, &org.id)
        .await
        .step("find an Org Manager")?
        .ok_or_else(|| DemoError::NoOrgManager(org.name.clone()))?;
    Ok((org, Some(manager)))
}

/// The password hash of the Active demo users, so they can sign in: that of
/// demo@example.com when an earlier run made it, else a new password's,
/// with the password to print.
async fn demo_password(
    manager: Option<&repo::OrgManagerRecord>,
) -> Result<(String, Option<String>), DemoError> {
    let earlier = manager
        .filter(|m| m.email == DEMO_MANAGER_EMAIL)
        .and_then(|m| m.password_hash.clone());
    if let Some(hash) = earlier {
        return Ok((hash, None));
    }
    let password = tokens::new_token().secret[..16].to_string();
    passwords::check_password_rules(&password).map_err(DemoError::Password)?;
    let hash = passwords::hash_password(password.clone())
        .await
        .map_err(DemoError::Password)?;
    Ok((hash, Some(password)))
}

/// Who sends invitations: the Org Manager, or a Team Manager for their team.
#[derive(Clone)]
struct Inviter {
    id: String,
    name: String,
}

struct DemoTeam {
    id: String,
    name: String,
    /// Cumulative weight: a few big teams, many small ones.
    weight_to: u64,
    managers: Vec<Inviter>,
    wanted_managers: usize,
}

#[derive(Default)]
struct Rows {
    teams: Vec<NewTeam>,
    users: Vec<UserRow>,
    invitations: Vec<InvitationRow>,
    links: Vec<LinkRow>,
    emails: Vec<EmailRow>,
    attempts: Vec<AttemptRow>,
    members: Vec<MemberRow>,
    audit: Vec<AuditRow>,
}

impl Rows {
    /// Parents before children, for the foreign keys.
    async fn write(
        self,
        conn: &mut sqlx::AnyConnection,
        summary: &mut DemoSummary,
    ) -> Result<(), DemoError> {
        insert(conn, self.users, summary).await?;
        insert(conn, self.invitations, summary).await?;
        insert(conn, self.links, summary).await?;
        insert(conn, self.emails, summary).await?;
        insert(conn, self.attempts, summary).await?;
        insert(conn, self.members, summary).await?;
        insert(conn, self.audit, summary).await
    }
}

/// Writes `rows`, timed; a failure names their table.
async fn insert<R: TableRow>(
    conn: &mut sqlx::AnyConnection,
    rows: Vec<R>,
    summary: &mut DemoSummary,
) -> Result<(), DemoError> {
    let started = std::time::Instant::now();
    let count = rows.len();
    batch::insert_many(conn, rows)
        .await
        .map_err(|source| DemoError::Insert {
            table: R::TABLE,
            source,
        })?;
    summary.wrote(R::TABLE, count, started.elapsed());
    Ok(())
}

impl DemoSummary {
    fn count(&mut self, rows: &Rows) {
        self.invitations += rows.invitations.len();
        self.links += rows.links.len();
        self.emails_sent += rows.emails.iter().filter(|e| e.status == SENT).count();
        self.emails_failed += rows.emails.iter().filter(|e| e.status == FAILED).count();
        self.delivery_attempts += rows.attempts.len();
        self.memberships += rows.members.len();
        self.audit_entries += rows.audit.len();
    }
}

// The stored vocabulary of invitations, links and the outbox.
const PENDING: &str = "pending";
const ACCEPTED: &str = "accepted";
const REVOKED: &str = "revoked";
const ACTIVE_LINK: &str = "active";
const SUPERSEDED: &str = "superseded";
const USED: &str = "used";
const LOCKED: &str = "locked";
const SENT: &str = "sent";
const FAILED: &str = "failed";

/// What became of one demo user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Active,
    DeactivatedAfterJoining,
    Invited(Wait),
    DeactivatedWhileInvited,
}

/// Where an Invited user's invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Fresh,
    ExpiringSoon,
    Expired,
    Resent,
    Copied,
    Locked,
    EmailFailed,
}

/// 60% Active, 30% Invited, 10% Deactivated.
fn pick_fate(rng: &mut Rng) -> Fate {
    match rng.below(1000) {
        0..=599 => Fate::Active,
        600..=899 => Fate::Invited(match rng.below(100) {
            0..=34 => Wait::Fresh,
            35..=49 => Wait::ExpiringSoon,
            50..=69 => Wait::Expired,
            70..=79 => Wait::Resent,
            80..=89 => Wait::Copied,
            90..=94 => Wait::Locked,
            _ => Wait::EmailFailed,
        }),
        900..=969 => Fate::DeactivatedAfterJoining,
        _ => Fate::DeactivatedWhileInvited,
    }
}

/// One link of an invitation, as made.
struct MadeLink {
    url: String,
    token_end: String,
    expires_at: i64,
}

struct Scene<'a> {
    engine: &'a Engine,
    now: i64,
    ttl: i64,
    org_id: String,
    org_name: String,
    org_manager: Inviter,
    password_hash: String,
    teams: Vec<DemoTeam>,
    book: AddressBook,
    rows: Rows,
    summary: DemoSummary,
}

impl Scene<'_> {
    /// The plan's teams: existing ones of the same name are reused.
    fn plan_teams(&mut self, count: usize, existing: &[(String, String)], founded: i64) {
        let mut weight_to = 0;
        for n in 0..count {
            let name = people::team_name(n);
            let id = match existing
                .iter()
                .find(|(_, other)| other.to_lowercase() == name.to_lowercase())
            {
                Some((id, _)) => id.clone(),
                None => {
                    let id = new_id();
                    let created_at = founded + DAY + n as i64 * HOUR;
                    self.rows.teams.push(NewTeam {
                        id: id.clone(),
                        org_id: self.org_id.clone(),
                        name: name.clone(),
                        created_at,
                    });
                    self.log_by_org_manager("create_team", None, &name, created_at);
                    self.summary.teams_created += 1;
                    id
                }
            };
            weight_to += 1_000_000 / (n as u64 + 2);
            self.teams.push(DemoTeam {
                id,
                name,
                weight_to,
                managers: vec![],
                wanted_managers: 1 + n % 3,
            });
        }
        self.summary.teams = count;
    }

    /// The teams of the `position`-th user of this run: the first few fill
    /// one team each, so every team has members; most people are in one
    /// team, some in two, a few in none.
    fn pick_teams(&self, rng: &mut Rng, position: usize) -> Vec<usize> {
        if self.teams.is_empty() {
            return vec![];
        }
        if position < self.teams.len() {
            return vec![position];
        }
        if rng.chance(80) {
            return vec![];
        }
        let total = self.teams.last().map_or(1, |t| t.weight_to);
        let mut weighted = || {
            let roll = rng.next_u64() % total;
            self.teams.partition_point(|t| t.weight_to <= roll)
        };
        let first = weighted();
        let second = weighted();
        if second != first && rng.chance(100) {
            vec![first, second]
        } else {
            vec![first]
        }
    }

    /// The Org Manager, or now and then a manager of the person's team.
    fn inviter_for(&self, rng: &mut Rng, teams: &[usize]) -> Inviter {
        match teams.first().map(|&t| &self.teams[t].managers) {
            Some(managers) if !managers.is_empty() && rng.chance(400) => {
                managers[rng.below(managers.len())].clone()
            }
            _ => self.org_manager.clone(),
        }
    }

    fn add_user(&mut self, index: u64, position: usize) {
        let mut rng = Rng::for_index(index);
        let person = people::person(&mut rng);
        let email = self.book.claim(&person.local_part, person.domain);
        let fate = pick_fate(&mut rng);
        let teams = self.pick_teams(&mut rng, position);
        let inviter = self.inviter_for(&mut rng, &teams);
        let user_id = new_id();
        let invitation_id = new_id();
        let joined = matches!(fate, Fate::Active | Fate::DeactivatedAfterJoining);
        // Bulk invites often come without names.
        let name = if !joined && rng.chance(150) {
            String::new()
        } else {
            person.name
        };
        let user = User {
            id: user_id,
            email,
            name,
            invitation_id,
            inviter,
            bulk: rng.chance(700),
        };
        let invited_at = if joined {
            self.join(&mut rng, &user, fate)
        } else {
            self.wait(&mut rng, &user, fate)
        };
        let manages = fate == Fate::Active
            && teams
                .first()
                .is_some_and(|&t| self.teams[t].managers.len() < self.teams[t].wanted_managers);
        for (i, &t) in teams.iter().enumerate() {
            let is_manager = manages && i == 0;
            self.rows.members.push(MemberRow {
                team_id: self.teams[t].id.clone(),
                user_id: user.id.clone(),
                is_manager,
                added_at: invited_at,
            });
            if is_manager {
                let at = (invited_at + 10 * DAY).min(self.now - MINUTE);
                let team = self.teams[t].name.clone();
                self.log_by_org_manager("appoint_team_manager", Some(&user), &team, at);
                self.teams[t].managers.push(Inviter {
                    id: user.id.clone(),
                    name: user.name.clone(),
                });
                self.summary.team_managers += 1;
            }
        }
        if rng.chance(10) {
            self.add_revoked_invitation(&mut rng);
        }
    }

    /// An Active (or later Deactivated) user: invited, link used, profile
    /// done. Returns when they were invited.
    fn join(&mut self, rng: &mut Rng, user: &User, fate: Fate) -> i64 {
        let now = self.now;
        let invited_at = now - rng.between(8 * DAY, HISTORY_DAYS * DAY);
        let copied = rng.chance(100);
        let first = self.link(
            &user.invitation_id,
            LinkKind::Email,
            if copied { SUPERSEDED } else { USED },
            invited_at,
        );
        if rng.chance(100) {
            self.email(rng, user, &first, invited_at, false);
        }
        self.log_invite(user, invited_at);
        let mut last_link_at = invited_at;
        if copied {
            last_link_at = invited_at + rng.between(HOUR, 2 * DAY).min(self.ttl / 2);
            let link = self.link(&user.invitation_id, LinkKind::Copied, USED, last_link_at);
            self.log(
                &user.inviter,
                "copy_link",
                Some(user),
                &link.token_end,
                last_link_at,
            );
        }
        let accepted_at = last_link_at + rng.between(1, (self.ttl * 9 / 10).min(3 * DAY));
        if copied {
            if let Some(link) = self.rows.links.last_mut() {
                link.email_confirmed_at = Some(accepted_at - (accepted_at - last_link_at) / 2);
            }
        }
        let kind = if copied {
            LinkKind::Copied
        } else {
            LinkKind::Email
        };
        // The invitee acts here, named by their address.
        let invitee = Inviter {
            id: user.id.clone(),
            name: user.email.clone(),
        };
        self.log(&invitee, "accept", Some(user), kind.as_db(), accepted_at);
        self.invitation(user, ACCEPTED, invited_at, invited_at, Some(accepted_at));
        let status = if fate == Fate::Active {
            self.summary.active += 1;
            UserStatus::Active
        } else {
            self.summary.deactivated_after_joining += 1;
            self.log_deactivation(rng, user, accepted_at + DAY);
            UserStatus::Deactivated
        };
        let onboarded_at = accepted_at + rng.between(MINUTE, 10 * MINUTE);
        self.rows.users.push(UserRow {
            password_hash: Some(self.password_hash.clone()),
            time_zone: Some(rng.pick(people::TIME_ZONES).into()),
            activated_at: Some(accepted_at),
            terms_accepted_at: Some(onboarded_at),
            onboarded_at: Some(onboarded_at),
            ..self.user_row(user, status, invited_at, invited_at)
        });
        invited_at
    }

    /// An Invited (or Deactivated while invited) user. Returns when they
    /// were first invited.
    fn wait(&mut self, rng: &mut Rng, user: &User, fate: Fate) -> i64 {
        let (now, ttl) = (self.now, self.ttl);
        // Ages of a link that has more than two days left, less, or none.
        let fresh = (MINUTE, ttl - EXPIRING_SOON_MS - MINUTE);
        let fresh = if fresh.1 > fresh.0 {
            fresh
        } else {
            (0, ttl / 2)
        };
        let soon = ((ttl - EXPIRING_SOON_MS + MINUTE).max(0), ttl - MINUTE);
        let expired = (ttl + MINUTE, ttl + 60 * DAY);
        let age = |rng: &mut Rng, (low, high): (i64, i64)| rng.between(low, high);
        let mut working: Option<MadeLink> = None;
        let (first_sent, last_sent, last_sender);
        match fate {
            Fate::Invited(Wait::Resent) => {
                let sent_at = now - age(rng, fresh);
                let first_at = sent_at - rng.between(DAY, 20 * DAY);
                let old = self.link(&user.invitation_id, LinkKind::Email, SUPERSEDED, first_at);
                self.email(rng, user, &old, first_at, false);
                let link = self.link(&user.invitation_id, LinkKind::Email, ACTIVE_LINK, sent_at);
                self.email(rng, user, &link, sent_at, false);
                let sender = if rng.chance(500) {
                    self.org_manager.clone()
                } else {
                    user.inviter.clone()
                };
                self.log(&sender, "resend", Some(user), "", sent_at);
                (first_sent, last_sent, last_sender) = (first_at, sent_at, sender);
                working = Some(link);
            }
            Fate::Invited(Wait::Copied | Wait::Locked) => {
                let copied_at = now - age(rng, fresh);
                let sent_at = copied_at - rng.between(HOUR, 3 * DAY);
                let old = self.link(&user.invitation_id, LinkKind::Email, SUPERSEDED, sent_at);
                self.email(rng, user, &old, sent_at, false);
                let locked = fate == Fate::Invited(Wait::Locked);
                let link = self.link(
                    &user.invitation_id,
                    LinkKind::Copied,
                    if locked { LOCKED } else { ACTIVE_LINK },
                    copied_at,
                );
                self.log(
                    &user.inviter,
                    "copy_link",
                    Some(user),
                    &link.token_end,
                    copied_at,
                );
                if locked {
                    if let Some(row) = self.rows.links.last_mut() {
                        row.failed_confirmations = MAX_EMAIL_CONFIRMATION_TRIES;
                    }
                } else {
                    working = Some(link);
                }
                (first_sent, last_sent, last_sender) = (sent_at, sent_at, user.inviter.clone());
            }
            _ => {
                let range = match fate {
                    Fate::Invited(Wait::ExpiringSoon) => soon,
                    Fate::Invited(Wait::Expired) => expired,
                    Fate::DeactivatedWhileInvited => (MINUTE, ttl + 30 * DAY),
                    _ => fresh,
                };
                let sent_at = now - age(rng, range);
                let link = self.link(&user.invitation_id, LinkKind::Email, ACTIVE_LINK, sent_at);
                let failed = fate == Fate::Invited(Wait::EmailFailed);
                self.email(rng, user, &link, sent_at, failed);
                if fate == Fate::Invited(Wait::Fresh) && self.summary.sample_link.is_none() {
                    self.summary.sample_link = Some(SampleLink {
                        email: user.email.clone(),
                        url: link.url.clone(),
                    });
                }
                (first_sent, last_sent, last_sender) = (sent_at, sent_at, user.inviter.clone());
                working = Some(link);
            }
        }
        self.log_invite(user, first_sent);
        self.invitation(user, PENDING, first_sent, last_sent, None);
        if let Some(row) = self.rows.invitations.last_mut() {
            row.last_sent_by_id = last_sender.id;
            row.last_sent_by_name = last_sender.name;
        }
        let status = match fate {
            Fate::Invited(wait) => {
                *match wait {
                    Wait::Fresh => &mut self.summary.invited_fresh,
                    Wait::ExpiringSoon => &mut self.summary.invited_expiring_soon,
                    Wait::Expired => &mut self.summary.invited_expired,
                    Wait::Resent => &mut self.summary.invited_resent,
                    Wait::Copied => &mut self.summary.invited_copied,
                    Wait::Locked => &mut self.summary.invited_locked,
                    Wait::EmailFailed => &mut self.summary.invited_email_failed,
                } += 1;
                UserStatus::Invited
            }
            _ => {
                self.summary.deactivated_while_invited += 1;
                self.log_deactivation(rng, user, last_sent + MINUTE);
                UserStatus::Deactivated
            }
        };
        self.rows.users.push(UserRow {
            link_expires_at: working.map(|link| link.expires_at),
            ..self.user_row(user, status, first_sent, last_sent)
        });
        first_sent
    }

    /// An invitation revoked before it was accepted (R23): the user row is
    /// gone, the invitation, its link, email and audit entries stay.
    fn add_revoked_invitation(&mut self, rng: &mut Rng) {
        let person = people::person(rng);
        let user = User {
            id: new_id(),
            email: self.book.claim(&person.local_part, person.domain),
            name: person.name,
            invitation_id: new_id(),
            inviter: self.org_manager.clone(),
            bulk: false,
        };
        let sent_at = self.now - rng.between(DAY, HISTORY_DAYS * DAY);
        let revoked_at = sent_at + rng.between(HOUR, 5 * DAY);
        let link = self.link(&user.invitation_id, LinkKind::Email, SUPERSEDED, sent_at);
        self.email(rng, &user, &link, sent_at, false);
        self.log_invite(&user, sent_at);
        self.log_by_org_manager("revoke", Some(&user), "", revoked_at);
        self.invitation(&user, REVOKED, sent_at, sent_at, Some(revoked_at));
        if let Some(row) = self.rows.invitations.last_mut() {
            row.user_id = None;
        }
        self.summary.revoked_invitations += 1;
    }

    /// A new link with a real token: only its hash is stored (SPEC §7).
    fn link(
        &mut self,
        invitation_id: &str,
        kind: LinkKind,
        state: &'static str,
        created_at: i64,
    ) -> MadeLink {
        let token = tokens::new_token();
        let made = MadeLink {
            url: self.engine.invite_url(&token.secret),
            token_end: token_end(&token.secret),
            expires_at: rules::link_expires_at(created_at, self.ttl),
        };
        self.rows.links.push(LinkRow {
            id: new_id(),
            invitation_id: invitation_id.into(),
            token_hash: token.hash,
            token_end: made.token_end.clone(),
            kind: kind.as_db(),
            state,
            failed_confirmations: 0,
            email_confirmed_at: None,
            created_at,
            expires_at: made.expires_at,
        });
        made
    }

    fn invitation(
        &mut self,
        user: &User,
        status: &'static str,
        first_sent_at: i64,
        last_sent_at: i64,
        closed_at: Option<i64>,
    ) {
        self.rows.invitations.push(InvitationRow {
            id: user.invitation_id.clone(),
            org_id: self.org_id.clone(),
            user_id: Some(user.id.clone()),
            email: user.email.clone(),
            status,
            invited_by_id: user.inviter.id.clone(),
            invited_by_name: user.inviter.name.clone(),
            first_sent_at,
            last_sent_at,
            last_sent_by_id: user.inviter.id.clone(),
            last_sent_by_name: user.inviter.name.clone(),
            created_at: first_sent_at,
            closed_at,
            // Demo organisations start with reminders off.
            next_reminder_at: None,
        });
    }

    /// The invitation email of `link`, as the outbox worker leaves it:
    /// sent (now and then after a retry), or failed for good.
    fn email(&mut self, rng: &mut Rng, user: &User, link: &MadeLink, queued_at: i64, failed: bool) {
        let message = compose::invitation(&compose::InvitationEmail {
            org_name: &self.org_name,
            inviter_name: &user.inviter.name,
            invitee_name: &user.name,
            link: &link.url,
            expires_at: link.expires_at,
            reminder: false,
        });
        let id = new_id();
        let mut at = queued_at + rng.between(200, 3_000);
        let mut attempts = 0;
        if rng.chance(if failed { 300 } else { 50 }) {
            attempts += 1;
            self.rows.attempts.push(AttemptRow {
                id: new_id(),
                outbox_id: id.clone(),
                attempted_at: at,
                succeeded: false,
                reply: rng.pick(TEMPORARY_FAILURES).into(),
            });
            at += 5_000;
        }
        let reply = if failed {
            rng.pick(PERMANENT_FAILURES).replace("{to}", &user.email)
        } else {
            format!("250 2.0.0 Ok: queued as {:010X}", rng.next_u64() >> 24)
        };
        attempts += 1;
        self.rows.attempts.push(AttemptRow {
            id: new_id(),
            outbox_id: id.clone(),
            attempted_at: at,
            succeeded: !failed,
            reply: reply.clone(),
        });
        self.rows.emails.push(EmailRow {
            id,
            org_id: self.org_id.clone(),
            invitation_id: Some(user.invitation_id.clone()),
            to_address: user.email.clone(),
            subject: message.subject,
            body_text: message.text,
            body_html: message.html,
            status: if failed { FAILED } else { SENT },
            attempts,
            next_attempt_at: at,
            claimed_until: 0,
            created_at: queued_at,
            sent_at: (!failed).then_some(at),
            last_result: Some(reply),
        });
    }

    /// The user's row as an invitation leaves it; joining adds the rest.
    fn user_row(
        &self,
        user: &User,
        status: UserStatus,
        invited_at: i64,
        last_sent_at: i64,
    ) -> UserRow {
        UserRow {
            id: user.id.clone(),
            org_id: self.org_id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: Role::Member.as_db(),
            status: status.as_db(),
            created_at: invited_at,
            last_sent_at,
            ..UserRow::default()
        }
    }

    fn log_invite(&mut self, user: &User, at: i64) {
        let detail = if user.bulk { "bulk" } else { "" };
        self.log(&user.inviter, "invite", Some(user), detail, at);
    }

    /// Deactivated by the Org Manager some time after `after`.
    fn log_deactivation(&mut self, rng: &mut Rng, user: &User, after: i64) {
        let at = rng.between(after, self.now - MINUTE);
        self.log_by_org_manager("deactivate", Some(user), "", at);
    }

    fn log_by_org_manager(
        &mut self,
        action: &'static str,
        target: Option<&User>,
        detail: &str,
        at: i64,
    ) {
        let actor = self.org_manager.clone();
        self.log(&actor, action, target, detail, at);
    }

    fn log(
        &mut self,
        actor: &Inviter,
        action: &'static str,
        target: Option<&User>,
        detail: &str,
        at: i64,
    ) {
        self.rows.audit.push(AuditRow {
            id: new_id(),
            org_id: self.org_id.clone(),
            actor_id: Some(actor.id.clone()),
            actor_name: actor.name.clone(),
            action: action.into(),
            target_user_id: target.map(|u| u.id.clone()),
            target_email: target.map(|u| u.email.clone()),
            detail: detail.into(),
            at,
        });
    }
}

/// The person being written, with their invitation.
struct User {
    id: String,
    email: String,
    name: String,
    invitation_id: String,
    inviter: Inviter,
    /// Invited from a CSV (the audit entry says so).
    bulk: bool,
}

/// What a mail server answers when it cannot take an email now, or ever.
const TEMPORARY_FAILURES: &[&str] = &[
    "transient error (421): 4.7.0 Try again later, closing connection.",
    "transient error (451): 4.3.0 Mail server temporarily rejected message.",
    "Connection error: Connection refused (os error 111)",
];
const PERMANENT_FAILURES: &[&str] = &[
    "permanent error (550): 5.1.1 <{to}>: Recipient address rejected: User unknown in virtual mailbox table",
    "permanent error (552): 5.2.2 <{to}>: Mailbox full",
    "permanent error (554): 5.7.1 <{to}>: Relay access denied",
    "permanent error (550): 5.7.1 Message rejected as spam by content filter",
];

pub const USAGE: &str = "\
usage: roster demo [--users N] [--teams N] [--force]

Adds made-up users in every state (Active, Invited with working, expiring,
expired, resent, copied and locked links, failed emails, Deactivated), teams
with Team Managers, invitations, delivered and failed emails and the audit
log to the database of DATABASE_URL, in one transaction. No email is queued.

  --users N   users to add (default 1,000; at most 1,000,000)
  --teams N   teams (default 20); existing teams of the same name are reused
  --force     add demo users even though the database has users who are not
              demo users (addresses outside example.com/.org/.net/.example)";

#[derive(Debug, PartialEq, Eq)]
pub enum DemoCommand {
    Fill(DemoPlan),
    Help,
}

/// The arguments after `roster demo`.
pub fn parse_args(args: &[String]) -> Result<DemoCommand, String> {
    let mut plan = DemoPlan::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        match flag {
            "--users" | "--teams" => {
                let raw = inline
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| format!("{flag} needs a number"))?;
                let number = raw
                    .replace(['_', ','], "")
                    .parse::<usize>()
                    .map_err(|_| format!("{flag}: “{raw}” is not a whole number"))?;
                if flag == "--users" {
                    plan.users = number;
                } else {
                    plan.teams = number;
                }
            }
            "--force" if inline.is_none() => plan.force = true,
            "-h" | "--help" => return Ok(DemoCommand::Help),
            _ => return Err(format!("unknown argument “{arg}”\n\n{USAGE}")),
        }
    }
    Ok(DemoCommand::Fill(plan))
}

/// `roster demo …`: the configuration the server would use, then `fill`.
pub async fn run_command(args: &[String]) -> Result<(), BoxError> {
    let plan = match parse_args(args)? {
        DemoCommand::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        DemoCommand::Fill(plan) => plan,
    };
    let _ = dotenvy::dotenv();
    let leptos_options = leptos::prelude::get_configuration(None)?.leptos_options;
    let config = Config::from_lookup(leptos_options.site_addr, |name| std::env::var(name).ok())?;
    let place = describe_database(&config.database_url)?;
    let db = db::connect(&config.database_url)
        .await
        .map_err(|e| format!("connecting to the database: {e}"))?;
    let state = AppState::new(leptos_options, db, config);
    println!(
        "Adding {} demo users and {} teams to {place} …",
        thousands(plan.users),
        plan.teams
    );
    let summary = fill(&state.engine, &plan, now_ms()).await?;
    print!("{summary}");
    Ok(())
}

/// Where the data goes, without the credentials of a Postgres URL.
fn describe_database(url: &str) -> Result<String, String> {
    match Backend::of_url(url)? {
        Backend::Sqlite => Ok(format!("the SQLite database {url}")),
        Backend::Postgres => {
            let parsed = url::Url::parse(url).map_err(|e| format!("DATABASE_URL: {e}"))?;
            Ok(format!(
                "the Postgres database {} on {}",
                parsed.path().trim_start_matches('/'),
                parsed.host_str().unwrap_or("localhost")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_are_read_in_both_spellings() {
        assert_eq!(
            parse_args(&args(&["--users", "100000", "--teams=5", "--force"])),
            Ok(DemoCommand::Fill(DemoPlan {
                users: 100_000,
                teams: 5,
                force: true
            }))
        );
        assert_eq!(
            parse_args(&args(&["--users=100_000"])),
            Ok(DemoCommand::Fill(DemoPlan {
                users: 100_000,
                ..DemoPlan::default()
            }))
        );
        assert_eq!(parse_args(&[]), Ok(DemoCommand::Fill(DemoPlan::default())));
        assert_eq!(parse_args(&args(&["--help"])), Ok(DemoCommand::Help));
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = parse_args(&args(&["--users"])).unwrap_err();
        assert_eq!(err, "--users needs a number");
        let err = parse_args(&args(&["--users", "many"])).unwrap_err();
        assert_eq!(err, "--users: “many” is not a whole number");
        let err = parse_args(&args(&["--user", "5"])).unwrap_err();
        assert!(err.starts_with("unknown argument “--user”"), "{err}");
        let err = parse_args(&args(&["--force=yes"])).unwrap_err();
        assert!(err.starts_with("unknown argument “--force=yes”"), "{err}");
    }

    #[test]
    fn a_postgres_url_is_shown_without_its_password() {
        let shown = describe_database("postgres://roster:secret@db.internal:5432/roster").unwrap();
        assert_eq!(shown, "the Postgres database roster on db.internal");
        assert!(describe_database("mysql://x").is_err());
    }

    #[test]
    fn fates_come_in_the_planned_shares() {
        let mut counts = std::collections::HashMap::new();
        for index in 0..10_000 {
            let mut rng = Rng::for_index(index);
            let fate = match pick_fate(&mut rng) {
                Fate::Invited(_) => "invited",
                Fate::Active => "active",
                _ => "deactivated",
            };
            *counts.entry(fate).or_insert(0) += 1;
        }
        assert!((5_700..6_300).contains(&counts["active"]), "{counts:?}");
        assert!((2_700..3_300).contains(&counts["invited"]), "{counts:?}");
        assert!((800..1_200).contains(&counts["deactivated"]), "{counts:?}");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
