//! A business calendar materialised as instants: the merged business intervals of a run of
//! local dates with prefix sums, so `between` (R-K6) is two binary searches and `add` (R-K7)
//! one. Dates are materialised lazily, a chunk at a time, as queries reach further; the clocks
//! of one ticket query mostly forward in time, so each date is resolved once.
//!
//! Local times become instants with the zone's offset, computed arithmetically between time
//! zone transitions; only dates near a transition ask the time zone database (R-K3).
//!
//! A versioned calendar (R-K10) is materialised version by version: each version's dates give
//! intervals clipped to the stretch in which that version is in force, so the one list of
//! merged intervals is B whatever the versions, and the queries do not know about versions.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use super::Instant;
use super::calendar::{BusinessHours, LocalSpan, Version};

const DAY: i64 = 86_400;

/// Dates materialised per step. A 30-day history with targets of a few weeks needs three or
/// four steps per calendar.
const CHUNK_DAYS: i32 = 16;

/// R-K9 / A13: a calendar fails a search that meets this much time without business time.
pub(crate) const NO_BUSINESS_GAP: i64 = 366 * DAY;

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

/// Business time B of one calendar as merged intervals, exact on `[lo, hi]`: a date's intervals
/// can reach a little into its neighbours (overnight spans, DST gaps), so a date is kept at each
/// end as a margin.
pub(crate) struct Timeline<'c> {
    /// Oldest first; none: all time is business time (`24x7`, calendar hours).
    versions: &'c [Version],
    /// The version whose dates are being materialised, its zone's offsets and its next date.
    current: usize,
    offsets: Option<Offsets<'c>>,
    next_day: Day,
    lo: Instant,
    hi: Instant,
    /// Sorted, disjoint, non-touching.
    spans: Vec<(Instant, Instant)>,
    /// `cum[i]` is the business time in `spans[..i]`; one longer than `spans`.
    cum: Vec<i64>,
    /// The last two `before` answers: the clocks of a ticket measure the same stretch one
    /// after another. Valid until the spans are rebuilt (extending leaves them true).
    recent: [(Instant, i64); 2],
    scratch: Vec<(Instant, Instant)>,
}

impl<'c> Timeline<'c> {
    pub(crate) fn new(versions: &'c [Version]) -> Timeline<'c> {
        Timeline {
            versions,
            current: 0,
            offsets: versions.first().map(|v| Offsets::new(&v.hours.tz)),
            next_day: 0,
            lo: i64::MAX,
            hi: i64::MIN,
            // Room for a few weeks of a busy calendar without growing; none for 24x7.
            spans: Vec::with_capacity(if versions.is_empty() { 0 } else { 64 }),
            cum: {
                let mut cum = Vec::with_capacity(if versions.is_empty() { 1 } else { 65 });
                cum.push(0);
                cum
            },
            recent: [(i64::MIN, 0); 2],
            scratch: Vec::new(),
        }
    }

    fn always_open(&self) -> bool {
        self.versions.is_empty()
    }

    /// R-K10: the stretch `[from, until)` in which version `k` is in force; the first version
    /// also decides the instants before it.
    fn window(&self, k: usize) -> (Instant, Instant) {
        let from = if k == 0 { i64::MIN } else { self.versions[k].from };
        (from, self.versions.get(k + 1).map_or(i64::MAX, |v| v.from))
    }

    fn switch_to(&mut self, k: usize) {
        self.current = k;
        self.offsets = self.versions.get(k).map(|v| Offsets::new(&v.hours.tz));
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
            // Start over two dates before `a`'s, in the version in force at `a`; the engine asks
            // backwards only on its first query of a calendar.
            let until = b.max(self.hi);
            let k = self.versions.get(1..).map_or(0, |later| later.partition_point(|v| v.from <= a));
            self.switch_to(k);
            let first = self.local_day(a).saturating_sub(2).max(day_number(Date::MIN));
            self.next_day = first;
            self.spans.clear();
            self.cum.truncate(1);
            self.recent = [(i64::MIN, 0); 2];
            let lo = if first == day_number(Date::MIN) { i64::MIN } else { self.resolve(first + 1, 0) };
            self.lo = lo.max(self.window(k).0);
            self.hi = i64::MIN;
            let wanted = self.local_day(until).saturating_add(2).saturating_sub(self.next_day);
            self.extend(wanted.max(CHUNK_DAYS));
        }
        while self.hi < b {
            let wanted = self.local_day(b).saturating_add(2).saturating_sub(self.next_day);
            self.extend(wanted.max(CHUNK_DAYS));
        }
    }

    /// Materialises up to `days` more dates of the current version and merges their intervals,
    /// clipped to the version's stretch, into `spans` (R-K2, R-K4, R-K10). Moves on to the next
    /// version once this one's stretch is covered.
    fn extend(&mut self, days: Day) {
        let Some(version) = self.versions.get(self.current) else { return };
        let hours = &version.hours;
        let (from, until) = self.window(self.current);
        let last_supported = day_number(Date::MAX);
        let mut end = self.next_day.saturating_add(days).min(last_supported + 1);
        if until != i64::MAX {
            // Dates past the stretch's last one (and its margin) would be clipped away.
            end = end.min(self.local_day(until).saturating_add(2)).max(self.next_day + 1);
        }
        let mut raw = std::mem::take(&mut self.scratch);
        raw.clear();
        for day in self.next_day..end {
            for &(s, e) in spans_on(hours, day) {
                let (start, end) = (self.resolve(day, s), self.resolve(day, e));
                // R-K3: a mapped interval with end <= start is dropped.
                let (start, end) = (start.max(from), end.min(until));
                if end > start {
                    raw.push((start, end));
                }
            }
        }
        self.next_day = end;
        let exact_to = if end > last_supported { i64::MAX } else { self.resolve(end - 1, 0) };
        let next = self.current + 1;
        if exact_to >= until && next < self.versions.len() {
            // This version's stretch is done; the next one starts at `until` (R-K10).
            self.switch_to(next);
            self.next_day = self.local_day(until).saturating_sub(2);
            self.hi = self.hi.max(until);
        } else {
            self.hi = self.hi.max(exact_to.min(until));
        }
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
        if self.always_open() {
            return b - a;
        }
        self.cover(a, b);
        self.before(b) - self.before(a)
    }

    /// R-K7: the first `t >= a` with `between(a, t) = d`. `None` (R-K9,
    /// `CalendarHasNoBusinessTime`) when the search meets 366 days without business time
    /// before it gets there (A13), counted from `a` or from the end of a business interval.
    pub(crate) fn add(&mut self, a: Instant, d: i64) -> Option<Instant> {
        if self.always_open() {
            return Some(a.saturating_add(d.max(0)));
        }
        if d <= 0 {
            return Some(a);
        }
        self.cover(a, a);
        let value = self.before(a).saturating_add(d);
        loop {
            if let Some(t) = self.reaching(value)
                && t <= self.hi
            {
                // No stretch inside [a, t] can be 366 days long if [a, t] is not.
                return (t - a < NO_BUSINESS_GAP || !self.has_gap(a, t)).then_some(t);
            }
            let quiet_since = self.spans.last().map_or(a, |&(_, e)| e.max(a));
            if self.hi == i64::MAX || self.hi.saturating_sub(quiet_since) >= NO_BUSINESS_GAP {
                return None;
            }
            self.extend(CHUNK_DAYS);
        }
    }

    /// Whether 366 days without business time lie between `a` and a business instant `t`.
    fn has_gap(&self, a: Instant, t: Instant) -> bool {
        let first = self.spans.partition_point(|&(_, e)| e <= a);
        let mut quiet_since = a;
        for &(s, e) in self.spans[first..].iter().take_while(|(s, _)| *s < t) {
            if s - quiet_since >= NO_BUSINESS_GAP {
                return true;
            }
            quiet_since = quiet_since.max(e);
        }
        false
    }

    /// `add` for a duration known to be reached by `b` (`between(a, b) >= d`): the instant,
    /// with no search limit.
    pub(crate) fn add_within(&mut self, a: Instant, d: i64, b: Instant) -> Option<Instant> {
        if self.always_open() || d <= 0 {
            return Some(a.saturating_add(d.max(0)));
        }
        self.cover(a, b);
        let value = self.before(a).saturating_add(d);
        self.reaching(value).filter(|t| *t <= b)
    }

    /// R-K8: the first business instant at or after `a`, or `None` when there is none in the
    /// 366 days from `a` (R-K9).
    pub(crate) fn next_open(&mut self, a: Instant) -> Option<Instant> {
        if self.always_open() {
            return Some(a);
        }
        self.cover(a, a);
        let limit = a.saturating_add(NO_BUSINESS_GAP);
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
