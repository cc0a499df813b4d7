//! Events and quotas for the demo: quotas at every utilisation (some over their threshold, some
//! with increase requests), upcoming events at every lead time (one registered late with a
//! reason) with partly done checklists, some that would exceed a quota, and a past event with its
//! post-event review.

use std::collections::BTreeMap;
use std::sync::Arc;

use tamhub_domain::SignedDuration;
use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::events::{ChecklistChange, EventDraft, IncreaseDraft, QuotaDraft, ReviewDraft};

use crate::demo_tickets::DemoClock;
use crate::{Actor, App, AppResult};

/// (service, quota, limit, usage share of the limit)
const QUOTAS: &[(&str, &str, f64, f64)] = &[
    ("EC2", "Running On-Demand vCPUs", 512.0, 0.62),
    ("Lambda", "Concurrent executions", 1_000.0, 0.35),
    ("RDS", "DB instances", 40.0, 0.85),
    ("ELB", "Application Load Balancers", 50.0, 0.44),
    ("API Gateway", "Requests per second", 10_000.0, 0.28),
];

/// (title, kind, days ahead, load multiplier)
const EVENTS: &[(&str, &str, i64, f64)] = &[
    ("Black Friday peak", "peak_traffic", 45, 2.5),
    ("Mobile app relaunch", "launch", 20, 1.8),
    ("Data centre exit: final wave", "migration", 9, 1.2),
    ("Regional DR failover test", "dr_test", 75, 1.0),
];

impl App {
    pub(crate) async fn demo_events(&self, accounts: &[Account], chartered: usize) -> AppResult<(usize, usize)> {
        let now = self.clock.now();
        let clock = Arc::new(DemoClock::at(now));
        let past = App::new(self.store.clone(), clock.clone(), self.config.clone());
        let live: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
            .collect();
        let charters = self.store.charters_in_force(&live.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
        let (mut quotas, mut events) = (0, 0);
        for (n, account) in
            live.iter().filter(|a| charters.iter().any(|c| c.account_id == a.id)).take(chartered).enumerate()
        {
            if n % 3 == 2 {
                continue;
            }
            let tam = Actor::new(self.store.get_user(account.fields.primary_tam_id.expect("filtered")).await?);
            for (i, (service, name, limit, share)) in QUOTAS.iter().enumerate().filter(|(i, _)| (i + n) % 4 != 3) {
                let usage = (limit * (share + (n % 4) as f64 * 0.05)).round();
                let draft = QuotaDraft {
                    service: Some(service.to_string()),
                    name: Some(name.to_string()),
                    region: Some(["eu-central-1", "us-east-1", "ap-northeast-1"][(i + n) % 3].into()),
                    limit: Some(*limit),
                    usage: Some(usage),
                    forecast_growth_pct: Some(((i + n) % 5) as f64 * 2.5),
                    increase_request: (usage / limit > 0.8 && n % 2 == 0).then(|| IncreaseDraft {
                        requested_limit: Some(limit * 2.0),
                        state: Some("requested".into()),
                        case_ref: format!("CASE-{}", 40_000 + n * 10 + i),
                    }),
                    ..Default::default()
                };
                self.save_quota(&tam, account.id, None, draft).await?;
                quotas += 1;
            }
            for (i, (title, kind, days, load)) in EVENTS.iter().enumerate().filter(|(i, _)| (i + n) % 2 == 0) {
                let starts_at = now.saturating_add(SignedDuration::from_hours(24 * days + 6)).unwrap_or(now);
                let draft = EventDraft {
                    title: Some(title.to_string()),
                    kind: Some(kind.to_string()),
                    starts_at: Some(starts_at),
                    ends_at: starts_at.saturating_add(SignedDuration::from_hours(36)).ok(),
                    load_multiplier: Some(*load),
                    lead_time_override: (*days < 14).then(|| "Cut-over date set by the customer's board".to_string()),
                    ..Default::default()
                };
                let (event, _) = self.save_event(&tam, account.id, None, draft).await?;
                events += 1;
                // Partly ready: the nearer the event, the more is done.
                let done: BTreeMap<String, ChecklistChange> =
                    ["architecture_review", "quota_check", "specialists_named"]
                        .iter()
                        .take(((i + n) % 3) + usize::from(*days < 30))
                        .map(|item| {
                            (
                                item.to_string(),
                                ChecklistChange {
                                    done: Some(true),
                                    note: Some("Done with the customer's platform team.".into()),
                                },
                            )
                        })
                        .collect();
                if !done.is_empty() {
                    let change = EventDraft { checklist: Some(done), ..Default::default() };
                    self.save_event(&tam, account.id, Some(event.id), change).await?;
                }
            }
            // One event already over, with its review, on some accounts.
            if n % 4 == 0 {
                let registered = now.saturating_sub(SignedDuration::from_hours(24 * 60)).unwrap_or(now);
                clock.set(registered);
                let starts_at = registered.saturating_add(SignedDuration::from_hours(24 * 30)).unwrap_or(now);
                let draft = EventDraft {
                    title: Some("Autumn product launch".into()),
                    kind: Some("launch".into()),
                    starts_at: Some(starts_at),
                    ends_at: starts_at.saturating_add(SignedDuration::from_hours(24)).ok(),
                    load_multiplier: Some(2.0),
                    ..Default::default()
                };
                let (event, _) = past.save_event(&tam, account.id, None, draft).await?;
                clock.set(starts_at.saturating_add(SignedDuration::from_hours(24 * 3)).unwrap_or(now));
                let all: BTreeMap<String, ChecklistChange> =
                    ["architecture_review", "quota_check", "specialists_named", "support_coverage", "rollback_plan"]
                        .iter()
                        .map(|item| (item.to_string(), ChecklistChange { done: Some(true), note: None }))
                        .collect();
                let review = EventDraft {
                    checklist: Some(all),
                    review: Some(ReviewDraft {
                        went_well: "Traffic peaked at 1.8× with no errors; the pre-warmed load balancers held.".into(),
                        went_poorly: "The RDS quota increase landed one day before the launch.".into(),
                        follow_ups: "Request quota increases six weeks ahead of the next launch.".into(),
                    }),
                    ..Default::default()
                };
                past.save_event(&tam, account.id, Some(event.id), review).await?;
                events += 1;
            }
        }
        Ok((quotas, events))
    }
}
