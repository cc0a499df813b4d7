//! Health re-scoring benchmark: a SQLite database with 10,000 enterprise accounts
//! (TAMHUB_BENCH_ACCOUNTS), 1,000,000 tickets spread over them (TAMHUB_BENCH_TICKETS) with some
//! SLA breaches, and 30 days of five signals per account; a 12-measure scorecard (six built-in
//! measures, six signal aggregates). Prints the time to score every account once and store the
//! day's snapshots (what a re-score of one day does), and a TAM's portfolio read of 60 accounts'
//! health with sparklines. Figures, not assertions.
//!
//! cargo bench -p tamhub-app --bench health_rescore

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tamhub_app::{Actor, App, AppConfig, Clock};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Tier;
use tamhub_domain::health::{Aggregate, Direction, Measure, MeasureSource, ScorecardContent, ScoringRule};
use tamhub_domain::ids::AccountId;
use tamhub_domain::users::{Role, User};
use tamhub_store::Store;
use tamhub_store::sqlite::SqliteStore;

struct BenchClock(Mutex<Timestamp>);

impl Clock for BenchClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 2026-03-02T09:00:00Z.
const BASE: i64 = 1_772_442_000;

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn scorecard() -> ScorecardContent {
    use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower};
    let linear = |direction, good, bad| ScoringRule::Linear { direction, good, bad };
    let m = |key: &str, source: MeasureSource, weight: f64, rule: ScoringRule| Measure {
        key: key.into(),
        label: key.into(),
        source,
        weight,
        rule,
    };
    let signal =
        |name: &str, aggregate, window_days| MeasureSource::Signal { name: name.into(), aggregate, window_days };
    ScorecardContent {
        name: "Bench".into(),
        measures: vec![
            m("critical", MeasureSource::OpenCriticalHighTickets, 2.0, linear(Lower, 0.0, 5.0)),
            m("breaches", MeasureSource::SlaBreaches30d, 2.0, linear(Lower, 0.0, 6.0)),
            m("trend", MeasureSource::TicketVolumeTrend, 1.0, linear(Lower, 0.0, 100.0)),
            m("incidents", MeasureSource::MajorIncidents90d, 3.0, linear(Lower, 0.0, 3.0)),
            m("actions", MeasureSource::OverdueActions, 1.0, linear(Lower, 0.0, 4.0)),
            m("renewal", MeasureSource::RenewalProximity, 1.0, linear(Higher, 90.0, 0.0)),
            m("uptime", signal("uptime_pct", Aggregate::Mean, 30), 4.0, linear(Higher, 99.95, 99.0)),
            m("errors", signal("error_rate", Aggregate::Mean, 7), 3.0, linear(Lower, 0.1, 2.0)),
            m("latency", signal("p95_latency_ms", Aggregate::Mean, 7), 1.0, linear(Lower, 300.0, 1500.0)),
            m("adoption", signal("feature_adoption_pct", Aggregate::Latest, 90), 2.0, linear(Higher, 70.0, 20.0)),
            m("csat", signal("csat", Aggregate::Mean, 90), 2.0, linear(Higher, 4.5, 3.0)),
            m("users", signal("active_users", Aggregate::Max, 30), 1.0, linear(Higher, 500.0, 10.0)),
        ],
        min_data_pct: 60.0,
        green_from: 75.0,
        yellow_from: 50.0,
    }
}

#[tokio::main]
async fn main() {
    let accounts = env("TAMHUB_BENCH_ACCOUNTS", 10_000);
    let tickets = env("TAMHUB_BENCH_TICKETS", 1_000_000);
    let dir = std::env::temp_dir().join(format!("tamhub-health-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/health.db", dir.display());
    let store = Arc::new(SqliteStore::connect(&url).await.expect("open store"));
    let clock = Arc::new(BenchClock(Mutex::new(Timestamp::from_second(BASE).expect("instant"))));
    let app = App::new(store.clone() as Arc<dyn Store>, clock.clone(), AppConfig::default());
    let pool = store.pool();

    let started = Instant::now();
    let tam = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO users (id, email, name, role, active, created_at, updated_at, password_hash) \
         VALUES (?, 'tam@bench.example', 'Bench TAM', 'tam', 1, 0, 0, '')",
    )
    .bind(tam.to_string())
    .execute(pool)
    .await
    .expect("user");
    let account_id = "printf('%08x-0000-7000-9000-%012x', i, i)";
    // The first 60 accounts are the bench TAM's portfolio.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {accounts}) \
         INSERT INTO accounts (id, name, tier, arr, currency, region, timezone, phase, renewal_date, primary_tam_id, \
           created_at, updated_at) \
         SELECT {account_id}, 'Account ' || i, 'enterprise', 100000, 'USD', 'EMEA', 'Europe/Berlin', 'post_launch', \
           date('2026-03-02', '+' || (i % 400) || ' days'), CASE WHEN i <= 60 THEN ? END, 0, 0 FROM n"
    )))
    .bind(tam.to_string())
    .execute(pool)
    .await
    .expect("accounts");
    let ticket_id = "printf('%08x-0000-7000-8000-%012x', i, i)";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets}) \
         INSERT INTO tickets (id, number, account_id, title, description, priority, status, ticket_type, created_at, \
           updated_at, last_seq) \
         SELECT {ticket_id}, i, printf('%08x-0000-7000-9000-%012x', 1 + i % {accounts}, 1 + i % {accounts}), \
           'Bench ticket', '', CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END, \
           CASE WHEN i % 10 < 2 THEN 'open' ELSE 'solved' END, 'question', (? - (i % 5184000)) * 1000, \
           (? - (i % 5184000)) * 1000, 1 FROM n"
    )))
    .bind(BASE)
    .bind(BASE)
    .execute(pool)
    .await
    .expect("tickets");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 7 FROM n WHERE i < {tickets}) \
         INSERT INTO sla_alerts (ticket_id, metric, cycle_no, kind, threshold, at, recorded_at) \
         SELECT {ticket_id}, 'first_response', 1, 'breach', 0, (? - (i % 5184000)) * 1000, 0 FROM n"
    )))
    .bind(BASE)
    .execute(pool)
    .await
    .expect("alerts");
    // Five signals a day for 30 days, and a CSAT a week.
    for (name, base, spread, every) in [
        ("uptime_pct", 99.0, 0.99, 1),
        ("error_rate", 0.1, 2.0, 1),
        ("p95_latency_ms", 300.0, 1200.0, 1),
        ("feature_adoption_pct", 20.0, 60.0, 1),
        ("active_users", 10.0, 800.0, 1),
        ("csat", 3.0, 2.0, 7),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE a(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM a WHERE i < {accounts}), \
             d(j) AS (SELECT 0 UNION ALL SELECT j + {every} FROM d WHERE j + {every} < 30) \
             INSERT INTO signals (account_id, name, at, value, recorded_at) \
             SELECT {account_id}, '{name}', (? - j * 86400) * 1000, {base} + {spread} * ((i * 7 + j * 13) % 100) / 100.0, 0 \
             FROM a, d"
        )))
        .bind(BASE - 3600)
        .execute(pool)
        .await
        .expect("signals");
    }
    sqlx::query("ANALYZE").execute(pool).await.expect("analyze");
    println!(
        "generated {accounts} accounts, {tickets} tickets, {} breaches, 30 days of signals in {:.1} s",
        tickets / 7,
        started.elapsed().as_secs_f64()
    );

    let admin = User {
        id: tamhub_domain::ids::UserId::new(),
        email: "admin@bench.example".into(),
        name: "Admin".into(),
        role: Role::Admin,
        account_id: None,
        active: true,
        created_at: Timestamp::from_second(BASE).expect("instant"),
        updated_at: Timestamp::from_second(BASE).expect("instant"),
    };
    store
        .create_user(
            &admin,
            "",
            &tamhub_domain::audit::AuditEntry::new(
                Timestamp::from_second(BASE).expect("instant"),
                None,
                "user",
                admin.id,
                "create",
            ),
        )
        .await
        .expect("admin");
    app.save_scorecard(&Actor::new(admin), Tier::Enterprise, scorecard()).await.expect("scorecard");

    for run in 1..=2 {
        let started = Instant::now();
        let scored = app.snapshot_health(Timestamp::from_second(BASE).expect("instant")).await.expect("snapshot");
        let secs = started.elapsed().as_secs_f64();
        println!(
            "re-score (run {run}): {scored} accounts × 12 measures in {secs:.2} s ({:.0} accounts/s)",
            scored as f64 / secs
        );
    }

    let ids: Vec<AccountId> =
        (1..=60).map(|i| format!("{i:08x}-0000-7000-9000-{i:012x}").parse().expect("id")).collect();
    let tam_user = store.get_user(tamhub_domain::ids::UserId(tam)).await.expect("tam");
    let tam_actor = Actor::new(tam_user);
    let mut times = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let health = app.portfolio_health(&tam_actor, &ids).await.expect("portfolio");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(health.len(), 60);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "portfolio health of 60 accounts (latest snapshot, 30-day sparkline data, overrides): median {:.2} ms, p99 {:.2} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
