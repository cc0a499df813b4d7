//! A JSON body extractor whose errors follow our error format: malformed JSON is 400, a value of
//! the wrong type or a missing or unknown field is 422 naming the field, a body that is not
//! JSON is 415.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if !is_json {
            return Err(ApiError::with_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
                BTreeMap::new(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "bad_request" };
            ApiError::with_status(status, code, rejection.body_text(), BTreeMap::new())
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

// The rejection is a ready response, built once per failed request; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Response> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let trailing = deserializer.end();
    match result {
        Ok(value) => match trailing {
            Ok(()) => Ok(value),
            Err(err) => Err(ApiError::with_status(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {err}"),
                BTreeMap::new(),
            )),
        },
        Err(err) => {
            let inner = err.inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                return Err(ApiError::with_status(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not valid JSON: {inner}"),
                    BTreeMap::new(),
                ));
            }
            let (field, message) = describe(&err.path().to_string(), &inner.to_string());
            let mut fields = BTreeMap::new();
            fields.insert(field.clone(), message.clone());
            Err(ApiError::with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("{field} {message}"),
                fields,
            ))
        }
    }
}

/// Turns serde's messages into a field name and a sentence a user can act on.
fn describe(path: &str, message: &str) -> (String, String) {
    let message = message.split(" at line ").next().unwrap_or(message);
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_string);
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_else(|| rest.to_string());
        let field = if path == "." { field } else { format!("{path}.{field}") };
        return (field, "is required".into());
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = quoted(rest).unwrap_or_else(|| rest.to_string());
        let field = if path == "." { field } else { format!("{path}.{field}") };
        return (field, "is not a known field".into());
    }
    let field = if path == "." { "body".to_string() } else { path.to_string() };
    (field, message.to_string())
}

impl<T> IntoResponse for ApiJson<T>
where
    axum::Json<T>: IntoResponse,
{
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_unknown_fields_are_named() {
        assert_eq!(describe(".", "missing field `name`"), ("name".into(), "is required".into()));
        assert_eq!(
            describe(".", "unknown field `nmae`, expected one of `name`"),
            ("nmae".into(), "is not a known field".into())
        );
        assert_eq!(
            describe("arr", "invalid type: string \"x\", expected i64 at line 1 column 9"),
            ("arr".into(), "invalid type: string \"x\", expected i64".into())
        );
    }
}
