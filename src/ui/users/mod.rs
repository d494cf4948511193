//! The users table and what opens from it.

pub mod detail;
pub mod invite;
pub mod row_menu;
pub mod table;
pub mod url;

pub use table::UsersTable;
