//! Passwords, logins, sessions and API-token authentication.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tamhub_domain::SignedDuration;
use tamhub_domain::users::normalise_email;
use tamhub_store::Session;

use crate::{Actor, App, AppError, AppResult};

/// A fresh random secret, URL-safe, 256 bits.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Session and API tokens are high-entropy secrets, so a fast hash suffices at rest (no
/// per-request Argon2): a database leak reveals no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2id, off the async runtime: hashing takes tens of milliseconds of CPU.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the email is unknown so that a login for a
/// missing account takes as long as one for an existing account.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0fb0KAXiOqT0lz3cGnEXr0Ak5M4Gcs9tbTQ1sMkq0eY";

pub struct LoggedIn {
    /// The raw session token for the cookie; only its hash is stored.
    pub token: String,
    pub session: Session,
    pub actor: Actor,
}

impl App {
    /// Records the attempt, checks the rate limit, then the password; only successes are forgotten.
    pub async fn login(&self, email: &str, password: &str, ip: &str) -> AppResult<LoggedIn> {
        let email = normalise_email(email);
        // No account can have such an address, and the databases should never see it.
        if email.len() > 254 || tamhub_domain::validation::has_control_chars(&email) || ip.len() > 64 {
            return Err(AppError::Unauthenticated);
        }
        let now = self.clock.now();
        let window = SignedDuration::from_mins(self.config.login_window_minutes);
        let since = now.checked_sub(window).unwrap_or(now);
        // The attempt is on record before the (slow) password check, so parallel guesses see each
        // other and the limit holds; a success removes its own record below.
        let attempt = self.store.record_login_attempt(&email, ip, now).await?;
        let (by_email, by_ip) = self.store.count_login_attempts(&email, ip, since).await?;
        if by_email > self.config.login_failures_per_email || by_ip > self.config.login_failures_per_ip {
            return Err(AppError::RateLimited { retry_after_seconds: window.as_secs() as u64 });
        }
        let credentials = self.store.find_credentials(&email).await?;
        let (user, hash) = match credentials {
            Some(c) => (Some(c.user), c.password_hash),
            None => (None, DECOY_HASH.to_string()),
        };
        let verified = verify_password(password.to_string(), hash).await;
        let user = match user {
            Some(user) if verified && user.active => user,
            _ => return Err(AppError::Unauthenticated),
        };
        self.store.forget_login_attempt(attempt).await?;
        let token = random_secret();
        let session = Session {
            token_hash: token_hash(&token),
            user_id: user.id,
            csrf_token: random_secret(),
            created_at: now,
            expires_at: now.checked_add(SignedDuration::from_hours(self.config.session_hours)).unwrap_or(now),
        };
        self.store.create_session(&session).await?;
        Ok(LoggedIn { token, session, actor: Actor::new(user) })
    }

    pub async fn logout(&self, session_token: &str) -> AppResult<()> {
        self.store.delete_session(&token_hash(session_token)).await?;
        Ok(())
    }

    pub async fn authenticate_session(&self, session_token: &str) -> AppResult<(Session, Actor)> {
        let found = self.store.session_user(&token_hash(session_token), self.clock.now()).await?;
        let (session, user) = found.ok_or(AppError::Unauthenticated)?;
        Ok((session, Actor::new(user)))
    }

    pub async fn authenticate_api_token(&self, bearer: &str) -> AppResult<Actor> {
        let found = self.store.api_token_user(&token_hash(bearer)).await?;
        let (token, user) = found.ok_or(AppError::Unauthenticated)?;
        // Record use at most hourly: a write per request would cost more than the request.
        let now = self.clock.now();
        let stale = token.last_used_at.is_none_or(|t| now.duration_since(t) > SignedDuration::from_hours(1));
        if stale {
            self.store.touch_api_token(token.id, now).await?;
        }
        Ok(Actor::new(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_hash_parses_so_unknown_emails_cost_a_real_verification() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
    }

    #[test]
    fn secrets_are_random_and_hashes_are_stable() {
        assert_ne!(random_secret(), random_secret());
        assert_eq!(token_hash("abc"), token_hash("abc"));
        assert_eq!(token_hash("abc").len(), 64);
    }
}
