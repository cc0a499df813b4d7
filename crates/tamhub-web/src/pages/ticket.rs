//! One ticket: its header, every SLA cycle, the timeline, the reply form, the agents' update
//! form, recorded SLA alerts and the engineering escalation.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::tickets::EventInput;
use tamhub_app::{AppError, policy};
use tamhub_domain::accounts::Account;
use tamhub_domain::ids::UserId;
use tamhub_domain::sla::display::duration;
use tamhub_domain::tickets::{Priority, Status, Ticket, TicketEvent, TicketEventKind, TicketPatch, TicketType};
use tamhub_domain::users::Role;

use super::accounts::NoticeQuery;
use super::clocks::{self, AlertView, CycleView};
use super::escalations::{EscalationView, escalation_view};
use super::forms::{FormState, Opt, opt, unprocessable};
use super::tickets::{people, ticket_people};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{PageForm, PageTicketAccess, PageUser};

/// One entry of the timeline.
pub struct TimelineEntry {
    /// `public`, `private`, `change`, `escalation` or `created`: the entry's look.
    pub kind: &'static str,
    pub who: String,
    pub what: String,
    pub body: String,
    pub when: String,
    pub ago: String,
}

#[derive(Template)]
#[template(path = "tickets/show.html")]
struct TicketPage {
    layout: Layout,
    id: String,
    number: i64,
    title: String,
    description: String,
    description_private: bool,
    status: &'static str,
    status_label: &'static str,
    priority: &'static str,
    priority_label: &'static str,
    type_label: &'static str,
    account_id: String,
    account_name: String,
    assignee: String,
    requester: String,
    created: String,
    created_by: String,
    updated: String,
    notice: Option<String>,
    alert: Option<String>,
    cycles: Vec<CycleView>,
    sla_error: Option<String>,
    zone: String,
    timeline: Vec<TimelineEntry>,
    alerts: Vec<AlertView>,
    agent: bool,
    /// Agents and customers comment; PAMs only read.
    can_reply: bool,
    closed: bool,
    reply: FormState,
    update: FormState,
    review: FormState,
    statuses: Vec<Opt>,
    reply_statuses: Vec<Opt>,
    priorities: Vec<Opt>,
    types: Vec<Opt>,
    assignees: Vec<Opt>,
    escalation: Option<EscalationView>,
    can_escalate: bool,
}

/// What the forms on the page hold: empty on a plain visit, as posted when one came back.
#[derive(Default)]
pub(super) struct Forms {
    pub reply: FormState,
    pub update: FormState,
    pub review: FormState,
    pub alert: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "created" => "Ticket created.",
            "replied" => "Reply added.",
            "noted" => "Internal note added.",
            "saved" => "Ticket updated.",
            "unchanged" => "Nothing to change.",
            "escalated" => "Escalated to engineering.",
            "acknowledged" => "Escalation acknowledged: time-to-engage recorded.",
            "reviewed" => "Review saved.",
            _ => return None,
        }
        .to_string(),
    )
}

fn timeline_entry(e: &TicketEvent, names: &HashMap<UserId, String>, now: tamhub_domain::Timestamp) -> TimelineEntry {
    let name = |id: Option<UserId>| match id {
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| "Someone".into()),
        None => "System".into(),
    };
    let who = name(e.actor_id);
    let (kind, what, body) = match &e.kind {
        TicketEventKind::Created { priority, ticket_type, public, .. } => (
            "created",
            format!(
                "opened the ticket as {} {} {}",
                priority.label().to_lowercase(),
                ticket_type.label().to_lowercase(),
                if *public { "" } else { "(description kept internal)" }
            ),
            String::new(),
        ),
        TicketEventKind::Comment { public: true, body, author } => {
            let what = if *author == tamhub_domain::tickets::CommentAuthor::Customer { "wrote" } else { "replied" };
            ("public", what.to_string(), body.clone())
        }
        TicketEventKind::Comment { public: false, body, .. } => {
            ("private", "added an internal note".into(), body.clone())
        }
        TicketEventKind::StatusChanged { from, to } => {
            ("change", format!("changed the status from {} to {}", from.label(), to.label()), String::new())
        }
        TicketEventKind::PriorityChanged { from, to } => {
            ("change", format!("changed the priority from {} to {}", from.label(), to.label()), String::new())
        }
        TicketEventKind::AssigneeChanged { from, to } => {
            let what = match (from, to) {
                (_, Some(to)) => format!("assigned the ticket to {}", name(Some(*to))),
                (Some(from), None) => format!("unassigned {}", name(Some(*from))),
                (None, None) => "left the ticket unassigned".into(),
            };
            ("change", what, String::new())
        }
        TicketEventKind::TypeChanged { from, to } => {
            ("change", format!("changed the type from {} to {}", from.label(), to.label()), String::new())
        }
        TicketEventKind::PolicyInputsChanged { tier, .. } => (
            "change",
            format!("changed the account's SLA inputs (tier {}, business calendar): clocks re-targeted", tier.label()),
            String::new(),
        ),
        TicketEventKind::Escalated { engineering_team } => {
            ("escalation", format!("escalated the ticket to {engineering_team}"), String::new())
        }
        TicketEventKind::EscalationAcknowledged { time_to_engage_seconds } => (
            "escalation",
            format!("acknowledged the escalation: engineering engaged after {}", duration(*time_to_engage_seconds)),
            String::new(),
        ),
    };
    TimelineEntry { kind, who, what, body, when: format::instant(e.at), ago: clocks::relative(e.at, now) }
}

/// Names of calendars by engine id, for the SLA panel (staff may read the configuration).
async fn calendar_names(state: &AppState, user: &PageUser) -> Result<HashMap<String, String>, AppError> {
    if !policy::can_view_sla_config(user.actor.user.role) {
        return Ok(HashMap::new());
    }
    let (calendars, _) = state.app.list_calendars(&user.actor).await?;
    Ok(calendars.into_iter().map(|c| (c.id.to_string(), c.name)).collect())
}

fn update_values(ticket: &Ticket) -> FormState {
    let mut form = FormState::default();
    form.set("status", ticket.status.as_str());
    form.set("priority", ticket.priority.as_str());
    form.set("ticket_type", ticket.ticket_type.as_str());
    form.set("assignee_id", ticket.assignee_id.map(|a| a.to_string()).unwrap_or_default());
    form
}

pub(super) async fn ticket_page(
    state: &AppState,
    user: &PageUser,
    ticket: &Ticket,
    account: &Account,
    notice: Option<String>,
    forms: Forms,
) -> PageResult {
    let actor = &user.actor;
    let role = actor.user.role;
    let agent = policy::can_work_tickets(role);
    let now = state.app.clock.now();
    let tz = clocks::zone(&account.fields.timezone);
    let names = people(state, user, Some(account)).await?;
    let events = state.app.ticket_events(actor, ticket.id).await?;
    let (cycles, sla_error) = match state.app.ticket_sla(actor, ticket.id).await {
        Ok((sla, at)) => (clocks::panel(&sla.cycles, at, &tz, &calendar_names(state, user).await?), None),
        Err(AppError::Conflict(message)) => (vec![], Some(message)),
        Err(other) => return Err(other.into()),
    };
    let alerts = clocks::alerts(&state.app.ticket_alerts(actor, ticket.id).await?);
    let escalation =
        state.app.get_escalation(actor, ticket.id).await?.map(|e| escalation_view(&e, user, account, &names, now));
    let mut assignees = vec![opt("", "— Unassigned —")];
    if agent {
        let users = state.app.list_users(actor, None, false).await?;
        assignees.extend(ticket_people(&users, Some(account)).0);
    }
    // The current assignee stays selectable even if they no longer work the account.
    if let Some(current) = ticket.assignee_id
        && !assignees.iter().any(|(v, _)| *v == current.to_string())
    {
        assignees.push(opt(current.to_string(), names.get(&current).cloned().unwrap_or_else(|| "Current".into())));
    }
    let description_private = events.iter().any(|e| matches!(e.kind, TicketEventKind::Created { public: false, .. }));
    let name = |id: Option<UserId>, none: &str| {
        id.map(|id| names.get(&id).cloned().unwrap_or_else(|| "Someone".into())).unwrap_or_else(|| none.into())
    };
    let update = if forms.update.errors.is_empty() { update_values(ticket) } else { forms.update };
    let mut reply = forms.reply;
    if reply.value("visibility").is_empty() {
        reply.set("visibility", "public");
    }
    let mut reply_statuses = vec![opt("", "Keep the status")];
    reply_statuses.extend(
        Status::ALL
            .iter()
            .filter(|(s, _)| *s != ticket.status && *s != Status::New)
            .map(|(s, n)| opt(*n, format!("…and set {}", s.label()))),
    );
    let page = TicketPage {
        layout: Layout::new(user, "/tickets"),
        id: ticket.id.to_string(),
        number: ticket.number,
        title: ticket.title.clone(),
        description: ticket.description.clone(),
        description_private: description_private && role.is_staff(),
        status: ticket.status.as_str(),
        status_label: ticket.status.label(),
        priority: ticket.priority.as_str(),
        priority_label: ticket.priority.label(),
        type_label: ticket.ticket_type.label(),
        account_id: account.id.to_string(),
        account_name: account.fields.name.clone(),
        assignee: name(ticket.assignee_id, "Unassigned"),
        requester: name(ticket.requester_id, "—"),
        created: format::instant(ticket.created_at),
        created_by: name(ticket.created_by, "System"),
        updated: clocks::relative(ticket.updated_at, now),
        notice,
        alert: forms.alert,
        cycles,
        sla_error,
        zone: account.fields.timezone.clone(),
        timeline: events.iter().map(|e| timeline_entry(e, &names, now)).collect(),
        alerts,
        agent,
        can_reply: policy::can_open_tickets(role),
        closed: ticket.status == Status::Closed,
        reply,
        update,
        review: forms.review,
        statuses: Status::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect(),
        reply_statuses,
        priorities: Priority::ALL.iter().map(|(p, n)| opt(*n, p.label())).collect(),
        types: TicketType::ALL.iter().map(|(t, n)| opt(*n, t.label())).collect(),
        assignees,
        can_escalate: agent && escalation.is_none() && ticket.status.is_open(),
        escalation,
    };
    let invalid = page.alert.is_some()
        || !page.reply.errors.is_empty()
        || !page.update.errors.is_empty()
        || !page.review.errors.is_empty();
    Ok(if invalid { unprocessable(&page) } else { render(&page) })
}

pub async fn show(
    State(state): State<AppState>,
    access: PageTicketAccess,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(query.notice.as_deref());
    ticket_page(&state, &access.user, &access.ticket, &access.account, notice, Forms::default()).await
}

/// A reply or internal note, optionally setting a status ("reply and set Pending").
pub async fn add_event(
    State(state): State<AppState>,
    access: PageTicketAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let customer = user.actor.user.role == Role::Customer;
    let public = customer || form.get("visibility") != "private";
    let status = Some(form.get("status").trim().to_string()).filter(|s| !s.is_empty() && !customer);
    let input = EventInput::Comment { body: form.get("body").to_string(), public, status };
    match state.app.add_ticket_event(&user.actor, access.ticket.id, input).await {
        Ok(_) => {
            let notice = if public { "replied" } else { "noted" };
            Ok(Redirect::to(&format!("/tickets/{}?notice={notice}#timeline-end", access.ticket.id)).into_response())
        }
        Err(AppError::Invalid { fields, .. }) => {
            let reply = FormState::from_post(&form).with_errors(fields);
            let forms = Forms { reply, ..Forms::default() };
            ticket_page(&state, &user, &access.ticket, &access.account, None, forms).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The agents' update form: only the fields that differ from the ticket are sent as a change.
pub async fn update(
    State(state): State<AppState>,
    access: PageTicketAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    if !policy::can_work_tickets(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not change tickets".into()).into());
    }
    let ticket = &access.ticket;
    let differs = |name: &str, current: &str| {
        let sent = form.get(name).trim();
        (form.0.iter().any(|(k, _)| k == name) && sent != current).then(|| sent.to_string())
    };
    let mut patch = TicketPatch {
        status: differs("status", ticket.status.as_str()),
        priority: differs("priority", ticket.priority.as_str()),
        ticket_type: differs("ticket_type", ticket.ticket_type.as_str()),
        ..TicketPatch::default()
    };
    let current_assignee = ticket.assignee_id.map(|a| a.to_string()).unwrap_or_default();
    let mut bad_assignee = false;
    if let Some(sent) = differs("assignee_id", &current_assignee) {
        match sent.as_str() {
            "" => patch.assignee_id = Some(None),
            id => match id.parse() {
                Ok(id) => patch.assignee_id = Some(Some(id)),
                Err(_) => bad_assignee = true,
            },
        }
    }
    let nothing = patch.status.is_none()
        && patch.priority.is_none()
        && patch.ticket_type.is_none()
        && patch.assignee_id.is_none()
        && !bad_assignee;
    if nothing {
        return Ok(Redirect::to(&format!("/tickets/{}?notice=unchanged", ticket.id)).into_response());
    }
    let result = if bad_assignee {
        Err(AppError::invalid_field("assignee_id", "is not an agent"))
    } else {
        state.app.update_ticket(&user.actor, ticket.id, patch).await
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{}?notice=saved", ticket.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let update = FormState::from_post(&form).with_errors(fields);
            let forms = Forms { update, ..Forms::default() };
            ticket_page(&state, &user, &access.ticket, &access.account, None, forms).await
        }
        Err(other) => Err(other.into()),
    }
}
