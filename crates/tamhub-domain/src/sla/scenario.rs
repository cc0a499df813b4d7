//! The `tamhub sla eval` format (SLA-SPEC section 3): one JSON scenario in, one JSON result out.
//! A bad scenario gives `{"id", "error"}` naming the field; it never stops a run.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::calendar::{ALWAYS_OPEN_ID, Calendar, CalendarSpec};
use super::engine::{CycleRecord, WarningKind, evaluate};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Reopen, Status, Target};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioIn {
    /// Echoed from the raw line by `eval_line`, so even an invalid scenario keeps its id.
    #[serde(rename = "id")]
    _id: Value,
    now: i64,
    #[serde(default)]
    calendars: Vec<CalendarSpec>,
    #[serde(default)]
    policy: PolicyIn,
    #[serde(default)]
    events: Vec<EventIn>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyIn {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    targets: Vec<TargetIn>,
    warn_percent: Option<Vec<i64>>,
    warn_remaining_seconds: Option<Vec<i64>>,
    #[serde(default)]
    pause_sets: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    reopen: BTreeMap<String, String>,
    start_at_first_customer_message: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetIn {
    metric: String,
    priority: String,
    seconds: i64,
    hours: Option<String>,
    calendar: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn {
    at: i64,
    kind: String,
    priority: Option<String>,
    by: Option<String>,
    public: Option<bool>,
    author: Option<String>,
    to: Option<String>,
    metric: Option<String>,
    seconds: Option<i64>,
}

/// A field-named problem in a scenario.
struct Invalid(String);

fn invalid<T>(field: impl Into<String>, message: &str) -> Result<T, Invalid> {
    Err(Invalid(format!("{}: {message}", field.into())))
}

fn metric(field: &str, text: &str) -> Result<Metric, Invalid> {
    Metric::parse(text).map_or_else(|| invalid(field, "is not a metric"), Ok)
}

fn status(field: &str, text: &str) -> Result<Status, Invalid> {
    Status::parse(text).map_or_else(|| invalid(field, "must be new, open, pending, on_hold, solved or closed"), Ok)
}

fn author(field: &str, text: &str) -> Result<Author, Invalid> {
    match text {
        "customer" => Ok(Author::Customer),
        "agent" => Ok(Author::Agent),
        "system" => Ok(Author::System),
        _ => invalid(field, "must be customer, agent or system"),
    }
}

fn policy(p: PolicyIn, calendars: &BTreeMap<String, Calendar>) -> Result<Policy, Invalid> {
    let mut targets = BTreeMap::new();
    for (i, t) in p.targets.into_iter().enumerate() {
        let field = |name: &str| format!("policy.targets[{i}].{name}");
        let m = metric(&field("metric"), &t.metric)?;
        if t.seconds < 1 {
            return invalid(field("seconds"), "must be at least 1 second (R-T6)");
        }
        let hours = match t.hours.as_deref() {
            None | Some("business") => Hours::Business,
            Some("calendar") => Hours::Calendar,
            Some(_) => return invalid(field("hours"), "must be business or calendar"),
        };
        let calendar_id = t.calendar.unwrap_or_else(|| ALWAYS_OPEN_ID.to_string());
        if calendar_id != ALWAYS_OPEN_ID && !calendars.contains_key(&calendar_id) {
            return invalid(field("calendar"), "names no calendar of the scenario");
        }
        targets.insert((m, t.priority), Target { seconds: t.seconds, hours, calendar_id });
    }
    let mut pause_sets = BTreeMap::new();
    for (name, statuses) in p.pause_sets {
        let field = format!("policy.pause_sets.{name}");
        let m = metric(&field, &name)?;
        let set = statuses.iter().map(|s| status(&field, s)).collect::<Result<Vec<_>, _>>()?;
        if m.is_fulfilled_by_solve() && set.contains(&Status::Solved) {
            return invalid(field, "must not contain the stop status solved (R-M8)");
        }
        pause_sets.insert(m, set);
    }
    let mut reopen = BTreeMap::new();
    for (name, policy) in p.reopen {
        let field = format!("policy.reopen.{name}");
        let m = metric(&field, &name)?;
        if !m.is_fulfilled_by_solve() {
            return invalid(field, "is configurable only for requester_wait, agent_work and resolution");
        }
        let value = match policy.as_str() {
            "new_cycle" => Reopen::NewCycle,
            "resume" => Reopen::Resume,
            _ => return invalid(field, "must be new_cycle or resume"),
        };
        reopen.insert(m, value);
    }
    Ok(Policy {
        id: p.id.unwrap_or_else(|| "default".into()),
        targets,
        warn_percent: p.warn_percent.unwrap_or_else(|| vec![50, 75, 90]),
        warn_remaining_seconds: p.warn_remaining_seconds.unwrap_or_else(|| vec![900]),
        pause_sets,
        reopen,
        start_at_first_customer_message: p.start_at_first_customer_message.unwrap_or(true),
    })
}

fn events(raw: Vec<EventIn>, policy: &Policy) -> Result<Vec<Event>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, e) in raw.into_iter().enumerate() {
        let field = |name: &str| format!("events[{i}].{name}");
        let need = |value: Option<String>, name: &str| value.map_or_else(|| invalid(field(name), "is required"), Ok);
        let kind = match e.kind.as_str() {
            "created" => EventKind::Created {
                priority: need(e.priority, "priority")?,
                by: author(&field("by"), &e.by.unwrap_or_else(|| "customer".into()))?,
                public: e.public.unwrap_or(true),
            },
            "comment" => EventKind::Comment {
                author: author(&field("author"), &need(e.author, "author")?)?,
                public: e.public.unwrap_or(true),
            },
            "status" => EventKind::Status { to: status(&field("to"), &need(e.to, "to")?)? },
            "priority" => EventKind::Priority { to: need(e.to, "to")? },
            "target" => {
                let m = metric(&field("metric"), &need(e.metric, "metric")?)?;
                let priority = need(e.priority, "priority")?;
                let seconds = e.seconds.map_or_else(|| invalid(field("seconds"), "is required"), Ok)?;
                if seconds < 1 {
                    return invalid(field("seconds"), "must be at least 1 second (R-T6)");
                }
                if !policy.targets.contains_key(&(m, priority.clone())) {
                    return invalid(field("metric"), "has no policy target for this priority to change (A12)");
                }
                EventKind::Target { metric: m, priority, seconds }
            }
            _ => return invalid(field("kind"), "must be created, comment, status, priority or target"),
        };
        out.push(Event { at: e.at, kind });
    }
    Ok(out)
}

fn record(r: &CycleRecord, policy_id: &str) -> Value {
    json!({
        "metric": r.metric.as_str(),
        "cycle_no": r.cycle_no,
        "policy_id": policy_id,
        "priority": r.priority,
        "target_seconds": r.target_seconds,
        "hours": r.hours.as_str(),
        "calendar_id": r.calendar_id,
        "started_at": r.started_at,
        "stopped_at": r.stopped_at,
        "state": r.state.as_str(),
        "breached": r.breached,
        "breached_at": r.breached_at,
        "due_at": r.due_at,
        "elapsed_seconds": r.elapsed_seconds,
        "remaining_business_seconds": r.remaining_business_seconds,
        "remaining_calendar_seconds": r.remaining_calendar_seconds,
        "paused_seconds_calendar": r.paused_seconds_calendar,
        "warnings": r.warnings.iter().map(|w| json!({
            "kind": match w.kind { WarningKind::Percent => "percent", WarningKind::Remaining => "remaining" },
            "threshold": w.threshold,
            "at": w.at,
        })).collect::<Vec<_>>(),
    })
}

/// Evaluates one input line; the answer is always one JSON line.
pub fn eval_line(line: &str) -> String {
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(e) => return json!({"id": null, "error": format!("scenario: not JSON: {e}")}).to_string(),
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let answer = match run(value) {
        Ok(cycles) => json!({"id": id, "cycles": cycles}),
        Err(Invalid(message)) => json!({"id": id, "error": message}),
    };
    answer.to_string()
}

fn run(value: Value) -> Result<Vec<Value>, Invalid> {
    let scenario: ScenarioIn =
        serde_path_to_error::deserialize(value).map_err(|e| Invalid(format!("{}: {}", e.path(), e.inner())))?;
    let mut calendars = BTreeMap::new();
    for (i, spec) in scenario.calendars.iter().enumerate() {
        let calendar = Calendar::from_spec(spec, &format!("calendars[{i}]"))
            .map_err(|errors| Invalid(errors.iter().next().map(|(f, m)| format!("{f}: {m}")).unwrap_or_default()))?;
        calendars.insert(spec.id.clone(), calendar);
    }
    let policy = policy(scenario.policy, &calendars)?;
    let events = events(scenario.events, &policy)?;
    let records = evaluate(&events, &policy, &calendars, scenario.now).map_err(|e| Invalid(e.to_string()))?;
    Ok(records.iter().map(|r| record(r, &policy.id)).collect())
}
