//! Leadership's view of the team: TAM load against the band, and accounts missing a TAM.

use tamhub_domain::accounts::Account;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::load::{LoadSettings, TamLoad, tam_loads};
use tamhub_domain::scope::{AccountScope, TAM_PHASES};
use tamhub_domain::users::{Role, User};
use tamhub_store::{AccountQuery, UserQuery};

use crate::policy::{can_view_team_load, require};
use crate::{Actor, App, AppError, AppResult};

const LOAD_SETTINGS_KEY: &str = "tam_load";
/// Far above any real portfolio; the load view reads every live account once.
const ALL_ACCOUNTS: u32 = 1_000_000;

pub struct TeamLoad {
    pub settings: LoadSettings,
    pub tams: Vec<(User, TamLoad)>,
    /// Accounts in Gate 3 or Post-Launch without a primary TAM or without a backup TAM.
    pub uncovered: Vec<Account>,
}

impl App {
    pub async fn load_settings(&self) -> AppResult<LoadSettings> {
        match self.store.get_setting(LOAD_SETTINGS_KEY).await? {
            Some(value) => serde_json::from_value(value).map_err(|e| AppError::Internal(e.to_string())),
            None => Ok(LoadSettings::default()),
        }
    }

    pub async fn set_load_settings(&self, actor: &Actor, settings: LoadSettings) -> AppResult<LoadSettings> {
        require(can_view_team_load(actor.user.role), "configure the TAM load band")?;
        settings.validate()?;
        let before = self.load_settings().await?;
        let value = serde_json::to_value(&settings).map_err(|e| AppError::Internal(e.to_string()))?;
        let audit = AuditEntry::new(self.clock.now(), Some(actor.user.id), "setting", LOAD_SETTINGS_KEY, "update")
            .with_before(&before)
            .with_after(&settings);
        self.store.put_setting(LOAD_SETTINGS_KEY, &value, &audit).await?;
        Ok(settings)
    }

    pub async fn team_load(&self, actor: &Actor) -> AppResult<TeamLoad> {
        require(can_view_team_load(actor.user.role), "see the team's load")?;
        let settings = self.load_settings().await?;
        let tams = self.store.list_users(&UserQuery { role: Some(Role::Tam), include_inactive: false }).await?;
        let mut query = AccountQuery::in_scope(AccountScope::All);
        query.limit = ALL_ACCOUNTS;
        let accounts = self.store.list_accounts(&query).await?.items;
        let ids: Vec<_> = tams.iter().map(|t| t.id).collect();
        let loads = tam_loads(&ids, &accounts, &settings);
        let mut rows: Vec<(User, TamLoad)> = tams.into_iter().zip(loads).collect();
        rows.sort_by(|a, b| b.1.weighted_load.total_cmp(&a.1.weighted_load).then_with(|| a.0.name.cmp(&b.0.name)));
        let uncovered = accounts
            .into_iter()
            .filter(|a| TAM_PHASES.contains(&a.fields.phase))
            .filter(|a| a.fields.primary_tam_id.is_none() || a.fields.backup_tam_id.is_none())
            .collect();
        Ok(TeamLoad { settings, tams: rows, uncovered })
    }
}
