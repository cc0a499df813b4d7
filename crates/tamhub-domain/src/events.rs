//! Event readiness (IEM, PRODUCT capability 7) and service quotas (capability 8).
//!
//! A planned event (launch, peak traffic, migration, DR test) has a window, an expected load
//! multiplier, a readiness checklist and a post-event review. It must be registered at least 14
//! days ahead (else refused unless overridden with a reason) and is warned under 30 days, counted
//! in days between the account's local today and the event's local start day. A quota records a
//! service limit and its usage; above its utilisation threshold (default 80 %) the TAMs hear of
//! it, and every quota is checked against upcoming events (usage × load multiplier > limit).

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, EventId, QuotaId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};
use crate::{Date, Timestamp};

/// Below this many days ahead an event is refused without an override reason.
pub const REFUSE_UNDER_DAYS: i64 = 14;
/// Below this many days ahead an event is warned.
pub const WARN_UNDER_DAYS: i64 = 30;
pub const DEFAULT_THRESHOLD_PCT: f64 = 80.0;
/// Usage above this multiple of the limit needs confirming (a typo is likelier than reality).
pub const UNUSUAL_USAGE_FACTOR: f64 = 10.0;

wire_enum!(EventKind {
    Launch => "launch", "Launch";
    PeakTraffic => "peak_traffic", "Peak traffic";
    Migration => "migration", "Migration";
    DrTest => "dr_test", "DR test";
});

wire_enum!(ChecklistItem {
    ArchitectureReview => "architecture_review", "Architecture review";
    QuotaCheck => "quota_check", "Quota check";
    SpecialistsNamed => "specialists_named", "Specialists named";
    SupportCoverage => "support_coverage", "Support coverage for the window";
    RollbackPlan => "rollback_plan", "Rollback plan";
});

impl ChecklistItem {
    /// How many days before the event it is due.
    pub fn lead_days(self) -> i64 {
        match self {
            ChecklistItem::ArchitectureReview => 21,
            ChecklistItem::QuotaCheck | ChecklistItem::SpecialistsNamed => 14,
            ChecklistItem::SupportCoverage | ChecklistItem::RollbackPlan => 7,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChecklistEntry {
    pub item: ChecklistItem,
    pub done: bool,
    pub note: String,
    /// Local day it is due (its lead time before the event's start day).
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    pub done_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<Timestamp>,
    /// Set once the TAMs were told it is overdue.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reminded_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostEventReview {
    pub went_well: String,
    pub went_poorly: String,
    pub follow_ups: String,
    pub recorded_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: EventId,
    pub account_id: AccountId,
    pub title: String,
    pub kind: EventKind,
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: Timestamp,
    /// Expected load against normal (3 = three times the usual traffic).
    pub load_multiplier: f64,
    pub checklist: Vec<ChecklistEntry>,
    /// Why it was registered under 14 days ahead.
    pub lead_time_override: Option<String>,
    /// Days between the local day it was registered and its local start day.
    pub lead_days: i64,
    pub review: Option<PostEventReview>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

impl Event {
    /// Done checklist items over all, in percent.
    pub fn readiness_pct(&self) -> f64 {
        if self.checklist.is_empty() {
            return 100.0;
        }
        self.checklist.iter().filter(|c| c.done).count() as f64 * 100.0 / self.checklist.len() as f64
    }

    /// Checklist items past their due day and not done.
    pub fn overdue_items(&self, today: Date) -> impl Iterator<Item = &ChecklistEntry> {
        self.checklist.iter().filter(move |c| !c.done && c.due_on < today)
    }
}

fn local_day(t: Timestamp, timezone: &str) -> Date {
    let zone = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned(zone).date()
}

/// The lead-time rule: `Err` under 14 days without an override reason, a warning under 30.
pub fn lead_time_check(lead_days: i64, override_reason: Option<&str>) -> Result<Option<String>, String> {
    if lead_days < REFUSE_UNDER_DAYS && override_reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(format!(
            "is {lead_days} day{} ahead: events are registered at least {REFUSE_UNDER_DAYS} days ahead; give an \
             override reason to register it anyway",
            if lead_days == 1 { "" } else { "s" }
        ));
    }
    Ok((lead_days < WARN_UNDER_DAYS).then(|| {
        format!(
            "Registered {lead_days} days ahead: under {WARN_UNDER_DAYS} days leaves little time for reviews and quota \
             increases."
        )
    }))
}

/// An event as typed: all of it on create; on change, absent fields stay.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EventDraft {
    pub title: Option<String>,
    /// launch, peak_traffic, migration or dr_test.
    pub kind: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ends_at: Option<Timestamp>,
    /// At least 1; default 1.
    pub load_multiplier: Option<f64>,
    /// Required to register an event under 14 days ahead.
    pub lead_time_override: Option<String>,
    /// Checklist changes by item: `{"quota_check": {"done": true, "note": "…"}}`.
    pub checklist: Option<std::collections::BTreeMap<String, ChecklistChange>>,
    pub review: Option<ReviewDraft>,
    pub version: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChecklistChange {
    pub done: Option<bool>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewDraft {
    pub went_well: String,
    pub went_poorly: String,
    pub follow_ups: String,
}

/// Where an event is checked: its account's zone and the instant of the change.
pub struct EventContext<'a> {
    pub account_id: AccountId,
    pub timezone: &'a str,
    pub actor: UserId,
    pub now: Timestamp,
}

impl EventDraft {
    /// The event as `existing` becomes (or a new one), with the lead-time warning if any.
    pub fn validate(
        &self,
        existing: Option<&Event>,
        ctx: &EventContext<'_>,
    ) -> Result<(Event, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match (&self.title, existing) {
            (Some(t), _) => required_text(&mut errors, "title", t, 200),
            (None, Some(e)) => e.title.clone(),
            (None, None) => required_text(&mut errors, "title", "", 200),
        };
        let kind = match (&self.kind, existing) {
            (Some(k), _) => parse_choice(&mut errors, "kind", k.trim(), EventKind::ALL),
            (None, Some(e)) => Some(e.kind),
            (None, None) => parse_choice(&mut errors, "kind", "", EventKind::ALL),
        };
        let starts_at = self.starts_at.or(existing.map(|e| e.starts_at));
        let ends_at = self.ends_at.or(existing.map(|e| e.ends_at));
        if starts_at.is_none() {
            errors.add("starts_at", "must not be empty");
        }
        if ends_at.is_none() {
            errors.add("ends_at", "must not be empty");
        }
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            errors.add("ends_at", "must be after starts_at");
        }
        let load_multiplier = self.load_multiplier.or(existing.map(|e| e.load_multiplier)).unwrap_or(1.0);
        if !(1.0..=1000.0).contains(&load_multiplier) || !load_multiplier.is_finite() {
            errors.add("load_multiplier", "must be from 1 (normal load) to 1000");
        }
        let override_reason = match &self.lead_time_override {
            Some(r) => Some(optional_text(&mut errors, "lead_time_override", r, 1_000)).filter(|r| !r.is_empty()),
            None => existing.and_then(|e| e.lead_time_override.clone()),
        };
        let today = local_day(ctx.now, ctx.timezone);
        // The rule applies when the event is registered or moved, counted from that day.
        let moved = existing.is_none_or(|e| Some(e.starts_at) != starts_at);
        let mut warning = None;
        let mut lead_days = existing.map_or(0, |e| e.lead_days);
        if let Some(start) = starts_at
            && moved
        {
            let start_day = local_day(start, ctx.timezone);
            lead_days = (start_day - today).get_days() as i64;
            if start < ctx.now {
                errors.add("starts_at", "must not be in the past");
            } else {
                match lead_time_check(lead_days, override_reason.as_deref()) {
                    Ok(w) => warning = w,
                    Err(message) => errors.add("starts_at", message),
                }
            }
        }
        let mut checklist = match existing {
            Some(e) if !moved => e.checklist.clone(),
            _ => {
                let start_day = starts_at.map_or(today, |s| local_day(s, ctx.timezone));
                ChecklistItem::ALL
                    .iter()
                    .map(|(item, _)| {
                        let old = existing.and_then(|e| e.checklist.iter().find(|c| c.item == *item));
                        ChecklistEntry {
                            item: *item,
                            done: old.is_some_and(|c| c.done),
                            note: old.map(|c| c.note.clone()).unwrap_or_default(),
                            due_on: start_day.saturating_sub(jiff::Span::new().days(item.lead_days())),
                            done_by: old.and_then(|c| c.done_by),
                            done_at: old.and_then(|c| c.done_at),
                            reminded_at: None,
                        }
                    })
                    .collect()
            }
        };
        for (name, change) in self.checklist.iter().flatten() {
            let Some(item) = ChecklistItem::parse(name) else {
                let names: Vec<&str> = ChecklistItem::ALL.iter().map(|(_, n)| *n).collect();
                errors.add(&format!("checklist.{name}"), format!("is not a checklist item: {}", names.join(", ")));
                continue;
            };
            let entry = checklist.iter_mut().find(|c| c.item == item).expect("every item is on the list");
            if let Some(note) = &change.note {
                entry.note = optional_text(&mut errors, &format!("checklist.{name}.note"), note, 2_000);
            }
            if let Some(done) = change.done
                && done != entry.done
            {
                entry.done = done;
                entry.done_by = done.then_some(ctx.actor);
                entry.done_at = done.then_some(ctx.now);
            }
        }
        let review = match &self.review {
            None => existing.and_then(|e| e.review.clone()),
            Some(r) => {
                if ends_at.is_some_and(|end| end > ctx.now) {
                    errors.add("review", "can be written once the event has ended");
                }
                let went_well = optional_text(&mut errors, "review.went_well", &r.went_well, 10_000);
                let went_poorly = optional_text(&mut errors, "review.went_poorly", &r.went_poorly, 10_000);
                let follow_ups = optional_text(&mut errors, "review.follow_ups", &r.follow_ups, 10_000);
                if went_well.is_empty() && went_poorly.is_empty() && follow_ups.is_empty() {
                    errors.add("review", "must say what went well, what went poorly or what follows");
                }
                Some(PostEventReview {
                    went_well,
                    went_poorly,
                    follow_ups,
                    recorded_by: Some(ctx.actor),
                    recorded_at: ctx.now,
                })
            }
        };
        errors.into_result()?;
        let (Some(kind), Some(starts_at), Some(ends_at)) = (kind, starts_at, ends_at) else {
            unreachable!("errors were returned above");
        };
        Ok((
            Event {
                id: existing.map_or_else(EventId::new, |e| e.id),
                account_id: ctx.account_id,
                title,
                kind,
                starts_at,
                ends_at,
                load_multiplier,
                checklist,
                lead_time_override: override_reason,
                lead_days,
                review,
                created_by: existing.map_or(Some(ctx.actor), |e| e.created_by),
                created_at: existing.map_or(ctx.now, |e| e.created_at),
                updated_at: ctx.now,
                version: existing.map_or(0, |e| e.version),
            },
            warning,
        ))
    }
}

wire_enum!(IncreaseState {
    Requested => "requested", "Requested";
    Approved => "approved", "Approved";
    Denied => "denied", "Denied";
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncreaseRequest {
    pub requested_limit: f64,
    pub state: IncreaseState,
    /// The provider's case or ticket reference.
    pub case_ref: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quota {
    pub id: QuotaId,
    pub account_id: AccountId,
    /// The cloud service ("EC2", "Lambda").
    pub service: String,
    /// The quota ("Running On-Demand vCPUs").
    pub name: String,
    pub region: String,
    pub limit: f64,
    pub usage: f64,
    /// Expected growth of usage per month, in percent.
    pub forecast_growth_pct: f64,
    /// Utilisation that alerts, in percent (default 80).
    pub threshold_pct: f64,
    pub increase_request: Option<IncreaseRequest>,
    /// When the TAMs were told it crossed its threshold (cleared once back under).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub alerted_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

impl Quota {
    pub fn utilisation_pct(&self) -> f64 {
        if self.limit > 0.0 { self.usage * 100.0 / self.limit } else { 0.0 }
    }

    pub fn over_threshold(&self) -> bool {
        self.utilisation_pct() >= self.threshold_pct
    }

    /// Usage under `multiplier` times the load, and whether it exceeds the limit.
    pub fn projected(&self, multiplier: f64) -> (f64, bool) {
        let projected = self.usage * multiplier;
        (projected, projected > self.limit)
    }
}

/// A quota as typed: all of it on create; on change, absent fields stay.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct QuotaDraft {
    pub service: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub limit: Option<f64>,
    pub usage: Option<f64>,
    pub forecast_growth_pct: Option<f64>,
    pub threshold_pct: Option<f64>,
    /// `true` to accept a usage above 10× the limit.
    pub confirm_unusual_usage: bool,
    /// `{requested_limit, state, case_ref}`; `null` clears nothing (absent keeps it).
    pub increase_request: Option<IncreaseDraft>,
    pub version: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IncreaseDraft {
    pub requested_limit: Option<f64>,
    /// requested (default), approved or denied; approving raises the limit to the request.
    pub state: Option<String>,
    pub case_ref: String,
}

fn number(errors: &mut FieldErrors, field: &str, value: Option<f64>, current: Option<f64>, min: f64) -> Option<f64> {
    match value.or(current) {
        None => {
            errors.add(field, "must be given");
            None
        }
        Some(v) if !v.is_finite() || v < min => {
            errors.add(field, format!("must be a number of at least {min}"));
            None
        }
        Some(v) => Some(v),
    }
}

impl QuotaDraft {
    pub fn validate(
        &self,
        account_id: AccountId,
        existing: Option<&Quota>,
        now: Timestamp,
    ) -> Result<Quota, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = |errors: &mut FieldErrors,
                    field: &str,
                    value: &Option<String>,
                    current: Option<&String>,
                    required: bool| {
            match (value, current) {
                (Some(v), _) if required => required_text(errors, field, v, 200),
                (Some(v), _) => optional_text(errors, field, v, 200),
                (None, Some(c)) => c.clone(),
                (None, None) if required => required_text(errors, field, "", 200),
                (None, None) => String::new(),
            }
        };
        let service = text(&mut errors, "service", &self.service, existing.map(|q| &q.service), true);
        let name = text(&mut errors, "name", &self.name, existing.map(|q| &q.name), true);
        let region = text(&mut errors, "region", &self.region, existing.map(|q| &q.region), false);
        let limit = number(&mut errors, "limit", self.limit, existing.map(|q| q.limit), 0.0);
        if limit == Some(0.0) {
            errors.add("limit", "must be more than 0");
        }
        let usage = number(&mut errors, "usage", self.usage, existing.map(|q| q.usage).or(Some(0.0)), 0.0);
        let growth = number(
            &mut errors,
            "forecast_growth_pct",
            self.forecast_growth_pct,
            existing.map(|q| q.forecast_growth_pct).or(Some(0.0)),
            -100.0,
        );
        let threshold = number(
            &mut errors,
            "threshold_pct",
            self.threshold_pct,
            existing.map(|q| q.threshold_pct).or(Some(DEFAULT_THRESHOLD_PCT)),
            1.0,
        );
        if threshold.is_some_and(|t| t > 100.0) {
            errors.add("threshold_pct", "must be from 1 to 100");
        }
        if let (Some(u), Some(l)) = (usage, limit)
            && l > 0.0
            && u > l * UNUSUAL_USAGE_FACTOR
            && !self.confirm_unusual_usage
        {
            errors.add(
                "usage",
                format!(
                    "is more than {UNUSUAL_USAGE_FACTOR}× the limit: check it, or confirm with confirm_unusual_usage"
                ),
            );
        }
        let mut limit = limit;
        let increase_request = match &self.increase_request {
            None => existing.and_then(|q| q.increase_request.clone()),
            Some(r) => {
                let requested =
                    r.requested_limit.or(existing.and_then(|q| q.increase_request.as_ref().map(|x| x.requested_limit)));
                match requested {
                    Some(v) if v.is_finite() && limit.is_some_and(|l| v > l) => {}
                    _ => errors.add("increase_request.requested_limit", "must be above the current limit"),
                }
                let state = match r.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    None => Some(IncreaseState::Requested),
                    Some(s) => parse_choice(&mut errors, "increase_request.state", s, IncreaseState::ALL),
                };
                let case_ref = optional_text(&mut errors, "increase_request.case_ref", &r.case_ref, 200);
                match (requested, state) {
                    (Some(requested_limit), Some(state)) => {
                        if state == IncreaseState::Approved {
                            limit = Some(requested_limit);
                        }
                        Some(IncreaseRequest {
                            requested_limit,
                            state,
                            case_ref,
                            requested_at: existing
                                .and_then(|q| q.increase_request.as_ref().map(|x| x.requested_at))
                                .unwrap_or(now),
                        })
                    }
                    _ => None,
                }
            }
        };
        errors.into_result()?;
        let (Some(limit), Some(usage), Some(forecast_growth_pct), Some(threshold_pct)) =
            (limit, usage, growth, threshold)
        else {
            unreachable!("errors were returned above");
        };
        Ok(Quota {
            id: existing.map_or_else(QuotaId::new, |q| q.id),
            account_id,
            service,
            name,
            region,
            limit,
            usage,
            forecast_growth_pct,
            threshold_pct,
            increase_request,
            alerted_at: existing.and_then(|q| q.alerted_at),
            updated_at: now,
            version: existing.map_or(0, |q| q.version),
        })
    }
}

/// The quotas an event would exceed: usage × its load multiplier above the limit, with the
/// projected usage.
pub fn quotas_exceeded<'a>(event: &Event, quotas: &'a [Quota]) -> Vec<(&'a Quota, f64)> {
    quotas
        .iter()
        .filter_map(|q| {
            let (projected, over) = q.projected(event.load_multiplier);
            over.then_some((q, projected))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_time_rule_holds_at_its_boundaries() {
        assert!(lead_time_check(13, None).is_err());
        assert_eq!(lead_time_check(13, Some("launch moved up by the board")).map(|w| w.is_some()), Ok(true));
        assert_eq!(lead_time_check(14, None).map(|w| w.is_some()), Ok(true), "14 days: allowed, warned");
        assert_eq!(lead_time_check(29, None).map(|w| w.is_some()), Ok(true));
        assert_eq!(lead_time_check(30, None), Ok(None));
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn days_ahead_count_in_the_accounts_zone() {
        // 23:30 on 1 March in Tokyo is still 1 March there; 14:30 UTC the same instant.
        let ctx = EventContext {
            account_id: AccountId::new(),
            timezone: "Asia/Tokyo",
            actor: UserId::new(),
            now: at("2026-03-01T14:30:00Z"),
        };
        let draft = |start: &str| EventDraft {
            title: Some("Spring sale".into()),
            kind: Some("peak_traffic".into()),
            starts_at: Some(at(start)),
            ends_at: Some(at(start).saturating_add(jiff::SignedDuration::from_hours(48)).unwrap()),
            load_multiplier: Some(3.0),
            ..Default::default()
        };
        // 15 March 00:30 Tokyo = 14 March 15:30 UTC: 14 local days ahead → allowed with a warning.
        let (event, warning) = draft("2026-03-14T15:30:00Z").validate(None, &ctx).unwrap();
        assert_eq!((event.lead_days, warning.is_some()), (14, true));
        // 14 March 23:30 Tokyo: 13 days → refused.
        let errors = draft("2026-03-14T14:30:00Z").validate(None, &ctx).unwrap_err();
        assert!(errors.get("starts_at").unwrap().contains("13 days ahead"));
        assert_eq!(event.checklist.len(), 5);
        assert_eq!(event.checklist[0].due_on.to_string(), "2026-02-22", "architecture review 21 days before");
    }

    #[test]
    fn quotas_refuse_unusual_usage_unless_confirmed_and_project_event_load() {
        let draft = QuotaDraft {
            service: Some("EC2".into()),
            name: Some("On-Demand vCPUs".into()),
            limit: Some(100.0),
            usage: Some(1_500.0),
            ..Default::default()
        };
        let errors = draft.validate(AccountId::new(), None, Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(errors.get("usage").is_some());
        let ok = QuotaDraft { usage: Some(40.0), ..draft };
        let quota = ok.validate(AccountId::new(), None, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!((quota.threshold_pct, quota.over_threshold()), (80.0, false));
        assert_eq!(quota.projected(2.5), (100.0, false), "at the limit is not above it");
        assert_eq!(quota.projected(3.0), (120.0, true));
    }
}
