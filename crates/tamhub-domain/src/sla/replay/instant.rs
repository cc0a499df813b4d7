//! The events of one instant (R-C4, A2): the state after the instant first (A3, R-T1), then
//! three passes in input order: stops, R-T5 cancellations, starts.

use super::{Cycle, End, TicketState};
use crate::sla::Instant;
use crate::sla::model::{Author, Event, EventKind, Metric, Status};
use crate::sla::rules::{PolicyIndex, Priority, Rules, Slot};

const SOLVE_STOPPED: [Metric; 3] = [Metric::RequesterWait, Metric::AgentWork, Metric::Resolution];
const CHAINS: [Metric; 2] = [Metric::PeriodicUpdate, Metric::PausableUpdate];

fn is_agent_reply(event: &&Event) -> bool {
    matches!(event.kind, EventKind::Comment { author: Author::Agent, public: true })
}

/// The ticket before an instant's events: what a cycle ended at that instant keeps when no
/// target is in force after it (A3).
struct Before {
    status: Status,
    priority: Priority,
    policy: Option<PolicyIndex>,
    /// Target seconds the instant's target events changed, as they were.
    seconds: Vec<(Slot, i64)>,
}

impl Before {
    fn target(&self, rules: &Rules, state: &TicketState, metric: Metric) -> Option<(Slot, i64)> {
        let slot = rules.slot(self.policy, metric, self.priority)?;
        let seconds = self.seconds.iter().find(|(s, _)| *s == slot).map_or(state.seconds[slot], |&(_, old)| old);
        Some((slot, seconds))
    }
}

impl TicketState {
    /// Applies the events of one instant `t`, in input order (R-C4, A2), with the policy in
    /// force after `t` (R-T1: a policy change at `t` acts like a target change at `t`).
    pub(crate) fn apply_instant(&mut self, rules: &Rules, t: Instant, events: &[&Event]) {
        let mut before =
            Before { status: self.status, priority: self.priority, policy: self.policy, seconds: Vec::new() };

        // The state after the instant (A3): policy, status, priority and targets. A target
        // event changes the target of the policy in force after the instant.
        self.policy = rules.policy_at(t);
        let mut status = self.status;
        let mut customer_message = false;
        for event in events {
            match &event.kind {
                EventKind::Created { priority, .. } => self.priority = rules.priority(priority),
                EventKind::Priority { to } => self.priority = rules.priority(to),
                EventKind::Target { metric, priority, seconds } => {
                    if let Some(slot) = rules.slot(self.policy, *metric, rules.priority(priority)) {
                        if !before.seconds.iter().any(|(s, _)| *s == slot) {
                            before.seconds.push((slot, self.seconds[slot]));
                        }
                        self.seconds[slot] = *seconds;
                    }
                }
                EventKind::Status { to } if status != Status::Closed => status = *to,
                EventKind::Comment { author: Author::Customer, .. } => customer_message = true,
                _ => {}
            }
        }
        self.status = status;

        // A8: a policy without start_at_first_customer_message ends a deferral from `t` on, as
        // a reply would (unless a customer message at `t` starts first_response first).
        if self.frt_deferred && !customer_message && !rules.start_at_first_customer_message(self.policy) {
            self.fail_deferral();
        }

        self.stops(rules, t, events, &before, customer_message);
        self.cancellations(rules, t, &before);
        self.starts(rules, t, events, before.status, customer_message);
    }

    /// A8: the deferral fails (an agent reply, or a policy without the option, strictly before
    /// the first customer message). first_response runs from creation after all: the tentative
    /// cycle, which has lived through every pause, re-target and cancellation since, counts.
    fn fail_deferral(&mut self) {
        self.frt_deferred = false;
        self.frt_start = self.created_at;
        for cycle in self.cycles.iter_mut().filter(|c| c.tentative) {
            cycle.tentative = false;
            // A7: a first_response cancelled meanwhile (R-T5) now counts as cancelled, so a
            // customer message can open next_response.
            if matches!(cycle.end, Some((_, End::Cancelled))) {
                self.frt_answered = true;
            }
        }
    }

    /// Drops the first_response cycle kept while waiting for the first customer message (A8):
    /// the deferral worked, so it never counted and is never reported.
    fn discard_tentative(&mut self) {
        self.open.retain(|&i| !self.cycles[i].tentative);
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

    /// Pass 1: stop-type effects on cycles opened before `t`, in input order (A2).
    fn stops(&mut self, rules: &Rules, t: Instant, events: &[&Event], before: &Before, customer_message: bool) {
        let mut cursor = before.status;
        for event in events {
            match &event.kind {
                EventKind::Comment { author: Author::Agent, public: true } => {
                    // A8: only a reply strictly before the first customer message fails the
                    // deferral; one at the same instant does not.
                    if self.frt_deferred && !customer_message {
                        self.fail_deferral();
                    }
                    if self.frt_start.is_some_and(|s| s < t) {
                        self.frt_answered = true;
                    }
                    self.end_open_before(rules, t, End::Stopped, before, |m| {
                        matches!(m, Metric::FirstResponse | Metric::NextResponse) || m.is_update_chain()
                    });
                }
                EventKind::Status { to } if cursor != Status::Closed => {
                    if *to == Status::Solved && cursor != Status::Solved {
                        self.end_open_before(rules, t, End::Stopped, before, Metric::is_fulfilled_by_solve);
                        self.end_open_before(rules, t, End::Cancelled, before, Metric::is_update_chain);
                    }
                    if *to == Status::Closed {
                        self.end_open_before(rules, t, End::Cancelled, before, |_| true);
                    }
                    cursor = *to;
                }
                _ => {}
            }
        }
    }

    /// Pass 2: R-T5, judged after the instant: open cycles whose metric has no target in the
    /// policy in force (or no policy) are cancelled.
    fn cancellations(&mut self, rules: &Rules, t: Instant, before: &Before) {
        for k in (0..self.open.len()).rev() {
            let index = self.open[k];
            let metric = self.cycles[index].metric;
            if self.target(rules, metric).is_none() {
                // A7: a cancelled first_response lets next_response open (a tentative one only
                // once the deferral fails, and then the failing reply does so anyway).
                if metric == Metric::FirstResponse && !self.cycles[index].tentative {
                    self.frt_answered = true;
                }
                let pre = before.target(rules, self, metric);
                self.end(rules, index, t, End::Cancelled, pre);
            }
        }
    }

    /// Pass 3: start-type effects, in input order, judged on the state after the instant.
    fn starts(&mut self, rules: &Rules, t: Instant, events: &[&Event], before_status: Status, customer_message: bool) {
        let closed_or_solved = matches!(self.status, Status::Solved | Status::Closed);
        let mut cursor = before_status;
        for event in events {
            match &event.kind {
                EventKind::Created { by, public, .. } if self.created_at.is_none() => {
                    self.created_at = Some(t);
                    let defer = *by == Author::Agent && !*public && rules.start_at_first_customer_message(self.policy);
                    // A8: a reply at the creation instant is strictly before any later customer
                    // message, so the deferral fails at once; with a customer message at the same
                    // instant it holds, and that message starts first_response below.
                    let fails_now = events.iter().any(is_agent_reply) && !customer_message;
                    if defer && !fails_now {
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
                        for metric in CHAINS {
                            self.open(rules, metric, t);
                        }
                    }
                    for metric in SOLVE_STOPPED {
                        self.open(rules, metric, t);
                    }
                }
                EventKind::Comment { author: Author::Customer, .. } if self.created_at.is_some() => {
                    if self.frt_deferred {
                        // A8: the first customer message starts first_response, on a ticket that
                        // is not closed (closed is final).
                        self.frt_deferred = false;
                        self.discard_tentative();
                        if self.status != Status::Closed {
                            self.frt_start = Some(t);
                            self.open(rules, Metric::FirstResponse, t);
                        }
                    }
                    // A7.
                    if self.frt_answered && !self.has_open(Metric::NextResponse) && self.status != Status::Closed {
                        self.open(rules, Metric::NextResponse, t);
                    }
                }
                // A9: a reply opens the next cycle of a chain unless solved or closed after the
                // instant.
                EventKind::Comment { author: Author::Agent, public: true } if self.created_at.is_some() => {
                    for metric in CHAINS {
                        if !self.has_open(metric) && !closed_or_solved {
                            self.open(rules, metric, t);
                        }
                    }
                }
                EventKind::Status { to } if cursor != Status::Closed => {
                    let reopened = cursor == Status::Solved && !matches!(to, Status::Solved | Status::Closed);
                    cursor = *to;
                    // A9, A11, R-M5: nothing reopens on a ticket solved or closed after the
                    // instant; closed is final.
                    if reopened && self.created_at.is_some() && !closed_or_solved {
                        self.reopen(rules, t);
                    }
                }
                _ => {}
            }
        }
    }

    /// A reopen (solved -> not solved): R-M3 chains, R-M7 new cycles, A11 resume instances.
    fn reopen(&mut self, rules: &Rules, t: Instant) {
        for metric in CHAINS {
            if !self.has_open(metric) {
                self.open(rules, metric, t);
            }
        }
        for metric in SOLVE_STOPPED {
            if self.has_open(metric) || self.target(rules, metric).is_none() {
                continue;
            }
            if rules.resumes(self.policy, metric) {
                // A11: the same instance resumes if it ended met or breached.
                if let Some(index) = self.cycles.iter().rposition(|c| c.metric == metric)
                    && matches!(self.cycles[index].end, Some((_, End::Stopped)))
                {
                    let cycle = &mut self.cycles[index];
                    cycle.end = None;
                    cycle.frozen = None;
                    // A5: open again at `t`, so what was reached at a stop at `t` fires at `t`.
                    cycle.missed.retain(|w| w.at != t);
                    let at = self.open.partition_point(|&i| i < index);
                    self.open.insert(at, index);
                }
            } else {
                self.open(rules, metric, t);
            }
        }
    }
}
