//! Post-incident reviews: read, write, submit, approve, send back, publish (SLA-SPEC 2.6, R-I5).
//! A review lives beside its incident; every change of its state is also an entry on the
//! incident's timeline, stored in the same transaction.

use std::collections::HashMap;
use tamhub_domain::Timestamp;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{IncidentId, NotificationId, UserId};
use tamhub_domain::incidents::{Incident, TimelineKind};
use tamhub_domain::notifications::Notification;

use tamhub_domain::SignedDuration;
use tamhub_domain::actions::ActionSummary;
use tamhub_domain::ids::AccountId;
use tamhub_domain::postmortems::{
    IncidentTaxonomy, PostIncidentReview, Problem, ReviewContent, ReviewStatus, is_repeat, problems, review_due,
    review_required,
};
use tamhub_store::{ActionQuery, IncidentQuery};

use crate::incidents::{IncidentView, Planned};
use tamhub_domain::sla::calendar::{Calendar, CalendarSpec};
use tamhub_domain::validation::FieldErrors;

use crate::policy::{can_manage_sla, can_work_incidents, require};
use crate::{Actor, App, AppError, AppResult};

/// Business days from resolution to the review's deadline (PagerDuty's practice; R-I5).
pub const REVIEW_BUSINESS_DAYS: u32 = 5;

#[derive(Clone, Debug)]
pub enum ReviewCommand {
    Edit(Box<ReviewContent>),
    Submit,
    Approve,
    RequestChanges,
    Publish,
}

impl ReviewCommand {
    fn action(&self) -> &'static str {
        match self {
            ReviewCommand::Edit(_) => "edit_review",
            ReviewCommand::Submit => "submit_review",
            ReviewCommand::Approve => "approve_review",
            ReviewCommand::RequestChanges => "request_review_changes",
            ReviewCommand::Publish => "publish_review",
        }
    }
}

/// An incident's review as one reader may see it.
#[derive(Clone, Debug)]
pub struct ReviewView {
    /// Whether the incident needs one (its most severe level, R-I5).
    pub required: bool,
    /// Five business days after resolution on the organisation's calendar; none before.
    pub due_at: Option<Timestamp>,
    /// None until someone starts it; customers see it only once published.
    pub review: Option<PostIncidentReview>,
}

impl App {
    pub async fn incident_review(&self, actor: &Actor, id: IncidentId) -> AppResult<ReviewView> {
        let view = self.get_incident(actor, id).await?;
        let mut review = self.store.incident_review(id).await?;
        if !actor.user.role.is_staff() {
            review = review.filter(|r| r.status == ReviewStatus::Published);
        }
        let due_at = match review.as_ref().and_then(|r| r.due_at) {
            Some(due) => Some(due),
            None => self.review_due(&view.incident).await?,
        };
        Ok(ReviewView {
            required: review_required(view.incident.max_severity, self.config.review_required_through),
            due_at,
            review,
        })
    }

    /// R-I5: five business days after `resolved_at` on the organisation's default calendar
    /// (weekdays in UTC when there is none).
    pub(crate) async fn review_due(&self, incident: &Incident) -> AppResult<Option<Timestamp>> {
        let Some(resolved) = incident.milestones.resolved_at else { return Ok(None) };
        let config = self.sla_runtime().await?;
        let default = config.record.default_calendar_id.and_then(|id| {
            let record = config.record.calendars.iter().find(|c| c.id == id)?;
            let tz = jiff::tz::TimeZone::get(&record.version_at(resolved)?.hours.tz).ok()?;
            Some((config.calendars.get(&id.to_string())?.clone(), tz))
        });
        let (calendar, tz) = match default {
            Some(found) => found,
            None => (weekdays_utc(), jiff::tz::TimeZone::UTC),
        };
        Ok(review_due(resolved, &calendar, &tz, REVIEW_BUSINESS_DAYS))
    }

    /// Applies one change to the incident's review (creating the draft on the first edit).
    pub async fn change_review(
        &self,
        actor: &Actor,
        id: IncidentId,
        command: ReviewCommand,
    ) -> AppResult<PostIncidentReview> {
        require(can_work_incidents(actor.user.role), "work on post-incident reviews")?;
        self.get_incident(actor, id).await?;
        let mut command = command;
        if let ReviewCommand::Edit(content) = &mut command {
            self.canonical_category(id, content).await?;
            let mut errors = FieldErrors::new();
            if let Some(owner) = content.owner_id
                && let Err(message) = self.role_holder_problem(owner).await?
            {
                errors.add("owner_id", message);
            }
            for (i, approver) in content.approver_ids.iter().enumerate() {
                if let Err(message) = self.role_holder_problem(*approver).await? {
                    errors.add(&format!("approver_ids[{i}]"), message);
                }
            }
            errors.into_result()?;
        }
        for attempt in 1.. {
            let loaded = self.load_for_change(id).await?;
            let (before, now) = (&loaded.before, loaded.now);
            let existing = match self.store.incident_review(id).await? {
                Some(review) => review,
                None => PostIncidentReview::new(id, self.review_due(before).await?, now),
            };
            if !matches!(command, ReviewCommand::Edit(_)) && before.milestones.resolved_at.is_none() {
                return Err(AppError::invalid_field("status", "a review is submitted once the incident is resolved"));
            }
            let next = match &command {
                ReviewCommand::Edit(content) => existing.edit(content, now),
                ReviewCommand::Submit => existing.submit(now),
                ReviewCommand::Approve => existing.approve(actor.user.id, now),
                ReviewCommand::RequestChanges => existing.request_changes(now),
                ReviewCommand::Publish => existing.publish(now),
            }?;
            let kinds = if next.status != existing.status {
                before.checked(now, vec![TimelineKind::PostmortemStateChanged { status: next.status }])?
            } else {
                Vec::new()
            };
            let actions = match next.approved_at {
                Some(approved) if existing.approved_at.is_none() => self.default_due_dates(before, approved).await?,
                _ => Vec::new(),
            };
            let planned = Planned {
                actions,
                notifications: review_notifications(actor, before, &existing, &next),
                audit: AuditEntry::new(now, Some(actor.user.id), "incident", id, command.action())
                    .with_before(&existing)
                    .with_after(&next),
                kinds,
                review: Some(next.clone()),
            };
            if self.save_planned(actor, loaded, planned, attempt).await?.is_some() {
                return Ok(next);
            }
        }
        unreachable!("save_planned refuses to retry after the last attempt")
    }
}

const TAXONOMY_KEY: &str = "incident_taxonomy";

impl App {
    pub async fn incident_taxonomy(&self) -> AppResult<IncidentTaxonomy> {
        match self.store.get_setting(TAXONOMY_KEY).await? {
            Some(value) => serde_json::from_value(value).map_err(|e| AppError::Internal(e.to_string())),
            None => Ok(IncidentTaxonomy::default()),
        }
    }

    pub async fn set_incident_taxonomy(
        &self,
        actor: &Actor,
        taxonomy: IncidentTaxonomy,
    ) -> AppResult<IncidentTaxonomy> {
        require(can_manage_sla(actor.user.role), "change the incident taxonomy")?;
        let taxonomy = taxonomy.validated()?;
        let before = self.incident_taxonomy().await?;
        let value = serde_json::to_value(&taxonomy).map_err(|e| AppError::Internal(e.to_string()))?;
        let audit = AuditEntry::new(self.clock.now(), Some(actor.user.id), "setting", TAXONOMY_KEY, "update")
            .with_before(&before)
            .with_after(&taxonomy);
        self.store.put_setting(TAXONOMY_KEY, &value, &audit).await?;
        Ok(taxonomy)
    }

    /// The taxonomy's spelling of the review's root-cause category; a category the taxonomy no
    /// longer lists is kept only if the review already had it.
    async fn canonical_category(&self, id: IncidentId, content: &mut ReviewContent) -> AppResult<()> {
        let Some(typed) = content.root_cause_category.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(());
        };
        let taxonomy = self.incident_taxonomy().await?;
        if let Some(name) = taxonomy.category(typed) {
            content.root_cause_category = Some(name.to_string());
            return Ok(());
        }
        let kept = self.store.incident_review(id).await?.and_then(|r| r.content.root_cause_category);
        if kept.as_deref() == Some(typed) {
            return Ok(());
        }
        Err(unknown_category(&taxonomy).into())
    }

    /// Incidents that repeat this one (same root-cause category in their reviews, a shared
    /// service, declared within the configured window), across accounts, as the actor may see
    /// them; newest first. With the category, none when the review names none yet.
    pub async fn repeat_incidents(
        &self,
        actor: &Actor,
        id: IncidentId,
    ) -> AppResult<(Option<String>, Vec<IncidentView>)> {
        let view = self.get_incident(actor, id).await?;
        let Some(review) = self.store.incident_review(id).await? else { return Ok((None, Vec::new())) };
        let Some(category) = review.content.root_cause_category.clone() else { return Ok((None, Vec::new())) };
        let window = SignedDuration::from_hours(24 * self.config.repeat_window_days);
        let declared = view.incident.milestones.declared_at;
        let mut query = IncidentQuery {
            declared_from: declared.checked_sub(window).ok(),
            declared_before: declared
                .checked_add(window)
                .ok()
                .and_then(|t| t.checked_add(SignedDuration::from_secs(1)).ok()),
            limit: 500,
            ..IncidentQuery::in_scope(actor.scope)
        };
        let mut candidates = Vec::new();
        loop {
            let (views, _) = self.list_incidents(actor, query.clone()).await?;
            let fetched = views.len();
            candidates.extend(views.into_iter().filter(|v| v.incident.id != id));
            if fetched < query.limit as usize {
                break;
            }
            query.offset += fetched as u64;
        }
        let ids: Vec<IncidentId> = candidates.iter().map(|v| v.incident.id).collect();
        let reviews: HashMap<IncidentId, PostIncidentReview> =
            self.store.incident_reviews(&ids).await?.into_iter().map(|r| (r.incident_id, r)).collect();
        // The full incident decides (its services), not the reader's view of it.
        let this = self.store.get_incident(id).await?;
        let repeats = candidates
            .into_iter()
            .filter(|v| {
                reviews
                    .get(&v.incident.id)
                    .is_some_and(|r| is_repeat((&this, &review), (&v.incident, r), self.config.repeat_window_days))
            })
            .collect();
        Ok((Some(category), repeats))
    }
}

/// How far back the problem-management view looks for incidents.
pub const PROBLEM_LOOKBACK_DAYS: i64 = 365;

/// A problem as one reader may see it: its incidents, the accounts they impacted, and the
/// state of their corrective actions.
#[derive(Clone, Debug)]
pub struct ProblemView {
    pub problem: Problem,
    /// Oldest first.
    pub incidents: Vec<IncidentView>,
    /// The impacted accounts the reader may see, each once.
    pub accounts: Vec<(AccountId, String)>,
    pub actions: ActionSummary,
}

impl App {
    /// Problems (repeat incidents grouped by root-cause category and service) among the
    /// incidents the actor may see, declared in the last year; with `account`, those that
    /// touch it. Most recent first.
    pub async fn problems(&self, actor: &Actor, account: Option<AccountId>) -> AppResult<Vec<ProblemView>> {
        require(actor.user.role.is_staff(), "see problem management")?;
        let now = self.clock.now();
        let mut query = IncidentQuery {
            declared_from: now.checked_sub(SignedDuration::from_hours(24 * PROBLEM_LOOKBACK_DAYS)).ok(),
            limit: 500,
            ..IncidentQuery::in_scope(actor.scope)
        };
        let mut views: Vec<IncidentView> = Vec::new();
        loop {
            let (page, _) = self.list_incidents(actor, query.clone()).await?;
            let fetched = page.len();
            views.extend(page);
            if fetched < query.limit as usize {
                break;
            }
            query.offset += fetched as u64;
        }
        let ids: Vec<IncidentId> = views.iter().map(|v| v.incident.id).collect();
        let reviews: HashMap<IncidentId, PostIncidentReview> =
            self.store.incident_reviews(&ids).await?.into_iter().map(|r| (r.incident_id, r)).collect();
        let reviewed: Vec<(&Incident, &PostIncidentReview)> =
            views.iter().filter_map(|v| Some((&v.incident, reviews.get(&v.incident.id)?))).collect();
        let found = problems(&reviewed, self.config.repeat_window_days);
        let by_id: HashMap<IncidentId, &IncidentView> = views.iter().map(|v| (v.incident.id, v)).collect();
        let actions = self.all_actions(actor, ActionQuery::in_scope(actor.scope)).await?;
        let mut out = Vec::new();
        for problem in found {
            let incidents: Vec<IncidentView> =
                problem.incident_ids.iter().filter_map(|id| by_id.get(id).map(|v| (*v).clone())).collect();
            let mut accounts: Vec<(AccountId, String)> = Vec::new();
            for (id, name) in incidents.iter().flat_map(|v| v.accounts.iter()) {
                if !accounts.iter().any(|(a, _)| a == id) {
                    accounts.push((*id, name.clone()));
                }
            }
            if account.is_some_and(|wanted| !accounts.iter().any(|(a, _)| *a == wanted)) {
                continue;
            }
            let of_problem =
                actions.iter().filter(|a| a.source.incident_id().is_some_and(|i| problem.incident_ids.contains(&i)));
            out.push(ProblemView { actions: ActionSummary::of(of_problem, now), problem, incidents, accounts });
        }
        Ok(out)
    }
}

/// Who hears of a review's progress: the approvers when it is submitted, its owner when it is
/// approved or sent back. Never the actor.
fn review_notifications(
    actor: &Actor,
    incident: &Incident,
    before: &PostIncidentReview,
    after: &PostIncidentReview,
) -> Vec<Notification> {
    if before.status == after.status {
        return Vec::new();
    }
    let number = incident.display_number();
    let (users, title): (Vec<UserId>, String) = match after.status {
        ReviewStatus::InReview => {
            (after.content.approver_ids.clone(), format!("{number}: post-incident review to approve"))
        }
        ReviewStatus::Approved => {
            (after.content.owner_id.into_iter().collect(), format!("{number}: post-incident review approved"))
        }
        ReviewStatus::Draft => {
            (after.content.owner_id.into_iter().collect(), format!("{number}: changes requested on the review"))
        }
        ReviewStatus::Published => (Vec::new(), String::new()),
    };
    users
        .into_iter()
        .filter(|u| *u != actor.user.id)
        .map(|user_id| Notification {
            id: NotificationId::new(),
            user_id,
            at: after.updated_at,
            kind: "incident_review".into(),
            account_id: None,
            ticket_id: None,
            incident_id: Some(incident.id),
            action_id: None,
            title: title.clone(),
            body: incident.title.clone(),
            read_at: None,
        })
        .collect()
}

/// Monday to Friday, all day, in UTC: business days when the organisation has no calendar.
fn weekdays_utc() -> Calendar {
    let spec: CalendarSpec = serde_json::from_value(serde_json::json!({
        "id": "weekdays", "tz": "UTC",
        "weekly": {"mon": [[0, 1440]], "tue": [[0, 1440]], "wed": [[0, 1440]], "thu": [[0, 1440]], "fri": [[0, 1440]]}
    }))
    .unwrap_or_default();
    Calendar::from_spec(&spec, "calendar").unwrap_or_else(|_| Calendar::always_open())
}

/// Names the fields of a taxonomy error the way the review form shows them.
fn unknown_category(taxonomy: &IncidentTaxonomy) -> FieldErrors {
    let names: Vec<&str> = taxonomy.root_cause_categories.iter().map(|c| c.name.as_str()).collect();
    FieldErrors::single(
        "root_cause_category",
        format!("must be one of the root-cause categories: {}", names.join(", ")),
    )
}
