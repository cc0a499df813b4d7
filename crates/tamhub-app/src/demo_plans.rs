//! Success plans and risks for the demo: a 30/60/90-day onboarding plan on most chartered
//! accounts (on track, at risk, off track and achieved objectives; most shared with the customer)
//! with a few actions, and a risk register per account whose live risks spread over the heat map,
//! some mitigated by actions, some closed.

use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::actions::ActionDraft;
use tamhub_domain::plans::{ObjectiveDraft, RiskDraft, SuccessPlanDraft};
use tamhub_domain::{SignedDuration, Timestamp};

use crate::engagements::local_today;
use crate::{Actor, App, AppResult};

/// Objectives: (title, metric, unit, baseline, target, day due, progress share of the target).
const OBJECTIVES: &[(&str, &str, &str, f64, f64, i64)] = &[
    ("Production workloads on the managed database", "workloads migrated", "workloads", 0.0, 6.0, 85),
    ("Fewer P1 incidents", "P1 incidents per month", "per month", 5.0, 1.0, 60),
    ("Monthly cloud spend down", "spend", "k USD", 420.0, 360.0, 88),
    ("On-call runbooks in place", "runbooks reviewed", "runbooks", 2.0, 12.0, 28),
    ("Feature adoption", "teams on the new deploy pipeline", "teams", 1.0, 8.0, 58),
];

/// (title, category, likelihood, impact, mitigation)
const RISKS: &[(&str, &str, i64, i64, Option<&str>)] = &[
    ("Single-AZ primary database", "technical", 4, 5, Some("Move the primary database to multi-AZ")),
    ("Executive sponsor leaving in Q1", "relationship", 3, 4, Some("Introduce the new VP Engineering at the EBR")),
    ("Reserved capacity expires before renewal", "cost", 4, 3, None),
    ("No tested restore of the orders store", "operational", 3, 5, Some("Run a restore test in staging")),
    ("Key team unfamiliar with the new deploy pipeline", "adoption", 2, 2, None),
    ("Secrets in CI variables", "security", 2, 4, Some("Move CI secrets to the vault")),
];

impl App {
    pub(crate) async fn demo_plans(&self, accounts: &[Account], chartered: usize) -> AppResult<(usize, usize)> {
        let now = self.clock.now();
        let (mut plans, mut risks) = (0, 0);
        let live: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
            .collect();
        let charters = self.store.charters_in_force(&live.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
        let mut n = 0;
        for account in live.iter().filter(|a| charters.iter().any(|c| c.account_id == a.id)).take(chartered) {
            n += 1;
            let f = &account.fields;
            let tam = Actor::new(self.store.get_user(f.primary_tam_id.expect("filtered")).await?);
            let today = local_today(account, now);
            if n % 4 != 3 {
                // Started 10 to 80 days ago; each objective is ahead, level or behind its time.
                let start = today.saturating_sub(jiff::Span::new().days(10 + (n as i64 * 7) % 70));
                let elapsed = (today - start).get_days() as f64;
                let objectives = OBJECTIVES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i + n) % 5 != 0)
                    .map(|(i, (title, metric, unit, baseline, target, due))| {
                        let time = (elapsed / *due as f64).min(1.0);
                        // Ahead, level, a little behind, far behind.
                        let pace = [1.15, 1.0, 0.75, 0.35][(i + n) % 4];
                        let current = baseline + (target - baseline) * (time * pace).min(1.0);
                        ObjectiveDraft {
                            title: title.to_string(),
                            metric: metric.to_string(),
                            unit: unit.to_string(),
                            baseline: Some(*baseline),
                            target: Some(*target),
                            current: Some((current * 10.0).round() / 10.0),
                            due_on: start.saturating_add(jiff::Span::new().days(*due)).to_string(),
                            ..Default::default()
                        }
                    })
                    .collect();
                let draft = SuccessPlanDraft {
                    title: "Onboarding success plan".into(),
                    summary: format!(
                        "{} wants its core workloads on managed services, fewer customer-facing incidents and a \
                         lower cloud bill within the first quarter after launch.",
                        f.name
                    ),
                    starts_on: Some(start.to_string()),
                    shared_with_customer: n % 5 != 4,
                    objectives,
                    version: None,
                };
                let plan = self.save_success_plan(&tam, account.id, None, draft).await?;
                plans += 1;
                if n % 2 == 0 {
                    let due = now.saturating_add(SignedDuration::from_hours(24 * (n as i64 % 20 - 5))).unwrap_or(now);
                    let action = ActionDraft {
                        title: "Schedule the database migration window with the customer".into(),
                        owner_id: Some(tam.user.id),
                        due_at: Some(due.max(later(now, 1))),
                        ..Default::default()
                    };
                    self.add_plan_action(&tam, plan.id, action).await?;
                }
            }
            for (i, (title, category, likelihood, impact, mitigation)) in RISKS.iter().enumerate() {
                if (i + n) % 3 == 0 {
                    continue;
                }
                let due = today.saturating_add(jiff::Span::new().days(((i + n) % 6) as i64 * 7 - 7));
                let draft = RiskDraft {
                    title: Some(title.to_string()),
                    description: Some(format!("Raised in the {} risk review.", f.name)),
                    category: Some(category.to_string()),
                    likelihood: Some((*likelihood + (n as i64 % 3) - 1).clamp(1, 5)),
                    impact: Some(*impact),
                    owner_id: Some(tam.user.id),
                    due_on: Some(due.to_string()),
                    mitigation: mitigation.filter(|_| (i + n) % 2 == 0).map(|m| ActionDraft {
                        title: m.to_string(),
                        due_at: Some(later(now, 14 + i as i64)),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                let risk = self.save_risk(&tam, account.id, None, draft).await?;
                risks += 1;
                if (i + n) % 7 == 1 {
                    let close = RiskDraft { status: Some("closed".into()), ..Default::default() };
                    self.save_risk(&tam, account.id, Some(risk.id), close).await?;
                }
            }
        }
        Ok((plans, risks))
    }
}

fn later(now: Timestamp, days: i64) -> Timestamp {
    now.saturating_add(SignedDuration::from_hours(24 * days)).unwrap_or(now)
}
