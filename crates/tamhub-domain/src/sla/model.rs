//! What the engine consumes (SLA-SPEC 1.3, 1.4, 1.6): metrics, statuses, events, policies.

use std::collections::BTreeMap;

use super::Instant;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    AgentWork,
    FirstResponse,
    NextResponse,
    PausableUpdate,
    PeriodicUpdate,
    RequesterWait,
    Resolution,
}

impl Metric {
    /// In output order: by name (section 3).
    pub const ALL: [(Metric, &'static str); 7] = [
        (Metric::AgentWork, "agent_work"),
        (Metric::FirstResponse, "first_response"),
        (Metric::NextResponse, "next_response"),
        (Metric::PausableUpdate, "pausable_update"),
        (Metric::PeriodicUpdate, "periodic_update"),
        (Metric::RequesterWait, "requester_wait"),
        (Metric::Resolution, "resolution"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn parse(text: &str) -> Option<Metric> {
        Self::ALL.iter().find(|(_, n)| *n == text).map(|(m, _)| *m)
    }

    /// R-M1 … R-M7 default pause sets.
    pub fn default_pause_set(self) -> &'static [Status] {
        match self {
            Metric::FirstResponse | Metric::NextResponse => &[Status::Solved, Status::Closed],
            Metric::PeriodicUpdate => &[],
            Metric::PausableUpdate | Metric::RequesterWait | Metric::Resolution => &[Status::Pending],
            Metric::AgentWork => &[Status::Pending, Status::OnHold],
        }
    }

    /// One instance that survives solve and reopen (R-M5, R-M6; R-M7 with `resume`).
    pub fn is_fulfilled_by_solve(self) -> bool {
        matches!(self, Metric::RequesterWait | Metric::AgentWork | Metric::Resolution)
    }

    pub fn is_update_chain(self) -> bool {
        matches!(self, Metric::PeriodicUpdate | Metric::PausableUpdate)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
}

impl Status {
    pub const ALL: [(Status, &'static str); 6] = [
        (Status::New, "new"),
        (Status::Open, "open"),
        (Status::Pending, "pending"),
        (Status::OnHold, "on_hold"),
        (Status::Solved, "solved"),
        (Status::Closed, "closed"),
    ];

    pub fn parse(text: &str) -> Option<Status> {
        Self::ALL.iter().find(|(_, n)| *n == text).map(|(s, _)| *s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Author {
    Customer,
    Agent,
    System,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hours {
    Business,
    Calendar,
}

impl Hours {
    pub fn as_str(self) -> &'static str {
        match self {
            Hours::Business => "business",
            Hours::Calendar => "calendar",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reopen {
    NewCycle,
    Resume,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Created {
        priority: String,
        by: Author,
        public: bool,
    },
    Comment {
        author: Author,
        public: bool,
    },
    Status {
        to: Status,
    },
    Priority {
        to: String,
    },
    /// The policy's target for (metric, priority) changes (R-T3).
    Target {
        metric: Metric,
        priority: String,
        seconds: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: Instant,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub seconds: i64,
    pub hours: Hours,
    /// Which calendar business hours follow; also reported for `calendar` hours (A10).
    pub calendar_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub targets: BTreeMap<(Metric, String), Target>,
    pub warn_percent: Vec<i64>,
    pub warn_remaining_seconds: Vec<i64>,
    pub pause_sets: BTreeMap<Metric, Vec<Status>>,
    pub reopen: BTreeMap<Metric, Reopen>,
    pub start_at_first_customer_message: bool,
}

impl Policy {
    pub fn pause_set(&self, metric: Metric) -> &[Status] {
        self.pause_sets.get(&metric).map_or(metric.default_pause_set(), Vec::as_slice)
    }

    /// `requester_wait` and `agent_work` always resume; `resolution` by policy (default new cycle).
    pub fn resumes(&self, metric: Metric) -> bool {
        match metric {
            Metric::RequesterWait | Metric::AgentWork => self.reopen.get(&metric) != Some(&Reopen::NewCycle),
            Metric::Resolution => self.reopen.get(&metric) == Some(&Reopen::Resume),
            _ => false,
        }
    }
}
