//! SLA policies as an organisation configures them (SLA-SPEC 1.6): an ordered list, the first
//! whose filter matches a ticket applies (R-T1); targets per metric × priority in business or
//! calendar hours, warnings, pause sets and reopen policies. The list is versioned as a whole, so
//! the policy in force at any instant of a ticket's life is known (R-C3).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Instant;
use super::calendar::ALWAYS_OPEN_ID;
use super::model::{Hours, Metric, Policy, Reopen, Status, Target};
use crate::Timestamp;
use crate::accounts::Tier;
use crate::ids::{AccountId, CalendarId, PolicyId};
use crate::tickets::{Priority, TicketType};
use crate::validation::{FieldErrors, required_text};

/// Which business calendar a target counts in (R-T1: ticket → account → policy → org default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CalendarRef {
    /// The account's calendar, or the organisation's default when the account has none.
    Account,
    /// All time is business time.
    AlwaysOpen,
    Calendar(CalendarId),
}

impl CalendarRef {
    pub fn parse(text: &str) -> Option<CalendarRef> {
        match text.trim() {
            "" | "account" => Some(CalendarRef::Account),
            ALWAYS_OPEN_ID => Some(CalendarRef::AlwaysOpen),
            other => other.parse().ok().map(CalendarRef::Calendar),
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            CalendarRef::Account => "account".into(),
            CalendarRef::AlwaysOpen => ALWAYS_OPEN_ID.into(),
            CalendarRef::Calendar(id) => id.to_string(),
        }
    }
}

impl Serialize for CalendarRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for CalendarRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CalendarRef::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("must be \"account\", \"24x7\" or a calendar id"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSpec {
    pub metric: Metric,
    pub priority: Priority,
    pub seconds: i64,
    pub hours: Hours,
    pub calendar: CalendarRef,
}

/// Empty lists match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyFilter {
    pub tiers: Vec<Tier>,
    pub account_ids: Vec<AccountId>,
    pub ticket_types: Vec<TicketType>,
}

impl PolicyFilter {
    pub fn matches(&self, inputs: &PolicyInputs) -> bool {
        (self.tiers.is_empty() || self.tiers.contains(&inputs.tier))
            && (self.account_ids.is_empty() || self.account_ids.contains(&inputs.account_id))
            && (self.ticket_types.is_empty() || self.ticket_types.contains(&inputs.ticket_type))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub id: PolicyId,
    pub name: String,
    pub filter: PolicyFilter,
    pub targets: Vec<TargetSpec>,
    pub warn_percent: Vec<i64>,
    pub warn_remaining_seconds: Vec<i64>,
    /// Overrides of the metrics' default pause sets (R-M8).
    pub pause_sets: BTreeMap<Metric, Vec<Status>>,
    pub reopen: BTreeMap<Metric, Reopen>,
    pub start_at_first_customer_message: bool,
}

/// What a policy filter looks at, as it stood at an instant of the ticket's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyInputs {
    pub account_id: AccountId,
    pub tier: Tier,
    pub ticket_type: TicketType,
    /// The account's calendar, or the organisation default; `None` when neither exists.
    pub calendar_id: Option<CalendarId>,
}

/// The ordered policies, as one version effective from an instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySet {
    pub version: i64,
    pub effective_from: Timestamp,
    pub policies: Vec<SlaPolicy>,
}

impl PolicySet {
    /// R-T1: the first policy whose filter matches.
    pub fn applicable(&self, inputs: &PolicyInputs) -> Option<&SlaPolicy> {
        self.policies.iter().find(|p| p.filter.matches(inputs))
    }
}

impl SlaPolicy {
    /// The engine's policy for a ticket with these inputs: calendar references resolved.
    pub fn to_engine(&self, inputs: &PolicyInputs) -> Policy {
        let account_calendar = inputs.calendar_id.map(|id| id.to_string()).unwrap_or_else(|| ALWAYS_OPEN_ID.into());
        let targets = self
            .targets
            .iter()
            .map(|t| {
                let calendar_id = match (t.hours, t.calendar) {
                    (Hours::Calendar, _) | (_, CalendarRef::AlwaysOpen) => ALWAYS_OPEN_ID.to_string(),
                    (Hours::Business, CalendarRef::Account) => account_calendar.clone(),
                    (Hours::Business, CalendarRef::Calendar(id)) => id.to_string(),
                };
                (
                    (t.metric, t.priority.as_str().to_string()),
                    Target { seconds: t.seconds, hours: t.hours, calendar_id },
                )
            })
            .collect();
        Policy {
            id: self.id.to_string(),
            targets,
            warn_percent: self.warn_percent.clone(),
            warn_remaining_seconds: self.warn_remaining_seconds.clone(),
            pause_sets: self.pause_sets.clone(),
            reopen: self.reopen.clone(),
            start_at_first_customer_message: self.start_at_first_customer_message,
        }
    }

    /// The calendars this policy names explicitly.
    pub fn calendar_ids(&self) -> impl Iterator<Item = CalendarId> + '_ {
        self.targets.iter().filter_map(|t| match t.calendar {
            CalendarRef::Calendar(id) if t.hours == Hours::Business => Some(id),
            _ => None,
        })
    }
}

/// The policy in force over a ticket's life: `(from, policy)` steps, `None` where no policy
/// applies (R-T5 cancels open cycles there).
pub type PolicyTimeline = Vec<(Instant, Option<Arc<Policy>>)>;

/// Builds the timeline from the policy set versions (oldest first) and the ticket's policy
/// inputs over time (`(from, inputs)`, oldest first, the first at the ticket's creation).
pub fn policy_timeline(sets: &[PolicySet], inputs: &[(Instant, PolicyInputs)]) -> PolicyTimeline {
    let Some(&(created, _)) = inputs.first() else { return Vec::new() };
    // Every instant at which either the policy list or the ticket's inputs may change.
    let mut instants: Vec<Instant> = inputs.iter().map(|(t, _)| *t).collect();
    instants.extend(sets.iter().map(|s| s.effective_from.as_second()).filter(|t| *t > created));
    instants.sort_unstable();
    instants.dedup();
    let mut timeline: PolicyTimeline = Vec::new();
    for t in instants {
        let set = sets.iter().rev().find(|s| s.effective_from.as_second() <= t).or(sets.first());
        let current = inputs.iter().rev().find(|(from, _)| *from <= t).map(|(_, i)| i);
        let policy = match (set, current) {
            (Some(set), Some(inputs)) => set.applicable(inputs).map(|p| Arc::new(p.to_engine(inputs))),
            _ => None,
        };
        if timeline.last().is_none_or(|(_, last)| *last != policy) {
            timeline.push((t, policy));
        }
    }
    timeline
}

/// Shortest target accepted at configuration time (R-T6, Zendesk parity).
pub const MIN_TARGET_SECONDS: i64 = 15;
/// Longest target: a year.
pub const MAX_TARGET_SECONDS: i64 = 366 * 86_400;

/// A policy as typed (API body, form): wire names as text so errors can name the field.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyDraft {
    pub name: String,
    /// Where the policy goes in the ordered list (0 = first); on create default last, on
    /// update default unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    #[serde(default)]
    pub filter: PolicyFilterDraft,
    #[serde(default)]
    pub targets: Vec<TargetDraft>,
    /// Percent of the target at which a warning fires; default [75].
    pub warn_percent: Option<Vec<i64>>,
    /// Seconds before the deadline at which a warning fires; default [900].
    pub warn_remaining_seconds: Option<Vec<i64>>,
    /// Metric → statuses in which it pauses, overriding the metric's default.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"resolution": ["pending", "on_hold"]}))]
    pub pause_sets: BTreeMap<String, Vec<String>>,
    /// `requester_wait`, `agent_work` or `resolution` → `new_cycle` or `resume`.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"resolution": "new_cycle"}))]
    pub reopen: BTreeMap<String, String>,
    pub start_at_first_customer_message: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFilterDraft {
    /// enterprise, enterprise_on_ramp, business; empty = any.
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub account_ids: Vec<AccountId>,
    /// question, incident, problem, task; empty = any.
    #[serde(default)]
    pub ticket_types: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetDraft {
    /// first_response, next_response, periodic_update, pausable_update, requester_wait, agent_work, resolution
    pub metric: String,
    /// critical, high, medium, low
    pub priority: String,
    /// At least 15.
    pub seconds: i64,
    /// business (default) or calendar
    pub hours: Option<String>,
    /// "account" (default: the account's calendar, else the organisation's), "24x7" or a calendar id.
    pub calendar: Option<String>,
}

impl SlaPolicyDraft {
    /// Validates into a policy with the given id. Calendar ids are checked to exist by the caller.
    pub fn validate(self, id: PolicyId) -> Result<SlaPolicy, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", &self.name, 120);
        let mut filter = PolicyFilter::default();
        for (i, tier) in self.filter.tiers.iter().enumerate() {
            match Tier::parse(tier.trim()) {
                Some(t) if !filter.tiers.contains(&t) => filter.tiers.push(t),
                Some(_) => {}
                None => errors.add(&format!("filter.tiers[{i}]"), "must be enterprise, enterprise_on_ramp or business"),
            }
        }
        filter.account_ids = self.filter.account_ids.clone();
        filter.account_ids.sort();
        filter.account_ids.dedup();
        for (i, kind) in self.filter.ticket_types.iter().enumerate() {
            match TicketType::parse(kind.trim()) {
                Some(t) if !filter.ticket_types.contains(&t) => filter.ticket_types.push(t),
                Some(_) => {}
                None => errors.add(&format!("filter.ticket_types[{i}]"), "must be question, incident, problem or task"),
            }
        }
        let mut targets: Vec<TargetSpec> = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            let field = |name: &str| format!("targets[{i}].{name}");
            let metric = Metric::parse(t.metric.trim());
            if metric.is_none() {
                errors.add(&field("metric"), format!("must be one of: {}", metric_names()));
            }
            let priority = Priority::parse(t.priority.trim());
            if priority.is_none() {
                errors.add(&field("priority"), "must be one of: critical, high, medium, low");
            }
            if t.seconds < MIN_TARGET_SECONDS {
                errors.add(&field("seconds"), format!("must be at least {MIN_TARGET_SECONDS} seconds (R-T6)"));
            } else if t.seconds > MAX_TARGET_SECONDS {
                errors.add(&field("seconds"), "must be at most 366 days");
            }
            let hours = match t.hours.as_deref().map(str::trim) {
                None | Some("") | Some("business") => Some(Hours::Business),
                Some("calendar") => Some(Hours::Calendar),
                Some(_) => {
                    errors.add(&field("hours"), "must be business or calendar");
                    None
                }
            };
            let calendar = CalendarRef::parse(t.calendar.as_deref().unwrap_or(""));
            if calendar.is_none() {
                errors.add(&field("calendar"), "must be \"account\", \"24x7\" or a calendar id");
            }
            if let (Some(metric), Some(priority), Some(hours), Some(calendar)) = (metric, priority, hours, calendar) {
                if targets.iter().any(|x| x.metric == metric && x.priority == priority) {
                    errors.add(
                        &field("priority"),
                        format!("repeats the {} target for {}", metric.as_str(), priority.as_str()),
                    );
                }
                targets.push(TargetSpec { metric, priority, seconds: t.seconds, hours, calendar });
            }
        }
        targets.sort_by_key(|t| (t.metric, t.priority));
        let warn_percent = self.warn_percent.clone().unwrap_or_else(|| vec![75]);
        for (i, p) in warn_percent.iter().enumerate() {
            if !(1..=100).contains(p) {
                errors.add(&format!("warn_percent[{i}]"), "must be a percentage from 1 to 100");
            }
        }
        let warn_remaining_seconds = self.warn_remaining_seconds.clone().unwrap_or_else(|| vec![900]);
        for (i, r) in warn_remaining_seconds.iter().enumerate() {
            if !(1..=MAX_TARGET_SECONDS).contains(r) {
                errors.add(&format!("warn_remaining_seconds[{i}]"), "must be a positive number of seconds");
            }
        }
        let mut pause_sets = BTreeMap::new();
        for (name, statuses) in &self.pause_sets {
            let field = format!("pause_sets.{name}");
            let Some(metric) = Metric::parse(name) else {
                errors.add(&field, format!("is not a metric; use one of: {}", metric_names()));
                continue;
            };
            let mut set = Vec::new();
            for text in statuses {
                match Status::parse(text.trim()) {
                    Some(status) if !set.contains(&status) => set.push(status),
                    Some(_) => {}
                    None => errors.add(&field, "must list statuses among new, open, pending, on_hold, solved, closed"),
                }
            }
            // R-M8: a clock that stops on entering `solved` cannot also pause there.
            if metric.is_fulfilled_by_solve() && set.contains(&Status::Solved) {
                errors.add(&field, format!("must not contain solved, the status that stops {}", metric.as_str()));
            }
            pause_sets.insert(metric, set);
        }
        let mut reopen = BTreeMap::new();
        for (name, value) in &self.reopen {
            let field = format!("reopen.{name}");
            match Metric::parse(name) {
                Some(metric) if metric.is_fulfilled_by_solve() => match value.trim() {
                    "new_cycle" => {
                        reopen.insert(metric, Reopen::NewCycle);
                    }
                    "resume" => {
                        reopen.insert(metric, Reopen::Resume);
                    }
                    _ => errors.add(&field, "must be new_cycle or resume"),
                },
                _ => errors.add(&field, "is configurable only for requester_wait, agent_work and resolution"),
            }
        }
        errors.into_result()?;
        Ok(SlaPolicy {
            id,
            name,
            filter,
            targets,
            warn_percent: sorted(warn_percent),
            warn_remaining_seconds: sorted(warn_remaining_seconds),
            pause_sets,
            reopen,
            start_at_first_customer_message: self.start_at_first_customer_message.unwrap_or(true),
        })
    }
}

fn sorted(mut values: Vec<i64>) -> Vec<i64> {
    values.sort_unstable();
    values.dedup();
    values
}

fn metric_names() -> String {
    Metric::ALL.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

impl SlaPolicy {
    /// Back to the typed form, for editing.
    pub fn to_draft(&self) -> SlaPolicyDraft {
        SlaPolicyDraft {
            name: self.name.clone(),
            position: None,
            filter: PolicyFilterDraft {
                tiers: self.filter.tiers.iter().map(|t| t.as_str().to_string()).collect(),
                account_ids: self.filter.account_ids.clone(),
                ticket_types: self.filter.ticket_types.iter().map(|t| t.as_str().to_string()).collect(),
            },
            targets: self
                .targets
                .iter()
                .map(|t| TargetDraft {
                    metric: t.metric.as_str().into(),
                    priority: t.priority.as_str().into(),
                    seconds: t.seconds,
                    hours: Some(t.hours.as_str().into()),
                    calendar: Some(t.calendar.as_string()),
                })
                .collect(),
            warn_percent: Some(self.warn_percent.clone()),
            warn_remaining_seconds: Some(self.warn_remaining_seconds.clone()),
            pause_sets: self
                .pause_sets
                .iter()
                .map(|(m, s)| (m.as_str().to_string(), s.iter().map(|x| x.as_str().to_string()).collect()))
                .collect(),
            reopen: self
                .reopen
                .iter()
                .map(|(m, r)| {
                    (m.as_str().to_string(), if *r == Reopen::Resume { "resume" } else { "new_cycle" }.to_string())
                })
                .collect(),
            start_at_first_customer_message: Some(self.start_at_first_customer_message),
        }
    }
}

const HOUR: i64 = 3600;
/// One business day of the standard 09:00-17:00 calendar.
const BUSINESS_DAY: i64 = 8 * HOUR;

/// The policy tamhub starts with, from the seeds: first response Critical 1 h (calendar hours),
/// High 4 h, Medium 1 business day, Low 3 business days in the account's business hours; an
/// hourly update while a Critical ticket is open; resolution targets; warnings at 75 % and 15
/// minutes before the deadline.
pub fn default_policy() -> SlaPolicy {
    use Priority::*;
    let business = |metric, priority, seconds| TargetSpec {
        metric,
        priority,
        seconds,
        hours: Hours::Business,
        calendar: CalendarRef::Account,
    };
    let calendar = |metric, priority, seconds| TargetSpec {
        metric,
        priority,
        seconds,
        hours: Hours::Calendar,
        calendar: CalendarRef::AlwaysOpen,
    };
    let mut targets = vec![
        calendar(Metric::FirstResponse, Critical, HOUR),
        business(Metric::FirstResponse, High, 4 * HOUR),
        business(Metric::FirstResponse, Medium, BUSINESS_DAY),
        business(Metric::FirstResponse, Low, 3 * BUSINESS_DAY),
        calendar(Metric::NextResponse, Critical, 2 * HOUR),
        business(Metric::NextResponse, High, 8 * HOUR),
        business(Metric::NextResponse, Medium, 2 * BUSINESS_DAY),
        business(Metric::NextResponse, Low, 5 * BUSINESS_DAY),
        calendar(Metric::PeriodicUpdate, Critical, HOUR),
        calendar(Metric::Resolution, Critical, 24 * HOUR),
        business(Metric::Resolution, High, 3 * BUSINESS_DAY),
        business(Metric::Resolution, Medium, 5 * BUSINESS_DAY),
        business(Metric::Resolution, Low, 10 * BUSINESS_DAY),
    ];
    targets.sort_by_key(|t| (t.metric, t.priority));
    SlaPolicy {
        id: PolicyId::new(),
        name: "Standard support".into(),
        filter: PolicyFilter::default(),
        targets,
        warn_percent: vec![75],
        warn_remaining_seconds: vec![900],
        pause_sets: BTreeMap::new(),
        reopen: BTreeMap::new(),
        start_at_first_customer_message: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(tier: Tier, ticket_type: TicketType) -> PolicyInputs {
        PolicyInputs { account_id: AccountId::new(), tier, ticket_type, calendar_id: Some(CalendarId::new()) }
    }

    fn draft(json: serde_json::Value) -> SlaPolicyDraft {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_first_matching_policy_applies() {
        let mut enterprise = default_policy();
        enterprise.name = "Enterprise".into();
        enterprise.filter.tiers = vec![Tier::Enterprise];
        let set = PolicySet {
            version: 1,
            effective_from: Timestamp::UNIX_EPOCH,
            policies: vec![enterprise, default_policy()],
        };
        assert_eq!(
            set.applicable(&inputs(Tier::Enterprise, TicketType::Question)).map(|p| &p.name[..]),
            Some("Enterprise")
        );
        assert_eq!(
            set.applicable(&inputs(Tier::Business, TicketType::Question)).map(|p| &p.name[..]),
            Some("Standard support")
        );
    }

    #[test]
    fn business_targets_follow_the_account_calendar_and_calendar_hours_count_all_time() {
        let i = inputs(Tier::Business, TicketType::Question);
        let engine = default_policy().to_engine(&i);
        let high = &engine.targets[&(Metric::FirstResponse, "high".to_string())];
        assert_eq!(high.calendar_id, i.calendar_id.unwrap().to_string());
        let critical = &engine.targets[&(Metric::FirstResponse, "critical".to_string())];
        assert_eq!((critical.hours, critical.calendar_id.as_str()), (Hours::Calendar, ALWAYS_OPEN_ID));
    }

    #[test]
    fn bad_policies_name_each_field() {
        let errors = draft(serde_json::json!({
            "name": "",
            "filter": {"tiers": ["gold"], "ticket_types": ["bug"]},
            "targets": [
                {"metric": "first_response", "priority": "high", "seconds": 10},
                {"metric": "first_reply", "priority": "urgent", "seconds": 60, "hours": "weekdays", "calendar": "x"}
            ],
            "warn_percent": [0],
            "pause_sets": {"resolution": ["pending", "solved"], "nonsense": []},
            "reopen": {"first_response": "resume"}
        }))
        .validate(PolicyId::new())
        .unwrap_err();
        for field in [
            "name",
            "filter.tiers[0]",
            "filter.ticket_types[0]",
            "targets[0].seconds",
            "targets[1].metric",
            "targets[1].priority",
            "targets[1].hours",
            "targets[1].calendar",
            "warn_percent[0]",
            "pause_sets.resolution",
            "pause_sets.nonsense",
            "reopen.first_response",
        ] {
            assert!(errors.get(field).is_some(), "{field} not named in {errors:?}");
        }
    }

    #[test]
    fn a_repeated_target_is_refused() {
        let errors = draft(serde_json::json!({
            "name": "x",
            "targets": [
                {"metric": "resolution", "priority": "low", "seconds": 60},
                {"metric": "resolution", "priority": "low", "seconds": 120}
            ]
        }))
        .validate(PolicyId::new())
        .unwrap_err();
        assert!(errors.get("targets[1].priority").is_some());
    }

    #[test]
    fn a_policy_survives_the_round_trip_through_its_draft() {
        let policy = default_policy();
        assert_eq!(policy.to_draft().validate(policy.id).unwrap(), policy);
    }

    #[test]
    fn the_timeline_changes_with_policy_versions_and_ticket_inputs() {
        let mut first = default_policy();
        first.filter.ticket_types = vec![TicketType::Incident];
        let sets = vec![
            PolicySet { version: 1, effective_from: Timestamp::from_second(0).unwrap(), policies: vec![first.clone()] },
            PolicySet {
                version: 2,
                effective_from: Timestamp::from_second(500).unwrap(),
                policies: vec![first.clone(), default_policy()],
            },
        ];
        let question = inputs(Tier::Business, TicketType::Question);
        let incident = PolicyInputs { ticket_type: TicketType::Incident, ..question };
        let timeline = policy_timeline(&sets, &[(100, question), (300, incident), (400, question)]);
        let ids: Vec<(i64, Option<String>)> =
            timeline.iter().map(|(t, p)| (*t, p.as_ref().map(|p| p.id.clone()))).collect();
        assert_eq!(ids[0], (100, None));
        assert_eq!(ids[1], (300, Some(first.id.to_string())));
        assert_eq!(ids[2], (400, None));
        assert_eq!(ids[3].0, 500);
        assert!(ids[3].1.is_some());
    }
}
