//! Findings (`/api/v1/accounts/{id}/findings`, `/api/v1/findings`): cost-optimisation findings and
//! review improvements with their lifecycle, and savings totals per account and portfolio.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use std::collections::BTreeMap;
use tamhub_app::AppError;
use tamhub_domain::findings::{Finding, FindingDraft, FindingTotals};
use tamhub_domain::ids::{AccountId, FindingId};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::auth::{ApiAccountAccess, ApiActor};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct FindingList {
    pub items: Vec<Finding>,
    pub totals: FindingTotals,
}

#[derive(Serialize, ToSchema)]
pub struct AccountTotalsOut {
    pub account_id: AccountId,
    #[serde(flatten)]
    pub totals: FindingTotals,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioFindingsOut {
    pub items: Vec<Finding>,
    /// Savings add up as recorded, whatever the accounts' currencies.
    pub totals: FindingTotals,
    pub by_account: Vec<AccountTotalsOut>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/findings", tag = "findings",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = FindingList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_findings(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<FindingList>> {
    let items = state.app.findings(&access.actor, Some(access.account.id)).await?;
    Ok(axum::Json(FindingList { totals: FindingTotals::of(&items), items }))
}

#[utoipa::path(get, path = "/api/v1/findings", tag = "findings",
    responses((status = 200, body = PortfolioFindingsOut), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn findings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<PortfolioFindingsOut>> {
    let items = state.app.findings(&actor, None).await?;
    let mut per: BTreeMap<AccountId, Vec<&Finding>> = BTreeMap::new();
    for f in &items {
        per.entry(f.account_id).or_default().push(f);
    }
    let by_account = per
        .into_iter()
        .map(|(account_id, list)| AccountTotalsOut { account_id, totals: FindingTotals::of(list) })
        .collect();
    Ok(axum::Json(PortfolioFindingsOut { totals: FindingTotals::of(&items), by_account, items }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/findings", tag = "findings", request_body = FindingDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = Finding), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_finding(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<FindingDraft>,
) -> ApiResult<impl IntoResponse> {
    let f = state.app.save_finding(&access.actor, access.account.id, None, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(f)))
}

fn finding_id(text: &str) -> Result<FindingId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = FindingId, Path, description = "Finding id")),
    responses((status = 200, body = Finding), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_finding(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Finding>> {
    Ok(axum::Json(state.app.get_finding(&actor, finding_id(&id)?).await?.1))
}

#[utoipa::path(patch, path = "/api/v1/findings/{id}", tag = "findings", request_body = FindingDraft,
    params(("id" = FindingId, Path, description = "Finding id")),
    responses((status = 200, body = Finding), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_finding(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<FindingDraft>,
) -> ApiResult<axum::Json<Finding>> {
    let id = finding_id(&id)?;
    let (account, _) = state.app.get_finding(&actor, id).await?;
    Ok(axum::Json(state.app.save_finding(&actor, account.id, Some(id), draft).await?))
}
