//! Property tests of the calendar against an independent brute-force reference (P3, P4, P5 at
//! calendar level). The reference decides membership one minute at a time by asking, for each
//! nearby local date, whether the minute falls inside one of that date's resolved spans — no
//! merging, no windows, no search.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::Instant;
use super::calendar::{Calendar, CalendarSpec};

const ZONES: [&str; 6] =
    ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "America/Santiago", "UTC"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Clone, Debug)]
struct Scenario {
    spec: CalendarSpec,
    /// A few days before the season's clock changes; instants are drawn after it.
    base: Instant,
}

/// The reference: is the minute starting at `t` business time?
fn reference_open(spec: &CalendarSpec, t: Instant) -> bool {
    let tz = TimeZone::get(&spec.tz).unwrap();
    let local = jiff::Timestamp::from_second(t).unwrap().to_zoned(tz.clone()).date();
    let resolve = |date: Date, minute: i64| -> Instant {
        let date = date + jiff::Span::new().days(minute / 1440);
        let m = minute % 1440;
        let dt = date.at((m / 60) as i8, (m % 60) as i8, 0, 0);
        tz.to_ambiguous_timestamp(dt).compatible().unwrap().as_second()
    };
    for offset in -1..=1 {
        let date = local + jiff::Span::new().days(offset);
        let key = date.to_string();
        let spans: Vec<Vec<i64>> = if spec.holidays.contains(&key) {
            vec![]
        } else if let Some(spans) = spec.exceptions.get(&key) {
            spans.clone()
        } else {
            let day = DAYS[date.weekday().to_monday_zero_offset() as usize];
            spec.weekly.get(day).cloned().unwrap_or_default()
        };
        for span in spans {
            if resolve(date, span[0]) <= t && t < resolve(date, span[1]) {
                return true;
            }
        }
    }
    false
}

fn reference_between(spec: &CalendarSpec, a: Instant, b: Instant) -> i64 {
    (a..b).step_by(60).filter(|t| reference_open(spec, *t)).count() as i64 * 60
}

fn reference_add(spec: &CalendarSpec, a: Instant, d: i64) -> Option<Instant> {
    let mut left = d;
    let mut t = a;
    while left > 0 {
        if t > a + 400 * 86_400 {
            return None;
        }
        if reference_open(spec, t) {
            left -= 60;
        }
        t += 60;
    }
    Some(t)
}

/// Sorted, non-overlapping spans on a 30-minute grid, so every boundary is minute-aligned.
fn spans() -> impl Strategy<Value = Vec<Vec<i64>>> {
    prop::collection::btree_set(0i64..=48, 0..=4).prop_map(|cuts| {
        let cuts: Vec<i64> = cuts.into_iter().map(|c| c * 30).collect();
        cuts.chunks(2).filter(|c| c.len() == 2 && c[0] < c[1]).map(|c| vec![c[0], c[1]]).collect()
    })
}

/// A week of hours, one holiday and one exception near March/April and October/November 2024,
/// where most of these zones change their clocks.
fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::sample::select(ZONES.to_vec()),
        prop::collection::vec(spans(), 7),
        prop::option::of(0i64..40),
        prop::option::of((0i64..40, spans())),
        prop::bool::ANY,
    )
        .prop_map(|(tz, week, holiday, exception, autumn)| {
            let base: Date = if autumn { "2024-10-20".parse().unwrap() } else { "2024-03-05".parse().unwrap() };
            let day = |n: i64| (base + jiff::Span::new().days(n)).to_string();
            let weekly = DAYS.iter().zip(week).map(|(d, s)| (d.to_string(), s)).collect();
            let base = if autumn { "2024-10-15T00:00:00Z" } else { "2024-03-01T00:00:00Z" };
            Scenario {
                base: base.parse::<jiff::Timestamp>().unwrap().as_second(),
                spec: CalendarSpec {
                    id: "p".into(),
                    tz: tz.into(),
                    weekly,
                    holidays: holiday.map(day).into_iter().collect(),
                    exceptions: exception.map(|(n, s)| (day(n), s)).into_iter().collect::<BTreeMap<_, _>>(),
                },
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// P5 (calendar level): `between` equals the minute-by-minute reference.
    #[test]
    fn between_equals_the_reference(s in scenario(), from in 0i64..(30 * 24 * 60), len in 0i64..(7 * 24 * 60)) {
        let a = s.base + from * 60;
        let b = a + len * 60;
        let calendar = Calendar::from_spec(&s.spec, "c").unwrap();
        prop_assert_eq!(calendar.between(a, b), reference_between(&s.spec, a, b));
    }

    /// P5 and P3: `add` equals the reference, and `between(a, add(a, d)) = d`.
    #[test]
    fn add_equals_the_reference_and_inverts_between(s in scenario(), from in 0i64..(30 * 24 * 60), minutes in 0i64..(3 * 24 * 60)) {
        let a = s.base + from * 60;
        let d = minutes * 60;
        let calendar = Calendar::from_spec(&s.spec, "c").unwrap();
        let reference = reference_add(&s.spec, a, d);
        match calendar.add(a, d) {
            Ok(due) => {
                prop_assert_eq!(Some(due), reference);
                prop_assert_eq!(calendar.between(a, due), d);
            }
            Err(_) => prop_assert_eq!(reference, None),
        }
    }

    /// P4: moving the calendar's dated entries and both instants by whole weeks, in a zone
    /// without DST, changes no duration.
    #[test]
    fn whole_week_shifts_keep_durations(s in scenario(), from in 0i64..(14 * 24 * 60), len in 0i64..(7 * 24 * 60), weeks in 1i64..8) {
        let mut spec = s.spec.clone();
        spec.tz = "Asia/Kolkata".into();
        let shift_date = |d: &String| (d.parse::<Date>().unwrap() + jiff::Span::new().weeks(weeks)).to_string();
        let mut shifted = spec.clone();
        shifted.holidays = spec.holidays.iter().map(shift_date).collect();
        shifted.exceptions = spec.exceptions.iter().map(|(d, v)| (shift_date(d), v.clone())).collect();
        let (a, b) = (s.base + from * 60, s.base + (from + len) * 60);
        let week = weeks * 7 * 86_400;
        let original = Calendar::from_spec(&spec, "c").unwrap();
        let moved = Calendar::from_spec(&shifted, "c").unwrap();
        prop_assert_eq!(original.between(a, b), moved.between(a + week, b + week));
        let d = original.between(a, b);
        prop_assert_eq!(original.add(a, d).map(|t| t + week), moved.add(a + week, d));
    }
}
