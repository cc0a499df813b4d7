//! `/api/v1/actions`: the one action model (corrective actions of post-incident reviews today),
//! with overdue flags and summaries per service and per account; `/api/v1/incidents/{id}/actions`
//! creates and lists an incident's; `/api/v1/incident-taxonomy` is the admin-managed list of
//! root-cause categories and tier-2 services.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::actions::ActionSummaries;
use tamhub_app::{ActionQuery, AppError};
use tamhub_domain::Timestamp;
use tamhub_domain::actions::{
    Action, ActionDraft, ActionPatch, ActionPriority, ActionSource, ActionStatus, ActionSummary, ActionType,
};
use tamhub_domain::ids::{AccountId, ActionId, IncidentId, UserId};
use tamhub_domain::postmortems::IncidentTaxonomy;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::validation::{FieldErrors, parse_choice};
use utoipa::{IntoParams, ToSchema};

use super::json::{ApiJson, ApiQuery};
use super::pagination::{decode_cursor, given, next_cursor, parse_limit};
use crate::AppState;
use crate::auth::{ApiActor, ApiIncidentAccess};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct ActionOut {
    pub id: ActionId,
    /// Human-friendly number: ACT-<number>.
    pub number: i64,
    pub title: String,
    pub description: String,
    #[serde(rename = "type")]
    pub action_type: ActionType,
    pub priority: ActionPriority,
    pub owner_id: UserId,
    /// Null only for a priority action whose review is not approved yet: approval sets it to
    /// four weeks later (eight for a tier-2 service).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    pub status: ActionStatus,
    pub status_note: String,
    /// Open or in progress past its due date.
    pub overdue: bool,
    pub service: Option<String>,
    pub link: Option<String>,
    pub source: ActionSource,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
}

impl ActionOut {
    pub fn of(a: Action, now: Timestamp) -> ActionOut {
        ActionOut {
            overdue: a.is_overdue(now),
            id: a.id,
            number: a.number,
            title: a.title,
            description: a.description,
            action_type: a.action_type,
            priority: a.priority,
            owner_id: a.owner_id,
            due_at: a.due_at,
            status: a.status,
            status_note: a.status_note,
            service: a.service,
            link: a.link,
            source: a.source,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            completed_at: a.completed_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ActionList {
    /// Soonest due first; those waiting for a due date last.
    pub items: Vec<ActionOut>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ActionListParams {
    pub account_id: Option<String>,
    pub incident_id: Option<String>,
    pub service: Option<String>,
    /// A user id, or `me`.
    pub owner_id: Option<String>,
    /// `open` (open and in progress), `all` (default), or one status.
    pub status: Option<String>,
    /// priority_action or normal.
    pub priority: Option<String>,
    /// `true`: only overdue actions.
    pub overdue: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl ActionListParams {
    fn to_query(&self, me: UserId, now: Timestamp) -> Result<ActionQuery, AppError> {
        let mut errors = FieldErrors::new();
        let mut query = ActionQuery::in_scope(AccountScope::Nothing);
        if let Some(account) = given(&self.account_id) {
            query.account_id =
                account.parse::<AccountId>().map_err(|_| errors.add("account_id", "must be an account id")).ok();
        }
        if let Some(incident) = given(&self.incident_id) {
            query.incident_id =
                incident.parse::<IncidentId>().map_err(|_| errors.add("incident_id", "must be an incident id")).ok();
        }
        query.service = given(&self.service);
        match given(&self.owner_id).as_deref() {
            None => {}
            Some("me") => query.owner_id = Some(me),
            Some(other) => {
                query.owner_id =
                    other.parse::<UserId>().map_err(|_| errors.add("owner_id", "must be a user id or me")).ok()
            }
        }
        match given(&self.status).as_deref() {
            None | Some("all") => {}
            Some("open") => query.statuses = vec![ActionStatus::Open, ActionStatus::InProgress],
            Some(other) => match ActionStatus::parse(other) {
                Some(status) => query.statuses = vec![status],
                None => errors.add("status", "must be open, all, in_progress, done or wont_do"),
            },
        }
        if let Some(priority) = given(&self.priority) {
            query.priority = parse_choice(&mut errors, "priority", &priority, ActionPriority::ALL);
        }
        match given(&self.overdue).as_deref() {
            None | Some("false") => {}
            Some("true") => query.overdue_at = Some(now),
            Some(_) => errors.add("overdue", "must be true or false"),
        }
        errors.into_result()?;
        query.limit = parse_limit(self.limit.as_deref())?;
        query.offset = decode_cursor(self.cursor.as_deref())?;
        Ok(query)
    }
}

#[utoipa::path(get, path = "/api/v1/actions", tag = "actions", params(ActionListParams),
    responses((status = 200, body = ActionList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ActionListParams>,
) -> ApiResult<axum::Json<ActionList>> {
    let now = state.app.clock.now();
    let query = params.to_query(actor.user.id, now)?;
    let (offset, limit) = (query.offset, query.limit);
    let page = state.app.list_actions(&actor, query).await?;
    let next_cursor = next_cursor(offset, page.items.len(), limit, page.total);
    let items = page.items.into_iter().map(|a| ActionOut::of(a, now)).collect();
    Ok(axum::Json(ActionList { items, next_cursor, total: page.total }))
}

#[derive(Serialize, ToSchema)]
pub struct ServiceSummaryOut {
    /// Empty for actions that name no service.
    pub service: String,
    #[serde(flatten)]
    pub summary: ActionSummary,
}

#[derive(Serialize, ToSchema)]
pub struct AccountSummaryOut {
    pub account_id: AccountId,
    pub account_name: String,
    #[serde(flatten)]
    pub summary: ActionSummary,
}

#[derive(Serialize, ToSchema)]
pub struct ActionSummaryOut {
    #[schema(value_type = String, format = DateTime)]
    pub evaluated_at: Timestamp,
    pub total: ActionSummary,
    pub by_service: Vec<ServiceSummaryOut>,
    /// Per impacted account the caller may see; an action of an incident that impacted
    /// several accounts counts for each.
    pub by_account: Vec<AccountSummaryOut>,
}

impl ActionSummaryOut {
    pub fn of(s: ActionSummaries, now: Timestamp) -> ActionSummaryOut {
        ActionSummaryOut {
            evaluated_at: now,
            total: s.total,
            by_service: s
                .by_service
                .into_iter()
                .map(|(service, summary)| ServiceSummaryOut { service, summary })
                .collect(),
            by_account: s
                .by_account
                .into_iter()
                .map(|(account_id, account_name, summary)| AccountSummaryOut { account_id, account_name, summary })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/actions/summary", tag = "actions", params(ActionListParams),
    responses((status = 200, body = ActionSummaryOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn summary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ActionListParams>,
) -> ApiResult<axum::Json<ActionSummaryOut>> {
    let now = state.app.clock.now();
    let query = params.to_query(actor.user.id, now)?;
    let summaries = state.app.action_summaries(&actor, query).await?;
    Ok(axum::Json(ActionSummaryOut::of(summaries, now)))
}

#[utoipa::path(get, path = "/api/v1/actions/{id}", tag = "actions",
    params(("id" = ActionId, Path, description = "Action id")),
    responses((status = 200, body = ActionOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ActionOut>> {
    let id = id.parse::<ActionId>().map_err(|_| AppError::NotFound)?;
    let view = state.app.get_action(&actor, id).await?;
    Ok(axum::Json(ActionOut::of(view.action, state.app.clock.now())))
}

#[utoipa::path(patch, path = "/api/v1/actions/{id}", tag = "actions", request_body = ActionPatch,
    params(("id" = ActionId, Path, description = "Action id")),
    responses((status = 200, body = ActionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ActionPatch>,
) -> ApiResult<axum::Json<ActionOut>> {
    let id = id.parse::<ActionId>().map_err(|_| AppError::NotFound)?;
    let action = state.app.change_action(&actor, id, patch).await?;
    Ok(axum::Json(ActionOut::of(action, state.app.clock.now())))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/actions", tag = "actions",
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 200, body = ActionList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn incident_actions(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
) -> ApiResult<axum::Json<ActionList>> {
    let now = state.app.clock.now();
    let query = ActionQuery {
        incident_id: Some(access.view.incident.id),
        limit: 500,
        ..ActionQuery::in_scope(AccountScope::Nothing)
    };
    let page = state.app.list_actions(&access.actor, query).await?;
    let items = page.items.into_iter().map(|a| ActionOut::of(a, now)).collect();
    Ok(axum::Json(ActionList { items, next_cursor: None, total: page.total }))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", tag = "actions", request_body = ActionDraft,
    params(("id" = IncidentId, Path, description = "Incident id")),
    responses((status = 201, body = ActionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    access: ApiIncidentAccess,
    ApiJson(draft): ApiJson<ActionDraft>,
) -> ApiResult<impl IntoResponse> {
    let action = state.app.create_incident_action(&access.actor, access.view.incident.id, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(ActionOut::of(action, state.app.clock.now()))))
}

#[utoipa::path(get, path = "/api/v1/incident-taxonomy", tag = "incidents",
    responses((status = 200, body = IncidentTaxonomy), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn taxonomy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<IncidentTaxonomy>> {
    if !actor.user.role.is_staff() {
        return Err(AppError::Forbidden("your role may not read the incident taxonomy".into()).into());
    }
    Ok(axum::Json(state.app.incident_taxonomy().await?))
}

#[utoipa::path(put, path = "/api/v1/incident-taxonomy", tag = "incidents", request_body = IncidentTaxonomy,
    responses((status = 200, body = IncidentTaxonomy), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_taxonomy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<IncidentTaxonomy>,
) -> ApiResult<axum::Json<IncidentTaxonomy>> {
    Ok(axum::Json(state.app.set_incident_taxonomy(&actor, input).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemAccountOut {
    pub id: AccountId,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemOut {
    pub root_cause_category: String,
    pub service: String,
    /// Oldest first: each declared within the repeat window of the one before.
    pub incidents: Vec<super::incidents::IncidentOut>,
    /// The impacted accounts the caller may see.
    pub accounts: Vec<ProblemAccountOut>,
    /// The incidents' corrective actions.
    pub actions: ActionSummary,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemList {
    pub window_days: i64,
    /// Incidents declared this many days back are considered.
    pub lookback_days: i64,
    /// Most recent first.
    pub items: Vec<ProblemOut>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ProblemParams {
    /// Only problems that touch this account.
    pub account_id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/problems", tag = "incidents", params(ProblemParams),
    responses((status = 200, body = ProblemList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn problems(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ProblemParams>,
) -> ApiResult<axum::Json<ProblemList>> {
    let account = match given(&params.account_id) {
        Some(text) => Some(
            text.parse::<AccountId>().map_err(|_| AppError::invalid_field("account_id", "must be an account id"))?,
        ),
        None => None,
    };
    let found = state.app.problems(&actor, account).await?;
    let items = found
        .into_iter()
        .map(|p| ProblemOut {
            root_cause_category: p.problem.category,
            service: p.problem.service,
            incidents: p.incidents.into_iter().map(Into::into).collect(),
            accounts: p.accounts.into_iter().map(|(id, name)| ProblemAccountOut { id, name }).collect(),
            actions: p.actions,
        })
        .collect();
    Ok(axum::Json(ProblemList {
        window_days: state.app.config.repeat_window_days,
        lookback_days: tamhub_app::postmortems::PROBLEM_LOOKBACK_DAYS,
        items,
    }))
}
