//! The demo data set: a realistic team and portfolio so every page has something to show.
//! Deterministic (seeded), so screenshots and browser tests see the same data every time.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tamhub_domain::accounts::{Account, AccountDraft, Phase, Tier};
use tamhub_domain::handoff::HandoffItems;
use tamhub_domain::ids::UserId;
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, SignedDuration};
use tamhub_store::UserQuery;

use crate::users::UserInput;
use crate::{Actor, App, AppError, AppResult};

/// Every demo user logs in with this password.
pub const DEMO_PASSWORD: &str = "tamhub-demo-password";

pub struct DemoSummary {
    pub users: Vec<User>,
    pub accounts: usize,
    pub tickets: usize,
    pub incidents: usize,
}

const STAFF: &[(Role, &str, &str)] = &[
    (Role::Admin, "Avery Admin", "admin"),
    (Role::Leadership, "Morgan Lee", "morgan.lee"),
    (Role::Leadership, "Priya Raman", "priya.raman"),
    (Role::Tam, "Maya Chen", "maya.chen"),
    (Role::Tam, "Jonas Weber", "jonas.weber"),
    (Role::Tam, "Aisha Okafor", "aisha.okafor"),
    (Role::Tam, "Lucas Moreau", "lucas.moreau"),
    (Role::Tam, "Sofia Rossi", "sofia.rossi"),
    (Role::Tam, "Kenji Tanaka", "kenji.tanaka"),
    (Role::Tam, "Elena Petrova", "elena.petrova"),
    (Role::Tam, "Diego Alvarez", "diego.alvarez"),
    (Role::Psm, "Grace Kim", "grace.kim"),
    (Role::Psm, "Tomás Silva", "tomas.silva"),
    (Role::Psm, "Nora Lindqvist", "nora.lindqvist"),
    (Role::Psm, "Ravi Patel", "ravi.patel"),
    (Role::Pam, "Isabel Duarte", "isabel.duarte"),
    (Role::Pam, "Felix Braun", "felix.braun"),
    (Role::Pam, "Chloé Martin", "chloe.martin"),
    (Role::Support, "Sam Carter", "sam.carter"),
    (Role::Support, "Lina Novak", "lina.novak"),
    (Role::Support, "Ade Bello", "ade.bello"),
    (Role::Support, "Mei Wong", "mei.wong"),
];

const NAME_HEADS: &[&str] = &[
    "Northwind",
    "Bluefin",
    "Copperleaf",
    "Helios",
    "Ironbark",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchid",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Silverline",
    "Tidewater",
    "Umbra",
    "Vantage",
    "Westbrook",
    "Zephyr",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Driftwood",
];
const NAME_TAILS: &[&str] = &["Logistics", "Health", "Payments", "Media", "Energy"];

const PLACES: &[(&str, &str)] = &[
    ("America/New_York", "AMER"),
    ("America/Chicago", "AMER"),
    ("America/Los_Angeles", "AMER"),
    ("America/Sao_Paulo", "LATAM"),
    ("America/Toronto", "AMER"),
    ("Europe/London", "EMEA"),
    ("Europe/Berlin", "EMEA"),
    ("Europe/Paris", "EMEA"),
    ("Europe/Madrid", "EMEA"),
    ("Africa/Johannesburg", "EMEA"),
    ("Asia/Dubai", "EMEA"),
    ("Asia/Kolkata", "APAC"),
    ("Asia/Singapore", "APAC"),
    ("Asia/Tokyo", "APAC"),
    ("Australia/Sydney", "APAC"),
];

const WORKLOADS: &[&str] = &[
    "checkout-api",
    "payments-core",
    "data-lake",
    "mobile-backend",
    "search",
    "ml-inference",
    "identity",
    "streaming-ingest",
    "customer-portal",
    "reporting-warehouse",
    "edge-cdn",
    "batch-billing",
];

pub fn demo_email(handle: &str) -> String {
    format!("{handle}@tamhub.example")
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

impl App {
    pub async fn is_empty(&self) -> AppResult<bool> {
        Ok(self.store.list_users(&UserQuery { role: None, include_inactive: true }).await?.is_empty())
    }

    /// Loads the demo set; refuses if it is already there.
    pub async fn load_demo(&self, today: Date) -> AppResult<DemoSummary> {
        if self.find_user_by_email(&demo_email("admin")).await.is_ok() {
            return Err(AppError::Conflict("the demo data set is already loaded".into()));
        }
        let mut rng = StdRng::seed_from_u64(2026);
        let mut users = Vec::new();
        for (role, name, handle) in STAFF {
            let input = UserInput {
                email: demo_email(handle),
                name: name.to_string(),
                role: role.as_str().into(),
                account_id: None,
                password: DEMO_PASSWORD.into(),
            };
            users.push(self.create_user(None, input).await?);
        }
        let of_role = |role: Role| -> Vec<UserId> { users.iter().filter(|u| u.role == role).map(|u| u.id).collect() };
        let (tams, psms, pams, support) =
            (of_role(Role::Tam), of_role(Role::Psm), of_role(Role::Pam), of_role(Role::Support));
        // Uneven TAM demand (Fibonacci-like, one TAM carrying far more) so the load page shows
        // TAMs under, within and over the default 5-20 band.
        let tam_shares: Vec<u32> = [1, 1, 2, 3, 5, 8, 13, 30].iter().copied().cycle().take(tams.len()).collect();
        let total_share: u32 = tam_shares.iter().sum();

        let calendars = self.demo_calendars().await?;
        let mut accounts: Vec<Account> = Vec::new();
        for i in 0..120usize {
            let name =
                format!("{} {}", NAME_HEADS[i % NAME_HEADS.len()], NAME_TAILS[i / NAME_HEADS.len() % NAME_TAILS.len()]);
            let tier = match rng.random_range(0..20) {
                0..=6 => Tier::Enterprise,
                7..=12 => Tier::EnterpriseOnRamp,
                _ => Tier::Business,
            };
            let phase = match rng.random_range(0..20) {
                0 => Phase::Gate0,
                1 => Phase::Gate1,
                2..=3 => Phase::Gate2,
                4..=6 => Phase::Gate3,
                _ => Phase::PostLaunch,
            };
            let (timezone, region) = *pick(&mut rng, PLACES);
            let arr_major: i64 = match tier {
                Tier::Enterprise => rng.random_range(600..6_000) * 1_000,
                Tier::EnterpriseOnRamp => rng.random_range(120..900) * 1_000,
                Tier::Business => rng.random_range(20..200) * 1_000,
            };
            let currency = match region {
                "EMEA" if rng.random_bool(0.5) => "EUR",
                "EMEA" if rng.random_bool(0.3) => "GBP",
                _ => "USD",
            };
            let renewal = today.checked_add(SignedDuration::from_hours(24 * rng.random_range(-20..540))).ok();
            let workload_count = rng.random_range(1..=4);
            let mut workloads: Vec<String> = Vec::new();
            while workloads.len() < workload_count {
                let w = pick(&mut rng, WORKLOADS).to_string();
                if !workloads.contains(&w) {
                    workloads.push(w);
                }
            }
            let tam_phase = matches!(phase, Phase::Gate3 | Phase::PostLaunch);
            let mut primary = None;
            let mut backup = None;
            if tam_phase || rng.random_bool(0.2) {
                let mut ticket = rng.random_range(0..total_share);
                let mut index = 0;
                while ticket >= tam_shares[index] {
                    ticket -= tam_shares[index];
                    index += 1;
                }
                primary = Some(tams[index]);
                backup = Some(tams[(index + 1 + rng.random_range(0..tams.len() - 1)) % tams.len()]);
                // A few gaps for leadership to fix.
                if i % 23 == 5 {
                    primary = None;
                } else if i % 17 == 3 {
                    backup = None;
                }
            }
            let draft = AccountDraft {
                name,
                tier: tier.as_str().into(),
                arr: arr_major * 100,
                currency: currency.into(),
                renewal_date: renewal.map(|d| d.to_string()),
                region: region.into(),
                timezone: timezone.into(),
                phase: phase.as_str().into(),
                workloads,
                downtime_cost_per_hour: Some(arr_major / 200 * 100),
                primary_tam_id: primary,
                backup_tam_id: backup,
                psm_id: (phase != Phase::PostLaunch || rng.random_bool(0.3)).then(|| *pick(&mut rng, &psms)),
                pam_id: Some(*pick(&mut rng, &pams)),
                support_ids: if rng.random_bool(0.5) { vec![*pick(&mut rng, &support)] } else { vec![] },
                // Most accounts work in their region's business hours; some use the default.
                calendar_id: if i % 5 == 4 { None } else { calendars.get(timezone).copied() },
            };
            accounts.push(self.create_account(None, draft).await?);
        }

        self.demo_handoffs(&accounts).await?;

        // Customer contacts for a handful of Post-Launch accounts.
        let mut customers = 0;
        for account in
            accounts.iter().filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
        {
            if customers == 8 {
                break;
            }
            customers += 1;
            let handle = format!("contact{customers}");
            let input = UserInput {
                email: demo_email(&handle),
                name: format!("{} contact", account.fields.name),
                role: "customer".into(),
                account_id: Some(account.id),
                password: DEMO_PASSWORD.into(),
            };
            users.push(self.create_user(None, input).await?);
        }
        let tickets = self.demo_tickets(&accounts, &users).await?;
        let incidents = self.demo_incidents(&accounts, &users).await?;
        self.demo_health(&accounts, &users).await?;
        self.demo_charters(&accounts, &users).await?;
        self.demo_plans(&accounts, crate::demo_charters::CHARTERED).await?;
        self.demo_events(&accounts, crate::demo_charters::CHARTERED).await?;
        self.demo_feedback(&accounts).await?;
        self.demo_findings(&accounts, crate::demo_charters::CHARTERED).await?;
        self.demo_reviews(&accounts, &users).await?;
        Ok(DemoSummary { users, accounts: accounts.len(), tickets, incidents })
    }

    /// Gate 3 handoffs in every state: not started, in progress, PSM signed, fully signed.
    async fn demo_handoffs(&self, accounts: &[Account]) -> AppResult<()> {
        let gate3: Vec<&Account> = accounts
            .iter()
            .filter(|a| {
                a.fields.phase == Phase::Gate3 && a.fields.psm_id.is_some() && a.fields.primary_tam_id.is_some()
            })
            .collect();
        for (n, account) in gate3.iter().enumerate().take(6) {
            let f = &account.fields;
            let psm = self.actor_for(f.psm_id).await?;
            let tam = self.actor_for(f.primary_tam_id).await?;
            let items = HandoffItems {
                meeting_held: true,
                documentation_reviewed: n % 3 != 1,
                shadow_period_done: n % 3 == 0,
                notes: "Runbooks and architecture diagrams handed over; on-call rota shared; open risks reviewed in the handoff meeting.".into(),
            };
            self.update_handoff(&psm, account.id, items).await?;
            if n % 3 == 0 {
                self.sign_handoff(&psm, account.id).await?;
                if n == 0 {
                    self.sign_handoff(&tam, account.id).await?;
                }
            }
        }
        Ok(())
    }

    async fn actor_for(&self, id: Option<UserId>) -> AppResult<Actor> {
        let id = id.ok_or(AppError::NotFound)?;
        Ok(Actor::new(self.store.get_user(id).await?))
    }
}
