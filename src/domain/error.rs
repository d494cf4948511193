//! The one error type every server function returns. Every variant's text is
//! safe to show to the person who caused it: internals are logged on the
//! server and reach the client only as `Internal`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// R1, R2: a caller acting outside their rights (or on another organisation's data).
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    /// Bad input; the text says what is wrong with it.
    #[error("{0}")]
    Invalid(String),
    /// Sign-in failed. Deliberately does not say whether the email exists.
    #[error("The email or password is incorrect.")]
    BadCredentials,
    /// A password sign-in by someone who has only ever signed in through the
    /// organisation's identity provider (they have no password here).
    #[error("This account signs in with single sign-on. Use Continue with single sign-on.")]
    UseSingleSignOn,
    /// First run happens once: an organisation already exists.
    #[error("This Roster is already set up. Sign in instead.")]
    AlreadySetUp,
    /// R8: the text is the seed's; `until` says when a resend becomes possible.
    #[error("Invite sent within the last 15 minutes")]
    Cooldown { until: i64 },
    /// R5: the seed's text.
    #[error(
        "The user has been deactivated. Contact Organisation Manager/Support to reactivate them."
    )]
    Deactivated,
    /// R7, R9: only Invited users get resends and links.
    #[error("{email} is not invited: only invited users can be sent an invitation or a link.")]
    NotInvited { email: String },
    #[error("{email} is already invited. Use Resend Invite to send a new email.")]
    AlreadyInvited { email: String },
    #[error("{email} already has an account.")]
    AlreadyActive { email: String },
    /// R10: a wrong typed email on a copied link.
    #[error("That email address does not match this invitation. {tries_left} tries left.")]
    EmailMismatch { tries_left: i64 },
    /// R10: the fifth wrong email locked the link.
    #[error("This link is locked after too many wrong email addresses. Ask your manager for a new invitation link.")]
    LinkLocked,
    /// The link cannot be used for this step (expired, superseded, used, revoked).
    #[error("This invitation link can no longer be used.")]
    LinkUnusable,
    #[error("Too many attempts. Please wait a minute and try again.")]
    RateLimited,
    /// A state-changing request whose `Origin` is not this Roster's public URL.
    #[error("This request came from another site and was refused. Open Roster at its own address and try again.")]
    CrossSite,
    /// The server is at a resource bound (password hashes in flight): try shortly.
    #[error("Roster is busy. Please try again in a moment.")]
    Busy,
    /// The database cannot be reached (restarting, down, out of connections):
    /// the request may not have been carried out; trying again shortly will.
    #[error("The database is unavailable. Please try again shortly.")]
    Unavailable,
    #[error("The request is too large.")]
    TooLarge,
    /// The client did not send its request in time.
    #[error("The request took too long to arrive. Please try again.")]
    RequestTimeout,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// Transport-level failure reported by the server-function machinery.
    #[error("Could not reach Roster: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid(message.into())
    }

    /// A stable name for the kind of error, for API clients to branch on
    /// (`/api/v1` answers it beside the message).
    pub fn code(&self) -> &'static str {
        use AppError::*;
        match self {
            Unauthenticated => "unauthenticated",
            Forbidden => "forbidden",
            NotFound => "not_found",
            Invalid(_) => "invalid",
            BadCredentials => "bad_credentials",
            UseSingleSignOn => "use_single_sign_on",
            AlreadySetUp => "already_set_up",
            Cooldown { .. } => "cooldown",
            Deactivated => "deactivated",
            NotInvited { .. } => "not_invited",
            AlreadyInvited { .. } => "already_invited",
            AlreadyActive { .. } => "already_active",
            EmailMismatch { .. } => "email_mismatch",
            LinkLocked => "link_locked",
            LinkUnusable => "link_unusable",
            RateLimited => "rate_limited",
            CrossSite => "cross_site",
            Busy => "busy",
            Unavailable => "unavailable",
            TooLarge => "too_large",
            RequestTimeout => "request_timeout",
            Internal => "internal",
            Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
