//! Tickets: a customer's request with a priority, a status category and an append-only event log
//! (SLA-SPEC 1.3). The SLA clocks are a function of that log (R-C3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::accounts::Tier;
use crate::ids::{AccountId, CalendarId, TicketId, UserId};
use crate::sla::Instant;
use crate::sla::calendar::{Calendar, CalendarError};
use crate::sla::engine::{CycleRecord, evaluate_timeline};
use crate::sla::model::{Author, Event, EventKind};
use crate::sla::policies::{PolicyInputs, PolicyTimeline};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};

pub use crate::sla::model::Status;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

impl Priority {
    /// Most urgent first.
    pub const ALL: [(Priority, &'static str); 4] = [
        (Priority::Critical, "critical"),
        (Priority::High, "high"),
        (Priority::Medium, "medium"),
        (Priority::Low, "low"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(value: &str) -> Option<Priority> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(p, _)| *p)
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::Critical => "Critical",
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }
}

/// What kind of request a ticket is; SLA policies may filter on it (R-T1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    Question,
    Incident,
    Problem,
    Task,
}

impl TicketType {
    pub const ALL: [(TicketType, &'static str); 4] = [
        (TicketType::Question, "question"),
        (TicketType::Incident, "incident"),
        (TicketType::Problem, "problem"),
        (TicketType::Task, "task"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(value: &str) -> Option<TicketType> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(t, _)| *t)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketType::Question => "Question",
            TicketType::Incident => "Incident",
            TicketType::Problem => "Problem",
            TicketType::Task => "Task",
        }
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(s, _)| *s == self).map(|(_, n)| *n).unwrap_or("new")
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Open => "Open",
            Status::Pending => "Pending (customer)",
            Status::OnHold => "On hold (third party)",
            Status::Solved => "Solved",
            Status::Closed => "Closed",
        }
    }

    /// Open work: anything not solved or closed.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Solved | Status::Closed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub id: TicketId,
    /// Human-friendly number, unique per installation (#1042).
    pub number: i64,
    pub account_id: AccountId,
    pub title: String,
    pub description: String,
    pub priority: Priority,
    pub status: Status,
    pub ticket_type: TicketType,
    pub assignee_id: Option<UserId>,
    /// The customer contact who asked.
    pub requester_id: Option<UserId>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Who wrote a comment, as the SLA engine sees it (SLA-SPEC 1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentAuthor {
    Customer,
    Agent,
    System,
}

impl CommentAuthor {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentAuthor::Customer => "customer",
            CommentAuthor::Agent => "agent",
            CommentAuthor::System => "system",
        }
    }

    fn engine(self) -> Author {
        match self {
            CommentAuthor::Customer => Author::Customer,
            CommentAuthor::Agent => Author::Agent,
            CommentAuthor::System => Author::System,
        }
    }
}

/// One entry of a ticket's append-only log. `seq` orders entries that share an instant (R-C4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketEvent {
    pub ticket_id: TicketId,
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    #[serde(flatten)]
    pub kind: TicketEventKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TicketEventKind {
    /// The ticket was opened; its description is the first comment, public or an agent's
    /// private note (A8).
    /// Also records the policy inputs the account gave at that moment (R-T1).
    Created {
        priority: Priority,
        ticket_type: TicketType,
        by: CommentAuthor,
        public: bool,
        tier: Tier,
        calendar_id: Option<CalendarId>,
    },
    Comment {
        author: CommentAuthor,
        public: bool,
        body: String,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
    },
    AssigneeChanged {
        from: Option<UserId>,
        to: Option<UserId>,
    },
    TypeChanged {
        from: TicketType,
        to: TicketType,
    },
    /// The account's tier or business calendar changed while the ticket was open (R-T1, R-K13).
    PolicyInputsChanged {
        tier: Tier,
        calendar_id: Option<CalendarId>,
    },
    /// Escalated to engineering with a brief (see `escalations`).
    Escalated {
        engineering_team: String,
    },
    EscalationAcknowledged {
        time_to_engage_seconds: i64,
    },
}

impl TicketEventKind {
    pub fn name(&self) -> &'static str {
        match self {
            TicketEventKind::Created { .. } => "created",
            TicketEventKind::Comment { .. } => "comment",
            TicketEventKind::StatusChanged { .. } => "status_changed",
            TicketEventKind::PriorityChanged { .. } => "priority_changed",
            TicketEventKind::AssigneeChanged { .. } => "assignee_changed",
            TicketEventKind::TypeChanged { .. } => "type_changed",
            TicketEventKind::PolicyInputsChanged { .. } => "policy_inputs_changed",
            TicketEventKind::Escalated { .. } => "escalated",
            TicketEventKind::EscalationAcknowledged { .. } => "escalation_acknowledged",
        }
    }

    /// Whether a customer contact may see this entry: private comments are internal.
    /// Private notes, the engineering escalation and the bookkeeping of policy inputs are internal.
    pub fn visible_to_customer(&self) -> bool {
        !matches!(
            self,
            TicketEventKind::Comment { public: false, .. }
                | TicketEventKind::Escalated { .. }
                | TicketEventKind::EscalationAcknowledged { .. }
                | TicketEventKind::PolicyInputsChanged { .. }
        )
    }
}

/// The events the SLA engine consumes, in log order (R-C4). Entries that do not move a clock
/// (assignment, escalation) are left out; policy inputs are handled by the policy timeline.
pub fn sla_events(events: &[TicketEvent]) -> Vec<Event> {
    events
        .iter()
        .filter_map(|e| {
            let at = e.at.as_second();
            let kind = match &e.kind {
                TicketEventKind::Created { priority, by, public, .. } => {
                    EventKind::Created { priority: priority.as_str().into(), by: by.engine(), public: *public }
                }
                TicketEventKind::Comment { author, public, .. } => {
                    EventKind::Comment { author: author.engine(), public: *public }
                }
                TicketEventKind::StatusChanged { to, .. } => EventKind::Status { to: *to },
                TicketEventKind::PriorityChanged { to, .. } => EventKind::Priority { to: to.as_str().into() },
                _ => return None,
            };
            Some(Event { at, kind })
        })
        .collect()
}

/// The ticket's policy inputs over its life, `(from, inputs)`, oldest first (R-T1).
pub fn policy_inputs(account_id: AccountId, events: &[TicketEvent]) -> Vec<(Instant, PolicyInputs)> {
    let mut out: Vec<(Instant, PolicyInputs)> = Vec::new();
    for e in events {
        let at = e.at.as_second();
        let previous = out.last().map(|(_, i)| *i);
        let next = match (&e.kind, previous) {
            (TicketEventKind::Created { ticket_type, tier, calendar_id, .. }, _) => {
                PolicyInputs { account_id, tier: *tier, ticket_type: *ticket_type, calendar_id: *calendar_id }
            }
            (TicketEventKind::TypeChanged { to, .. }, Some(p)) => PolicyInputs { ticket_type: *to, ..p },
            (TicketEventKind::PolicyInputsChanged { tier, calendar_id }, Some(p)) => {
                PolicyInputs { tier: *tier, calendar_id: *calendar_id, ..p }
            }
            _ => continue,
        };
        match out.last_mut() {
            // Several changes at one instant: the state after the instant counts (A3).
            Some((t, inputs)) if *t == at => *inputs = next,
            _ => out.push((at, next)),
        }
    }
    out
}

/// A ticket's SLA state at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketSla {
    pub cycles: Vec<CycleRecord>,
    /// R-W4: the next instant after the evaluation at which the state changes without a new
    /// event: a warning at its instant, a breach one second after its `due_at` (A14: breach is
    /// strict, `now > due_at`, so at `due_at` itself the cycle is still running), or a policy
    /// change while a clock is open (R-T1); `None` when nothing is pending.
    pub next_change_at: Option<Instant>,
}

/// The SLA cycles of a ticket at `now`: a pure function of its log, the policy timeline and
/// the calendars (R-C3). Each instant of the ticket's life is judged by the policy in force
/// then (R-T1) and every calendar by its version in force (R-K10).
pub fn evaluate_sla(
    events: &[TicketEvent],
    timeline: &PolicyTimeline,
    calendars: &BTreeMap<String, Calendar>,
    now: Instant,
) -> Result<TicketSla, CalendarError> {
    let (cycles, next_change_at) = evaluate_timeline(&sla_events(events), timeline, calendars, now)?;
    Ok(TicketSla { cycles, next_change_at })
}

/// A partial change of a ticket as typed; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct TicketPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<String>,
    pub status: Option<String>,
    pub ticket_type: Option<String>,
    pub assignee_id: Option<Option<UserId>>,
    pub requester_id: Option<Option<UserId>>,
}

/// A validated patch: the new values of the fields it touches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub status: Option<Status>,
    pub ticket_type: Option<TicketType>,
    pub assignee_id: Option<Option<UserId>>,
    pub requester_id: Option<Option<UserId>>,
}

impl TicketPatch {
    pub fn validate(self) -> Result<TicketChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self.title.map(|t| required_text(&mut errors, "title", &t, MAX_TITLE_CHARS));
        let description = self.description.map(|d| optional_text(&mut errors, "description", &d, MAX_BODY_CHARS));
        let priority = self.priority.and_then(|p| parse_choice(&mut errors, "priority", p.trim(), &Priority::ALL));
        let status = self.status.and_then(|s| parse_choice(&mut errors, "status", s.trim(), &Status::ALL));
        let ticket_type =
            self.ticket_type.and_then(|t| parse_choice(&mut errors, "ticket_type", t.trim(), &TicketType::ALL));
        errors.into_result()?;
        Ok(TicketChanges {
            title,
            description,
            priority,
            status,
            ticket_type,
            assignee_id: self.assignee_id,
            requester_id: self.requester_id,
        })
    }
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;

/// A request to open a ticket, as typed.
#[derive(Clone, Debug, Default)]
pub struct TicketDraft {
    pub account_id: Option<AccountId>,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub ticket_type: String,
    pub assignee_id: Option<UserId>,
    pub requester_id: Option<UserId>,
    /// For agents: whether the description is visible to the customer (default true).
    pub public: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTicket {
    pub account_id: AccountId,
    pub title: String,
    pub description: String,
    pub priority: Priority,
    pub ticket_type: TicketType,
    pub assignee_id: Option<UserId>,
    pub requester_id: Option<UserId>,
    pub public: bool,
}

impl TicketDraft {
    pub fn validate(self) -> Result<NewTicket, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.account_id.is_none() {
            errors.add("account_id", "is required");
        }
        let title = required_text(&mut errors, "title", &self.title, MAX_TITLE_CHARS);
        let description = optional_text(&mut errors, "description", &self.description, MAX_BODY_CHARS);
        let priority = parse_choice(&mut errors, "priority", self.priority.trim(), &Priority::ALL);
        let ticket_type = match self.ticket_type.trim() {
            "" => Some(TicketType::Question),
            text => parse_choice(&mut errors, "ticket_type", text, &TicketType::ALL),
        };
        errors.into_result()?;
        Ok(NewTicket {
            account_id: self.account_id.unwrap_or_default(),
            title,
            description,
            priority: priority.unwrap_or(Priority::Medium),
            ticket_type: ticket_type.unwrap_or(TicketType::Question),
            assignee_id: self.assignee_id,
            requester_id: self.requester_id,
            public: self.public,
        })
    }
}

/// A comment as typed.
pub fn validate_comment(body: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let body = required_text_multiline(&mut errors, "body", body, MAX_BODY_CHARS);
    errors.into_result()?;
    Ok(body)
}

/// Like `required_text`, but newlines and tabs are part of a comment.
fn required_text_multiline(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let text = optional_text(errors, field, value, max);
    if text.is_empty() && errors.get(field).is_none() {
        errors.add(field, "must not be empty");
    }
    text
}

/// R-M8 / "closed is terminal": the one status rule the API enforces on its own.
pub fn check_status_change(from: Status, to: Status) -> Result<(), String> {
    if from == Status::Closed {
        return Err("the ticket is closed; closed is final (open a follow-up ticket instead)".into());
    }
    if from == to {
        return Err(format!("the ticket is already {}", to.as_str()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, at: i64, kind: TicketEventKind) -> TicketEvent {
        TicketEvent { ticket_id: TicketId::new(), seq, at: Timestamp::from_second(at).unwrap(), actor_id: None, kind }
    }

    #[test]
    fn the_engine_sees_creation_comments_status_and_priority_but_not_assignment() {
        let log = vec![
            event(
                1,
                0,
                TicketEventKind::Created {
                    priority: Priority::High,
                    ticket_type: TicketType::Question,
                    by: CommentAuthor::Customer,
                    public: true,
                    tier: Tier::Business,
                    calendar_id: None,
                },
            ),
            event(2, 10, TicketEventKind::AssigneeChanged { from: None, to: Some(UserId::new()) }),
            event(3, 20, TicketEventKind::Comment { author: CommentAuthor::Agent, public: true, body: "hi".into() }),
            event(4, 30, TicketEventKind::StatusChanged { from: Status::New, to: Status::Pending }),
            event(5, 40, TicketEventKind::PriorityChanged { from: Priority::High, to: Priority::Critical }),
        ];
        let kinds: Vec<EventKind> = sla_events(&log).into_iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Created { priority: "high".into(), by: Author::Customer, public: true },
                EventKind::Comment { author: Author::Agent, public: true },
                EventKind::Status { to: Status::Pending },
                EventKind::Priority { to: "critical".into() },
            ]
        );
    }

    #[test]
    fn a_draft_names_every_bad_field() {
        let draft = TicketDraft {
            title: " ".into(),
            priority: "urgent".into(),
            ticket_type: "bug".into(),
            ..TicketDraft::default()
        };
        let errors = draft.validate().unwrap_err();
        assert_eq!(errors.get("account_id"), Some("is required"));
        assert_eq!(errors.get("title"), Some("must not be empty"));
        assert_eq!(errors.get("priority"), Some("must be one of: critical, high, medium, low"));
        assert!(errors.get("ticket_type").is_some());
    }

    fn inputs(ticket_type: TicketType) -> crate::sla::policies::PolicyInputs {
        crate::sla::policies::PolicyInputs {
            account_id: AccountId::new(),
            tier: Tier::Business,
            ticket_type,
            calendar_id: None,
        }
    }

    fn created(priority: Priority, ticket_type: TicketType) -> TicketEventKind {
        TicketEventKind::Created {
            priority,
            ticket_type,
            by: CommentAuthor::Customer,
            public: true,
            tier: Tier::Business,
            calendar_id: None,
        }
    }

    #[test]
    fn the_next_change_is_the_engines_wake_up_and_a_breach_shows_a_second_after_its_deadline() {
        let policy = crate::sla::policies::default_policy().to_engine(&inputs(TicketType::Question));
        let timeline = vec![(0, Some(std::sync::Arc::new(policy)))];
        let log = vec![event(1, 0, created(Priority::Critical, TicketType::Question))];
        // Critical: first response and periodic update due at 3600, resolution in 24 h with
        // warnings at 75 % (18 h) and 900 s before it.
        let at_start = evaluate_sla(&log, &timeline, &BTreeMap::new(), 0).unwrap();
        assert_eq!(at_start.next_change_at, Some(2700), "75 % of the hour");
        // At the deadline the cycles still run (A14: breach is strict); the breach shows at 3601.
        let at_deadline = evaluate_sla(&log, &timeline, &BTreeMap::new(), 3600).unwrap();
        assert_eq!(at_deadline.next_change_at, Some(3601));
        let after = evaluate_sla(&log, &timeline, &BTreeMap::new(), 3601).unwrap();
        assert_eq!(after.next_change_at, Some(18 * 3600), "resolution's 75 %");
    }

    #[test]
    fn each_instant_is_judged_by_the_policy_in_force_then() {
        use crate::sla::engine::CycleState;
        use crate::sla::model::Metric;
        use crate::sla::policies::{PolicySet, default_policy, policy_timeline};
        // Questions get the standard policy; incidents one with a 30-minute first response.
        let mut incidents = default_policy();
        incidents.filter.ticket_types = vec![TicketType::Incident];
        for target in &mut incidents.targets {
            if target.metric == Metric::FirstResponse {
                target.seconds = 1800;
            }
        }
        let standard = default_policy();
        let sets = vec![PolicySet {
            version: 1,
            effective_from: Timestamp::from_second(0).unwrap(),
            policies: vec![incidents.clone(), standard.clone()],
        }];
        let log = vec![
            event(1, 0, created(Priority::Critical, TicketType::Question)),
            event(2, 2400, TicketEventKind::TypeChanged { from: TicketType::Question, to: TicketType::Incident }),
        ];
        let timeline = policy_timeline(&sets, &policy_inputs(AccountId::new(), &log));
        let sla = evaluate_sla(&log, &timeline, &BTreeMap::new(), 3000).unwrap();
        let frt = sla.cycles.iter().find(|c| c.metric == Metric::FirstResponse).unwrap();
        // 40 minutes elapsed at the change, the incident target is 30: breached at the change
        // (R-T3), under the incident policy.
        assert_eq!((frt.state, frt.breached_at, frt.target_seconds), (CycleState::Running, Some(2400), 1800));
        assert_eq!(frt.policy_id, Some(incidents.id.to_string()));
        let resolution = sla.cycles.iter().find(|c| c.metric == Metric::Resolution).unwrap();
        assert_eq!((resolution.started_at, resolution.elapsed_seconds), (0, 3000), "start and elapsed kept");
    }

    #[test]
    fn closed_is_final() {
        assert!(check_status_change(Status::Closed, Status::Open).is_err());
        assert!(check_status_change(Status::Solved, Status::Open).is_ok());
        assert!(check_status_change(Status::Open, Status::Open).is_err());
    }
}
