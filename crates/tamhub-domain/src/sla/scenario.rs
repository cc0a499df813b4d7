//! The `tamhub sla eval` format (SLA-SPEC section 3): one JSON scenario in, one JSON result out.
//! A bad scenario gives `{"id", "error"}` naming the field; it never stops a run.
//!
//! A line is parsed straight into the typed input; only when that fails is it parsed again
//! through `serde_json::Value` and `serde_path_to_error`, to name the field at fault and keep
//! the id of a line that is otherwise wrong.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::calendar::{ALWAYS_OPEN_ID, Calendar, CalendarSpec};
use super::engine::{CycleRecord, evaluate};
use super::model::{Author, Event, EventKind, Hours, Metric, Policy, Reopen, Status, Target};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioIn<'a> {
    id: Value,
    now: i64,
    #[serde(default)]
    calendars: Vec<CalendarSpec>,
    #[serde(default, borrow)]
    policy: PolicyIn<'a>,
    #[serde(default, borrow)]
    events: Vec<EventIn<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyIn<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, borrow)]
    targets: Vec<TargetIn<'a>>,
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
struct TargetIn<'a> {
    #[serde(borrow)]
    metric: Cow<'a, str>,
    priority: String,
    seconds: i64,
    #[serde(borrow)]
    hours: Option<Text<'a>>,
    calendar: Option<String>,
}

/// A string borrowed from the line unless it has escapes. serde borrows a `Cow` field but not
/// one inside an `Option`; this newtype makes optional strings borrow too.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// Strings borrow from the line where they can: an event has several, and there are many.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn<'a> {
    at: i64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    priority: Option<Text<'a>>,
    #[serde(borrow)]
    by: Option<Text<'a>>,
    public: Option<bool>,
    #[serde(borrow)]
    author: Option<Text<'a>>,
    #[serde(borrow)]
    to: Option<Text<'a>>,
    #[serde(borrow)]
    metric: Option<Text<'a>>,
    seconds: Option<i64>,
}

/// A field-named problem in a scenario.
struct Invalid(String);

fn invalid<T>(field: impl Into<String>, message: &str) -> Result<T, Invalid> {
    Err(Invalid(format!("{}: {message}", field.into())))
}

// Field names are built only for a message: most lines are valid, and formatting a name for
// every event would cost more than checking it.

fn metric(field: impl FnOnce() -> String, text: &str) -> Result<Metric, Invalid> {
    Metric::parse(text).map_or_else(|| invalid(field(), "is not a metric"), Ok)
}

fn status(field: impl FnOnce() -> String, text: &str) -> Result<Status, Invalid> {
    Status::parse(text).map_or_else(|| invalid(field(), "must be new, open, pending, on_hold, solved or closed"), Ok)
}

fn author(field: impl FnOnce() -> String, text: &str) -> Result<Author, Invalid> {
    match text {
        "customer" => Ok(Author::Customer),
        "agent" => Ok(Author::Agent),
        "system" => Ok(Author::System),
        _ => invalid(field(), "must be customer, agent or system"),
    }
}

fn required<'s>(value: Option<Text<'s>>, field: impl FnOnce() -> String) -> Result<Cow<'s, str>, Invalid> {
    value.map_or_else(|| invalid(field(), "is required"), |text| Ok(text.0))
}

fn policy(p: PolicyIn, calendars: &BTreeMap<String, Calendar>) -> Result<Policy, Invalid> {
    let mut targets = BTreeMap::new();
    for (i, t) in p.targets.into_iter().enumerate() {
        let field = |name: &str| format!("policy.targets[{i}].{name}");
        let m = metric(|| field("metric"), &t.metric)?;
        if t.seconds < 1 {
            return invalid(field("seconds"), "must be at least 1 second (R-T6)");
        }
        let hours = match t.hours.as_ref().map(|h| h.0.as_ref()) {
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
        let field = || format!("policy.pause_sets.{name}");
        let m = metric(field, &name)?;
        let set = statuses.iter().map(|s| status(field, s)).collect::<Result<Vec<_>, _>>()?;
        if m.is_fulfilled_by_solve() && set.contains(&Status::Solved) {
            return invalid(field(), "must not contain the stop status solved (R-M8)");
        }
        pause_sets.insert(m, set);
    }
    let mut reopen = BTreeMap::new();
    for (name, policy) in p.reopen {
        let field = || format!("policy.reopen.{name}");
        let m = metric(field, &name)?;
        if !m.is_fulfilled_by_solve() {
            return invalid(field(), "is configurable only for requester_wait, agent_work and resolution");
        }
        let value = match policy.as_str() {
            "new_cycle" => Reopen::NewCycle,
            "resume" => Reopen::Resume,
            _ => return invalid(field(), "must be new_cycle or resume"),
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
        let kind = match e.kind.as_ref() {
            "created" => EventKind::Created {
                priority: required(e.priority, || field("priority"))?.into_owned(),
                by: author(|| field("by"), e.by.as_ref().map_or("customer", |by| by.0.as_ref()))?,
                public: e.public.unwrap_or(true),
            },
            "comment" => EventKind::Comment {
                author: author(|| field("author"), &required(e.author, || field("author"))?)?,
                public: e.public.unwrap_or(true),
            },
            "status" => EventKind::Status { to: status(|| field("to"), &required(e.to, || field("to"))?)? },
            "priority" => EventKind::Priority { to: required(e.to, || field("to"))?.into_owned() },
            "target" => {
                let m = metric(|| field("metric"), &required(e.metric, || field("metric"))?)?;
                let priority = required(e.priority, || field("priority"))?.into_owned();
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

/// One output line.
enum Answer {
    Cycles { id: Value, policy_id: String, records: Vec<CycleRecord> },
    Error { id: Value, error: String },
}

/// Writes `answer` as compact JSON, keys in alphabetical order as the first version of this
/// command wrote them (through `serde_json::Value`), so outputs stay byte-comparable. Written by
/// hand because a line holds a few dozen records of eighteen fixed keys each: copying the keys
/// as pre-escaped bytes is most of what makes output fast. Strings that come from the input go
/// through serde_json's escaping.
fn write_answer(out: &mut Vec<u8>, answer: &Answer) -> serde_json::Result<()> {
    match answer {
        Answer::Cycles { id, policy_id, records } => {
            out.extend_from_slice(b"{\"cycles\":[");
            for (i, r) in records.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_record(out, r, policy_id)?;
            }
            out.extend_from_slice(b"],\"id\":");
            serde_json::to_writer(&mut *out, id)?;
        }
        Answer::Error { id, error } => {
            out.extend_from_slice(b"{\"error\":");
            serde_json::to_writer(&mut *out, error)?;
            out.extend_from_slice(b",\"id\":");
            serde_json::to_writer(&mut *out, id)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// The record of section 1.9 (A15: with `policy_id` and `paused_seconds_calendar`).
fn write_record(out: &mut Vec<u8>, r: &CycleRecord, policy_id: &str) -> serde_json::Result<()> {
    let flag = |b: bool| if b { &b"true"[..] } else { &b"false"[..] };
    out.extend_from_slice(b"{\"breached\":");
    out.extend_from_slice(flag(r.breached));
    out.extend_from_slice(b",\"breached_at\":");
    write_optional(out, r.breached_at);
    out.extend_from_slice(b",\"calendar_id\":");
    serde_json::to_writer(&mut *out, &r.calendar_id)?;
    out.extend_from_slice(b",\"cycle_no\":");
    write_number(out, i64::from(r.cycle_no));
    out.extend_from_slice(b",\"due_at\":");
    write_optional(out, r.due_at);
    out.extend_from_slice(b",\"elapsed_seconds\":");
    write_number(out, r.elapsed_seconds);
    out.extend_from_slice(b",\"hours\":\"");
    out.extend_from_slice(r.hours.as_str().as_bytes());
    out.extend_from_slice(b"\",\"metric\":\"");
    out.extend_from_slice(r.metric.as_str().as_bytes());
    out.extend_from_slice(b"\",\"paused_seconds_calendar\":");
    write_number(out, r.paused_seconds_calendar);
    out.extend_from_slice(b",\"policy_id\":");
    serde_json::to_writer(&mut *out, policy_id)?;
    out.extend_from_slice(b",\"priority\":");
    serde_json::to_writer(&mut *out, &r.priority)?;
    out.extend_from_slice(b",\"remaining_business_seconds\":");
    write_number(out, r.remaining_business_seconds);
    out.extend_from_slice(b",\"remaining_calendar_seconds\":");
    write_optional(out, r.remaining_calendar_seconds);
    out.extend_from_slice(b",\"started_at\":");
    write_number(out, r.started_at);
    out.extend_from_slice(b",\"state\":\"");
    out.extend_from_slice(r.state.as_str().as_bytes());
    out.extend_from_slice(b"\",\"stopped_at\":");
    write_optional(out, r.stopped_at);
    out.extend_from_slice(b",\"target_seconds\":");
    write_number(out, r.target_seconds);
    out.extend_from_slice(b",\"warnings\":[");
    for (i, w) in r.warnings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"at\":");
        write_number(out, w.at);
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(w.kind.as_str().as_bytes());
        out.extend_from_slice(b"\",\"threshold\":");
        write_number(out, w.threshold);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

fn write_number(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn write_optional(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => write_number(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

fn answer(line: &str) -> Answer {
    // Only an object has an "id" to echo: serde also reads a struct from an array, whose first
    // element would pass for the id. Anything else goes the slow way.
    if !line.trim_start().starts_with('{') {
        return slow_answer(line);
    }
    match serde_json::from_str::<ScenarioIn>(line) {
        Ok(mut scenario) => {
            let id = std::mem::take(&mut scenario.id);
            match run(scenario) {
                Ok((policy_id, records)) => Answer::Cycles { id, policy_id, records },
                Err(Invalid(error)) => Answer::Error { id, error },
            }
        }
        Err(_) => slow_answer(line),
    }
}

/// A line the typed parse refused: parse it loosely to keep its id, then again with the path
/// of the field at fault.
fn slow_answer(line: &str) -> Answer {
    let value: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(e) => return Answer::Error { id: Value::Null, error: format!("scenario: not JSON: {e}") },
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let scenario = serde_path_to_error::deserialize::<_, ScenarioIn>(value)
        .map_err(|e| Invalid(format!("{}: {}", e.path(), e.inner())));
    match scenario.and_then(run) {
        Ok((policy_id, records)) => Answer::Cycles { id, policy_id, records },
        Err(Invalid(error)) => Answer::Error { id, error },
    }
}

/// Evaluates one input line; the answer is always one JSON line (without its line break).
pub fn eval_line(line: &str) -> String {
    let mut out = Vec::with_capacity(4096);
    write_answer_line(line, &mut out);
    out.pop();
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `eval_line` appended to `out`, with its line break: a caller evaluating many lines reuses
/// one buffer.
pub fn write_answer_line(line: &str, out: &mut Vec<u8>) {
    let start = out.len();
    let answer = answer(line);
    if write_answer(out, &answer).is_err() {
        // Writing to memory cannot fail; should it, the line still gets an answer.
        out.truncate(start);
        out.extend_from_slice(b"{\"error\":\"scenario: the answer could not be written\",\"id\":null}");
    }
    out.push(b'\n');
}

fn run(scenario: ScenarioIn) -> Result<(String, Vec<CycleRecord>), Invalid> {
    let mut calendars = BTreeMap::new();
    for (i, spec) in scenario.calendars.iter().enumerate() {
        let calendar = Calendar::from_spec(spec, &format!("calendars[{i}]"))
            .map_err(|errors| Invalid(errors.iter().next().map(|(f, m)| format!("{f}: {m}")).unwrap_or_default()))?;
        calendars.insert(spec.id.clone(), calendar);
    }
    let policy = policy(scenario.policy, &calendars)?;
    let events = events(scenario.events, &policy)?;
    let records = evaluate(&events, &policy, &calendars, scenario.now).map_err(|e| Invalid(e.to_string()))?;
    Ok((policy.id, records))
}
