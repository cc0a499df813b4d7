//! SLA-SPEC 1.10: the golden cases run against the brute-force reference itself.

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
    let records =
        chain(Metric::PausableUpdate, vec![status(hm("01:30"), Status::Pending), status(hm("03:00"), Status::Open)]);
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
