//! A business calendar materialised as instants: the merged business intervals of a run of
//! local dates with prefix sums, so `between` (R-K6) is two binary searches and `add` (R-K7)
//! one. Dates are materialised lazily, a chunk at a time, as queries reach further; the clocks
//! of one ticket query mostly forward in time, so each date is resolved once.
//!
//! Local times become instants with the zone's offset, computed arithmetically between time
//! zone transitions; only dates near a transition ask the time zone database (R-K3).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use super::Instant;
use super::calendar::{BusinessHours, LocalSpan};

const DAY: i64 = 86_400;

/// Dates materialised per step. A 30-day history with targets of a few weeks needs three or
/// four steps per calendar.
const CHUNK_DAYS: i32 = 16;

/// R-K9 / A13: a deadline search from instant `a` looks up to local midnight 377 days after
/// `a`'s local date, and a search for the next opening up to 368 days after it; these are the
/// windows the engine has always searched, kept so `CalendarHasNoBusinessTime` stays exact.
const DEADLINE_SEARCH_DAYS: i32 = 377;
const OPENING_SEARCH_DAYS: i32 = 368;

/// Below this, a search limit cannot have been reached (the limits above are further away
/// whatever the offsets), so the limit need not be computed.
const SURELY_WITHIN_LIMIT: i64 = 370 * DAY;

/// Local dates as days since 1970-01-01 (proleptic Gregorian, as jiff).
pub(crate) type Day = i32;

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
pub(crate) fn day_number(date: Date) -> Day {
    let (y, m, d) = (i32::from(date.year()), i32::from(date.month()), i32::from(date.day()));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (H. Hinnant's `civil_from_days`), for the rare slow path.
fn civil_date(day: Day) -> Option<Date> {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i32::from(m <= 2);
    Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()
}

/// Monday = 0, as `BusinessHours::weekly`.
pub(crate) fn weekday_index(day: Day) -> usize {
    // 1970-01-01 was a Thursday.
    (day + 3).rem_euclid(7) as usize
}

/// The offset in force over a stretch between two time zone transitions.
struct Offsets<'c> {
    tz: &'c TimeZone,
    /// Seconds east of UTC, in force on `[since, until)`.
    offset: i64,
    since: Instant,
    until: Instant,
}

/// Offsets never differ by more than 52 hours, so a local time whose instant under one offset
/// lies this far inside that offset's stretch cannot be reached from any other offset: it is
/// unambiguous and exists, and "compatible" resolution (R-K3) is plain arithmetic.
const UNAMBIGUOUS_MARGIN: i64 = 3 * DAY;

impl<'c> Offsets<'c> {
    fn new(tz: &'c TimeZone) -> Offsets<'c> {
        Offsets { tz, offset: 0, since: i64::MAX, until: i64::MIN }
    }

    fn refresh(&mut self, t: Instant) {
        let at = timestamp(t);
        self.offset = i64::from(self.tz.to_offset(at).seconds());
        // `preceding` is strict, so ask from one second later to include a transition at `t`.
        let later = timestamp(t.saturating_add(1));
        self.since = self.tz.preceding(later).next().map_or(i64::MIN, |tr| tr.timestamp().as_second());
        self.until = self.tz.following(at).next().map_or(i64::MAX, |tr| tr.timestamp().as_second());
    }

    /// The local date of instant `t`.
    fn local_day(&mut self, t: Instant) -> Day {
        let t = t.clamp(jiff::Timestamp::MIN.as_second(), jiff::Timestamp::MAX.as_second());
        if !(self.since <= t && t < self.until) {
            self.refresh(t);
        }
        ((t + self.offset).div_euclid(DAY)) as Day
    }

    /// R-K3: local (date, minute) → instant, "compatible": a time in a DST gap takes the offset
    /// before the transition (landing after the gap), a time in a fold takes the earlier
    /// instant. `i64::MIN` outside the supported dates, so the interval is dropped.
    fn resolve(&mut self, day: Day, minute: u16) -> Instant {
        let local = i64::from(day) * DAY + i64::from(minute) * 60;
        let t = local - self.offset;
        if !(self.since <= t && t < self.until) {
            self.refresh(t);
        }
        let t = local - self.offset;
        if self.since.saturating_add(UNAMBIGUOUS_MARGIN) <= t && t < self.until.saturating_sub(UNAMBIGUOUS_MARGIN) {
            return t;
        }
        // Near a transition: let the time zone database decide.
        let (day, minute) = if minute >= 1440 { (day + 1, minute - 1440) } else { (day, minute) };
        let Some(date) = civil_date(day) else { return i64::MIN };
        let local = DateTime::from_parts(date, jiff::civil::time((minute / 60) as i8, (minute % 60) as i8, 0, 0));
        self.tz.to_ambiguous_timestamp(local).compatible().map_or(i64::MIN, |t| t.as_second())
    }
}

fn timestamp(t: Instant) -> jiff::Timestamp {
    let t = t.clamp(jiff::Timestamp::MIN.as_second(), jiff::Timestamp::MAX.as_second());
    jiff::Timestamp::from_second(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Business time B of one calendar as merged intervals over the local dates
/// `[first_day, next_day)`. B is known exactly on `[lo, hi)`: a date's intervals can reach a
/// little into its neighbours (overnight spans, DST gaps), so a date is kept at each end as a
/// margin.
pub(crate) struct Timeline<'c> {
    hours: Option<&'c BusinessHours>,
    offsets: Option<Offsets<'c>>,
    first_day: Day,
    next_day: Day,
    lo: Instant,
    hi: Instant,
    /// Sorted, disjoint, non-touching.
    spans: Vec<(Instant, Instant)>,
    /// `cum[i]` is the business time in `spans[..i]`; one longer than `spans`.
    cum: Vec<i64>,
    /// `before(hi)`, so most R-K9 checks need no search.
    before_hi: i64,
    /// The last two `before` answers: the clocks of a ticket measure the same stretch one
    /// after another. Valid until the spans are rebuilt (extending leaves them true).
    recent: [(Instant, i64); 2],
    scratch: Vec<(Instant, Instant)>,
}

impl<'c> Timeline<'c> {
    /// `None`: all time is business time (`24x7`, calendar hours).
    pub(crate) fn new(hours: Option<&'c BusinessHours>) -> Timeline<'c> {
        Timeline {
            hours,
            offsets: hours.map(|h| Offsets::new(&h.tz)),
            first_day: 0,
            next_day: 0,
            lo: i64::MAX,
            hi: i64::MIN,
            spans: Vec::new(),
            cum: vec![0],
            before_hi: 0,
            recent: [(i64::MIN, 0); 2],
            scratch: Vec::new(),
        }
    }

    fn local_day(&mut self, t: Instant) -> Day {
        self.offsets.as_mut().map_or(0, |o| o.local_day(t))
    }

    fn resolve(&mut self, day: Day, minute: u16) -> Instant {
        self.offsets.as_mut().map_or(i64::MIN, |o| o.resolve(day, minute))
    }

    /// Makes B exact on `[a, b]`.
    fn cover(&mut self, a: Instant, b: Instant) {
        if a < self.lo {
            // Start over two dates before `a`'s; the engine asks backwards only on its first
            // query of a calendar.
            let until = b.max(self.hi);
            let first = self.local_day(a).saturating_sub(2).max(day_number(Date::MIN));
            self.first_day = first;
            self.next_day = first;
            self.spans.clear();
            self.cum.truncate(1);
            self.recent = [(i64::MIN, 0); 2];
            self.lo = if first == day_number(Date::MIN) { i64::MIN } else { self.resolve(first + 1, 0) };
            self.hi = i64::MIN;
            let wanted = self.local_day(until).saturating_add(2).saturating_sub(self.next_day);
            self.extend(wanted.max(CHUNK_DAYS));
        }
        while self.hi < b {
            let wanted = self.local_day(b).saturating_add(2).saturating_sub(self.next_day);
            self.extend(wanted.max(CHUNK_DAYS));
        }
    }

    /// Materialises `days` more dates and merges their intervals into `spans` (R-K2, R-K4).
    fn extend(&mut self, days: Day) {
        let Some(hours) = self.hours else { return };
        let last_supported = day_number(Date::MAX);
        let end = self.next_day.saturating_add(days).min(last_supported + 1);
        let mut raw = std::mem::take(&mut self.scratch);
        raw.clear();
        for day in self.next_day..end {
            for &(s, e) in spans_on(hours, day) {
                let (start, end) = (self.resolve(day, s), self.resolve(day, e));
                // R-K3: a mapped interval with end <= start is dropped.
                if end > start {
                    raw.push((start, end));
                }
            }
        }
        self.next_day = end;
        self.hi = if end > last_supported { i64::MAX } else { self.resolve(end - 1, 0) };
        if let Some(&(earliest, _)) = raw.iter().min() {
            // Intervals of the new dates may overlap or touch the last ones kept (overnight
            // spans, DST gaps): take those back and merge them again.
            while let Some(&last) = self.spans.last()
                && last.1 >= earliest
            {
                raw.push(last);
                self.spans.pop();
                self.cum.pop();
            }
        }
        raw.sort_unstable();
        for (s, e) in raw.drain(..) {
            match self.spans.last_mut() {
                Some(previous) if s <= previous.1 => {
                    if e > previous.1 {
                        let grown = e - previous.1;
                        previous.1 = e;
                        if let Some(total) = self.cum.last_mut() {
                            *total += grown;
                        }
                    }
                }
                _ => {
                    let total = self.cum.last().copied().unwrap_or(0);
                    self.spans.push((s, e));
                    self.cum.push(total + (e - s));
                }
            }
        }
        self.scratch = raw;
        self.before_hi = self.search_before(self.hi);
    }

    /// Business time before `t` among the materialised spans; exact for `lo <= t <= hi`.
    fn before(&mut self, t: Instant) -> i64 {
        if let Some(&(_, value)) = self.recent.iter().find(|(at, _)| *at == t) {
            return value;
        }
        let value = self.search_before(t);
        self.recent = [(t, value), self.recent[0]];
        value
    }

    fn search_before(&self, t: Instant) -> i64 {
        let k = self.spans.partition_point(|&(s, _)| s < t);
        match k.checked_sub(1) {
            None => 0,
            Some(i) => self.cum[k] - (self.spans[i].1 - t).max(0),
        }
    }

    /// The first instant at which `before` reaches `value` (> 0), if the spans get there.
    fn reaching(&self, value: i64) -> Option<Instant> {
        let j = self.cum[1..].partition_point(|&c| c < value);
        self.spans.get(j).map(|&(s, _)| s + (value - self.cum[j]))
    }

    /// R-K6: `|B ∩ [a, b)|`.
    pub(crate) fn between(&mut self, a: Instant, b: Instant) -> i64 {
        if b <= a {
            return 0;
        }
        if self.hours.is_none() {
            return b - a;
        }
        self.cover(a, b);
        self.before(b) - self.before(a)
    }

    /// R-K7: the first `t >= a` with `between(a, t) = d`, or `None` when the deadline search
    /// window of R-K9 has too little business time (`CalendarHasNoBusinessTime`).
    pub(crate) fn add(&mut self, a: Instant, d: i64) -> Option<Instant> {
        if self.hours.is_none() {
            return Some(a + d.max(0));
        }
        if d <= 0 {
            return Some(a);
        }
        self.cover(a, a);
        let value = self.before(a).saturating_add(d);
        let mut limit = None;
        loop {
            if let Some(t) = self.reaching(value)
                && t <= self.hi
            {
                let within = t - a <= SURELY_WITHIN_LIMIT || t <= *limit.get_or_insert_with(|| self.deadline_limit(a));
                return within.then_some(t);
            }
            if self.hi >= *limit.get_or_insert_with(|| self.deadline_limit(a)) {
                return None;
            }
            self.extend(CHUNK_DAYS);
        }
    }

    /// Whether `add(a, d)` succeeds; mostly without a search.
    pub(crate) fn reaches(&mut self, a: Instant, d: i64) -> bool {
        if self.hours.is_none() || d <= 0 {
            return true;
        }
        self.cover(a, a);
        let surely = self.hi.saturating_sub(a) <= SURELY_WITHIN_LIMIT && self.before_hi - self.before(a) >= d;
        surely || self.add(a, d).is_some()
    }

    /// R-K8: the first business instant at or after `a`, or `None` when the search window of
    /// R-K9 has none.
    pub(crate) fn next_open(&mut self, a: Instant) -> Option<Instant> {
        if self.hours.is_none() {
            return Some(a);
        }
        self.cover(a, a);
        let limit = {
            let day = self.local_day(a).saturating_add(OPENING_SEARCH_DAYS);
            self.resolve(day, 0)
        };
        loop {
            let k = self.spans.partition_point(|&(_, e)| e <= a);
            if let Some(&(s, _)) = self.spans.get(k)
                && s <= self.hi
            {
                return (s < limit).then_some(s.max(a));
            }
            if self.hi >= limit {
                return None;
            }
            self.extend(CHUNK_DAYS);
        }
    }

    /// Local midnight `DEADLINE_SEARCH_DAYS` after the local date of `a`.
    fn deadline_limit(&mut self, a: Instant) -> Instant {
        let day = self.local_day(a).saturating_add(DEADLINE_SEARCH_DAYS);
        if day > day_number(Date::MAX) { i64::MAX } else { self.resolve(day, 0) }
    }
}

/// R-K2 and R-K4: the spans of one local date.
fn spans_on(hours: &BusinessHours, day: Day) -> &[LocalSpan] {
    if hours.holidays.binary_search(&day).is_ok() {
        &[]
    } else if let Ok(i) = hours.exceptions.binary_search_by_key(&day, |(d, _)| *d) {
        &hours.exceptions[i].1
    } else {
        &hours.weekly[weekday_index(day)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_through_civil_dates() {
        for day in [-719_468, -1, 0, 1, 19_783, 2_932_896, -4_371_587] {
            let date = civil_date(day).unwrap();
            assert_eq!(day_number(date), day, "{date}");
        }
        let date: Date = "2024-03-10".parse().unwrap();
        assert_eq!(weekday_index(day_number(date)), date.weekday().to_monday_zero_offset() as usize);
    }
}
