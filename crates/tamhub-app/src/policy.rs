//! What each role may do, in one place. Visibility (which accounts) is `AccountScope`; this file
//! decides actions on what is visible. Outside scope is always "not found", decided before these.

use tamhub_domain::users::Role;

use crate::{Actor, AppError, AppResult};

const COMMERCIAL_AND_ASSIGNMENTS: &[&str] = &[
    "name",
    "tier",
    "arr",
    "currency",
    "renewal_date",
    "region",
    "primary_tam_id",
    "backup_tam_id",
    "psm_id",
    "pam_id",
    "support_ids",
];

const TECHNICAL: &[&str] =
    &["name", "region", "timezone", "workloads", "downtime_cost_per_hour", "phase", "support_ids", "calendar_id"];

/// The account fields a role may change (on accounts in its scope).
pub fn editable_account_fields(role: Role) -> Option<&'static [&'static str]> {
    match role {
        // None = no restriction.
        Role::Admin | Role::Leadership => None,
        Role::Pam => Some(COMMERCIAL_AND_ASSIGNMENTS),
        Role::Tam | Role::Psm => Some(TECHNICAL),
        Role::Support | Role::Customer => Some(&[]),
    }
}

pub fn check_account_fields(actor: &Actor, touched: &[&str]) -> AppResult<()> {
    let Some(allowed) = editable_account_fields(actor.user.role) else { return Ok(()) };
    let refused: Vec<&str> = touched.iter().copied().filter(|f| !allowed.contains(f)).collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "a {} may not change {}",
            actor.user.role.label().to_lowercase(),
            refused.join(", ")
        )))
    }
}

/// Whether a role may change any field of an account it can see.
pub fn can_edit_account(role: Role) -> bool {
    editable_account_fields(role).is_none_or(|fields| !fields.is_empty())
}

pub fn can_create_accounts(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Leadership | Role::Pam)
}

pub fn can_archive_accounts(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Leadership)
}

pub fn can_manage_users(role: Role) -> bool {
    role == Role::Admin
}

/// Lenses define what every review asks: one admin decision for the whole installation.
pub fn can_manage_lenses(role: Role) -> bool {
    role == Role::Admin
}

pub fn can_view_team_load(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Leadership)
}

pub fn can_view_full_audit(role: Role) -> bool {
    role == Role::Admin
}

/// Staff see the history of accounts in their scope; customers do not see internal history.
pub fn can_view_account_history(role: Role) -> bool {
    role.is_staff()
}

pub fn can_view_user_directory(role: Role) -> bool {
    role.is_staff()
}

/// Agents work tickets: answer, change status and priority, assign, escalate. PAMs only read
/// them; customers open tickets and comment on their own account's.
pub fn can_work_tickets(role: Role) -> bool {
    matches!(role, Role::Tam | Role::Psm | Role::Support | Role::Leadership | Role::Admin)
}

pub fn can_open_tickets(role: Role) -> bool {
    can_work_tickets(role) || role == Role::Customer
}

/// Those who work tickets work incidents too: declare them, post updates, hold roles.
pub fn can_work_incidents(role: Role) -> bool {
    can_work_tickets(role)
}

/// Those who run the engagement with the customer keep its charter, contacts and meetings:
/// TAMs, PSMs (onboarding), leadership and admins. PAMs, support and customers read them.
pub fn can_work_charter(role: Role) -> bool {
    matches!(role, Role::Tam | Role::Psm | Role::Leadership | Role::Admin)
}

/// Staff may read the SLA configuration (calendars and policies) their tickets run on.
pub fn can_view_sla_config(role: Role) -> bool {
    role.is_staff()
}

pub fn can_manage_sla(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Leadership)
}

pub fn require(allowed: bool, what: &str) -> AppResult<()> {
    if allowed { Ok(()) } else { Err(AppError::Forbidden(format!("your role may not {what}"))) }
}
