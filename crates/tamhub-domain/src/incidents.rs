//! Incidents (SLA-SPEC section 2): severity, the status machine with its milestones and
//! invariants I1-I4, roles, customer updates and an append-only timeline. An incident's current
//! state is the result of applying its timeline in order; every change is a new entry.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, IncidentId, TicketId, UserId};
use crate::validation::{FieldErrors, optional_text, required_text};

/// P0 (most severe) to P3. A lower rank is more severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Severity {
    P0,
    P1,
    P2,
    P3,
}

impl Severity {
    pub const ALL: [(Severity, &'static str); 4] =
        [(Severity::P0, "P0"), (Severity::P1, "P1"), (Severity::P2, "P2"), (Severity::P3, "P3")];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(value: &str) -> Option<Severity> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(s, _)| *s)
    }

    /// "Major incident" = P0 or P1: an incident commander is required.
    pub fn is_major(self) -> bool {
        matches!(self, Severity::P0 | Severity::P1)
    }

    pub fn description(self) -> &'static str {
        match self {
            Severity::P0 => "Critical: widespread outage, data loss or security exposure",
            Severity::P1 => "Major: significant degradation for many customers or full outage for some",
            Severity::P2 => "Minor: limited impact or a workaround exists",
            Severity::P3 => "Low: no customer impact",
        }
    }

    /// The more severe of two.
    pub fn most_severe(self, other: Severity) -> Severity {
        self.min(other)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Triage,
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Postmortem,
    Closed,
    Declined,
    Merged,
    Canceled,
}

impl IncidentStatus {
    pub const ALL: [(IncidentStatus, &'static str); 10] = [
        (IncidentStatus::Triage, "triage"),
        (IncidentStatus::Investigating, "investigating"),
        (IncidentStatus::Identified, "identified"),
        (IncidentStatus::Monitoring, "monitoring"),
        (IncidentStatus::Resolved, "resolved"),
        (IncidentStatus::Postmortem, "postmortem"),
        (IncidentStatus::Closed, "closed"),
        (IncidentStatus::Declined, "declined"),
        (IncidentStatus::Merged, "merged"),
        (IncidentStatus::Canceled, "canceled"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(value: &str) -> Option<IncidentStatus> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(s, _)| *s)
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentStatus::Triage => "Triage",
            IncidentStatus::Investigating => "Investigating",
            IncidentStatus::Identified => "Identified",
            IncidentStatus::Monitoring => "Monitoring",
            IncidentStatus::Resolved => "Resolved",
            IncidentStatus::Postmortem => "Postmortem",
            IncidentStatus::Closed => "Closed",
            IncidentStatus::Declined => "Declined",
            IncidentStatus::Merged => "Merged",
            IncidentStatus::Canceled => "Canceled",
        }
    }

    /// Still affecting customers or being worked: triage to monitoring.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            IncidentStatus::Triage
                | IncidentStatus::Investigating
                | IncidentStatus::Identified
                | IncidentStatus::Monitoring
        )
    }

    /// No move leaves these.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            IncidentStatus::Closed | IncidentStatus::Declined | IncidentStatus::Merged | IncidentStatus::Canceled
        )
    }

    /// Position on the main line triage → closed; `None` for the endings of triage.
    fn step(self) -> Option<u8> {
        match self {
            IncidentStatus::Triage => Some(0),
            IncidentStatus::Investigating => Some(1),
            IncidentStatus::Identified => Some(2),
            IncidentStatus::Monitoring => Some(3),
            IncidentStatus::Resolved => Some(4),
            IncidentStatus::Postmortem => Some(5),
            IncidentStatus::Closed => Some(6),
            _ => None,
        }
    }

    /// The moves of section 2.2: forward any number of steps while live; monitoring back to
    /// investigating or identified (a regression); resolved back to investigating (a reopen) or
    /// on to postmortem or closed; postmortem to closed; triage also to declined, merged or
    /// canceled.
    pub fn can_move_to(self, to: IncidentStatus) -> bool {
        use IncidentStatus::*;
        match (self, to) {
            (Triage, Declined | Merged | Canceled) => true,
            (Monitoring, Investigating | Identified) => true,
            (Resolved, Investigating | Postmortem | Closed) => true,
            (Postmortem, Closed) => true,
            (from, to) if from.is_live() => matches!((from.step(), to.step()), (Some(a), Some(b)) if b > a),
            _ => false,
        }
    }

    /// The statuses this one may move to, in order.
    pub fn next_statuses(self) -> Vec<IncidentStatus> {
        Self::ALL.iter().map(|(s, _)| *s).filter(|s| self.can_move_to(*s)).collect()
    }
}

/// Roles on an incident; at most one holder each at a time (section 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentRole {
    /// The incident lead; required for P0 and P1.
    IncidentCommander,
    CommsLead,
    TechLead,
    Scribe,
    CustomerLiaison,
}

impl IncidentRole {
    pub const ALL: [(IncidentRole, &'static str); 5] = [
        (IncidentRole::IncidentCommander, "incident_commander"),
        (IncidentRole::CommsLead, "comms_lead"),
        (IncidentRole::TechLead, "tech_lead"),
        (IncidentRole::Scribe, "scribe"),
        (IncidentRole::CustomerLiaison, "customer_liaison"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(value: &str) -> Option<IncidentRole> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(r, _)| *r)
    }

    pub fn label(self) -> &'static str {
        match self {
            IncidentRole::IncidentCommander => "Incident lead",
            IncidentRole::CommsLead => "Comms lead",
            IncidentRole::TechLead => "Tech lead",
            IncidentRole::Scribe => "Scribe",
            IncidentRole::CustomerLiaison => "Customer liaison",
        }
    }
}

/// The milestones of section 2.2, all optional but `declared_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Milestones {
    #[schema(value_type = Option<String>)]
    pub impact_started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub detected_at: Option<Timestamp>,
    #[schema(value_type = String)]
    pub declared_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub acknowledged_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub identified_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub mitigated_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub resolved_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub postmortem_started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub postmortem_completed_at: Option<Timestamp>,
}

/// A milestone by name, for edits through the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    ImpactStartedAt,
    DetectedAt,
    DeclaredAt,
    AcknowledgedAt,
    IdentifiedAt,
    MitigatedAt,
    ResolvedAt,
    ClosedAt,
    PostmortemStartedAt,
    PostmortemCompletedAt,
}

impl Milestone {
    pub const ALL: [(Milestone, &'static str); 10] = [
        (Milestone::ImpactStartedAt, "impact_started_at"),
        (Milestone::DetectedAt, "detected_at"),
        (Milestone::DeclaredAt, "declared_at"),
        (Milestone::AcknowledgedAt, "acknowledged_at"),
        (Milestone::IdentifiedAt, "identified_at"),
        (Milestone::MitigatedAt, "mitigated_at"),
        (Milestone::ResolvedAt, "resolved_at"),
        (Milestone::ClosedAt, "closed_at"),
        (Milestone::PostmortemStartedAt, "postmortem_started_at"),
        (Milestone::PostmortemCompletedAt, "postmortem_completed_at"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(value: &str) -> Option<Milestone> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(m, _)| *m)
    }

    pub fn label(self) -> &'static str {
        match self {
            Milestone::ImpactStartedAt => "Impact started",
            Milestone::DetectedAt => "Detected",
            Milestone::DeclaredAt => "Declared",
            Milestone::AcknowledgedAt => "Acknowledged",
            Milestone::IdentifiedAt => "Identified",
            Milestone::MitigatedAt => "Mitigated",
            Milestone::ResolvedAt => "Resolved",
            Milestone::ClosedAt => "Closed",
            Milestone::PostmortemStartedAt => "Postmortem started",
            Milestone::PostmortemCompletedAt => "Postmortem completed",
        }
    }

    /// The milestone that entering `status` for the first time sets.
    pub fn set_by(status: IncidentStatus) -> Option<Milestone> {
        match status {
            IncidentStatus::Identified => Some(Milestone::IdentifiedAt),
            IncidentStatus::Monitoring => Some(Milestone::MitigatedAt),
            IncidentStatus::Resolved => Some(Milestone::ResolvedAt),
            IncidentStatus::Postmortem => Some(Milestone::PostmortemStartedAt),
            IncidentStatus::Closed => Some(Milestone::ClosedAt),
            _ => None,
        }
    }
}

impl Milestones {
    pub fn declared(at: Timestamp) -> Milestones {
        Milestones {
            impact_started_at: None,
            detected_at: None,
            declared_at: at,
            acknowledged_at: None,
            identified_at: None,
            mitigated_at: None,
            resolved_at: None,
            closed_at: None,
            postmortem_started_at: None,
            postmortem_completed_at: None,
        }
    }

    pub fn get(&self, m: Milestone) -> Option<Timestamp> {
        match m {
            Milestone::ImpactStartedAt => self.impact_started_at,
            Milestone::DetectedAt => self.detected_at,
            Milestone::DeclaredAt => Some(self.declared_at),
            Milestone::AcknowledgedAt => self.acknowledged_at,
            Milestone::IdentifiedAt => self.identified_at,
            Milestone::MitigatedAt => self.mitigated_at,
            Milestone::ResolvedAt => self.resolved_at,
            Milestone::ClosedAt => self.closed_at,
            Milestone::PostmortemStartedAt => self.postmortem_started_at,
            Milestone::PostmortemCompletedAt => self.postmortem_completed_at,
        }
    }

    /// Sets a milestone; `declared_at` cannot be cleared.
    pub fn set(&mut self, m: Milestone, at: Option<Timestamp>) {
        let slot = match m {
            Milestone::ImpactStartedAt => &mut self.impact_started_at,
            Milestone::DetectedAt => &mut self.detected_at,
            Milestone::DeclaredAt => {
                if let Some(at) = at {
                    self.declared_at = at;
                }
                return;
            }
            Milestone::AcknowledgedAt => &mut self.acknowledged_at,
            Milestone::IdentifiedAt => &mut self.identified_at,
            Milestone::MitigatedAt => &mut self.mitigated_at,
            Milestone::ResolvedAt => &mut self.resolved_at,
            Milestone::ClosedAt => &mut self.closed_at,
            Milestone::PostmortemStartedAt => &mut self.postmortem_started_at,
            Milestone::PostmortemCompletedAt => &mut self.postmortem_completed_at,
        };
        *slot = at;
    }

    /// When impact started: `declared_at` if unknown (I1).
    pub fn impact_started(&self) -> Timestamp {
        self.impact_started_at.unwrap_or(self.declared_at)
    }

    /// I1-I4 of section 2.2; each violation names the invariant and the milestone at fault.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let impact = self.impact_started();
        for (m, name) in Milestone::ALL {
            if m == Milestone::ImpactStartedAt {
                continue;
            }
            if let Some(at) = self.get(m).filter(|at| *at < impact) {
                errors.add(
                    "milestones.impact_started_at",
                    format!("I1: impact cannot start after {name} ({})", at.strftime("%Y-%m-%d %H:%M UTC")),
                );
            }
        }
        let ordered = |errors: &mut FieldErrors, invariant: &str, earlier: Milestone, later: Milestone| {
            if let (Some(a), Some(b)) = (self.get(earlier), self.get(later))
                && b < a
            {
                errors.add(
                    &format!("milestones.{}", later.as_str()),
                    format!("{invariant}: {} must not be before {}", later.as_str(), earlier.as_str()),
                );
            }
        };
        ordered(&mut errors, "I2", Milestone::DeclaredAt, Milestone::AcknowledgedAt);
        ordered(&mut errors, "I3", Milestone::MitigatedAt, Milestone::ResolvedAt);
        ordered(&mut errors, "I3", Milestone::ResolvedAt, Milestone::ClosedAt);
        ordered(&mut errors, "I3", Milestone::MitigatedAt, Milestone::ClosedAt);
        ordered(&mut errors, "I4", Milestone::PostmortemStartedAt, Milestone::PostmortemCompletedAt);
        errors.into_result()
    }
}

/// Who may read a customer update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Shown to the customer contacts of every impacted account.
    Public,
    Internal,
}

impl Visibility {
    pub const ALL: [(Visibility, &'static str); 2] =
        [(Visibility::Public, "public"), (Visibility::Internal, "internal")];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }
}

/// An update in the four parts customers expect (PRODUCT.md capability 4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomerUpdate {
    pub visibility: Visibility,
    pub what_we_know: String,
    pub what_we_dont_know: String,
    pub what_we_are_doing: String,
    #[schema(value_type = Option<String>)]
    pub next_update_at: Option<Timestamp>,
}

impl CustomerUpdate {
    /// Validates an update posted at `now`: what we know and what we are doing are required;
    /// the next update, when promised, is in the future and within a week.
    pub fn validated(mut self, now: Timestamp) -> Result<CustomerUpdate, FieldErrors> {
        let mut errors = FieldErrors::new();
        self.what_we_know = required_text(&mut errors, "what_we_know", &self.what_we_know, 5_000);
        self.what_we_dont_know = optional_text(&mut errors, "what_we_dont_know", &self.what_we_dont_know, 5_000);
        self.what_we_are_doing = required_text(&mut errors, "what_we_are_doing", &self.what_we_are_doing, 5_000);
        if let Some(next) = self.next_update_at {
            if next <= now {
                errors.add("next_update_at", "must be in the future");
            } else if next.duration_since(now).as_secs() > 7 * 86_400 {
                errors.add("next_update_at", "must be within 7 days");
            }
        }
        errors.into_result().map(|()| self)
    }
}

/// One entry of an incident's append-only timeline. `seq` orders entries of one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub incident_id: IncidentId,
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    #[serde(flatten)]
    pub kind: TimelineKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineKind {
    /// Declared with its first severity and status; the milestones known then.
    Declared {
        severity: Severity,
        status: IncidentStatus,
        milestones: Milestones,
    },
    StatusChanged {
        from: IncidentStatus,
        to: IncidentStatus,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
    },
    RoleAssigned {
        role: IncidentRole,
        from: Option<UserId>,
        to: Option<UserId>,
    },
    UpdatePosted(CustomerUpdate),
    MilestoneEdited {
        milestone: Milestone,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        reason: String,
    },
    Acknowledged,
    Note {
        text: String,
    },
    TicketLinked {
        ticket_id: TicketId,
    },
    /// The post-incident review moved to another state.
    PostmortemStateChanged {
        status: crate::postmortems::ReviewStatus,
    },
    AccountsChanged {
        added: Vec<AccountId>,
        removed: Vec<AccountId>,
    },
    /// The customer-impact windows were recorded or corrected (they replace the earlier ones).
    ImpactWindowsSet {
        windows: Vec<ImpactWindow>,
        reason: String,
    },
    /// A corrective action was recorded on the post-incident review.
    ActionItemCreated {
        action_id: crate::ids::ActionId,
        title: String,
    },
}

impl TimelineKind {
    pub fn name(&self) -> &'static str {
        match self {
            TimelineKind::Declared { .. } => "declared",
            TimelineKind::StatusChanged { .. } => "status_changed",
            TimelineKind::SeverityChanged { .. } => "severity_changed",
            TimelineKind::RoleAssigned { .. } => "role_assigned",
            TimelineKind::UpdatePosted(_) => "update_posted",
            TimelineKind::MilestoneEdited { .. } => "milestone_edited",
            TimelineKind::Acknowledged => "acknowledged",
            TimelineKind::Note { .. } => "note",
            TimelineKind::TicketLinked { .. } => "ticket_linked",
            TimelineKind::PostmortemStateChanged { .. } => "postmortem_state_changed",
            TimelineKind::AccountsChanged { .. } => "accounts_changed",
            TimelineKind::ActionItemCreated { .. } => "action_item_created",
            TimelineKind::ImpactWindowsSet { .. } => "impact_windows_set",
        }
    }

    /// A customer contact sees the public updates and the status moves, like a status page.
    pub fn visible_to_customer(&self) -> bool {
        match self {
            TimelineKind::UpdatePosted(update) => update.visibility == Visibility::Public,
            TimelineKind::Declared { .. } | TimelineKind::StatusChanged { .. } => true,
            _ => false,
        }
    }
}

/// An incident's current state: its record plus the result of its timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    /// Human-friendly number, unique per installation (INC-42).
    pub number: i64,
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    /// The most severe ever held: drives reporting and the postmortem requirement.
    pub max_severity: Severity,
    pub status: IncidentStatus,
    pub impacted_account_ids: Vec<AccountId>,
    pub impacted_services: Vec<String>,
    pub linked_ticket_ids: Vec<TicketId>,
    pub roles: Vec<(IncidentRole, UserId)>,
    pub milestones: Milestones,
    /// When customers were actually affected, if recorded: customer impact is then their union
    /// rather than impact start → resolved (section 2.5).
    #[serde(default)]
    pub impact_windows: Vec<ImpactWindow>,
    pub reopen_count: i64,
    /// Test incidents are left out of metrics.
    pub test: bool,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Incident {
    pub fn holder(&self, role: IncidentRole) -> Option<UserId> {
        self.roles.iter().find(|(r, _)| *r == role).map(|(_, u)| *u)
    }

    pub fn display_number(&self) -> String {
        format!("INC-{}", self.number)
    }

    /// Applies one timeline entry (the state after the entry).
    pub fn apply(&mut self, at: Timestamp, kind: &TimelineKind) {
        self.updated_at = self.updated_at.max(at);
        match kind {
            TimelineKind::Declared { severity, status, milestones } => {
                self.severity = *severity;
                self.max_severity = *severity;
                self.status = *status;
                self.milestones = *milestones;
            }
            TimelineKind::StatusChanged { from, to } => {
                if *from == IncidentStatus::Resolved && *to == IncidentStatus::Investigating {
                    self.reopen_count += 1;
                    self.milestones.resolved_at = None;
                }
                if let Some(m) = Milestone::set_by(*to)
                    && self.milestones.get(m).is_none()
                {
                    self.milestones.set(m, Some(at));
                }
                self.status = *to;
            }
            TimelineKind::SeverityChanged { to, .. } => {
                self.severity = *to;
                self.max_severity = self.max_severity.most_severe(*to);
            }
            TimelineKind::RoleAssigned { role, to, .. } => {
                self.roles.retain(|(r, _)| r != role);
                if let Some(user) = to {
                    self.roles.push((*role, *user));
                    self.roles.sort();
                }
            }
            TimelineKind::MilestoneEdited { milestone, to, .. } => self.milestones.set(*milestone, *to),
            TimelineKind::Acknowledged => {
                if self.milestones.acknowledged_at.is_none() {
                    self.milestones.acknowledged_at = Some(at);
                }
            }
            TimelineKind::TicketLinked { ticket_id } => {
                if !self.linked_ticket_ids.contains(ticket_id) {
                    self.linked_ticket_ids.push(*ticket_id);
                }
            }
            TimelineKind::AccountsChanged { added, removed } => {
                self.impacted_account_ids.retain(|a| !removed.contains(a));
                for a in added {
                    if !self.impacted_account_ids.contains(a) {
                        self.impacted_account_ids.push(*a);
                    }
                }
            }
            TimelineKind::PostmortemStateChanged { status } => {
                // The review is complete once approved (I4 keeps it after its start).
                if status.is_done() && self.milestones.postmortem_completed_at.is_none() {
                    self.milestones.postmortem_completed_at = Some(at);
                }
            }
            TimelineKind::ImpactWindowsSet { windows, .. } => self.impact_windows = windows.clone(),
            TimelineKind::UpdatePosted(_) | TimelineKind::Note { .. } | TimelineKind::ActionItemCreated { .. } => {}
        }
    }

    /// The entries a move to `to` at `at` writes, or why it is refused.
    pub fn plan_status_change(&self, to: IncidentStatus, at: Timestamp) -> Result<Vec<TimelineKind>, FieldErrors> {
        if to == self.status {
            return Err(FieldErrors::single("status", format!("the incident is already {}", to.as_str())));
        }
        if !self.status.can_move_to(to) {
            let allowed: Vec<&str> = self.status.next_statuses().iter().map(|s| s.as_str()).collect();
            let message = if allowed.is_empty() {
                format!("a {} incident cannot change status", self.status.as_str())
            } else {
                format!("cannot move from {} to {}; allowed: {}", self.status.as_str(), to.as_str(), allowed.join(", "))
            };
            return Err(FieldErrors::single("status", message));
        }
        let change = TimelineKind::StatusChanged { from: self.status, to };
        self.checked(at, vec![change])
    }

    /// The entries a severity change writes: a major incident needs its commander.
    pub fn plan_severity_change(&self, to: Severity, at: Timestamp) -> Result<Vec<TimelineKind>, FieldErrors> {
        if to == self.severity {
            return Err(FieldErrors::single("severity", format!("the incident is already {}", to.as_str())));
        }
        self.not_ended("severity")?;
        self.checked(at, vec![TimelineKind::SeverityChanged { from: self.severity, to }])
    }

    /// The entry (re)assigning or clearing a role.
    pub fn plan_role(
        &self,
        role: IncidentRole,
        to: Option<UserId>,
        at: Timestamp,
    ) -> Result<Vec<TimelineKind>, FieldErrors> {
        let from = self.holder(role);
        if from == to {
            return Err(FieldErrors::single(&format!("roles.{}", role.as_str()), "already held by that user"));
        }
        self.not_ended(&format!("roles.{}", role.as_str()))?;
        self.checked(at, vec![TimelineKind::RoleAssigned { role, from, to }])
    }

    /// The entry editing a milestone, refused when it breaks I1-I4 or lies in the future.
    pub fn plan_milestone_edit(
        &self,
        milestone: Milestone,
        to: Option<Timestamp>,
        reason: &str,
        at: Timestamp,
    ) -> Result<Vec<TimelineKind>, FieldErrors> {
        self.plan_milestone_edits(&[(milestone, to)], reason, at)
    }

    /// The entries correcting several milestones at once, one reason for all. I1-I4 are checked
    /// on the result only, so corrections that are consistent together are accepted in any order.
    pub fn plan_milestone_edits(
        &self,
        edits: &[(Milestone, Option<Timestamp>)],
        reason: &str,
        at: Timestamp,
    ) -> Result<Vec<TimelineKind>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = required_text(&mut errors, "reason", reason, 1_000);
        let mut kinds = Vec::new();
        for &(milestone, to) in edits {
            let field = format!("milestones.{}", milestone.as_str());
            if milestone == Milestone::DeclaredAt && to.is_none() {
                errors.add(&field, "declared_at cannot be cleared");
            }
            if to.is_some_and(|t| t > at) {
                errors.add(&field, "must not be in the future");
            }
            let from = self.milestones.get(milestone);
            if from == to {
                errors.add(&field, "unchanged");
            }
            kinds.push(TimelineKind::MilestoneEdited { milestone, from, to, reason: reason.clone() });
        }
        if edits.is_empty() {
            errors.add("milestones", "name at least one milestone to correct");
        }
        errors.into_result()?;
        self.checked(at, kinds)
    }

    /// The entry recording the first acknowledgement.
    pub fn plan_acknowledge(&self, at: Timestamp) -> Result<Vec<TimelineKind>, FieldErrors> {
        if self.milestones.acknowledged_at.is_some() {
            return Err(FieldErrors::single("acknowledged_at", "the incident is already acknowledged"));
        }
        self.not_ended("acknowledged_at")?;
        self.checked(at, vec![TimelineKind::Acknowledged])
    }

    /// The entry posting an update; a closed or abandoned incident takes no more updates.
    pub fn plan_update(&self, update: CustomerUpdate, at: Timestamp) -> Result<Vec<TimelineKind>, FieldErrors> {
        let update = update.validated(at)?;
        self.not_ended("update")?;
        self.checked(at, vec![TimelineKind::UpdatePosted(update)])
    }

    fn not_ended(&self, field: &str) -> Result<(), FieldErrors> {
        if self.status.is_terminal() {
            return Err(FieldErrors::single(field, format!("the incident is {}", self.status.as_str())));
        }
        Ok(())
    }

    /// The state after `entries`, checked against the rules that hold at every instant: I1-I4
    /// and an incident commander on every live major incident.
    pub fn checked(&self, at: Timestamp, entries: Vec<TimelineKind>) -> Result<Vec<TimelineKind>, FieldErrors> {
        let mut next = self.clone();
        for e in &entries {
            next.apply(at, e);
        }
        next.check_rules()?;
        Ok(entries)
    }

    pub fn check_rules(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Err(e) = self.milestones.check() {
            errors.merge(e);
        }
        if self.severity.is_major()
            && !self.status.is_terminal()
            && self.holder(IncidentRole::IncidentCommander).is_none()
        {
            errors.add(
                "roles.incident_commander",
                format!("a {} incident needs an incident lead", self.severity.as_str()),
            );
        }
        errors.into_result()
    }
}

/// A span of time during which customers were affected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImpactWindow {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
}

/// The seconds covered by at least one window (overlaps count once).
pub fn union_seconds(windows: &[ImpactWindow]) -> i64 {
    let mut sorted = windows.to_vec();
    sorted.sort_by_key(|w| w.start);
    let mut total = 0;
    let mut covered_until: Option<Timestamp> = None;
    for w in sorted {
        let start = covered_until.map_or(w.start, |c| c.max(w.start));
        if w.end > start {
            total += w.end.duration_since(start).as_secs();
        }
        covered_until = Some(covered_until.map_or(w.end, |c| c.max(w.end)));
    }
    total
}

impl Incident {
    /// Records the impact windows (replacing any earlier ones): each starts before it ends, none
    /// before impact started (I1) or in the future; a reason is kept on the timeline.
    pub fn plan_impact_windows(
        &self,
        windows: &[ImpactWindow],
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<TimelineKind>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = required_text(&mut errors, "reason", reason, 1_000);
        if windows.len() > 50 {
            errors.add("windows", "at most 50 windows");
        }
        let impact_started = self.milestones.impact_started();
        for (i, w) in windows.iter().enumerate() {
            if w.end <= w.start {
                errors.add(&format!("windows[{i}].end"), "must be after the start");
            }
            if w.start < impact_started {
                errors.add(&format!("windows[{i}].start"), "must not be before impact started (I1)");
            }
            if w.end > now {
                errors.add(&format!("windows[{i}].end"), "must not be in the future");
            }
        }
        errors.into_result()?;
        let mut sorted = windows.to_vec();
        sorted.sort_by_key(|w| (w.start, w.end));
        self.checked(now, vec![TimelineKind::ImpactWindowsSet { windows: sorted, reason }])
    }
}

/// A new incident as typed, before validation.
#[derive(Clone, Debug, Default)]
pub struct IncidentDraft {
    pub title: String,
    pub summary: String,
    pub severity: String,
    pub impacted_account_ids: Vec<AccountId>,
    pub impacted_services: Vec<String>,
    pub incident_commander_id: Option<UserId>,
    pub comms_lead_id: Option<UserId>,
    pub impact_started_at: Option<Timestamp>,
    pub detected_at: Option<Timestamp>,
    pub test: bool,
}

/// Trims and checks service names: short, without control characters, each once.
pub fn services(errors: &mut FieldErrors, values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let name = required_text(errors, &format!("impacted_services[{i}]"), value, 80);
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    if out.len() > 50 {
        errors.add("impacted_services", "at most 50 services");
    }
    out
}

impl IncidentDraft {
    /// The incident declared at `now` by `actor`, with its first timeline entries, or every
    /// problem with the draft.
    pub fn declare(
        self,
        id: IncidentId,
        number: i64,
        actor: Option<UserId>,
        now: Timestamp,
    ) -> Result<(Incident, Vec<TimelineKind>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = required_text(&mut errors, "title", &self.title, 200);
        let summary = optional_text(&mut errors, "summary", &self.summary, 10_000);
        let severity = crate::validation::parse_choice(&mut errors, "severity", &self.severity, &Severity::ALL);
        let impacted_services = services(&mut errors, &self.impacted_services);
        let mut accounts = self.impacted_account_ids.clone();
        accounts.dedup();
        if accounts.len() > 500 {
            errors.add("impacted_account_ids", "at most 500 accounts");
        }
        for (field, at) in [("impact_started_at", self.impact_started_at), ("detected_at", self.detected_at)] {
            if at.is_some_and(|t| t > now) {
                errors.add(field, "must not be in the future");
            }
        }
        let Some(severity) = severity else {
            return Err(errors);
        };
        let mut milestones = Milestones::declared(now);
        milestones.impact_started_at = self.impact_started_at;
        milestones.detected_at = self.detected_at;
        if let Err(e) = milestones.check() {
            errors.merge(e);
        }
        let mut incident = Incident {
            id,
            number,
            title,
            summary,
            severity,
            max_severity: severity,
            status: IncidentStatus::Triage,
            impacted_account_ids: accounts,
            impacted_services,
            linked_ticket_ids: Vec::new(),
            roles: Vec::new(),
            milestones,
            impact_windows: Vec::new(),
            reopen_count: 0,
            test: self.test,
            created_by: actor,
            created_at: now,
            updated_at: now,
        };
        let mut entries = vec![TimelineKind::Declared { severity, status: IncidentStatus::Triage, milestones }];
        for (role, holder) in [
            (IncidentRole::IncidentCommander, self.incident_commander_id),
            (IncidentRole::CommsLead, self.comms_lead_id),
        ] {
            if let Some(user) = holder {
                entries.push(TimelineKind::RoleAssigned { role, from: None, to: Some(user) });
            }
        }
        for e in &entries {
            incident.apply(now, e);
        }
        if let Err(e) = incident.check_rules() {
            errors.merge(e);
        }
        errors.into_result().map(|()| (incident, entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + seconds).expect("instant")
    }

    fn declare(severity: &str, commander: Option<UserId>) -> Result<Incident, FieldErrors> {
        let draft = IncidentDraft {
            title: "API errors in eu-west".into(),
            severity: severity.into(),
            incident_commander_id: commander,
            impacted_services: vec![" api ".into(), "api".into(), "storage".into()],
            ..IncidentDraft::default()
        };
        draft.declare(IncidentId::new(), 1, None, at(0)).map(|(incident, _)| incident)
    }

    fn moved(mut incident: Incident, to: IncidentStatus, seconds: i64) -> Incident {
        for e in incident.plan_status_change(to, at(seconds)).expect("allowed move") {
            incident.apply(at(seconds), &e);
        }
        incident
    }

    #[test]
    fn a_major_incident_needs_an_incident_lead() {
        let errors = declare("P0", None).expect_err("P0 without a lead");
        assert!(errors.get("roles.incident_commander").expect("named").contains("incident lead"));
        assert!(declare("P2", None).is_ok());
        let incident = declare("P1", Some(UserId::new())).expect("P1 with a lead");
        assert_eq!(incident.impacted_services, ["api", "storage"]);
        assert_eq!(incident.milestones.declared_at, at(0));
        assert_eq!(incident.milestones.impact_started(), at(0), "I1 default");

        let p2 = declare("P2", None).expect("P2");
        let errors = p2.plan_severity_change(Severity::P0, at(60)).expect_err("raised without a lead");
        assert!(errors.get("roles.incident_commander").is_some());
    }

    #[test]
    fn the_status_machine_allows_exactly_the_moves_of_section_2_2() {
        use IncidentStatus::*;
        let allowed = |from: IncidentStatus| from.next_statuses();
        assert_eq!(
            allowed(Triage),
            [Investigating, Identified, Monitoring, Resolved, Postmortem, Closed, Declined, Merged, Canceled]
        );
        assert_eq!(allowed(Investigating), [Identified, Monitoring, Resolved, Postmortem, Closed]);
        assert_eq!(allowed(Monitoring), [Investigating, Identified, Resolved, Postmortem, Closed]);
        assert_eq!(allowed(Resolved), [Investigating, Postmortem, Closed]);
        assert_eq!(allowed(Postmortem), [Closed]);
        for terminal in [Closed, Declined, Merged, Canceled] {
            assert!(allowed(terminal).is_empty(), "{terminal:?}");
        }
        assert!(!Identified.can_move_to(Investigating), "only monitoring regresses");
        assert!(!Investigating.can_move_to(Declined), "only triage is declined");
    }

    #[test]
    fn entering_a_status_sets_its_milestone_once_and_a_reopen_clears_resolved_at() {
        let incident = declare("P2", None).expect("P2");
        let incident = moved(incident, IncidentStatus::Investigating, 60);
        let incident = moved(incident, IncidentStatus::Monitoring, 600);
        assert_eq!(incident.milestones.mitigated_at, Some(at(600)));
        assert_eq!(incident.milestones.identified_at, None, "skipped statuses set nothing");
        let incident = moved(incident, IncidentStatus::Resolved, 900);
        assert_eq!(incident.milestones.resolved_at, Some(at(900)));
        let incident = moved(incident, IncidentStatus::Investigating, 1_200);
        assert_eq!((incident.reopen_count, incident.milestones.resolved_at), (1, None));
        let incident = moved(incident, IncidentStatus::Monitoring, 1_500);
        assert_eq!(incident.milestones.mitigated_at, Some(at(600)), "set once");
        let incident = moved(incident, IncidentStatus::Resolved, 1_800);
        assert_eq!(incident.milestones.resolved_at, Some(at(1_800)), "the final resolution");

        let errors = incident.plan_status_change(IncidentStatus::Monitoring, at(1_900)).expect_err("backwards");
        assert!(errors.get("status").expect("named").contains("allowed: investigating, postmortem, closed"));
    }

    #[test]
    fn milestone_edits_that_break_an_invariant_are_refused_naming_it() {
        let incident = declare("P2", None).expect("P2");
        let incident = moved(incident, IncidentStatus::Monitoring, 600);
        let incident = moved(incident, IncidentStatus::Resolved, 900);
        let cases = [
            (Milestone::ImpactStartedAt, at(700), "milestones.impact_started_at", "I1"),
            (Milestone::AcknowledgedAt, at(-60), "milestones.acknowledged_at", "I2"),
            (Milestone::ResolvedAt, at(300), "milestones.resolved_at", "I3"),
            (Milestone::MitigatedAt, at(950), "milestones.resolved_at", "I3"),
        ];
        for (milestone, to, field, invariant) in cases {
            let errors =
                incident.plan_milestone_edit(milestone, Some(to), "from the logs", at(1_000)).expect_err("refused");
            assert!(errors.get(field).is_some_and(|m| m.starts_with(invariant)), "{milestone:?}: {errors:?}");
        }
        let errors = incident
            .plan_milestone_edit(Milestone::DetectedAt, Some(at(2_000)), "typo", at(1_000))
            .expect_err("future");
        assert_eq!(errors.get("milestones.detected_at"), Some("must not be in the future"));
        let errors =
            incident.plan_milestone_edit(Milestone::DetectedAt, Some(at(100)), " ", at(1_000)).expect_err("reason");
        assert_eq!(errors.get("reason"), Some("must not be empty"));

        let ok = incident.plan_milestone_edit(Milestone::ImpactStartedAt, Some(at(-3_600)), "from the logs", at(1_000));
        assert!(ok.is_ok());
        let mut pm = moved(incident, IncidentStatus::Postmortem, 2_000);
        for e in
            pm.plan_milestone_edit(Milestone::PostmortemCompletedAt, Some(at(2_500)), "done", at(3_000)).expect("I4 ok")
        {
            pm.apply(at(3_000), &e);
        }
        let errors = pm
            .plan_milestone_edit(Milestone::PostmortemStartedAt, Some(at(2_600)), "later", at(3_000))
            .expect_err("I4");
        assert!(errors.get("milestones.postmortem_completed_at").is_some_and(|m| m.starts_with("I4")), "{errors:?}");
    }

    #[test]
    fn milestones_corrected_together_are_checked_on_the_result() {
        let incident = declare("P2", None).expect("P2");
        let incident = moved(incident, IncidentStatus::Monitoring, 600);
        let incident = moved(incident, IncidentStatus::Resolved, 900);
        // Moving mitigation past the old resolution is fine when resolution moves too.
        let both = [(Milestone::MitigatedAt, Some(at(950))), (Milestone::ResolvedAt, Some(at(980)))];
        assert_eq!(incident.plan_milestone_edits(&both, "from the logs", at(1_000)).expect("consistent").len(), 2);
        let errors =
            incident.plan_milestone_edit(Milestone::MitigatedAt, Some(at(950)), "logs", at(1_000)).expect_err("alone");
        assert!(errors.get("milestones.resolved_at").is_some_and(|m| m.starts_with("I3")));
    }

    #[test]
    fn an_update_needs_what_we_are_doing_and_a_future_next_update() {
        let incident = declare("P2", None).expect("P2");
        let update = |doing: &str, next: Option<i64>| CustomerUpdate {
            visibility: Visibility::Public,
            what_we_know: "Elevated 5xx on the API".into(),
            what_we_dont_know: String::new(),
            what_we_are_doing: doing.into(),
            next_update_at: next.map(at),
        };
        let errors = incident.plan_update(update("  ", None), at(60)).expect_err("empty");
        assert_eq!(errors.get("what_we_are_doing"), Some("must not be empty"));
        let errors = incident.plan_update(update("Rolling back", Some(30)), at(60)).expect_err("past");
        assert_eq!(errors.get("next_update_at"), Some("must be in the future"));
        assert!(incident.plan_update(update("Rolling back", Some(1_860)), at(60)).is_ok());

        let closed = moved(incident, IncidentStatus::Closed, 100);
        let errors = closed.plan_update(update("Rolling back", None), at(200)).expect_err("closed");
        assert_eq!(errors.get("update"), Some("the incident is closed"));
    }

    #[test]
    fn the_most_severe_level_ever_held_is_kept() {
        let mut incident = declare("P2", Some(UserId::new())).expect("P2");
        for (to, s) in [(Severity::P0, 60), (Severity::P2, 120)] {
            for e in incident.plan_severity_change(to, at(s)).expect("change") {
                incident.apply(at(s), &e);
            }
        }
        assert_eq!((incident.severity, incident.max_severity), (Severity::P2, Severity::P0));
    }
}
