//! SLA-SPEC 1.10: golden cases that need cycles and targets (G6-G9, T1-T7), driven through the
//! `tamhub sla eval` format so the parser is exercised too.

use serde_json::{Value, json};

use super::scenario::eval_line;

const H: i64 = 3600;

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// `HH:MM` on 2024-01-01 UTC (the metric-level cases).
fn hm(text: &str) -> i64 {
    at(&format!("2024-01-01T{text}:00Z"))
}

fn new_york() -> Value {
    json!({"id": "ny", "tz": "America/New_York",
           "weekly": {"mon": [[540, 1020]], "tue": [[540, 1020]], "wed": [[540, 1020]], "thu": [[540, 1020]], "fri": [[540, 1020]]}})
}

fn eval(scenario: Value) -> Vec<Value> {
    let out: Value = serde_json::from_str(&eval_line(&scenario.to_string())).unwrap();
    assert!(out.get("error").is_none(), "{out}");
    out["cycles"].as_array().unwrap().clone()
}

fn only(cycles: &[Value], metric: &str) -> Vec<Value> {
    cycles.iter().filter(|c| c["metric"] == metric).cloned().collect()
}

fn ny_resolution(seconds: i64, now: i64, extra: Vec<Value>) -> Vec<Value> {
    let mut events = vec![json!({"at": at("2024-03-08T15:00:00-05:00"), "kind": "created", "priority": "medium"})];
    events.extend(extra);
    let scenario = json!({"id": "g", "now": now, "calendars": [new_york()],
        "policy": {"targets": [{"metric": "resolution", "priority": "medium", "seconds": seconds, "calendar": "ny"}]},
        "events": events});
    only(&eval(scenario), "resolution")
}

#[test]
fn g6_a_lower_target_after_the_elapsed_time_breaches_at_the_change() {
    let change = at("2024-03-11T09:30:00-04:00");
    let cycles = ny_resolution(
        4 * H,
        at("2024-03-11T10:00:00-04:00"),
        vec![json!({"at": change, "kind": "target", "metric": "resolution", "priority": "medium", "seconds": H})],
    );
    assert_eq!(cycles[0]["breached_at"], change, "{cycles:?}");
    assert_eq!(cycles[0]["breached"], true);
}

#[test]
fn g7_a_breach_stays_when_the_target_grows_later() {
    let cycles = ny_resolution(
        H,
        at("2024-03-11T10:00:00-04:00"),
        vec![
            json!({"at": at("2024-03-11T09:00:00-04:00"), "kind": "target", "metric": "resolution", "priority": "medium", "seconds": 8 * H}),
        ],
    );
    assert_eq!(cycles[0]["breached_at"], at("2024-03-08T16:00:00-05:00"), "{cycles:?}");
}

#[test]
fn g8_a_pending_hour_moves_the_deadline() {
    let cycles = ny_resolution(
        4 * H,
        at("2024-03-11T11:30:00-04:00"),
        vec![
            json!({"at": at("2024-03-11T10:00:00-04:00"), "kind": "status", "to": "pending"}),
            json!({"at": at("2024-03-11T11:00:00-04:00"), "kind": "status", "to": "open"}),
        ],
    );
    assert_eq!(cycles[0]["due_at"], at("2024-03-11T12:00:00-04:00"), "{cycles:?}");
}

#[test]
fn g9_a_pause_on_a_24x7_clock() {
    let scenario = json!({"id": "g9", "now": hm("00:50"),
        "policy": {"targets": [{"metric": "resolution", "priority": "high", "seconds": H}]},
        "events": [{"at": hm("00:00"), "kind": "created", "priority": "high"},
                   {"at": hm("00:30"), "kind": "status", "to": "pending"},
                   {"at": hm("00:40"), "kind": "status", "to": "open"}]});
    let cycles = only(&eval(scenario), "resolution");
    assert_eq!(cycles[0]["due_at"], hm("01:10"), "{cycles:?}");
}

#[test]
fn t1_next_response_counts_from_the_oldest_unanswered_message() {
    let scenario = json!({"id": "t1", "now": hm("03:00"),
        "policy": {"targets": [{"metric": "next_response", "priority": "medium", "seconds": H}]},
        "events": [{"at": hm("00:00"), "kind": "created", "priority": "medium", "by": "customer"},
                   {"at": hm("00:10"), "kind": "comment", "author": "agent", "public": true},
                   {"at": hm("01:00"), "kind": "comment", "author": "customer"},
                   {"at": hm("01:30"), "kind": "comment", "author": "customer"},
                   {"at": hm("02:05"), "kind": "comment", "author": "agent", "public": true}]});
    let cycles = only(&eval(scenario), "next_response");
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    let c = &cycles[0];
    assert_eq!(
        (c["started_at"].clone(), c["due_at"].clone(), c["stopped_at"].clone()),
        (json!(hm("01:00")), json!(hm("02:00")), json!(hm("02:05")))
    );
    assert_eq!(
        (c["state"].as_str(), c["breached_at"].clone(), c["elapsed_seconds"].clone()),
        (Some("breached"), json!(hm("02:00")), json!(3900))
    );
}

#[test]
fn t2_requester_wait_resumes_after_a_reopen() {
    let base = vec![
        json!({"at": hm("00:00"), "kind": "created", "priority": "medium"}),
        json!({"at": hm("01:00"), "kind": "status", "to": "pending"}),
        json!({"at": hm("03:00"), "kind": "status", "to": "open"}),
        json!({"at": hm("05:00"), "kind": "status", "to": "solved"}),
    ];
    let policy = json!({"targets": [{"metric": "requester_wait", "priority": "medium", "seconds": 4 * H}]});
    let first =
        only(&eval(json!({"id": "t2", "now": hm("06:00"), "policy": policy, "events": base})), "requester_wait");
    assert_eq!(
        (first[0]["state"].as_str(), first[0]["elapsed_seconds"].clone()),
        (Some("met"), json!(3 * H)),
        "{first:?}"
    );
    let mut reopened = base.clone();
    reopened.push(json!({"at": hm("10:00"), "kind": "status", "to": "open"}));
    reopened.push(json!({"at": hm("12:00"), "kind": "status", "to": "solved"}));
    let second =
        only(&eval(json!({"id": "t2", "now": hm("13:00"), "policy": policy, "events": reopened})), "requester_wait");
    assert_eq!(second.len(), 1, "one instance: {second:?}");
    let c = &second[0];
    assert_eq!(
        (c["due_at"].clone(), c["state"].as_str(), c["breached_at"].clone()),
        (json!(hm("11:00")), Some("breached"), json!(hm("11:00")))
    );
    assert_eq!(c["elapsed_seconds"], 5 * H);
}

fn periodic(metric: &str, extra: Vec<Value>) -> Vec<Value> {
    let mut events = vec![
        json!({"at": hm("00:00"), "kind": "created", "priority": "medium"}),
        json!({"at": hm("01:00"), "kind": "comment", "author": "agent", "public": true}),
        json!({"at": hm("03:30"), "kind": "comment", "author": "agent", "public": true}),
        json!({"at": hm("04:00"), "kind": "comment", "author": "agent", "public": true}),
        json!({"at": hm("05:00"), "kind": "status", "to": "solved"}),
    ];
    events.extend(extra);
    let scenario = json!({"id": "t", "now": hm("06:00"),
        "policy": {"targets": [{"metric": metric, "priority": "medium", "seconds": 2 * H}]}, "events": events});
    only(&eval(scenario), metric)
}

#[test]
fn t3_periodic_updates_chain_from_reply_to_reply() {
    let c = periodic("periodic_update", vec![]);
    let summary: Vec<(Value, Value, Value, Value)> = c
        .iter()
        .map(|c| (c["started_at"].clone(), c["stopped_at"].clone(), c["state"].clone(), c["breached_at"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!(hm("00:00")), json!(hm("01:00")), json!("met"), Value::Null),
            (json!(hm("01:00")), json!(hm("03:30")), json!("breached"), json!(hm("03:00"))),
            (json!(hm("03:30")), json!(hm("04:00")), json!("met"), Value::Null),
            (json!(hm("04:00")), json!(hm("05:00")), json!("cancelled"), Value::Null),
        ]
    );
    assert_eq!(c[3]["breached"], false);
}

#[test]
fn t4_a_pausable_update_waits_while_pending() {
    let mut events = vec![
        json!({"at": hm("01:30"), "kind": "status", "to": "pending"}),
        json!({"at": hm("03:00"), "kind": "status", "to": "open"}),
    ];
    events.sort_by_key(|e| e["at"].as_i64());
    let c = periodic("pausable_update", events);
    assert_eq!((c[1]["state"].clone(), c[1]["elapsed_seconds"].clone()), (json!("met"), json!(H)), "{c:?}");
}

fn first_response(created_public: bool) -> Value {
    let scenario = json!({"id": "t5", "now": hm("02:00"),
        "policy": {"targets": [{"metric": "first_response", "priority": "medium", "seconds": 4 * H}]},
        "events": [{"at": hm("00:00"), "kind": "created", "priority": "medium", "by": "agent", "public": created_public},
                   {"at": hm("00:20"), "kind": "comment", "author": "customer"},
                   {"at": hm("00:50"), "kind": "comment", "author": "agent", "public": true}]});
    only(&eval(scenario), "first_response")[0].clone()
}

#[test]
fn t5_first_response_of_an_agent_created_ticket() {
    let public = first_response(true);
    assert_eq!((public["stopped_at"].clone(), public["elapsed_seconds"].clone()), (json!(hm("00:50")), json!(50 * 60)));
    let private = first_response(false);
    assert_eq!(
        (private["started_at"].clone(), private["elapsed_seconds"].clone()),
        (json!(hm("00:20")), json!(30 * 60))
    );
}

fn priorities(changes: Vec<Value>, now: &str) -> Value {
    let mut events = vec![json!({"at": hm("00:00"), "kind": "created", "priority": "medium"})];
    events.extend(changes);
    let targets: Vec<Value> = [("critical", H), ("high", 4 * H), ("medium", 8 * H), ("low", 24 * H)]
        .iter()
        .map(|(p, s)| json!({"metric": "resolution", "priority": p, "seconds": s}))
        .collect();
    let scenario = json!({"id": "t", "now": hm(now), "policy": {"targets": targets}, "events": events});
    only(&eval(scenario), "resolution")[0].clone()
}

#[test]
fn t6_raising_then_lowering_the_priority_keeps_the_breach() {
    let c = priorities(
        vec![
            json!({"at": hm("02:00"), "kind": "priority", "to": "critical"}),
            json!({"at": hm("03:00"), "kind": "priority", "to": "low"}),
        ],
        "04:00",
    );
    assert_eq!((c["breached"].clone(), c["breached_at"].clone()), (json!(true), json!(hm("02:00"))), "{c}");
}

#[test]
fn t7_raising_the_priority_before_the_breach_moves_the_deadline() {
    let c = priorities(vec![json!({"at": hm("00:30"), "kind": "priority", "to": "high"})], "01:00");
    assert_eq!(c["due_at"], hm("04:00"), "{c}");
}

#[test]
fn a_bad_scenario_names_the_field_and_keeps_its_id() {
    let out: Value = serde_json::from_str(&eval_line(
        &json!({"id": "bad", "now": 0, "calendars": [{"id": "x", "tz": "Nowhere/City"}]}).to_string(),
    ))
    .unwrap();
    assert_eq!(out["id"], "bad");
    assert!(out["error"].as_str().unwrap().contains("calendars[0].tz"), "{out}");
    let garbage: Value = serde_json::from_str(&eval_line("{not json")).unwrap();
    assert!(garbage["error"].is_string());
    let wrong_type: Value = serde_json::from_str(&eval_line(
        &json!({"id": 7, "now": 0, "events": [{"at": "noon", "kind": "created"}]}).to_string(),
    ))
    .unwrap();
    assert_eq!(wrong_type["id"], 7);
    assert!(wrong_type["error"].as_str().unwrap().starts_with("events[0].at"), "{wrong_type}");
    let unknown_status: Value = serde_json::from_str(&eval_line(
        &json!({"id": 8, "now": 0, "events": [{"at": 0, "kind": "status", "to": "frozen"}]}).to_string(),
    ))
    .unwrap();
    assert!(unknown_status["error"].as_str().unwrap().starts_with("events[0].to"), "{unknown_status}");
}
