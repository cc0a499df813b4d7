//! The incident list (live first) and the declare form (SLA-SPEC section 2). One incident's page
//! and its forms are in `incident.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::incidents::{IncidentView, can_hold_incident_roles};
use tamhub_app::{AccountQuery, AppError, Archived, IncidentQuery, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::ids::{AccountId, IncidentId, UserId};
use tamhub_domain::incidents::{IncidentDraft, IncidentRole, IncidentStatus, Severity};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::Role;
use tamhub_domain::validation::{FieldErrors, parse_choice};

use super::clocks;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::tickets::{Tab, people};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser, urlencode};

const PAGE_SIZE: u32 = 50;

/// How many impacted accounts a row names before "+N more".
const NAMED_ACCOUNTS: usize = 3;

/// An instant as a `datetime-local` input shows it, in UTC ("2026-03-02T09:40").
pub(super) fn utc_input(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` value read as UTC; empty is `None`, anything else unreadable an error.
pub(super) fn parse_utc(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp());
    if parsed.is_none() {
        errors.add(field, "must be a date and time in UTC such as 2026-03-02T09:40");
    }
    parsed
}

/// The CSS class of a severity badge: `sev-p0` … `sev-p3`.
pub(super) fn severity_class(s: Severity) -> String {
    format!("sev-{}", s.as_str().to_lowercase())
}

/// People who may hold an incident role, for pickers: "Name · TAM" (short: the pickers are narrow).
pub(super) async fn role_holders(state: &AppState, user: &PageUser) -> Result<Vec<Opt>, AppError> {
    let mut users = state.app.list_users(&user.actor, None, false).await?;
    users.retain(can_hold_incident_roles);
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users.iter().map(|u| opt(u.id.to_string(), format!("{} · {}", u.name, short_role(u.role)))).collect())
}

fn short_role(role: Role) -> &'static str {
    match role {
        Role::Tam => "TAM",
        Role::Psm => "PSM",
        Role::Pam => "PAM",
        Role::Support => "Support",
        Role::Leadership => "Leadership",
        Role::Admin => "Admin",
        Role::Customer => "Customer",
    }
}

/// The tabs of the list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Live,
    All,
}

impl View {
    fn parse(text: &str) -> Option<View> {
        match text {
            "live" => Some(View::Live),
            "all" => Some(View::All),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            View::Live => "live",
            View::All => "all",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    view: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    /// Text, so a hand-edited `?page=abc` shows page 1 instead of a bare 400.
    page: Option<String>,
}

fn kept(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ListParams {
    fn href(&self, view: View, page: Option<u64>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("view", view.as_str().to_string())];
        for (key, value) in [("status", &self.status), ("severity", &self.severity)] {
            if let Some(v) = kept(value) {
                pairs.push((key, v));
            }
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            pairs.push(("page", page.to_string()));
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        format!("/incidents?{}", query.join("&"))
    }
}

pub struct IncidentRow {
    pub id: String,
    pub number: String,
    pub title: String,
    pub test: bool,
    pub severity: &'static str,
    pub severity_class: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub live: bool,
    pub accounts: Vec<(String, String)>,
    /// Impacted accounts not named in the row (beyond the first few, or outside the reader's scope).
    pub more_accounts: usize,
    pub declared: String,
    pub declared_title: String,
    pub lead: String,
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    layout: Layout,
    subtitle: String,
    errors: Vec<String>,
    tabs: Vec<Tab>,
    view: &'static str,
    filters: FormState,
    statuses: Vec<Opt>,
    severities: Vec<Opt>,
    rows: Vec<IncidentRow>,
    /// Staff see who leads each incident.
    internal: bool,
    showing: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    can_declare: bool,
    filtered: bool,
    empty_hint: &'static str,
}

fn row(view: &IncidentView, names: &HashMap<UserId, String>, now: Timestamp) -> IncidentRow {
    let i = &view.incident;
    let named: Vec<(String, String)> =
        view.accounts.iter().take(NAMED_ACCOUNTS).map(|(id, name)| (id.to_string(), name.clone())).collect();
    let more_accounts = view.accounts.len() - named.len() + view.other_accounts;
    let lead = match i.holder(IncidentRole::IncidentCommander) {
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| "Someone".into()),
        None => "—".into(),
    };
    IncidentRow {
        id: i.id.to_string(),
        number: i.display_number(),
        title: i.title.clone(),
        test: i.test,
        severity: i.severity.as_str(),
        severity_class: severity_class(i.severity),
        status: i.status.as_str(),
        status_label: i.status.label(),
        live: i.status.is_live(),
        accounts: named,
        more_accounts,
        declared: clocks::relative(i.milestones.declared_at, now),
        declared_title: format::instant(i.milestones.declared_at),
        lead,
    }
}

/// One page of incidents: with no status asked for, the "all" tab lists the live ones first,
/// then the ended ones, each most recently declared first.
async fn fetch(
    state: &AppState,
    user: &PageUser,
    base: IncidentQuery,
    live_first: bool,
) -> Result<(Vec<IncidentView>, u64), AppError> {
    if !live_first {
        return state.app.list_incidents(&user.actor, base).await;
    }
    let (live, ended): (Vec<IncidentStatus>, Vec<IncidentStatus>) =
        IncidentStatus::ALL.iter().map(|(s, _)| *s).partition(|s| s.is_live());
    let (offset, limit) = (base.offset, base.limit);
    let first = IncidentQuery { statuses: live, ..base.clone() };
    let (mut items, live_total) = state.app.list_incidents(&user.actor, first).await?;
    let room = u64::from(limit).saturating_sub(items.len() as u64);
    let second = IncidentQuery {
        statuses: ended,
        offset: offset.saturating_sub(live_total),
        // The store answers at least one row; the total is what matters when the page is full.
        limit: u32::try_from(room).unwrap_or(limit).max(1),
        ..base
    };
    let (more, ended_total) = state.app.list_incidents(&user.actor, second).await?;
    if room > 0 {
        items.extend(more.into_iter().take(room as usize));
    }
    Ok((items, live_total + ended_total))
}

pub async fn list(State(state): State<AppState>, user: PageUser, Query(params): Query<ListParams>) -> PageResult {
    let actor = &user.actor;
    let role = actor.user.role;
    let now = state.app.clock.now();
    let view = params.view.as_deref().and_then(View::parse).unwrap_or(View::Live);
    let page_number = params.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let mut errors = FieldErrors::new();
    let mut query = IncidentQuery::in_scope(AccountScope::Nothing);
    let status = kept(&params.status);
    match status.as_deref() {
        None => {
            if view == View::Live {
                query.statuses = IncidentStatus::ALL.iter().map(|(s, _)| *s).filter(|s| s.is_live()).collect();
            }
        }
        Some(text) => {
            if let Some(s) = parse_choice(&mut errors, "status", text, &IncidentStatus::ALL) {
                query.statuses = vec![s];
            }
        }
    }
    if let Some(text) = kept(&params.severity) {
        query.severity = parse_choice(&mut errors, "severity", &text, &Severity::ALL);
    }
    query.limit = PAGE_SIZE;
    query.offset = (page_number - 1).saturating_mul(u64::from(PAGE_SIZE)).min(i64::MAX as u64);
    let (views, total) = if errors.is_empty() {
        fetch(&state, &user, query, view == View::All && status.is_none()).await?
    } else {
        (Vec::new(), 0)
    };
    let names = people(&state, &user, None).await?;
    let rows = views.iter().map(|v| row(v, &names, now)).collect();

    let tabs = [(View::Live, "Live"), (View::All, "All incidents")]
        .into_iter()
        .map(|(v, label)| Tab { label, href: params.href(v, None), active: v == view })
        .collect();
    let mut filters = FormState::default();
    filters.set("status", status.clone().unwrap_or_default());
    filters.set("severity", kept(&params.severity).unwrap_or_default());
    let mut statuses = vec![opt("", "As the tab says")];
    statuses.extend(IncidentStatus::ALL.iter().map(|(s, n)| opt(*n, s.label())));
    let mut severities = vec![opt("", "Any severity")];
    severities.extend(Severity::ALL.iter().map(|(s, n)| opt(*n, format!("{n} · {}", short_description(*s)))));

    let first = (page_number - 1).saturating_mul(u64::from(PAGE_SIZE));
    let shown = views.len() as u64;
    let showing =
        if shown == 0 { String::new() } else { format!("Showing {}–{} of {}", first + 1, first + shown, total) };
    let subtitle = match role {
        Role::Customer => "Service incidents that affect your account, and what we are doing about them.".to_string(),
        _ if policy::can_work_incidents(role) => {
            "Incidents that impact your accounts. Live ones come first; P0 and P1 need an incident lead.".to_string()
        }
        _ => "Incidents that impact your accounts (read only).".to_string(),
    };
    let page = ListPage {
        layout: Layout::new(&user, "/incidents"),
        subtitle,
        errors: errors.iter().map(|(f, m)| format!("{f} {m}")).collect(),
        tabs,
        view: view.as_str(),
        filters,
        statuses,
        severities,
        rows,
        internal: role.is_staff(),
        showing,
        prev_href: (page_number > 1).then(|| params.href(view, Some(page_number - 1))),
        next_href: (first + shown < total).then(|| params.href(view, Some(page_number + 1))),
        can_declare: policy::can_work_incidents(role),
        filtered: status.is_some() || kept(&params.severity).is_some(),
        empty_hint: match view {
            View::Live => "No incident is live right now.",
            View::All => "No incident has been declared yet.",
        },
    };
    Ok(render(&page))
}

/// The first words of a severity's description ("Critical", "Major", …).
pub(super) fn short_description(s: Severity) -> &'static str {
    s.description().split(':').next().unwrap_or("")
}

pub struct SeverityChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub description: &'static str,
}

pub(super) fn severity_choices() -> Vec<SeverityChoice> {
    Severity::ALL
        .iter()
        .map(|(s, n)| {
            let (label, description) = s.description().split_once(": ").unwrap_or(("", s.description()));
            SeverityChoice { value: n, label, description }
        })
        .map(|c| SeverityChoice { label: if c.label.is_empty() { c.value } else { c.label }, ..c })
        .collect()
}

#[derive(Template)]
#[template(path = "incidents/new.html")]
struct NewIncidentPage {
    layout: Layout,
    alert: Option<String>,
    form: FormState,
    severities: Vec<SeverityChoice>,
    accounts: Vec<Opt>,
    holders: Vec<Opt>,
}

/// The inputs of the declare form, to tell which errors show beside one.
const DECLARE_FIELDS: [&str; 9] = [
    "title",
    "summary",
    "severity",
    "impacted_account_ids",
    "impacted_services",
    "roles.incident_commander",
    "roles.comms_lead",
    "impact_started_at",
    "detected_at",
];

#[derive(Deserialize)]
pub struct NewIncidentQuery {
    account_id: Option<String>,
}

async fn new_incident_page(state: &AppState, user: &PageUser, form: FormState) -> Result<NewIncidentPage, AppError> {
    let mut query = AccountQuery::in_scope(AccountScope::Nothing);
    query.limit = 500;
    query.archived = Archived::Exclude;
    let mut accounts: Vec<Account> = state.app.list_accounts(&user.actor, query).await?.items;
    // The ticked ones first, so a long list shows what is chosen.
    accounts.sort_by_key(|a| (!form.has("impacted_account_ids", &a.id.to_string()), a.fields.name.clone()));
    let mut holders = vec![opt("", "— Nobody yet —")];
    holders.extend(role_holders(state, user).await?);
    let alert = (!form.errors.is_empty()).then(|| {
        let mut lines = vec!["The incident was not declared: please correct the fields marked below.".to_string()];
        lines.extend(form.unplaced_errors(&DECLARE_FIELDS));
        lines.join(" ")
    });
    Ok(NewIncidentPage {
        layout: Layout::new(user, "/incidents"),
        alert,
        form,
        severities: severity_choices(),
        accounts: accounts.iter().map(|a| opt(a.id.to_string(), a.fields.name.clone())).collect(),
        holders,
    })
}

fn require_worker(user: &PageUser) -> Result<(), AppError> {
    if policy::can_work_incidents(user.actor.user.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden("your role may read incidents but not change them".into()))
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(query): Query<NewIncidentQuery>,
) -> PageResult {
    require_worker(&user)?;
    let mut form = FormState::default();
    form.set("severity", "P2");
    if let Some(account) = query.account_id {
        form.set("impacted_account_ids", account);
    }
    Ok(render(&new_incident_page(&state, &user, form).await?))
}

fn optional_id<T: std::str::FromStr>(errors: &mut FieldErrors, field: &str, value: &str, what: &str) -> Option<T> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    value.parse().map_err(|_| errors.add(field, format!("is not {what}"))).ok()
}

/// Service names, one per line or separated by commas.
fn services(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn draft_of(form: &FormData, errors: &mut FieldErrors) -> IncidentDraft {
    let mut accounts: Vec<AccountId> = Vec::new();
    for value in form.all("impacted_account_ids") {
        if let Some(id) = optional_id(errors, "impacted_account_ids", value, "an account you can see") {
            accounts.push(id);
        }
    }
    IncidentDraft {
        title: form.get("title").into(),
        summary: form.get("summary").into(),
        severity: form.get("severity").into(),
        impacted_account_ids: accounts,
        impacted_services: services(form.get("impacted_services")),
        incident_commander_id: optional_id(
            errors,
            "roles.incident_commander",
            form.get("roles.incident_commander"),
            "a user",
        ),
        comms_lead_id: optional_id(errors, "roles.comms_lead", form.get("roles.comms_lead"), "a user"),
        impact_started_at: parse_utc(errors, "impact_started_at", form.get("impact_started_at")),
        detected_at: parse_utc(errors, "detected_at", form.get("detected_at")),
        test: form.checked("test"),
    }
}

/// The declare form's inputs are named after the draft; I1 names the milestone.
fn placed(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, message) in errors.iter() {
        out.add(field.strip_prefix("milestones.").unwrap_or(field), message.clone());
    }
    out
}

pub async fn create(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    require_worker(&user)?;
    let mut errors = FieldErrors::new();
    let draft = draft_of(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.declare_incident(&user.actor, draft).await
    } else {
        // Also name what the domain would refuse, so one round trip shows every problem.
        if let Err(more) = draft.declare(IncidentId::new(), 0, None, state.app.clock.now()) {
            errors.merge(more);
        }
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(incident) => Ok(Redirect::to(&format!("/incidents/{}?notice=declared", incident.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(placed(fields));
            Ok(unprocessable(&new_incident_page(&state, &user, values).await?))
        }
        Err(other) => Err(other.into()),
    }
}
