//! PostgreSQL, for teams that outgrow one machine.

mod accounts;
mod actions;
mod engagements;
mod health;
mod incidents;
mod reviews;
mod rows;
mod sla;
mod tickets;

use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::HandoffChecklist;
use tamhub_domain::ids::{AccountId, TokenId, UserId};
use tamhub_domain::users::User;
use uuid::Uuid;

use self::rows::*;
use crate::{
    AccountPage, AccountQuery, ApiToken, AuditQuery, Credentials, Session, Store, StoreError, StoreResult, UserQuery,
};

pub struct PgStore {
    pool: PgPool,
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await.map_err(|e| StoreError::Other(e.into()))?;
        Ok(PgStore { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

async fn insert_audit(conn: &mut PgConnection, entry: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, entity_type, entity_id, account_id, action, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.id.0)
    .bind(ts(entry.at))
    .bind(entry.actor_id.map(|i| i.0))
    .bind(&entry.entity_type)
    .bind(&entry.entity_id)
    .bind(entry.account_id.map(|i| i.0))
    .bind(&entry.action)
    .bind(entry.before.as_ref().map(Json))
    .bind(entry.after.as_ref().map(Json))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn backup(&self, _destination: &std::path::Path) -> StoreResult<()> {
        Err(StoreError::Unsupported("tamhub backup copies SQLite databases; back up PostgreSQL with pg_dump".into()))
    }

    async fn create_user(&self, user: &User, password_hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, role, account_id, password_hash, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(user.id.0)
        .bind(&user.email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.account_id.map(|i| i.0))
        .bind(password_hash)
        .bind(user.active)
        .bind(ts(user.created_at))
        .bind(ts(user.updated_at))
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
        let row: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn get_users(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn find_credentials(&self, email: &str) -> StoreResult<Option<Credentials>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        let Some((password_hash,)) = row else {
            return Ok(None);
        };
        let user: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1"))
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
            q.push(" AND active");
        }
        // Bytewise, as SQLite compares text.
        q.push(" ORDER BY name COLLATE \"C\", id");
        let rows: Vec<UserRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn update_user(&self, user: &User, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE users SET name = $1, role = $2, account_id = $3, active = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.account_id.map(|i| i.0))
        .bind(user.active)
        .bind(ts(user.updated_at))
        .bind(user.id.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if !user.active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.id.0).execute(&mut *tx).await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(ts(user.updated_at))
                .bind(user.id.0)
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, id: UserId, password_hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(ts(audit.at))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // A new password ends every existing session: whoever knew the old one is logged out.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(session.user_id.0)
        .bind(&session.csrf_token)
        .bind(ts(session.created_at))
        .bind(ts(session.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User)>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session: Session = row.try_into()?;
        let user = self.get_user(session.user_id).await?;
        Ok(user.active.then_some((session, user)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(ts(now)).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    async fn create_api_token(&self, token: &ApiToken, token_hash: &str, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token.id.0)
            .bind(token.user_id.0)
            .bind(&token.name)
            .bind(token_hash)
            .bind(ts(token.created_at))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_api_tokens(&self, user_id: UserId) -> StoreResult<Vec<ApiToken>> {
        let rows: Vec<ApiTokenRow> = sqlx::query_as(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 \
             ORDER BY created_at DESC, id",
        )
        .bind(user_id.0)
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
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(ts(now))
                .bind(id.0)
                .bind(user_id.0)
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
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL",
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
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ts(now))
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_login_attempt(&self, email: &str, ip: &str, at: Timestamp) -> StoreResult<i64> {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO login_failures (email, ip, at) VALUES ($1, $2, $3) RETURNING id")
                .bind(email)
                .bind(ip)
                .bind(ts(at))
                .fetch_one(&self.pool)
                .await?;
        Ok(id)
    }

    async fn forget_login_attempt(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn count_login_attempts(&self, email: &str, ip: &str, since: Timestamp) -> StoreResult<(u64, u64)> {
        let (by_email, by_ip): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND at > $2), \
                    (SELECT COUNT(*) FROM login_failures WHERE ip = $3 AND at > $2)",
        )
        .bind(email)
        .bind(ts(since))
        .bind(ip)
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
            sqlx::query_as(concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn get_accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<AccountRow> =
            sqlx::query_as(concat!("SELECT ", account_columns!(), " FROM accounts WHERE id = ANY($1)"))
                .bind(ids)
                .fetch_all(&self.pool)
                .await?;
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
                "INSERT INTO phase_changes (account_id, from_phase, to_phase, actor_id, at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(change.account_id.0)
            .bind(change.from.as_str())
            .bind(change.to.as_str())
            .bind(change.actor_id.map(|i| i.0))
            .bind(ts(change.at))
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
            "SELECT account_id, from_phase, to_phase, actor_id, at FROM phase_changes WHERE account_id = $1 \
             ORDER BY at, id",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_handoff(&self, id: AccountId) -> StoreResult<Option<HandoffChecklist>> {
        let row: Option<HandoffRow> = sqlx::query_as(
            "SELECT account_id, meeting_held, documentation_reviewed, shadow_period_done, notes, \
               psm_signed_by, psm_signed_at, tam_signed_by, tam_signed_at, updated_at \
             FROM handoffs WHERE account_id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn save_handoff(&self, c: &HandoffChecklist, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO handoffs (account_id, meeting_held, documentation_reviewed, shadow_period_done, notes, \
               psm_signed_by, psm_signed_at, tam_signed_by, tam_signed_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (account_id) DO UPDATE SET meeting_held = excluded.meeting_held, \
               documentation_reviewed = excluded.documentation_reviewed, shadow_period_done = excluded.shadow_period_done, \
               notes = excluded.notes, psm_signed_by = excluded.psm_signed_by, psm_signed_at = excluded.psm_signed_at, \
               tam_signed_by = excluded.tam_signed_by, tam_signed_at = excluded.tam_signed_at, updated_at = excluded.updated_at",
        )
        .bind(c.account_id.0)
        .bind(c.meeting_held)
        .bind(c.documentation_reviewed)
        .bind(c.shadow_period_done)
        .bind(&c.notes)
        .bind(c.psm_signoff.as_ref().map(|s| s.user_id.0))
        .bind(c.psm_signoff.as_ref().map(|s| ts(s.at)))
        .bind(c.tam_signoff.as_ref().map(|s| s.user_id.0))
        .bind(c.tam_signoff.as_ref().map(|s| ts(s.at)))
        .bind(opt_ts(c.updated_at))
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
            q.push(" AND account_id = ").push_bind(account.0);
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
        let row: Option<(serde_json::Value,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|(value,)| value))
    }

    async fn put_setting(&self, key: &str, value: &serde_json::Value, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(Json(value))
        .bind(ts(audit.at))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
