//! Account writes and the scoped, filtered listing.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tamhub_domain::accounts::Account;
use tamhub_domain::scope::{AccountScope, PSM_PHASES, TAM_PHASES};

use super::rows::{AccountRow, account_columns, ms, to_json};
use crate::{AccountPage, AccountQuery, Archived, StoreError, StoreResult, order_by};

fn opt_id<T: ToString>(id: Option<T>) -> Option<String> {
    id.map(|i| i.to_string())
}

pub async fn insert(conn: &mut SqliteConnection, a: &Account) -> StoreResult<()> {
    let f = &a.fields;
    sqlx::query(concat!(
        "INSERT INTO accounts (",
        account_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(a.id.to_string())
    .bind(&f.name)
    .bind(f.tier.as_str())
    .bind(f.arr)
    .bind(&f.currency)
    .bind(f.renewal_date.map(|d| d.to_string()))
    .bind(&f.region)
    .bind(&f.timezone)
    .bind(f.phase.as_str())
    .bind(to_json(&f.workloads))
    .bind(f.downtime_cost_per_hour)
    .bind(opt_id(f.primary_tam_id))
    .bind(opt_id(f.backup_tam_id))
    .bind(opt_id(f.psm_id))
    .bind(opt_id(f.pam_id))
    .bind(to_json(&f.support_ids))
    .bind(opt_id(f.calendar_id))
    .bind(a.archived_at.map(ms))
    .bind(ms(a.created_at))
    .bind(ms(a.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(conn: &mut SqliteConnection, a: &Account) -> StoreResult<()> {
    let f = &a.fields;
    let done = sqlx::query(
        "UPDATE accounts SET name = ?, tier = ?, arr = ?, currency = ?, renewal_date = ?, region = ?, timezone = ?, \
         phase = ?, workloads = ?, downtime_cost_per_hour = ?, primary_tam_id = ?, backup_tam_id = ?, psm_id = ?, \
         pam_id = ?, support_ids = ?, calendar_id = ?, archived_at = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&f.name)
    .bind(f.tier.as_str())
    .bind(f.arr)
    .bind(&f.currency)
    .bind(f.renewal_date.map(|d| d.to_string()))
    .bind(&f.region)
    .bind(&f.timezone)
    .bind(f.phase.as_str())
    .bind(to_json(&f.workloads))
    .bind(f.downtime_cost_per_hour)
    .bind(opt_id(f.primary_tam_id))
    .bind(opt_id(f.backup_tam_id))
    .bind(opt_id(f.psm_id))
    .bind(opt_id(f.pam_id))
    .bind(to_json(&f.support_ids))
    .bind(opt_id(f.calendar_id))
    .bind(a.archived_at.map(ms))
    .bind(ms(a.updated_at))
    .bind(a.id.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn push_phases(q: &mut QueryBuilder<Sqlite>, table: &str, phases: &[tamhub_domain::accounts::Phase]) {
    q.push(format!(" AND {table}.phase IN ("));
    let mut list = q.separated(", ");
    for phase in phases {
        list.push_bind(phase.as_str());
    }
    q.push(")");
}

/// The role table of `AccountScope` as SQL on the accounts table named `table` (its alias in a
/// join): the same rule `AccountScope::contains` applies in memory.
pub fn push_scope(q: &mut QueryBuilder<Sqlite>, scope: AccountScope, table: &str) {
    match scope {
        AccountScope::All => {}
        AccountScope::Tam(u) => {
            q.push(format!(" AND ({table}.primary_tam_id = ")).push_bind(u.to_string());
            q.push(format!(" OR {table}.backup_tam_id = ")).push_bind(u.to_string()).push(")");
            push_phases(q, table, &TAM_PHASES);
        }
        AccountScope::Psm(u) => {
            q.push(format!(" AND {table}.psm_id = ")).push_bind(u.to_string());
            push_phases(q, table, &PSM_PHASES);
        }
        AccountScope::Pam(u) => {
            q.push(format!(" AND {table}.pam_id = ")).push_bind(u.to_string());
        }
        AccountScope::Support(u) => {
            q.push(format!(" AND EXISTS (SELECT 1 FROM json_each({table}.support_ids) WHERE json_each.value = "))
                .push_bind(u.to_string())
                .push(")");
        }
        AccountScope::Customer(id) => {
            q.push(format!(" AND {table}.id = ")).push_bind(id.to_string());
        }
        AccountScope::Nothing => {
            q.push(" AND 1 = 0");
        }
    }
}

fn push_filters(q: &mut QueryBuilder<Sqlite>, query: &AccountQuery) {
    q.push(" WHERE 1 = 1");
    push_scope(q, query.scope, "accounts");
    if let Some(phase) = query.phase {
        q.push(" AND phase = ").push_bind(phase.as_str());
    }
    if let Some(tier) = query.tier {
        q.push(" AND tier = ").push_bind(tier.as_str());
    }
    if let Some(u) = query.assignee {
        let u = u.to_string();
        q.push(" AND (primary_tam_id = ").push_bind(u.clone());
        q.push(" OR backup_tam_id = ").push_bind(u.clone());
        q.push(" OR psm_id = ").push_bind(u.clone());
        q.push(" OR pam_id = ").push_bind(u.clone());
        q.push(" OR EXISTS (SELECT 1 FROM json_each(accounts.support_ids) WHERE json_each.value = ")
            .push_bind(u)
            .push("))");
    }
    if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (name LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
        q.push(" OR region LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
    }
    match query.archived {
        Archived::Exclude => {
            q.push(" AND archived_at IS NULL");
        }
        Archived::Only => {
            q.push(" AND archived_at IS NOT NULL");
        }
        Archived::Include => {}
    }
}

/// `%` and `_` typed by a user are literal characters, not wildcards.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn list(pool: &SqlitePool, query: &AccountQuery) -> StoreResult<AccountPage> {
    let mut tx = pool.begin().await?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM accounts");
    push_filters(&mut count, query);
    let (total,): (i64,) = count.build_query_as().fetch_one(&mut *tx).await?;

    let mut q = QueryBuilder::new(concat!("SELECT ", account_columns!(), " FROM accounts"));
    push_filters(&mut q, query);
    q.push(order_by(query.sort, query.descending));
    q.push(" LIMIT ").push_bind(i64::from(query.limit));
    q.push(" OFFSET ").push_bind(query.offset.min(i64::MAX as u64) as i64);
    let rows: Vec<AccountRow> = q.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(AccountPage { items: rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?, total: total as u64 })
}
