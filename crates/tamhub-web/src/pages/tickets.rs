//! Ticket queues (everyone's, and one account's) and the new-ticket form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::{AccountQuery, AppError, Archived, TicketSort, policy};
use tamhub_domain::accounts::Account;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::tickets::{Priority, Status, Ticket, TicketDraft, TicketType};
use tamhub_domain::users::{Role, User};
use tamhub_domain::validation::FieldErrors;

use super::accounts::SortColumn;
use super::clocks::{self, ClockBadge};
use super::forms::{FormState, Opt, opt, unprocessable};
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::api::tickets::TicketListParams;
use crate::auth::{PageAccountAccess, PageForm, PageUser, urlencode};

const PAGE_SIZE: u32 = 50;

/// The tabs of a queue: which tickets by assignment and state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Mine,
    Unassigned,
    Open,
    Done,
}

impl View {
    fn parse(text: &str) -> Option<View> {
        Some(match text {
            "mine" => View::Mine,
            "unassigned" => View::Unassigned,
            "open" => View::Open,
            "done" => View::Done,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::Open => "open",
            View::Done => "done",
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct QueueParams {
    view: Option<String>,
    account_id: Option<String>,
    priority: Option<String>,
    status: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    /// Text, so a hand-edited `?page=abc` shows page 1 instead of a bare 400.
    page: Option<String>,
    notice: Option<String>,
}

fn kept(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl QueueParams {
    fn list_params(&self, view: View) -> TicketListParams {
        let mut p = TicketListParams {
            account_id: kept(&self.account_id),
            priority: kept(&self.priority),
            q: kept(&self.q),
            sort: kept(&self.sort),
            status: Some(if view == View::Done { "done" } else { "open" }.into()),
            ..TicketListParams::default()
        };
        match view {
            View::Mine => p.assignee = Some("me".into()),
            View::Unassigned => p.unassigned = Some("true".into()),
            View::Open | View::Done => {}
        }
        if let Some(status) = kept(&self.status) {
            p.status = Some(status);
        }
        p
    }

    /// The queue's URL with some parameters replaced, for tabs, sort headers and pagination.
    fn href(&self, base: &str, view: View, sort: Option<&str>, page: Option<u64>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("view", view.as_str().to_string())];
        for (key, value) in [("q", &self.q), ("account_id", &self.account_id), ("priority", &self.priority)] {
            if let Some(v) = kept(value) {
                pairs.push((key, v));
            }
        }
        if let Some(sort) = sort.map(str::to_string).or_else(|| kept(&self.sort)) {
            pairs.push(("sort", sort));
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            pairs.push(("page", page.to_string()));
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        format!("{base}?{}", query.join("&"))
    }
}

pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

pub struct TicketRow {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub account_id: String,
    pub account_name: String,
    pub priority: &'static str,
    pub priority_label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub assignee: String,
    pub sla: Option<ClockBadge>,
    pub updated: String,
    pub updated_title: String,
}

/// The sortable columns of a queue.
pub struct Columns {
    pub number: SortColumn,
    pub priority: SortColumn,
    pub due: SortColumn,
    pub updated: SortColumn,
}

#[derive(Template)]
#[template(path = "tickets/list.html")]
struct QueuePage {
    layout: Layout,
    title: String,
    subtitle: String,
    /// Set on one account's queue.
    account: Option<(String, String)>,
    base: String,
    notice: Option<String>,
    errors: Vec<String>,
    tabs: Vec<Tab>,
    view: &'static str,
    filters: FormState,
    accounts: Vec<Opt>,
    priorities: Vec<Opt>,
    statuses: Vec<Opt>,
    columns: Columns,
    rows: Vec<TicketRow>,
    internal: bool,
    showing: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    new_href: Option<String>,
    filtered: bool,
    empty_hint: String,
}

/// Accounts in the user's scope (archived included: their tickets stay visible), by id.
async fn accounts_in_scope(state: &AppState, user: &PageUser) -> Result<Vec<Account>, AppError> {
    let mut query = AccountQuery::in_scope(AccountScope::Nothing);
    query.limit = 500;
    query.archived = Archived::Include;
    Ok(state.app.list_accounts(&user.actor, query).await?.items)
}

/// Names of the people a page mentions: the directory for staff; a customer knows their
/// account's team and themselves.
pub(super) async fn people(
    state: &AppState,
    user: &PageUser,
    account: Option<&Account>,
) -> Result<HashMap<UserId, String>, AppError> {
    let mut names: HashMap<UserId, String> = HashMap::new();
    if policy::can_view_user_directory(user.actor.user.role) {
        names.extend(state.app.list_users(&user.actor, None, true).await?.into_iter().map(|u| (u.id, u.name)));
    } else if let Some(account) = account {
        names.extend(state.app.account_team(account).await?.into_iter().map(|(_, u)| (u.id, u.name)));
    }
    names.insert(user.actor.user.id, user.actor.user.name.clone());
    Ok(names)
}

fn ticket_row(
    ticket: &Ticket,
    account_name: &str,
    sla: Option<ClockBadge>,
    names: &HashMap<UserId, String>,
    now: tamhub_domain::Timestamp,
) -> TicketRow {
    TicketRow {
        id: ticket.id.to_string(),
        number: ticket.number,
        title: ticket.title.clone(),
        account_id: ticket.account_id.to_string(),
        account_name: account_name.to_string(),
        priority: ticket.priority.as_str(),
        priority_label: ticket.priority.label(),
        status: ticket.status.as_str(),
        status_label: ticket.status.label(),
        assignee: ticket
            .assignee_id
            .map(|id| names.get(&id).cloned().unwrap_or_else(|| "Assigned".into()))
            .unwrap_or_else(|| "Unassigned".into()),
        sla,
        updated: clocks::relative(ticket.updated_at, now),
        updated_title: super::format::instant(ticket.updated_at),
    }
}

fn priority_options() -> Vec<Opt> {
    let mut out = vec![opt("", "Any priority")];
    out.extend(Priority::ALL.iter().map(|(p, n)| opt(*n, p.label())));
    out
}

fn status_options() -> Vec<Opt> {
    let mut out = vec![opt("", "As the tab says")];
    out.extend(Status::ALL.iter().map(|(s, n)| opt(*n, s.label())));
    out
}

async fn queue_page(state: &AppState, user: &PageUser, params: QueueParams, account: Option<&Account>) -> PageResult {
    let actor = &user.actor;
    let role = actor.user.role;
    let agent = policy::can_work_tickets(role);
    let internal = role.is_staff();
    let now = state.app.clock.now();
    let default_view = if agent { View::Mine } else { View::Open };
    let view = params.view.as_deref().and_then(View::parse).filter(|v| agent || *v != View::Mine);
    let view = view.unwrap_or(default_view);
    let mut params = params;
    if let Some(account) = account {
        params.account_id = Some(account.id.to_string());
    }
    let base = match account {
        Some(a) => format!("/accounts/{}/tickets", a.id),
        None => "/tickets".to_string(),
    };
    let page_number = params.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let mut errors = Vec::new();
    let query = match params.list_params(view).to_query(actor.user.id) {
        Ok(mut q) => {
            q.limit = PAGE_SIZE;
            q.offset = (page_number - 1).saturating_mul(u64::from(PAGE_SIZE)).min(i64::MAX as u64);
            Some(q)
        }
        Err(AppError::Invalid { fields, .. }) => {
            errors = fields.iter().map(|(f, m)| format!("{} {m}", f.replace('_', " "))).collect();
            None
        }
        Err(other) => return Err(other.into()),
    };
    let page = match query {
        Some(q) => state.app.list_tickets(actor, q).await?,
        None => tamhub_app::TicketPage { items: vec![], total: 0 },
    };
    let tickets: Vec<Ticket> = page.items.iter().map(|i| i.ticket.clone()).collect();
    let cycles = state.app.tickets_sla(&tickets).await?;
    let in_scope = accounts_in_scope(state, user).await?;
    let zones: HashMap<AccountId, String> = in_scope.iter().map(|a| (a.id, a.fields.timezone.clone())).collect();
    let names = people(state, user, account).await?;
    let rows = page
        .items
        .iter()
        .map(|item| {
            let tz = clocks::zone(zones.get(&item.ticket.account_id).map(String::as_str).unwrap_or("UTC"));
            let sla = cycles.get(&item.ticket.id).and_then(|c| clocks::queue_badge(c, now, &tz));
            ticket_row(&item.ticket, &item.account_name, sla, &names, now)
        })
        .collect();

    let current_sort = params.sort.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "due".into());
    let column = |label: &'static str, sort: TicketSort, numeric: bool| {
        let key = sort.as_str();
        let (href_sort, class) = if current_sort == key {
            (format!("-{key}"), "sorted")
        } else if current_sort == format!("-{key}") {
            (key.to_string(), "sorted")
        } else {
            (key.to_string(), "")
        };
        SortColumn { label, href: params.href(&base, view, Some(&href_sort), None), class, numeric }
    };
    let columns = Columns {
        number: column("#", TicketSort::Number, true),
        priority: column("Priority", TicketSort::Priority, false),
        due: column("SLA", TicketSort::Due, false),
        updated: column("Updated", TicketSort::Updated, false),
    };

    let mut tab_list = Vec::new();
    if agent {
        tab_list.push((View::Mine, "Mine"));
        tab_list.push((View::Unassigned, "Unassigned"));
    }
    tab_list.push((View::Open, if role == Role::Customer { "Open" } else { "All open" }));
    tab_list.push((View::Done, "Solved & closed"));
    let tabs = tab_list
        .into_iter()
        .map(|(v, label)| Tab { label, href: params.href(&base, v, None, None), active: v == view })
        .collect();

    let mut filters = FormState::default();
    for (name, value) in [
        ("q", &params.q),
        ("account_id", &params.account_id),
        ("priority", &params.priority),
        ("status", &params.status),
    ] {
        filters.set(name, value.clone().unwrap_or_default());
    }
    let mut accounts = vec![opt("", "All accounts")];
    let mut sorted: Vec<&Account> = in_scope.iter().collect();
    sorted.sort_by(|a, b| a.fields.name.cmp(&b.fields.name));
    accounts.extend(sorted.iter().map(|a| opt(a.id.to_string(), a.fields.name.clone())));

    let first = (page_number - 1).saturating_mul(u64::from(PAGE_SIZE));
    let shown = page.items.len() as u64;
    let showing =
        if shown == 0 { String::new() } else { format!("Showing {}–{} of {}", first + 1, first + shown, page.total) };
    let filtered = [&params.q, &params.priority, &params.status].iter().any(|v| kept(v).is_some())
        || (account.is_none() && kept(&params.account_id).is_some());
    let empty_hint = match view {
        View::Mine => "Nothing is assigned to you. The Unassigned tab lists tickets waiting for an owner.",
        View::Unassigned => "Every open ticket has an owner.",
        View::Open => "No open tickets.",
        View::Done => "No solved or closed tickets yet.",
    }
    .to_string();
    let (title, subtitle) = match (account, role) {
        (Some(a), _) => (format!("Tickets · {}", a.fields.name), "Every ticket of this account.".to_string()),
        (None, Role::Customer) => ("Our tickets".to_string(), "Your requests to the support team.".to_string()),
        (None, _) if agent => {
            ("Tickets".to_string(), "What breaches next comes first. Badges: R-W5 SLA colours.".to_string())
        }
        (None, _) => ("Tickets".to_string(), "Tickets of the accounts you own (read only).".to_string()),
    };
    let new_href = policy::can_open_tickets(role).then(|| match account {
        Some(a) if role != Role::Customer => format!("/tickets/new?account_id={}", a.id),
        _ => "/tickets/new".to_string(),
    });
    let page_view = QueuePage {
        layout: Layout::new(user, "/tickets"),
        title,
        subtitle,
        account: account.map(|a| (a.id.to_string(), a.fields.name.clone())),
        notice: (params.notice.as_deref() == Some("created")).then(|| "Ticket created.".to_string()),
        errors,
        tabs,
        view: view.as_str(),
        filters,
        accounts,
        priorities: priority_options(),
        statuses: status_options(),
        columns,
        rows,
        internal,
        showing,
        prev_href: (page_number > 1).then(|| params.href(&base, view, None, Some(page_number - 1))),
        next_href: (first + shown < page.total).then(|| params.href(&base, view, None, Some(page_number + 1))),
        new_href,
        filtered,
        empty_hint,
        base,
    };
    Ok(render(&page_view))
}

pub async fn queue(State(state): State<AppState>, user: PageUser, Query(params): Query<QueueParams>) -> PageResult {
    queue_page(&state, &user, params, None).await
}

pub async fn account_queue(
    State(state): State<AppState>,
    access: PageAccountAccess,
    Query(params): Query<QueueParams>,
) -> PageResult {
    queue_page(&state, &access.user, params, Some(&access.account)).await
}

#[derive(Template)]
#[template(path = "tickets/new.html")]
struct NewTicketPage {
    layout: Layout,
    alert: Option<String>,
    form: FormState,
    customer: bool,
    accounts: Vec<Opt>,
    priorities: Vec<Opt>,
    types: Vec<Opt>,
    assignees: Vec<Opt>,
    requesters: Vec<Opt>,
}

#[derive(Deserialize)]
pub struct NewTicketQuery {
    account_id: Option<String>,
}

const TICKET_FIELDS: [&str; 7] =
    ["account_id", "title", "description", "priority", "ticket_type", "assignee_id", "requester_id"];

async fn new_ticket_page(state: &AppState, user: &PageUser, form: FormState) -> Result<NewTicketPage, AppError> {
    let customer = user.actor.user.role == Role::Customer;
    let mut accounts = vec![opt("", "— Choose an account —")];
    let mut assignees = vec![opt("", "— Unassigned —")];
    let mut requesters = vec![opt("", "— No requester —")];
    if !customer {
        let mut in_scope: Vec<Account> =
            accounts_in_scope(state, user).await?.into_iter().filter(|a| a.archived_at.is_none()).collect();
        in_scope.sort_by(|a, b| a.fields.name.cmp(&b.fields.name));
        accounts.extend(in_scope.iter().map(|a| opt(a.id.to_string(), a.fields.name.clone())));
        let chosen = in_scope.iter().find(|a| a.id.to_string() == form.value("account_id"));
        let users = state.app.list_users(&user.actor, None, false).await?;
        let (agents, contacts) = ticket_people(&users, chosen);
        assignees.extend(agents);
        requesters.extend(contacts.into_iter().map(|(u, account)| {
            let account = in_scope.iter().find(|a| Some(a.id) == account).map(|a| a.fields.name.as_str());
            match (chosen, account) {
                (None, Some(name)) => opt(u.0, format!("{} · {name}", u.1)),
                _ => u,
            }
        }));
    }
    let alert = (!form.errors.is_empty()).then(|| {
        let mut lines = vec!["Please correct the fields marked below.".to_string()];
        lines.extend(form.unplaced_errors(&TICKET_FIELDS));
        lines.join(" ")
    });
    Ok(NewTicketPage {
        layout: Layout::new(user, "/tickets"),
        alert,
        customer,
        accounts,
        priorities: Priority::ALL.iter().map(|(p, n)| opt(*n, p.label())).collect(),
        types: TicketType::ALL.iter().map(|(t, n)| opt(*n, t.label())).collect(),
        assignees,
        requesters,
        form,
    })
}

/// Agents who can work tickets of the account (or of any account when none is chosen yet),
/// and customer contacts of it with their account.
pub(super) fn ticket_people(users: &[User], account: Option<&Account>) -> (Vec<Opt>, Vec<(Opt, Option<AccountId>)>) {
    let agents = users
        .iter()
        .filter(|u| u.active && policy::can_work_tickets(u.role))
        .filter(|u| account.is_none_or(|a| tamhub_app::Actor::new((*u).clone()).scope.contains(a)))
        .map(|u| opt(u.id.to_string(), format!("{} ({})", u.name, u.role.label())))
        .collect();
    let contacts = users
        .iter()
        .filter(|u| u.active && u.role == Role::Customer)
        .filter(|u| account.is_none_or(|a| u.account_id == Some(a.id)))
        .map(|u| (opt(u.id.to_string(), u.name.clone()), u.account_id))
        .collect();
    (agents, contacts)
}

pub async fn new_form(
    State(state): State<AppState>,
    user: PageUser,
    Query(query): Query<NewTicketQuery>,
) -> PageResult {
    if !policy::can_open_tickets(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not open tickets".into()).into());
    }
    let mut form = FormState::default();
    form.set("account_id", query.account_id.unwrap_or_default());
    form.set("priority", "medium");
    form.set("ticket_type", "question");
    form.set("public", "on");
    if policy::can_work_tickets(user.actor.user.role) {
        form.set("assignee_id", user.actor.user.id.to_string());
    }
    Ok(render(&new_ticket_page(&state, &user, form).await?))
}

fn optional_id<T: std::str::FromStr>(errors: &mut FieldErrors, field: &str, value: &str, what: &str) -> Option<T> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    value.parse().map_err(|_| errors.add(field, format!("is not {what}"))).ok()
}

pub async fn create(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    let customer = user.actor.user.role == Role::Customer;
    let mut errors = FieldErrors::new();
    let draft = TicketDraft {
        account_id: if customer {
            None
        } else {
            optional_id(&mut errors, "account_id", form.get("account_id"), "an account you can see")
        },
        title: form.get("title").into(),
        description: form.get("description").into(),
        priority: form.get("priority").into(),
        ticket_type: if customer { String::new() } else { form.get("ticket_type").into() },
        assignee_id: if customer {
            None
        } else {
            optional_id(&mut errors, "assignee_id", form.get("assignee_id"), "an agent")
        },
        requester_id: if customer {
            None
        } else {
            optional_id(&mut errors, "requester_id", form.get("requester_id"), "a customer contact")
        },
        // Unticked checkboxes send nothing: the description is then an internal note (A8).
        public: customer || form.checked("public"),
    };
    let result = if errors.is_empty() {
        state.app.create_ticket(&user.actor, draft).await
    } else {
        if let (Err(more), false) = (draft.clone().validate(), customer) {
            errors.merge(more);
        }
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(ticket) => Ok(Redirect::to(&format!("/tickets/{}?notice=created", ticket.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(fields);
            Ok(unprocessable(&new_ticket_page(&state, &user, values).await?))
        }
        Err(other) => Err(other.into()),
    }
}
