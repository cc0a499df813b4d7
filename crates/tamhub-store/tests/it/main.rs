//! Store conformance: every test body runs on SQLite and, when `TAMHUB_TEST_PG_URL` is set, on
//! PostgreSQL, each time on a fresh database.

mod accounts;
mod audit;
mod incidents;
mod sessions;
mod sla_config;
mod sla_state;
mod ticket_lists;
mod tickets;
mod users;

use std::sync::Arc;

use tamhub_domain::accounts::{Account, AccountFields, Phase, Tier};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, Timestamp};
use tamhub_store::Store;

pub use tamhub_testkit::stores::each_store;

pub type DynStore = Arc<dyn Store>;

/// A whole second after a fixed epoch: both backends keep it exactly (SQLite stores
/// milliseconds, PostgreSQL microseconds).
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_750_000_000 + seconds).expect("a valid timestamp")
}

pub fn date(year: i16, month: i8, day: i8) -> Date {
    jiff::civil::date(year, month, day)
}

pub fn user(email: &str, role: Role) -> User {
    User {
        id: UserId::new(),
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        role,
        account_id: None,
        active: true,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn audit_for(entity_type: &str, entity_id: impl ToString, action: &str) -> AuditEntry {
    AuditEntry::new(at(0), None, entity_type, entity_id, action)
}

/// Creates a user with this email and role, and returns it.
pub async fn add_user(store: &DynStore, email: &str, role: Role) -> User {
    let u = user(email, role);
    store.create_user(&u, "hash", &audit_for("user", u.id, "create")).await.expect("create user");
    u
}

pub fn fields(name: &str) -> AccountFields {
    AccountFields {
        name: name.into(),
        tier: Tier::Enterprise,
        arr: 100_000,
        currency: "EUR".into(),
        renewal_date: None,
        region: "emea".into(),
        timezone: "Europe/Berlin".into(),
        phase: Phase::Gate0,
        workloads: Vec::new(),
        downtime_cost_per_hour: None,
        primary_tam_id: None,
        backup_tam_id: None,
        psm_id: None,
        pam_id: None,
        support_ids: Vec::new(),
        calendar_id: None,
    }
}

pub fn account(fields: AccountFields) -> Account {
    Account { id: AccountId::new(), fields, archived_at: None, created_at: at(0), updated_at: at(0) }
}

/// Saves the account, and returns it.
pub async fn add_account(store: &DynStore, account: Account) -> Account {
    let entry = audit_for("account", account.id, "create").for_account(account.id);
    store.create_account(&account, &entry).await.expect("create account");
    account
}

/// One scanner evaluation through the batch write, as the scanner stores it.
pub async fn save_one(
    store: &DynStore,
    ticket_id: tamhub_domain::ids::TicketId,
    last_seq: i64,
    sla: &tamhub_store::SlaSnapshot,
    alerts: &[tamhub_store::AlertNotices],
) -> tamhub_store::StoreResult<bool> {
    let evaluation = tamhub_store::SlaEvaluation { ticket_id, last_seq, sla: sla.clone(), alerts: alerts.to_vec() };
    Ok(store.save_sla_evaluations(&[evaluation]).await?.first().copied().unwrap_or(false))
}
