//! Actions and the reminders sent about them.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tamhub_domain::Timestamp;
use tamhub_domain::actions::Action;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::ActionId;
use tamhub_domain::notifications::Notification;
use tamhub_domain::scope::AccountScope;

use super::accounts::push_scope;
use super::rows::*;
use super::tickets::insert_notifications;
use super::{SqliteStore, insert_audit};
use crate::actions::{ActionPage, ActionQuery, ActionReminder, ActionStore, ReminderKind};
use crate::{StoreError, StoreResult};

/// Inserts a new action (version 0) with the next number, or updates one still at its version.
pub(super) async fn upsert_action(conn: &mut SqliteConnection, action: &Action) -> StoreResult<Action> {
    let mut stored = action.clone();
    stored.version = action.version + 1;
    if action.version == 0 {
        let (number,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(number), 0) + 1 FROM actions").fetch_one(&mut *conn).await?;
        stored.number = number;
    }
    let a = &stored;
    let query = sqlx::query(if action.version == 0 {
        "INSERT INTO actions (incident_id, account_id, owner_id, service, priority, status, due_at, updated_at, \
           version, state, number, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    } else {
        "UPDATE actions SET incident_id = ?, account_id = ?, owner_id = ?, service = ?, priority = ?, status = ?, due_at = ?, \
           updated_at = ?, version = ?, state = ? WHERE number = ? AND id = ? AND version = ?"
    })
    .bind(a.source.incident_id().map(|i| i.to_string()))
    .bind(a.source.account_id().map(|i| i.to_string()))
    .bind(a.owner_id.to_string())
    .bind(a.service.as_deref())
    .bind(a.priority.as_str())
    .bind(a.status.as_str())
    .bind(a.due_at.map(ms))
    .bind(ms(a.updated_at))
    .bind(a.version)
    .bind(to_json(a))
    .bind(a.number)
    .bind(a.id.to_string());
    let query = if action.version == 0 { query } else { query.bind(action.version) };
    if query.execute(&mut *conn).await?.rows_affected() != 1 {
        return Err(StoreError::Conflict("the action changed meanwhile; reload it and try again".into()));
    }
    Ok(stored)
}

fn push_filters(q: &mut QueryBuilder<Sqlite>, query: &ActionQuery) {
    q.push(" WHERE 1 = 1");
    // An action concerns its own account (single-account sources) or its incident's accounts.
    if query.scope != AccountScope::All {
        q.push(
            " AND (EXISTS (SELECT 1 FROM incident_accounts ia JOIN accounts ON accounts.id = ia.account_id \
             WHERE ia.incident_id = a.incident_id",
        );
        push_scope(q, query.scope, "accounts");
        q.push(") OR EXISTS (SELECT 1 FROM accounts WHERE accounts.id = a.account_id");
        push_scope(q, query.scope, "accounts");
        q.push("))");
    }
    if let Some(account) = query.account_id {
        q.push(" AND (a.account_id = ").push_bind(account.to_string()).push(
            " OR EXISTS (SELECT 1 FROM incident_accounts ia WHERE ia.incident_id = a.incident_id AND ia.account_id = ",
        )
        .push_bind(account.to_string())
        .push("))");
    }
    if let Some(incident) = query.incident_id {
        q.push(" AND a.incident_id = ").push_bind(incident.to_string());
    }
    if let Some(service) = &query.service {
        q.push(" AND a.service = ").push_bind(service.clone()).push(" COLLATE NOCASE");
    }
    if let Some(owner) = query.owner_id {
        q.push(" AND a.owner_id = ").push_bind(owner.to_string());
    }
    if let Some(priority) = query.priority {
        q.push(" AND a.priority = ").push_bind(priority.as_str());
    }
    if !query.statuses.is_empty() {
        q.push(" AND a.status IN (");
        let mut list = q.separated(", ");
        for status in &query.statuses {
            list.push_bind(status.as_str());
        }
        q.push(")");
    }
    if let Some(now) = query.overdue_at {
        q.push(" AND a.status IN ('open', 'in_progress') AND a.due_at < ").push_bind(ms(now));
    }
}

#[async_trait]
impl ActionStore for SqliteStore {
    async fn save_action(
        &self,
        action: &Action,
        audit: &AuditEntry,
        notifications: &[Notification],
    ) -> StoreResult<Action> {
        let mut tx = self.write().await?;
        let stored = upsert_action(&mut tx, action).await?;
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn get_action(&self, id: ActionId) -> StoreResult<Action> {
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM actions WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Err(StoreError::NotFound), |(state,)| json(&state))
    }

    async fn list_actions(&self, query: &ActionQuery) -> StoreResult<ActionPage> {
        let mut tx = self.pool.begin().await?;
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM actions a");
        push_filters(&mut count, query);
        let (total,): (i64,) = count.build_query_as().fetch_one(&mut *tx).await?;
        let mut q = QueryBuilder::new("SELECT a.state FROM actions a");
        push_filters(&mut q, query);
        q.push(" ORDER BY a.due_at IS NULL, a.due_at, a.number LIMIT ").push_bind(i64::from(query.limit));
        q.push(" OFFSET ").push_bind(query.offset.min(i64::MAX as u64) as i64);
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let items = rows.iter().map(|(state,)| json(state)).collect::<StoreResult<_>>()?;
        Ok(ActionPage { items, total: total as u64 })
    }

    async fn actions_to_remind(&self, kind: ReminderKind, until: Timestamp, limit: u32) -> StoreResult<Vec<Action>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT a.state FROM actions a WHERE a.status IN ('open', 'in_progress') AND a.due_at < ? \
             AND NOT EXISTS (SELECT 1 FROM action_reminders r WHERE r.action_id = a.id AND r.kind = ? \
               AND r.due_at = a.due_at) \
             ORDER BY a.due_at LIMIT ?",
        )
        .bind(ms(until))
        .bind(kind.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(state,)| json(state)).collect()
    }

    async fn save_action_reminders(&self, reminders: &[ActionReminder], sent_at: Timestamp) -> StoreResult<()> {
        let mut tx = self.write().await?;
        for r in reminders {
            let done = sqlx::query(
                "INSERT INTO action_reminders (action_id, kind, due_at, sent_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(r.action_id.to_string())
            .bind(r.kind.as_str())
            .bind(ms(r.due_at))
            .bind(ms(sent_at))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                insert_notifications(&mut tx, &r.notifications.iter().collect::<Vec<_>>()).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
