//! What a form shows again after a post: the values as typed and the error beside each field.
//! The inputs themselves are the macros of `templates/_fields.html`.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use tamhub_domain::validation::FieldErrors;

use super::render;
use crate::auth::FormData;

#[derive(Default, Clone, Debug)]
pub struct FormState {
    values: HashMap<String, Vec<String>>,
    pub errors: FieldErrors,
}

impl FormState {
    /// The values of a post, each field as often as it was sent.
    pub fn from_post(form: &FormData) -> FormState {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in &form.0 {
            values.entry(k.clone()).or_default().push(v.clone());
        }
        FormState { values, errors: FieldErrors::new() }
    }

    pub fn with_errors(mut self, errors: FieldErrors) -> FormState {
        self.errors = errors;
        self
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.insert(name.to_string(), vec![value.into()]);
    }

    pub fn set_all(&mut self, name: &str, values: Vec<String>) {
        self.values.insert(name.to_string(), values);
    }

    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).and_then(|v| v.first()).map(String::as_str).unwrap_or("")
    }

    /// Whether `value` is among the values of `name` (a select option, a ticked checkbox).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.get(name).is_some_and(|v| v.iter().any(|x| x == value))
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.value(name), "on" | "true" | "1")
    }

    /// The error of a field, or of any of its parts (`brief.evidence.timestamps[2]` shows at
    /// `brief.evidence.timestamps`).
    pub fn error(&self, name: &str) -> Option<String> {
        if let Some(e) = self.errors.get(name) {
            return Some(e.to_string());
        }
        let parts: Vec<String> = self
            .errors
            .iter()
            .filter(|(field, _)| {
                field.strip_prefix(name).is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
            })
            .map(|(field, message)| format!("{}: {message}", part_label(&field[name.len()..])))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The error of exactly this field, not of its parts.
    pub fn own_error(&self, name: &str) -> Option<&str> {
        self.errors.get(name)
    }

    pub fn invalid(&self, name: &str) -> bool {
        self.error(name).is_some()
    }

    /// Errors whose field no input on the page shows, as sentences for the alert at the top.
    pub fn unplaced_errors(&self, shown: &[&str]) -> Vec<String> {
        self.errors
            .iter()
            .filter(|(field, _)| {
                !shown.iter().any(|s| {
                    field.as_str() == *s
                        || field.strip_prefix(s).is_some_and(|r| r.starts_with('[') || r.starts_with('.'))
                })
            })
            .map(|(field, message)| format!("{} {message}", field.replace('_', " ")))
            .collect()
    }
}

/// `[2]` → "entry 3", `.logs` → "logs".
fn part_label(rest: &str) -> String {
    match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((i, more)) => match i.parse::<usize>() {
            Ok(i) if more.is_empty() => format!("entry {}", i + 1),
            _ => rest.to_string(),
        },
        None => rest.trim_start_matches('.').replace('_', " "),
    }
}

/// An option of a select: `(value, label)`.
pub type Opt = (String, String);

pub fn opt(value: impl Into<String>, label: impl Into<String>) -> Opt {
    (value.into(), label.into())
}

/// The alert above a refused form: every field's problem, or None when there is none.
pub fn errors_text(errors: &FieldErrors) -> Option<String> {
    (!errors.is_empty()).then(|| {
        let all: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        format!("Not saved: {}.", all.join("; "))
    })
}

/// The page with status 422: the form came back with errors.
pub fn unprocessable(page: &impl Template) -> Response {
    let mut response = render(page);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}
