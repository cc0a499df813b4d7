//! Health scores: signals pushed per account, a versioned scorecard per tier, the score of an
//! account with its breakdown, the TAM's override beside it, and daily snapshots for the trend.

use std::collections::BTreeMap;

use tamhub_domain::accounts::{Account, Tier};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::health::{
    Aggregate, Direction, HealthBand, HealthScore, Measure, MeasureSource, Scorecard, ScorecardContent, ScoringRule,
    SignalIn, Step, is_key,
};
use tamhub_domain::ids::{AccountId, NotificationId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::validation::{FieldErrors, required_text};
use tamhub_domain::{Date, SignedDuration, Timestamp};
use tamhub_store::{AccountQuery, BuiltinCounts, HealthOverride, HealthSnapshot, SignalPoint};

use crate::policy::{can_manage_sla, require};
use crate::{Actor, App, AppError, AppResult};

/// The most points one request may push.
pub const MAX_SIGNAL_POINTS: usize = 10_000;
/// A point may be stamped at most this far ahead of the server's clock (clock skew).
const FUTURE_SLACK_MINUTES: i64 = 5;
/// How far an override may reach.
const MAX_OVERRIDE_DAYS: i64 = 180;
const SNAPSHOT_DAY_KEY: &str = "health_snapshot_day";
/// Accounts scored together: their measures are read in one set of grouped queries.
const SCORE_BATCH: usize = 500;

/// An account's health as one reader sees it.
#[derive(Clone, Debug)]
pub struct AccountHealth {
    pub account: Account,
    /// The tier's scorecard the score was made with (version 0: the built-in default).
    pub scorecard: Scorecard,
    pub computed: HealthScore,
    /// The override in force (not expired).
    pub override_band: Option<HealthOverride>,
    /// The override's band if one is in force, else the computed band.
    pub final_band: HealthBand,
    /// Change of the score against the snapshot 7 and 30 days ago.
    pub trend_7d: Option<f64>,
    pub trend_30d: Option<f64>,
    /// Daily scores of the last 30 days, oldest first (None: insufficient data that day).
    pub history: Vec<(Date, Option<f64>)>,
    pub computed_at: Timestamp,
}

fn linear(direction: Direction, good: f64, bad: f64) -> ScoringRule {
    ScoringRule::Linear { direction, good, bad }
}

fn measure(key: &str, label: &str, source: MeasureSource, weight: f64, rule: ScoringRule) -> Measure {
    Measure { key: key.into(), label: label.into(), source, weight, rule }
}

fn signal(name: &str, aggregate: Aggregate, window_days: u32) -> MeasureSource {
    MeasureSource::Signal { name: name.into(), aggregate, window_days }
}

/// The scorecard a tier uses until an admin writes one: tamhub's own records and the usual
/// signals. Enterprise weighs incidents and reviews more; Business weighs support volume more.
pub fn default_scorecard(tier: Tier) -> ScorecardContent {
    use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};
    let (incident_weight, ticket_weight) = match tier {
        Tier::Enterprise => (3.0, 2.0),
        Tier::EnterpriseOnRamp => (2.0, 2.0),
        Tier::Business => (1.0, 3.0),
    };
    let renewal = ScoringRule::Bands {
        steps: vec![Step { below: 30.0, score: 40.0 }, Step { below: 90.0, score: 70.0 }],
        otherwise: 100.0,
    };
    ScorecardContent {
        name: format!("{} default", tier.label()),
        measures: vec![
            measure(
                "critical_tickets",
                "Open critical and high tickets",
                MeasureSource::OpenCriticalHighTickets,
                ticket_weight,
                linear(Lower, 0.0, 5.0),
            ),
            measure(
                "sla_breaches",
                "SLA breaches in 30 days",
                MeasureSource::SlaBreaches30d,
                ticket_weight,
                linear(Lower, 0.0, 6.0),
            ),
            measure(
                "ticket_trend",
                "Ticket volume trend (%)",
                MeasureSource::TicketVolumeTrend,
                1.0,
                linear(Lower, 0.0, 100.0),
            ),
            measure(
                "major_incidents",
                "P0/P1 incidents in 90 days",
                MeasureSource::MajorIncidents90d,
                incident_weight,
                linear(Lower, 0.0, 3.0),
            ),
            measure("overdue_actions", "Overdue actions", MeasureSource::OverdueActions, 2.0, linear(Lower, 0.0, 4.0)),
            measure(
                "overdue_engagements",
                "Overdue charter engagements",
                MeasureSource::OverdueEngagements,
                2.0,
                linear(Lower, 0.0, 3.0),
            ),
            measure("open_high_risks", "Open high risks", MeasureSource::OpenHighRisks, 2.0, linear(Lower, 0.0, 3.0)),
            measure(
                "days_since_engagement",
                "Days since the last meeting",
                MeasureSource::DaysSinceEngagement,
                1.0,
                linear(Lower, 14.0, 60.0),
            ),
            measure("renewal", "Days until renewal", MeasureSource::RenewalProximity, 1.0, renewal),
            measure(
                "uptime",
                "Uptime % (30-day mean)",
                signal("uptime_pct", Aggregate::Mean, 30),
                3.0,
                linear(Higher, 99.95, 99.0),
            ),
            measure(
                "error_rate",
                "Error rate % (7-day mean)",
                signal("error_rate", Aggregate::Mean, 7),
                2.0,
                linear(Lower, 0.1, 2.0),
            ),
            measure(
                "latency",
                "p95 latency ms (7-day mean)",
                signal("p95_latency_ms", Aggregate::Mean, 7),
                1.0,
                linear(Lower, 300.0, 1500.0),
            ),
            measure(
                "adoption",
                "Feature adoption %",
                signal("feature_adoption_pct", Aggregate::Latest, 90),
                2.0,
                linear(Higher, 70.0, 20.0),
            ),
            measure("csat", "CSAT (90-day mean)", signal("csat", Aggregate::Mean, 90), 2.0, linear(Higher, 4.5, 3.0)),
        ],
        min_data_pct: 60.0,
        green_from: 75.0,
        yellow_from: 50.0,
    }
}

/// A point's name, value and instant, errors under `field` (`points[3]`, `line 4`).
fn check_point(errors: &mut FieldErrors, field: &str, p: &SignalPoint, now: Timestamp) {
    let latest = now.saturating_add(SignedDuration::from_mins(FUTURE_SLACK_MINUTES)).unwrap_or(now);
    let earliest: Timestamp = "2000-01-01T00:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
    if !is_key(&p.name) {
        errors.add(&format!("{field}.name"), "must be lowercase letters, digits and _, starting with a letter");
    }
    if !p.value.is_finite() {
        errors.add(&format!("{field}.value"), "must be a finite number");
    }
    if p.at > latest {
        errors.add(&format!("{field}.at"), "must not be in the future");
    } else if p.at < earliest {
        errors.add(&format!("{field}.at"), "must not be before 2000");
    }
}

/// The most rows one CSV import takes, and the most row errors it reports.
pub const MAX_CSV_ROWS: usize = 100_000;
const MAX_CSV_ERRORS: usize = 50;

fn day_of(t: Timestamp) -> Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
}

impl App {
    /// The scorecard in force for each tier: the newest stored version, else the default.
    pub async fn scorecards_in_force(&self) -> AppResult<Vec<Scorecard>> {
        let stored = self.store.scorecards().await?;
        Ok(Tier::ALL
            .iter()
            .map(|(tier, _)| {
                stored.iter().rev().find(|s| s.tier == *tier).cloned().unwrap_or_else(|| Scorecard {
                    tier: *tier,
                    version: 0,
                    content: default_scorecard(*tier),
                    created_at: Timestamp::UNIX_EPOCH,
                    created_by: None,
                })
            })
            .collect())
    }

    async fn scorecard_for(&self, tier: Tier) -> AppResult<Scorecard> {
        let all = self.scorecards_in_force().await?;
        all.into_iter().find(|s| s.tier == tier).ok_or(AppError::NotFound)
    }

    /// Every stored version of a tier's scorecard, oldest first (staff).
    pub async fn scorecard_versions(&self, actor: &Actor, tier: Tier) -> AppResult<Vec<Scorecard>> {
        require(actor.user.role.is_staff(), "read scorecards")?;
        Ok(self.store.scorecards().await?.into_iter().filter(|s| s.tier == tier).collect())
    }

    /// A new version of a tier's scorecard (admins and leadership).
    pub async fn save_scorecard(&self, actor: &Actor, tier: Tier, content: ScorecardContent) -> AppResult<Scorecard> {
        require(can_manage_sla(actor.user.role), "change scorecards")?;
        let content = content.validated()?;
        let now = self.clock.now();
        let before = self.scorecard_for(tier).await?;
        let audit = AuditEntry::new(now, Some(actor.user.id), "scorecard", tier.as_str(), "new_version")
            .with_before(&before.content)
            .with_after(&content);
        Ok(self.store.save_scorecard(tier, &content, now, Some(actor.user.id), &audit).await?)
    }

    /// Stores pushed points of an account's signals; the same point (name and instant) sent
    /// again is stored once. Returns how many were new.
    pub async fn push_signals(&self, actor: &Actor, id: AccountId, points: Vec<SignalIn>) -> AppResult<u64> {
        let account = self.get_account(actor, id).await?;
        require(actor.user.role.is_staff(), "push signals")?;
        let now = self.clock.now();
        let mut errors = FieldErrors::new();
        if points.is_empty() {
            errors.add("points", "must hold at least one point");
        } else if points.len() > MAX_SIGNAL_POINTS {
            errors.add("points", format!("at most {MAX_SIGNAL_POINTS} points per request"));
        }
        let mut out = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            let point =
                SignalPoint { account_id: account.id, name: p.name.trim().to_string(), at: p.at, value: p.value };
            check_point(&mut errors, &format!("points[{i}]"), &point, now);
            out.push(point);
        }
        errors.into_result()?;
        Ok(self.store.save_signals(&out, now).await?)
    }

    /// Imports signal points from CSV with a header naming `account_id`, `name`, `value` and `at`
    /// (RFC 3339), in any order. Every row must be good and every account one the actor sees:
    /// the import lands whole or not at all, each bad row named by its line. Points already
    /// stored are skipped. Returns (rows, newly stored).
    pub async fn import_signals_csv(&self, actor: &Actor, body: &[u8]) -> AppResult<(usize, u64)> {
        require(actor.user.role.is_staff(), "import signals")?;
        let now = self.clock.now();
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(body);
        let headers = reader
            .headers()
            .map_err(|e| AppError::invalid_field("file", format!("has no readable header: {e}")))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (Some(c_account), Some(c_name), Some(c_value), Some(c_at)) =
            (column("account_id"), column("name"), column("value"), column("at"))
        else {
            return Err(AppError::invalid_field("file", "must have the columns account_id, name, value and at"));
        };
        let mut errors = FieldErrors::new();
        let mut points = Vec::new();
        let mut seen: BTreeMap<AccountId, bool> = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let field = format!("line {line}");
            if points.len() >= MAX_CSV_ROWS {
                errors.add("file", format!("at most {MAX_CSV_ROWS} rows per import"));
                break;
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.add(&field, format!("cannot be read: {e}"));
                    continue;
                }
            };
            let cell = |c: usize| record.get(c).unwrap_or("");
            let account = match cell(c_account).parse::<AccountId>() {
                Ok(id) => {
                    let visible = match seen.get(&id) {
                        Some(v) => *v,
                        None => {
                            let v = self.get_account(actor, id).await.is_ok();
                            seen.insert(id, v);
                            v
                        }
                    };
                    if !visible {
                        errors.add(&format!("{field}.account_id"), "is not an account you can see");
                    }
                    Some(id)
                }
                Err(_) => {
                    errors.add(&format!("{field}.account_id"), "must be an account id");
                    None
                }
            };
            let value = cell(c_value)
                .parse::<f64>()
                .map_err(|_| errors.add(&format!("{field}.value"), "must be a number"))
                .ok();
            let at = cell(c_at)
                .parse::<Timestamp>()
                .map_err(|_| errors.add(&format!("{field}.at"), "must be an instant such as 2026-03-02T09:00:00Z"))
                .ok();
            if let (Some(account_id), Some(value), Some(at)) = (account, value, at) {
                let point = SignalPoint { account_id, name: cell(c_name).to_string(), at, value };
                check_point(&mut errors, &field, &point, now);
                points.push(point);
            }
            if errors.iter().count() >= MAX_CSV_ERRORS {
                errors.add("file", format!("stopped at line {line}: fix these first"));
                break;
            }
        }
        if points.is_empty() && errors.is_empty() {
            errors.add("file", "has no rows");
        }
        errors.into_result()?;
        let stored = self.store.save_signals(&points, now).await?;
        Ok((points.len(), stored))
    }

    /// The values of a scorecard's measures for each account at `now` (missing: no data), read
    /// in a few queries for all of them.
    async fn measure_values(
        &self,
        accounts: &[&Account],
        card: &ScorecardContent,
        now: Timestamp,
    ) -> AppResult<Vec<BTreeMap<String, f64>>> {
        let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
        let counts: std::collections::HashMap<AccountId, BuiltinCounts> =
            self.store.builtin_counts(&ids, now).await?.into_iter().collect();
        let mut signals: std::collections::HashMap<&str, std::collections::HashMap<AccountId, f64>> =
            std::collections::HashMap::new();
        for m in &card.measures {
            if let MeasureSource::Signal { name, aggregate, window_days } = &m.source {
                let since = now.saturating_sub(SignedDuration::from_hours(24 * i64::from(*window_days))).unwrap_or(now);
                let found = self.store.signal_aggregates(&ids, name, *aggregate, since, now).await?;
                signals.insert(m.key.as_str(), found.into_iter().collect());
            }
        }
        Ok(accounts
            .iter()
            .map(|account| {
                let c = counts.get(&account.id).copied().unwrap_or_default();
                let mut values = BTreeMap::new();
                for m in &card.measures {
                    let value = match &m.source {
                        MeasureSource::OpenCriticalHighTickets => Some(c.open_critical_high as f64),
                        MeasureSource::SlaBreaches30d => Some(c.sla_breaches_30d as f64),
                        MeasureSource::TicketVolumeTrend => (c.opened_prior_30d > 0).then(|| {
                            (c.opened_last_30d - c.opened_prior_30d) as f64 * 100.0 / c.opened_prior_30d as f64
                        }),
                        MeasureSource::MajorIncidents90d => Some(c.major_incidents_90d as f64),
                        MeasureSource::OverdueActions => Some(c.overdue_actions as f64),
                        MeasureSource::OverdueEngagements => c.overdue_engagements.map(|n| n as f64),
                        MeasureSource::OpenHighRisks => Some(c.open_high_risks as f64),
                        MeasureSource::DaysSinceEngagement => {
                            c.last_meeting_at.map(|at| (now.duration_since(at).as_secs() / 86_400) as f64)
                        }
                        MeasureSource::RenewalProximity => account
                            .fields
                            .renewal_date
                            .and_then(|d| day_of(now).until(d).ok())
                            .map(|span| span.get_days() as f64),
                        MeasureSource::Signal { .. } => {
                            signals.get(m.key.as_str()).and_then(|by| by.get(&account.id)).copied()
                        }
                    };
                    if let Some(v) = value {
                        values.insert(m.key.clone(), v);
                    }
                }
                values
            })
            .collect())
    }

    /// Snapshots of accounts of one tier scored at `at` with their scorecard, for `at`'s day.
    async fn snapshots_of(
        &self,
        card: &Scorecard,
        accounts: &[&Account],
        at: Timestamp,
        computed_at: Timestamp,
    ) -> AppResult<Vec<HealthSnapshot>> {
        let values = self.measure_values(accounts, &card.content, at).await?;
        Ok(accounts
            .iter()
            .zip(values)
            .map(|(a, v)| HealthSnapshot {
                account_id: a.id,
                day: day_of(at),
                scorecard_version: card.version,
                score: card.content.score(&v),
                computed_at,
            })
            .collect())
    }

    /// Every live account of a scope, of one tier or all, a page at a time.
    pub(crate) async fn live_accounts(&self, scope: AccountScope, tier: Option<Tier>) -> AppResult<Vec<Account>> {
        let mut query = AccountQuery { tier, limit: SCORE_BATCH as u32, ..AccountQuery::in_scope(scope) };
        let mut accounts = Vec::new();
        loop {
            let page = self.store.list_accounts(&query).await?;
            let fetched = page.items.len();
            accounts.extend(page.items);
            if fetched < query.limit as usize {
                return Ok(accounts);
            }
            query.offset += fetched as u64;
        }
    }

    /// An account's health: the score and breakdown now, the override in force, the final band,
    /// and the trend from the daily snapshots.
    pub async fn account_health(&self, actor: &Actor, id: AccountId) -> AppResult<AccountHealth> {
        let account = self.get_account(actor, id).await?;
        require(actor.user.role.is_staff(), "see health scores")?;
        let now = self.clock.now();
        let scorecard = self.scorecard_for(account.fields.tier).await?;
        let values = self.measure_values(&[&account], &scorecard.content, now).await?;
        let computed = scorecard.content.score(&values[0]);
        let override_band = self.store.health_override(id).await?.filter(|o| o.expires_at > now);
        let today = day_of(now);
        let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
        let snapshots = self.store.snapshot_scores(&[id], from).await?;
        let score_on = |days: i64| {
            let day = today.checked_sub(jiff::Span::new().days(days)).ok()?;
            snapshots.iter().find(|s| s.day == day)?.score
        };
        let trend = |days: i64| Some(((computed.score? - score_on(days)?) * 100.0).round() / 100.0);
        let mut history: Vec<(Date, Option<f64>)> =
            snapshots.iter().filter(|s| s.day < today).map(|s| (s.day, s.score)).collect();
        history.push((today, computed.score));
        Ok(AccountHealth {
            scorecard,
            final_band: override_band.as_ref().map_or(computed.band, |o| o.band),
            trend_7d: trend(7),
            trend_30d: trend(30),
            override_band,
            history,
            computed,
            account,
            computed_at: now,
        })
    }

    /// The score if some measures had other values (by key): nothing is stored. Returns the
    /// score now and the hypothetical one.
    pub async fn health_what_if(
        &self,
        actor: &Actor,
        id: AccountId,
        changes: &BTreeMap<String, f64>,
    ) -> AppResult<(HealthScore, HealthScore)> {
        let account = self.get_account(actor, id).await?;
        require(actor.user.role.is_staff(), "see health scores")?;
        let card = self.scorecard_for(account.fields.tier).await?;
        let mut errors = FieldErrors::new();
        for (key, value) in changes {
            if !card.content.measures.iter().any(|m| &m.key == key) {
                errors.add(&format!("values.{key}"), "is not a measure of this account's scorecard");
            } else if !value.is_finite() {
                errors.add(&format!("values.{key}"), "must be a finite number");
            }
        }
        errors.into_result()?;
        let now = self.clock.now();
        let mut values = self.measure_values(&[&account], &card.content, now).await?.pop().unwrap_or_default();
        let actual = card.content.score(&values);
        values.extend(changes.iter().map(|(k, v)| (k.clone(), *v)));
        Ok((actual, card.content.score(&values)))
    }

    /// Sets a TAM's judgement beside the number: a band, a reason and an expiry (at most 180
    /// days ahead). `None` clears it. TAMs, PSMs, leadership and admins, on accounts they see.
    pub async fn set_health_override(
        &self,
        actor: &Actor,
        id: AccountId,
        value: Option<(String, String, Option<Timestamp>)>,
    ) -> AppResult<Option<HealthOverride>> {
        use tamhub_domain::users::Role;
        let account = self.get_account(actor, id).await?;
        require(
            matches!(actor.user.role, Role::Tam | Role::Psm | Role::Leadership | Role::Admin),
            "override health scores",
        )?;
        let now = self.clock.now();
        let before = self.store.health_override(id).await?;
        let after = match value {
            None => None,
            Some((band, reason, expires_at)) => {
                let mut errors = FieldErrors::new();
                let band = match HealthBand::parse(band.trim()) {
                    Some(b) if b != HealthBand::InsufficientData => Some(b),
                    _ => {
                        errors.add("band", "must be one of: green, yellow, red");
                        None
                    }
                };
                let reason = required_text(&mut errors, "reason", &reason, 1_000);
                let limit = now.saturating_add(SignedDuration::from_hours(24 * MAX_OVERRIDE_DAYS)).unwrap_or(now);
                match expires_at {
                    None => errors.add("expires_at", "must not be empty: an override ends"),
                    Some(at) if at <= now => errors.add("expires_at", "must be in the future"),
                    Some(at) if at > limit => {
                        errors.add("expires_at", format!("must be within {MAX_OVERRIDE_DAYS} days"))
                    }
                    Some(_) => {}
                }
                errors.into_result()?;
                let (Some(band), Some(expires_at)) = (band, expires_at) else { unreachable!("errors were returned") };
                Some(HealthOverride {
                    account_id: account.id,
                    band,
                    reason,
                    expires_at,
                    set_by: Some(actor.user.id),
                    set_at: now,
                })
            }
        };
        let describe = |o: &Option<HealthOverride>| {
            o.as_ref()
                .map(|o| serde_json::json!({"band": o.band.as_str(), "reason": o.reason, "expires_at": o.expires_at}))
        };
        let audit = AuditEntry::new(now, Some(actor.user.id), "account", id, "health_override")
            .with_before(&describe(&before))
            .with_after(&describe(&after));
        self.store.set_health_override(id, after.as_ref(), &audit).await?;
        Ok(after)
    }

    /// Once per UTC day: scores every live account and stores the day's snapshot. Returns how
    /// many accounts were scored (0 when today's snapshot exists).
    pub async fn snapshot_health_if_due(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let today = day_of(now).to_string();
        if self.store.get_setting(SNAPSHOT_DAY_KEY).await?.and_then(|v| v.as_str().map(str::to_string)).as_deref()
            == Some(today.as_str())
        {
            return Ok(0);
        }
        let scored = self.snapshot_health_notifying(now, true).await?;
        let audit = AuditEntry::new(now, None, "setting", SNAPSHOT_DAY_KEY, "update").with_after(&today);
        self.store.put_setting(SNAPSHOT_DAY_KEY, &serde_json::json!(today), &audit).await?;
        Ok(scored)
    }

    /// Scores every live account at `at` and stores the snapshot of that day.
    pub async fn snapshot_health(&self, at: Timestamp) -> AppResult<u64> {
        self.snapshot_health_notifying(at, false).await
    }

    /// As `snapshot_health`; with `notify`, the TAMs of an account that turned red since the
    /// day before hear of it.
    async fn snapshot_health_notifying(&self, at: Timestamp, notify: bool) -> AppResult<u64> {
        let mut scored = 0;
        for card in self.scorecards_in_force().await? {
            let accounts = self.live_accounts(AccountScope::All, Some(card.tier)).await?;
            for batch in accounts.chunks(SCORE_BATCH) {
                let batch: Vec<&Account> = batch.iter().collect();
                let snapshots = self.snapshots_of(&card, &batch, at, at).await?;
                let notifications = if notify { self.turned_red(&batch, &snapshots, at).await? } else { Vec::new() };
                self.store.save_snapshots(&snapshots, &notifications).await?;
                scored += snapshots.len() as u64;
            }
        }
        Ok(scored)
    }

    /// Notices to the primary and backup TAM of each account whose snapshot is red today and
    /// was not red the day before.
    async fn turned_red(
        &self,
        accounts: &[&Account],
        today: &[HealthSnapshot],
        at: Timestamp,
    ) -> AppResult<Vec<Notification>> {
        let red: Vec<&HealthSnapshot> = today.iter().filter(|s| s.score.band == HealthBand::Red).collect();
        if red.is_empty() {
            return Ok(Vec::new());
        }
        let yesterday = day_of(at).yesterday().unwrap_or(day_of(at));
        let ids: Vec<AccountId> = red.iter().map(|s| s.account_id).collect();
        let before: BTreeMap<AccountId, HealthBand> = self
            .store
            .snapshot_scores(&ids, yesterday)
            .await?
            .into_iter()
            .filter(|s| s.day == yesterday)
            .map(|s| (s.account_id, s.band))
            .collect();
        let mut out = Vec::new();
        for snap in red {
            let was = before.get(&snap.account_id);
            if was.is_none_or(|b| *b == HealthBand::Red) {
                continue;
            }
            let Some(account) = accounts.iter().find(|a| a.id == snap.account_id) else { continue };
            let f = &account.fields;
            for user_id in f.primary_tam_id.iter().chain(f.backup_tam_id.iter()) {
                out.push(Notification {
                    id: NotificationId::new(),
                    user_id: *user_id,
                    at,
                    kind: "health_red".into(),
                    account_id: Some(account.id),
                    ticket_id: None,
                    incident_id: None,
                    action_id: None,
                    title: format!("{} turned red", f.name),
                    body: format!(
                        "Health score {} (was {} yesterday)",
                        snap.score.score.map_or("—".into(), |s| format!("{s:.0}")),
                        was.map_or("—", |b| b.label())
                    ),
                    read_at: None,
                });
            }
        }
        Ok(out)
    }

    /// Health of many accounts for lists: the latest snapshot's score and band, the override in
    /// force, and the daily scores of the last 30 days (for a sparkline). Staff only; accounts
    /// without a snapshot are left out.
    pub async fn portfolio_health(
        &self,
        actor: &Actor,
        accounts: &[AccountId],
    ) -> AppResult<BTreeMap<AccountId, HealthSummary>> {
        if !actor.user.role.is_staff() || accounts.is_empty() {
            return Ok(BTreeMap::new());
        }
        let now = self.clock.now();
        let today = day_of(now);
        let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
        let mut out: BTreeMap<AccountId, HealthSummary> = BTreeMap::new();
        for s in self.store.snapshot_scores(accounts, from).await? {
            let entry = out.entry(s.account_id).or_insert_with(|| HealthSummary {
                score: None,
                band: HealthBand::InsufficientData,
                computed_band: HealthBand::InsufficientData,
                overridden: false,
                days: Vec::new(),
                change_30d: None,
            });
            entry.days.push((s.day, s.score));
            entry.score = s.score;
            entry.band = s.band;
            entry.computed_band = s.band;
        }
        for summary in out.values_mut() {
            let first = summary.days.first().and_then(|(d, s)| (*d == from).then_some(*s).flatten());
            summary.change_30d = summary.score.zip(first).map(|(now, then)| ((now - then) * 100.0).round() / 100.0);
        }
        for o in self.store.health_overrides(accounts).await? {
            if o.expires_at > now
                && let Some(summary) = out.get_mut(&o.account_id)
            {
                summary.band = o.band;
                summary.overridden = true;
            }
        }
        Ok(out)
    }

    /// Accounts at risk among those the actor sees: red (after any override), or a score that
    /// dropped by more than `drop` points in 30 days. Worst first.
    pub async fn at_risk(&self, actor: &Actor, drop: f64) -> AppResult<Vec<(Account, HealthSummary)>> {
        require(actor.user.role.is_staff(), "see the at-risk list")?;
        if !drop.is_finite() || drop <= 0.0 || drop > 100.0 {
            return Err(AppError::invalid_field("drop", "must be a number of points from 1 to 100"));
        }
        let accounts = self.live_accounts(actor.scope, None).await?;
        let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
        let mut health = self.portfolio_health(actor, &ids).await?;
        let mut out: Vec<(Account, HealthSummary)> = accounts
            .into_iter()
            .filter_map(|a| {
                let h = health.remove(&a.id)?;
                let risky = h.band == HealthBand::Red || h.change_30d.is_some_and(|c| c < -drop);
                risky.then_some((a, h))
            })
            .collect();
        out.sort_by(|(_, a), (_, b)| {
            (a.band != HealthBand::Red)
                .cmp(&(b.band != HealthBand::Red))
                .then(a.score.unwrap_or(0.0).total_cmp(&b.score.unwrap_or(0.0)))
        });
        Ok(out)
    }
}

/// An account's health in a list.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthSummary {
    /// The latest snapshot's score.
    pub score: Option<f64>,
    /// The band shown: the override's while one is in force.
    pub band: HealthBand,
    pub computed_band: HealthBand,
    pub overridden: bool,
    /// Daily scores of the last 30 days, oldest first.
    pub days: Vec<(Date, Option<f64>)>,
    /// Latest score minus the score 30 days ago.
    pub change_30d: Option<f64>,
}

/// The progress of a re-scoring job.
#[derive(Clone, Debug, PartialEq)]
pub struct RescoreStatus {
    pub tier: Tier,
    pub days: u32,
    /// `running`, `done` or `failed`.
    pub state: &'static str,
    /// Accounts re-scored so far, of `total`.
    pub done: u64,
    pub total: u64,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub error: Option<String>,
}

/// The jobs of one server (a re-score runs where it was asked for).
pub(crate) type RescoreJobs = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Tier, RescoreStatus>>>;

/// Most days of history one re-score rewrites.
pub const MAX_RESCORE_DAYS: u32 = 365;

impl App {
    /// Re-scores the daily snapshots of the last `days` days (today included) of the live
    /// accounts of `tier` with the scorecard in force now; `progress(done, total)` after each
    /// account. Counts are read as of each day's end; signals as they were then.
    pub async fn rescore_history(
        &self,
        tier: Tier,
        days: u32,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> AppResult<u64> {
        let now = self.clock.now();
        let accounts = self.live_accounts(AccountScope::All, Some(tier)).await?;
        let total = accounts.len() as u64;
        let today = day_of(now);
        let instants: Vec<Timestamp> = (0..i64::from(days))
            .rev()
            .filter_map(|back| {
                if back == 0 {
                    return Some(now);
                }
                let day = today.checked_sub(jiff::Span::new().days(back)).ok()?;
                let end = day.tomorrow().ok()?.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
                end.checked_sub(SignedDuration::from_secs(1)).ok()
            })
            .collect();
        let card = self.scorecard_for(tier).await?;
        let mut done = 0;
        for batch in accounts.chunks(SCORE_BATCH) {
            let batch: Vec<&Account> = batch.iter().collect();
            let mut snapshots = Vec::with_capacity(batch.len() * instants.len());
            for at in &instants {
                snapshots.extend(self.snapshots_of(&card, &batch, *at, now).await?);
            }
            self.store.save_snapshots(&snapshots, &[]).await?;
            done += batch.len() as u64;
            progress(done, total);
        }
        Ok(total)
    }

    /// Starts re-scoring a tier's history in the background (admins and leadership); refused
    /// while one runs for the tier on this server.
    pub async fn start_rescore(&self, actor: &Actor, tier: Tier, days: u32) -> AppResult<RescoreStatus> {
        require(can_manage_sla(actor.user.role), "re-score health history")?;
        if !(1..=MAX_RESCORE_DAYS).contains(&days) {
            return Err(AppError::invalid_field("days", format!("must be from 1 to {MAX_RESCORE_DAYS}")));
        }
        let status = RescoreStatus {
            tier,
            days,
            state: "running",
            done: 0,
            total: 0,
            started_at: self.clock.now(),
            finished_at: None,
            error: None,
        };
        {
            let mut jobs = self.rescores.lock().unwrap_or_else(|e| e.into_inner());
            if jobs.get(&tier).is_some_and(|j| j.state == "running") {
                return Err(AppError::Conflict(format!("the {} history is being re-scored already", tier.label())));
            }
            jobs.insert(tier, status.clone());
        }
        let now = self.clock.now();
        // The last re-score asked for, per tier, kept (and audited) as a setting.
        let key = format!("health_rescore_{}", tier.as_str());
        let value = serde_json::json!({"days": days, "requested_at": now, "requested_by": actor.user.id});
        let audit = AuditEntry::new(now, Some(actor.user.id), "setting", &key, "rescore").with_after(&value);
        self.store.put_setting(&key, &value, &audit).await?;
        let app = self.clone();
        tokio::spawn(async move {
            let jobs = app.rescores.clone();
            let report = {
                let jobs = jobs.clone();
                move |done: u64, total: u64| {
                    if let Some(j) = jobs.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&tier) {
                        j.done = done;
                        j.total = total;
                    }
                }
            };
            let result = app.rescore_history(tier, days, &report).await;
            let finished = app.clock.now();
            if let Some(j) = jobs.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&tier) {
                j.finished_at = Some(finished);
                match result {
                    Ok(total) => {
                        j.state = "done";
                        j.done = total;
                        j.total = total;
                    }
                    Err(err) => {
                        j.state = "failed";
                        j.error = Some(err.to_string());
                    }
                }
            }
        });
        Ok(status)
    }

    /// The latest re-scoring job of a tier on this server.
    pub fn rescore_status(&self, actor: &Actor, tier: Tier) -> AppResult<Option<RescoreStatus>> {
        require(actor.user.role.is_staff(), "see re-scoring jobs")?;
        Ok(self.rescores.lock().unwrap_or_else(|e| e.into_inner()).get(&tier).cloned())
    }
}
