//! The engagement charter and its cadence (PRODUCT capability 5): what the TAM promised an
//! account (commitments by engagement type, each a recurrence with a due window), the engagements
//! those promises schedule, how a held meeting fulfils one, and charter compliance — promised vs
//! delivered on time.
//!
//! Dates here are civil dates in the account's time zone: an engagement is due on a day, and a
//! meeting counts on the day it was held where the customer is.

use chrono::TimeZone as _;
use serde::{Deserialize, Serialize};

use crate::accounts::Tier;
use crate::ids::{AccountId, ContactId, EngagementId, MeetingId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};
use crate::{Date, Timestamp};

/// How far ahead the charter's engagements are scheduled.
pub const HORIZON_MONTHS: i8 = 12;
/// A recurrence's DTSTART is this local hour of its first day (any hour every day has).
pub const DEFAULT_HOUR: i8 = 10;
/// A recurrence that yields nothing in this many years "never occurs".
const NEVER_YEARS: i16 = 10;
/// Occurrences compared to find a recurrence's shortest gap (its period).
const PERIOD_SAMPLE: usize = 60;

wire_enum!(EngagementType {
    CheckIn => "check_in", "Check-in";
    StrategyCall => "strategy_call", "Strategy call";
    Qbr => "qbr", "Quarterly business review";
    Ebr => "ebr", "Executive business review";
    CostReview => "cost_review", "Cost review";
    WellArchitectedReview => "well_architected_review", "Well-Architected review";
    SecurityReview => "security_review", "Security review";
    Enablement => "enablement", "Enablement";
});

wire_enum!(EngagementStatus {
    Due => "due", "Due";
    Held => "held", "Held";
    Skipped => "skipped", "Skipped";
    Overdue => "overdue", "Overdue";
});

/// One promise of the charter: engagements of a type on a recurrence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Commitment {
    #[serde(rename = "type")]
    pub engagement_type: EngagementType,
    pub label: String,
    /// An RFC 5545 RRULE value without DTSTART, e.g. `FREQ=WEEKLY;INTERVAL=2`.
    pub rrule: String,
    /// The first day it may occur (the recurrence's DTSTART, at 10:00 in the account's zone).
    #[schema(value_type = String, format = Date)]
    pub starts_on: Date,
    /// The last day it may occur; none for open-ended.
    #[schema(value_type = Option<String>, format = Date)]
    pub ends_on: Option<Date>,
    /// Held this many days before or after the due day still counts as on time.
    pub due_window_days: u32,
    /// The workload it is for (a Well-Architected review per production workload).
    pub workload: Option<String>,
}

/// A customer contact named on the charter, with their part in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedContact {
    pub contact_id: ContactId,
    #[serde(default)]
    pub role: String,
}

/// A staff member named on the charter, with their part in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedUser {
    pub user_id: UserId,
    #[serde(default)]
    pub role: String,
}

/// One rung of the escalation path, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    pub name: String,
    #[serde(default)]
    pub role: String,
    /// How to reach them (phone, email, pager rota).
    #[serde(default)]
    pub reach: String,
    /// The response they commit to.
    pub respond_within_minutes: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CharterContent {
    /// The day the account went live; the cadence counts from it.
    #[schema(value_type = String, format = Date)]
    pub launch_date: Date,
    pub commitments: Vec<Commitment>,
    pub customer_contacts: Vec<NamedContact>,
    pub provider_contacts: Vec<NamedUser>,
    pub escalation_path: Vec<EscalationStep>,
    pub notes: String,
}

/// One version of an account's charter; a change is a new version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charter {
    pub account_id: AccountId,
    pub version: i64,
    pub content: CharterContent,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// A commitment as typed.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CommitmentDraft {
    /// check_in, strategy_call, qbr, ebr, cost_review, well_architected_review, security_review
    /// or enablement.
    #[serde(rename = "type")]
    pub engagement_type: String,
    /// Defaults to the type's name.
    pub label: String,
    pub rrule: String,
    /// YYYY-MM-DD; defaults to the launch date.
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub due_window_days: i64,
    pub workload: Option<String>,
}

impl From<&Commitment> for CommitmentDraft {
    fn from(c: &Commitment) -> Self {
        CommitmentDraft {
            engagement_type: c.engagement_type.as_str().into(),
            label: c.label.clone(),
            rrule: c.rrule.clone(),
            starts_on: Some(c.starts_on.to_string()),
            ends_on: c.ends_on.map(|d| d.to_string()),
            due_window_days: i64::from(c.due_window_days),
            workload: c.workload.clone(),
        }
    }
}

/// A charter as typed. Without `commitments` the tier's template is used.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CharterDraft {
    /// The account (required to create one with `POST /api/v1/charters`; on a change, the
    /// account of the URL or absent).
    pub account_id: Option<AccountId>,
    /// On a change: the version read (409 when someone changed it meanwhile).
    pub version: Option<i64>,
    /// YYYY-MM-DD; defaults to the day the account entered Post-Launch, else today.
    pub launch_date: Option<String>,
    pub commitments: Option<Vec<CommitmentDraft>>,
    pub customer_contacts: Vec<NamedContact>,
    pub provider_contacts: Vec<NamedUser>,
    pub escalation_path: Vec<EscalationStep>,
    pub notes: String,
}

/// What a charter may refer to: the account, its contacts, and the staff.
pub struct CharterContext<'a> {
    pub tier: Tier,
    pub timezone: &'a str,
    pub workloads: &'a [String],
    /// Used when the draft names no launch date.
    pub default_launch: Date,
    pub account_contacts: &'a [ContactId],
    pub staff: &'a [UserId],
}

fn parse_date(errors: &mut FieldErrors, field: &str, text: &str) -> Option<Date> {
    match text.trim().parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "must be a date as YYYY-MM-DD");
            None
        }
    }
}

impl CharterDraft {
    pub fn from_content(content: &CharterContent) -> CharterDraft {
        CharterDraft {
            account_id: None,
            version: None,
            launch_date: Some(content.launch_date.to_string()),
            commitments: Some(content.commitments.iter().map(CommitmentDraft::from).collect()),
            customer_contacts: content.customer_contacts.clone(),
            provider_contacts: content.provider_contacts.clone(),
            escalation_path: content.escalation_path.clone(),
            notes: content.notes.clone(),
        }
    }

    pub fn validate(&self, ctx: &CharterContext<'_>) -> Result<CharterContent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let launch_date = match self.launch_date.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => parse_date(&mut errors, "launch_date", text),
            None => Some(ctx.default_launch),
        };
        let launch = launch_date.unwrap_or(ctx.default_launch);
        let commitments = match &self.commitments {
            None => template(ctx.tier, launch, ctx.workloads),
            Some(drafts) => {
                if drafts.len() > 100 {
                    errors.add("commitments", "must list at most 100 commitments");
                }
                drafts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, d)| d.validate(&mut errors, &format!("commitments[{i}]"), launch, ctx))
                    .collect()
            }
        };
        for (i, named) in self.customer_contacts.iter().enumerate() {
            if !ctx.account_contacts.contains(&named.contact_id) {
                errors.add(&format!("customer_contacts[{i}].contact_id"), "is not a contact of this account");
            }
            optional_text(&mut errors, &format!("customer_contacts[{i}].role"), &named.role, 200);
        }
        for (i, named) in self.provider_contacts.iter().enumerate() {
            if !ctx.staff.contains(&named.user_id) {
                errors.add(&format!("provider_contacts[{i}].user_id"), "is not an active staff user");
            }
            optional_text(&mut errors, &format!("provider_contacts[{i}].role"), &named.role, 200);
        }
        let mut escalation_path = Vec::new();
        for (i, step) in self.escalation_path.iter().enumerate() {
            let field = |name: &str| format!("escalation_path[{i}].{name}");
            let name = required_text(&mut errors, &field("name"), &step.name, 200);
            let role = optional_text(&mut errors, &field("role"), &step.role, 200);
            let reach = optional_text(&mut errors, &field("reach"), &step.reach, 200);
            if !(1..=7 * 24 * 60).contains(&step.respond_within_minutes) {
                errors.add(&field("respond_within_minutes"), "must be between 1 and 10080 (a week)");
            }
            escalation_path.push(EscalationStep {
                name,
                role,
                reach,
                respond_within_minutes: step.respond_within_minutes,
            });
        }
        let notes = optional_text(&mut errors, "notes", &self.notes, 10_000);
        errors.into_result()?;
        Ok(CharterContent {
            launch_date: launch,
            commitments,
            customer_contacts: self.customer_contacts.clone(),
            provider_contacts: self.provider_contacts.clone(),
            escalation_path,
            notes,
        })
    }
}

impl CommitmentDraft {
    fn validate(
        &self,
        errors: &mut FieldErrors,
        prefix: &str,
        launch: Date,
        ctx: &CharterContext<'_>,
    ) -> Option<Commitment> {
        let field = |name: &str| format!("{prefix}.{name}");
        let before = errors.iter().count();
        let engagement_type = parse_choice(errors, &field("type"), self.engagement_type.trim(), EngagementType::ALL);
        let label = optional_text(errors, &field("label"), &self.label, 200);
        let starts_on = match self.starts_on.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => parse_date(errors, &field("starts_on"), text),
            None => Some(launch),
        };
        let ends_on = match self.ends_on.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(text) => parse_date(errors, &field("ends_on"), text),
            None => None,
        };
        if let (Some(s), Some(e)) = (starts_on, ends_on)
            && e < s
        {
            errors.add(&field("ends_on"), "must not be before starts_on");
        }
        if !(0..=366).contains(&self.due_window_days) {
            errors.add(&field("due_window_days"), "must be between 0 and 366");
        }
        let workload = self.workload.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(str::to_string);
        if let Some(w) = &workload
            && !ctx.workloads.iter().any(|known| known == w)
        {
            errors.add(&field("workload"), "must be one of the account's workloads");
        }
        let rrule = self.rrule.trim().trim_start_matches("RRULE:").to_string();
        if let Some(starts_on) = starts_on {
            match Recurrence::new(&rrule, starts_on, ends_on, ctx.timezone) {
                Err(message) => errors.add(&field("rrule"), message),
                Ok(recurrence) => match recurrence.period_days() {
                    None => errors.add(
                        &field("rrule"),
                        format!(
                            "never occurs from {starts_on}{}",
                            ends_on.map(|e| format!(" to {e}")).unwrap_or_default()
                        ),
                    ),
                    Some(period) if self.due_window_days > i64::from(period) => errors.add(
                        &field("due_window_days"),
                        format!("must not be longer than the recurrence's period ({period} days)"),
                    ),
                    Some(_) => {}
                },
            }
        }
        if errors.iter().count() != before {
            return None;
        }
        let engagement_type = engagement_type?;
        Some(Commitment {
            engagement_type,
            label: if label.is_empty() { engagement_type.label().to_string() } else { label },
            rrule,
            starts_on: starts_on?,
            ends_on,
            due_window_days: u32::try_from(self.due_window_days).ok()?,
            workload,
        })
    }
}

/// A commitment's recurrence in the account's time zone.
pub struct Recurrence {
    set: rrule::RRuleSet,
    ends_on: Option<Date>,
}

fn to_civil(d: chrono::NaiveDate) -> Date {
    use chrono::Datelike as _;
    Date::new(d.year() as i16, d.month() as i8, d.day() as i8).unwrap_or(Date::MIN)
}

impl Recurrence {
    pub fn new(rule: &str, starts_on: Date, ends_on: Option<Date>, timezone: &str) -> Result<Recurrence, String> {
        if rule.is_empty() {
            return Err("must not be empty: an RRULE such as FREQ=MONTHLY".into());
        }
        if rule.len() > 500 || rule.contains(['\n', '\r']) || rule.to_ascii_uppercase().contains("DTSTART") {
            return Err("must be one RRULE value such as FREQ=WEEKLY;INTERVAL=2 (no DTSTART; use starts_on)".into());
        }
        let parsed: rrule::RRule<rrule::Unvalidated> =
            rule.parse().map_err(|e: rrule::RRuleError| format!("is not a valid RRULE: {e}"))?;
        if matches!(
            parsed.get_freq(),
            rrule::Frequency::Hourly | rrule::Frequency::Minutely | rrule::Frequency::Secondly
        ) {
            return Err("must repeat at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)".into());
        }
        let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
        let start = tz
            .with_ymd_and_hms(
                i32::from(starts_on.year()),
                starts_on.month() as u32,
                starts_on.day() as u32,
                DEFAULT_HOUR as u32,
                0,
                0,
            )
            .earliest()
            .ok_or("starts_on has no 10:00 in the account's time zone")?
            .with_timezone(&rrule::Tz::Tz(tz));
        let set = parsed.build(start).map_err(|e| format!("is not a valid RRULE: {e}"))?;
        Ok(Recurrence { set, ends_on })
    }

    /// The days it occurs from `from` to `until`, both included.
    pub fn dates(&self, from: Date, until: Date) -> Vec<Date> {
        let until = self.ends_on.map_or(until, |e| e.min(until));
        let mut out = Vec::new();
        for at in &self.set {
            let day = to_civil(at.date_naive());
            if day > until {
                break;
            }
            if day >= from {
                out.push(day);
            }
        }
        out
    }

    /// The shortest gap in days between two occurrences (u32::MAX for a single one), or None
    /// when it never occurs.
    pub fn period_days(&self) -> Option<u32> {
        let first = (&self.set).into_iter().next().map(|at| to_civil(at.date_naive()))?;
        let horizon = first.saturating_add(jiff::Span::new().years(NEVER_YEARS));
        if self.ends_on.is_some_and(|e| first > e) {
            return None;
        }
        let sample: Vec<Date> = self
            .set
            .into_iter()
            .map(|at| to_civil(at.date_naive()))
            .take_while(|d| *d <= horizon && self.ends_on.is_none_or(|e| *d <= e))
            .take(PERIOD_SAMPLE)
            .collect();
        Some(sample.windows(2).map(|w| (w[1] - w[0]).get_days().unsigned_abs()).min().unwrap_or(u32::MAX))
    }
}

fn months_after(launch: Date, months: i32) -> Date {
    launch.saturating_add(jiff::Span::new().months(months))
}

/// A monthly rule that keeps to `day` of the month, or the month's last day when shorter (the
/// 31st of a launch falls on 30 April and 28 February).
fn monthly(interval: u32, day: i8) -> String {
    let every = if interval == 1 { String::new() } else { format!(";INTERVAL={interval}") };
    if day <= 28 {
        format!("FREQ=MONTHLY{every}")
    } else {
        format!("FREQ=MONTHLY{every};BYMONTHDAY={day},-1;BYSETPOS=1")
    }
}

/// The seeds' cadence for a tier, counted from the launch date: weekly check-ins in the first
/// month, bi-weekly in months 2-3, monthly after; a monthly strategy call; quarterly business and
/// cost reviews; an annual Well-Architected review per production workload; a semi-annual
/// security review; two EBRs a year. Enterprise On-Ramp and Business get a lighter cadence.
pub fn template(tier: Tier, launch: Date, workloads: &[String]) -> Vec<Commitment> {
    let day = launch.day();
    let c =
        |engagement_type, label: &str, rrule: String, start_months: i32, end_months: Option<i32>, window| Commitment {
            engagement_type,
            label: label.to_string(),
            rrule,
            starts_on: months_after(launch, start_months),
            ends_on: end_months.map(|m| months_after(launch, m).yesterday().unwrap_or(launch)),
            due_window_days: window,
            workload: None,
        };
    use EngagementType::*;
    let mut out = match tier {
        Tier::Enterprise => vec![
            c(CheckIn, "Weekly check-in (first month)", "FREQ=WEEKLY".into(), 0, Some(1), 2),
            c(CheckIn, "Bi-weekly check-in (months 2-3)", "FREQ=WEEKLY;INTERVAL=2".into(), 1, Some(3), 4),
            c(CheckIn, "Monthly check-in", monthly(1, day), 3, None, 7),
            c(StrategyCall, "Monthly strategy call", monthly(1, day), 1, None, 7),
            c(Qbr, "Quarterly business review", monthly(3, day), 3, None, 14),
            c(CostReview, "Quarterly cost review", monthly(3, day), 3, None, 14),
            c(SecurityReview, "Semi-annual security review", monthly(6, day), 6, None, 30),
            c(Ebr, "Executive business review", monthly(6, day), 6, None, 30),
        ],
        Tier::EnterpriseOnRamp => vec![
            c(CheckIn, "Bi-weekly check-in (months 1-3)", "FREQ=WEEKLY;INTERVAL=2".into(), 0, Some(3), 4),
            c(CheckIn, "Monthly check-in", monthly(1, day), 3, None, 7),
            c(StrategyCall, "Quarterly strategy call", monthly(3, day), 3, None, 14),
            c(Qbr, "Quarterly business review", monthly(3, day), 3, None, 14),
            c(CostReview, "Semi-annual cost review", monthly(6, day), 6, None, 30),
            c(SecurityReview, "Annual security review", monthly(12, day), 6, None, 30),
            c(Ebr, "Annual executive business review", monthly(12, day), 12, None, 30),
        ],
        Tier::Business => vec![
            c(CheckIn, "Monthly check-in", monthly(1, day), 0, None, 7),
            c(Qbr, "Quarterly business review", monthly(3, day), 3, None, 14),
            c(SecurityReview, "Annual security review", monthly(12, day), 6, None, 30),
        ],
    };
    for workload in workloads {
        let mut review = c(WellArchitectedReview, "Annual Well-Architected review", monthly(12, day), 1, None, 30);
        review.label = format!("Annual Well-Architected review: {workload}");
        review.workload = Some(workload.clone());
        out.push(review);
    }
    out
}

/// One engagement the charter schedules, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub engagement_type: EngagementType,
    pub workload: Option<String>,
    pub label: String,
    pub due_on: Date,
    pub due_window_days: u32,
}

/// Every engagement due from `from` to `until`, in due order. Two commitments of one type due on
/// one day schedule one engagement (the bi-weekly check-ins starting where the weekly end).
pub fn schedule(content: &CharterContent, timezone: &str, from: Date, until: Date) -> Vec<Occurrence> {
    let mut out: Vec<Occurrence> = Vec::new();
    for c in &content.commitments {
        let Ok(recurrence) = Recurrence::new(&c.rrule, c.starts_on, c.ends_on, timezone) else {
            continue;
        };
        for due_on in recurrence.dates(from, until) {
            let duplicate = out
                .iter()
                .any(|o| o.engagement_type == c.engagement_type && o.workload == c.workload && o.due_on == due_on);
            if !duplicate {
                out.push(Occurrence {
                    engagement_type: c.engagement_type,
                    workload: c.workload.clone(),
                    label: c.label.clone(),
                    due_on,
                    due_window_days: c.due_window_days,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.due_on, a.engagement_type.as_str()).cmp(&(b.due_on, b.engagement_type.as_str())));
    out
}

/// A scheduled engagement: due, held (by a meeting), skipped (with a reason) or overdue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Engagement {
    pub id: EngagementId,
    pub account_id: AccountId,
    /// The charter version that scheduled it.
    pub charter_version: i64,
    #[serde(rename = "type")]
    pub engagement_type: EngagementType,
    pub workload: Option<String>,
    pub label: String,
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    pub due_window_days: u32,
    pub meeting_id: Option<MeetingId>,
    #[schema(value_type = Option<String>, format = Date)]
    pub held_on: Option<Date>,
    pub skip_reason: Option<String>,
    pub skipped_by: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub skipped_at: Option<Timestamp>,
    /// When the TAMs were told it is overdue (once).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub overdue_notified_at: Option<Timestamp>,
}

impl Engagement {
    pub fn from_occurrence(account_id: AccountId, charter_version: i64, o: Occurrence) -> Engagement {
        Engagement {
            id: EngagementId::new(),
            account_id,
            charter_version,
            engagement_type: o.engagement_type,
            workload: o.workload,
            label: o.label,
            due_on: o.due_on,
            due_window_days: o.due_window_days,
            meeting_id: None,
            held_on: None,
            skip_reason: None,
            skipped_by: None,
            skipped_at: None,
            overdue_notified_at: None,
        }
    }

    fn window(&self) -> jiff::Span {
        jiff::Span::new().days(i64::from(self.due_window_days))
    }

    /// The first day it may be held on time.
    pub fn window_opens(&self) -> Date {
        self.due_on.saturating_sub(self.window())
    }

    /// The last day it may be held on time; overdue after it.
    pub fn window_closes(&self) -> Date {
        self.due_on.saturating_add(self.window())
    }

    pub fn is_open(&self) -> bool {
        self.meeting_id.is_none() && self.skip_reason.is_none()
    }

    pub fn status(&self, today: Date) -> EngagementStatus {
        if self.meeting_id.is_some() {
            EngagementStatus::Held
        } else if self.skip_reason.is_some() {
            EngagementStatus::Skipped
        } else if today > self.window_closes() {
            EngagementStatus::Overdue
        } else {
            EngagementStatus::Due
        }
    }

    /// Held within its window.
    pub fn held_on_time(&self) -> bool {
        self.held_on.is_some_and(|d| d >= self.window_opens() && d <= self.window_closes())
    }
}

/// The open engagement a meeting of `engagement_type` held on `held_on` fulfils: the one whose
/// due day is nearest (the earlier on a tie), among those already due or whose window has
/// opened. None when it would be early for all of them.
pub fn engagement_for_meeting<'a>(
    engagements: &'a [Engagement],
    engagement_type: EngagementType,
    workload: Option<&str>,
    held_on: Date,
) -> Option<&'a Engagement> {
    engagements
        .iter()
        .filter(|e| e.is_open() && e.engagement_type == engagement_type && e.window_opens() <= held_on)
        .filter(|e| workload.is_none() || e.workload.as_deref() == workload)
        .min_by_key(|e| ((held_on - e.due_on).get_days().unsigned_abs(), e.due_on))
}

wire_enum!(MissKind {
    HeldLate => "held_late", "Held late";
    Skipped => "skipped", "Skipped";
    NotHeld => "not_held", "Not held";
});

/// A promised engagement not delivered on time, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Miss {
    pub engagement_id: EngagementId,
    pub account_id: AccountId,
    #[serde(rename = "type")]
    pub engagement_type: EngagementType,
    pub label: String,
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    pub kind: MissKind,
    #[schema(value_type = Option<String>, format = Date)]
    pub held_on: Option<Date>,
    /// Days after the window closed that it was held.
    pub days_late: Option<i32>,
    pub skip_reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TypeCompliance {
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub engagement_type: Option<EngagementType>,
    pub promised: u32,
    pub on_time: u32,
    pub on_time_pct: Option<f64>,
}

/// Charter compliance over a period: of the engagements due in it whose outcome is known (held,
/// skipped, or past their window), the share held on time; still-open ones are `pending`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CharterCompliance {
    pub promised: u32,
    pub on_time: u32,
    pub pending: u32,
    pub on_time_pct: Option<f64>,
    pub by_type: Vec<TypeCompliance>,
    pub misses: Vec<Miss>,
}

fn pct(on_time: u32, promised: u32) -> Option<f64> {
    (promised > 0).then(|| f64::from(on_time) * 100.0 / f64::from(promised))
}

/// CharterCompliance of the engagements due from `from` to `to` (both included) as known on `today`.
pub fn compliance(engagements: &[Engagement], from: Date, to: Date, today: Date) -> CharterCompliance {
    let mut out = CharterCompliance::default();
    let mut by_type: Vec<TypeCompliance> = EngagementType::ALL
        .iter()
        .map(|(t, _)| TypeCompliance { engagement_type: Some(*t), ..Default::default() })
        .collect();
    for e in engagements.iter().filter(|e| e.due_on >= from && e.due_on <= to) {
        let miss = |kind| Miss {
            engagement_id: e.id,
            account_id: e.account_id,
            engagement_type: e.engagement_type,
            label: e.label.clone(),
            due_on: e.due_on,
            kind,
            held_on: e.held_on,
            days_late: e.held_on.map(|d| (d - e.window_closes()).get_days()).filter(|d| *d > 0),
            skip_reason: e.skip_reason.clone(),
        };
        let outcome = match e.status(today) {
            EngagementStatus::Due => {
                out.pending += 1;
                continue;
            }
            EngagementStatus::Held if e.held_on_time() => None,
            EngagementStatus::Held => Some(miss(MissKind::HeldLate)),
            EngagementStatus::Skipped => Some(miss(MissKind::Skipped)),
            EngagementStatus::Overdue => Some(miss(MissKind::NotHeld)),
        };
        let row = by_type.iter_mut().find(|t| t.engagement_type == Some(e.engagement_type));
        let row = row.expect("every type has a row");
        out.promised += 1;
        row.promised += 1;
        match outcome {
            None => {
                out.on_time += 1;
                row.on_time += 1;
            }
            Some(m) => out.misses.push(m),
        }
    }
    by_type.retain(|t| t.promised > 0);
    for t in &mut by_type {
        t.on_time_pct = pct(t.on_time, t.promised);
    }
    out.on_time_pct = pct(out.on_time, out.promised);
    out.by_type = by_type;
    out.misses.sort_by_key(|m| m.due_on);
    out
}

/// Several accounts' compliance as one (a TAM's portfolio).
pub fn combine<'a>(parts: impl IntoIterator<Item = &'a CharterCompliance>) -> CharterCompliance {
    let mut out = CharterCompliance::default();
    for part in parts {
        out.promised += part.promised;
        out.on_time += part.on_time;
        out.pending += part.pending;
        out.misses.extend(part.misses.iter().cloned());
        for t in &part.by_type {
            match out.by_type.iter_mut().find(|o| o.engagement_type == t.engagement_type) {
                Some(o) => {
                    o.promised += t.promised;
                    o.on_time += t.on_time;
                }
                None => out.by_type.push(TypeCompliance { on_time_pct: None, ..t.clone() }),
            }
        }
    }
    for t in &mut out.by_type {
        t.on_time_pct = pct(t.on_time, t.promised);
    }
    out.by_type.sort_by_key(|t| t.engagement_type.map(|e| EngagementType::ALL.iter().position(|(x, _)| *x == e)));
    out.on_time_pct = pct(out.on_time, out.promised);
    out.misses.sort_by_key(|m| m.due_on);
    out
}

/// The first day of the horizon after `today`.
pub fn horizon_end(today: Date) -> Date {
    today.saturating_add(jiff::Span::new().months(HORIZON_MONTHS))
}

/// A meeting held with the customer: who came, what was discussed and decided. Holding one
/// fulfils the matching scheduled engagement; its action items are actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Meeting {
    pub id: MeetingId,
    pub account_id: AccountId,
    #[serde(rename = "type")]
    pub meeting_type: EngagementType,
    pub title: String,
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: Timestamp,
    pub duration_minutes: u32,
    /// The day it was held in the account's time zone (what compliance counts).
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    pub attendee_user_ids: Vec<UserId>,
    pub attendee_contact_ids: Vec<ContactId>,
    pub agenda: String,
    pub notes: String,
    pub decisions: Vec<String>,
    /// The scheduled engagement it fulfilled, if any.
    pub engagement_id: Option<EngagementId>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A meeting as typed.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MeetingDraft {
    pub account_id: Option<AccountId>,
    /// An engagement type (check_in, qbr, …).
    #[serde(rename = "type")]
    pub meeting_type: String,
    /// Defaults to the type's name.
    pub title: String,
    /// When it started; not in the future (a meeting is recorded once held).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<Timestamp>,
    /// Default 60.
    pub duration_minutes: Option<u32>,
    pub attendee_user_ids: Vec<UserId>,
    pub attendee_contact_ids: Vec<ContactId>,
    pub agenda: String,
    pub notes: String,
    pub decisions: Vec<String>,
    /// The scheduled engagement it fulfils; by default the nearest open one of its type.
    pub engagement_id: Option<EngagementId>,
    /// A workload, to fulfil that workload's review.
    pub workload: Option<String>,
    /// Action items, each an action owned by a staff member (type defaults to `other`,
    /// priority to `normal`).
    pub action_items: Vec<crate::actions::ActionDraft>,
}

/// Who may attend: the account's contacts and the staff.
pub struct MeetingContext<'a> {
    pub account_id: AccountId,
    pub timezone: &'a str,
    pub account_contacts: &'a [ContactId],
    pub staff: &'a [UserId],
}

impl MeetingDraft {
    /// The meeting as held at `now` (before its engagement is matched), or every problem.
    pub fn validate(&self, ctx: &MeetingContext<'_>, actor: UserId, now: Timestamp) -> Result<Meeting, FieldErrors> {
        let mut errors = FieldErrors::new();
        let meeting_type = parse_choice(&mut errors, "type", self.meeting_type.trim(), EngagementType::ALL);
        let title = optional_text(&mut errors, "title", &self.title, 200);
        let starts_at = self.starts_at.unwrap_or(now);
        if starts_at > now {
            errors.add("starts_at", "must not be in the future: record a meeting once it is held");
        }
        let duration_minutes = self.duration_minutes.unwrap_or(60);
        if !(1..=24 * 60).contains(&duration_minutes) {
            errors.add("duration_minutes", "must be between 1 and 1440");
        }
        for (i, id) in self.attendee_contact_ids.iter().enumerate() {
            if !ctx.account_contacts.contains(id) {
                errors.add(&format!("attendee_contact_ids[{i}]"), "is not a contact of this account");
            }
        }
        for (i, id) in self.attendee_user_ids.iter().enumerate() {
            if !ctx.staff.contains(id) {
                errors.add(&format!("attendee_user_ids[{i}]"), "is not an active staff user");
            }
        }
        let agenda = optional_text(&mut errors, "agenda", &self.agenda, 10_000);
        let notes = optional_text(&mut errors, "notes", &self.notes, 50_000);
        if self.decisions.len() > 100 {
            errors.add("decisions", "must list at most 100 decisions");
        }
        let decisions: Vec<String> = self
            .decisions
            .iter()
            .enumerate()
            .map(|(i, d)| optional_text(&mut errors, &format!("decisions[{i}]"), d, 2_000))
            .filter(|d| !d.is_empty())
            .collect();
        errors.into_result()?;
        let meeting_type = meeting_type.expect("errors were returned above");
        let zone = jiff::tz::TimeZone::get(ctx.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(Meeting {
            id: MeetingId::new(),
            account_id: ctx.account_id,
            meeting_type,
            title: if title.is_empty() { meeting_type.label().to_string() } else { title },
            starts_at,
            duration_minutes,
            held_on: starts_at.to_zoned(zone).date(),
            attendee_user_ids: dedup(&self.attendee_user_ids),
            attendee_contact_ids: dedup(&self.attendee_contact_ids),
            agenda,
            notes,
            decisions,
            engagement_id: None,
            created_by: Some(actor),
            created_at: now,
        })
    }
}

fn dedup<T: PartialEq + Copy>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(*item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn dates(content: &CharterContent, t: EngagementType, until: &str) -> Vec<String> {
        schedule(content, "America/New_York", content.launch_date, d(until))
            .into_iter()
            .filter(|o| o.engagement_type == t)
            .map(|o| o.due_on.to_string())
            .collect()
    }

    fn content(tier: Tier, launch: &str, workloads: &[String]) -> CharterContent {
        let ctx = CharterContext {
            tier,
            timezone: "America/New_York",
            workloads,
            default_launch: d(launch),
            account_contacts: &[],
            staff: &[],
        };
        CharterDraft::default().validate(&ctx).unwrap()
    }

    #[test]
    fn enterprise_template_follows_the_seed_cadence() {
        let c = content(Tier::Enterprise, "2026-01-05", &["checkout".into()]);
        assert_eq!(
            dates(&c, EngagementType::CheckIn, "2026-07-31"),
            [
                // weekly in the first month
                "2026-01-05",
                "2026-01-12",
                "2026-01-19",
                "2026-01-26",
                "2026-02-02",
                // bi-weekly in months 2-3
                "2026-02-05",
                "2026-02-19",
                "2026-03-05",
                "2026-03-19",
                "2026-04-02",
                // monthly after
                "2026-04-05",
                "2026-05-05",
                "2026-06-05",
                "2026-07-05",
            ]
        );
        assert_eq!(dates(&c, EngagementType::StrategyCall, "2026-04-30"), ["2026-02-05", "2026-03-05", "2026-04-05"]);
        assert_eq!(
            dates(&c, EngagementType::Qbr, "2027-01-31"),
            ["2026-04-05", "2026-07-05", "2026-10-05", "2027-01-05"]
        );
        assert_eq!(dates(&c, EngagementType::SecurityReview, "2027-07-31"), ["2026-07-05", "2027-01-05", "2027-07-05"]);
        assert_eq!(dates(&c, EngagementType::Ebr, "2027-01-31"), ["2026-07-05", "2027-01-05"]);
        assert_eq!(dates(&c, EngagementType::WellArchitectedReview, "2028-01-01"), ["2026-02-05", "2027-02-05"]);
    }

    #[test]
    fn a_launch_on_the_31st_keeps_to_month_ends() {
        let c = content(Tier::Business, "2026-01-31", &[]);
        assert_eq!(
            dates(&c, EngagementType::CheckIn, "2026-05-31"),
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
        );
    }

    #[test]
    fn bad_commitments_name_their_field() {
        let ctx = CharterContext {
            tier: Tier::Enterprise,
            timezone: "Europe/Berlin",
            workloads: &[],
            default_launch: d("2026-01-05"),
            account_contacts: &[],
            staff: &[],
        };
        let commitment = |rrule: &str, window: i64| CommitmentDraft {
            engagement_type: "check_in".into(),
            rrule: rrule.into(),
            due_window_days: window,
            ..Default::default()
        };
        let draft = CharterDraft {
            commitments: Some(vec![
                commitment("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 1),
                commitment("FREQ=WEEKLY", 8),
                commitment("FREQ=HOURLY", 0),
                commitment("NONSENSE", 0),
                CommitmentDraft { engagement_type: "brunch".into(), ..commitment("FREQ=MONTHLY", 1) },
                CommitmentDraft { ends_on: Some("2026-01-01".into()), ..commitment("FREQ=MONTHLY", 1) },
            ]),
            escalation_path: vec![EscalationStep {
                name: "".into(),
                role: "".into(),
                reach: "".into(),
                respond_within_minutes: 0,
            }],
            ..Default::default()
        };
        let errors = draft.validate(&ctx).unwrap_err();
        assert!(errors.get("commitments[0].rrule").unwrap().starts_with("never occurs"), "{errors:?}");
        assert_eq!(
            errors.get("commitments[1].due_window_days"),
            Some("must not be longer than the recurrence's period (7 days)")
        );
        assert!(errors.get("commitments[2].rrule").unwrap().contains("at most daily"));
        assert!(errors.get("commitments[3].rrule").unwrap().starts_with("is not a valid RRULE"));
        assert!(errors.get("commitments[4].type").is_some());
        assert_eq!(errors.get("commitments[5].ends_on"), Some("must not be before starts_on"));
        assert!(errors.get("escalation_path[0].name").is_some());
        assert!(errors.get("escalation_path[0].respond_within_minutes").is_some());
    }

    fn engagement(due: &str, window: u32) -> Engagement {
        Engagement::from_occurrence(
            AccountId::new(),
            1,
            Occurrence {
                engagement_type: EngagementType::CheckIn,
                workload: None,
                label: "Check-in".into(),
                due_on: d(due),
                due_window_days: window,
            },
        )
    }

    #[test]
    fn a_meeting_fulfils_the_nearest_open_engagement() {
        let list = vec![engagement("2026-03-02", 2), engagement("2026-03-09", 2), engagement("2026-03-16", 2)];
        let pick = |day: &str| engagement_for_meeting(&list, EngagementType::CheckIn, None, d(day)).map(|e| e.due_on);
        assert_eq!(pick("2026-03-01"), Some(d("2026-03-02")), "early within the window");
        assert_eq!(pick("2026-03-05"), Some(d("2026-03-02")), "late, nearer the earlier");
        assert_eq!(pick("2026-03-06"), Some(d("2026-03-02")), "too early for the next one: late for this one");
        assert_eq!(pick("2026-03-07"), Some(d("2026-03-09")), "the next one's window has opened");
        assert_eq!(pick("2026-02-20"), None, "too early for any");
        assert_eq!(engagement_for_meeting(&list, EngagementType::Qbr, None, d("2026-03-02")), None);
    }

    #[test]
    fn compliance_counts_on_time_late_skipped_missed_and_pending() {
        let mut on_time = engagement("2026-03-02", 2);
        on_time.meeting_id = Some(MeetingId::new());
        on_time.held_on = Some(d("2026-03-04"));
        let mut late = engagement("2026-03-09", 2);
        late.meeting_id = Some(MeetingId::new());
        late.held_on = Some(d("2026-03-12"));
        let mut skipped = engagement("2026-03-16", 2);
        skipped.skip_reason = Some("customer offsite".into());
        let missed = engagement("2026-03-23", 2);
        let pending = engagement("2026-03-30", 2);
        let outside = engagement("2026-04-06", 2);
        let list = [on_time, late, skipped, missed, pending, outside];
        let c = compliance(&list, d("2026-03-01"), d("2026-03-31"), d("2026-03-31"));
        assert_eq!((c.promised, c.on_time, c.pending), (4, 1, 1));
        assert_eq!(c.on_time_pct, Some(25.0));
        let kinds: Vec<_> = c.misses.iter().map(|m| (m.kind, m.days_late)).collect();
        assert_eq!(kinds, [(MissKind::HeldLate, Some(1)), (MissKind::Skipped, None), (MissKind::NotHeld, None)]);
        let both = combine([&c, &c]);
        assert_eq!((both.promised, both.on_time, both.on_time_pct), (8, 2, Some(25.0)));
        assert_eq!(both.by_type.len(), 1);
    }
}
