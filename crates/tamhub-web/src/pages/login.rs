//! Sign in and sign out.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tamhub_app::AppError;
use tamhub_app::auth::random_secret;

use super::render;
use crate::AppState;
use crate::auth::csrf::{FIELD, LOGIN_COOKIE};
use crate::auth::{FormData, PageForm, SESSION_COOKIE, cookie_value, set_cookie};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only same-site paths: `next` must never send a user to another site after sign-in.
fn safe_next(next: &str) -> String {
    // Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become
    // "//evil.example": control characters disqualify a target outright.
    let same_site = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if same_site && !next.chars().any(char::is_control) { next.to_string() } else { "/".into() }
}

fn login_page(
    status: StatusCode,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    secure: bool,
) -> Response {
    let mut response = render(&LoginPage { csrf: csrf.clone(), email, next, error });
    *response.status_mut() = status;
    if let Ok(value) = set_cookie(LOGIN_COOKIE, &csrf, 3600, secure).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn form(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<LoginQuery>) -> Response {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    let signed_in = match cookie_value(&headers, SESSION_COOKIE) {
        Some(token) => state.app.authenticate_session(&token).await.is_ok(),
        None => false,
    };
    if signed_in {
        return Redirect::to(&next).into_response();
    }
    login_page(StatusCode::OK, random_secret(), String::new(), next, None, state.secure_cookies)
}

pub async fn submit(State(state): State<AppState>, request: Request) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let (parts, body) = request.into_parts();
    let sent_cookie = cookie_value(&parts.headers, LOGIN_COOKIE).unwrap_or_default();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let form = FormData::parse(&bytes);
    let email = form.get("email").trim().to_string();
    let next = safe_next(form.get("next"));
    let fresh = random_secret();
    let secure = state.secure_cookies;
    let csrf_ok = !sent_cookie.is_empty() && bool::from(sent_cookie.as_bytes().ct_eq(form.get(FIELD).as_bytes()));
    if !csrf_ok {
        let message = "The sign-in form expired. Please try again.".to_string();
        return login_page(StatusCode::FORBIDDEN, fresh, email, next, Some(message), secure);
    }
    if email.is_empty() || form.get("password").is_empty() {
        let message = "Enter your email and password.".to_string();
        return login_page(StatusCode::UNPROCESSABLE_ENTITY, fresh, email, next, Some(message), secure);
    }
    match state.app.login(&email, form.get("password"), &ip).await {
        Ok(logged_in) => {
            let max_age = state.app.config.session_hours * 3600;
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            if let Ok(v) = set_cookie(SESSION_COOKIE, &logged_in.token, max_age, secure).parse() {
                headers.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = set_cookie(LOGIN_COOKIE, "", 0, secure).parse() {
                headers.append(header::SET_COOKIE, v);
            }
            response
        }
        Err(AppError::Unauthenticated) => login_page(
            StatusCode::UNAUTHORIZED,
            fresh,
            email,
            next,
            Some("That email and password do not match an active account.".into()),
            secure,
        ),
        Err(AppError::RateLimited { retry_after_seconds }) => login_page(
            StatusCode::TOO_MANY_REQUESTS,
            fresh,
            email,
            next,
            Some(format!("Too many failed attempts. Try again in {} minutes.", retry_after_seconds.div_ceil(60))),
            secure,
        ),
        Err(other) => super::PageError(other).into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, _form: PageForm) -> Response {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE)
        && let Err(err) = state.app.logout(&token).await
    {
        return super::PageError(err).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
