//! A JSON body extractor whose errors follow our error format: malformed JSON is 400, a value of
//! the wrong type or a missing or unknown field is 422 naming the field, a body that is not
//! JSON is 415. Its query-string counterpart, `ApiQuery`, answers 422 naming the parameter.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

/// A query-string extractor whose errors follow our error format (axum's `Query` answers
/// plain-text 400): a repeated, unknown or mistyped parameter is 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let err = match serde_urlencoded::from_str::<T>(query) {
            Ok(value) => return Ok(ApiQuery(value)),
            Err(err) => err.to_string(),
        };
        let named = |prefix: &str| err.strip_prefix(prefix).and_then(|rest| rest.split('`').nth(1)).map(str::to_string);
        let (field, message) = if let Some(field) = named("duplicate field ") {
            (field, "is given more than once".to_string())
        } else if let Some(field) = named("unknown field ") {
            (field, "is not a known parameter".to_string())
        } else {
            // serde_urlencoded does not say which value failed; every parameter of our query
            // types is optional, so the one that fails on its own is the culprit.
            let culprit = query
                .split('&')
                .find(|pair| !pair.is_empty() && serde_urlencoded::from_str::<T>(pair).is_err())
                .and_then(|pair| serde_urlencoded::from_str::<Vec<(String, String)>>(pair).ok())
                .and_then(|pairs| pairs.into_iter().next())
                .map(|(key, _)| key);
            (culprit.unwrap_or_else(|| "query".into()), err.clone())
        };
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
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                let message = format!("the body is larger than {} bytes", crate::MAX_BODY_BYTES);
                return ApiError::with_status(status, "payload_too_large", message, BTreeMap::new());
            }
            ApiError::with_status(status, "bad_request", rejection.body_text(), BTreeMap::new())
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

/// Decodes an already parsed JSON value (a merged PATCH body, say) with the same field-named
/// errors as a body.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, tamhub_app::AppError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let (field, message) = describe(&err.path().to_string(), &err.inner().to_string());
        tamhub_app::AppError::invalid_field(&field, message)
    })
}

/// Turns serde's messages into a field name and a sentence a user can act on.
fn describe(path: &str, message: &str) -> (String, String) {
    let message = message.split(" at line ").next().unwrap_or(message);
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_string);
    // For an unknown field the path already ends with the field's name; for a missing one it
    // names the enclosing object.
    let within = |field: String| {
        if path == "." || path.is_empty() {
            field
        } else if path == field || path.ends_with(&format!(".{field}")) {
            path.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_else(|| rest.to_string());
        return (within(field), "is required".into());
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = quoted(rest).unwrap_or_else(|| rest.to_string());
        return (within(field), "is not a known field".into());
    }
    let field = if path == "." { "body".to_string() } else { path.to_string() };
    (field, plain_type_error(message))
}

/// serde says "invalid type: string \"x\", expected i64"; a user needs "must be a whole number".
fn plain_type_error(message: &str) -> String {
    let expected = message.rsplit("expected ").next().unwrap_or("");
    let plain = if message.starts_with("invalid type: null") {
        "must not be null"
    } else if message.contains("UUID") || message.contains("uuid") {
        "must be an id (a UUID)"
    } else if ["i64", "i32", "u64", "u32", "u16", "u8", "usize"].iter().any(|t| expected.starts_with(t)) {
        "must be a whole number"
    } else if expected.starts_with("f64") || expected.starts_with("f32") {
        "must be a number"
    } else if expected.starts_with("a boolean") {
        "must be true or false"
    } else if expected.starts_with("a string") {
        "must be a string"
    } else if expected.starts_with("a sequence") {
        "must be a list"
    } else if message.starts_with("invalid value: integer") {
        "is out of range"
    } else {
        return message.to_string();
    };
    plain.to_string()
}

impl<T> IntoResponse for ApiJson<T>
where
    axum::Json<T>: IntoResponse,
{
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// For PATCH fields that may be cleared: absent is `None` (leave alone), `null` is `Some(None)`.
pub fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// For PATCH fields that may be left out but not set to null: absent stays `None`, `null` is a
/// 422 naming the field ("must not be null") instead of being silently ignored.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
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
        // What serde_path_to_error really reports: the path already names the unknown field.
        assert_eq!(
            describe("nmae", "unknown field `nmae`, expected one of `name`"),
            ("nmae".into(), "is not a known field".into())
        );
        assert_eq!(describe("owner", "missing field `id`"), ("owner.id".into(), "is required".into()));
        assert_eq!(
            describe("arr", "invalid type: string \"x\", expected i64 at line 1 column 9"),
            ("arr".into(), "must be a whole number".into())
        );
        assert_eq!(describe("workloads", "invalid type: string \"a\", expected a sequence").1, "must be a list");
    }
}
