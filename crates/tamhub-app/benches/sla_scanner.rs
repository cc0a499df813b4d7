//! SLA scanner benchmark: one pass of `App::sla_scan_once` over a SQLite database holding
//! 1,000,000 open tickets (TAMHUB_BENCH_TICKETS to change), with their next SLA checks spread
//! over a day. Prints the time of a pass with nothing due, and of passes with 1,000 and 10,000
//! tickets due, each re-evaluated from its event log and stored with its alerts. Figures, not
//! assertions.
//!
//! cargo bench -p tamhub-app --bench sla_scanner

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tamhub_app::{App, AppConfig, Clock};
use tamhub_domain::Timestamp;
use tamhub_store::sqlite::SqliteStore;
use tamhub_store::{Store, TicketStore};

struct BenchClock(Mutex<Timestamp>);

impl Clock for BenchClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 2026-03-02T09:00:00Z, a Monday morning.
const BASE: i64 = 1_772_442_000;

#[tokio::main]
async fn main() {
    let tickets: i64 = std::env::var("TAMHUB_BENCH_TICKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("tamhub-scan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/scan.db", dir.display());
    let store = Arc::new(SqliteStore::connect(&url).await.expect("open store"));
    let clock = Arc::new(BenchClock(Mutex::new(Timestamp::from_second(BASE).expect("instant"))));
    let app = App::new(store.clone() as Arc<dyn Store>, clock.clone(), AppConfig::default());
    app.ensure_sla_defaults().await.expect("defaults");

    let started = Instant::now();
    let pool = store.pool();
    let account = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO accounts (id, name, tier, arr, currency, region, timezone, phase, created_at, updated_at) \
         VALUES (?, 'Bench', 'enterprise', 0, 'USD', 'EMEA', 'Europe/Berlin', 'post_launch', 0, 0)",
    )
    .bind(&account)
    .execute(pool)
    .await
    .expect("account");
    // Every ticket is a High ticket opened by a customer at BASE minus up to a day; its next
    // check is spread over the day after BASE, one ticket per 86,400/N seconds.
    let created = "{\"kind\":\"created\",\"priority\":\"high\",\"ticket_type\":\"question\",\"by\":\"customer\",\
                   \"public\":true,\"tier\":\"enterprise\",\"calendar_id\":null}";
    let ticket_id = "printf('%08x-0000-7000-8000-%012x', i, i)";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets}) \
         INSERT INTO tickets (id, number, account_id, title, description, priority, status, ticket_type, created_at, \
           updated_at, last_seq, sla_next_check_at) \
         SELECT {ticket_id}, 1000 + i, ?, 'Bench ticket ' || i, '', 'high', 'open', 'question', \
           (? - (i % 86400)) * 1000, (? - (i % 86400)) * 1000, 1, (? + i * 86400 / {tickets}) * 1000 FROM n"
    )))
    .bind(&account)
    .bind(BASE)
    .bind(BASE)
    .bind(BASE)
    .execute(pool)
    .await
    .expect("tickets");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets}) \
         INSERT INTO ticket_events (ticket_id, seq, at, actor_id, kind, payload) \
         SELECT {ticket_id}, 1, (? - (i % 86400)) * 1000, NULL, 'created', ? FROM n"
    )))
    .bind(BASE)
    .bind(created)
    .execute(pool)
    .await
    .expect("events");
    println!("generated {tickets} open tickets in {:.1} s", started.elapsed().as_secs_f64());

    let per_second = tickets as f64 / 86_400.0;
    let mut at = BASE - 1;
    for due in [0i64, 1_000, 10_000] {
        at += (due as f64 / per_second).ceil() as i64;
        *clock.0.lock().unwrap_or_else(|e| e.into_inner()) = Timestamp::from_second(at).expect("instant");
        let pass = Instant::now();
        let report = app.sla_scan_once().await.expect("scan");
        let elapsed = pass.elapsed().as_secs_f64();
        println!(
            "scan pass over {tickets} open tickets, {:>6} due: {:>8.3} s  ({} evaluated, {:.0} tickets/s)",
            due,
            elapsed,
            report.evaluated,
            report.evaluated as f64 / elapsed.max(1e-9)
        );
    }
    // A policy or calendar change asks for every open ticket to be re-evaluated: the worst pass.
    store.request_sla_recheck(Timestamp::from_second(at).expect("instant")).await.expect("recheck");
    let pass = Instant::now();
    let report = app.sla_scan_once().await.expect("scan");
    let elapsed = pass.elapsed().as_secs_f64();
    println!(
        "scan pass after a policy change, every one of {tickets} tickets due: {elapsed:.3} s  ({} evaluated, {:.0} tickets/s)",
        report.evaluated,
        report.evaluated as f64 / elapsed.max(1e-9)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
