//! Bulk invite (R4): up to 10,000 CSV rows `email[,name][,team]`, each with
//! its own outcome; valid rows are stored even when others are bad. All
//! rows are written in one transaction with multi-row INSERTs.

use super::{
    access,
    invitations::{outside_your_teams, NewInvitations},
    Engine,
};
use crate::domain::{
    invitations::{BulkInviteReport, BulkOutcome, BulkRow},
    rules, AppError, EmailAddress, SessionUser, UserStatus,
};
use crate::server::{
    auth::clean_name,
    new_id,
    repos::{self, batch::analyze_on_postgres, invitations as inv, teams, users},
};
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
        let mut batch = NewInvitations::default();
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
                    Some(team) => Some(team.id.clone()),
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
                || team_id.as_ref().is_some_and(|t| {
                    teams
                        .values()
                        .any(|team| team.id == *t && team.is_managed())
                });
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
            let team_ids: Vec<&str> = team_id.as_deref().into_iter().collect();
            batch.add(
                self,
                actor,
                &new_id(),
                &email,
                &name,
                &team_ids,
                "bulk",
                now,
            );
            existing.insert(email.as_str().to_string(), UserStatus::Invited);
            report.rows.push(outcome(
                BulkOutcome::Invited,
                format!("Invitation queued for {email}."),
            ));
        }

        let checked = started.elapsed();
        let batch_rows = batch.len();
        let mut tx = repos::begin(&self.db, "begin bulk invite").await?;
        batch.write(&mut tx).await?;
        let written = started.elapsed();
        self.commit(tx).await?;
        self.outbox_wake.notify_one();
        self.webhook_wake.notify_one();
        if batch_rows >= STATISTICS_AFTER_ROWS {
            let db = self.db.clone();
            tokio::spawn(async move {
                let analyzed = async {
                    let mut conn = db.acquire().await?;
                    analyze_on_postgres(&mut conn, NewInvitations::TABLES).await
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

    /// The organisation's teams by lower-cased name, with whether the actor
    /// manages each; a Team Manager sees only those they manage.
    async fn teams_by_name(
        &self,
        actor: &SessionUser,
    ) -> Result<HashMap<String, teams::TeamManagedBy>, AppError> {
        let mut teams =
            teams::find_teams_by_lowercase_name(&self.db, &actor.org_id, &actor.id).await?;
        if !actor.is_org_manager() {
            teams.retain(|_, team| team.is_managed());
        }
        Ok(teams)
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
        Ok(inv::last_sent_at_by_email(&self.db, &actor.org_id, &emails).await?)
    }

    /// Statuses of the organisation's users among the file's addresses.
    async fn existing_statuses(
        &self,
        actor: &SessionUser,
        rows: &[CsvRow],
    ) -> Result<HashMap<String, UserStatus>, AppError> {
        let emails = parsed_emails(rows);
        Ok(users::find_statuses_by_email(&self.db, &actor.org_id, &emails).await?)
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
