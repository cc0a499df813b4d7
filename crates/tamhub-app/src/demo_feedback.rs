//! Feature requests and expansion opportunities for the demo: requests wanted by one to a dozen
//! accounts in every status (the heaviest on top by ARR), and opportunities in every stage.

use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::feedback::{FeatureRequestDraft, OpportunityDraft, RequestingAccountDraft};
use tamhub_domain::users::Role;

use crate::{Actor, App, AppResult};

/// (title, product area, status, note, impact, every n-th live account wants it)
const REQUESTS: &[(&str, &str, &str, &str, &str, usize)] = &[
    (
        "Cross-region read replicas",
        "Managed database",
        "planned",
        "Q3 roadmap",
        "Read latency for customers in APAC",
        4,
    ),
    ("Per-team cost allocation tags", "Billing console", "under_review", "", "Chargeback to business units", 5),
    ("Customer-managed keys for backups", "Backup", "new", "", "Required by the security team's audit", 7),
    ("Webhook retries with backoff", "Events", "shipped", "Released in 4.2", "Fewer lost order events", 9),
    (
        "GraphQL subscriptions in the gateway",
        "API gateway",
        "declined",
        "Out of scope: use the events stream",
        "Live dashboards",
        11,
    ),
    ("Terraform provider for alert rules", "Observability", "new", "", "Alerts as code in their platform repo", 13),
];

const OPPORTUNITIES: &[(&str, i64, &str)] = &[
    ("Analytics tier for the data team", 48_000, "qualified"),
    ("Second region for disaster recovery", 120_000, "proposed"),
    ("Premium support upgrade", 36_000, "identified"),
    ("ML platform pilot", 75_000, "won"),
    ("Observability add-on", 18_000, "lost"),
];

impl App {
    pub(crate) async fn demo_feedback(&self, accounts: &[Account]) -> AppResult<(usize, usize)> {
        let admin = self
            .store
            .list_users(&tamhub_store::UserQuery { role: Some(Role::Leadership), include_inactive: false })
            .await?;
        let lead = Actor::new(admin.into_iter().next().expect("the demo has leadership"));
        let live: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
            .collect();
        let mut requests = 0;
        for (k, (title, area, status, note, impact, every)) in REQUESTS.iter().enumerate() {
            let wanted: Vec<RequestingAccountDraft> = live
                .iter()
                .enumerate()
                .filter(|(i, _)| (i + k) % every == 0)
                .map(|(_, a)| RequestingAccountDraft { account_id: a.id, business_impact: impact.to_string() })
                .collect();
            let draft = FeatureRequestDraft {
                title: Some(title.to_string()),
                product_area: Some(area.to_string()),
                description: Some(format!("Raised by TAMs on behalf of {} accounts.", wanted.len())),
                status: Some(status.to_string()),
                status_note: Some(note.to_string()),
                accounts: Some(wanted),
                version: None,
            };
            self.save_feature_request(&lead, None, draft).await?;
            requests += 1;
        }
        let mut opportunities = 0;
        for (n, account) in live.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
            for (title, value, stage) in OPPORTUNITIES.iter().skip(n % 2).step_by(2) {
                let draft = OpportunityDraft {
                    title: Some(title.to_string()),
                    value: Some(value * 100),
                    stage: Some(stage.to_string()),
                    owner_id: account.fields.pam_id.or(account.fields.primary_tam_id),
                    expected_close: None,
                    notes: None,
                    version: None,
                };
                self.save_opportunity(&lead, account.id, None, draft).await?;
                opportunities += 1;
            }
        }
        Ok((requests, opportunities))
    }
}
