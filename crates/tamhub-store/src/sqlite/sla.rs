//! Business calendars, the versioned policy list and the default calendar.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use tamhub_domain::Timestamp;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{CalendarId, UserId};
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarVersion};
use tamhub_domain::sla::policies::PolicySet;

use super::rows::*;
use super::tickets::append_inputs_change;
use super::{SqliteStore, insert_audit, is_unique_violation};
use crate::sla::{InputsChange, SlaConfigRecord, SlaConfigStore};
use crate::{StoreError, StoreResult};

/// Every configuration change bumps the revision, so each server reloads its cached copy.
async fn bump_revision(conn: &mut SqliteConnection) -> StoreResult<()> {
    sqlx::query("UPDATE sla_settings SET revision = revision + 1 WHERE id = 1").execute(conn).await?;
    Ok(())
}

/// Open tickets are re-evaluated by the scanner under the new configuration.
async fn recheck_open_tickets(conn: &mut SqliteConnection, now: Timestamp) -> StoreResult<()> {
    sqlx::query("UPDATE tickets SET sla_next_check_at = ? WHERE status != 'closed'")
        .bind(ms(now))
        .execute(conn)
        .await?;
    Ok(())
}

async fn insert_version(
    conn: &mut SqliteConnection,
    calendar: CalendarId,
    v: &CalendarVersion,
    actor: Option<UserId>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "INSERT INTO calendar_versions (calendar_id, version, effective_from, hours, created_at, created_by) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(calendar.to_string())
    .bind(v.version)
    .bind(ms(v.effective_from))
    .bind(to_json(&v.hours))
    .bind(ms(v.created_at))
    .bind(actor.map(|a| a.to_string()))
    .execute(conn)
    .await;
    match done {
        Err(err) if is_unique_violation(&err) => {
            Err(StoreError::Conflict("the calendar changed meanwhile; reload it and try again".into()))
        }
        other => other.map(|_| ()).map_err(Into::into),
    }
}

#[async_trait]
impl SlaConfigStore for SqliteStore {
    async fn sla_config(&self) -> StoreResult<SlaConfigRecord> {
        let mut tx = self.pool.begin().await?;
        let (revision, default_calendar): (i64, Option<String>) =
            sqlx::query_as("SELECT revision, default_calendar_id FROM sla_settings WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let rows: Vec<CalendarRow> =
            sqlx::query_as("SELECT id, name, created_at, updated_at FROM business_calendars ORDER BY name, id")
                .fetch_all(&mut *tx)
                .await?;
        let versions: Vec<CalendarVersionRow> = sqlx::query_as(
            "SELECT calendar_id, version, effective_from, hours, created_at FROM calendar_versions \
             ORDER BY calendar_id, version",
        )
        .fetch_all(&mut *tx)
        .await?;
        let sets: Vec<PolicySetRow> =
            sqlx::query_as("SELECT version, effective_from, policies FROM sla_policy_sets ORDER BY version")
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(SlaConfigRecord {
            revision,
            default_calendar_id: opt_id(default_calendar.as_deref())?,
            calendars: calendars(rows, versions)?,
            policy_sets: sets.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?,
        })
    }

    async fn sla_revision(&self) -> StoreResult<i64> {
        let (revision,): (i64,) =
            sqlx::query_as("SELECT revision FROM sla_settings WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(revision)
    }

    async fn create_calendar(
        &self,
        calendar: &BusinessCalendar,
        actor: Option<UserId>,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO business_calendars (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)")
            .bind(calendar.id.to_string())
            .bind(&calendar.name)
            .bind(ms(calendar.created_at))
            .bind(ms(calendar.updated_at))
            .execute(&mut *tx)
            .await?;
        for v in &calendar.versions {
            insert_version(&mut tx, calendar.id, v, actor).await?;
        }
        bump_revision(&mut tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_calendar(
        &self,
        id: CalendarId,
        name: &str,
        version: Option<&CalendarVersion>,
        actor: Option<UserId>,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE business_calendars SET name = ?, updated_at = ? WHERE id = ?")
            .bind(name)
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(v) = version {
            insert_version(&mut tx, id, v, actor).await?;
            recheck_open_tickets(&mut tx, now).await?;
        }
        bump_revision(&mut tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_policy_set(&self, set: &PolicySet, actor: Option<UserId>, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO sla_policy_sets (version, effective_from, policies, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(set.version)
        .bind(ms(set.effective_from))
        .bind(to_json(&set.policies))
        .bind(ms(audit.at))
        .bind(actor.map(|a| a.to_string()))
        .execute(&mut *tx)
        .await;
        if let Err(err) = done {
            if is_unique_violation(&err) {
                return Err(StoreError::Conflict("the SLA policies changed meanwhile; reload and try again".into()));
            }
            return Err(err.into());
        }
        recheck_open_tickets(&mut tx, set.effective_from).await?;
        bump_revision(&mut tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_default_calendar(
        &self,
        id: Option<CalendarId>,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE sla_settings SET default_calendar_id = ? WHERE id = 1")
            .bind(id.map(|c| c.to_string()))
            .execute(&mut *tx)
            .await?;
        append_inputs_change(&mut tx, &InputsChange::DefaultCalendar { calendar_id: id }, now).await?;
        bump_revision(&mut tx).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
