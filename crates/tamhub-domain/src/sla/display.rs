//! How SLA figures read for people: metric names, durations, and the badge colour (R-W5).

use serde::Serialize;

use super::engine::{CycleRecord, CycleState};
use super::model::Metric;

pub fn metric_label(metric: Metric) -> &'static str {
    match metric {
        Metric::FirstResponse => "First response",
        Metric::NextResponse => "Next response",
        Metric::PeriodicUpdate => "Periodic update",
        Metric::PausableUpdate => "Pausable update",
        Metric::RequesterWait => "Requester wait",
        Metric::AgentWork => "Agent work",
        Metric::Resolution => "Resolution",
    }
}

/// "45s", "12m", "3h 05m", "2d 4h": the two largest units, never negative (callers say "ago").
pub fn duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (days, hours, minutes) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if days > 0 {
        if hours > 0 { format!("{days}d {hours}h") } else { format!("{days}d") }
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{s}s")
    }
}

/// Business time in hours and minutes ("24h 00m", "45m"): never in days, which would read as
/// calendar days while a business day may be eight hours.
pub fn business_duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    match (s / 3600, (s % 3600) / 60) {
        (0, 0) => format!("{s}s"),
        (0, minutes) => format!("{minutes}m"),
        (hours, minutes) => format!("{hours}h {minutes:02}m"),
    }
}

/// R-W5: the colour of an open cycle's badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    /// Breached.
    Red,
    /// Remaining time within the amber window.
    Amber,
    Green,
    /// Paused: no clock is running.
    Grey,
}

impl Badge {
    pub fn as_str(self) -> &'static str {
        match self {
            Badge::Red => "red",
            Badge::Amber => "amber",
            Badge::Green => "green",
            Badge::Grey => "grey",
        }
    }
}

/// The Zendesk amber window: 15 minutes.
pub const DEFAULT_AMBER_WINDOW_SECONDS: i64 = 900;

/// The badge of a cycle, or `None` once it has ended (met, breached, cancelled).
pub fn badge(cycle: &CycleRecord, amber_window_seconds: i64) -> Option<Badge> {
    match cycle.state {
        CycleState::Met | CycleState::Cancelled => None,
        CycleState::Breached => None,
        _ if cycle.breached => Some(Badge::Red),
        CycleState::Paused => Some(Badge::Grey),
        _ if cycle.remaining_business_seconds <= amber_window_seconds => Some(Badge::Amber),
        _ => Some(Badge::Green),
    }
}

/// The clock a queue shows for a ticket: the open cycle that needs attention first — breached
/// before running before paused, then the least business time left.
pub fn headline(cycles: &[CycleRecord]) -> Option<&CycleRecord> {
    cycles
        .iter()
        .filter(|c| matches!(c.state, CycleState::Running | CycleState::Paused))
        .min_by_key(|c| (!c.breached, c.state == CycleState::Paused, c.remaining_business_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_two_largest_units() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(12 * 60 + 5), "12m");
        assert_eq!(duration(3 * 3600 + 5 * 60), "3h 05m");
        assert_eq!(duration(2 * 86_400 + 4 * 3600 + 59), "2d 4h");
        assert_eq!(duration(-90), "1m");
    }

    #[test]
    fn business_time_reads_in_hours_never_days() {
        assert_eq!(business_duration(24 * 3600), "24h 00m");
        assert_eq!(business_duration(8 * 3600 + 30 * 60), "8h 30m");
        assert_eq!(business_duration(45 * 60), "45m");
        assert_eq!(business_duration(-30), "30s");
    }
}
