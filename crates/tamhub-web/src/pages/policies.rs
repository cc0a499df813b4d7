//! Admin: the ordered SLA policies (SLA-SPEC 1.6). The first policy whose filter matches a ticket
//! applies (R-T1); each has targets per metric × priority, warnings (R-W1), pause-set overrides
//! (R-M8) and reopen policies (R-M5..R-M7).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::{AccountQuery, AppError, Archived};
use tamhub_domain::accounts::Tier;
use tamhub_domain::ids::PolicyId;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::sla::display::{duration, metric_label};
use tamhub_domain::sla::model::{Metric, Reopen, Status};
use tamhub_domain::sla::policies::{PolicyFilterDraft, SlaPolicy, SlaPolicyDraft, TargetDraft, default_policy};
use tamhub_domain::tickets::{Priority, TicketType};
use tamhub_domain::validation::FieldErrors;

use super::calendars::require_sla_admin;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

/// The metrics in the order a support team thinks of them.
const METRICS: [Metric; 7] = [
    Metric::FirstResponse,
    Metric::NextResponse,
    Metric::PeriodicUpdate,
    Metric::PausableUpdate,
    Metric::Resolution,
    Metric::RequesterWait,
    Metric::AgentWork,
];

pub struct PolicyRow {
    pub id: String,
    pub position: usize,
    pub name: String,
    pub filters: String,
    pub targets: String,
    pub warnings: String,
    pub first: bool,
    pub last: bool,
}

#[derive(Template)]
#[template(path = "admin/policies.html")]
struct PoliciesPage {
    layout: Layout,
    rows: Vec<PolicyRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn filters_summary(p: &SlaPolicy) -> String {
    let mut parts = Vec::new();
    if !p.filter.tiers.is_empty() {
        parts.push(format!("Tier: {}", p.filter.tiers.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ")));
    }
    if !p.filter.ticket_types.is_empty() {
        parts.push(format!("Type: {}", p.filter.ticket_types.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ")));
    }
    if !p.filter.account_ids.is_empty() {
        parts.push(format!("{} named account(s)", p.filter.account_ids.len()));
    }
    if parts.is_empty() { "Every ticket".into() } else { parts.join(" · ") }
}

pub async fn list(State(state): State<AppState>, user: PageUser, Query(query): Query<NoticeQuery>) -> PageResult {
    require_sla_admin(&user)?;
    let policies = state.app.list_policies(&user.actor).await?;
    let count = policies.len();
    let rows = policies
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let metrics = p.targets.iter().map(|t| t.metric).collect::<std::collections::BTreeSet<_>>().len();
            let mut warnings: Vec<String> = p.warn_percent.iter().map(|w| format!("{w} %")).collect();
            warnings.extend(p.warn_remaining_seconds.iter().map(|s| format!("{} before due", duration(*s))));
            PolicyRow {
                id: p.id.to_string(),
                position: i + 1,
                name: p.name.clone(),
                filters: filters_summary(p),
                targets: format!("{} target(s) over {metrics} metric(s)", p.targets.len()),
                warnings: warnings.join(" · "),
                first: i == 0,
                last: i + 1 == count,
            }
        })
        .collect();
    let notice = match query.notice.as_deref() {
        Some("created") => Some("Policy created.".to_string()),
        Some("saved") => Some("Policy saved: open clocks are re-targeted from their start (R-T3).".to_string()),
        Some("moved") => Some("Order changed.".to_string()),
        Some("deleted") => Some("Policy deleted.".to_string()),
        _ => None,
    };
    Ok(render(&PoliciesPage { layout: Layout::new(&user, "/admin/sla-policies"), rows, notice }))
}

/// One cell of the targets grid: metric × priority.
pub struct TargetCell {
    /// Input names start with this: `t.first_response.high`.
    pub key: String,
    pub value: String,
    pub unit: String,
    pub hours: String,
    pub calendar: String,
    pub error: Option<String>,
}

pub struct GridRow {
    pub label: &'static str,
    pub cells: Vec<TargetCell>,
}

pub struct PauseRow {
    pub key: String,
    pub label: &'static str,
    pub defaults: String,
    pub statuses: Vec<(&'static str, &'static str, bool)>,
    pub error: Option<String>,
}

pub struct ReopenRow {
    pub key: String,
    pub label: &'static str,
    pub default_label: &'static str,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/policy_form.html")]
struct PolicyFormPage {
    layout: Layout,
    heading: String,
    action: String,
    id: Option<String>,
    alert: Option<String>,
    form: FormState,
    tiers: Vec<Opt>,
    types: Vec<Opt>,
    accounts: Vec<Opt>,
    priorities: Vec<&'static str>,
    grid: Vec<GridRow>,
    calendars: Vec<Opt>,
    pauses: Vec<PauseRow>,
    reopens: Vec<ReopenRow>,
}

/// "4" + "h" for 4 hours, "30" + "min", "1.5" + "h".
fn value_and_unit(seconds: i64) -> (String, &'static str) {
    if seconds % 3600 == 0 {
        ((seconds / 3600).to_string(), "h")
    } else if seconds % 60 == 0 {
        ((seconds / 60).to_string(), "min")
    } else {
        let hours = format!("{:.4}", seconds as f64 / 3600.0);
        (hours.trim_end_matches('0').trim_end_matches('.').to_string(), "h")
    }
}

fn cell_key(metric: Metric, priority: Priority) -> String {
    format!("t.{}.{}", metric.as_str(), priority.as_str())
}

fn pause_key(metric: Metric) -> String {
    format!("pause_sets.{}", metric.as_str())
}

fn statuses_text(list: &[Status]) -> String {
    if list.is_empty() { "never".into() } else { list.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") }
}

/// The form's values for a policy.
fn values_of(p: &SlaPolicy) -> FormState {
    let mut form = FormState::default();
    form.set("name", p.name.clone());
    form.set_all("filter.tiers", p.filter.tiers.iter().map(|t| t.as_str().to_string()).collect());
    form.set_all("filter.ticket_types", p.filter.ticket_types.iter().map(|t| t.as_str().to_string()).collect());
    form.set_all("filter.account_ids", p.filter.account_ids.iter().map(|a| a.to_string()).collect());
    for t in &p.targets {
        let key = cell_key(t.metric, t.priority);
        let (value, unit) = value_and_unit(t.seconds);
        form.set(&format!("{key}.value"), value);
        form.set(&format!("{key}.unit"), unit);
        form.set(&format!("{key}.hours"), t.hours.as_str());
        form.set(&format!("{key}.calendar"), t.calendar.as_string());
    }
    let join = |v: Vec<String>| v.join(", ");
    form.set("warn_percent", join(p.warn_percent.iter().map(|w| w.to_string()).collect()));
    form.set(
        "warn_remaining_minutes",
        join(p.warn_remaining_seconds.iter().map(|s| value_and_unit(*s).0.to_string()).collect()),
    );
    for m in METRICS {
        let set = p.pause_sets.get(&m).cloned().unwrap_or_else(|| m.default_pause_set().to_vec());
        form.set_all(&pause_key(m), set.iter().map(|s| s.as_str().to_string()).collect());
        form.set("pause_shown", "1");
    }
    for (m, r) in &p.reopen {
        form.set(&format!("reopen.{}", m.as_str()), if *r == Reopen::Resume { "resume" } else { "new_cycle" });
    }
    if p.start_at_first_customer_message {
        form.set("start_at_first_customer_message", "on");
    }
    form
}

/// "75, 90" → [75, 90]; errors name `field`.
fn numbers(errors: &mut FieldErrors, field: &str, text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    for part in text.split([',', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<f64>() {
            Ok(n) if n.is_finite() => out.push(n),
            _ => errors.add(field, format!("\"{part}\" is not a number")),
        }
    }
    out
}

/// The draft the form describes, and which grid cell each target came from (to place errors).
fn draft_from(form: &FormData, errors: &mut FieldErrors) -> (SlaPolicyDraft, Vec<String>) {
    let mut targets = Vec::new();
    let mut cells = Vec::new();
    for m in METRICS {
        for (p, _) in Priority::ALL {
            let key = cell_key(m, p);
            let value = form.get(&format!("{key}.value")).trim();
            if value.is_empty() {
                continue;
            }
            let scale = if form.get(&format!("{key}.unit")) == "min" { 60.0 } else { 3600.0 };
            let seconds = match value.replace(',', ".").parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => (v * scale).round() as i64,
                _ => {
                    errors.add(&key, "must be a number, e.g. 4 or 1.5");
                    continue;
                }
            };
            targets.push(TargetDraft {
                metric: m.as_str().into(),
                priority: p.as_str().into(),
                seconds,
                hours: Some(form.get(&format!("{key}.hours")).to_string()),
                calendar: Some(form.get(&format!("{key}.calendar")).to_string()),
            });
            cells.push(key);
        }
    }
    let warn_percent = numbers(errors, "warn_percent", form.get("warn_percent")).into_iter().map(|n| n.round() as i64);
    let warn_remaining = numbers(errors, "warn_remaining_minutes", form.get("warn_remaining_minutes"))
        .into_iter()
        .map(|n| (n * 60.0).round() as i64);
    let mut pause_sets = BTreeMap::new();
    if !form.get("pause_shown").is_empty() {
        for m in METRICS {
            let chosen: Vec<String> = form.all(&pause_key(m)).into_iter().map(str::to_string).collect();
            let defaults: Vec<String> = m.default_pause_set().iter().map(|s| s.as_str().to_string()).collect();
            let (mut a, mut b) = (chosen.clone(), defaults);
            a.sort();
            b.sort();
            // Only what differs from the metric's default is an override (R-M8).
            if a != b {
                pause_sets.insert(m.as_str().to_string(), chosen);
            }
        }
    }
    let mut reopen = BTreeMap::new();
    for m in METRICS.into_iter().filter(|m| m.is_fulfilled_by_solve()) {
        let value = form.get(&format!("reopen.{}", m.as_str())).trim();
        if !value.is_empty() {
            reopen.insert(m.as_str().to_string(), value.to_string());
        }
    }
    let draft = SlaPolicyDraft {
        name: form.get("name").into(),
        position: None,
        filter: PolicyFilterDraft {
            tiers: form.all("filter.tiers").into_iter().map(str::to_string).collect(),
            account_ids: form
                .all("filter.account_ids")
                .into_iter()
                .filter_map(|a| {
                    a.parse().map_err(|_| errors.add("filter.account_ids", "lists an unknown account")).ok()
                })
                .collect(),
            ticket_types: form.all("filter.ticket_types").into_iter().map(str::to_string).collect(),
        },
        targets,
        warn_percent: Some(warn_percent.collect()),
        warn_remaining_seconds: Some(warn_remaining.collect()),
        pause_sets,
        reopen,
        start_at_first_customer_message: Some(form.checked("start_at_first_customer_message")),
    };
    (draft, cells)
}

/// The app names target problems by list index (`targets[3].seconds`); the form shows them in
/// the grid cell the target came from.
fn place_errors(errors: FieldErrors, cells: &[String]) -> FieldErrors {
    let mut placed = FieldErrors::new();
    for (field, message) in errors.iter() {
        let target = field
            .strip_prefix("targets[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(i, part)| Some((cells.get(i.parse::<usize>().ok()?)?, part.trim_start_matches('.'))));
        match target {
            Some((cell, part)) => placed.add(cell, format!("{part} {message}")),
            None if field.starts_with("warn_remaining_seconds") => {
                placed.add("warn_remaining_minutes", message.replace("seconds", "minutes"))
            }
            None => placed.add(field, message.clone()),
        }
    }
    placed
}

async fn policy_page(
    state: &AppState,
    user: &PageUser,
    existing: Option<&SlaPolicy>,
    form: FormState,
) -> Result<PolicyFormPage, AppError> {
    let mut query = AccountQuery::in_scope(AccountScope::Nothing);
    query.limit = 500;
    query.archived = Archived::Include;
    let mut accounts: Vec<Opt> = state
        .app
        .list_accounts(&user.actor, query)
        .await?
        .items
        .into_iter()
        .map(|a| opt(a.id.to_string(), a.fields.name))
        .collect();
    accounts.sort_by(|a, b| a.1.cmp(&b.1));
    let (calendars, _) = state.app.list_calendars(&user.actor).await?;
    let mut calendar_opts = vec![opt("account", "Account calendar"), opt("24x7", "24×7")];
    calendar_opts.extend(calendars.into_iter().map(|c| opt(c.id.to_string(), c.name)));
    let grid = METRICS
        .into_iter()
        .map(|m| GridRow {
            label: metric_label(m),
            cells: Priority::ALL
                .iter()
                .map(|(p, _)| {
                    let key = cell_key(m, *p);
                    let get = |part: &str, default: &str| {
                        let v = form.value(&format!("{key}.{part}"));
                        if v.is_empty() { default.to_string() } else { v.to_string() }
                    };
                    TargetCell {
                        value: get("value", ""),
                        unit: get("unit", "h"),
                        hours: get("hours", "business"),
                        calendar: get("calendar", "account"),
                        error: form.own_error(&key).map(str::to_string),
                        key,
                    }
                })
                .collect(),
        })
        .collect();
    let pauses = METRICS
        .into_iter()
        .map(|m| {
            let key = pause_key(m);
            PauseRow {
                statuses: Status::ALL.iter().map(|(_, n)| (*n, *n, form.has(&key, n))).collect(),
                defaults: statuses_text(m.default_pause_set()),
                label: metric_label(m),
                error: form.error(&key),
                key,
            }
        })
        .collect();
    let reopens = METRICS
        .into_iter()
        .filter(|m| m.is_fulfilled_by_solve())
        .map(|m| {
            let key = format!("reopen.{}", m.as_str());
            ReopenRow {
                label: metric_label(m),
                default_label: if m == Metric::Resolution { "new cycle" } else { "resume" },
                value: form.value(&key).to_string(),
                error: form.error(&key),
                key,
            }
        })
        .collect();
    let alert = (!form.errors.is_empty()).then(|| {
        let mut lines = vec!["Please correct the fields marked below.".to_string()];
        let mut shown: Vec<String> = vec![
            "name".into(),
            "filter.tiers".into(),
            "filter.ticket_types".into(),
            "filter.account_ids".into(),
            "warn_percent".into(),
            "warn_remaining_minutes".into(),
            "pause_sets".into(),
            "reopen".into(),
        ];
        shown.extend(METRICS.iter().flat_map(|m| Priority::ALL.iter().map(move |(p, _)| cell_key(*m, *p))));
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        lines.extend(form.unplaced_errors(&shown));
        lines.join(" ")
    });
    Ok(PolicyFormPage {
        layout: Layout::new(user, "/admin/sla-policies"),
        heading: existing.map(|p| format!("Edit {}", p.name)).unwrap_or_else(|| "New SLA policy".into()),
        action: existing
            .map(|p| format!("/admin/sla-policies/{}", p.id))
            .unwrap_or_else(|| "/admin/sla-policies".into()),
        id: existing.map(|p| p.id.to_string()),
        alert,
        tiers: Tier::ALL.iter().map(|(t, n)| opt(*n, t.label())).collect(),
        types: TicketType::ALL.iter().map(|(t, n)| opt(*n, t.label())).collect(),
        accounts,
        priorities: Priority::ALL.iter().map(|(p, _)| p.label()).collect(),
        grid,
        calendars: calendar_opts,
        pauses,
        reopens,
        form,
    })
}

pub async fn new_form(State(state): State<AppState>, user: PageUser) -> PageResult {
    require_sla_admin(&user)?;
    // Start from the standard targets: a new policy usually changes a few of them.
    let mut form = values_of(&default_policy());
    form.set("name", "");
    Ok(render(&policy_page(&state, &user, None, form).await?))
}

pub async fn create(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    require_sla_admin(&user)?;
    let mut errors = FieldErrors::new();
    let (draft, cells) = draft_from(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.create_policy(&user.actor, draft).await
    } else {
        // Show every problem at once, the domain's too, not one round-trip each.
        if let Err(more) = draft.validate(PolicyId::new()) {
            errors.merge(more);
        }
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/sla-policies?notice=created").into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(place_errors(fields, &cells));
            Ok(unprocessable(&policy_page(&state, &user, None, values).await?))
        }
        Err(other) => Err(other.into()),
    }
}

fn policy_id(id: &str) -> Result<PolicyId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

pub async fn edit_form(State(state): State<AppState>, user: PageUser, Path(id): Path<String>) -> PageResult {
    require_sla_admin(&user)?;
    let policy = state.app.get_policy(&user.actor, policy_id(&id)?).await?;
    Ok(render(&policy_page(&state, &user, Some(&policy), values_of(&policy)).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_sla_admin(&user)?;
    let policy = state.app.get_policy(&user.actor, policy_id(&id)?).await?;
    let mut errors = FieldErrors::new();
    let (draft, cells) = draft_from(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.update_policy(&user.actor, policy.id, draft).await
    } else {
        // Show every problem at once, the domain's too, not one round-trip each.
        if let Err(more) = draft.validate(PolicyId::new()) {
            errors.merge(more);
        }
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/sla-policies?notice=saved").into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(place_errors(fields, &cells));
            Ok(unprocessable(&policy_page(&state, &user, Some(&policy), values).await?))
        }
        Err(other) => Err(other.into()),
    }
}

/// Moves a policy one place up or down the list (the first match applies, R-T1).
pub async fn move_policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_sla_admin(&user)?;
    let id = policy_id(&id)?;
    let list = state.app.list_policies(&user.actor).await?;
    let at = list.iter().position(|p| p.id == id).ok_or(AppError::NotFound)?;
    let to = match form.get("direction") {
        "up" => at.checked_sub(1),
        "down" => (at + 1 < list.len()).then_some(at + 1),
        _ => return Err(AppError::invalid_field("direction", "must be up or down").into()),
    };
    if let Some(to) = to {
        let mut draft = list[at].to_draft();
        draft.position = Some(to);
        state.app.update_policy(&user.actor, id, draft).await?;
    }
    Ok(Redirect::to("/admin/sla-policies?notice=moved").into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    require_sla_admin(&user)?;
    state.app.delete_policy(&user.actor, policy_id(&id)?).await?;
    Ok(Redirect::to("/admin/sla-policies?notice=deleted").into_response())
}
