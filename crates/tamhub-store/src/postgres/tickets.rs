//! Tickets, their event log and cached SLA state, alerts, notifications, escalations, leases.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use tamhub_domain::Timestamp;
use tamhub_domain::escalations::Escalation;
use tamhub_domain::ids::{AccountId, NotificationId, TicketId, UserId};
use tamhub_domain::notifications::{Notification, SlaAlert};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::tickets::{Ticket, TicketEvent};
use uuid::Uuid;

use super::accounts::{escape_like, push_scope};
use super::rows::*;
use super::{PgStore, insert_audit, is_unique_violation};
use crate::sla::InputsChange;
use crate::tickets::{
    AlertNotices, SlaEvaluation, SlaSnapshot, StatusFilter, TicketChange, TicketListItem, TicketPage, TicketQuery,
    TicketStore,
};
use crate::{StoreError, StoreResult};

fn changed_meanwhile() -> StoreError {
    StoreError::Conflict("the ticket changed meanwhile; reload it and try again".into())
}

async fn insert_event(conn: &mut PgConnection, e: &TicketEvent) -> StoreResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO ticket_events (ticket_id, seq, at, actor_id, kind, payload) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.ticket_id.0)
    .bind(e.seq)
    .bind(ts(e.at))
    .bind(e.actor_id.map(|i| i.0))
    .bind(e.kind.name())
    .bind(Json(&e.kind))
    .execute(conn)
    .await;
    match inserted {
        Err(err) if is_unique_violation(&err) => Err(changed_meanwhile()),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Rows per multi-row statement: one round trip to the database for a batch, well under
/// PostgreSQL's limit of 65,535 bound parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

pub(super) async fn insert_notifications(conn: &mut PgConnection, notifications: &[&Notification]) -> StoreResult<()> {
    for chunk in notifications.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO notifications (id, user_id, at, kind, account_id, ticket_id, incident_id, action_id, title, \
             body, read_at) ",
        );
        insert.push_values(chunk, |mut row, n| {
            row.push_bind(n.id.0)
                .push_bind(n.user_id.0)
                .push_bind(ts(n.at))
                .push_bind(n.kind.clone())
                .push_bind(n.account_id.map(|i| i.0))
                .push_bind(n.ticket_id.map(|i| i.0))
                .push_bind(n.incident_id.map(|i| i.0))
                .push_bind(n.action_id.map(|i| i.0))
                .push_bind(n.title.clone())
                .push_bind(n.body.clone())
                .push_bind(opt_ts(n.read_at));
        });
        insert.build().execute(&mut *conn).await?;
    }
    Ok(())
}

type AlertKey = (Uuid, String, i32, String, i64);

fn alert_key(alert: &SlaAlert) -> AlertKey {
    (
        alert.ticket_id.0,
        alert.metric.as_str().to_owned(),
        i32::try_from(alert.cycle_no).unwrap_or(i32::MAX),
        alert.kind.as_str().to_owned(),
        alert.threshold,
    )
}

/// Inserts the alerts that are new, each with the instant it was recorded, and for those only
/// their notifications (R-W4: an alert and its notifications exist once however often a ticket
/// is evaluated, by however many servers).
async fn insert_alerts(conn: &mut PgConnection, alerts: &[(&AlertNotices, Timestamp)]) -> StoreResult<()> {
    let mut inserted = std::collections::HashSet::new();
    for chunk in alerts.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO sla_alerts (ticket_id, metric, cycle_no, kind, threshold, at, recorded_at) ",
        );
        insert.push_values(chunk, |mut row, (notices, recorded_at)| {
            let (ticket_id, metric, cycle_no, kind, threshold) = alert_key(&notices.alert);
            row.push_bind(ticket_id)
                .push_bind(metric)
                .push_bind(cycle_no)
                .push_bind(kind)
                .push_bind(threshold)
                .push_bind(ts(notices.alert.at))
                .push_bind(ts(*recorded_at));
        });
        insert.push(" ON CONFLICT DO NOTHING RETURNING ticket_id, metric, cycle_no, kind, threshold");
        inserted.extend(insert.build_query_as::<AlertKey>().fetch_all(&mut *conn).await?);
    }
    let notifications: Vec<&Notification> = alerts
        .iter()
        .filter(|(notices, _)| inserted.remove(&alert_key(&notices.alert)))
        .flat_map(|(notices, _)| &notices.notifications)
        .collect();
    insert_notifications(conn, &notifications).await
}

async fn save_escalation(conn: &mut PgConnection, e: &Escalation) -> StoreResult<()> {
    let score = |s: i64| i32::try_from(s).unwrap_or(0);
    let done = sqlx::query(
        "INSERT INTO escalations (id, ticket_id, brief, engineering_team, engineering_owner_id, escalated_by, \
           escalated_at, acknowledged_by, acknowledged_at, completeness_score, reviewer_score, reviewer_id, \
           reviewer_note, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (id) DO UPDATE SET acknowledged_by = excluded.acknowledged_by, \
           acknowledged_at = excluded.acknowledged_at, reviewer_score = excluded.reviewer_score, \
           reviewer_id = excluded.reviewer_id, reviewer_note = excluded.reviewer_note, reviewed_at = excluded.reviewed_at",
    )
    .bind(e.id.0)
    .bind(e.ticket_id.0)
    .bind(Json(&e.brief))
    .bind(&e.engineering_team)
    .bind(e.engineering_owner_id.map(|i| i.0))
    .bind(e.escalated_by.map(|i| i.0))
    .bind(ts(e.escalated_at))
    .bind(e.acknowledged_by.map(|i| i.0))
    .bind(opt_ts(e.acknowledged_at))
    .bind(score(e.completeness_score))
    .bind(e.reviewer_score.map(score))
    .bind(e.reviewer_id.map(|i| i.0))
    .bind(&e.reviewer_note)
    .bind(opt_ts(e.reviewed_at))
    .execute(conn)
    .await;
    match done {
        Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict("the ticket is already escalated".into())),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

fn push_ticket_filters(q: &mut QueryBuilder<Postgres>, query: &TicketQuery) {
    q.push(" WHERE 1 = 1");
    // Scope as a subquery on accounts, so counting needs no join.
    if query.scope != AccountScope::All {
        q.push(" AND t.account_id IN (SELECT a.id FROM accounts a WHERE 1 = 1");
        push_scope(q, query.scope, "a");
        q.push(")");
    }
    if let Some(account) = query.account_id {
        q.push(" AND t.account_id = ").push_bind(account.0);
    }
    if let Some(user) = query.assignee {
        q.push(" AND t.assignee_id = ").push_bind(user.0);
    }
    if query.unassigned {
        q.push(" AND t.assignee_id IS NULL");
    }
    match query.status {
        StatusFilter::Open => {
            q.push(" AND t.status NOT IN ('solved', 'closed')");
        }
        StatusFilter::Done => {
            q.push(" AND t.status IN ('solved', 'closed')");
        }
        StatusFilter::All => {}
        StatusFilter::Only(status) => {
            q.push(" AND t.status = ").push_bind(status.as_str());
        }
    }
    if let Some(priority) = query.priority {
        q.push(" AND t.priority = ").push_bind(priority.as_str());
    }
    if let Some(number) = query.number {
        q.push(" AND t.number = ").push_bind(number);
    }
    if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q.push(" AND t.title ILIKE ").push_bind(format!("%{}%", escape_like(text))).push(" ESCAPE '\\'");
    }
}

#[derive(sqlx::FromRow)]
struct TicketRowWithAccount {
    #[sqlx(flatten)]
    ticket: TicketRow,
    account_name: String,
    sla_due_at: Option<jiff_sqlx::Timestamp>,
}

#[async_trait]
impl TicketStore for PgStore {
    async fn save_ticket_change(&self, change: &TicketChange) -> StoreResult<Ticket> {
        let mut tx = self.write().await?;
        let t = &change.ticket;
        let last_seq = change.events.last().map_or(change.expected_last_seq, |e| e.seq);
        let mut ticket = t.clone();
        if change.is_new {
            let (number,): (i64,) = sqlx::query_as(
                "INSERT INTO tickets (id, number, account_id, title, description, priority, status, ticket_type, \
                   assignee_id, requester_id, created_by, created_at, updated_at, last_seq, sla_evaluated_at, \
                   sla_cycles, sla_due_at, sla_next_check_at) \
                 VALUES ($1, nextval('ticket_numbers'), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                   $15, $16, $17) RETURNING number",
            )
            .bind(t.id.0)
            .bind(t.account_id.0)
            .bind(&t.title)
            .bind(&t.description)
            .bind(t.priority.as_str())
            .bind(t.status.as_str())
            .bind(t.ticket_type.as_str())
            .bind(t.assignee_id.map(|i| i.0))
            .bind(t.requester_id.map(|i| i.0))
            .bind(t.created_by.map(|i| i.0))
            .bind(ts(t.created_at))
            .bind(ts(t.updated_at))
            .bind(last_seq)
            .bind(ts(change.sla.evaluated_at))
            .bind(Json(&change.sla.cycles))
            .bind(opt_ts(change.sla.due_at))
            .bind(opt_ts(change.sla.next_check_at))
            .fetch_one(&mut *tx)
            .await?;
            ticket.number = number;
        } else {
            // Optimistic concurrency: the log must still be the one the change was planned on.
            let done = sqlx::query(
                "UPDATE tickets SET title = $1, description = $2, priority = $3, status = $4, ticket_type = $5, \
                   assignee_id = $6, requester_id = $7, updated_at = $8, last_seq = $9, \
                   sla_evaluated_at = $10, sla_cycles = $11, sla_due_at = $12, sla_next_check_at = $13 \
                 WHERE id = $14 AND last_seq = $15",
            )
            .bind(&t.title)
            .bind(&t.description)
            .bind(t.priority.as_str())
            .bind(t.status.as_str())
            .bind(t.ticket_type.as_str())
            .bind(t.assignee_id.map(|i| i.0))
            .bind(t.requester_id.map(|i| i.0))
            .bind(ts(t.updated_at))
            .bind(last_seq)
            .bind(ts(change.sla.evaluated_at))
            .bind(Json(&change.sla.cycles))
            .bind(opt_ts(change.sla.due_at))
            .bind(opt_ts(change.sla.next_check_at))
            .bind(t.id.0)
            .bind(change.expected_last_seq)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let exists: Option<(i32,)> =
                    sqlx::query_as("SELECT 1 FROM tickets WHERE id = $1").bind(t.id.0).fetch_optional(&mut *tx).await?;
                return Err(if exists.is_some() { changed_meanwhile() } else { StoreError::NotFound });
            }
        }
        for event in &change.events {
            insert_event(&mut tx, event).await?;
        }
        if let Some(escalation) = &change.escalation {
            save_escalation(&mut tx, escalation).await?;
        }
        let alerts: Vec<_> = change.alerts.iter().map(|a| (a, change.sla.evaluated_at)).collect();
        insert_alerts(&mut tx, &alerts).await?;
        insert_notifications(&mut tx, &change.notifications.iter().collect::<Vec<_>>()).await?;
        for entry in &change.audit {
            insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await?;
        Ok(ticket)
    }

    async fn get_ticket(&self, id: TicketId) -> StoreResult<Ticket> {
        let row: Option<TicketRow> =
            sqlx::query_as(concat!("SELECT ", ticket_columns!("t"), " FROM tickets t WHERE t.id = $1"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn get_tickets(&self, ids: &[TicketId]) -> StoreResult<Vec<Ticket>> {
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<TicketRow> =
            sqlx::query_as(concat!("SELECT ", ticket_columns!("t"), " FROM tickets t WHERE t.id = ANY($1)"))
                .bind(ids)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn ticket_events(&self, id: TicketId) -> StoreResult<Vec<TicketEvent>> {
        self.ticket_events_of(&[id]).await
    }

    async fn ticket_events_of(&self, ids: &[TicketId]) -> StoreResult<Vec<TicketEvent>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
        let rows: Vec<TicketEventRow> = sqlx::query_as(
            "SELECT ticket_id, seq, at, actor_id, payload FROM ticket_events WHERE ticket_id = ANY($1) \
             ORDER BY ticket_id, seq",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn ticket_sla(&self, id: TicketId) -> StoreResult<Option<SlaSnapshot>> {
        let row: Option<SlaRow> = sqlx::query_as(
            "SELECT sla_evaluated_at, sla_cycles, sla_due_at, sla_next_check_at FROM tickets WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.ok_or(StoreError::NotFound)?.snapshot())
    }

    async fn list_tickets(&self, query: &TicketQuery) -> StoreResult<TicketPage> {
        let mut tx = self.pool.begin().await?;
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM tickets t");
        push_ticket_filters(&mut count, query);
        let (total,): (i64,) = count.build_query_as().fetch_one(&mut *tx).await?;
        let mut q = QueryBuilder::new(concat!(
            "SELECT ",
            ticket_columns!("t"),
            ", a.name AS account_name, t.sla_due_at FROM tickets t JOIN accounts a ON a.id = t.account_id"
        ));
        push_ticket_filters(&mut q, query);
        q.push(crate::tickets::ticket_order(query.sort, query.descending));
        q.push(" LIMIT ").push_bind(i64::from(query.limit));
        q.push(" OFFSET ").push_bind(query.offset.min(i64::MAX as u64) as i64);
        let rows: Vec<TicketRowWithAccount> = q.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(TicketListItem {
                    account_name: r.account_name,
                    sla_due_at: opt_jiff(r.sla_due_at),
                    ticket: r.ticket.try_into()?,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(TicketPage { items, total: total as u64 })
    }

    async fn open_ticket_ids(&self, account_id: Option<AccountId>) -> StoreResult<Vec<TicketId>> {
        let mut q = QueryBuilder::new("SELECT id FROM tickets WHERE status != 'closed'");
        if let Some(account) = account_id {
            q.push(" AND account_id = ").push_bind(account.0);
        }
        q.push(" ORDER BY number");
        let rows: Vec<(Uuid,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(id,)| TicketId(id)).collect())
    }

    async fn due_sla_checks(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TicketId>> {
        let rows: Vec<(Uuid,)> = sqlx::query_as(
            "SELECT id FROM tickets WHERE sla_next_check_at IS NOT NULL AND sla_next_check_at <= $1 \
             ORDER BY sla_next_check_at LIMIT $2",
        )
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| TicketId(id)).collect())
    }

    async fn save_sla_evaluations(&self, evaluations: &[SlaEvaluation]) -> StoreResult<Vec<bool>> {
        let mut tx = self.write().await?;
        // Only an evaluation of the log as it still stands is stored (a change meanwhile wrote
        // a fresher state): the ids the update returns.
        let mut fresh = std::collections::HashSet::new();
        for chunk in evaluations.chunks(ROWS_PER_STATEMENT) {
            let mut update = QueryBuilder::<Postgres>::new(
                "UPDATE tickets AS t SET sla_evaluated_at = v.evaluated_at, sla_cycles = v.cycles, \
                 sla_due_at = v.due_at, sla_next_check_at = v.next_check_at FROM (",
            );
            update.push_values(chunk, |mut row, e| {
                row.push_bind(e.ticket_id.0)
                    .push_bind(e.last_seq)
                    .push_bind(ts(e.sla.evaluated_at))
                    .push_bind(Json(&e.sla.cycles))
                    .push_bind(opt_ts(e.sla.due_at))
                    .push_bind(opt_ts(e.sla.next_check_at));
            });
            update.push(
                ") AS v (id, last_seq, evaluated_at, cycles, due_at, next_check_at) \
                 WHERE t.id = v.id AND t.last_seq = v.last_seq RETURNING t.id",
            );
            fresh.extend(update.build_query_scalar::<Uuid>().fetch_all(&mut *tx).await?);
        }
        let stored: Vec<bool> = evaluations.iter().map(|e| fresh.contains(&e.ticket_id.0)).collect();
        let alerts: Vec<_> = evaluations
            .iter()
            .zip(&stored)
            .filter(|(_, stored)| **stored)
            .flat_map(|(e, _)| e.alerts.iter().map(|a| (a, e.sla.evaluated_at)))
            .collect();
        insert_alerts(&mut tx, &alerts).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn request_sla_recheck(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE tickets SET sla_next_check_at = $1 WHERE status != 'closed'")
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn ticket_alerts(&self, ticket: TicketId) -> StoreResult<Vec<SlaAlert>> {
        let rows: Vec<AlertRow> = sqlx::query_as(
            "SELECT ticket_id, metric, cycle_no, kind, threshold, at FROM sla_alerts WHERE ticket_id = $1 \
             ORDER BY at, metric COLLATE \"C\", cycle_no, kind COLLATE \"C\", threshold",
        )
        .bind(ticket.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now: Timestamp, ttl_seconds: i64) -> StoreResult<bool> {
        let expires = now.checked_add(jiff::SignedDuration::from_secs(ttl_seconds)).unwrap_or(now);
        let done = sqlx::query(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(ts(expires))
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_escalation(&self, ticket: TicketId) -> StoreResult<Option<Escalation>> {
        let row: Option<EscalationRow> = sqlx::query_as("SELECT * FROM escalations WHERE ticket_id = $1")
            .bind(ticket.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    async fn list_notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<Notification>> {
        let mut q = QueryBuilder::new("SELECT * FROM notifications WHERE user_id = ");
        q.push_bind(user.0);
        if unread_only {
            q.push(" AND read_at IS NULL");
        }
        q.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        q.push(" OFFSET ").push_bind(offset.min(i64::MAX as u64) as i64);
        let rows: Vec<NotificationRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn unread_notifications(&self, user: UserId) -> StoreResult<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn mark_notifications_read(
        &self,
        user: UserId,
        notification: Option<NotificationId>,
        now: Timestamp,
    ) -> StoreResult<u64> {
        if let Some(n) = notification {
            let mine: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2")
                .bind(n.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
            if mine.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let mut q = QueryBuilder::new("UPDATE notifications SET read_at = ");
        q.push_bind(ts(now)).push(" WHERE read_at IS NULL AND user_id = ").push_bind(user.0);
        if let Some(n) = notification {
            q.push(" AND id = ").push_bind(n.0);
        }
        let done = q.build().execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

/// Appends `policy_inputs_changed` to the open tickets an account or default-calendar change
/// affects, and asks the scanner to re-evaluate them (R-T1, R-K13). Runs inside the caller's
/// transaction, so the change and its effect on tickets land together.
pub async fn append_inputs_change(conn: &mut PgConnection, change: &InputsChange, now: Timestamp) -> StoreResult<()> {
    let (account, calendar) = match *change {
        InputsChange::Account { account_id, calendar_id } => (Some(account_id), calendar_id),
        InputsChange::DefaultCalendar { calendar_id } => (None, calendar_id),
    };
    let affected = |q: &mut QueryBuilder<Postgres>| {
        q.push(" FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.status != 'closed'");
        match account {
            Some(account) => q.push(" AND a.id = ").push_bind(account.0),
            None => q.push(" AND a.calendar_id IS NULL"),
        };
    };
    let mut insert = QueryBuilder::new(
        "INSERT INTO ticket_events (ticket_id, seq, at, actor_id, kind, payload) SELECT t.id, t.last_seq + 1, ",
    );
    insert.push_bind(ts(now)).push(", NULL, 'policy_inputs_changed', ");
    insert.push("jsonb_build_object('kind', 'policy_inputs_changed', 'tier', a.tier, 'calendar_id', ");
    insert.push_bind(calendar.map(|c| c.0.to_string())).push("::TEXT)");
    affected(&mut insert);
    insert.build().execute(&mut *conn).await?;
    let mut update = QueryBuilder::new("UPDATE tickets SET last_seq = last_seq + 1, sla_next_check_at = ");
    update.push_bind(ts(now)).push(" WHERE id IN (SELECT t.id");
    affected(&mut update);
    update.push(")");
    update.build().execute(&mut *conn).await?;
    Ok(())
}
