//! What the stores keep for actions: the action, and the reminders sent about it.

use async_trait::async_trait;
use tamhub_domain::Timestamp;
use tamhub_domain::actions::{Action, ActionPriority, ActionStatus};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, ActionId, IncidentId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::scope::AccountScope;

use crate::StoreResult;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionQuery {
    /// Actions whose source concerns at least one account of the scope (all for `All`).
    pub scope: AccountScope,
    /// Only actions concerning this account.
    pub account_id: Option<AccountId>,
    pub incident_id: Option<IncidentId>,
    /// Compared without regard to case.
    pub service: Option<String>,
    pub owner_id: Option<UserId>,
    pub priority: Option<ActionPriority>,
    /// Only these statuses; empty for all.
    pub statuses: Vec<ActionStatus>,
    /// Only actions overdue at this instant (open or in progress, due before it).
    pub overdue_at: Option<Timestamp>,
    pub limit: u32,
    pub offset: u64,
}

impl ActionQuery {
    pub fn in_scope(scope: AccountScope) -> ActionQuery {
        ActionQuery {
            scope,
            account_id: None,
            incident_id: None,
            service: None,
            owner_id: None,
            priority: None,
            statuses: Vec::new(),
            overdue_at: None,
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionPage {
    /// Soonest due first; those without a due date last.
    pub items: Vec<Action>,
    pub total: u64,
}

/// A reminder to an action's owner: due soon, or overdue; each once per due date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReminder {
    pub action_id: ActionId,
    pub kind: ReminderKind,
    pub due_at: Timestamp,
    pub notifications: Vec<Notification>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderKind {
    DueSoon,
    Overdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "due_soon",
            ReminderKind::Overdue => "overdue",
        }
    }
}

#[async_trait]
pub trait ActionStore: Send + Sync {
    /// Inserts a new action (version 0; the store gives it its number) or updates one whose
    /// stored version is still `action.version` (else `Conflict`); returns it as stored.
    async fn save_action(
        &self,
        action: &Action,
        audit: &AuditEntry,
        notifications: &[Notification],
    ) -> StoreResult<Action>;
    async fn get_action(&self, id: ActionId) -> StoreResult<Action>;
    async fn list_actions(&self, query: &ActionQuery) -> StoreResult<ActionPage>;
    /// Open actions due before `until` that lack the reminder `kind` for their current due date.
    async fn actions_to_remind(&self, kind: ReminderKind, until: Timestamp, limit: u32) -> StoreResult<Vec<Action>>;
    /// Records reminders not recorded yet and, for those only, writes their notifications.
    async fn save_action_reminders(&self, reminders: &[ActionReminder], sent_at: Timestamp) -> StoreResult<()>;
}
