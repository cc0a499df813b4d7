//! Feature requests and expansion opportunities. Staff read the requests wanted by an account they
//! see (with only those accounts named) and the opportunities of their accounts; TAMs, PSMs, PAMs,
//! leadership and admins record and change them. A request's weight is the ARR of every account
//! that wants it, whoever reads it, so the ranking is the same for everyone.

use std::collections::HashMap;

use tamhub_domain::accounts::Account;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::feedback::{FeatureRequest, FeatureRequestDraft, Opportunity, OpportunityDraft};
use tamhub_domain::ids::{AccountId, FeatureRequestId, OpportunityId};
use tamhub_domain::users::Role;
use tamhub_store::PlanChange;

use crate::policy::{can_work_charter, require};
use crate::{Actor, App, AppError, AppResult};

/// Those who record feedback and expansion: the charter's keepers and the PAMs who own the
/// commercial side.
pub fn can_work_feedback(role: Role) -> bool {
    can_work_charter(role) || role == Role::Pam
}

/// A request as a reader sees it: its ARR weight over every requesting account, and the
/// requesting accounts the reader may see.
#[derive(Clone, Debug)]
pub struct RankedRequest {
    pub request: FeatureRequest,
    /// Sum of the requesting accounts' ARR in minor units, as recorded (no exchange rates:
    /// mixed currencies add as they are).
    pub weight: i64,
    /// The currencies of that ARR.
    pub currencies: Vec<String>,
    pub visible: Vec<Account>,
    /// Requesting accounts the reader does not see.
    pub others: usize,
}

impl App {
    async fn rank(&self, actor: &Actor, requests: Vec<FeatureRequest>) -> AppResult<Vec<RankedRequest>> {
        let mut ids: Vec<AccountId> = requests.iter().flat_map(|r| r.accounts.iter().map(|a| a.account_id)).collect();
        ids.sort();
        ids.dedup();
        let accounts: HashMap<AccountId, Account> =
            self.store.get_accounts(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        let mut ranked: Vec<RankedRequest> = requests
            .into_iter()
            .map(|request| {
                let all: Vec<&Account> = request.accounts.iter().filter_map(|a| accounts.get(&a.account_id)).collect();
                let weight = all.iter().map(|a| a.fields.arr).sum();
                let mut currencies: Vec<String> = all.iter().map(|a| a.fields.currency.clone()).collect();
                currencies.sort();
                currencies.dedup();
                let visible: Vec<Account> =
                    all.iter().filter(|a| actor.scope.contains(a)).map(|a| (*a).clone()).collect();
                let others = all.len() - visible.len();
                RankedRequest { request, weight, currencies, visible, others }
            })
            .collect();
        ranked.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.request.title.cmp(&b.request.title)));
        Ok(ranked)
    }

    /// Requests wanted by accounts the actor sees (one account's with `account`), heaviest first.
    pub async fn feature_requests(&self, actor: &Actor, account: Option<AccountId>) -> AppResult<Vec<RankedRequest>> {
        if let Some(a) = account {
            self.get_account(actor, a).await?;
        }
        require(actor.user.role.is_staff(), "read feature requests")?;
        let requests = self.store.list_feature_requests(actor.scope, account).await?;
        self.rank(actor, requests).await
    }

    pub async fn get_feature_request(&self, actor: &Actor, id: FeatureRequestId) -> AppResult<RankedRequest> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let request = self.store.get_feature_request(id).await?;
        let ranked = self.rank(actor, vec![request]).await?.remove(0);
        if ranked.visible.is_empty() {
            return Err(AppError::NotFound);
        }
        Ok(ranked)
    }

    /// Records a request (`id` None) or changes one. Requesting accounts the actor does not see
    /// are kept as they are.
    pub async fn save_feature_request(
        &self,
        actor: &Actor,
        id: Option<FeatureRequestId>,
        mut draft: FeatureRequestDraft,
    ) -> AppResult<FeatureRequest> {
        require(actor.user.role.is_staff(), "record feature requests")?;
        let before = match id {
            Some(id) => Some(self.get_feature_request(actor, id).await?),
            None => None,
        };
        require(can_work_feedback(actor.user.role), "record feature requests")?;
        if let Some(b) = &before {
            crate::require_version("request", b.request.version, draft.version)?;
        }
        let mut visible: Vec<AccountId> = Vec::new();
        if let Some(list) = &draft.accounts {
            let ids: Vec<AccountId> = list.iter().map(|a| a.account_id).collect();
            visible = self
                .store
                .get_accounts(&ids)
                .await?
                .into_iter()
                .filter(|a| actor.scope.contains(a))
                .map(|a| a.id)
                .collect();
        }
        // Keep the requesting accounts the actor cannot see: they are not theirs to drop.
        if let (Some(b), Some(list)) = (&before, draft.accounts.as_mut()) {
            for kept in b.request.accounts.iter().filter(|a| !b.visible.iter().any(|v| v.id == a.account_id)) {
                visible.push(kept.account_id);
                list.push(tamhub_domain::feedback::RequestingAccountDraft {
                    account_id: kept.account_id,
                    business_impact: kept.business_impact.clone(),
                });
            }
        }
        let now = self.clock.now();
        let request = draft
            .validate(before.as_ref().map(|b| &b.request), &visible, actor.user.id, now)
            .map_err(AppError::invalid)?;
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "feature_request",
            request.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&request);
        let audit = match &before {
            Some(b) => audit.with_before(&b.request),
            None => audit,
        };
        let change = PlanChange { record: request, actions: Vec::new(), audit: vec![audit], notifications: Vec::new() };
        Ok(self.store.save_feature_request(&change).await?)
    }

    // ----- expansion -----

    pub async fn opportunities(&self, actor: &Actor, account: Option<AccountId>) -> AppResult<Vec<Opportunity>> {
        if let Some(a) = account {
            self.get_account(actor, a).await?;
        }
        require(actor.user.role.is_staff(), "read expansion opportunities")?;
        Ok(self.store.list_opportunities(actor.scope, account).await?)
    }

    pub async fn get_opportunity(&self, actor: &Actor, id: OpportunityId) -> AppResult<(Account, Opportunity)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let o = self.store.get_opportunity(id).await?;
        let account = self.get_account(actor, o.account_id).await?;
        Ok((account, o))
    }

    pub async fn save_opportunity(
        &self,
        actor: &Actor,
        account: AccountId,
        id: Option<OpportunityId>,
        draft: OpportunityDraft,
    ) -> AppResult<Opportunity> {
        let account = self.get_account(actor, account).await?;
        require(actor.user.role.is_staff(), "record expansion opportunities")?;
        let before = match id {
            Some(id) => Some(self.store.get_opportunity(id).await?).filter(|o| o.account_id == account.id),
            None => None,
        };
        if id.is_some() && before.is_none() {
            return Err(AppError::NotFound);
        }
        require(can_work_feedback(actor.user.role), "record expansion opportunities")?;
        if let Some(b) = &before {
            crate::require_version("opportunity", b.version, draft.version)?;
        }
        let now = self.clock.now();
        let o = draft.validate(account.id, before.as_ref(), now).map_err(AppError::invalid)?;
        if before.as_ref().is_none_or(|b| b.owner_id != o.owner_id) {
            match self.store.get_user(o.owner_id).await {
                Ok(u) if u.active && u.role.is_staff() => {}
                Ok(_) | Err(tamhub_store::StoreError::NotFound) => {
                    return Err(AppError::invalid_field("owner_id", "must be an active staff user"));
                }
                Err(other) => return Err(other.into()),
            }
        }
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "opportunity",
            o.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&o);
        let audit = match &before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        let change = PlanChange { record: o, actions: Vec::new(), audit: vec![audit], notifications: Vec::new() };
        Ok(self.store.save_opportunity(&change).await?)
    }
}
