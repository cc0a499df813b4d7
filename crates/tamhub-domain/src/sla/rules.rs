//! Policies and their calendars prepared for a replay: priorities numbered, targets in a table
//! indexed by (policy, metric, priority), pause sets as bit masks, one materialised timeline per
//! calendar. Built once per clock, so the replay's inner loops neither clone nor look up by
//! name.
//!
//! A ticket may meet several policies over its life (R-T1): `steps` says which one is in force
//! from each instant on. A clock over one policy has one step.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Instant;
use super::calendar::{Calendar, CalendarError};
use super::model::{Hours, Metric, Policy, Status};
use super::timeline::Timeline;

/// A priority named by some policy's targets; priorities no target names have no targets.
pub(crate) type Priority = Option<u16>;

/// Index into `Rules::policies`.
pub(crate) type PolicyIndex = usize;

/// Index into `Rules::targets` and `TicketState::seconds`: a (policy, metric, priority).
pub(crate) type Slot = usize;

/// What a target is apart from its seconds, which target events change (R-T3).
pub(crate) struct TargetRule<'a> {
    pub(crate) priority: &'a str,
    pub(crate) hours: Hours,
    pub(crate) calendar_id: &'a str,
    /// Index into `Timelines`.
    pub(crate) timeline: usize,
    pub(crate) policy: PolicyIndex,
}

struct PolicyRules<'a> {
    policy: &'a Policy,
    /// Per metric, a bit per `Status` in its pause set (R-M8).
    paused: [u8; 7],
    resumes: [bool; 7],
}

/// The warning thresholds of a policy (R-W1).
pub(crate) struct Warn<'a> {
    pub(crate) percent: &'a [i64],
    pub(crate) remaining: &'a [i64],
}

pub(crate) struct Rules<'a> {
    policies: Vec<PolicyRules<'a>>,
    /// `(from, policy)`, ascending and each different from the one before; the first applies
    /// from the beginning of time. `None`: no policy applies (R-T5).
    steps: Vec<(Instant, Option<PolicyIndex>)>,
    priorities: Vec<&'a str>,
    targets: Vec<Option<TargetRule<'a>>>,
    /// Seconds of every target as its policy sets them.
    pub(crate) seconds: Vec<i64>,
}

fn status_bit(status: Status) -> u8 {
    1 << (status as u8)
}

impl<'a> Rules<'a> {
    /// One policy for the whole life of the ticket.
    pub(crate) fn new(policy: &'a Policy, calendars: &'a BTreeMap<String, Calendar>) -> (Rules<'a>, Timelines<'a>) {
        Rules::build(vec![policy], vec![(i64::MIN, Some(0))], calendars)
    }

    /// The policies of a timeline, `(from, policy)` (R-T1). Steps at one instant: the last one
    /// listed counts. The first step also covers the instants before it.
    pub(crate) fn for_timeline(
        timeline: &'a [(Instant, Option<Arc<Policy>>)],
        calendars: &'a BTreeMap<String, Calendar>,
    ) -> (Rules<'a>, Timelines<'a>) {
        let mut ordered: Vec<&(Instant, Option<Arc<Policy>>)> = timeline.iter().collect();
        ordered.sort_by_key(|(at, _)| *at);
        let mut policies: Vec<&'a Policy> = Vec::new();
        let mut steps: Vec<(Instant, Option<PolicyIndex>)> = Vec::new();
        for (at, policy) in ordered {
            let index = policy.as_deref().map(|p| match policies.iter().position(|q| std::ptr::eq(*q, p) || *q == p) {
                Some(i) => i,
                None => {
                    policies.push(p);
                    policies.len() - 1
                }
            });
            match steps.last_mut() {
                Some((from, last)) if from == at => *last = index,
                _ => steps.push((*at, index)),
            }
        }
        // Steps that change nothing are no steps.
        steps.dedup_by(|later, earlier| later.1 == earlier.1);
        if let Some(first) = steps.first_mut() {
            first.0 = i64::MIN;
        }
        Rules::build(policies, steps, calendars)
    }

    fn build(
        policies: Vec<&'a Policy>,
        steps: Vec<(Instant, Option<PolicyIndex>)>,
        calendars: &'a BTreeMap<String, Calendar>,
    ) -> (Rules<'a>, Timelines<'a>) {
        let mut priorities: Vec<&str> = Vec::new();
        for policy in &policies {
            for (_, priority) in policy.targets.keys() {
                if !priorities.contains(&priority.as_str()) {
                    priorities.push(priority);
                }
            }
        }
        let mut timelines = Timelines { calendars: vec![None], timelines: vec![Timeline::new(&[])] };
        let per_policy = 7 * priorities.len();
        let mut targets: Vec<Option<TargetRule>> = (0..policies.len() * per_policy).map(|_| None).collect();
        let mut seconds = vec![0; targets.len()];
        for (index, policy) in policies.iter().enumerate() {
            for ((metric, priority), target) in &policy.targets {
                let p = priorities.iter().position(|q| q == priority).unwrap_or(0);
                let slot = index * per_policy + *metric as usize * priorities.len() + p;
                // Calendar hours count all time (A10); an unknown calendar counts all time too.
                let calendar = match target.hours {
                    Hours::Calendar => None,
                    Hours::Business => calendars.get(&target.calendar_id),
                };
                seconds[slot] = target.seconds;
                targets[slot] = Some(TargetRule {
                    priority,
                    hours: target.hours,
                    calendar_id: &target.calendar_id,
                    timeline: timelines.index_of(calendar),
                    policy: index,
                });
            }
        }
        let policies = policies
            .into_iter()
            .map(|policy| {
                let mut paused = [0; 7];
                let mut resumes = [false; 7];
                for (metric, _) in Metric::ALL {
                    paused[metric as usize] =
                        policy.pause_set(metric).iter().map(|&s| status_bit(s)).fold(0, |a, b| a | b);
                    resumes[metric as usize] = policy.resumes(metric);
                }
                PolicyRules { policy, paused, resumes }
            })
            .collect();
        (Rules { policies, steps, priorities, targets, seconds }, timelines)
    }

    pub(crate) fn priority(&self, name: &str) -> Priority {
        self.priorities.iter().position(|p| *p == name).map(|p| p as u16)
    }

    /// R-T1: the policy in force at `t` (after `t`'s changes).
    pub(crate) fn policy_at(&self, t: Instant) -> Option<PolicyIndex> {
        match self.steps.as_slice() {
            [] => None,
            [(_, only)] => *only,
            steps => steps[steps.partition_point(|(from, _)| *from <= t).saturating_sub(1)].1,
        }
    }

    /// The first instant after `t` at which another policy takes over.
    pub(crate) fn next_step_after(&self, t: Instant) -> Option<Instant> {
        let k = self.steps.partition_point(|(from, _)| *from <= t);
        self.steps.get(k).map(|(from, _)| *from)
    }

    pub(crate) fn is_step(&self, t: Instant) -> bool {
        t != i64::MIN && self.steps.binary_search_by_key(&t, |(from, _)| *from).is_ok()
    }

    /// The target slot of (policy, metric, priority), if that policy has that target.
    pub(crate) fn slot(&self, policy: Option<PolicyIndex>, metric: Metric, priority: Priority) -> Option<Slot> {
        let slot = (policy? * 7 + metric as usize) * self.priorities.len() + usize::from(priority?);
        self.targets.get(slot)?.is_some().then_some(slot)
    }

    pub(crate) fn target(&self, slot: Slot) -> Option<&TargetRule<'a>> {
        self.targets.get(slot).and_then(Option::as_ref)
    }

    pub(crate) fn timeline(&self, slot: Slot) -> usize {
        self.target(slot).map_or(0, |t| t.timeline)
    }

    fn policy_of(&self, slot: Slot) -> Option<&PolicyRules<'a>> {
        self.target(slot).and_then(|t| self.policies.get(t.policy))
    }

    /// The running predicate of a metric (section 1.4) under the policy of target `slot`.
    pub(crate) fn running(&self, slot: Slot, metric: Metric, status: Status) -> bool {
        self.policy_of(slot).is_none_or(|p| p.paused[metric as usize] & status_bit(status) == 0)
    }

    /// The warnings of the policy of target `slot` (R-W1).
    pub(crate) fn warn(&self, slot: Slot) -> Warn<'a> {
        match self.policy_of(slot) {
            Some(p) => Warn { percent: &p.policy.warn_percent, remaining: &p.policy.warn_remaining_seconds },
            None => Warn { percent: &[], remaining: &[] },
        }
    }

    pub(crate) fn policy_id(&self, slot: Slot) -> Option<&'a str> {
        self.policy_of(slot).map(|p| p.policy.id.as_str())
    }

    /// R-M5, R-M6, R-M7: whether a reopen resumes the metric's instance under `policy`.
    pub(crate) fn resumes(&self, policy: Option<PolicyIndex>, metric: Metric) -> bool {
        policy.and_then(|p| self.policies.get(p)).is_some_and(|p| p.resumes[metric as usize])
    }

    /// R-M1 / A8: the option of `policy`; its default (true) where no policy applies.
    pub(crate) fn start_at_first_customer_message(&self, policy: Option<PolicyIndex>) -> bool {
        policy.and_then(|p| self.policies.get(p)).is_none_or(|p| p.policy.start_at_first_customer_message)
    }
}

/// One materialised timeline per calendar the targets use; index 0 counts all time.
pub(crate) struct Timelines<'a> {
    calendars: Vec<Option<&'a Calendar>>,
    timelines: Vec<Timeline<'a>>,
}

impl<'a> Timelines<'a> {
    fn index_of(&mut self, calendar: Option<&'a Calendar>) -> usize {
        let Some(calendar) = calendar else { return 0 };
        if let Some(i) = self.calendars.iter().position(|c| c.is_some_and(|c| std::ptr::eq(c, calendar))) {
            return i;
        }
        self.calendars.push(Some(calendar));
        self.timelines.push(calendar.timeline());
        self.timelines.len() - 1
    }

    pub(crate) fn get(&mut self, index: usize) -> &mut Timeline<'a> {
        &mut self.timelines[index]
    }

    /// R-K9: the error naming the calendar of timeline `index`.
    pub(crate) fn no_business_time(&self, index: usize) -> CalendarError {
        match self.calendars.get(index).copied().flatten() {
            Some(calendar) => calendar.no_business_time(),
            None => Calendar::always_open().no_business_time(),
        }
    }
}
