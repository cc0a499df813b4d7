//! Persistence: one `Store` trait (one method = one transaction) with a SQLite and a PostgreSQL
//! implementation. Rows are converted to domain types only in each backend's `rows.rs`.
#![forbid(unsafe_code)]

use std::sync::Arc;

use async_trait::async_trait;
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::{Account, Phase, Tier};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::HandoffChecklist;
use tamhub_domain::ids::{AccountId, TokenId, UserId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::{Role, User};

pub mod actions;
pub mod engagements;
pub mod health;
pub mod incidents;
pub mod postgres;
pub mod reviews;
pub mod sla;
pub mod sqlite;
pub mod tickets;

pub use actions::{ActionPage, ActionQuery, ActionReminder, ActionStore, ReminderKind};
pub use engagements::{CharterChange, EngagementQuery, EngagementStore, MeetingRecord, PlanChange};
pub use health::{BuiltinCounts, HealthOverride, HealthSnapshot, HealthStore, SignalPoint, SnapshotScore};
pub use incidents::{
    CadenceAlertNotices, CadenceEvaluation, CadenceSnapshot, IncidentChange, IncidentListItem, IncidentPage,
    IncidentQuery, IncidentStore,
};
pub use reviews::ReviewStore;
pub use sla::{InputsChange, SlaConfigRecord, SlaConfigStore};
pub use tickets::{
    AlertNotices, SlaEvaluation, SlaSnapshot, StatusFilter, TicketChange, TicketListItem, TicketPage, TicketQuery,
    TicketSort, TicketStore,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the message says which, in the user's words.
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Other(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AccountSort {
    #[default]
    Name,
    Tier,
    Phase,
    Arr,
    Renewal,
    Region,
    Timezone,
    Updated,
}

impl AccountSort {
    pub const ALL: [(AccountSort, &'static str); 8] = [
        (AccountSort::Name, "name"),
        (AccountSort::Tier, "tier"),
        (AccountSort::Phase, "phase"),
        (AccountSort::Arr, "arr"),
        (AccountSort::Renewal, "renewal_date"),
        (AccountSort::Region, "region"),
        (AccountSort::Timezone, "timezone"),
        (AccountSort::Updated, "updated_at"),
    ];

    pub fn parse(value: &str) -> Option<AccountSort> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(s, _)| *s)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(s, _)| *s == self).map(|(_, n)| *n).unwrap_or("name")
    }

    /// The ORDER BY column; a fixed list, never user text.
    fn column(self) -> &'static str {
        match self {
            AccountSort::Name => "name",
            AccountSort::Tier => "tier",
            AccountSort::Phase => "phase",
            AccountSort::Arr => "arr",
            AccountSort::Renewal => "renewal_date",
            AccountSort::Region => "region",
            AccountSort::Timezone => "timezone",
            AccountSort::Updated => "updated_at",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Archived {
    /// Live accounts only (the default everywhere).
    #[default]
    Exclude,
    Only,
    Include,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountQuery {
    pub scope: AccountScope,
    pub phase: Option<Phase>,
    pub tier: Option<Tier>,
    /// Accounts where this user holds any assignment.
    pub assignee: Option<UserId>,
    /// Case-insensitive substring of the name or region.
    pub text: Option<String>,
    pub archived: Archived,
    pub sort: AccountSort,
    pub descending: bool,
    pub limit: u32,
    pub offset: u64,
}

impl AccountQuery {
    pub fn in_scope(scope: AccountScope) -> Self {
        AccountQuery {
            scope,
            phase: None,
            tier: None,
            assignee: None,
            text: None,
            archived: Archived::Exclude,
            sort: AccountSort::Name,
            descending: false,
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountPage {
    pub items: Vec<Account>,
    pub total: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub include_inactive: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub account_id: Option<AccountId>,
    pub entity_type: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

/// The password hash travels beside the user, never inside it, so it cannot leak into a response.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

#[async_trait]
pub trait Store:
    TicketStore
    + SlaConfigStore
    + IncidentStore
    + ActionStore
    + HealthStore
    + EngagementStore
    + ReviewStore
    + Send
    + Sync
    + 'static
{
    /// Used by `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
    /// "sqlite" or "postgres", for logs and the about page.
    fn backend(&self) -> &'static str;
    /// A consistent copy of the whole database in a new file, taken while the server runs
    /// (SQLite: `VACUUM INTO`). PostgreSQL answers `Unsupported`: `pg_dump` is the tool there.
    async fn backup(&self, destination: &std::path::Path) -> StoreResult<()>;

    // users
    async fn create_user(&self, user: &User, password_hash: &str, audit: &AuditEntry) -> StoreResult<()>;
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    async fn get_users(&self, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// Several accounts at once, in no particular order; unknown ids are left out.
    async fn get_accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>>;
    async fn find_credentials(&self, email: &str) -> StoreResult<Option<Credentials>>;
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>>;
    /// Saves name, role, account and active flag. Deactivating also ends the user's sessions
    /// and revokes their API tokens in the same transaction.
    async fn update_user(&self, user: &User, audit: &AuditEntry) -> StoreResult<()>;
    async fn set_password(&self, id: UserId, password_hash: &str, audit: &AuditEntry) -> StoreResult<()>;

    // sessions
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The live session with this hash and its active user.
    async fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User)>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;

    // API tokens
    async fn create_api_token(&self, token: &ApiToken, token_hash: &str, audit: &AuditEntry) -> StoreResult<()>;
    async fn list_api_tokens(&self, user_id: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Not found unless the token is the user's own and not yet revoked.
    async fn revoke_api_token(
        &self,
        user_id: UserId,
        id: TokenId,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// The active user behind an unrevoked token, and the token.
    async fn api_token_user(&self, token_hash: &str) -> StoreResult<Option<(ApiToken, User)>>;
    async fn touch_api_token(&self, id: TokenId, now: Timestamp) -> StoreResult<()>;

    // login throttling
    /// Records a login attempt before its password is checked, so concurrent guesses count
    /// against each other; a successful login forgets its own attempt. Returns the attempt's id.
    async fn record_login_attempt(&self, email: &str, ip: &str, at: Timestamp) -> StoreResult<i64>;
    async fn forget_login_attempt(&self, id: i64) -> StoreResult<()>;
    /// Unsuccessful (or not yet decided) attempts since `since`: (for this email, from this IP).
    async fn count_login_attempts(&self, email: &str, ip: &str, since: Timestamp) -> StoreResult<(u64, u64)>;

    // accounts
    async fn create_account(&self, account: &Account, audit: &AuditEntry) -> StoreResult<()>;
    async fn get_account(&self, id: AccountId) -> StoreResult<Account>;
    async fn list_accounts(&self, query: &AccountQuery) -> StoreResult<AccountPage>;
    /// Saves the account, its phase change if any, the change of its tickets' policy inputs if
    /// any (tier or calendar), and the audit entries, in one transaction.
    async fn update_account(
        &self,
        account: &Account,
        phase_change: Option<&PhaseChange>,
        inputs_change: Option<&InputsChange>,
        audit: &[AuditEntry],
    ) -> StoreResult<()>;
    async fn phase_changes(&self, id: AccountId) -> StoreResult<Vec<PhaseChange>>;

    // handoff
    async fn get_handoff(&self, id: AccountId) -> StoreResult<Option<HandoffChecklist>>;
    async fn save_handoff(&self, checklist: &HandoffChecklist, audit: &AuditEntry) -> StoreResult<()>;

    // audit log and settings
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>>;
    async fn put_setting(&self, key: &str, value: &serde_json::Value, audit: &AuditEntry) -> StoreResult<()>;
}

/// Opens the store a URL names (`sqlite://path` or `postgres://…`) and runs its migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Corrupt(format!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…")))
    }
}

/// Shared by both backends' ORDER BY: a fixed column and direction, then id for a stable order.
fn order_by(sort: AccountSort, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    // NULL renewal dates sort last either way: an account without a date is not "due soonest".
    format!(" ORDER BY {} IS NULL, {} {dir}, id ASC", sort.column(), sort.column())
}
