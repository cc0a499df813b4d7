//! PostgreSQL rows ↔ domain types. Ids are `uuid`, instants `timestamptz` (through jiff-sqlx),
//! dates `date`, lists `jsonb` or `uuid[]`.

use jiff_sqlx::ToSqlx;
use sqlx::FromRow;
use sqlx::types::Json;
use tamhub_domain::accounts::{Account, AccountFields, Phase, Tier};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::{HandoffChecklist, SignOff};
use tamhub_domain::ids::{AccountId, AuditId, CalendarId, TokenId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, Timestamp};
use uuid::Uuid;

use tamhub_domain::escalations::{Escalation, EscalationBrief};
use tamhub_domain::ids::{ActionId, EscalationId, IncidentId, NotificationId, TicketId};
use tamhub_domain::notifications::{AlertKind, Notification, SlaAlert};
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarHours, CalendarVersion};
use tamhub_domain::sla::engine::CycleRecord;
use tamhub_domain::sla::model::Metric;
use tamhub_domain::sla::policies::{PolicySet, SlaPolicy};
use tamhub_domain::tickets::{Priority, Status, Ticket, TicketEvent, TicketEventKind, TicketType};

use crate::tickets::SlaSnapshot;
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

pub fn jiff(t: jiff_sqlx::Timestamp) -> Timestamp {
    t.to_jiff()
}

pub fn opt_jiff(t: Option<jiff_sqlx::Timestamp>) -> Option<Timestamp> {
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
    pub calendar_id: Option<Uuid>,
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
                calendar_id: r.calendar_id.map(CalendarId),
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
         primary_tam_id, backup_tam_id, psm_id, pam_id, support_ids, calendar_id, archived_at, created_at, updated_at"
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

fn parse<T>(what: &str, text: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    f(text).ok_or_else(|| StoreError::Corrupt(format!("{what} {text:?}")))
}

#[derive(FromRow)]
pub struct TicketRow {
    pub id: Uuid,
    pub number: i64,
    pub account_id: Uuid,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub status: String,
    pub ticket_type: String,
    pub assignee_id: Option<Uuid>,
    pub requester_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: jiff_sqlx::Timestamp,
    pub updated_at: jiff_sqlx::Timestamp,
}

macro_rules! ticket_columns {
    ($t:literal) => {
        concat!(
            $t,
            ".id, ",
            $t,
            ".number, ",
            $t,
            ".account_id, ",
            $t,
            ".title, ",
            $t,
            ".description, ",
            $t,
            ".priority, ",
            $t,
            ".status, ",
            $t,
            ".ticket_type, ",
            $t,
            ".assignee_id, ",
            $t,
            ".requester_id, ",
            $t,
            ".created_by, ",
            $t,
            ".created_at, ",
            $t,
            ".updated_at"
        )
    };
}
pub(crate) use ticket_columns;

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;
    fn try_from(r: TicketRow) -> Result<Ticket, StoreError> {
        Ok(Ticket {
            id: TicketId(r.id),
            number: r.number,
            account_id: AccountId(r.account_id),
            title: r.title,
            description: r.description,
            priority: parse("priority", &r.priority, Priority::parse)?,
            status: parse("status", &r.status, Status::parse)?,
            ticket_type: parse("ticket type", &r.ticket_type, TicketType::parse)?,
            assignee_id: r.assignee_id.map(UserId),
            requester_id: r.requester_id.map(UserId),
            created_by: r.created_by.map(UserId),
            created_at: jiff(r.created_at),
            updated_at: jiff(r.updated_at),
        })
    }
}

#[derive(FromRow)]
pub struct TicketEventRow {
    pub ticket_id: Uuid,
    pub seq: i64,
    pub at: jiff_sqlx::Timestamp,
    pub actor_id: Option<Uuid>,
    pub payload: Json<TicketEventKind>,
}

impl From<TicketEventRow> for TicketEvent {
    fn from(r: TicketEventRow) -> TicketEvent {
        TicketEvent {
            ticket_id: TicketId(r.ticket_id),
            seq: r.seq,
            at: jiff(r.at),
            actor_id: r.actor_id.map(UserId),
            kind: r.payload.0,
        }
    }
}

#[derive(FromRow)]
pub struct SlaRow {
    pub sla_evaluated_at: Option<jiff_sqlx::Timestamp>,
    pub sla_cycles: Json<Vec<CycleRecord>>,
    pub sla_due_at: Option<jiff_sqlx::Timestamp>,
    pub sla_next_check_at: Option<jiff_sqlx::Timestamp>,
}

impl SlaRow {
    pub fn snapshot(self) -> Option<SlaSnapshot> {
        Some(SlaSnapshot {
            evaluated_at: jiff(self.sla_evaluated_at?),
            cycles: self.sla_cycles.0,
            due_at: opt_jiff(self.sla_due_at),
            next_check_at: opt_jiff(self.sla_next_check_at),
        })
    }
}

#[derive(FromRow)]
pub struct AlertRow {
    pub ticket_id: Uuid,
    pub metric: String,
    pub cycle_no: i32,
    pub kind: String,
    pub threshold: i64,
    pub at: jiff_sqlx::Timestamp,
}

impl TryFrom<AlertRow> for SlaAlert {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<SlaAlert, StoreError> {
        Ok(SlaAlert {
            ticket_id: TicketId(r.ticket_id),
            metric: parse("metric", &r.metric, Metric::parse)?,
            cycle_no: u32::try_from(r.cycle_no).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            kind: parse("alert kind", &r.kind, AlertKind::parse)?,
            threshold: r.threshold,
            at: jiff(r.at),
        })
    }
}

#[derive(FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub at: jiff_sqlx::Timestamp,
    pub kind: String,
    pub account_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub incident_id: Option<Uuid>,
    pub action_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub read_at: Option<jiff_sqlx::Timestamp>,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Notification {
        Notification {
            id: NotificationId(r.id),
            user_id: UserId(r.user_id),
            at: jiff(r.at),
            kind: r.kind,
            account_id: r.account_id.map(AccountId),
            ticket_id: r.ticket_id.map(TicketId),
            incident_id: r.incident_id.map(IncidentId),
            action_id: r.action_id.map(ActionId),
            title: r.title,
            body: r.body,
            read_at: opt_jiff(r.read_at),
        }
    }
}

#[derive(FromRow)]
pub struct EscalationRow {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub brief: Json<EscalationBrief>,
    pub engineering_team: String,
    pub engineering_owner_id: Option<Uuid>,
    pub escalated_by: Option<Uuid>,
    pub escalated_at: jiff_sqlx::Timestamp,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<jiff_sqlx::Timestamp>,
    pub completeness_score: i32,
    pub reviewer_score: Option<i32>,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_note: String,
    pub reviewed_at: Option<jiff_sqlx::Timestamp>,
}

impl From<EscalationRow> for Escalation {
    fn from(r: EscalationRow) -> Escalation {
        Escalation {
            id: EscalationId(r.id),
            ticket_id: TicketId(r.ticket_id),
            brief: r.brief.0,
            engineering_team: r.engineering_team,
            engineering_owner_id: r.engineering_owner_id.map(UserId),
            escalated_by: r.escalated_by.map(UserId),
            escalated_at: jiff(r.escalated_at),
            acknowledged_by: r.acknowledged_by.map(UserId),
            acknowledged_at: opt_jiff(r.acknowledged_at),
            completeness_score: i64::from(r.completeness_score),
            reviewer_score: r.reviewer_score.map(i64::from),
            reviewer_id: r.reviewer_id.map(UserId),
            reviewer_note: r.reviewer_note,
            reviewed_at: opt_jiff(r.reviewed_at),
        }
    }
}

#[derive(FromRow)]
pub struct CalendarVersionRow {
    pub calendar_id: Uuid,
    pub version: i64,
    pub effective_from: jiff_sqlx::Timestamp,
    pub hours: Json<CalendarHours>,
    pub created_at: jiff_sqlx::Timestamp,
}

#[derive(FromRow)]
pub struct CalendarRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: jiff_sqlx::Timestamp,
    pub updated_at: jiff_sqlx::Timestamp,
}

/// Calendars with their versions, from the two tables' rows.
pub fn calendars(rows: Vec<CalendarRow>, versions: Vec<CalendarVersionRow>) -> Vec<BusinessCalendar> {
    rows.into_iter()
        .map(|r| BusinessCalendar {
            id: CalendarId(r.id),
            name: r.name,
            versions: versions
                .iter()
                .filter(|v| v.calendar_id == r.id)
                .map(|v| CalendarVersion {
                    version: v.version,
                    effective_from: jiff(v.effective_from),
                    hours: v.hours.0.clone(),
                    created_at: jiff(v.created_at),
                })
                .collect(),
            created_at: jiff(r.created_at),
            updated_at: jiff(r.updated_at),
        })
        .collect()
}

#[derive(FromRow)]
pub struct PolicySetRow {
    pub version: i64,
    pub effective_from: jiff_sqlx::Timestamp,
    pub policies: Json<Vec<SlaPolicy>>,
}

impl From<PolicySetRow> for PolicySet {
    fn from(r: PolicySetRow) -> PolicySet {
        PolicySet { version: r.version, effective_from: jiff(r.effective_from), policies: r.policies.0 }
    }
}
