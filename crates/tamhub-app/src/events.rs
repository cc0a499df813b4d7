//! Event readiness and service quotas. Staff who see an account read its events and quotas;
//! TAMs, PSMs, leadership and admins change them. The scanner reminds the TAMs of overdue
//! checklist items; a quota crossing its threshold tells them at once.

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::events::{Event, EventContext, EventDraft, Quota, QuotaDraft};
use tamhub_domain::ids::{AccountId, EventId, NotificationId, QuotaId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::scope::AccountScope;
use tamhub_store::PlanChange;

use crate::engagements::local_today;
use crate::policy::{can_work_charter, require};
use crate::{Actor, App, AppError, AppResult};

/// A notice to the account's primary and backup TAM (not the actor).
fn tam_notices(
    account: &Account,
    actor: Option<UserId>,
    at: Timestamp,
    kind: &str,
    title: String,
    body: String,
) -> Vec<Notification> {
    let f = &account.fields;
    let mut to: Vec<UserId> = [f.primary_tam_id, f.backup_tam_id].into_iter().flatten().collect();
    to.dedup();
    to.into_iter()
        .filter(|u| Some(*u) != actor)
        .map(|user_id| Notification {
            id: NotificationId::new(),
            user_id,
            at,
            kind: kind.into(),
            account_id: Some(account.id),
            ticket_id: None,
            incident_id: None,
            action_id: None,
            title: title.clone(),
            body: body.clone(),
            read_at: None,
        })
        .collect()
}

impl App {
    async fn staff_account(&self, actor: &Actor, account: AccountId, what: &str) -> AppResult<Account> {
        let account = self.get_account(actor, account).await?;
        require(actor.user.role.is_staff(), what)?;
        Ok(account)
    }

    // ----- events -----

    /// The account's events, soonest first (all of them, past ones included).
    pub async fn events(&self, actor: &Actor, account: AccountId) -> AppResult<(Account, Vec<Event>)> {
        let account = self.staff_account(actor, account, "read event plans").await?;
        let events = self.store.list_events(AccountScope::All, Some(account.id), None).await?;
        Ok((account, events))
    }

    /// Events not yet over on every account the actor sees, soonest first.
    pub async fn upcoming_events(&self, actor: &Actor) -> AppResult<Vec<Event>> {
        require(actor.user.role.is_staff(), "read event plans")?;
        Ok(self.store.list_events(actor.scope, None, Some(self.clock.now())).await?)
    }

    /// An event with its account and the account's quotas.
    pub async fn get_event(&self, actor: &Actor, id: EventId) -> AppResult<(Account, Event, Vec<Quota>)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let event = self.store.get_event(id).await?;
        let account = self.get_account(actor, event.account_id).await?;
        let quotas = self.store.list_quotas(account.id).await?;
        Ok((account, event, quotas))
    }

    /// Registers an event (`id` None) or changes one; returns it with the lead-time warning.
    pub async fn save_event(
        &self,
        actor: &Actor,
        account: AccountId,
        id: Option<EventId>,
        draft: EventDraft,
    ) -> AppResult<(Event, Option<String>)> {
        let account = self.staff_account(actor, account, "plan events").await?;
        let before = match id {
            Some(id) => Some(self.store.get_event(id).await?).filter(|e| e.account_id == account.id),
            None => None,
        };
        if id.is_some() && before.is_none() {
            return Err(AppError::NotFound);
        }
        require(can_work_charter(actor.user.role), "plan events")?;
        if let Some(b) = &before {
            crate::require_version("event", b.version, draft.version)?;
        }
        let now = self.clock.now();
        let ctx =
            EventContext { account_id: account.id, timezone: &account.fields.timezone, actor: actor.user.id, now };
        let (event, warning) = draft.validate(before.as_ref(), &ctx).map_err(AppError::invalid)?;
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "event",
            event.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&event);
        let audit = match &before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        let change = PlanChange { record: event, actions: Vec::new(), audit: vec![audit], notifications: Vec::new() };
        Ok((self.store.save_event(&change).await?, warning))
    }

    /// One pass: the TAMs hear once of each checklist item of an upcoming event past its due day.
    pub async fn event_reminder_scan_once(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let events = self.store.list_events(AccountScope::All, None, Some(now)).await?;
        let mut sent = 0;
        for mut event in events {
            let account = self.store.get_account(event.account_id).await?;
            let today = local_today(&account, now);
            let due: Vec<String> = event
                .overdue_items(today)
                .filter(|c| c.reminded_at.is_none())
                .map(|c| c.item.label().to_string())
                .collect();
            if due.is_empty() {
                continue;
            }
            for c in event.checklist.iter_mut().filter(|c| !c.done && c.due_on < today) {
                c.reminded_at.get_or_insert(now);
            }
            let notifications = tam_notices(
                &account,
                None,
                now,
                "event_checklist_overdue",
                format!("{}: readiness items overdue", event.title),
                format!("{} ({}): {}", account.fields.name, event.kind.label(), due.join(", ")),
            );
            sent += notifications.len() as u64;
            let change = PlanChange { record: event, actions: Vec::new(), audit: Vec::new(), notifications };
            match self.store.save_event(&change).await {
                // Changed meanwhile by someone: the next pass looks again.
                Err(tamhub_store::StoreError::Conflict(_)) => {}
                other => {
                    other?;
                }
            }
        }
        Ok(sent)
    }

    // ----- quotas -----

    pub async fn quotas(&self, actor: &Actor, account: AccountId) -> AppResult<(Account, Vec<Quota>)> {
        let account = self.staff_account(actor, account, "read service quotas").await?;
        let quotas = self.store.list_quotas(account.id).await?;
        Ok((account, quotas))
    }

    pub async fn get_quota(&self, actor: &Actor, id: QuotaId) -> AppResult<(Account, Quota)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let quota = self.store.get_quota(id).await?;
        let account = self.get_account(actor, quota.account_id).await?;
        Ok((account, quota))
    }

    /// Records a quota (`id` None) or changes one; crossing the threshold tells the TAMs once
    /// (until it falls back under).
    pub async fn save_quota(
        &self,
        actor: &Actor,
        account: AccountId,
        id: Option<QuotaId>,
        draft: QuotaDraft,
    ) -> AppResult<Quota> {
        let account = self.staff_account(actor, account, "change service quotas").await?;
        let before = match id {
            Some(id) => Some(self.store.get_quota(id).await?).filter(|q| q.account_id == account.id),
            None => None,
        };
        if id.is_some() && before.is_none() {
            return Err(AppError::NotFound);
        }
        require(can_work_charter(actor.user.role), "change service quotas")?;
        if let Some(b) = &before {
            crate::require_version("quota", b.version, draft.version)?;
        }
        let now = self.clock.now();
        let mut quota = draft.validate(account.id, before.as_ref(), now).map_err(AppError::invalid)?;
        let mut notifications = Vec::new();
        if quota.over_threshold() {
            if quota.alerted_at.is_none() {
                quota.alerted_at = Some(now);
                notifications = tam_notices(
                    &account,
                    Some(actor.user.id),
                    now,
                    "quota_threshold",
                    format!("{} {} at {:.0} % of its limit", quota.service, quota.name, quota.utilisation_pct()),
                    format!(
                        "{}: {} of {} used (threshold {:.0} %). Request an increase before it runs out.",
                        account.fields.name, quota.usage, quota.limit, quota.threshold_pct
                    ),
                );
            }
        } else {
            quota.alerted_at = None;
        }
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "quota",
            quota.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&quota);
        let audit = match &before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        let change = PlanChange { record: quota, actions: Vec::new(), audit: vec![audit], notifications };
        Ok(self.store.save_quota(&change).await?)
    }
}
