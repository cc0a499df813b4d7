//! Regression tests for the engine bugs B1-B7 of docs/sla-p5-findings.md and those found by the
//! differential tester in /work/sla-ref, each through the `tamhub sla eval` format (section 3)
//! and named after the rule it holds the engine to.

use serde_json::{Value, json};

use super::scenario::eval_line;

fn eval(scenario: Value) -> Value {
    serde_json::from_str(&eval_line(&scenario.to_string())).unwrap()
}

fn cycles(scenario: Value) -> Vec<Value> {
    let out = eval(scenario);
    assert!(out.get("error").is_none(), "{out}");
    out["cycles"].as_array().unwrap().clone()
}

fn error(scenario: Value) -> String {
    let out = eval(scenario);
    out["error"].as_str().unwrap_or_else(|| panic!("no error: {out}")).to_string()
}

/// 2024-01-01T00:00Z, a Monday.
const MONDAY: i64 = 1_704_067_200;
const DAY: i64 = 86_400;

/// One business hour a week: Monday 09:00-10:00 UTC.
fn one_hour_a_week() -> Value {
    json!({"id": "c", "tz": "UTC", "weekly": {"mon": [[540, 600]]}})
}

fn no_hours() -> Value {
    json!({"id": "none", "tz": "UTC"})
}

fn quiet(targets: Value) -> Value {
    json!({"targets": targets, "warn_percent": [], "warn_remaining_seconds": []})
}

fn summary(c: &Value) -> (Value, Value, Value, Value) {
    (c["started_at"].clone(), c["stopped_at"].clone(), c["state"].clone(), c["elapsed_seconds"].clone())
}

// --- A13 / R-K9 --------------------------------------------------------------------------------

#[test]
fn a13_a_met_cycle_needs_no_deadline_search_on_a_calendar_open_every_week() {
    // 60 business hours on a calendar with one hour a week: the deadline would be 60 weeks
    // away, but the cycle is met and nothing is searched.
    let c = cycles(json!({"id": "x", "now": MONDAY + 2 * DAY, "calendars": [one_hour_a_week()],
        "policy": quiet(json!([{"metric": "resolution", "priority": "high", "seconds": 216_000, "calendar": "c"}])),
        "events": [{"at": MONDAY, "kind": "created", "priority": "high"},
                   {"at": MONDAY + DAY, "kind": "status", "to": "solved"}]}));
    assert_eq!((c[0]["state"].as_str(), c[0]["elapsed_seconds"].as_i64()), (Some("met"), Some(3600)));
}

#[test]
fn a13_a_deadline_more_than_366_days_away_is_found_when_no_366_days_lack_business_time() {
    let c = cycles(json!({"id": "x", "now": MONDAY + 2 * DAY, "calendars": [one_hour_a_week()],
        "policy": quiet(json!([{"metric": "resolution", "priority": "high", "seconds": 198_000, "calendar": "c"}])),
        "events": [{"at": MONDAY, "kind": "created", "priority": "high"}]}));
    assert_eq!(c[0]["due_at"], 1_736_762_400, "{c:?}");
    // A 200 % warning further away still is not searched for beyond now.
    let c = cycles(json!({"id": "x", "now": MONDAY + 2 * DAY, "calendars": [one_hour_a_week()],
        "policy": {"targets": [{"metric": "resolution", "priority": "high", "seconds": 144_000, "calendar": "c"}],
                   "warn_percent": [200], "warn_remaining_seconds": []},
        "events": [{"at": MONDAY, "kind": "created", "priority": "high"}]}));
    assert_eq!(c[0]["due_at"], 1_727_690_400, "{c:?}");
}

#[test]
fn a13_a_cycle_that_moves_to_a_calendar_without_business_time_fails_even_after_its_deadline() {
    // findings B3: breached under 24x7 at +60 s, then its priority's target is on `none`.
    let message = error(json!({"id": "x", "now": MONDAY + 180, "calendars": [no_hours()],
        "policy": quiet(json!([{"metric": "resolution", "priority": "high", "seconds": 60},
                               {"metric": "resolution", "priority": "low", "seconds": 60, "calendar": "none"}])),
        "events": [{"at": MONDAY, "kind": "created", "priority": "high"},
                   {"at": MONDAY + 120, "kind": "priority", "to": "low"}]}));
    assert!(message.contains("none"), "{message}");
}

#[test]
fn a13_a_paused_cycle_uses_its_calendar_too() {
    // R-K9: the target is evaluated against the calendar, running or paused.
    let message = error(json!({"id": "x", "now": MONDAY + 600, "calendars": [no_hours()],
        "policy": quiet(json!([{"metric": "resolution", "priority": "high", "seconds": 60, "calendar": "none"}])),
        "events": [{"at": MONDAY, "kind": "created", "priority": "high"},
                   {"at": MONDAY, "kind": "status", "to": "pending"}]}));
    assert!(message.contains("none"), "{message}");
}

#[test]
fn a13_business_time_that_runs_out_fails_only_the_search_that_needs_more() {
    // No weekly hours, one exception day with an hour: a cycle met within that hour is fine,
    // one still running needs more than the calendar will ever have.
    let calendar = json!({"id": "c", "tz": "UTC", "exceptions": {"2024-01-02": [[540, 600]]}});
    let policy = quiet(json!([{"metric": "first_response", "priority": "high", "seconds": 1800, "calendar": "c"}]));
    let created = json!({"at": MONDAY, "kind": "created", "priority": "high"});
    let reply = json!({"at": MONDAY + DAY + 9 * 3600 + 600, "kind": "comment", "author": "agent"});
    let met = cycles(json!({"id": "x", "now": MONDAY + 3 * DAY, "calendars": [calendar], "policy": policy,
        "events": [created, reply]}));
    assert_eq!((met[0]["state"].as_str(), met[0]["elapsed_seconds"].as_i64()), (Some("met"), Some(600)));
    let running = json!({"id": "x", "now": MONDAY + 3 * DAY, "calendars": [calendar],
        "policy": quiet(json!([{"metric": "first_response", "priority": "high", "seconds": 7200, "calendar": "c"}])),
        "events": [created]});
    assert!(error(running).contains("calendar c"));
}

// --- A5 ----------------------------------------------------------------------------------------

#[test]
fn a5_a_warning_first_reached_at_the_solve_never_fires_after_the_reopen() {
    // findings B6: `target - elapsed <= 0` first holds at the solve, a closed instant.
    let c = cycles(json!({"id": "x", "now": 3720,
        "policy": {"targets": [{"metric": "requester_wait", "priority": "high", "seconds": 3600}],
                   "warn_percent": [], "warn_remaining_seconds": [0]},
        "events": [{"at": 0, "kind": "created", "priority": "high"},
                   {"at": 3600, "kind": "status", "to": "solved"},
                   {"at": 3660, "kind": "status", "to": "open"}]}));
    assert_eq!(c[0]["warnings"], json!([]), "{c:?}");
    assert_eq!(c[0]["breached_at"], 3600);
    // 75 % and 900 s remaining both first hold at the solve at 2700.
    let c = cycles(json!({"id": "x", "now": 5100,
        "policy": {"targets": [{"metric": "requester_wait", "priority": "high", "seconds": 3600}],
                   "warn_percent": [75], "warn_remaining_seconds": [900]},
        "events": [{"at": 0, "kind": "created", "priority": "high"},
                   {"at": 2700, "kind": "status", "to": "solved"},
                   {"at": 5000, "kind": "status", "to": "open"}]}));
    assert_eq!(c[0]["warnings"], json!([]), "{c:?}");
}

#[test]
fn a5_a_warning_reached_at_a_solve_and_reopen_of_one_instant_fires_there() {
    // Solved and reopened at 60: the instance is open at 60, where the lower target makes the
    // 60 s warning true.
    let c = cycles(json!({"id": "x", "now": 60,
        "policy": {"targets": [{"metric": "requester_wait", "priority": "low", "seconds": 1},
                               {"metric": "requester_wait", "priority": "medium", "seconds": 1800}],
                   "warn_percent": [], "warn_remaining_seconds": [60]},
        "events": [{"at": 0, "kind": "created", "priority": "medium"},
                   {"at": 60, "kind": "priority", "to": "low"},
                   {"at": 60, "kind": "status", "to": "solved"},
                   {"at": 60, "kind": "status", "to": "new"}]}));
    assert_eq!(c[0]["warnings"], json!([{"kind": "remaining", "threshold": 60, "at": 60}]), "{c:?}");
}

// --- A8 ----------------------------------------------------------------------------------------

fn agent_private(extra: Vec<Value>, now: i64, targets: Value) -> Vec<Value> {
    let mut events = vec![json!({"at": 0, "kind": "created", "priority": "high", "by": "agent", "public": false})];
    events.extend(extra);
    cycles(json!({"id": "x", "now": now, "policy": quiet(targets), "events": events}))
}

fn frt(seconds: i64) -> Value {
    json!([{"metric": "first_response", "priority": "high", "seconds": seconds}])
}

fn customer(at: i64) -> Value {
    json!({"at": at, "kind": "comment", "author": "customer"})
}

fn reply(at: i64) -> Value {
    json!({"at": at, "kind": "comment", "author": "agent", "public": true})
}

#[test]
fn a8_a_reply_at_the_instant_of_the_first_customer_message_keeps_the_deferral() {
    // findings B1: first_response starts at the message; the reply at that instant cannot stop
    // a cycle opened there (A2), and next_response does not open (A7).
    for order in [vec![customer(60), reply(60)], vec![reply(60), customer(60)]] {
        let targets = json!([{"metric": "first_response", "priority": "high", "seconds": 900},
                             {"metric": "next_response", "priority": "high", "seconds": 900}]);
        let c = agent_private(order, 3600, targets);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(summary(&c[0]), (json!(60), Value::Null, json!("running"), json!(3540)));
    }
}

#[test]
fn a8_a_reply_at_creation_fails_the_deferral() {
    // findings B4: the reply is strictly before the first customer message; first_response runs
    // from creation and the reply, not strictly after that start, does not stop it.
    let c = agent_private(vec![reply(0), customer(360)], 3600, frt(900));
    assert_eq!(summary(&c[0]), (json!(0), Value::Null, json!("running"), json!(3600)));
    assert_eq!(c[0]["breached_at"], 900);
    let c = agent_private(vec![reply(0)], 600, frt(900));
    assert_eq!(summary(&c[0]), (json!(0), Value::Null, json!("running"), json!(600)));
}

#[test]
fn a8_closing_while_deferred_opens_nothing() {
    // findings B2: no first_response cycle before the first customer message, and a message on
    // the closed ticket opens none (closed is final).
    let close = json!({"at": 60, "kind": "status", "to": "closed"});
    assert_eq!(agent_private(vec![close.clone()], 60, frt(900)), Vec::<Value>::new());
    assert_eq!(agent_private(vec![close.clone(), customer(120)], 9000, frt(900)), Vec::<Value>::new());
    // A reply after the close fails the deferral: the cycle ran from creation to the close.
    let c = agent_private(vec![close, reply(120)], 9000, frt(900));
    assert_eq!(summary(&c[0]), (json!(0), json!(60), json!("cancelled"), json!(60)));
}

#[test]
fn a8_a_failed_deferral_keeps_what_happened_since_creation() {
    // findings B5: the target went away at 60 (R-T5) and came back at 120; the reply at 180
    // fails the deferral, so first_response ran from creation and was cancelled at 60.
    let events = vec![
        json!({"at": 60, "kind": "priority", "to": "low"}),
        json!({"at": 120, "kind": "priority", "to": "high"}),
        reply(180),
    ];
    let c = agent_private(events, 3600, frt(900));
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(summary(&c[0]), (json!(0), json!(60), json!("cancelled"), json!(60)));
}

#[test]
fn a8_a_deferred_first_response_that_has_not_started_uses_no_calendar() {
    // findings B7: no cycle yet, so a calendar without business time is no error (A13).
    let scenario = json!({"id": "x", "now": 1, "calendars": [no_hours()],
        "policy": quiet(json!([{"metric": "first_response", "priority": "high", "seconds": 900, "calendar": "none"}])),
        "events": [{"at": 0, "kind": "created", "priority": "high", "by": "agent", "public": false}]});
    assert_eq!(cycles(scenario), Vec::<Value>::new());
}

// --- A11 / R-M5 --------------------------------------------------------------------------------

#[test]
fn a11_reopening_and_closing_at_one_instant_resumes_nothing() {
    for metric in ["requester_wait", "agent_work"] {
        let c = cycles(json!({"id": "x", "now": 9000,
            "policy": quiet(json!([{"metric": metric, "priority": "high", "seconds": 3600}])),
            "events": [{"at": 0, "kind": "created", "priority": "high"},
                       {"at": 100, "kind": "status", "to": "solved"},
                       {"at": 200, "kind": "status", "to": "open"},
                       {"at": 200, "kind": "status", "to": "closed"}]}));
        assert_eq!(summary(&c[0]), (json!(0), json!(100), json!("met"), json!(100)), "{metric}");
    }
}
