//! In-app notifications, and the SLA alerts they come from (R-W2, R-W3, R-W4).

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, ActionId, IncidentId, NotificationId, TicketId, UserId};
use crate::sla::engine::{CycleRecord, WarningKind};
use crate::sla::model::Metric;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// `percent` warning: a share of the target is used up.
    WarningPercent,
    /// `remaining` warning: the deadline is this many seconds away.
    WarningRemaining,
    Breach,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::WarningPercent => "warning_percent",
            AlertKind::WarningRemaining => "warning_remaining",
            AlertKind::Breach => "breach",
        }
    }

    pub fn parse(text: &str) -> Option<AlertKind> {
        [AlertKind::WarningPercent, AlertKind::WarningRemaining, AlertKind::Breach]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A warning or breach of one SLA cycle. The key `(ticket, metric, cycle_no, kind, threshold)`
/// makes it idempotent (R-W4): however often and by however many servers a cycle is evaluated,
/// each alert exists once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlaAlert {
    pub ticket_id: TicketId,
    pub metric: Metric,
    pub cycle_no: u32,
    pub kind: AlertKind,
    /// Percent or seconds; 0 for a breach.
    pub threshold: i64,
    /// When the threshold was crossed (not when it was noticed).
    pub at: Timestamp,
}

/// Every alert a set of evaluated cycles implies.
pub fn alerts_of(ticket_id: TicketId, cycles: &[CycleRecord]) -> Vec<SlaAlert> {
    cycle_alerts(cycles)
        .into_iter()
        .map(|(cycle, kind, threshold, at)| SlaAlert {
            ticket_id,
            metric: cycle.metric,
            cycle_no: cycle.cycle_no,
            kind,
            threshold,
            at,
        })
        .collect()
}

/// The warnings and breaches of each cycle: `(cycle, kind, threshold, when crossed)`.
pub fn cycle_alerts(cycles: &[CycleRecord]) -> Vec<(&CycleRecord, AlertKind, i64, Timestamp)> {
    let instant = |at: i64| Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut alerts = Vec::new();
    for cycle in cycles {
        for w in &cycle.warnings {
            let kind = match w.kind {
                WarningKind::Percent => AlertKind::WarningPercent,
                WarningKind::Remaining => AlertKind::WarningRemaining,
            };
            alerts.push((cycle, kind, w.threshold, instant(w.at)));
        }
        if let Some(at) = cycle.breached_at.filter(|_| cycle.breached) {
            alerts.push((cycle, AlertKind::Breach, 0, instant(at)));
        }
    }
    alerts
}

impl SlaAlert {
    pub fn describe(&self, metric_label: &str) -> String {
        match self.kind {
            AlertKind::WarningPercent => format!("{metric_label}: {} % of the target used", self.threshold),
            AlertKind::WarningRemaining => {
                format!("{metric_label}: due in {}", crate::sla::display::duration(self.threshold))
            }
            AlertKind::Breach => format!("{metric_label}: target breached"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    pub at: Timestamp,
    /// "sla_warning", "sla_breach", "escalation", "escalation_acknowledged", "incident".
    pub kind: String,
    pub account_id: Option<AccountId>,
    pub ticket_id: Option<TicketId>,
    pub incident_id: Option<IncidentId>,
    pub action_id: Option<ActionId>,
    pub title: String,
    pub body: String,
    pub read_at: Option<Timestamp>,
}
