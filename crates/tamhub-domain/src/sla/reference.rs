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

/// A target as a cycle holds it: its policy (an index into the policies), priority and target.
type Held = (usize, String, Target);

/// The ticket after all events of one instant (A3).
#[derive(Clone, Debug)]
struct Moment {
    at: Instant,
    status: Status,
    priority: String,
    /// The policy in force (R-T1), an index into the policies; `None`: no policy applies.
    policy: Option<usize>,
    /// Every policy's targets, as target events left them.
    targets: Vec<BTreeMap<(Metric, String), Target>>,
    /// The policy's `targets[(metric, priority)]` per metric (indexed by `Metric as usize`).
    current: [Option<Target>; 7],
}

impl Moment {
    fn refresh(&mut self) {
        for (m, _) in Metric::ALL {
            self.current[m as usize] =
                self.policy.and_then(|p| self.targets[p].get(&(m, self.priority.clone()))).cloned();
        }
    }

    fn target(&self, m: Metric) -> Option<Held> {
        let policy = self.policy?;
        self.current[m as usize].clone().map(|t| (policy, self.priority.clone(), t))
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
    /// A3 / R-T4: the target kept after `to`.
    frozen: Option<Held>,
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
    policies: &'a [Policy],
    /// The policy steps (R-T1), see `policy_at`.
    steps: &'a [(Instant, Option<usize>)],
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

        // The state after the instant (A3, R-T1): the policy in force at t, then the events; a
        // target event changes that policy's target.
        let mut post = pre.clone();
        post.at = t;
        post.policy = policy_at(self.steps, t);
        for e in events {
            match &e.kind {
                EventKind::Created { priority, .. } => {
                    post.status = Status::New;
                    post.priority = priority.clone();
                }
                EventKind::Status { to } if post.status != Status::Closed => post.status = *to,
                EventKind::Priority { to } => post.priority = to.clone(),
                // A12 refuses a target event without a policy target in section 3, where there
                // is one policy; under a timeline it changes the target of the policy in force,
                // if that policy has one.
                EventKind::Target { metric, priority, seconds } => {
                    if let Some(target) =
                        post.policy.and_then(|p| post.targets[p].get_mut(&(*metric, priority.clone())))
                    {
                        target.seconds = *seconds;
                    }
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
            if post.policy.is_some_and(|p| resumes(&self.policies[p], m)) {
                // A11: the one instance resumes if it ended met/breached (not cancelled), a
                // target exists and the ticket is not solved after the instant, nor closed:
                // closed is final (R-M5).
                // The instance is the metric's latest cycle: under a policy timeline an earlier
                // `new_cycle` policy may have left several.
                if let Some(c) = self.cycles.iter_mut().rev().find(|c| c.metric == m)
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
    policies: &'a [Policy],
    moments: &'a [Moment],
    now: Instant,
}

impl Clock<'_> {
    fn moment_at(&self, t: Instant) -> &Moment {
        let i = self.moments.partition_point(|m| m.at <= t);
        &self.moments[i - 1]
    }

    /// target(t) of R-S2 for cycle `c`, with A3 / A11 freezing outside open periods.
    fn target_at(&self, c: &RefCycle, t: Instant) -> (bool, Held) {
        let (open, period) = c.period_at(t);
        if open {
            (true, self.moment_at(t).target(c.metric).expect("R-T5: an open cycle has a target"))
        } else {
            (false, period.frozen.clone().expect("an ended period has a frozen target"))
        }
    }

    /// The running predicate at `t` (section 1.4), with the pause set of the policy in force.
    fn running_at(&self, c: &RefCycle, t: Instant) -> bool {
        let moment = self.moment_at(t);
        c.period_at(t).0
            && moment.policy.is_some_and(|p| !pause_set(&self.policies[p], c.metric).contains(&moment.status))
    }

    /// Whether the policy `p` of the target in force lists warning `th` (R-W1): thresholds of
    /// a new policy apply from its first instant on.
    fn listed(&self, th: Threshold, p: usize) -> bool {
        let policy = &self.policies[p];
        match th {
            Threshold::Due => true,
            Threshold::Percent(x) => policy.warn_percent.contains(&x),
            Threshold::Remaining(x) => policy.warn_remaining_seconds.contains(&x),
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
        let open_now = c.is_open();
        let last = c.periods.last().unwrap();
        // The instant the record describes: now for an open cycle, its last end otherwise.
        let report = last.to.unwrap_or(self.now);
        // Every threshold any policy lists, each once (R-W2: at most once per cycle).
        let mut thresholds = vec![Threshold::Due];
        for policy in self.policies {
            thresholds.extend(policy.warn_percent.iter().map(|&p| Threshold::Percent(p)));
            thresholds.extend(policy.warn_remaining_seconds.iter().map(|&r| Threshold::Remaining(r)));
        }
        let mut seen = Vec::new();
        thresholds.retain(|th| {
            if seen.contains(th) {
                false
            } else {
                seen.push(*th);
                true
            }
        });
        let mut hits: Vec<Option<Instant>> = vec![None; thresholds.len()];
        let mut first_use: BTreeMap<String, Instant> = BTreeMap::new();

        // Walk minute by minute; `elapsed` is elapsed(m) at the minute start m.
        let mut elapsed = 0;
        let mut m = c.start();
        let elapsed_at_report = loop {
            assert!(m % 60 == 0);
            let (open, (policy, _, target)) = self.target_at(c, m);
            let running = self.running_at(c, m);
            // A13: a cycle uses the calendar of its target in force while it is open, running or
            // paused (R-K9: the target "is evaluated against it"), from the instant that target
            // comes into force, `now` included for a cycle open at `now`.
            if open && (m < report || (open_now && m == report)) && Self::uses_business_calendar(&target) {
                first_use.entry(target.calendar_id.clone()).or_insert(m);
            }
            let accrues = i64::from(running && Self::in_business(calendars, &target, m));
            let last_k = (report - m).min(59);
            for (i, th) in thresholds.iter().enumerate() {
                if hits[i].is_none()
                    && self.listed(*th, policy)
                    && th.reached(elapsed + last_k * accrues, target.seconds)
                {
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

        let (_, (policy, priority, target)) = self.target_at(c, report);
        let paused_now = open_now && !self.running_at(c, self.now);
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
            policy_id: Some(self.policies[policy].id.clone()),
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
    reference_timeline(events, &[(i64::MIN, Some(policy.clone()))], calendars, now)
}

/// R-T1: the policy step in force at `t`; the first step also covers the instants before it.
fn policy_at(steps: &[(Instant, Option<usize>)], t: Instant) -> Option<usize> {
    steps.iter().rev().find(|(from, _)| *from <= t).or(steps.first()).and_then(|(_, p)| *p)
}

/// `sla(events, policies, calendars, now)` with the policy in force changing at the instants of
/// `steps` (R-T1; `None`: no policy). A policy change at `t` is an instant of its own, with the
/// state after it judged under the new policy (A3); of steps at one instant the last counts.
/// Step instants must be on whole minutes too.
pub(super) fn reference_timeline(
    events: &[Event],
    steps: &[(Instant, Option<Policy>)],
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

    // The policies, each once, and the steps as indices into them.
    let mut policies: Vec<Policy> = Vec::new();
    let mut indexed: Vec<(Instant, Option<usize>)> = Vec::new();
    let mut ordered: Vec<&(Instant, Option<Policy>)> = steps.iter().collect();
    ordered.sort_by_key(|(t, _)| *t);
    for (t, policy) in ordered {
        let index = policy.as_ref().map(|p| {
            policies.iter().position(|q| q == p).unwrap_or_else(|| {
                policies.push(p.clone());
                policies.len() - 1
            })
        });
        indexed.retain(|(from, _)| from != t);
        indexed.push((*t, index));
    }
    let option = |t: Instant| policy_at(&indexed, t).is_none_or(|p| policies[p].start_at_first_customer_message);
    // Instants: those of the events and those at which another policy takes over.
    let mut instants: Vec<Instant> = happened.iter().map(|e| e.at).collect();
    instants.extend(indexed.iter().map(|(t, _)| *t).filter(|t| *t > created.at && *t <= now));
    instants.sort_unstable();
    instants.dedup();
    for t in &instants {
        assert!(t % 60 == 0, "the reference needs policy changes on whole minutes");
    }

    // R-M1 / A8: where first_response starts, from the history up to now. The deferral fails
    // at a reply, or at a policy without the option, strictly before the first customer message.
    let first_customer = happened.iter().find(|e| is_customer_message(&e.kind)).map(|e| e.at);
    let first_reply = happened.iter().find(|e| is_agent_reply(&e.kind)).map(|e| e.at);
    let first_off = instants.iter().copied().find(|t| *t > created.at && !option(*t));
    let deferral = option(created.at) && *by == Author::Agent && !*public;
    let failing = [first_reply, first_off].into_iter().flatten().min();
    let deferral_failed = deferral && failing.is_some_and(|r| first_customer.is_none_or(|m| r < m));
    let (frt_start, frt_deferred) =
        if !deferral || deferral_failed { (Some(created.at), false) } else { (first_customer, true) };
    let frt_stop = frt_start.and_then(|s| happened.iter().find(|e| is_agent_reply(&e.kind) && e.at > s).map(|e| e.at));

    let mut replay = Replay {
        policies: &policies,
        steps: &indexed,
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
        policy: policy_at(&indexed, created.at),
        targets: policies.iter().map(|p| p.targets.clone()).collect(),
        current: Default::default(),
    };
    moment.refresh();
    let mut moments = Vec::new();
    for t in instants {
        let at_t: Vec<&Event> = happened.iter().copied().filter(|e| e.at == t).collect();
        moment = replay.instant(t, &at_t, &moment);
        moments.push(moment.clone());
    }

    let mut refcals: BTreeMap<String, RefCalendar> = calendars
        .iter()
        .filter(|spec| spec.id != ALWAYS_OPEN)
        .map(|spec| (spec.id.clone(), RefCalendar::new(spec, created.at - 2 * DAY, now.max(created.at) + 30 * DAY)))
        .collect();
    let clock = Clock { policies: &policies, moments: &moments, now };
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
mod golden_cases;
