//! PostgreSQL rows ↔ domain types. Ids are `uuid`, instants `timestamptz` (through jiff-sqlx),
//! dates `date`, lists `jsonb` or `uuid[]`.

use jiff_sqlx::ToSqlx;
use sqlx::FromRow;
use sqlx::types::Json;
use tamhub_domain::accounts::{Account, AccountFields, Phase, Tier};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::{HandoffChecklist, SignOff};
use tamhub_domain::ids::{AccountId, AuditId, TokenId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, Timestamp};
use uuid::Uuid;

use crate::{ApiToken, Session, StoreError};

/// The bind form of an instant.
pub fn ts(t: Timestamp) -> jiff_sqlx::Timestamp {
    t.to_sqlx()
}

pub fn opt_ts(t: Option<Timestamp>) -> Option<jiff_sqlx::Timestamp> {
    t.map(ToSqlx::to_sqlx)
}

pub fn opt_date(d: Option<Date>) -> Option<jiff_sqlx::Date> {
    d.map(ToSqlx::to_sqlx)
}

fn jiff(t: jiff_sqlx::Timestamp) -> Timestamp {
    t.to_jiff()
}

fn opt_jiff(t: Option<jiff_sqlx::Timestamp>) -> Option<Timestamp> {
    t.map(jiff_sqlx::Timestamp::to_jiff)
}

#[derive(FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub account_id: Option<Uuid>,
    pub active: bool,
    pub created_at: jiff_sqlx::Timestamp,
    pub updated_at: jiff_sqlx::Timestamp,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User, StoreError> {
        Ok(User {
            id: UserId(r.id),
            email: r.email,
            name: r.name,
            role: Role::parse(&r.role).ok_or_else(|| StoreError::Corrupt(format!("role {:?}", r.role)))?,
            account_id: r.account_id.map(AccountId),
            active: r.active,
            created_at: jiff(r.created_at),
            updated_at: jiff(r.updated_at),
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
    pub id: Uuid,
    pub name: String,
    pub tier: String,
    pub arr: i64,
    pub currency: String,
    pub renewal_date: Option<jiff_sqlx::Date>,
    pub region: String,
    pub timezone: String,
    pub phase: String,
    pub workloads: Json<Vec<String>>,
    pub downtime_cost_per_hour: Option<i64>,
    pub primary_tam_id: Option<Uuid>,
    pub backup_tam_id: Option<Uuid>,
    pub psm_id: Option<Uuid>,
    pub pam_id: Option<Uuid>,
    pub support_ids: Vec<Uuid>,
    pub archived_at: Option<jiff_sqlx::Timestamp>,
    pub created_at: jiff_sqlx::Timestamp,
    pub updated_at: jiff_sqlx::Timestamp,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;
    fn try_from(r: AccountRow) -> Result<Account, StoreError> {
        Ok(Account {
            id: AccountId(r.id),
            fields: AccountFields {
                name: r.name,
                tier: Tier::parse(&r.tier).ok_or_else(|| StoreError::Corrupt(format!("tier {:?}", r.tier)))?,
                arr: r.arr,
                currency: r.currency,
                renewal_date: r.renewal_date.map(jiff_sqlx::Date::to_jiff),
                region: r.region,
                timezone: r.timezone,
                phase: Phase::parse(&r.phase).ok_or_else(|| StoreError::Corrupt(format!("phase {:?}", r.phase)))?,
                workloads: r.workloads.0,
                downtime_cost_per_hour: r.downtime_cost_per_hour,
                primary_tam_id: r.primary_tam_id.map(UserId),
                backup_tam_id: r.backup_tam_id.map(UserId),
                psm_id: r.psm_id.map(UserId),
                pam_id: r.pam_id.map(UserId),
                support_ids: r.support_ids.into_iter().map(UserId).collect(),
            },
            archived_at: opt_jiff(r.archived_at),
            created_at: jiff(r.created_at),
            updated_at: jiff(r.updated_at),
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
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: jiff_sqlx::Timestamp,
    pub expires_at: jiff_sqlx::Timestamp,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Session, StoreError> {
        Ok(Session {
            token_hash: r.token_hash,
            user_id: UserId(r.user_id),
            csrf_token: r.csrf_token,
            created_at: jiff(r.created_at),
            expires_at: jiff(r.expires_at),
        })
    }
}

#[derive(FromRow)]
pub struct ApiTokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: jiff_sqlx::Timestamp,
    pub last_used_at: Option<jiff_sqlx::Timestamp>,
    pub revoked_at: Option<jiff_sqlx::Timestamp>,
}

impl TryFrom<ApiTokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: ApiTokenRow) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: TokenId(r.id),
            user_id: UserId(r.user_id),
            name: r.name,
            created_at: jiff(r.created_at),
            last_used_at: opt_jiff(r.last_used_at),
            revoked_at: opt_jiff(r.revoked_at),
        })
    }
}

#[derive(FromRow)]
pub struct PhaseChangeRow {
    pub account_id: Uuid,
    pub from_phase: String,
    pub to_phase: String,
    pub actor_id: Option<Uuid>,
    pub at: jiff_sqlx::Timestamp,
}

impl TryFrom<PhaseChangeRow> for PhaseChange {
    type Error = StoreError;
    fn try_from(r: PhaseChangeRow) -> Result<PhaseChange, StoreError> {
        let phase = |p: &str| Phase::parse(p).ok_or_else(|| StoreError::Corrupt(format!("phase {p:?}")));
        Ok(PhaseChange {
            account_id: AccountId(r.account_id),
            from: phase(&r.from_phase)?,
            to: phase(&r.to_phase)?,
            actor_id: r.actor_id.map(UserId),
            at: jiff(r.at),
        })
    }
}

#[derive(FromRow)]
pub struct HandoffRow {
    pub account_id: Uuid,
    pub meeting_held: bool,
    pub documentation_reviewed: bool,
    pub shadow_period_done: bool,
    pub notes: String,
    pub psm_signed_by: Option<Uuid>,
    pub psm_signed_at: Option<jiff_sqlx::Timestamp>,
    pub tam_signed_by: Option<Uuid>,
    pub tam_signed_at: Option<jiff_sqlx::Timestamp>,
    pub updated_at: Option<jiff_sqlx::Timestamp>,
}

fn sign_off(by: Option<Uuid>, at: Option<jiff_sqlx::Timestamp>) -> Option<SignOff> {
    match (by, at) {
        (Some(by), Some(at)) => Some(SignOff { user_id: UserId(by), at: jiff(at) }),
        _ => None,
    }
}

impl TryFrom<HandoffRow> for HandoffChecklist {
    type Error = StoreError;
    fn try_from(r: HandoffRow) -> Result<HandoffChecklist, StoreError> {
        Ok(HandoffChecklist {
            account_id: AccountId(r.account_id),
            meeting_held: r.meeting_held,
            documentation_reviewed: r.documentation_reviewed,
            shadow_period_done: r.shadow_period_done,
            notes: r.notes,
            psm_signoff: sign_off(r.psm_signed_by, r.psm_signed_at),
            tam_signoff: sign_off(r.tam_signed_by, r.tam_signed_at),
            updated_at: opt_jiff(r.updated_at),
        })
    }
}

#[derive(FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: jiff_sqlx::Timestamp,
    pub actor_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: String,
    pub account_id: Option<Uuid>,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            id: AuditId(r.id),
            at: jiff(r.at),
            actor_id: r.actor_id.map(UserId),
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            account_id: r.account_id.map(AccountId),
            action: r.action,
            before: r.before,
            after: r.after,
        })
    }
}
