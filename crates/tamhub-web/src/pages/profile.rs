//! The signed-in user's profile and personal API tokens.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use tamhub_app::AppError;
use tamhub_domain::ids::TokenId;

use super::format;
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::{PageForm, PageUser};

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: String,
}

#[derive(Template)]
#[template(path = "profile/show.html")]
struct ProfilePage {
    layout: Layout,
    name: String,
    email: String,
    role: String,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
    error: Option<String>,
    token_name: String,
    staff: bool,
    /// When the calendar feed was created, if one is live.
    feed_since: Option<String>,
    /// The new feed address, shown once after it is made.
    feed_url: Option<String>,
}

async fn profile_page(
    state: &AppState,
    user: &PageUser,
    new_secret: Option<String>,
    error: Option<String>,
    token_name: String,
) -> PageResult {
    feed_page(state, user, new_secret, error, token_name, None).await
}

async fn feed_page(
    state: &AppState,
    user: &PageUser,
    new_secret: Option<String>,
    error: Option<String>,
    token_name: String,
    feed_url: Option<String>,
) -> PageResult {
    let tokens = state
        .app
        .list_api_tokens(&user.actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            created: format::instant(t.created_at),
            last_used: t.last_used_at.map(format::instant).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.map(format::instant).unwrap_or_default(),
        })
        .collect();
    let u = &user.actor.user;
    let page = ProfilePage {
        layout: Layout::new(user, "/profile"),
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role.label().into(),
        tokens,
        new_secret,
        error,
        token_name,
        staff: u.role.is_staff(),
        feed_since: state.app.calendar_feed_created(&user.actor).await?.map(format::instant),
        feed_url,
    };
    let mut response = render(&page);
    if page.error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn show(State(state): State<AppState>, user: PageUser) -> PageResult {
    profile_page(&state, &user, None, None, String::new()).await
}

pub async fn create_token(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    match state.app.create_api_token(&user.actor, form.get("name")).await {
        // Shown in this response only: it is never stored and cannot be shown again.
        Ok((_, secret)) => profile_page(&state, &user, Some(secret), None, String::new()).await,
        Err(AppError::Invalid { fields, message }) => {
            let text = fields.get("name").map(|m| format!("Token name {m}.")).unwrap_or(message);
            profile_page(&state, &user, None, Some(text), form.get("name").to_string()).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    let id: TokenId = id.parse().map_err(|_| AppError::NotFound)?;
    state.app.revoke_api_token(&user.actor, id).await?;
    Ok(Redirect::to("/profile").into_response())
}

/// `POST /profile/calendar-feed`: a new secret feed address (the old one stops working).
pub async fn rotate_feed(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    let token = state.app.rotate_calendar_feed(&user.actor).await?;
    let url = format!("{}/calendar/{token}.ics", crate::api::engagements::base_url(&headers));
    feed_page(&state, &user, None, None, String::new(), Some(url)).await
}

/// `POST /profile/calendar-feed/revoke`.
pub async fn revoke_feed(State(state): State<AppState>, PageForm { user, .. }: PageForm) -> PageResult {
    state.app.revoke_calendar_feed(&user.actor).await?;
    Ok(Redirect::to("/profile#calendar").into_response())
}
