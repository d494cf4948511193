//! Server functions: thin. Each takes its context, checks the caller's rights
//! on the server (R1, R2) and calls a service. Endpoints are pinned to stable names.

pub mod auth;
pub mod registration;
pub mod settings;
pub mod users;
