//! Components and pages: no SQL, no business rules.

pub mod auth;
pub mod browser;
pub mod home;
pub mod layout;
pub mod notices;
pub mod registration;
pub mod settings;
pub mod users;
pub mod widgets;
