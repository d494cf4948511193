//! Components and pages: no SQL, no business rules.

pub mod api_tokens;
pub mod auth;
pub mod browser;
pub mod home;
pub mod layout;
pub mod notices;
pub mod props;
pub mod registration;
pub mod reminders;
pub mod settings;
pub mod sign_in_settings;
pub mod sso;
pub mod users;
pub mod webhooks;
pub mod widgets;
