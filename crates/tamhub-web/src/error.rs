//! The one table from application errors to HTTP: JSON for the API, HTML pages for browsers.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tamhub_app::AppError;

pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn code_of(err: &AppError) -> &'static str {
    match err {
        AppError::Unauthenticated => "unauthenticated",
        AppError::NotFound => "not_found",
        AppError::Forbidden(_) => "forbidden",
        AppError::Invalid { .. } => "validation_failed",
        AppError::Conflict(_) => "conflict",
        AppError::RateLimited { .. } => "rate_limited",
        AppError::Internal(_) => "internal",
    }
}

/// Internal details are logged once here and never shown; the user gets an id to quote.
pub fn public_message(err: &AppError) -> String {
    match err {
        AppError::Internal(detail) => {
            let reference = uuid::Uuid::now_v7();
            tracing::error!(%reference, %detail, "internal error");
            format!("internal error (reference {reference})")
        }
        AppError::NotFound => "not found".into(),
        other => other.to_string(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: validation_failed, not_found, forbidden, conflict, unauthenticated, …
    pub code: String,
    pub message: String,
    /// Per-field problems, keyed by field name.
    pub fields: BTreeMap<String, String>,
}

/// An API error: `{"error": {"code", "message", "fields"}}` with the status from the table.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl ApiError {
    pub fn with_status(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        fields: BTreeMap<String, String>,
    ) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: code.into(), message: message.into(), fields } };
        (status, Json(body)).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let fields = match &self.0 {
            AppError::Invalid { fields, .. } => fields.clone().into_map(),
            _ => BTreeMap::new(),
        };
        let mut response = ApiError::with_status(status, code_of(&self.0), public_message(&self.0), fields);
        if let AppError::RateLimited { retry_after_seconds } = self.0
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
