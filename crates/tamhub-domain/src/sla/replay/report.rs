//! Reading a replayed ticket: the records of section 1.9 and the next instant they can change
//! on their own (R-W4).

use super::{End, Threshold, TicketState};
use crate::sla::Instant;
use crate::sla::calendar::CalendarError;
use crate::sla::engine::{CycleRecord, CycleState, WarningKind};
use crate::sla::model::Metric;
use crate::sla::rules::{Rules, Timelines};

impl TicketState {
    /// The output records of section 1.9 at `now`, for a state settled through `now`. Consumes
    /// the state: the records take the cycles' warnings.
    ///
    /// R-K9 / A13: an error if a reported cycle has used a business calendar with no business
    /// time in the 366 days from the first instant it used it, or if the search for the
    /// deadline of a cycle running at `now` meets 366 days without business time.
    pub(crate) fn into_records(
        mut self,
        rules: &Rules,
        timelines: &mut Timelines,
        now: Instant,
    ) -> Result<Vec<CycleRecord>, CalendarError> {
        let mut records = Vec::with_capacity(self.cycles.len());
        // By metric name, then cycle number: the cycles of a metric are numbered in the order
        // they opened.
        let cycles = &self.cycles;
        let in_order: Vec<(usize, u32)> = Metric::ALL
            .iter()
            .flat_map(|&(metric, _)| {
                (0..cycles.len()).filter(move |&i| cycles[i].metric == metric && !cycles[i].tentative).zip(1u32..)
            })
            .collect();
        for (index, number) in in_order {
            let warnings = std::mem::take(&mut self.cycles[index].warnings);
            let cycle = &self.cycles[index];
            for &(timeline, from) in &cycle.uses {
                if timelines.get(timeline).next_open(from).is_none() {
                    return Err(timelines.no_business_time(timeline));
                }
            }
            let Some((slot, total)) = self.target_of(rules, cycle) else { continue };
            let Some(target) = rules.target(slot) else { continue };
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
                    let running = rules.running(slot, cycle.metric, self.status);
                    let breached = cycle.reached_at.is_some_and(|r| r < now);
                    let due_at = if !running {
                        None
                    } else if let Some(reached) = cycle.reached_at {
                        Some(reached)
                    } else {
                        let due = timelines.get(target.timeline).add(now, total - cycle.elapsed);
                        Some(due.ok_or_else(|| timelines.no_business_time(target.timeline))?)
                    };
                    (if running { CycleState::Running } else { CycleState::Paused }, None, breached, due_at)
                }
            };
            let mut warnings = warnings;
            warnings.sort_by(|a, b| {
                a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)).then(match a.kind {
                    WarningKind::Percent => a.threshold.cmp(&b.threshold),
                    WarningKind::Remaining => b.threshold.cmp(&a.threshold),
                })
            });
            records.push(CycleRecord {
                metric: cycle.metric,
                cycle_no: number,
                policy_id: rules.policy_id(slot).map(str::to_string),
                priority: target.priority.to_string(),
                target_seconds: total,
                hours: target.hours,
                calendar_id: target.calendar_id.to_string(),
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
        Ok(records)
    }

    /// R-W4: for a state settled through `now`, the first instant after `now` at which a
    /// warning fires or a breach shows, if no event (and no policy change) comes first. A
    /// threshold a calendar never lets a cycle reach (A13) never wakes anyone.
    pub(crate) fn next_wake_at(&self, rules: &Rules, timelines: &mut Timelines, now: Instant) -> Option<Instant> {
        let mut wake: Option<Instant> = None;
        let mut consider = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        for cycle in self.open.iter().map(|&i| &self.cycles[i]).filter(|c| !c.tentative) {
            let Some((slot, total)) = self.target_of(rules, cycle) else { continue };
            // A14: a breach shows once `now > due_at`, a second after the deadline; a cycle
            // that reached its target exactly now (even paused) breaches next second.
            if let Some(reached) = cycle.reached_at
                && reached >= now
            {
                consider(reached.saturating_add(1));
            }
            if !rules.running(slot, cycle.metric, self.status) {
                continue;
            }
            let which = rules.timeline(slot);
            for threshold in cycle.thresholds(&rules.warn(slot), total) {
                let Some(at) = timelines.get(which).add(now, threshold.needed(total) - cycle.elapsed) else { continue };
                consider(match threshold {
                    Threshold::Due => at.saturating_add(1),
                    Threshold::Warning(..) => at,
                });
            }
        }
        wake
    }
}
