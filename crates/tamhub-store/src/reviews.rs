//! What the stores keep for lens-based reviews: imported lens versions and reviews (answers,
//! milestones and planned improvements inside each review's document).

use async_trait::async_trait;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::findings::Finding;
use tamhub_domain::ids::{AccountId, ReviewId};
use tamhub_domain::reviews::{Lens, Review};
use tamhub_domain::scope::AccountScope;

use crate::{PlanChange, StoreResult};

#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Every version of every imported lens (the built-in ones live in the binary).
    async fn list_lenses(&self) -> StoreResult<Vec<Lens>>;
    /// Stores a new lens version; `Conflict` when that key and version exist.
    async fn import_lens(&self, lens: &Lens, audit: &AuditEntry) -> StoreResult<()>;

    /// Reviews of the accounts in `scope` (one account with `account`), newest first.
    async fn list_reviews(&self, scope: AccountScope, account: Option<AccountId>) -> StoreResult<Vec<Review>>;
    async fn get_review(&self, id: ReviewId) -> StoreResult<Review>;
    /// Stores the review (inserted at version 0, else updated if still at its version) with the
    /// findings its planned improvements bring; returns it as stored.
    async fn save_review(&self, change: &PlanChange<Review>, findings: &[Finding]) -> StoreResult<Review>;
}
