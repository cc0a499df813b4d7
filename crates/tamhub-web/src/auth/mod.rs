//! Who is asking: API tokens for `/api/v1`, session cookies for pages, CSRF for forms, and the
//! `*AccountAccess` extractors that load an account only if it is in the caller's scope.

pub mod csrf;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use subtle::ConstantTimeEq;
use tamhub_app::{Actor, AppError};
use tamhub_domain::accounts::Account;
use tamhub_domain::ids::{AccountId, TicketId};
use tamhub_domain::tickets::Ticket;

use crate::AppState;
use crate::error::ApiError;
use crate::pages::PageError;

pub const SESSION_COOKIE: &str = "tamhub_session";

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}")
}

/// The caller of an API route, authenticated by `Authorization: Bearer <token>`.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(ApiActor(actor.clone()));
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(ApiError(AppError::Unauthenticated))?;
        let actor = state.app.authenticate_api_token(bearer).await?;
        parts.extensions.insert(actor.clone());
        Ok(ApiActor(actor))
    }
}

/// The signed-in browser user, with the session's CSRF token for the forms on the page.
#[derive(Clone)]
pub struct PageUser {
    pub actor: Actor,
    pub csrf: String,
    /// Unread notifications, for the bell in the top bar (one COUNT per page).
    pub unread_notifications: u64,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<PageUser>() {
            return Ok(user.clone());
        }
        let to_login = || {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target = if next == "/" { "/login".to_string() } else { format!("/login?next={}", urlencode(next)) };
            Redirect::to(&target).into_response()
        };
        let Some(token) = cookie_value(&parts.headers, SESSION_COOKIE) else { return Err(to_login()) };
        match state.app.authenticate_session(&token).await {
            Ok((session, actor)) => {
                let unread_notifications =
                    state.app.unread_notifications(&actor).await.map_err(|e| PageError(e).into_response())?;
                let user = PageUser { actor, csrf: session.csrf_token, unread_notifications };
                parts.extensions.insert(user.clone());
                Ok(user)
            }
            Err(AppError::Unauthenticated) => Err(to_login()),
            Err(other) => Err(PageError(other).into_response()),
        }
    }
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map(|s| s[1..].to_string()).unwrap_or_default()
}

/// Posted form fields, in order (a field may repeat, e.g. several support engineers).
#[derive(Clone, Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1")
    }
}

/// A form post from a signed-in user whose CSRF token matched: handlers that change anything
/// take this, so none can forget the check.
pub struct PageForm {
    pub user: PageUser,
    pub form: FormData,
}

/// Forms are small; anything bigger is refused before parsing.
const MAX_FORM_BYTES: usize = 256 * 1024;

impl FromRequest<AppState> for PageForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = PageUser::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| {
            let mut response = PageError(AppError::invalid_field("form", "is too large")).into_response();
            *response.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
            response
        })?;
        let form = FormData::parse(&bytes);
        let sent = form.get(csrf::FIELD);
        if !bool::from(sent.as_bytes().ct_eq(user.csrf.as_bytes())) || sent.is_empty() {
            return Err(csrf::rejected());
        }
        Ok(PageForm { user, form })
    }
}

/// A `multipart/form-data` post (a file upload) from a signed-in user whose CSRF token matched.
/// Text fields are collected; each file is read whole (the router's body limit bounds it).
pub struct PageUpload {
    pub user: PageUser,
    pub form: FormData,
    /// `(field name, file name, bytes)` of each file sent.
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl FromRequest<AppState> for PageUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let user = PageUser::from_request_parts(&mut parts, state).await?;
        let bad = |message: String| PageError(AppError::invalid_field("file", message)).into_response();
        let mut multipart = axum::extract::Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| bad(format!("could not be read: {}", e.body_text())))?;
        let mut form = FormData::default();
        let mut files = Vec::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(bad(format!("could not be read: {}", e.body_text()))),
            };
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes =
                        field.bytes().await.map_err(|e| bad(format!("could not be read: {}", e.body_text())))?;
                    files.push((name, file_name, bytes.to_vec()));
                }
                None => {
                    let text = field.text().await.map_err(|e| bad(format!("could not be read: {}", e.body_text())))?;
                    form.0.push((name, text));
                }
            }
        }
        let sent = form.get(csrf::FIELD);
        if !bool::from(sent.as_bytes().ct_eq(user.csrf.as_bytes())) || sent.is_empty() {
            return Err(csrf::rejected());
        }
        Ok(PageUpload { user, form, files })
    }
}

fn parse_account_id(parts: &Parts) -> Option<AccountId> {
    // Routes that carry an account put its id right after /accounts/.
    let path = parts.uri.path();
    let rest = path.split("/accounts/").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

/// An account the API caller may see. Handlers that take it cannot skip the scope check:
/// an unknown id and an id outside the caller's scope both answer 404.
pub struct ApiAccountAccess {
    pub actor: Actor,
    pub account: Account,
}

impl FromRequestParts<AppState> for ApiAccountAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        let id = parse_account_id(parts).ok_or(ApiError(AppError::NotFound))?;
        let account = state.app.get_account(&actor, id).await?;
        Ok(ApiAccountAccess { actor, account })
    }
}

/// The page counterpart of `ApiAccountAccess`: outside scope renders the not-found page.
pub struct PageAccountAccess {
    pub user: PageUser,
    pub account: Account,
}

impl FromRequestParts<AppState> for PageAccountAccess {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = PageUser::from_request_parts(parts, state).await?;
        let id = parse_account_id(parts).ok_or_else(|| PageError(AppError::NotFound).into_response())?;
        let account = state.app.get_account(&user.actor, id).await.map_err(|e| PageError(e).into_response())?;
        Ok(PageAccountAccess { user, account })
    }
}

fn parse_ticket_id(parts: &Parts) -> Option<TicketId> {
    // Routes that carry a ticket put its id right after /tickets/.
    let rest = parts.uri.path().split("/tickets/").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

/// A ticket the API caller may see (its account is in their scope); otherwise 404.
pub struct ApiTicketAccess {
    pub actor: Actor,
    pub ticket: Ticket,
    pub account: Account,
}

impl FromRequestParts<AppState> for ApiTicketAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        let id = parse_ticket_id(parts).ok_or(ApiError(AppError::NotFound))?;
        let (ticket, account) = state.app.get_ticket(&actor, id).await?;
        Ok(ApiTicketAccess { actor, ticket, account })
    }
}

/// The page counterpart of `ApiTicketAccess`.
pub struct PageTicketAccess {
    pub user: PageUser,
    pub ticket: Ticket,
    pub account: Account,
}

impl FromRequestParts<AppState> for PageTicketAccess {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = PageUser::from_request_parts(parts, state).await?;
        let id = parse_ticket_id(parts).ok_or_else(|| PageError(AppError::NotFound).into_response())?;
        let (ticket, account) =
            state.app.get_ticket(&user.actor, id).await.map_err(|e| PageError(e).into_response())?;
        Ok(PageTicketAccess { user, ticket, account })
    }
}

fn parse_incident_id(parts: &Parts) -> Option<tamhub_domain::ids::IncidentId> {
    // Routes that carry an incident put its id right after /incidents/.
    let rest = parts.uri.path().split("/incidents/").nth(1)?;
    rest.split('/').next()?.parse().ok()
}

/// An incident the API caller may see (it impacts an account of their scope); otherwise 404.
pub struct ApiIncidentAccess {
    pub actor: Actor,
    pub view: tamhub_app::incidents::IncidentView,
}

impl FromRequestParts<AppState> for ApiIncidentAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ApiActor(actor) = ApiActor::from_request_parts(parts, state).await?;
        let id = parse_incident_id(parts).ok_or(ApiError(AppError::NotFound))?;
        let view = state.app.get_incident(&actor, id).await?;
        Ok(ApiIncidentAccess { actor, view })
    }
}

/// The page counterpart of `ApiIncidentAccess`.
pub struct PageIncidentAccess {
    pub user: PageUser,
    pub view: tamhub_app::incidents::IncidentView,
}

impl FromRequestParts<AppState> for PageIncidentAccess {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = PageUser::from_request_parts(parts, state).await?;
        let id = parse_incident_id(parts).ok_or_else(|| PageError(AppError::NotFound).into_response())?;
        let view = state.app.get_incident(&user.actor, id).await.map_err(|e| PageError(e).into_response())?;
        Ok(PageIncidentAccess { user, view })
    }
}
