//! What the stores keep of SLA configuration: business calendars with their versions, the
//! versioned policy list, and the organisation's default calendar.

use async_trait::async_trait;
use tamhub_domain::Timestamp;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, CalendarId, UserId};
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarVersion};
use tamhub_domain::sla::policies::PolicySet;

use crate::StoreResult;

/// The whole SLA configuration, small enough to load at once and cache by `revision`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlaConfigRecord {
    pub revision: i64,
    pub default_calendar_id: Option<CalendarId>,
    pub calendars: Vec<BusinessCalendar>,
    /// Oldest first.
    pub policy_sets: Vec<PolicySet>,
}

/// Tickets whose policy inputs change (R-T1): the open tickets of one account, or of every
/// account without its own calendar (when the default calendar changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputsChange {
    /// The account's tier or calendar changed; `calendar_id` is the one its tickets now use.
    Account { account_id: AccountId, calendar_id: Option<CalendarId> },
    /// The organisation's default calendar changed.
    DefaultCalendar { calendar_id: Option<CalendarId> },
}

#[async_trait]
pub trait SlaConfigStore: Send + Sync {
    async fn sla_config(&self) -> StoreResult<SlaConfigRecord>;
    /// Cheap: tells whether a cached configuration is still current.
    async fn sla_revision(&self) -> StoreResult<i64>;
    /// Creates a calendar with its first version.
    async fn create_calendar(
        &self,
        calendar: &BusinessCalendar,
        actor: Option<UserId>,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// Renames a calendar and, when given, adds a version (R-K12). Every open ticket is then
    /// re-evaluated by the scanner.
    async fn update_calendar(
        &self,
        id: CalendarId,
        name: &str,
        version: Option<&CalendarVersion>,
        actor: Option<UserId>,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// Stores a new version of the policy list; `Conflict` if that version number exists
    /// (someone else changed the policies meanwhile). Every open ticket is then re-evaluated.
    async fn save_policy_set(&self, set: &PolicySet, actor: Option<UserId>, audit: &AuditEntry) -> StoreResult<()>;
    /// Sets the default calendar and records the change on the open tickets it affects.
    async fn set_default_calendar(&self, id: Option<CalendarId>, now: Timestamp, audit: &AuditEntry)
    -> StoreResult<()>;
}
