//! The portfolio and the account page (the form is in `account_form.rs`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::{AccountQuery, AccountSort};
use tamhub_app::{AppError, policy};
use tamhub_domain::accounts::{Account, Assignment, Phase, Tier};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::Role;

use super::format::{self, countdown, local_time, today_in_utc};
use super::forms::{FormState, unprocessable};
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::api::accounts::AccountListParams;
use crate::auth::{PageAccountAccess, PageForm, PageUser, urlencode};

const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default, Clone)]
pub struct PortfolioParams {
    phase: Option<String>,
    tier: Option<String>,
    assignee: Option<String>,
    q: Option<String>,
    archived: Option<String>,
    sort: Option<String>,
    /// Text, so a hand-edited `?page=abc` shows page 1 instead of a bare 400.
    page: Option<String>,
    notice: Option<String>,
}

impl PortfolioParams {
    fn list_params(&self) -> AccountListParams {
        AccountListParams {
            phase: self.phase.clone(),
            tier: self.tier.clone(),
            assignee: self.assignee.clone(),
            q: self.q.clone(),
            archived: self.archived.clone(),
            sort: self.sort.clone(),
            limit: None,
            cursor: None,
        }
    }

    /// This page's URL with some parameters replaced, for sort headers and pagination.
    fn href(&self, sort: Option<&str>, page: Option<u64>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let keep = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        for (key, value) in [
            ("q", &self.q),
            ("phase", &self.phase),
            ("tier", &self.tier),
            ("assignee", &self.assignee),
            ("archived", &self.archived),
        ] {
            if let Some(v) = keep(value) {
                pairs.push((key, v));
            }
        }
        if let Some(sort) = sort.map(str::to_string).or_else(|| keep(&self.sort)) {
            pairs.push(("sort", sort));
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            pairs.push(("page", page.to_string()));
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        if query.is_empty() { "/".into() } else { format!("/?{}", query.join("&")) }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(super) fn choices<T: Copy>(all: &[(T, &str)], label: impl Fn(T) -> &'static str, current: &str) -> Vec<Choice> {
    all.iter()
        .map(|(v, name)| Choice { value: name.to_string(), label: label(*v).to_string(), selected: *name == current })
        .collect()
}

pub struct SortColumn {
    pub label: &'static str,
    pub href: String,
    pub class: &'static str,
    pub numeric: bool,
}

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub phase: &'static str,
    pub phase_label: &'static str,
    pub tier: &'static str,
    pub tier_label: &'static str,
    pub arr: String,
    pub renewal: String,
    pub renewal_countdown: String,
    pub renewal_class: &'static str,
    pub region: String,
    pub timezone: String,
    pub local_time: String,
    pub primary_tam: String,
    pub my_role: String,
    pub archived: bool,
    /// The latest health snapshot with its sparkline (staff lists).
    pub health: Option<super::health::HealthCell>,
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct PortfolioPage {
    layout: Layout,
    /// Staff see the health column.
    show_health: bool,
    title: String,
    subtitle: String,
    notice: Option<String>,
    errors: Vec<String>,
    q: String,
    phases: Vec<Choice>,
    tiers: Vec<Choice>,
    assignees: Vec<Choice>,
    archived_choices: Vec<Choice>,
    show_assignee_filter: bool,
    columns: Vec<SortColumn>,
    rows: Vec<AccountRow>,
    showing: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    can_create: bool,
    stats: Vec<(String, String, String)>,
    filtered: bool,
}

pub(super) fn notice_text(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "created" => "Account created.",
        "saved" => "Changes saved.",
        "archived" => "Account archived.",
        "unarchived" => "Account restored.",
        "handoff" => "Handoff checklist saved.",
        "signed" => "Handoff signed off.",
        _ => return None,
    };
    Some(text.to_string())
}

fn my_role(account: &Account, me: UserId) -> String {
    let f = &account.fields;
    let roles: Vec<&str> = [
        (f.primary_tam_id == Some(me), "Primary TAM"),
        (f.backup_tam_id == Some(me), "Backup TAM"),
        (f.psm_id == Some(me), "PSM"),
        (f.pam_id == Some(me), "PAM"),
        (f.support_ids.contains(&me), "Support"),
    ]
    .into_iter()
    .filter_map(|(yes, label)| yes.then_some(label))
    .collect();
    if roles.is_empty() { "—".into() } else { roles.join(", ") }
}

fn row(account: &Account, me: UserId, names: &HashMap<UserId, String>, now: tamhub_domain::Timestamp) -> AccountRow {
    let f = &account.fields;
    let (renewal, renewal_countdown, renewal_class) = match f.renewal_date {
        Some(date) => {
            let (text, class) = countdown(today_in_utc(now), date);
            (format::date(date), text, class)
        }
        None => ("—".into(), String::new(), ""),
    };
    AccountRow {
        id: account.id.to_string(),
        name: f.name.clone(),
        phase: f.phase.as_str(),
        phase_label: f.phase.label(),
        tier: f.tier.as_str(),
        tier_label: f.tier.label(),
        arr: format::amount(f.arr, &f.currency),
        renewal,
        renewal_countdown,
        renewal_class,
        region: f.region.clone(),
        timezone: f.timezone.clone(),
        local_time: local_time(now, &f.timezone),
        primary_tam: f.primary_tam_id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| "Unassigned".into()),
        my_role: my_role(account, me),
        archived: account.archived_at.is_some(),
        health: None,
    }
}

async fn user_names(state: &AppState, user: &PageUser) -> Result<HashMap<UserId, String>, AppError> {
    if !policy::can_view_user_directory(user.actor.user.role) {
        return Ok(HashMap::new());
    }
    let users = state.app.list_users(&user.actor, None, false).await?;
    Ok(users.into_iter().map(|u| (u.id, u.name)).collect())
}

pub async fn portfolio(
    State(state): State<AppState>,
    user: PageUser,
    Query(params): Query<PortfolioParams>,
) -> PageResult {
    let actor = &user.actor;
    if let (Role::Customer, Some(account_id)) = (actor.user.role, actor.user.account_id) {
        return Ok(Redirect::to(&format!("/accounts/{account_id}")).into_response());
    }
    let now = state.app.clock.now();
    let mut errors = Vec::new();
    let page_number = params.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let query = match params.list_params().to_query() {
        Ok(mut q) => {
            q.limit = PAGE_SIZE;
            // Saturating: `?page=` is user input, and a huge page is simply empty.
            q.offset = (page_number - 1).saturating_mul(u64::from(PAGE_SIZE));
            Some(q)
        }
        Err(AppError::Invalid { fields, .. }) => {
            errors = fields.iter().map(|(f, m)| format!("{f} {m}")).collect();
            None
        }
        Err(other) => return Err(other.into()),
    };
    let page = match query.clone() {
        Some(q) => state.app.list_accounts(actor, q).await?,
        None => tamhub_app::AccountPage { items: vec![], total: 0 },
    };
    let names = user_names(&state, &user).await?;

    // Headline figures over everything in scope, not just this page.
    let mut everything = AccountQuery::in_scope(AccountScope::Nothing);
    everything.limit = 500;
    let all = state.app.list_accounts(actor, everything).await?;
    let today = today_in_utc(now);
    let renewing =
        all.items.iter().filter(|a| a.fields.renewal_date.is_some_and(|d| (d - today).get_days() <= 90)).count();
    let gate3 = all.items.iter().filter(|a| a.fields.phase == Phase::Gate3).count();
    let uncovered = all
        .items
        .iter()
        .filter(|a| {
            matches!(a.fields.phase, Phase::Gate3 | Phase::PostLaunch)
                && (a.fields.primary_tam_id.is_none() || a.fields.backup_tam_id.is_none())
        })
        .count();
    let stats = vec![
        ("Accounts".to_string(), all.total.to_string(), "live, in your scope".to_string()),
        ("In Gate 3".to_string(), gate3.to_string(), "ready to deliver, handoff due".to_string()),
        ("Renewals ≤ 90 days".to_string(), renewing.to_string(), "due within 90 days or overdue".to_string()),
        ("Missing a TAM".to_string(), uncovered.to_string(), "no primary or no backup TAM".to_string()),
    ];

    let current_sort = params.sort.clone().unwrap_or_else(|| "name".into());
    let columns = [
        ("Account", AccountSort::Name, false),
        ("Phase", AccountSort::Phase, false),
        ("Tier", AccountSort::Tier, false),
        ("ARR", AccountSort::Arr, true),
        ("Renewal", AccountSort::Renewal, false),
        ("Region", AccountSort::Region, false),
        ("Time zone", AccountSort::Timezone, false),
    ]
    .into_iter()
    .map(|(label, sort, numeric)| {
        let key = sort.as_str();
        let (href_sort, class) = if current_sort == key {
            (format!("-{key}"), "sorted")
        } else if current_sort == format!("-{key}") {
            (key.to_string(), "sorted")
        } else {
            (key.to_string(), "")
        };
        SortColumn { label, href: params.href(Some(&href_sort), None), class, numeric }
    })
    .collect();

    let first = (page_number - 1).saturating_mul(u64::from(PAGE_SIZE));
    let shown = page.items.len() as u64;
    let showing =
        if shown == 0 { String::new() } else { format!("Showing {}–{} of {}", first + 1, first + shown, page.total) };
    let prev_href = (page_number > 1).then(|| params.href(None, Some(page_number - 1)));
    let next_href = (first + shown < page.total).then(|| params.href(None, Some(page_number + 1)));
    let role = actor.user.role;
    let leadership_view = matches!(role, Role::Admin | Role::Leadership);
    let mut assignees = vec![Choice { value: String::new(), label: "Anyone".into(), selected: false }];
    if leadership_view {
        let tams = state.app.list_users(actor, Some(Role::Tam), false).await?;
        let current = params.assignee.clone().unwrap_or_default();
        assignees.extend(tams.into_iter().map(|u| Choice {
            selected: u.id.to_string() == current,
            value: u.id.to_string(),
            label: u.name,
        }));
    }
    let archived_now = params.archived.clone().unwrap_or_default();
    let archived_choices = [("exclude", "Live accounts"), ("include", "Live and archived"), ("only", "Archived only")]
        .into_iter()
        .map(|(v, l)| Choice { value: v.into(), label: l.into(), selected: archived_now == v })
        .collect();
    let filtered = [&params.q, &params.phase, &params.tier, &params.assignee]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()));
    let (title, subtitle) = match role {
        Role::Tam => ("My portfolio", "Accounts where you are primary or backup TAM, in Gate 3 and Post-Launch."),
        Role::Psm => ("My onboarding accounts", "Accounts you guide through Gates 0-3."),
        Role::Pam => ("My accounts", "Accounts you own commercially."),
        Role::Support => ("Engaged accounts", "Accounts you are engaged on as a support engineer."),
        _ => ("All accounts", "Every account in the portfolio."),
    };
    let ids: Vec<AccountId> = page.items.iter().map(|a| a.id).collect();
    let health = state.app.portfolio_health(actor, &ids).await?;
    let show_health = actor.user.role.is_staff();
    let rows = page
        .items
        .iter()
        .map(|a| AccountRow {
            health: health.get(&a.id).map(|h| super::health::cell(h, today)),
            ..row(a, actor.user.id, &names, now)
        })
        .collect();
    let page_view = PortfolioPage {
        layout: Layout::new(&user, "/"),
        title: title.into(),
        subtitle: subtitle.into(),
        notice: notice_text(params.notice.as_deref()),
        errors,
        q: params.q.clone().unwrap_or_default(),
        phases: choices(&Phase::ALL, Phase::label, params.phase.as_deref().unwrap_or("")),
        tiers: choices(&Tier::ALL, Tier::label, params.tier.as_deref().unwrap_or("")),
        assignees,
        archived_choices,
        show_assignee_filter: leadership_view,
        columns,
        rows,
        show_health,
        showing,
        prev_href,
        next_href,
        can_create: policy::can_create_accounts(role),
        stats,
        filtered,
    };
    Ok(render(&page_view))
}

pub struct TeamMember {
    pub slot: &'static str,
    pub name: String,
    pub email: String,
}

pub struct HistoryItem {
    pub when: String,
    pub actor: String,
    pub summary: String,
}

/// One incident in the account page's incident card.
pub struct AccountIncident {
    pub id: String,
    pub number: String,
    pub title: String,
    pub severity: &'static str,
    pub severity_class: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub declared_ago: String,
}

#[derive(Template)]
#[template(path = "accounts/show.html")]
struct AccountPage {
    layout: Layout,
    id: String,
    row: AccountRow,
    notice: Option<String>,
    workloads: Vec<String>,
    /// Workloads without a Well-Architected review in 12 months (staff, launched accounts).
    review_due: Vec<String>,
    downtime_cost: String,
    team: Vec<TeamMember>,
    missing_slots: Vec<&'static str>,
    phase_history: Vec<HistoryItem>,
    history: Vec<HistoryItem>,
    show_history: bool,
    can_edit: bool,
    can_archive: bool,
    archived: bool,
    show_handoff: bool,
    /// Customer contacts see their account without internal commercial figures and staffing gaps.
    internal: bool,
    handoff_summary: String,
    handoff_done: bool,
    created: String,
    updated: String,
    open_tickets: u64,
    can_open_ticket: bool,
    /// The latest incidents impacting the account, and how many there are.
    incidents: Vec<AccountIncident>,
    incident_total: u64,
    /// The health panel (staff only).
    health: Option<super::health::HealthPanel>,
    /// Open actions of the account and of the incidents that impacted it (staff only).
    action_rows: Vec<super::actions::ActionRow>,
    show_incident: bool,
    /// Repeat incidents touching it (staff only).
    problems: Vec<super::problems::ProblemCard>,
    /// The business calendar the account's SLA clocks count in (staff only).
    calendar: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    pub(super) notice: Option<String>,
}

/// A short sentence for an audit entry.
fn summarize(entry: &tamhub_domain::audit::AuditEntry) -> String {
    let changed: Vec<String> = match (&entry.before, &entry.after) {
        (Some(serde_json::Value::Object(before)), Some(serde_json::Value::Object(after))) => after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v) && !matches!(k.as_str(), "updated_at" | "updated_at_ms"))
            .map(|(k, _)| k.replace('_', " "))
            .collect(),
        _ => vec![],
    };
    let what = entry.entity_type.replace('_', " ");
    match entry.action.as_str() {
        "create" => format!("created the {what}"),
        "phase_change" => {
            let phase = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .and_then(|v| v.get("phase"))
                    .and_then(|p| p.as_str())
                    .and_then(Phase::parse)
                    .map(Phase::label)
                    .unwrap_or("?")
            };
            format!("moved the account from {} to {}", phase(&entry.before), phase(&entry.after))
        }
        "sign_off" => "signed off the handoff".into(),
        action if changed.is_empty() => format!("{} the {what}", action.replace('_', " ")),
        action => format!("{} the {what}: {}", action.replace('_', " "), changed.join(", ")),
    }
}

pub async fn show(
    State(state): State<AppState>,
    access: PageAccountAccess,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let PageAccountAccess { user, account } = access;
    account_page(&state, &user, account, notice_text(query.notice.as_deref()), None).await
}

/// The account page again with the health override form as posted and its errors (422).
pub(super) async fn show_with(state: &AppState, user: &PageUser, id: AccountId, form: Option<FormState>) -> PageResult {
    let account = state.app.get_account(&user.actor, id).await?;
    account_page(state, user, account, None, form).await
}

async fn account_page(
    state: &AppState,
    user: &PageUser,
    account: Account,
    notice: Option<String>,
    health_form: Option<FormState>,
) -> PageResult {
    let refused = health_form.as_ref().is_some_and(|f| !f.errors.is_empty());
    let actor = &user.actor;
    let now = state.app.clock.now();
    let names = user_names(state, user).await?;
    let team_users = state.app.account_team(&account).await?;
    let mut name_of: HashMap<UserId, String> = names.clone();
    for (_, u) in &team_users {
        name_of.insert(u.id, u.name.clone());
    }
    let who = |id: Option<UserId>| id.and_then(|id| name_of.get(&id).cloned()).unwrap_or_else(|| "System".into());
    let team: Vec<TeamMember> = team_users
        .iter()
        .map(|(slot, u)| TeamMember { slot: slot.label(), name: u.name.clone(), email: u.email.clone() })
        .collect();
    let f = &account.fields;
    // Only the slots the account's phase needs: TAMs from Gate 3 on, the PSM until Post-Launch.
    let needs_tam = matches!(f.phase, Phase::Gate3 | Phase::PostLaunch);
    let needs_psm = f.phase != Phase::PostLaunch;
    let missing_slots = [
        (needs_tam && f.primary_tam_id.is_none(), Assignment::PrimaryTam),
        (needs_tam && f.backup_tam_id.is_none(), Assignment::BackupTam),
        (needs_psm && f.psm_id.is_none(), Assignment::Psm),
        (f.pam_id.is_none(), Assignment::Pam),
    ]
    .into_iter()
    .filter_map(|(missing, slot)| missing.then_some(slot.label()))
    .collect();
    let phase_history = state
        .app
        .account_phase_changes(actor, account.id)
        .await?
        .into_iter()
        .rev()
        .map(|c| HistoryItem {
            when: format::instant(c.at),
            actor: who(c.actor_id),
            summary: format!("{} → {}", c.from.label(), c.to.label()),
        })
        .collect();
    let show_history = policy::can_view_account_history(actor.user.role);
    let history = if show_history {
        state
            .app
            .account_history(actor, account.id, 25, 0)
            .await?
            .iter()
            .map(|e| HistoryItem { when: format::instant(e.at), actor: who(e.actor_id), summary: summarize(e) })
            .collect()
    } else {
        vec![]
    };
    let handoff = state.app.get_handoff(actor, account.id).await?;
    let done_items = [handoff.meeting_held, handoff.documentation_reviewed, handoff.shadow_period_done]
        .iter()
        .filter(|x| **x)
        .count();
    let signed = handoff.is_signed_by(f.psm_id, f.primary_tam_id);
    let handoff_summary = if signed {
        "Complete: signed off by the PSM and the primary TAM.".to_string()
    } else {
        let signatures = usize::from(handoff.psm_signature(f.psm_id).is_some())
            + usize::from(handoff.tam_signature(f.primary_tam_id).is_some());
        format!("{done_items} of 3 items done, {signatures} of 2 sign-offs.")
    };
    let mut open = tamhub_app::TicketQuery::in_scope(AccountScope::Nothing);
    open.account_id = Some(account.id);
    open.limit = 1;
    let open_tickets = state.app.list_tickets(actor, open).await?.total;
    let incident_query = tamhub_app::IncidentQuery {
        account_id: Some(account.id),
        limit: 5,
        ..tamhub_app::IncidentQuery::in_scope(AccountScope::Nothing)
    };
    let (latest, incident_total) = state.app.list_incidents(actor, incident_query).await?;
    let incidents = latest
        .into_iter()
        .map(|v| AccountIncident {
            id: v.incident.id.to_string(),
            number: v.incident.display_number(),
            title: v.incident.title.clone(),
            severity: v.incident.severity.as_str(),
            severity_class: super::incidents::severity_class(v.incident.severity),
            status: v.incident.status.as_str(),
            status_label: v.incident.status.label(),
            declared_ago: super::clocks::relative(v.incident.milestones.declared_at, now),
        })
        .collect();
    let calendar = if policy::can_view_sla_config(actor.user.role) {
        let (calendars, default) = state.app.list_calendars(actor).await?;
        let name_of = |id| calendars.iter().find(|c| c.id == id).map(|c| c.name.clone());
        Some(match (f.calendar_id, default) {
            (Some(id), _) => name_of(id).unwrap_or_else(|| "Unknown calendar".into()),
            (None, Some(id)) => format!("{} (organisation default)", name_of(id).unwrap_or_default()),
            (None, None) => "None: business targets count all hours".into(),
        })
    } else {
        None
    };
    // Staff see which launched workloads are due a Well-Architected review.
    let review_due: Vec<String> = if actor.user.role.is_staff() {
        let coverage = state.app.review_coverage(actor, Some(account.id)).await?;
        coverage.into_iter().filter(|c| c.flagged).map(|c| c.workload).collect()
    } else {
        Vec::new()
    };
    let page = AccountPage {
        review_due,
        health: super::health::panel(state, user, account.id, &names, health_form.unwrap_or_default()).await?,
        action_rows: super::actions::rows_for(state, user, None, Some(account.id)).await?,
        show_incident: true,
        problems: super::problems::cards_for(state, user, account.id).await?,
        incidents,
        incident_total,
        open_tickets,
        can_open_ticket: policy::can_open_tickets(actor.user.role),
        calendar,
        layout: Layout::new(user, "/"),
        id: account.id.to_string(),
        row: row(&account, actor.user.id, &names, now),
        notice,
        workloads: f.workloads.clone(),
        downtime_cost: f
            .downtime_cost_per_hour
            .map(|c| format!("{} / hour", format::amount(c, &f.currency)))
            .unwrap_or_else(|| "Not set".into()),
        team,
        missing_slots,
        phase_history,
        history,
        show_history,
        can_edit: policy::can_edit_account(actor.user.role),
        can_archive: policy::can_archive_accounts(actor.user.role),
        archived: account.archived_at.is_some(),
        show_handoff: actor.user.role.is_staff() && (f.phase == Phase::Gate3 || handoff.updated_at.is_some()),
        internal: actor.user.role.is_staff(),
        handoff_summary,
        handoff_done: signed,
        created: format::instant(account.created_at),
        updated: format::instant(account.updated_at),
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

pub async fn archive(
    State(state): State<AppState>,
    access: PageAccountAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    state.app.set_account_archived(&user.actor, access.account.id, true).await?;
    Ok(Redirect::to(&format!("/accounts/{}?notice=archived", access.account.id)).into_response())
}

pub async fn unarchive(
    State(state): State<AppState>,
    access: PageAccountAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    state.app.set_account_archived(&user.actor, access.account.id, false).await?;
    Ok(Redirect::to(&format!("/accounts/{}?notice=unarchived", access.account.id)).into_response())
}
