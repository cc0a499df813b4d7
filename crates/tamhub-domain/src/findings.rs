//! Findings (issue 7, item 2): one model for cost-optimisation findings and review improvement
//! items. Each has an effort, whether it needs downtime, and a lifecycle pending → in progress →
//! resolved or dismissed (with a reason code), recording who acted and when. A cost finding
//! carries its estimated monthly savings; resolving it records the savings realised.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, ActionId, FindingId, ReviewId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};

wire_enum!(FindingKind {
    CostOptimisation => "cost_optimisation", "Cost optimisation";
    ReviewImprovement => "review_improvement", "Review improvement";
});

wire_enum!(FindingStatus {
    Pending => "pending", "Pending";
    InProgress => "in_progress", "In progress";
    Resolved => "resolved", "Resolved";
    Dismissed => "dismissed", "Dismissed";
});

wire_enum!(DismissReason {
    NotApplicable => "not_applicable", "Not applicable";
    RiskAccepted => "risk_accepted", "Risk accepted";
    CustomerDeclined => "customer_declined", "Customer declined";
    Duplicate => "duplicate", "Duplicate";
    TooCostly => "too_costly", "Costs more than it saves";
});

wire_enum!(Effort {
    Low => "low", "Low";
    Medium => "medium", "Medium";
    High => "high", "High";
});

impl FindingStatus {
    pub fn is_open(self) -> bool {
        matches!(self, FindingStatus::Pending | FindingStatus::InProgress)
    }

    /// The moves the lifecycle allows: forward, back to pending, and reopening.
    pub fn can_move_to(self, to: FindingStatus) -> bool {
        use FindingStatus::*;
        match (self, to) {
            (a, b) if a == b => false,
            (Pending, _) => true,
            (InProgress, _) => true,
            (Resolved | Dismissed, Pending) => true,
            _ => false,
        }
    }
}

/// One move of a finding's status: who, when, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingMove {
    pub from: FindingStatus,
    pub to: FindingStatus,
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub note: String,
}

/// Where a review improvement came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewLink {
    pub review_id: ReviewId,
    pub question: String,
    pub choice: String,
    /// The action doing the work; closed with the finding.
    pub action_id: ActionId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    pub id: FindingId,
    pub account_id: AccountId,
    pub kind: FindingKind,
    pub title: String,
    pub description: String,
    pub workload: Option<String>,
    /// Cost findings: expected monthly savings in the account's currency, minor units.
    pub estimated_monthly_savings: Option<i64>,
    /// Cost findings, once resolved: the monthly savings realised.
    pub realised_monthly_savings: Option<i64>,
    pub effort: Effort,
    pub needs_downtime: bool,
    pub status: FindingStatus,
    pub dismiss_reason: Option<DismissReason>,
    pub history: Vec<FindingMove>,
    /// For a review improvement: the review, question and practice it came from, and its action.
    #[serde(default)]
    pub review: Option<ReviewLink>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A finding as typed: all of it on create; on change, absent fields stay.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FindingDraft {
    /// cost_optimisation or review_improvement.
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub workload: Option<String>,
    /// Required for a cost finding; minor units, not negative.
    pub estimated_monthly_savings: Option<i64>,
    /// Required to resolve a cost finding; minor units, not negative.
    pub realised_monthly_savings: Option<i64>,
    /// low, medium (default) or high.
    pub effort: Option<String>,
    pub needs_downtime: Option<bool>,
    /// pending, in_progress, resolved or dismissed (which needs a dismiss_reason).
    pub status: Option<String>,
    pub dismiss_reason: Option<String>,
    /// Why the status moved.
    pub note: Option<String>,
    pub version: Option<i64>,
}

fn savings(errors: &mut FieldErrors, field: &str, value: Option<i64>) -> Option<i64> {
    match value {
        Some(v) if v < 0 => {
            errors.add(field, "must not be negative");
            None
        }
        other => other,
    }
}

impl FindingDraft {
    pub fn validate(
        &self,
        account_id: AccountId,
        workloads: &[String],
        existing: Option<&Finding>,
        actor: UserId,
        now: Timestamp,
    ) -> Result<Finding, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = match (&self.kind, existing) {
            (Some(k), None) => parse_choice(&mut errors, "kind", k.trim(), FindingKind::ALL),
            (Some(k), Some(f)) if k.trim() != f.kind.as_str() => {
                errors.add("kind", "cannot change: record a new finding");
                None
            }
            (_, Some(f)) => Some(f.kind),
            (None, None) => parse_choice(&mut errors, "kind", "", FindingKind::ALL),
        };
        let title = match (&self.title, existing) {
            (Some(t), _) => required_text(&mut errors, "title", t, 200),
            (None, Some(f)) => f.title.clone(),
            (None, None) => required_text(&mut errors, "title", "", 200),
        };
        let description = match &self.description {
            Some(d) => optional_text(&mut errors, "description", d, 10_000),
            None => existing.map(|f| f.description.clone()).unwrap_or_default(),
        };
        let workload = match self.workload.as_deref().map(str::trim) {
            None => existing.and_then(|f| f.workload.clone()),
            Some("") => None,
            Some(w) if workloads.iter().any(|x| x == w) => Some(w.to_string()),
            Some(_) => {
                errors.add("workload", "must be one of the account's workloads");
                None
            }
        };
        let estimated = savings(&mut errors, "estimated_monthly_savings", self.estimated_monthly_savings)
            .or(existing.and_then(|f| f.estimated_monthly_savings));
        let mut realised = savings(&mut errors, "realised_monthly_savings", self.realised_monthly_savings)
            .or(existing.and_then(|f| f.realised_monthly_savings));
        if kind == Some(FindingKind::CostOptimisation)
            && estimated.is_none()
            && self.estimated_monthly_savings.is_none_or(|v| v >= 0)
        {
            errors.add("estimated_monthly_savings", "must be given for a cost finding (monthly, minor units)");
        }
        if kind == Some(FindingKind::ReviewImprovement)
            && (self.estimated_monthly_savings.is_some() || self.realised_monthly_savings.is_some())
        {
            errors.add("estimated_monthly_savings", "only cost findings carry savings");
        }
        let effort = match &self.effort {
            Some(e) => parse_choice(&mut errors, "effort", e.trim(), Effort::ALL),
            None => Some(existing.map_or(Effort::Medium, |f| f.effort)),
        };
        let needs_downtime = self.needs_downtime.or(existing.map(|f| f.needs_downtime)).unwrap_or(false);
        let from = existing.map_or(FindingStatus::Pending, |f| f.status);
        let status = match &self.status {
            None => Some(from),
            Some(s) => match parse_choice(&mut errors, "status", s.trim(), FindingStatus::ALL) {
                Some(to) if to != from && !from.can_move_to(to) => {
                    errors.add("status", format!("cannot move from {} to {}", from.as_str(), to.as_str()));
                    None
                }
                other => other,
            },
        };
        let dismiss_reason = match (status, self.dismiss_reason.as_deref().map(str::trim).filter(|r| !r.is_empty())) {
            (Some(FindingStatus::Dismissed), Some(r)) => {
                parse_choice(&mut errors, "dismiss_reason", r, DismissReason::ALL)
            }
            (Some(FindingStatus::Dismissed), None) => {
                let kept = existing.and_then(|f| f.dismiss_reason).filter(|_| from == FindingStatus::Dismissed);
                if kept.is_none() {
                    let names: Vec<&str> = DismissReason::ALL.iter().map(|(_, n)| *n).collect();
                    errors.add("dismiss_reason", format!("must say why it is dismissed: {}", names.join(", ")));
                }
                kept
            }
            (_, Some(_)) => {
                errors.add("dismiss_reason", "only a dismissed finding has one");
                None
            }
            _ => None,
        };
        if status == Some(FindingStatus::Resolved) && kind == Some(FindingKind::CostOptimisation) && realised.is_none()
        {
            errors.add("realised_monthly_savings", "must be given to resolve a cost finding: what it saves now");
        }
        if status.is_some_and(|s| s != FindingStatus::Resolved) && self.realised_monthly_savings.is_some() {
            errors.add("realised_monthly_savings", "is recorded when the finding is resolved");
        }
        if status == Some(FindingStatus::Pending) {
            realised = None;
        }
        let note = optional_text(&mut errors, "note", self.note.as_deref().unwrap_or(""), 2_000);
        errors.into_result()?;
        let (Some(kind), Some(effort), Some(status)) = (kind, effort, status) else {
            unreachable!("errors were returned above");
        };
        let mut history = existing.map(|f| f.history.clone()).unwrap_or_default();
        if existing.is_some() && status != from {
            history.push(FindingMove { from, to: status, by: actor, at: now, note });
        }
        Ok(Finding {
            id: existing.map_or_else(FindingId::new, |f| f.id),
            account_id,
            kind,
            title,
            description,
            workload,
            estimated_monthly_savings: estimated.filter(|_| kind == FindingKind::CostOptimisation),
            realised_monthly_savings: realised.filter(|_| kind == FindingKind::CostOptimisation),
            effort,
            needs_downtime,
            status,
            dismiss_reason,
            history,
            review: existing.and_then(|f| f.review.clone()),
            created_by: existing.map_or(Some(actor), |f| f.created_by),
            created_at: existing.map_or(now, |f| f.created_at),
            updated_at: now,
            version: existing.map_or(0, |f| f.version),
        })
    }
}

/// Counts and savings over a set of findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FindingTotals {
    pub pending: u32,
    pub in_progress: u32,
    pub resolved: u32,
    pub dismissed: u32,
    /// Estimated monthly savings of open cost findings.
    pub open_estimated_monthly_savings: i64,
    /// Monthly savings realised by resolved cost findings.
    pub realised_monthly_savings: i64,
}

impl FindingTotals {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> FindingTotals {
        let mut t = FindingTotals::default();
        for f in findings {
            match f.status {
                FindingStatus::Pending => t.pending += 1,
                FindingStatus::InProgress => t.in_progress += 1,
                FindingStatus::Resolved => t.resolved += 1,
                FindingStatus::Dismissed => t.dismissed += 1,
            }
            if f.status.is_open() {
                t.open_estimated_monthly_savings += f.estimated_monthly_savings.unwrap_or(0);
            }
            if f.status == FindingStatus::Resolved {
                t.realised_monthly_savings += f.realised_monthly_savings.unwrap_or(0);
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(estimate: i64) -> FindingDraft {
        FindingDraft {
            kind: Some("cost_optimisation".into()),
            title: Some("Rightsize the analytics cluster".into()),
            estimated_monthly_savings: Some(estimate),
            ..Default::default()
        }
    }

    #[test]
    fn the_lifecycle_needs_reasons_and_realised_savings() {
        let (account, actor, now) = (AccountId::new(), UserId::new(), Timestamp::UNIX_EPOCH);
        assert!(
            cost(-1).validate(account, &[], None, actor, now).unwrap_err().get("estimated_monthly_savings").is_some()
        );
        let f = cost(120_000).validate(account, &[], None, actor, now).unwrap();
        let resolve = FindingDraft { status: Some("resolved".into()), ..Default::default() };
        assert!(
            resolve.validate(account, &[], Some(&f), actor, now).unwrap_err().get("realised_monthly_savings").is_some()
        );
        let resolved = FindingDraft { realised_monthly_savings: Some(90_000), ..resolve }
            .validate(account, &[], Some(&f), actor, now)
            .unwrap();
        assert_eq!((resolved.status, resolved.history.len()), (FindingStatus::Resolved, 1));
        let dismiss = FindingDraft { status: Some("dismissed".into()), ..Default::default() };
        assert!(dismiss.validate(account, &[], Some(&resolved), actor, now).unwrap_err().get("status").is_some());
        assert!(dismiss.validate(account, &[], Some(&f), actor, now).unwrap_err().get("dismiss_reason").is_some());
        let totals = FindingTotals::of([&f, &resolved]);
        assert_eq!((totals.open_estimated_monthly_savings, totals.realised_monthly_savings), (120_000, 90_000));
    }
}
