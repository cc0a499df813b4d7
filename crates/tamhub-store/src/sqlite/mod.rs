//! The embedded default: SQLite in WAL mode with foreign keys on.

mod accounts;
mod actions;
mod engagements;
mod health;
mod incidents;
mod reviews;
mod rows;
mod sla;
mod tickets;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::HandoffChecklist;
use tamhub_domain::ids::{AccountId, TokenId, UserId};
use tamhub_domain::users::User;

use self::rows::*;
use crate::{
    AccountPage, AccountQuery, ApiToken, AuditQuery, Credentials, Session, Store, StoreError, StoreResult, UserQuery,
};

pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time. Queueing this process's writers here is fair and cheap,
    /// where leaving them to the busy handler makes them sleep and retry (p99 of 80 ms at 8
    /// concurrent writers, against 9 ms queued). Other processes still meet the busy timeout.
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction that holds this process's writer slot until it ends.
struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _slot: tokio::sync::OwnedMutexGuard<()>,
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

impl WriteTx {
    async fn commit(self) -> StoreResult<()> {
        Ok(self.tx.commit().await?)
    }
}

/// `(?, ?, …)` binding each id as text: the IN list of a lookup by several ids.
fn push_ids<T: ToString>(q: &mut sqlx::QueryBuilder<sqlx::Sqlite>, ids: &[T]) {
    q.push("(");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id.to_string());
    }
    q.push(")");
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            let path = options.get_filename();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Other(sqlx::Error::Io(e)))?;
            }
        }
        // An in-memory database lives in one connection, so the pool must keep exactly that one.
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            SqlitePoolOptions::new().max_connections(8).connect_with(options).await?
        };
        sqlx::migrate!("migrations/sqlite").run(&pool).await.map_err(|e| StoreError::Other(e.into()))?;
        Ok(SqliteStore { pool, writer: Arc::new(tokio::sync::Mutex::new(())) })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Write transactions take the write lock up front so two writers never deadlock upgrading.
    async fn write(&self) -> StoreResult<WriteTx> {
        let slot = self.writer.clone().lock_owned().await;
        Ok(WriteTx { tx: self.pool.begin_with("BEGIN IMMEDIATE").await?, _slot: slot })
    }
}

async fn insert_audit(conn: &mut SqliteConnection, entry: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, entity_type, entity_id, account_id, action, before, after) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.id.to_string())
    .bind(ms(entry.at))
    .bind(entry.actor_id.map(|i| i.to_string()))
    .bind(&entry.entity_type)
    .bind(&entry.entity_id)
    .bind(entry.account_id.map(|i| i.to_string()))
    .bind(&entry.action)
    .bind(entry.before.as_ref().map(to_json))
    .bind(entry.after.as_ref().map(to_json))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn backup(&self, destination: &std::path::Path) -> StoreResult<()> {
        let path =
            destination.to_str().ok_or_else(|| StoreError::Unsupported("the backup path must be UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?").bind(path).execute(&self.pool).await?;
        Ok(())
    }

    async fn create_user(&self, user: &User, password_hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, role, account_id, password_hash, active, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.to_string())
        .bind(&user.email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.account_id.map(|i| i.to_string()))
        .bind(password_hash)
        .bind(user.active)
        .bind(ms(user.created_at))
        .bind(ms(user.updated_at))
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            if is_unique_violation(&err) {
                return Err(StoreError::Conflict("a user with this email already exists".into()));
            }
            return Err(err.into());
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        let row: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn get_users(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sqlx::QueryBuilder::new(concat!("SELECT ", user_columns!(), " FROM users WHERE id IN "));
        push_ids(&mut q, ids);
        let rows: Vec<UserRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn find_credentials(&self, email: &str) -> StoreResult<Option<Credentials>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        let Some((password_hash,)) = row else { return Ok(None) };
        let user: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE email = ?"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        match user {
            Some(row) => Ok(Some(Credentials { user: row.try_into()?, password_hash })),
            None => Ok(None),
        }
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        let mut q = sqlx::QueryBuilder::new(concat!("SELECT ", user_columns!(), " FROM users WHERE 1 = 1"));
        if let Some(role) = query.role {
            q.push(" AND role = ").push_bind(role.as_str());
        }
        if !query.include_inactive {
            q.push(" AND active = 1");
        }
        q.push(" ORDER BY name, id");
        let rows: Vec<UserRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn update_user(&self, user: &User, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done =
            sqlx::query("UPDATE users SET name = ?, role = ?, account_id = ?, active = ?, updated_at = ? WHERE id = ?")
                .bind(&user.name)
                .bind(user.role.as_str())
                .bind(user.account_id.map(|i| i.to_string()))
                .bind(user.active)
                .bind(ms(user.updated_at))
                .bind(user.id.to_string())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if !user.active {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user.id.to_string()).execute(&mut *tx).await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
                .bind(ms(user.updated_at))
                .bind(user.id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, id: UserId, password_hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
            .bind(password_hash)
            .bind(ms(audit.at))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // A new password ends every existing session: whoever knew the old one is logged out.
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(id.to_string()).execute(&mut *tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&session.token_hash)
        .bind(session.user_id.to_string())
        .bind(&session.csrf_token)
        .bind(ms(session.created_at))
        .bind(ms(session.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User)>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session: Session = row.try_into()?;
        let user = self.get_user(session.user_id).await?;
        Ok(user.active.then_some((session, user)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(ms(now)).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    async fn create_api_token(&self, token: &ApiToken, token_hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token.id.to_string())
            .bind(token.user_id.to_string())
            .bind(&token.name)
            .bind(token_hash)
            .bind(ms(token.created_at))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_api_tokens(&self, user_id: UserId) -> StoreResult<Vec<ApiToken>> {
        let rows: Vec<ApiTokenRow> = sqlx::query_as(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn revoke_api_token(
        &self,
        user_id: UserId,
        id: TokenId,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
                .bind(ms(now))
                .bind(id.to_string())
                .bind(user_id.to_string())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn api_token_user(&self, token_hash: &str) -> StoreResult<Option<(ApiToken, User)>> {
        let row: Option<ApiTokenRow> = sqlx::query_as(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token: ApiToken = row.try_into()?;
        let user = self.get_user(token.user_id).await?;
        Ok(user.active.then_some((token, user)))
    }

    async fn touch_api_token(&self, id: TokenId, now: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_login_attempt(&self, email: &str, ip: &str, at: Timestamp) -> StoreResult<i64> {
        let done = sqlx::query("INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)")
            .bind(email)
            .bind(ip)
            .bind(ms(at))
            .execute(&self.pool)
            .await?;
        Ok(done.last_insert_rowid())
    }

    async fn forget_login_attempt(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE id = ?").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn count_login_attempts(&self, email: &str, ip: &str, since: Timestamp) -> StoreResult<(u64, u64)> {
        let (by_email, by_ip): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = ? AND at > ?), \
                    (SELECT COUNT(*) FROM login_failures WHERE ip = ? AND at > ?)",
        )
        .bind(email)
        .bind(ms(since))
        .bind(ip)
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await?;
        Ok((by_email.max(0) as u64, by_ip.max(0) as u64))
    }

    async fn create_account(&self, account: &Account, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        accounts::insert(&mut tx, account).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_account(&self, id: AccountId) -> StoreResult<Account> {
        let row: Option<AccountRow> =
            sqlx::query_as(concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = ?"))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn get_accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = sqlx::QueryBuilder::new(concat!("SELECT ", account_columns!(), " FROM accounts WHERE id IN "));
        push_ids(&mut q, ids);
        let rows: Vec<AccountRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn list_accounts(&self, query: &AccountQuery) -> StoreResult<AccountPage> {
        accounts::list(&self.pool, query).await
    }

    async fn update_account(
        &self,
        account: &Account,
        phase_change: Option<&PhaseChange>,
        inputs_change: Option<&crate::InputsChange>,
        audit: &[AuditEntry],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        accounts::update(&mut tx, account).await?;
        if let Some(change) = inputs_change {
            tickets::append_inputs_change(&mut tx, change, account.updated_at).await?;
        }
        if let Some(change) = phase_change {
            sqlx::query(
                "INSERT INTO phase_changes (account_id, from_phase, to_phase, actor_id, at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(change.account_id.to_string())
            .bind(change.from.as_str())
            .bind(change.to.as_str())
            .bind(change.actor_id.map(|i| i.to_string()))
            .bind(ms(change.at))
            .execute(&mut *tx)
            .await?;
        }
        for entry in audit {
            insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn phase_changes(&self, id: AccountId) -> StoreResult<Vec<PhaseChange>> {
        let rows: Vec<PhaseChangeRow> = sqlx::query_as(
            "SELECT account_id, from_phase, to_phase, actor_id, at FROM phase_changes WHERE account_id = ? ORDER BY at, id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_handoff(&self, id: AccountId) -> StoreResult<Option<HandoffChecklist>> {
        let row: Option<HandoffRow> = sqlx::query_as("SELECT * FROM handoffs WHERE account_id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn save_handoff(&self, c: &HandoffChecklist, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO handoffs (account_id, meeting_held, documentation_reviewed, shadow_period_done, notes, \
               psm_signed_by, psm_signed_at, tam_signed_by, tam_signed_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (account_id) DO UPDATE SET meeting_held = excluded.meeting_held, \
               documentation_reviewed = excluded.documentation_reviewed, shadow_period_done = excluded.shadow_period_done, \
               notes = excluded.notes, psm_signed_by = excluded.psm_signed_by, psm_signed_at = excluded.psm_signed_at, \
               tam_signed_by = excluded.tam_signed_by, tam_signed_at = excluded.tam_signed_at, updated_at = excluded.updated_at",
        )
        .bind(c.account_id.to_string())
        .bind(c.meeting_held)
        .bind(c.documentation_reviewed)
        .bind(c.shadow_period_done)
        .bind(&c.notes)
        .bind(c.psm_signoff.as_ref().map(|s| s.user_id.to_string()))
        .bind(c.psm_signoff.as_ref().map(|s| ms(s.at)))
        .bind(c.tam_signoff.as_ref().map(|s| s.user_id.to_string()))
        .bind(c.tam_signoff.as_ref().map(|s| ms(s.at)))
        .bind(c.updated_at.map(ms))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT id, at, actor_id, entity_type, entity_id, account_id, action, before, after FROM audit_log WHERE 1 = 1",
        );
        if let Some(account) = query.account_id {
            q.push(" AND account_id = ").push_bind(account.to_string());
        }
        if let Some(entity) = &query.entity_type {
            q.push(" AND entity_type = ").push_bind(entity.clone());
        }
        q.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(i64::from(query.limit));
        q.push(" OFFSET ").push_bind(query.offset.min(i64::MAX as u64) as i64);
        let rows: Vec<AuditRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        row.map(|(text,)| serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(to_json(value))
        .bind(ms(audit.at))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
