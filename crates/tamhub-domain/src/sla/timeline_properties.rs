//! Evaluation against a policy timeline (R-T1, R-T3, R-T4, R-T5, A3, A6, A10): a one-step
//! timeline is `evaluate` exactly; random timelines of two or three policies (and stretches
//! without one) equal the brute-force reference extended to timelines
//! (`reference::reference_timeline`); the incremental clock over a timeline equals the whole
//! replay (P1, R-C3) and wakes up where something changes (R-W4).

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;

use super::Instant;
use super::calendar::Calendar;
use super::engine::{CycleRecord, SlaClock, evaluate, evaluate_timeline};
use super::model::{Event, Policy};
use super::reference::{RefError, reference_timeline};
use super::reference_properties::{RawPolicy, Scenario, cases, describe, normalised, policy_of, raw_policy, scenario};

/// A scenario with the policy in force changing over the ticket's life.
#[derive(Clone)]
struct TimelineScenario {
    base: Scenario,
    steps: Vec<(Instant, Option<Policy>)>,
}

impl std::fmt::Debug for TimelineScenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.base.json_line())?;
        for (at, policy) in &self.steps {
            writeln!(f, "  from {at}: {policy:?}")?;
        }
        Ok(())
    }
}

impl TimelineScenario {
    fn timeline(&self) -> Vec<(Instant, Option<Arc<Policy>>)> {
        self.steps.iter().map(|(at, p)| (*at, p.clone().map(Arc::new))).collect()
    }
}

fn calendars(s: &Scenario) -> BTreeMap<String, Calendar> {
    s.calendars.iter().map(|spec| (spec.id.clone(), Calendar::from_spec(spec, "c").unwrap())).collect()
}

/// Which policy a step brings: the scenario's own, one of two others, or none.
fn choice() -> impl Strategy<Value = usize> {
    prop_oneof![2 => Just(0usize), 3 => Just(1usize), 3 => Just(2usize), 1 => Just(3usize)]
}

/// The scenario's policy from creation, then up to three changes on whole minutes of the
/// first ten days (some at event instants, where they meet the events of that instant).
fn timeline_scenario() -> impl Strategy<Value = TimelineScenario> {
    (
        scenario(),
        raw_policy(),
        raw_policy(),
        prop::collection::vec((0i64..(10 * 24 * 60), any::<prop::sample::Index>(), any::<bool>(), choice()), 1..=3),
        any::<bool>(),
    )
        .prop_map(|(base, second, third, changes, before_creation)| {
            let ids: Vec<String> =
                base.calendars.iter().map(|c| c.id.clone()).chain(std::iter::once("24x7".to_string())).collect();
            let others: [&RawPolicy; 2] = [&second, &third];
            let policies = [
                Some(base.policy.clone()),
                Some(policy_of(others[0], &ids, "t1")),
                Some(policy_of(others[1], &ids, "t2")),
                None,
            ];
            let created = base.events[0].at;
            let first = if before_creation { created - 3600 } else { created };
            let mut steps = vec![(first, policies[0].clone())];
            for (minute, index, on_event, which) in changes {
                let at = if on_event { base.events[index.index(base.events.len())].at } else { created + minute * 60 };
                steps.push((at, policies[which].clone()));
            }
            TimelineScenario { base, steps }
        })
}

fn with_ids(records: Vec<CycleRecord>) -> Vec<CycleRecord> {
    let ids: Vec<Option<String>> = records.iter().map(|r| r.policy_id.clone()).collect();
    let mut records = normalised(records);
    for (r, id) in records.iter_mut().zip(ids) {
        r.policy_id = id;
    }
    records
}

fn up_to(events: &[Event], t: Instant) -> Vec<Event> {
    events.iter().filter(|e| e.at <= t).cloned().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 4096, .. ProptestConfig::default() })]

    /// A timeline of one step, wherever the step lies, is one policy for the whole life.
    #[test]
    fn a_one_step_timeline_is_evaluate(s in scenario(), offset in -(3 * 86_400i64)..(3 * 86_400)) {
        let calendars = calendars(&s);
        let timeline = vec![(s.events[0].at + offset, Some(Arc::new(s.policy.clone())))];
        let alone = evaluate(&s.events, &s.policy, &calendars, s.now);
        let stepped = evaluate_timeline(&s.events, &timeline, &calendars, s.now);
        match (alone, stepped) {
            (Ok(records), Ok((stepped, wake))) => {
                prop_assert_eq!(&stepped, &records);
                let mut clock = SlaClock::new(&s.policy, &calendars);
                clock.apply(&up_to(&s.events, s.now), s.now).unwrap();
                prop_assert_eq!(wake, clock.next_wake_at(s.now).unwrap());
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{:?}\n{:?}", a, b),
        }
    }

    /// P5 for timelines: the engine equals the brute-force reference, policy ids included.
    #[test]
    fn a_timeline_equals_the_brute_force_reference(s in timeline_scenario()) {
        let calendars = calendars(&s.base);
        let engine = evaluate_timeline(&s.base.events, &s.timeline(), &calendars, s.base.now);
        let reference = reference_timeline(&s.base.events, &s.steps, &s.base.calendars, s.base.now);
        match (engine, reference) {
            (_, Err(RefError::GaveUp)) | (Err(_), Err(RefError::NoBusinessTime { .. })) => {}
            (Ok((e, _)), Ok(r)) => {
                let (e, r) = (with_ids(e), with_ids(r));
                if e != r {
                    let lines = |v: &[CycleRecord]| v.iter().map(|c| format!("{} {:?}", describe(c), c.policy_id)).collect::<Vec<_>>();
                    prop_assert!(false, "{:?}\nengine    {:#?}\nreference {:#?}", s, lines(&e), lines(&r));
                }
            }
            (e, r) => prop_assert!(false, "{:?}\nengine {:?}\nreference {:?}", s, e.map(|v| v.0.len()), r.map(|v| v.len())),
        }
    }

    /// P1 (R-C3) over a timeline: applying the events in pieces, with looks in between, ends
    /// where the whole replay does; and nothing changes before the next wake-up (R-W4).
    #[test]
    fn a_timeline_clock_in_pieces_equals_the_whole(
        s in timeline_scenario(),
        splits in prop::collection::vec(0i64..(11 * 86_400), 0..3),
        fraction in 0.0f64..1.0,
    ) {
        let calendars = calendars(&s.base);
        let timeline = s.timeline();
        let events = &s.base.events;
        let now = s.base.now.max(events[0].at);
        let Ok((whole, wake)) = evaluate_timeline(events, &timeline, &calendars, now) else { return Ok(()) };
        let mut splits: Vec<Instant> = splits.into_iter().map(|o| (events[0].at + o).min(now)).collect();
        splits.sort_unstable();
        let mut clock = SlaClock::with_timeline(&timeline, &calendars);
        let mut settled = None;
        for &split in splits.iter().chain([&now]) {
            if settled.is_some_and(|s| split <= s) {
                continue;
            }
            let piece: Vec<Event> =
                events.iter().filter(|e| settled.is_none_or(|s| e.at > s) && e.at <= split).cloned().collect();
            clock.apply(&piece, split).unwrap();
            settled = Some(split);
            if let Ok((expected, _)) = evaluate_timeline(&up_to(events, split), &timeline, &calendars, now) {
                prop_assert_eq!(clock.report(now).unwrap(), expected);
            }
        }
        prop_assert_eq!(&clock.report(now).unwrap(), &whole);
        prop_assert_eq!(clock.next_wake_at(now).unwrap(), wake);
        let flags = |r: &[CycleRecord]| r.iter().map(|c| (c.metric, c.cycle_no, c.breached, c.warnings.clone())).collect::<Vec<_>>();
        if let Some(wake) = wake {
            prop_assert!(wake > now);
            let inside = now + ((wake - now - 1) as f64 * fraction) as i64;
            if let Ok(at) = clock.report(inside) {
                prop_assert_eq!(flags(&at), flags(&whole), "changed at {} before {}", inside, wake);
            }
        }
    }
}

/// Sanity of the generator: cycles run under the other policies, and some end by a change.
#[test]
fn timeline_scenarios_exercise_policy_changes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut others, mut cancelled, mut compared) = (0, 0, 0);
    for _ in 0..200 {
        let s = timeline_scenario().new_tree(&mut runner).unwrap().current();
        if let Ok(records) = reference_timeline(&s.base.events, &s.steps, &s.base.calendars, s.base.now) {
            compared += 1;
            others += records.iter().filter(|r| r.policy_id.as_deref() != Some("p5")).count();
            let changes: Vec<Instant> = s.steps.iter().skip(1).map(|(at, _)| *at).collect();
            cancelled += records
                .iter()
                .filter(|r| r.state == super::engine::CycleState::Cancelled)
                .filter(|r| r.stopped_at.is_some_and(|t| changes.contains(&t)))
                .count();
        }
    }
    assert!(compared > 150 && others > 100 && cancelled > 10, "{compared} {others} {cancelled}");
}
