//! What the stores keep for tickets, SLA clocks, alerts, notifications and escalations.

use async_trait::async_trait;
use tamhub_domain::Timestamp;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::escalations::Escalation;
use tamhub_domain::ids::{AccountId, NotificationId, TicketId, UserId};
use tamhub_domain::notifications::{Notification, SlaAlert};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::sla::engine::CycleRecord;
use tamhub_domain::tickets::{Priority, Status, Ticket, TicketEvent};

use crate::StoreResult;

/// A ticket's SLA state as last evaluated, kept beside it for queues and the scanner. It must
/// always equal `evaluate(events, …, evaluated_at)` (R-C3).
#[derive(Clone, Debug, PartialEq)]
pub struct SlaSnapshot {
    pub evaluated_at: Timestamp,
    pub cycles: Vec<CycleRecord>,
    /// The earliest due instant among running cycles: what breaches next.
    pub due_at: Option<Timestamp>,
    /// R-W4: when the output can next change without a new event.
    pub next_check_at: Option<Timestamp>,
}

/// An alert and the notifications it causes, written only if the alert is new.
#[derive(Clone, Debug)]
pub struct AlertNotices {
    pub alert: SlaAlert,
    pub notifications: Vec<Notification>,
}

/// Everything one change to a ticket writes, in one transaction: the ticket row, the events it
/// appends, the SLA state recomputed with them, new alerts, notifications, the escalation and the
/// audit entries. The stored log must still end at `expected_last_seq`, so two writers that read
/// the same log cannot both write (the second gets `Conflict` and plans its change again).
#[derive(Clone, Debug)]
pub struct TicketChange {
    pub ticket: Ticket,
    /// The store assigns the ticket number.
    pub is_new: bool,
    /// The last `seq` of the log the change was planned on (0 for a new ticket).
    pub expected_last_seq: i64,
    pub events: Vec<TicketEvent>,
    pub sla: SlaSnapshot,
    pub alerts: Vec<AlertNotices>,
    pub notifications: Vec<Notification>,
    pub escalation: Option<Escalation>,
    pub audit: Vec<AuditEntry>,
}

/// A scanner's evaluation of one ticket, made on the log up to `last_seq`.
#[derive(Clone, Debug)]
pub struct SlaEvaluation {
    pub ticket_id: TicketId,
    pub last_seq: i64,
    pub sla: SlaSnapshot,
    pub alerts: Vec<AlertNotices>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TicketSort {
    /// What breaches next first; tickets without a running clock last.
    #[default]
    Due,
    Updated,
    Created,
    Priority,
    Number,
}

impl TicketSort {
    pub const ALL: [(TicketSort, &'static str); 5] = [
        (TicketSort::Due, "due"),
        (TicketSort::Updated, "updated_at"),
        (TicketSort::Created, "created_at"),
        (TicketSort::Priority, "priority"),
        (TicketSort::Number, "number"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(s, _)| *s == self).map(|(_, n)| *n).unwrap_or("due")
    }
}

/// Which statuses a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Not solved or closed.
    #[default]
    Open,
    /// Solved or closed: the work that is done.
    Done,
    All,
    Only(Status),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketQuery {
    pub scope: AccountScope,
    pub account_id: Option<AccountId>,
    pub assignee: Option<UserId>,
    /// Tickets with nobody assigned.
    pub unassigned: bool,
    pub status: StatusFilter,
    pub priority: Option<Priority>,
    /// The ticket with this number (#1042).
    pub number: Option<i64>,
    /// Case-insensitive substring of the title.
    pub text: Option<String>,
    pub sort: TicketSort,
    pub descending: bool,
    pub limit: u32,
    pub offset: u64,
}

impl TicketQuery {
    pub fn in_scope(scope: AccountScope) -> TicketQuery {
        TicketQuery {
            scope,
            account_id: None,
            assignee: None,
            unassigned: false,
            status: StatusFilter::Open,
            priority: None,
            number: None,
            text: None,
            sort: TicketSort::Due,
            descending: false,
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TicketListItem {
    pub ticket: Ticket,
    pub account_name: String,
    pub sla_due_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TicketPage {
    pub items: Vec<TicketListItem>,
    pub total: u64,
}

/// The ORDER BY of a ticket listing: a fixed expression per sort key, then the number.
pub fn ticket_order(sort: TicketSort, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    let key = match sort {
        // Tickets with no running clock come after every ticket with one, either way; ascending
        // (the queue's order) walks the `tickets_queue` index.
        TicketSort::Due if !descending => "t.sla_due_rank",
        TicketSort::Due => "t.sla_due_at IS NULL, t.sla_due_at",
        TicketSort::Updated => "t.updated_at",
        TicketSort::Created => "t.created_at",
        TicketSort::Priority => {
            "CASE t.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"
        }
        TicketSort::Number => "t.number",
    };
    format!(" ORDER BY {key} {dir}, t.number {dir}")
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Writes a ticket change (see `TicketChange`). Returns the ticket as stored (with its number).
    async fn save_ticket_change(&self, change: &TicketChange) -> StoreResult<Ticket>;
    async fn get_ticket(&self, id: TicketId) -> StoreResult<Ticket>;
    /// Several tickets at once, in no particular order; unknown ids are left out.
    async fn get_tickets(&self, ids: &[TicketId]) -> StoreResult<Vec<Ticket>>;
    /// The log in `seq` order.
    async fn ticket_events(&self, id: TicketId) -> StoreResult<Vec<TicketEvent>>;
    /// The logs of several tickets at once (a queue page).
    async fn ticket_events_of(&self, ids: &[TicketId]) -> StoreResult<Vec<TicketEvent>>;
    async fn ticket_sla(&self, id: TicketId) -> StoreResult<Option<SlaSnapshot>>;
    async fn list_tickets(&self, query: &TicketQuery) -> StoreResult<TicketPage>;
    /// Non-closed tickets of an account (their policy inputs change with the account).
    async fn open_ticket_ids(&self, account_id: Option<AccountId>) -> StoreResult<Vec<TicketId>>;

    // The SLA scanner.
    /// Tickets whose next SLA check is due, soonest first.
    async fn due_sla_checks(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TicketId>>;
    /// Stores fresh evaluations and their new alerts in one transaction, each unless its ticket
    /// changed since `last_seq` was read (then the writer of that change stored a fresher one):
    /// returns, per evaluation, whether it was stored.
    async fn save_sla_evaluations(&self, evaluations: &[SlaEvaluation]) -> StoreResult<Vec<bool>>;
    /// Asks the scanner to re-evaluate every open ticket (policies or calendars changed).
    async fn request_sla_recheck(&self, now: Timestamp) -> StoreResult<u64>;
    async fn ticket_alerts(&self, id: TicketId) -> StoreResult<Vec<SlaAlert>>;
    /// Takes or renews a named lease for `ttl_seconds`; false while another holder has it.
    async fn acquire_lease(&self, name: &str, holder: &str, now: Timestamp, ttl_seconds: i64) -> StoreResult<bool>;

    // Escalations.
    async fn get_escalation(&self, ticket_id: TicketId) -> StoreResult<Option<Escalation>>;

    // Notifications.
    async fn list_notifications(
        &self,
        user_id: UserId,
        unread_only: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<Notification>>;
    async fn unread_notifications(&self, user_id: UserId) -> StoreResult<u64>;
    /// Marks one (or, with `None`, every) notification of the user read. One that is not the
    /// user's is not found.
    async fn mark_notifications_read(
        &self,
        user_id: UserId,
        id: Option<NotificationId>,
        now: Timestamp,
    ) -> StoreResult<u64>;
}
