//! Golden-style cases of evaluation against a policy timeline (R-T1): G6 and G7 with the change
//! made by a new policy rather than a target event, and what a new policy brings from its
//! instant on (R-T3, R-T4, R-T5, A3, A6, A8, A10, A11, R-W4).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Instant;
use super::calendar::{Calendar, CalendarSpec};
use super::engine::{CycleRecord, CycleState, evaluate_timeline};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Reopen, Status, Target};

const H: i64 = 3600;

fn at(text: &str) -> Instant {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// `HH:MM` on 2024-01-01 UTC.
fn hm(text: &str) -> Instant {
    at(&format!("2024-01-01T{text}:00Z"))
}

fn calendars() -> BTreeMap<String, Calendar> {
    let ny = CalendarSpec {
        id: "ny".into(),
        tz: "America/New_York".into(),
        weekly: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), vec![vec![540, 1020]])).collect(),
        holidays: vec![],
        exceptions: BTreeMap::new(),
    };
    BTreeMap::from([("ny".to_string(), Calendar::from_spec(&ny, "c").unwrap())])
}

fn policy(id: &str, targets: &[(Metric, i64, &str)]) -> Policy {
    Policy {
        id: id.into(),
        targets: targets
            .iter()
            .map(|&(m, seconds, calendar)| {
                let target = Target { seconds, hours: Hours::Business, calendar_id: calendar.into() };
                ((m, "high".to_string()), target)
            })
            .collect(),
        warn_percent: vec![],
        warn_remaining_seconds: vec![],
        pause_sets: BTreeMap::new(),
        reopen: BTreeMap::new(),
        start_at_first_customer_message: true,
    }
}

fn created(at: Instant, by: Author, public: bool) -> Event {
    Event { at, kind: EventKind::Created { priority: "high".into(), by, public } }
}

fn status(at: Instant, to: Status) -> Event {
    Event { at, kind: EventKind::Status { to } }
}

fn comment(at: Instant, author: Author) -> Event {
    Event { at, kind: EventKind::Comment { author, public: true } }
}

fn run(events: &[Event], steps: Vec<(Instant, Option<Policy>)>, now: Instant) -> (Vec<CycleRecord>, Option<Instant>) {
    let timeline: Vec<(Instant, Option<Arc<Policy>>)> = steps.into_iter().map(|(t, p)| (t, p.map(Arc::new))).collect();
    evaluate_timeline(events, &timeline, &calendars(), now).unwrap()
}

fn of(records: &[CycleRecord], metric: Metric) -> Vec<CycleRecord> {
    records.iter().filter(|r| r.metric == metric).cloned().collect()
}

const G1_START: &str = "2024-03-08T15:00:00-05:00";

#[test]
fn g6_a_new_policy_with_a_lower_target_breaches_at_the_change() {
    let change = at("2024-03-11T09:30:00-04:00");
    let (records, _) = run(
        &[created(at(G1_START), Author::Customer, true)],
        vec![
            (at(G1_START), Some(policy("four", &[(Metric::Resolution, 4 * H, "ny")]))),
            (change, Some(policy("one", &[(Metric::Resolution, H, "ny")]))),
        ],
        at("2024-03-11T10:00:00-04:00"),
    );
    let r = &records[0];
    assert_eq!((r.breached, r.breached_at, r.target_seconds), (true, Some(change), H), "{r:?}");
    assert_eq!((r.started_at, r.elapsed_seconds), (at(G1_START), 3 * H), "start and elapsed kept (R-T3)");
    assert_eq!(r.policy_id.as_deref(), Some("one"));
}

#[test]
fn g7_a_breach_stays_when_a_new_policy_raises_the_target() {
    let (records, _) = run(
        &[created(at(G1_START), Author::Customer, true)],
        vec![
            (at(G1_START), Some(policy("one", &[(Metric::Resolution, H, "ny")]))),
            (at("2024-03-11T09:00:00-04:00"), Some(policy("eight", &[(Metric::Resolution, 8 * H, "ny")]))),
        ],
        at("2024-03-11T10:00:00-04:00"),
    );
    assert_eq!(records[0].breached_at, Some(at("2024-03-08T16:00:00-05:00")), "R-S6");
    assert_eq!(records[0].due_at, Some(at("2024-03-08T16:00:00-05:00")));
}

#[test]
fn r_t5_a_policy_without_the_metric_or_no_policy_cancels_at_the_change_and_r_t4_keeps_the_target() {
    let events = [created(hm("00:00"), Author::Customer, true), comment(hm("00:30"), Author::Agent)];
    let both = policy("both", &[(Metric::FirstResponse, H, "24x7"), (Metric::Resolution, 2 * H, "24x7")]);
    let frt_only = policy("frt", &[(Metric::FirstResponse, 3 * H, "24x7")]);
    let (records, _) =
        run(&events, vec![(hm("00:00"), Some(both.clone())), (hm("01:00"), Some(frt_only))], hm("05:00"));
    // first_response ended met at 00:30 under `both` and keeps that target (R-T4).
    let frt = &of(&records, Metric::FirstResponse)[0];
    assert_eq!((frt.state, frt.target_seconds, frt.policy_id.as_deref()), (CycleState::Met, H, Some("both")));
    // resolution is cancelled at 01:00 with the target in force before the change (A3).
    let resolution = &of(&records, Metric::Resolution)[0];
    assert_eq!((resolution.state, resolution.stopped_at), (CycleState::Cancelled, Some(hm("01:00"))));
    assert_eq!(
        (resolution.target_seconds, resolution.elapsed_seconds, resolution.policy_id.as_deref()),
        (2 * H, H, Some("both"))
    );
    // No policy at all from 01:00 on, then `both` again at 02:00: nothing reopens (A6).
    let (records, wake) = run(
        &[created(hm("00:00"), Author::Customer, true)],
        vec![(hm("00:00"), Some(both.clone())), (hm("01:00"), None), (hm("02:00"), Some(both))],
        hm("03:00"),
    );
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.iter().all(|r| r.state == CycleState::Cancelled && r.stopped_at == Some(hm("01:00"))));
    assert_eq!(wake, None);
}

#[test]
fn a10_a_new_policy_moves_the_target_to_another_calendar_segment_wise() {
    // 24x7 for the first hour (Monday 2024-03-11 08:00-09:00 New York), then New York hours.
    let start = at("2024-03-11T08:00:00-04:00");
    let (records, _) = run(
        &[created(start, Author::Customer, true)],
        vec![
            (start, Some(policy("always", &[(Metric::Resolution, 3 * H, "24x7")]))),
            (start + H, Some(policy("office", &[(Metric::Resolution, 3 * H, "ny")]))),
        ],
        start + 2 * H,
    );
    let r = &records[0];
    assert_eq!((r.elapsed_seconds, r.calendar_id.as_str()), (2 * H, "ny"));
    assert_eq!(r.due_at, Some(at("2024-03-11T11:00:00-04:00")));
}

#[test]
fn a_new_policy_brings_its_pause_sets_and_warnings_from_its_instant_on() {
    let mut pausing = policy("pausing", &[(Metric::Resolution, 4 * H, "24x7")]);
    pausing.pause_sets.insert(Metric::Resolution, vec![Status::OnHold]);
    let mut warning = policy("warning", &[(Metric::Resolution, 4 * H, "24x7")]);
    warning.warn_percent = vec![25, 60];
    let events = [created(hm("00:00"), Author::Customer, true), status(hm("00:30"), Status::OnHold)];
    // On hold from 00:30: running under the first policy, paused under `pausing` from 01:00.
    let (records, wake) = run(
        &events,
        vec![(hm("00:00"), Some(warning.clone())), (hm("01:00"), Some(pausing)), (hm("02:00"), Some(warning))],
        hm("03:00"),
    );
    let r = &records[0];
    assert_eq!(r.elapsed_seconds, 2 * H, "00:00-01:00 and 02:00-03:00");
    // 25 % (1 h) at 01:00 would have fired under `warning`, but `pausing` lists none; it fires
    // when `warning` is back at 02:00 (the threshold holds then). 60 % (2 h 24 min of elapsed
    // time) comes at 03:24.
    let warnings: Vec<(i64, Instant)> = r.warnings.iter().map(|w| (w.threshold, w.at)).collect();
    assert_eq!(warnings, vec![(25, hm("02:00"))]);
    assert_eq!(wake, Some(hm("03:24")));
}

#[test]
fn a11_the_reopen_rule_of_the_policy_in_force_at_the_reopen_applies() {
    let mut resume = policy("resume", &[(Metric::Resolution, 4 * H, "24x7")]);
    resume.reopen.insert(Metric::Resolution, Reopen::Resume);
    let fresh = policy("fresh", &[(Metric::Resolution, 4 * H, "24x7")]);
    let events = [
        created(hm("00:00"), Author::Customer, true),
        status(hm("01:00"), Status::Solved),
        status(hm("02:00"), Status::Open),
    ];
    let (records, _) = run(&events, vec![(hm("00:00"), Some(fresh.clone())), (hm("01:30"), Some(resume))], hm("03:00"));
    assert_eq!(records.len(), 1, "resumed: {records:?}");
    assert_eq!((records[0].elapsed_seconds, records[0].policy_id.as_deref()), (2 * H, Some("resume")));
    let (records, _) = run(&events, vec![(hm("00:00"), Some(fresh))], hm("03:00"));
    assert_eq!(records.len(), 2, "a new cycle: {records:?}");
}

#[test]
fn a8_a_policy_without_the_deferral_option_ends_a_pending_deferral() {
    // Created by an agent with a private note; from 00:30 the policy does not defer, so
    // first_response runs from creation (as when a reply fails the deferral).
    let deferring = policy("deferring", &[(Metric::FirstResponse, H, "24x7")]);
    let mut direct = deferring.clone();
    direct.id = "direct".into();
    direct.start_at_first_customer_message = false;
    let events = [created(hm("00:00"), Author::Agent, false)];
    let (records, _) = run(&events, vec![(hm("00:00"), Some(deferring.clone()))], hm("01:30"));
    assert!(records.is_empty(), "still deferred: {records:?}");
    let (records, _) = run(&events, vec![(hm("00:00"), Some(deferring)), (hm("00:30"), Some(direct))], hm("01:30"));
    let r = &records[0];
    assert_eq!((r.started_at, r.elapsed_seconds, r.breached_at), (hm("00:00"), 90 * 60, Some(hm("01:00"))));
}

#[test]
fn a7_a_first_response_cancelled_while_deferred_lets_next_response_open_once_the_deferral_ends() {
    // Deferred at 00:00; a priority without a first_response target cancels the waiting cycle
    // at 00:10 (R-T5); from 00:20 a policy without the deferral option ends the deferral, so
    // the cancellation counts (A7) and the customer's message at 00:30 opens next_response.
    let mut deferring = policy("deferring", &[(Metric::FirstResponse, H, "24x7")]);
    deferring.targets.remove(&(Metric::FirstResponse, "high".to_string()));
    deferring.targets.insert(
        (Metric::FirstResponse, "low".to_string()),
        Target { seconds: H, hours: Hours::Calendar, calendar_id: "24x7".into() },
    );
    let mut direct = policy("direct", &[(Metric::NextResponse, H, "24x7")]);
    direct.start_at_first_customer_message = false;
    let events = [
        Event {
            at: hm("00:00"),
            kind: EventKind::Created { priority: "low".into(), by: Author::Agent, public: false },
        },
        Event { at: hm("00:10"), kind: EventKind::Priority { to: "high".into() } },
        comment(hm("00:30"), Author::Customer),
    ];
    let (records, _) = run(&events, vec![(hm("00:00"), Some(deferring)), (hm("00:20"), Some(direct))], hm("00:40"));
    let first = of(&records, Metric::FirstResponse);
    assert_eq!((first[0].state, first[0].stopped_at), (CycleState::Cancelled, Some(hm("00:10"))), "{records:?}");
    let next = of(&records, Metric::NextResponse);
    assert_eq!(next.len(), 1, "{records:?}");
    assert_eq!((next[0].started_at, next[0].elapsed_seconds), (hm("00:30"), 600));
}

#[test]
fn r_w4_the_next_change_of_policy_is_a_wake_up() {
    let (_, wake) = run(
        &[created(hm("00:00"), Author::Customer, true)],
        vec![
            (hm("00:00"), Some(policy("long", &[(Metric::Resolution, 10 * H, "24x7")]))),
            (hm("02:00"), Some(policy("short", &[(Metric::Resolution, H, "24x7")]))),
        ],
        hm("01:00"),
    );
    assert_eq!(wake, Some(hm("02:00")));
    let (records, wake) = run(
        &[created(hm("00:00"), Author::Customer, true)],
        vec![
            (hm("00:00"), Some(policy("long", &[(Metric::Resolution, 10 * H, "24x7")]))),
            (hm("02:00"), Some(policy("short", &[(Metric::Resolution, H, "24x7")]))),
        ],
        hm("02:00"),
    );
    // Breached at the change (R-T3); it shows a second later (A14).
    assert_eq!((records[0].breached, records[0].due_at, wake), (false, Some(hm("02:00")), Some(hm("02:00") + 1)));
}
