//! Errors of the use cases; the web layer maps each to one status code.

use tamhub_domain::validation::FieldErrors;
use tamhub_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    /// Not found, or outside the actor's scope: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    /// In scope, but this role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Invalid { message: String, fields: FieldErrors },
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(fields: FieldErrors) -> Self {
        AppError::Invalid { message: "the request has invalid fields".into(), fields }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Invalid { message: format!("{field} {message}"), fields: FieldErrors::single(field, message) }
    }
}

impl From<FieldErrors> for AppError {
    fn from(fields: FieldErrors) -> Self {
        AppError::invalid(fields)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(message) | StoreError::Unsupported(message) => AppError::Conflict(message),
            other => AppError::Internal(other.to_string()),
        }
    }
}
