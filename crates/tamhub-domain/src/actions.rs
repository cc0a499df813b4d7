//! Actions: the one model for every follow-up tamhub tracks (SLA-SPEC 2.6 action items; PRODUCT
//! capability 5). An action has a title, an owner, a due date, a status and the record it came
//! from: a post-incident review (corrective actions) or a meeting (action items); success plans
//! and risk mitigations add their own `ActionSource` variants to this same model.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, ActionId, IncidentId, MeetingId, ReviewId, RiskId, SuccessPlanId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};

/// How long a priority action has from the review's approval (Atlassian's SLO), and how long
/// when the service it is for is marked tier 2.
pub const PRIORITY_ACTION_WEEKS: i64 = 4;
pub const PRIORITY_ACTION_WEEKS_TIER2: i64 = 8;
/// An owner is reminded this long before an action falls due.
pub const REMINDER_LEAD_DAYS: i64 = 3;

wire_enum!(ActionType {
    Mitigate => "mitigate", "Mitigate";
    Prevent => "prevent", "Prevent";
    Detect => "detect", "Detect";
    Process => "process", "Process";
    Other => "other", "Other";
});

wire_enum!(ActionPriority {
    PriorityAction => "priority_action", "Priority action";
    Normal => "normal", "Normal";
});

wire_enum!(ActionStatus {
    Open => "open", "Open";
    InProgress => "in_progress", "In progress";
    Done => "done", "Done";
    WontDo => "wont_do", "Won't do";
});

impl ActionStatus {
    /// Still to be done: open or in progress.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// The record an action came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionSource {
    /// A corrective action of an incident's post-incident review.
    IncidentReview { incident_id: IncidentId },
    /// An action item of a meeting with an account.
    Meeting { meeting_id: MeetingId, account_id: AccountId },
    /// An action of an account's success plan.
    SuccessPlan { plan_id: SuccessPlanId, account_id: AccountId },
    /// The mitigation of a risk of an account's register.
    Risk { risk_id: RiskId, account_id: AccountId },
    /// An improvement item of a lens-based review.
    Review { review_id: ReviewId, account_id: AccountId },
}

impl ActionSource {
    pub fn incident_id(&self) -> Option<IncidentId> {
        match self {
            ActionSource::IncidentReview { incident_id } => Some(*incident_id),
            ActionSource::Meeting { .. }
            | ActionSource::SuccessPlan { .. }
            | ActionSource::Risk { .. }
            | ActionSource::Review { .. } => None,
        }
    }

    /// The one account a source concerns (an incident may concern several: see its accounts).
    pub fn account_id(&self) -> Option<AccountId> {
        match self {
            ActionSource::IncidentReview { .. } => None,
            ActionSource::Meeting { account_id, .. }
            | ActionSource::SuccessPlan { account_id, .. }
            | ActionSource::Risk { account_id, .. }
            | ActionSource::Review { account_id, .. } => Some(*account_id),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: ActionId,
    /// Human-friendly number, unique per installation (ACT-7); given by the store.
    pub number: i64,
    pub title: String,
    pub description: String,
    pub action_type: ActionType,
    pub priority: ActionPriority,
    pub owner_id: UserId,
    /// None only while a priority action waits for its review's approval, which sets it.
    pub due_at: Option<Timestamp>,
    pub status: ActionStatus,
    /// Why it is not done (required for `wont_do`), or how it was done.
    pub status_note: String,
    /// The service it is for (one of the incident's services).
    pub service: Option<String>,
    /// Where the work is tracked (a Jira issue, a pull request).
    pub link: Option<String>,
    pub source: ActionSource,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When it was last marked done.
    pub completed_at: Option<Timestamp>,
    /// Optimistic concurrency: 0 for an action not stored yet.
    pub version: i64,
}

impl Action {
    pub fn display_number(&self) -> String {
        format!("ACT-{}", self.number)
    }

    /// SLA-SPEC 2.6: `now > due_at` while open or in progress.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && self.due_at.is_some_and(|due| now > due)
    }

    /// Done by its due date (an action without one counts as on time).
    pub fn done_on_time(&self) -> bool {
        self.status == ActionStatus::Done && self.completed_at.zip(self.due_at).is_none_or(|(done, due)| done <= due)
    }

    /// A priority action waiting for its review's approval gets the default due date then.
    pub fn with_default_due(&self, approved_at: Timestamp, tier2: bool) -> Option<Action> {
        if self.priority != ActionPriority::PriorityAction || self.due_at.is_some() {
            return None;
        }
        let mut next = self.clone();
        next.due_at = Some(default_due(approved_at, tier2));
        Some(next)
    }
}

/// SLA-SPEC 2.6: a priority action is due four weeks after approval, eight for a tier-2 service.
pub fn default_due(approved_at: Timestamp, tier2: bool) -> Timestamp {
    let weeks = if tier2 { PRIORITY_ACTION_WEEKS_TIER2 } else { PRIORITY_ACTION_WEEKS };
    approved_at.saturating_add(jiff::SignedDuration::from_hours(24 * 7 * weeks)).unwrap_or(approved_at)
}

/// What the action's source allows: its services, and the approval that sets default due dates.
#[derive(Clone, Debug, Default)]
pub struct SourceContext {
    pub services: Vec<String>,
    /// When the review was approved; None before.
    pub approved_at: Option<Timestamp>,
    /// Services marked tier 2 (their priority actions get eight weeks).
    pub tier2_services: Vec<String>,
}

impl SourceContext {
    fn is_tier2(&self, service: Option<&str>) -> bool {
        service.is_some_and(|s| self.tier2_services.iter().any(|t| t.eq_ignore_ascii_case(s)))
    }

    /// The source's own spelling of a service, or an error naming the allowed ones.
    fn service(&self, errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None if self.services.len() == 1 => Some(self.services[0].clone()),
            None => None,
            Some(name) => {
                let found = self.services.iter().find(|s| s.eq_ignore_ascii_case(name)).cloned();
                if found.is_none() {
                    let allowed = if self.services.is_empty() {
                        "the incident names no services".to_string()
                    } else {
                        format!("must be one of the incident's services: {}", self.services.join(", "))
                    };
                    errors.add("service", allowed);
                }
                found
            }
        }
    }
}

/// A new action as typed, before validation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ActionDraft {
    pub title: String,
    pub description: String,
    /// mitigate, prevent, detect, process or other.
    #[serde(rename = "type")]
    pub action_type: String,
    /// priority_action or normal.
    pub priority: String,
    pub owner_id: Option<UserId>,
    /// Required, except for a priority action: then it defaults to four weeks after the
    /// review's approval (eight for a tier-2 service).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub service: Option<String>,
    pub link: Option<String>,
}

/// An `http(s)` address without blanks, or an error on `field`.
fn link(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if !scheme_ok || value.len() > 2_000 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add(field, "must be an http:// or https:// address of at most 2000 characters");
    }
    Some(value.to_string())
}

fn due_not_past(errors: &mut FieldErrors, due: Option<Timestamp>, now: Timestamp) {
    if due.is_some_and(|d| d < now) {
        errors.add("due_at", "must not be in the past");
    }
}

impl ActionDraft {
    /// The action created at `now`, or every problem with the draft.
    pub fn create(
        &self,
        source: ActionSource,
        context: &SourceContext,
        actor: Option<UserId>,
        now: Timestamp,
    ) -> Result<Action, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = required_text(&mut errors, "title", &self.title, 200);
        let description = optional_text(&mut errors, "description", &self.description, 10_000);
        let action_type = parse_choice(&mut errors, "type", &self.action_type, ActionType::ALL);
        let priority = parse_choice(&mut errors, "priority", &self.priority, ActionPriority::ALL);
        if self.owner_id.is_none() {
            errors.add("owner_id", "must not be empty: every action has an owner");
        }
        let service = context.service(&mut errors, self.service.as_deref());
        let link = link(&mut errors, "link", self.link.as_deref());
        due_not_past(&mut errors, self.due_at, now);
        let due_at = match (self.due_at, priority) {
            (Some(due), _) => Some(due),
            (None, Some(ActionPriority::PriorityAction)) => {
                context.approved_at.map(|approved| default_due(approved, context.is_tier2(service.as_deref())))
            }
            (None, _) => {
                errors.add(
                    "due_at",
                    "must not be empty (only a priority action defaults to its review's approval + 4 weeks)",
                );
                None
            }
        };
        errors.into_result()?;
        let (Some(action_type), Some(priority), Some(owner_id)) = (action_type, priority, self.owner_id) else {
            unreachable!("errors were returned above");
        };
        Ok(Action {
            id: ActionId::new(),
            number: 0,
            title,
            description,
            action_type,
            priority,
            owner_id,
            due_at,
            status: ActionStatus::Open,
            status_note: String::new(),
            service,
            link,
            source,
            created_by: actor,
            created_at: now,
            updated_at: now,
            completed_at: None,
            version: 0,
        })
    }
}

/// A change to an action; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ActionPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub action_type: Option<String>,
    pub priority: Option<String>,
    pub owner_id: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// open, in_progress, done or wont_do (which needs a `status_note` saying why).
    pub status: Option<String>,
    pub status_note: Option<String>,
    pub service: Option<String>,
    /// An empty text removes the link.
    pub link: Option<String>,
}

impl ActionPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.action_type.is_none()
            && self.priority.is_none()
            && self.owner_id.is_none()
            && self.due_at.is_none()
            && self.status.is_none()
            && self.status_note.is_none()
            && self.service.is_none()
            && self.link.is_none()
    }
}

impl Action {
    /// The action after `patch`, or every problem with it.
    pub fn patched(&self, patch: &ActionPatch, context: &SourceContext, now: Timestamp) -> Result<Action, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = self.clone();
        if patch.is_empty() {
            errors.add("body", "names no field to change");
        }
        if let Some(title) = &patch.title {
            next.title = required_text(&mut errors, "title", title, 200);
        }
        if let Some(description) = &patch.description {
            next.description = optional_text(&mut errors, "description", description, 10_000);
        }
        if let Some(t) = &patch.action_type {
            next.action_type = parse_choice(&mut errors, "type", t, ActionType::ALL).unwrap_or(next.action_type);
        }
        if let Some(p) = &patch.priority {
            next.priority = parse_choice(&mut errors, "priority", p, ActionPriority::ALL).unwrap_or(next.priority);
        }
        if let Some(owner) = patch.owner_id {
            next.owner_id = owner;
        }
        if let Some(due) = patch.due_at
            && Some(due) != self.due_at
        {
            due_not_past(&mut errors, Some(due), now);
            next.due_at = Some(due);
        }
        if let Some(service) = &patch.service {
            next.service = context.service(&mut errors, Some(service));
        }
        if let Some(value) = &patch.link {
            next.link = link(&mut errors, "link", Some(value));
        }
        if let Some(note) = &patch.status_note {
            next.status_note = optional_text(&mut errors, "status_note", note, 2_000);
        }
        if let Some(status) = &patch.status {
            next.status = parse_choice(&mut errors, "status", status, ActionStatus::ALL).unwrap_or(next.status);
        }
        if next.status == ActionStatus::WontDo && self.status != ActionStatus::WontDo && next.status_note.is_empty() {
            errors.add("status_note", "must say why the action will not be done");
        }
        if next.due_at.is_none() && next.priority == ActionPriority::Normal {
            errors.add("due_at", "must not be empty for a normal action");
        }
        errors.into_result()?;
        next.completed_at = match (self.status, next.status) {
            (ActionStatus::Done, ActionStatus::Done) => self.completed_at,
            (_, ActionStatus::Done) => Some(now),
            _ => None,
        };
        next.updated_at = now;
        Ok(next)
    }
}

/// Counts over a set of actions (SLA-SPEC 2.6 reported metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActionSummary {
    /// Open or in progress.
    pub open: u32,
    pub overdue: u32,
    /// Overdue priority actions: the figure reported per account and per service.
    pub overdue_priority: u32,
    pub done: u32,
    pub done_on_time: u32,
    pub wont_do: u32,
    /// Done on time over those whose outcome is known: done, plus open ones already overdue
    /// (they can no longer be on time). None when there is none.
    pub on_time_pct: Option<f64>,
}

impl ActionSummary {
    pub fn of<'a>(actions: impl IntoIterator<Item = &'a Action>, now: Timestamp) -> ActionSummary {
        let mut s = ActionSummary::default();
        for a in actions {
            match a.status {
                ActionStatus::Open | ActionStatus::InProgress => s.open += 1,
                ActionStatus::Done => s.done += 1,
                ActionStatus::WontDo => s.wont_do += 1,
            }
            if a.is_overdue(now) {
                s.overdue += 1;
                if a.priority == ActionPriority::PriorityAction {
                    s.overdue_priority += 1;
                }
            }
            if a.done_on_time() {
                s.done_on_time += 1;
            }
        }
        let known = s.done + s.overdue;
        s.on_time_pct = (known > 0).then(|| f64::from(s.done_on_time) * 100.0 / f64::from(known));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn draft() -> ActionDraft {
        ActionDraft {
            title: "Add a canary stage to config pushes".into(),
            action_type: "prevent".into(),
            priority: "priority_action".into(),
            owner_id: Some(UserId::new()),
            ..ActionDraft::default()
        }
    }

    fn source() -> ActionSource {
        ActionSource::IncidentReview { incident_id: IncidentId::new() }
    }

    fn context(approved_at: Option<&str>) -> SourceContext {
        SourceContext {
            services: vec!["api".into(), "Billing".into()],
            approved_at: approved_at.map(at),
            tier2_services: vec!["billing".into()],
        }
    }

    #[test]
    fn priority_action_defaults_to_four_weeks_after_approval_and_eight_for_tier2() {
        let now = at("2026-03-10T12:00:00Z");
        let a = draft().create(source(), &context(Some("2026-03-09T09:00:00Z")), None, now).unwrap();
        assert_eq!(a.due_at, Some(at("2026-04-06T09:00:00Z")));
        let billing = ActionDraft { service: Some("billing".into()), ..draft() };
        let b = billing.create(source(), &context(Some("2026-03-09T09:00:00Z")), None, now).unwrap();
        assert_eq!(b.service.as_deref(), Some("Billing"), "the incident's spelling is kept");
        assert_eq!(b.due_at, Some(at("2026-05-04T09:00:00Z")));
    }

    #[test]
    fn priority_action_before_approval_waits_for_it() {
        let now = at("2026-03-10T12:00:00Z");
        let a = draft().create(source(), &context(None), None, now).unwrap();
        assert_eq!(a.due_at, None);
        assert!(!a.is_overdue(at("2030-01-01T00:00:00Z")));
        let set = a.with_default_due(at("2026-03-12T10:00:00Z"), false).unwrap();
        assert_eq!(set.due_at, Some(at("2026-04-09T10:00:00Z")));
        assert_eq!(set.with_default_due(at("2026-03-20T10:00:00Z"), false), None, "a set due date stays");
    }

    #[test]
    fn bad_drafts_name_each_field() {
        let now = at("2026-03-10T12:00:00Z");
        let bad = ActionDraft {
            title: " ".into(),
            action_type: "fix".into(),
            priority: "normal".into(),
            owner_id: None,
            service: Some("storage".into()),
            link: Some("jira/OPS-1".into()),
            ..ActionDraft::default()
        };
        let errors = bad.create(source(), &context(None), None, now).unwrap_err();
        for field in ["title", "type", "owner_id", "due_at", "service", "link"] {
            assert!(errors.get(field).is_some(), "{field} in {errors:?}");
        }
        let past = ActionDraft { due_at: Some(at("2026-03-01T00:00:00Z")), ..draft() };
        assert!(past.create(source(), &context(None), None, now).unwrap_err().get("due_at").is_some());
    }

    #[test]
    fn statuses_record_completion_and_wont_do_needs_a_reason() {
        let now = at("2026-03-10T12:00:00Z");
        let due = ActionDraft { due_at: Some(at("2026-03-20T00:00:00Z")), priority: "normal".into(), ..draft() };
        let a = due.create(source(), &context(None), None, now).unwrap();
        let ctx = context(None);
        let wont = ActionPatch { status: Some("wont_do".into()), ..ActionPatch::default() };
        assert!(a.patched(&wont, &ctx, now).unwrap_err().get("status_note").is_some());
        let done_at = at("2026-03-25T00:00:00Z");
        let done = a.patched(&ActionPatch { status: Some("done".into()), ..ActionPatch::default() }, &ctx, done_at);
        let done = done.unwrap();
        assert_eq!(done.completed_at, Some(done_at));
        assert!(!done.done_on_time(), "done five days late");
        let reopened =
            done.patched(&ActionPatch { status: Some("open".into()), ..ActionPatch::default() }, &ctx, done_at);
        assert_eq!(reopened.unwrap().completed_at, None);
        assert!(a.patched(&ActionPatch::default(), &ctx, now).unwrap_err().get("body").is_some());
    }

    #[test]
    fn summary_counts_overdue_and_on_time_share() {
        let now = at("2026-03-10T12:00:00Z");
        let ctx = context(None);
        let make = |due: &str, priority: &str| {
            let d = ActionDraft { due_at: Some(at(due)), priority: priority.into(), ..draft() };
            d.create(source(), &ctx, None, at("2026-03-01T00:00:00Z")).unwrap()
        };
        let status = |a: &Action, s: &str, when: &str| {
            a.patched(&ActionPatch { status: Some(s.into()), ..ActionPatch::default() }, &ctx, at(when)).unwrap()
        };
        let overdue_priority = make("2026-03-05T00:00:00Z", "priority_action");
        let overdue_normal = status(&make("2026-03-06T00:00:00Z", "normal"), "in_progress", "2026-03-02T00:00:00Z");
        let on_time = status(&make("2026-03-08T00:00:00Z", "normal"), "done", "2026-03-07T00:00:00Z");
        let late = status(&make("2026-03-04T00:00:00Z", "normal"), "done", "2026-03-09T00:00:00Z");
        let upcoming = make("2026-04-01T00:00:00Z", "priority_action");
        let all = [overdue_priority, overdue_normal, on_time, late, upcoming];
        let s = ActionSummary::of(&all, now);
        assert_eq!((s.open, s.overdue, s.overdue_priority, s.done, s.done_on_time), (3, 2, 1, 2, 1));
        assert_eq!(s.on_time_pct, Some(25.0), "1 on time of 2 done + 2 overdue");
        assert!(!all[0].is_overdue(at("2026-03-05T00:00:00Z")), "due at the instant is not yet overdue");
    }
}
