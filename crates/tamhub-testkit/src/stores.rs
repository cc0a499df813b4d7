//! Per-test stores: every test owns a fresh, migrated database on each backend.
//!
//! PostgreSQL tests run when `TAMHUB_TEST_PG_URL` names a server (any database on it; the user
//! must be allowed to create databases). Each call creates `tamhub_test_<uuid>` there and never
//! drops it, which suits a throwaway cluster. With `TAMHUB_REQUIRE_PG=1` a missing URL fails
//! the test instead of skipping PostgreSQL.

use std::sync::Arc;

use sqlx::Connection;
use tamhub_store::Store;
use tamhub_store::postgres::PgStore;
use tamhub_store::sqlite::SqliteStore;

pub const PG_URL_VAR: &str = "TAMHUB_TEST_PG_URL";
pub const REQUIRE_PG_VAR: &str = "TAMHUB_REQUIRE_PG";

/// A migrated in-memory SQLite store, private to the caller.
pub async fn sqlite_store() -> Arc<SqliteStore> {
    let store = SqliteStore::connect("sqlite::memory:").await.expect("open an in-memory SQLite store");
    Arc::new(store)
}

/// A migrated store on a new PostgreSQL database, or `None` when no server is configured.
pub async fn pg_store() -> Option<Arc<PgStore>> {
    let admin_url = match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            if std::env::var(REQUIRE_PG_VAR).is_ok_and(|v| v.trim() == "1") {
                panic!(
                    "{REQUIRE_PG_VAR}=1 but {PG_URL_VAR} is not set: point it at a PostgreSQL server, \
                     e.g. {PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres"
                );
            }
            return None;
        }
    };
    let name = format!("tamhub_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("connect to {PG_URL_VAR} ({}): {e}", redact(&admin_url)));
    // The name is ours (a prefix and hex digits), never outside input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("create database {name}: {e}"));
    let _ = admin.close().await;
    let url = with_database(&admin_url, &name);
    let store = PgStore::connect(&url).await.unwrap_or_else(|e| panic!("open the PostgreSQL store {name}: {e}"));
    Some(Arc::new(store))
}

/// Every backend a conformance test should run on: SQLite always, PostgreSQL when configured.
pub async fn each_store() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut stores: Vec<(&'static str, Arc<dyn Store>)> = vec![("sqlite", sqlite_store().await)];
    if let Some(pg) = pg_store().await {
        stores.push(("postgres", pg));
    }
    stores
}

/// The same server URL naming another database; user, host, port and query parameters are kept.
pub fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{PG_URL_VAR} is not a URL: {e}"));
    parsed.set_path(&format!("/{database}"));
    parsed.into()
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.into()
        }
        Err(_) => "an unparsable URL".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_query_parameters_are_kept() {
        assert_eq!(
            with_database("postgres://u:p@db:5433/postgres?sslmode=disable&application_name=x", "t1"),
            "postgres://u:p@db:5433/t1?sslmode=disable&application_name=x"
        );
        assert_eq!(with_database("postgresql://db", "t2"), "postgresql://db/t2");
        assert_eq!(with_database("postgres://db/", "t3"), "postgres://db/t3");
    }
}
