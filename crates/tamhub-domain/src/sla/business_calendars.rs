//! Business calendars as an organisation keeps them: named, versioned (R-K10, R-K12), with
//! holidays that can come from an iCalendar file. The engine's `Calendar` is built from these.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Instant;
use super::calendar::{Calendar, CalendarSpec};
use crate::ids::CalendarId;
use crate::validation::{FieldErrors, required_text};
use crate::{Date, Timestamp};

/// Weekly hours in local minutes, holidays and exceptions, in one time zone (R-K1): the body
/// of a calendar version, in the same shape as a calendar of `tamhub sla eval`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarHours {
    /// IANA time zone, e.g. America/New_York.
    pub tz: String,
    /// `mon`..`sun` → list of `[start_minute, end_minute]`, end up to 1440.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"mon": [[540, 1020]], "tue": [[540, 1020]]}))]
    pub weekly: BTreeMap<String, Vec<Vec<i64>>>,
    /// Local dates (YYYY-MM-DD) with no business hours.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Local date → the hours of that date instead of the weekly ones.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"2026-12-24": [[540, 780]]}))]
    pub exceptions: BTreeMap<String, Vec<Vec<i64>>>,
}

impl CalendarHours {
    /// Mon-Fri 09:00-17:00 in `tz`.
    pub fn weekdays_nine_to_five(tz: &str) -> CalendarHours {
        CalendarHours {
            tz: tz.into(),
            weekly: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| (d.to_string(), vec![vec![540, 1020]]))
                .collect(),
            holidays: Vec::new(),
            exceptions: BTreeMap::new(),
        }
    }

    fn spec(&self, id: &str) -> CalendarSpec {
        CalendarSpec {
            id: id.into(),
            tz: self.tz.clone(),
            weekly: self.weekly.clone(),
            holidays: self.holidays.clone(),
            exceptions: self.exceptions.clone(),
        }
    }

    /// R-K1 validation with field names relative to the body (`tz`, `weekly.mon[0]`, …); also
    /// puts holidays in order without duplicates.
    pub fn validate(mut self) -> Result<CalendarHours, FieldErrors> {
        self.tz = self.tz.trim().to_string();
        let dates: BTreeSet<String> = self.holidays.iter().map(|h| h.trim().to_string()).collect();
        self.holidays = dates.into_iter().collect();
        Calendar::from_spec(&self.spec("calendar"), "").map_err(|errors| {
            let mut renamed = FieldErrors::new();
            for (field, message) in errors.iter() {
                renamed.add(field.trim_start_matches('.'), message.clone());
            }
            renamed
        })?;
        Ok(self)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalendarVersion {
    pub version: i64,
    /// From this instant on, this version decides what is business time (R-K10).
    pub effective_from: Timestamp,
    pub hours: CalendarHours,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BusinessCalendar {
    pub id: CalendarId,
    pub name: String,
    /// Oldest first; never empty.
    pub versions: Vec<CalendarVersion>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl BusinessCalendar {
    /// The version in force at `t`: of the versions in effect by `t`, the one with the latest
    /// `effective_from`, then the highest number (R-K10); for instants before every version, the
    /// earliest one. Not by position: a version scheduled for later stays in force from its
    /// instant even if an edit effective sooner was made after it.
    pub fn version_at(&self, t: Timestamp) -> Option<&CalendarVersion> {
        let key = |v: &&CalendarVersion| (v.effective_from, v.version);
        let first = self.versions.iter().map(|v| v.effective_from).min()?;
        let from = if first <= t { t } else { first };
        self.versions.iter().filter(|v| v.effective_from <= from).max_by_key(key)
    }

    /// The version in force at `now`.
    pub fn current(&self, now: Timestamp) -> Option<&CalendarVersion> {
        self.version_at(now)
    }

    /// The engine's calendar: each version decides business time from its `effective_from`
    /// until the next one takes over (R-K10, R-K12); the earliest one also before it.
    pub fn engine_calendar(&self) -> Result<Calendar, FieldErrors> {
        let id = self.id.to_string();
        let mut versions: Vec<&CalendarVersion> = self.versions.iter().collect();
        // Of versions effective at one instant the highest number counts: `versioned` keeps the
        // last one listed.
        versions.sort_by_key(|v| (v.effective_from, v.version));
        let specs: Vec<(Instant, CalendarSpec)> =
            versions.iter().map(|v| (v.effective_from.as_second(), v.hours.spec(&id))).collect();
        Calendar::versioned(&id, &specs)
    }
}

pub const MAX_CALENDAR_NAME_CHARS: usize = 120;

/// Name and hours of a new calendar, or of a new version of one.
pub fn validate_calendar(name: &str, hours: CalendarHours) -> Result<(String, CalendarHours), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = required_text(&mut errors, "name", name, MAX_CALENDAR_NAME_CHARS);
    let hours = match hours.validate() {
        Ok(hours) => Some(hours),
        Err(more) => {
            errors.merge(more);
            None
        }
    };
    errors.into_result()?;
    Ok((name, hours.unwrap_or_default()))
}

/// A holiday found in an iCalendar file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportedHoliday {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub name: String,
}

/// The longest single event treated as holidays; longer ones are almost certainly not holidays.
const MAX_HOLIDAY_DAYS: i64 = 31;
/// Recurring holidays are expanded this many years from their first date.
const RECURRENCE_YEARS: i16 = 10;

/// Reads all-day events (`DTSTART;VALUE=DATE`) of an iCalendar file as holidays: multi-day events
/// give every date up to their exclusive `DTEND`, and a yearly `RRULE` repeats the date (with
/// `COUNT` or `UNTIL`, else for ten years). Errors name the line.
pub fn parse_ics_holidays(text: &str) -> Result<Vec<ImportedHoliday>, FieldErrors> {
    let unfolded = icalendar::parser::unfold(text);
    let calendar = icalendar::parser::read_calendar(&unfolded)
        .map_err(|e| FieldErrors::single("file", format!("is not an iCalendar file: {}", first_line(&e))))?;
    let mut holidays = Vec::new();
    let mut index = 0;
    for component in calendar.components.iter().flat_map(|c| std::iter::once(c).chain(c.components.iter())) {
        if !component.name.as_str().eq_ignore_ascii_case("VEVENT") {
            continue;
        }
        index += 1;
        let property = |name: &str| component.properties.iter().find(|p| p.name.as_str().eq_ignore_ascii_case(name));
        let field = format!("file.event[{index}]");
        let summary = property("SUMMARY").map(|p| p.val.to_string()).unwrap_or_else(|| "Holiday".into());
        let Some(start) = property("DTSTART") else {
            return Err(FieldErrors::single(&field, "has no DTSTART"));
        };
        let Some(first) = ics_date(start.val.as_ref()) else {
            // Timed events (meetings, half days) are not whole-day holidays: skip them.
            continue;
        };
        let last = match property("DTEND").and_then(|p| ics_date(p.val.as_ref())) {
            Some(end) if end > first => end.yesterday().unwrap_or(first),
            _ => first,
        };
        let days = (last - first).get_days() as i64 + 1;
        if days > MAX_HOLIDAY_DAYS {
            return Err(FieldErrors::single(
                &field,
                format!("lasts {days} days; holidays longer than {MAX_HOLIDAY_DAYS} days are refused"),
            ));
        }
        let starts = match property("RRULE") {
            None => vec![first],
            Some(rule) => yearly_occurrences(first, rule.val.as_ref()).map_err(|m| FieldErrors::single(&field, m))?,
        };
        for start in starts {
            let mut date = start;
            for _ in 0..days {
                holidays.push(ImportedHoliday { date, name: summary.clone() });
                date = date.tomorrow().unwrap_or(date);
            }
        }
    }
    holidays.sort_by(|a, b| a.date.cmp(&b.date).then(a.name.cmp(&b.name)));
    holidays.dedup_by(|a, b| a.date == b.date);
    Ok(holidays)
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("unreadable").chars().take(160).collect()
}

/// `20261225` (a DATE value); date-times (`20261225T090000Z`) are not whole days.
fn ics_date(value: &str) -> Option<Date> {
    let value = value.trim();
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i16 = value[0..4].parse().ok()?;
    let month: i8 = value[4..6].parse().ok()?;
    let day: i8 = value[6..8].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// `FREQ=YEARLY[;INTERVAL=n][;COUNT=n|;UNTIL=date]`: the only rule holiday feeds use for fixed
/// dates. Anything else (BYDAY rules such as "fourth Thursday") is refused by name rather than
/// guessed: such feeds list each year's date explicitly.
fn yearly_occurrences(first: Date, rule: &str) -> Result<Vec<Date>, String> {
    let mut freq = None;
    let mut interval: i16 = 1;
    let mut count: Option<i16> = None;
    let mut until: Option<Date> = None;
    for part in rule.split(';').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').ok_or_else(|| format!("has an unreadable RRULE part {part:?}"))?;
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => freq = Some(value.to_ascii_uppercase()),
            "INTERVAL" => {
                interval = value.parse().ok().filter(|n| (1..=100).contains(n)).ok_or("has a bad INTERVAL")?
            }
            "COUNT" => count = Some(value.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or("has a bad COUNT")?),
            "UNTIL" => until = Some(ics_date(value.get(..8).unwrap_or(value)).ok_or("has a bad UNTIL")?),
            "WKST" => {}
            other => return Err(format!("has RRULE part {other}, which holiday import does not expand")),
        }
    }
    if freq.as_deref() != Some("YEARLY") {
        return Err("has an RRULE that is not FREQ=YEARLY; list each date instead".into());
    }
    // RFC 5545: dates that do not exist (29 February in a common year) are skipped and not
    // counted. Without COUNT or UNTIL the rule is expanded for ten years.
    let years = if count.is_some() || until.is_some() { 1000 } else { RECURRENCE_YEARS };
    let mut dates = Vec::new();
    for n in 0..years.div_euclid(interval).max(1) {
        let Some(year) = first.year().checked_add(n.saturating_mul(interval)) else { break };
        let Ok(date) = Date::new(year, first.month(), first.day()) else { continue };
        if until.is_some_and(|u| date > u) || count.is_some_and(|c| dates.len() >= c as usize) {
            break;
        }
        dates.push(date);
    }
    Ok(dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Holidays//EN\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=YEARLY;COUNT=3\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20260310T090000Z\r\nDTEND:20260310T100000Z\r\nSUMMARY:A meeting\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn all_day_events_become_holidays_and_timed_events_are_skipped() {
        let holidays = parse_ics_holidays(FEED).unwrap();
        let dates: Vec<String> = holidays.iter().map(|h| h.date.to_string()).collect();
        assert_eq!(dates, ["2026-01-01", "2026-12-25", "2026-12-26", "2027-01-01", "2028-01-01"]);
        assert_eq!(holidays[1].name, "Christmas");
    }

    #[test]
    fn a_file_that_is_not_icalendar_is_refused_by_name() {
        let errors = parse_ics_holidays("name,date\nChristmas,2026-12-25\n").unwrap_err();
        assert!(errors.get("file").is_some(), "{errors:?}");
    }

    #[test]
    fn unsupported_recurrences_name_the_event() {
        let feed = FEED.replace("FREQ=YEARLY;COUNT=3", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH");
        let errors = parse_ics_holidays(&feed).unwrap_err();
        assert!(errors.get("file.event[2]").is_some_and(|m| m.contains("BYMONTH")), "{errors:?}");
    }

    #[test]
    fn leap_day_holidays_repeat_only_in_leap_years() {
        assert_eq!(
            yearly_occurrences(date("2024-02-29"), "FREQ=YEARLY;COUNT=2").unwrap(),
            [date("2024-02-29"), date("2028-02-29")]
        );
        assert_eq!(
            yearly_occurrences(date("2026-05-01"), "FREQ=YEARLY;UNTIL=20280501").unwrap(),
            [date("2026-05-01"), date("2027-05-01"), date("2028-05-01")]
        );
    }

    #[test]
    fn calendar_hours_are_validated_with_relative_field_names() {
        let mut hours = CalendarHours::weekdays_nine_to_five("Mars/Olympus");
        hours.weekly.insert("sat".into(), vec![vec![600, 600]]);
        let errors = validate_calendar("", hours).unwrap_err();
        assert_eq!(errors.get("name"), Some("must not be empty"));
        assert!(errors.get("tz").is_some(), "{errors:?}");
        assert!(errors.get("weekly.sat[0]").is_some(), "{errors:?}");
    }

    #[test]
    fn the_version_in_force_is_the_latest_that_has_started() {
        let at = |s: i64| Timestamp::from_second(s).unwrap();
        let version = |n: i64, from: i64| CalendarVersion {
            version: n,
            effective_from: at(from),
            hours: CalendarHours::weekdays_nine_to_five("UTC"),
            created_at: at(from),
        };
        let calendar = BusinessCalendar {
            id: CalendarId::new(),
            name: "UTC".into(),
            versions: vec![version(1, 100), version(2, 200)],
            created_at: at(100),
            updated_at: at(200),
        };
        assert_eq!(calendar.version_at(at(50)).map(|v| v.version), Some(1));
        assert_eq!(calendar.version_at(at(199)).map(|v| v.version), Some(1));
        assert_eq!(calendar.version_at(at(200)).map(|v| v.version), Some(2));
    }

    fn hours(tz: &str, weekly: &[(&str, [i64; 2])]) -> CalendarHours {
        CalendarHours {
            tz: tz.into(),
            weekly: weekly.iter().map(|(d, s)| (d.to_string(), vec![s.to_vec()])).collect(),
            holidays: Vec::new(),
            exceptions: BTreeMap::new(),
        }
    }

    fn version(n: i64, from: &str, created: &str, hours: CalendarHours) -> CalendarVersion {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        CalendarVersion { version: n, effective_from: at(from), hours, created_at: at(created) }
    }

    fn calendar(versions: Vec<CalendarVersion>) -> BusinessCalendar {
        let at = "2024-01-01T00:00:00Z".parse::<Timestamp>().unwrap();
        BusinessCalendar { id: CalendarId::new(), name: "c".into(), versions, created_at: at, updated_at: at }
    }

    #[test]
    fn a_scheduled_version_is_not_hidden_by_a_later_edit_effective_sooner() {
        // v2 scheduled on 2 Jan for 1 Mar; v3, an edit made on 3 Jan, effective at once.
        let nine = hours("UTC", &[("mon", [540, 1020])]);
        let calendar = calendar(vec![
            version(1, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", nine.clone()),
            version(2, "2024-03-01T00:00:00Z", "2024-01-02T00:00:00Z", hours("UTC", &[("tue", [540, 1020])])),
            version(3, "2024-01-03T00:00:00Z", "2024-01-03T00:00:00Z", hours("UTC", &[("wed", [540, 1020])])),
        ]);
        let in_force = |t: &str| calendar.version_at(t.parse().unwrap()).map(|v| v.version);
        assert_eq!(in_force("2023-06-01T00:00:00Z"), Some(1));
        assert_eq!(in_force("2024-01-02T12:00:00Z"), Some(1));
        assert_eq!(in_force("2024-02-01T00:00:00Z"), Some(3));
        assert_eq!(in_force("2024-03-01T00:00:00Z"), Some(2));
        assert_eq!(calendar.current("2024-04-01T00:00:00Z".parse().unwrap()).map(|v| v.version), Some(2));
        // The engine calendar follows the same versions: a Wednesday in February, a Tuesday in
        // March.
        let engine = calendar.engine_calendar().unwrap();
        let second = |t: &str| t.parse::<Timestamp>().unwrap().as_second();
        assert_eq!(engine.between(second("2024-02-07T00:00:00Z"), second("2024-02-08T00:00:00Z")), 8 * 3600);
        assert_eq!(engine.between(second("2024-02-06T00:00:00Z"), second("2024-02-07T00:00:00Z")), 0);
        assert_eq!(engine.between(second("2024-03-05T00:00:00Z"), second("2024-03-06T00:00:00Z")), 8 * 3600);
        assert_eq!(engine.between(second("2024-03-06T00:00:00Z"), second("2024-03-07T00:00:00Z")), 0);
    }

    #[test]
    fn of_two_versions_effective_at_one_instant_the_higher_number_counts() {
        let from = "2024-01-01T00:00:00Z";
        let calendar = calendar(vec![
            version(2, from, from, hours("UTC", &[("tue", [540, 1020])])),
            version(1, from, from, hours("UTC", &[("mon", [540, 1020])])),
        ]);
        assert_eq!(calendar.version_at(from.parse().unwrap()).map(|v| v.version), Some(2));
        let engine = calendar.engine_calendar().unwrap();
        let monday = "2024-01-08T00:00:00Z".parse::<Timestamp>().unwrap().as_second();
        assert_eq!(engine.between(monday, monday + 86_400), 0);
        assert_eq!(engine.between(monday + 86_400, monday + 2 * 86_400), 8 * 3600);
    }
}
