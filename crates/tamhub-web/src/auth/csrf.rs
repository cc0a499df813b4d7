//! CSRF protection. Signed-in forms carry the session's token; the login form, which has no
//! session yet, uses a double-submit cookie.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub const FIELD: &str = "csrf";
pub const LOGIN_COOKIE: &str = "tamhub_login_csrf";

pub fn rejected() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(
            "<!doctype html><title>Form expired</title><p>This form has expired or did not come from tamhub. \
             <a href=\"javascript:history.back()\">Go back</a>, reload the page and try again.</p>",
        ),
    )
        .into_response()
}
