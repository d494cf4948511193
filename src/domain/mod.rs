//! Types and pure rules shared by the server and the browser (serde only, no I/O).

pub mod api_tokens;
pub mod duration;
pub mod email;
pub mod error;
pub mod format;
pub mod history;
pub mod invitations;
pub mod redirect;
pub mod reminders;
pub mod rules;
pub mod spreadsheet;
pub mod sso;
pub mod teams;
pub mod text;
pub mod user;
pub mod webhooks;

pub use email::EmailAddress;
pub use error::{AppError, AppResult};
pub use user::{Role, SessionUser, UserStatus};
