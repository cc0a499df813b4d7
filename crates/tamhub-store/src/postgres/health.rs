//! Signals, scorecards, health snapshots and overrides.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};
use tamhub_domain::accounts::Tier;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::health::{Aggregate, HealthBand, Scorecard, ScorecardContent};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::{Date, SignedDuration, Timestamp};
use uuid::Uuid;

use super::rows::*;
use super::tickets::insert_notifications;
use super::{PgStore, insert_audit};
use crate::health::{BuiltinCounts, HealthOverride, HealthSnapshot, HealthStore, SignalPoint, SnapshotScore};
use crate::{StoreError, StoreResult};

const ROWS_PER_STATEMENT: usize = 500;

fn days_before(now: Timestamp, days: i64) -> jiff_sqlx::Timestamp {
    ts(now.saturating_sub(SignedDuration::from_hours(24 * days)).unwrap_or(now))
}

fn tier(text: &str) -> StoreResult<Tier> {
    Tier::parse(text).ok_or_else(|| StoreError::Corrupt(format!("tier {text:?}")))
}

fn sqlx_date(d: Date) -> jiff_sqlx::Date {
    jiff_sqlx::ToSqlx::to_sqlx(d)
}

#[async_trait]
impl HealthStore for PgStore {
    async fn save_signals(&self, points: &[SignalPoint], recorded_at: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let mut inserted = 0;
        for chunk in points.chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Postgres>::new("INSERT INTO signals (account_id, name, at, value, recorded_at) ");
            q.push_values(chunk, |mut row, p| {
                row.push_bind(p.account_id.0)
                    .push_bind(p.name.clone())
                    .push_bind(ts(p.at))
                    .push_bind(p.value)
                    .push_bind(ts(recorded_at));
            });
            q.push(" ON CONFLICT DO NOTHING");
            inserted += q.build().execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn signal_aggregates(
        &self,
        accounts: &[AccountId],
        name: &str,
        aggregate: Aggregate,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<(AccountId, f64)>> {
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
        let sql = match aggregate {
            Aggregate::Latest => {
                "SELECT DISTINCT ON (account_id) account_id, value FROM signals WHERE account_id = ANY($1) \
                 AND name = $2 AND at > $3 AND at <= $4 ORDER BY account_id, at DESC"
            }
            Aggregate::Mean => {
                "SELECT account_id, AVG(value) FROM signals WHERE account_id = ANY($1) AND name = $2 \
                 AND at > $3 AND at <= $4 GROUP BY account_id"
            }
            Aggregate::Min => {
                "SELECT account_id, MIN(value) FROM signals WHERE account_id = ANY($1) AND name = $2 \
                 AND at > $3 AND at <= $4 GROUP BY account_id"
            }
            Aggregate::Max => {
                "SELECT account_id, MAX(value) FROM signals WHERE account_id = ANY($1) AND name = $2 \
                 AND at > $3 AND at <= $4 GROUP BY account_id"
            }
        };
        let rows: Vec<(Uuid, f64)> =
            sqlx::query_as(sql).bind(&ids).bind(name).bind(ts(since)).bind(ts(until)).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(a, v)| (AccountId(a), v)).collect())
    }

    async fn save_scorecard(
        &self,
        tier: Tier,
        content: &ScorecardContent,
        created_at: Timestamp,
        created_by: Option<UserId>,
        audit: &AuditEntry,
    ) -> StoreResult<Scorecard> {
        let mut tx = self.write().await?;
        // Versions of one tier are numbered in turn: the lock keeps two writers from both taking one.
        sqlx::query("LOCK TABLE scorecards IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let (version,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) + 1 FROM scorecards WHERE tier = $1")
            .bind(tier.as_str())
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO scorecards (tier, version, content, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tier.as_str())
        .bind(version)
        .bind(Json(content))
        .bind(ts(created_at))
        .bind(created_by.map(|u| u.0))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Scorecard { tier, version, content: content.clone(), created_at, created_by })
    }

    async fn scorecards(&self) -> StoreResult<Vec<Scorecard>> {
        let rows: Vec<(String, i64, Json<ScorecardContent>, jiff_sqlx::Timestamp, Option<Uuid>)> = sqlx::query_as(
            "SELECT tier, version, content, created_at, created_by FROM scorecards ORDER BY tier, version",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(t, version, content, at, by)| {
                Ok(Scorecard {
                    tier: tier(&t)?,
                    version,
                    content: content.0,
                    created_at: jiff(at),
                    created_by: by.map(UserId),
                })
            })
            .collect()
    }

    async fn builtin_counts(
        &self,
        accounts: &[AccountId],
        now: Timestamp,
    ) -> StoreResult<Vec<(AccountId, BuiltinCounts)>> {
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
        let mut counts: BTreeMap<AccountId, BuiltinCounts> =
            accounts.iter().map(|a| (*a, BuiltinCounts::default())).collect();
        let (d30, d60, d90) = (days_before(now, 30), days_before(now, 60), days_before(now, 90));
        let rows = |sql: &'static str, from: jiff_sqlx::Timestamp, to: jiff_sqlx::Timestamp| {
            let ids = ids.clone();
            async move {
                let rows: Vec<(Uuid, i64)> =
                    sqlx::query_as(sql).bind(ids).bind(from).bind(to).fetch_all(&self.pool).await?;
                StoreResult::Ok(rows)
            }
        };
        let open: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT account_id, COUNT(*) FROM tickets WHERE account_id = ANY($1) AND status NOT IN ('solved', 'closed') \
             AND priority IN ('critical', 'high') GROUP BY account_id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let breaches = rows(
            "SELECT t.account_id, COUNT(*) FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id \
             WHERE t.account_id = ANY($1) AND a.kind = 'breach' AND a.at > $2 AND a.at <= $3 GROUP BY t.account_id",
            d30,
            ts(now),
        )
        .await?;
        let opened = |from, to| {
            rows(
                "SELECT account_id, COUNT(*) FROM tickets WHERE account_id = ANY($1) AND created_at > $2 \
                 AND created_at <= $3 GROUP BY account_id",
                from,
                to,
            )
        };
        let last_30 = opened(d30, ts(now)).await?;
        let prior_30 = opened(d60, d30).await?;
        let incidents = rows(
            "SELECT ia.account_id, COUNT(*) FROM incidents i JOIN incident_accounts ia ON ia.incident_id = i.id \
             WHERE ia.account_id = ANY($1) AND i.max_severity IN ('P0', 'P1') AND NOT i.test \
             AND i.status NOT IN ('declined', 'merged', 'canceled') AND i.declared_at > $2 AND i.declared_at <= $3 \
             GROUP BY ia.account_id",
            d90,
            ts(now),
        )
        .await?;
        let overdue: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT account_id, COUNT(*) FROM (\
               SELECT ia.account_id FROM actions a JOIN incident_accounts ia ON ia.incident_id = a.incident_id \
               WHERE a.status IN ('open', 'in_progress') AND a.due_at < $2 \
               UNION ALL SELECT a.account_id FROM actions a WHERE a.account_id IS NOT NULL \
               AND a.status IN ('open', 'in_progress') AND a.due_at < $2) x \
             WHERE account_id = ANY($1) GROUP BY account_id",
        )
        .bind(&ids)
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        let today = opt_date(Some(now.to_zoned(jiff::tz::TimeZone::UTC).date()));
        let engagements: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT account_id, COUNT(*) FILTER (WHERE outcome = 'open' AND window_closes < $2) FROM engagements \
             WHERE account_id = ANY($1) AND due_on <= $2 GROUP BY account_id",
        )
        .bind(&ids)
        .bind(today)
        .fetch_all(&self.pool)
        .await?;
        let risks: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT account_id, COUNT(*) FROM risks WHERE account_id = ANY($1) AND status IN ('open', 'mitigating') \
             AND score >= 15 GROUP BY account_id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let meetings: Vec<(Uuid, jiff_sqlx::Timestamp)> = sqlx::query_as(
            "SELECT account_id, MAX(starts_at) FROM meetings WHERE account_id = ANY($1) AND starts_at <= $2 \
             GROUP BY account_id",
        )
        .bind(&ids)
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        let sets: [(Vec<(Uuid, i64)>, fn(&mut BuiltinCounts, i64)); 8] = [
            (open, |c, n| c.open_critical_high = n),
            (breaches, |c, n| c.sla_breaches_30d = n),
            (last_30, |c, n| c.opened_last_30d = n),
            (prior_30, |c, n| c.opened_prior_30d = n),
            (incidents, |c, n| c.major_incidents_90d = n),
            (overdue, |c, n| c.overdue_actions = n),
            (engagements, |c, n| c.overdue_engagements = Some(n)),
            (risks, |c, n| c.open_high_risks = n),
        ];
        for (account, at) in meetings {
            if let Some(c) = counts.get_mut(&AccountId(account)) {
                c.last_meeting_at = Some(jiff(at));
            }
        }
        for (rows, set) in sets {
            for (account, n) in rows {
                if let Some(c) = counts.get_mut(&AccountId(account)) {
                    set(c, n);
                }
            }
        }
        Ok(counts.into_iter().collect())
    }

    async fn save_snapshots(&self, snapshots: &[HealthSnapshot], notifications: &[Notification]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        for chunk in snapshots.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO health_snapshots (account_id, day, scorecard_version, score, band, breakdown, computed_at) ",
            );
            q.push_values(chunk, |mut row, s| {
                row.push_bind(s.account_id.0)
                    .push_bind(sqlx_date(s.day))
                    .push_bind(s.scorecard_version)
                    .push_bind(s.score.score)
                    .push_bind(s.score.band.as_str())
                    .push_bind(Json(s.score.clone()))
                    .push_bind(ts(s.computed_at));
            });
            q.push(
                " ON CONFLICT (account_id, day) DO UPDATE SET scorecard_version = excluded.scorecard_version, \
                 score = excluded.score, band = excluded.band, breakdown = excluded.breakdown, \
                 computed_at = excluded.computed_at",
            );
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn snapshot_scores(&self, accounts: &[AccountId], from: Date) -> StoreResult<Vec<SnapshotScore>> {
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
        let rows: Vec<(Uuid, jiff_sqlx::Date, Option<f64>, String)> = sqlx::query_as(
            "SELECT account_id, day, score, band FROM health_snapshots WHERE day >= $1 AND account_id = ANY($2) \
             ORDER BY day, account_id",
        )
        .bind(sqlx_date(from))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(account, day, score, band)| {
                Ok(SnapshotScore {
                    account_id: AccountId(account),
                    day: day.to_jiff(),
                    score,
                    band: HealthBand::parse(&band).ok_or_else(|| StoreError::Corrupt(format!("band {band:?}")))?,
                })
            })
            .collect()
    }

    async fn health_override(&self, account: AccountId) -> StoreResult<Option<HealthOverride>> {
        Ok(self.health_overrides(&[account]).await?.pop())
    }

    async fn health_overrides(&self, accounts: &[AccountId]) -> StoreResult<Vec<HealthOverride>> {
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
        let rows: Vec<(Uuid, String, String, jiff_sqlx::Timestamp, Option<Uuid>, jiff_sqlx::Timestamp)> =
            sqlx::query_as(
                "SELECT account_id, band, reason, expires_at, set_by, set_at FROM health_overrides \
                 WHERE account_id = ANY($1)",
            )
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|(account, band, reason, expires, by, at)| {
                Ok(HealthOverride {
                    account_id: AccountId(account),
                    band: HealthBand::parse(&band).ok_or_else(|| StoreError::Corrupt(format!("band {band:?}")))?,
                    reason,
                    expires_at: jiff(expires),
                    set_by: by.map(UserId),
                    set_at: jiff(at),
                })
            })
            .collect()
    }

    async fn set_health_override(
        &self,
        account: AccountId,
        value: Option<&HealthOverride>,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM health_overrides WHERE account_id = $1").bind(account.0).execute(&mut *tx).await?;
        if let Some(o) = value {
            sqlx::query(
                "INSERT INTO health_overrides (account_id, band, reason, expires_at, set_by, set_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account.0)
            .bind(o.band.as_str())
            .bind(&o.reason)
            .bind(ts(o.expires_at))
            .bind(o.set_by.map(|u| u.0))
            .bind(ts(o.set_at))
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
