//! SQLite rows ↔ domain types. Ids are text, instants Unix milliseconds, lists JSON text.

use sqlx::FromRow;
use tamhub_domain::accounts::{Account, AccountFields, Phase, Tier};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::{HandoffChecklist, SignOff};
use tamhub_domain::ids::{AccountId, AuditId, TokenId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::{Date, Timestamp};

use tamhub_domain::escalations::Escalation;
use tamhub_domain::notifications::{AlertKind, Notification, SlaAlert};
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarVersion};
use tamhub_domain::sla::model::Metric;
use tamhub_domain::sla::policies::PolicySet;
use tamhub_domain::tickets::{Priority, Status, Ticket, TicketEvent, TicketType};

use crate::tickets::SlaSnapshot;
use crate::{ApiToken, Session, StoreError};

pub fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub fn ts(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn opt_ts(ms: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    ms.map(ts).transpose()
}

pub fn id<T: std::str::FromStr>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("bad id {text:?}")))
}

pub fn opt_id<T: std::str::FromStr>(text: Option<&str>) -> Result<Option<T>, StoreError> {
    text.map(id).transpose()
}

pub fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
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
    pub calendar_id: Option<String>,
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
                calendar_id: opt_id(r.calendar_id.as_deref())?,
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
         primary_tam_id, backup_tam_id, psm_id, pam_id, support_ids, calendar_id, archived_at, created_at, updated_at"
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

fn parse<T>(what: &str, text: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    f(text).ok_or_else(|| StoreError::Corrupt(format!("{what} {text:?}")))
}

#[derive(FromRow)]
pub struct TicketRow {
    pub id: String,
    pub number: i64,
    pub account_id: String,
    pub title: String,
    pub description: String,
    pub priority: String,
    pub status: String,
    pub ticket_type: String,
    pub assignee_id: Option<String>,
    pub requester_id: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
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
            id: id(&r.id)?,
            number: r.number,
            account_id: id(&r.account_id)?,
            title: r.title,
            description: r.description,
            priority: parse("priority", &r.priority, Priority::parse)?,
            status: parse("status", &r.status, Status::parse)?,
            ticket_type: parse("ticket type", &r.ticket_type, TicketType::parse)?,
            assignee_id: opt_id(r.assignee_id.as_deref())?,
            requester_id: opt_id(r.requester_id.as_deref())?,
            created_by: opt_id(r.created_by.as_deref())?,
            created_at: ts(r.created_at)?,
            updated_at: ts(r.updated_at)?,
        })
    }
}

#[derive(FromRow)]
pub struct TicketEventRow {
    pub ticket_id: String,
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub payload: String,
}

impl TryFrom<TicketEventRow> for TicketEvent {
    type Error = StoreError;
    fn try_from(r: TicketEventRow) -> Result<TicketEvent, StoreError> {
        Ok(TicketEvent {
            ticket_id: id(&r.ticket_id)?,
            seq: r.seq,
            at: ts(r.at)?,
            actor_id: opt_id(r.actor_id.as_deref())?,
            kind: json(&r.payload)?,
        })
    }
}

#[derive(FromRow)]
pub struct SlaRow {
    pub sla_evaluated_at: Option<i64>,
    pub sla_cycles: String,
    pub sla_due_at: Option<i64>,
    pub sla_next_check_at: Option<i64>,
}

impl SlaRow {
    pub fn snapshot(self) -> Result<Option<SlaSnapshot>, StoreError> {
        let Some(evaluated_at) = self.sla_evaluated_at else { return Ok(None) };
        Ok(Some(SlaSnapshot {
            evaluated_at: ts(evaluated_at)?,
            cycles: json(&self.sla_cycles)?,
            due_at: opt_ts(self.sla_due_at)?,
            next_check_at: opt_ts(self.sla_next_check_at)?,
        }))
    }
}

#[derive(FromRow)]
pub struct AlertRow {
    pub ticket_id: String,
    pub metric: String,
    pub cycle_no: i64,
    pub kind: String,
    pub threshold: i64,
    pub at: i64,
}

impl TryFrom<AlertRow> for SlaAlert {
    type Error = StoreError;
    fn try_from(r: AlertRow) -> Result<SlaAlert, StoreError> {
        Ok(SlaAlert {
            ticket_id: id(&r.ticket_id)?,
            metric: parse("metric", &r.metric, Metric::parse)?,
            cycle_no: u32::try_from(r.cycle_no).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            kind: parse("alert kind", &r.kind, AlertKind::parse)?,
            threshold: r.threshold,
            at: ts(r.at)?,
        })
    }
}

#[derive(FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: String,
    pub at: i64,
    pub kind: String,
    pub account_id: Option<String>,
    pub ticket_id: Option<String>,
    pub incident_id: Option<String>,
    pub action_id: Option<String>,
    pub title: String,
    pub body: String,
    pub read_at: Option<i64>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;
    fn try_from(r: NotificationRow) -> Result<Notification, StoreError> {
        Ok(Notification {
            id: id(&r.id)?,
            user_id: id(&r.user_id)?,
            at: ts(r.at)?,
            kind: r.kind,
            account_id: opt_id(r.account_id.as_deref())?,
            ticket_id: opt_id(r.ticket_id.as_deref())?,
            incident_id: opt_id(r.incident_id.as_deref())?,
            action_id: opt_id(r.action_id.as_deref())?,
            title: r.title,
            body: r.body,
            read_at: opt_ts(r.read_at)?,
        })
    }
}

#[derive(FromRow)]
pub struct EscalationRow {
    pub id: String,
    pub ticket_id: String,
    pub brief: String,
    pub engineering_team: String,
    pub engineering_owner_id: Option<String>,
    pub escalated_by: Option<String>,
    pub escalated_at: i64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub completeness_score: i64,
    pub reviewer_score: Option<i64>,
    pub reviewer_id: Option<String>,
    pub reviewer_note: String,
    pub reviewed_at: Option<i64>,
}

impl TryFrom<EscalationRow> for Escalation {
    type Error = StoreError;
    fn try_from(r: EscalationRow) -> Result<Escalation, StoreError> {
        Ok(Escalation {
            id: id(&r.id)?,
            ticket_id: id(&r.ticket_id)?,
            brief: json(&r.brief)?,
            engineering_team: r.engineering_team,
            engineering_owner_id: opt_id(r.engineering_owner_id.as_deref())?,
            escalated_by: opt_id(r.escalated_by.as_deref())?,
            escalated_at: ts(r.escalated_at)?,
            acknowledged_by: opt_id(r.acknowledged_by.as_deref())?,
            acknowledged_at: opt_ts(r.acknowledged_at)?,
            completeness_score: r.completeness_score,
            reviewer_score: r.reviewer_score,
            reviewer_id: opt_id(r.reviewer_id.as_deref())?,
            reviewer_note: r.reviewer_note,
            reviewed_at: opt_ts(r.reviewed_at)?,
        })
    }
}

#[derive(FromRow)]
pub struct CalendarVersionRow {
    pub calendar_id: String,
    pub version: i64,
    pub effective_from: i64,
    pub hours: String,
    pub created_at: i64,
}

#[derive(FromRow)]
pub struct CalendarRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Calendars with their versions, from the two tables' rows.
pub fn calendars(
    rows: Vec<CalendarRow>,
    versions: Vec<CalendarVersionRow>,
) -> Result<Vec<BusinessCalendar>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mine: Vec<CalendarVersion> = versions
            .iter()
            .filter(|v| v.calendar_id == r.id)
            .map(|v| {
                Ok(CalendarVersion {
                    version: v.version,
                    effective_from: ts(v.effective_from)?,
                    hours: json(&v.hours)?,
                    created_at: ts(v.created_at)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        out.push(BusinessCalendar {
            id: id(&r.id)?,
            name: r.name,
            versions: mine,
            created_at: ts(r.created_at)?,
            updated_at: ts(r.updated_at)?,
        });
    }
    Ok(out)
}

#[derive(FromRow)]
pub struct PolicySetRow {
    pub version: i64,
    pub effective_from: i64,
    pub policies: String,
}

impl TryFrom<PolicySetRow> for PolicySet {
    type Error = StoreError;
    fn try_from(r: PolicySetRow) -> Result<PolicySet, StoreError> {
        Ok(PolicySet { version: r.version, effective_from: ts(r.effective_from)?, policies: json(&r.policies)? })
    }
}

#[derive(FromRow)]
pub struct TimelineRow {
    pub incident_id: String,
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub payload: String,
}

impl TryFrom<TimelineRow> for tamhub_domain::incidents::TimelineEntry {
    type Error = StoreError;
    fn try_from(r: TimelineRow) -> Result<Self, StoreError> {
        Ok(tamhub_domain::incidents::TimelineEntry {
            incident_id: id(&r.incident_id)?,
            seq: r.seq,
            at: ts(r.at)?,
            actor_id: opt_id(r.actor_id.as_deref())?,
            kind: json(&r.payload)?,
        })
    }
}
