//! `/api/v1/notifications`: the caller's in-app notifications (SLA warnings and breaches,
//! escalations).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_domain::Timestamp;
use tamhub_domain::ids::{AccountId, ActionId, IncidentId, NotificationId, TicketId};
use tamhub_domain::notifications::Notification;
use utoipa::{IntoParams, ToSchema};

use super::json::ApiQuery;
use super::pagination::{decode_cursor, encode_cursor, parse_limit};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: NotificationId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// sla_warning, sla_breach, escalation, escalation_acknowledged, incident, incident_update_*,
    /// incident_review, action (assigned to you), action_due_soon, action_overdue
    pub kind: String,
    pub account_id: Option<AccountId>,
    pub ticket_id: Option<TicketId>,
    pub incident_id: Option<IncidentId>,
    /// The corrective action it is about.
    pub action_id: Option<ActionId>,
    pub title: String,
    pub body: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        NotificationOut {
            id: n.id,
            at: n.at,
            kind: n.kind,
            account_id: n.account_id,
            ticket_id: n.ticket_id,
            incident_id: n.incident_id,
            action_id: n.action_id,
            title: n.title,
            body: n.body,
            read_at: n.read_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationOut>,
    pub next_cursor: Option<String>,
    /// How many of the caller's notifications are unread.
    pub unread: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// `true`: only unread ones.
    pub unread: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationParams),
    responses((status = 200, body = NotificationList), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<NotificationParams>,
) -> ApiResult<axum::Json<NotificationList>> {
    let unread_only = match params.unread.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::invalid_field("unread", "must be true or false").into()),
    };
    let limit = parse_limit(params.limit.as_deref())?;
    let offset = decode_cursor(params.cursor.as_deref())?;
    let mut items = state.app.notifications(&actor, unread_only, limit + 1, offset).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok(axum::Json(NotificationList {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor: more.then(|| encode_cursor(offset + u64::from(limit))),
        unread: state.app.unread_notifications(&actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = NotificationId, Path, description = "Notification id")),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: NotificationId = id.parse().map_err(|_| AppError::NotFound)?;
    state.app.mark_notification_read(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn mark_all_read(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<StatusCode> {
    state.app.mark_all_notifications_read(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
