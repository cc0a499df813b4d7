//! The append-only audit log: who changed what, when, and the record before and after.

use serde::Serialize;

use crate::Timestamp;
use crate::accounts::Phase;
use crate::ids::{AccountId, AuditId, UserId};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    /// "user", "account", "api_token", "handoff", "setting".
    pub entity_type: String,
    pub entity_id: String,
    /// Set when the change concerns an account, so the account page can show its own history.
    pub account_id: Option<AccountId>,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditEntry {
    pub fn new(
        at: Timestamp,
        actor_id: Option<UserId>,
        entity_type: &str,
        entity_id: impl ToString,
        action: &str,
    ) -> Self {
        AuditEntry {
            id: AuditId::new(),
            at,
            actor_id,
            entity_type: entity_type.into(),
            entity_id: entity_id.to_string(),
            account_id: None,
            action: action.into(),
            before: None,
            after: None,
        }
    }

    pub fn for_account(mut self, account_id: AccountId) -> Self {
        self.account_id = Some(account_id);
        self
    }

    pub fn with_before(mut self, before: &impl Serialize) -> Self {
        self.before = serde_json::to_value(before).ok();
        self
    }

    pub fn with_after(mut self, after: &impl Serialize) -> Self {
        self.after = serde_json::to_value(after).ok();
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhaseChange {
    pub account_id: AccountId,
    pub from: Phase,
    pub to: Phase,
    pub actor_id: Option<UserId>,
    pub at: Timestamp,
}
