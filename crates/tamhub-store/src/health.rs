//! What the stores keep for health scores: signals, scorecard versions, daily snapshots and
//! overrides, and the counts over tamhub's own records that built-in measures read.

use async_trait::async_trait;
use tamhub_domain::accounts::Tier;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::health::{Aggregate, HealthBand, HealthScore, Scorecard, ScorecardContent};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::{Date, Timestamp};

use crate::StoreResult;

#[derive(Clone, Debug, PartialEq)]
pub struct SignalPoint {
    pub account_id: AccountId,
    pub name: String,
    pub at: Timestamp,
    pub value: f64,
}

/// Counts over one account's records at an instant, for the built-in measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuiltinCounts {
    /// Open tickets of priority critical or high.
    pub open_critical_high: i64,
    /// SLA breaches of the account's tickets in the last 30 days.
    pub sla_breaches_30d: i64,
    /// Tickets opened in the last 30 days, and in the 30 days before.
    pub opened_last_30d: i64,
    pub opened_prior_30d: i64,
    /// P0/P1 incidents (most severe ever) impacting it, declared in the last 90 days, not
    /// declined, merged, canceled or tests.
    pub major_incidents_90d: i64,
    /// Actions open past their due date: its incidents' corrective actions and its own.
    pub overdue_actions: i64,
    /// Charter engagements past their window, neither held nor skipped; None without a schedule.
    pub overdue_engagements: Option<i64>,
    /// When the last meeting with it started; None before the first.
    pub last_meeting_at: Option<Timestamp>,
    /// Open or mitigating risks scoring 15 or more.
    pub open_high_risks: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthSnapshot {
    pub account_id: AccountId,
    /// The UTC day it stands for.
    pub day: Date,
    pub scorecard_version: i64,
    pub score: HealthScore,
    pub computed_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SnapshotScore {
    pub account_id: AccountId,
    pub day: Date,
    pub score: Option<f64>,
    pub band: HealthBand,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthOverride {
    pub account_id: AccountId,
    pub band: HealthBand,
    pub reason: String,
    pub expires_at: Timestamp,
    pub set_by: Option<UserId>,
    pub set_at: Timestamp,
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Stores the points not stored yet (by account, name and instant): how many were new.
    async fn save_signals(&self, points: &[SignalPoint], recorded_at: Timestamp) -> StoreResult<u64>;
    /// One signal's aggregate over `(since, until]` for each of these accounts that has points
    /// there.
    async fn signal_aggregates(
        &self,
        accounts: &[AccountId],
        name: &str,
        aggregate: Aggregate,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<(AccountId, f64)>>;
    /// A new version of a tier's scorecard (the stored highest + 1).
    async fn save_scorecard(
        &self,
        tier: Tier,
        content: &ScorecardContent,
        created_at: Timestamp,
        created_by: Option<UserId>,
        audit: &AuditEntry,
    ) -> StoreResult<Scorecard>;
    /// Every version of every tier's scorecard, oldest first.
    async fn scorecards(&self) -> StoreResult<Vec<Scorecard>>;
    /// The built-in measures' counts of each of these accounts at `now`.
    async fn builtin_counts(
        &self,
        accounts: &[AccountId],
        now: Timestamp,
    ) -> StoreResult<Vec<(AccountId, BuiltinCounts)>>;
    /// Stores snapshots, replacing those of the same account and day, with the notifications
    /// they cause (an account turned red), in one transaction.
    async fn save_snapshots(&self, snapshots: &[HealthSnapshot], notifications: &[Notification]) -> StoreResult<()>;
    /// The score and band of these accounts' snapshots from `from` on, oldest first: what lists
    /// and trends need, without the breakdowns.
    async fn snapshot_scores(&self, accounts: &[AccountId], from: Date) -> StoreResult<Vec<SnapshotScore>>;
    async fn health_override(&self, account: AccountId) -> StoreResult<Option<HealthOverride>>;
    /// The overrides of these accounts (expired ones too).
    async fn health_overrides(&self, accounts: &[AccountId]) -> StoreResult<Vec<HealthOverride>>;
    /// Sets (or with `None` clears) an account's override.
    async fn set_health_override(
        &self,
        account: AccountId,
        value: Option<&HealthOverride>,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
}
