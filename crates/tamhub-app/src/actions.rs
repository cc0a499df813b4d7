//! Actions: create (from a post-incident review), read, list, change, summarise, and remind
//! their owners. Who sees an action follows from its source: a corrective action is seen by
//! those who see its incident. Customers do not see actions (they are internal work).

use std::collections::{BTreeMap, HashMap};

use tamhub_domain::Timestamp;
use tamhub_domain::actions::{
    Action, ActionDraft, ActionPatch, ActionSource, ActionSummary, REMINDER_LEAD_DAYS, SourceContext,
};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, ActionId, IncidentId, NotificationId, UserId};
use tamhub_domain::incidents::{Incident, TimelineKind};
use tamhub_domain::notifications::Notification;
use tamhub_domain::postmortems::PostIncidentReview;
use tamhub_store::{ActionPage, ActionQuery, ActionReminder, ReminderKind};

use crate::incidents::Planned;
use crate::policy::{can_work_charter, can_work_incidents, require};
use crate::{Actor, App, AppError, AppResult};

/// Actions read per query when all of them are needed.
const SUMMARY_LIMIT: u32 = 1_000;

/// An action with the incident it came from, as the reader may see it.
#[derive(Clone, Debug)]
pub struct ActionView {
    pub action: Action,
    pub incident: Option<Incident>,
    pub overdue: bool,
}

/// Open and overdue actions summed up, in total, per service and per account.
#[derive(Clone, Debug, Default)]
pub struct ActionSummaries {
    pub total: ActionSummary,
    /// By service name (actions without a service under "").
    pub by_service: Vec<(String, ActionSummary)>,
    /// By impacted account the reader may see, with its name.
    pub by_account: Vec<(AccountId, String, ActionSummary)>,
}

impl App {
    /// What an incident's actions may name: its services, the review's approval, tier-2 services.
    async fn source_context(
        &self,
        incident: &Incident,
        review: Option<&PostIncidentReview>,
    ) -> AppResult<SourceContext> {
        Ok(SourceContext {
            services: incident.impacted_services.clone(),
            approved_at: review.and_then(|r| r.approved_at),
            tier2_services: self.incident_taxonomy().await?.tier2_services,
        })
    }

    /// A corrective action on an incident's post-incident review, noted on its timeline.
    pub async fn create_incident_action(&self, actor: &Actor, id: IncidentId, draft: ActionDraft) -> AppResult<Action> {
        require(can_work_incidents(actor.user.role), "create corrective actions")?;
        self.get_incident(actor, id).await?;
        if let Some(owner) = draft.owner_id
            && let Err(message) = self.role_holder_problem(owner).await?
        {
            return Err(AppError::invalid_field("owner_id", message));
        }
        for attempt in 1.. {
            let loaded = self.load_for_change(id).await?;
            let (before, now) = (&loaded.before, loaded.now);
            let review = self.store.incident_review(id).await?;
            let context = self.source_context(before, review.as_ref()).await?;
            let source = ActionSource::IncidentReview { incident_id: id };
            let action = draft.create(source, &context, Some(actor.user.id), now)?;
            let kinds = before.checked(
                now,
                vec![TimelineKind::ActionItemCreated { action_id: action.id, title: action.title.clone() }],
            )?;
            let planned = Planned {
                notifications: owner_notice(actor, &action, before),
                audit: AuditEntry::new(now, Some(actor.user.id), "action", action.id, "create").with_after(&action),
                kinds,
                review: None,
                actions: vec![action.clone()],
            };
            if self.save_planned(actor, loaded, planned, attempt).await?.is_some() {
                return Ok(self.store.get_action(action.id).await?);
            }
        }
        unreachable!("save_planned refuses to retry after the last attempt")
    }

    /// An action if the actor may see its source.
    pub async fn get_action(&self, actor: &Actor, id: ActionId) -> AppResult<ActionView> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let action = self.store.get_action(id).await?;
        let incident = match action.source.incident_id() {
            Some(incident) => Some(self.get_incident(actor, incident).await?.incident),
            None => None,
        };
        if let Some(account) = action.source.account_id() {
            self.get_account(actor, account).await?;
        }
        let overdue = action.is_overdue(self.clock.now());
        Ok(ActionView { action, incident, overdue })
    }

    pub async fn list_actions(&self, actor: &Actor, mut query: ActionQuery) -> AppResult<ActionPage> {
        if !actor.user.role.is_staff() {
            return Err(AppError::Forbidden("your role may not see internal actions".into()));
        }
        query.scope = actor.scope;
        Ok(self.store.list_actions(&query).await?)
    }

    /// Changes an action: those who work incidents, and its owner.
    pub async fn change_action(&self, actor: &Actor, id: ActionId, patch: ActionPatch) -> AppResult<Action> {
        let view = self.get_action(actor, id).await?;
        let before = view.action;
        let may_work_source = match before.source {
            ActionSource::IncidentReview { .. } => can_work_incidents(actor.user.role),
            // Meetings, success plans and risks are kept by those who keep the charter.
            _ => can_work_charter(actor.user.role),
        };
        require(may_work_source || before.owner_id == actor.user.id, "change this action")?;
        if let Some(owner) = patch.owner_id
            && owner != before.owner_id
            && let Err(message) = self.role_holder_problem(owner).await?
        {
            return Err(AppError::invalid_field("owner_id", message));
        }
        let context = match &view.incident {
            Some(incident) => {
                self.source_context(incident, self.store.incident_review(incident.id).await?.as_ref()).await?
            }
            None => SourceContext::default(),
        };
        let now = self.clock.now();
        let after = before.patched(&patch, &context, now)?;
        let notifications = match &view.incident {
            Some(incident) if after.owner_id != before.owner_id => owner_notice(actor, &after, incident),
            _ => Vec::new(),
        };
        let audit =
            AuditEntry::new(now, Some(actor.user.id), "action", id, "update").with_before(&before).with_after(&after);
        Ok(self.store.save_action(&after, &audit, &notifications).await?)
    }

    /// Every action matching `query` that the actor may see, a page at a time.
    pub async fn all_actions(&self, actor: &Actor, query: ActionQuery) -> AppResult<Vec<Action>> {
        let mut query = ActionQuery { limit: SUMMARY_LIMIT, offset: 0, ..query };
        let mut actions = Vec::new();
        loop {
            let page = self.list_actions(actor, query.clone()).await?;
            let fetched = page.items.len();
            actions.extend(page.items);
            if fetched < query.limit as usize {
                return Ok(actions);
            }
            query.offset += fetched as u64;
        }
    }

    /// Every action matching `query` that the actor may see, summed up in total, per service
    /// and per impacted account (SLA-SPEC 2.6 reported metrics).
    pub async fn action_summaries(&self, actor: &Actor, query: ActionQuery) -> AppResult<ActionSummaries> {
        let now = self.clock.now();
        let actions = self.all_actions(actor, query).await?;
        let mut incidents: HashMap<IncidentId, Vec<(AccountId, String)>> = HashMap::new();
        for id in actions.iter().filter_map(|a| a.source.incident_id()) {
            if let std::collections::hash_map::Entry::Vacant(entry) = incidents.entry(id) {
                entry.insert(match self.get_incident(actor, id).await {
                    Ok(view) => view.accounts,
                    Err(AppError::NotFound) => Vec::new(),
                    Err(other) => return Err(other),
                });
            }
        }
        let mut single: Vec<AccountId> = actions.iter().filter_map(|a| a.source.account_id()).collect();
        single.sort();
        single.dedup();
        let names: HashMap<AccountId, String> =
            self.store.get_accounts(&single).await?.into_iter().map(|a| (a.id, a.fields.name)).collect();
        let mut by_service: BTreeMap<String, Vec<&Action>> = BTreeMap::new();
        let mut by_account: BTreeMap<(String, AccountId), Vec<&Action>> = BTreeMap::new();
        for a in &actions {
            by_service.entry(a.service.clone().unwrap_or_default()).or_default().push(a);
            let accounts = a.source.incident_id().and_then(|i| incidents.get(&i));
            for (account, name) in accounts.into_iter().flatten() {
                by_account.entry((name.clone(), *account)).or_default().push(a);
            }
            if let Some((account, name)) = a.source.account_id().and_then(|id| names.get_key_value(&id)) {
                by_account.entry((name.clone(), *account)).or_default().push(a);
            }
        }
        Ok(ActionSummaries {
            total: ActionSummary::of(&actions, now),
            by_service: by_service.into_iter().map(|(s, list)| (s, ActionSummary::of(list, now))).collect(),
            by_account: by_account
                .into_iter()
                .map(|((name, id), list)| (id, name, ActionSummary::of(list, now)))
                .collect(),
        })
    }

    /// The priority actions of an incident still waiting for a due date, given the default one
    /// now that its review is approved at `approved_at` (SLA-SPEC 2.6).
    pub(crate) async fn default_due_dates(
        &self,
        incident: &Incident,
        approved_at: Timestamp,
    ) -> AppResult<Vec<Action>> {
        let tier2 = self.incident_taxonomy().await?.tier2_services;
        let query = ActionQuery {
            incident_id: Some(incident.id),
            limit: SUMMARY_LIMIT,
            ..ActionQuery::in_scope(tamhub_domain::scope::AccountScope::All)
        };
        let actions = self.store.list_actions(&query).await?.items;
        Ok(actions
            .iter()
            .filter_map(|a| {
                let is_tier2 = a.service.as_deref().is_some_and(|s| tier2.iter().any(|t| t.eq_ignore_ascii_case(s)));
                let mut next = a.with_default_due(approved_at, is_tier2)?;
                next.updated_at = approved_at;
                Some(next)
            })
            .collect())
    }

    /// One pass of reminders: owners of actions due within three days, and of overdue ones,
    /// each told once per due date. Returns how many reminders were sent.
    pub async fn action_reminder_scan_once(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let soon = now.saturating_add(jiff::SignedDuration::from_hours(24 * REMINDER_LEAD_DAYS)).unwrap_or(now);
        let mut sent = 0;
        for (kind, until) in [(ReminderKind::Overdue, now), (ReminderKind::DueSoon, soon)] {
            loop {
                let due = self.store.actions_to_remind(kind, until, 200).await?;
                if due.is_empty() {
                    break;
                }
                let reminders: Vec<ActionReminder> = due
                    .iter()
                    .filter_map(|a| {
                        let due_at = a.due_at?;
                        // Already overdue: the overdue notice said it; record the due-soon one as done.
                        let notify = kind == ReminderKind::Overdue || due_at >= now;
                        sent += u64::from(notify);
                        Some(ActionReminder {
                            action_id: a.id,
                            kind,
                            due_at,
                            notifications: if notify { vec![reminder(a, kind, now)] } else { Vec::new() },
                        })
                    })
                    .collect();
                self.store.save_action_reminders(&reminders, now).await?;
            }
        }
        Ok(sent)
    }
}

/// Tells an action's new owner about it (not when they are the actor). Without the number: a
/// new action gets it from the store, in the same transaction.
fn owner_notice(actor: &Actor, action: &Action, incident: &Incident) -> Vec<Notification> {
    if action.owner_id == actor.user.id {
        return Vec::new();
    }
    vec![Notification {
        id: NotificationId::new(),
        user_id: action.owner_id,
        at: action.updated_at,
        kind: "action".into(),
        account_id: None,
        ticket_id: None,
        incident_id: Some(incident.id),
        action_id: Some(action.id),
        title: format!("Corrective action assigned to you: {}", action.title),
        body: format!("Corrective action from {} — {}", incident.display_number(), incident.title),
        read_at: None,
    }]
}

fn reminder(action: &Action, kind: ReminderKind, now: Timestamp) -> Notification {
    let title = match kind {
        ReminderKind::DueSoon => format!("{} is due soon: {}", action.display_number(), action.title),
        ReminderKind::Overdue => format!("{} is overdue: {}", action.display_number(), action.title),
    };
    let owner: UserId = action.owner_id;
    Notification {
        id: NotificationId::new(),
        user_id: owner,
        at: now,
        kind: format!("action_{}", kind.as_str()),
        account_id: None,
        ticket_id: None,
        incident_id: action.source.incident_id(),
        action_id: Some(action.id),
        title,
        body: action.due_at.map(|d| format!("Due {}", d.strftime("%Y-%m-%d %H:%M UTC"))).unwrap_or_default(),
        read_at: None,
    }
}
