//! Use cases: what a user (or the CLI, or a job) can do, with authorisation decided here.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod demo;
mod demo_charters;
mod demo_events;
mod demo_feedback;
mod demo_findings;
mod demo_health;
mod demo_incidents;
mod demo_plans;
mod demo_reviews;
mod demo_tickets;
pub mod engagements;
pub mod error;
pub mod escalations;
pub mod events;
pub mod feedback;
pub mod findings;
pub mod health;
pub mod incidents;
pub mod jobs;
pub mod notifications;
pub mod plans;
pub mod policy;
pub mod portfolio;
pub mod postmortems;
pub mod reviews;
pub mod sla_config;
pub mod tickets;
pub mod tokens;
pub mod users;

use std::sync::Arc;

pub use clock::{Clock, SystemClock};
pub use error::{AppError, AppResult};
pub use tamhub_domain as domain;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::User;
use tamhub_store::Store;

#[derive(Clone, Debug)]
pub struct AppConfig {
    /// How long a browser session lasts from login.
    pub session_hours: i64,
    /// Failed logins allowed per email within the window before 429.
    pub login_failures_per_email: u64,
    /// Failed logins allowed per IP within the window before 429 (higher: offices share an IP).
    pub login_failures_per_ip: u64,
    pub login_window_minutes: i64,
    /// Customer-update cadence of incidents (SLA-SPEC R-I2).
    pub incident_cadence: tamhub_domain::incident_cadence::CadenceSettings,
    /// A post-incident review is required for incidents ever at this severity or worse (R-I5).
    pub review_required_through: tamhub_domain::incidents::Severity,
    /// Incidents with the same root-cause category and a shared service within this many days
    /// are repeats.
    pub repeat_window_days: i64,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_hours: 12,
            login_failures_per_email: 10,
            login_failures_per_ip: 30,
            login_window_minutes: 15,
            incident_cadence: Default::default(),
            review_required_through: tamhub_domain::incidents::Severity::P1,
            repeat_window_days: 90,
        }
    }
}

/// The application: every use case is a method on it, shared by the web layer, the CLI and jobs.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: AppConfig,
    /// This server's copy of the SLA configuration.
    sla_cache: sla_config::SlaCache,
    /// Re-scoring jobs this server runs or ran, by tier.
    rescores: health::RescoreJobs,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: AppConfig) -> Self {
        App { store, clock, config, sla_cache: sla_config::SlaCache::default(), rescores: Default::default() }
    }
}

/// Optimistic concurrency for documents changed whole: the version a writer read, when it gave
/// one, must still be the stored one.
pub(crate) fn require_version(what: &str, stored: i64, read: Option<i64>) -> AppResult<()> {
    match read {
        Some(v) if v != stored => Err(AppError::Conflict(format!(
            "the {what} is at version {stored}, not {v}: reload it and apply your change again"
        ))),
        _ => Ok(()),
    }
}

/// Who is acting: an authenticated, active user and the accounts they may see.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: User,
    pub scope: AccountScope,
}

impl Actor {
    pub fn new(user: User) -> Self {
        let scope = AccountScope::of(&user);
        Actor { user, scope }
    }
}

/// Query and record types of the store that callers of `App` need to name.
pub use tamhub_store::{
    AccountPage, AccountQuery, AccountSort, ActionPage, ActionQuery, ApiToken, Archived, IncidentQuery, StatusFilter,
    TicketListItem, TicketPage, TicketQuery, TicketSort,
};
