//! How SLA clocks read on a page: the queue's badge for the clock that needs attention first, and
//! the ticket's panel with every cycle (SLA-SPEC 1.5, 1.9). Colours follow R-W5; both the business
//! time and the calendar time left are shown.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use tamhub_domain::Timestamp;
use tamhub_domain::notifications::SlaAlert;
use tamhub_domain::sla::display::{
    Badge, DEFAULT_AMBER_WINDOW_SECONDS, badge, business_duration, duration, headline, metric_label,
};
use tamhub_domain::sla::engine::{CycleRecord, CycleState, WarningKind};
use tamhub_domain::sla::model::Hours;

use super::format;

/// The queue's SLA cell.
pub struct ClockBadge {
    /// `sla-green`, `sla-amber`, `sla-red` or `sla-grey`.
    pub class: &'static str,
    /// "First response · 1h 05m left" / "Resolution · breached 2h ago" / "Resolution · paused".
    pub label: String,
    /// "1h 05m business · 17h 05m calendar · due Mon 09:15 CET".
    pub detail: String,
    /// The deadline as a UTC instant, for the tooltip.
    pub title: String,
}

fn class_of(b: Badge) -> &'static str {
    match b {
        Badge::Red => "sla-red",
        Badge::Amber => "sla-amber",
        Badge::Green => "sla-green",
        Badge::Grey => "sla-grey",
    }
}

fn instant(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A deadline as a person reads it in the account's time zone: "today 14:05 CET", "Mon 09:15 CET"
/// within the week, "12 Mar 09:15 CET" beyond.
pub fn due_label(at: i64, now: Timestamp, tz: &TimeZone) -> String {
    let when = instant(at).to_zoned(tz.clone());
    let today = now.to_zoned(tz.clone()).date();
    let days = (when.date() - today).get_days();
    let day = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        2..=6 => when.strftime("%a").to_string(),
        _ => when.strftime("%d %b").to_string(),
    };
    format!("{day} {}", when.strftime("%H:%M %Z"))
}

/// "3h ago" / "in 3h".
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    let seconds = now.as_second() - at.as_second();
    if seconds.abs() < 60 {
        "just now".into()
    } else if seconds > 0 {
        format!("{} ago", duration(seconds))
    } else {
        format!("in {}", duration(-seconds))
    }
}

/// The badge of the clock a queue shows for a ticket; `None` when no clock runs.
pub fn queue_badge(cycles: &[CycleRecord], now: Timestamp, tz: &TimeZone) -> Option<ClockBadge> {
    let c = headline(cycles)?;
    let colour = badge(c, DEFAULT_AMBER_WINDOW_SECONDS)?;
    let metric = metric_label(c.metric);
    let business = c.remaining_business_seconds;
    let title = c.due_at.map(|d| format!("Due {}", format::instant(instant(d)))).unwrap_or_default();
    let (label, detail) = match colour {
        Badge::Red => {
            let ago = c.breached_at.map(|b| relative(instant(b), now)).unwrap_or_else(|| "already".into());
            let paused = if c.state == CycleState::Paused { " · paused" } else { "" };
            let was_due = c.breached_at.map(|b| format!(" · was due {}", due_label(b, now, tz))).unwrap_or_default();
            (
                format!("{metric} · breached {ago}{paused}"),
                format!("{} over (business){was_due}", business_duration(business.min(0))),
            )
        }
        Badge::Grey => (
            format!("{metric} · paused"),
            format!("{} business left · calendar time stopped while paused", business_duration(business.max(0))),
        ),
        Badge::Amber | Badge::Green => {
            let calendar = c.remaining_calendar_seconds.map(duration).unwrap_or_else(|| "—".into());
            let due = c.due_at.map(|d| format!(" · due {}", due_label(d, now, tz))).unwrap_or_default();
            (
                format!("{metric} · {} left", business_duration(business.max(0))),
                format!("{} business · {calendar} calendar{due}", business_duration(business.max(0))),
            )
        }
    };
    Some(ClockBadge { class: class_of(colour), label, detail, title })
}

/// One cycle of the ticket's SLA panel (the output record of section 1.9).
pub struct CycleView {
    pub metric: &'static str,
    pub cycle_no: u32,
    pub state: &'static str,
    pub state_class: &'static str,
    pub started: String,
    pub stopped: String,
    pub due: String,
    pub elapsed: String,
    pub remaining_business: String,
    pub remaining_calendar: String,
    pub paused: String,
    pub target: String,
    pub target_hours: &'static str,
    pub calendar: String,
    pub warnings: Vec<String>,
    pub breached_at: String,
    /// Running or paused (drawn first and bold).
    pub open: bool,
}

fn signed(seconds: i64, format: fn(i64) -> String) -> String {
    if seconds < 0 { format!("{} over", format(seconds)) } else { format(seconds) }
}

/// Every cycle, open ones first, then by metric and cycle number. `calendars` names calendar ids.
pub fn panel(
    cycles: &[CycleRecord],
    now: Timestamp,
    tz: &TimeZone,
    calendars: &HashMap<String, String>,
) -> Vec<CycleView> {
    let mut views: Vec<(bool, CycleView)> = cycles
        .iter()
        .map(|c| {
            let open = matches!(c.state, CycleState::Running | CycleState::Paused);
            let (state, state_class) = match (c.state, badge(c, DEFAULT_AMBER_WINDOW_SECONDS)) {
                (CycleState::Running, Some(Badge::Red)) => ("Overdue", "sla-red"),
                (CycleState::Running, Some(b)) => ("Running", class_of(b)),
                (CycleState::Paused, Some(b)) => ("Paused", class_of(b)),
                (CycleState::Met, _) => ("Met", "ok"),
                (CycleState::Breached, _) => ("Breached", "danger"),
                (CycleState::Cancelled, _) => ("Cancelled", "archived"),
                (_, None) => ("Ended", "archived"),
            };
            let when = |t: i64| format!("{} ({})", due_label(t, now, tz), format::instant(instant(t)));
            let due = match (c.due_at, c.state) {
                (Some(d), _) => when(d),
                (None, CycleState::Paused) => "— (paused)".into(),
                (None, _) => "—".into(),
            };
            let warnings = c
                .warnings
                .iter()
                .map(|w| {
                    let what = match w.kind {
                        WarningKind::Percent => format!("{} % used", w.threshold),
                        WarningKind::Remaining => format!("{} before due", duration(w.threshold)),
                    };
                    format!("{what} at {}", format::instant(instant(w.at)))
                })
                .collect();
            let calendar = if c.hours == Hours::Calendar || c.calendar_id == "24x7" {
                "24×7".to_string()
            } else {
                calendars.get(&c.calendar_id).cloned().unwrap_or_else(|| "business calendar".into())
            };
            let view = CycleView {
                metric: metric_label(c.metric),
                cycle_no: c.cycle_no,
                state,
                state_class,
                started: format::instant(instant(c.started_at)),
                stopped: c.stopped_at.map(|t| format::instant(instant(t))).unwrap_or_default(),
                due,
                elapsed: business_duration(c.elapsed_seconds),
                remaining_business: if open {
                    signed(c.remaining_business_seconds, business_duration)
                } else {
                    "—".into()
                },
                remaining_calendar: match (open, c.remaining_calendar_seconds) {
                    (true, Some(s)) => signed(s, duration),
                    (true, None) => "— (paused)".into(),
                    (false, _) => "—".into(),
                },
                paused: duration(c.paused_seconds_calendar),
                target: if c.hours == Hours::Business {
                    business_duration(c.target_seconds)
                } else {
                    duration(c.target_seconds)
                },
                target_hours: if c.hours == Hours::Business { "business hours" } else { "calendar hours" },
                calendar,
                warnings,
                breached_at: c
                    .breached_at
                    .filter(|_| c.breached)
                    .map(|t| format::instant(instant(t)))
                    .unwrap_or_default(),
                open,
            };
            (open, view)
        })
        .collect();
    views.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.metric.cmp(b.1.metric)).then(a.1.cycle_no.cmp(&b.1.cycle_no)));
    views.into_iter().map(|(_, v)| v).collect()
}

/// A recorded warning or breach, as a line of the ticket's alert list.
pub struct AlertView {
    pub text: String,
    pub cycle_no: u32,
    pub at: String,
    pub breach: bool,
}

/// Newest first.
pub fn alerts(alerts: &[SlaAlert]) -> Vec<AlertView> {
    let mut sorted: Vec<&SlaAlert> = alerts.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(a.at));
    sorted
        .into_iter()
        .map(|a| AlertView {
            text: a.describe(metric_label(a.metric)),
            cycle_no: a.cycle_no,
            at: format::instant(a.at),
            breach: a.kind == tamhub_domain::notifications::AlertKind::Breach,
        })
        .collect()
}

/// The time zone deadlines are shown in: the account's, else UTC.
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}
