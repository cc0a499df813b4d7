//! TAM load: accounts per TAM weighted by tier, against a band leadership configures.

use serde::{Deserialize, Serialize};

use crate::accounts::{Account, Tier};
use crate::ids::UserId;
use crate::validation::FieldErrors;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoadSettings {
    /// Fewest weighted accounts a TAM should carry.
    pub band_min: f64,
    /// Most weighted accounts a TAM should carry (the seeds give 20-60 for AWS, 5-20 elsewhere).
    pub band_max: f64,
    pub weight_enterprise: f64,
    pub weight_enterprise_on_ramp: f64,
    pub weight_business: f64,
}

impl Default for LoadSettings {
    fn default() -> Self {
        LoadSettings {
            band_min: 5.0,
            band_max: 20.0,
            weight_enterprise: 1.0,
            weight_enterprise_on_ramp: 0.5,
            weight_business: 0.25,
        }
    }
}

impl LoadSettings {
    pub fn weight(&self, tier: Tier) -> f64 {
        match tier {
            Tier::Enterprise => self.weight_enterprise,
            Tier::EnterpriseOnRamp => self.weight_enterprise_on_ramp,
            Tier::Business => self.weight_business,
        }
    }

    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let checks = [
            ("band_min", self.band_min),
            ("band_max", self.band_max),
            ("weight_enterprise", self.weight_enterprise),
            ("weight_enterprise_on_ramp", self.weight_enterprise_on_ramp),
            ("weight_business", self.weight_business),
        ];
        for (field, value) in checks {
            if !value.is_finite() || value < 0.0 {
                errors.add(field, "must be a number of zero or more");
            } else if value > 1000.0 {
                errors.add(field, "must be at most 1000");
            }
        }
        if self.band_max < self.band_min {
            errors.add("band_max", "must not be below band_min");
        }
        errors.into_result()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadStatus {
    Under,
    Within,
    Over,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TamLoad {
    pub tam_id: UserId,
    pub primary_accounts: usize,
    pub backup_accounts: usize,
    /// Σ tier weight over the accounts where the TAM is primary; backups carry no weight
    /// because the backup only steps in when the primary is away.
    pub weighted_load: f64,
    pub status: LoadStatus,
}

/// Load per TAM over the live (unarchived) accounts; every TAM in `tams` gets a row, even at zero.
pub fn tam_loads(tams: &[UserId], accounts: &[Account], settings: &LoadSettings) -> Vec<TamLoad> {
    tams.iter()
        .map(|tam| {
            let live = accounts.iter().filter(|a| a.archived_at.is_none());
            let mut primary = 0;
            let mut backup = 0;
            let mut weighted = 0.0;
            for account in live {
                if account.fields.primary_tam_id == Some(*tam) {
                    primary += 1;
                    weighted += settings.weight(account.fields.tier);
                } else if account.fields.backup_tam_id == Some(*tam) {
                    backup += 1;
                }
            }
            let status = if weighted < settings.band_min {
                LoadStatus::Under
            } else if weighted > settings.band_max {
                LoadStatus::Over
            } else {
                LoadStatus::Within
            };
            TamLoad {
                tam_id: *tam,
                primary_accounts: primary,
                backup_accounts: backup,
                weighted_load: weighted,
                status,
            }
        })
        .collect()
}
