//! Tickets, their event log and cached SLA state, alerts, notifications, escalations, leases.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tamhub_domain::Timestamp;
use tamhub_domain::escalations::Escalation;
use tamhub_domain::ids::{AccountId, NotificationId, TicketId, UserId};
use tamhub_domain::notifications::{Notification, SlaAlert};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::tickets::{Ticket, TicketEvent};

use super::accounts::{escape_like, push_scope};
use super::rows::*;
use super::{SqliteStore, insert_audit, is_unique_violation, push_ids};
use crate::sla::InputsChange;
use crate::tickets::{
    AlertNotices, SlaEvaluation, SlaSnapshot, StatusFilter, TicketChange, TicketListItem, TicketPage, TicketQuery,
    TicketStore,
};
use crate::{StoreError, StoreResult};

fn opt_ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(ms)
}

async fn insert_event(conn: &mut SqliteConnection, e: &TicketEvent) -> StoreResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO ticket_events (ticket_id, seq, at, actor_id, kind, payload) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(e.ticket_id.to_string())
    .bind(e.seq)
    .bind(ms(e.at))
    .bind(e.actor_id.map(|i| i.to_string()))
    .bind(e.kind.name())
    .bind(to_json(&e.kind))
    .execute(conn)
    .await;
    match inserted {
        Err(err) if is_unique_violation(&err) => {
            Err(StoreError::Conflict("the ticket changed meanwhile; reload it and try again".into()))
        }
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Rows per multi-row statement: one round trip to the database for a batch, well under
/// SQLite's limit of 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

pub(super) async fn insert_notifications(
    conn: &mut SqliteConnection,
    notifications: &[&Notification],
) -> StoreResult<()> {
    for chunk in notifications.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO notifications (id, user_id, at, kind, account_id, ticket_id, incident_id, action_id, title, \
             body, read_at) ",
        );
        insert.push_values(chunk, |mut row, n| {
            row.push_bind(n.id.to_string())
                .push_bind(n.user_id.to_string())
                .push_bind(ms(n.at))
                .push_bind(n.kind.clone())
                .push_bind(n.account_id.map(|i| i.to_string()))
                .push_bind(n.ticket_id.map(|i| i.to_string()))
                .push_bind(n.incident_id.map(|i| i.to_string()))
                .push_bind(n.action_id.map(|i| i.to_string()))
                .push_bind(n.title.clone())
                .push_bind(n.body.clone())
                .push_bind(opt_ms(n.read_at));
        });
        insert.build().execute(&mut *conn).await?;
    }
    Ok(())
}

type AlertKey = (String, String, i64, String, i64);

fn alert_key(alert: &SlaAlert) -> AlertKey {
    (
        alert.ticket_id.to_string(),
        alert.metric.as_str().to_owned(),
        i64::from(alert.cycle_no),
        alert.kind.as_str().to_owned(),
        alert.threshold,
    )
}

/// Inserts the alerts that are new, each with the instant it was recorded, and for those only
/// their notifications (R-W4: an alert and its notifications exist once however often a ticket
/// is evaluated).
async fn insert_alerts(conn: &mut SqliteConnection, alerts: &[(&AlertNotices, Timestamp)]) -> StoreResult<()> {
    let mut inserted = std::collections::HashSet::new();
    for chunk in alerts.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO sla_alerts (ticket_id, metric, cycle_no, kind, threshold, at, recorded_at) ",
        );
        insert.push_values(chunk, |mut row, (notices, recorded_at)| {
            let (ticket_id, metric, cycle_no, kind, threshold) = alert_key(&notices.alert);
            row.push_bind(ticket_id)
                .push_bind(metric)
                .push_bind(cycle_no)
                .push_bind(kind)
                .push_bind(threshold)
                .push_bind(ms(notices.alert.at))
                .push_bind(ms(*recorded_at));
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

async fn save_escalation(conn: &mut SqliteConnection, e: &Escalation) -> StoreResult<()> {
    let done = sqlx::query(
        "INSERT INTO escalations (id, ticket_id, brief, engineering_team, engineering_owner_id, escalated_by, \
           escalated_at, acknowledged_by, acknowledged_at, completeness_score, reviewer_score, reviewer_id, \
           reviewer_note, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET acknowledged_by = excluded.acknowledged_by, \
           acknowledged_at = excluded.acknowledged_at, reviewer_score = excluded.reviewer_score, \
           reviewer_id = excluded.reviewer_id, reviewer_note = excluded.reviewer_note, reviewed_at = excluded.reviewed_at",
    )
    .bind(e.id.to_string())
    .bind(e.ticket_id.to_string())
    .bind(to_json(&e.brief))
    .bind(&e.engineering_team)
    .bind(e.engineering_owner_id.map(|i| i.to_string()))
    .bind(e.escalated_by.map(|i| i.to_string()))
    .bind(ms(e.escalated_at))
    .bind(e.acknowledged_by.map(|i| i.to_string()))
    .bind(opt_ms(e.acknowledged_at))
    .bind(e.completeness_score)
    .bind(e.reviewer_score)
    .bind(e.reviewer_id.map(|i| i.to_string()))
    .bind(&e.reviewer_note)
    .bind(opt_ms(e.reviewed_at))
    .execute(conn)
    .await;
    match done {
        Err(err) if is_unique_violation(&err) => Err(StoreError::Conflict("the ticket is already escalated".into())),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

fn push_ticket_filters(q: &mut QueryBuilder<Sqlite>, query: &TicketQuery) {
    q.push(" WHERE 1 = 1");
    // Scope as a subquery on accounts, so counting needs no join.
    if query.scope != AccountScope::All {
        q.push(" AND t.account_id IN (SELECT a.id FROM accounts a WHERE 1 = 1");
        push_scope(q, query.scope, "a");
        q.push(")");
    }
    if let Some(account) = query.account_id {
        q.push(" AND t.account_id = ").push_bind(account.to_string());
    }
    if let Some(user) = query.assignee {
        q.push(" AND t.assignee_id = ").push_bind(user.to_string());
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
        q.push(" AND t.title LIKE ").push_bind(format!("%{}%", escape_like(text))).push(" ESCAPE '\\'");
    }
}

#[async_trait]
impl TicketStore for SqliteStore {
    async fn save_ticket_change(&self, change: &TicketChange) -> StoreResult<Ticket> {
        let mut tx = self.write().await?;
        let t = &change.ticket;
        let last_seq = change.events.last().map_or(change.expected_last_seq, |e| e.seq);
        let mut ticket = t.clone();
        if change.is_new {
            let inserted = sqlx::query_as::<_, (i64,)>(
                "INSERT INTO tickets (id, number, account_id, title, description, priority, status, ticket_type, \
                   assignee_id, requester_id, created_by, created_at, updated_at, last_seq, sla_evaluated_at, \
                   sla_cycles, sla_due_at, sla_next_check_at) \
                 VALUES (?, (SELECT COALESCE(MAX(number), 1000) + 1 FROM tickets), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
                   ?, ?, ?, ?, ?) RETURNING number",
            )
            .bind(t.id.to_string())
            .bind(t.account_id.to_string())
            .bind(&t.title)
            .bind(&t.description)
            .bind(t.priority.as_str())
            .bind(t.status.as_str())
            .bind(t.ticket_type.as_str())
            .bind(t.assignee_id.map(|i| i.to_string()))
            .bind(t.requester_id.map(|i| i.to_string()))
            .bind(t.created_by.map(|i| i.to_string()))
            .bind(ms(t.created_at))
            .bind(ms(t.updated_at))
            .bind(last_seq)
            .bind(ms(change.sla.evaluated_at))
            .bind(to_json(&change.sla.cycles))
            .bind(opt_ms(change.sla.due_at))
            .bind(opt_ms(change.sla.next_check_at))
            .fetch_one(&mut *tx)
            .await?;
            ticket.number = inserted.0;
        } else {
            // Optimistic concurrency: the log must still be the one the change was planned on.
            let done = sqlx::query(
                "UPDATE tickets SET title = ?, description = ?, priority = ?, status = ?, ticket_type = ?, \
                   assignee_id = ?, requester_id = ?, updated_at = ?, last_seq = ?, \
                   sla_evaluated_at = ?, sla_cycles = ?, sla_due_at = ?, sla_next_check_at = ? \
                 WHERE id = ? AND last_seq = ?",
            )
            .bind(&t.title)
            .bind(&t.description)
            .bind(t.priority.as_str())
            .bind(t.status.as_str())
            .bind(t.ticket_type.as_str())
            .bind(t.assignee_id.map(|i| i.to_string()))
            .bind(t.requester_id.map(|i| i.to_string()))
            .bind(ms(t.updated_at))
            .bind(last_seq)
            .bind(ms(change.sla.evaluated_at))
            .bind(to_json(&change.sla.cycles))
            .bind(opt_ms(change.sla.due_at))
            .bind(opt_ms(change.sla.next_check_at))
            .bind(t.id.to_string())
            .bind(change.expected_last_seq)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM tickets WHERE id = ?")
                    .bind(t.id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(match exists {
                    None => StoreError::NotFound,
                    Some(_) => StoreError::Conflict("the ticket changed meanwhile; reload it and try again".into()),
                });
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
            sqlx::query_as(concat!("SELECT ", ticket_columns!("t"), " FROM tickets t WHERE t.id = ?"))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn get_tickets(&self, ids: &[TicketId]) -> StoreResult<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(concat!("SELECT ", ticket_columns!("t"), " FROM tickets t WHERE t.id IN "));
        push_ids(&mut q, ids);
        let rows: Vec<TicketRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn ticket_events(&self, id: TicketId) -> StoreResult<Vec<TicketEvent>> {
        self.ticket_events_of(&[id]).await
    }

    async fn ticket_events_of(&self, ids: &[TicketId]) -> StoreResult<Vec<TicketEvent>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q =
            QueryBuilder::new("SELECT ticket_id, seq, at, actor_id, payload FROM ticket_events WHERE ticket_id IN ");
        push_ids(&mut q, ids);
        q.push(" ORDER BY ticket_id, seq");
        let rows: Vec<TicketEventRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn ticket_sla(&self, id: TicketId) -> StoreResult<Option<SlaSnapshot>> {
        let row: Option<SlaRow> = sqlx::query_as(
            "SELECT sla_evaluated_at, sla_cycles, sla_due_at, sla_next_check_at FROM tickets WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound)?.snapshot()
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
                    account_name: r.account_name.clone(),
                    sla_due_at: r.sla_due_at.map(ts).transpose()?,
                    ticket: r.ticket.try_into()?,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(TicketPage { items, total: total as u64 })
    }

    async fn open_ticket_ids(&self, account_id: Option<AccountId>) -> StoreResult<Vec<TicketId>> {
        let mut q = QueryBuilder::new("SELECT id FROM tickets WHERE status != 'closed'");
        if let Some(account) = account_id {
            q.push(" AND account_id = ").push_bind(account.to_string());
        }
        q.push(" ORDER BY number");
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.iter().map(|(text,)| id(text)).collect()
    }

    async fn due_sla_checks(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TicketId>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM tickets WHERE sla_next_check_at IS NOT NULL AND sla_next_check_at <= ? \
             ORDER BY sla_next_check_at LIMIT ?",
        )
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|(text,)| id(text)).collect()
    }

    async fn save_sla_evaluations(&self, evaluations: &[SlaEvaluation]) -> StoreResult<Vec<bool>> {
        let mut tx = self.write().await?;
        // Only an evaluation of the log as it still stands is stored (a change meanwhile wrote
        // a fresher state): the ids the update returns.
        let mut fresh = std::collections::HashSet::new();
        for chunk in evaluations.chunks(ROWS_PER_STATEMENT) {
            let mut update = QueryBuilder::<Sqlite>::new(
                "UPDATE tickets SET sla_evaluated_at = v.column3, sla_cycles = v.column4, sla_due_at = v.column5, \
                 sla_next_check_at = v.column6 FROM (",
            );
            update.push_values(chunk, |mut row, e| {
                row.push_bind(e.ticket_id.to_string())
                    .push_bind(e.last_seq)
                    .push_bind(ms(e.sla.evaluated_at))
                    .push_bind(to_json(&e.sla.cycles))
                    .push_bind(opt_ms(e.sla.due_at))
                    .push_bind(opt_ms(e.sla.next_check_at));
            });
            update.push(") AS v WHERE tickets.id = v.column1 AND tickets.last_seq = v.column2 RETURNING id");
            fresh.extend(update.build_query_scalar::<String>().fetch_all(&mut *tx).await?);
        }
        let stored: Vec<bool> = evaluations.iter().map(|e| fresh.contains(&e.ticket_id.to_string())).collect();
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
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE tickets SET sla_next_check_at = ? WHERE status != 'closed'")
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn ticket_alerts(&self, ticket: TicketId) -> StoreResult<Vec<SlaAlert>> {
        let rows: Vec<AlertRow> = sqlx::query_as(
            "SELECT ticket_id, metric, cycle_no, kind, threshold, at FROM sla_alerts WHERE ticket_id = ? \
             ORDER BY at, metric, cycle_no, kind, threshold",
        )
        .bind(ticket.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn acquire_lease(&self, name: &str, holder: &str, now: Timestamp, ttl_seconds: i64) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let expires = ms(now) + ttl_seconds * 1000;
        let done = sqlx::query(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?",
        )
        .bind(name)
        .bind(holder)
        .bind(expires)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_escalation(&self, ticket: TicketId) -> StoreResult<Option<Escalation>> {
        let row: Option<EscalationRow> = sqlx::query_as("SELECT * FROM escalations WHERE ticket_id = ?")
            .bind(ticket.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<Notification>> {
        let mut q = QueryBuilder::new("SELECT * FROM notifications WHERE user_id = ");
        q.push_bind(user.to_string());
        if unread_only {
            q.push(" AND read_at IS NULL");
        }
        q.push(" ORDER BY at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
        q.push(" OFFSET ").push_bind(offset.min(i64::MAX as u64) as i64);
        let rows: Vec<NotificationRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn unread_notifications(&self, user: UserId) -> StoreResult<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL")
            .bind(user.to_string())
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
            let mine: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM notifications WHERE id = ? AND user_id = ?")
                .bind(n.to_string())
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
            if mine.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let mut q = QueryBuilder::new("UPDATE notifications SET read_at = ");
        q.push_bind(ms(now)).push(" WHERE read_at IS NULL AND user_id = ").push_bind(user.to_string());
        if let Some(n) = notification {
            q.push(" AND id = ").push_bind(n.to_string());
        }
        let done = q.build().execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}

#[derive(sqlx::FromRow)]
struct TicketRowWithAccount {
    #[sqlx(flatten)]
    ticket: TicketRow,
    account_name: String,
    sla_due_at: Option<i64>,
}

/// Appends `policy_inputs_changed` to the open tickets an account or default-calendar change
/// affects, and asks the scanner to re-evaluate them (R-T1, R-K13). Runs inside the caller's
/// transaction, so the change and its effect on tickets land together.
pub async fn append_inputs_change(
    conn: &mut SqliteConnection,
    change: &InputsChange,
    now: Timestamp,
) -> StoreResult<()> {
    let (account, calendar) = match *change {
        InputsChange::Account { account_id, calendar_id } => (Some(account_id), calendar_id),
        InputsChange::DefaultCalendar { calendar_id } => (None, calendar_id),
    };
    let affected = |q: &mut QueryBuilder<Sqlite>| {
        q.push(" FROM tickets t JOIN accounts a ON a.id = t.account_id WHERE t.status != 'closed'");
        match account {
            Some(account) => q.push(" AND a.id = ").push_bind(account.to_string()),
            None => q.push(" AND a.calendar_id IS NULL"),
        };
    };
    let mut insert = QueryBuilder::new(
        "INSERT INTO ticket_events (ticket_id, seq, at, actor_id, kind, payload) SELECT t.id, t.last_seq + 1, ",
    );
    insert.push_bind(ms(now)).push(", NULL, 'policy_inputs_changed', ");
    insert.push("json_object('kind', 'policy_inputs_changed', 'tier', a.tier, 'calendar_id', ");
    insert.push_bind(calendar.map(|c| c.to_string())).push(")");
    affected(&mut insert);
    insert.build().execute(&mut *conn).await?;
    let mut update = QueryBuilder::new("UPDATE tickets SET last_seq = last_seq + 1, sla_next_check_at = ");
    update.push_bind(ms(now)).push(" WHERE id IN (SELECT t.id");
    affected(&mut update);
    update.push(")");
    update.build().execute(&mut *conn).await?;
    Ok(())
}
