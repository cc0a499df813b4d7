//! The clock engine: replays a ticket's event log against a policy and calendars up to `now`
//! (R-C3: a pure function) and reports every cycle of every metric (section 1.9).
//!
//! Between two event instants nothing changes but time, so each open cycle's thresholds
//! (deadline, warnings) are found with the calendar's `add` inside that stretch; at an instant
//! the events apply in three passes (A2): stops, R-T5 cancellations, starts.

use std::collections::BTreeMap;

use super::Instant;
use super::calendar::{Calendar, CalendarError};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Status, Target};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Stopped by its stop event: met or breached, decided by `reached_at`.
    Stopped,
    Cancelled,
}

#[derive(Clone, Debug)]
struct Cycle {
    metric: Metric,
    started_at: Instant,
    end: Option<(Instant, End)>,
    elapsed: i64,
    paused_calendar: i64,
    /// The first instant elapsed time reached the target in force (R-S3).
    reached_at: Option<Instant>,
    /// The target kept after the cycle ended (R-T4, A3).
    frozen: Option<(String, Target)>,
    warnings: Vec<Warning>,
    /// A first_response cycle waiting for the first customer message (A8); not reported.
    tentative: bool,
}

impl Cycle {
    fn new(metric: Metric, at: Instant) -> Cycle {
        Cycle {
            metric,
            started_at: at,
            end: None,
            elapsed: 0,
            paused_calendar: 0,
            reached_at: None,
            frozen: None,
            warnings: Vec::new(),
            tentative: false,
        }
    }

    fn is_open(&self) -> bool {
        self.end.is_none()
    }

    fn fired(&self, kind: WarningKind, threshold: i64) -> bool {
        self.warnings.iter().any(|w| w.kind == kind && w.threshold == threshold)
    }
}

struct Replay<'a> {
    policy: &'a Policy,
    calendars: &'a BTreeMap<String, Calendar>,
    always_open: Calendar,
    targets: BTreeMap<(Metric, String), Target>,
    status: Status,
    priority: String,
    created_at: Option<Instant>,
    cycles: Vec<Cycle>,
    /// When first_response timing starts; `None` while deferred to the first customer message.
    frt_start: Option<Instant>,
    frt_deferred: bool,
    /// The first agent reply after the first_response start has happened (A7).
    frt_answered: bool,
}

/// Evaluates the SLA state of one ticket at `now`.
pub fn evaluate(
    events: &[Event],
    policy: &Policy,
    calendars: &BTreeMap<String, Calendar>,
    now: Instant,
) -> Result<Vec<CycleRecord>, CalendarError> {
    // A1: only what has happened by now; equal instants keep input order (R-C4).
    let mut happened: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
    happened.sort_by_key(|e| e.at);
    let Some(first_created) = happened.iter().position(|e| matches!(e.kind, EventKind::Created { .. })) else {
        return Ok(Vec::new());
    };
    let happened = &happened[first_created..];
    let mut replay = Replay {
        policy,
        calendars,
        always_open: Calendar::always_open(),
        targets: policy.targets.clone(),
        status: Status::New,
        priority: String::new(),
        created_at: None,
        cycles: Vec::new(),
        frt_start: None,
        frt_deferred: false,
        frt_answered: false,
    };
    let mut previous: Option<Instant> = None;
    let mut i = 0;
    while i < happened.len() {
        let at = happened[i].at;
        let mut j = i;
        while j < happened.len() && happened[j].at == at {
            j += 1;
        }
        if let Some(from) = previous {
            replay.advance(from, at)?;
        }
        replay.apply_instant(at, &happened[i..j]);
        replay.check_instant(at);
        previous = Some(at);
        i = j;
    }
    if let Some(from) = previous {
        replay.advance(from, now)?;
        replay.check_instant(now);
    }
    replay.report(now)
}

impl Replay<'_> {
    fn target(&self, metric: Metric, priority: &str) -> Option<&Target> {
        self.targets.get(&(metric, priority.to_string()))
    }

    fn calendar(&self, target: &Target) -> &Calendar {
        match target.hours {
            Hours::Calendar => &self.always_open,
            Hours::Business => self.calendars.get(&target.calendar_id).unwrap_or(&self.always_open),
        }
    }

    /// The target an open cycle runs against now, or the frozen one of an ended cycle.
    fn target_of(&self, cycle: &Cycle) -> Option<(String, Target)> {
        if let Some(frozen) = &cycle.frozen {
            return Some(frozen.clone());
        }
        self.target(cycle.metric, &self.priority).map(|t| (self.priority.clone(), t.clone()))
    }

    fn running(&self, metric: Metric) -> bool {
        !self.policy.pause_set(metric).contains(&self.status)
    }

    /// Time passes from `from` to `to` with nothing else changing.
    fn advance(&mut self, from: Instant, to: Instant) -> Result<(), CalendarError> {
        if to <= from {
            return Ok(());
        }
        for index in 0..self.cycles.len() {
            if !self.cycles[index].is_open() {
                continue;
            }
            let metric = self.cycles[index].metric;
            let Some((_, target)) = self.target_of(&self.cycles[index]) else { continue };
            if !self.running(metric) {
                self.cycles[index].paused_calendar += to - from;
                continue;
            }
            let calendar = self.calendar(&target).clone();
            let total = target.seconds;
            let cycle = &mut self.cycles[index];
            if cycle.reached_at.is_none() && total > cycle.elapsed {
                let due = calendar.add(from, total - cycle.elapsed)?;
                if due < to {
                    cycle.reached_at = Some(due);
                }
            }
            for &p in &self.policy.warn_percent {
                let needed = (p * total + 99) / 100;
                if !cycle.fired(WarningKind::Percent, p) && needed > cycle.elapsed {
                    let at = calendar.add(from, needed - cycle.elapsed)?;
                    if at < to {
                        cycle.warnings.push(Warning { kind: WarningKind::Percent, threshold: p, at });
                    }
                }
            }
            for &r in &self.policy.warn_remaining_seconds {
                let needed = total - r;
                if !cycle.fired(WarningKind::Remaining, r) && needed > cycle.elapsed {
                    let at = calendar.add(from, needed - cycle.elapsed)?;
                    if at < to {
                        cycle.warnings.push(Warning { kind: WarningKind::Remaining, threshold: r, at });
                    }
                }
            }
            cycle.elapsed += calendar.between(from, to);
        }
        Ok(())
    }

    /// Thresholds that hold at instant `t` for cycles open after `t`'s events (R-T3, R-W2, A5).
    fn check_instant(&mut self, t: Instant) {
        for index in 0..self.cycles.len() {
            if !self.cycles[index].is_open() {
                continue;
            }
            let Some((_, target)) = self.target_of(&self.cycles[index]) else { continue };
            let total = target.seconds;
            let cycle = &mut self.cycles[index];
            if cycle.reached_at.is_none() && cycle.elapsed >= total {
                cycle.reached_at = Some(t);
            }
            for &p in &self.policy.warn_percent {
                if !cycle.fired(WarningKind::Percent, p) && 100 * cycle.elapsed >= p * total {
                    cycle.warnings.push(Warning { kind: WarningKind::Percent, threshold: p, at: t });
                }
            }
            for &r in &self.policy.warn_remaining_seconds {
                if !cycle.fired(WarningKind::Remaining, r) && total - cycle.elapsed <= r {
                    cycle.warnings.push(Warning { kind: WarningKind::Remaining, threshold: r, at: t });
                }
            }
        }
    }

    /// Ends an open cycle at `t`, freezing the post-instant target or, failing that, the one in
    /// force before `t` (A3).
    fn end(&mut self, index: usize, t: Instant, how: End, before: Option<(String, Target)>) {
        let after = self.target(self.cycles[index].metric, &self.priority).map(|x| (self.priority.clone(), x.clone()));
        let frozen = after.or(before);
        let cycle = &mut self.cycles[index];
        if let Some((_, target)) = &frozen
            && cycle.reached_at.is_none()
            && cycle.elapsed >= target.seconds
        {
            cycle.reached_at = Some(t);
        }
        cycle.frozen = frozen;
        cycle.end = Some((t, how));
        cycle.tentative = false;
    }

    fn open_cycles_before(&self, t: Instant, metric: Metric) -> Vec<usize> {
        (0..self.cycles.len())
            .filter(|&i| {
                let c = &self.cycles[i];
                c.metric == metric && c.is_open() && c.started_at < t
            })
            .collect()
    }

    fn has_open(&self, metric: Metric) -> bool {
        self.cycles.iter().any(|c| c.metric == metric && c.is_open())
    }

    fn open(&mut self, metric: Metric, t: Instant) {
        if self.target(metric, &self.priority).is_some() {
            self.cycles.push(Cycle::new(metric, t));
        }
    }

    fn apply_instant(&mut self, t: Instant, events: &[&Event]) {
        // Targets as they stand before this instant, for cycles this instant cancels (A3).
        let before_status = self.status;
        let before_priority = self.priority.clone();
        let before_targets = self.targets.clone();
        let pre = |metric: Metric| {
            before_targets.get(&(metric, before_priority.clone())).map(|x| (before_priority.clone(), x.clone()))
        };

        // The state after the instant (A3): status, priority and targets.
        let mut status = self.status;
        for event in events {
            match &event.kind {
                EventKind::Created { priority, .. } => self.priority = priority.clone(),
                EventKind::Priority { to } => self.priority = to.clone(),
                EventKind::Target { metric, priority, seconds } => {
                    if let Some(target) = self.targets.get_mut(&(*metric, priority.clone())) {
                        target.seconds = *seconds;
                    }
                }
                EventKind::Status { to } if status != Status::Closed => status = *to,
                _ => {}
            }
        }
        self.status = status;

        // Pass 1: stop-type effects on cycles opened before t, in input order (A2).
        let mut cursor = before_status;
        for event in events {
            match &event.kind {
                EventKind::Comment { author: Author::Agent, public: true } => {
                    if self.frt_deferred {
                        // A8: a public reply before any customer message ends the deferral;
                        // first_response then runs from creation.
                        self.frt_deferred = false;
                        self.frt_start = self.created_at;
                        for cycle in self.cycles.iter_mut().filter(|c| c.tentative) {
                            cycle.tentative = false;
                        }
                    }
                    if self.frt_start.is_some_and(|s| s < t) {
                        self.frt_answered = true;
                    }
                    for metric in
                        [Metric::FirstResponse, Metric::NextResponse, Metric::PeriodicUpdate, Metric::PausableUpdate]
                    {
                        for index in self.open_cycles_before(t, metric) {
                            self.end(index, t, End::Stopped, pre(metric));
                        }
                    }
                }
                EventKind::Status { to } if cursor != Status::Closed => {
                    if *to == Status::Solved && cursor != Status::Solved {
                        for (metric, _) in Metric::ALL {
                            let how = if metric.is_fulfilled_by_solve() {
                                End::Stopped
                            } else if metric.is_update_chain() {
                                End::Cancelled
                            } else {
                                continue;
                            };
                            for index in self.open_cycles_before(t, metric) {
                                self.end(index, t, how, pre(metric));
                            }
                        }
                    }
                    if *to == Status::Closed {
                        for (metric, _) in Metric::ALL {
                            for index in self.open_cycles_before(t, metric) {
                                self.end(index, t, End::Cancelled, pre(metric));
                            }
                        }
                    }
                    cursor = *to;
                }
                _ => {}
            }
        }

        // Pass 2: R-T5, judged after the instant. A deferred first_response that loses its
        // target simply never starts.
        if self.target(Metric::FirstResponse, &self.priority).is_none() {
            self.cycles.retain(|c| !c.tentative);
        }
        for index in 0..self.cycles.len() {
            let metric = self.cycles[index].metric;
            if self.cycles[index].is_open() && self.target(metric, &self.priority).is_none() {
                if metric == Metric::FirstResponse {
                    self.frt_answered = true;
                }
                self.end(index, t, End::Cancelled, pre(metric));
            }
        }

        // Pass 3: start-type effects, in input order, judged on the state after the instant.
        let closed_or_solved = matches!(self.status, Status::Solved | Status::Closed);
        let mut cursor = before_status;
        for event in events {
            match &event.kind {
                EventKind::Created { by, public, .. } if self.created_at.is_none() => {
                    self.created_at = Some(t);
                    let defer = *by == Author::Agent && !*public && self.policy.start_at_first_customer_message;
                    if defer {
                        self.frt_deferred = true;
                        if self.target(Metric::FirstResponse, &self.priority).is_some() {
                            let mut cycle = Cycle::new(Metric::FirstResponse, t);
                            cycle.tentative = true;
                            self.cycles.push(cycle);
                        }
                    } else {
                        self.frt_start = Some(t);
                        self.open(Metric::FirstResponse, t);
                    }
                    if !closed_or_solved {
                        self.open(Metric::PeriodicUpdate, t);
                        self.open(Metric::PausableUpdate, t);
                    }
                    for metric in [Metric::RequesterWait, Metric::AgentWork, Metric::Resolution] {
                        self.open(metric, t);
                    }
                }
                EventKind::Comment { author: Author::Customer, .. } if self.created_at.is_some() => {
                    if self.frt_deferred {
                        self.frt_deferred = false;
                        self.frt_start = Some(t);
                        self.cycles.retain(|c| !c.tentative);
                        self.open(Metric::FirstResponse, t);
                    }
                    let frt_over = self.frt_answered;
                    if frt_over && !self.has_open(Metric::NextResponse) && self.status != Status::Closed {
                        self.open(Metric::NextResponse, t);
                    }
                }
                EventKind::Comment { author: Author::Agent, public: true } if self.created_at.is_some() => {
                    for metric in [Metric::PeriodicUpdate, Metric::PausableUpdate] {
                        if !self.has_open(metric) && !closed_or_solved {
                            self.open(metric, t);
                        }
                    }
                }
                EventKind::Status { to } if cursor != Status::Closed => {
                    let reopened = cursor == Status::Solved && !matches!(to, Status::Solved | Status::Closed);
                    cursor = *to;
                    if !reopened || self.created_at.is_none() {
                        continue;
                    }
                    for metric in [Metric::PeriodicUpdate, Metric::PausableUpdate] {
                        if !self.has_open(metric) && !closed_or_solved {
                            self.open(metric, t);
                        }
                    }
                    for metric in [Metric::RequesterWait, Metric::AgentWork, Metric::Resolution] {
                        if self.has_open(metric)
                            || self.status == Status::Solved
                            || self.target(metric, &self.priority).is_none()
                        {
                            continue;
                        }
                        if self.policy.resumes(metric) {
                            // A11: the same instance resumes if it ended met or breached.
                            if let Some(cycle) = self.cycles.iter_mut().rev().find(|c| c.metric == metric)
                                && matches!(cycle.end, Some((_, End::Stopped)))
                            {
                                cycle.end = None;
                                cycle.frozen = None;
                            }
                        } else if self.status != Status::Closed {
                            self.open(metric, t);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn report(&self, now: Instant) -> Result<Vec<CycleRecord>, CalendarError> {
        let mut records = Vec::new();
        let mut numbers: BTreeMap<Metric, u32> = BTreeMap::new();
        for cycle in self.cycles.iter().filter(|c| !c.tentative) {
            let number = numbers.entry(cycle.metric).or_insert(0);
            *number += 1;
            let Some((priority, target)) = self.target_of(cycle) else { continue };
            let total = target.seconds;
            let (state, stopped_at, breached, due_at) = match cycle.end {
                Some((at, how)) => {
                    let breached = cycle.reached_at.is_some_and(|r| r < at);
                    let state = match how {
                        End::Cancelled => CycleState::Cancelled,
                        End::Stopped if breached => CycleState::Breached,
                        End::Stopped => CycleState::Met,
                    };
                    (state, Some(at), breached, cycle.reached_at)
                }
                None => {
                    let running = self.running(cycle.metric);
                    let breached = cycle.reached_at.is_some_and(|r| r < now);
                    let due_at = if !running {
                        None
                    } else if let Some(reached) = cycle.reached_at {
                        Some(reached)
                    } else {
                        Some(self.calendar(&target).add(now, total - cycle.elapsed)?)
                    };
                    (if running { CycleState::Running } else { CycleState::Paused }, None, breached, due_at)
                }
            };
            let mut warnings = cycle.warnings.clone();
            warnings.sort_by(|a, b| {
                a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)).then(match a.kind {
                    WarningKind::Percent => a.threshold.cmp(&b.threshold),
                    WarningKind::Remaining => b.threshold.cmp(&a.threshold),
                })
            });
            records.push(CycleRecord {
                metric: cycle.metric,
                cycle_no: *number,
                policy_id: Some(self.policy.id.clone()),
                priority,
                target_seconds: total,
                hours: target.hours,
                calendar_id: target.calendar_id.clone(),
                started_at: cycle.started_at,
                stopped_at,
                state,
                breached,
                breached_at: if breached { cycle.reached_at } else { None },
                due_at,
                elapsed_seconds: cycle.elapsed,
                remaining_business_seconds: total - cycle.elapsed,
                remaining_calendar_seconds: due_at.map(|d| d - now),
                paused_seconds_calendar: cycle.paused_calendar,
                warnings,
            });
        }
        records.sort_by(|a, b| a.metric.cmp(&b.metric).then(a.cycle_no.cmp(&b.cycle_no)));
        Ok(records)
    }
}
