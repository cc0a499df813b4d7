//! Event readiness and quotas in the UI: an account's events with the form registering one (the
//! 14/30-day rules shown as they apply), an event's page (checklist, readiness, quotas it would
//! exceed, post-event review), the portfolio's upcoming events, and an account's quotas with
//! their utilisation, the form adding one and each one's update form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::AppError;
use tamhub_app::policy;
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::events::{
    ChecklistChange, ChecklistItem, Event, EventDraft, EventKind, IncreaseDraft, Quota, QuotaDraft, ReviewDraft,
    quotas_exceeded,
};
use tamhub_domain::ids::{AccountId, EventId, QuotaId};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, Opt, errors_text, opt, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

fn zone(account: &Account) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&account.fields.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn local(t: Timestamp, account: &Account) -> String {
    t.to_zoned(zone(account)).strftime("%d %b %Y %H:%M").to_string()
}

/// A `datetime-local` value read in the account's zone.
fn parse_local(errors: &mut FieldErrors, field: &str, text: &str, account: &Account) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text.parse::<jiff::civil::DateTime>().ok().and_then(|dt| dt.to_zoned(zone(account)).ok());
    if parsed.is_none() {
        errors.add(field, "must be a date and time such as 2026-05-01T09:00");
    }
    parsed.map(|z| z.timestamp())
}

pub struct EventRow {
    pub id: String,
    pub title: String,
    pub account: String,
    pub account_id: String,
    pub kind: &'static str,
    pub window: String,
    pub multiplier: String,
    pub readiness: String,
    pub quota_risks: usize,
    pub overridden: bool,
    pub past: bool,
}

fn event_row(e: &Event, account: &Account, quotas: &[Quota], now: Timestamp) -> EventRow {
    EventRow {
        id: e.id.to_string(),
        title: e.title.clone(),
        account: account.fields.name.clone(),
        account_id: account.id.to_string(),
        kind: e.kind.label(),
        window: format!("{} – {}", local(e.starts_at, account), local(e.ends_at, account)),
        multiplier: format!("×{}", e.load_multiplier),
        readiness: format!("{:.0} %", e.readiness_pct()),
        quota_risks: quotas_exceeded(e, quotas).len(),
        overridden: e.lead_time_override.is_some(),
        past: e.ends_at <= now,
    }
}

fn kinds() -> Vec<Opt> {
    EventKind::ALL.iter().map(|(k, n)| opt(*n, k.label())).collect()
}

#[derive(Template)]
#[template(path = "events/list.html")]
struct EventsPage {
    layout: Layout,
    account: Option<(String, String, String)>,
    rows: Vec<EventRow>,
    can_edit: bool,
    form: FormState,
    kinds: Vec<Opt>,
    alert: Option<String>,
    notice: Option<String>,
}

async fn events_page(
    state: &AppState,
    user: &PageUser,
    id: AccountId,
    form: FormState,
    notice: Option<String>,
) -> PageResult {
    let (account, events) = state.app.events(&user.actor, id).await?;
    let quotas = state.app.quotas(&user.actor, id).await?.1;
    let now = state.app.clock.now();
    let refused = !form.errors.is_empty();
    let page = EventsPage {
        layout: Layout::new(user, "/"),
        account: Some((id.to_string(), account.fields.name.clone(), account.fields.timezone.clone())),
        rows: events.iter().map(|e| event_row(e, &account, &quotas, now)).collect(),
        can_edit: policy::can_work_charter(user.actor.user.role),
        alert: errors_text(&form.errors),
        form,
        kinds: kinds(),
        notice,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/events`.
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut form = FormState::default();
    form.set("kind", "launch");
    form.set("load_multiplier", "1");
    events_page(&state, &user, id, form, params.get("warning").cloned()).await
}

/// `POST /accounts/{id}/events`.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let account = state.app.get_account(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let starts_at = parse_local(&mut errors, "starts_at", form.get("starts_at"), &account);
    let ends_at = parse_local(&mut errors, "ends_at", form.get("ends_at"), &account);
    let load_multiplier = match form.get("load_multiplier").trim() {
        "" => None,
        text => text.parse::<f64>().map_err(|_| errors.add("load_multiplier", "must be a number")).ok(),
    };
    let draft = EventDraft {
        title: Some(form.get("title").to_string()),
        kind: Some(form.get("kind").to_string()),
        starts_at,
        ends_at,
        load_multiplier,
        lead_time_override: Some(form.get("lead_time_override").to_string()),
        ..Default::default()
    };
    let result = if errors.is_empty() {
        state.app.save_event(&user.actor, id, None, draft).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok((event, warning)) => {
            let to = match warning {
                Some(w) => format!("/events/{}?warning={}", event.id, urlencoding(&w)),
                None => format!("/events/{}", event.id),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(AppError::Invalid { fields, .. }) => {
            events_page(&state, &user, id, FormState::from_post(&form).with_errors(fields), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Percent-encodes a query value (only what a warning can hold).
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /events`: upcoming events of every account the reader sees.
pub async fn upcoming(State(state): State<AppState>, user: PageUser) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    let now = state.app.clock.now();
    let events = state.app.upcoming_events(&user.actor).await?;
    let mut rows = Vec::new();
    for e in &events {
        let account = state.app.get_account(&user.actor, e.account_id).await?;
        let quotas = state.app.store.list_quotas(account.id).await.map_err(AppError::from)?;
        rows.push(event_row(e, &account, &quotas, now));
    }
    let page = EventsPage {
        layout: Layout::new(&user, "/events"),
        account: None,
        rows,
        can_edit: false,
        form: FormState::default(),
        kinds: Vec::new(),
        alert: None,
        notice: None,
    };
    Ok(render(&page))
}

pub struct CheckRow {
    pub name: &'static str,
    pub label: &'static str,
    pub done: bool,
    pub note: String,
    pub due: String,
    pub overdue: bool,
    pub done_at: String,
}

pub struct RiskLine {
    pub name: String,
    pub usage: String,
    pub projected: String,
    pub limit: String,
}

#[derive(Template)]
#[template(path = "events/show.html")]
struct EventPage {
    layout: Layout,
    id: String,
    account_id: String,
    account_name: String,
    timezone: String,
    row: EventRow,
    lead_days: i64,
    lead_time_override: Option<String>,
    checklist: Vec<CheckRow>,
    risks: Vec<RiskLine>,
    quotas_checked: usize,
    version: i64,
    can_edit: bool,
    ended: bool,
    review: Option<(String, String, String)>,
    warning: Option<String>,
    form: FormState,
    alert: Option<String>,
}

async fn event_page(
    state: &AppState,
    user: &PageUser,
    id: EventId,
    form: FormState,
    warning: Option<String>,
) -> PageResult {
    let (account, event, quotas) = state.app.get_event(&user.actor, id).await?;
    let now = state.app.clock.now();
    let today = tamhub_app::engagements::local_today(&account, now);
    let refused = !form.errors.is_empty();
    let page = EventPage {
        layout: Layout::new(user, "/events"),
        id: event.id.to_string(),
        account_id: account.id.to_string(),
        account_name: account.fields.name.clone(),
        timezone: account.fields.timezone.clone(),
        row: event_row(&event, &account, &quotas, now),
        lead_days: event.lead_days,
        lead_time_override: event.lead_time_override.clone(),
        checklist: event
            .checklist
            .iter()
            .map(|c| CheckRow {
                name: c.item.as_str(),
                label: c.item.label(),
                done: c.done,
                note: c.note.clone(),
                due: format::date(c.due_on),
                overdue: !c.done && c.due_on < today,
                done_at: c.done_at.map(format::instant).unwrap_or_default(),
            })
            .collect(),
        risks: quotas_exceeded(&event, &quotas)
            .into_iter()
            .map(|(q, projected)| RiskLine {
                name: format!(
                    "{} · {}{}",
                    q.service,
                    q.name,
                    if q.region.is_empty() { String::new() } else { format!(" ({})", q.region) }
                ),
                usage: format!("{}", q.usage),
                projected: format!("{projected}"),
                limit: format!("{}", q.limit),
            })
            .collect(),
        quotas_checked: quotas.len(),
        version: event.version,
        can_edit: policy::can_work_charter(user.actor.user.role),
        ended: event.ends_at <= now,
        review: event.review.as_ref().map(|r| (r.went_well.clone(), r.went_poorly.clone(), r.follow_ups.clone())),
        warning,
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /events/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id: EventId = id.parse().map_err(|_| AppError::NotFound)?;
    event_page(&state, &user, id, FormState::default(), params.get("warning").cloned()).await
}

fn event_change(form: &FormData) -> EventDraft {
    let review = (form.0.iter().any(|(k, _)| k.starts_with("review."))).then(|| ReviewDraft {
        went_well: form.get("review.went_well").to_string(),
        went_poorly: form.get("review.went_poorly").to_string(),
        follow_ups: form.get("review.follow_ups").to_string(),
    });
    let checklist = (form.get("checklist") == "1").then(|| {
        ChecklistItem::ALL
            .iter()
            .map(|(item, name)| {
                let done = form.all("done").contains(name);
                let note = form.get(&format!("note.{}", item.as_str())).to_string();
                (name.to_string(), ChecklistChange { done: Some(done), note: Some(note) })
            })
            .collect()
    });
    EventDraft { checklist, review, version: form.get("version").parse().ok(), ..Default::default() }
}

/// `POST /events/{id}`: the checklist, or the post-event review.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: EventId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, _, _) = state.app.get_event(&user.actor, id).await?;
    match state.app.save_event(&user.actor, account.id, Some(id), event_change(&form)).await {
        Ok(_) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            event_page(&state, &user, id, FormState::from_post(&form).with_errors(fields), None).await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            event_page(&state, &user, id, FormState::from_post(&form).with_errors(errors), None).await
        }
        Err(other) => Err(other.into()),
    }
}

// ----- quotas -----

pub struct QuotaRow {
    pub id: String,
    pub service: String,
    pub name: String,
    pub region: String,
    pub usage: String,
    pub limit: String,
    pub utilisation: f64,
    pub utilisation_text: String,
    pub over: bool,
    pub threshold: String,
    pub growth: String,
    pub increase: String,
    pub events: Vec<String>,
    pub version: i64,
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

fn quota_row(q: &Quota, upcoming: &[Event]) -> QuotaRow {
    QuotaRow {
        id: q.id.to_string(),
        service: q.service.clone(),
        name: q.name.clone(),
        region: q.region.clone(),
        usage: num(q.usage),
        limit: num(q.limit),
        utilisation: q.utilisation_pct().min(100.0).round(),
        utilisation_text: format!("{:.0} %", q.utilisation_pct()),
        over: q.over_threshold(),
        threshold: format!("{:.0} %", q.threshold_pct),
        growth: format!("{:+} %/month", q.forecast_growth_pct),
        increase: q
            .increase_request
            .as_ref()
            .map(|r| {
                format!(
                    "{} to {}{}",
                    r.state.label(),
                    num(r.requested_limit),
                    if r.case_ref.is_empty() { String::new() } else { format!(" ({})", r.case_ref) }
                )
            })
            .unwrap_or_default(),
        events: upcoming
            .iter()
            .filter_map(|e| {
                let (projected, over) = q.projected(e.load_multiplier);
                over.then(|| format!("{} (×{} → {})", e.title, e.load_multiplier, num(projected)))
            })
            .collect(),
        version: q.version,
    }
}

#[derive(Template)]
#[template(path = "events/quotas.html")]
struct QuotasPage {
    layout: Layout,
    id: String,
    name: String,
    rows: Vec<QuotaRow>,
    can_edit: bool,
    form: FormState,
    alert: Option<String>,
}

async fn quotas_page(state: &AppState, user: &PageUser, id: AccountId, form: FormState) -> PageResult {
    let (account, quotas) = state.app.quotas(&user.actor, id).await?;
    let now = state.app.clock.now();
    let upcoming: Vec<Event> =
        state.app.events(&user.actor, id).await?.1.into_iter().filter(|e| e.ends_at > now).collect();
    let refused = !form.errors.is_empty();
    let page = QuotasPage {
        layout: Layout::new(user, "/"),
        id: id.to_string(),
        name: account.fields.name.clone(),
        rows: quotas.iter().map(|q| quota_row(q, &upcoming)).collect(),
        can_edit: policy::can_work_charter(user.actor.user.role),
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/quotas`.
pub async fn quotas(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut form = FormState::default();
    form.set("threshold_pct", "80");
    quotas_page(&state, &user, id, form).await
}

fn quota_draft(form: &FormData, errors: &mut FieldErrors) -> QuotaDraft {
    let mut number = |name: &str| -> Option<f64> {
        let text = form.get(name).trim();
        if text.is_empty() {
            return None;
        }
        text.parse::<f64>().map_err(|_| errors.add(name, "must be a number")).ok()
    };
    let (limit, usage, growth, threshold, requested) = (
        number("limit"),
        number("usage"),
        number("forecast_growth_pct"),
        number("threshold_pct"),
        number("requested_limit"),
    );
    let text = |name: &str| Some(form.get(name).to_string()).filter(|_| form.0.iter().any(|(k, _)| k == name));
    QuotaDraft {
        service: text("service"),
        name: text("name"),
        region: text("region"),
        limit,
        usage,
        forecast_growth_pct: growth,
        threshold_pct: threshold,
        confirm_unusual_usage: form.get("confirm_unusual_usage") == "on",
        increase_request: requested.map(|requested_limit| IncreaseDraft {
            requested_limit: Some(requested_limit),
            state: Some(form.get("increase_state").to_string()),
            case_ref: form.get("case_ref").to_string(),
        }),
        version: form.get("version").parse().ok(),
    }
}

/// `POST /accounts/{id}/quotas`.
pub async fn create_quota(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let draft = quota_draft(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.save_quota(&user.actor, id, None, draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}/quotas")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            quotas_page(&state, &user, id, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /quotas/{id}`: new usage, limit or an increase request.
pub async fn update_quota(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: QuotaId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, _) = state.app.get_quota(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let draft = quota_draft(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.save_quota(&user.actor, account.id, Some(id), draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{}/quotas", account.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            quotas_page(&state, &user, account.id, FormState::default().with_errors(fields)).await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            quotas_page(&state, &user, account.id, FormState::default().with_errors(errors)).await
        }
        Err(other) => Err(other.into()),
    }
}
