//! Personal API tokens: shown once at creation, stored only as a hash.

use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::TokenId;
use tamhub_domain::validation::{FieldErrors, required_text};
use tamhub_store::ApiToken;

use crate::auth::{random_secret, token_hash};
use crate::{Actor, App, AppResult};

/// Tokens carry a recognisable prefix so secret scanners can find leaked ones.
pub const TOKEN_PREFIX: &str = "tamhub_";

impl App {
    /// Creates a token for the actor; the raw token is returned once and never stored.
    pub async fn create_api_token(&self, actor: &Actor, name: &str) -> AppResult<(ApiToken, String)> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", name, 100);
        errors.into_result()?;
        let raw = format!("{TOKEN_PREFIX}{}", random_secret());
        let now = self.clock.now();
        let token = ApiToken {
            id: TokenId::new(),
            user_id: actor.user.id,
            name,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        let audit = AuditEntry::new(now, Some(actor.user.id), "api_token", token.id, "create").with_after(&token);
        self.store.create_api_token(&token, &token_hash(&raw), &audit).await?;
        Ok((token, raw))
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> AppResult<Vec<ApiToken>> {
        Ok(self.store.list_api_tokens(actor.user.id).await?)
    }

    /// Only one's own tokens can be revoked; anyone else's answers not found.
    pub async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> AppResult<()> {
        let now = self.clock.now();
        let audit = AuditEntry::new(now, Some(actor.user.id), "api_token", id, "revoke");
        self.store.revoke_api_token(actor.user.id, id, now, &audit).await?;
        Ok(())
    }
}
