//! SQLite rows ↔ domain types. Ids are text, instants Unix milliseconds, lists JSON text.

use sqlx::FromRow;
use tamhub_domain::accounts::{Account, AccountFields, Phase, Tier};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::{HandoffChecklist, SignOff};
use tamhub_domain::ids::{AccountId, AuditId, TokenId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, Timestamp};

use crate::{ApiToken, Session, StoreError};

pub fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn ts(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn opt_ts(ms: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    ms.map(ts).transpose()
}

fn id<T: std::str::FromStr>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("bad id {text:?}")))
}

fn opt_id<T: std::str::FromStr>(text: Option<&str>) -> Result<Option<T>, StoreError> {
    text.map(id).transpose()
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

#[derive(FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub account_id: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User, StoreError> {
        Ok(User {
            id: id(&r.id)?,
            email: r.email,
            name: r.name,
            role: Role::parse(&r.role).ok_or_else(|| StoreError::Corrupt(format!("role {:?}", r.role)))?,
            account_id: opt_id(r.account_id.as_deref())?,
            active: r.active,
            created_at: ts(r.created_at)?,
            updated_at: ts(r.updated_at)?,
        })
    }
}

macro_rules! user_columns {
    () => {
        "id, email, name, role, account_id, active, created_at, updated_at"
    };
}
pub(crate) use user_columns;

#[derive(FromRow)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub arr: i64,
    pub currency: String,
    pub renewal_date: Option<String>,
    pub region: String,
    pub timezone: String,
    pub phase: String,
    pub workloads: String,
    pub downtime_cost_per_hour: Option<i64>,
    pub primary_tam_id: Option<String>,
    pub backup_tam_id: Option<String>,
    pub psm_id: Option<String>,
    pub pam_id: Option<String>,
    pub support_ids: String,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Account, StoreError> {
        let renewal_date = match r.renewal_date.as_deref() {
            None => None,
            Some(text) => Some(text.parse::<Date>().map_err(|e| StoreError::Corrupt(e.to_string()))?),
        };
        Ok(Account {
            id: id(&r.id)?,
            fields: AccountFields {
                name: r.name,
                tier: Tier::parse(&r.tier).ok_or_else(|| StoreError::Corrupt(format!("tier {:?}", r.tier)))?,
                arr: r.arr,
                currency: r.currency,
                renewal_date,
                region: r.region,
                timezone: r.timezone,
                phase: Phase::parse(&r.phase).ok_or_else(|| StoreError::Corrupt(format!("phase {:?}", r.phase)))?,
                workloads: json(&r.workloads)?,
                downtime_cost_per_hour: r.downtime_cost_per_hour,
                primary_tam_id: opt_id(r.primary_tam_id.as_deref())?,
                backup_tam_id: opt_id(r.backup_tam_id.as_deref())?,
                psm_id: opt_id(r.psm_id.as_deref())?,
                pam_id: opt_id(r.pam_id.as_deref())?,
                support_ids: json(&r.support_ids)?,
            },
            archived_at: opt_ts(r.archived_at)?,
            created_at: ts(r.created_at)?,
            updated_at: ts(r.updated_at)?,
        })
    }
}

macro_rules! account_columns {
    () => {
        "id, name, tier, arr, currency, renewal_date, region, timezone, phase, workloads, downtime_cost_per_hour, \
         primary_tam_id, backup_tam_id, psm_id, pam_id, support_ids, archived_at, created_at, updated_at"
    };
}
pub(crate) use account_columns;

#[derive(FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Session, StoreError> {
        Ok(Session {
            token_hash: r.token_hash,
            user_id: id(&r.user_id)?,
            csrf_token: r.csrf_token,
            created_at: ts(r.created_at)?,
            expires_at: ts(r.expires_at)?,
        })
    }
}

#[derive(FromRow)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TryFrom<ApiTokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: ApiTokenRow) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: id::<TokenId>(&r.id)?,
            user_id: id(&r.user_id)?,
            name: r.name,
            created_at: ts(r.created_at)?,
            last_used_at: opt_ts(r.last_used_at)?,
            revoked_at: opt_ts(r.revoked_at)?,
        })
    }
}

#[derive(FromRow)]
pub struct PhaseChangeRow {
    pub account_id: String,
    pub from_phase: String,
    pub to_phase: String,
    pub actor_id: Option<String>,
    pub at: i64,
}

impl TryFrom<PhaseChangeRow> for PhaseChange {
    type Error = StoreError;
    fn try_from(r: PhaseChangeRow) -> Result<PhaseChange, StoreError> {
        let phase = |p: &str| Phase::parse(p).ok_or_else(|| StoreError::Corrupt(format!("phase {p:?}")));
        Ok(PhaseChange {
            account_id: id::<AccountId>(&r.account_id)?,
            from: phase(&r.from_phase)?,
            to: phase(&r.to_phase)?,
            actor_id: opt_id(r.actor_id.as_deref())?,
            at: ts(r.at)?,
        })
    }
}

#[derive(FromRow)]
pub struct HandoffRow {
    pub account_id: String,
    pub meeting_held: bool,
    pub documentation_reviewed: bool,
    pub shadow_period_done: bool,
    pub notes: String,
    pub psm_signed_by: Option<String>,
    pub psm_signed_at: Option<i64>,
    pub tam_signed_by: Option<String>,
    pub tam_signed_at: Option<i64>,
    pub updated_at: Option<i64>,
}

fn sign_off(by: Option<&str>, at: Option<i64>) -> Result<Option<SignOff>, StoreError> {
    match (by, at) {
        (Some(by), Some(at)) => Ok(Some(SignOff { user_id: id::<UserId>(by)?, at: ts(at)? })),
        _ => Ok(None),
    }
}

impl TryFrom<HandoffRow> for HandoffChecklist {
    type Error = StoreError;
    fn try_from(r: HandoffRow) -> Result<HandoffChecklist, StoreError> {
        Ok(HandoffChecklist {
            account_id: id(&r.account_id)?,
            meeting_held: r.meeting_held,
            documentation_reviewed: r.documentation_reviewed,
            shadow_period_done: r.shadow_period_done,
            notes: r.notes,
            psm_signoff: sign_off(r.psm_signed_by.as_deref(), r.psm_signed_at)?,
            tam_signoff: sign_off(r.tam_signed_by.as_deref(), r.tam_signed_at)?,
            updated_at: opt_ts(r.updated_at)?,
        })
    }
}

#[derive(FromRow)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub account_id: Option<String>,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            id: id::<AuditId>(&r.id)?,
            at: ts(r.at)?,
            actor_id: opt_id(r.actor_id.as_deref())?,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            account_id: opt_id(r.account_id.as_deref())?,
            action: r.action,
            before: r.before.as_deref().map(json).transpose()?,
            after: r.after.as_deref().map(json).transpose()?,
        })
    }
}
