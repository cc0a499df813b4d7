//! The incremental clock: P1 (R-C3, replaying a prefix and then the remainder equals replaying
//! everything at once) and `next_wake_at` (R-W4: nothing in the warnings or breach flags changes
//! before it, and something does at it), on random histories over two business calendars in
//! zones with DST.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::Instant;
use super::calendar::{Calendar, CalendarSpec};
use super::engine::{ClockError, CycleRecord, SlaClock, Warning, evaluate};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Reopen, Status, Target};

const START: Instant = 1_709_877_600; // 2024-03-08T06:00:00Z, a Friday before the US DST change
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn calendars() -> BTreeMap<String, Calendar> {
    let ny = CalendarSpec {
        id: "ny".into(),
        tz: "America/New_York".into(),
        weekly: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), vec![vec![540, 1020]])).collect(),
        holidays: vec!["2024-03-12".into()],
        exceptions: BTreeMap::new(),
    };
    // Early hours meet the DST gap of 2024-03-31 in Berlin.
    let berlin = CalendarSpec {
        id: "berlin".into(),
        tz: "Europe/Berlin".into(),
        weekly: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| (d.to_string(), vec![vec![60, 240], vec![600, 960]]))
            .collect(),
        holidays: vec![],
        exceptions: BTreeMap::from([("2024-03-11".to_string(), vec![vec![0, 1440]])]),
    };
    [ny, berlin].into_iter().map(|spec| (spec.id.clone(), Calendar::from_spec(&spec, "c").unwrap())).collect()
}

const PRIORITIES: [&str; 2] = ["high", "low"];

/// Every metric for both priorities, each target on one of four kinds of hours.
fn policy() -> impl Strategy<Value = Policy> {
    (prop::collection::vec((0usize..4, 1i64..24), 14), any::<bool>(), any::<bool>()).prop_map(
        |(choices, resume, two_remaining)| {
            let mut targets = BTreeMap::new();
            let pairs = Metric::ALL.iter().flat_map(|(m, _)| PRIORITIES.iter().map(move |p| (*m, *p)));
            for ((metric, priority), (kind, hours)) in pairs.zip(choices) {
                let (hours_kind, calendar_id) = match kind {
                    0 => (Hours::Business, "ny"),
                    1 => (Hours::Business, "berlin"),
                    2 => (Hours::Business, "24x7"),
                    _ => (Hours::Calendar, "ny"),
                };
                let target = Target { seconds: hours * HOUR, hours: hours_kind, calendar_id: calendar_id.into() };
                targets.insert((metric, priority.to_string()), target);
            }
            Policy {
                id: "p".into(),
                targets,
                warn_percent: vec![50, 75, 90, 120],
                warn_remaining_seconds: if two_remaining { vec![900, 2 * HOUR] } else { vec![900] },
                pause_sets: BTreeMap::new(),
                reopen: if resume { BTreeMap::from([(Metric::Resolution, Reopen::Resume)]) } else { BTreeMap::new() },
                start_at_first_customer_message: true,
            }
        },
    )
}

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        3 => Just(EventKind::Comment { author: Author::Agent, public: true }),
        3 => Just(EventKind::Comment { author: Author::Customer, public: true }),
        1 => Just(EventKind::Comment { author: Author::Agent, public: false }),
        1 => Just(EventKind::Comment { author: Author::System, public: false }),
        1 => Just(EventKind::Status { to: Status::Pending }),
        2 => Just(EventKind::Status { to: Status::Open }),
        1 => Just(EventKind::Status { to: Status::OnHold }),
        2 => Just(EventKind::Status { to: Status::Solved }),
        1 => Just(EventKind::Status { to: Status::Closed }),
        1 => Just(EventKind::Priority { to: "high".into() }),
        1 => Just(EventKind::Priority { to: "low".into() }),
        1 => Just(EventKind::Priority { to: "none".into() }),
        1 => (0usize..7, prop::sample::select(PRIORITIES.to_vec()), 1i64..30).prop_map(|(m, p, h)| EventKind::Target {
            metric: Metric::ALL[m].0,
            priority: p.into(),
            seconds: h * HOUR
        }),
    ]
}

/// A ticket created at START, then up to 24 events over a week; a few share an instant
/// (one update with several changes, R-C4).
fn history() -> impl Strategy<Value = Vec<Event>> {
    let created = (any::<bool>(), any::<bool>(), prop::sample::select(PRIORITIES.to_vec()));
    let later = prop::collection::vec((0i64..(7 * DAY), any::<bool>(), kind()), 0..24);
    (created, later).prop_map(|((by_agent, public, priority), later)| {
        let by = if by_agent { Author::Agent } else { Author::Customer };
        let mut events = vec![Event { at: START, kind: EventKind::Created { priority: priority.into(), by, public } }];
        let mut at = START;
        let mut raw: Vec<(i64, bool, EventKind)> = later;
        raw.sort_by_key(|(offset, _, _)| *offset);
        for (offset, same_instant, kind) in raw {
            if !same_instant {
                at = START + offset;
            }
            events.push(Event { at, kind });
        }
        events
    })
}

/// What the report shows that only changes at discrete instants.
fn flags(records: &[CycleRecord]) -> Vec<(Metric, u32, bool, Vec<Warning>)> {
    records.iter().map(|r| (r.metric, r.cycle_no, r.breached, r.warnings.clone())).collect()
}

fn up_to(events: &[Event], t: Instant) -> Vec<Event> {
    events.iter().filter(|e| e.at <= t).cloned().collect()
}

fn from_scratch(
    events: &[Event],
    policy: &Policy,
    calendars: &BTreeMap<String, Calendar>,
    now: Instant,
) -> Vec<CycleRecord> {
    evaluate(events, policy, calendars, now).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// P1 (R-C3): applying the events in pieces, split at random instants, with looks at the
    /// report in between, ends exactly where replaying them all at once does, field by field.
    #[test]
    fn replaying_in_pieces_equals_replaying_at_once(
        policy in policy(),
        events in history(),
        now in 0i64..(9 * DAY),
        splits in prop::collection::vec(((-DAY)..(9 * DAY), any::<prop::sample::Index>(), any::<bool>()), 1..4),
        peek in 0i64..DAY,
    ) {
        let calendars = calendars();
        let now = START + now;
        // Half the splits fall on an event's instant, where an instant's events meet.
        let split_at = |(offset, index, on_event): (i64, prop::sample::Index, bool)| {
            if on_event { events[index.index(events.len())].at } else { START + offset }
        };
        let mut splits: Vec<Instant> = splits.into_iter().map(|s| split_at(s).min(now)).collect();
        splits.sort_unstable();
        splits.dedup();
        let mut clock = SlaClock::new(&policy, &calendars);
        let mut settled = None;
        for &split in splits.iter().chain([&now]) {
            let piece: Vec<Event> =
                events.iter().filter(|e| settled.is_none_or(|s| e.at > s) && e.at <= split).cloned().collect();
            clock.apply(&piece, split).unwrap();
            settled = Some(split);
            // Looking ahead without events must not disturb the clock, and must show what a
            // replay of the events so far shows at that instant.
            let ahead = split + peek;
            prop_assert_eq!(clock.report(ahead).unwrap(), from_scratch(&up_to(&events, split), &policy, &calendars, ahead));
            clock.next_wake_at(ahead).unwrap();
        }
        prop_assert_eq!(clock.settled(), Some(now));
        prop_assert_eq!(clock.report(now).unwrap(), from_scratch(&events, &policy, &calendars, now));
    }

    /// R-W4: before `next_wake_at` the warnings and breach flags stay as they are; at it they
    /// change. Without a wake-up they never change.
    #[test]
    fn nothing_changes_before_the_next_wake_up(
        policy in policy(),
        events in history(),
        now in 0i64..(9 * DAY),
        fraction in 0.0f64..1.0,
    ) {
        let calendars = calendars();
        let now = START + now;
        let mut clock = SlaClock::new(&policy, &calendars);
        clock.apply(&up_to(&events, now), now).unwrap();
        let at_now = flags(&clock.report(now).unwrap());
        let wake = clock.next_wake_at(now).unwrap();
        let samples: Vec<Instant> = match wake {
            Some(wake) => {
                prop_assert!(wake > now);
                let inside = now + ((wake - now - 1) as f64 * fraction) as i64;
                vec![now + 1, inside, wake - 1].into_iter().filter(|t| *t < wake).collect()
            }
            None => vec![now + 1, now + HOUR, now + 30 * DAY, now + 400 * DAY],
        };
        for t in samples {
            prop_assert_eq!(&flags(&clock.report(t).unwrap()), &at_now, "changed at {} before {:?}", t, wake);
        }
        if let Some(wake) = wake {
            prop_assert_ne!(flags(&clock.report(wake).unwrap()), at_now, "nothing changed at {}", wake);
        }
    }
}

fn at(text: &str) -> Instant {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// G1's set-up (NY hours, 4 business hours from Friday 15:00 before the DST weekend): the wake-ups
/// walk through the warnings to the breach, which shows a second after the deadline (A14).
#[test]
fn wake_ups_follow_the_warnings_to_the_breach() {
    let calendars = calendars();
    let target = Target { seconds: 4 * HOUR, hours: Hours::Business, calendar_id: "ny".into() };
    let policy = Policy {
        id: "p".into(),
        targets: BTreeMap::from([((Metric::Resolution, "high".to_string()), target)]),
        warn_percent: vec![50, 75, 90],
        warn_remaining_seconds: vec![900],
        pause_sets: BTreeMap::new(),
        reopen: BTreeMap::new(),
        start_at_first_customer_message: true,
    };
    let start = at("2024-03-08T15:00:00-05:00");
    let created =
        Event { at: start, kind: EventKind::Created { priority: "high".into(), by: Author::Customer, public: true } };
    let mut clock = SlaClock::new(&policy, &calendars);
    clock.apply(&[created], start).unwrap();
    let mut wakes = Vec::new();
    let mut now = start;
    while let Some(next) = clock.next_wake_at(now).unwrap() {
        wakes.push(next);
        now = next;
    }
    let expected = [
        "2024-03-08T17:00:00-05:00", // 50 %: two business hours, at the Friday close (R-K7)
        "2024-03-11T10:00:00-04:00", // 75 %
        "2024-03-11T10:36:00-04:00", // 90 %
        "2024-03-11T10:45:00-04:00", // 900 s remaining
        "2024-03-11T11:00:01-04:00", // breached: now > due_at
    ];
    assert_eq!(wakes, expected.map(at));
    let last = clock.report(now).unwrap();
    assert_eq!((last[0].breached, last[0].breached_at), (true, Some(at("2024-03-11T11:00:00-04:00"))));
    // The clock itself never moved: an event at the start instant's successor still applies.
    assert_eq!(clock.settled(), Some(start));
}

#[test]
fn the_clock_refuses_events_out_of_order() {
    let calendars = calendars();
    let policy = Policy {
        id: "p".into(),
        targets: BTreeMap::new(),
        warn_percent: vec![],
        warn_remaining_seconds: vec![],
        pause_sets: BTreeMap::new(),
        reopen: BTreeMap::new(),
        start_at_first_customer_message: true,
    };
    let reply = |at| Event { at, kind: EventKind::Comment { author: Author::Agent, public: true } };
    let mut clock = SlaClock::new(&policy, &calendars);
    clock.apply(&[reply(100)], 200).unwrap();
    assert_eq!(clock.apply(&[reply(200)], 300), Err(ClockError::EventNotAfterSettled { at: 200, settled: 200 }));
    assert_eq!(clock.apply(&[reply(400)], 300), Err(ClockError::EventAfterUntil { at: 400, until: 300 }));
    assert_eq!(clock.report(150), Err(ClockError::BeforeSettled { at: 150, settled: 200 }));
    assert_eq!(clock.apply(&[], 150), Err(ClockError::BeforeSettled { at: 150, settled: 200 }));
    clock.apply(&[reply(201)], 201).unwrap();
    assert_eq!(clock.settled(), Some(201));
}
