//! Findings: staff who see an account read its findings; TAMs, PSMs, leadership and admins
//! record them and move them through their lifecycle (every move with who and when).

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::actions::{Action, ActionPatch, SourceContext};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::findings::{Finding, FindingDraft, FindingStatus};
use tamhub_domain::ids::{AccountId, FindingId};
use tamhub_store::PlanChange;

use crate::policy::{can_work_charter, require};
use crate::{Actor, App, AppError, AppResult};

impl App {
    /// Findings of the accounts the actor sees (one account's with `account`).
    pub async fn findings(&self, actor: &Actor, account: Option<AccountId>) -> AppResult<Vec<Finding>> {
        if let Some(a) = account {
            self.get_account(actor, a).await?;
        }
        require(actor.user.role.is_staff(), "read findings")?;
        Ok(self.store.list_findings(actor.scope, account).await?)
    }

    pub async fn get_finding(&self, actor: &Actor, id: FindingId) -> AppResult<(Account, Finding)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let finding = self.store.get_finding(id).await?;
        let account = self.get_account(actor, finding.account_id).await?;
        Ok((account, finding))
    }

    pub async fn save_finding(
        &self,
        actor: &Actor,
        account: AccountId,
        id: Option<FindingId>,
        draft: FindingDraft,
    ) -> AppResult<Finding> {
        let account = self.get_account(actor, account).await?;
        require(actor.user.role.is_staff(), "record findings")?;
        let before = match id {
            Some(id) => Some(self.store.get_finding(id).await?).filter(|f| f.account_id == account.id),
            None => None,
        };
        if id.is_some() && before.is_none() {
            return Err(AppError::NotFound);
        }
        require(can_work_charter(actor.user.role), "record findings")?;
        if let Some(b) = &before {
            crate::require_version("finding", b.version, draft.version)?;
        }
        let now = self.clock.now();
        let finding = draft
            .validate(account.id, &account.fields.workloads, before.as_ref(), actor.user.id, now)
            .map_err(AppError::invalid)?;
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "finding",
            finding.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&finding);
        let audit = match &before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        let mut audit = vec![audit];
        let actions = match self.sync_improvement_action(&finding, before.as_ref(), now).await? {
            Some(action) => {
                audit
                    .push(AuditEntry::new(now, Some(actor.user.id), "action", action.id, "update").with_after(&action));
                vec![action]
            }
            None => Vec::new(),
        };
        let change = PlanChange { record: finding, actions, audit, notifications: Vec::new() };
        Ok(self.store.save_finding(&change).await?)
    }
}

impl App {
    /// A review improvement's action kept in step with its finding: done or won't do once the
    /// finding is resolved or dismissed, open again when the finding is reopened (None when it has
    /// no action, the status did not move, or the action is there already).
    async fn sync_improvement_action(
        &self,
        finding: &Finding,
        before: Option<&Finding>,
        now: Timestamp,
    ) -> AppResult<Option<Action>> {
        let Some(link) = &finding.review else { return Ok(None) };
        let Some(before) = before.filter(|b| b.status.is_open() != finding.status.is_open()) else {
            return Ok(None);
        };
        let action = self.store.get_action(link.action_id).await?;
        if action.status.is_open() == finding.status.is_open() {
            return Ok(None);
        }
        let (status, note) = match finding.status {
            FindingStatus::Resolved => ("done", "Its review finding was resolved.".to_string()),
            FindingStatus::Dismissed => (
                "wont_do",
                format!(
                    "Its review finding was dismissed: {}.",
                    finding.dismiss_reason.map_or("no reason", |r| r.label())
                ),
            ),
            _ => {
                ("open", format!("Its review finding was reopened (it was {}).", before.status.label().to_lowercase()))
            }
        };
        let patch = ActionPatch { status: Some(status.into()), status_note: Some(note), ..Default::default() };
        Ok(Some(action.patched(&patch, &SourceContext::default(), now).map_err(AppError::invalid)?))
    }
}
