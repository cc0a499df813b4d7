//! Incidents, their impacted accounts and their append-only timeline.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use tamhub_domain::ids::{IncidentId, UserId};
use tamhub_domain::incident_cadence::CadenceAlert;
use tamhub_domain::incidents::{Incident, TimelineEntry, TimelineKind};
use tamhub_domain::notifications::AlertKind;
use tamhub_domain::postmortems::PostIncidentReview;
use uuid::Uuid;

use super::accounts::push_scope;
use super::rows::*;
use super::tickets::insert_notifications;
use super::{PgStore, insert_audit, is_unique_violation};
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
    conn: &mut sqlx::PgConnection,
    alerts: &[CadenceAlertNotices],
    recorded_at: tamhub_domain::Timestamp,
) -> StoreResult<()> {
    for a in alerts {
        let done = sqlx::query(
            "INSERT INTO incident_alerts (incident_id, cycle_no, kind, threshold, at, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(a.alert.incident_id.0)
        .bind(i32::try_from(a.alert.cycle_no).unwrap_or(i32::MAX))
        .bind(a.alert.kind.as_str())
        .bind(a.alert.threshold)
        .bind(ts(a.alert.at))
        .bind(ts(recorded_at))
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 1 {
            insert_notifications(conn, &a.notifications.iter().collect::<Vec<_>>()).await?;
        }
    }
    Ok(())
}

fn push_filters(q: &mut QueryBuilder<Postgres>, query: &IncidentQuery) {
    q.push(" WHERE TRUE");
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
            .push_bind(account.0)
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
        q.push(" AND i.declared_at >= ").push_bind(ts(from));
    }
    if let Some(before) = query.declared_before {
        q.push(" AND i.declared_at < ").push_bind(ts(before));
    }
}

#[derive(sqlx::FromRow)]
struct TimelineRow {
    incident_id: Uuid,
    seq: i64,
    at: jiff_sqlx::Timestamp,
    actor_id: Option<Uuid>,
    payload: Json<TimelineKind>,
}

impl From<TimelineRow> for TimelineEntry {
    fn from(r: TimelineRow) -> TimelineEntry {
        TimelineEntry {
            incident_id: IncidentId(r.incident_id),
            seq: r.seq,
            at: jiff(r.at),
            actor_id: r.actor_id.map(UserId),
            kind: r.payload.0,
        }
    }
}

#[async_trait]
impl IncidentStore for PgStore {
    async fn save_incident_change(&self, change: &IncidentChange) -> StoreResult<Incident> {
        let mut tx = self.write().await?;
        let mut incident = change.incident.clone();
        let last_seq = change.entries.last().map_or(change.expected_last_seq, |e| e.seq);
        if change.is_new {
            // A sequence: two servers never hand out the same number.
            let (number,): (i64,) = sqlx::query_as("SELECT nextval('incident_numbers')").fetch_one(&mut *tx).await?;
            incident.number = number;
        }
        let i = &incident;
        let mut columns = sqlx::query(if change.is_new {
            "INSERT INTO incidents (title, severity, max_severity, status, test, declared_at, updated_at, last_seq, \
               state, update_due_at, cadence_next_check_at, number, id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        } else {
            "UPDATE incidents SET title = $1, severity = $2, max_severity = $3, status = $4, test = $5, \
               declared_at = $6, updated_at = $7, last_seq = $8, state = $9, update_due_at = $10, \
               cadence_next_check_at = $11 WHERE number = $12 AND id = $13 AND last_seq = $14"
        })
        .bind(&i.title)
        .bind(i.severity.as_str())
        .bind(i.max_severity.as_str())
        .bind(i.status.as_str())
        .bind(i.test)
        .bind(ts(i.milestones.declared_at))
        .bind(ts(i.updated_at))
        .bind(last_seq)
        .bind(Json(i))
        .bind(opt_ts(change.cadence.update_due_at))
        .bind(opt_ts(change.cadence.next_check_at))
        .bind(i.number)
        .bind(i.id.0);
        if !change.is_new {
            // Optimistic concurrency: the timeline must still be the one the change was planned on.
            columns = columns.bind(change.expected_last_seq);
        }
        if columns.execute(&mut *tx).await?.rows_affected() != 1 {
            return Err(changed_meanwhile());
        }
        sqlx::query("DELETE FROM incident_accounts WHERE incident_id = $1").bind(i.id.0).execute(&mut *tx).await?;
        if !i.impacted_account_ids.is_empty() {
            let mut insert = QueryBuilder::<Postgres>::new("INSERT INTO incident_accounts (incident_id, account_id) ");
            insert.push_values(&i.impacted_account_ids, |mut row, account| {
                row.push_bind(i.id.0).push_bind(account.0);
            });
            insert.build().execute(&mut *tx).await?;
        }
        for e in &change.entries {
            let inserted = sqlx::query(
                "INSERT INTO incident_timeline (incident_id, seq, at, actor_id, kind, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(e.incident_id.0)
            .bind(e.seq)
            .bind(ts(e.at))
            .bind(e.actor_id.map(|u| u.0))
            .bind(e.kind.name())
            .bind(Json(&e.kind))
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(err) if is_unique_violation(&err) => return Err(changed_meanwhile()),
                other => other?,
            };
        }
        if let Some(review) = &change.review {
            sqlx::query(
                "INSERT INTO incident_reviews (incident_id, status, due_at, updated_at, state) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (incident_id) DO UPDATE SET status = excluded.status, \
                   due_at = excluded.due_at, updated_at = excluded.updated_at, state = excluded.state",
            )
            .bind(review.incident_id.0)
            .bind(review.status.as_str())
            .bind(opt_ts(review.due_at))
            .bind(ts(review.updated_at))
            .bind(Json(review))
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
        let row: Option<(Json<Incident>,)> =
            sqlx::query_as("SELECT state FROM incidents WHERE id = $1").bind(id.0).fetch_optional(&self.pool).await?;
        row.map(|(state,)| state.0).ok_or(StoreError::NotFound)
    }

    async fn incident_timeline(&self, id: IncidentId) -> StoreResult<Vec<TimelineEntry>> {
        let rows: Vec<TimelineRow> = sqlx::query_as(
            "SELECT incident_id, seq, at, actor_id, payload FROM incident_timeline WHERE incident_id = $1 ORDER BY seq",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
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
        type Row = (Json<Incident>, Option<jiff_sqlx::Timestamp>, Option<jiff_sqlx::Timestamp>);
        let rows: Vec<Row> = q.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let items = rows
            .into_iter()
            .map(|(state, due, next)| IncidentListItem {
                incident: state.0,
                cadence: CadenceSnapshot { update_due_at: opt_jiff(due), next_check_at: opt_jiff(next) },
            })
            .collect();
        Ok(IncidentPage { items, total: total as u64 })
    }

    async fn incident_review(&self, id: IncidentId) -> StoreResult<Option<PostIncidentReview>> {
        let row: Option<(Json<PostIncidentReview>,)> =
            sqlx::query_as("SELECT state FROM incident_reviews WHERE incident_id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(state,)| state.0))
    }

    async fn incident_reviews(&self, ids: &[IncidentId]) -> StoreResult<Vec<PostIncidentReview>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<(Json<PostIncidentReview>,)> =
            sqlx::query_as("SELECT state FROM incident_reviews WHERE incident_id = ANY($1)")
                .bind(&ids)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(state,)| state.0).collect())
    }

    async fn incident_cadence(&self, id: IncidentId) -> StoreResult<CadenceSnapshot> {
        let row: Option<(Option<jiff_sqlx::Timestamp>, Option<jiff_sqlx::Timestamp>)> =
            sqlx::query_as("SELECT update_due_at, cadence_next_check_at FROM incidents WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        let (due, next) = row.ok_or(StoreError::NotFound)?;
        Ok(CadenceSnapshot { update_due_at: opt_jiff(due), next_check_at: opt_jiff(next) })
    }

    async fn due_cadence_checks(&self, now: tamhub_domain::Timestamp, limit: u32) -> StoreResult<Vec<IncidentId>> {
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM incidents WHERE cadence_next_check_at IS NOT NULL AND cadence_next_check_at <= $1 \
             ORDER BY cadence_next_check_at LIMIT $2",
        )
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| IncidentId(id)).collect())
    }

    async fn save_cadence_evaluation(&self, e: &CadenceEvaluation) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE incidents SET update_due_at = $1, cadence_next_check_at = $2 WHERE id = $3 AND last_seq = $4",
        )
        .bind(opt_ts(e.cadence.update_due_at))
        .bind(opt_ts(e.cadence.next_check_at))
        .bind(e.incident_id.0)
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
        let rows: Vec<(Uuid, i32, String, i64, jiff_sqlx::Timestamp)> = sqlx::query_as(
            "SELECT incident_id, cycle_no, kind, threshold, at FROM incident_alerts WHERE incident_id = $1 \
             ORDER BY at, cycle_no, kind, threshold",
        )
        .bind(incident.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(incident_id, cycle_no, kind, threshold, at)| {
                Ok(CadenceAlert {
                    incident_id: IncidentId(incident_id),
                    cycle_no: u32::try_from(cycle_no).map_err(|_| StoreError::Corrupt(format!("cycle {cycle_no}")))?,
                    kind: AlertKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("alert kind {kind:?}")))?,
                    threshold,
                    at: jiff(at),
                })
            })
            .collect()
    }
}
