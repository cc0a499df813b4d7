//! Contacts, charters, scheduled engagements, meetings and calendar feeds.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tamhub_domain::Timestamp;
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

use super::accounts::push_scope;
use super::actions::upsert_action;
use super::rows::*;
use super::tickets::insert_notifications;
use super::{SqliteStore, insert_audit, push_ids};
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

async fn insert_engagements(conn: &mut SqliteConnection, engagements: &[Engagement]) -> StoreResult<u64> {
    let mut added = 0;
    for chunk in engagements.chunks(200) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO engagements (id, account_id, engagement_type, workload, due_on, window_closes, outcome, \
             overdue_notified, state) ",
        );
        q.push_values(chunk, |mut row, e| {
            row.push_bind(e.id.to_string())
                .push_bind(e.account_id.to_string())
                .push_bind(e.engagement_type.as_str())
                .push_bind(e.workload.clone().unwrap_or_default())
                .push_bind(e.due_on.to_string())
                .push_bind(e.window_closes().to_string())
                .push_bind(outcome(e))
                .push_bind(e.overdue_notified_at.is_some())
                .push_bind(to_json(e));
        });
        q.push(" ON CONFLICT DO NOTHING");
        added += q.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

async fn update_engagement(conn: &mut SqliteConnection, e: &Engagement, only_open: bool) -> StoreResult<()> {
    let done = sqlx::query(if only_open {
        "UPDATE engagements SET outcome = ?, overdue_notified = ?, state = ? WHERE id = ? AND outcome = 'open'"
    } else {
        "UPDATE engagements SET outcome = ?, overdue_notified = ?, state = ? WHERE id = ?"
    })
    .bind(outcome(e))
    .bind(e.overdue_notified_at.is_some())
    .bind(to_json(e))
    .bind(e.id.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("the engagement was held or skipped meanwhile; reload it".into()));
    }
    Ok(())
}

async fn upsert_contact(conn: &mut SqliteConnection, c: &Contact) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contacts (id, account_id, name, executive_sponsor, state) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, executive_sponsor = excluded.executive_sponsor, \
         state = excluded.state",
    )
    .bind(c.id.to_string())
    .bind(c.account_id.to_string())
    .bind(&c.name)
    .bind(c.executive_sponsor)
    .bind(to_json(c))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a plan's or risk's change brings along: its actions, notifications and audit entries.
pub(super) async fn write_extras<T>(
    conn: &mut SqliteConnection,
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

pub(super) fn states<T: serde::de::DeserializeOwned>(rows: &[(String,)]) -> StoreResult<Vec<T>> {
    rows.iter().map(|(state,)| json(state)).collect()
}

/// The documents (`d.state`) of `table` whose account is in `scope` (and is `account` if given);
/// callers add their own filters on `d` and the order.
pub(super) fn scoped_documents(table: &str, scope: AccountScope, account: Option<AccountId>) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(format!(
        "SELECT d.state FROM {table} d JOIN accounts ON accounts.id = d.account_id WHERE 1 = 1"
    ));
    if scope != AccountScope::All {
        push_scope(&mut q, scope, "accounts");
    }
    if let Some(account) = account {
        q.push(" AND d.account_id = ").push_bind(account.to_string());
    }
    q
}

/// The document with this id in `table`.
pub(super) async fn document<T: serde::de::DeserializeOwned>(
    pool: &sqlx::SqlitePool,
    table: &str,
    id: String,
) -> StoreResult<T> {
    let row: Option<(String,)> = QueryBuilder::<Sqlite>::new(format!("SELECT state FROM {table} WHERE id = "))
        .push_bind(id)
        .build_query_as()
        .fetch_optional(pool)
        .await?;
    row.map_or(Err(StoreError::NotFound), |(state,)| json(&state))
}

/// Inserts a finding at version 0, else updates it if still at its version; returns it as stored
/// and the rows written (0: it changed meanwhile).
pub(super) async fn write_finding(conn: &mut SqliteConnection, r: &Finding) -> StoreResult<(Finding, u64)> {
    let mut stored = r.clone();
    stored.version += 1;
    let q = sqlx::query(if r.version == 0 {
        "INSERT INTO findings (account_id, status, version, state, id) VALUES (?, ?, ?, ?, ?)"
    } else {
        "UPDATE findings SET account_id = ?, status = ?, version = ?, state = ? WHERE id = ? AND version = ?"
    })
    .bind(r.account_id.to_string())
    .bind(r.status.as_str())
    .bind(stored.version)
    .bind(to_json(&stored))
    .bind(r.id.to_string());
    let q = if r.version == 0 { q } else { q.bind(r.version) };
    let written = q.execute(&mut *conn).await?.rows_affected();
    Ok((stored, written))
}

#[async_trait]
impl EngagementStore for SqliteStore {
    async fn list_contacts(&self, account: AccountId) -> StoreResult<Vec<Contact>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT state FROM contacts WHERE account_id = ? ORDER BY executive_sponsor DESC, name, id")
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await?;
        states(&rows)
    }

    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact> {
        document(&self.pool, "contacts", id.to_string()).await
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
        let done = sqlx::query("DELETE FROM contacts WHERE id = ?").bind(id.to_string()).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn charter_versions(&self, account: AccountId) -> StoreResult<Vec<Charter>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT state FROM charters WHERE account_id = ? ORDER BY version")
            .bind(account.to_string())
            .fetch_all(&self.pool)
            .await?;
        states(&rows)
    }

    async fn charters_in_force(&self, accounts: &[AccountId]) -> StoreResult<Vec<Charter>> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT c.state FROM charters c WHERE c.version = \
                 (SELECT MAX(l.version) FROM charters l WHERE l.account_id = c.account_id) AND c.account_id IN ",
            );
            push_ids(&mut q, chunk);
            let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
            out.extend(states::<Charter>(&rows)?);
        }
        Ok(out)
    }

    async fn save_charter(&self, change: &CharterChange) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let c = &change.charter;
        let inserted = sqlx::query(
            "INSERT INTO charters (account_id, version, created_at, state) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(c.account_id.to_string())
        .bind(c.version)
        .bind(ms(c.created_at))
        .bind(to_json(c))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::Conflict("the charter changed meanwhile; reload it and try again".into()));
        }
        sqlx::query("DELETE FROM engagements WHERE account_id = ? AND outcome = 'open' AND due_on >= ?")
            .bind(c.account_id.to_string())
            .bind(change.replace_open_from.to_string())
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
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT e.state FROM engagements e JOIN accounts ON accounts.id = e.account_id WHERE 1 = 1",
        );
        if query.scope != AccountScope::All {
            push_scope(&mut q, query.scope, "accounts");
        }
        if let Some(account) = query.account_id {
            q.push(" AND e.account_id = ").push_bind(account.to_string());
        }
        if let Some(from) = query.from {
            q.push(" AND e.due_on >= ").push_bind(from.to_string());
        }
        if let Some(to) = query.to {
            q.push(" AND e.due_on <= ").push_bind(to.to_string());
        }
        if query.open_only {
            q.push(" AND e.outcome = 'open'");
        }
        if let Some(before) = query.overdue_unnotified_before {
            q.push(" AND e.outcome = 'open' AND e.overdue_notified = 0 AND e.window_closes < ")
                .push_bind(before.to_string());
        }
        q.push(" ORDER BY e.due_on, e.engagement_type, e.workload LIMIT ").push_bind(i64::from(query.limit));
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        states(&rows)
    }

    async fn get_engagement(&self, id: EngagementId) -> StoreResult<Engagement> {
        document(&self.pool, "engagements", id.to_string()).await
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
            let row: Option<(String,)> =
                sqlx::query_as("SELECT state FROM engagements WHERE id = ? AND overdue_notified = 0")
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((state,)) = row {
                let mut e: Engagement = json(&state)?;
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
        sqlx::query("INSERT INTO meetings (id, account_id, starts_at, state) VALUES (?, ?, ?, ?)")
            .bind(m.id.to_string())
            .bind(m.account_id.to_string())
            .bind(ms(m.starts_at))
            .bind(to_json(m))
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
        document(&self.pool, "meetings", id.to_string()).await
    }

    async fn list_meetings(&self, account: AccountId, limit: u32) -> StoreResult<Vec<Meeting>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT state FROM meetings WHERE account_id = ? ORDER BY starts_at DESC, id LIMIT ?")
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        states(&rows)
    }

    async fn rotate_calendar_feed(
        &self,
        user: UserId,
        token_hash: &str,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE calendar_feeds SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(ms(at))
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO calendar_feeds (token_hash, user_id, created_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(user.to_string())
            .bind(ms(at))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_calendar_feeds(&self, user: UserId, at: Timestamp, audit: &AuditEntry) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE calendar_feeds SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(ms(at))
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn calendar_feed_user(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT user_id FROM calendar_feeds WHERE token_hash = ? AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        let Some((user_id,)) = row else { return Ok(None) };
        let user = self.get_user(id(&user_id)?).await?;
        Ok(user.active.then_some(user))
    }

    async fn calendar_feed_created(&self, user: UserId) -> StoreResult<Option<Timestamp>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT created_at FROM calendar_feeds WHERE user_id = ? AND revoked_at IS NULL")
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(at,)| ts(at)).transpose()
    }

    async fn list_success_plans(&self, account: AccountId) -> StoreResult<Vec<SuccessPlan>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT state FROM success_plans WHERE account_id = ? ORDER BY updated_at DESC, id")
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await?;
        states(&rows)
    }

    async fn get_success_plan(&self, id: SuccessPlanId) -> StoreResult<SuccessPlan> {
        document(&self.pool, "success_plans", id.to_string()).await
    }

    async fn save_success_plan(&self, change: &PlanChange<SuccessPlan>) -> StoreResult<SuccessPlan> {
        let p = &change.record;
        let mut stored = p.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if p.version == 0 {
            "INSERT INTO success_plans (account_id, shared, updated_at, version, state, id) VALUES (?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE success_plans SET account_id = ?, shared = ?, updated_at = ?, version = ?, state = ? \
             WHERE id = ? AND version = ?"
        })
        .bind(p.account_id.to_string())
        .bind(p.shared_with_customer)
        .bind(ms(p.updated_at))
        .bind(stored.version)
        .bind(to_json(&stored))
        .bind(p.id.to_string());
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
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        states(&rows)
    }

    async fn get_risk(&self, id: RiskId) -> StoreResult<Risk> {
        document(&self.pool, "risks", id.to_string()).await
    }

    async fn save_risk(&self, change: &PlanChange<Risk>) -> StoreResult<Risk> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO risks (account_id, status, score, updated_at, version, state, id) VALUES (?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE risks SET account_id = ?, status = ?, score = ?, updated_at = ?, version = ?, state = ? \
             WHERE id = ? AND version = ?"
        })
        .bind(r.account_id.to_string())
        .bind(r.status.as_str())
        .bind(i64::from(r.score()))
        .bind(ms(r.updated_at))
        .bind(stored.version)
        .bind(to_json(&stored))
        .bind(r.id.to_string());
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
            q.push(" AND d.ends_at > ").push_bind(ms(after));
        }
        q.push(" ORDER BY d.starts_at, d.id LIMIT 5000");
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        states(&rows)
    }

    async fn get_event(&self, id: EventId) -> StoreResult<Event> {
        document(&self.pool, "events", id.to_string()).await
    }

    async fn save_event(&self, change: &PlanChange<Event>) -> StoreResult<Event> {
        let e = &change.record;
        let mut stored = e.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if e.version == 0 {
            "INSERT INTO events (account_id, starts_at, ends_at, version, state, id) VALUES (?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE events SET account_id = ?, starts_at = ?, ends_at = ?, version = ?, state = ? WHERE id = ? AND version = ?"
        })
        .bind(e.account_id.to_string())
        .bind(ms(e.starts_at))
        .bind(ms(e.ends_at))
        .bind(stored.version)
        .bind(to_json(&stored))
        .bind(e.id.to_string());
        let q = if e.version == 0 { q } else { q.bind(e.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_quotas(&self, account: AccountId) -> StoreResult<Vec<Quota>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT state FROM quotas WHERE account_id = ? ORDER BY id")
            .bind(account.to_string())
            .fetch_all(&self.pool)
            .await?;
        states(&rows)
    }

    async fn get_quota(&self, id: QuotaId) -> StoreResult<Quota> {
        document(&self.pool, "quotas", id.to_string()).await
    }

    async fn save_quota(&self, change: &PlanChange<Quota>) -> StoreResult<Quota> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO quotas (account_id, version, state, id) VALUES (?, ?, ?, ?)"
        } else {
            "UPDATE quotas SET account_id = ?, version = ?, state = ? WHERE id = ? AND version = ?"
        })
        .bind(r.account_id.to_string())
        .bind(stored.version)
        .bind(to_json(&stored))
        .bind(r.id.to_string());
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
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT f.state FROM feature_requests f WHERE EXISTS (SELECT 1 FROM feature_request_accounts fa \
             JOIN accounts ON accounts.id = fa.account_id WHERE fa.request_id = f.id",
        );
        if scope != AccountScope::All {
            push_scope(&mut q, scope, "accounts");
        }
        if let Some(account) = account {
            q.push(" AND fa.account_id = ").push_bind(account.to_string());
        }
        q.push(") ORDER BY f.updated_at DESC LIMIT 5000");
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        states(&rows)
    }

    async fn get_feature_request(&self, id: FeatureRequestId) -> StoreResult<FeatureRequest> {
        document(&self.pool, "feature_requests", id.to_string()).await
    }

    async fn save_feature_request(&self, change: &PlanChange<FeatureRequest>) -> StoreResult<FeatureRequest> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO feature_requests (status, updated_at, version, state, id) VALUES (?, ?, ?, ?, ?)"
        } else {
            "UPDATE feature_requests SET status = ?, updated_at = ?, version = ?, state = ? WHERE id = ? AND version = ?"
        })
        .bind(r.status.as_str())
        .bind(ms(r.updated_at))
        .bind(stored.version)
        .bind(to_json(&stored))
        .bind(r.id.to_string());
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        sqlx::query("DELETE FROM feature_request_accounts WHERE request_id = ?")
            .bind(r.id.to_string())
            .execute(&mut *tx)
            .await?;
        for a in &r.accounts {
            sqlx::query("INSERT INTO feature_request_accounts (request_id, account_id) VALUES (?, ?)")
                .bind(r.id.to_string())
                .bind(a.account_id.to_string())
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
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        states(&rows)
    }

    async fn get_opportunity(&self, id: OpportunityId) -> StoreResult<Opportunity> {
        document(&self.pool, "opportunities", id.to_string()).await
    }

    async fn save_opportunity(&self, change: &PlanChange<Opportunity>) -> StoreResult<Opportunity> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO opportunities (account_id, version, state, id) VALUES (?, ?, ?, ?)"
        } else {
            "UPDATE opportunities SET account_id = ?, version = ?, state = ? WHERE id = ? AND version = ?"
        })
        .bind(r.account_id.to_string())
        .bind(stored.version)
        .bind(to_json(&stored))
        .bind(r.id.to_string());
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_findings(&self, scope: AccountScope, account: Option<AccountId>) -> StoreResult<Vec<Finding>> {
        let mut q = scoped_documents("findings", scope, account);
        q.push(" ORDER BY d.id LIMIT 10000");
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        states(&rows)
    }

    async fn get_finding(&self, id: FindingId) -> StoreResult<Finding> {
        document(&self.pool, "findings", id.to_string()).await
    }

    async fn save_finding(&self, change: &PlanChange<Finding>) -> StoreResult<Finding> {
        let mut tx = self.write().await?;
        let (stored, written) = write_finding(&mut tx, &change.record).await?;
        write_extras(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(stored)
    }
}
