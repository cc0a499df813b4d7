//! Reading the audit log.

use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::AccountId;
use tamhub_store::AuditQuery;

use crate::policy::{can_view_account_history, can_view_full_audit, require};
use crate::{Actor, App, AppResult};

/// The most entries one call returns.
const MAX_PAGE: u32 = 1000;

/// The record types the audit log holds.
pub const AUDITED_ENTITIES: [&str; 12] = [
    "account",
    "user",
    "handoff",
    "api_token",
    "setting",
    "calendar",
    "sla_policy",
    "sla_policies",
    "ticket",
    "incident",
    "action",
    "default_calendar",
];

impl App {
    pub async fn list_audit(
        &self,
        actor: &Actor,
        entity_type: Option<String>,
        limit: u32,
        offset: u64,
    ) -> AppResult<Vec<AuditEntry>> {
        require(can_view_full_audit(actor.user.role), "read the audit log")?;
        if let Some(entity) = &entity_type
            && !AUDITED_ENTITIES.contains(&entity.as_str())
        {
            return Err(crate::AppError::invalid_field(
                "entity_type",
                format!("must be one of: {}", AUDITED_ENTITIES.join(", ")),
            ));
        }
        let query = AuditQuery { account_id: None, entity_type, limit: limit.clamp(1, MAX_PAGE), offset };
        Ok(self.store.list_audit(&query).await?)
    }

    pub async fn account_history(
        &self,
        actor: &Actor,
        id: AccountId,
        limit: u32,
        offset: u64,
    ) -> AppResult<Vec<AuditEntry>> {
        self.get_account(actor, id).await?;
        require(can_view_account_history(actor.user.role), "read account history")?;
        let query = AuditQuery { account_id: Some(id), entity_type: None, limit: limit.clamp(1, MAX_PAGE), offset };
        Ok(self.store.list_audit(&query).await?)
    }
}
