//! A support desk for ticket and SLA tests: one Post-Launch account with its team and a customer
//! contact, a second account elsewhere, and helpers to read clocks. The clock starts on Monday
//! 2026-03-02 09:00 UTC, the opening of the default calendar (Mon-Fri 09:00-17:00 UTC).

use tamhub_app::tickets::EventInput;
use tamhub_app::{Actor, AppError};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::{Account, AccountDraft};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::sla::engine::CycleRecord;
use tamhub_domain::sla::model::Metric;
use tamhub_domain::tickets::{Ticket, TicketDraft};
use tamhub_domain::users::{Role, User};
use tamhub_testkit::TestApp;

pub struct Desk {
    pub admin: Actor,
    pub lead: Actor,
    /// Primary TAM of `account`.
    pub tam: Actor,
    /// Backup TAM of `account`.
    pub backup: Actor,
    /// A TAM of `elsewhere` only.
    pub other_tam: Actor,
    /// The support engineer engaged on `account`.
    pub support: Actor,
    pub pam: Actor,
    /// A contact of `account`.
    pub customer: Actor,
    /// A contact of `elsewhere`.
    pub other_customer: Actor,
    pub account: Account,
    pub elsewhere: Account,
}

pub fn draft(name: &str) -> AccountDraft {
    AccountDraft {
        name: name.into(),
        tier: "enterprise".into(),
        arr: 1_000_000,
        currency: "USD".into(),
        region: "EMEA".into(),
        timezone: "Europe/Berlin".into(),
        phase: "post_launch".into(),
        ..AccountDraft::default()
    }
}

/// A user stored directly, without hashing a password: these tests never sign in.
async fn person(t: &TestApp, role: Role, name: &str, account: Option<AccountId>) -> Actor {
    let now = t.app.clock.now();
    let user = User {
        id: UserId::new(),
        email: format!("{}@test.example", name.to_lowercase().replace(' ', ".")),
        name: name.into(),
        role,
        account_id: account,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let audit = AuditEntry::new(now, None, "user", user.id, "create");
    t.app.store.create_user(&user, "not a password hash", &audit).await.expect("create user");
    Actor::new(user)
}

impl Desk {
    pub async fn open(t: &TestApp) -> Desk {
        let admin = person(t, Role::Admin, "Ada Admin", None).await;
        let lead = person(t, Role::Leadership, "Lee Lead", None).await;
        let tam = person(t, Role::Tam, "Tina Tam", None).await;
        let backup = person(t, Role::Tam, "Bob Backup", None).await;
        let other_tam = person(t, Role::Tam, "Otto Other", None).await;
        let support = person(t, Role::Support, "Sam Support", None).await;
        let pam = person(t, Role::Pam, "Pia Pam", None).await;
        let mut d = draft("Acme");
        d.primary_tam_id = Some(tam.user.id);
        d.backup_tam_id = Some(backup.user.id);
        d.pam_id = Some(pam.user.id);
        d.support_ids = vec![support.user.id];
        let account = t.app.create_account(None, d).await.expect("account");
        let mut e = draft("Elsewhere");
        e.primary_tam_id = Some(other_tam.user.id);
        let elsewhere = t.app.create_account(None, e).await.expect("account");
        let customer = person(t, Role::Customer, "Cora Customer", Some(account.id)).await;
        let other_customer = person(t, Role::Customer, "Carl Customer", Some(elsewhere.id)).await;
        Desk { admin, lead, tam, backup, other_tam, support, pam, customer, other_customer, account, elsewhere }
    }

    /// A ticket the customer opens now, with this priority.
    pub async fn customer_ticket(&self, t: &TestApp, priority: &str) -> Ticket {
        let draft = TicketDraft {
            title: format!("{priority} trouble"),
            description: "Checkout fails".into(),
            priority: priority.into(),
            ..TicketDraft::default()
        };
        t.app.create_ticket(&self.customer, draft).await.unwrap_or_else(|e| panic!("[{}] create: {e}", t.backend))
    }
}

/// An instant on the test's days, e.g. `when("2026-03-02T13:00:00Z")`.
pub fn when(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

pub fn secs(text: &str) -> i64 {
    when(text).as_second()
}

/// Moves the test clock to `text`.
pub fn set(t: &TestApp, text: &str) {
    t.clock.set(when(text));
}

pub fn comment(body: &str, public: bool) -> EventInput {
    EventInput::Comment { body: body.into(), public, status: None }
}

pub fn status(to: &str) -> EventInput {
    EventInput::StatusChanged { to: to.into() }
}

pub fn priority(to: &str) -> EventInput {
    EventInput::PriorityChanged { to: to.into() }
}

/// The SLA cycles of a ticket evaluated now, as an admin sees them.
pub async fn cycles(t: &TestApp, desk: &Desk, ticket: &Ticket) -> Vec<CycleRecord> {
    t.app.ticket_sla(&desk.admin, ticket.id).await.expect("sla").0.cycles
}

/// Cycle `n` of a metric.
#[track_caller]
pub fn cycle(cycles: &[CycleRecord], metric: Metric, n: u32) -> CycleRecord {
    cycles
        .iter()
        .find(|c| c.metric == metric && c.cycle_no == n)
        .cloned()
        .unwrap_or_else(|| panic!("no {} cycle {n} in {cycles:#?}", metric.as_str()))
}

/// The field an `Invalid` error names, or a panic describing what came instead.
#[track_caller]
pub fn invalid_field(result: Result<impl std::fmt::Debug, AppError>, field: &str) {
    match result {
        Err(AppError::Invalid { fields, .. }) => {
            assert!(fields.get(field).is_some(), "{field} not named in {fields:?}")
        }
        other => panic!("expected a validation error naming {field}, got {other:?}"),
    }
}
