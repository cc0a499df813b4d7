//! Escalating a ticket to engineering: a brief that gives engineers what they need to engage
//! at once, a rubric that scores its quality 1-5 (computed, plus an optional reviewer score), and
//! time-to-engage from escalation to the engineering owner's acknowledgement.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{EscalationId, TicketId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Severity {
    P0,
    P1,
    P2,
    P3,
}

impl Severity {
    pub const ALL: [(Severity, &'static str); 4] =
        [(Severity::P0, "P0"), (Severity::P1, "P1"), (Severity::P2, "P2"), (Severity::P3, "P3")];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::P0 => "P0 · critical, widespread outage or data loss",
            Severity::P1 => "P1 · major degradation or full outage for some",
            Severity::P2 => "P2 · limited impact or a workaround exists",
            Severity::P3 => "P3 · no customer impact",
        }
    }
}

/// The brief as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationBrief {
    pub summary: String,
    pub customer_impact: String,
    pub severity: Severity,
    pub environment: String,
    pub reproduction_steps: String,
    pub evidence: Evidence,
    pub timeline: String,
    pub comms_plan: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Log excerpts.
    #[serde(default)]
    pub logs: String,
    #[serde(default)]
    pub request_ids: Vec<String>,
    /// When it happened, as RFC 3339 instants.
    #[serde(default)]
    pub timestamps: Vec<String>,
}

/// The brief as typed; every part is required.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationBriefDraft {
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub customer_impact: String,
    /// P0, P1, P2 or P3
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub reproduction_steps: String,
    #[serde(default)]
    pub evidence: Evidence,
    #[serde(default)]
    pub timeline: String,
    #[serde(default)]
    pub comms_plan: String,
}

const MAX_PART_CHARS: usize = 20_000;
const MAX_EVIDENCE_ITEMS: usize = 100;

impl EscalationBriefDraft {
    /// Refuses a brief with any part missing, naming each one (`brief.` + part).
    pub fn validate(self) -> Result<EscalationBrief, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut part = |name: &str, value: &str| {
            let field = format!("brief.{name}");
            let text = optional_text(&mut errors, &field, value, MAX_PART_CHARS);
            if text.is_empty() {
                errors.add(&field, "is required for an escalation to engineering");
            }
            text
        };
        let summary = part("summary", &self.summary);
        let customer_impact = part("customer_impact", &self.customer_impact);
        let environment = part("environment", &self.environment);
        let reproduction_steps = part("reproduction_steps", &self.reproduction_steps);
        let timeline = part("timeline", &self.timeline);
        let comms_plan = part("comms_plan", &self.comms_plan);
        let severity = if self.severity.trim().is_empty() {
            errors.add("brief.severity", "is required: P0, P1, P2 or P3");
            None
        } else {
            parse_choice(&mut errors, "brief.severity", self.severity.trim(), &Severity::ALL)
        };
        let logs = optional_text(&mut errors, "brief.evidence.logs", &self.evidence.logs, MAX_PART_CHARS);
        let request_ids = clean_items(&mut errors, "brief.evidence.request_ids", &self.evidence.request_ids);
        let timestamps = clean_items(&mut errors, "brief.evidence.timestamps", &self.evidence.timestamps);
        for (i, t) in timestamps.iter().enumerate() {
            if t.parse::<Timestamp>().is_err() {
                errors.add(
                    &format!("brief.evidence.timestamps[{i}]"),
                    "must be an RFC 3339 instant such as 2026-03-02T14:05:00Z",
                );
            }
        }
        if logs.is_empty() && request_ids.is_empty() && timestamps.is_empty() {
            errors.add("brief.evidence", "is required: logs, request ids or timestamps that show the problem");
        }
        errors.into_result()?;
        Ok(EscalationBrief {
            summary,
            customer_impact,
            severity: severity.unwrap_or(Severity::P2),
            environment,
            reproduction_steps,
            evidence: Evidence { logs, request_ids, timestamps },
            timeline,
            comms_plan,
        })
    }
}

fn clean_items(errors: &mut FieldErrors, field: &str, items: &[String]) -> Vec<String> {
    if items.len() > MAX_EVIDENCE_ITEMS {
        errors.add(field, format!("must list at most {MAX_EVIDENCE_ITEMS} items"));
    }
    let cleaned: Vec<String> = items.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
    if cleaned.iter().any(|i| i.chars().any(char::is_control) || i.chars().count() > 200) {
        errors.add(field, "items must be single lines of at most 200 characters");
    }
    cleaned
}

/// One criterion of the quality rubric and whether the brief meets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RubricCheck {
    pub criterion: &'static str,
    pub met: bool,
}

/// The rubric: what makes a brief something engineering can act on without coming back with
/// questions. Each criterion is one point; the score maps the share met onto 1-5.
pub fn rubric(brief: &EscalationBrief) -> Vec<RubricCheck> {
    let lines = |text: &str| text.lines().filter(|l| !l.trim().is_empty()).count();
    let words = |text: &str| text.split_whitespace().count();
    let checks = [
        ("Summary says what is broken in a sentence or more (8+ words)", words(&brief.summary) >= 8),
        ("Customer impact is described in business terms (15+ words)", words(&brief.customer_impact) >= 15),
        ("Environment names where it happens (region, version, component)", words(&brief.environment) >= 4),
        ("Reproduction steps are a numbered or stepwise list (2+ steps)", lines(&brief.reproduction_steps) >= 2),
        ("Logs are attached", !brief.evidence.logs.is_empty()),
        ("Request ids are given", !brief.evidence.request_ids.is_empty()),
        ("Timestamps of the failures are given", !brief.evidence.timestamps.is_empty()),
        ("Timeline lists what happened when (2+ entries)", lines(&brief.timeline) >= 2),
        ("Comms plan says who is told what and when (10+ words)", words(&brief.comms_plan) >= 10),
    ];
    checks.into_iter().map(|(criterion, met)| RubricCheck { criterion, met }).collect()
}

/// 1-5: 1 + 4 × share of the rubric met, rounded to the nearest point.
pub fn completeness_score(brief: &EscalationBrief) -> i64 {
    let checks = rubric(brief);
    let met = checks.iter().filter(|c| c.met).count() as i64;
    let total = checks.len() as i64;
    1 + (4 * met * 2 + total) / (2 * total)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub id: EscalationId,
    pub ticket_id: TicketId,
    pub brief: EscalationBrief,
    /// The engineering team escalated to.
    pub engineering_team: String,
    /// The engineer who owns it on the engineering side; they acknowledge.
    pub engineering_owner_id: Option<UserId>,
    pub escalated_by: Option<UserId>,
    pub escalated_at: Timestamp,
    pub acknowledged_by: Option<UserId>,
    pub acknowledged_at: Option<Timestamp>,
    /// Computed from the rubric when the brief was filed.
    pub completeness_score: i64,
    pub reviewer_score: Option<i64>,
    pub reviewer_id: Option<UserId>,
    pub reviewer_note: String,
    pub reviewed_at: Option<Timestamp>,
}

impl Escalation {
    /// Seconds from escalation to the engineering owner's acknowledgement.
    pub fn time_to_engage_seconds(&self) -> Option<i64> {
        self.acknowledged_at.map(|a| (a.as_second() - self.escalated_at.as_second()).max(0))
    }

    /// The quality figure reported: the reviewer's score where given, else the computed one.
    pub fn quality_score(&self) -> i64 {
        self.reviewer_score.unwrap_or(self.completeness_score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> EscalationBriefDraft {
        EscalationBriefDraft {
            summary: "Checkout API returns 502 for one in five requests since the 14:00 deploy".into(),
            customer_impact: "About 20 percent of Acme's customer checkouts fail, losing an estimated 40k USD per hour of revenue during peak"
                .into(),
            severity: "P1".into(),
            environment: "eu-west-1, checkout-service v2.14.3 behind ALB".into(),
            reproduction_steps: "1. POST /v2/checkout with a basket of 3 items\n2. Repeat 20 times\n3. About 4 answer 502".into(),
            evidence: Evidence {
                logs: "upstream prematurely closed connection".into(),
                request_ids: vec!["req-7f3a".into()],
                timestamps: vec!["2026-03-02T14:05:00Z".into()],
            },
            timeline: "14:00 deploy v2.14.3\n14:05 first 502s\n14:20 customer reports".into(),
            comms_plan: "TAM updates Acme's incident bridge every 30 minutes until mitigated, then daily summary".into(),
        }
    }

    #[test]
    fn a_complete_brief_scores_five() {
        let brief = full().validate().unwrap();
        assert!(rubric(&brief).iter().all(|c| c.met), "{:?}", rubric(&brief));
        assert_eq!(completeness_score(&brief), 5);
    }

    #[test]
    fn a_thin_brief_scores_low_but_is_accepted() {
        let thin = EscalationBriefDraft {
            summary: "Broken".into(),
            customer_impact: "Bad".into(),
            severity: "P2".into(),
            environment: "prod".into(),
            reproduction_steps: "call it".into(),
            evidence: Evidence { logs: "error".into(), ..Evidence::default() },
            timeline: "today".into(),
            comms_plan: "email".into(),
        };
        let brief = thin.validate().unwrap();
        assert_eq!(completeness_score(&brief), 1);
    }

    #[test]
    fn every_missing_part_is_named() {
        let errors = EscalationBriefDraft::default().validate().unwrap_err();
        for field in [
            "brief.summary",
            "brief.customer_impact",
            "brief.severity",
            "brief.environment",
            "brief.reproduction_steps",
            "brief.evidence",
            "brief.timeline",
            "brief.comms_plan",
        ] {
            assert!(errors.get(field).is_some(), "{field} not named: {errors:?}");
        }
    }

    #[test]
    fn evidence_timestamps_must_be_instants() {
        let mut draft = full();
        draft.evidence.timestamps = vec!["yesterday".into()];
        let errors = draft.validate().unwrap_err();
        assert!(errors.get("brief.evidence.timestamps[0]").is_some());
    }
}
