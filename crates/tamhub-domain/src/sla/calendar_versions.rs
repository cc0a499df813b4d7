//! Calendar versions (R-K10, R-K12, R-K13): business time at `t` is the version in force at `t`.
//! Properties against the versions taken one at a time (each checked against a minute-by-minute
//! reference in `calendar_properties.rs`), P3 across version boundaries, and golden-style cases.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::Instant;
use super::calendar::{Calendar, CalendarSpec};
use super::engine::{CycleState, evaluate};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Status, Target};

const H: i64 = 3600;

fn at(text: &str) -> Instant {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

fn spec(tz: &str, days: &[&str], span: [i64; 2]) -> CalendarSpec {
    CalendarSpec {
        id: "ignored".into(),
        tz: tz.into(),
        weekly: days.iter().map(|d| (d.to_string(), vec![span.to_vec()])).collect(),
        holidays: vec![],
        exceptions: BTreeMap::new(),
    }
}

const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

fn versioned(versions: &[(Instant, CalendarSpec)]) -> Calendar {
    Calendar::versioned("c", versions).unwrap()
}

fn spans() -> impl Strategy<Value = Vec<Vec<i64>>> {
    prop::collection::btree_set(0i64..=48, 0..=4).prop_map(|cuts| {
        let cuts: Vec<i64> = cuts.into_iter().map(|c| c * 30).collect();
        cuts.chunks(2).filter(|c| c.len() == 2 && c[0] < c[1]).map(|c| vec![c[0], c[1]]).collect()
    })
}

fn random_spec() -> impl Strategy<Value = CalendarSpec> {
    let zones = vec!["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"];
    (prop::sample::select(zones), prop::collection::vec(spans(), 7)).prop_map(|(tz, week)| CalendarSpec {
        id: "v".into(),
        tz: tz.into(),
        weekly: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .zip(week)
            .filter(|(_, s)| !s.is_empty())
            .map(|(d, s)| (d.to_string(), s))
            .collect(),
        holidays: vec![],
        exceptions: BTreeMap::new(),
    })
}

/// Around the US and EU DST changes of March 2024.
const BASE: Instant = 1_709_251_200; // 2024-03-01T00:00:00Z

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// R-K10: business time is each version's, clipped to the stretch it is in force.
    #[test]
    fn business_time_is_the_version_in_force(
        specs in prop::collection::vec(random_spec(), 1..=3),
        cuts in prop::collection::vec(0i64..(40 * 24 * 60), 2),
        a in 0i64..(40 * 24 * 60),
        len in 0i64..(10 * 24 * 60),
    ) {
        let mut froms: Vec<Instant> = cuts.iter().map(|m| BASE + m * 60).collect();
        froms.sort_unstable();
        let versions: Vec<(Instant, CalendarSpec)> =
            specs.iter().enumerate().map(|(i, s)| (if i == 0 { BASE } else { froms[i - 1] }, s.clone())).collect();
        let calendar = versioned(&versions);
        let (a, b) = (BASE + a * 60, BASE + (a + len) * 60);
        // Each version alone, over the part of [a, b) in which it is in force.
        let mut expected = 0;
        for (i, (from, spec)) in versions.iter().enumerate() {
            let from = if i == 0 { i64::MIN } else { *from };
            let until = versions.get(i + 1).map_or(i64::MAX, |(t, _)| *t);
            let (x, y) = (a.max(from), b.min(until));
            if x < y {
                expected += Calendar::from_spec(spec, "v").unwrap().between(x, y);
            }
        }
        prop_assert_eq!(calendar.between(a, b), expected);
        // P3 across the boundaries: `add` inverts `between` and is the first such instant.
        let d = expected.min(3 * H);
        if d > 0 {
            let due = calendar.add(a, d).unwrap();
            prop_assert_eq!(calendar.between(a, due), d);
            prop_assert!(calendar.between(a, due - 1) < d);
        }
    }

    /// A calendar of one version is that version.
    #[test]
    fn one_version_is_the_calendar(spec in random_spec(), from in 0i64..(40 * 24 * 60), a in 0i64..(40 * 24 * 60), len in 0i64..(10 * 24 * 60)) {
        let plain = Calendar::from_spec(&spec, "v").unwrap();
        let one = versioned(&[(BASE + from * 60, spec)]);
        let (a, b) = (BASE + a * 60, BASE + (a + len) * 60);
        prop_assert_eq!(one.between(a, b), plain.between(a, b));
        // The same instant, or both without business time (the errors name their calendars).
        prop_assert_eq!(one.add(a, 2 * H).ok(), plain.add(a, 2 * H).ok());
    }
}

#[test]
fn a_version_takes_over_mid_interval_and_across_zones() {
    // New York 09:00-17:00 until Tuesday 2024-03-12 12:00 New York time, then Berlin 09:00-17:00.
    let edit = at("2024-03-12T12:00:00-04:00");
    let calendar = versioned(&[
        (at("2024-01-01T00:00:00Z"), spec("America/New_York", &WEEKDAYS, [540, 1020])),
        (edit, spec("Europe/Berlin", &WEEKDAYS, [540, 1020])),
    ]);
    // Tuesday: 09:00-12:00 New York (3 h); Berlin's 09:00-17:00 (04:00-12:00 New York) is over
    // by then except the instant itself, so nothing more.
    assert_eq!(calendar.between(at("2024-03-12T00:00:00-04:00"), at("2024-03-13T00:00:00-04:00")), 3 * H);
    // Wednesday is Berlin's: 08:00-16:00 UTC.
    assert_eq!(calendar.between(at("2024-03-13T08:00:00Z"), at("2024-03-13T16:00:00Z")), 8 * H);
    // G1 across the change: 4 business hours from Friday 15:00 New York before a change to
    // Berlin hours effective Saturday: 2 h on Friday, the rest on Monday from 09:00 Berlin.
    let weekend = versioned(&[
        (at("2024-01-01T00:00:00Z"), spec("America/New_York", &WEEKDAYS, [540, 1020])),
        (at("2024-03-09T12:00:00Z"), spec("Europe/Berlin", &WEEKDAYS, [540, 1020])),
    ]);
    assert_eq!(weekend.add(at("2024-03-08T15:00:00-05:00"), 4 * H), Ok(at("2024-03-11T11:00:00+01:00")));
}

#[test]
fn instants_before_the_first_version_follow_it() {
    let calendar = versioned(&[(at("2024-06-01T00:00:00Z"), spec("UTC", &WEEKDAYS, [540, 1020]))]);
    assert_eq!(calendar.between(at("2024-03-11T00:00:00Z"), at("2024-03-12T00:00:00Z")), 8 * H);
}

#[test]
fn r_k9_still_holds_across_versions() {
    // Open hours until the end of 2024, none after: a deadline that needs more fails (A13), one
    // that fits does not.
    let calendar = versioned(&[
        (at("2024-01-01T00:00:00Z"), spec("UTC", &WEEKDAYS, [540, 1020])),
        (at("2025-01-01T00:00:00Z"), spec("UTC", &[], [0, 1])),
    ]);
    assert_eq!(calendar.add(at("2024-12-31T09:00:00Z"), 8 * H), Ok(at("2024-12-31T17:00:00Z")));
    assert!(calendar.add(at("2024-12-31T09:00:00Z"), 9 * H).is_err());
    assert!(!calendar.has_business_time_after(at("2025-01-01T00:00:00Z")));
    assert!(Calendar::versioned("c", &[]).is_err());
}

fn resolution_policy(seconds: i64) -> Policy {
    Policy {
        id: "p".into(),
        targets: BTreeMap::from([(
            (Metric::Resolution, "high".to_string()),
            Target { seconds, hours: Hours::Business, calendar_id: "c".into() },
        )]),
        warn_percent: vec![],
        warn_remaining_seconds: vec![],
        pause_sets: BTreeMap::new(),
        reopen: BTreeMap::new(),
        start_at_first_customer_message: true,
    }
}

/// R-K12's example: hours cut to 09:00-13:00 on Tuesday at noon; the 11 hours counted before
/// stay, the other 5 count under the new hours, so `due_at` moves from Tuesday 17:00 to
/// Wednesday 13:00.
#[test]
fn r_k12_an_edit_mid_cycle_moves_the_deadline_for_the_remainder_only() {
    let created = Event {
        at: at("2024-03-11T09:00:00-04:00"),
        kind: EventKind::Created { priority: "high".into(), by: Author::Customer, public: true },
    };
    let ny = |span| spec("America/New_York", &WEEKDAYS, span);
    let policy = resolution_policy(16 * H);
    let now = at("2024-03-12T12:30:00-04:00");
    let unchanged = BTreeMap::from([("c".to_string(), versioned(&[(0, ny([540, 1020]))]))]);
    let edited = BTreeMap::from([(
        "c".to_string(),
        versioned(&[(0, ny([540, 1020])), (at("2024-03-12T12:00:00-04:00"), ny([540, 780]))]),
    )]);
    let before = &evaluate(std::slice::from_ref(&created), &policy, &unchanged, now).unwrap()[0];
    let after = &evaluate(std::slice::from_ref(&created), &policy, &edited, now).unwrap()[0];
    assert_eq!(before.due_at, Some(at("2024-03-12T17:00:00-04:00")));
    assert_eq!(after.due_at, Some(at("2024-03-13T13:00:00-04:00")));
    assert_eq!((before.elapsed_seconds, after.elapsed_seconds), (11 * H + 1800, 11 * H + 1800));
    // Solved on Wednesday at 12:00: met under the edit, breached without it.
    let solved = Event { at: at("2024-03-13T12:00:00-04:00"), kind: EventKind::Status { to: Status::Solved } };
    let events = [created, solved];
    let later = at("2024-03-14T00:00:00-04:00");
    assert_eq!(evaluate(&events, &policy, &edited, later).unwrap()[0].state, CycleState::Met);
    assert_eq!(evaluate(&events, &policy, &unchanged, later).unwrap()[0].state, CycleState::Breached);
}
