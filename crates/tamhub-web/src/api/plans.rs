//! Success plans (`/api/v1/accounts/{id}/success-plans`, `/api/v1/success-plans/{id}`) and the
//! risk register (`/api/v1/accounts/{id}/risks`, `/api/v1/risks`), with their actions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_app::engagements::local_today;
use tamhub_domain::actions::ActionDraft;
use tamhub_domain::ids::{AccountId, RiskId, SuccessPlanId};
use tamhub_domain::plans::{Objective, PlanStatus, Risk, RiskDraft, SuccessPlan, SuccessPlanDraft, heat_map};
use tamhub_domain::{Date, Timestamp};
use utoipa::{IntoParams, ToSchema};

use super::actions::ActionOut;
use super::json::{ApiJson, ApiQuery};
use super::pagination::given;
use crate::AppState;
use crate::auth::{ApiAccountAccess, ApiActor};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct ObjectiveOut {
    #[serde(flatten)]
    pub objective: Objective,
    /// From baseline to target, 0-100.
    pub progress_pct: f64,
    pub status: PlanStatus,
}

#[derive(Serialize, ToSchema)]
pub struct SuccessPlanOut {
    #[serde(flatten)]
    pub plan: SuccessPlan,
    /// The worst of its objectives' statuses.
    pub status: PlanStatus,
    #[schema(value_type = Vec<ObjectiveOut>)]
    pub objectives: Vec<ObjectiveOut>,
    /// Its actions (staff only).
    pub actions: Vec<ActionOut>,
}

fn plan_out(plan: SuccessPlan, today: Date, actions: Vec<ActionOut>) -> SuccessPlanOut {
    let objectives = plan
        .objectives
        .iter()
        .map(|o| ObjectiveOut {
            progress_pct: (o.progress() * 10_000.0).round() / 100.0,
            status: o.status(plan.starts_on, today),
            objective: o.clone(),
        })
        .collect();
    SuccessPlanOut { status: plan.status(today), objectives, plan, actions }
}

#[derive(Serialize, ToSchema)]
pub struct SuccessPlanList {
    pub items: Vec<SuccessPlanOut>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/success-plans", tag = "plans",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = SuccessPlanList), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_plans(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<SuccessPlanList>> {
    let (account, plans) = state.app.success_plans(&access.actor, access.account.id).await?;
    let today = local_today(&account, state.app.clock.now());
    Ok(axum::Json(SuccessPlanList { items: plans.into_iter().map(|p| plan_out(p, today, Vec::new())).collect() }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/success-plans", tag = "plans", request_body = SuccessPlanDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = SuccessPlanOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<SuccessPlanDraft>,
) -> ApiResult<impl IntoResponse> {
    let plan = state.app.save_success_plan(&access.actor, access.account.id, None, draft).await?;
    let today = local_today(&access.account, state.app.clock.now());
    Ok((StatusCode::CREATED, axum::Json(plan_out(plan, today, Vec::new()))))
}

fn plan_id(text: &str) -> Result<SuccessPlanId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

async fn show_plan_out(state: &AppState, actor: &tamhub_app::Actor, id: SuccessPlanId) -> ApiResult<SuccessPlanOut> {
    let (account, plan, actions) = state.app.get_success_plan(actor, id).await?;
    let now = state.app.clock.now();
    let actions = actions.into_iter().map(|a| ActionOut::of(a, now)).collect();
    Ok(plan_out(plan, local_today(&account, now), actions))
}

#[utoipa::path(get, path = "/api/v1/success-plans/{id}", tag = "plans",
    params(("id" = SuccessPlanId, Path, description = "Success plan id")),
    responses((status = 200, body = SuccessPlanOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_plan(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<SuccessPlanOut>> {
    Ok(axum::Json(show_plan_out(&state, &actor, plan_id(&id)?).await?))
}

#[utoipa::path(put, path = "/api/v1/success-plans/{id}", tag = "plans", request_body = SuccessPlanDraft,
    params(("id" = SuccessPlanId, Path, description = "Success plan id")),
    responses((status = 200, body = SuccessPlanOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_plan(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<SuccessPlanDraft>,
) -> ApiResult<axum::Json<SuccessPlanOut>> {
    let id = plan_id(&id)?;
    let (account, _, _) = state.app.get_success_plan(&actor, id).await?;
    state.app.save_success_plan(&actor, account.id, Some(id), draft).await?;
    Ok(axum::Json(show_plan_out(&state, &actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/success-plans/{id}/actions", tag = "plans", request_body = ActionDraft,
    params(("id" = SuccessPlanId, Path, description = "Success plan id")),
    responses((status = 201, body = ActionOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_plan_action(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<ActionDraft>,
) -> ApiResult<impl IntoResponse> {
    let action = state.app.add_plan_action(&actor, plan_id(&id)?, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(ActionOut::of(action, state.app.clock.now()))))
}

// ----- risks -----

#[derive(Serialize, ToSchema)]
pub struct RiskOut {
    #[serde(flatten)]
    pub risk: Risk,
    /// Likelihood × impact, 1-25.
    pub score: u8,
    /// Score 15 or more.
    pub high: bool,
    /// Past its due date and still open or mitigating.
    pub overdue: bool,
}

fn risk_out(risk: Risk, today: Date) -> RiskOut {
    RiskOut {
        score: risk.score(),
        high: risk.is_high(),
        overdue: risk.status.is_live() && risk.due_on.is_some_and(|d| d < today),
        risk,
    }
}

#[derive(Serialize, ToSchema)]
pub struct RiskList {
    /// Highest score first.
    pub items: Vec<RiskOut>,
    /// Live (open and mitigating) risks per cell: `heat_map[likelihood - 1][impact - 1]`.
    pub heat_map: Vec<Vec<u32>>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RiskParams {
    /// `true`: open and mitigating only (default false: all).
    pub live: Option<String>,
    /// Only this account's (on `/api/v1/risks`).
    pub account_id: Option<String>,
}

fn risk_list(risks: Vec<Risk>, now: Timestamp) -> RiskList {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let heat_map = heat_map(&risks).iter().map(|row| row.to_vec()).collect();
    RiskList { items: risks.into_iter().map(|r| risk_out(r, today)).collect(), heat_map }
}

fn live_only(params: &RiskParams) -> Result<bool, AppError> {
    match given(&params.live).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(AppError::invalid_field("live", "must be true or false")),
    }
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/risks", tag = "plans",
    params(("id" = AccountId, Path, description = "Account id"), RiskParams),
    responses((status = 200, body = RiskList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_risks(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiQuery(params): ApiQuery<RiskParams>,
) -> ApiResult<axum::Json<RiskList>> {
    let risks = state.app.risks(&access.actor, Some(access.account.id), live_only(&params)?).await?;
    Ok(axum::Json(risk_list(risks, state.app.clock.now())))
}

#[utoipa::path(get, path = "/api/v1/risks", tag = "plans", params(RiskParams),
    responses((status = 200, body = RiskList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn risks(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<RiskParams>,
) -> ApiResult<axum::Json<RiskList>> {
    let account = match given(&params.account_id) {
        None => None,
        Some(text) => Some(
            text.parse::<AccountId>().map_err(|_| AppError::invalid_field("account_id", "must be an account id"))?,
        ),
    };
    let risks = state.app.risks(&actor, account, live_only(&params)?).await?;
    Ok(axum::Json(risk_list(risks, state.app.clock.now())))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/risks", tag = "plans", request_body = RiskDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = RiskOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_risk(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<RiskDraft>,
) -> ApiResult<impl IntoResponse> {
    let risk = state.app.save_risk(&access.actor, access.account.id, None, draft).await?;
    let today = local_today(&access.account, state.app.clock.now());
    Ok((StatusCode::CREATED, axum::Json(risk_out(risk, today))))
}

fn risk_id(text: &str) -> Result<RiskId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize, ToSchema)]
pub struct RiskDetailOut {
    #[serde(flatten)]
    pub risk: RiskOut,
    pub mitigation: Option<ActionOut>,
}

#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "plans",
    params(("id" = RiskId, Path, description = "Risk id")),
    responses((status = 200, body = RiskDetailOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_risk(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<RiskDetailOut>> {
    let (account, risk, mitigation) = state.app.get_risk(&actor, risk_id(&id)?).await?;
    let now = state.app.clock.now();
    Ok(axum::Json(RiskDetailOut {
        risk: risk_out(risk, local_today(&account, now)),
        mitigation: mitigation.map(|a| ActionOut::of(a, now)),
    }))
}

#[utoipa::path(patch, path = "/api/v1/risks/{id}", tag = "plans", request_body = RiskDraft,
    params(("id" = RiskId, Path, description = "Risk id")),
    responses((status = 200, body = RiskDetailOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_risk(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<RiskDraft>,
) -> ApiResult<axum::Json<RiskDetailOut>> {
    let id = risk_id(&id)?;
    let (account, _, _) = state.app.get_risk(&actor, id).await?;
    state.app.save_risk(&actor, account.id, Some(id), draft).await?;
    show_risk(State(state), ApiActor(actor), Path(id.to_string())).await
}
