//! Deterministic `tamhub sla eval` scenarios (SLA-SPEC section 3) for the benchmark and the
//! `sla_scenarios` example, in zones with DST, on business calendars with holidays and
//! exceptions, with comments, pauses, priority and target changes, solves and reopens. Two mixes:
//!
//! - `heavy`: every history 30 days long with 10-40 events, two calendars, targets for all seven
//!   metrics and four priorities (28 targets): the worst case we generate;
//! - `typical`: histories of 1 to 30 days with 2-4 events plus one a day on average, one calendar
//!   (sometimes two), and a policy shaped like the seeds' default (first response and resolution
//!   for every priority, a periodic update for critical, sometimes next response).
//!
//! The same mix and seed always give the same lines, so figures from different builds compare
//! like with like.

use serde_json::{Value, json};

/// SplitMix64: tiny, deterministic and good enough to spread test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const ZONES: [&str; 8] = [
    "America/New_York",
    "Europe/Berlin",
    "Europe/London",
    "America/Los_Angeles",
    "Australia/Sydney",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
];

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// 2024-01-01T00:00:00Z.
const YEAR_START: i64 = 1_704_067_200;
/// Local dates just before the 2024 clock changes of the zones above (northern spring and
/// autumn, southern spring and autumn), so many histories cross one.
const DST_WEEKS: [i64; 5] = [1_709_856_000, 1_711_238_400, 1_729_728_000, 1_730_419_200, 1_712_188_800];

const PRIORITIES: [&str; 4] = ["critical", "high", "medium", "low"];
const METRICS: [&str; 7] = [
    "agent_work",
    "first_response",
    "next_response",
    "pausable_update",
    "periodic_update",
    "requester_wait",
    "resolution",
];

/// Weekly business hours: office days, split shifts, round the clock on weekdays, an overnight
/// shift crossing midnight (R-K5), a six-day week, and early hours that meet DST gaps and folds.
fn weekly(rng: &mut Rng) -> Value {
    let weekdays = ["mon", "tue", "wed", "thu", "fri"];
    let every = |days: &[&str], spans: Value| -> Value {
        Value::Object(days.iter().map(|d| (d.to_string(), spans.clone())).collect())
    };
    match rng.below(7) {
        0 | 1 => every(&weekdays, json!([[540, 1020]])),
        2 => every(&weekdays, json!([[480, 720], [780, 1080]])),
        3 => every(&weekdays, json!([[0, 1440]])),
        4 => {
            let mut week = every(&weekdays, json!([[1320, 1440]]));
            for day in ["tue", "wed", "thu", "fri", "sat"] {
                let spans = week.get(day).cloned().unwrap_or(json!([]));
                let mut spans: Vec<Value> = spans.as_array().cloned().unwrap_or_default();
                spans.insert(0, json!([0, 360]));
                week[day] = Value::Array(spans);
            }
            week
        }
        5 => every(&["mon", "tue", "wed", "thu", "fri", "sat"], json!([[420, 1140]])),
        _ => every(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"], json!([[60, 240], [600, 960]])),
    }
}

fn local_date(t: i64) -> String {
    jiff::Timestamp::from_second(t).map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()).unwrap_or_default()
}

fn calendar(rng: &mut Rng, id: &str, start: i64) -> Value {
    let holidays: Vec<String> = (0..rng.below(5)).map(|_| local_date(start + rng.range(0, 40) * DAY)).collect();
    let mut exceptions = serde_json::Map::new();
    if rng.chance(40) {
        exceptions.insert(local_date(start + rng.range(0, 40) * DAY), json!([[600, 840]]));
    }
    json!({"id": id, "tz": rng.pick(&ZONES), "weekly": weekly(rng), "holidays": holidays, "exceptions": exceptions})
}

/// Base targets per metric for the four priorities, in hours; scaled per scenario.
fn base_hours(metric: &str) -> [i64; 4] {
    match metric {
        "first_response" => [1, 4, 8, 24],
        "next_response" => [2, 4, 8, 16],
        "periodic_update" | "pausable_update" => [4, 8, 24, 48],
        "requester_wait" => [8, 24, 48, 96],
        "agent_work" => [4, 16, 32, 64],
        _ => [8, 24, 72, 120],
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    Heavy,
    Typical,
}

impl Mix {
    pub fn parse(text: &str) -> Option<Mix> {
        match text {
            "heavy" => Some(Mix::Heavy),
            "typical" => Some(Mix::Typical),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mix::Heavy => "heavy",
            Mix::Typical => "typical",
        }
    }
}

/// The (metric, priority) pairs a policy of this mix has targets for.
fn target_keys(rng: &mut Rng, mix: Mix) -> Vec<(&'static str, usize)> {
    let every = |metric| (0..PRIORITIES.len()).map(move |p| (metric, p));
    match mix {
        Mix::Heavy => METRICS.iter().flat_map(|&m| every(m)).collect(),
        Mix::Typical => {
            let mut keys: Vec<_> = every("first_response").chain(every("resolution")).collect();
            keys.push(("periodic_update", 0));
            if rng.chance(40) {
                keys.extend(every("next_response"));
            }
            keys
        }
    }
}

fn policy(rng: &mut Rng, mix: Mix, calendars: &[&str]) -> (Value, Vec<(String, String)>) {
    let scale = *rng.pick(&[1, 1, 2]) as f64 / *rng.pick(&[1, 2]) as f64;
    let mut targets = Vec::new();
    let mut keys = Vec::new();
    for (metric, p) in target_keys(rng, mix) {
        let (priority, hours) = (&PRIORITIES[p], base_hours(metric)[p]);
        let mut target = json!({"metric": metric, "priority": priority,
                                "seconds": ((hours * HOUR) as f64 * scale) as i64});
        match rng.below(10) {
            0 => target["hours"] = json!("calendar"),
            1 => target["calendar"] = json!("24x7"),
            2 => {}
            _ => target["calendar"] = json!(rng.pick(calendars)),
        }
        targets.push(target);
        keys.push((metric.to_string(), priority.to_string()));
    }
    let mut policy = json!({"id": "p", "targets": targets});
    match rng.below(4) {
        0 => policy["warn_percent"] = json!([80]),
        1 => policy["warn_percent"] = json!([25, 50, 75, 100]),
        _ => {}
    }
    if rng.chance(30) {
        policy["warn_remaining_seconds"] = json!([900, 3600]);
    }
    if rng.chance(20) {
        policy["pause_sets"] = json!({"resolution": ["pending", "on_hold"]});
    }
    if rng.chance(30) {
        policy["reopen"] = json!({"resolution": "resume"});
    }
    if rng.chance(20) {
        policy["start_at_first_customer_message"] = json!(false);
    }
    (policy, keys)
}

fn events(rng: &mut Rng, start: i64, days: i64, count: i64, targets: &[(String, String)]) -> Vec<Value> {
    let by = *rng.pick(&["customer", "customer", "customer", "agent"]);
    let mut out = vec![json!({"at": start, "kind": "created", "priority": rng.pick(&PRIORITIES),
                              "by": by, "public": by == "customer" || rng.chance(50)})];
    let mut at = start;
    let mut solved = false;
    for _ in 1..count {
        // Now and then two changes in one update (same instant, R-C4).
        if !rng.chance(10) {
            at += rng.range(60, days * DAY / count);
        }
        let event = if solved && rng.chance(60) {
            solved = false;
            json!({"at": at, "kind": "status", "to": rng.pick(&["open", "open", "pending"])})
        } else {
            match rng.below(100) {
                0..=24 => json!({"at": at, "kind": "comment", "author": "customer", "public": true}),
                25..=46 => json!({"at": at, "kind": "comment", "author": "agent", "public": true}),
                47..=52 => json!({"at": at, "kind": "comment", "author": "agent", "public": false}),
                53..=55 => json!({"at": at, "kind": "comment", "author": "system", "public": false}),
                56..=65 => json!({"at": at, "kind": "status", "to": "pending"}),
                66..=73 => json!({"at": at, "kind": "status", "to": "open"}),
                74..=78 => json!({"at": at, "kind": "status", "to": "on_hold"}),
                79..=86 => {
                    solved = true;
                    json!({"at": at, "kind": "status", "to": "solved"})
                }
                87..=93 => json!({"at": at, "kind": "priority", "to": rng.pick(&PRIORITIES)}),
                _ => {
                    let (metric, priority) = rng.pick(targets);
                    json!({"at": at, "kind": "target", "metric": metric, "priority": priority,
                           "seconds": rng.range(1, 49) * HOUR})
                }
            }
        };
        out.push(event);
    }
    if rng.chance(15) {
        out.push(json!({"at": at + rng.range(60, DAY), "kind": "status", "to": "closed"}));
    }
    out
}

/// Scenario number `n` of the `mix` series started by `seed`, as one JSON line.
pub fn scenario(mix: Mix, seed: u64, n: u64) -> String {
    let mut rng = Rng::new(seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let start = if rng.chance(40) {
        rng.pick(&DST_WEEKS) + rng.range(0, 7 * DAY)
    } else {
        YEAR_START + rng.range(0, 330 * DAY)
    };
    let mut calendars = vec![calendar(&mut rng, "support", start)];
    if mix == Mix::Heavy || rng.chance(20) {
        calendars.push(calendar(&mut rng, "office", start));
    }
    let ids = if calendars.len() == 1 || rng.chance(50) { vec!["support"] } else { vec!["support", "office"] };
    let (policy, targets) = policy(&mut rng, mix, &ids);
    let (days, count) = match mix {
        Mix::Heavy => (30, rng.range(10, 41)),
        Mix::Typical => {
            let days = rng.range(1, 31);
            (days, rng.range(2, 5) + rng.range(0, 2 * days + 1) / 2)
        }
    };
    let events = events(&mut rng, start, days, count, &targets);
    // Mostly the end of the history; sometimes mid-history, so later events are ignored (A1).
    let now = if rng.chance(80) { start + days * DAY } else { start + rng.range(HOUR, days * DAY) };
    json!({"id": format!("s{n}"), "now": now, "calendars": calendars, "policy": policy, "events": events}).to_string()
}
