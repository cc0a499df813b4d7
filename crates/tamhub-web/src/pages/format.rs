//! How values read on a page: amounts, dates, countdowns, local times.

use tamhub_domain::accounts::format_amount;
use tamhub_domain::{Date, Timestamp};

pub fn amount(minor: i64, currency: &str) -> String {
    format_amount(minor, currency)
}

/// Minor units as the plain major amount a user types back into a form ("1250000.50").
pub fn amount_input(minor: i64) -> String {
    if minor % 100 == 0 { (minor / 100).to_string() } else { format!("{}.{:02}", minor / 100, minor % 100) }
}

pub fn date(d: Date) -> String {
    d.strftime("%d %b %Y").to_string()
}

pub fn instant(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// "in 45 days" / "today" / "12 days ago", and a CSS class for urgency.
pub fn countdown(today: Date, due: Date) -> (String, &'static str) {
    let days = (due - today).get_days();
    let text = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        d if d > 1 => format!("in {d} days"),
        -1 => "yesterday".to_string(),
        d => format!("{} days ago", -d),
    };
    let class = if days < 30 {
        "due-soon"
    } else if days < 90 {
        "due-mid"
    } else {
        ""
    };
    (text, class)
}

/// The current wall-clock time in a time zone, e.g. "14:05".
pub fn local_time(now: Timestamp, timezone: &str) -> String {
    jiff::tz::TimeZone::get(timezone).map(|tz| now.to_zoned(tz).strftime("%H:%M").to_string()).unwrap_or_default()
}

pub fn today_in_utc(now: Timestamp) -> Date {
    now.to_zoned(jiff::tz::TimeZone::UTC).date()
}
