//! Components and pages: no SQL, no business rules.

pub mod auth;
pub mod home;
pub mod layout;
pub mod settings;
pub mod widgets;
