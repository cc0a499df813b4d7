//! The charter in the UI: the account's charter page (compliance first — the customer's "is our
//! TAM doing what was promised?" as one number and its evidence — then the schedule, the
//! commitments, the people and the escalation path), the charter editor, skipping an
//! engagement, recording a meeting and reading one, and the portfolio's compliance page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tamhub_app::AppError;
use tamhub_app::engagements::{CharterView, local_today};
use tamhub_app::policy;
use tamhub_domain::Date;
use tamhub_domain::accounts::Account;
use tamhub_domain::actions::ActionDraft;
use tamhub_domain::engagements::{
    CharterCompliance, CharterDraft, CommitmentDraft, Engagement, EngagementStatus, EngagementType, EscalationStep,
    MeetingDraft, MissKind, NamedContact, NamedUser,
};
use tamhub_domain::ids::{AccountId, ContactId, EngagementId, MeetingId, UserId};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, Opt, opt, unprocessable};
use super::incidents::parse_utc;
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{PageForm, PageUser};

/// Blank rows the editor offers for new commitments and escalation steps.
const BLANK_ROWS: usize = 2;
const DEFAULT_PERIOD_DAYS: i64 = 90;

fn account_id(text: &str) -> Result<AccountId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |p| format!("{p:.0} %"))
}

/// `ok`, `warn` or `danger` for a compliance figure (target 95 %, alarm below 80 %).
fn pct_class(value: Option<f64>) -> &'static str {
    match value {
        Some(p) if p >= 95.0 => "ok",
        Some(p) if p >= 80.0 => "warn",
        Some(_) => "danger",
        None => "",
    }
}

pub struct TypeRow {
    pub label: &'static str,
    pub promised: u32,
    pub on_time: u32,
    pub pct: String,
    pub class: &'static str,
}

pub struct MissRow {
    pub account: String,
    pub account_id: String,
    pub label: String,
    pub due: String,
    pub kind: &'static str,
    pub why: String,
}

pub struct ComplianceView {
    pub pct: String,
    pub class: &'static str,
    pub promised: u32,
    pub on_time: u32,
    pub pending: u32,
    pub by_type: Vec<TypeRow>,
    pub misses: Vec<MissRow>,
}

fn compliance_view(c: &CharterCompliance, names: &HashMap<AccountId, String>) -> ComplianceView {
    ComplianceView {
        pct: pct(c.on_time_pct),
        class: pct_class(c.on_time_pct),
        promised: c.promised,
        on_time: c.on_time,
        pending: c.pending,
        by_type: c
            .by_type
            .iter()
            .map(|t| TypeRow {
                label: t.engagement_type.map_or("", |e| e.label()),
                promised: t.promised,
                on_time: t.on_time,
                pct: pct(t.on_time_pct),
                class: pct_class(t.on_time_pct),
            })
            .collect(),
        misses: c
            .misses
            .iter()
            .map(|m| MissRow {
                account: names.get(&m.account_id).cloned().unwrap_or_default(),
                account_id: m.account_id.to_string(),
                label: m.label.clone(),
                due: format::date(m.due_on),
                kind: m.kind.label(),
                why: match m.kind {
                    MissKind::HeldLate => format!(
                        "held {} ({} day{} late)",
                        m.held_on.map(format::date).unwrap_or_default(),
                        m.days_late.unwrap_or(0),
                        if m.days_late == Some(1) { "" } else { "s" }
                    ),
                    MissKind::Skipped => m.skip_reason.clone().unwrap_or_default(),
                    MissKind::NotHeld => "no meeting held".into(),
                },
            })
            .collect(),
    }
}

pub struct EngagementRow {
    pub id: String,
    pub label: String,
    pub type_label: &'static str,
    pub due: String,
    pub window: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub detail: String,
    pub meeting_id: Option<String>,
    pub open: bool,
}

fn engagement_row(e: &Engagement, today: Date) -> EngagementRow {
    let status = e.status(today);
    let detail = match status {
        EngagementStatus::Held if e.held_on_time() => {
            format!("held {}", e.held_on.map(format::date).unwrap_or_default())
        }
        EngagementStatus::Held => format!("held late, {}", e.held_on.map(format::date).unwrap_or_default()),
        EngagementStatus::Skipped => e.skip_reason.clone().unwrap_or_default(),
        _ => String::new(),
    };
    EngagementRow {
        id: e.id.to_string(),
        label: e.label.clone(),
        type_label: e.engagement_type.label(),
        due: format::date(e.due_on),
        window: format!("{} – {}", format::date(e.window_opens()), format::date(e.window_closes())),
        status: status.as_str(),
        status_label: status.label(),
        detail,
        meeting_id: e.meeting_id.map(|m| m.to_string()),
        open: e.is_open(),
    }
}

pub struct CommitmentRow {
    pub label: String,
    pub type_label: &'static str,
    pub rrule: String,
    pub from: String,
    pub until: String,
    pub window: u32,
}

pub struct PersonRow {
    pub name: String,
    pub role: String,
    pub detail: String,
}

pub struct StepRow {
    pub name: String,
    pub role: String,
    pub reach: String,
    pub respond: String,
}

pub struct MeetingRow {
    pub id: String,
    pub title: String,
    pub when: String,
    pub type_label: &'static str,
    pub fulfilled: bool,
}

#[derive(Template)]
#[template(path = "charters/show.html")]
struct ShowPage {
    layout: Layout,
    id: String,
    name: String,
    tier_label: &'static str,
    timezone: String,
    notice: Option<String>,
    has_charter: bool,
    version: i64,
    launch: String,
    updated: String,
    can_edit: bool,
    staff: bool,
    from: String,
    to: String,
    compliance: ComplianceView,
    upcoming: Vec<EngagementRow>,
    recent: Vec<EngagementRow>,
    commitments: Vec<CommitmentRow>,
    customer_people: Vec<PersonRow>,
    provider_people: Vec<PersonRow>,
    steps: Vec<StepRow>,
    notes: String,
    versions: Vec<(i64, String, String)>,
    meetings: Vec<MeetingRow>,
    template_launch: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PeriodParams {
    from: Option<String>,
    to: Option<String>,
    notice: Option<String>,
}

fn period(params: &PeriodParams, today: Date) -> (Date, Date, Option<String>) {
    let parse = |v: &Option<String>| v.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::parse::<Date>);
    let mut error = None;
    let to = match parse(&params.to) {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            error = Some("The period's end must be a date as YYYY-MM-DD.".to_string());
            today
        }
        None => today,
    };
    let default_from = to.saturating_sub(jiff::Span::new().days(DEFAULT_PERIOD_DAYS));
    let from = match parse(&params.from) {
        Some(Ok(d)) if d <= to => d,
        Some(Ok(_)) => {
            error = Some("The period's start must not be after its end.".to_string());
            default_from
        }
        Some(Err(_)) => {
            error = Some("The period's start must be a date as YYYY-MM-DD.".to_string());
            default_from
        }
        None => default_from,
    };
    (from, to, error)
}

fn person_names(view: &CharterView) -> impl Fn(UserId) -> String + '_ {
    |id| view.users.get(&id).map(|u| u.name.clone()).unwrap_or_else(|| "Someone".into())
}

/// `GET /accounts/{id}/charter`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<PeriodParams>,
) -> PageResult {
    show_with(&state, &user, account_id(&id)?, &params, None).await
}

async fn show_with(
    state: &AppState,
    user: &PageUser,
    id: AccountId,
    params: &PeriodParams,
    error: Option<String>,
) -> PageResult {
    let view = state.app.charter(&user.actor, id).await?;
    let account = &view.account;
    let now = state.app.clock.now();
    let today = local_today(account, now);
    let (from, to, period_error) = period(params, today);
    let (_, compliance) = state.app.account_compliance(&user.actor, id, from, to).await?;
    let (_, engagements) = state.app.engagements(&user.actor, id, None, None).await?;
    let staff = user.actor.user.role.is_staff();
    let soon = today.saturating_add(jiff::Span::new().days(60));
    let upcoming = engagements
        .iter()
        .filter(|e| e.is_open() && e.window_closes() >= today && e.due_on <= soon)
        .map(|e| engagement_row(e, today))
        .collect();
    let mut recent: Vec<EngagementRow> = engagements
        .iter()
        .filter(|e| !(e.is_open() && e.window_closes() >= today))
        .rev()
        .take(12)
        .map(|e| engagement_row(e, today))
        .collect();
    recent.shrink_to_fit();
    let name_of = person_names(&view);
    let contacts: HashMap<ContactId, _> = view.contacts.iter().map(|c| (c.id, c)).collect();
    type Parts = (Vec<PersonRow>, Vec<PersonRow>, Vec<StepRow>, Vec<CommitmentRow>, String, String, i64, String);
    let (customer_people, provider_people, steps, commitments, notes, launch, version, updated): Parts =
        match &view.charter {
            Some(c) => (
                c.content
                    .customer_contacts
                    .iter()
                    .map(|n| PersonRow {
                        name: contacts.get(&n.contact_id).map_or_else(|| "Removed contact".into(), |c| c.name.clone()),
                        role: n.role.clone(),
                        detail: contacts
                            .get(&n.contact_id)
                            .map(|c| c.email.clone().unwrap_or_default())
                            .unwrap_or_default(),
                    })
                    .collect(),
                c.content
                    .provider_contacts
                    .iter()
                    .map(|n| PersonRow {
                        name: name_of(n.user_id),
                        role: n.role.clone(),
                        detail: view.users.get(&n.user_id).map(|u| u.email.clone()).unwrap_or_default(),
                    })
                    .collect(),
                c.content
                    .escalation_path
                    .iter()
                    .map(|s| StepRow {
                        name: s.name.clone(),
                        role: s.role.clone(),
                        reach: s.reach.clone(),
                        respond: minutes(s.respond_within_minutes),
                    })
                    .collect(),
                c.content
                    .commitments
                    .iter()
                    .map(|m| CommitmentRow {
                        label: m.label.clone(),
                        type_label: m.engagement_type.label(),
                        rrule: m.rrule.clone(),
                        from: format::date(m.starts_on),
                        until: m.ends_on.map(format::date).unwrap_or_else(|| "ongoing".into()),
                        window: m.due_window_days,
                    })
                    .collect(),
                c.content.notes.clone(),
                format::date(c.content.launch_date),
                c.version,
                format!(
                    "{} by {}",
                    format::instant(c.created_at),
                    c.created_by.map(&name_of).unwrap_or_else(|| "tamhub".into())
                ),
            ),
            None => Default::default(),
        };
    let mut versions: Vec<(i64, String, String)> = view
        .versions
        .iter()
        .chain(view.charter.iter())
        .map(|c| (c.version, format::instant(c.created_at), c.created_by.map(&name_of).unwrap_or_default()))
        .collect();
    versions.reverse();
    // The primary and backup TAM come from the assignment, whether or not the charter names them.
    let named: Vec<UserId> =
        view.charter.iter().flat_map(|c| c.content.provider_contacts.iter().map(|n| n.user_id)).collect();
    let mut provider: Vec<PersonRow> =
        [(account.fields.primary_tam_id, "Primary TAM"), (account.fields.backup_tam_id, "Backup TAM")]
            .into_iter()
            .filter_map(|(id, role)| id.filter(|u| !named.contains(u)).map(|u| (u, role)))
            .map(|(u, role)| PersonRow {
                name: name_of(u),
                role: role.into(),
                detail: view.users.get(&u).map(|x| x.email.clone()).unwrap_or_default(),
            })
            .collect();
    provider.extend(provider_people);
    let meetings = if staff {
        state
            .app
            .meetings(&user.actor, id)
            .await?
            .into_iter()
            .take(10)
            .map(|m| MeetingRow {
                id: m.id.to_string(),
                title: m.title,
                when: format::instant(m.starts_at),
                type_label: m.meeting_type.label(),
                fulfilled: m.engagement_id.is_some(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let names: HashMap<AccountId, String> = [(account.id, account.fields.name.clone())].into_iter().collect();
    let (template_launch, _) = if view.charter.is_none() && policy::can_work_charter(user.actor.user.role) {
        state.app.charter_template(&user.actor, id, None).await.map(|(d, c)| (d.to_string(), c)).unwrap_or_default()
    } else {
        Default::default()
    };
    let page = ShowPage {
        layout: Layout::new(user, "/"),
        id: id.to_string(),
        name: account.fields.name.clone(),
        tier_label: account.fields.tier.label(),
        timezone: account.fields.timezone.clone(),
        notice: params.notice.as_deref().map(notice_text).map(str::to_string),
        has_charter: view.charter.is_some(),
        version,
        launch,
        updated,
        can_edit: policy::can_work_charter(user.actor.user.role),
        staff,
        from: from.to_string(),
        to: to.to_string(),
        compliance: compliance_view(&compliance, &names),
        upcoming,
        recent,
        commitments,
        customer_people,
        provider_people: provider,
        steps,
        notes,
        versions,
        meetings,
        template_launch,
        error: error.or(period_error),
    };
    Ok(render(&page))
}

fn notice_text(key: &str) -> &'static str {
    match key {
        "created" => "Charter created; its engagements are scheduled for the next 12 months.",
        "saved" => "Charter saved as a new version; open engagements from today are rescheduled.",
        "skipped" => "Engagement skipped. It counts as promised and not delivered.",
        "meeting" => "Meeting recorded.",
        _ => "Saved.",
    }
}

fn minutes(m: u32) -> String {
    match m {
        m if m % (24 * 60) == 0 => format!("{} day{}", m / (24 * 60), if m == 24 * 60 { "" } else { "s" }),
        m if m % 60 == 0 => format!("{} hour{}", m / 60, if m == 60 { "" } else { "s" }),
        m => format!("{m} minutes"),
    }
}

/// `POST /accounts/{id}/charter`: creates the charter from the tier's template.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = account_id(&id)?;
    let draft = CharterDraft { launch_date: Some(form.get("launch_date").to_string()), ..Default::default() };
    match state.app.save_charter(&user.actor, id, draft, Some(0)).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}/charter?notice=created")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let message = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ");
            let mut r = show_with(&state, &user, id, &PeriodParams::default(), Some(message)).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(other) => Err(other.into()),
    }
}

// ----- the editor -----

pub struct CommitmentInput {
    pub i: usize,
    pub type_name: String,
    pub label: String,
    pub rrule: String,
    pub starts_on: String,
    pub ends_on: String,
    pub window: String,
    pub workload: String,
    pub error: Option<String>,
}

pub struct StepInput {
    pub i: usize,
    pub name: String,
    pub role: String,
    pub reach: String,
    pub minutes: String,
    pub error: Option<String>,
}

pub struct Pick {
    pub id: String,
    pub name: String,
    pub role: String,
    pub picked: bool,
}

#[derive(Template)]
#[template(path = "charters/edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    name: String,
    version: i64,
    form: FormState,
    alert: Option<String>,
    commitments: Vec<CommitmentInput>,
    steps: Vec<StepInput>,
    contacts: Vec<Pick>,
    staff: Vec<Pick>,
    types: Vec<Opt>,
    workloads: Vec<Opt>,
}

/// `GET /accounts/{id}/charter/edit`.
pub async fn edit_form(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id = account_id(&id)?;
    let view = state.app.charter(&user.actor, id).await?;
    if !policy::can_work_charter(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not change charters".into()).into());
    }
    let draft = match &view.charter {
        Some(c) => CharterDraft::from_content(&c.content),
        None => {
            let (launch, commitments) = state.app.charter_template(&user.actor, id, None).await?;
            CharterDraft {
                launch_date: Some(launch.to_string()),
                commitments: Some(commitments.iter().map(CommitmentDraft::from).collect()),
                ..Default::default()
            }
        }
    };
    Ok(render(&edit_page(&state, &user, &view, &draft, FieldErrors::new()).await?))
}

async fn edit_page(
    state: &AppState,
    user: &PageUser,
    view: &CharterView,
    draft: &CharterDraft,
    errors: FieldErrors,
) -> Result<EditPage, AppError> {
    let mut form = FormState::default();
    form.set("launch_date", draft.launch_date.clone().unwrap_or_default());
    form.set("notes", draft.notes.clone());
    let rows = draft.commitments.clone().unwrap_or_default();
    let commitments = rows
        .iter()
        .chain(std::iter::repeat_n(&CommitmentDraft::default(), BLANK_ROWS))
        .enumerate()
        .map(|(i, c)| CommitmentInput {
            i,
            type_name: c.engagement_type.clone(),
            label: c.label.clone(),
            rrule: c.rrule.clone(),
            starts_on: c.starts_on.clone().unwrap_or_default(),
            ends_on: c.ends_on.clone().unwrap_or_default(),
            window: if c.rrule.is_empty() && c.engagement_type.is_empty() {
                String::new()
            } else {
                c.due_window_days.to_string()
            },
            workload: c.workload.clone().unwrap_or_default(),
            error: form_error(&errors, &format!("commitments[{i}]")),
        })
        .collect();
    let blank_step =
        EscalationStep { name: String::new(), role: String::new(), reach: String::new(), respond_within_minutes: 0 };
    let steps = draft
        .escalation_path
        .iter()
        .chain(std::iter::repeat_n(&blank_step, BLANK_ROWS))
        .enumerate()
        .map(|(i, s)| StepInput {
            i,
            name: s.name.clone(),
            role: s.role.clone(),
            reach: s.reach.clone(),
            minutes: if s.respond_within_minutes == 0 { String::new() } else { s.respond_within_minutes.to_string() },
            error: form_error(&errors, &format!("escalation_path[{i}]")),
        })
        .collect();
    let contacts = view
        .contacts
        .iter()
        .map(|c| {
            let named = draft.customer_contacts.iter().find(|n| n.contact_id == c.id);
            Pick {
                id: c.id.to_string(),
                name: c.name.clone(),
                role: named.map_or_else(|| c.role.clone(), |n| n.role.clone()),
                picked: named.is_some(),
            }
        })
        .collect();
    let account = &view.account;
    let mut team: Vec<(UserId, String)> =
        account.fields.assignments().into_iter().map(|(slot, u)| (u, slot.label().to_string())).collect();
    for n in &draft.provider_contacts {
        if !team.iter().any(|(u, _)| *u == n.user_id) {
            team.push((n.user_id, n.role.clone()));
        }
    }
    let names = super::tickets::people(state, user, Some(account)).await?;
    let staff = team
        .into_iter()
        .map(|(u, slot)| {
            let named = draft.provider_contacts.iter().find(|n| n.user_id == u);
            Pick {
                id: u.to_string(),
                name: names.get(&u).cloned().unwrap_or_else(|| "Someone".into()),
                role: named.map_or(slot, |n| n.role.clone()),
                picked: named.is_some(),
            }
        })
        .collect();
    let alert = (!errors.is_empty()).then(|| {
        let all: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        format!("Not saved: {}.", all.join("; "))
    });
    let mut types = vec![opt("", "—")];
    types.extend(EngagementType::ALL.iter().map(|(t, n)| opt(*n, t.label())));
    let mut workloads = vec![opt("", "—")];
    workloads.extend(account.fields.workloads.iter().map(|w| opt(w.clone(), w.clone())));
    Ok(EditPage {
        layout: Layout::new(user, "/"),
        id: account.id.to_string(),
        name: account.fields.name.clone(),
        version: view.charter.as_ref().map_or(0, |c| c.version),
        form: form.with_errors(errors.clone()),
        alert,
        commitments,
        steps,
        contacts,
        staff,
        types,
        workloads,
    })
}

/// The errors of a row (`commitments[2].rrule` → "rrule: …").
fn form_error(errors: &FieldErrors, prefix: &str) -> Option<String> {
    let parts: Vec<String> = errors
        .iter()
        .filter_map(|(field, message)| {
            let rest = field.strip_prefix(prefix)?.strip_prefix('.')?;
            Some(format!("{}: {message}", rest.replace('_', " ")))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn draft_from_form(form: &crate::auth::FormData) -> (CharterDraft, Option<i64>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut commitments = Vec::new();
    for i in 0..200 {
        let key = |name: &str| format!("c{i}.{name}");
        if !form.0.iter().any(|(k, _)| k.starts_with(&format!("c{i}."))) {
            break;
        }
        let (kind, rrule) = (form.get(&key("type")).trim(), form.get(&key("rrule")).trim());
        if kind.is_empty() && rrule.is_empty() {
            continue;
        }
        let window = form.get(&key("window")).trim();
        let due_window_days = if window.is_empty() {
            0
        } else {
            window.parse::<i64>().unwrap_or_else(|_| {
                errors.add(&format!("commitments[{}].due_window_days", commitments.len()), "must be a whole number");
                0
            })
        };
        let optional = |name: &str| Some(form.get(&key(name)).to_string()).filter(|v| !v.trim().is_empty());
        commitments.push(CommitmentDraft {
            engagement_type: kind.to_string(),
            label: form.get(&key("label")).to_string(),
            rrule: rrule.to_string(),
            starts_on: optional("starts_on"),
            ends_on: optional("ends_on"),
            due_window_days,
            workload: optional("workload"),
        });
    }
    let mut escalation_path = Vec::new();
    for i in 0..50 {
        let key = |name: &str| format!("e{i}.{name}");
        if !form.0.iter().any(|(k, _)| k.starts_with(&format!("e{i}."))) {
            break;
        }
        let (name, minutes) = (form.get(&key("name")).trim(), form.get(&key("minutes")).trim());
        if name.is_empty() && minutes.is_empty() {
            continue;
        }
        let respond_within_minutes = minutes.parse::<u32>().unwrap_or_else(|_| {
            errors.add(
                &format!("escalation_path[{}].respond_within_minutes", escalation_path.len()),
                "must be a whole number of minutes",
            );
            0
        });
        escalation_path.push(EscalationStep {
            name: name.to_string(),
            role: form.get(&key("role")).to_string(),
            reach: form.get(&key("reach")).to_string(),
            respond_within_minutes,
        });
    }
    let customer_contacts = form
        .all("contact")
        .into_iter()
        .filter_map(|id| id.parse::<ContactId>().ok())
        .map(|contact_id| NamedContact {
            contact_id,
            role: form.get(&format!("contact_role.{contact_id}")).to_string(),
        })
        .collect();
    let provider_contacts = form
        .all("staff")
        .into_iter()
        .filter_map(|id| id.parse::<UserId>().ok())
        .map(|user_id| NamedUser { user_id, role: form.get(&format!("staff_role.{user_id}")).to_string() })
        .collect();
    let draft = CharterDraft {
        account_id: None,
        version: form.get("version").parse().ok(),
        launch_date: Some(form.get("launch_date").to_string()),
        commitments: Some(commitments),
        customer_contacts,
        provider_contacts,
        escalation_path,
        notes: form.get("notes").to_string(),
    };
    (draft, form.get("version").parse().ok(), errors)
}

/// `POST /accounts/{id}/charter/edit`: saves a new version.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = account_id(&id)?;
    let (draft, version, parse_errors) = draft_from_form(&form);
    let result = if parse_errors.is_empty() {
        state.app.save_charter(&user.actor, id, draft.clone(), version).await.map(|_| ())
    } else {
        Err(AppError::invalid(parse_errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}/charter?notice=saved")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let view = state.app.charter(&user.actor, id).await?;
            Ok(unprocessable(&edit_page(&state, &user, &view, &draft, fields).await?))
        }
        Err(AppError::Conflict(message)) => {
            let view = state.app.charter(&user.actor, id).await?;
            let mut page = edit_page(&state, &user, &view, &draft, FieldErrors::new()).await?;
            page.alert = Some(format!("Not saved: {message}"));
            let mut r = render(&page);
            *r.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(r)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /engagements/{id}/skip`.
pub async fn skip(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: EngagementId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, _) = state.app.get_engagement(&user.actor, id).await?;
    match state.app.skip_engagement(&user.actor, id, form.get("reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{}/charter?notice=skipped#schedule", account.id)).into_response()),
        Err(AppError::Invalid { .. }) => {
            let message = Some("Say why the engagement is skipped: the reason shows in compliance.".to_string());
            let mut r = show_with(&state, &user, account.id, &PeriodParams::default(), message).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /accounts/{id}/charter.ics`: the account's engagements for a calendar (signed-in users).
pub async fn ics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    headers: axum::http::HeaderMap,
) -> Result<Response, super::PageError> {
    let id = account_id(id.trim_end_matches(".ics"))?;
    let body = state.app.account_calendar(&user.actor, id, &crate::api::engagements::base_url(&headers)).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"engagements.ics\""),
        ],
        body,
    )
        .into_response())
}

// ----- meetings -----

pub struct ItemInput {
    pub i: usize,
    pub title: String,
    pub owner: String,
    pub due: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "charters/meeting_new.html")]
struct MeetingForm {
    layout: Layout,
    id: String,
    name: String,
    timezone: String,
    form: FormState,
    alert: Option<String>,
    types: Vec<Opt>,
    engagements: Vec<Opt>,
    people: Vec<Pick>,
    contacts: Vec<Pick>,
    owners: Vec<Opt>,
    items: Vec<ItemInput>,
}

/// `GET /accounts/{id}/meetings/new[?engagement_id=][&type=]`.
pub async fn new_meeting(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id = account_id(&id)?;
    let account = state.app.get_account(&user.actor, id).await?;
    if !policy::can_work_charter(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not record meetings".into()).into());
    }
    let mut form = FormState::default();
    let zone = jiff::tz::TimeZone::get(&account.fields.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = state.app.clock.now();
    form.set("starts_at", now.to_zoned(zone).strftime("%Y-%m-%dT%H:%M").to_string());
    form.set("duration_minutes", "60");
    form.set_all("attendee", vec![user.actor.user.id.to_string()]);
    // A review page links here with the type of engagement its session fulfils.
    if let Some(t) = params.get("type").filter(|t| EngagementType::parse(t).is_some()) {
        form.set("type", t.clone());
    }
    if let Some(e) = params.get("engagement_id") {
        form.set("engagement_id", e.clone());
        if let Ok(eid) = e.parse::<EngagementId>()
            && let Ok((_, engagement)) = state.app.get_engagement(&user.actor, eid).await
        {
            form.set("type", engagement.engagement_type.as_str());
        }
    }
    Ok(render(&meeting_form(&state, &user, &account, form, 3).await?))
}

async fn meeting_form(
    state: &AppState,
    user: &PageUser,
    account: &Account,
    form: FormState,
    item_rows: usize,
) -> Result<MeetingForm, AppError> {
    let today = local_today(account, state.app.clock.now());
    let (_, engagements) = state
        .app
        .engagements(&user.actor, account.id, None, Some(today.saturating_add(jiff::Span::new().days(60))))
        .await?;
    let mut open = vec![opt("", "The nearest open one of its type")];
    open.extend(
        engagements
            .iter()
            .filter(|e| e.is_open())
            .rev()
            .take(40)
            .map(|e| opt(e.id.to_string(), format!("{} · due {}", e.label, format::date(e.due_on)))),
    );
    let names = super::tickets::people(state, user, Some(account)).await?;
    let team: Vec<UserId> = {
        let mut t: Vec<UserId> = account.fields.assignments().into_iter().map(|(_, u)| u).collect();
        if !t.contains(&user.actor.user.id) {
            t.insert(0, user.actor.user.id);
        }
        t
    };
    let people = team
        .iter()
        .map(|u| Pick {
            id: u.to_string(),
            name: names.get(u).cloned().unwrap_or_else(|| "Someone".into()),
            role: String::new(),
            picked: form.has("attendee", &u.to_string()),
        })
        .collect();
    let contacts = state
        .app
        .list_contacts(&user.actor, account.id)
        .await?
        .into_iter()
        .map(|c| Pick {
            picked: form.has("contact", &c.id.to_string()),
            id: c.id.to_string(),
            name: c.name,
            role: c.title,
        })
        .collect();
    let mut owners = vec![opt("", "—")];
    owners.extend(team.iter().map(|u| opt(u.to_string(), names.get(u).cloned().unwrap_or_default())));
    let items = (0..item_rows)
        .map(|i| ItemInput {
            i,
            title: form.value(&format!("a{i}.title")).to_string(),
            owner: form.value(&format!("a{i}.owner_id")).to_string(),
            due: form.value(&format!("a{i}.due")).to_string(),
            error: form_error(&form.errors, &format!("action_items[{i}]")),
        })
        .collect();
    let alert = (!form.errors.is_empty()).then(|| {
        let all: Vec<String> = form.errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        format!("Not saved: {}.", all.join("; "))
    });
    let mut types = vec![];
    types.extend(EngagementType::ALL.iter().map(|(t, n)| opt(*n, t.label())));
    Ok(MeetingForm {
        layout: Layout::new(user, "/"),
        id: account.id.to_string(),
        name: account.fields.name.clone(),
        timezone: account.fields.timezone.clone(),
        form,
        alert,
        types,
        engagements: open,
        people,
        contacts,
        owners,
        items,
    })
}

/// `POST /accounts/{id}/meetings`.
pub async fn record_meeting(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = account_id(&id)?;
    let account = state.app.get_account(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let zone = jiff::tz::TimeZone::get(&account.fields.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let starts_at = match form.get("starts_at").trim() {
        "" => None,
        text => match text.parse::<jiff::civil::DateTime>().ok().and_then(|dt| dt.to_zoned(zone.clone()).ok()) {
            Some(z) => Some(z.timestamp()),
            None => {
                errors.add("starts_at", "must be a date and time such as 2026-03-02T09:40");
                None
            }
        },
    };
    let duration_minutes = match form.get("duration_minutes").trim() {
        "" => None,
        text => text.parse::<u32>().map_err(|_| errors.add("duration_minutes", "must be a whole number")).ok(),
    };
    let mut action_items = Vec::new();
    let mut rows = 0;
    for i in 0..50 {
        if !form.0.iter().any(|(k, _)| k.starts_with(&format!("a{i}."))) {
            break;
        }
        rows = i + 1;
        let title = form.get(&format!("a{i}.title")).trim();
        if title.is_empty() {
            continue;
        }
        let due = form.get(&format!("a{i}.due")).trim();
        let due_at = if due.is_empty() {
            None
        } else {
            parse_utc(&mut errors, &format!("action_items[{}].due_at", action_items.len()), &format!("{due}T23:59"))
        };
        action_items.push(ActionDraft {
            title: title.to_string(),
            owner_id: form.get(&format!("a{i}.owner_id")).parse().ok(),
            due_at,
            ..Default::default()
        });
    }
    let draft = MeetingDraft {
        account_id: Some(id),
        meeting_type: form.get("type").to_string(),
        title: form.get("title").to_string(),
        starts_at,
        duration_minutes,
        attendee_user_ids: form.all("attendee").iter().filter_map(|u| u.parse().ok()).collect(),
        attendee_contact_ids: form.all("contact").iter().filter_map(|c| c.parse().ok()).collect(),
        agenda: form.get("agenda").to_string(),
        notes: form.get("notes").to_string(),
        decisions: form.get("decisions").lines().map(str::to_string).collect(),
        engagement_id: form.get("engagement_id").parse().ok(),
        workload: None,
        action_items,
    };
    let result = if errors.is_empty() {
        state.app.record_meeting(&user.actor, id, draft).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(m) => Ok(Redirect::to(&format!("/meetings/{}?notice=meeting", m.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let form = FormState::from_post(&form).with_errors(fields);
            Ok(unprocessable(&meeting_form(&state, &user, &account, form, rows.max(1)).await?))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "charters/meeting.html")]
struct MeetingPage {
    layout: Layout,
    account_id: String,
    account_name: String,
    title: String,
    type_label: &'static str,
    when: String,
    duration: u32,
    notice: bool,
    fulfilled: Option<String>,
    people: Vec<String>,
    contacts: Vec<String>,
    agenda: String,
    notes: String,
    decisions: Vec<String>,
    action_rows: Vec<super::actions::ActionRow>,
}

/// `GET /meetings/{id}`.
pub async fn meeting(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id: MeetingId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, m, actions) = state.app.get_meeting(&user.actor, id).await?;
    let names = super::tickets::people(&state, &user, Some(&account)).await?;
    let contacts = state.app.list_contacts(&user.actor, account.id).await?;
    let fulfilled = match m.engagement_id {
        Some(e) => state.app.get_engagement(&user.actor, e).await.ok().map(|(_, e)| {
            let on_time = if e.held_on_time() { "on time" } else { "late" };
            format!("{} due {} — held {on_time}", e.label, format::date(e.due_on))
        }),
        None => None,
    };
    let page = MeetingPage {
        layout: Layout::new(&user, "/"),
        account_id: account.id.to_string(),
        account_name: account.fields.name.clone(),
        title: m.title.clone(),
        type_label: m.meeting_type.label(),
        when: format::instant(m.starts_at),
        duration: m.duration_minutes,
        notice: params.contains_key("notice"),
        fulfilled,
        people: m.attendee_user_ids.iter().map(|u| names.get(u).cloned().unwrap_or_else(|| "Someone".into())).collect(),
        contacts: m
            .attendee_contact_ids
            .iter()
            .map(|c| contacts.iter().find(|x| x.id == *c).map_or_else(|| "Removed contact".into(), |x| x.name.clone()))
            .collect(),
        agenda: m.agenda.clone(),
        notes: m.notes.clone(),
        decisions: m.decisions.clone(),
        action_rows: super::actions::action_rows(&state, &user, &actions).await?,
    };
    Ok(render(&page))
}

// ----- portfolio compliance -----

pub struct AccountLine {
    pub id: String,
    pub name: String,
    pub tam: String,
    pub pct: String,
    pub class: &'static str,
    pub promised: u32,
    pub on_time: u32,
    pub pending: u32,
    pub misses: usize,
}

pub struct TamLine {
    pub name: String,
    pub pct: String,
    pub class: &'static str,
    pub promised: u32,
    pub on_time: u32,
    pub misses: usize,
}

#[derive(Template)]
#[template(path = "charters/compliance.html")]
struct CompliancePage {
    layout: Layout,
    from: String,
    to: String,
    error: Option<String>,
    total: ComplianceView,
    accounts: Vec<AccountLine>,
    tams: Vec<TamLine>,
}

/// `GET /compliance?from=&to=`: promised vs delivered for every account in scope.
pub async fn compliance(
    State(state): State<AppState>,
    user: PageUser,
    Query(params): Query<PeriodParams>,
) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    let today = format::today_in_utc(state.app.clock.now());
    let (from, to, error) = period(&params, today);
    let result = state.app.portfolio_compliance(&user.actor, from, to).await?;
    let names: HashMap<AccountId, String> =
        result.accounts.iter().map(|(a, _)| (a.id, a.fields.name.clone())).collect();
    let people = super::tickets::people(&state, &user, None).await?;
    let mut accounts: Vec<AccountLine> = result
        .accounts
        .iter()
        .map(|(a, c)| AccountLine {
            id: a.id.to_string(),
            name: a.fields.name.clone(),
            tam: a.fields.primary_tam_id.and_then(|u| people.get(&u).cloned()).unwrap_or_else(|| "—".into()),
            pct: pct(c.on_time_pct),
            class: pct_class(c.on_time_pct),
            promised: c.promised,
            on_time: c.on_time,
            pending: c.pending,
            misses: c.misses.len(),
        })
        .collect();
    // Worst first: that is where a leader looks.
    accounts.sort_by(|a, b| {
        let key =
            |l: &AccountLine| if l.promised == 0 { f64::MAX } else { f64::from(l.on_time) / f64::from(l.promised) };
        key(a).total_cmp(&key(b)).then(a.name.cmp(&b.name))
    });
    let tams = result
        .tams
        .iter()
        .map(|(u, c)| TamLine {
            name: u.name.clone(),
            pct: pct(c.on_time_pct),
            class: pct_class(c.on_time_pct),
            promised: c.promised,
            on_time: c.on_time,
            misses: c.misses.len(),
        })
        .collect();
    let page = CompliancePage {
        layout: Layout::new(&user, "/compliance"),
        from: from.to_string(),
        to: to.to_string(),
        error,
        total: compliance_view(&result.total, &names),
        accounts,
        tams,
    };
    Ok(render(&page))
}
