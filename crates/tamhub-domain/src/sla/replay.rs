//! The replay of one ticket's event log (sections 1.4-1.8): cycles open, pause, stop and
//! re-target as events apply; between two instants only time passes.
//!
//! At an instant the events apply in three passes (A2): stops, R-T5 cancellations, starts
//! (`instant.rs`). Between instants, a stretch of time is measured once per cycle with the
//! calendar's `between`, and a threshold's instant is searched for with `add` only when the
//! stretch reaches it.

use super::Instant;
use super::engine::{Warning, WarningKind};
use super::model::Metric;
use super::model::Status;
use super::rules::{PolicyIndex, Priority, Rules, Slot, Timelines, Warn};
use super::timeline::Timeline;

mod instant;
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
    /// Thresholds first reached at an instant the cycle was not open (its stop), which never
    /// fire, not even after a later reopen (A5).
    missed: Vec<Warning>,
    /// A first_response cycle kept from creation while it waits for the first customer message
    /// (A8); reported only if the deferral fails.
    tentative: bool,
    /// The business calendars (timeline indices) the cycle has used, each with the first
    /// instant it used it (A13).
    uses: Vec<(usize, Instant)>,
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
            missed: Vec::new(),
            tentative: false,
            uses: Vec::new(),
        }
    }

    fn fired(&self, kind: WarningKind, threshold: i64) -> bool {
        self.warnings.iter().any(|w| w.kind == kind && w.threshold == threshold)
            || self.missed.iter().any(|w| w.kind == kind && w.threshold == threshold)
    }

    /// The thresholds of a cycle against target `total` that have not happened yet, with the
    /// business time each still needs: the deadline (R-S3), then the warnings (R-W2).
    fn thresholds<'r>(&'r self, warn: &Warn<'r>, total: i64) -> impl Iterator<Item = Threshold> + 'r {
        let due = (self.reached_at.is_none() && total > self.elapsed).then_some(Threshold::Due);
        let percent = warn.percent.iter().map(move |&p| (WarningKind::Percent, p, percent_needed(p, total)));
        let remaining = warn.remaining.iter().map(move |&r| (WarningKind::Remaining, r, total - r));
        let warnings = percent
            .chain(remaining)
            .filter(move |&(kind, threshold, needed)| needed > self.elapsed && !self.fired(kind, threshold));
        due.into_iter().chain(warnings.map(|(_, _, needed)| Threshold::Warning(needed)))
    }

    /// The business time the nearest pending threshold still needs.
    fn nearest(&self, warn: &Warn, total: i64) -> Option<i64> {
        self.thresholds(warn, total).map(|threshold| threshold.needed(total) - self.elapsed).min()
    }

    /// Records the warnings that hold at instant `at` against target `total` and have not
    /// fired: as fired there (R-W2), or, at a stop, as missed (A5).
    fn record_holding(&mut self, warn: &Warn, total: i64, at: Instant, missed: bool) {
        let elapsed = self.elapsed;
        let percent = warn.percent.iter().filter(|&&p| 100 * elapsed >= p * total).map(|&p| (WarningKind::Percent, p));
        let remaining = warn.remaining.iter().filter(|&&r| total - elapsed <= r).map(|&r| (WarningKind::Remaining, r));
        for (kind, threshold) in percent.chain(remaining) {
            if !self.fired(kind, threshold) {
                let warning = Warning { kind, threshold, at };
                if missed { self.missed.push(warning) } else { self.warnings.push(warning) }
            }
        }
    }

    /// Fires the thresholds that the stretch `[from, to)`, worth `gained` business seconds,
    /// reaches: at the instant `add` finds, if before `to` (one reached exactly at `to` belongs
    /// to that instant, `check_instant`, after its events). The same thresholds as
    /// `thresholds`, walked without borrowing the cycle.
    fn fire_within(
        &mut self,
        warn: &Warn,
        timeline: &mut Timeline,
        total: i64,
        from: Instant,
        to: Instant,
        gained: i64,
    ) {
        let elapsed = self.elapsed;
        let mut reach = |needed: i64| {
            let more = needed - elapsed;
            if more <= 0 || more > gained {
                return None;
            }
            timeline.add_within(from, more, to).filter(|at| *at < to)
        };
        if self.reached_at.is_none()
            && let Some(at) = reach(total)
        {
            self.reached_at = Some(at);
        }
        // A threshold listed twice in the policy fires once.
        for &p in warn.percent {
            if !self.fired(WarningKind::Percent, p)
                && let Some(at) = reach(percent_needed(p, total))
            {
                self.warnings.push(Warning { kind: WarningKind::Percent, threshold: p, at });
            }
        }
        for &r in warn.remaining {
            if !self.fired(WarningKind::Remaining, r)
                && let Some(at) = reach(total - r)
            {
                self.warnings.push(Warning { kind: WarningKind::Remaining, threshold: r, at });
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Threshold {
    Due,
    /// A warning, with the elapsed business time at which it fires.
    Warning(i64),
}

impl Threshold {
    fn needed(self, total: i64) -> i64 {
        match self {
            Threshold::Due => total,
            Threshold::Warning(needed) => needed,
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
    /// The policy in force (R-T1).
    policy: Option<PolicyIndex>,
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
    /// The first agent reply after the first_response start has happened, or the cycle was
    /// cancelled (A7).
    frt_answered: bool,
}

impl TicketState {
    pub(crate) fn new(rules: &Rules) -> TicketState {
        TicketState {
            seconds: rules.seconds.clone(),
            policy: None,
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

    /// Some cycle is open, a first_response waiting for its deferral to end included.
    pub(crate) fn has_open_cycles(&self) -> bool {
        !self.open.is_empty()
    }

    fn target(&self, rules: &Rules, metric: Metric) -> Option<(Slot, i64)> {
        rules.slot(self.policy, metric, self.priority).map(|slot| (slot, self.seconds[slot]))
    }

    /// The target an open cycle runs against now, or the frozen one of an ended cycle.
    fn target_of(&self, rules: &Rules, cycle: &Cycle) -> Option<(Slot, i64)> {
        cycle.frozen.or_else(|| self.target(rules, cycle.metric))
    }

    /// Time passes from `from` to `to` with nothing else changing.
    pub(crate) fn advance(&mut self, rules: &Rules, timelines: &mut Timelines, from: Instant, to: Instant) {
        if to <= from {
            return;
        }
        for k in 0..self.open.len() {
            let index = self.open[k];
            let cycle = &self.cycles[index];
            let Some((slot, total)) = self.target_of(rules, cycle) else { continue };
            if !rules.running(slot, cycle.metric, self.status) {
                self.cycles[index].paused_calendar += to - from;
                continue;
            }
            let timeline = timelines.get(rules.timeline(slot));
            let cycle = &mut self.cycles[index];
            let gained = timeline.between(from, to);
            let warn = rules.warn(slot);
            if cycle.nearest(&warn, total).is_some_and(|nearest| nearest <= gained) {
                cycle.fire_within(&warn, timeline, total, from, to, gained);
            }
            cycle.elapsed += gained;
        }
    }

    /// Thresholds that hold at instant `t` for cycles open after `t`'s events (R-T3, R-W2, A5),
    /// and the business calendars those cycles use from `t` on (A13).
    pub(crate) fn check_instant(&mut self, rules: &Rules, t: Instant) {
        for k in 0..self.open.len() {
            let index = self.open[k];
            let Some((slot, total)) = self.target_of(rules, &self.cycles[index]) else { continue };
            let cycle = &mut self.cycles[index];
            if cycle.reached_at.is_none() && cycle.elapsed >= total {
                cycle.reached_at = Some(t);
            }
            cycle.record_holding(&rules.warn(slot), total, t, false);
            let timeline = rules.timeline(slot);
            if timeline != 0 && !cycle.uses.iter().any(|(used, _)| *used == timeline) {
                cycle.uses.push((timeline, t));
            }
        }
    }

    /// Ends an open cycle at `t`, freezing the post-instant target or, failing that, the one in
    /// force before `t` (A3).
    fn end(&mut self, rules: &Rules, index: usize, t: Instant, how: End, before: Option<(Slot, i64)>) {
        let frozen = self.target(rules, self.cycles[index].metric).or(before);
        let cycle = &mut self.cycles[index];
        if let Some((slot, total)) = frozen {
            if cycle.reached_at.is_none() && cycle.elapsed >= total {
                cycle.reached_at = Some(t);
            }
            // A5: a warning first reached at the stop, when the cycle is no longer open, never
            // fires; a resume instance does not list it after a reopen either.
            cycle.record_holding(&rules.warn(slot), total, t, true);
        }
        cycle.frozen = frozen;
        cycle.end = Some((t, how));
        self.open.retain(|&i| i != index);
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
}
