//! Contacts, charters, scheduled engagements, meetings and calendar feeds.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::contacts::Contact;
use tamhub_domain::engagements::{Charter, Engagement, Meeting};
use tamhub_domain::events::{Event, Quota};
use tamhub_domain::feedback::{FeatureRequest, Opportunity};
use tamhub_domain::findings::Finding;
use tamhub_domain::ids::FindingId;
use tamhub_domain::ids::{
    AccountId, ContactId, EngagementId, EventId, MeetingId, QuotaId, RiskId, SuccessPlanId, UserId,
};
use tamhub_domain::ids::{FeatureRequestId, OpportunityId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::plans::{Risk, SuccessPlan};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::User;
use tamhub_domain::{Date, Timestamp};
use uuid::Uuid;

use super::accounts::push_scope;
use super::actions::upsert_action;
use super::rows::*;
use super::tickets::insert_notifications;
use super::{PgStore, insert_audit};
use crate::engagements::{CharterChange, EngagementQuery, EngagementStore, MeetingRecord, PlanChange};
use crate::{Store, StoreError, StoreResult};

fn outcome(e: &Engagement) -> &'static str {
    if e.meeting_id.is_some() {
        "held"
    } else if e.skip_reason.is_some() {
        "skipped"
    } else {
        "open"
    }
}

fn date(d: Date) -> Option<jiff_sqlx::Date> {
    opt_date(Some(d))
}

async fn insert_engagements(conn: &mut PgConnection, engagements: &[Engagement]) -> StoreResult<u64> {
    let mut added = 0;
    for chunk in engagements.chunks(200) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO engagements (id, account_id, engagement_type, workload, due_on, window_closes, outcome, \
             overdue_notified, state) ",
        );
        q.push_values(chunk, |mut row, e| {
            row.push_bind(e.id.0)
                .push_bind(e.account_id.0)
                .push_bind(e.engagement_type.as_str())
                .push_bind(e.workload.clone().unwrap_or_default())
                .push_bind(date(e.due_on))
                .push_bind(date(e.window_closes()))
                .push_bind(outcome(e))
                .push_bind(e.overdue_notified_at.is_some())
                .push_bind(Json(e));
        });
        q.push(" ON CONFLICT DO NOTHING");
        added += q.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

async fn update_engagement(conn: &mut PgConnection, e: &Engagement, only_open: bool) -> StoreResult<()> {
    let done = sqlx::query(if only_open {
        "UPDATE engagements SET outcome = $1, overdue_notified = $2, state = $3 WHERE id = $4 AND outcome = 'open'"
    } else {
        "UPDATE engagements SET outcome = $1, overdue_notified = $2, state = $3 WHERE id = $4"
    })
    .bind(outcome(e))
    .bind(e.overdue_notified_at.is_some())
    .bind(Json(e))
    .bind(e.id.0)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("the engagement was held or skipped meanwhile; reload it".into()));
    }
    Ok(())
}

async fn upsert_contact(conn: &mut PgConnection, c: &Contact) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contacts (id, account_id, name, executive_sponsor, state) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, executive_sponsor = excluded.executive_sponsor, \
         state = excluded.state",
    )
    .bind(c.id.0)
    .bind(c.account_id.0)
    .bind(&c.name)
    .bind(c.executive_sponsor)
    .bind(Json(c))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a plan's or risk's change brings along: its actions, notifications and audit entries.
pub(super) async fn write_extras<T>(
    conn: &mut PgConnection,
    change: &PlanChange<T>,
    rows_written: u64,
) -> StoreResult<()> {
    if rows_written != 1 {
        return Err(StoreError::Conflict("it changed meanwhile; reload it and apply your change again".into()));
    }
    for action in &change.actions {
        upsert_action(&mut *conn, action).await?;
    }
    insert_notifications(&mut *conn, &change.notifications.iter().collect::<Vec<_>>()).await?;
    for audit in &change.audit {
        insert_audit(&mut *conn, audit).await?;
    }
    Ok(())
}

pub(super) fn states<T>(rows: Vec<(Json<T>,)>) -> Vec<T> {
    rows.into_iter().map(|(state,)| state.0).collect()
}

/// The documents (`d.state`) of `table` whose account is in `scope` (and is `account` if given);
/// callers add their own filters on `d` and the order.
pub(super) fn scoped_documents(table: &str, scope: AccountScope, account: Option<AccountId>) -> QueryBuilder<Postgres> {
    let mut q = QueryBuilder::new(format!(
        "SELECT d.state FROM {table} d JOIN accounts ON accounts.id = d.account_id WHERE TRUE"
    ));
    if scope != AccountScope::All {
        push_scope(&mut q, scope, "accounts");
    }
    if let Some(account) = account {
        q.push(" AND d.account_id = ").push_bind(account.0);
    }
    q
}

/// The document with this id in `table`.
pub(super) async fn document<T>(pool: &sqlx::PgPool, table: &str, id: Uuid) -> StoreResult<T>
where
    T: serde::de::DeserializeOwned + Send + Unpin + 'static,
{
    let row: Option<(Json<T>,)> = QueryBuilder::<Postgres>::new(format!("SELECT state FROM {table} WHERE id = "))
        .push_bind(id)
        .build_query_as()
        .fetch_optional(pool)
        .await?;
    row.map_or(Err(StoreError::NotFound), |(state,)| Ok(state.0))
}

/// Inserts a finding at version 0, else updates it if still at its version; returns it as stored
/// and the rows written (0: it changed meanwhile).
pub(super) async fn write_finding(conn: &mut PgConnection, r: &Finding) -> StoreResult<(Finding, u64)> {
    let mut stored = r.clone();
    stored.version += 1;
    let q = sqlx::query(if r.version == 0 {
        "INSERT INTO findings (account_id, status, version, state, id) VALUES ($1, $2, $3, $4, $5)"
    } else {
        "UPDATE findings SET account_id = $1, status = $2, version = $3, state = $4 WHERE id = $5 AND version = $6"
    })
    .bind(r.account_id.0)
    .bind(r.status.as_str())
    .bind(stored.version)
    .bind(Json(&stored))
    .bind(r.id.0);
    let q = if r.version == 0 { q } else { q.bind(r.version) };
    let written = q.execute(&mut *conn).await?.rows_affected();
    Ok((stored, written))
}

#[async_trait]
impl EngagementStore for PgStore {
    async fn list_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>> {
        let rows: Vec<(Json<Contact>,)> = sqlx::query_as(
            "SELECT state FROM contacts WHERE account_id = $1 ORDER BY executive_sponsor DESC, name, id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(states(rows))
    }

    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact> {
        document(&self.pool, "contacts", id.0).await
    }

    async fn save_contact(
        &self,
        contact: &Contact,
        audit: &AuditEntry,
        notifications: &[Notification],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        upsert_contact(&mut tx, contact).await?;
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_contact(
        &self,
        id: ContactId,
        audit: &AuditEntry,
        notifications: &[Notification],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM contacts WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn charter_versions(&self, account: AccountId) -> StoreResult<Vec<Charter>> {
        let rows: Vec<(Json<Charter>,)> =
            sqlx::query_as("SELECT state FROM charters WHERE account_id = $1 ORDER BY version")
                .bind(account.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(states(rows))
    }

    async fn charters_in_force(&self, accounts: &[AccountId]) -> StoreResult<Vec<Charter>> {
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
        let rows: Vec<(Json<Charter>,)> = sqlx::query_as(
            "SELECT DISTINCT ON (account_id) state FROM charters WHERE account_id = ANY($1) \
             ORDER BY account_id, version DESC",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(states(rows))
    }

    async fn save_charter(&self, change: &CharterChange) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let c = &change.charter;
        let inserted = sqlx::query(
            "INSERT INTO charters (account_id, version, created_at, state) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(c.account_id.0)
        .bind(c.version)
        .bind(ts(c.created_at))
        .bind(Json(c))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::Conflict("the charter changed meanwhile; reload it and try again".into()));
        }
        sqlx::query("DELETE FROM engagements WHERE account_id = $1 AND outcome = 'open' AND due_on >= $2")
            .bind(c.account_id.0)
            .bind(date(change.replace_open_from))
            .execute(&mut *tx)
            .await?;
        insert_engagements(&mut tx, &change.schedule).await?;
        insert_audit(&mut tx, &change.audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_engagements(&self, engagements: &[Engagement]) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let added = insert_engagements(&mut tx, engagements).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn list_engagements(&self, query: &EngagementQuery) -> StoreResult<Vec<Engagement>> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT e.state FROM engagements e JOIN accounts ON accounts.id = e.account_id WHERE TRUE",
        );
        if query.scope != AccountScope::All {
            push_scope(&mut q, query.scope, "accounts");
        }
        if let Some(account) = query.account_id {
            q.push(" AND e.account_id = ").push_bind(account.0);
        }
        if let Some(from) = query.from {
            q.push(" AND e.due_on >= ").push_bind(date(from));
        }
        if let Some(to) = query.to {
            q.push(" AND e.due_on <= ").push_bind(date(to));
        }
        if query.open_only {
            q.push(" AND e.outcome = 'open'");
        }
        if let Some(before) = query.overdue_unnotified_before {
            q.push(" AND e.outcome = 'open' AND NOT e.overdue_notified AND e.window_closes < ").push_bind(date(before));
        }
        q.push(" ORDER BY e.due_on, e.engagement_type, e.workload LIMIT ").push_bind(i64::from(query.limit));
        let rows: Vec<(Json<Engagement>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_engagement(&self, id: EngagementId) -> StoreResult<Engagement> {
        document(&self.pool, "engagements", id.0).await
    }

    async fn save_open_engagement(&self, engagement: &Engagement, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        update_engagement(&mut tx, engagement, true).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mark_overdue_notified(
        &self,
        ids: &[EngagementId],
        at: Timestamp,
        notifications: &[Notification],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        for id in ids {
            let row: Option<(Json<Engagement>,)> =
                sqlx::query_as("SELECT state FROM engagements WHERE id = $1 AND NOT overdue_notified FOR UPDATE")
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((Json(mut e),)) = row {
                e.overdue_notified_at = Some(at);
                update_engagement(&mut tx, &e, false).await?;
            }
        }
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_meeting(&self, record: &MeetingRecord) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let m = &record.meeting;
        sqlx::query("INSERT INTO meetings (id, account_id, starts_at, state) VALUES ($1, $2, $3, $4)")
            .bind(m.id.0)
            .bind(m.account_id.0)
            .bind(ts(m.starts_at))
            .bind(Json(m))
            .execute(&mut *tx)
            .await?;
        if let Some(e) = &record.engagement {
            update_engagement(&mut tx, e, true).await?;
        }
        for action in &record.actions {
            upsert_action(&mut tx, action).await?;
        }
        for contact in &record.contacts {
            upsert_contact(&mut tx, contact).await?;
        }
        insert_notifications(&mut tx, &record.notifications.iter().collect::<Vec<_>>()).await?;
        for audit in &record.audit {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_meeting(&self, id: MeetingId) -> StoreResult<Meeting> {
        document(&self.pool, "meetings", id.0).await
    }

    async fn list_meetings(&self, account: AccountId, limit: u32) -> StoreResult<Vec<Meeting>> {
        let rows: Vec<(Json<Meeting>,)> =
            sqlx::query_as("SELECT state FROM meetings WHERE account_id = $1 ORDER BY starts_at DESC, id LIMIT $2")
                .bind(account.0)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        Ok(states(rows))
    }

    async fn rotate_calendar_feed(
        &self,
        user: UserId,
        token_hash: &str,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(ts(at))
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO calendar_feeds (token_hash, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user.0)
            .bind(ts(at))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_calendar_feeds(&self, user: UserId, at: Timestamp, audit: &AuditEntry) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(ts(at))
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn calendar_feed_user(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let row: Option<(Uuid,)> =
            sqlx::query_as("SELECT user_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        let Some((user_id,)) = row else { return Ok(None) };
        let user = self.get_user(UserId(user_id)).await?;
        Ok(user.active.then_some(user))
    }

    async fn calendar_feed_created(&self, user: UserId) -> StoreResult<Option<Timestamp>> {
        let row: Option<(jiff_sqlx::Timestamp,)> =
            sqlx::query_as("SELECT created_at FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(at,)| jiff(at)))
    }

    async fn list_success_plans(&self, account: AccountId) -> StoreResult<Vec<SuccessPlan>> {
        let rows: Vec<(Json<SuccessPlan>,)> =
            sqlx::query_as("SELECT state FROM success_plans WHERE account_id = $1 ORDER BY updated_at DESC, id")
                .bind(account.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(states(rows))
    }

    async fn get_success_plan(&self, id: SuccessPlanId) -> StoreResult<SuccessPlan> {
        document(&self.pool, "success_plans", id.0).await
    }

    async fn save_success_plan(&self, change: &PlanChange<SuccessPlan>) -> StoreResult<SuccessPlan> {
        let p = &change.record;
        let mut stored = p.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if p.version == 0 {
            "INSERT INTO success_plans (account_id, shared, updated_at, version, state, id) VALUES ($1, $2, $3, $4, $5, $6)"
        } else {
            "UPDATE success_plans SET account_id = $1, shared = $2, updated_at = $3, version = $4, state = $5 \
             WHERE id = $6 AND version = $7"
        })
        .bind(p.account_id.0)
        .bind(p.shared_with_customer)
        .bind(ts(p.updated_at))
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(p.id.0);
        let q = if p.version == 0 { q } else { q.bind(p.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_risks(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
        live_only: bool,
    ) -> StoreResult<Vec<Risk>> {
        let mut q = scoped_documents("risks", scope, account);
        if live_only {
            q.push(" AND d.status IN ('open', 'mitigating')");
        }
        q.push(" ORDER BY d.score DESC, d.updated_at DESC LIMIT 5000");
        let rows: Vec<(Json<Risk>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_risk(&self, id: RiskId) -> StoreResult<Risk> {
        document(&self.pool, "risks", id.0).await
    }

    async fn save_risk(&self, change: &PlanChange<Risk>) -> StoreResult<Risk> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO risks (account_id, status, score, updated_at, version, state, id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        } else {
            "UPDATE risks SET account_id = $1, status = $2, score = $3, updated_at = $4, version = $5, state = $6 \
             WHERE id = $7 AND version = $8"
        })
        .bind(r.account_id.0)
        .bind(r.status.as_str())
        .bind(i32::from(r.score()))
        .bind(ts(r.updated_at))
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(r.id.0);
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_events(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
        ends_after: Option<Timestamp>,
    ) -> StoreResult<Vec<Event>> {
        let mut q = scoped_documents("events", scope, account);
        if let Some(after) = ends_after {
            q.push(" AND d.ends_at > ").push_bind(ts(after));
        }
        q.push(" ORDER BY d.starts_at, d.id LIMIT 5000");
        let rows: Vec<(Json<Event>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_event(&self, id: EventId) -> StoreResult<Event> {
        document(&self.pool, "events", id.0).await
    }

    async fn save_event(&self, change: &PlanChange<Event>) -> StoreResult<Event> {
        let e = &change.record;
        let mut stored = e.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if e.version == 0 {
            "INSERT INTO events (account_id, starts_at, ends_at, version, state, id) VALUES ($1, $2, $3, $4, $5, $6)"
        } else {
            "UPDATE events SET account_id = $1, starts_at = $2, ends_at = $3, version = $4, state = $5 \
             WHERE id = $6 AND version = $7"
        })
        .bind(e.account_id.0)
        .bind(ts(e.starts_at))
        .bind(ts(e.ends_at))
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(e.id.0);
        let q = if e.version == 0 { q } else { q.bind(e.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_quotas(&self, account: AccountId) -> StoreResult<Vec<Quota>> {
        let rows: Vec<(Json<Quota>,)> = sqlx::query_as("SELECT state FROM quotas WHERE account_id = $1 ORDER BY id")
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(states(rows))
    }

    async fn get_quota(&self, id: QuotaId) -> StoreResult<Quota> {
        document(&self.pool, "quotas", id.0).await
    }

    async fn save_quota(&self, change: &PlanChange<Quota>) -> StoreResult<Quota> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO quotas (account_id, version, state, id) VALUES ($1, $2, $3, $4)"
        } else {
            "UPDATE quotas SET account_id = $1, version = $2, state = $3 WHERE id = $4 AND version = $5"
        })
        .bind(r.account_id.0)
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(r.id.0);
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_feature_requests(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
    ) -> StoreResult<Vec<FeatureRequest>> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT f.state FROM feature_requests f WHERE EXISTS (SELECT 1 FROM feature_request_accounts fa \
             JOIN accounts ON accounts.id = fa.account_id WHERE fa.request_id = f.id",
        );
        if scope != AccountScope::All {
            push_scope(&mut q, scope, "accounts");
        }
        if let Some(account) = account {
            q.push(" AND fa.account_id = ").push_bind(account.0);
        }
        q.push(") ORDER BY f.updated_at DESC LIMIT 5000");
        let rows: Vec<(Json<FeatureRequest>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_feature_request(&self, id: FeatureRequestId) -> StoreResult<FeatureRequest> {
        document(&self.pool, "feature_requests", id.0).await
    }

    async fn save_feature_request(&self, change: &PlanChange<FeatureRequest>) -> StoreResult<FeatureRequest> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO feature_requests (status, updated_at, version, state, id) VALUES ($1, $2, $3, $4, $5)"
        } else {
            "UPDATE feature_requests SET status = $1, updated_at = $2, version = $3, state = $4 WHERE id = $5 AND version = $6"
        })
        .bind(r.status.as_str())
        .bind(ts(r.updated_at))
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(r.id.0);
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        sqlx::query("DELETE FROM feature_request_accounts WHERE request_id = $1")
            .bind(r.id.0)
            .execute(&mut *tx)
            .await?;
        for a in &r.accounts {
            sqlx::query("INSERT INTO feature_request_accounts (request_id, account_id) VALUES ($1, $2)")
                .bind(r.id.0)
                .bind(a.account_id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_opportunities(
        &self,
        scope: AccountScope,
        account: Option<AccountId>,
    ) -> StoreResult<Vec<Opportunity>> {
        let mut q = scoped_documents("opportunities", scope, account);
        q.push(" ORDER BY d.id LIMIT 5000");
        let rows: Vec<(Json<Opportunity>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_opportunity(&self, id: OpportunityId) -> StoreResult<Opportunity> {
        document(&self.pool, "opportunities", id.0).await
    }

    async fn save_opportunity(&self, change: &PlanChange<Opportunity>) -> StoreResult<Opportunity> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO opportunities (account_id, version, state, id) VALUES ($1, $2, $3, $4)"
        } else {
            "UPDATE opportunities SET account_id = $1, version = $2, state = $3 WHERE id = $4 AND version = $5"
        })
        .bind(r.account_id.0)
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(r.id.0);
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_findings(&self, scope: AccountScope, account: Option<AccountId>) -> StoreResult<Vec<Finding>> {
        let mut q = scoped_documents("findings", scope, account);
        q.push(" ORDER BY d.id LIMIT 10000");
        let rows: Vec<(Json<Finding>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_finding(&self, id: FindingId) -> StoreResult<Finding> {
        document(&self.pool, "findings", id.0).await
    }

    async fn save_finding(&self, change: &PlanChange<Finding>) -> StoreResult<Finding> {
        let mut tx = self.write().await?;
        let (stored, written) = write_finding(&mut tx, &change.record).await?;
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }
}
