//! tamhub's domain: types and rules, no IO.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod escalations;
pub mod handoff;
pub mod health;
pub mod ids;
pub mod incident_cadence;
pub mod incident_metrics;
pub mod incidents;
pub mod load;
pub mod notifications;
pub mod postmortems;
pub mod scope;
pub mod sla;
pub mod tickets;
pub mod users;
pub mod validation;

pub use jiff::SignedDuration;
pub use jiff::Timestamp;
pub use jiff::civil::Date;
