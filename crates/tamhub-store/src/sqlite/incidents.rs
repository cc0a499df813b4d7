//! Incidents, their impacted accounts and their append-only timeline.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};
use tamhub_domain::ids::IncidentId;
use tamhub_domain::incident_cadence::CadenceAlert;
use tamhub_domain::incidents::{Incident, TimelineEntry};
use tamhub_domain::notifications::AlertKind;
use tamhub_domain::postmortems::PostIncidentReview;

use super::accounts::push_scope;
use super::rows::*;
use super::tickets::insert_notifications;
use super::{SqliteStore, insert_audit, is_unique_violation};
use crate::incidents::{
    CadenceAlertNotices, CadenceEvaluation, CadenceSnapshot, IncidentChange, IncidentListItem, IncidentPage,
    IncidentQuery, IncidentStore,
};
use crate::{StoreError, StoreResult};

fn changed_meanwhile() -> StoreError {
    StoreError::Conflict("the incident changed meanwhile; reload it and try again".into())
}

/// Inserts the alerts that are new and, for those only, their notifications (R-W4).
async fn insert_cadence_alerts(
    conn: &mut sqlx::SqliteConnection,
    alerts: &[CadenceAlertNotices],
    recorded_at: tamhub_domain::Timestamp,
) -> StoreResult<()> {
    for a in alerts {
        let done = sqlx::query(
            "INSERT INTO incident_alerts (incident_id, cycle_no, kind, threshold, at, recorded_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(a.alert.incident_id.to_string())
        .bind(i64::from(a.alert.cycle_no))
        .bind(a.alert.kind.as_str())
        .bind(a.alert.threshold)
        .bind(ms(a.alert.at))
        .bind(ms(recorded_at))
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 1 {
            insert_notifications(conn, &a.notifications.iter().collect::<Vec<_>>()).await?;
        }
    }
    Ok(())
}

fn push_filters(q: &mut QueryBuilder<Sqlite>, query: &IncidentQuery) {
    q.push(" WHERE 1 = 1");
    if query.scope != tamhub_domain::scope::AccountScope::All {
        q.push(
            " AND EXISTS (SELECT 1 FROM incident_accounts ia JOIN accounts ON accounts.id = ia.account_id \
             WHERE ia.incident_id = i.id",
        );
        push_scope(q, query.scope, "accounts");
        q.push(")");
    }
    if let Some(account) = query.account_id {
        q.push(" AND EXISTS (SELECT 1 FROM incident_accounts ia WHERE ia.incident_id = i.id AND ia.account_id = ")
            .push_bind(account.to_string())
            .push(")");
    }
    if !query.statuses.is_empty() {
        q.push(" AND i.status IN (");
        let mut list = q.separated(", ");
        for status in &query.statuses {
            list.push_bind(status.as_str());
        }
        q.push(")");
    }
    if let Some(severity) = query.severity {
        q.push(" AND i.severity = ").push_bind(severity.as_str());
    }
    if let Some(from) = query.declared_from {
        q.push(" AND i.declared_at >= ").push_bind(ms(from));
    }
    if let Some(before) = query.declared_before {
        q.push(" AND i.declared_at < ").push_bind(ms(before));
    }
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn save_incident_change(&self, change: &IncidentChange) -> StoreResult<Incident> {
        let mut tx = self.write().await?;
        let mut incident = change.incident.clone();
        let last_seq = change.entries.last().map_or(change.expected_last_seq, |e| e.seq);
        if change.is_new {
            let (number,): (i64,) =
                sqlx::query_as("SELECT COALESCE(MAX(number), 0) + 1 FROM incidents").fetch_one(&mut *tx).await?;
            incident.number = number;
        }
        let i = &incident;
        let mut columns = sqlx::query(if change.is_new {
            "INSERT INTO incidents (title, severity, max_severity, status, test, declared_at, updated_at, last_seq, \
               state, update_due_at, cadence_next_check_at, number, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        } else {
            "UPDATE incidents SET title = ?, severity = ?, max_severity = ?, status = ?, test = ?, declared_at = ?, \
               updated_at = ?, last_seq = ?, state = ?, update_due_at = ?, cadence_next_check_at = ? \
             WHERE number = ? AND id = ? AND last_seq = ?"
        })
        .bind(&i.title)
        .bind(i.severity.as_str())
        .bind(i.max_severity.as_str())
        .bind(i.status.as_str())
        .bind(i.test)
        .bind(ms(i.milestones.declared_at))
        .bind(ms(i.updated_at))
        .bind(last_seq)
        .bind(to_json(i))
        .bind(change.cadence.update_due_at.map(ms))
        .bind(change.cadence.next_check_at.map(ms))
        .bind(i.number)
        .bind(i.id.to_string());
        if !change.is_new {
            // Optimistic concurrency: the timeline must still be the one the change was planned on.
            columns = columns.bind(change.expected_last_seq);
        }
        if columns.execute(&mut *tx).await?.rows_affected() != 1 {
            return Err(changed_meanwhile());
        }
        sqlx::query("DELETE FROM incident_accounts WHERE incident_id = ?")
            .bind(i.id.to_string())
            .execute(&mut *tx)
            .await?;
        if !i.impacted_account_ids.is_empty() {
            let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO incident_accounts (incident_id, account_id) ");
            insert.push_values(&i.impacted_account_ids, |mut row, account| {
                row.push_bind(i.id.to_string()).push_bind(account.to_string());
            });
            insert.build().execute(&mut *tx).await?;
        }
        for e in &change.entries {
            let inserted = sqlx::query(
                "INSERT INTO incident_timeline (incident_id, seq, at, actor_id, kind, payload) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(e.incident_id.to_string())
            .bind(e.seq)
            .bind(ms(e.at))
            .bind(e.actor_id.map(|u| u.to_string()))
            .bind(e.kind.name())
            .bind(to_json(&e.kind))
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(err) if is_unique_violation(&err) => return Err(changed_meanwhile()),
                other => other?,
            };
        }
        if let Some(review) = &change.review {
            sqlx::query(
                "INSERT INTO incident_reviews (incident_id, status, due_at, updated_at, state) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (incident_id) DO UPDATE SET status = excluded.status, due_at = excluded.due_at, \
                   updated_at = excluded.updated_at, state = excluded.state",
            )
            .bind(review.incident_id.to_string())
            .bind(review.status.as_str())
            .bind(review.due_at.map(ms))
            .bind(ms(review.updated_at))
            .bind(to_json(review))
            .execute(&mut *tx)
            .await?;
        }
        for action in &change.actions {
            super::actions::upsert_action(&mut tx, action).await?;
        }
        insert_cadence_alerts(&mut tx, &change.alerts, i.updated_at).await?;
        insert_notifications(&mut tx, &change.notifications.iter().collect::<Vec<_>>()).await?;
        for entry in &change.audit {
            insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(incident)
    }

    async fn get_incident(&self, id: IncidentId) -> StoreResult<Incident> {
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM incidents WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Err(StoreError::NotFound), |(state,)| json(&state))
    }

    async fn incident_timeline(&self, id: IncidentId) -> StoreResult<Vec<TimelineEntry>> {
        let rows: Vec<TimelineRow> = sqlx::query_as(
            "SELECT incident_id, seq, at, actor_id, payload FROM incident_timeline WHERE incident_id = ? ORDER BY seq",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn list_incidents(&self, query: &IncidentQuery) -> StoreResult<IncidentPage> {
        let mut tx = self.pool.begin().await?;
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM incidents i");
        push_filters(&mut count, query);
        let (total,): (i64,) = count.build_query_as().fetch_one(&mut *tx).await?;
        let mut q = QueryBuilder::new("SELECT i.state, i.update_due_at, i.cadence_next_check_at FROM incidents i");
        push_filters(&mut q, query);
        q.push(" ORDER BY i.declared_at DESC, i.number DESC LIMIT ").push_bind(i64::from(query.limit));
        q.push(" OFFSET ").push_bind(query.offset.min(i64::MAX as u64) as i64);
        let rows: Vec<(String, Option<i64>, Option<i64>)> = q.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let items = rows
            .iter()
            .map(|(state, due, next)| {
                Ok(IncidentListItem {
                    incident: json(state)?,
                    cadence: CadenceSnapshot { update_due_at: opt_ts(*due)?, next_check_at: opt_ts(*next)? },
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(IncidentPage { items, total: total as u64 })
    }

    async fn incident_review(&self, id: IncidentId) -> StoreResult<Option<PostIncidentReview>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM incident_reviews WHERE incident_id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(state,)| json(&state)).transpose()
    }

    async fn incident_reviews(&self, ids: &[IncidentId]) -> StoreResult<Vec<PostIncidentReview>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT state FROM incident_reviews WHERE incident_id IN ");
            super::push_ids(&mut q, chunk);
            let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
            for (state,) in rows {
                out.push(json(&state)?);
            }
        }
        Ok(out)
    }

    async fn incident_cadence(&self, id: IncidentId) -> StoreResult<CadenceSnapshot> {
        let row: Option<(Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT update_due_at, cadence_next_check_at FROM incidents WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        let (due, next) = row.ok_or(StoreError::NotFound)?;
        Ok(CadenceSnapshot { update_due_at: opt_ts(due)?, next_check_at: opt_ts(next)? })
    }

    async fn due_cadence_checks(&self, now: tamhub_domain::Timestamp, limit: u32) -> StoreResult<Vec<IncidentId>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM incidents WHERE cadence_next_check_at IS NOT NULL AND cadence_next_check_at <= ? \
             ORDER BY cadence_next_check_at LIMIT ?",
        )
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(text,)| id(text)).collect()
    }

    async fn save_cadence_evaluation(&self, e: &CadenceEvaluation) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE incidents SET update_due_at = ?, cadence_next_check_at = ? WHERE id = ? AND last_seq = ?",
        )
        .bind(e.cadence.update_due_at.map(ms))
        .bind(e.cadence.next_check_at.map(ms))
        .bind(e.incident_id.to_string())
        .bind(e.last_seq)
        .execute(&mut *tx)
        .await?;
        let fresh = done.rows_affected() == 1;
        if fresh {
            insert_cadence_alerts(&mut tx, &e.alerts, e.evaluated_at).await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }

    async fn incident_alerts(&self, incident: IncidentId) -> StoreResult<Vec<CadenceAlert>> {
        let rows: Vec<(String, i64, String, i64, i64)> = sqlx::query_as(
            "SELECT incident_id, cycle_no, kind, threshold, at FROM incident_alerts WHERE incident_id = ? \
             ORDER BY at, cycle_no, kind, threshold",
        )
        .bind(incident.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(incident_id, cycle_no, kind, threshold, at)| {
                Ok(CadenceAlert {
                    incident_id: id(&incident_id)?,
                    cycle_no: u32::try_from(cycle_no).map_err(|_| StoreError::Corrupt(format!("cycle {cycle_no}")))?,
                    kind: AlertKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("alert kind {kind:?}")))?,
                    threshold,
                    at: ts(at)?,
                })
            })
            .collect()
    }
}
