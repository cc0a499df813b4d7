//! Corrective actions in the UI: the table shown on the incident, its review and the account
//! pages; `/actions` (open, overdue, mine, all, with the counts per service and per account);
//! one action's page with its edit form; and the form adding one to an incident.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::actions::ActionSummaries;
use tamhub_app::{ActionQuery, AppError, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::actions::{
    Action, ActionDraft, ActionPatch, ActionPriority, ActionSource, ActionStatus, ActionSummary, ActionType,
    REMINDER_LEAD_DAYS,
};
use tamhub_domain::ids::{AccountId, ActionId, IncidentId, UserId};
use tamhub_domain::incidents::Incident;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::validation::FieldErrors;

use super::accounts::NoticeQuery;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::incidents::{parse_utc, role_holders, utc_input};
use super::tickets::people;
use super::{Layout, PageResult, clocks, format, render};
use crate::AppState;
use crate::auth::{PageForm, PageIncidentAccess, PageUser, urlencode};

/// One action as a table row.
pub struct ActionRow {
    pub id: String,
    pub number: String,
    pub title: String,
    pub type_label: &'static str,
    pub priority: bool,
    pub owner: String,
    /// "2026-04-02 09:00 UTC", or empty while it waits for the review's approval.
    pub due: String,
    /// "in 3 days", "5 days ago".
    pub due_relative: String,
    /// `overdue`, `soon` (within the reminder lead) or empty.
    pub due_state: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub service: String,
    /// The record it came from: (link, "INC-7" or "Meeting 2026-03-04").
    pub source: Option<(String, String)>,
}

fn row(
    a: &Action,
    names: &HashMap<UserId, String>,
    incidents: &HashMap<IncidentId, String>,
    now: Timestamp,
) -> ActionRow {
    let soon = now.saturating_add(jiff::SignedDuration::from_hours(24 * REMINDER_LEAD_DAYS)).unwrap_or(now);
    let due_state = match a.due_at {
        _ if a.is_overdue(now) => "overdue",
        Some(due) if a.status.is_open() && due <= soon => "soon",
        _ => "",
    };
    ActionRow {
        id: a.id.to_string(),
        number: a.display_number(),
        title: a.title.clone(),
        type_label: a.action_type.label(),
        priority: a.priority == ActionPriority::PriorityAction,
        owner: names.get(&a.owner_id).cloned().unwrap_or_else(|| "Someone".into()),
        due: a.due_at.map(format::instant).unwrap_or_default(),
        due_relative: a.due_at.filter(|_| a.status.is_open()).map(|d| clocks::relative(d, now)).unwrap_or_default(),
        due_state,
        status: a.status.as_str(),
        status_label: a.status.label(),
        service: a.service.clone().unwrap_or_default(),
        source: match a.source {
            ActionSource::IncidentReview { incident_id } => {
                Some((format!("/incidents/{incident_id}"), incidents.get(&incident_id).cloned().unwrap_or_default()))
            }
            ActionSource::Meeting { meeting_id, .. } => Some((format!("/meetings/{meeting_id}"), "Meeting".into())),
            ActionSource::SuccessPlan { plan_id, .. } => {
                Some((format!("/success-plans/{plan_id}"), "Success plan".into()))
            }
            ActionSource::Risk { risk_id, .. } => Some((format!("/risks/{risk_id}"), "Risk".into())),
            ActionSource::Review { review_id, .. } => Some((format!("/reviews/{review_id}"), "Review".into())),
        },
    }
}

/// Table rows for actions, with their owners' names and their incidents' numbers.
pub(super) async fn action_rows(
    state: &AppState,
    user: &PageUser,
    actions: &[Action],
) -> Result<Vec<ActionRow>, AppError> {
    let now = state.app.clock.now();
    let names = people(state, user, None).await?;
    let mut incidents: HashMap<IncidentId, String> = HashMap::new();
    for id in actions.iter().filter_map(|a| a.source.incident_id()) {
        if let std::collections::hash_map::Entry::Vacant(entry) = incidents.entry(id) {
            entry.insert(state.app.get_incident(&user.actor, id).await?.incident.display_number());
        }
    }
    Ok(actions.iter().map(|a| row(a, &names, &incidents, now)).collect())
}

/// The actions of one incident, or of one account, for their pages (staff only; none for customers).
pub(super) async fn rows_for(
    state: &AppState,
    user: &PageUser,
    incident: Option<IncidentId>,
    account: Option<AccountId>,
) -> Result<Vec<ActionRow>, AppError> {
    if !user.actor.user.role.is_staff() {
        return Ok(Vec::new());
    }
    let mut query = ActionQuery {
        incident_id: incident,
        account_id: account,
        limit: 200,
        ..ActionQuery::in_scope(AccountScope::Nothing)
    };
    if account.is_some() {
        query.statuses = vec![ActionStatus::Open, ActionStatus::InProgress];
    }
    let page = state.app.list_actions(&user.actor, query).await?;
    action_rows(state, user, &page.items).await
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    /// open (default), overdue, mine, all.
    view: Option<String>,
    service: Option<String>,
    account_id: Option<String>,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

pub struct SummaryRow {
    pub label: String,
    /// Where the row's actions are listed.
    pub href: String,
    pub summary: ActionSummary,
    pub on_time: String,
}

fn summary_row(label: String, href: String, summary: ActionSummary) -> SummaryRow {
    let on_time = summary.on_time_pct.map(|p| format!("{p:.0} %")).unwrap_or_else(|| "—".into());
    SummaryRow { label, href, summary, on_time }
}

#[derive(Template)]
#[template(path = "actions/list.html")]
struct ListPage {
    layout: Layout,
    tabs: Vec<Tab>,
    view: String,
    filter_label: Option<String>,
    action_rows: Vec<ActionRow>,
    total: u64,
    empty_hint: &'static str,
    totals: SummaryRow,
    tables: Vec<SummaryTable>,
}

/// The counts per service or per account.
pub struct SummaryTable {
    pub id: &'static str,
    pub heading: &'static str,
    pub column: &'static str,
    pub rows: Vec<SummaryRow>,
}

/// `GET /actions`: the action list with the counts per service and per account.
pub async fn list(State(state): State<AppState>, user: PageUser, Query(params): Query<ListParams>) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    let now = state.app.clock.now();
    let view = params.view.clone().filter(|v| ["open", "overdue", "mine", "all"].contains(&v.as_str()));
    let view = view.unwrap_or_else(|| "open".into());
    let mut query = ActionQuery { limit: 500, ..ActionQuery::in_scope(AccountScope::Nothing) };
    let mut filter_label = None;
    let mut extra = String::new();
    if let Some(service) = params.service.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        query.service = Some(service.to_string());
        filter_label = Some(format!("Service {service}"));
        extra.push_str(&format!("&service={}", urlencode(service)));
    }
    if let Some(account) = params.account_id.as_deref().and_then(|a| a.parse::<AccountId>().ok()) {
        let name = state.app.get_account(&user.actor, account).await?.fields.name;
        query.account_id = Some(account);
        filter_label = Some(format!("Account {name}"));
        extra.push_str(&format!("&account_id={account}"));
    }
    let summaries: ActionSummaries = state.app.action_summaries(&user.actor, query.clone()).await?;
    match view.as_str() {
        "open" => query.statuses = vec![ActionStatus::Open, ActionStatus::InProgress],
        "overdue" => query.overdue_at = Some(now),
        "mine" => {
            query.owner_id = Some(user.actor.user.id);
            query.statuses = vec![ActionStatus::Open, ActionStatus::InProgress];
        }
        _ => {}
    }
    let page = state.app.list_actions(&user.actor, query).await?;
    let tabs = [("open", "Open"), ("overdue", "Overdue"), ("mine", "Mine"), ("all", "All")]
        .into_iter()
        .map(|(v, label)| Tab { href: format!("/actions?view={v}{extra}"), label, active: v == view })
        .collect();
    let page = ListPage {
        layout: Layout::new(&user, "/actions"),
        tabs,
        empty_hint: match view.as_str() {
            "overdue" => "Nothing is overdue.",
            "mine" => "No open action is yours.",
            _ => "Corrective actions come from post-incident reviews.",
        },
        view,
        filter_label,
        action_rows: action_rows(&state, &user, &page.items).await?,
        total: page.total,
        totals: summary_row("All".into(), "/actions?view=all".into(), summaries.total),
        tables: vec![
            SummaryTable {
                id: "by-service",
                heading: "By service",
                column: "Service",
                rows: summaries
                    .by_service
                    .into_iter()
                    .map(|(service, s)| {
                        let label = if service.is_empty() { "No service named".to_string() } else { service.clone() };
                        summary_row(label, format!("/actions?view=open&service={}", urlencode(&service)), s)
                    })
                    .collect(),
            },
            SummaryTable {
                id: "by-account",
                heading: "By account",
                column: "Account",
                rows: summaries
                    .by_account
                    .into_iter()
                    .map(|(id, name, s)| summary_row(name, format!("/actions?view=open&account_id={id}"), s))
                    .collect(),
            },
        ],
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "actions/show.html")]
struct ShowPage {
    layout: Layout,
    id: String,
    number: String,
    title: String,
    description: String,
    row: ActionRow,
    priority_label: &'static str,
    status_note: String,
    link: Option<String>,
    completed: Option<String>,
    /// Done after its due date.
    done_late: bool,
    created: String,
    created_by: String,
    incident_title: String,
    notice: Option<String>,
    alert: Option<String>,
    can_edit: bool,
    form: FormState,
    types: Vec<Opt>,
    priorities: Vec<Opt>,
    statuses: Vec<Opt>,
    owners: Vec<Opt>,
    services: Vec<Opt>,
}

fn types() -> Vec<Opt> {
    ActionType::ALL.iter().map(|(t, n)| opt(*n, t.label())).collect()
}

fn priorities() -> Vec<Opt> {
    ActionPriority::ALL.iter().map(|(p, n)| opt(*n, p.label())).collect()
}

fn services_of(incident: Option<&Incident>) -> Vec<Opt> {
    let mut out = vec![opt("", "— None —")];
    out.extend(incident.into_iter().flat_map(|i| i.impacted_services.iter()).map(|s| opt(s.clone(), s.clone())));
    out
}

/// Owners to pick from: those who work incidents, and the current owner whatever they are now.
async fn owners(state: &AppState, user: &PageUser, current: Option<UserId>) -> Result<Vec<Opt>, AppError> {
    let mut out = vec![opt("", "— Choose —")];
    out.extend(role_holders(state, user).await?);
    if let Some(id) = current
        && !out.iter().any(|(v, _)| *v == id.to_string())
    {
        let names = people(state, user, None).await?;
        out.push(opt(id.to_string(), names.get(&id).cloned().unwrap_or_else(|| "Someone".into())));
    }
    Ok(out)
}

fn stored_form(a: &Action) -> FormState {
    let mut form = FormState::default();
    form.set("title", a.title.clone());
    form.set("description", a.description.clone());
    form.set("type", a.action_type.as_str());
    form.set("priority", a.priority.as_str());
    form.set("owner_id", a.owner_id.to_string());
    form.set("due_at", a.due_at.map(utc_input).unwrap_or_default());
    form.set("status", a.status.as_str());
    form.set("status_note", a.status_note.clone());
    form.set("service", a.service.clone().unwrap_or_default());
    form.set("link", a.link.clone().unwrap_or_default());
    form
}

async fn show_page(
    state: &AppState,
    user: &PageUser,
    id: ActionId,
    notice: Option<String>,
    form: Option<FormState>,
) -> PageResult {
    let view = state.app.get_action(&user.actor, id).await?;
    let a = &view.action;
    let names = people(state, user, None).await?;
    let incidents: HashMap<IncidentId, String> = view.incident.iter().map(|i| (i.id, i.display_number())).collect();
    let may_work_source = match a.source {
        ActionSource::IncidentReview { .. } => policy::can_work_incidents(user.actor.user.role),
        _ => policy::can_work_charter(user.actor.user.role),
    };
    let can_edit = may_work_source || a.owner_id == user.actor.user.id;
    let alert = form.as_ref().filter(|f| !f.errors.is_empty()).map(|f| {
        let all: Vec<String> = f.errors.iter().map(|(field, m)| format!("{field}: {m}")).collect();
        format!("Not saved: {}.", all.join("; "))
    });
    let page = ShowPage {
        layout: Layout::new(user, "/actions"),
        id: a.id.to_string(),
        number: a.display_number(),
        title: a.title.clone(),
        description: a.description.clone(),
        row: row(a, &names, &incidents, state.app.clock.now()),
        priority_label: a.priority.label(),
        status_note: a.status_note.clone(),
        link: a.link.clone(),
        completed: a.completed_at.map(format::instant),
        done_late: a.completed_at.is_some() && !a.done_on_time(),
        created: format::instant(a.created_at),
        created_by: a.created_by.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "tamhub".into()),
        incident_title: view.incident.as_ref().map(|i| i.title.clone()).unwrap_or_default(),
        notice,
        alert,
        can_edit,
        form: form.unwrap_or_else(|| stored_form(a)),
        types: types(),
        priorities: priorities(),
        statuses: ActionStatus::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect(),
        owners: if can_edit { owners(state, user, Some(a.owner_id)).await? } else { Vec::new() },
        services: services_of(view.incident.as_ref()),
    };
    Ok(if page.alert.is_some() { unprocessable(&page) } else { render(&page) })
}

fn action_id(text: &str) -> Result<ActionId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// `GET /actions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let notice = (query.notice.as_deref() == Some("saved")).then(|| "Action saved.".to_string());
    show_page(&state, &user, action_id(&id)?, notice, None).await
}

fn owner_of(errors: &mut FieldErrors, text: &str) -> Option<UserId> {
    match text.trim() {
        "" => None,
        id => id.parse().map_err(|_| errors.add("owner_id", "is not a user")).ok(),
    }
}

/// `POST /actions/{id}`: every field of the form, as one change.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = action_id(&id)?;
    let mut errors = FieldErrors::new();
    let owner_id = owner_of(&mut errors, form.get("owner_id"));
    let due_at = parse_utc(&mut errors, "due_at", form.get("due_at"));
    if !errors.is_empty() {
        return show_page(&state, &user, id, None, Some(FormState::from_post(&form).with_errors(errors))).await;
    }
    let text = |name: &str| Some(form.get(name).to_string());
    let patch = ActionPatch {
        title: text("title"),
        description: text("description"),
        action_type: text("type"),
        priority: text("priority"),
        owner_id,
        due_at,
        status: text("status"),
        status_note: text("status_note"),
        service: text("service"),
        link: text("link"),
    };
    match state.app.change_action(&user.actor, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/actions/{id}?notice=saved")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            show_page(&state, &user, id, None, Some(FormState::from_post(&form).with_errors(fields))).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "actions/new.html")]
struct NewPage {
    layout: Layout,
    id: String,
    number: String,
    title: String,
    approved: bool,
    alert: Option<String>,
    form: FormState,
    types: Vec<Opt>,
    priorities: Vec<Opt>,
    owners: Vec<Opt>,
    services: Vec<Opt>,
}

async fn new_page(state: &AppState, user: &PageUser, incident: &Incident, form: FormState) -> PageResult {
    let approved =
        state.app.incident_review(&user.actor, incident.id).await?.review.is_some_and(|r| r.approved_at.is_some());
    let alert = (!form.errors.is_empty()).then(|| {
        let all: Vec<String> = form.errors.iter().map(|(field, m)| format!("{field}: {m}")).collect();
        format!("Not added: {}.", all.join("; "))
    });
    let page = NewPage {
        layout: Layout::new(user, "/incidents"),
        id: incident.id.to_string(),
        number: incident.display_number(),
        title: incident.title.clone(),
        approved,
        alert,
        form,
        types: types(),
        priorities: priorities(),
        owners: owners(state, user, None).await?,
        services: services_of(Some(incident)),
    };
    Ok(if page.alert.is_some() { unprocessable(&page) } else { render(&page) })
}

fn require_worker(user: &PageUser) -> Result<(), AppError> {
    tamhub_app::policy::require(policy::can_work_incidents(user.actor.user.role), "add corrective actions")
}

/// `GET /incidents/{id}/actions/new`.
pub async fn new_form(State(state): State<AppState>, access: PageIncidentAccess) -> PageResult {
    require_worker(&access.user)?;
    let mut form = FormState::default();
    form.set("type", "prevent");
    form.set("priority", "priority_action");
    if let [only] = access.view.incident.impacted_services.as_slice() {
        form.set("service", only.clone());
    }
    new_page(&state, &access.user, &access.view.incident, form).await
}

/// `POST /incidents/{id}/actions`.
pub async fn create(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let incident = &access.view.incident;
    let mut errors = FieldErrors::new();
    let owner_id = owner_of(&mut errors, form.get("owner_id"));
    let due_at = parse_utc(&mut errors, "due_at", form.get("due_at"));
    if !errors.is_empty() {
        return new_page(&state, &user, incident, FormState::from_post(&form).with_errors(errors)).await;
    }
    let draft = ActionDraft {
        title: form.get("title").to_string(),
        description: form.get("description").to_string(),
        action_type: form.get("type").to_string(),
        priority: form.get("priority").to_string(),
        owner_id,
        due_at,
        service: Some(form.get("service").to_string()),
        link: Some(form.get("link").to_string()),
    };
    match state.app.create_incident_action(&user.actor, incident.id, draft).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/incidents/{}/review?notice=action_added#actions", incident.id)).into_response())
        }
        Err(AppError::Invalid { fields, .. }) => {
            new_page(&state, &user, incident, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}
