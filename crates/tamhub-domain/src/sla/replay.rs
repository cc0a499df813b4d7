//! The replay of one ticket's event log (sections 1.4-1.8): cycles open, pause, stop and
//! re-target as events apply; between two instants only time passes.
//!
//! At an instant the events apply in three passes (A2): stops, R-T5 cancellations, starts.
//! Between instants, a stretch of time is measured once per cycle with the calendar's
//! `between`, and a threshold's instant is searched for with `add` only when the stretch
//! reaches it.

use super::Instant;
use super::calendar::CalendarError;
use super::engine::{Warning, WarningKind};
use super::model::{Author, Event, EventKind, Metric, Status};
use super::rules::{Priority, Rules, Slot, Timelines};
use super::timeline::Timeline;

mod report;

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
    /// The target slot and seconds kept after the cycle ended (R-T4, A3).
    frozen: Option<(Slot, i64)>,
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

    fn fired(&self, kind: WarningKind, threshold: i64) -> bool {
        self.warnings.iter().any(|w| w.kind == kind && w.threshold == threshold)
    }

    /// The thresholds of a cycle against target `total` that have not happened yet, with the
    /// business time each still needs: the deadline (R-S3), then the warnings (R-W2).
    fn thresholds<'r>(&'r self, rules: &'r Rules, total: i64) -> impl Iterator<Item = Threshold> + 'r {
        let due = (self.reached_at.is_none() && total > self.elapsed).then_some(Threshold::Due);
        let percent =
            rules.policy.warn_percent.iter().map(move |&p| (WarningKind::Percent, p, percent_needed(p, total)));
        let remaining =
            rules.policy.warn_remaining_seconds.iter().map(move |&r| (WarningKind::Remaining, r, total - r));
        let warnings = percent
            .chain(remaining)
            .filter(move |&(kind, threshold, needed)| needed > self.elapsed && !self.fired(kind, threshold));
        due.into_iter().chain(warnings.map(|(kind, threshold, needed)| Threshold::Warning(kind, threshold, needed)))
    }

    /// The business time the nearest and the furthest pending threshold still need.
    fn pending(&self, rules: &Rules, total: i64) -> Option<(i64, i64)> {
        self.thresholds(rules, total).fold(None, |span, threshold| {
            let needed = threshold.needed(total) - self.elapsed;
            Some(span.map_or((needed, needed), |(near, far): (i64, i64)| (near.min(needed), far.max(needed))))
        })
    }

    /// Fires the thresholds that the stretch `[from, to)`, worth `gained` business seconds,
    /// reaches: at the instant `add` finds, if before `to` (one reached exactly at `to` belongs
    /// to that instant, `check_instant`, after its events).
    fn fire_within(
        &mut self,
        rules: &Rules,
        timeline: &mut Timeline,
        total: i64,
        from: Instant,
        to: Instant,
        gained: i64,
    ) {
        let mut reached = Vec::new();
        for threshold in self.thresholds(rules, total) {
            let needed = threshold.needed(total) - self.elapsed;
            if needed <= gained
                && let Some(at) = timeline.add(from, needed)
                && at < to
            {
                reached.push((threshold, at));
            }
        }
        for (threshold, at) in reached {
            match threshold {
                Threshold::Due => self.reached_at = Some(at),
                // A threshold listed twice in the policy fires once.
                Threshold::Warning(kind, threshold, _) if !self.fired(kind, threshold) => {
                    self.warnings.push(Warning { kind, threshold, at });
                }
                Threshold::Warning(..) => {}
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Threshold {
    Due,
    /// Kind, threshold, and the elapsed business time at which it fires.
    Warning(WarningKind, i64, i64),
}

impl Threshold {
    fn needed(self, total: i64) -> i64 {
        match self {
            Threshold::Due => total,
            Threshold::Warning(_, _, needed) => needed,
        }
    }
}

/// Elapsed business time at which warning `p` percent fires (R-W2, A5).
fn percent_needed(p: i64, total: i64) -> i64 {
    (p * total + 99) / 100
}

/// Everything the replay knows about one ticket after the instants applied so far.
#[derive(Clone, Debug)]
pub(crate) struct TicketState {
    /// Target seconds per slot, as target events left them (R-T3).
    seconds: Vec<i64>,
    status: Status,
    priority: Priority,
    created_at: Option<Instant>,
    cycles: Vec<Cycle>,
    /// Indices of the open cycles, ascending (cycles are visited in the order they opened). At
    /// most one per metric is open, so the loops at every instant stay short however long the
    /// history is.
    open: Vec<usize>,
    /// When first_response timing starts; `None` while deferred to the first customer message.
    frt_start: Option<Instant>,
    frt_deferred: bool,
    /// The first agent reply after the first_response start has happened (A7).
    frt_answered: bool,
}

impl TicketState {
    pub(crate) fn new(rules: &Rules) -> TicketState {
        TicketState {
            seconds: rules.seconds.clone(),
            status: Status::New,
            // No priority until `created` sets one (an empty name, as before: a policy could
            // name a target so).
            priority: rules.priority(""),
            created_at: None,
            // Room for a month of a busy ticket without growing.
            cycles: Vec::with_capacity(16),
            open: Vec::with_capacity(8),
            frt_start: None,
            frt_deferred: false,
            frt_answered: false,
        }
    }

    pub(crate) fn is_created(&self) -> bool {
        self.created_at.is_some()
    }

    fn target(&self, rules: &Rules, metric: Metric) -> Option<(Slot, i64)> {
        rules.slot(metric, self.priority).map(|slot| (slot, self.seconds[slot]))
    }

    /// The target an open cycle runs against now, or the frozen one of an ended cycle.
    fn target_of(&self, rules: &Rules, cycle: &Cycle) -> Option<(Slot, i64)> {
        cycle.frozen.or_else(|| self.target(rules, cycle.metric))
    }

    /// Time passes from `from` to `to` with nothing else changing.
    pub(crate) fn advance(
        &mut self,
        rules: &Rules,
        timelines: &mut Timelines,
        from: Instant,
        to: Instant,
    ) -> Result<(), CalendarError> {
        if to <= from {
            return Ok(());
        }
        for k in 0..self.open.len() {
            let index = self.open[k];
            let cycle = &self.cycles[index];
            let Some((slot, total)) = self.target_of(rules, cycle) else { continue };
            if !rules.running(cycle.metric, self.status) {
                self.cycles[index].paused_calendar += to - from;
                continue;
            }
            let which = rules.timeline(slot);
            let timeline = timelines.get(which);
            let cycle = &mut self.cycles[index];
            let gained = timeline.between(from, to);
            if let Some((nearest, furthest)) = cycle.pending(rules, total) {
                // R-K9 / A13: every pending threshold must be reachable within the search
                // window from `from`, even one this stretch does not reach.
                if !timeline.reaches(from, furthest) {
                    return Err(timelines.no_business_time(which));
                }
                if nearest <= gained {
                    cycle.fire_within(rules, timeline, total, from, to, gained);
                }
            }
            cycle.elapsed += gained;
        }
        Ok(())
    }

    /// Thresholds that hold at instant `t` for cycles open after `t`'s events (R-T3, R-W2, A5).
    pub(crate) fn check_instant(&mut self, rules: &Rules, t: Instant) {
        for k in 0..self.open.len() {
            let index = self.open[k];
            let Some((_, total)) = self.target_of(rules, &self.cycles[index]) else { continue };
            let cycle = &mut self.cycles[index];
            if cycle.reached_at.is_none() && cycle.elapsed >= total {
                cycle.reached_at = Some(t);
            }
            for &p in &rules.policy.warn_percent {
                if !cycle.fired(WarningKind::Percent, p) && 100 * cycle.elapsed >= p * total {
                    cycle.warnings.push(Warning { kind: WarningKind::Percent, threshold: p, at: t });
                }
            }
            for &r in &rules.policy.warn_remaining_seconds {
                if !cycle.fired(WarningKind::Remaining, r) && total - cycle.elapsed <= r {
                    cycle.warnings.push(Warning { kind: WarningKind::Remaining, threshold: r, at: t });
                }
            }
        }
    }

    /// Ends an open cycle at `t`, freezing the post-instant target or, failing that, the one in
    /// force before `t` (A3).
    fn end(&mut self, rules: &Rules, index: usize, t: Instant, how: End, before: Option<(Slot, i64)>) {
        let frozen = self.target(rules, self.cycles[index].metric).or(before);
        let cycle = &mut self.cycles[index];
        if let Some((_, total)) = frozen
            && cycle.reached_at.is_none()
            && cycle.elapsed >= total
        {
            cycle.reached_at = Some(t);
        }
        cycle.frozen = frozen;
        cycle.end = Some((t, how));
        cycle.tentative = false;
        self.open.retain(|&i| i != index);
    }

    /// Ends the cycles opened before `t` that are open and match `which`.
    fn end_open_before(
        &mut self,
        rules: &Rules,
        t: Instant,
        how: End,
        before: &Before,
        which: impl Fn(Metric) -> bool,
    ) {
        // Backwards, as ending a cycle takes it out of `open`.
        for k in (0..self.open.len()).rev() {
            let cycle = &self.cycles[self.open[k]];
            if cycle.started_at < t && which(cycle.metric) {
                let pre = before.target(rules, self, cycle.metric);
                self.end(rules, self.open[k], t, how, pre);
            }
        }
    }

    fn has_open(&self, metric: Metric) -> bool {
        self.open.iter().any(|&i| self.cycles[i].metric == metric)
    }

    fn push(&mut self, cycle: Cycle) {
        self.open.push(self.cycles.len());
        self.cycles.push(cycle);
    }

    fn open(&mut self, rules: &Rules, metric: Metric, t: Instant) {
        if self.target(rules, metric).is_some() {
            self.push(Cycle::new(metric, t));
        }
    }

    /// Drops a first_response cycle that was waiting for a customer message (A8): it never
    /// counted and is never reported.
    fn discard_tentative(&mut self, t: Instant) {
        for k in (0..self.open.len()).rev() {
            let index = self.open[k];
            if self.cycles[index].tentative {
                self.cycles[index].end = Some((t, End::Cancelled));
                self.open.remove(k);
            }
        }
    }

    /// Applies the events of one instant `t`, in input order (R-C4, A2).
    pub(crate) fn apply_instant(&mut self, rules: &Rules, t: Instant, events: &[&Event]) {
        // Status, priority and targets as they stand before this instant, for cycles this
        // instant cancels (A3).
        let mut before = Before { status: self.status, priority: self.priority, seconds: Vec::new() };

        // The state after the instant (A3): status, priority and targets.
        let mut status = self.status;
        for event in events {
            match &event.kind {
                EventKind::Created { priority, .. } => self.priority = rules.priority(priority),
                EventKind::Priority { to } => self.priority = rules.priority(to),
                EventKind::Target { metric, priority, seconds } => {
                    if let Some(slot) = rules.slot(*metric, rules.priority(priority)) {
                        if !before.seconds.iter().any(|(s, _)| *s == slot) {
                            before.seconds.push((slot, self.seconds[slot]));
                        }
                        self.seconds[slot] = *seconds;
                    }
                }
                EventKind::Status { to } if status != Status::Closed => status = *to,
                _ => {}
            }
        }
        self.status = status;

        // Pass 1: stop-type effects on cycles opened before t, in input order (A2).
        let mut cursor = before.status;
        for event in events {
            match &event.kind {
                EventKind::Comment { author: Author::Agent, public: true } => {
                    if self.frt_deferred {
                        // A8: a public reply before any customer message ends the deferral;
                        // first_response then runs from creation.
                        self.frt_deferred = false;
                        self.frt_start = self.created_at;
                        for &index in &self.open {
                            self.cycles[index].tentative = false;
                        }
                    }
                    if self.frt_start.is_some_and(|s| s < t) {
                        self.frt_answered = true;
                    }
                    self.end_open_before(rules, t, End::Stopped, &before, |m| {
                        matches!(
                            m,
                            Metric::FirstResponse
                                | Metric::NextResponse
                                | Metric::PeriodicUpdate
                                | Metric::PausableUpdate
                        )
                    });
                }
                EventKind::Status { to } if cursor != Status::Closed => {
                    if *to == Status::Solved && cursor != Status::Solved {
                        self.end_open_before(rules, t, End::Stopped, &before, Metric::is_fulfilled_by_solve);
                        self.end_open_before(rules, t, End::Cancelled, &before, Metric::is_update_chain);
                    }
                    if *to == Status::Closed {
                        self.end_open_before(rules, t, End::Cancelled, &before, |_| true);
                    }
                    cursor = *to;
                }
                _ => {}
            }
        }

        // Pass 2: R-T5, judged after the instant. A deferred first_response that loses its
        // target simply never starts.
        if self.target(rules, Metric::FirstResponse).is_none() {
            self.discard_tentative(t);
        }
        for k in (0..self.open.len()).rev() {
            let index = self.open[k];
            let metric = self.cycles[index].metric;
            if self.target(rules, metric).is_none() {
                if metric == Metric::FirstResponse {
                    self.frt_answered = true;
                }
                let pre = before.target(rules, self, metric);
                self.end(rules, index, t, End::Cancelled, pre);
            }
        }

        // Pass 3: start-type effects, in input order, judged on the state after the instant.
        let closed_or_solved = matches!(self.status, Status::Solved | Status::Closed);
        let mut cursor = before.status;
        for event in events {
            match &event.kind {
                EventKind::Created { by, public, .. } if self.created_at.is_none() => {
                    self.created_at = Some(t);
                    let defer = *by == Author::Agent && !*public && rules.policy.start_at_first_customer_message;
                    if defer {
                        self.frt_deferred = true;
                        if self.target(rules, Metric::FirstResponse).is_some() {
                            let mut cycle = Cycle::new(Metric::FirstResponse, t);
                            cycle.tentative = true;
                            self.push(cycle);
                        }
                    } else {
                        self.frt_start = Some(t);
                        self.open(rules, Metric::FirstResponse, t);
                    }
                    if !closed_or_solved {
                        self.open(rules, Metric::PeriodicUpdate, t);
                        self.open(rules, Metric::PausableUpdate, t);
                    }
                    for metric in [Metric::RequesterWait, Metric::AgentWork, Metric::Resolution] {
                        self.open(rules, metric, t);
                    }
                }
                EventKind::Comment { author: Author::Customer, .. } if self.created_at.is_some() => {
                    if self.frt_deferred {
                        self.frt_deferred = false;
                        self.frt_start = Some(t);
                        self.discard_tentative(t);
                        self.open(rules, Metric::FirstResponse, t);
                    }
                    if self.frt_answered && !self.has_open(Metric::NextResponse) && self.status != Status::Closed {
                        self.open(rules, Metric::NextResponse, t);
                    }
                }
                EventKind::Comment { author: Author::Agent, public: true } if self.created_at.is_some() => {
                    for metric in [Metric::PeriodicUpdate, Metric::PausableUpdate] {
                        if !self.has_open(metric) && !closed_or_solved {
                            self.open(rules, metric, t);
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
                            self.open(rules, metric, t);
                        }
                    }
                    for metric in [Metric::RequesterWait, Metric::AgentWork, Metric::Resolution] {
                        if self.has_open(metric)
                            || self.status == Status::Solved
                            || self.target(rules, metric).is_none()
                        {
                            continue;
                        }
                        if rules.resumes(metric) {
                            // A11: the same instance resumes if it ended met or breached.
                            if let Some(index) = self.cycles.iter().rposition(|c| c.metric == metric)
                                && matches!(self.cycles[index].end, Some((_, End::Stopped)))
                            {
                                self.cycles[index].end = None;
                                self.cycles[index].frozen = None;
                                let at = self.open.partition_point(|&i| i < index);
                                self.open.insert(at, index);
                            }
                        } else if self.status != Status::Closed {
                            self.open(rules, metric, t);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The ticket before an instant's events: what a cycle ended at that instant keeps when no
/// target is in force after it (A3).
struct Before {
    status: Status,
    priority: Priority,
    /// Target seconds the instant's target events changed, as they were.
    seconds: Vec<(Slot, i64)>,
}

impl Before {
    fn target(&self, rules: &Rules, state: &TicketState, metric: Metric) -> Option<(Slot, i64)> {
        let slot = rules.slot(metric, self.priority)?;
        let seconds = self.seconds.iter().find(|(s, _)| *s == slot).map_or(state.seconds[slot], |&(_, old)| old);
        Some((slot, seconds))
    }
}
