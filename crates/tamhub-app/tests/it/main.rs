//! Use cases on the real `App` with per-test stores (SQLite, and PostgreSQL when configured)
//! and a fixed clock.

mod demo;
mod desk;
mod escalations;
mod sessions;
mod sla;
mod sla_config;
mod tickets;
mod users;
