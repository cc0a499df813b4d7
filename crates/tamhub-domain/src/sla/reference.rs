//! P5 (SLA-SPEC 1.10): an independent brute-force reference for the SLA engine.
//!
//! Written from SLA-SPEC section 1 (R-C*, R-K*, R-M*, R-S*, R-T*, R-W*, rulings A1-A15) and
//! section 3 only; it reads the public input and output types of the engine and nothing of
//! its implementation. It trades speed for obviousness:
//!
//! - Business time B is materialised literally from R-K2: for every local date, the date's
//!   intervals (holiday, exception or weekly), each end resolved with jiff's `compatible`
//!   disambiguation (R-K3), `e = 1440` mapped to the next date's 00:00, intervals with
//!   end <= start dropped, and the union taken.
//! - The ticket is replayed instant by instant with the three passes of A2, which decides
//!   which cycles exist and their open periods `[from, to)` (with the frozen target of A3 at
//!   each end). Which cycles exist never depends on elapsed time, so the replay is separate
//!   from the clock.
//! - Each cycle's clock is then walked minute by minute from its start. Scenarios put every
//!   event and every calendar boundary on a whole UTC minute (asserted), so the running
//!   predicate, B and target(t) are constant over each minute and elapsed(t) is linear in it;
//!   every threshold (R-S3 deadline, R-W2 / A5 warnings) is then found by checking each
//!   second of a minute in which it becomes true.
//!
//! `paused_seconds_calendar` is not computed: section 1.9 names it without defining it and
//! A15 makes it optional, so the comparison skips it (the reference reports 0).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::Instant;
use super::calendar::CalendarSpec;
use super::engine::{CycleRecord, CycleState, Warning, WarningKind};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Reopen, Status, Target};

pub(super) const DAY: i64 = 86_400;
/// R-K9 / A13: 366 days without business time is an error.
const NO_BUSINESS_LIMIT: i64 = 366 * DAY;
/// Forward deadline searches longer than this are not worth a brute force (the generators
/// avoid them); the reference then gives up on the scenario.
const GIVE_UP: i64 = 800 * DAY;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ALWAYS_OPEN: &str = "24x7";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum RefError {
    /// R-K9 / A13, naming the calendar; `after_deadline` when the only use of that calendar
    /// without business time comes after the cycle's deadline (a diagnostic for the report).
    NoBusinessTime { calendar: String, after_deadline: bool },
    /// The scenario needs a search the brute force does not do; not a verdict.
    GaveUp,
}

// ---------------------------------------------------------------------------------------------
// Calendars (R-K1 ... R-K5)
// ---------------------------------------------------------------------------------------------

/// Business time of one calendar, materialised over `[from, to)` (UTC seconds).
pub(super) struct RefCalendar {
    tz: TimeZone,
    weekly: [Vec<(i64, i64)>; 7],
    holidays: BTreeSet<Date>,
    exceptions: BTreeMap<Date, Vec<(i64, i64)>>,
    from: Instant,
    to: Instant,
    /// Sorted, disjoint and non-touching intervals: B ∩ [from, to) is exactly their union
    /// intersected with [from, to).
    spans: Vec<(Instant, Instant)>,
}

fn spans_of(raw: &[Vec<i64>]) -> Vec<(i64, i64)> {
    raw.iter().map(|s| (s[0], s[1])).collect()
}

fn local_date(tz: &TimeZone, t: Instant) -> Date {
    Timestamp::from_second(t).unwrap().to_zoned(tz.clone()).date()
}

/// R-K3: compatible disambiguation (gap: the offset before the transition; fold: earlier).
fn resolve(tz: &TimeZone, date: Date, minute: i64) -> Instant {
    let (date, minute) = if minute == 1440 { (date.tomorrow().unwrap(), 0) } else { (date, minute) };
    let local = date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    tz.to_ambiguous_timestamp(local).compatible().unwrap().as_second()
}

impl RefCalendar {
    pub(super) fn new(spec: &CalendarSpec, from: Instant, to: Instant) -> RefCalendar {
        let tz = TimeZone::get(&spec.tz).unwrap();
        let mut weekly: [Vec<(i64, i64)>; 7] = Default::default();
        for (i, day) in WEEKDAYS.iter().enumerate() {
            weekly[i] = spec.weekly.get(*day).map(|raw| spans_of(raw)).unwrap_or_default();
        }
        let holidays = spec.holidays.iter().map(|d| d.parse::<Date>().unwrap()).collect();
        let exceptions = spec.exceptions.iter().map(|(d, raw)| (d.parse::<Date>().unwrap(), spans_of(raw))).collect();
        let mut calendar = RefCalendar { tz, weekly, holidays, exceptions, from, to: from, spans: Vec::new() };
        calendar.materialise(from, to);
        calendar
    }

    /// R-K2: the intervals of local date `date`, as UTC instants.
    fn date_intervals(&self, date: Date) -> Vec<(Instant, Instant)> {
        let local: &[(i64, i64)] = if self.holidays.contains(&date) {
            &[]
        } else if let Some(spans) = self.exceptions.get(&date) {
            spans
        } else {
            &self.weekly[date.weekday().to_monday_zero_offset() as usize]
        };
        local
            .iter()
            .map(|&(s, e)| (resolve(&self.tz, date, s), resolve(&self.tz, date, e)))
            .filter(|(start, end)| end > start)
            .collect()
    }

    fn materialise(&mut self, from: Instant, to: Instant) {
        // Every date's intervals lie within a day or so of its local midnight; two dates of
        // margin on each side cover [from, to) whatever the offsets.
        let first = local_date(&self.tz, from).checked_sub(jiff::Span::new().days(2)).unwrap();
        let last = local_date(&self.tz, to).checked_add(jiff::Span::new().days(2)).unwrap();
        let mut all = Vec::new();
        let mut date = first;
        while date <= last {
            all.extend(self.date_intervals(date));
            date = date.tomorrow().unwrap();
        }
        all.sort();
        let mut merged: Vec<(Instant, Instant)> = Vec::new();
        for (s, e) in all {
            assert!(s % 60 == 0 && e % 60 == 0, "calendar boundary off the minute grid: {s} {e}");
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.from = from;
        self.to = to;
        self.spans = merged;
    }

    /// Makes sure membership is known up to `until`.
    fn ensure(&mut self, until: Instant) {
        if until > self.to {
            let to = until.max(self.to + 60 * DAY);
            self.materialise(self.from, to);
        }
    }

    pub(super) fn contains(&self, t: Instant) -> bool {
        assert!(self.from <= t && t < self.to, "{t} outside the materialised [{}, {})", self.from, self.to);
        let i = self.spans.partition_point(|&(_, e)| e <= t);
        i < self.spans.len() && self.spans[i].0 <= t
    }

    /// Whether B meets `[a, a + NO_BUSINESS_LIMIT)` (R-K9).
    fn has_business_time_from(&mut self, a: Instant) -> bool {
        self.ensure(a + NO_BUSINESS_LIMIT);
        let i = self.spans.partition_point(|&(_, e)| e <= a);
        i < self.spans.len() && self.spans[i].0 < a + NO_BUSINESS_LIMIT
    }

    /// R-K6, second by second (for the golden cases).
    pub(super) fn between(&mut self, a: Instant, b: Instant) -> i64 {
        self.ensure(b);
        (a..b).filter(|&s| self.contains(s)).count() as i64
    }
}

// ---------------------------------------------------------------------------------------------
// Replay: which cycles exist (A2 three passes)
// ---------------------------------------------------------------------------------------------

/// The ticket after all events of one instant (A3).
#[derive(Clone, Debug)]
struct Moment {
    at: Instant,
    status: Status,
    priority: String,
    targets: BTreeMap<(Metric, String), Target>,
    /// `targets[(metric, priority)]` per metric (indexed by `Metric as usize`).
    current: [Option<Target>; 7],
}

impl Moment {
    fn refresh(&mut self) {
        for (m, _) in Metric::ALL {
            self.current[m as usize] = self.targets.get(&(m, self.priority.clone())).cloned();
        }
    }

    fn target(&self, m: Metric) -> Option<(String, Target)> {
        self.current[m as usize].clone().map(|t| (self.priority.clone(), t))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Stopped by its stop event (met or breached is decided by the clock).
    Stopped,
    Cancelled,
}

#[derive(Clone, Debug)]
struct Period {
    from: Instant,
    to: Option<Instant>,
    end: Option<End>,
    /// A3 / R-T4: the target kept after `to` (priority, target).
    frozen: Option<(String, Target)>,
}

#[derive(Clone, Debug)]
struct RefCycle {
    metric: Metric,
    no: u32,
    periods: Vec<Period>,
}

impl RefCycle {
    fn is_open(&self) -> bool {
        self.periods.last().unwrap().to.is_none()
    }

    fn start(&self) -> Instant {
        self.periods[0].from
    }

    /// The period open at `t`, else the last period ended at or before `t`.
    fn period_at(&self, t: Instant) -> (bool, &Period) {
        let mut last = &self.periods[0];
        for p in &self.periods {
            if p.from <= t && p.to.is_none_or(|b| t < b) {
                return (true, p);
            }
            if p.to.is_some_and(|b| b <= t) {
                last = p;
            }
        }
        (false, last)
    }
}

/// R-M1 ... R-M7 default pause sets, from the spec (not from `Metric`).
fn pause_set(policy: &Policy, m: Metric) -> Vec<Status> {
    if let Some(set) = policy.pause_sets.get(&m) {
        return set.clone();
    }
    match m {
        Metric::FirstResponse | Metric::NextResponse => vec![Status::Solved, Status::Closed],
        Metric::PeriodicUpdate => vec![],
        Metric::PausableUpdate | Metric::RequesterWait | Metric::Resolution => vec![Status::Pending],
        Metric::AgentWork => vec![Status::Pending, Status::OnHold],
    }
}

/// R-M5, R-M6, R-M7 / A11: one instance that resumes on reopen.
fn resumes(policy: &Policy, m: Metric) -> bool {
    match m {
        Metric::RequesterWait | Metric::AgentWork => policy.reopen.get(&m) != Some(&Reopen::NewCycle),
        Metric::Resolution => policy.reopen.get(&m) == Some(&Reopen::Resume),
        _ => false,
    }
}

const SOLVE_STOPPED: [Metric; 3] = [Metric::RequesterWait, Metric::AgentWork, Metric::Resolution];
const CHAINS: [Metric; 2] = [Metric::PeriodicUpdate, Metric::PausableUpdate];

fn is_agent_reply(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Comment { author: Author::Agent, public: true })
}

fn is_customer_message(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Comment { author: Author::Customer, .. })
}

struct Replay<'a> {
    policy: &'a Policy,
    cycles: Vec<RefCycle>,
    /// The FRT start (R-M1 / A8), known from the whole history up to now.
    frt_start: Option<Instant>,
    /// Whether FRT opens at the first customer message (deferral that did not fail).
    frt_deferred: bool,
    /// First agent reply strictly after `frt_start` (A7: "first_response has stopped").
    frt_stop: Option<Instant>,
    frt_tried: bool,
    frt_cancelled: bool,
}

impl Replay<'_> {
    fn open_index(&self, m: Metric) -> Option<usize> {
        self.cycles.iter().position(|c| c.metric == m && c.is_open())
    }

    /// Opens a cycle of `m` at `t` if a target exists after the instant and none is open (A6).
    fn open(&mut self, m: Metric, t: Instant, post: &Moment) {
        if post.current[m as usize].is_none() || self.open_index(m).is_some() {
            return;
        }
        let no = self.cycles.iter().filter(|c| c.metric == m).count() as u32 + 1;
        self.cycles.push(RefCycle {
            metric: m,
            no,
            periods: vec![Period { from: t, to: None, end: None, frozen: None }],
        });
    }

    /// Ends the open cycle of `m` at `t`; returns its index.
    fn end(&mut self, m: Metric, t: Instant, end: End) -> Option<usize> {
        let i = self.open_index(m)?;
        let p = self.cycles[i].periods.last_mut().unwrap();
        p.to = Some(t);
        p.end = Some(end);
        if m == Metric::FirstResponse && end == End::Cancelled {
            self.frt_cancelled = true;
        }
        Some(i)
    }

    fn instant(&mut self, t: Instant, events: &[&Event], pre: &Moment) -> Moment {
        // Pass 1: stop-type effects on cycles opened before t, in input order.
        let mut ended_pass1 = Vec::new();
        let mut status = pre.status;
        for e in events {
            match &e.kind {
                k if is_agent_reply(k) => {
                    for m in
                        [Metric::FirstResponse, Metric::NextResponse, Metric::PeriodicUpdate, Metric::PausableUpdate]
                    {
                        ended_pass1.extend(self.end(m, t, End::Stopped));
                    }
                }
                EventKind::Status { to } if status != Status::Closed => {
                    if *to == Status::Solved && status != Status::Solved {
                        for m in SOLVE_STOPPED {
                            ended_pass1.extend(self.end(m, t, End::Stopped));
                        }
                        for m in CHAINS {
                            ended_pass1.extend(self.end(m, t, End::Cancelled));
                        }
                    }
                    if *to == Status::Closed {
                        for (m, _) in Metric::ALL {
                            ended_pass1.extend(self.end(m, t, End::Cancelled));
                        }
                    }
                    status = *to;
                }
                _ => {}
            }
        }

        // The state after the instant (A3, R-T1).
        let mut post = pre.clone();
        post.at = t;
        for e in events {
            match &e.kind {
                EventKind::Created { priority, .. } => {
                    post.status = Status::New;
                    post.priority = priority.clone();
                }
                EventKind::Status { to } if post.status != Status::Closed => post.status = *to,
                EventKind::Priority { to } => post.priority = to.clone(),
                EventKind::Target { metric, priority, seconds } => {
                    post.targets
                        .get_mut(&(*metric, priority.clone()))
                        .expect("A12: target event without a policy target")
                        .seconds = *seconds;
                }
                _ => {}
            }
        }
        post.refresh();
        // A3: a cycle stopped at t keeps the post-instant target, else the last one before t.
        for i in ended_pass1 {
            let m = self.cycles[i].metric;
            let frozen = post.target(m).or_else(|| pre.target(m));
            self.cycles[i].periods.last_mut().unwrap().frozen = frozen;
        }

        // Pass 2: R-T5 cancellations, judged on the state after the instant.
        for (m, _) in Metric::ALL {
            if post.current[m as usize].is_none()
                && let Some(i) = self.end(m, t, End::Cancelled)
            {
                self.cycles[i].periods.last_mut().unwrap().frozen = pre.target(m);
            }
        }

        // Pass 3: start-type effects, in input order, judged on the state after the instant.
        let mut status = pre.status;
        let mut first_customer_message_seen = false;
        for e in events {
            match &e.kind {
                EventKind::Created { .. } => {
                    if !self.frt_deferred && self.frt_start == Some(t) && !self.frt_tried {
                        self.frt_tried = true;
                        self.open(Metric::FirstResponse, t, &post);
                    }
                    // Judged on the state after the instant (A2): like A9's replies, cycle 1 of
                    // a chain does not open if the ticket is solved or closed at creation.
                    if !matches!(post.status, Status::Solved | Status::Closed) {
                        for m in CHAINS {
                            self.open(m, t, &post);
                        }
                    }
                    for m in SOLVE_STOPPED {
                        self.open(m, t, &post);
                    }
                }
                k if is_customer_message(k) => {
                    // A8: a deferred FRT starts at the first customer message.
                    // Not on a ticket closed after the instant: closed is final (R-M5), and no
                    // start event opens anything on a closed ticket (A7, A9, A11).
                    if self.frt_deferred && self.frt_start == Some(t) && !self.frt_tried && !first_customer_message_seen
                    {
                        self.frt_tried = true;
                        if post.status != Status::Closed {
                            self.open(Metric::FirstResponse, t, &post);
                        }
                    }
                    first_customer_message_seen = true;
                    // A7.
                    let frt_done = self.frt_stop.is_some_and(|s| s <= t) || self.frt_cancelled;
                    if frt_done && post.status != Status::Closed {
                        self.open(Metric::NextResponse, t, &post);
                    }
                }
                // A9: a reply opens the next cycle unless solved or closed after the instant.
                k if is_agent_reply(k) && !matches!(post.status, Status::Solved | Status::Closed) => {
                    for m in CHAINS {
                        self.open(m, t, &post);
                    }
                }
                EventKind::Status { to } if status != Status::Closed => {
                    if status == Status::Solved && !matches!(to, Status::Solved | Status::Closed) {
                        self.reopen(t, &post);
                    }
                    status = *to;
                }
                _ => {}
            }
        }
        post
    }

    /// Reopen (solved -> non-terminal): R-M3, R-M7, A9, A11.
    /// Only a same-instant sequence such as solved -> open -> closed makes the conditions on
    /// the state after the instant matter: nothing opens or resumes on a ticket solved or
    /// closed after the instant (closed is final, R-M5).
    fn reopen(&mut self, t: Instant, post: &Moment) {
        // A9: not solved or closed after the instant.
        if !matches!(post.status, Status::Solved | Status::Closed) {
            for m in CHAINS {
                self.open(m, t, post);
            }
        }
        for m in SOLVE_STOPPED {
            if resumes(self.policy, m) {
                // A11: the one instance resumes if it ended met/breached (not cancelled), a
                // target exists and the ticket is not solved after the instant, nor closed:
                // closed is final (R-M5).
                if let Some(c) = self.cycles.iter_mut().find(|c| c.metric == m)
                    && !c.is_open()
                    && c.periods.last().unwrap().end == Some(End::Stopped)
                    && post.current[m as usize].is_some()
                    && !matches!(post.status, Status::Solved | Status::Closed)
                {
                    c.periods.push(Period { from: t, to: None, end: None, frozen: None });
                }
            } else {
                // R-M7 new_cycle: a new cycle at the reopen instant (A6: if a target exists),
                // judged on the state after the instant like A9: not if solved or closed again.
                if !matches!(post.status, Status::Solved | Status::Closed) {
                    self.open(m, t, post);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Clock: elapsed, deadline, warnings (R-S1 ... R-S5, R-W2, A4, A5)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Threshold {
    Due,
    Percent(i64),
    Remaining(i64),
}

impl Threshold {
    fn reached(self, elapsed: i64, target: i64) -> bool {
        match self {
            Threshold::Due => elapsed >= target,
            Threshold::Percent(p) => 100 * elapsed >= p * target,
            Threshold::Remaining(r) => target - elapsed <= r,
        }
    }
}

struct Clock<'a> {
    policy: &'a Policy,
    moments: &'a [Moment],
    now: Instant,
}

impl Clock<'_> {
    fn moment_at(&self, t: Instant) -> &Moment {
        let i = self.moments.partition_point(|m| m.at <= t);
        &self.moments[i - 1]
    }

    /// target(t) of R-S2 for cycle `c`, with A3 / A11 freezing outside open periods.
    fn target_at(&self, c: &RefCycle, t: Instant) -> (bool, String, Target) {
        let (open, period) = c.period_at(t);
        if open {
            let (p, target) = self.moment_at(t).target(c.metric).expect("R-T5: an open cycle has a target");
            (true, p, target)
        } else {
            let (p, target) = period.frozen.clone().expect("an ended period has a frozen target");
            (false, p, target)
        }
    }

    fn in_business(calendars: &BTreeMap<String, RefCalendar>, target: &Target, t: Instant) -> bool {
        target.hours == Hours::Calendar
            || target.calendar_id == ALWAYS_OPEN
            || calendars[&target.calendar_id].contains(t)
    }

    fn uses_business_calendar(target: &Target) -> bool {
        target.hours == Hours::Business && target.calendar_id != ALWAYS_OPEN
    }

    fn record(&self, c: &RefCycle, calendars: &mut BTreeMap<String, RefCalendar>) -> Result<CycleRecord, RefError> {
        let pause = pause_set(self.policy, c.metric);
        let open_now = c.is_open();
        let last = c.periods.last().unwrap();
        // The instant the record describes: now for an open cycle, its last end otherwise.
        let report = last.to.unwrap_or(self.now);
        let mut thresholds = vec![Threshold::Due];
        thresholds.extend(self.policy.warn_percent.iter().map(|&p| Threshold::Percent(p)));
        thresholds.extend(self.policy.warn_remaining_seconds.iter().map(|&r| Threshold::Remaining(r)));
        let mut hits: Vec<Option<Instant>> = vec![None; thresholds.len()];
        let mut first_use: BTreeMap<String, Instant> = BTreeMap::new();

        // Walk minute by minute; `elapsed` is elapsed(m) at the minute start m.
        let mut elapsed = 0;
        let mut m = c.start();
        let elapsed_at_report = loop {
            assert!(m % 60 == 0);
            let (open, _, target) = self.target_at(c, m);
            let running = open && !pause.contains(&self.moment_at(m).status);
            // A13: a cycle uses the calendar of its target in force while it is open, running or
            // paused (R-K9: the target "is evaluated against it"), from the instant that target
            // comes into force, `now` included for a cycle open at `now`.
            if open && (m < report || (open_now && m == report)) && Self::uses_business_calendar(&target) {
                first_use.entry(target.calendar_id.clone()).or_insert(m);
            }
            let accrues = i64::from(running && Self::in_business(calendars, &target, m));
            let last_k = (report - m).min(59);
            for (i, th) in thresholds.iter().enumerate() {
                if hits[i].is_none() && th.reached(elapsed + last_k * accrues, target.seconds) {
                    let k = (0..=last_k).find(|k| th.reached(elapsed + k * accrues, target.seconds)).unwrap();
                    hits[i] = Some(m + k);
                }
            }
            if report - m < 60 {
                break elapsed + (report - m) * accrues;
            }
            elapsed += 60 * accrues;
            m += 60;
        };

        // A13 (first half): a business calendar used by the cycle must have business time in
        // the 366 days from the first instant the cycle uses it.
        for (id, from) in &first_use {
            if !calendars.get_mut(id).unwrap().has_business_time_from(*from) {
                let after_deadline = hits[0].is_some_and(|due| due <= *from);
                return Err(RefError::NoBusinessTime { calendar: id.clone(), after_deadline });
            }
        }

        let (_, priority, target) = self.target_at(c, report);
        let paused_now = open_now && pause.contains(&self.moment_at(self.now).status);
        // R-S3 beyond now for a running cycle: nothing changes after now but time.
        if open_now && !paused_now && hits[0].is_none() {
            hits[0] = Some(self.forward_deadline(calendars, &target, elapsed_at_report)?);
        }
        let raw_due = hits[0];
        let stop_or_now = last.to.unwrap_or(self.now);
        // R-S4 / A14: strict.
        let breached = raw_due.is_some_and(|d| stop_or_now > d);
        // A4: null while paused (display), otherwise the infimum.
        let due_at = if paused_now { None } else { raw_due };
        let state = match (open_now, last.end) {
            (true, _) if paused_now => CycleState::Paused,
            (true, _) => CycleState::Running,
            (false, Some(End::Cancelled)) => CycleState::Cancelled,
            _ if breached => CycleState::Breached,
            _ => CycleState::Met,
        };
        // A5: listed iff reached by now inside an open period.
        let mut warnings: Vec<Warning> = thresholds
            .iter()
            .zip(&hits)
            .filter_map(|(th, hit)| {
                let at = (*hit)?;
                let listed = at <= self.now && c.period_at(at).0;
                match *th {
                    Threshold::Percent(p) if listed => Some(Warning { kind: WarningKind::Percent, threshold: p, at }),
                    Threshold::Remaining(r) if listed => {
                        Some(Warning { kind: WarningKind::Remaining, threshold: r, at })
                    }
                    _ => None,
                }
            })
            .collect();
        sort_warnings(&mut warnings);
        Ok(CycleRecord {
            metric: c.metric,
            cycle_no: c.no,
            policy_id: None,
            priority,
            target_seconds: target.seconds,
            hours: target.hours,
            calendar_id: target.calendar_id.clone(),
            started_at: c.start(),
            stopped_at: last.to,
            state,
            breached,
            breached_at: if breached { raw_due } else { None },
            due_at,
            elapsed_seconds: elapsed_at_report,
            remaining_business_seconds: target.seconds - elapsed_at_report,
            remaining_calendar_seconds: due_at.map(|d| d - self.now),
            paused_seconds_calendar: 0,
            warnings,
        })
    }

    /// R-S3 / R-K7 after now for a running cycle: the first instant with elapsed >= target.
    fn forward_deadline(
        &self,
        calendars: &mut BTreeMap<String, RefCalendar>,
        target: &Target,
        mut elapsed: i64,
    ) -> Result<Instant, RefError> {
        let mut t = self.now;
        let mut last_business = self.now;
        loop {
            let minute = t.div_euclid(60) * 60;
            if Self::uses_business_calendar(target) {
                calendars.get_mut(&target.calendar_id).unwrap().ensure(minute + 60);
            }
            let accrues = Self::in_business(calendars, target, minute);
            let step = minute + 60 - t;
            if accrues {
                if elapsed + step >= target.seconds {
                    return Ok(t + (target.seconds - elapsed));
                }
                elapsed += step;
                last_business = minute + 60;
            } else if minute + 60 - last_business >= NO_BUSINESS_LIMIT {
                // A13 (second half): the search met 366 days without business time.
                return Err(RefError::NoBusinessTime { calendar: target.calendar_id.clone(), after_deadline: false });
            }
            t = minute + 60;
            if t - self.now > GIVE_UP {
                return Err(RefError::GaveUp);
            }
        }
    }
}

/// A5 listing order: at, then percent ascending, then remaining descending.
pub(super) fn sort_warnings(warnings: &mut [Warning]) {
    warnings.sort_by_key(|w| (w.at, w.kind, if w.kind == WarningKind::Percent { w.threshold } else { -w.threshold }));
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/// `sla(events, policy, calendars, now)` (R-C3) by brute force. Every event instant must be
/// on a whole minute; `now` may be anywhere.
pub(super) fn reference(
    events: &[Event],
    policy: &Policy,
    calendars: &[CalendarSpec],
    now: Instant,
) -> Result<Vec<CycleRecord>, RefError> {
    // A1 and R-C4: what has happened by now, by (at, input order).
    let mut happened: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
    happened.sort_by_key(|e| e.at);
    let Some(created_index) = happened.iter().position(|e| matches!(e.kind, EventKind::Created { .. })) else {
        return Ok(Vec::new());
    };
    let happened = &happened[created_index..];
    let created = happened[0];
    let EventKind::Created { priority, by, public } = &created.kind else { unreachable!() };
    for e in happened {
        assert!(e.at % 60 == 0, "the reference needs events on whole minutes");
    }

    // R-M1 / A8: where first_response starts, from the history up to now.
    let first_customer = happened.iter().find(|e| is_customer_message(&e.kind)).map(|e| e.at);
    let first_reply = happened.iter().find(|e| is_agent_reply(&e.kind)).map(|e| e.at);
    let deferral = policy.start_at_first_customer_message && *by == Author::Agent && !*public;
    let deferral_failed = deferral && first_reply.is_some_and(|r| first_customer.is_none_or(|m| r < m));
    let (frt_start, frt_deferred) =
        if !deferral || deferral_failed { (Some(created.at), false) } else { (first_customer, true) };
    let frt_stop = frt_start.and_then(|s| happened.iter().find(|e| is_agent_reply(&e.kind) && e.at > s).map(|e| e.at));

    let mut replay = Replay {
        policy,
        cycles: Vec::new(),
        frt_start,
        frt_deferred,
        frt_stop,
        frt_tried: false,
        frt_cancelled: false,
    };
    let mut moment = Moment {
        at: created.at,
        status: Status::New,
        priority: priority.clone(),
        targets: policy.targets.clone(),
        current: Default::default(),
    };
    moment.refresh();
    let mut moments = Vec::new();
    let mut i = 0;
    while i < happened.len() {
        let t = happened[i].at;
        let j = i + happened[i..].iter().take_while(|e| e.at == t).count();
        moment = replay.instant(t, &happened[i..j], &moment);
        moments.push(moment.clone());
        i = j;
    }

    let mut refcals: BTreeMap<String, RefCalendar> = calendars
        .iter()
        .filter(|spec| spec.id != ALWAYS_OPEN)
        .map(|spec| (spec.id.clone(), RefCalendar::new(spec, created.at - 2 * DAY, now.max(created.at) + 30 * DAY)))
        .collect();
    let clock = Clock { policy, moments: &moments, now };
    let mut cycles = replay.cycles;
    cycles.sort_by_key(|c| (c.metric, c.no));
    let records: Vec<_> = cycles.iter().map(|c| clock.record(c, &mut refcals)).collect();
    // Report the most telling error: one not confined to time after a deadline.
    let mut errors: Vec<RefError> = records.iter().filter_map(|r| r.clone().err()).collect();
    errors.sort_by_key(|e| !matches!(e, RefError::NoBusinessTime { after_deadline: false, .. }));
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(records.into_iter().map(Result::unwrap).collect()),
    }
}

// ---------------------------------------------------------------------------------------------
// Golden cases 1.10 against the reference itself
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod golden_cases {
    use std::collections::BTreeMap;

    use super::*;

    fn at(text: &str) -> Instant {
        text.parse::<Timestamp>().unwrap().as_second()
    }

    fn hm(text: &str) -> Instant {
        at(&format!("2024-01-01T{text}:00Z"))
    }

    const H: i64 = 3600;

    fn calendar(id: &str, tz: &str, days: &[&str], span: [i64; 2]) -> CalendarSpec {
        CalendarSpec {
            id: id.into(),
            tz: tz.into(),
            weekly: days.iter().map(|d| (d.to_string(), vec![span.to_vec()])).collect(),
            holidays: vec![],
            exceptions: BTreeMap::new(),
        }
    }

    fn ny() -> CalendarSpec {
        calendar("ny", "America/New_York", &["mon", "tue", "wed", "thu", "fri"], [540, 1020])
    }

    fn policy(targets: &[(Metric, &str, i64, &str)]) -> Policy {
        Policy {
            id: "p".into(),
            targets: targets
                .iter()
                .map(|&(m, p, seconds, cal)| {
                    ((m, p.to_string()), Target { seconds, hours: Hours::Business, calendar_id: cal.into() })
                })
                .collect(),
            warn_percent: vec![50, 75, 90],
            warn_remaining_seconds: vec![900],
            pause_sets: BTreeMap::new(),
            reopen: BTreeMap::new(),
            start_at_first_customer_message: true,
        }
    }

    fn created(at: Instant, priority: &str, by: Author, public: bool) -> Event {
        Event { at, kind: EventKind::Created { priority: priority.into(), by, public } }
    }

    fn customer(at: Instant) -> Event {
        Event { at, kind: EventKind::Comment { author: Author::Customer, public: true } }
    }

    fn reply(at: Instant) -> Event {
        Event { at, kind: EventKind::Comment { author: Author::Agent, public: true } }
    }

    fn status(at: Instant, to: Status) -> Event {
        Event { at, kind: EventKind::Status { to } }
    }

    fn one(records: &[CycleRecord], m: Metric, no: u32) -> CycleRecord {
        records.iter().find(|r| r.metric == m && r.cycle_no == no).unwrap().clone()
    }

    /// A resolution cycle opened at `start` on `calendar` with `target` seconds, seen at `now`.
    fn resolution(calendar: CalendarSpec, start: Instant, target: i64, more: Vec<Event>, now: Instant) -> CycleRecord {
        let policy = policy(&[(Metric::Resolution, "high", target, &calendar.id)]);
        let mut events = vec![created(start, "high", Author::Customer, true)];
        events.extend(more);
        let records = reference(&events, &policy, &[calendar], now).unwrap();
        one(&records, Metric::Resolution, 1)
    }

    const G1_START: &str = "2024-03-08T15:00:00-05:00";

    #[test]
    fn g1_weekend_with_dst_start() {
        let r = resolution(ny(), at(G1_START), 4 * H, vec![], at(G1_START));
        assert_eq!(r.due_at, Some(at("2024-03-11T11:00:00-04:00")));
    }

    #[test]
    fn g2_deadline_at_closing_time() {
        let r = resolution(ny(), at(G1_START), 2 * H, vec![], at(G1_START));
        assert_eq!(r.due_at, Some(at("2024-03-08T17:00:00-05:00")));
    }

    #[test]
    fn g3_fall_back_business_day_is_11_hours() {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let berlin = calendar("berlin", "Europe/Berlin", &days, [120, 720]);
        let mut b = RefCalendar::new(&berlin, at("2025-10-25T00:00:00Z"), at("2025-10-28T00:00:00Z"));
        assert_eq!(b.between(at("2025-10-26T00:00:00+02:00"), at("2025-10-27T00:00:00+01:00")), 11 * H);
        let r = resolution(berlin, at("2025-10-25T20:01:00Z"), 8 * H, vec![], at("2025-10-25T20:01:00Z"));
        assert_eq!(r.due_at, Some(at("2025-10-26T09:00:00+01:00")));
    }

    #[test]
    fn g4_gap_and_fold_days() {
        let spring = calendar("s", "America/New_York", &["sun"], [60, 240]);
        let mut s = RefCalendar::new(&spring, at("2024-03-08T00:00:00Z"), at("2024-03-13T00:00:00Z"));
        assert_eq!(s.between(at("2024-03-10T00:00:00-05:00"), at("2024-03-11T00:00:00-04:00")), 7200);
        let fall = calendar("f", "America/New_York", &["sun"], [0, 180]);
        let mut f = RefCalendar::new(&fall, at("2024-11-01T00:00:00Z"), at("2024-11-06T00:00:00Z"));
        assert_eq!(f.between(at("2024-11-03T00:00:00-04:00"), at("2024-11-04T00:00:00-05:00")), 14400);
    }

    #[test]
    fn g5_holiday_on_the_short_day() {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut spec = calendar("b", "Europe/Berlin", &days, [0, 720]);
        spec.holidays = vec!["2024-03-31".into()];
        let mut b = RefCalendar::new(&spec, at("2024-03-28T00:00:00Z"), at("2024-04-03T00:00:00Z"));
        assert_eq!(b.between(at("2024-03-30T12:00:00+01:00"), at("2024-04-01T12:00:00+02:00")), 43200);
    }

    fn target_change(at: Instant, seconds: i64) -> Event {
        Event { at, kind: EventKind::Target { metric: Metric::Resolution, priority: "high".into(), seconds } }
    }

    #[test]
    fn g6_target_lowered_below_elapsed() {
        let change = at("2024-03-11T09:30:00-04:00");
        let r = resolution(ny(), at(G1_START), 4 * H, vec![target_change(change, H)], at("2024-03-11T12:00:00-04:00"));
        assert_eq!((r.state, r.breached_at, r.elapsed_seconds), (CycleState::Running, Some(change), 5 * H));
    }

    #[test]
    fn g7_breach_instant_never_moves() {
        let change = target_change(at("2024-03-11T09:00:00-04:00"), 8 * H);
        let r = resolution(ny(), at(G1_START), H, vec![change], at("2024-03-11T10:00:00-04:00"));
        assert_eq!(r.breached_at, Some(at("2024-03-08T16:00:00-05:00")));
        assert!(r.breached);
    }

    #[test]
    fn g8_pending_hour_moves_the_deadline() {
        let pause = vec![
            status(at("2024-03-11T10:00:00-04:00"), Status::Pending),
            status(at("2024-03-11T11:00:00-04:00"), Status::Open),
        ];
        let r = resolution(ny(), at(G1_START), 4 * H, pause, at("2024-03-11T11:00:00-04:00"));
        assert_eq!(r.due_at, Some(at("2024-03-11T12:00:00-04:00")));
    }

    #[test]
    fn g9_pause_on_24x7() {
        let always = CalendarSpec { id: "24x7".into(), ..CalendarSpec::default() };
        let pause = vec![status(hm("00:30"), Status::Pending), status(hm("00:40"), Status::Open)];
        let r = resolution(always, hm("00:00"), H, pause, hm("00:40"));
        assert_eq!(r.due_at, Some(hm("01:10")));
    }

    #[test]
    fn g10_start_on_saturday() {
        let start = at("2024-03-09T10:00:00-05:00");
        let r = resolution(ny(), start, 900, vec![], start);
        assert_eq!(r.due_at, Some(at("2024-03-11T09:15:00-04:00")));
    }

    #[test]
    fn g11_whole_days_across_fall_back() {
        let spec = calendar("ny", "America/New_York", &["mon", "tue", "wed", "thu", "fri"], [0, 1440]);
        let start = at("2024-11-01T23:00:00-04:00");
        let r = resolution(spec, start, 2 * H, vec![], start);
        assert_eq!(r.due_at, Some(at("2024-11-04T01:00:00-05:00")));
    }

    #[test]
    fn t1_next_response_oldest_unanswered() {
        let policy = policy(&[(Metric::NextResponse, "high", H, "24x7")]);
        let events = vec![
            created(hm("00:00"), "high", Author::Customer, true),
            reply(hm("00:10")),
            customer(hm("01:00")),
            customer(hm("01:30")),
            reply(hm("02:05")),
        ];
        let records = reference(&events, &policy, &[], hm("03:00")).unwrap();
        assert_eq!(records.len(), 1);
        let r = one(&records, Metric::NextResponse, 1);
        assert_eq!((r.started_at, r.stopped_at, r.state), (hm("01:00"), Some(hm("02:05")), CycleState::Breached));
        assert_eq!((r.breached_at, r.elapsed_seconds), (Some(hm("02:00")), 3900));
    }

    #[test]
    fn t2_requester_wait_resumes_and_turns_breached() {
        let policy = policy(&[(Metric::RequesterWait, "high", 4 * H, "24x7")]);
        let mut events = vec![
            created(hm("00:00"), "high", Author::Customer, true),
            status(hm("01:00"), Status::Pending),
            status(hm("03:00"), Status::Open),
            status(hm("05:00"), Status::Solved),
        ];
        let r = one(&reference(&events, &policy, &[], hm("06:00")).unwrap(), Metric::RequesterWait, 1);
        assert_eq!((r.state, r.elapsed_seconds, r.stopped_at), (CycleState::Met, 3 * H, Some(hm("05:00"))));
        events.extend([status(hm("10:00"), Status::Open), status(hm("12:00"), Status::Solved)]);
        let r = one(&reference(&events, &policy, &[], hm("13:00")).unwrap(), Metric::RequesterWait, 1);
        assert_eq!((r.state, r.breached_at, r.elapsed_seconds), (CycleState::Breached, Some(hm("11:00")), 5 * H));
        assert_eq!(r.due_at, Some(hm("11:00")));
    }

    fn chain(metric: Metric, more: Vec<Event>) -> Vec<CycleRecord> {
        let policy = policy(&[(metric, "high", 2 * H, "24x7")]);
        let mut events = vec![
            created(hm("00:00"), "high", Author::Customer, true),
            reply(hm("01:00")),
            reply(hm("03:30")),
            reply(hm("04:00")),
            status(hm("05:00"), Status::Solved),
        ];
        events.extend(more);
        reference(&events, &policy, &[], hm("06:00")).unwrap()
    }

    #[test]
    fn t3_periodic_chain() {
        let records = chain(Metric::PeriodicUpdate, vec![]);
        let states: Vec<_> = records.iter().map(|r| (r.started_at, r.stopped_at, r.state, r.breached_at)).collect();
        assert_eq!(
            states,
            vec![
                (hm("00:00"), Some(hm("01:00")), CycleState::Met, None),
                (hm("01:00"), Some(hm("03:30")), CycleState::Breached, Some(hm("03:00"))),
                (hm("03:30"), Some(hm("04:00")), CycleState::Met, None),
                (hm("04:00"), Some(hm("05:00")), CycleState::Cancelled, None),
            ]
        );
        assert!(!records[3].breached);
    }

    #[test]
    fn t4_pausable_chain() {
        let records = chain(
            Metric::PausableUpdate,
            vec![status(hm("01:30"), Status::Pending), status(hm("03:00"), Status::Open)],
        );
        let c2 = one(&records, Metric::PausableUpdate, 2);
        assert_eq!((c2.elapsed_seconds, c2.state), (H, CycleState::Met));
    }

    #[test]
    fn t5_first_response_of_an_agent_created_ticket() {
        let frt = |public: bool| {
            let policy = policy(&[(Metric::FirstResponse, "high", 4 * H, "24x7")]);
            let events =
                vec![created(hm("00:00"), "high", Author::Agent, public), customer(hm("00:20")), reply(hm("00:50"))];
            one(&reference(&events, &policy, &[], hm("02:00")).unwrap(), Metric::FirstResponse, 1)
        };
        let r = frt(true);
        assert_eq!((r.started_at, r.stopped_at, r.elapsed_seconds), (hm("00:00"), Some(hm("00:50")), 50 * 60));
        let r = frt(false);
        assert_eq!((r.started_at, r.stopped_at, r.elapsed_seconds), (hm("00:20"), Some(hm("00:50")), 30 * 60));
    }

    fn priorities() -> Policy {
        policy(&[
            (Metric::Resolution, "medium", 8 * H, "24x7"),
            (Metric::Resolution, "critical", H, "24x7"),
            (Metric::Resolution, "high", 4 * H, "24x7"),
            (Metric::Resolution, "low", 24 * H, "24x7"),
        ])
    }

    fn priority(at: Instant, to: &str) -> Event {
        Event { at, kind: EventKind::Priority { to: to.into() } }
    }

    #[test]
    fn t6_priority_up_then_down() {
        let events = vec![
            created(hm("00:00"), "medium", Author::Customer, true),
            priority(hm("02:00"), "critical"),
            priority(hm("03:00"), "low"),
        ];
        let r = one(&reference(&events, &priorities(), &[], hm("04:00")).unwrap(), Metric::Resolution, 1);
        assert_eq!((r.breached, r.breached_at, r.priority.as_str()), (true, Some(hm("02:00")), "low"));
    }

    #[test]
    fn t7_priority_up_before_breach() {
        let events = vec![created(hm("00:00"), "medium", Author::Customer, true), priority(hm("00:30"), "high")];
        let r = one(&reference(&events, &priorities(), &[], hm("01:00")).unwrap(), Metric::Resolution, 1);
        assert_eq!(r.due_at, Some(hm("04:00")));
    }

    #[test]
    fn no_business_time_is_an_error() {
        let empty = CalendarSpec { id: "none".into(), tz: "UTC".into(), ..CalendarSpec::default() };
        let policy = policy(&[(Metric::Resolution, "high", H, "none")]);
        let events = vec![created(hm("00:00"), "high", Author::Customer, true)];
        assert_eq!(
            reference(&events, &policy, &[empty], hm("01:00")),
            Err(RefError::NoBusinessTime { calendar: "none".into(), after_deadline: false })
        );
    }

    #[test]
    fn warnings_follow_a5() {
        // 24x7, 1 h: 50 % at 00:30, 75 % at 00:45, 90 % at 00:54, 900 s remaining at 00:45;
        // the reply at 00:50 stops the cycle before 90 %.
        let policy = policy(&[(Metric::FirstResponse, "high", H, "24x7")]);
        let events = vec![created(hm("00:00"), "high", Author::Customer, true), reply(hm("00:50"))];
        let r = one(&reference(&events, &policy, &[], hm("02:00")).unwrap(), Metric::FirstResponse, 1);
        let listed: Vec<_> = r.warnings.iter().map(|w| (w.kind, w.threshold, w.at)).collect();
        assert_eq!(
            listed,
            vec![
                (WarningKind::Percent, 50, hm("00:30")),
                (WarningKind::Percent, 75, hm("00:45")),
                (WarningKind::Remaining, 900, hm("00:45")),
            ]
        );
        assert_eq!((r.state, r.due_at), (CycleState::Met, None));
    }
}
