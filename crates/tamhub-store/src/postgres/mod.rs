//! PostgreSQL, for teams that outgrow one machine.
use crate::StoreResult;
pub struct PgStore;
impl PgStore {
    pub async fn connect(_url: &str) -> StoreResult<PgStore> {
        Err(crate::StoreError::Corrupt("PostgreSQL backend not built yet".into()))
    }
}
