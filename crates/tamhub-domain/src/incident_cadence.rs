//! The customer-update cadence of an incident (SLA-SPEC R-I1-R-I3), run by the SLA engine.
//!
//! An incident's timeline becomes the events of a `periodic_update` clock on the `24x7`
//! calendar, with the severity as its priority: cycle 1 opens at the declaration with the
//! first-update target; each public update stops the open cycle and opens the next. The
//! targets switch from first update to cadence after the first public update, and an update
//! that promises its successor sooner than the cadence shortens that one cycle. These target
//! changes are applied one second after the update, so they re-target only the cycle the update
//! opened (R-T3 applies to cycles open at the change); the cycle the update stopped keeps the
//! target it ran against. Resolution cancels the open cycle; a reopen opens a new one; a
//! severity change re-targets the open cycle (R-I3); P3 has no requirement.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::IncidentId;
use crate::incidents::{IncidentStatus, Severity, TimelineEntry, TimelineKind, Visibility};
use crate::notifications::{AlertKind, cycle_alerts};
use crate::sla::Instant;
use crate::sla::calendar::{ALWAYS_OPEN_ID, Calendar};
use crate::sla::engine::{CycleRecord, CycleState, evaluate_timeline};
use crate::sla::model::{Author, Event, EventKind, Hours, Metric, Policy, Status, Target};
use crate::tickets::TicketSla;
use crate::validation::FieldErrors;

/// The engine metric the cadence runs on; reported as `incident_update`.
pub const CADENCE_METRIC: Metric = Metric::PeriodicUpdate;
pub const POLICY_ID: &str = "incident_update";

/// R-I2: minutes to the first update and between updates per severity (P0..P3); `None`: no
/// requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadenceSettings {
    pub first_update_minutes: [Option<i64>; 4],
    pub cadence_minutes: [Option<i64>; 4],
    /// Warnings as a share of the target (R-W1), default 80 %.
    pub warn_percent: Vec<i64>,
}

impl Default for CadenceSettings {
    fn default() -> Self {
        CadenceSettings {
            first_update_minutes: [Some(15), Some(30), Some(240), None],
            cadence_minutes: [Some(30), Some(60), Some(240), None],
            warn_percent: vec![80],
        }
    }
}

impl CadenceSettings {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, values) in
            [("first_update_minutes", &self.first_update_minutes), ("cadence_minutes", &self.cadence_minutes)]
        {
            for (i, v) in values.iter().enumerate() {
                if v.is_some_and(|m| !(1..=7 * 24 * 60).contains(&m)) {
                    errors.add(&format!("{field}[{i}]"), "must be from 1 minute to 7 days");
                }
            }
        }
        for (i, p) in self.warn_percent.iter().enumerate() {
            if !(1..=100).contains(p) {
                errors.add(&format!("warn_percent[{i}]"), "must be from 1 to 100");
            }
        }
        errors.into_result()
    }

    fn seconds(values: &[Option<i64>; 4], severity: Severity) -> Option<i64> {
        values[severity as usize].map(|m| m * 60)
    }

    /// The engine policy: targets start at the first-update values.
    fn policy(&self) -> Policy {
        let targets = Severity::ALL
            .iter()
            .filter_map(|(s, name)| {
                let seconds = Self::seconds(&self.first_update_minutes, *s)?;
                let target = Target { seconds, hours: Hours::Calendar, calendar_id: ALWAYS_OPEN_ID.into() };
                Some(((CADENCE_METRIC, name.to_string()), target))
            })
            .collect();
        Policy {
            id: POLICY_ID.into(),
            targets,
            warn_percent: self.warn_percent.clone(),
            warn_remaining_seconds: Vec::new(),
            pause_sets: BTreeMap::new(),
            reopen: BTreeMap::new(),
            start_at_first_customer_message: false,
        }
    }
}

fn engine_status(status: IncidentStatus) -> Status {
    match status {
        s if s.is_live() => Status::Open,
        IncidentStatus::Resolved | IncidentStatus::Postmortem => Status::Solved,
        _ => Status::Closed,
    }
}

/// The engine events of a timeline (R-I1).
pub fn cadence_events(timeline: &[TimelineEntry], settings: &CadenceSettings) -> Vec<Event> {
    let mut events = Vec::new();
    // The target of each severity's slot as the engine last heard it.
    let mut current: [Option<i64>; 4] =
        std::array::from_fn(|i| CadenceSettings::seconds(&settings.first_update_minutes, Severity::ALL[i].0));
    let mut severity = Severity::P3;
    let mut declared_at = None;
    for entry in timeline {
        let at = entry.at.as_second();
        let kind = match &entry.kind {
            TimelineKind::Declared { severity: s, status, .. } => {
                severity = *s;
                declared_at = Some(at);
                events.push(Event {
                    at,
                    kind: EventKind::Created { priority: s.as_str().into(), by: Author::Agent, public: false },
                });
                EventKind::Status { to: engine_status(*status) }
            }
            TimelineKind::StatusChanged { from, to } if engine_status(*from) != engine_status(*to) => {
                EventKind::Status { to: engine_status(*to) }
            }
            TimelineKind::SeverityChanged { to, .. } => {
                severity = *to;
                EventKind::Priority { to: to.as_str().into() }
            }
            TimelineKind::UpdatePosted(update) if update.visibility == Visibility::Public => {
                // An update in the very second of the declaration would reach the engine before
                // cycle 1 opens (stops come before starts within an instant); a second later it
                // meets cycle 1, as it should.
                let at = if Some(at) == declared_at { at + 1 } else { at };
                events.push(Event { at, kind: EventKind::Comment { author: Author::Agent, public: true } });
                let promised = update.next_update_at.map(|next| next.as_second() - at);
                for (i, (s, name)) in Severity::ALL.iter().enumerate() {
                    let cadence = CadenceSettings::seconds(&settings.cadence_minutes, *s);
                    let wanted = match (cadence, promised) {
                        (Some(c), Some(p)) if *s == severity && p < c => Some(p.max(1)),
                        (c, _) => c,
                    };
                    if let Some(seconds) = wanted.filter(|w| Some(*w) != current[i]) {
                        current[i] = Some(seconds);
                        events.push(Event {
                            at: at + 1,
                            kind: EventKind::Target { metric: CADENCE_METRIC, priority: name.to_string(), seconds },
                        });
                    }
                }
                continue;
            }
            _ => continue,
        };
        events.push(Event { at, kind });
    }
    // Same-instant entries keep their order; the delayed target changes sort after them.
    events.sort_by_key(|e| e.at);
    events
}

/// The cadence cycles of an incident with this timeline at `now`, with the next instant the
/// state changes on its own (a warning or a breach).
pub fn evaluate_cadence(timeline: &[TimelineEntry], settings: &CadenceSettings, now: Instant) -> TicketSla {
    let events = cadence_events(timeline, settings);
    // An update's target changes land a second after it: evaluated in the very second of the
    // update, the clock would not see them yet and report the old deadline.
    let now = events.last().map_or(now, |e| now.max(e.at));
    let steps = [(Instant::MIN, Some(Arc::new(settings.policy())))];
    let calendars = BTreeMap::from([(ALWAYS_OPEN_ID.to_string(), Calendar::always_open())]);
    // The 24x7 calendar always has business time, so the engine cannot fail here.
    match evaluate_timeline(&events, &steps, &calendars, now) {
        Ok((cycles, next_change_at)) => TicketSla { cycles, next_change_at },
        Err(_) => TicketSla { cycles: Vec::new(), next_change_at: None },
    }
}

/// A warning or breach of one cadence cycle, idempotent by `(incident, cycle_no, kind,
/// threshold)` like a ticket's SLA alerts (R-W4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CadenceAlert {
    pub incident_id: IncidentId,
    pub cycle_no: u32,
    pub kind: AlertKind,
    pub threshold: i64,
    pub at: Timestamp,
}

impl CadenceAlert {
    pub fn describe(&self, number: &str) -> String {
        match self.kind {
            AlertKind::Breach => format!("{number}: customer update overdue"),
            _ => format!("{number}: customer update due soon ({} % of the interval used)", self.threshold),
        }
    }
}

pub fn cadence_alerts(incident_id: IncidentId, cycles: &[CycleRecord]) -> Vec<CadenceAlert> {
    cycle_alerts(cycles)
        .into_iter()
        .map(|(cycle, kind, threshold, at)| CadenceAlert { incident_id, cycle_no: cycle.cycle_no, kind, threshold, at })
        .collect()
}

/// When the next customer update is due: the due instant of the running cycle.
pub fn next_update_due(cycles: &[CycleRecord]) -> Option<Timestamp> {
    cycles
        .iter()
        .filter(|c| c.state == CycleState::Running)
        .filter_map(|c| c.due_at)
        .min()
        .and_then(|s| Timestamp::from_second(s).ok())
}

/// Update-cadence compliance: of the updates that were due (cycles that ended met or
/// breached, and running cycles already breached), the share posted on time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Compliance {
    pub required: u32,
    pub on_time: u32,
    pub late: u32,
}

impl Compliance {
    pub fn of(cycles: &[CycleRecord]) -> Compliance {
        let mut c = Compliance::default();
        for cycle in cycles {
            let counted = cycle.breached || cycle.state == CycleState::Met;
            if counted {
                c.required += 1;
                if cycle.breached {
                    c.late += 1;
                } else {
                    c.on_time += 1;
                }
            }
        }
        c
    }

    pub fn add(&mut self, other: Compliance) {
        self.required += other.required;
        self.on_time += other.on_time;
        self.late += other.late;
    }

    /// On-time share in percent; `None` when nothing was due.
    pub fn percent(&self) -> Option<f64> {
        (self.required > 0).then(|| f64::from(self.on_time) * 100.0 / f64::from(self.required))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::incidents::{CustomerUpdate, Incident, IncidentDraft};

    const T0: i64 = 1_767_225_600;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(T0 + minutes * 60).expect("instant")
    }

    /// A small incident log: entries applied through the domain's planners, as the app does.
    struct Log {
        incident: Incident,
        entries: Vec<TimelineEntry>,
    }

    impl Log {
        fn declare(severity: &str) -> Log {
            let draft = IncidentDraft {
                title: "API errors".into(),
                severity: severity.into(),
                incident_commander_id: Some(UserId::new()),
                ..IncidentDraft::default()
            };
            let (incident, kinds) = draft.declare(IncidentId::new(), 1, None, at(0)).expect("valid");
            let mut log = Log { incident, entries: Vec::new() };
            log.push(0, kinds);
            log
        }

        fn push(&mut self, minutes: i64, kinds: Vec<TimelineKind>) {
            for kind in kinds {
                if minutes > 0 {
                    self.incident.apply(at(minutes), &kind);
                }
                let seq = self.entries.len() as i64 + 1;
                self.entries.push(TimelineEntry {
                    incident_id: self.incident.id,
                    seq,
                    at: at(minutes),
                    actor_id: None,
                    kind,
                });
            }
        }

        fn update(&mut self, minutes: i64, public: bool, next_in: Option<i64>) {
            let update = CustomerUpdate {
                visibility: if public { Visibility::Public } else { Visibility::Internal },
                what_we_know: "k".into(),
                what_we_dont_know: String::new(),
                what_we_are_doing: "d".into(),
                next_update_at: next_in.map(|n| at(minutes + n)),
            };
            let kinds = self.incident.plan_update(update, at(minutes)).expect("update");
            self.push(minutes, kinds);
        }

        fn status(&mut self, minutes: i64, to: IncidentStatus) {
            let kinds = self.incident.plan_status_change(to, at(minutes)).expect("move");
            self.push(minutes, kinds);
        }

        fn severity(&mut self, minutes: i64, to: Severity) {
            let kinds = self.incident.plan_severity_change(to, at(minutes)).expect("severity");
            self.push(minutes, kinds);
        }

        /// (target minutes, start, end or due, breached) per cycle, in minutes from T0.
        fn cycles(&self, now: i64) -> Vec<(i64, i64, Option<i64>, CycleState, bool)> {
            let sla = evaluate_cadence(&self.entries, &CadenceSettings::default(), T0 + now * 60);
            let m = |s: i64| (s - T0) / 60;
            sla.cycles
                .iter()
                .map(|c| {
                    (c.target_seconds / 60, m(c.started_at), c.stopped_at.or(c.due_at).map(m), c.state, c.breached)
                })
                .collect()
        }
    }

    use CycleState::{Breached, Cancelled, Met, Running};

    #[test]
    fn the_first_update_then_the_cadence_then_a_sooner_promise() {
        let mut log = Log::declare("P1");
        log.update(20, true, None); // on time: first update within 30 min
        log.update(50, false, None); // internal: no effect
        log.update(70, true, Some(15)); // promises the next in 15 min, sooner than 60
        log.update(90, true, None); // 20 min later: the promise was broken
        assert_eq!(
            log.cycles(100),
            [
                (30, 0, Some(20), Met, false),
                (60, 20, Some(70), Met, false),
                (15, 70, Some(90), Breached, true),
                (60, 90, Some(150), Running, false),
            ]
        );
        let sla = evaluate_cadence(&log.entries, &CadenceSettings::default(), T0 + 100 * 60);
        assert_eq!(Compliance::of(&sla.cycles), Compliance { required: 3, on_time: 2, late: 1 });
        // The next change: the 80 % warning of the running cycle (48 min into 60).
        assert_eq!(sla.next_change_at, Some(T0 + (90 + 48) * 60));
    }

    #[test]
    fn an_update_in_the_second_of_the_declaration_is_the_first_update() {
        let mut log = Log::declare("P1");
        log.update(0, true, None);
        let cycles = log.cycles(10);
        assert_eq!((cycles[0].0, cycles[0].3, cycles[0].4), (30, Met, false), "{cycles:?}");
        assert_eq!((cycles[1].0, cycles[1].3), (60, Running));
    }

    #[test]
    fn r_i3_raising_to_p0_forty_minutes_after_the_last_update_breaches_at_once() {
        let mut log = Log::declare("P2");
        log.update(10, true, None);
        log.severity(50, Severity::P0);
        let cycles = log.cycles(55);
        assert_eq!(cycles[1].0, 30, "re-targeted to the P0 cadence");
        assert_eq!((cycles[1].3, cycles[1].4), (Running, true));
        let sla = evaluate_cadence(&log.entries, &CadenceSettings::default(), T0 + 55 * 60);
        assert_eq!(sla.cycles[1].breached_at, Some(T0 + 50 * 60), "breached at the change (R-T3)");
    }

    #[test]
    fn resolution_cancels_a_reopen_restarts_and_p3_needs_nothing() {
        let mut log = Log::declare("P0");
        log.update(10, true, None);
        log.status(20, IncidentStatus::Resolved);
        log.status(60, IncidentStatus::Investigating);
        assert_eq!(
            log.cycles(70),
            [(15, 0, Some(10), Met, false), (30, 10, Some(20), Cancelled, false), (30, 60, Some(90), Running, false)]
        );
        let mut low = Log::declare("P3");
        low.update(10, true, None);
        assert!(low.cycles(500).is_empty());
        let mut lowered = Log::declare("P1");
        lowered.severity(5, Severity::P3);
        assert_eq!(lowered.cycles(100), [(30, 0, Some(5), Cancelled, false)], "no requirement from P3 on");
    }

    #[test]
    fn a_late_first_update_is_a_breach_and_settings_are_validated() {
        let mut log = Log::declare("P0");
        log.update(25, true, None);
        assert_eq!(log.cycles(30)[0], (15, 0, Some(25), Breached, true));
        let mut bad = CadenceSettings::default();
        bad.cadence_minutes[1] = Some(0);
        bad.warn_percent = vec![120];
        let errors = bad.validate().expect_err("invalid");
        assert!(errors.get("cadence_minutes[1]").is_some() && errors.get("warn_percent[0]").is_some());
    }
}
