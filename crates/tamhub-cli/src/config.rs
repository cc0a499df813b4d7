//! Configuration: defaults, then an optional TOML file, then `TAMHUB_*` variables, then flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// "text" (default) or "json".
    pub log_format: String,
    /// How often the SLA scanner looks for due warnings and breaches.
    pub sla_scan_seconds: u64,
    /// Minutes from declaring an incident to its first customer update, for P0, P1, P2 and P3;
    /// 0: no requirement (SLA-SPEC R-I2).
    pub incident_first_update_minutes: [i64; 4],
    /// Minutes between customer updates after the first, per severity; 0: no requirement.
    pub incident_update_minutes: [i64; 4],
    /// Incidents ever at this severity or worse need a post-incident review (R-I5): P0-P3.
    pub incident_review_required_through: String,
    /// Days within which incidents sharing a root-cause category and a service are repeats.
    pub incident_repeat_window_days: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://tamhub-data/tamhub.db".into(),
            secure_cookies: false,
            session_hours: 12,
            log_format: "text".into(),
            sla_scan_seconds: 10,
            incident_first_update_minutes: [15, 30, 240, 0],
            incident_update_minutes: [30, 60, 240, 0],
            incident_review_required_through: "P1".into(),
            incident_repeat_window_days: 90,
        }
    }
}

impl Config {
    pub fn load(file: Option<&std::path::Path>, database_url: Option<String>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("TAMHUB_").only(&[
            "listen",
            "database_url",
            "secure_cookies",
            "session_hours",
            "log_format",
            "sla_scan_seconds",
        ]));
        let mut config: Config = figment.extract()?;
        if let Some(url) = database_url {
            config.database_url = url;
        }
        if !(1..=3600).contains(&config.sla_scan_seconds) {
            anyhow::bail!("sla_scan_seconds must be between 1 and 3600");
        }
        if config.session_hours < 1 {
            anyhow::bail!("session_hours must be at least 1");
        }
        if tamhub_domain::incidents::Severity::parse(&config.incident_review_required_through).is_none() {
            anyhow::bail!("incident_review_required_through must be P0, P1, P2 or P3");
        }
        if !(1..=3660).contains(&config.incident_repeat_window_days) {
            anyhow::bail!("incident_repeat_window_days must be between 1 and 3660");
        }
        if let Err(errors) = config.incident_cadence().validate() {
            let problems: Vec<String> = errors.iter().map(|(f, m)| format!("{f} {m}")).collect();
            anyhow::bail!("incident cadence: {}", problems.join("; "));
        }
        Ok(config)
    }

    pub fn incident_cadence(&self) -> tamhub_domain::incident_cadence::CadenceSettings {
        let minutes = |values: [i64; 4]| values.map(|m| (m != 0).then_some(m));
        tamhub_domain::incident_cadence::CadenceSettings {
            first_update_minutes: minutes(self.incident_first_update_minutes),
            cadence_minutes: minutes(self.incident_update_minutes),
            ..Default::default()
        }
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TAMHUB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_hidden_in_database_urls() {
        assert_eq!(super::redact("postgres://app:s3cret@db:5432/tamhub"), "postgres://app:***@db:5432/tamhub");
        assert_eq!(super::redact("sqlite://tamhub-data/tamhub.db"), "sqlite://tamhub-data/tamhub.db");
    }
}
