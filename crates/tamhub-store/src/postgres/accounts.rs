//! Account writes and the scoped, filtered listing.

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use tamhub_domain::accounts::Account;
use tamhub_domain::ids::UserId;
use tamhub_domain::scope::{AccountScope, PSM_PHASES, TAM_PHASES};
use uuid::Uuid;

use super::rows::{AccountRow, account_columns, opt_date, opt_ts, ts};
use crate::{AccountPage, AccountQuery, AccountSort, Archived, StoreError, StoreResult};

fn opt_id(id: Option<UserId>) -> Option<Uuid> {
    id.map(|i| i.0)
}

fn support_ids(a: &Account) -> Vec<Uuid> {
    a.fields.support_ids.iter().map(|i| i.0).collect()
}

pub async fn insert(conn: &mut PgConnection, a: &Account) -> StoreResult<()> {
    let f = &a.fields;
    sqlx::query(concat!(
        "INSERT INTO accounts (",
        account_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    ))
    .bind(a.id.0)
    .bind(&f.name)
    .bind(f.tier.as_str())
    .bind(f.arr)
    .bind(&f.currency)
    .bind(opt_date(f.renewal_date))
    .bind(&f.region)
    .bind(&f.timezone)
    .bind(f.phase.as_str())
    .bind(Json(&f.workloads))
    .bind(f.downtime_cost_per_hour)
    .bind(opt_id(f.primary_tam_id))
    .bind(opt_id(f.backup_tam_id))
    .bind(opt_id(f.psm_id))
    .bind(opt_id(f.pam_id))
    .bind(support_ids(a))
    .bind(a.fields.calendar_id.map(|c| c.0))
    .bind(opt_ts(a.archived_at))
    .bind(ts(a.created_at))
    .bind(ts(a.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(conn: &mut PgConnection, a: &Account) -> StoreResult<()> {
    let f = &a.fields;
    let done = sqlx::query(
        "UPDATE accounts SET name = $1, tier = $2, arr = $3, currency = $4, renewal_date = $5, region = $6, \
         timezone = $7, phase = $8, workloads = $9, downtime_cost_per_hour = $10, primary_tam_id = $11, \
         backup_tam_id = $12, psm_id = $13, pam_id = $14, support_ids = $15, calendar_id = $16, archived_at = $17, \
         updated_at = $18 WHERE id = $19",
    )
    .bind(&f.name)
    .bind(f.tier.as_str())
    .bind(f.arr)
    .bind(&f.currency)
    .bind(opt_date(f.renewal_date))
    .bind(&f.region)
    .bind(&f.timezone)
    .bind(f.phase.as_str())
    .bind(Json(&f.workloads))
    .bind(f.downtime_cost_per_hour)
    .bind(opt_id(f.primary_tam_id))
    .bind(opt_id(f.backup_tam_id))
    .bind(opt_id(f.psm_id))
    .bind(opt_id(f.pam_id))
    .bind(support_ids(a))
    .bind(a.fields.calendar_id.map(|c| c.0))
    .bind(opt_ts(a.archived_at))
    .bind(ts(a.updated_at))
    .bind(a.id.0)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn push_phases(q: &mut QueryBuilder<Postgres>, table: &str, phases: &[tamhub_domain::accounts::Phase]) {
    q.push(format!(" AND {table}.phase IN ("));
    let mut list = q.separated(", ");
    for phase in phases {
        list.push_bind(phase.as_str());
    }
    q.push(")");
}

/// The role table of `AccountScope` as SQL on the accounts table named `table` (its alias in a
/// join): the same rule `AccountScope::contains` applies in memory.
pub fn push_scope(q: &mut QueryBuilder<Postgres>, scope: AccountScope, table: &str) {
    match scope {
        AccountScope::All => {}
        AccountScope::Tam(u) => {
            q.push(format!(" AND ({table}.primary_tam_id = ")).push_bind(u.0);
            q.push(format!(" OR {table}.backup_tam_id = ")).push_bind(u.0).push(")");
            push_phases(q, table, &TAM_PHASES);
        }
        AccountScope::Psm(u) => {
            q.push(format!(" AND {table}.psm_id = ")).push_bind(u.0);
            push_phases(q, table, &PSM_PHASES);
        }
        AccountScope::Pam(u) => {
            q.push(format!(" AND {table}.pam_id = ")).push_bind(u.0);
        }
        AccountScope::Support(u) => {
            q.push(" AND ").push_bind(u.0).push(format!(" = ANY({table}.support_ids)"));
        }
        AccountScope::Customer(id) => {
            q.push(format!(" AND {table}.id = ")).push_bind(id.0);
        }
        AccountScope::Nothing => {
            q.push(" AND 1 = 0");
        }
    }
}

fn push_filters(q: &mut QueryBuilder<Postgres>, query: &AccountQuery) {
    q.push(" WHERE 1 = 1");
    push_scope(q, query.scope, "accounts");
    if let Some(phase) = query.phase {
        q.push(" AND phase = ").push_bind(phase.as_str());
    }
    if let Some(tier) = query.tier {
        q.push(" AND tier = ").push_bind(tier.as_str());
    }
    if let Some(u) = query.assignee {
        q.push(" AND (primary_tam_id = ").push_bind(u.0);
        q.push(" OR backup_tam_id = ").push_bind(u.0);
        q.push(" OR psm_id = ").push_bind(u.0);
        q.push(" OR pam_id = ").push_bind(u.0);
        q.push(" OR ").push_bind(u.0).push(" = ANY(support_ids))");
    }
    if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (name ILIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
        q.push(" OR region ILIKE ").push_bind(pattern).push(" ESCAPE '\\')");
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

/// The crate's ORDER BY, with text compared byte by byte (`COLLATE "C"`) as SQLite does, so
/// both backends list accounts in the same order whatever the database's default collation.
fn order_by(sort: AccountSort, descending: bool) -> String {
    let clause = crate::order_by(sort, descending);
    match sort {
        AccountSort::Name | AccountSort::Tier | AccountSort::Phase | AccountSort::Region | AccountSort::Timezone => {
            let column = sort.column();
            let dir = if descending { "DESC" } else { "ASC" };
            clause.replacen(&format!("{column} {dir}"), &format!("{column} COLLATE \"C\" {dir}"), 1)
        }
        AccountSort::Arr | AccountSort::Renewal | AccountSort::Updated => clause,
    }
}

pub async fn list(pool: &PgPool, query: &AccountQuery) -> StoreResult<AccountPage> {
    // REPEATABLE READ so the count and the page see the same snapshot, as SQLite's read
    // transaction does.
    let mut tx = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_columns_are_ordered_bytewise_like_sqlite() {
        assert_eq!(order_by(AccountSort::Name, true), " ORDER BY name IS NULL, name COLLATE \"C\" DESC, id ASC");
        assert_eq!(order_by(AccountSort::Arr, false), " ORDER BY arr IS NULL, arr ASC, id ASC");
    }
}
