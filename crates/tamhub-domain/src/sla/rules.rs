//! A policy and its calendars prepared for a replay: priorities numbered, targets in a table
//! indexed by (metric, priority), pause sets as bit masks, one materialised timeline per
//! calendar. Built once per clock, so the replay's inner loops neither clone nor look up by
//! name.

use std::collections::BTreeMap;

use super::calendar::{Calendar, CalendarError};
use super::model::{Hours, Metric, Policy, Status};
use super::timeline::Timeline;

/// A priority named by the policy's targets; priorities no target names have no targets.
pub(crate) type Priority = Option<u16>;

/// Index into `Rules::targets` and `TicketState::seconds`.
pub(crate) type Slot = usize;

/// What a target is apart from its seconds, which target events change (R-T3).
pub(crate) struct TargetRule<'a> {
    pub(crate) priority: &'a str,
    pub(crate) hours: Hours,
    pub(crate) calendar_id: &'a str,
    /// Index into `Clocks::timelines`.
    pub(crate) timeline: usize,
}

pub(crate) struct Rules<'a> {
    pub(crate) policy: &'a Policy,
    priorities: Vec<&'a str>,
    targets: Vec<Option<TargetRule<'a>>>,
    /// Seconds of every target as the policy sets them.
    pub(crate) seconds: Vec<i64>,
    /// Per metric, a bit per `Status` in its pause set (R-M8).
    paused: [u8; 7],
    resumes: [bool; 7],
}

fn status_bit(status: Status) -> u8 {
    1 << (status as u8)
}

impl<'a> Rules<'a> {
    pub(crate) fn new(policy: &'a Policy, calendars: &'a BTreeMap<String, Calendar>) -> (Rules<'a>, Timelines<'a>) {
        let mut priorities: Vec<&str> = Vec::new();
        for (_, priority) in policy.targets.keys() {
            if !priorities.contains(&priority.as_str()) {
                priorities.push(priority);
            }
        }
        let mut timelines = Timelines { calendars: vec![None], timelines: vec![Timeline::new(None)] };
        let mut targets: Vec<Option<TargetRule>> = (0..7 * priorities.len()).map(|_| None).collect();
        let mut seconds = vec![0; targets.len()];
        for ((metric, priority), target) in &policy.targets {
            let p = priorities.iter().position(|q| q == priority).unwrap_or(0);
            let slot = *metric as usize * priorities.len() + p;
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
            });
        }
        let mut paused = [0; 7];
        let mut resumes = [false; 7];
        for (metric, _) in Metric::ALL {
            paused[metric as usize] = policy.pause_set(metric).iter().map(|&s| status_bit(s)).fold(0, |a, b| a | b);
            resumes[metric as usize] = policy.resumes(metric);
        }
        (Rules { policy, priorities, targets, seconds, paused, resumes }, timelines)
    }

    pub(crate) fn priority(&self, name: &str) -> Priority {
        self.priorities.iter().position(|p| *p == name).map(|p| p as u16)
    }

    /// The target slot of (metric, priority), if the policy has that target.
    pub(crate) fn slot(&self, metric: Metric, priority: Priority) -> Option<Slot> {
        let slot = metric as usize * self.priorities.len() + usize::from(priority?);
        self.targets[slot].is_some().then_some(slot)
    }

    pub(crate) fn target(&self, slot: Slot) -> Option<&TargetRule<'a>> {
        self.targets.get(slot).and_then(Option::as_ref)
    }

    pub(crate) fn timeline(&self, slot: Slot) -> usize {
        self.target(slot).map_or(0, |t| t.timeline)
    }

    /// The running predicate of a metric (section 1.4).
    pub(crate) fn running(&self, metric: Metric, status: Status) -> bool {
        self.paused[metric as usize] & status_bit(status) == 0
    }

    pub(crate) fn resumes(&self, metric: Metric) -> bool {
        self.resumes[metric as usize]
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
