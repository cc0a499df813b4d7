//! The forms of an incident's page. Each turns a post into `IncidentCommand`s; success redirects
//! back with a notice, a refusal renders the page again with status 422, the input as typed and
//! the error beside the field the domain names (`what_we_are_doing`, `milestones.resolved_at`,
//! `roles.incident_commander`, …).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use tamhub_app::incidents::IncidentCommand;
use tamhub_app::{AppError, StatusFilter, TicketQuery, policy};
use tamhub_domain::ids::{IncidentId, TicketId};
use tamhub_domain::incidents::{CustomerUpdate, ImpactWindow, Incident, IncidentRole, Milestone, Visibility};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::validation::{FieldErrors, parse_choice};

use super::PageResult;
use super::forms::FormState;
use super::incident::{Returned, Which, incident_page};
use super::incidents::{parse_utc, utc_input};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageIncidentAccess, PageUser};

/// The commands a post asks for, or what is wrong with it before the domain sees it.
type Commands = Result<Vec<IncidentCommand>, FieldErrors>;

/// Runs the commands together, all or none (each is its own timeline entry), and answers the
/// post: back to the page with a notice, or the page again with the form as posted and its errors.
async fn apply(
    state: &AppState,
    access: &PageIncidentAccess,
    user: &PageUser,
    form: &FormData,
    which: Which,
    commands: Commands,
) -> PageResult {
    let id = access.view.incident.id;
    let commands = match commands {
        Ok(commands) => commands,
        Err(errors) => return refused(state, user, id, form, which, errors).await,
    };
    if commands.is_empty() {
        return Ok(Redirect::to(&format!("/incidents/{id}?notice=unchanged")).into_response());
    }
    match state.app.change_incident_many(&user.actor, id, commands).await {
        Ok(_) => {}
        Err(AppError::Invalid { fields, .. }) => return refused(state, user, id, form, which, fields).await,
        Err(other) => return Err(other.into()),
    }
    let target = format!("/incidents/{id}?notice={}{}", which.notice(), which.anchor());
    Ok(Redirect::to(&target).into_response())
}

async fn refused(
    state: &AppState,
    user: &PageUser,
    id: IncidentId,
    form: &FormData,
    which: Which,
    errors: FieldErrors,
) -> PageResult {
    let view = state.app.get_incident(&user.actor, id).await?;
    let returned = Returned { which, form: FormState::from_post(form).with_errors(errors) };
    incident_page(state, user, &view, None, returned).await
}

/// PAMs and customers read incidents; a post from them is refused before anything is parsed.
fn require_worker(user: &PageUser) -> Result<(), AppError> {
    if policy::can_work_incidents(user.actor.user.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden("your role may read incidents but not change them".into()))
    }
}

pub async fn change_status(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = Ok(vec![IncidentCommand::Status { to: form.get("status").trim().to_string() }]);
    apply(&state, &access, &user, &form, Which::Status, commands).await
}

pub async fn change_severity(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = Ok(vec![IncidentCommand::Severity { to: form.get("severity").trim().to_string() }]);
    apply(&state, &access, &user, &form, Which::Severity, commands).await
}

/// One select per role (`roles.incident_commander`, …): every role whose holder differs from
/// the posted one is (re)assigned or cleared, the incident lead first.
fn role_commands(incident: &Incident, form: &FormData) -> Commands {
    let mut errors = FieldErrors::new();
    let mut commands = Vec::new();
    for (role, name) in IncidentRole::ALL {
        let field = format!("roles.{name}");
        if !form.0.iter().any(|(k, _)| *k == field) {
            continue;
        }
        let sent = form.get(&field).trim();
        let current = incident.holder(role).map(|u| u.to_string()).unwrap_or_default();
        if sent == current {
            continue;
        }
        let user_id = match sent {
            "" => None,
            id => match id.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(&field, "is not a user");
                    continue;
                }
            },
        };
        commands.push(IncidentCommand::Role { role: name.to_string(), user_id });
    }
    errors.into_result().map(|()| commands)
}

pub async fn assign_roles(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = role_commands(&access.view.incident, &form);
    apply(&state, &access, &user, &form, Which::Roles, commands).await
}

/// One `datetime-local` input per milestone (`milestones.detected_at`, …, in UTC) and one
/// reason: every milestone whose minute differs from the posted one is corrected; an emptied
/// input clears it.
fn milestone_commands(incident: &Incident, form: &FormData) -> Commands {
    let mut errors = FieldErrors::new();
    let mut edits = Vec::new();
    let reason = form.get("reason").to_string();
    for (m, name) in Milestone::ALL {
        let field = format!("milestones.{name}");
        if !form.0.iter().any(|(k, _)| *k == field) {
            continue;
        }
        let sent = form.get(&field).trim();
        let current = incident.milestones.get(m).map(utc_input).unwrap_or_default();
        if sent == current {
            continue;
        }
        let at = parse_utc(&mut errors, &field, sent);
        if at.is_none() && !sent.is_empty() {
            continue;
        }
        edits.push((name.to_string(), at));
    }
    errors.into_result()?;
    // Corrected together, so I1-I4 are judged on the result (not edit by edit).
    Ok(if edits.is_empty() { Vec::new() } else { vec![IncidentCommand::Milestones { edits, reason }] })
}

pub async fn edit_milestones(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = milestone_commands(&access.view.incident, &form);
    apply(&state, &access, &user, &form, Which::Milestones, commands).await
}

/// The windows as the form's text: one per line, start and end in UTC.
pub(super) fn windows_text(windows: &[ImpactWindow]) -> String {
    windows.iter().map(|w| format!("{} {}", utc_input(w.start), utc_input(w.end))).collect::<Vec<_>>().join("\n")
}

/// One window per line: two UTC times such as `2026-03-02T09:40 2026-03-02T10:25`.
fn impact_command(form: &FormData) -> Commands {
    let mut errors = FieldErrors::new();
    let mut windows = Vec::new();
    for (i, line) in form.get("windows").lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let times: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '→')
            .filter(|t| !t.is_empty() && *t != "-" && *t != "to")
            .collect();
        let field = format!("windows[{i}]");
        match times.as_slice() {
            [start, end] => {
                let (start, end) = (parse_utc(&mut errors, &field, start), parse_utc(&mut errors, &field, end));
                if let (Some(start), Some(end)) = (start, end) {
                    windows.push(ImpactWindow { start, end });
                }
            }
            _ => errors.add(&field, "must be a start and an end such as 2026-03-02T09:40 2026-03-02T10:25"),
        }
    }
    errors.into_result()?;
    Ok(vec![IncidentCommand::ImpactWindows { windows, reason: form.get("reason").to_string() }])
}

pub async fn set_impact_windows(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    apply(&state, &access, &user, &form, Which::Impact, impact_command(&form)).await
}

pub async fn acknowledge(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    apply(&state, &access, &user, &form, Which::Acknowledge, Ok(vec![IncidentCommand::Acknowledge])).await
}

/// The four parts of a customer update, public or internal, and when the next one comes.
fn update_command(form: &FormData) -> Commands {
    let mut errors = FieldErrors::new();
    let visibility = match form.get("visibility").trim() {
        "" => Some(Visibility::Public),
        v => parse_choice(&mut errors, "visibility", v, &Visibility::ALL),
    };
    let next_update_at = parse_utc(&mut errors, "next_update_at", form.get("next_update_at"));
    errors.into_result()?;
    let update = CustomerUpdate {
        visibility: visibility.unwrap_or(Visibility::Public),
        what_we_know: form.get("what_we_know").to_string(),
        what_we_dont_know: form.get("what_we_dont_know").to_string(),
        what_we_are_doing: form.get("what_we_are_doing").to_string(),
        next_update_at,
    };
    Ok(vec![IncidentCommand::Update(update)])
}

pub async fn post_update(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = update_command(&form);
    apply(&state, &access, &user, &form, Which::Update, commands).await
}

pub async fn add_note(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = Ok(vec![IncidentCommand::Note { text: form.get("text").to_string() }]);
    apply(&state, &access, &user, &form, Which::Note, commands).await
}

/// A ticket by its number ("#42", "42") or its id, among the tickets the user can see.
async fn find_ticket(state: &AppState, user: &PageUser, text: &str) -> Result<Result<TicketId, FieldErrors>, AppError> {
    let text = text.trim();
    let refuse = |message: String| Ok(Err(FieldErrors::single("ticket_id", message)));
    if text.is_empty() {
        return refuse("must not be empty".into());
    }
    if let Ok(id) = text.parse::<TicketId>() {
        return Ok(Ok(id));
    }
    let Ok(number) = text.trim_start_matches('#').parse::<i64>() else {
        return refuse("must be a ticket number such as #42, or a ticket id".into());
    };
    let query =
        TicketQuery { number: Some(number), status: StatusFilter::All, ..TicketQuery::in_scope(AccountScope::Nothing) };
    match state.app.list_tickets(&user.actor, query).await?.items.first() {
        Some(item) => Ok(Ok(item.ticket.id)),
        None => refuse(format!("no ticket #{number} you can see")),
    }
}

pub async fn link_ticket(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let commands = find_ticket(&state, &user, form.get("ticket_id"))
        .await?
        .map(|ticket_id| vec![IncidentCommand::LinkTicket { ticket_id }]);
    apply(&state, &access, &user, &form, Which::Ticket, commands).await
}
