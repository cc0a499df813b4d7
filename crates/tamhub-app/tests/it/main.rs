//! Use cases on the real `App` with per-test stores (SQLite, and PostgreSQL when configured)
//! and a fixed clock.

mod demo;
mod sessions;
mod users;
