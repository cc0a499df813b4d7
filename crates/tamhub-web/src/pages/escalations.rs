//! Escalating a ticket to engineering: the brief form, the escalation as the ticket page shows
//! it (brief, rubric score, time-to-engage), the engineering owner's acknowledgement and a
//! reviewer's score.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use tamhub_app::escalations::EscalationInput;
use tamhub_app::{AppError, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::escalations::{Escalation, EscalationBriefDraft, Evidence, Severity, rubric};
use tamhub_domain::ids::UserId;
use tamhub_domain::sla::display::duration;
use tamhub_domain::users::Role;
use tamhub_domain::validation::FieldErrors;

use super::clocks;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::ticket::{Forms, ticket_page};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageTicketAccess, PageUser};

/// The escalation on the ticket page.
pub struct EscalationView {
    pub team: String,
    pub owner: String,
    pub escalated_by: String,
    pub escalated_at: String,
    pub severity: String,
    pub summary: String,
    pub customer_impact: String,
    pub environment: String,
    pub reproduction_steps: String,
    pub logs: String,
    pub request_ids: Vec<String>,
    pub timestamps: Vec<String>,
    pub timeline: String,
    pub comms_plan: String,
    pub score: i64,
    pub rubric: Vec<(&'static str, bool)>,
    pub reviewer_score: Option<i64>,
    pub reviewer: String,
    pub reviewer_note: String,
    /// "Engaged after 12m (…)" or "Waiting for acknowledgement since … (2h)".
    pub engage: String,
    pub acknowledged: bool,
    pub can_acknowledge: bool,
    pub can_review: bool,
}

pub(super) fn escalation_view(
    e: &Escalation,
    user: &PageUser,
    account: &Account,
    names: &HashMap<UserId, String>,
    now: Timestamp,
) -> EscalationView {
    let name = |id: Option<UserId>, none: &str| {
        id.map(|id| names.get(&id).cloned().unwrap_or_else(|| "Someone".into())).unwrap_or_else(|| none.into())
    };
    let me = user.actor.user.id;
    let role = user.actor.user.role;
    let leads = matches!(role, Role::Admin | Role::Leadership);
    let engage = match (e.acknowledged_at, e.time_to_engage_seconds()) {
        (Some(at), Some(seconds)) => format!(
            "Engaged after {} — acknowledged by {} at {}",
            duration(seconds),
            name(e.acknowledged_by, "someone"),
            format::instant(at)
        ),
        _ => format!(
            "Waiting for acknowledgement since {} ({})",
            format::instant(e.escalated_at),
            clocks::relative(e.escalated_at, now)
        ),
    };
    let can_acknowledge = e.acknowledged_at.is_none()
        && match e.engineering_owner_id {
            Some(owner) => owner == me || leads,
            None => policy::can_work_tickets(role),
        };
    let f = &account.fields;
    let reviewer = leads || f.primary_tam_id == Some(me) || f.backup_tam_id == Some(me);
    EscalationView {
        team: e.engineering_team.clone(),
        owner: name(e.engineering_owner_id, "Not named"),
        escalated_by: name(e.escalated_by, "System"),
        escalated_at: format::instant(e.escalated_at),
        severity: e.brief.severity.label().to_string(),
        summary: e.brief.summary.clone(),
        customer_impact: e.brief.customer_impact.clone(),
        environment: e.brief.environment.clone(),
        reproduction_steps: e.brief.reproduction_steps.clone(),
        logs: e.brief.evidence.logs.clone(),
        request_ids: e.brief.evidence.request_ids.clone(),
        timestamps: e.brief.evidence.timestamps.clone(),
        timeline: e.brief.timeline.clone(),
        comms_plan: e.brief.comms_plan.clone(),
        score: e.completeness_score,
        rubric: rubric(&e.brief).into_iter().map(|c| (c.criterion, c.met)).collect(),
        reviewer_score: e.reviewer_score,
        reviewer: name(e.reviewer_id, ""),
        reviewer_note: e.reviewer_note.clone(),
        engage,
        acknowledged: e.acknowledged_at.is_some(),
        can_acknowledge,
        can_review: reviewer && e.escalated_by != Some(me),
    }
}

#[derive(Template)]
#[template(path = "tickets/escalate.html")]
struct EscalatePage {
    layout: Layout,
    id: String,
    number: i64,
    title: String,
    account_name: String,
    alert: Option<String>,
    form: FormState,
    severities: Vec<Opt>,
    owners: Vec<Opt>,
}

/// The inputs of the form, named as the app names the fields in its errors.
const BRIEF_FIELDS: [&str; 12] = [
    "brief.summary",
    "brief.customer_impact",
    "brief.severity",
    "brief.environment",
    "brief.reproduction_steps",
    "brief.evidence",
    "brief.evidence.logs",
    "brief.evidence.request_ids",
    "brief.evidence.timestamps",
    "brief.timeline",
    "brief.comms_plan",
    "engineering_team",
];

async fn escalate_page(
    state: &AppState,
    access: &PageTicketAccess,
    user: &PageUser,
    form: FormState,
) -> Result<EscalatePage, AppError> {
    let users = state.app.list_users(&user.actor, None, false).await?;
    let mut owners = vec![opt("", "— Nobody named yet —")];
    owners.extend(
        users
            .iter()
            .filter(|u| u.active && u.role.is_staff())
            .filter(|u| tamhub_app::Actor::new((*u).clone()).scope.contains(&access.account))
            .map(|u| opt(u.id.to_string(), format!("{} ({})", u.name, u.role.label()))),
    );
    let mut severities = vec![opt("", "— Choose —")];
    severities.extend(Severity::ALL.iter().map(|(s, n)| opt(*n, s.label())));
    let alert = (!form.errors.is_empty()).then(|| {
        let mut lines = vec!["The brief is incomplete: please correct the fields marked below.".to_string()];
        let mut shown = BRIEF_FIELDS.to_vec();
        shown.push("engineering_owner_id");
        lines.extend(form.unplaced_errors(&shown));
        lines.join(" ")
    });
    Ok(EscalatePage {
        layout: Layout::new(user, "/tickets"),
        id: access.ticket.id.to_string(),
        number: access.ticket.number,
        title: access.ticket.title.clone(),
        account_name: access.account.fields.name.clone(),
        alert,
        form,
        severities,
        owners,
    })
}

fn may_escalate(user: &PageUser) -> Result<(), AppError> {
    policy::require(policy::can_work_tickets(user.actor.user.role), "escalate tickets")
}

pub async fn form(State(state): State<AppState>, access: PageTicketAccess) -> PageResult {
    may_escalate(&access.user)?;
    if state.app.get_escalation(&access.user.actor, access.ticket.id).await?.is_some() {
        return Ok(Redirect::to(&format!("/tickets/{}", access.ticket.id)).into_response());
    }
    let user = access.user.clone();
    let mut values = FormState::default();
    values.set("brief.summary", access.ticket.title.clone());
    Ok(render(&escalate_page(&state, &access, &user, values).await?))
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn input_of(form: &FormData, errors: &mut FieldErrors) -> EscalationInput {
    let owner = form.get("engineering_owner_id").trim();
    EscalationInput {
        brief: EscalationBriefDraft {
            summary: form.get("brief.summary").into(),
            customer_impact: form.get("brief.customer_impact").into(),
            severity: form.get("brief.severity").into(),
            environment: form.get("brief.environment").into(),
            reproduction_steps: form.get("brief.reproduction_steps").into(),
            evidence: Evidence {
                logs: form.get("brief.evidence.logs").into(),
                request_ids: lines(form.get("brief.evidence.request_ids")),
                timestamps: lines(form.get("brief.evidence.timestamps")),
            },
            timeline: form.get("brief.timeline").into(),
            comms_plan: form.get("brief.comms_plan").into(),
        },
        engineering_team: form.get("engineering_team").into(),
        engineering_owner_id: if owner.is_empty() {
            None
        } else {
            owner.parse().map_err(|_| errors.add("engineering_owner_id", "is not a staff user")).ok()
        },
    }
}

pub async fn escalate(
    State(state): State<AppState>,
    access: PageTicketAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    may_escalate(&user)?;
    let mut errors = FieldErrors::new();
    let input = input_of(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.escalate_ticket(&user.actor, access.ticket.id, input).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{}?notice=escalated", access.ticket.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(fields);
            Ok(unprocessable(&escalate_page(&state, &access, &user, values).await?))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn acknowledge(
    State(state): State<AppState>,
    access: PageTicketAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    state.app.acknowledge_escalation(&user.actor, access.ticket.id).await?;
    Ok(Redirect::to(&format!("/tickets/{}?notice=acknowledged", access.ticket.id)).into_response())
}

pub async fn review(
    State(state): State<AppState>,
    access: PageTicketAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let score = form.get("score").trim();
    let result = match score.parse::<i64>() {
        Ok(score) => state.app.review_escalation(&user.actor, access.ticket.id, score, form.get("note")).await,
        Err(_) => Err(AppError::invalid_field("score", "must be a whole number from 1 to 5")),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{}?notice=reviewed", access.ticket.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let review = FormState::from_post(&form).with_errors(fields);
            let forms = Forms { review, ..Forms::default() };
            ticket_page(&state, &user, &access.ticket, &access.account, None, forms).await
        }
        Err(other) => Err(other.into()),
    }
}
