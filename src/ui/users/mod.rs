//! The users table and what opens from it.

pub mod detail;
#[cfg(feature = "ssr")]
pub mod history;
pub mod invite;
pub mod row_menu;
pub mod table;
pub mod url;

pub use table::UsersTable;
