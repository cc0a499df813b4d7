//! The engagement charter and its cadence: contacts (the stakeholder map), charter versions and
//! the engagements they schedule, meetings that fulfil them, charter compliance, the job that
//! extends schedules and flags overdue engagements, and calendar feeds.
//!
//! Everyone who sees an account reads its charter, schedule and compliance (customers included:
//! it is their answer to "is our TAM doing what was promised?"); TAMs, PSMs, leadership and
//! admins change them. Meeting notes and the stakeholder map (influence, sentiment) are the
//! team's own: customers read neither.

use std::collections::{BTreeMap, HashMap};

use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::actions::{Action, ActionSource, SourceContext};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::contacts::{Contact, ContactDraft, loses_executive_sponsor};
use tamhub_domain::engagements::{
    Charter, CharterCompliance, CharterContext, CharterDraft, Commitment, Engagement, Meeting, MeetingContext,
    MeetingDraft, combine, compliance, engagement_for_meeting, horizon_end, schedule,
};
use tamhub_domain::ical::{CalendarItem, calendar};
use tamhub_domain::ids::{AccountId, ContactId, EngagementId, MeetingId, NotificationId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::User;
use tamhub_domain::validation::{FieldErrors, required_text};
use tamhub_domain::{Date, Timestamp};
use tamhub_store::{ActionQuery, CharterChange, EngagementQuery, MeetingRecord, StoreError};

use crate::auth::{random_secret, token_hash};
use crate::policy::{can_work_charter, require};
use crate::{Actor, App, AppError, AppResult};

/// The setting that records the last day schedules were extended to the horizon.
const SCHEDULED_DAY_KEY: &str = "engagements.scheduled_day";
/// Calendar feed tokens carry a prefix so they are recognisable in logs and leaks.
pub const FEED_PREFIX: &str = "tamhubcal_";
/// Meetings shown per account.
const MEETINGS_LIMIT: u32 = 200;

/// The day it is at `now` where the account is.
pub fn local_today(account: &Account, now: Timestamp) -> Date {
    let zone = jiff::tz::TimeZone::get(&account.fields.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    now.to_zoned(zone).date()
}

/// An account's charter as its reader sees it.
#[derive(Clone, Debug)]
pub struct CharterView {
    pub account: Account,
    /// The version in force; None before one is written.
    pub charter: Option<Charter>,
    /// Every version, oldest first (without the one in force's content repeated).
    pub versions: Vec<Charter>,
    pub contacts: Vec<Contact>,
    /// Users the charter and account name (TAMs, PSM, PAM, provider contacts), by id.
    pub users: HashMap<UserId, User>,
}

/// CharterCompliance over a period for every account in scope, per account and per primary TAM.
#[derive(Clone, Debug, Default)]
pub struct PortfolioCompliance {
    pub total: CharterCompliance,
    pub accounts: Vec<(Account, CharterCompliance)>,
    /// Per primary TAM (accounts without one are in the total only).
    pub tams: Vec<(User, CharterCompliance)>,
}

impl App {
    async fn require_charter_work(&self, actor: &Actor, account: AccountId) -> AppResult<Account> {
        let account = self.get_account(actor, account).await?;
        require(can_work_charter(actor.user.role), "change charters, contacts or meetings")?;
        Ok(account)
    }

    /// Active staff among `ids`.
    async fn active_staff(&self, ids: &[UserId]) -> AppResult<Vec<UserId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.store.get_users(ids).await?;
        Ok(users.into_iter().filter(|u| u.active && u.role.is_staff()).map(|u| u.id).collect())
    }

    // ----- contacts -----

    /// The stakeholder map is the team's assessment (influence, sentiment): staff only.
    pub async fn list_contacts(&self, actor: &Actor, account: AccountId) -> AppResult<Vec<Contact>> {
        self.get_account(actor, account).await?;
        require(actor.user.role.is_staff(), "read the stakeholder map")?;
        Ok(self.store.list_contacts(account).await?)
    }

    pub async fn get_contact(&self, actor: &Actor, id: ContactId) -> AppResult<Contact> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let contact = self.store.get_contact(id).await?;
        self.get_account(actor, contact.account_id).await?;
        Ok(contact)
    }

    pub async fn create_contact(&self, actor: &Actor, account: AccountId, draft: ContactDraft) -> AppResult<Contact> {
        let account = self.require_charter_work(actor, account).await?;
        self.save_contact(actor, &account, None, draft).await
    }

    pub async fn update_contact(&self, actor: &Actor, id: ContactId, draft: ContactDraft) -> AppResult<Contact> {
        let before = self.get_contact(actor, id).await?;
        let account = self.require_charter_work(actor, before.account_id).await?;
        self.save_contact(actor, &account, Some(before), draft).await
    }

    async fn save_contact(
        &self,
        actor: &Actor,
        account: &Account,
        before: Option<Contact>,
        draft: ContactDraft,
    ) -> AppResult<Contact> {
        let now = self.clock.now();
        let mut contact =
            draft.validate(account.id, before.as_ref(), local_today(account, now), now).map_err(AppError::invalid)?;
        if let Some(owner) = draft.relationship_owner_id
            && self.active_staff(&[owner]).await?.is_empty()
        {
            return Err(AppError::invalid_field("relationship_owner_id", "must be an active staff user"));
        }
        contact.account_id = account.id;
        let all = self.store.list_contacts(account.id).await?;
        let mut after: Vec<Contact> = all.iter().filter(|c| c.id != contact.id).cloned().collect();
        after.push(contact.clone());
        let notifications = sponsor_notices(actor, account, &all, &after, now);
        let audit = AuditEntry::new(
            now,
            Some(actor.user.id),
            "contact",
            contact.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&contact);
        let audit = match &before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        self.store.save_contact(&contact, &audit, &notifications).await?;
        Ok(contact)
    }

    pub async fn delete_contact(&self, actor: &Actor, id: ContactId) -> AppResult<()> {
        let before = self.get_contact(actor, id).await?;
        let account = self.require_charter_work(actor, before.account_id).await?;
        let now = self.clock.now();
        let all = self.store.list_contacts(account.id).await?;
        let after: Vec<Contact> = all.iter().filter(|c| c.id != id).cloned().collect();
        let notifications = sponsor_notices(actor, &account, &all, &after, now);
        let audit = AuditEntry::new(now, Some(actor.user.id), "contact", id, "delete").with_before(&before);
        self.store.delete_contact(id, &audit, &notifications).await?;
        Ok(())
    }

    // ----- charters -----

    pub async fn charter(&self, actor: &Actor, account: AccountId) -> AppResult<CharterView> {
        let account = self.get_account(actor, account).await?;
        let mut versions = self.store.charter_versions(account.id).await?;
        let charter = versions.pop();
        let contacts = self.store.list_contacts(account.id).await?;
        let mut ids: Vec<UserId> = account.fields.assignments().into_iter().map(|(_, id)| id).collect();
        if let Some(c) = &charter {
            ids.extend(c.content.provider_contacts.iter().map(|n| n.user_id));
            ids.extend(c.created_by);
        }
        ids.extend(versions.iter().filter_map(|v| v.created_by));
        ids.sort();
        ids.dedup();
        let users = self.store.get_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        Ok(CharterView { account, charter, versions, contacts, users })
    }

    /// The charters in force among the accounts the actor sees, with their accounts.
    pub async fn list_charters(&self, actor: &Actor) -> AppResult<Vec<(Account, Charter)>> {
        let accounts = self.live_accounts(actor.scope, None).await?;
        let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
        let mut charters: HashMap<AccountId, Charter> =
            self.store.charters_in_force(&ids).await?.into_iter().map(|c| (c.account_id, c)).collect();
        Ok(accounts.into_iter().filter_map(|a| charters.remove(&a.id).map(|c| (a, c))).collect())
    }

    /// The day the account entered Post-Launch (in its zone), else today.
    async fn default_launch(&self, account: &Account, now: Timestamp) -> AppResult<Date> {
        let changes = self.store.phase_changes(account.id).await?;
        let zone = jiff::tz::TimeZone::get(&account.fields.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(changes
            .iter()
            .filter(|c| c.to == Phase::PostLaunch)
            .map(|c| c.at)
            .max()
            .map_or_else(|| local_today(account, now), |at| at.to_zoned(zone).date()))
    }

    /// The commitments the account's tier template gives for a launch date.
    pub async fn charter_template(
        &self,
        actor: &Actor,
        account: AccountId,
        launch: Option<Date>,
    ) -> AppResult<(Date, Vec<Commitment>)> {
        let account = self.get_account(actor, account).await?;
        let launch = match launch {
            Some(d) => d,
            None => self.default_launch(&account, self.clock.now()).await?,
        };
        Ok((launch, tamhub_domain::engagements::template(account.fields.tier, launch, &account.fields.workloads)))
    }

    /// Writes a new version of the account's charter and reschedules its open engagements: the
    /// first version schedules from the launch date, later ones from today. `expected_version`
    /// (the version the writer read; 0 for none) guards against overwriting a change unseen.
    pub async fn save_charter(
        &self,
        actor: &Actor,
        account: AccountId,
        draft: CharterDraft,
        expected_version: Option<i64>,
    ) -> AppResult<Charter> {
        let account = self.require_charter_work(actor, account).await?;
        let now = self.clock.now();
        let today = local_today(&account, now);
        let versions = self.store.charter_versions(account.id).await?;
        let current = versions.last();
        let current_version = current.map_or(0, |c| c.version);
        if let Some(expected) = expected_version
            && expected != current_version
        {
            return Err(AppError::Conflict(format!(
                "the charter is at version {current_version}, not {expected}: reload it and apply your change again"
            )));
        }
        let contacts: Vec<ContactId> = self.store.list_contacts(account.id).await?.iter().map(|c| c.id).collect();
        let named: Vec<UserId> = draft.provider_contacts.iter().map(|n| n.user_id).collect();
        let staff = self.active_staff(&named).await?;
        let ctx = CharterContext {
            tier: account.fields.tier,
            timezone: &account.fields.timezone,
            workloads: &account.fields.workloads,
            default_launch: match current {
                Some(c) => c.content.launch_date,
                None => self.default_launch(&account, now).await?,
            },
            account_contacts: &contacts,
            staff: &staff,
        };
        let content = draft.validate(&ctx).map_err(AppError::invalid)?;
        let charter = Charter {
            account_id: account.id,
            version: current_version + 1,
            content,
            created_by: Some(actor.user.id),
            created_at: now,
        };
        let from = if current.is_some() { today } else { charter.content.launch_date.min(today) };
        let change = CharterChange {
            schedule: engagements_of(&account, &charter, from, horizon_end(today)),
            replace_open_from: from,
            audit: {
                let audit = AuditEntry::new(
                    now,
                    Some(actor.user.id),
                    "charter",
                    account.id,
                    if current.is_some() { "update" } else { "create" },
                )
                .with_after(&charter);
                match current {
                    Some(c) => audit.with_before(c),
                    None => audit,
                }
            },
            charter: charter.clone(),
        };
        self.store.save_charter(&change).await?;
        Ok(charter)
    }

    // ----- engagements -----

    /// The account's scheduled engagements due from `from` to `to` (all when unbounded).
    pub async fn engagements(
        &self,
        actor: &Actor,
        account: AccountId,
        from: Option<Date>,
        to: Option<Date>,
    ) -> AppResult<(Account, Vec<Engagement>)> {
        let account = self.get_account(actor, account).await?;
        let query =
            EngagementQuery { account_id: Some(account.id), from, to, ..EngagementQuery::in_scope(actor.scope) };
        Ok((account, self.store.list_engagements(&query).await?))
    }

    pub async fn get_engagement(&self, actor: &Actor, id: EngagementId) -> AppResult<(Account, Engagement)> {
        let engagement = self.store.get_engagement(id).await?;
        let account = self.get_account(actor, engagement.account_id).await?;
        Ok((account, engagement))
    }

    /// Skips an open engagement with a reason; it counts as promised and not delivered.
    pub async fn skip_engagement(&self, actor: &Actor, id: EngagementId, reason: &str) -> AppResult<Engagement> {
        let (account, before) = self.get_engagement(actor, id).await?;
        require(can_work_charter(actor.user.role), "skip engagements")?;
        let mut errors = FieldErrors::new();
        let reason = required_text(&mut errors, "reason", reason, 500);
        errors.into_result().map_err(AppError::invalid)?;
        if !before.is_open() {
            return Err(AppError::Conflict("the engagement is already held or skipped".into()));
        }
        let now = self.clock.now();
        let mut after = before.clone();
        after.skip_reason = Some(reason);
        after.skipped_by = Some(actor.user.id);
        after.skipped_at = Some(now);
        let audit =
            AuditEntry::new(now, Some(actor.user.id), "engagement", id, "skip").with_before(&before).with_after(&after);
        self.store.save_open_engagement(&after, &audit).await?;
        let _ = account;
        Ok(after)
    }

    // ----- meetings -----

    /// Records a held meeting: it fulfils the engagement named, or else the nearest open one of
    /// its type; its action items become actions; attending contacts were in touch that day.
    pub async fn record_meeting(&self, actor: &Actor, account: AccountId, draft: MeetingDraft) -> AppResult<Meeting> {
        let account = self.require_charter_work(actor, account).await?;
        let now = self.clock.now();
        let contacts = self.store.list_contacts(account.id).await?;
        let contact_ids: Vec<ContactId> = contacts.iter().map(|c| c.id).collect();
        let mut asked: Vec<UserId> = draft.attendee_user_ids.clone();
        asked.extend(draft.action_items.iter().filter_map(|a| a.owner_id));
        let staff = self.active_staff(&asked).await?;
        let ctx = MeetingContext {
            account_id: account.id,
            timezone: &account.fields.timezone,
            account_contacts: &contact_ids,
            staff: &staff,
        };
        let mut errors = FieldErrors::new();
        let mut meeting = match draft.validate(&ctx, actor.user.id, now) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.merge(e);
                None
            }
        };
        let mut actions = Vec::new();
        for (i, item) in draft.action_items.iter().enumerate() {
            let mut item = item.clone();
            if item.action_type.trim().is_empty() {
                item.action_type = "other".into();
            }
            if item.priority.trim().is_empty() {
                item.priority = "normal".into();
            }
            if item.owner_id.is_some_and(|o| !staff.contains(&o)) {
                errors.add(&format!("action_items[{i}].owner_id"), "must be an active staff user");
            }
            let source = ActionSource::Meeting {
                meeting_id: meeting.as_ref().map_or_else(MeetingId::new, |m| m.id),
                account_id: account.id,
            };
            match item.create(source, &SourceContext::default(), Some(actor.user.id), now) {
                Ok(action) => actions.push(action),
                Err(e) => {
                    for (field, message) in e.iter() {
                        errors.add(&format!("action_items[{i}].{field}"), message.clone());
                    }
                }
            }
        }
        let engagement = match (&meeting, draft.engagement_id) {
            (Some(m), Some(id)) => match self.store.get_engagement(id).await {
                Ok(e) if e.account_id != account.id => {
                    errors.add("engagement_id", "is not an engagement of this account");
                    None
                }
                Ok(e) if !e.is_open() => {
                    errors.add("engagement_id", "is already held or skipped");
                    None
                }
                Ok(e) if e.engagement_type != m.meeting_type => {
                    errors.add(
                        "engagement_id",
                        format!("is a {}, not a {}", e.engagement_type.label(), m.meeting_type.label()),
                    );
                    None
                }
                Ok(e) => Some(e),
                Err(StoreError::NotFound) => {
                    errors.add("engagement_id", "is not an engagement of this account");
                    None
                }
                Err(other) => return Err(other.into()),
            },
            (Some(m), None) => {
                let query = EngagementQuery {
                    account_id: Some(account.id),
                    open_only: true,
                    to: Some(horizon_end(m.held_on)),
                    ..EngagementQuery::in_scope(AccountScope::All)
                };
                let open = self.store.list_engagements(&query).await?;
                engagement_for_meeting(&open, m.meeting_type, draft.workload.as_deref(), m.held_on).cloned()
            }
            (None, _) => None,
        };
        errors.into_result().map_err(AppError::invalid)?;
        let mut meeting = meeting.take().expect("errors were returned above");
        let engagement = engagement.map(|mut e| {
            e.meeting_id = Some(meeting.id);
            e.held_on = Some(meeting.held_on);
            meeting.engagement_id = Some(e.id);
            e
        });
        let touched: Vec<Contact> = contacts
            .into_iter()
            .filter(|c| meeting.attendee_contact_ids.contains(&c.id))
            .filter(|c| c.last_contact_on.is_none_or(|d| d < meeting.held_on))
            .map(|mut c| {
                c.last_contact_on = Some(meeting.held_on);
                c.updated_at = now;
                c
            })
            .collect();
        let mut audit =
            vec![AuditEntry::new(now, Some(actor.user.id), "meeting", meeting.id, "create").with_after(&meeting)];
        if let Some(e) = &engagement {
            audit.push(AuditEntry::new(now, Some(actor.user.id), "engagement", e.id, "hold").with_after(e));
        }
        audit.extend(
            actions.iter().map(|a| AuditEntry::new(now, Some(actor.user.id), "action", a.id, "create").with_after(a)),
        );
        let notifications = actions
            .iter()
            .filter(|a| a.owner_id != actor.user.id)
            .map(|a| Notification {
                id: NotificationId::new(),
                user_id: a.owner_id,
                at: now,
                kind: "action".into(),
                account_id: Some(account.id),
                ticket_id: None,
                incident_id: None,
                action_id: Some(a.id),
                title: format!("Action item assigned to you: {}", a.title),
                body: format!("From the {} with {} on {}", meeting.title, account.fields.name, meeting.held_on),
                read_at: None,
            })
            .collect();
        let record =
            MeetingRecord { meeting: meeting.clone(), engagement, actions, contacts: touched, notifications, audit };
        self.store.save_meeting(&record).await?;
        Ok(meeting)
    }

    /// Meetings are internal notes: staff who see the account read them.
    pub async fn meetings(&self, actor: &Actor, account: AccountId) -> AppResult<Vec<Meeting>> {
        self.get_account(actor, account).await?;
        require(actor.user.role.is_staff(), "read meeting notes")?;
        Ok(self.store.list_meetings(account, MEETINGS_LIMIT).await?)
    }

    /// A meeting with its account and action items.
    pub async fn get_meeting(&self, actor: &Actor, id: MeetingId) -> AppResult<(Account, Meeting, Vec<Action>)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let meeting = self.store.get_meeting(id).await?;
        let account = self.get_account(actor, meeting.account_id).await?;
        let query =
            ActionQuery { account_id: Some(account.id), limit: 1_000, ..ActionQuery::in_scope(AccountScope::All) };
        let actions = self
            .store
            .list_actions(&query)
            .await?
            .items
            .into_iter()
            .filter(|a| matches!(a.source, ActionSource::Meeting { meeting_id, .. } if meeting_id == id))
            .collect();
        Ok((account, meeting, actions))
    }

    // ----- compliance -----

    /// The account's charter compliance for engagements due from `from` to `to`.
    pub async fn account_compliance(
        &self,
        actor: &Actor,
        account: AccountId,
        from: Date,
        to: Date,
    ) -> AppResult<(Account, CharterCompliance)> {
        let (account, engagements) = self.engagements(actor, account, Some(from), Some(to)).await?;
        let today = local_today(&account, self.clock.now());
        let result = compliance(&engagements, from, to, today);
        Ok((account, result))
    }

    /// CharterCompliance of every account the actor sees, and per primary TAM.
    pub async fn portfolio_compliance(&self, actor: &Actor, from: Date, to: Date) -> AppResult<PortfolioCompliance> {
        let now = self.clock.now();
        let accounts = self.live_accounts(actor.scope, None).await?;
        let query = EngagementQuery {
            from: Some(from),
            to: Some(to),
            limit: u32::MAX,
            ..EngagementQuery::in_scope(actor.scope)
        };
        let mut by_account: HashMap<AccountId, Vec<Engagement>> = HashMap::new();
        for e in self.store.list_engagements(&query).await? {
            by_account.entry(e.account_id).or_default().push(e);
        }
        let mut out = PortfolioCompliance::default();
        let mut by_tam: BTreeMap<UserId, Vec<CharterCompliance>> = BTreeMap::new();
        for account in accounts {
            let Some(list) = by_account.remove(&account.id) else { continue };
            let c = compliance(&list, from, to, local_today(&account, now));
            if let Some(tam) = account.fields.primary_tam_id {
                by_tam.entry(tam).or_default().push(c.clone());
            }
            out.accounts.push((account, c));
        }
        out.total = combine(out.accounts.iter().map(|(_, c)| c));
        let ids: Vec<UserId> = by_tam.keys().copied().collect();
        let users: HashMap<UserId, User> = self.store.get_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        for (tam, parts) in by_tam {
            if let Some(user) = users.get(&tam) {
                out.tams.push((user.clone(), combine(&parts)));
            }
        }
        out.tams.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }

    // ----- the job -----

    /// One pass: once a day, extends every charter's schedule to the horizon; every pass, tells
    /// the TAMs of engagements that became overdue (once each). Returns (scheduled, notified).
    pub async fn engagement_scan_once(&self) -> AppResult<(u64, u64)> {
        let now = self.clock.now();
        let utc_today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let mut scheduled = 0;
        let done_today = self.store.get_setting(SCHEDULED_DAY_KEY).await?.and_then(|v| v.as_str().map(str::to_string));
        if done_today.as_deref() != Some(utc_today.to_string().as_str()) {
            let accounts = self.live_accounts(AccountScope::All, None).await?;
            let by_id: HashMap<AccountId, &Account> = accounts.iter().map(|a| (a.id, a)).collect();
            let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
            for charter in self.store.charters_in_force(&ids).await? {
                let Some(account) = by_id.get(&charter.account_id) else { continue };
                let today = local_today(account, now);
                let list = engagements_of(account, &charter, today, horizon_end(today));
                scheduled += self.store.add_engagements(&list).await?;
            }
            let audit = AuditEntry::new(now, None, "setting", SCHEDULED_DAY_KEY, "update").with_after(&utc_today);
            self.store.put_setting(SCHEDULED_DAY_KEY, &serde_json::json!(utc_today.to_string()), &audit).await?;
        }
        // Local days run up to a day ahead of UTC: read those that may be overdue anywhere,
        // then keep those overdue where their account is.
        let query = EngagementQuery {
            overdue_unnotified_before: Some(utc_today.tomorrow().unwrap_or(utc_today)),
            limit: 500,
            ..EngagementQuery::in_scope(AccountScope::All)
        };
        let candidates = self.store.list_engagements(&query).await?;
        if candidates.is_empty() {
            return Ok((scheduled, 0));
        }
        let mut ids: Vec<AccountId> = candidates.iter().map(|e| e.account_id).collect();
        ids.sort();
        ids.dedup();
        let accounts: HashMap<AccountId, Account> =
            self.store.get_accounts(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        let mut overdue = Vec::new();
        let mut notifications = Vec::new();
        for e in &candidates {
            let Some(account) = accounts.get(&e.account_id) else { continue };
            if local_today(account, now) <= e.window_closes() {
                continue;
            }
            overdue.push(e.id);
            let tams = [account.fields.primary_tam_id, account.fields.backup_tam_id];
            for tam in tams.into_iter().flatten() {
                notifications.push(Notification {
                    id: NotificationId::new(),
                    user_id: tam,
                    at: now,
                    kind: "engagement_overdue".into(),
                    account_id: Some(account.id),
                    ticket_id: None,
                    incident_id: None,
                    action_id: None,
                    title: format!("Overdue: {} with {}", e.label, account.fields.name),
                    body: format!(
                        "Due {}, window closed {}: hold it, or skip it with a reason.",
                        e.due_on,
                        e.window_closes()
                    ),
                    read_at: None,
                });
            }
        }
        self.store.mark_overdue_notified(&overdue, now, &notifications).await?;
        Ok((scheduled, overdue.len() as u64))
    }

    // ----- calendar feeds -----

    /// A new secret feed URL token for the actor (any older one stops working).
    pub async fn rotate_calendar_feed(&self, actor: &Actor) -> AppResult<String> {
        require(actor.user.role.is_staff(), "subscribe to a calendar feed")?;
        let raw = format!("{FEED_PREFIX}{}", random_secret());
        let now = self.clock.now();
        let audit = AuditEntry::new(now, Some(actor.user.id), "calendar_feed", actor.user.id, "rotate");
        self.store.rotate_calendar_feed(actor.user.id, &token_hash(&raw), now, &audit).await?;
        Ok(raw)
    }

    pub async fn revoke_calendar_feed(&self, actor: &Actor) -> AppResult<()> {
        let now = self.clock.now();
        let audit = AuditEntry::new(now, Some(actor.user.id), "calendar_feed", actor.user.id, "revoke");
        self.store.revoke_calendar_feeds(actor.user.id, now, &audit).await?;
        Ok(())
    }

    pub async fn calendar_feed_created(&self, actor: &Actor) -> AppResult<Option<Timestamp>> {
        Ok(self.store.calendar_feed_created(actor.user.id).await?)
    }

    /// The feed behind a token: the open engagements of the user's accounts from today to the
    /// horizon, and the due dates of their open actions. A wrong or revoked token is not found.
    pub async fn calendar_feed(&self, token: &str, base_url: &str) -> AppResult<String> {
        let Some(user) = self.store.calendar_feed_user(&token_hash(token)).await? else {
            return Err(AppError::NotFound);
        };
        let actor = Actor::new(user);
        let now = self.clock.now();
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let accounts = self.live_accounts(actor.scope, None).await?;
        let names: HashMap<AccountId, &str> = accounts.iter().map(|a| (a.id, a.fields.name.as_str())).collect();
        let query = EngagementQuery {
            from: Some(today.yesterday().unwrap_or(today)),
            to: Some(horizon_end(today)),
            open_only: true,
            ..EngagementQuery::in_scope(actor.scope)
        };
        let mut items: Vec<CalendarItem> = self
            .store
            .list_engagements(&query)
            .await?
            .iter()
            .map(|e| engagement_item(e, names.get(&e.account_id).copied().unwrap_or("account"), base_url))
            .collect();
        let actions = ActionQuery {
            owner_id: Some(actor.user.id),
            statuses: vec![
                tamhub_domain::actions::ActionStatus::Open,
                tamhub_domain::actions::ActionStatus::InProgress,
            ],
            ..ActionQuery::in_scope(actor.scope)
        };
        for a in self.all_actions(&actor, actions).await? {
            let Some(due) = a.due_at else { continue };
            items.push(CalendarItem {
                uid: format!("action-{}@tamhub", a.id),
                summary: format!("Due: {} ({})", a.title, a.display_number()),
                description: a.description.clone(),
                day: due.to_zoned(jiff::tz::TimeZone::UTC).date(),
                url: Some(format!("{base_url}/actions/{}", a.id)),
            });
        }
        Ok(calendar(&format!("tamhub: {}", actor.user.name), &items, now))
    }

    /// An account's scheduled engagements (all of them, held and skipped marked) as iCalendar.
    pub async fn account_calendar(&self, actor: &Actor, account: AccountId, base_url: &str) -> AppResult<String> {
        let (account, engagements) = self.engagements(actor, account, None, None).await?;
        let items: Vec<CalendarItem> =
            engagements.iter().map(|e| engagement_item(e, &account.fields.name, base_url)).collect();
        Ok(calendar(&format!("tamhub: {} engagements", account.fields.name), &items, self.clock.now()))
    }
}

fn engagement_item(e: &Engagement, account_name: &str, base_url: &str) -> CalendarItem {
    let state = if e.meeting_id.is_some() {
        format!("Held on {}.", e.held_on.map(|d| d.to_string()).unwrap_or_default())
    } else if let Some(reason) = &e.skip_reason {
        format!("Skipped: {reason}.")
    } else {
        format!("On time from {} to {}.", e.window_opens(), e.window_closes())
    };
    CalendarItem {
        uid: format!("engagement-{}@tamhub", e.id),
        summary: format!("{}: {}", account_name, e.label),
        description: format!("{} for {account_name}. {state}", e.engagement_type.label()),
        day: e.due_on,
        url: Some(format!("{base_url}/accounts/{}/charter", e.account_id)),
    }
}

/// The engagements a charter schedules for an account from `from` to `until`.
fn engagements_of(account: &Account, charter: &Charter, from: Date, until: Date) -> Vec<Engagement> {
    schedule(&charter.content, &account.fields.timezone, from, until)
        .into_iter()
        .map(|o| Engagement::from_occurrence(account.id, charter.version, o))
        .collect()
}

/// Tells the account's TAMs, PSM and PAM (not the actor) when it loses its executive sponsor.
fn sponsor_notices(
    actor: &Actor,
    account: &Account,
    before: &[Contact],
    after: &[Contact],
    now: Timestamp,
) -> Vec<Notification> {
    if !loses_executive_sponsor(before, after) {
        return Vec::new();
    }
    let f = &account.fields;
    let mut to: Vec<UserId> = [f.primary_tam_id, f.backup_tam_id, f.psm_id, f.pam_id].into_iter().flatten().collect();
    to.sort();
    to.dedup();
    to.into_iter()
        .filter(|u| *u != actor.user.id)
        .map(|user_id| Notification {
            id: NotificationId::new(),
            user_id,
            at: now,
            kind: "executive_sponsor_lost".into(),
            account_id: Some(account.id),
            ticket_id: None,
            incident_id: None,
            action_id: None,
            title: format!("{} has no executive sponsor", f.name),
            body: format!("{} changed the stakeholder map: no contact is marked executive sponsor.", actor.user.name),
            read_at: None,
        })
        .collect()
}
