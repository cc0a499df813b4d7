//! Test helpers: per-test stores on SQLite and PostgreSQL, a fixed clock, a `TestApp`.
#![forbid(unsafe_code)]

pub mod app;
pub mod stores;

pub use app::{FixedClock, TEST_PASSWORD, TestApp, test_epoch};
