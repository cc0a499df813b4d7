//! Success plans and the risk register (PRODUCT capability 9).
//!
//! A success plan holds objectives with a measurable target (baseline → target, the current
//! value, a due date) in a 30/60/90-day structure; each objective's status is computed from its
//! progress against the time it has had. A risk is likelihood × impact (1-5 each) with a
//! category, an owner, a due date, a status and a mitigation (an action).

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ActionId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};
use crate::{Date, Timestamp};

/// A risk scoring this much (likelihood × impact) or more is high.
pub const HIGH_RISK_SCORE: u8 = 15;

wire_enum!(PlanPhase {
    Days30 => "days30", "First 30 days";
    Days60 => "days60", "Days 31-60";
    Days90 => "days90", "Days 61-90";
    Later => "later", "After 90 days";
});

wire_enum!(PlanStatus {
    OnTrack => "on_track", "On track";
    AtRisk => "at_risk", "At risk";
    OffTrack => "off_track", "Off track";
    Achieved => "achieved", "Achieved";
});

impl PlanStatus {
    fn severity(self) -> u8 {
        match self {
            PlanStatus::Achieved => 0,
            PlanStatus::OnTrack => 1,
            PlanStatus::AtRisk => 2,
            PlanStatus::OffTrack => 3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Objective {
    /// Stable within the plan: `o1`, `o2`, …
    pub key: String,
    pub title: String,
    /// What is measured ("services on the managed database").
    pub metric: String,
    pub unit: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub phase: PlanPhase,
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
}

impl Objective {
    /// How far from baseline to target it has come, 0-1 (past the target counts as 1).
    pub fn progress(&self) -> f64 {
        let span = self.target - self.baseline;
        if span == 0.0 { 1.0 } else { ((self.current - self.baseline) / span).clamp(0.0, 1.0) }
    }

    /// On track while progress keeps up with the time elapsed since the plan started (within 10
    /// points), at risk within 30, off track beyond or once past due unmet.
    pub fn status(&self, plan_start: Date, today: Date) -> PlanStatus {
        let progress = self.progress();
        if progress >= 1.0 {
            return PlanStatus::Achieved;
        }
        if today > self.due_on {
            return PlanStatus::OffTrack;
        }
        let total = (self.due_on - plan_start).get_days().max(1) as f64;
        let elapsed = ((today - plan_start).get_days() as f64 / total).clamp(0.0, 1.0);
        match elapsed - progress {
            gap if gap <= 0.10 => PlanStatus::OnTrack,
            gap if gap <= 0.30 => PlanStatus::AtRisk,
            _ => PlanStatus::OffTrack,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuccessPlan {
    pub id: crate::ids::SuccessPlanId,
    pub account_id: AccountId,
    pub title: String,
    /// The outcome the customer wants, in their words.
    pub summary: String,
    /// Day 1 of the 30/60/90-day structure.
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// Customers of the account read it when shared.
    pub shared_with_customer: bool,
    pub objectives: Vec<Objective>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Optimistic concurrency: 0 before it is stored.
    pub version: i64,
}

impl SuccessPlan {
    /// The worst status of its objectives not yet achieved (achieved when all are).
    pub fn status(&self, today: Date) -> PlanStatus {
        self.objectives
            .iter()
            .map(|o| o.status(self.starts_on, today))
            .max_by_key(|s| s.severity())
            .unwrap_or(PlanStatus::OnTrack)
    }

    /// The 30/60/90 day a phase ends on.
    pub fn phase_ends(&self, phase: PlanPhase) -> Option<Date> {
        let days = match phase {
            PlanPhase::Days30 => 30,
            PlanPhase::Days60 => 60,
            PlanPhase::Days90 => 90,
            PlanPhase::Later => return None,
        };
        Some(self.starts_on.saturating_add(jiff::Span::new().days(days - 1)))
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectiveDraft {
    /// Keep an objective's key when editing it; new ones get the next.
    pub key: Option<String>,
    pub title: String,
    pub metric: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// Defaults to the baseline.
    pub current: Option<f64>,
    /// days30, days60, days90 or later; defaults from the due date.
    pub phase: Option<String>,
    /// YYYY-MM-DD.
    pub due_on: String,
}

/// A success plan as typed (create and full update alike).
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SuccessPlanDraft {
    pub title: String,
    pub summary: String,
    /// YYYY-MM-DD; default today.
    pub starts_on: Option<String>,
    pub shared_with_customer: bool,
    pub objectives: Vec<ObjectiveDraft>,
    /// The version read, for an update.
    pub version: Option<i64>,
}

fn finite(errors: &mut FieldErrors, field: &str, value: Option<f64>) -> Option<f64> {
    match value {
        Some(v) if v.is_finite() => Some(v),
        Some(_) => {
            errors.add(field, "must be a finite number");
            None
        }
        None => None,
    }
}

impl SuccessPlanDraft {
    pub fn from_plan(p: &SuccessPlan) -> SuccessPlanDraft {
        SuccessPlanDraft {
            title: p.title.clone(),
            summary: p.summary.clone(),
            starts_on: Some(p.starts_on.to_string()),
            shared_with_customer: p.shared_with_customer,
            objectives: p
                .objectives
                .iter()
                .map(|o| ObjectiveDraft {
                    key: Some(o.key.clone()),
                    title: o.title.clone(),
                    metric: o.metric.clone(),
                    unit: o.unit.clone(),
                    baseline: Some(o.baseline),
                    target: Some(o.target),
                    current: Some(o.current),
                    phase: Some(o.phase.as_str().into()),
                    due_on: o.due_on.to_string(),
                })
                .collect(),
            version: Some(p.version),
        }
    }

    /// The plan as `existing` becomes (or a new one of `account_id`), or every problem.
    pub fn validate(
        &self,
        account_id: AccountId,
        existing: Option<&SuccessPlan>,
        actor: UserId,
        today: Date,
        now: Timestamp,
    ) -> Result<SuccessPlan, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = required_text(&mut errors, "title", &self.title, 200);
        let summary = optional_text(&mut errors, "summary", &self.summary, 5_000);
        let starts_on = match self.starts_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => existing.map_or(today, |p| p.starts_on),
            Some(text) => text.parse().unwrap_or_else(|_| {
                errors.add("starts_on", "must be a date as YYYY-MM-DD");
                today
            }),
        };
        if self.objectives.is_empty() {
            errors.add("objectives", "must list at least one objective with a measurable target");
        }
        if self.objectives.len() > 50 {
            errors.add("objectives", "must list at most 50 objectives");
        }
        let mut next_key = existing
            .into_iter()
            .flat_map(|p| &p.objectives)
            .filter_map(|o| o.key.strip_prefix('o').and_then(|n| n.parse::<u32>().ok()))
            .max()
            .unwrap_or(0);
        let mut objectives = Vec::new();
        for (i, o) in self.objectives.iter().enumerate() {
            let field = |name: &str| format!("objectives[{i}].{name}");
            let title = required_text(&mut errors, &field("title"), &o.title, 200);
            let metric = required_text(&mut errors, &field("metric"), &o.metric, 200);
            let unit = optional_text(&mut errors, &field("unit"), &o.unit, 40);
            let baseline = finite(&mut errors, &field("baseline"), o.baseline);
            let target = finite(&mut errors, &field("target"), o.target);
            if o.baseline.is_none() {
                errors.add(&field("baseline"), "must be given: where the measure starts");
            }
            match (target, baseline) {
                (None, _) if o.target.is_none() => errors.add(&field("target"), "must be given: a measurable target"),
                (Some(t), Some(b)) if t == b => {
                    errors.add(&field("target"), "must differ from the baseline: there is nothing to achieve")
                }
                _ => {}
            }
            let current = finite(&mut errors, &field("current"), o.current).or(baseline);
            let due_on = match o.due_on.trim().parse::<Date>() {
                Ok(d) if d < starts_on => {
                    errors.add(&field("due_on"), "must not be before the plan starts");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add(&field("due_on"), "must be a date as YYYY-MM-DD");
                    None
                }
            };
            let phase = match o.phase.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => parse_choice(&mut errors, &field("phase"), p, PlanPhase::ALL),
                None => due_on.map(|d| match (d - starts_on).get_days() {
                    0..30 => PlanPhase::Days30,
                    30..60 => PlanPhase::Days60,
                    60..90 => PlanPhase::Days90,
                    _ => PlanPhase::Later,
                }),
            };
            let key =
                match o.key.as_deref().filter(|k| existing.is_some_and(|p| p.objectives.iter().any(|x| x.key == *k))) {
                    Some(k) => k.to_string(),
                    None => {
                        next_key += 1;
                        format!("o{next_key}")
                    }
                };
            if let (Some(baseline), Some(target), Some(current), Some(due_on), Some(phase)) =
                (baseline, target, current, due_on, phase)
            {
                objectives.push(Objective { key, title, metric, unit, baseline, target, current, phase, due_on });
            }
        }
        errors.into_result()?;
        Ok(SuccessPlan {
            id: existing.map_or_else(crate::ids::SuccessPlanId::new, |p| p.id),
            account_id,
            title,
            summary,
            starts_on,
            shared_with_customer: self.shared_with_customer,
            objectives,
            created_by: existing.map_or(Some(actor), |p| p.created_by),
            created_at: existing.map_or(now, |p| p.created_at),
            updated_at: now,
            version: existing.map_or(0, |p| p.version),
        })
    }
}

wire_enum!(RiskCategory {
    Technical => "technical", "Technical";
    Operational => "operational", "Operational";
    Security => "security", "Security";
    Cost => "cost", "Cost";
    Adoption => "adoption", "Adoption";
    Relationship => "relationship", "Relationship";
    Commercial => "commercial", "Commercial";
});

wire_enum!(RiskStatus {
    Open => "open", "Open";
    Mitigating => "mitigating", "Mitigating";
    Accepted => "accepted", "Accepted";
    Closed => "closed", "Closed";
});

impl RiskStatus {
    /// Still a live risk: open or being mitigated.
    pub fn is_live(self) -> bool {
        matches!(self, RiskStatus::Open | RiskStatus::Mitigating)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Risk {
    pub id: crate::ids::RiskId,
    pub account_id: AccountId,
    pub title: String,
    pub description: String,
    pub category: RiskCategory,
    /// 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
    /// 1 (negligible) to 5 (severe).
    pub impact: u8,
    pub owner_id: UserId,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    pub status: RiskStatus,
    /// The action that mitigates it.
    pub mitigation_action_id: Option<ActionId>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

impl Risk {
    pub fn score(&self) -> u8 {
        self.likelihood * self.impact
    }

    pub fn is_high(&self) -> bool {
        self.score() >= HIGH_RISK_SCORE
    }
}

/// A risk as typed: the whole of it on create; on update, absent fields stay.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RiskDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    /// technical, operational, security, cost, adoption, relationship or commercial.
    pub category: Option<String>,
    /// 1-5.
    pub likelihood: Option<i64>,
    /// 1-5.
    pub impact: Option<i64>,
    pub owner_id: Option<UserId>,
    /// YYYY-MM-DD; an empty text clears it.
    pub due_on: Option<String>,
    /// open (default), mitigating, accepted or closed.
    pub status: Option<String>,
    /// A mitigation to create as an action of this risk (`title`, `owner_id`, `due_at`, …).
    pub mitigation: Option<crate::actions::ActionDraft>,
    pub version: Option<i64>,
}

fn level(errors: &mut FieldErrors, field: &str, value: Option<i64>, current: Option<u8>) -> Option<u8> {
    match value {
        None if current.is_none() => {
            errors.add(field, "must be given, from 1 to 5");
            None
        }
        None => current,
        Some(v @ 1..=5) => Some(v as u8),
        Some(_) => {
            errors.add(field, "must be from 1 to 5");
            None
        }
    }
}

impl RiskDraft {
    /// The risk as `existing` becomes (or a new one of `account_id`), or every problem.
    pub fn validate(
        &self,
        account_id: AccountId,
        existing: Option<&Risk>,
        actor: UserId,
        now: Timestamp,
    ) -> Result<Risk, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match (&self.title, existing) {
            (Some(t), _) => required_text(&mut errors, "title", t, 200),
            (None, Some(r)) => r.title.clone(),
            (None, None) => required_text(&mut errors, "title", "", 200),
        };
        let description = match &self.description {
            Some(d) => optional_text(&mut errors, "description", d, 10_000),
            None => existing.map(|r| r.description.clone()).unwrap_or_default(),
        };
        let category = match (&self.category, existing) {
            (Some(c), _) => parse_choice(&mut errors, "category", c.trim(), RiskCategory::ALL),
            (None, Some(r)) => Some(r.category),
            (None, None) => parse_choice(&mut errors, "category", "", RiskCategory::ALL),
        };
        let likelihood = level(&mut errors, "likelihood", self.likelihood, existing.map(|r| r.likelihood));
        let impact = level(&mut errors, "impact", self.impact, existing.map(|r| r.impact));
        let owner_id = self.owner_id.or(existing.map(|r| r.owner_id));
        if owner_id.is_none() {
            errors.add("owner_id", "must not be empty: every risk has an owner");
        }
        let due_on = match self.due_on.as_deref().map(str::trim) {
            None => existing.and_then(|r| r.due_on),
            Some("") => None,
            Some(text) => text.parse::<Date>().map_err(|_| errors.add("due_on", "must be a date as YYYY-MM-DD")).ok(),
        };
        let status = match &self.status {
            Some(s) => parse_choice(&mut errors, "status", s.trim(), RiskStatus::ALL),
            None => Some(existing.map_or(RiskStatus::Open, |r| r.status)),
        };
        errors.into_result()?;
        let (Some(category), Some(likelihood), Some(impact), Some(owner_id), Some(status)) =
            (category, likelihood, impact, owner_id, status)
        else {
            unreachable!("errors were returned above");
        };
        Ok(Risk {
            id: existing.map_or_else(crate::ids::RiskId::new, |r| r.id),
            account_id,
            title,
            description,
            category,
            likelihood,
            impact,
            owner_id,
            due_on,
            status,
            mitigation_action_id: existing.and_then(|r| r.mitigation_action_id),
            created_by: existing.map_or(Some(actor), |r| r.created_by),
            created_at: existing.map_or(now, |r| r.created_at),
            updated_at: now,
            version: existing.map_or(0, |r| r.version),
        })
    }
}

/// Live risks counted per cell: `cells[likelihood - 1][impact - 1]`.
pub fn heat_map<'a>(risks: impl IntoIterator<Item = &'a Risk>) -> [[u32; 5]; 5] {
    let mut cells = [[0u32; 5]; 5];
    for r in risks.into_iter().filter(|r| r.status.is_live()) {
        cells[usize::from(r.likelihood - 1)][usize::from(r.impact - 1)] += 1;
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn objective(baseline: f64, target: f64, current: f64, due: &str) -> Objective {
        Objective {
            key: "o1".into(),
            title: "Adoption".into(),
            metric: "services migrated".into(),
            unit: String::new(),
            baseline,
            target,
            current,
            phase: PlanPhase::Days90,
            due_on: d(due),
        }
    }

    #[test]
    fn status_compares_progress_with_time() {
        let start = d("2026-01-01");
        // 90 days; on day 45 half the time is gone.
        let today = d("2026-02-15");
        assert_eq!(objective(0.0, 10.0, 5.0, "2026-04-01").status(start, today), PlanStatus::OnTrack);
        assert_eq!(objective(0.0, 10.0, 3.0, "2026-04-01").status(start, today), PlanStatus::AtRisk);
        assert_eq!(objective(0.0, 10.0, 1.0, "2026-04-01").status(start, today), PlanStatus::OffTrack);
        assert_eq!(objective(0.0, 10.0, 10.0, "2026-04-01").status(start, today), PlanStatus::Achieved);
        // Lower is better: from 40 % cost waste down to 10 %.
        assert_eq!(objective(40.0, 10.0, 25.0, "2026-04-01").status(start, today), PlanStatus::OnTrack);
        assert_eq!(objective(0.0, 10.0, 9.0, "2026-02-01").status(start, today), PlanStatus::OffTrack, "past due");
    }

    #[test]
    fn an_objective_needs_a_measurable_target() {
        let draft = SuccessPlanDraft {
            title: "Onboarding".into(),
            starts_on: Some("2026-01-01".into()),
            objectives: vec![
                ObjectiveDraft {
                    title: "A".into(),
                    metric: "m".into(),
                    baseline: Some(1.0),
                    target: None,
                    due_on: "2026-01-20".into(),
                    ..Default::default()
                },
                ObjectiveDraft {
                    title: "B".into(),
                    metric: "m".into(),
                    baseline: Some(1.0),
                    target: Some(1.0),
                    due_on: "2026-01-20".into(),
                    ..Default::default()
                },
                ObjectiveDraft {
                    title: "C".into(),
                    metric: "".into(),
                    baseline: Some(0.0),
                    target: Some(5.0),
                    due_on: "2025-12-01".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let errors =
            draft.validate(AccountId::new(), None, UserId::new(), d("2026-01-01"), Timestamp::UNIX_EPOCH).unwrap_err();
        for field in ["objectives[0].target", "objectives[1].target", "objectives[2].metric", "objectives[2].due_on"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let ok = SuccessPlanDraft {
            objectives: vec![ObjectiveDraft {
                title: "A".into(),
                metric: "m".into(),
                baseline: Some(0.0),
                target: Some(4.0),
                due_on: "2026-02-15".into(),
                ..Default::default()
            }],
            ..draft
        };
        let plan = ok.validate(AccountId::new(), None, UserId::new(), d("2026-01-01"), Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(
            (plan.objectives[0].phase, plan.objectives[0].current, plan.objectives[0].key.as_str()),
            (PlanPhase::Days60, 0.0, "o1")
        );
    }

    #[test]
    fn likelihood_and_impact_run_from_1_to_5() {
        let draft = |l, i| RiskDraft {
            title: Some("Single-AZ database".into()),
            category: Some("technical".into()),
            likelihood: Some(l),
            impact: Some(i),
            owner_id: Some(UserId::new()),
            ..Default::default()
        };
        let errors = draft(0, 6).validate(AccountId::new(), None, UserId::new(), Timestamp::UNIX_EPOCH).unwrap_err();
        assert_eq!(
            (errors.get("likelihood"), errors.get("impact")),
            (Some("must be from 1 to 5"), Some("must be from 1 to 5"))
        );
        let risk = draft(3, 5).validate(AccountId::new(), None, UserId::new(), Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!((risk.score(), risk.is_high()), (15, true));
        let mut closed = risk.clone();
        closed.status = RiskStatus::Closed;
        let map = heat_map([&risk, &closed]);
        assert_eq!((map[2][4], map.iter().flatten().sum::<u32>()), (1, 1));
    }
}
