//! iCalendar (RFC 5545) output for calendar feeds: all-day events, one per engagement due or
//! action due date, with stable UIDs so a client updates an event rather than duplicating it.

use icalendar::{Calendar, Component, EventLike};

use crate::{Date, Timestamp};

/// One all-day event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarItem {
    /// Stable across feeds, e.g. `engagement-<id>@tamhub`.
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub day: Date,
    /// Where to open it in tamhub.
    pub url: Option<String>,
}

fn naive(day: Date) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(i32::from(day.year()), day.month() as u32, day.day() as u32)
        .unwrap_or(chrono::NaiveDate::MIN)
}

/// A calendar named `name` holding `items`, stamped `now` (DTSTAMP).
pub fn calendar(name: &str, items: &[CalendarItem], now: Timestamp) -> String {
    let stamp = chrono::DateTime::from_timestamp(now.as_second(), 0).unwrap_or_default();
    let mut cal = Calendar::new();
    cal.name(name);
    for item in items {
        let mut event = icalendar::Event::new();
        event.uid(&item.uid).summary(&item.summary).description(&item.description).all_day(naive(item.day));
        event.timestamp(stamp);
        if let Some(url) = &item.url {
            event.url(url);
        }
        cal.push(event.done());
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_parser() {
        let items = [CalendarItem {
            uid: "engagement-1@tamhub".into(),
            summary: "QBR, Acme; with a comma".into(),
            description: "line one\nline two".into(),
            day: "2026-12-07".parse().unwrap(),
            url: Some("https://tamhub.example/accounts/1/charter".into()),
        }];
        let text = calendar("tamhub: Acme", &items, Timestamp::UNIX_EPOCH);
        let unfolded = icalendar::parser::unfold(&text);
        let parsed = icalendar::parser::read_calendar(&unfolded).unwrap();
        let back: icalendar::Calendar = parsed.into();
        let event = back.components.iter().find_map(|c| c.as_event()).unwrap();
        assert_eq!(event.get_summary(), Some("QBR, Acme; with a comma"));
        assert_eq!(event.get_description(), Some("line one\nline two"));
        assert_eq!(event.get_uid(), Some("engagement-1@tamhub"));
        let start = event.get_start().unwrap();
        assert_eq!(start, icalendar::DatePerhapsTime::Date(naive("2026-12-07".parse().unwrap())));
    }
}
