//! Users and their roles.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, UserId};
use crate::validation::{FieldErrors, is_valid_email, parse_choice, required_text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Tam,
    Psm,
    Pam,
    Support,
    Leadership,
    Admin,
    Customer,
}

impl Role {
    pub const ALL: [(Role, &'static str); 7] = [
        (Role::Tam, "tam"),
        (Role::Psm, "psm"),
        (Role::Pam, "pam"),
        (Role::Support, "support"),
        (Role::Leadership, "leadership"),
        (Role::Admin, "admin"),
        (Role::Customer, "customer"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(r, _)| *r == self).map(|(_, n)| *n).unwrap_or("tam")
    }

    pub fn parse(value: &str) -> Option<Role> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(r, _)| *r)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Tam => "Technical Account Manager",
            Role::Psm => "Partner Success Manager",
            Role::Pam => "Partner Account Manager",
            Role::Support => "Support engineer",
            Role::Leadership => "TAM leadership",
            Role::Admin => "Administrator",
            Role::Customer => "Customer contact",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The one account a customer contact belongs to; `None` for staff.
    pub account_id: Option<AccountId>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A validated request to create a user (the password is hashed by the app layer).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub account_id: Option<AccountId>,
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

impl NewUser {
    pub fn parse(
        email: &str,
        name: &str,
        role: &str,
        account_id: Option<AccountId>,
        password: &str,
    ) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = normalise_email(email);
        if !is_valid_email(&email) {
            errors.add("email", "must be a valid email address");
        }
        let name = required_text(&mut errors, "name", name, 120);
        let role = parse_choice(&mut errors, "role", role, &Role::ALL);
        check_role_account(&mut errors, role, account_id);
        check_password(&mut errors, password);
        errors.into_result()?;
        Ok(NewUser { email, name, role: role.unwrap_or(Role::Tam), account_id })
    }
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_password(errors: &mut FieldErrors, password: &str) {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        errors.add("password", format!("must be at least {MIN_PASSWORD_CHARS} characters"));
    } else if chars > MAX_PASSWORD_CHARS {
        errors.add("password", format!("must be at most {MAX_PASSWORD_CHARS} characters"));
    }
}

/// A customer contact belongs to exactly one account; staff belong to none.
pub fn check_role_account(errors: &mut FieldErrors, role: Option<Role>, account_id: Option<AccountId>) {
    match (role, account_id) {
        (Some(Role::Customer), None) => errors.add("account_id", "is required for a customer user"),
        (Some(r), Some(_)) if r != Role::Customer => errors.add("account_id", "is only allowed for a customer user"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_user_needs_an_account_and_staff_must_not_have_one() {
        let account = Some(AccountId::new());
        let err = NewUser::parse("c@x.io", "C", "customer", None, "long-enough-pw").unwrap_err();
        assert_eq!(err.get("account_id"), Some("is required for a customer user"));
        let err = NewUser::parse("t@x.io", "T", "tam", account, "long-enough-pw").unwrap_err();
        assert_eq!(err.get("account_id"), Some("is only allowed for a customer user"));
        assert!(NewUser::parse("c@x.io", "C", "customer", account, "long-enough-pw").is_ok());
    }

    #[test]
    fn unknown_roles_and_short_passwords_are_named() {
        let err = NewUser::parse("bad", "", "wizard", None, "short").unwrap_err();
        assert_eq!(err.get("email"), Some("must be a valid email address"));
        assert_eq!(err.get("name"), Some("must not be empty"));
        assert!(err.get("role").unwrap_or_default().starts_with("must be one of: tam, psm"));
        assert_eq!(err.get("password"), Some("must be at least 10 characters"));
    }
}
