//! Success plans and the risk register. Staff who see an account read both; TAMs, PSMs,
//! leadership and admins change them. A success plan shared with the customer is read by the
//! account's customer contacts too (without its internal actions); the risk register is the
//! team's own. Plan actions and risk mitigations are actions of the one action model.

use tamhub_domain::accounts::Account;
use tamhub_domain::actions::{Action, ActionDraft, ActionSource, SourceContext};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, NotificationId, RiskId, SuccessPlanId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::plans::{Risk, RiskDraft, RiskStatus, SuccessPlan, SuccessPlanDraft};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::validation::FieldErrors;
use tamhub_store::{ActionQuery, PlanChange};

use crate::engagements::local_today;
use crate::policy::{can_work_charter, require};
use crate::{Actor, App, AppError, AppResult};

pub(crate) fn notice(
    at: jiff::Timestamp,
    user_id: UserId,
    account: &Account,
    action: Option<&Action>,
    title: String,
    body: String,
) -> Notification {
    Notification {
        id: NotificationId::new(),
        user_id,
        at,
        kind: if action.is_some() { "action".into() } else { "risk".into() },
        account_id: Some(account.id),
        ticket_id: None,
        incident_id: None,
        action_id: action.map(|a| a.id),
        title,
        body,
        read_at: None,
    }
}

impl App {
    pub(crate) async fn require_active_staff(&self, field: &str, user: UserId) -> AppResult<()> {
        match self.store.get_user(user).await {
            Ok(u) if u.active && u.role.is_staff() => Ok(()),
            Ok(_) | Err(tamhub_store::StoreError::NotFound) => {
                Err(AppError::invalid_field(field, "must be an active staff user"))
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Actions of one source of an account (a plan's, a risk's).
    async fn actions_of(&self, account: AccountId, source: impl Fn(&ActionSource) -> bool) -> AppResult<Vec<Action>> {
        let query = ActionQuery { account_id: Some(account), limit: 1_000, ..ActionQuery::in_scope(AccountScope::All) };
        Ok(self.store.list_actions(&query).await?.items.into_iter().filter(|a| source(&a.source)).collect())
    }

    // ----- success plans -----

    /// The account's success plans; customers see the shared ones.
    pub async fn success_plans(&self, actor: &Actor, account: AccountId) -> AppResult<(Account, Vec<SuccessPlan>)> {
        let account = self.get_account(actor, account).await?;
        let mut plans = self.store.list_success_plans(account.id).await?;
        if !actor.user.role.is_staff() {
            plans.retain(|p| p.shared_with_customer);
        }
        Ok((account, plans))
    }

    /// A plan with its actions (none for customers, who read shared plans only).
    pub async fn get_success_plan(
        &self,
        actor: &Actor,
        id: SuccessPlanId,
    ) -> AppResult<(Account, SuccessPlan, Vec<Action>)> {
        let plan = self.store.get_success_plan(id).await?;
        let account = self.get_account(actor, plan.account_id).await?;
        if !actor.user.role.is_staff() {
            if !plan.shared_with_customer {
                return Err(AppError::NotFound);
            }
            return Ok((account, plan, Vec::new()));
        }
        let actions = self
            .actions_of(account.id, |s| matches!(s, ActionSource::SuccessPlan { plan_id, .. } if *plan_id == id))
            .await?;
        Ok((account, plan, actions))
    }

    /// Creates a plan (`id` None) or replaces one; `draft.version` guards an update.
    pub async fn save_success_plan(
        &self,
        actor: &Actor,
        account: AccountId,
        id: Option<SuccessPlanId>,
        draft: SuccessPlanDraft,
    ) -> AppResult<SuccessPlan> {
        let account = self.get_account(actor, account).await?;
        let before = match id {
            Some(id) => Some(self.store.get_success_plan(id).await?).filter(|p| p.account_id == account.id),
            None => None,
        };
        if id.is_some() && before.is_none() {
            return Err(AppError::NotFound);
        }
        require(can_work_charter(actor.user.role), "change success plans")?;
        if let Some(b) = &before {
            crate::require_version("plan", b.version, draft.version)?;
        }
        let now = self.clock.now();
        let plan = draft
            .validate(account.id, before.as_ref(), actor.user.id, local_today(&account, now), now)
            .map_err(AppError::invalid)?;
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "success_plan",
            plan.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&plan);
        let audit = match &before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        let change = PlanChange { record: plan, actions: Vec::new(), audit: vec![audit], notifications: Vec::new() };
        Ok(self.store.save_success_plan(&change).await?)
    }

    /// Adds an action to a plan (type `other` and priority `normal` unless given).
    pub async fn add_plan_action(&self, actor: &Actor, id: SuccessPlanId, draft: ActionDraft) -> AppResult<Action> {
        let (account, plan, _) = self.get_success_plan(actor, id).await?;
        require(can_work_charter(actor.user.role), "add actions to success plans")?;
        let source = ActionSource::SuccessPlan { plan_id: plan.id, account_id: account.id };
        let action = self.new_account_action(actor, source, draft, "owner_id").await?;
        let now = self.clock.now();
        let mut record = plan.clone();
        record.updated_at = now;
        let notifications = (action.owner_id != actor.user.id)
            .then(|| {
                notice(
                    now,
                    action.owner_id,
                    &account,
                    Some(&action),
                    format!("Action assigned to you: {}", action.title),
                    format!("From the success plan \"{}\" of {}", plan.title, account.fields.name),
                )
            })
            .into_iter()
            .collect();
        let change = PlanChange {
            record,
            actions: vec![action.clone()],
            audit: vec![AuditEntry::new(now, Some(actor.user.id), "action", action.id, "create").with_after(&action)],
            notifications,
        };
        self.store.save_success_plan(&change).await?;
        Ok(self.store.get_action(action.id).await?)
    }

    /// A new action of a single-account source, validated, its owner an active staff user.
    pub(crate) async fn new_account_action(
        &self,
        actor: &Actor,
        source: ActionSource,
        mut draft: ActionDraft,
        owner_field: &str,
    ) -> AppResult<Action> {
        if draft.action_type.trim().is_empty() {
            draft.action_type = "other".into();
        }
        if draft.priority.trim().is_empty() {
            draft.priority = "normal".into();
        }
        if let Some(owner) = draft.owner_id {
            self.require_active_staff(owner_field, owner).await?;
        }
        Ok(draft.create(source, &SourceContext::default(), Some(actor.user.id), self.clock.now())?)
    }

    // ----- risks -----

    /// Risks of the accounts the actor sees (one account with `account`), highest score first.
    pub async fn risks(&self, actor: &Actor, account: Option<AccountId>, live_only: bool) -> AppResult<Vec<Risk>> {
        if let Some(a) = account {
            self.get_account(actor, a).await?;
        }
        require(actor.user.role.is_staff(), "read the risk register")?;
        Ok(self.store.list_risks(actor.scope, account, live_only).await?)
    }

    /// A risk with its account and its mitigation.
    pub async fn get_risk(&self, actor: &Actor, id: RiskId) -> AppResult<(Account, Risk, Option<Action>)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let risk = self.store.get_risk(id).await?;
        let account = self.get_account(actor, risk.account_id).await?;
        let mitigation = match risk.mitigation_action_id {
            Some(a) => Some(self.store.get_action(a).await?),
            None => None,
        };
        Ok((account, risk, mitigation))
    }

    /// Records a risk (`id` None) or changes one. A `mitigation` in the draft becomes its
    /// mitigating action (type `mitigate`; owner and due date default to the risk's), and an open
    /// risk then moves to `mitigating`.
    pub async fn save_risk(
        &self,
        actor: &Actor,
        account: AccountId,
        id: Option<RiskId>,
        draft: RiskDraft,
    ) -> AppResult<Risk> {
        let account = self.get_account(actor, account).await?;
        let before = match id {
            Some(id) => Some(self.store.get_risk(id).await?).filter(|r| r.account_id == account.id),
            None => None,
        };
        if id.is_some() && before.is_none() {
            return Err(AppError::NotFound);
        }
        require(can_work_charter(actor.user.role), "change the risk register")?;
        if let Some(b) = &before {
            crate::require_version("risk", b.version, draft.version)?;
        }
        let now = self.clock.now();
        let mut risk = draft.validate(account.id, before.as_ref(), actor.user.id, now).map_err(AppError::invalid)?;
        if before.as_ref().is_none_or(|b| b.owner_id != risk.owner_id) {
            self.require_active_staff("owner_id", risk.owner_id).await?;
        }
        let mut actions = Vec::new();
        if let Some(m) = draft.mitigation.clone() {
            if before.as_ref().is_some_and(|b| b.mitigation_action_id.is_some()) {
                return Err(AppError::invalid_field(
                    "mitigation",
                    "the risk has a mitigation already: change that action instead",
                ));
            }
            let mut m = m;
            if m.action_type.trim().is_empty() {
                m.action_type = "mitigate".into();
            }
            m.owner_id = m.owner_id.or(Some(risk.owner_id));
            if m.due_at.is_none() {
                m.due_at = risk
                    .due_on
                    .and_then(|d| d.at(23, 59, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
                    .map(|z| z.timestamp());
            }
            let source = ActionSource::Risk { risk_id: risk.id, account_id: account.id };
            let action =
                self.new_account_action(actor, source, m, "mitigation.owner_id").await.map_err(|e| match e {
                    AppError::Invalid { fields, .. } => {
                        let mut prefixed = FieldErrors::new();
                        for (field, message) in fields.iter() {
                            let field = if field.starts_with("mitigation.") {
                                field.clone()
                            } else {
                                format!("mitigation.{field}")
                            };
                            prefixed.add(&field, message.clone());
                        }
                        AppError::invalid(prefixed)
                    }
                    other => other,
                })?;
            risk.mitigation_action_id = Some(action.id);
            if risk.status == RiskStatus::Open {
                risk.status = RiskStatus::Mitigating;
            }
            actions.push(action);
        }
        let mut audit = vec![{
            let entry = AuditEntry::new(
                now,
                Some(actor.user.id),
                "risk",
                risk.id,
                if before.is_some() { "update" } else { "create" },
            )
            .with_after(&risk);
            match &before {
                Some(b) => entry.with_before(b),
                None => entry,
            }
        }];
        audit.extend(
            actions.iter().map(|a| AuditEntry::new(now, Some(actor.user.id), "action", a.id, "create").with_after(a)),
        );
        let mut notifications = Vec::new();
        if risk.owner_id != actor.user.id && before.as_ref().is_none_or(|b| b.owner_id != risk.owner_id) {
            notifications.push(notice(
                now,
                risk.owner_id,
                &account,
                None,
                format!("Risk assigned to you: {}", risk.title),
                format!(
                    "{} · likelihood {} × impact {} = {}",
                    account.fields.name,
                    risk.likelihood,
                    risk.impact,
                    risk.score()
                ),
            ));
        }
        for a in actions.iter().filter(|a| a.owner_id != actor.user.id) {
            notifications.push(notice(
                now,
                a.owner_id,
                &account,
                Some(a),
                format!("Mitigation assigned to you: {}", a.title),
                format!("For the risk \"{}\" of {}", risk.title, account.fields.name),
            ));
        }
        let change = PlanChange { record: risk, actions, audit, notifications };
        Ok(self.store.save_risk(&change).await?)
    }
}
