//! Webhooks (Step 10): how deliveries are signed, and the worker that sends
//! them. Endpoints and the queueing of events are services
//! (`services::webhooks`).

pub mod destination;
pub mod signature;
pub mod worker;
