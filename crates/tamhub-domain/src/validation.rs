//! Field-level validation errors, collected so a user sees every problem at once.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Records the first problem of a field; later ones for the same field are dropped because
    /// a user fixes one thing at a time.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }

    pub fn merge(&mut self, other: FieldErrors) {
        for (field, message) in other.0 {
            self.add(&field, message);
        }
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// A trimmed, non-empty text of bounded length.
pub fn required_text(errors: &mut FieldErrors, field: &str, value: &str, max_chars: usize) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.add(field, "must not be empty");
    } else if trimmed.chars().count() > max_chars {
        errors.add(field, format!("must be at most {max_chars} characters"));
    } else if trimmed.chars().any(|c| c.is_control()) {
        errors.add(field, "must not contain control characters");
    }
    trimmed.to_string()
}

/// Optional free text (notes): may be empty, bounded, newlines allowed.
pub fn optional_text(errors: &mut FieldErrors, field: &str, value: &str, max_chars: usize) -> String {
    let trimmed = value.trim();
    if trimmed.chars().count() > max_chars {
        errors.add(field, format!("must be at most {max_chars} characters"));
    } else if trimmed.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        errors.add(field, "must not contain control characters");
    }
    trimmed.to_string()
}

/// True for text that no field accepts: control characters such as NUL, which PostgreSQL
/// refuses outright and which no user types on purpose.
pub fn has_control_chars(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Parses one of an enum's wire names, naming the allowed values on failure.
pub fn parse_choice<T: Copy>(errors: &mut FieldErrors, field: &str, value: &str, choices: &[(T, &str)]) -> Option<T> {
    let found = choices.iter().find(|(_, name)| *name == value).map(|(v, _)| *v);
    if found.is_none() {
        let names: Vec<&str> = choices.iter().map(|(_, n)| *n).collect();
        errors.add(field, format!("must be one of: {}", names.join(", ")));
    }
    found
}

pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_rejects_blank_and_overlong_values() {
        let mut errors = FieldErrors::new();
        required_text(&mut errors, "name", "   ", 10);
        required_text(&mut errors, "title", &"x".repeat(11), 10);
        assert_eq!(errors.get("name"), Some("must not be empty"));
        assert_eq!(errors.get("title"), Some("must be at most 10 characters"));
    }

    #[test]
    fn email_needs_a_local_part_and_a_dotted_domain() {
        assert!(is_valid_email("ana@example.com"));
        assert!(!is_valid_email("ana@example"));
        assert!(!is_valid_email("@example.com"));
        assert!(!is_valid_email("ana example@example.com"));
    }
}
