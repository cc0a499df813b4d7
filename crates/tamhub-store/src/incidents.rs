//! What the stores keep for incidents: the current state, the impacted accounts that scope who
//! sees an incident, and the append-only timeline.

use async_trait::async_trait;
use tamhub_domain::Timestamp;
use tamhub_domain::actions::Action;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, IncidentId};
use tamhub_domain::incident_cadence::CadenceAlert;
use tamhub_domain::incidents::{Incident, IncidentStatus, Severity, TimelineEntry};
use tamhub_domain::notifications::Notification;
use tamhub_domain::postmortems::PostIncidentReview;
use tamhub_domain::scope::AccountScope;

use crate::StoreResult;

/// Everything one change to an incident writes, in one transaction. The stored timeline must
/// still end at `expected_last_seq` (0 for a new incident): of two writers that planned on the
/// same timeline, the second gets `Conflict`.
#[derive(Clone, Debug)]
pub struct IncidentChange {
    pub incident: Incident,
    /// The store assigns the incident number.
    pub is_new: bool,
    pub expected_last_seq: i64,
    pub entries: Vec<TimelineEntry>,
    pub cadence: CadenceSnapshot,
    /// The post-incident review as it now stands, when the change touches it.
    pub review: Option<PostIncidentReview>,
    /// Actions the change creates (version 0) or updates (still at their version).
    pub actions: Vec<Action>,
    /// Cadence warnings and breaches the timeline implies; only new ones are stored, and only
    /// those write their notifications.
    pub alerts: Vec<CadenceAlertNotices>,
    pub notifications: Vec<Notification>,
    pub audit: Vec<AuditEntry>,
}

/// The customer-update cadence as last evaluated, kept on the incident for lists and the scanner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CadenceSnapshot {
    /// When the next customer update is due (a running cycle's deadline).
    pub update_due_at: Option<Timestamp>,
    /// R-W4: when the state next changes without a new entry.
    pub next_check_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct CadenceAlertNotices {
    pub alert: CadenceAlert,
    pub notifications: Vec<Notification>,
}

/// The scanner's evaluation of one incident, made on the timeline up to `last_seq`.
#[derive(Clone, Debug)]
pub struct CadenceEvaluation {
    pub incident_id: IncidentId,
    pub last_seq: i64,
    pub evaluated_at: Timestamp,
    pub cadence: CadenceSnapshot,
    pub alerts: Vec<CadenceAlertNotices>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentQuery {
    pub scope: AccountScope,
    pub account_id: Option<AccountId>,
    /// Only these statuses; empty for all.
    pub statuses: Vec<IncidentStatus>,
    pub severity: Option<Severity>,
    /// Declared at or after this instant.
    pub declared_from: Option<Timestamp>,
    /// Declared before this instant.
    pub declared_before: Option<Timestamp>,
    pub limit: u32,
    pub offset: u64,
}

impl IncidentQuery {
    pub fn in_scope(scope: AccountScope) -> IncidentQuery {
        IncidentQuery {
            scope,
            account_id: None,
            statuses: Vec::new(),
            severity: None,
            declared_from: None,
            declared_before: None,
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct IncidentPage {
    /// Most recently declared first.
    pub items: Vec<IncidentListItem>,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IncidentListItem {
    pub incident: Incident,
    pub cadence: CadenceSnapshot,
}

#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Writes an incident change (see `IncidentChange`); returns the incident as stored.
    async fn save_incident_change(&self, change: &IncidentChange) -> StoreResult<Incident>;
    async fn get_incident(&self, id: IncidentId) -> StoreResult<Incident>;
    /// The timeline in `seq` order.
    async fn incident_timeline(&self, id: IncidentId) -> StoreResult<Vec<TimelineEntry>>;
    /// Incidents that impact at least one account of the scope (every incident for `All`).
    async fn list_incidents(&self, query: &IncidentQuery) -> StoreResult<IncidentPage>;
    /// The cadence snapshot stored with the incident.
    async fn incident_cadence(&self, id: IncidentId) -> StoreResult<CadenceSnapshot>;
    /// Incidents whose next cadence check is due, soonest first.
    async fn due_cadence_checks(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<IncidentId>>;
    /// Stores a scanner evaluation unless the timeline changed since `last_seq` (then the change
    /// stored a fresher one): whether it was stored.
    async fn save_cadence_evaluation(&self, evaluation: &CadenceEvaluation) -> StoreResult<bool>;
    async fn incident_alerts(&self, id: IncidentId) -> StoreResult<Vec<CadenceAlert>>;
    async fn incident_review(&self, id: IncidentId) -> StoreResult<Option<PostIncidentReview>>;
    /// The reviews of several incidents (those that have one), in no particular order.
    async fn incident_reviews(&self, ids: &[IncidentId]) -> StoreResult<Vec<PostIncidentReview>>;
}
