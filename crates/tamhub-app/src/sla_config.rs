//! SLA configuration: business calendars (versioned, with holiday import), the ordered SLA
//! policies (versioned as a list), and the organisation's default calendar. Each server keeps
//! the whole configuration in memory and reloads it when the stored revision moves on.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tamhub_domain::Timestamp;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{CalendarId, PolicyId};
use tamhub_domain::sla::business_calendars::{
    BusinessCalendar, CalendarHours, CalendarVersion, ImportedHoliday, parse_ics_holidays, validate_calendar,
};
use tamhub_domain::sla::calendar::Calendar;
use tamhub_domain::sla::policies::{CalendarRef, PolicySet, SlaPolicy, SlaPolicyDraft, default_policy};
use tamhub_domain::validation::FieldErrors;
use tamhub_store::SlaConfigRecord;

use crate::policy::{can_manage_sla, can_view_sla_config, require};
use crate::{Actor, App, AppError, AppResult};

/// The configuration as the engine needs it, built once per revision.
pub struct SlaRuntime {
    pub record: SlaConfigRecord,
    /// Engine calendars by id (as text), every version folded in.
    pub calendars: BTreeMap<String, Calendar>,
}

impl SlaRuntime {
    fn build(record: SlaConfigRecord) -> AppResult<SlaRuntime> {
        let mut calendars = BTreeMap::new();
        for calendar in &record.calendars {
            let engine = calendar.engine_calendar().map_err(|errors| {
                AppError::Internal(format!("stored calendar {} is invalid: {errors:?}", calendar.id))
            })?;
            calendars.insert(calendar.id.to_string(), engine);
        }
        Ok(SlaRuntime { record, calendars })
    }

    pub fn calendar(&self, id: CalendarId) -> Option<&BusinessCalendar> {
        self.record.calendars.iter().find(|c| c.id == id)
    }

    /// The policy list in force now.
    pub fn current_policies(&self, now: Timestamp) -> &[SlaPolicy] {
        self.record
            .policy_sets
            .iter()
            .rev()
            .find(|s| s.effective_from <= now)
            .or(self.record.policy_sets.last())
            .map(|s| s.policies.as_slice())
            .unwrap_or(&[])
    }
}

/// Where a server keeps its copy of the configuration.
#[derive(Clone, Default)]
pub struct SlaCache(Arc<RwLock<Option<Arc<SlaRuntime>>>>);

impl App {
    /// The configuration, reloaded when another change (on any server) has moved the revision.
    pub async fn sla_runtime(&self) -> AppResult<Arc<SlaRuntime>> {
        let revision = self.store.sla_revision().await?;
        if let Some(cached) = self.sla_cache.0.read().map_err(poisoned)?.as_ref()
            && cached.record.revision == revision
        {
            return Ok(cached.clone());
        }
        let runtime = Arc::new(SlaRuntime::build(self.store.sla_config().await?)?);
        *self.sla_cache.0.write().map_err(poisoned)? = Some(runtime.clone());
        Ok(runtime)
    }

    /// A fresh installation starts with a standard calendar as the default and the policy of the
    /// seeds (PRODUCT.md): harmless to call again.
    pub async fn ensure_sla_defaults(&self) -> AppResult<()> {
        let config = self.sla_runtime().await?;
        let now = self.clock.now();
        if config.record.calendars.is_empty() && config.record.default_calendar_id.is_none() {
            let hours = CalendarHours::weekdays_nine_to_five("UTC");
            let calendar = self.create_calendar(None, "Standard hours (UTC)", hours, Timestamp::UNIX_EPOCH).await?;
            let audit = AuditEntry::new(now, None, "setting", "default_calendar", "set").with_after(&calendar.id);
            self.store.set_default_calendar(Some(calendar.id), now, &audit).await?;
        }
        if config.record.policy_sets.is_empty() {
            // Effective since the epoch: tickets imported with older histories have a policy too.
            let set = PolicySet { version: 1, effective_from: Timestamp::UNIX_EPOCH, policies: vec![default_policy()] };
            let audit = AuditEntry::new(now, None, "sla_policies", 1, "create").with_after(&set);
            match self.store.save_policy_set(&set, None, &audit).await {
                Err(tamhub_store::StoreError::Conflict(_)) | Ok(()) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    pub async fn list_calendars(&self, actor: &Actor) -> AppResult<(Vec<BusinessCalendar>, Option<CalendarId>)> {
        require(can_view_sla_config(actor.user.role), "see SLA calendars")?;
        let config = self.sla_runtime().await?;
        Ok((config.record.calendars.clone(), config.record.default_calendar_id))
    }

    pub async fn get_calendar(&self, actor: &Actor, id: CalendarId) -> AppResult<BusinessCalendar> {
        require(can_view_sla_config(actor.user.role), "see SLA calendars")?;
        self.sla_runtime().await?.calendar(id).cloned().ok_or(AppError::NotFound)
    }

    /// Creates a calendar; `effective_from` is when its hours start to count.
    pub async fn create_calendar(
        &self,
        actor: Option<&Actor>,
        name: &str,
        hours: CalendarHours,
        effective_from: Timestamp,
    ) -> AppResult<BusinessCalendar> {
        if let Some(actor) = actor {
            require(can_manage_sla(actor.user.role), "manage SLA calendars")?;
        }
        let (name, hours) = validate_calendar(name, hours)?;
        check_business_time(&hours)?;
        let now = self.clock.now();
        let calendar = BusinessCalendar {
            id: CalendarId::new(),
            name,
            versions: vec![CalendarVersion { version: 1, effective_from, hours, created_at: now }],
            created_at: now,
            updated_at: now,
        };
        let actor_id = actor.map(|a| a.user.id);
        let audit = AuditEntry::new(now, actor_id, "calendar", calendar.id, "create").with_after(&calendar);
        self.store.create_calendar(&calendar, actor_id, &audit).await?;
        Ok(calendar)
    }

    /// Renames a calendar and, when hours are given, adds a version effective from
    /// `effective_from` (default now; never in the past, R-K12: consumed time is not rewritten).
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        id: CalendarId,
        name: Option<&str>,
        hours: Option<CalendarHours>,
        effective_from: Option<Timestamp>,
    ) -> AppResult<BusinessCalendar> {
        require(can_manage_sla(actor.user.role), "manage SLA calendars")?;
        let before = self.get_calendar(actor, id).await?;
        let now = self.clock.now();
        let name = name.unwrap_or(&before.name);
        let current = before.current(now).map(|v| v.hours.clone()).unwrap_or_default();
        let (name, hours) = validate_calendar(name, hours.unwrap_or_else(|| current.clone()))?;
        if let Some(from) = effective_from
            && from < now
        {
            return Err(AppError::invalid_field(
                "effective_from",
                "must not be in the past: time already counted is never recomputed (R-K12)",
            ));
        }
        let latest = before.versions.last().map(|v| v.version).unwrap_or(0);
        let new_version = (hours != current || effective_from.is_some()).then(|| CalendarVersion {
            version: latest + 1,
            effective_from: effective_from.unwrap_or(now),
            hours: hours.clone(),
            created_at: now,
        });
        if new_version.is_some() {
            check_business_time(&hours)?;
        }
        if name == before.name && new_version.is_none() {
            return Ok(before);
        }
        let mut after = before.clone();
        after.name = name.clone();
        after.updated_at = now;
        after.versions.extend(new_version.clone());
        let audit =
            AuditEntry::new(now, Some(actor.user.id), "calendar", id, "update").with_before(&before).with_after(&after);
        self.store.update_calendar(id, &name, new_version.as_ref(), Some(actor.user.id), now, &audit).await?;
        Ok(after)
    }

    /// Adds the holidays of an iCalendar file to the calendar as a new version (effective now).
    /// Returns the calendar and the holidays that were new.
    pub async fn import_holidays(
        &self,
        actor: &Actor,
        id: CalendarId,
        ics: &str,
    ) -> AppResult<(BusinessCalendar, Vec<ImportedHoliday>)> {
        require(can_manage_sla(actor.user.role), "manage SLA calendars")?;
        let found = parse_ics_holidays(ics)?;
        if found.is_empty() {
            return Err(AppError::invalid_field("file", "holds no all-day events to import as holidays"));
        }
        let before = self.get_calendar(actor, id).await?;
        let mut hours = before.current(self.clock.now()).map(|v| v.hours.clone()).unwrap_or_default();
        let added: Vec<ImportedHoliday> =
            found.into_iter().filter(|h| !hours.holidays.contains(&h.date.to_string())).collect();
        if added.is_empty() {
            return Ok((before, added));
        }
        hours.holidays.extend(added.iter().map(|h| h.date.to_string()));
        let calendar = self.update_calendar(actor, id, None, Some(hours), None).await?;
        Ok((calendar, added))
    }

    pub async fn set_default_calendar(&self, actor: &Actor, id: Option<CalendarId>) -> AppResult<()> {
        require(can_manage_sla(actor.user.role), "change the default calendar")?;
        let config = self.sla_runtime().await?;
        if let Some(id) = id
            && config.calendar(id).is_none()
        {
            return Err(AppError::invalid_field("calendar_id", "is not an existing calendar"));
        }
        if config.record.default_calendar_id == id {
            return Ok(());
        }
        let now = self.clock.now();
        let audit = AuditEntry::new(now, Some(actor.user.id), "setting", "default_calendar", "update")
            .with_before(&config.record.default_calendar_id)
            .with_after(&id);
        self.store.set_default_calendar(id, now, &audit).await?;
        Ok(())
    }

    /// The policies in force now, in order.
    pub async fn list_policies(&self, actor: &Actor) -> AppResult<Vec<SlaPolicy>> {
        require(can_view_sla_config(actor.user.role), "see SLA policies")?;
        Ok(self.sla_runtime().await?.current_policies(self.clock.now()).to_vec())
    }

    pub async fn get_policy(&self, actor: &Actor, id: PolicyId) -> AppResult<SlaPolicy> {
        self.list_policies(actor).await?.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound)
    }

    /// Adds a policy at its `position` (0 = first; default last).
    pub async fn create_policy(&self, actor: &Actor, draft: SlaPolicyDraft) -> AppResult<SlaPolicy> {
        let position = draft.position;
        let policy = draft.validate(PolicyId::new())?;
        self.change_policies(actor, "create", policy.id, |list| {
            let at = position.unwrap_or(list.len()).min(list.len());
            list.insert(at, policy.clone());
            Ok(())
        })
        .await?;
        Ok(policy)
    }

    /// Replaces a policy; a `position` also moves it in the list.
    pub async fn update_policy(&self, actor: &Actor, id: PolicyId, draft: SlaPolicyDraft) -> AppResult<SlaPolicy> {
        let position = draft.position;
        let policy = draft.validate(id)?;
        self.change_policies(actor, "update", id, |list| {
            let from = list.iter().position(|p| p.id == id).ok_or(AppError::NotFound)?;
            list.remove(from);
            list.insert(position.unwrap_or(from).min(list.len()), policy.clone());
            Ok(())
        })
        .await?;
        Ok(policy)
    }

    pub async fn delete_policy(&self, actor: &Actor, id: PolicyId) -> AppResult<()> {
        self.change_policies(actor, "delete", id, |list| {
            let at = list.iter().position(|p| p.id == id).ok_or(AppError::NotFound)?;
            list.remove(at);
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Every policy change stores a new version of the whole list, effective now (R-T3: open
    /// cycles are re-targeted from their start; closed history keeps its targets, R-T4).
    async fn change_policies(
        &self,
        actor: &Actor,
        action: &str,
        id: PolicyId,
        change: impl FnOnce(&mut Vec<SlaPolicy>) -> AppResult<()>,
    ) -> AppResult<Vec<SlaPolicy>> {
        require(can_manage_sla(actor.user.role), "manage SLA policies")?;
        let config = self.sla_runtime().await?;
        let now = self.clock.now();
        let before = config.current_policies(now).to_vec();
        let mut after = before.clone();
        change(&mut after)?;
        let mut errors = FieldErrors::new();
        for policy in &after {
            for (i, target) in policy.targets.iter().enumerate() {
                if let CalendarRef::Calendar(calendar) = target.calendar
                    && config.calendar(calendar).is_none()
                    && policy.id == id
                {
                    errors.add(&format!("targets[{i}].calendar"), "is not an existing calendar");
                }
            }
        }
        errors.into_result()?;
        let version = config.record.policy_sets.last().map(|s| s.version).unwrap_or(0) + 1;
        let set = PolicySet { version, effective_from: now, policies: after.clone() };
        let audit =
            AuditEntry::new(now, Some(actor.user.id), "sla_policy", id, action).with_before(&before).with_after(&after);
        self.store.save_policy_set(&set, Some(actor.user.id), &audit).await?;
        Ok(after)
    }
}

/// R-K9 at configuration time: a calendar with no weekly hours would make every business-hours
/// target unreachable.
fn check_business_time(hours: &CalendarHours) -> AppResult<()> {
    if hours.weekly.values().all(|spans| spans.is_empty()) {
        return Err(AppError::invalid_field("weekly", "must have business hours on at least one day of the week"));
    }
    Ok(())
}

fn poisoned<T>(_: T) -> AppError {
    AppError::Internal("the SLA configuration cache lock is poisoned".into())
}
