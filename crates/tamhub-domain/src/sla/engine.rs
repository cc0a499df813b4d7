//! The clock engine: replays a ticket's event log against a policy, or the timeline of the
//! policies in force over the ticket's life, and calendars (R-C3: a pure function of events,
//! policies, calendars and now) and reports every cycle of every metric (section 1.9).
//!
//! `SlaClock` keeps the replay between calls, so a server can apply a ticket's events as they
//! arrive, report at any later instant and learn when to look again (`next_wake_at`, R-W4).
//! `evaluate` and `evaluate_timeline` are the same clock run from scratch; R-C3 requires the
//! two to agree, which the property tests check on random histories split at random instants.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Instant;
use super::calendar::{Calendar, CalendarError};
use super::model::{Event, EventKind, Hours, Metric, Policy};
use super::replay::TicketState;
use super::rules::{Rules, Timelines};

/// The policy in force over a ticket's life (R-T1): `(from, policy)` steps, `None` where no
/// policy applies. The first step also covers the instants before it; of steps at one instant
/// the last one listed counts.
pub type PolicySteps = [(Instant, Option<Arc<Policy>>)];

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CycleState {
    Running,
    Paused,
    Met,
    Breached,
    Cancelled,
}

impl CycleState {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleState::Running => "running",
            CycleState::Paused => "paused",
            CycleState::Met => "met",
            CycleState::Breached => "breached",
            CycleState::Cancelled => "cancelled",
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    Percent,
    Remaining,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Percent => "percent",
            WarningKind::Remaining => "remaining",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub threshold: i64,
    pub at: Instant,
}

/// The output record of section 1.9.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CycleRecord {
    pub metric: Metric,
    pub cycle_no: u32,
    /// The policy whose target the cycle runs against (optional in `tamhub sla eval`, A15).
    pub policy_id: Option<String>,
    pub priority: String,
    pub target_seconds: i64,
    pub hours: Hours,
    pub calendar_id: String,
    pub started_at: Instant,
    pub stopped_at: Option<Instant>,
    pub state: CycleState,
    pub breached: bool,
    pub breached_at: Option<Instant>,
    pub due_at: Option<Instant>,
    pub elapsed_seconds: i64,
    pub remaining_business_seconds: i64,
    pub remaining_calendar_seconds: Option<i64>,
    pub paused_seconds_calendar: i64,
    pub warnings: Vec<Warning>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// R-C3: the log is append-only; the clock has already run past this event's instant.
    #[error("event at {at} is not after {settled}, where the clock already stands")]
    EventNotAfterSettled { at: Instant, settled: Instant },
    #[error("event at {at} is after {until}, the instant applied up to")]
    EventAfterUntil { at: Instant, until: Instant },
    #[error("{at} is before {settled}, where the clock already stands")]
    BeforeSettled { at: Instant, settled: Instant },
}

/// The SLA clocks of one ticket, replayed incrementally.
///
/// `apply(events, until)` takes every event with `settled < at <= until` (in `(at, seq)` order;
/// several changes of one update share `at`, so an instant's events come in one call) and lets
/// time run to `until`, through the policy changes on the way. `report(now)` and
/// `next_wake_at(now)` look at any `now >= until` without moving the clock, so an event at `now`
/// may still follow. The clock borrows its policies and calendars and keeps each calendar's
/// materialised business time between calls.
pub struct SlaClock<'a> {
    rules: Rules<'a>,
    timelines: Timelines<'a>,
    state: TicketState,
    /// Every event up to this instant has been applied and time has run to it.
    settled: Option<Instant>,
}

impl<'a> SlaClock<'a> {
    /// A clock with one policy for the ticket's whole life.
    pub fn new(policy: &'a Policy, calendars: &'a BTreeMap<String, Calendar>) -> SlaClock<'a> {
        let (rules, timelines) = Rules::new(policy, calendars);
        SlaClock::with_rules(rules, timelines)
    }

    /// A clock following a policy timeline (R-T1). A policy change at `t` acts like a target
    /// change at `t` (A3, R-T3): open cycles keep their start and elapsed time and run against
    /// the new policy's target from their start, so a lower one breaches at `t`; a metric the new
    /// policy has no target for is cancelled at `t` (R-T5); ended cycles keep their targets
    /// (R-T4). The new policy's pause sets, warnings, reopen rules and
    /// `start_at_first_customer_message` apply from `t` on, and a target's calendar changes with
    /// it (segment-wise, A10, R-K13). Cycles open only at start events (A6).
    pub fn with_timeline(timeline: &'a PolicySteps, calendars: &'a BTreeMap<String, Calendar>) -> SlaClock<'a> {
        let (rules, timelines) = Rules::for_timeline(timeline, calendars);
        SlaClock::with_rules(rules, timelines)
    }

    fn with_rules(rules: Rules<'a>, timelines: Timelines<'a>) -> SlaClock<'a> {
        let state = TicketState::new(&rules);
        SlaClock { rules, timelines, state, settled: None }
    }

    /// The instant the clock stands at: every event up to it has been applied.
    pub fn settled(&self) -> Option<Instant> {
        self.settled
    }

    /// Applies the ticket's events with `settled < at <= until` (equal instants in input order,
    /// R-C4) and lets time run to `until`. Nothing is applied when an event lies outside.
    pub fn apply(&mut self, events: &[Event], until: Instant) -> Result<(), ClockError> {
        if let Some(settled) = self.settled {
            if until < settled {
                return Err(ClockError::BeforeSettled { at: until, settled });
            }
            if let Some(e) = events.iter().find(|e| e.at <= settled) {
                return Err(ClockError::EventNotAfterSettled { at: e.at, settled });
            }
        }
        if let Some(e) = events.iter().find(|e| e.at > until) {
            return Err(ClockError::EventAfterUntil { at: e.at, until });
        }
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by_key(|e| e.at);
        self.run(&sorted, until);
        Ok(())
    }

    /// Replays sorted events, all in `(settled, until]`.
    fn run(&mut self, events: &[&Event], until: Instant) {
        // Nothing counts before the ticket exists; an instant's events before `created` in
        // input order are dropped with it.
        let events = if self.state.is_created() {
            events
        } else {
            let first = events.iter().position(|e| matches!(e.kind, EventKind::Created { .. }));
            &events[first.unwrap_or(events.len())..]
        };
        let mut rest = events;
        while let Some(first) = rest.first() {
            let at = first.at;
            let count = rest.iter().take_while(|e| e.at == at).count();
            let (instant, later) = rest.split_at(count);
            if let Some(from) = self.settled {
                pass(&mut self.state, &self.rules, &mut self.timelines, from, at);
            }
            self.state.apply_instant(&self.rules, at, instant);
            self.state.check_instant(&self.rules, at);
            self.settled = Some(at);
            rest = later;
        }
        if let Some(from) = self.settled {
            settle(&mut self.state, &self.rules, &mut self.timelines, from, until);
        }
        self.settled = Some(until);
    }

    /// The state at `now`: the clock's own when it stands at `now`, else a copy run on to it.
    fn state_at(&mut self, now: Instant) -> Result<Option<TicketState>, ClockError> {
        match self.settled {
            Some(settled) if now < settled => Err(ClockError::BeforeSettled { at: now, settled }),
            Some(settled) if now > settled => {
                let mut state = self.state.clone();
                settle(&mut state, &self.rules, &mut self.timelines, settled, now);
                Ok(Some(state))
            }
            _ => Ok(None),
        }
    }

    /// Every cycle at `now` (section 1.9), ordered by metric name then cycle number. Takes
    /// `&mut self` only to extend the calendars' materialised business time.
    pub fn report(&mut self, now: Instant) -> Result<Vec<CycleRecord>, ClockError> {
        let state = match self.state_at(now)? {
            Some(copy) => copy,
            None => self.state.clone(),
        };
        Ok(state.into_records(&self.rules, &mut self.timelines, now)?)
    }

    /// R-W4: the first instant after `now` at which the report's warnings or breached flags
    /// change unless an event comes first, or at which another policy takes over (R-T1); `None`
    /// if nothing ever does. A warning shows from its instant on; a breach a second after
    /// `due_at`, since it needs `now > due_at` (A14).
    pub fn next_wake_at(&mut self, now: Instant) -> Result<Option<Instant>, ClockError> {
        let copy = self.state_at(now)?;
        let state = copy.as_ref().unwrap_or(&self.state);
        Ok(wake(state, &self.rules, &mut self.timelines, now))
    }
}

/// Time runs from `from` to `to`; the policy changes strictly between apply as instants of
/// their own (R-T1).
fn pass(state: &mut TicketState, rules: &Rules, timelines: &mut Timelines, from: Instant, to: Instant) {
    let mut at = from;
    if state.is_created() {
        while let Some(step) = rules.next_step_after(at).filter(|s| *s < to) {
            state.advance(rules, timelines, at, step);
            state.apply_instant(rules, step, &[]);
            state.check_instant(rules, step);
            at = step;
        }
    }
    state.advance(rules, timelines, at, to);
}

/// `pass` on to `to`, then `to` as an instant: its policy change, if any, and the thresholds
/// that hold there.
fn settle(state: &mut TicketState, rules: &Rules, timelines: &mut Timelines, from: Instant, to: Instant) {
    pass(state, rules, timelines, from, to);
    if to > from && state.is_created() && rules.is_step(to) {
        state.apply_instant(rules, to, &[]);
    }
    state.check_instant(rules, to);
}

/// R-W4 for a state settled through `now`, with the next policy change as a wake-up too while
/// a clock is open (it may re-target or cancel it; with none open it changes nothing).
fn wake(state: &TicketState, rules: &Rules, timelines: &mut Timelines, now: Instant) -> Option<Instant> {
    let wake = state.next_wake_at(rules, timelines, now);
    let step = rules.next_step_after(now).filter(|_| state.has_open_cycles());
    match (wake, step) {
        (Some(w), Some(s)) => Some(w.min(s)),
        (w, s) => w.or(s),
    }
}

/// Evaluates the SLA state of one ticket at `now` from scratch, with one policy.
pub fn evaluate(
    events: &[Event],
    policy: &Policy,
    calendars: &BTreeMap<String, Calendar>,
    now: Instant,
) -> Result<Vec<CycleRecord>, CalendarError> {
    let mut clock = SlaClock::new(policy, calendars);
    clock.run(&happened(events, now), now);
    let SlaClock { rules, mut timelines, state, .. } = clock;
    state.into_records(&rules, &mut timelines, now)
}

/// Evaluates the SLA state of one ticket at `now` from scratch against the policy timeline
/// (R-T1; semantics of `SlaClock::with_timeline`), with the next instant to look again
/// (`SlaClock::next_wake_at`: a warning, a breach, which shows a second after `due_at` since
/// breach is strict (A14), or a policy change). A one-step timeline gives what `evaluate` gives.
pub fn evaluate_timeline(
    events: &[Event],
    timeline: &PolicySteps,
    calendars: &BTreeMap<String, Calendar>,
    now: Instant,
) -> Result<(Vec<CycleRecord>, Option<Instant>), CalendarError> {
    let mut clock = SlaClock::with_timeline(timeline, calendars);
    clock.run(&happened(events, now), now);
    let SlaClock { rules, mut timelines, state, .. } = clock;
    let next = wake(&state, &rules, &mut timelines, now);
    Ok((state.into_records(&rules, &mut timelines, now)?, next))
}

/// A1: only what has happened by `now`; equal instants keep input order (R-C4).
fn happened(events: &[Event], now: Instant) -> Vec<&Event> {
    let mut happened: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
    happened.sort_by_key(|e| e.at);
    happened
}
