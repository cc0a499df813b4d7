//! The signed-in user's notifications: SLA warnings and breaches, escalations. Newest first,
//! unread highlighted; marked read one by one or all at once.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::AppError;
use tamhub_domain::ids::NotificationId;

use super::clocks;
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{PageForm, PageUser};

const PER_PAGE: u32 = 50;

pub struct NotificationRow {
    pub id: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub title: String,
    pub body: String,
    pub href: Option<String>,
    pub when: String,
    pub ago: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct NotificationsPage {
    layout: Layout,
    rows: Vec<NotificationRow>,
    unread_only: bool,
    notice: Option<String>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize)]
pub struct NotificationQuery {
    unread: Option<String>,
    /// Text, so a hand-edited `?page=abc` shows page 1 instead of a bare 400.
    page: Option<String>,
    notice: Option<String>,
}

fn kind_of(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "sla_breach" => ("breach", "SLA breach"),
        "sla_warning" => ("warning", "SLA warning"),
        "escalation" => ("escalation", "Escalation"),
        "escalation_acknowledged" => ("engaged", "Engineering engaged"),
        "action" => ("other", "Corrective action"),
        "action_due_soon" => ("warning", "Action due soon"),
        "action_overdue" => ("breach", "Action overdue"),
        _ => ("other", "Notice"),
    }
}

pub async fn list(State(state): State<AppState>, user: PageUser, Query(query): Query<NotificationQuery>) -> PageResult {
    let unread_only = query.unread.as_deref() == Some("true");
    let page = query.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE)).min(i64::MAX as u64);
    let mut items = state.app.notifications(&user.actor, unread_only, PER_PAGE + 1, offset).await?;
    let more = items.len() > PER_PAGE as usize;
    items.truncate(PER_PAGE as usize);
    let now = state.app.clock.now();
    let rows = items
        .into_iter()
        .map(|n| {
            let (kind, kind_label) = kind_of(&n.kind);
            NotificationRow {
                id: n.id.to_string(),
                kind,
                kind_label,
                title: n.title,
                body: n.body,
                href: n
                    .ticket_id
                    .map(|t| format!("/tickets/{t}"))
                    .or_else(|| n.action_id.map(|a| format!("/actions/{a}")))
                    .or_else(|| n.incident_id.map(|i| format!("/incidents/{i}"))),
                when: format::instant(n.at),
                ago: clocks::relative(n.at, now),
                unread: n.read_at.is_none(),
            }
        })
        .collect();
    let filter = if unread_only { "unread=true&" } else { "" };
    let notice = match query.notice.as_deref() {
        Some("read") => Some("Marked as read.".to_string()),
        Some("all-read") => Some("All notifications marked as read.".to_string()),
        _ => None,
    };
    Ok(render(&NotificationsPage {
        layout: Layout::new(&user, "/notifications"),
        rows,
        unread_only,
        notice,
        prev_href: (page > 1).then(|| format!("/notifications?{filter}page={}", page - 1)),
        next_href: more.then(|| format!("/notifications?{filter}page={}", page + 1)),
    }))
}

pub async fn mark_read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    let id: NotificationId = id.parse().map_err(|_| AppError::NotFound)?;
    state.app.mark_notification_read(&user.actor, id).await?;
    Ok(Redirect::to("/notifications?notice=read").into_response())
}

pub async fn mark_all_read(State(state): State<AppState>, PageForm { user, .. }: PageForm) -> PageResult {
    state.app.mark_all_notifications_read(&user.actor).await?;
    Ok(Redirect::to("/notifications?notice=all-read").into_response())
}
