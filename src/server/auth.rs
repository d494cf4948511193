//! First run, sign-in and sessions. Sessions live in the database (they
//! survive restarts and work across instances); the cookie holds a random
//! token whose SHA-256 is the row's key.

use super::{
    db::Db,
    new_id, passwords,
    repos::{self, orgs, sessions, users, Step},
    tokens,
};
use crate::domain::{AppError, EmailAddress, Role, SessionUser, UserStatus};

pub const SESSION_COOKIE: &str = "roster_session";
pub const SESSION_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

pub struct FirstRun {
    pub org_name: String,
    pub your_name: String,
    pub email: String,
    pub password: String,
}

/// Validated first-run input: parse, don't validate.
struct ValidFirstRun {
    org_name: String,
    your_name: String,
    email: EmailAddress,
    password: String,
}

fn validate_first_run(input: FirstRun) -> Result<ValidFirstRun, AppError> {
    let org_name = clean_name(&input.org_name, "Organisation name")?;
    let your_name = clean_name(&input.your_name, "Your name")?;
    let email = EmailAddress::parse(&input.email).map_err(AppError::Invalid)?;
    passwords::check_password_rules(&input.password)?;
    Ok(ValidFirstRun {
        org_name,
        your_name,
        email,
        password: input.password,
    })
}

/// Trims a display name and refuses empty or oversized ones.
pub fn clean_name(raw: &str, field: &str) -> Result<String, AppError> {
    let name = crate::domain::text::nfc(raw.trim());
    let name = name.as_str();
    if name.is_empty() {
        return Err(AppError::invalid(format!("{field} is required.")));
    }
    if name.chars().count() > 200 {
        return Err(AppError::invalid(format!(
            "{field} must have at most 200 characters."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(format!(
            "{field} cannot contain control characters."
        )));
    }
    // Zero-width spaces, soft hyphens, bidi overrides: invisible in the
    // table, yet they change how a name compares and reads (also in subjects).
    if !name.chars().all(crate::domain::text::is_allowed_in_names) {
        return Err(AppError::invalid(format!(
            "{field} cannot contain invisible formatting characters (such as a zero-width space or a direction override)."
        )));
    }
    Ok(name.to_string())
}

pub async fn needs_setup(db: &Db) -> Result<bool, AppError> {
    Ok(orgs::count_organisations(db)
        .await
        .step("count organisations")?
        == 0)
}

/// Creates the organisation and its first Org Manager; returns a session
/// token for the creator. Only possible while no organisation exists.
pub async fn create_organisation(db: &Db, input: FirstRun, now: i64) -> Result<String, AppError> {
    let input = validate_first_run(input)?;
    // Before the costly hash: once set up, anonymous calls cost one query.
    if !needs_setup(db).await? {
        return Err(AppError::AlreadySetUp);
    }
    let password_hash = passwords::hash_password(input.password).await?;
    let org_id = new_id();
    let user_id = new_id();

    let mut tx = repos::begin(db, "begin first run").await?;
    // The one row the first_run table can hold: of two racing first runs
    // (on Postgres they do not see each other's rows), one commits.
    if !orgs::claim_first_run(&mut tx, now)
        .await
        .step("claim first run")?
    {
        return Err(AppError::AlreadySetUp);
    }
    orgs::insert_organisation(&mut *tx, &org_id, &input.org_name, now)
        .await
        .step("insert organisation")?;
    users::insert_user(
        &mut *tx,
        users::NewUser {
            id: &user_id,
            org_id: &org_id,
            email: input.email.as_str(),
            name: &input.your_name,
            role: Role::OrgManager,
            status: UserStatus::Active,
            password_hash: Some(&password_hash),
            now,
        },
    )
    .await
    .step("insert first org manager")?;
    let token = start_session(&mut tx, &user_id, now).await?;
    repos::commit(tx, "commit first run").await?;
    Ok(token)
}

/// Checks email and password; returns a new session token. Every failure is
/// the same `BadCredentials`, and an unknown email or a user with no password
/// yet (Invited) costs one Argon2 verification like a wrong password, so
/// neither the answer nor its timing tells whether or how an account exists.
/// The one exception: an Active user who only ever signed in through single
/// sign-on (no password here) is told to use it, after the same Argon2 work.
pub async fn sign_in(db: &Db, email: &str, password: &str, now: i64) -> Result<String, AppError> {
    let Ok(email) = EmailAddress::parse(email) else {
        return Err(AppError::BadCredentials);
    };
    let candidates = users::find_credentials_by_email(db, email.as_str())
        .await
        .step("find credentials by email")?;
    let mut signed_in = None;
    let mut verified_any = false;
    for candidate in &candidates {
        let Some(hash) = candidate.password_hash.clone() else {
            continue;
        };
        verified_any = true;
        if passwords::verify_password(password.to_string(), hash).await? {
            signed_in = Some(candidate);
            break;
        }
    }
    let Some(user) = signed_in else {
        if !verified_any {
            passwords::verify_against_nothing(password.to_string()).await?;
        }
        // Password users keep their passwords after a switch to SSO; only
        // someone with no password at all is sent to the identity provider.
        let sso_only = candidates.iter().any(|c| {
            c.password_hash.is_none() && c.sso_subject.is_some() && c.status == UserStatus::Active
        });
        if sso_only {
            return Err(AppError::UseSingleSignOn);
        }
        return Err(AppError::BadCredentials);
    };
    // R18: the right password does not let a deactivated user in.
    if user.status != UserStatus::Active {
        return Err(AppError::BadCredentials);
    }
    let mut conn = repos::acquire(db, "acquire for sign-in").await?;
    start_session(&mut conn, &user.user_id, now).await
}

async fn start_session(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    now: i64,
) -> Result<String, AppError> {
    let token = tokens::new_token();
    sessions::insert_session(
        &mut *conn,
        &token.hash,
        user_id,
        now,
        now + SESSION_LIFETIME_MS,
    )
    .await?;
    Ok(token.secret)
}

pub async fn current_user(
    db: &Db,
    session_token: Option<&str>,
    now: i64,
) -> Result<Option<SessionUser>, AppError> {
    let Some(token) = session_token.filter(|t| tokens::looks_like_token(t)) else {
        return Ok(None);
    };
    Ok(sessions::find_session_user(db, &tokens::hash_token(token), now).await?)
}

pub async fn sign_out(db: &Db, session_token: Option<&str>) -> Result<(), AppError> {
    if let Some(token) = session_token {
        sessions::delete_session(db, &tokens::hash_token(token)).await?;
    }
    Ok(())
}

/// Starts a session for a user who just proved who they are another way
/// (an invitation email link, R6).
pub async fn start_session_for(db: &Db, user_id: &str, now: i64) -> Result<String, AppError> {
    let mut conn = repos::acquire(db, "acquire for a new session").await?;
    start_session(&mut conn, user_id, now).await
}
