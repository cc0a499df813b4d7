//! Event readiness (`/api/v1/accounts/{id}/events`, `/api/v1/events`) and service quotas
//! (`/api/v1/accounts/{id}/quotas`, `/api/v1/quotas/{id}`), each event checked against the
//! account's quotas.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use tamhub_app::AppError;
use tamhub_domain::events::{Event, EventDraft, Quota, QuotaDraft, quotas_exceeded};
use tamhub_domain::ids::{AccountId, EventId, QuotaId};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::auth::{ApiAccountAccess, ApiActor};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct QuotaRiskOut {
    pub quota_id: QuotaId,
    pub service: String,
    pub name: String,
    pub limit: f64,
    pub usage: f64,
    /// Usage × the event's load multiplier.
    pub projected: f64,
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    #[serde(flatten)]
    pub event: Event,
    /// Done checklist items over all, in percent.
    pub readiness_pct: f64,
    /// The account's quotas the event's load would exceed.
    pub quota_risks: Vec<QuotaRiskOut>,
    /// On a registration or move under 30 days ahead.
    pub warning: Option<String>,
}

pub fn event_out(event: Event, quotas: &[Quota], warning: Option<String>) -> EventOut {
    let quota_risks = quotas_exceeded(&event, quotas)
        .into_iter()
        .map(|(q, projected)| QuotaRiskOut {
            quota_id: q.id,
            service: q.service.clone(),
            name: q.name.clone(),
            limit: q.limit,
            usage: q.usage,
            projected,
        })
        .collect();
    EventOut { readiness_pct: (event.readiness_pct() * 100.0).round() / 100.0, quota_risks, warning, event }
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    /// Soonest first.
    pub items: Vec<EventOut>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/events", tag = "events",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = EventList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_events(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<EventList>> {
    let (account, events) = state.app.events(&access.actor, access.account.id).await?;
    let quotas = state.app.quotas(&access.actor, account.id).await?.1;
    Ok(axum::Json(EventList { items: events.into_iter().map(|e| event_out(e, &quotas, None)).collect() }))
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, body = EventList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn upcoming(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<EventList>> {
    let events = state.app.upcoming_events(&actor).await?;
    let mut items = Vec::new();
    for e in events {
        let quotas = state.app.store.list_quotas(e.account_id).await.map_err(AppError::from)?;
        items.push(event_out(e, &quotas, None));
    }
    Ok(axum::Json(EventList { items }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/events", tag = "events", request_body = EventDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = EventOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_event(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<EventDraft>,
) -> ApiResult<impl IntoResponse> {
    let (event, warning) = state.app.save_event(&access.actor, access.account.id, None, draft).await?;
    let quotas = state.app.quotas(&access.actor, access.account.id).await?.1;
    Ok((StatusCode::CREATED, axum::Json(event_out(event, &quotas, warning))))
}

fn event_id(text: &str) -> Result<EventId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = EventId, Path, description = "Event id")),
    responses((status = 200, body = EventOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_event(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<EventOut>> {
    let (_, event, quotas) = state.app.get_event(&actor, event_id(&id)?).await?;
    Ok(axum::Json(event_out(event, &quotas, None)))
}

#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "events", request_body = EventDraft,
    params(("id" = EventId, Path, description = "Event id")),
    responses((status = 200, body = EventOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_event(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<EventDraft>,
) -> ApiResult<axum::Json<EventOut>> {
    let (account, _, quotas) = state.app.get_event(&actor, event_id(&id)?).await?;
    let (event, warning) = state.app.save_event(&actor, account.id, Some(event_id(&id)?), draft).await?;
    Ok(axum::Json(event_out(event, &quotas, warning)))
}

#[derive(Serialize, ToSchema)]
pub struct EventLoadOut {
    pub event_id: EventId,
    pub title: String,
    pub projected: f64,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaOut {
    #[serde(flatten)]
    pub quota: Quota,
    pub utilisation_pct: f64,
    pub over_threshold: bool,
    /// Upcoming events whose load would take usage above the limit.
    pub events_exceeding: Vec<EventLoadOut>,
}

pub fn quota_out(quota: Quota, events: &[Event]) -> QuotaOut {
    let events_exceeding = events
        .iter()
        .filter_map(|e| {
            let (projected, over) = quota.projected(e.load_multiplier);
            over.then(|| EventLoadOut { event_id: e.id, title: e.title.clone(), projected })
        })
        .collect();
    QuotaOut {
        utilisation_pct: (quota.utilisation_pct() * 100.0).round() / 100.0,
        over_threshold: quota.over_threshold(),
        events_exceeding,
        quota,
    }
}

#[derive(Serialize, ToSchema)]
pub struct QuotaList {
    pub items: Vec<QuotaOut>,
}

async fn upcoming_of(state: &AppState, account: AccountId) -> ApiResult<Vec<Event>> {
    let now = state.app.clock.now();
    Ok(state
        .app
        .store
        .list_events(tamhub_domain::scope::AccountScope::All, Some(account), Some(now))
        .await
        .map_err(AppError::from)?)
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/quotas", tag = "events",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = QuotaList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_quotas(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<QuotaList>> {
    let (account, quotas) = state.app.quotas(&access.actor, access.account.id).await?;
    let events = upcoming_of(&state, account.id).await?;
    Ok(axum::Json(QuotaList { items: quotas.into_iter().map(|q| quota_out(q, &events)).collect() }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/quotas", tag = "events", request_body = QuotaDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = QuotaOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_quota(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<QuotaDraft>,
) -> ApiResult<impl IntoResponse> {
    let quota = state.app.save_quota(&access.actor, access.account.id, None, draft).await?;
    let events = upcoming_of(&state, access.account.id).await?;
    Ok((StatusCode::CREATED, axum::Json(quota_out(quota, &events))))
}

fn quota_id(text: &str) -> Result<QuotaId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/quotas/{id}", tag = "events",
    params(("id" = QuotaId, Path, description = "Quota id")),
    responses((status = 200, body = QuotaOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_quota(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<QuotaOut>> {
    let (account, quota) = state.app.get_quota(&actor, quota_id(&id)?).await?;
    let events = upcoming_of(&state, account.id).await?;
    Ok(axum::Json(quota_out(quota, &events)))
}

#[utoipa::path(patch, path = "/api/v1/quotas/{id}", tag = "events", request_body = QuotaDraft,
    params(("id" = QuotaId, Path, description = "Quota id")),
    responses((status = 200, body = QuotaOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_quota(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<QuotaDraft>,
) -> ApiResult<axum::Json<QuotaOut>> {
    let (account, _) = state.app.get_quota(&actor, quota_id(&id)?).await?;
    let quota = state.app.save_quota(&actor, account.id, Some(quota_id(&id)?), draft).await?;
    let events = upcoming_of(&state, account.id).await?;
    Ok(axum::Json(quota_out(quota, &events)))
}
