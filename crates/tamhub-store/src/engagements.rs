//! What the stores keep for the charter and its cadence: contacts, charter versions, scheduled
//! engagements, meetings and calendar feeds; and for success plans and the risk register.

use async_trait::async_trait;
use tamhub_domain::actions::Action;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::contacts::Contact;
use tamhub_domain::engagements::{Charter, Engagement, Meeting};
use tamhub_domain::events::{Event, Quota};
use tamhub_domain::feedback::{FeatureRequest, Opportunity};
use tamhub_domain::findings::Finding;
use tamhub_domain::ids::FindingId;
use tamhub_domain::ids::{
    AccountId, ContactId, EngagementId, EventId, MeetingId, QuotaId, RiskId, SuccessPlanId, UserId,
};
use tamhub_domain::ids::{FeatureRequestId, OpportunityId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::plans::{Risk, SuccessPlan};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::User;
use tamhub_domain::{Date, Timestamp};

use crate::StoreResult;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngagementQuery {
    pub scope: AccountScope,
    pub account_id: Option<AccountId>,
    /// Due on or after this day.
    pub from: Option<Date>,
    /// Due on or before this day.
    pub to: Option<Date>,
    /// Only engagements neither held nor skipped.
    pub open_only: bool,
    /// Only open engagements whose window closed before this day, not yet notified.
    pub overdue_unnotified_before: Option<Date>,
    pub limit: u32,
}

impl EngagementQuery {
    pub fn in_scope(scope: AccountScope) -> EngagementQuery {
        EngagementQuery {
            scope,
            account_id: None,
            from: None,
            to: None,
            open_only: false,
            overdue_unnotified_before: None,
            limit: 10_000,
        }
    }
}

/// A new charter version and the schedule it implies.
#[derive(Clone, Debug)]
pub struct CharterChange {
    pub charter: Charter,
    /// Open engagements due on or after this day are replaced by `schedule`.
    pub replace_open_from: Date,
    pub schedule: Vec<Engagement>,
    pub audit: AuditEntry,
}

/// A held meeting with everything it changes at once.
#[derive(Clone, Debug)]
pub struct MeetingRecord {
    pub meeting: Meeting,
    /// The engagement it fulfils, as it becomes.
    pub engagement: Option<Engagement>,
    pub actions: Vec<Action>,
    /// Contacts whose last contact date moves to the meeting's day.
    pub contacts: Vec<Contact>,
    pub notifications: Vec<Notification>,
    pub audit: Vec<AuditEntry>,
}

/// A success plan or risk with what its change brings along, written at once.
#[derive(Clone, Debug)]
pub struct PlanChange<T> {
    /// Inserted when at version 0, else updated if still at its version (`Conflict` if not).
    pub record: T,
    pub actions: Vec<Action>,
    pub audit: Vec<AuditEntry>,
    pub notifications: Vec<Notification>,
}

#[async_trait]
pub trait EngagementStore: Send + Sync {
    async fn list_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>>;
    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact>;
    async fn save_contact(
        &self,
        contact: &Contact,
        audit: &AuditEntry,
        notifications: &[Notification],
    ) -> StoreResult<()>;
    async fn delete_contact(
        &self,
        id: ContactId,
        audit: &AuditEntry,
        notifications: &[Notification],
    ) -> StoreResult<()>;

    /// Every version of the account's charter, oldest first.
    async fn charter_versions(&self, account: AccountId) -> StoreResult<Vec<Charter>>;
    /// The charters in force (highest versions) of these accounts.
    async fn charters_in_force(&self, accounts: &[AccountId]) -> StoreResult<Vec<Charter>>;
    /// Stores a new version (`Conflict` when that version exists) and its schedule.
    async fn save_charter(&self, change: &CharterChange) -> StoreResult<()>;
    /// Adds engagements not scheduled yet (same account, type, workload and day); returns how many.
    async fn add_engagements(&self, engagements: &[Engagement]) -> StoreResult<u64>;

    async fn list_engagements(&self, query: &EngagementQuery) -> StoreResult<Vec<Engagement>>;
    async fn get_engagement(&self, id: EngagementId) -> StoreResult<Engagement>;
    /// Updates an engagement that is still open (else `Conflict`).
    async fn save_open_engagement(&self, engagement: &Engagement, audit: &AuditEntry) -> StoreResult<()>;
    /// Marks engagements notified as overdue and writes the notices.
    async fn mark_overdue_notified(
        &self,
        ids: &[EngagementId],
        at: Timestamp,
        notifications: &[Notification],
    ) -> StoreResult<()>;

    async fn save_meeting(&self, record: &MeetingRecord) -> StoreResult<()>;
    async fn get_meeting(&self, id: MeetingId) -> StoreResult<Meeting>;
    /// The account's meetings, latest first.
    async fn list_meetings(&self, account: AccountId, limit: u32) -> StoreResult<Vec<Meeting>>;

    /// Stores a user's new feed token (hashed) and revokes their older ones.
    async fn rotate_calendar_feed(
        &self,
        user: UserId,
        token_hash: &str,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn revoke_calendar_feeds(&self, user: UserId, at: Timestamp, audit: &AuditEntry) -> StoreResult<u64>;
    /// The active user behind a live feed token.
    async fn calendar_feed_user(&self, token_hash: &str) -> StoreResult<Option<User>>;
    /// When the user's live feed was created, if they have one.
    async fn calendar_feed_created(&self, user: UserId) -> StoreResult<Option<Timestamp>>;

    async fn list_success_plans(&self, account: AccountId) -> StoreResult<Vec<SuccessPlan>>;
    async fn get_success_plan(&self, id: SuccessPlanId) -> StoreResult<SuccessPlan>;
    /// Returns the plan as stored (its version one up).
    async fn save_success_plan(&self, change: &PlanChange<SuccessPlan>) -> StoreResult<SuccessPlan>;

    /// Risks of the accounts in `scope` (one account with `account`), highest score first.
    async fn list_risks(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
        live_only: bool,
    ) -> StoreResult<Vec<Risk>>;
    async fn get_risk(&self, id: RiskId) -> StoreResult<Risk>;
    /// Returns the risk as stored (its version one up).
    async fn save_risk(&self, change: &PlanChange<Risk>) -> StoreResult<Risk>;

    /// Events of the accounts in `scope` (one account with `account`) ending after `ends_after`,
    /// soonest first.
    async fn list_events(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
        ends_after: Option<Timestamp>,
    ) -> StoreResult<Vec<Event>>;
    async fn get_event(&self, id: EventId) -> StoreResult<Event>;
    async fn save_event(&self, change: &PlanChange<Event>) -> StoreResult<Event>;

    async fn list_quotas(&self, account: AccountId) -> StoreResult<Vec<Quota>>;
    async fn get_quota(&self, id: QuotaId) -> StoreResult<Quota>;
    async fn save_quota(&self, change: &PlanChange<Quota>) -> StoreResult<Quota>;

    /// Feature requests wanted by at least one account of `scope` (and of `account` if given).
    async fn list_feature_requests(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
    ) -> StoreResult<Vec<FeatureRequest>>;
    async fn get_feature_request(&self, id: FeatureRequestId) -> StoreResult<FeatureRequest>;
    /// Stores the request and its list of requesting accounts.
    async fn save_feature_request(&self, change: &PlanChange<FeatureRequest>) -> StoreResult<FeatureRequest>;

    async fn list_opportunities(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
    ) -> StoreResult<Vec<Opportunity>>;
    async fn get_opportunity(&self, id: OpportunityId) -> StoreResult<Opportunity>;
    async fn save_opportunity(&self, change: &PlanChange<Opportunity>) -> StoreResult<Opportunity>;

    async fn list_findings(&self, scope: AccountScope, account: Option<AccountId>) -> StoreResult<Vec<Finding>>;
    async fn get_finding(&self, id: FindingId) -> StoreResult<Finding>;
    async fn save_finding(&self, change: &PlanChange<Finding>) -> StoreResult<Finding>;
}
