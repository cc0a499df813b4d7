//! Opaque cursors for list endpoints: `{"items": [...], "next_cursor": "…" | null}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use tamhub_app::AppError;

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
