//! Email (R19–R22): what invitation emails say, how they are delivered, and
//! the background worker that empties the outbox.

pub mod compose;
pub mod transport;
pub mod worker;

pub use transport::Mailer;
