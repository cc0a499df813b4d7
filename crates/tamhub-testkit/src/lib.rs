//! Test helpers: per-test stores on SQLite and PostgreSQL, a fixed clock, a `TestApp`.
#![forbid(unsafe_code)]

pub mod stores;
