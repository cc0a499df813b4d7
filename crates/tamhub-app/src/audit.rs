//! Reading the audit log.

use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::AccountId;
use tamhub_store::AuditQuery;

use crate::policy::{can_view_account_history, can_view_full_audit, require};
use crate::{Actor, App, AppResult};

impl App {
    pub async fn list_audit(
        &self,
        actor: &Actor,
        entity_type: Option<String>,
        limit: u32,
        offset: u64,
    ) -> AppResult<Vec<AuditEntry>> {
        require(can_view_full_audit(actor.user.role), "read the audit log")?;
        let query = AuditQuery { account_id: None, entity_type, limit: limit.clamp(1, 500), offset };
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
        let query = AuditQuery { account_id: Some(id), entity_type: None, limit: limit.clamp(1, 500), offset };
        Ok(self.store.list_audit(&query).await?)
    }
}
