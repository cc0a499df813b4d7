//! SLA configuration: `/api/v1/calendars` (business calendars, versions, holiday import),
//! `/api/v1/settings/default-calendar`, and `/api/v1/sla-policies` (the ordered policy list).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_domain::Timestamp;
use tamhub_domain::ids::{CalendarId, PolicyId};
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarHours, ImportedHoliday};
use tamhub_domain::sla::model::{Metric, Reopen, Status};
use tamhub_domain::sla::policies::{PolicyFilter, SlaPolicy, SlaPolicyDraft, TargetSpec};
use utoipa::ToSchema;

use super::json::{ApiJson, decode, present};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult, ErrorBody};

fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[derive(Serialize, ToSchema)]
pub struct CalendarVersionOut {
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub effective_from: Timestamp,
    #[serde(flatten)]
    pub hours: CalendarHours,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarOut {
    pub id: CalendarId,
    pub name: String,
    /// The organisation's default: accounts without a calendar of their own use it.
    pub is_default: bool,
    /// The hours in force now.
    #[serde(flatten)]
    pub hours: CalendarHours,
    pub version: i64,
    /// Every version, oldest first (R-K10).
    pub versions: Vec<CalendarVersionOut>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl CalendarOut {
    fn new(c: BusinessCalendar, default: Option<CalendarId>, now: Timestamp) -> CalendarOut {
        let current = c.current(now).cloned();
        CalendarOut {
            id: c.id,
            name: c.name,
            is_default: default == Some(c.id),
            hours: current.as_ref().map(|v| v.hours.clone()).unwrap_or_default(),
            version: current.map(|v| v.version).unwrap_or(0),
            versions: c
                .versions
                .into_iter()
                .map(|v| CalendarVersionOut { version: v.version, effective_from: v.effective_from, hours: v.hours })
                .collect(),
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalendarList {
    pub items: Vec<CalendarOut>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/calendars", tag = "sla",
    responses((status = 200, body = CalendarList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_calendars(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<CalendarList>> {
    let (calendars, default) = state.app.list_calendars(&actor).await?;
    let now = state.app.clock.now();
    let items = calendars.into_iter().map(|c| CalendarOut::new(c, default, now)).collect();
    Ok(axum::Json(CalendarList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    pub name: String,
    /// IANA time zone, e.g. America/New_York.
    pub tz: String,
    /// `mon`..`sun` → list of `[start_minute, end_minute]` local minutes, end up to 1440.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"mon": [[540, 1020]], "tue": [[540, 1020]]}))]
    pub weekly: std::collections::BTreeMap<String, Vec<Vec<i64>>>,
    /// Local dates (YYYY-MM-DD) with no business hours.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Local date → the hours of that date instead of the weekly ones.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub exceptions: std::collections::BTreeMap<String, Vec<Vec<i64>>>,
}

#[utoipa::path(post, path = "/api/v1/calendars", tag = "sla", request_body = CalendarIn,
    responses((status = 201, body = CalendarOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<CalendarIn>,
) -> ApiResult<impl IntoResponse> {
    let hours =
        CalendarHours { tz: input.tz, weekly: input.weekly, holidays: input.holidays, exceptions: input.exceptions };
    let now = state.app.clock.now();
    let calendar = state.app.create_calendar(Some(&actor), &input.name, hours, now).await?;
    let default = state.app.list_calendars(&actor).await?.1;
    Ok((StatusCode::CREATED, axum::Json(CalendarOut::new(calendar, default, now))))
}

#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "sla",
    params(("id" = CalendarId, Path, description = "Calendar id")),
    responses((status = 200, body = CalendarOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<CalendarOut>> {
    let id = parse_id(&id)?;
    let calendar = state.app.get_calendar(&actor, id).await?;
    let default = state.app.list_calendars(&actor).await?.1;
    Ok(axum::Json(CalendarOut::new(calendar, default, state.app.clock.now())))
}

/// Any subset: a new name, and/or new hours (a new version effective now or at `effective_from`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPatchIn {
    // Absent leaves a field alone; null is refused by name rather than ignored.
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub tz: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub weekly: Option<std::collections::BTreeMap<String, Vec<Vec<i64>>>>,
    #[serde(default, deserialize_with = "present")]
    pub holidays: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub exceptions: Option<std::collections::BTreeMap<String, Vec<Vec<i64>>>>,
    /// RFC 3339; default now. Never in the past (R-K12).
    pub effective_from: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "sla", request_body = CalendarPatchIn,
    params(("id" = CalendarId, Path, description = "Calendar id")),
    responses((status = 200, body = CalendarOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CalendarPatchIn>,
) -> ApiResult<axum::Json<CalendarOut>> {
    let id: CalendarId = parse_id(&id)?;
    let now = state.app.clock.now();
    let current = state.app.get_calendar(&actor, id).await?.current(now).map(|v| v.hours.clone()).unwrap_or_default();
    let touched =
        input.tz.is_some() || input.weekly.is_some() || input.holidays.is_some() || input.exceptions.is_some();
    let hours = touched.then(|| CalendarHours {
        tz: input.tz.unwrap_or(current.tz.clone()),
        weekly: input.weekly.unwrap_or(current.weekly.clone()),
        holidays: input.holidays.unwrap_or(current.holidays.clone()),
        exceptions: input.exceptions.unwrap_or(current.exceptions.clone()),
    });
    let effective_from = match input.effective_from.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<Timestamp>().map_err(|_| {
            AppError::invalid_field("effective_from", "must be an RFC 3339 instant such as 2026-12-01T00:00:00Z")
        })?),
    };
    let calendar = state.app.update_calendar(&actor, id, input.name.as_deref(), hours, effective_from).await?;
    let default = state.app.list_calendars(&actor).await?.1;
    Ok(axum::Json(CalendarOut::new(calendar, default, now)))
}

#[derive(Serialize, ToSchema)]
pub struct HolidayImportOut {
    pub calendar: CalendarOut,
    /// The holidays that were not in the calendar yet.
    pub added: Vec<ImportedHoliday>,
}

#[utoipa::path(post, path = "/api/v1/calendars/{id}/holidays/import", tag = "sla",
    params(("id" = CalendarId, Path, description = "Calendar id")),
    request_body(content = String, content_type = "text/calendar", description = "An iCalendar (.ics) file"),
    responses((status = 200, body = HolidayImportOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import_holidays(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id: CalendarId = match parse_id(&id) {
        Ok(id) => id,
        Err(err) => return ApiError(err).into_response(),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("text/calendar") {
        // 415 as for a JSON route sent something else, with the field named.
        let message = "send the .ics file as the body with Content-Type: text/calendar";
        let fields = BTreeMap::from([("file".to_string(), message.to_string())]);
        return ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("file {message}"),
            fields,
        );
    }
    import_ics(state, actor, id, body).await.into_response()
}

async fn import_ics(
    state: AppState,
    actor: tamhub_app::Actor,
    id: CalendarId,
    body: Bytes,
) -> ApiResult<axum::Json<HolidayImportOut>> {
    let text = std::str::from_utf8(&body).map_err(|_| AppError::invalid_field("file", "must be UTF-8 text"))?;
    let (calendar, added) = state.app.import_holidays(&actor, id, text).await?;
    let default = state.app.list_calendars(&actor).await?.1;
    Ok(axum::Json(HolidayImportOut { calendar: CalendarOut::new(calendar, default, state.app.clock.now()), added }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultCalendarIo {
    /// null: no default (accounts without a calendar count business targets in all hours).
    pub calendar_id: Option<CalendarId>,
}

#[utoipa::path(get, path = "/api/v1/settings/default-calendar", tag = "sla",
    responses((status = 200, body = DefaultCalendarIo), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn default_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<DefaultCalendarIo>> {
    Ok(axum::Json(DefaultCalendarIo { calendar_id: state.app.list_calendars(&actor).await?.1 }))
}

#[utoipa::path(put, path = "/api/v1/settings/default-calendar", tag = "sla", request_body = DefaultCalendarIo,
    responses((status = 200, body = DefaultCalendarIo), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_default_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<DefaultCalendarIo>,
) -> ApiResult<axum::Json<DefaultCalendarIo>> {
    state.app.set_default_calendar(&actor, input.calendar_id).await?;
    Ok(axum::Json(input))
}

#[derive(Serialize, ToSchema)]
pub struct PolicyOut {
    pub id: PolicyId,
    /// 0 = first: policies are tried in order and the first whose filter matches applies.
    pub position: usize,
    pub name: String,
    /// `tiers`, `account_ids`, `ticket_types`; an empty list matches everything.
    #[schema(value_type = Object)]
    pub filter: PolicyFilter,
    /// `{metric, priority, seconds, hours, calendar}` per metric × priority.
    #[schema(value_type = Vec<Object>)]
    pub targets: Vec<TargetSpec>,
    pub warn_percent: Vec<i64>,
    pub warn_remaining_seconds: Vec<i64>,
    /// Metric → statuses it pauses in (metrics not listed use their defaults).
    #[schema(value_type = Object)]
    pub pause_sets: BTreeMap<Metric, Vec<Status>>,
    #[schema(value_type = Object)]
    pub reopen: BTreeMap<Metric, Reopen>,
    pub start_at_first_customer_message: bool,
}

impl PolicyOut {
    fn new(p: &SlaPolicy, position: usize) -> PolicyOut {
        PolicyOut {
            id: p.id,
            position,
            name: p.name.clone(),
            filter: p.filter.clone(),
            targets: p.targets.clone(),
            warn_percent: p.warn_percent.clone(),
            warn_remaining_seconds: p.warn_remaining_seconds.clone(),
            pause_sets: p.pause_sets.clone(),
            reopen: p.reopen.clone(),
            start_at_first_customer_message: p.start_at_first_customer_message,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyOut>,
    pub next_cursor: Option<String>,
}

fn policy_list(policies: &[SlaPolicy]) -> PolicyList {
    PolicyList { items: policies.iter().enumerate().map(|(i, p)| PolicyOut::new(p, i)).collect(), next_cursor: None }
}

/// The policy with its position in the list in force now.
async fn positioned(state: &AppState, actor: &tamhub_app::Actor, id: PolicyId) -> ApiResult<PolicyOut> {
    let list = state.app.list_policies(actor).await?;
    let position = list.iter().position(|p| p.id == id).ok_or(AppError::NotFound)?;
    Ok(PolicyOut::new(&list[position], position))
}

#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla",
    responses((status = 200, body = PolicyList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_policies(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<PolicyList>> {
    Ok(axum::Json(policy_list(&state.app.list_policies(&actor).await?)))
}

#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla", request_body = SlaPolicyDraft,
    responses((status = 201, body = PolicyOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_policy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(draft): ApiJson<SlaPolicyDraft>,
) -> ApiResult<impl IntoResponse> {
    let policy = state.app.create_policy(&actor, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(positioned(&state, &actor, policy.id).await?)))
}

#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla",
    params(("id" = PolicyId, Path, description = "Policy id")),
    responses((status = 200, body = PolicyOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_policy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<PolicyOut>> {
    Ok(axum::Json(positioned(&state, &actor, parse_id(&id)?).await?))
}

#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "sla", request_body = SlaPolicyDraft,
    params(("id" = PolicyId, Path, description = "Policy id")),
    responses((status = 200, body = PolicyOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_policy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(changes): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<axum::Json<PolicyOut>> {
    let id: PolicyId = parse_id(&id)?;
    let current = state.app.get_policy(&actor, id).await?;
    // PATCH: the fields given replace the policy's own; the others stay as they are.
    let mut merged = serde_json::to_value(current.to_draft()).unwrap_or_default();
    if let Some(object) = merged.as_object_mut() {
        object.extend(changes);
    }
    let draft: SlaPolicyDraft = decode(merged)?;
    state.app.update_policy(&actor, id, draft).await?;
    Ok(axum::Json(positioned(&state, &actor, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", tag = "sla",
    params(("id" = PolicyId, Path, description = "Policy id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_policy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.app.delete_policy(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
