//! Health scores: `/api/v1/accounts/{id}/signals` (push), `/api/v1/accounts/{id}/health` (the
//! score, band, trend and breakdown), `/api/v1/accounts/{id}/health/override`, and
//! `/api/v1/scorecards` (one versioned scorecard per tier).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_app::health::AccountHealth;
use tamhub_domain::accounts::Tier;
use tamhub_domain::health::{HealthBand, MeasureResult, Scorecard, ScorecardContent, SignalIn};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::{Date, Timestamp};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};

fn account_id(text: &str) -> Result<AccountId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// A batch of points: a JSON array of `{name, value, at}`, or `{"points": [...]}`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SignalsIn {
    Points(Vec<SignalIn>),
    Wrapped { points: Vec<SignalIn> },
}

#[derive(Serialize, ToSchema)]
pub struct SignalsOut {
    pub received: usize,
    /// Points not stored before.
    pub stored: u64,
    /// Points already stored (same name and instant): sent again, stored once.
    pub duplicates: u64,
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/signals", tag = "health", request_body = SignalsIn,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = SignalsOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn push_signals(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SignalsIn>,
) -> ApiResult<axum::Json<SignalsOut>> {
    let id = account_id(&id)?;
    let points = match input {
        SignalsIn::Points(p) | SignalsIn::Wrapped { points: p } => p,
    };
    let received = points.len();
    let stored = state.app.push_signals(&actor, id, points).await?;
    Ok(axum::Json(SignalsOut { received, stored, duplicates: received as u64 - stored }))
}

#[derive(Serialize, ToSchema)]
pub struct OverrideOut {
    pub band: HealthBand,
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    pub set_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub set_at: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct ComputedOut {
    /// 0-100, hundredths; null with insufficient data.
    pub score: Option<f64>,
    pub band: HealthBand,
    /// The share of the scorecard's weight whose measures had data, in percent.
    pub data_pct: f64,
}

#[derive(Serialize, ToSchema)]
pub struct TrendOut {
    /// Score now minus the score of the snapshot 7 (30) days ago; null without one.
    pub d7: Option<f64>,
    pub d30: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryPoint {
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    pub score: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    pub account_id: AccountId,
    pub tier: Tier,
    /// The tier's scorecard version (0: the built-in default).
    pub scorecard_version: i64,
    /// The computed score (hundredths), null with insufficient data.
    pub score: Option<f64>,
    /// The final band: the override's while one is in force, else the computed one.
    pub band: HealthBand,
    pub computed: ComputedOut,
    pub r#override: Option<OverrideOut>,
    pub trend: TrendOut,
    /// Daily scores of the last 30 days, oldest first; today's is the score now.
    pub history: Vec<HistoryPoint>,
    /// Each measure's value, score, weight, share and the points it cost (they add up to
    /// 100 − score); measures without data have nulls and were left out.
    pub breakdown: Vec<MeasureResult>,
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: Timestamp,
}

impl From<AccountHealth> for HealthOut {
    fn from(h: AccountHealth) -> Self {
        HealthOut {
            account_id: h.account.id,
            tier: h.scorecard.tier,
            scorecard_version: h.scorecard.version,
            score: h.computed.score,
            band: h.final_band,
            computed: ComputedOut { score: h.computed.score, band: h.computed.band, data_pct: h.computed.data_pct },
            r#override: h.override_band.map(|o| OverrideOut {
                band: o.band,
                reason: o.reason,
                expires_at: o.expires_at,
                set_by: o.set_by,
                set_at: o.set_at,
            }),
            trend: TrendOut { d7: h.trend_7d, d30: h.trend_30d },
            history: h.history.into_iter().map(|(day, score)| HistoryPoint { day, score }).collect(),
            breakdown: h.computed.measures,
            computed_at: h.computed_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/health", tag = "health",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = HealthOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn health(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<HealthOut>> {
    Ok(axum::Json(state.app.account_health(&actor, account_id(&id)?).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideIn {
    /// green, yellow or red.
    pub band: String,
    pub reason: String,
    /// Required: an override ends (within 180 days).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}/health/override", tag = "health", request_body = OverrideIn,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = HealthOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_override(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<OverrideIn>,
) -> ApiResult<axum::Json<HealthOut>> {
    let id = account_id(&id)?;
    state.app.set_health_override(&actor, id, Some((input.band, input.reason, input.expires_at))).await?;
    Ok(axum::Json(state.app.account_health(&actor, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}/health/override", tag = "health",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn clear_override(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    state.app.set_health_override(&actor, account_id(&id)?, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ScorecardOut {
    pub tier: Tier,
    /// 0: the built-in default, in force until a version is saved.
    pub version: i64,
    #[serde(flatten)]
    pub content: ScorecardContent,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
}

impl From<Scorecard> for ScorecardOut {
    fn from(s: Scorecard) -> Self {
        ScorecardOut {
            tier: s.tier,
            created_at: (s.version > 0).then_some(s.created_at),
            version: s.version,
            content: s.content,
            created_by: s.created_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ScorecardList {
    pub items: Vec<ScorecardOut>,
}

fn tier_of(text: &str) -> Result<Tier, AppError> {
    Tier::parse(text).ok_or(AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/scorecards", tag = "health",
    responses((status = 200, body = ScorecardList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn scorecards(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<ScorecardList>> {
    tamhub_app::policy::require(actor.user.role.is_staff(), "read scorecards")?;
    let items = state.app.scorecards_in_force().await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(ScorecardList { items }))
}

#[utoipa::path(get, path = "/api/v1/scorecards/{tier}", tag = "health",
    params(("tier" = String, Path, description = "enterprise, enterprise_on_ramp or business")),
    responses((status = 200, body = ScorecardList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tier): Path<String>,
) -> ApiResult<axum::Json<ScorecardList>> {
    let tier = tier_of(&tier)?;
    let items = state.app.scorecard_versions(&actor, tier).await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(ScorecardList { items }))
}

#[utoipa::path(put, path = "/api/v1/scorecards/{tier}", tag = "health", request_body = ScorecardContent,
    params(("tier" = String, Path, description = "enterprise, enterprise_on_ramp or business")),
    responses((status = 201, body = ScorecardOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tier): Path<String>,
    ApiJson(content): ApiJson<ScorecardContent>,
) -> ApiResult<impl IntoResponse> {
    let tier = tier_of(&tier)?;
    let saved = state.app.save_scorecard(&actor, tier, content).await?;
    Ok((StatusCode::CREATED, axum::Json(ScorecardOut::from(saved))))
}

#[derive(Serialize, ToSchema)]
pub struct ImportOut {
    pub rows: usize,
    pub stored: u64,
    /// Rows already stored (same account, name and instant).
    pub duplicates: u64,
}

/// `POST /api/v1/signals/import`: a CSV body (`Content-Type: text/csv`) with the columns
/// `account_id,name,value,at`; all rows land or none.
#[utoipa::path(post, path = "/api/v1/signals/import", tag = "health",
    request_body(content = String, content_type = "text/csv", description = "account_id,name,value,at"),
    responses((status = 200, body = ImportOut), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import_signals(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("text/csv") {
        let message = "send the CSV as the body with Content-Type: text/csv";
        let fields = std::collections::BTreeMap::from([("file".to_string(), message.to_string())]);
        return crate::error::ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("file {message}"),
            fields,
        );
    }
    match state.app.import_signals_csv(&actor, &body).await {
        Ok((rows, stored)) => axum::Json(ImportOut { rows, stored, duplicates: rows as u64 - stored }).into_response(),
        Err(err) => crate::error::ApiError(err).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfIn {
    /// Measure key → the value to try instead of today's.
    pub values: std::collections::BTreeMap<String, f64>,
}

#[derive(Serialize, ToSchema)]
pub struct WhatIfOut {
    pub actual: ComputedOut,
    pub what_if: ComputedOut,
    /// The hypothetical breakdown.
    pub breakdown: Vec<MeasureResult>,
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/health/what-if", tag = "health", request_body = WhatIfIn,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = WhatIfOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn what_if(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WhatIfIn>,
) -> ApiResult<axum::Json<WhatIfOut>> {
    let (actual, hypo) = state.app.health_what_if(&actor, account_id(&id)?, &input.values).await?;
    let computed =
        |s: &tamhub_domain::health::HealthScore| ComputedOut { score: s.score, band: s.band, data_pct: s.data_pct };
    Ok(axum::Json(WhatIfOut { actual: computed(&actual), what_if: computed(&hypo), breakdown: hypo.measures }))
}

#[derive(Serialize, ToSchema)]
pub struct RescoreOut {
    pub tier: Tier,
    pub days: u32,
    /// running, done or failed.
    pub state: &'static str,
    pub done: u64,
    pub total: u64,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
}

impl From<tamhub_app::health::RescoreStatus> for RescoreOut {
    fn from(s: tamhub_app::health::RescoreStatus) -> Self {
        RescoreOut {
            tier: s.tier,
            days: s.days,
            state: s.state,
            done: s.done,
            total: s.total,
            started_at: s.started_at,
            finished_at: s.finished_at,
            error: s.error,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RescoreIn {
    /// Days of history to re-score, today included (1-365, default 30).
    pub days: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/scorecards/{tier}/rescore", tag = "health", request_body = RescoreIn,
    params(("tier" = String, Path, description = "enterprise, enterprise_on_ramp or business")),
    responses((status = 202, body = RescoreOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn start_rescore(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tier): Path<String>,
    ApiJson(input): ApiJson<RescoreIn>,
) -> ApiResult<impl IntoResponse> {
    let tier = tier_of(&tier)?;
    let status = state.app.start_rescore(&actor, tier, input.days.unwrap_or(30)).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(RescoreOut::from(status))))
}

#[utoipa::path(get, path = "/api/v1/scorecards/{tier}/rescore", tag = "health",
    params(("tier" = String, Path, description = "enterprise, enterprise_on_ramp or business")),
    responses((status = 200, body = RescoreOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rescore_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tier): Path<String>,
) -> ApiResult<axum::Json<RescoreOut>> {
    let tier = tier_of(&tier)?;
    let status = state.app.rescore_status(&actor, tier)?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(status.into()))
}
