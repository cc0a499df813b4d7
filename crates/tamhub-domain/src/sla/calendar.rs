//! Business calendars (R-K1 … R-K10): weekly hours in local minutes, holidays, exceptions, DST
//! gaps and folds resolved "compatible", versions in force from an instant on, and the two
//! operations the clocks need: how much business time lies between two instants (`between`,
//! R-K6) and when a duration of business time starting at an instant is used up (`add`, R-K7).

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::Instant;
use super::timeline::{Day, NO_BUSINESS_GAP, Timeline, day_number};
use crate::validation::FieldErrors;

/// Minutes of a local day, `[start, end)`, `0 <= start < end <= 1440`.
pub type LocalSpan = (u16, u16);

pub const ALWAYS_OPEN_ID: &str = "24x7";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar {0} has no business time in the 366 days searched")]
    CalendarHasNoBusinessTime(String),
}

#[derive(Clone, Debug)]
pub struct Calendar {
    pub id: String,
    /// Oldest first, by `from`; none for `24x7`.
    versions: Vec<Version>,
}

/// The hours of a calendar in force from an instant on (R-K10); the first version also decides
/// the instants before it.
#[derive(Clone, Debug)]
pub(crate) struct Version {
    pub(crate) from: Instant,
    pub(crate) hours: BusinessHours,
}

#[derive(Clone, Debug)]
pub(crate) struct BusinessHours {
    pub(crate) tz: TimeZone,
    /// Monday first.
    pub(crate) weekly: [Vec<LocalSpan>; 7],
    /// Local dates as day numbers, sorted.
    pub(crate) holidays: Vec<Day>,
    /// Sorted by date.
    pub(crate) exceptions: Vec<(Day, Vec<LocalSpan>)>,
}

/// A calendar as written in `tamhub sla eval` input and the calendars API (section 3).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub id: String,
    #[serde(default)]
    pub tz: String,
    #[serde(default)]
    pub weekly: BTreeMap<String, Vec<Vec<i64>>>,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub exceptions: BTreeMap<String, Vec<Vec<i64>>>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// R-K1: spans sorted, non-overlapping, inside the day. `field` names the list in messages; it
/// is built only for one.
fn parse_spans(errors: &mut FieldErrors, field: impl Fn() -> String, raw: &[Vec<i64>]) -> Vec<LocalSpan> {
    let mut spans: Vec<LocalSpan> = Vec::with_capacity(raw.len());
    for (i, span) in raw.iter().enumerate() {
        let name = || format!("{}[{i}]", field());
        match span.as_slice() {
            [start, end] if 0 <= *start && start < end && *end <= 1440 => {
                if let Some(&(_, previous_end)) = spans.last()
                    && i64::from(previous_end) > *start
                {
                    errors.add(&name(), "must start at or after the end of the previous interval");
                }
                spans.push((*start as u16, *end as u16));
            }
            [_, _] => errors.add(&name(), "must be [start, end) local minutes with 0 <= start < end <= 1440"),
            _ => errors.add(&name(), "must be a pair [start, end]"),
        }
    }
    spans
}

impl Calendar {
    /// The built-in calendar in which all time is business time.
    pub fn always_open() -> Calendar {
        Calendar { id: ALWAYS_OPEN_ID.into(), versions: Vec::new() }
    }

    pub fn is_always_open(&self) -> bool {
        self.versions.is_empty()
    }

    /// Validates a calendar; errors name the field under `prefix` (e.g. `calendars[0]`).
    pub fn from_spec(spec: &CalendarSpec, prefix: &str) -> Result<Calendar, FieldErrors> {
        let mut errors = FieldErrors::new();
        if spec.id.trim().is_empty() {
            errors.add(&format!("{prefix}.id"), "must not be empty");
        }
        if spec.id == ALWAYS_OPEN_ID {
            errors.add(&format!("{prefix}.id"), "24x7 is built in and cannot be redefined");
        }
        let tz = match TimeZone::get(&spec.tz) {
            Ok(tz) if !spec.tz.is_empty() => Some(tz),
            _ => {
                errors.add(&format!("{prefix}.tz"), "must be an IANA time zone such as America/New_York");
                None
            }
        };
        let mut weekly: [Vec<LocalSpan>; 7] = Default::default();
        for (day, raw) in &spec.weekly {
            match WEEKDAYS.iter().position(|d| d == day) {
                Some(i) => weekly[i] = parse_spans(&mut errors, || format!("{prefix}.weekly.{day}"), raw),
                None => {
                    errors.add(&format!("{prefix}.weekly.{day}"), "must be one of mon, tue, wed, thu, fri, sat, sun")
                }
            }
        }
        let mut holidays = BTreeSet::new();
        for (i, text) in spec.holidays.iter().enumerate() {
            match text.parse::<Date>() {
                Ok(date) => {
                    holidays.insert(date);
                }
                Err(_) => errors.add(&format!("{prefix}.holidays[{i}]"), "must be a date as YYYY-MM-DD"),
            }
        }
        let mut exceptions = BTreeMap::new();
        for (text, raw) in &spec.exceptions {
            let field = || format!("{prefix}.exceptions.{text}");
            match text.parse::<Date>() {
                Ok(date) => {
                    exceptions.insert(date, parse_spans(&mut errors, field, raw));
                }
                Err(_) => errors.add(&field(), "must be keyed by a date as YYYY-MM-DD"),
            }
        }
        errors.into_result()?;
        let tz = tz.unwrap_or(TimeZone::UTC);
        let holidays = holidays.into_iter().map(day_number).collect();
        let exceptions = exceptions.into_iter().map(|(date, spans)| (day_number(date), spans)).collect();
        let hours = BusinessHours { tz, weekly, holidays, exceptions };
        Ok(Calendar { id: spec.id.clone(), versions: vec![Version { from: i64::MIN, hours }] })
    }

    /// A calendar with versions (R-K10, R-K12): `(effective_from, hours)`. Whether an instant
    /// `t` is business time is decided by the version with the greatest `effective_from <= t`;
    /// instants before every version by the earliest one. Of versions with the same
    /// `effective_from`, the last one listed counts. The specs' own ids are ignored; errors
    /// name the field under `versions[i]`.
    pub fn versioned(id: &str, versions: &[(Instant, CalendarSpec)]) -> Result<Calendar, FieldErrors> {
        let mut errors = FieldErrors::new();
        if versions.is_empty() {
            errors.add("versions", "must hold at least one version");
        }
        let mut built: Vec<Version> = Vec::with_capacity(versions.len());
        for (i, (from, spec)) in versions.iter().enumerate() {
            let spec = CalendarSpec { id: id.to_string(), ..spec.clone() };
            match Calendar::from_spec(&spec, &format!("versions[{i}]")) {
                Ok(calendar) => {
                    built.extend(calendar.versions.into_iter().map(|v| Version { from: *from, hours: v.hours }))
                }
                Err(more) => errors.merge(more),
            }
        }
        errors.into_result()?;
        // Stable: of equal instants, the one listed last ends up last and replaces the others.
        built.sort_by_key(|v| v.from);
        let mut versions: Vec<Version> = Vec::with_capacity(built.len());
        for version in built {
            match versions.last_mut() {
                Some(last) if last.from == version.from => *last = version,
                _ => versions.push(version),
            }
        }
        Ok(Calendar { id: id.to_string(), versions })
    }

    /// This calendar's business time as instants, materialised as queries reach it. The
    /// engine keeps one per calendar for a whole replay; the methods below build a fresh one.
    pub(crate) fn timeline(&self) -> Timeline<'_> {
        Timeline::new(&self.versions)
    }

    /// R-K6: `|B ∩ [a, b)|`.
    pub fn between(&self, a: Instant, b: Instant) -> i64 {
        self.timeline().between(a, b)
    }

    /// R-K7: the first instant `t >= a` with `between(a, t) = d`; a deadline may fall exactly on
    /// a closing instant and never jumps to the next opening. R-K9 / A13: an error if the search
    /// meets 366 days without business time first.
    pub fn add(&self, a: Instant, d: i64) -> Result<Instant, CalendarError> {
        self.timeline().add(a, d).ok_or_else(|| self.no_business_time())
    }

    /// R-K8: the first business instant at or after `a` (for display); an error if there is none
    /// in the 366 days from `a` (R-K9).
    pub fn next_open(&self, a: Instant) -> Result<Instant, CalendarError> {
        self.timeline().next_open(a).ok_or_else(|| self.no_business_time())
    }

    /// R-K9: some business time within 366 days from `a`.
    pub fn has_business_time_after(&self, a: Instant) -> bool {
        self.next_open(a).is_ok_and(|t| t < a.saturating_add(NO_BUSINESS_GAP))
    }

    pub(crate) fn no_business_time(&self) -> CalendarError {
        CalendarError::CalendarHasNoBusinessTime(self.id.clone())
    }
}

#[cfg(test)]
mod golden {
    //! SLA-SPEC 1.10: the calendar-level golden cases.
    use super::*;

    fn at(text: &str) -> Instant {
        text.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    fn calendar(tz: &str, weekly: &[(&str, &[[i64; 2]])], holidays: &[&str]) -> Calendar {
        let spec = CalendarSpec {
            id: "c".into(),
            tz: tz.into(),
            weekly: weekly
                .iter()
                .map(|(d, spans)| (d.to_string(), spans.iter().map(|s| s.to_vec()).collect()))
                .collect(),
            holidays: holidays.iter().map(|h| h.to_string()).collect(),
            exceptions: BTreeMap::new(),
        };
        Calendar::from_spec(&spec, "calendar").unwrap()
    }

    const NINE_TO_FIVE: &[[i64; 2]] = &[[540, 1020]];

    fn new_york() -> Calendar {
        let days: Vec<(&str, &[[i64; 2]])> =
            ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (*d, NINE_TO_FIVE)).collect();
        calendar("America/New_York", &days, &[])
    }

    const H: i64 = 3600;

    #[test]
    fn g1_a_deadline_crosses_a_weekend_with_the_dst_start() {
        assert_eq!(new_york().add(at("2024-03-08T15:00:00-05:00"), 4 * H), Ok(at("2024-03-11T11:00:00-04:00")));
    }

    #[test]
    fn g2_a_deadline_may_fall_on_the_closing_instant() {
        assert_eq!(new_york().add(at("2024-03-08T15:00:00-05:00"), 2 * H), Ok(at("2024-03-08T17:00:00-05:00")));
    }

    #[test]
    fn g3_an_eleven_hour_business_day_at_the_fall_back() {
        let every_day: Vec<(&str, &[[i64; 2]])> = WEEKDAYS.iter().map(|d| (*d, &[[120, 720]][..])).collect();
        let berlin = calendar("Europe/Berlin", &every_day, &[]);
        assert_eq!(berlin.add(at("2025-10-25T20:01:00Z"), 8 * H), Ok(at("2025-10-26T09:00:00+01:00")));
        let day = berlin.between(at("2025-10-26T00:00:00+02:00"), at("2025-10-27T00:00:00+01:00"));
        assert_eq!(day, 11 * H);
    }

    #[test]
    fn g4_hours_on_the_dst_gap_and_fold_sundays() {
        let gap = calendar("America/New_York", &[("sun", &[[60, 240]])], &[]);
        assert_eq!(gap.between(at("2024-03-10T00:00:00-05:00"), at("2024-03-11T00:00:00-04:00")), 7200);
        let fold = calendar("America/New_York", &[("sun", &[[0, 180]])], &[]);
        assert_eq!(fold.between(at("2024-11-03T00:00:00-04:00"), at("2024-11-04T00:00:00-05:00")), 14400);
    }

    #[test]
    fn g5_a_holiday_removes_exactly_its_own_date() {
        let every_day: Vec<(&str, &[[i64; 2]])> = WEEKDAYS.iter().map(|d| (*d, &[[0, 720]][..])).collect();
        let berlin = calendar("Europe/Berlin", &every_day, &["2024-03-31"]);
        assert_eq!(berlin.between(at("2024-03-30T12:00:00+01:00"), at("2024-04-01T12:00:00+02:00")), 43200);
    }

    #[test]
    fn g10_a_weekend_start_counts_from_monday_opening() {
        assert_eq!(new_york().add(at("2024-03-09T10:00:00-05:00"), 900), Ok(at("2024-03-11T09:15:00-04:00")));
    }

    #[test]
    fn g11_round_the_clock_weekdays_across_the_fall_back() {
        let days: Vec<(&str, &[[i64; 2]])> =
            ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (*d, &[[0, 1440]][..])).collect();
        let ny = calendar("America/New_York", &days, &[]);
        assert_eq!(ny.add(at("2024-11-01T23:00:00-04:00"), 2 * H), Ok(at("2024-11-04T01:00:00-05:00")));
    }

    #[test]
    fn r_k9_a_calendar_without_business_time_is_an_error() {
        let closed = calendar("Europe/Paris", &[], &[]);
        assert_eq!(closed.add(0, 60), Err(CalendarError::CalendarHasNoBusinessTime("c".into())));
        assert!(!closed.has_business_time_after(0));
    }

    #[test]
    fn r_k6_business_time_runs_to_the_last_supported_date() {
        // Instants past the last local date (9999-12-31) count the business time up to its end;
        // the previous engine took their local date for 1970-01-01 and counted none, so a clock
        // running into them showed no elapsed time.
        let ny = new_york();
        let a = at("9999-12-01T00:00:00Z");
        let weekdays =
            (1..=31).filter(|d| jiff::civil::date(9999, 12, *d).weekday().to_monday_zero_offset() < 5).count() as i64;
        assert_eq!(ny.between(a, i64::MAX), weekdays * 8 * H);
    }

    #[test]
    fn bad_calendars_name_the_field() {
        let spec = CalendarSpec {
            id: "x".into(),
            tz: "Mars/Base".into(),
            weekly: BTreeMap::from([
                ("mon".into(), vec![vec![600, 540]]),
                ("tue".into(), vec![vec![0, 600], vec![500, 700]]),
                ("funday".into(), vec![]),
            ]),
            holidays: vec!["2024-02-30".into()],
            exceptions: BTreeMap::from([("2024-12-24".into(), vec![vec![0, 1441]])]),
        };
        let errors = Calendar::from_spec(&spec, "calendars[0]").unwrap_err();
        for field in [
            "calendars[0].tz",
            "calendars[0].weekly.mon[0]",
            "calendars[0].weekly.tue[1]",
            "calendars[0].weekly.funday",
            "calendars[0].holidays[0]",
            "calendars[0].exceptions.2024-12-24[0]",
        ] {
            assert!(errors.get(field).is_some(), "{field} not reported: {errors:?}");
        }
    }
}
