//! `/api/v1/tickets`: tickets, their event log, SLA cycles and escalation, scoped to the caller.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::escalations::EscalationInput;
use tamhub_app::tickets::EventInput;
use tamhub_app::{AppError, StatusFilter, TicketQuery, TicketSort};
use tamhub_domain::Timestamp;
use tamhub_domain::escalations::{Escalation, EscalationBrief, EscalationBriefDraft, RubricCheck, rubric};
use tamhub_domain::ids::{AccountId, TicketId, UserId};
use tamhub_domain::notifications::{AlertKind, SlaAlert};
use tamhub_domain::sla::display::{Badge, DEFAULT_AMBER_WINDOW_SECONDS, badge, headline};
use tamhub_domain::sla::engine::{CycleRecord, CycleState, WarningKind};
use tamhub_domain::sla::model::{Hours, Metric};
use tamhub_domain::tickets::{
    Priority, Status, Ticket, TicketDraft, TicketEvent, TicketEventKind, TicketPatch, TicketType,
};
use tamhub_domain::validation::{FieldErrors, parse_choice};
use utoipa::{IntoParams, ToSchema};

use super::json::{ApiJson, ApiQuery, nullable, present};
use super::pagination::{decode_cursor, given, list_params, next_cursor, parse_limit};
use crate::AppState;
use crate::auth::{ApiActor, ApiTicketAccess};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct TicketOut {
    pub id: TicketId,
    /// Human-friendly number (#1042).
    pub number: i64,
    pub account_id: AccountId,
    pub title: String,
    pub description: String,
    pub priority: Priority,
    pub status: Status,
    pub ticket_type: TicketType,
    pub assignee_id: Option<UserId>,
    pub requester_id: Option<UserId>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Ticket> for TicketOut {
    fn from(t: Ticket) -> Self {
        TicketOut {
            id: t.id,
            number: t.number,
            account_id: t.account_id,
            title: t.title,
            description: t.description,
            priority: t.priority,
            status: t.status,
            ticket_type: t.ticket_type,
            assignee_id: t.assignee_id,
            requester_id: t.requester_id,
            created_by: t.created_by,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

fn instant(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[derive(Serialize, ToSchema)]
pub struct WarningOut {
    /// `percent` (threshold in %) or `remaining` (threshold in seconds).
    pub kind: WarningKind,
    pub threshold: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// One SLA cycle: the output record of SLA-SPEC section 1.9, instants in RFC 3339.
#[derive(Serialize, ToSchema)]
pub struct CycleOut {
    pub metric: Metric,
    pub cycle_no: u32,
    pub policy_id: Option<String>,
    pub priority: String,
    pub target_seconds: i64,
    pub hours: Hours,
    /// The calendar business time counts in; "24x7" for calendar hours.
    pub calendar_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    pub state: CycleState,
    pub breached: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub breached_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub elapsed_seconds: i64,
    pub remaining_business_seconds: i64,
    pub remaining_calendar_seconds: Option<i64>,
    pub paused_seconds_calendar: i64,
    pub warnings: Vec<WarningOut>,
    /// R-W5 badge colour of an open cycle: green, amber, red or grey (paused); null once ended.
    pub badge: Option<Badge>,
}

impl From<&CycleRecord> for CycleOut {
    fn from(c: &CycleRecord) -> Self {
        CycleOut {
            metric: c.metric,
            cycle_no: c.cycle_no,
            policy_id: c.policy_id.clone(),
            priority: c.priority.clone(),
            target_seconds: c.target_seconds,
            hours: c.hours,
            calendar_id: c.calendar_id.clone(),
            started_at: instant(c.started_at),
            stopped_at: c.stopped_at.map(instant),
            state: c.state,
            breached: c.breached,
            breached_at: c.breached_at.map(instant),
            due_at: c.due_at.map(instant),
            elapsed_seconds: c.elapsed_seconds,
            remaining_business_seconds: c.remaining_business_seconds,
            remaining_calendar_seconds: c.remaining_calendar_seconds,
            paused_seconds_calendar: c.paused_seconds_calendar,
            warnings: c
                .warnings
                .iter()
                .map(|w| WarningOut { kind: w.kind, threshold: w.threshold, at: instant(w.at) })
                .collect(),
            badge: badge(c, DEFAULT_AMBER_WINDOW_SECONDS),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketSlaOut {
    pub ticket_id: TicketId,
    /// The instant the cycles were evaluated at (now).
    #[schema(value_type = String, format = DateTime)]
    pub evaluated_at: Timestamp,
    /// Every cycle of every metric, by metric name then cycle number.
    pub cycles: Vec<CycleOut>,
}

/// The clock a queue shows for a ticket (the open cycle needing attention first).
#[derive(Serialize, ToSchema)]
pub struct SlaSummaryOut {
    pub metric: Metric,
    pub badge: Badge,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub remaining_business_seconds: i64,
    pub remaining_calendar_seconds: Option<i64>,
}

impl SlaSummaryOut {
    pub fn of(cycles: &[CycleRecord]) -> Option<SlaSummaryOut> {
        let c = headline(cycles)?;
        Some(SlaSummaryOut {
            metric: c.metric,
            badge: badge(c, DEFAULT_AMBER_WINDOW_SECONDS)?,
            due_at: c.due_at.map(instant),
            remaining_business_seconds: c.remaining_business_seconds,
            remaining_calendar_seconds: c.remaining_calendar_seconds,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketListItemOut {
    #[serde(flatten)]
    pub ticket: TicketOut,
    pub account_name: String,
    /// The most urgent running or paused SLA clock; null when none runs.
    pub sla: Option<SlaSummaryOut>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketList {
    pub items: Vec<TicketListItemOut>,
    pub next_cursor: Option<String>,
    /// Tickets matching the filters in the caller's scope.
    pub total: u64,
}

#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct TicketListParams {
    pub account_id: Option<String>,
    /// A user id, or `me`.
    pub assignee: Option<String>,
    /// `true`: only tickets nobody is assigned to.
    pub unassigned: Option<String>,
    /// `open` (default: not solved or closed), `done` (solved or closed), `all`, or one status.
    pub status: Option<String>,
    pub priority: Option<String>,
    /// Text contained in the title.
    pub q: Option<String>,
    /// due (default: what breaches next first), updated_at, created_at, priority, number; `-` for descending.
    pub sort: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl TicketListParams {
    /// A query for the store (its scope is set by the app from the actor).
    pub fn to_query(&self, me: UserId) -> Result<TicketQuery, AppError> {
        let mut errors = FieldErrors::new();
        let mut query = TicketQuery::in_scope(tamhub_domain::scope::AccountScope::Nothing);
        if let Some(account) = given(&self.account_id) {
            match account.parse::<AccountId>() {
                Ok(id) => query.account_id = Some(id),
                Err(_) => errors.add("account_id", "must be an account id"),
            }
        }
        if let Some(assignee) = given(&self.assignee) {
            match assignee.as_str() {
                "me" => query.assignee = Some(me),
                other => match other.parse::<UserId>() {
                    Ok(id) => query.assignee = Some(id),
                    Err(_) => errors.add("assignee", "must be a user id or me"),
                },
            }
        }
        match given(&self.unassigned).as_deref() {
            None | Some("false") => {}
            Some("true") => query.unassigned = true,
            Some(_) => errors.add("unassigned", "must be true or false"),
        }
        if let Some(status) = given(&self.status) {
            query.status = match status.as_str() {
                "open" => StatusFilter::Open,
                "done" => StatusFilter::Done,
                "all" => StatusFilter::All,
                other => match Status::parse(other) {
                    Some(s) => StatusFilter::Only(s),
                    None => {
                        errors.add("status", "must be open, done, all, new, pending, on_hold, solved or closed");
                        StatusFilter::Open
                    }
                },
            };
        }
        if let Some(priority) = given(&self.priority) {
            query.priority = parse_choice(&mut errors, "priority", &priority, &Priority::ALL);
        }
        let basics = list_params(
            &mut errors,
            &self.q,
            &self.sort,
            self.limit.as_deref(),
            self.cursor.as_deref(),
            &TicketSort::ALL,
        );
        query.text = basics.text;
        query.sort = basics.sort;
        query.descending = basics.descending;
        query.limit = basics.limit;
        query.offset = basics.offset;
        errors.into_result()?;
        Ok(query)
    }
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketListParams),
    responses((status = 200, body = TicketList), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<TicketListParams>,
) -> ApiResult<axum::Json<TicketList>> {
    let query = params.to_query(actor.user.id)?;
    let (offset, limit) = (query.offset, query.limit);
    let page = state.app.list_tickets(&actor, query).await?;
    let tickets: Vec<Ticket> = page.items.iter().map(|i| i.ticket.clone()).collect();
    let slas = state.app.tickets_sla(&tickets).await?;
    let next_cursor = next_cursor(offset, page.items.len(), limit, page.total);
    let items = page
        .items
        .into_iter()
        .map(|item| TicketListItemOut {
            sla: slas.get(&item.ticket.id).and_then(|c| SlaSummaryOut::of(c)),
            account_name: item.account_name,
            ticket: item.ticket.into(),
        })
        .collect();
    Ok(axum::Json(TicketList { items, next_cursor, total: page.total }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    /// Required for staff; a customer contact's own account by default.
    pub account_id: Option<AccountId>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// critical, high, medium, low
    pub priority: String,
    /// question (default), incident, problem, task
    #[serde(default)]
    pub ticket_type: String,
    pub assignee_id: Option<UserId>,
    /// The customer contact who asked.
    pub requester_id: Option<UserId>,
    /// Agents only: whether the description is visible to the customer (default true).
    pub public: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = TicketIn,
    responses((status = 201, body = TicketOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TicketIn>,
) -> ApiResult<impl IntoResponse> {
    let draft = TicketDraft {
        account_id: input.account_id,
        title: input.title,
        description: input.description,
        priority: input.priority,
        ticket_type: input.ticket_type,
        assignee_id: input.assignee_id,
        requester_id: input.requester_id,
        public: input.public.unwrap_or(true),
    };
    let ticket = state.app.create_ticket(&actor, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(TicketOut::from(ticket))))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = TicketOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(access: ApiTicketAccess) -> axum::Json<TicketOut> {
    axum::Json(access.ticket.into())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TicketPatchIn {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub ticket_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<UserId>)]
    pub assignee_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<UserId>)]
    pub requester_id: Option<Option<UserId>>,
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", request_body = TicketPatchIn,
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = TicketOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    access: ApiTicketAccess,
    ApiJson(input): ApiJson<TicketPatchIn>,
) -> ApiResult<axum::Json<TicketOut>> {
    let patch = TicketPatch {
        title: input.title,
        description: input.description,
        priority: input.priority,
        status: input.status,
        ticket_type: input.ticket_type,
        assignee_id: input.assignee_id,
        requester_id: input.requester_id,
    };
    Ok(axum::Json(state.app.update_ticket(&access.actor, access.ticket.id, patch).await?.into()))
}

/// One entry of the append-only log; the other fields depend on `kind`.
#[derive(Serialize, ToSchema)]
pub struct TicketEventOut {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    /// created, comment, status_changed, priority_changed, assignee_changed, type_changed,
    /// policy_inputs_changed, escalated, escalation_acknowledged; and the fields of that kind.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub kind: TicketEventKind,
}

impl From<TicketEvent> for TicketEventOut {
    fn from(e: TicketEvent) -> Self {
        TicketEventOut { seq: e.seq, at: e.at, actor_id: e.actor_id, kind: e.kind }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketEventList {
    pub items: Vec<TicketEventOut>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventListParams {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id"), EventListParams),
    responses((status = 200, body = TicketEventList), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    access: ApiTicketAccess,
    ApiQuery(params): ApiQuery<EventListParams>,
) -> ApiResult<axum::Json<TicketEventList>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let offset = decode_cursor(params.cursor.as_deref())?;
    let all = state.app.ticket_events(&access.actor, access.ticket.id).await?;
    let total = all.len() as u64;
    let items: Vec<TicketEventOut> =
        all.into_iter().skip(offset.min(usize::MAX as u64) as usize).take(limit as usize).map(Into::into).collect();
    let next_cursor = next_cursor(offset, items.len(), limit, total);
    Ok(axum::Json(TicketEventList { items, next_cursor }))
}

/// A new log entry: a comment (optionally with a status change, e.g. reply and set pending), a
/// status change or a priority change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketEventIn {
    /// comment, status_changed or priority_changed
    pub kind: String,
    /// comment: the text.
    pub body: Option<String>,
    /// comment: visible to the customer (default true); agents may post private notes.
    pub public: Option<bool>,
    /// comment: a status to set with it. status_changed / priority_changed: the new value in `to`.
    pub status: Option<String>,
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketEventsCreated {
    /// The ticket after the change.
    pub ticket: TicketOut,
    /// The entries appended (a customer's reply can also reopen the ticket).
    pub events: Vec<TicketEventOut>,
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/events", tag = "tickets", request_body = TicketEventIn,
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 201, body = TicketEventsCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_event(
    State(state): State<AppState>,
    access: ApiTicketAccess,
    ApiJson(input): ApiJson<TicketEventIn>,
) -> ApiResult<impl IntoResponse> {
    let required =
        |value: Option<String>, field: &str| value.ok_or_else(|| AppError::invalid_field(field, "is required"));
    let event = match input.kind.as_str() {
        "comment" => EventInput::Comment {
            body: required(input.body, "body")?,
            public: input.public.unwrap_or(true),
            status: input.status,
        },
        "status_changed" => EventInput::StatusChanged { to: required(input.to, "to")? },
        "priority_changed" => EventInput::PriorityChanged { to: required(input.to, "to")? },
        _ => return Err(AppError::invalid_field("kind", "must be comment, status_changed or priority_changed").into()),
    };
    let (ticket, events) = state.app.add_ticket_event(&access.actor, access.ticket.id, event).await?;
    let events = events.into_iter().map(Into::into).collect();
    Ok((StatusCode::CREATED, axum::Json(TicketEventsCreated { ticket: ticket.into(), events })))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = TicketSlaOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn sla(State(state): State<AppState>, access: ApiTicketAccess) -> ApiResult<axum::Json<TicketSlaOut>> {
    let (sla, now) = state.app.ticket_sla(&access.actor, access.ticket.id).await?;
    Ok(axum::Json(TicketSlaOut {
        ticket_id: access.ticket.id,
        evaluated_at: now,
        cycles: sla.cycles.iter().map(CycleOut::from).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SlaAlertOut {
    pub metric: Metric,
    pub cycle_no: u32,
    /// warning_percent, warning_remaining or breach
    pub kind: AlertKind,
    /// Percent or seconds; 0 for a breach.
    pub threshold: i64,
    /// When the threshold was crossed.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<SlaAlert> for SlaAlertOut {
    fn from(a: SlaAlert) -> Self {
        SlaAlertOut { metric: a.metric, cycle_no: a.cycle_no, kind: a.kind, threshold: a.threshold, at: a.at }
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla/alerts", tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = Vec<SlaAlertOut>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn alerts(State(state): State<AppState>, access: ApiTicketAccess) -> ApiResult<axum::Json<Vec<SlaAlertOut>>> {
    let alerts = state.app.ticket_alerts(&access.actor, access.ticket.id).await?;
    Ok(axum::Json(alerts.into_iter().map(Into::into).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct EscalationOut {
    pub id: String,
    pub ticket_id: TicketId,
    #[schema(value_type = Object)]
    pub brief: EscalationBrief,
    pub engineering_team: String,
    pub engineering_owner_id: Option<UserId>,
    pub escalated_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub escalated_at: Timestamp,
    pub acknowledged_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    /// Seconds from escalation to the engineering owner's acknowledgement.
    pub time_to_engage_seconds: Option<i64>,
    /// 1-5, computed from the rubric when the brief was filed.
    pub completeness_score: i64,
    pub rubric: Vec<RubricCheck>,
    /// 1-5, a reviewer's own score.
    pub reviewer_score: Option<i64>,
    pub reviewer_id: Option<UserId>,
    pub reviewer_note: String,
    /// The reviewer's score where given, else the computed one.
    pub quality_score: i64,
}

impl From<Escalation> for EscalationOut {
    fn from(e: Escalation) -> Self {
        EscalationOut {
            id: e.id.to_string(),
            ticket_id: e.ticket_id,
            time_to_engage_seconds: e.time_to_engage_seconds(),
            quality_score: e.quality_score(),
            rubric: rubric(&e.brief),
            brief: e.brief,
            engineering_team: e.engineering_team,
            engineering_owner_id: e.engineering_owner_id,
            escalated_by: e.escalated_by,
            escalated_at: e.escalated_at,
            acknowledged_by: e.acknowledged_by,
            acknowledged_at: e.acknowledged_at,
            completeness_score: e.completeness_score,
            reviewer_score: e.reviewer_score,
            reviewer_id: e.reviewer_id,
            reviewer_note: e.reviewer_note,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/escalation", tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = EscalationOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn escalation(
    State(state): State<AppState>,
    access: ApiTicketAccess,
) -> ApiResult<axum::Json<EscalationOut>> {
    let found = state.app.get_escalation(&access.actor, access.ticket.id).await?;
    Ok(axum::Json(found.ok_or(AppError::NotFound)?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationIn {
    pub brief: EscalationBriefDraft,
    /// The engineering team escalated to.
    pub engineering_team: String,
    /// The engineer who owns it there and acknowledges it.
    pub engineering_owner_id: Option<UserId>,
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/escalation", tag = "tickets", request_body = EscalationIn,
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 201, body = EscalationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn escalate(
    State(state): State<AppState>,
    access: ApiTicketAccess,
    ApiJson(input): ApiJson<EscalationIn>,
) -> ApiResult<impl IntoResponse> {
    let input = EscalationInput {
        brief: input.brief,
        engineering_team: input.engineering_team,
        engineering_owner_id: input.engineering_owner_id,
    };
    let escalation = state.app.escalate_ticket(&access.actor, access.ticket.id, input).await?;
    Ok((StatusCode::CREATED, axum::Json(EscalationOut::from(escalation))))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/escalation/acknowledge", tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = EscalationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    access: ApiTicketAccess,
) -> ApiResult<axum::Json<EscalationOut>> {
    Ok(axum::Json(state.app.acknowledge_escalation(&access.actor, access.ticket.id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    /// 1-5
    pub score: i64,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/escalation/review", tag = "tickets", request_body = ReviewIn,
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, body = EscalationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn review(
    State(state): State<AppState>,
    access: ApiTicketAccess,
    ApiJson(input): ApiJson<ReviewIn>,
) -> ApiResult<axum::Json<EscalationOut>> {
    Ok(axum::Json(state.app.review_escalation(&access.actor, access.ticket.id, input.score, &input.note).await?.into()))
}
