//! Lens versions and reviews.

use async_trait::async_trait;
use sqlx::types::Json;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::findings::Finding;
use tamhub_domain::ids::{AccountId, ReviewId};
use tamhub_domain::reviews::{Lens, Review};
use tamhub_domain::scope::AccountScope;

use super::engagements::{document, scoped_documents, states, write_extras, write_finding};
use super::rows::*;
use super::{PgStore, insert_audit};
use crate::reviews::ReviewStore;
use crate::{PlanChange, StoreError, StoreResult};

#[async_trait]
impl ReviewStore for PgStore {
    async fn list_lenses(&self) -> StoreResult<Vec<Lens>> {
        let rows: Vec<(Json<Lens>,)> =
            sqlx::query_as("SELECT state FROM review_lenses ORDER BY lens_key, version").fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn import_lens(&self, lens: &Lens, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO review_lenses (lens_key, version, imported_by, imported_at, state) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&lens.key)
        .bind(i64::from(lens.version))
        .bind(audit.actor_id.map(|u| u.0))
        .bind(ts(audit.at))
        .bind(Json(lens))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "lens {} version {} exists: versions never change, import it as version {}",
                lens.key,
                lens.version,
                lens.version + 1
            )));
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_reviews(&self, scope: AccountScope, account: Option<AccountId>) -> StoreResult<Vec<Review>> {
        let mut q = scoped_documents("reviews", scope, account);
        q.push(" ORDER BY d.updated_at DESC, d.id LIMIT 10000");
        let rows: Vec<(Json<Review>,)> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(states(rows))
    }

    async fn get_review(&self, id: ReviewId) -> StoreResult<Review> {
        document(&self.pool, "reviews", id.0).await
    }

    async fn save_review(&self, change: &PlanChange<Review>, findings: &[Finding]) -> StoreResult<Review> {
        let r = &change.record;
        let mut stored = r.clone();
        stored.version += 1;
        let mut tx = self.write().await?;
        let q = sqlx::query(if r.version == 0 {
            "INSERT INTO reviews (account_id, workload, lens_key, updated_at, version, state, id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        } else {
            "UPDATE reviews SET account_id = $1, workload = $2, lens_key = $3, updated_at = $4, version = $5, \
             state = $6 WHERE id = $7 AND version = $8"
        })
        .bind(r.account_id.0)
        .bind(&r.workload)
        .bind(&r.lens_key)
        .bind(ts(r.updated_at))
        .bind(stored.version)
        .bind(Json(&stored))
        .bind(r.id.0);
        let q = if r.version == 0 { q } else { q.bind(r.version) };
        let written = q.execute(&mut *tx).await?.rows_affected();
        write_extras(&mut tx, change, written).await?;
        for finding in findings {
            write_finding(&mut tx, finding).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }
}
