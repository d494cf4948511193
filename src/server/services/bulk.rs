//! Bulk invite (R4): up to 10,000 CSV rows `email[,name][,team]`, each with
//! its own outcome; valid rows are stored even when others are bad. All
//! rows are written in one transaction with multi-row INSERTs.

use super::{access, invitations::outside_your_teams, token_end, Engine};
use crate::domain::{
    invitations::{BulkInviteReport, BulkOutcome, BulkRow},
    rules::{self, LinkKind},
    AppError, EmailAddress, SessionUser, UserStatus,
};
use crate::server::{
    auth::clean_name,
    mail::compose,
    new_id,
    repos::{
        batch::{analyze_on_postgres, insert_rows, Value},
        db_error,
    },
    tokens,
};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

pub const MAX_BULK_ROWS: usize = 10_000;
/// A bulk invite of this many rows or more refreshes Postgres's statistics
/// of the tables it wrote, at once, instead of up to a minute later.
const STATISTICS_AFTER_ROWS: usize = 1_000;
/// An email, a name and a team fit in far less; a longer line is a wrong
/// file (or an attack on the parser), refused with its line number.
pub const MAX_LINE_CHARS: usize = 1_000;

/// One CSV row, read but not yet judged.
struct CsvRow {
    line: usize,
    email: String,
    name: String,
    team: String,
}

fn read_csv(text: &str) -> Result<Vec<CsvRow>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| AppError::invalid(format!("The CSV could not be read: {e}")))?;
        if record.as_slice().chars().count() > MAX_LINE_CHARS {
            return Err(AppError::invalid(format!(
                "Line {} is longer than {MAX_LINE_CHARS} characters: each line is email, name (optional), team (optional).",
                index + 1
            )));
        }
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let email = field(0);
        if email.is_empty() && record.iter().all(str::is_empty) {
            continue; // blank line
        }
        if index == 0 && email.eq_ignore_ascii_case("email") {
            continue; // header row
        }
        rows.push(CsvRow {
            line: index + 1,
            email,
            name: field(1),
            team: field(2),
        });
        if rows.len() > MAX_BULK_ROWS {
            return Err(AppError::invalid(format!(
                "A bulk invite takes at most {MAX_BULK_ROWS} rows; split the file."
            )));
        }
    }
    if rows.is_empty() {
        return Err(AppError::invalid(
            "The CSV has no rows. Each line is: email, name (optional), team (optional).",
        ));
    }
    Ok(rows)
}

/// The valid addresses of the file, in their one spelling.
fn parsed_emails(rows: &[CsvRow]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| EmailAddress::parse(&r.email).ok())
        .map(|e| e.to_string())
        .collect()
}

impl Engine {
    /// `default_team_id` is the team whose Members tab the manager is on;
    /// rows without a team column go there.
    pub async fn bulk_invite(
        &self,
        actor: &SessionUser,
        csv_text: &str,
        default_team_id: Option<&str>,
        now: i64,
    ) -> Result<BulkInviteReport, AppError> {
        let default_teams: Vec<String> = default_team_id
            .map(|t| vec![t.to_string()])
            .unwrap_or_default();
        access::authorize_teams(&self.db, actor, &default_teams)
            .await
            .or_else(|e| {
                // A Team Manager without a default team may still name teams per row.
                if !actor.is_org_manager()
                    && default_teams.is_empty()
                    && matches!(e, AppError::Invalid(_))
                {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
        let started = std::time::Instant::now();
        let rows = read_csv(csv_text)?;
        let teams = self.teams_by_name(actor).await?;
        let mut existing = self.existing_statuses(actor, &rows).await?;
        let last_sent = self.last_sent_by_address(actor, &rows).await?;

        let looked_up = started.elapsed();
        let mut report = BulkInviteReport::default();
        let mut seen = HashSet::new();
        let mut batch = InsertBatch::default();
        for row in rows {
            let outcome = |outcome: BulkOutcome, message: String| BulkRow {
                line: row.line,
                email: row.email.clone(),
                outcome,
                message,
            };
            let email = match EmailAddress::parse(&row.email) {
                Ok(email) => email,
                Err(message) => {
                    report
                        .rows
                        .push(outcome(BulkOutcome::InvalidEmail, message));
                    continue;
                }
            };
            if !seen.insert(email.as_str().to_string()) {
                report.rows.push(outcome(
                    BulkOutcome::DuplicateRow,
                    format!("{email} appears earlier in the file."),
                ));
                continue;
            }
            if let Some(status) = existing.get(email.as_str()) {
                // R2: of people outside their teams a Team Manager learns
                // nothing more, not even their status.
                if !actor.is_org_manager() && !self.is_in_scope(actor, &email).await? {
                    report.rows.push(outcome(
                        BulkOutcome::NotAllowed,
                        outside_your_teams(&email).to_string(),
                    ));
                    continue;
                }
                let (o, message) = match status {
                    UserStatus::Invited => (
                        BulkOutcome::AlreadyInvited,
                        AppError::AlreadyInvited {
                            email: email.to_string(),
                        },
                    ),
                    UserStatus::Active => (
                        BulkOutcome::AlreadyActive,
                        AppError::AlreadyActive {
                            email: email.to_string(),
                        },
                    ),
                    UserStatus::Deactivated => (BulkOutcome::Deactivated, AppError::Deactivated),
                };
                report.rows.push(outcome(o, message.to_string()));
                continue;
            }
            if let Some(&last_sent_at) = last_sent.get(email.as_str()) {
                if let Err(until) =
                    rules::check_cooldown(now, last_sent_at, self.resend_cooldown_ms)
                {
                    report.rows.push(outcome(
                        BulkOutcome::Cooldown,
                        AppError::Cooldown { until }.to_string(),
                    ));
                    continue;
                }
            }
            let team_id = if row.team.is_empty() {
                default_team_id.map(str::to_string)
            } else {
                match teams.get(&row.team.to_lowercase()) {
                    Some((id, _)) => Some(id.clone()),
                    // A Team Manager only sees the teams they manage: one that
                    // does not exist and one of someone else's read the same.
                    None if !actor.is_org_manager() => {
                        report.rows.push(outcome(
                            BulkOutcome::NotAllowed,
                            "You can only invite into teams you manage.".into(),
                        ));
                        continue;
                    }
                    None => {
                        report.rows.push(outcome(
                            BulkOutcome::UnknownTeam,
                            format!("There is no team named “{}”.", row.team),
                        ));
                        continue;
                    }
                }
            };
            let allowed = actor.is_org_manager()
                || team_id
                    .as_ref()
                    .is_some_and(|t| teams.values().any(|(id, managed)| id == t && *managed));
            if !allowed {
                report.rows.push(outcome(
                    BulkOutcome::NotAllowed,
                    "You can only invite into teams you manage.".into(),
                ));
                continue;
            }
            let name = match row.name.as_str() {
                "" => String::new(),
                raw => match clean_name(raw, "Name") {
                    Ok(name) => name,
                    Err(e) => {
                        report
                            .rows
                            .push(outcome(BulkOutcome::InvalidEmail, e.to_string()));
                        continue;
                    }
                },
            };
            batch.add(self, actor, &email, &name, team_id.as_deref(), now);
            existing.insert(email.as_str().to_string(), UserStatus::Invited);
            report.rows.push(outcome(
                BulkOutcome::Invited,
                format!("Invitation queued for {email}."),
            ));
        }

        let checked = started.elapsed();
        let batch_rows = batch.users.len();
        let mut tx = self.db.begin().await.map_err(db_error)?;
        batch.write(&mut tx).await.map_err(db_error)?;
        let written = started.elapsed();
        self.commit(tx).await?;
        self.outbox_wake.notify_one();
        if batch_rows >= STATISTICS_AFTER_ROWS {
            let db = self.db.clone();
            tokio::spawn(async move {
                let analyzed = async {
                    let mut conn = db.acquire().await?;
                    analyze_on_postgres(&mut conn, InsertBatch::TABLES).await
                };
                if let Err(error) = analyzed.await {
                    tracing::warn!(?error, "refreshing statistics after a bulk invite");
                }
            });
        }
        // Where a bulk invite's time goes, for the benchmark and slow servers.
        tracing::info!(
            rows = report.rows.len(),
            ?looked_up,
            ?checked,
            ?written,
            committed = ?started.elapsed(),
            "bulk invite"
        );
        Ok(report)
    }

    /// The organisation's teams by lower-cased name, with whether the actor manages each.
    async fn teams_by_name(
        &self,
        actor: &SessionUser,
    ) -> Result<HashMap<String, (String, bool)>, AppError> {
        let rows = sqlx::query(
            "SELECT t.id, t.name,
                    CASE WHEN EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.user_id = $2 AND m.is_manager = 1)
                         THEN 1 ELSE 0 END AS managed
             FROM teams t WHERE t.org_id = $1",
        )
        .bind(&actor.org_id)
        .bind(&actor.id)
        .fetch_all(&self.db)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get("name")?;
                Ok((
                    name.to_lowercase(),
                    (r.try_get("id")?, r.try_get::<i64, _>("managed")? == 1),
                ))
            })
            .collect::<Result<HashMap<_, _>, sqlx::Error>>()
            .map_err(db_error)
            .map(|mut teams| {
                if !actor.is_org_manager() {
                    teams.retain(|_, (_, managed)| *managed);
                }
                teams
            })
    }

    /// Whether the existing user with this address is one the actor may see.
    async fn is_in_scope(
        &self,
        actor: &SessionUser,
        email: &EmailAddress,
    ) -> Result<bool, AppError> {
        match self.find_user_by_email(&actor.org_id, email).await? {
            Some((user_id, _)) => {
                Ok(
                    access::authorize(&self.db, actor, &user_id, access::Action::View)
                        .await
                        .is_ok(),
                )
            }
            None => Ok(false),
        }
    }

    /// When each of the file's addresses was last sent an invitation (R8).
    async fn last_sent_by_address(
        &self,
        actor: &SessionUser,
        rows: &[CsvRow],
    ) -> Result<HashMap<String, i64>, AppError> {
        let emails = parsed_emails(rows);
        crate::server::repos::invitations::last_sent_at_by_email(&self.db, &actor.org_id, &emails)
            .await
            .map_err(db_error)
    }

    /// Statuses of the organisation's users among the file's addresses.
    async fn existing_statuses(
        &self,
        actor: &SessionUser,
        rows: &[CsvRow],
    ) -> Result<HashMap<String, UserStatus>, AppError> {
        let emails = parsed_emails(rows);
        let mut found = HashMap::new();
        for chunk in emails.chunks(500) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT email, status FROM users WHERE org_id = $1 AND email IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(&actor.org_id);
            for email in chunk {
                query = query.bind(email.as_str());
            }
            for r in query.fetch_all(&self.db).await.map_err(db_error)? {
                let email: String = r.try_get(0).map_err(db_error)?;
                let status: String = r.try_get(1).map_err(db_error)?;
                found.insert(
                    email,
                    UserStatus::from_db(&status).unwrap_or(UserStatus::Deactivated),
                );
            }
        }
        Ok(found)
    }
}

/// The rows of every table a bulk invite writes.
#[derive(Default)]
struct InsertBatch {
    users: Vec<Vec<Value>>,
    invitations: Vec<Vec<Value>>,
    links: Vec<Vec<Value>>,
    emails: Vec<Vec<Value>>,
    members: Vec<Vec<Value>>,
    audit: Vec<Vec<Value>>,
}

impl InsertBatch {
    const TABLES: &'static [&'static str] = &[
        "users",
        "invitations",
        "invite_links",
        "outbox",
        "team_members",
        "audit_log",
    ];

    fn add(
        &mut self,
        engine: &Engine,
        actor: &SessionUser,
        email: &EmailAddress,
        name: &str,
        team_id: Option<&str>,
        now: i64,
    ) {
        let user_id = new_id();
        let invitation_id = new_id();
        let token = tokens::new_token();
        let expires_at = rules::link_expires_at(now, engine.invite_ttl_ms);
        let url = engine.invite_url(&token.secret);
        let message = compose::invitation(&compose::InvitationEmail {
            org_name: &actor.org_name,
            inviter_name: &actor.name,
            invitee_name: name,
            link: &url,
            expires_at,
        });
        let org = || Value::from(actor.org_id.as_str());
        self.users.push(vec![
            user_id.as_str().into(),
            org(),
            email.as_str().into(),
            name.into(),
            "member".into(),
            "invited".into(),
            now.into(),
            expires_at.into(),
            // Written with the user, so the invitation's trigger has nothing to change.
            now.into(),
        ]);
        self.invitations.push(vec![
            invitation_id.as_str().into(),
            org(),
            user_id.as_str().into(),
            email.as_str().into(),
            "pending".into(),
            actor.id.as_str().into(),
            actor.name.as_str().into(),
            now.into(),
            now.into(),
            actor.id.as_str().into(),
            actor.name.as_str().into(),
            now.into(),
        ]);
        self.links.push(vec![
            new_id().into(),
            invitation_id.as_str().into(),
            token.hash.into(),
            token_end(&token.secret).into(),
            LinkKind::Email.as_db().into(),
            "active".into(),
            now.into(),
            expires_at.into(),
        ]);
        self.emails.push(vec![
            new_id().into(),
            org(),
            invitation_id.as_str().into(),
            email.as_str().into(),
            message.subject.into(),
            message.text.into(),
            message.html.into(),
            "queued".into(),
            0i64.into(),
            now.into(),
            0i64.into(),
            now.into(),
        ]);
        if let Some(team_id) = team_id {
            self.members.push(vec![
                team_id.into(),
                user_id.as_str().into(),
                0i64.into(),
                now.into(),
            ]);
        }
        self.audit.push(vec![
            new_id().into(),
            org(),
            actor.id.as_str().into(),
            actor.name.as_str().into(),
            "invite".into(),
            user_id.as_str().into(),
            email.as_str().into(),
            "bulk".into(),
            now.into(),
        ]);
    }

    async fn write(self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        insert_rows(
            conn,
            "users",
            &[
                "id",
                "org_id",
                "email",
                "name",
                "role",
                "status",
                "created_at",
                "link_expires_at",
                "last_sent_at",
            ],
            self.users,
        )
        .await?;
        insert_rows(
            conn,
            "invitations",
            &[
                "id",
                "org_id",
                "user_id",
                "email",
                "status",
                "invited_by_id",
                "invited_by_name",
                "first_sent_at",
                "last_sent_at",
                "last_sent_by_id",
                "last_sent_by_name",
                "created_at",
            ],
            self.invitations,
        )
        .await?;
        insert_rows(
            conn,
            "invite_links",
            &[
                "id",
                "invitation_id",
                "token_hash",
                "token_end",
                "kind",
                "state",
                "created_at",
                "expires_at",
            ],
            self.links,
        )
        .await?;
        insert_rows(
            conn,
            "outbox",
            &[
                "id",
                "org_id",
                "invitation_id",
                "to_address",
                "subject",
                "body_text",
                "body_html",
                "status",
                "attempts",
                "next_attempt_at",
                "claimed_until",
                "created_at",
            ],
            self.emails,
        )
        .await?;
        insert_rows(
            conn,
            "team_members",
            &["team_id", "user_id", "is_manager", "added_at"],
            self.members,
        )
        .await?;
        insert_rows(
            conn,
            "audit_log",
            &[
                "id",
                "org_id",
                "actor_id",
                "actor_name",
                "action",
                "target_user_id",
                "target_email",
                "detail",
                "at",
            ],
            self.audit,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_oversize_line_is_refused_with_its_number() {
        let csv = format!(
            "email\nada@example.com\nbob@example.com,{}\n",
            "x".repeat(2000)
        );
        let err = read_csv(&csv).err().unwrap();
        assert!(
            matches!(&err, AppError::Invalid(m) if m.starts_with("Line 3 ")),
            "{err:?}"
        );
    }

    proptest! {
        /// Whatever is pasted, the reader answers (rows or a clear error)
        /// and never panics; rows keep their order and line numbers.
        #[test]
        fn any_text_is_read_or_refused(text in ".{0,400}") {
            if let Ok(rows) = read_csv(&text) {
                prop_assert!(!rows.is_empty() && rows.len() <= MAX_BULK_ROWS);
                prop_assert!(rows.windows(2).all(|w| w[0].line < w[1].line));
            }
        }

        #[test]
        fn well_formed_rows_come_back_as_written(
            rows in proptest::collection::vec(("[a-z]{1,10}@[a-z]{1,8}\\.test", "[A-Za-z ]{0,20}"), 1..40)
        ) {
            let csv: String = rows.iter().map(|(e, n)| format!("{e},\"{n}\"\n")).collect();
            let read = read_csv(&csv).unwrap();
            prop_assert_eq!(read.len(), rows.len());
            for (row, (email, name)) in read.iter().zip(&rows) {
                prop_assert_eq!(&row.email, email);
                prop_assert_eq!(&row.name, name.trim());
            }
        }
    }
}
