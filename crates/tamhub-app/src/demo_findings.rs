//! Findings for the demo: cost findings and review improvements in every status on the chartered
//! accounts, with realised savings on the resolved cost findings.

use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::findings::FindingDraft;

use crate::{Actor, App, AppResult};

/// (kind, title, estimated monthly savings in major units, effort, needs downtime)
const FINDINGS: &[(&str, &str, i64, &str, bool)] = &[
    ("cost_optimisation", "Rightsize the analytics cluster", 4_200, "low", false),
    ("cost_optimisation", "Tier cold object storage", 1_800, "low", false),
    ("cost_optimisation", "Commit to reserved capacity for steady load", 6_500, "medium", false),
    ("cost_optimisation", "Delete unattached volumes and old snapshots", 900, "low", false),
    ("review_improvement", "Move the primary database to multi-AZ", 0, "high", true),
    ("review_improvement", "Test restores monthly", 0, "medium", false),
    ("review_improvement", "Least-privilege roles for CI", 0, "medium", false),
];

impl App {
    pub(crate) async fn demo_findings(&self, accounts: &[Account], chartered: usize) -> AppResult<usize> {
        let live: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
            .collect();
        let charters = self.store.charters_in_force(&live.iter().map(|a| a.id).collect::<Vec<_>>()).await?;
        let mut count = 0;
        for (n, account) in
            live.iter().filter(|a| charters.iter().any(|c| c.account_id == a.id)).take(chartered).enumerate()
        {
            let tam = Actor::new(self.store.get_user(account.fields.primary_tam_id.expect("filtered")).await?);
            for (i, (kind, title, estimate, effort, downtime)) in
                FINDINGS.iter().enumerate().filter(|(i, _)| (i + n) % 3 != 2)
            {
                let draft = FindingDraft {
                    kind: Some(kind.to_string()),
                    title: Some(title.to_string()),
                    workload: account.fields.workloads.get(i % account.fields.workloads.len().max(1)).cloned(),
                    estimated_monthly_savings: (*estimate > 0).then_some(estimate * 100 * (1 + (n % 3) as i64)),
                    effort: Some(effort.to_string()),
                    needs_downtime: Some(*downtime),
                    ..Default::default()
                };
                let f = self.save_finding(&tam, account.id, None, draft).await?;
                count += 1;
                // Every account at a different point: in progress, resolved (cost: realised a bit
                // below or above the estimate), dismissed with a reason, or still pending.
                let next = match (i + n) % 4 {
                    0 => Some(FindingDraft {
                        status: Some("in_progress".into()),
                        note: Some("Scheduled with the customer".into()),
                        ..Default::default()
                    }),
                    1 => Some(FindingDraft {
                        status: Some("resolved".into()),
                        realised_monthly_savings: f
                            .estimated_monthly_savings
                            .map(|e| e * (85 + (n % 4) as i64 * 10) / 100),
                        note: Some("Implemented in the last change window".into()),
                        ..Default::default()
                    }),
                    2 if i % 2 == 0 => Some(FindingDraft {
                        status: Some("dismissed".into()),
                        dismiss_reason: Some(["customer_declined", "risk_accepted", "too_costly"][n % 3].into()),
                        ..Default::default()
                    }),
                    _ => None,
                };
                if let Some(next) = next {
                    self.save_finding(&tam, account.id, Some(f.id), next).await?;
                }
            }
        }
        Ok(count)
    }
}
