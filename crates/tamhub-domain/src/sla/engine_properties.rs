//! Engine properties on random histories: P2 (elapsed is monotone in `now` and never exceeds
//! calendar time) and P6 (removing a pause never makes a deadline later).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::Instant;
use super::calendar::{Calendar, CalendarSpec};
use super::engine::{CycleRecord, evaluate};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Status, Target};

const START: Instant = 1_709_877_600; // 2024-03-08T06:00:00Z, a Friday before the US DST change

fn calendars() -> BTreeMap<String, Calendar> {
    let spec = CalendarSpec {
        id: "ny".into(),
        tz: "America/New_York".into(),
        weekly: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), vec![vec![540, 1020]])).collect(),
        holidays: vec![],
        exceptions: BTreeMap::new(),
    };
    BTreeMap::from([("ny".to_string(), Calendar::from_spec(&spec, "c").unwrap())])
}

fn policy(business: bool) -> Policy {
    let mut targets = BTreeMap::new();
    for (metric, _) in Metric::ALL {
        for (priority, seconds) in [("high", 4 * 3600), ("low", 12 * 3600)] {
            let hours = if business { Hours::Business } else { Hours::Calendar };
            targets.insert((metric, priority.to_string()), Target { seconds, hours, calendar_id: "ny".into() });
        }
    }
    Policy {
        id: "p".into(),
        targets,
        warn_percent: vec![50, 75, 90],
        warn_remaining_seconds: vec![900],
        pause_sets: BTreeMap::new(),
        reopen: BTreeMap::new(),
        start_at_first_customer_message: true,
    }
}

fn event() -> impl Strategy<Value = (i64, EventKind)> {
    let kind = prop_oneof![
        Just(EventKind::Comment { author: Author::Agent, public: true }),
        Just(EventKind::Comment { author: Author::Customer, public: true }),
        Just(EventKind::Comment { author: Author::Agent, public: false }),
        Just(EventKind::Status { to: Status::Pending }),
        Just(EventKind::Status { to: Status::Open }),
        Just(EventKind::Status { to: Status::OnHold }),
        Just(EventKind::Status { to: Status::Solved }),
        Just(EventKind::Priority { to: "high".into() }),
        Just(EventKind::Priority { to: "low".into() }),
    ];
    (1i64..(6 * 86_400), kind)
}

fn history() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(event(), 0..12).prop_map(|mut raw| {
        raw.sort_by_key(|(at, _)| *at);
        let mut events = vec![Event {
            at: START,
            kind: EventKind::Created { priority: "high".into(), by: Author::Customer, public: true },
        }];
        events.extend(raw.into_iter().map(|(offset, kind)| Event { at: START + offset, kind }));
        events
    })
}

fn key(r: &CycleRecord) -> (Metric, u32) {
    (r.metric, r.cycle_no)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// P2: a cycle's elapsed time never decreases as `now` moves on, and never exceeds the
    /// calendar time the cycle has existed.
    #[test]
    fn elapsed_is_monotone_and_bounded(events in history(), business in any::<bool>(), t1 in 0i64..(8 * 86_400), dt in 0i64..(3 * 86_400)) {
        let (policy, calendars) = (policy(business), calendars());
        let early = evaluate(&events, &policy, &calendars, START + t1).unwrap();
        let late = evaluate(&events, &policy, &calendars, START + t1 + dt).unwrap();
        let late_by_key: BTreeMap<_, _> = late.iter().map(|r| (key(r), r)).collect();
        for r in &early {
            let upto = r.stopped_at.unwrap_or(START + t1);
            prop_assert!(r.elapsed_seconds <= upto - r.started_at, "{r:?}");
            prop_assert!(r.elapsed_seconds >= 0);
            if let Some(later) = late_by_key.get(&key(r)) {
                prop_assert!(later.elapsed_seconds >= r.elapsed_seconds, "{r:?} then {later:?}");
                if r.breached {
                    prop_assert_eq!(later.breached_at, r.breached_at, "R-S6: a breach instant never moves");
                }
            }
        }
    }

    /// P6: taking out a pending stretch never makes the resolution deadline (or breach) later.
    #[test]
    fn removing_a_pause_never_delays_the_deadline(pause_at in 600i64..(2 * 86_400), length in 60i64..86_400, business in any::<bool>()) {
        let created = Event { at: START, kind: EventKind::Created { priority: "high".into(), by: Author::Customer, public: true } };
        let paused = vec![
            created.clone(),
            Event { at: START + pause_at, kind: EventKind::Status { to: Status::Pending } },
            Event { at: START + pause_at + length, kind: EventKind::Status { to: Status::Open } },
        ];
        let now = START + 7 * 86_400;
        let (policy, calendars) = (policy(business), calendars());
        let resolution = |events: &[Event]| {
            evaluate(events, &policy, &calendars, now).unwrap().into_iter().find(|r| r.metric == Metric::Resolution).unwrap()
        };
        let with_pause = resolution(&paused);
        let without = resolution(&[created]);
        let deadline = |r: &CycleRecord| r.breached_at.or(r.due_at).unwrap();
        prop_assert!(deadline(&without) <= deadline(&with_pause), "{without:?} vs {with_pause:?}");
    }
}
