//! `/api/v1/incidents`: incidents, their timeline, status moves, severity, roles, milestones,
//! customer updates, notes and linked tickets, scoped to the caller (SLA-SPEC section 2).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::incidents::{IncidentCommand, IncidentView};
use tamhub_app::postmortems::{ReviewCommand, ReviewView};
use tamhub_app::{AppError, IncidentQuery};
use tamhub_domain::ids::{AccountId, IncidentId, TicketId, UserId};
use tamhub_domain::incident_metrics::MetricSummary;
use tamhub_domain::incidents::{
    CustomerUpdate, ImpactWindow, IncidentDraft, IncidentRole, IncidentStatus, Milestones, Severity, TimelineEntry,
    TimelineKind, Visibility,
};
use tamhub_domain::postmortems::{Approval, ReviewContent};
use tamhub_domain::sla::display::{Badge, DEFAULT_AMBER_WINDOW_SECONDS, badge};
use tamhub_domain::sla::engine::CycleState;
use tamhub_domain::validation::{FieldErrors, parse_choice};
use tamhub_domain::{Date, Timestamp};
use utoipa::{IntoParams, ToSchema};

use super::json::{ApiJson, ApiQuery};
use super::pagination::{decode_cursor, given, next_cursor, parse_limit};
use crate::AppState;
use crate::auth::{ApiActor, ApiIncidentAccess};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct ImpactedAccountOut {
    pub id: AccountId,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoleOut {
    pub role: IncidentRole,
    pub user_id: UserId,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentOut {
    pub id: IncidentId,
    /// Human-friendly number: INC-<number>.
    pub number: i64,
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    /// The most severe level the incident ever had.
    pub max_severity: Severity,
    pub status: IncidentStatus,
    /// The statuses the incident may move to now (section 2.2).
    pub next_statuses: Vec<IncidentStatus>,
    /// The impacted accounts the caller may see.
    pub impacted_accounts: Vec<ImpactedAccountOut>,
    /// Impacted accounts outside the caller's scope, counted but not named.
    pub other_impacted_accounts: usize,
    pub impacted_services: Vec<String>,
    pub linked_ticket_ids: Vec<TicketId>,
    pub roles: Vec<RoleOut>,
    pub milestones: Milestones,
    /// When customers were affected, if recorded: customer impact is their union.
    pub impact_windows: Vec<ImpactWindow>,
    pub reopen_count: i64,
    /// When the next customer update is due (R-I1); null when none is required now.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_due_at: Option<Timestamp>,
    pub test: bool,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<IncidentView> for IncidentOut {
    fn from(view: IncidentView) -> Self {
        let i = view.incident;
        IncidentOut {
            id: i.id,
            number: i.number,
            title: i.title,
            summary: i.summary,
            severity: i.severity,
            max_severity: i.max_severity,
            next_statuses: i.status.next_statuses(),
            status: i.status,
            impacted_accounts: view.accounts.into_iter().map(|(id, name)| ImpactedAccountOut { id, name }).collect(),
            other_impacted_accounts: view.other_accounts,
            impacted_services: i.impacted_services,
            linked_ticket_ids: i.linked_ticket_ids,
            roles: i.roles.into_iter().map(|(role, user_id)| RoleOut { role, user_id }).collect(),
            milestones: i.milestones,
            impact_windows: i.impact_windows,
            reopen_count: i.reopen_count,
            next_update_due_at: view.cadence.update_due_at,
            test: i.test,
            created_by: i.created_by,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct IncidentList {
    /// Most recently declared first.
    pub items: Vec<IncidentOut>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct IncidentListParams {
    pub account_id: Option<String>,
    /// `live` (triage to monitoring), `all` (default), or one status.
    pub status: Option<String>,
    /// P0, P1, P2 or P3.
    pub severity: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl IncidentListParams {
    fn to_query(&self) -> Result<IncidentQuery, AppError> {
        let mut errors = FieldErrors::new();
        let mut query = IncidentQuery::in_scope(tamhub_domain::scope::AccountScope::Nothing);
        if let Some(account) = given(&self.account_id) {
            match account.parse::<AccountId>() {
                Ok(id) => query.account_id = Some(id),
                Err(_) => errors.add("account_id", "must be an account id"),
            }
        }
        match given(&self.status).as_deref() {
            None | Some("all") => {}
            Some("live") => {
                query.statuses = IncidentStatus::ALL.iter().map(|(s, _)| *s).filter(|s| s.is_live()).collect()
            }
            Some(other) => match IncidentStatus::parse(other) {
                Some(status) => query.statuses = vec![status],
                None => errors.add("status", "must be live, all or a status (triage, investigating, …, canceled)"),
            },
        }
        if let Some(severity) = given(&self.severity) {
            query.severity = parse_choice(&mut errors, "severity", &severity, &Severity::ALL);
        }
        errors.into_result()?;
        query.limit = parse_limit(self.limit.as_deref())?;
        query.offset = decode_cursor(self.cursor.as_deref())?;
        Ok(query)
    }
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentListParams),
    responses((status = 200, body = IncidentList), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<IncidentListParams>,
) -> ApiResult<axum::Json<IncidentList>> {
    let query = params.to_query()?;
    let (offset, limit) = (query.offset, query.limit);
    let (views, total) = state.app.list_incidents(&actor, query).await?;
    let next_cursor = next_cursor(offset, views.len(), limit, total);
    Ok(axum::Json(IncidentList { items: views.into_iter().map(Into::into).collect(), next_cursor, total }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// P0, P1, P2 or P3.
    pub severity: String,
    #[serde(default)]
    pub impacted_account_ids: Vec<AccountId>,
    #[serde(default)]
    pub impacted_services: Vec<String>,
    /// The incident lead; required for P0 and P1.
    pub incident_commander_id: Option<UserId>,
    pub comms_lead_id: Option<UserId>,
    /// When customers started to be affected, if before now.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub impact_started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected_at: Option<Timestamp>,
    /// A test incident: kept out of metrics.
    #[serde(default)]
    pub test: bool,
}

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = IncidentIn,
    responses((status = 201, body = IncidentOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<IncidentIn>,
) -> ApiResult<impl IntoResponse> {
    let draft = IncidentDraft {
        title: input.title,
        summary: input.summary,
        severity: input.severity,
        impacted_account_ids: input.impacted_account_ids,
        impacted_services: input.impacted_services,
        incident_commander_id: input.incident_commander_id,
        comms_lead_id: input.comms_lead_id,
        impact_started_at: input.impact_started_at,
        detected_at: input.detected_at,
        test: input.test,
    };
    let incident = state.app.declare_incident(&actor, draft).await?;
    let view = state.app.get_incident(&actor, incident.id).await?;
    Ok((StatusCode::CREATED, axum::Json(IncidentOut::from(view))))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = IncidentOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(access: ApiIncidentAccess) -> axum::Json<IncidentOut> {
    axum::Json(access.view.into())
}

/// One timeline entry; the other fields depend on `kind`.
#[derive(Serialize, ToSchema)]
pub struct TimelineEntryOut {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    /// declared, status_changed, severity_changed, role_assigned, update_posted,
    /// milestone_edited, acknowledged, note, ticket_linked, accounts_changed; and its fields.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub kind: TimelineKind,
}

impl From<TimelineEntry> for TimelineEntryOut {
    fn from(e: TimelineEntry) -> Self {
        TimelineEntryOut { seq: e.seq, at: e.at, actor_id: e.actor_id, kind: e.kind }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TimelineList {
    /// Oldest first. Customer contacts get the status moves and the public updates.
    pub items: Vec<TimelineEntryOut>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = TimelineList), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn timeline(State(state): State<AppState>, access: ApiIncidentAccess) -> ApiResult<axum::Json<TimelineList>> {
    let entries = state.app.incident_timeline(&access.actor, access.view.incident.id).await?;
    Ok(axum::Json(TimelineList { items: entries.into_iter().map(Into::into).collect() }))
}

/// One cycle of the customer-update cadence (R-I1): the section 1.9 record of metric
/// `incident_update`, with the severity as its priority and calendar time.
#[derive(Serialize, ToSchema)]
pub struct UpdateCycleOut {
    /// Always `incident_update`.
    pub metric: &'static str,
    pub cycle_no: u32,
    /// The severity the cycle ran at.
    pub severity: String,
    pub target_seconds: i64,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    /// running, met (the update came in time), breached (it came late) or cancelled.
    pub state: CycleState,
    pub breached: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub breached_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub elapsed_seconds: i64,
    pub remaining_seconds: Option<i64>,
    pub warnings: Vec<super::tickets::WarningOut>,
    pub badge: Option<Badge>,
}

#[derive(Serialize, ToSchema)]
pub struct CadenceOut {
    pub incident_id: IncidentId,
    #[schema(value_type = String, format = DateTime)]
    pub evaluated_at: Timestamp,
    pub cycles: Vec<UpdateCycleOut>,
    /// Updates that were due, and how many came on time or late.
    pub required_updates: u32,
    pub on_time: u32,
    pub late: u32,
    /// On-time share in percent; null while no update was due yet.
    pub compliance_percent: Option<f64>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/cadence", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = CadenceOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cadence(State(state): State<AppState>, access: ApiIncidentAccess) -> ApiResult<axum::Json<CadenceOut>> {
    let id = access.view.incident.id;
    let (sla, compliance, now) = state.app.incident_cadence(&access.actor, id).await?;
    let instant = |s: i64| Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH);
    let cycles = sla
        .cycles
        .iter()
        .map(|c| UpdateCycleOut {
            metric: "incident_update",
            cycle_no: c.cycle_no,
            severity: c.priority.clone(),
            target_seconds: c.target_seconds,
            started_at: instant(c.started_at),
            stopped_at: c.stopped_at.map(instant),
            state: c.state,
            breached: c.breached,
            breached_at: c.breached_at.map(instant),
            due_at: c.due_at.map(instant),
            elapsed_seconds: c.elapsed_seconds,
            remaining_seconds: c.remaining_calendar_seconds,
            warnings: c
                .warnings
                .iter()
                .map(|w| super::tickets::WarningOut { kind: w.kind, threshold: w.threshold, at: instant(w.at) })
                .collect(),
            badge: badge(c, DEFAULT_AMBER_WINDOW_SECONDS),
        })
        .collect();
    Ok(axum::Json(CadenceOut {
        incident_id: id,
        evaluated_at: now,
        cycles,
        required_updates: compliance.required,
        on_time: compliance.on_time,
        late: compliance.late,
        compliance_percent: compliance.percent(),
    }))
}

async fn apply(
    state: &AppState,
    access: ApiIncidentAccess,
    command: IncidentCommand,
) -> ApiResult<axum::Json<IncidentOut>> {
    let id = access.view.incident.id;
    state.app.change_incident(&access.actor, id, command).await?;
    Ok(axum::Json(state.app.get_incident(&access.actor, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// The status to move to; the allowed ones are in `next_statuses`.
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/status", tag = "incidents", request_body = StatusIn,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_status(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(input): ApiJson<StatusIn>,
) -> ApiResult<axum::Json<IncidentOut>> {
    apply(&state, access, IncidentCommand::Status { to: input.status }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityIn {
    /// P0, P1, P2 or P3.
    pub severity: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/severity", tag = "incidents", request_body = SeverityIn,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_severity(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(input): ApiJson<SeverityIn>,
) -> ApiResult<axum::Json<IncidentOut>> {
    apply(&state, access, IncidentCommand::Severity { to: input.severity }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIn {
    /// The new holder; null clears the role.
    pub user_id: Option<UserId>,
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/roles/{role}", tag = "incidents", request_body = RoleIn,
    params(("id" = IncidentId, Path, description = "Incident id"),
        ("role" = String, Path, description = "incident_commander, comms_lead, tech_lead, scribe or customer_liaison")),
    responses((status = 200, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn assign_role(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    Path(path): Path<(String, String)>,
    ApiJson(input): ApiJson<RoleIn>,
) -> ApiResult<axum::Json<IncidentOut>> {
    apply(&state, access, IncidentCommand::Role { role: path.1, user_id: input.user_id }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneIn {
    /// The corrected instant; null clears the milestone (not `declared_at`).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<Timestamp>,
    /// Why it changes: kept on the timeline.
    pub reason: String,
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/milestones/{milestone}", tag = "incidents", request_body = MilestoneIn,
    params(("id" = IncidentId, Path, description = "Incident id"),
        ("milestone" = String, Path, description = "impact_started_at, detected_at, declared_at, acknowledged_at, identified_at, mitigated_at, resolved_at, closed_at, postmortem_started_at or postmortem_completed_at")),
    responses((status = 200, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn edit_milestone(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    Path(path): Path<(String, String)>,
    ApiJson(input): ApiJson<MilestoneIn>,
) -> ApiResult<axum::Json<IncidentOut>> {
    apply(&state, access, IncidentCommand::Milestones { edits: vec![(path.1, input.at)], reason: input.reason }).await
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/acknowledge", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
) -> ApiResult<axum::Json<IncidentOut>> {
    apply(&state, access, IncidentCommand::Acknowledge).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIn {
    /// public (default: every impacted account's customer contacts see it) or internal.
    #[serde(default)]
    pub visibility: Option<String>,
    pub what_we_know: String,
    #[serde(default)]
    pub what_we_dont_know: String,
    pub what_we_are_doing: String,
    /// When the next update will come, if promised.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_at: Option<Timestamp>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "incidents", request_body = UpdateIn,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 201, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn post_update(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(input): ApiJson<UpdateIn>,
) -> ApiResult<impl IntoResponse> {
    let visibility = match given(&input.visibility) {
        None => Visibility::Public,
        Some(v) => {
            let mut errors = FieldErrors::new();
            let parsed = parse_choice(&mut errors, "visibility", &v, &Visibility::ALL);
            errors.into_result().map_err(AppError::from)?;
            parsed.unwrap_or(Visibility::Public)
        }
    };
    let update = CustomerUpdate {
        visibility,
        what_we_know: input.what_we_know,
        what_we_dont_know: input.what_we_dont_know,
        what_we_are_doing: input.what_we_are_doing,
        next_update_at: input.next_update_at,
    };
    let out = apply(&state, access, IncidentCommand::Update(update)).await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", tag = "incidents", request_body = NoteIn,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 201, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_note(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(input): ApiJson<NoteIn>,
) -> ApiResult<impl IntoResponse> {
    let out = apply(&state, access, IncidentCommand::Note { text: input.text }).await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkTicketIn {
    pub ticket_id: TicketId,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/tickets", tag = "incidents", request_body = LinkTicketIn,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 201, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn link_ticket(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(input): ApiJson<LinkTicketIn>,
) -> ApiResult<impl IntoResponse> {
    let out = apply(&state, access, IncidentCommand::LinkTicket { ticket_id: input.ticket_id }).await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// First day, `YYYY-MM-DD` (UTC); default 30 days before `to`.
    pub from: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (UTC); default today.
    pub to: Option<String>,
    /// Only incidents impacting this account.
    pub account_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceOut {
    /// Customer updates that were due.
    pub required_updates: u32,
    pub on_time: u32,
    pub late: u32,
    /// On-time share in percent; null when no update was due.
    pub percent: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentMetricsOut {
    pub from: String,
    pub to: String,
    pub account_id: Option<AccountId>,
    /// Incidents declared in the period that count.
    pub incidents: usize,
    /// Declined, merged, canceled and test incidents, left out.
    pub excluded: usize,
    /// Section 2.5: each labelled by both endpoints, with n_used and n_missing, mean, median, p90.
    pub metrics: Vec<MetricSummary>,
    pub update_compliance: ComplianceOut,
}

#[utoipa::path(get, path = "/api/v1/incident-metrics", tag = "incidents", params(MetricsParams),
    responses((status = 200, body = IncidentMetricsOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn metrics(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<MetricsParams>,
) -> ApiResult<axum::Json<IncidentMetricsOut>> {
    let mut errors = FieldErrors::new();
    let mut day = |field: &str, value: &Option<String>| -> Option<Date> {
        let text = given(value)?;
        let parsed = text.parse::<Date>().ok();
        if parsed.is_none() {
            errors.add(field, "must be a date YYYY-MM-DD");
        }
        parsed
    };
    let to = day("to", &params.to);
    let from = day("from", &params.from);
    let account_id = match given(&params.account_id) {
        Some(text) => match text.parse::<AccountId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("account_id", "must be an account id");
                None
            }
        },
        None => None,
    };
    errors.into_result().map_err(AppError::from)?;
    let today = state.app.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to));
    if from > to {
        return Err(AppError::invalid_field("from", "must not be after to").into());
    }
    let start = |d: Date| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).ok();
    let (Some(begin), Some(end)) = (start(from), to.tomorrow().ok().and_then(start)) else {
        return Err(AppError::invalid_field("to", "is out of range").into());
    };
    let report = state.app.incident_metrics(&actor, begin, end, account_id).await?;
    Ok(axum::Json(IncidentMetricsOut {
        from: from.to_string(),
        to: to.to_string(),
        account_id,
        incidents: report.incidents,
        excluded: report.excluded,
        metrics: report.metrics,
        update_compliance: ComplianceOut {
            required_updates: report.compliance.required,
            on_time: report.compliance.on_time,
            late: report.compliance.late,
            percent: report.compliance.percent(),
        },
    }))
}

/// An incident's post-incident review (SLA-SPEC 2.6). Customer contacts get it only once
/// published, and then only its customer-facing RCA.
#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    pub incident_id: IncidentId,
    /// Whether the incident needs a review (its most severe level; P0 and P1 by default).
    pub required: bool,
    /// Five business days after resolution on the organisation's calendar.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    /// `not_started`, `draft`, `in_review`, `approved` or `published`.
    pub status: String,
    pub content: Option<ReviewContent>,
    pub approvals: Vec<Approval>,
    pub customer_facing_rca: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
}

fn review_out(id: IncidentId, view: ReviewView, staff: bool) -> ReviewOut {
    let review = view.review;
    ReviewOut {
        incident_id: id,
        required: view.required,
        due_at: view.due_at,
        status: review.as_ref().map_or("not_started", |r| r.status.as_str()).to_string(),
        customer_facing_rca: review.as_ref().map(|r| r.content.customer_facing_rca.clone()),
        content: review.as_ref().filter(|_| staff).map(|r| r.content.clone()),
        approvals: review.as_ref().filter(|_| staff).map(|r| r.approvals.clone()).unwrap_or_default(),
        submitted_at: review.as_ref().and_then(|r| r.submitted_at),
        approved_at: review.as_ref().and_then(|r| r.approved_at),
        published_at: review.as_ref().and_then(|r| r.published_at),
    }
}

async fn review_answer(state: &AppState, access: &ApiIncidentAccess) -> ApiResult<axum::Json<ReviewOut>> {
    let id = access.view.incident.id;
    let view = state.app.incident_review(&access.actor, id).await?;
    Ok(axum::Json(review_out(id, view, access.actor.user.role.is_staff())))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/review", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ReviewOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn review(State(state): State<AppState>, access: ApiIncidentAccess) -> ApiResult<axum::Json<ReviewOut>> {
    review_answer(&state, &access).await
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/review", tag = "incidents", request_body = ReviewContent,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn edit_review(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(content): ApiJson<ReviewContent>,
) -> ApiResult<axum::Json<ReviewOut>> {
    state.app.change_review(&access.actor, access.view.incident.id, ReviewCommand::Edit(Box::new(content))).await?;
    review_answer(&state, &access).await
}

async fn review_step(
    state: &AppState,
    access: ApiIncidentAccess,
    command: ReviewCommand,
) -> ApiResult<axum::Json<ReviewOut>> {
    state.app.change_review(&access.actor, access.view.incident.id, command).await?;
    review_answer(state, &access).await
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/review/submit", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn submit_review(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
) -> ApiResult<axum::Json<ReviewOut>> {
    review_step(&state, access, ReviewCommand::Submit).await
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/review/approve", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn approve_review(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
) -> ApiResult<axum::Json<ReviewOut>> {
    review_step(&state, access, ReviewCommand::Approve).await
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/review/request-changes", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn request_review_changes(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
) -> ApiResult<axum::Json<ReviewOut>> {
    review_step(&state, access, ReviewCommand::RequestChanges).await
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/review/publish", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn publish_review(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
) -> ApiResult<axum::Json<ReviewOut>> {
    review_step(&state, access, ReviewCommand::Publish).await
}

#[derive(Serialize, ToSchema)]
pub struct RepeatsOut {
    /// The root-cause category of this incident's review; null while it names none.
    pub root_cause_category: Option<String>,
    pub window_days: i64,
    /// Incidents with the same category and a shared service within the window, across
    /// accounts (those the caller may see), newest first.
    pub items: Vec<IncidentOut>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/repeats", tag = "incidents",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = RepeatsOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn repeats(State(state): State<AppState>, access: ApiIncidentAccess) -> ApiResult<axum::Json<RepeatsOut>> {
    let (category, views) = state.app.repeat_incidents(&access.actor, access.view.incident.id).await?;
    Ok(axum::Json(RepeatsOut {
        root_cause_category: category,
        window_days: state.app.config.repeat_window_days,
        items: views.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactWindowsIn {
    /// Every window (they replace the recorded ones); empty to go back to impact start → resolved.
    pub windows: Vec<ImpactWindow>,
    /// Why: kept on the timeline.
    pub reason: String,
}

#[utoipa::path(put, path = "/api/v1/incidents/{id}/impact-windows", tag = "incidents", request_body = ImpactWindowsIn,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = IncidentOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_impact_windows(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(input): ApiJson<ImpactWindowsIn>,
) -> ApiResult<axum::Json<IncidentOut>> {
    apply(&state, access, IncidentCommand::ImpactWindows { windows: input.windows, reason: input.reason }).await
}
