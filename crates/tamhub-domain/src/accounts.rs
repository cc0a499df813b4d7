//! Accounts: the customers or partners in a TAM's portfolio, with their lifecycle phase.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, CalendarId, UserId};
use crate::validation::{FieldErrors, parse_choice, required_text};
use crate::{Date, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Enterprise,
    EnterpriseOnRamp,
    Business,
}

impl Tier {
    pub const ALL: [(Tier, &'static str); 3] = [
        (Tier::Enterprise, "enterprise"),
        (Tier::EnterpriseOnRamp, "enterprise_on_ramp"),
        (Tier::Business, "business"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Enterprise => "enterprise",
            Tier::EnterpriseOnRamp => "enterprise_on_ramp",
            Tier::Business => "business",
        }
    }

    pub fn parse(value: &str) -> Option<Tier> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(t, _)| *t)
    }

    pub fn label(self) -> &'static str {
        match self {
            Tier::Enterprise => "Enterprise",
            Tier::EnterpriseOnRamp => "Enterprise On-Ramp",
            Tier::Business => "Business",
        }
    }
}

/// Lifecycle phase. Gate 3 "Ready to Deliver" is weeks 18-20 of onboarding; the TAM takes over
/// from the PSM there, and Post-Launch is the TAM's steady state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    // Explicit: serde's snake_case would write "gate3", but the wire name is "gate_3".
    #[serde(rename = "gate_0")]
    Gate0,
    #[serde(rename = "gate_1")]
    Gate1,
    #[serde(rename = "gate_2")]
    Gate2,
    #[serde(rename = "gate_3")]
    Gate3,
    PostLaunch,
}

impl Phase {
    pub const ALL: [(Phase, &'static str); 5] = [
        (Phase::Gate0, "gate_0"),
        (Phase::Gate1, "gate_1"),
        (Phase::Gate2, "gate_2"),
        (Phase::Gate3, "gate_3"),
        (Phase::PostLaunch, "post_launch"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Gate0 => "gate_0",
            Phase::Gate1 => "gate_1",
            Phase::Gate2 => "gate_2",
            Phase::Gate3 => "gate_3",
            Phase::PostLaunch => "post_launch",
        }
    }

    pub fn parse(value: &str) -> Option<Phase> {
        Self::ALL.iter().find(|(_, n)| *n == value).map(|(p, _)| *p)
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Gate0 => "Gate 0",
            Phase::Gate1 => "Gate 1",
            Phase::Gate2 => "Gate 2",
            Phase::Gate3 => "Gate 3 · Ready to Deliver",
            Phase::PostLaunch => "Post-Launch",
        }
    }

    fn rank(self) -> u8 {
        self as u8
    }

    /// Forward moves go one gate at a time so no gate's exit criteria are skipped; moving back is
    /// allowed (a launch can slip). Post-Launch is only reached from Gate 3 with the handoff
    /// signed off by the PSM and the primary TAM.
    pub fn check_transition(from: Phase, to: Phase, handoff_signed: bool) -> Result<(), String> {
        if from == to || to.rank() < from.rank() {
            return Ok(());
        }
        if to.rank() > from.rank() + 1 {
            return Err(format!(
                "can only advance one gate at a time: {} is followed by {}",
                from.label(),
                Phase::ALL[from.rank() as usize + 1].0.label()
            ));
        }
        if to == Phase::PostLaunch && !handoff_signed {
            return Err("cannot move to Post-Launch before the Gate 3 handoff checklist is complete and signed off by the account's PSM and primary TAM".into());
        }
        Ok(())
    }
}

/// The editable fields of an account, validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountFields {
    pub name: String,
    pub tier: Tier,
    /// Annual recurring revenue in minor currency units (cents).
    pub arr: i64,
    pub currency: String,
    pub renewal_date: Option<Date>,
    pub region: String,
    pub timezone: String,
    pub phase: Phase,
    pub workloads: Vec<String>,
    /// Cost of an hour of downtime in minor currency units; values incidents avoided (ROI).
    pub downtime_cost_per_hour: Option<i64>,
    pub primary_tam_id: Option<UserId>,
    pub backup_tam_id: Option<UserId>,
    pub psm_id: Option<UserId>,
    pub pam_id: Option<UserId>,
    /// Support engineers engaged on the account; they see it and its tickets.
    pub support_ids: Vec<UserId>,
    /// The business calendar its SLA clocks run in; `None` = the organisation's default.
    pub calendar_id: Option<CalendarId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    #[serde(flatten)]
    pub fields: AccountFields,
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The assignment slots and the role each one requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignment {
    PrimaryTam,
    BackupTam,
    Psm,
    Pam,
    Support,
}

impl Assignment {
    pub fn field(self) -> &'static str {
        match self {
            Assignment::PrimaryTam => "primary_tam_id",
            Assignment::BackupTam => "backup_tam_id",
            Assignment::Psm => "psm_id",
            Assignment::Pam => "pam_id",
            Assignment::Support => "support_ids",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Assignment::PrimaryTam => "Primary TAM",
            Assignment::BackupTam => "Backup TAM",
            Assignment::Psm => "PSM",
            Assignment::Pam => "PAM",
            Assignment::Support => "Support engineer",
        }
    }

    pub fn required_role(self) -> crate::users::Role {
        use crate::users::Role;
        match self {
            Assignment::PrimaryTam | Assignment::BackupTam => Role::Tam,
            Assignment::Psm => Role::Psm,
            Assignment::Pam => Role::Pam,
            Assignment::Support => Role::Support,
        }
    }
}

impl AccountFields {
    /// Every assigned user with the slot it fills, to check roles against the user directory.
    pub fn assignments(&self) -> Vec<(Assignment, UserId)> {
        let mut out = Vec::new();
        let slots = [
            (Assignment::PrimaryTam, self.primary_tam_id),
            (Assignment::BackupTam, self.backup_tam_id),
            (Assignment::Psm, self.psm_id),
            (Assignment::Pam, self.pam_id),
        ];
        for (slot, id) in slots {
            if let Some(id) = id {
                out.push((slot, id));
            }
        }
        out.extend(self.support_ids.iter().map(|id| (Assignment::Support, *id)));
        out
    }

    pub fn to_draft(&self) -> AccountDraft {
        AccountDraft {
            name: self.name.clone(),
            tier: self.tier.as_str().into(),
            arr: self.arr,
            currency: self.currency.clone(),
            renewal_date: self.renewal_date.map(|d| d.to_string()),
            region: self.region.clone(),
            timezone: self.timezone.clone(),
            phase: self.phase.as_str().into(),
            workloads: self.workloads.clone(),
            downtime_cost_per_hour: self.downtime_cost_per_hour,
            primary_tam_id: self.primary_tam_id,
            backup_tam_id: self.backup_tam_id,
            psm_id: self.psm_id,
            pam_id: self.pam_id,
            support_ids: self.support_ids.clone(),
            calendar_id: self.calendar_id,
        }
    }
}

/// Unvalidated account fields as a user typed them (enum values and dates still text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountDraft {
    pub name: String,
    pub tier: String,
    pub arr: i64,
    pub currency: String,
    pub renewal_date: Option<String>,
    pub region: String,
    pub timezone: String,
    pub phase: String,
    pub workloads: Vec<String>,
    pub downtime_cost_per_hour: Option<i64>,
    pub primary_tam_id: Option<UserId>,
    pub backup_tam_id: Option<UserId>,
    pub psm_id: Option<UserId>,
    pub pam_id: Option<UserId>,
    pub support_ids: Vec<UserId>,
    pub calendar_id: Option<CalendarId>,
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_WORKLOADS: usize = 50;
/// Guards against typos of a few orders of magnitude: 10^15 cents is ten trillion.
pub const MAX_MONEY_MINOR: i64 = 1_000_000_000_000_000;

impl AccountDraft {
    pub fn validate(self) -> Result<AccountFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", &self.name, MAX_NAME_CHARS);
        let tier = parse_choice(&mut errors, "tier", &self.tier, &Tier::ALL);
        let phase = parse_choice(&mut errors, "phase", &self.phase, &Phase::ALL);
        check_money(&mut errors, "arr", self.arr);
        if let Some(cost) = self.downtime_cost_per_hour {
            check_money(&mut errors, "downtime_cost_per_hour", cost);
        }
        let currency = self.currency.trim().to_string();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            errors.add("currency", "must be a three-letter ISO 4217 code such as USD or EUR");
        }
        let renewal_date = match self.renewal_date.as_deref().map(str::trim) {
            None | Some("") => None,
            // Four-digit years only: both databases store and order these the same way.
            Some(text) => match text.parse::<Date>() {
                Ok(date) if (1900..=9999).contains(&date.year()) => Some(date),
                Ok(_) => {
                    errors.add("renewal_date", "must be between 1900-01-01 and 9999-12-31");
                    None
                }
                Err(_) => {
                    errors.add("renewal_date", "must be a date as YYYY-MM-DD");
                    None
                }
            },
        };
        let region = required_text(&mut errors, "region", &self.region, 64);
        let timezone = self.timezone.trim().to_string();
        if !is_valid_timezone(&timezone) {
            errors.add("timezone", "must be an IANA time zone such as Europe/Berlin");
        }
        let workloads = check_workloads(&mut errors, &self.workloads);
        if self.primary_tam_id.is_some() && self.primary_tam_id == self.backup_tam_id {
            errors.add("backup_tam_id", "must differ from the primary TAM");
        }
        let mut support_ids = self.support_ids.clone();
        support_ids.sort();
        support_ids.dedup();
        errors.into_result()?;
        Ok(AccountFields {
            name,
            tier: tier.unwrap_or(Tier::Business),
            arr: self.arr,
            currency,
            renewal_date,
            region,
            timezone,
            phase: phase.unwrap_or(Phase::Gate0),
            workloads,
            downtime_cost_per_hour: self.downtime_cost_per_hour,
            primary_tam_id: self.primary_tam_id,
            backup_tam_id: self.backup_tam_id,
            psm_id: self.psm_id,
            pam_id: self.pam_id,
            support_ids,
            calendar_id: self.calendar_id,
        })
    }
}

fn check_money(errors: &mut FieldErrors, field: &str, value: i64) {
    if value < 0 {
        errors.add(field, "must not be negative");
    } else if value > MAX_MONEY_MINOR {
        errors.add(field, "is implausibly large");
    }
}

fn check_workloads(errors: &mut FieldErrors, workloads: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if workloads.len() > MAX_WORKLOADS {
        errors.add("workloads", format!("must list at most {MAX_WORKLOADS} workloads"));
    }
    for workload in workloads {
        let name = workload.trim();
        if name.is_empty() {
            errors.add("workloads", "workload names must not be empty");
        } else if name.chars().count() > 100 {
            errors.add("workloads", "workload names must be at most 100 characters");
        } else if crate::validation::has_control_chars(name) {
            errors.add("workloads", "workload names must not contain control characters");
        } else if out.iter().any(|w| w.eq_ignore_ascii_case(name)) {
            errors.add("workloads", format!("lists \"{name}\" twice"));
        } else {
            out.push(name.to_string());
        }
    }
    out
}

pub fn is_valid_timezone(name: &str) -> bool {
    !name.is_empty() && jiff::tz::TimeZone::get(name).is_ok()
}

/// A partial update. `Some(None)` clears a nullable field; `None` leaves it alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub tier: Option<String>,
    pub arr: Option<i64>,
    pub currency: Option<String>,
    pub renewal_date: Option<Option<String>>,
    pub region: Option<String>,
    pub timezone: Option<String>,
    pub phase: Option<String>,
    pub workloads: Option<Vec<String>>,
    pub downtime_cost_per_hour: Option<Option<i64>>,
    pub primary_tam_id: Option<Option<UserId>>,
    pub backup_tam_id: Option<Option<UserId>>,
    pub psm_id: Option<Option<UserId>>,
    pub pam_id: Option<Option<UserId>>,
    pub support_ids: Option<Vec<UserId>>,
    pub calendar_id: Option<Option<CalendarId>>,
}

impl AccountPatch {
    pub fn apply(self, draft: &mut AccountDraft) {
        fn set<T>(slot: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *slot = v;
            }
        }
        set(&mut draft.name, self.name);
        set(&mut draft.tier, self.tier);
        set(&mut draft.arr, self.arr);
        set(&mut draft.currency, self.currency);
        set(&mut draft.renewal_date, self.renewal_date);
        set(&mut draft.region, self.region);
        set(&mut draft.timezone, self.timezone);
        set(&mut draft.phase, self.phase);
        set(&mut draft.workloads, self.workloads);
        set(&mut draft.downtime_cost_per_hour, self.downtime_cost_per_hour);
        set(&mut draft.primary_tam_id, self.primary_tam_id);
        set(&mut draft.backup_tam_id, self.backup_tam_id);
        set(&mut draft.psm_id, self.psm_id);
        set(&mut draft.pam_id, self.pam_id);
        set(&mut draft.support_ids, self.support_ids);
        set(&mut draft.calendar_id, self.calendar_id);
    }

    /// The names of the fields this patch touches, for field-level permission checks.
    pub fn touched_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        let mut touch = |present: bool, name: &'static str| {
            if present {
                fields.push(name);
            }
        };
        touch(self.name.is_some(), "name");
        touch(self.tier.is_some(), "tier");
        touch(self.arr.is_some(), "arr");
        touch(self.currency.is_some(), "currency");
        touch(self.renewal_date.is_some(), "renewal_date");
        touch(self.region.is_some(), "region");
        touch(self.timezone.is_some(), "timezone");
        touch(self.phase.is_some(), "phase");
        touch(self.workloads.is_some(), "workloads");
        touch(self.downtime_cost_per_hour.is_some(), "downtime_cost_per_hour");
        touch(self.primary_tam_id.is_some(), "primary_tam_id");
        touch(self.backup_tam_id.is_some(), "backup_tam_id");
        touch(self.psm_id.is_some(), "psm_id");
        touch(self.pam_id.is_some(), "pam_id");
        touch(self.support_ids.is_some(), "support_ids");
        touch(self.calendar_id.is_some(), "calendar_id");
        fields
    }
}

/// Parses an amount typed in major units ("1,250,000.50") into minor units.
pub fn parse_major_amount(text: &str) -> Result<i64, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '_' && *c != ' ').collect();
    if cleaned.is_empty() {
        return Err("must not be empty".into());
    }
    if cleaned.starts_with('-') {
        return Err("must not be negative".into());
    }
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err("must be an amount such as 1250000 or 1,250,000.50".into());
    }
    let whole: i64 = whole.parse().map_err(|_| "is implausibly large".to_string())?;
    let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .filter(|v| *v <= MAX_MONEY_MINOR)
        .ok_or_else(|| "is implausibly large".to_string())
}

/// Formats minor units as a grouped major amount with its currency: "USD 1,250,000".
pub fn format_amount(minor: i64, currency: &str) -> String {
    let major = minor / 100;
    let cents = minor % 100;
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if cents != 0 { format!("{currency} {grouped}.{cents:02}") } else { format!("{currency} {grouped}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> AccountDraft {
        AccountDraft {
            name: "Acme".into(),
            tier: "enterprise".into(),
            arr: 100,
            currency: "USD".into(),
            region: "EMEA".into(),
            timezone: "Europe/Berlin".into(),
            phase: "gate_0".into(),
            ..AccountDraft::default()
        }
    }

    #[test]
    fn a_valid_draft_passes_and_trims() {
        let mut d = draft();
        d.name = "  Acme Corp ".into();
        d.workloads = vec![" checkout ".into()];
        let fields = d.validate().unwrap();
        assert_eq!(fields.name, "Acme Corp");
        assert_eq!(fields.workloads, vec!["checkout".to_string()]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = draft();
        d.name = "".into();
        d.tier = "platinum".into();
        d.arr = -1;
        d.currency = "usd".into();
        d.timezone = "Mars/Olympus".into();
        d.renewal_date = Some("2026-13-01".into());
        let mut ancient = draft();
        ancient.renewal_date = Some("-009999-01-01".into());
        assert_eq!(
            ancient.validate().unwrap_err().get("renewal_date"),
            Some("must be between 1900-01-01 and 9999-12-31")
        );
        d.phase = "gate_9".into();
        d.workloads = vec!["a".into(), "A".into()];
        let errors = d.validate().unwrap_err();
        for field in ["name", "tier", "arr", "currency", "timezone", "renewal_date", "phase", "workloads"] {
            assert!(errors.get(field).is_some(), "{field} not reported");
        }
        assert_eq!(errors.get("arr"), Some("must not be negative"));
    }

    #[test]
    fn the_same_tam_cannot_be_primary_and_backup() {
        let mut d = draft();
        let tam = UserId::new();
        d.primary_tam_id = Some(tam);
        d.backup_tam_id = Some(tam);
        assert_eq!(d.validate().unwrap_err().get("backup_tam_id"), Some("must differ from the primary TAM"));
    }

    #[test]
    fn post_launch_needs_gate_3_and_a_signed_handoff() {
        assert!(Phase::check_transition(Phase::Gate3, Phase::PostLaunch, false).is_err());
        assert!(Phase::check_transition(Phase::Gate3, Phase::PostLaunch, true).is_ok());
        assert!(Phase::check_transition(Phase::Gate1, Phase::PostLaunch, true).is_err());
        assert!(Phase::check_transition(Phase::Gate0, Phase::Gate2, true).is_err());
        assert!(Phase::check_transition(Phase::Gate0, Phase::Gate1, false).is_ok());
        assert!(Phase::check_transition(Phase::PostLaunch, Phase::Gate3, false).is_ok());
    }

    #[test]
    fn wire_names_of_phases_and_tiers_match_their_parsers() {
        for (phase, name) in Phase::ALL {
            assert_eq!(serde_json::to_value(phase).unwrap(), serde_json::json!(name));
        }
        for (tier, name) in Tier::ALL {
            assert_eq!(serde_json::to_value(tier).unwrap(), serde_json::json!(name));
        }
    }

    #[test]
    fn amounts_round_trip_between_major_text_and_minor_units() {
        assert_eq!(parse_major_amount("1,250,000.5"), Ok(125_000_050));
        assert_eq!(parse_major_amount("42"), Ok(4200));
        assert!(parse_major_amount("-3").is_err());
        assert!(parse_major_amount("1.234").is_err());
        assert!(parse_major_amount("abc").is_err());
        assert_eq!(format_amount(125_000_050, "USD"), "USD 1,250,000.50");
        assert_eq!(format_amount(4200, "EUR"), "EUR 42");
        assert_eq!(format_amount(0, "EUR"), "EUR 0");
    }
}
