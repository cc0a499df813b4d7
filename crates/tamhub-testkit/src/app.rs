//! `TestApp`: the real `App` on a per-test store with a clock the test moves.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tamhub_app::users::UserInput;
use tamhub_app::{Actor, App, AppConfig, Clock};
use tamhub_domain::SignedDuration;
use tamhub_domain::ids::AccountId;
use tamhub_domain::users::{Role, User};
use tamhub_store::Store;

use crate::stores::{pg_store, sqlite_store};

/// A clock that stands still until the test moves it.
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn at(t: Timestamp) -> Self {
        FixedClock(Mutex::new(t))
    }

    pub fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.checked_add(by).expect("clock stays in range");
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// 2026-03-02T09:00:00Z: a Monday morning, so business-hours rules have something to bite on.
pub fn test_epoch() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().expect("valid timestamp")
}

pub struct TestApp {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub backend: &'static str,
}

/// The password every `TestApp::user` gets.
pub const TEST_PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub fn on(store: Arc<dyn Store>) -> TestApp {
        let clock = Arc::new(FixedClock::at(test_epoch()));
        let backend = store.backend();
        let app = App::new(store, clock.clone(), AppConfig::default());
        TestApp { app, clock, backend }
    }

    /// On a fresh in-memory SQLite database with the default SLA calendar and policy.
    pub async fn sqlite() -> TestApp {
        TestApp::on(sqlite_store().await).with_sla_defaults().await
    }

    pub async fn postgres() -> Option<TestApp> {
        let store: Arc<dyn Store> = pg_store().await?;
        Some(TestApp::on(store).with_sla_defaults().await)
    }

    /// What `tamhub serve` sets up on a new database: the standard calendar and SLA policy.
    pub async fn with_sla_defaults(self) -> TestApp {
        self.app.ensure_sla_defaults().await.expect("install the default SLA configuration");
        self
    }

    /// SQLite always, and PostgreSQL when the environment provides one.
    pub async fn each() -> Vec<TestApp> {
        let mut apps = vec![TestApp::sqlite().await];
        if let Some(pg) = TestApp::postgres().await {
            apps.push(pg);
        }
        apps
    }

    /// Creates an active user with `TEST_PASSWORD`; the email is derived from the name.
    pub async fn user(&self, role: Role, name: &str, account: Option<AccountId>) -> User {
        let email = format!("{}@test.example", name.to_lowercase().replace(' ', "."));
        let input = UserInput {
            email,
            name: name.into(),
            role: role.as_str().into(),
            account_id: account,
            password: TEST_PASSWORD.into(),
        };
        self.app.create_user(None, input).await.expect("create test user")
    }

    /// An API token for the user, for `Authorization: Bearer`.
    pub async fn token(&self, user: &User) -> String {
        self.app.create_api_token(&Actor::new(user.clone()), "test").await.expect("create token").1
    }
}
