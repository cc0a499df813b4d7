//! HTTP tests of tamhub-web: the real router, in process, on every backend (SQLite always,
//! PostgreSQL when `TAMHUB_TEST_PG_URL` is set).

mod access;
mod accounts_api;
mod action_pages;
mod actions_api;
mod audit;
mod auth;
mod bad_input;
mod charter_pages;
mod charters_api;
mod event_pages;
mod events_api;
mod feedback_api;
mod feedback_pages;
mod findings_api;
mod findings_pages;
mod handoff;
mod health_api;
mod health_pages;
mod incident_pages;
mod incidents_api;
mod ops;
mod pages;
mod plan_pages;
mod plans_api;
mod review_pages;
mod reviews_api;
mod roles;
mod sla_api;
mod support;
mod ticket_details;
mod ticket_pages;
mod tickets_api;
