//! Signals, scorecards, health snapshots and overrides.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};
use tamhub_domain::accounts::Tier;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::health::{Aggregate, HealthBand, Scorecard, ScorecardContent};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::{Date, SignedDuration, Timestamp};

use super::rows::*;
use super::tickets::insert_notifications;
use super::{SqliteStore, insert_audit};
use crate::health::{BuiltinCounts, HealthOverride, HealthSnapshot, HealthStore, SignalPoint, SnapshotScore};
use crate::{StoreError, StoreResult};

const ROWS_PER_STATEMENT: usize = 500;

fn days_before(now: Timestamp, days: i64) -> i64 {
    ms(now.saturating_sub(SignedDuration::from_hours(24 * days)).unwrap_or(now))
}

fn tier(text: &str) -> StoreResult<Tier> {
    Tier::parse(text).ok_or_else(|| StoreError::Corrupt(format!("tier {text:?}")))
}

fn day(text: &str) -> StoreResult<Date> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("day {text:?}")))
}

#[async_trait]
impl HealthStore for SqliteStore {
    async fn save_signals(&self, points: &[SignalPoint], recorded_at: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let mut inserted = 0;
        for chunk in points.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO signals (account_id, name, at, value, recorded_at) ");
            q.push_values(chunk, |mut row, p| {
                row.push_bind(p.account_id.to_string())
                    .push_bind(p.name.clone())
                    .push_bind(ms(p.at))
                    .push_bind(p.value)
                    .push_bind(ms(recorded_at));
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
        let mut out = Vec::new();
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new("");
            match aggregate {
                Aggregate::Latest => {
                    q.push(
                        "SELECT s.account_id, s.value FROM signals s WHERE s.name = ",
                    )
                    .push_bind(name.to_string())
                    .push(" AND s.at = (SELECT MAX(l.at) FROM signals l WHERE l.account_id = s.account_id AND l.name = s.name AND l.at > ")
                    .push_bind(ms(since))
                    .push(" AND l.at <= ")
                    .push_bind(ms(until))
                    .push(") AND s.account_id IN ");
                    super::push_ids(&mut q, chunk);
                }
                _ => {
                    let f = match aggregate {
                        Aggregate::Mean => "AVG",
                        Aggregate::Min => "MIN",
                        _ => "MAX",
                    };
                    q.push(format!("SELECT account_id, {f}(value) FROM signals WHERE name = "))
                        .push_bind(name.to_string())
                        .push(" AND at > ")
                        .push_bind(ms(since))
                        .push(" AND at <= ")
                        .push_bind(ms(until))
                        .push(" AND account_id IN ");
                    super::push_ids(&mut q, chunk);
                    q.push(" GROUP BY account_id");
                }
            }
            let rows: Vec<(String, f64)> = q.build_query_as().fetch_all(&self.pool).await?;
            for (account, value) in rows {
                out.push((id(&account)?, value));
            }
        }
        Ok(out)
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
        let (version,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) + 1 FROM scorecards WHERE tier = ?")
            .bind(tier.as_str())
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO scorecards (tier, version, content, created_at, created_by) VALUES (?, ?, ?, ?, ?)")
            .bind(tier.as_str())
            .bind(version)
            .bind(to_json(content))
            .bind(ms(created_at))
            .bind(created_by.map(|u| u.to_string()))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Scorecard { tier, version, content: content.clone(), created_at, created_by })
    }

    async fn scorecards(&self) -> StoreResult<Vec<Scorecard>> {
        let rows: Vec<(String, i64, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT tier, version, content, created_at, created_by FROM scorecards ORDER BY tier, version",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(t, version, content, at, by)| {
                Ok(Scorecard {
                    tier: tier(&t)?,
                    version,
                    content: json(&content)?,
                    created_at: ts(at)?,
                    created_by: opt_id(by.as_deref())?,
                })
            })
            .collect()
    }

    async fn builtin_counts(
        &self,
        accounts: &[AccountId],
        now: Timestamp,
    ) -> StoreResult<Vec<(AccountId, BuiltinCounts)>> {
        let mut counts: BTreeMap<AccountId, BuiltinCounts> =
            accounts.iter().map(|a| (*a, BuiltinCounts::default())).collect();
        let (d30, d60, d90) = (days_before(now, 30), days_before(now, 60), days_before(now, 90));
        // Each query counts one measure for the chunk's accounts, grouped by account.
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
        let queries: [(&str, fn(&mut BuiltinCounts, i64)); 9] = [
            (
                "SELECT account_id, COUNT(*) FROM tickets WHERE status NOT IN ('solved', 'closed') \
                 AND priority IN ('critical', 'high') AND account_id IN ",
                |c, n| c.open_critical_high = n,
            ),
            (
                "SELECT t.account_id, COUNT(*) FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id \
                 WHERE a.kind = 'breach' AND a.at > :d30 AND a.at <= :now AND t.account_id IN ",
                |c, n| c.sla_breaches_30d = n,
            ),
            (
                "SELECT account_id, COUNT(*) FROM tickets WHERE created_at > :d30 AND created_at <= :now AND account_id IN ",
                |c, n| c.opened_last_30d = n,
            ),
            (
                "SELECT account_id, COUNT(*) FROM tickets WHERE created_at > :d60 AND created_at <= :d30 AND account_id IN ",
                |c, n| c.opened_prior_30d = n,
            ),
            (
                "SELECT ia.account_id, COUNT(*) FROM incidents i JOIN incident_accounts ia ON ia.incident_id = i.id \
                 WHERE i.max_severity IN ('P0', 'P1') AND i.test = 0 AND i.status NOT IN ('declined', 'merged', 'canceled') \
                 AND i.declared_at > :d90 AND i.declared_at <= :now AND ia.account_id IN ",
                |c, n| c.major_incidents_90d = n,
            ),
            (
                "SELECT account_id, COUNT(*) FROM (\
                   SELECT ia.account_id AS account_id FROM actions a JOIN incident_accounts ia ON ia.incident_id = a.incident_id \
                   WHERE a.status IN ('open', 'in_progress') AND a.due_at < :now \
                   UNION ALL SELECT a.account_id FROM actions a WHERE a.account_id IS NOT NULL \
                   AND a.status IN ('open', 'in_progress') AND a.due_at < :now) x WHERE account_id IN ",
                |c, n| c.overdue_actions = n,
            ),
            (
                "SELECT account_id, SUM(outcome = 'open' AND window_closes < ':today') FROM engagements \
                 WHERE due_on <= ':today' AND account_id IN ",
                |c, n| c.overdue_engagements = Some(n),
            ),
            ("SELECT account_id, MAX(starts_at) FROM meetings WHERE starts_at <= :now AND account_id IN ", |c, n| {
                c.last_meeting_at = Timestamp::from_millisecond(n).ok()
            }),
            (
                "SELECT account_id, COUNT(*) FROM risks WHERE status IN ('open', 'mitigating') AND score >= 15 \
                 AND account_id IN ",
                |c, n| c.open_high_risks = n,
            ),
        ];
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            for (sql, set) in &queries {
                let mut q = QueryBuilder::<Sqlite>::new("");
                // The instants are inlined as integers: they come from the clock, not from input.
                let sql = sql
                    .replace(":now", &ms(now).to_string())
                    .replace(":d30", &d30.to_string())
                    .replace(":d60", &d60.to_string())
                    .replace(":d90", &d90.to_string())
                    .replace(":today", &today);
                q.push(sql);
                super::push_ids(&mut q, chunk);
                q.push(" GROUP BY 1");
                let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&self.pool).await?;
                for (account, n) in rows {
                    if let Some(c) = counts.get_mut(&id(&account)?) {
                        set(c, n);
                    }
                }
            }
        }
        Ok(counts.into_iter().collect())
    }

    async fn save_snapshots(&self, snapshots: &[HealthSnapshot], notifications: &[Notification]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_notifications(&mut tx, &notifications.iter().collect::<Vec<_>>()).await?;
        for chunk in snapshots.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO health_snapshots (account_id, day, scorecard_version, score, band, breakdown, computed_at) ",
            );
            q.push_values(chunk, |mut row, s| {
                row.push_bind(s.account_id.to_string())
                    .push_bind(s.day.to_string())
                    .push_bind(s.scorecard_version)
                    .push_bind(s.score.score)
                    .push_bind(s.score.band.as_str())
                    .push_bind(to_json(&s.score))
                    .push_bind(ms(s.computed_at));
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
        let mut out = Vec::new();
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            let mut q =
                QueryBuilder::<Sqlite>::new("SELECT account_id, day, score, band FROM health_snapshots WHERE day >= ");
            q.push_bind(from.to_string()).push(" AND account_id IN ");
            super::push_ids(&mut q, chunk);
            let rows: Vec<(String, String, Option<f64>, String)> = q.build_query_as().fetch_all(&self.pool).await?;
            for (account, d, score, band) in rows {
                out.push(SnapshotScore {
                    account_id: id(&account)?,
                    day: day(&d)?,
                    score,
                    band: HealthBand::parse(&band).ok_or_else(|| StoreError::Corrupt(format!("band {band:?}")))?,
                });
            }
        }
        out.sort_by_key(|s| s.day);
        Ok(out)
    }

    async fn health_override(&self, account: AccountId) -> StoreResult<Option<HealthOverride>> {
        Ok(self.health_overrides(&[account]).await?.pop())
    }

    async fn health_overrides(&self, accounts: &[AccountId]) -> StoreResult<Vec<HealthOverride>> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT account_id, band, reason, expires_at, set_by, set_at FROM health_overrides WHERE account_id IN ",
            );
            super::push_ids(&mut q, chunk);
            let rows: Vec<(String, String, String, i64, Option<String>, i64)> =
                q.build_query_as().fetch_all(&self.pool).await?;
            for (account, band, reason, expires, by, at) in rows {
                out.push(HealthOverride {
                    account_id: id(&account)?,
                    band: HealthBand::parse(&band).ok_or_else(|| StoreError::Corrupt(format!("band {band:?}")))?,
                    reason,
                    expires_at: ts(expires)?,
                    set_by: opt_id(by.as_deref())?,
                    set_at: ts(at)?,
                });
            }
        }
        Ok(out)
    }

    async fn set_health_override(
        &self,
        account: AccountId,
        value: Option<&HealthOverride>,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM health_overrides WHERE account_id = ?")
            .bind(account.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(o) = value {
            sqlx::query(
                "INSERT INTO health_overrides (account_id, band, reason, expires_at, set_by, set_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(account.to_string())
            .bind(o.band.as_str())
            .bind(&o.reason)
            .bind(ms(o.expires_at))
            .bind(o.set_by.map(|u| u.to_string()))
            .bind(ms(o.set_at))
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
