//! Feature requests (`/api/v1/feature-requests`, ranked by the ARR of the accounts that want them)
//! and expansion opportunities (`/api/v1/accounts/{id}/opportunities`, `/api/v1/opportunities`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use tamhub_app::AppError;
use tamhub_app::feedback::RankedRequest;
use tamhub_domain::feedback::{FeatureRequest, FeatureRequestDraft, Opportunity, OpportunityDraft};
use tamhub_domain::ids::{AccountId, FeatureRequestId, OpportunityId};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::auth::{ApiAccountAccess, ApiActor};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct VisibleAccountOut {
    pub account_id: AccountId,
    pub name: String,
    pub arr: i64,
    pub currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct FeatureRequestOut {
    #[serde(flatten)]
    pub request: FeatureRequest,
    /// The requesting accounts' ARR added up, minor units (as recorded, without exchange rates).
    pub weight: i64,
    pub currencies: Vec<String>,
    /// Requesting accounts you see.
    pub visible_accounts: Vec<VisibleAccountOut>,
    /// Requesting accounts outside your scope (counted in the weight, not named).
    pub other_accounts: usize,
}

fn request_out(r: RankedRequest) -> FeatureRequestOut {
    let visible_ids: Vec<AccountId> = r.visible.iter().map(|a| a.id).collect();
    let mut request = r.request;
    request.accounts.retain(|a| visible_ids.contains(&a.account_id));
    FeatureRequestOut {
        weight: r.weight,
        currencies: r.currencies,
        visible_accounts: r
            .visible
            .into_iter()
            .map(|a| VisibleAccountOut {
                account_id: a.id,
                name: a.fields.name,
                arr: a.fields.arr,
                currency: a.fields.currency,
            })
            .collect(),
        other_accounts: r.others,
        request,
    }
}

#[derive(Serialize, ToSchema)]
pub struct FeatureRequestList {
    /// Heaviest first.
    pub items: Vec<FeatureRequestOut>,
}

#[utoipa::path(get, path = "/api/v1/feature-requests", tag = "feedback",
    responses((status = 200, body = FeatureRequestList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_requests(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<FeatureRequestList>> {
    let items = state.app.feature_requests(&actor, None).await?.into_iter().map(request_out).collect();
    Ok(axum::Json(FeatureRequestList { items }))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/feature-requests", tag = "feedback",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = FeatureRequestList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_requests(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<FeatureRequestList>> {
    let items = state
        .app
        .feature_requests(&access.actor, Some(access.account.id))
        .await?
        .into_iter()
        .map(request_out)
        .collect();
    Ok(axum::Json(FeatureRequestList { items }))
}

#[utoipa::path(post, path = "/api/v1/feature-requests", tag = "feedback", request_body = FeatureRequestDraft,
    responses((status = 201, body = FeatureRequestOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(draft): ApiJson<FeatureRequestDraft>,
) -> ApiResult<impl IntoResponse> {
    let request = state.app.save_feature_request(&actor, None, draft).await?;
    let ranked = state.app.get_feature_request(&actor, request.id).await?;
    Ok((StatusCode::CREATED, axum::Json(request_out(ranked))))
}

fn request_id(text: &str) -> Result<FeatureRequestId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/feature-requests/{id}", tag = "feedback",
    params(("id" = FeatureRequestId, Path, description = "Feature request id")),
    responses((status = 200, body = FeatureRequestOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<FeatureRequestOut>> {
    Ok(axum::Json(request_out(state.app.get_feature_request(&actor, request_id(&id)?).await?)))
}

#[utoipa::path(patch, path = "/api/v1/feature-requests/{id}", tag = "feedback", request_body = FeatureRequestDraft,
    params(("id" = FeatureRequestId, Path, description = "Feature request id")),
    responses((status = 200, body = FeatureRequestOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_request(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<FeatureRequestDraft>,
) -> ApiResult<axum::Json<FeatureRequestOut>> {
    let id = request_id(&id)?;
    state.app.save_feature_request(&actor, Some(id), draft).await?;
    Ok(axum::Json(request_out(state.app.get_feature_request(&actor, id).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct OpportunityList {
    pub items: Vec<Opportunity>,
}

#[utoipa::path(get, path = "/api/v1/opportunities", tag = "feedback",
    responses((status = 200, body = OpportunityList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_opportunities(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<OpportunityList>> {
    Ok(axum::Json(OpportunityList { items: state.app.opportunities(&actor, None).await? }))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/opportunities", tag = "feedback",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = OpportunityList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_opportunities(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<OpportunityList>> {
    Ok(axum::Json(OpportunityList { items: state.app.opportunities(&access.actor, Some(access.account.id)).await? }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/opportunities", tag = "feedback", request_body = OpportunityDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = Opportunity), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_opportunity(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<OpportunityDraft>,
) -> ApiResult<impl IntoResponse> {
    let o = state.app.save_opportunity(&access.actor, access.account.id, None, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(o)))
}

fn opportunity_id(text: &str) -> Result<OpportunityId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "feedback",
    params(("id" = OpportunityId, Path, description = "Opportunity id")),
    responses((status = 200, body = Opportunity), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_opportunity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Opportunity>> {
    Ok(axum::Json(state.app.get_opportunity(&actor, opportunity_id(&id)?).await?.1))
}

#[utoipa::path(patch, path = "/api/v1/opportunities/{id}", tag = "feedback", request_body = OpportunityDraft,
    params(("id" = OpportunityId, Path, description = "Opportunity id")),
    responses((status = 200, body = Opportunity), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_opportunity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<OpportunityDraft>,
) -> ApiResult<axum::Json<Opportunity>> {
    let id = opportunity_id(&id)?;
    let (account, _) = state.app.get_opportunity(&actor, id).await?;
    Ok(axum::Json(state.app.save_opportunity(&actor, account.id, Some(id), draft).await?))
}
