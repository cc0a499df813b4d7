//! Opaque cursors for list endpoints: `{"items": [...], "next_cursor": "…" | null}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use tamhub_app::AppError;
use tamhub_domain::validation::{FieldErrors, has_control_chars, parse_choice};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The cursor hides the position so clients never build one by hand.
pub fn encode_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

pub fn decode_cursor(cursor: Option<&str>) -> Result<u64, AppError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else { return Ok(0) };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o:").and_then(|n| n.parse().ok()))
        // No list reaches this far; a larger offset is forged and would overflow the next
        // cursor's arithmetic and the databases' signed OFFSET.
        .filter(|offset: &u64| *offset <= i64::MAX as u64)
        .ok_or_else(|| AppError::invalid_field("cursor", "is not a cursor this API returned"))
}

pub fn parse_limit(limit: Option<&str>) -> Result<u32, AppError> {
    match limit.filter(|l| !l.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(AppError::invalid_field("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))),
        },
    }
}

pub fn next_cursor(offset: u64, returned: usize, limit: u32, total: u64) -> Option<String> {
    let next = offset + returned as u64;
    (returned as u32 == limit && next < total).then(|| encode_cursor(next))
}

/// A page from entries fetched with `limit + 1`: the extra one only says that more follow.
pub fn page_of<T, U: From<T>>(mut entries: Vec<T>, limit: u32, offset: u64) -> Page<U> {
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_cursor = more.then(|| encode_cursor(offset + u64::from(limit)));
    Page { items: entries.into_iter().map(U::from).collect(), next_cursor }
}

/// A query parameter with its surrounding blanks removed; empty counts as absent.
pub fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// What every list takes: a search text `q`, a `sort` key (`-` prefix for descending), `limit`
/// and `cursor`. Problems are added to `errors`, naming the parameter.
pub struct ListParams<S> {
    pub text: Option<String>,
    pub sort: S,
    pub descending: bool,
    pub limit: u32,
    pub offset: u64,
}

pub fn list_params<S: Copy + Default>(
    errors: &mut FieldErrors,
    q: &Option<String>,
    sort: &Option<String>,
    limit: Option<&str>,
    cursor: Option<&str>,
    sort_keys: &[(S, &str)],
) -> ListParams<S> {
    let text = given(q);
    if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
        errors.add("q", "must be at most 200 characters");
    } else if text.as_deref().is_some_and(has_control_chars) {
        errors.add("q", "must not contain control characters");
    }
    let (descending, sort) = match given(sort) {
        None => (false, S::default()),
        Some(sort) => {
            let (descending, key) = match sort.strip_prefix('-') {
                Some(key) => (true, key.to_string()),
                None => (false, sort),
            };
            (descending, parse_choice(errors, "sort", &key, sort_keys).unwrap_or_default())
        }
    };
    let mut merge = |result: Result<u64, AppError>| match result {
        Ok(value) => value,
        Err(AppError::Invalid { fields, .. }) => {
            errors.merge(fields);
            0
        }
        Err(_) => 0,
    };
    let limit = merge(parse_limit(limit).map(u64::from)) as u32;
    let offset = merge(decode_cursor(cursor));
    ListParams { text, sort, descending, limit, offset }
}
