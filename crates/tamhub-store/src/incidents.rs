//! What the stores keep for incidents: the current state, the impacted accounts that scope who
//! sees an incident, and the append-only timeline.

use async_trait::async_trait;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, IncidentId};
use tamhub_domain::incidents::{Incident, IncidentStatus, Severity, TimelineEntry};
use tamhub_domain::notifications::Notification;
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
    pub notifications: Vec<Notification>,
    pub audit: Vec<AuditEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentQuery {
    pub scope: AccountScope,
    pub account_id: Option<AccountId>,
    /// Only these statuses; empty for all.
    pub statuses: Vec<IncidentStatus>,
    pub severity: Option<Severity>,
    pub limit: u32,
    pub offset: u64,
}

impl IncidentQuery {
    pub fn in_scope(scope: AccountScope) -> IncidentQuery {
        IncidentQuery { scope, account_id: None, statuses: Vec::new(), severity: None, limit: 50, offset: 0 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct IncidentPage {
    /// Most recently declared first.
    pub items: Vec<Incident>,
    pub total: u64,
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
}
