//! One incident. Staff get the response console: header, status buttons, roles, severity,
//! milestones, the four-part customer update, notes, linked tickets and the timeline (PAMs read
//! it without the forms). Customer contacts get a status page: status, severity and the public
//! updates. The forms' handlers are in `incident_forms.rs`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use tamhub_app::incidents::IncidentView;
use tamhub_app::{AppError, StatusFilter, TicketQuery, TicketSort, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::ids::{TicketId, UserId};
use tamhub_domain::incident_cadence::Compliance;
use tamhub_domain::incidents::{
    Incident, IncidentRole, IncidentStatus, Milestone, Severity, TimelineEntry, TimelineKind, Visibility,
};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::sla::display::{Badge, DEFAULT_AMBER_WINDOW_SECONDS, badge, duration};
use tamhub_domain::sla::engine::CycleState;
use tamhub_domain::users::Role;

use super::accounts::NoticeQuery;
use super::clocks;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::incident_review::{ReviewCard, published_rca, review_card};
use super::incident_timeline::{EntryView, Names, Step, entry, progress};
use super::incidents::{role_holders, severity_class, short_description, utc_input};
use super::tickets::people;
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{PageIncidentAccess, PageUser};

/// The forms of the page; at most one comes back with errors.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(super) enum Which {
    #[default]
    None,
    Status,
    Severity,
    Roles,
    Milestones,
    Acknowledge,
    Update,
    Note,
    Ticket,
    Impact,
}

impl Which {
    fn as_str(self) -> &'static str {
        match self {
            Which::None => "",
            Which::Status => "status",
            Which::Severity => "severity",
            Which::Roles => "roles",
            Which::Milestones => "milestones",
            Which::Acknowledge => "acknowledge",
            Which::Update => "update",
            Which::Note => "note",
            Which::Ticket => "ticket",
            Which::Impact => "impact",
        }
    }

    /// The notice shown after the form saved.
    pub(super) fn notice(self) -> &'static str {
        match self {
            Which::Acknowledge => "acknowledged",
            other => other.as_str(),
        }
    }

    /// Where the page opens after the form saved: at the part that changed.
    pub(super) fn anchor(self) -> &'static str {
        match self {
            Which::Update | Which::Note => "#timeline-end",
            Which::Milestones => "#milestones",
            Which::Roles => "#roles",
            Which::Ticket => "#tickets",
            Which::Impact => "#impact",
            _ => "",
        }
    }

    /// The inputs the form shows errors beside; any other error of it is listed in the form.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Which::Status => &["status"],
            Which::Severity => &["severity"],
            Which::Roles => &["roles"],
            Which::Milestones => &["milestones", "reason"],
            Which::Update => {
                &["visibility", "what_we_know", "what_we_dont_know", "what_we_are_doing", "next_update_at"]
            }
            Which::Note => &["text"],
            Which::Ticket => &["ticket_id"],
            Which::Impact => &["windows", "reason"],
            Which::None | Which::Acknowledge => &[],
        }
    }
}

/// The form that came back, as posted, with its errors.
#[derive(Default)]
pub(super) struct Returned {
    pub which: Which,
    pub form: FormState,
}

/// A field error as a sentence: "Incident lead: a P1 incident needs an incident lead".
fn describe(field: &str, message: &str) -> String {
    let label = if let Some(role) = field.strip_prefix("roles.").and_then(IncidentRole::parse) {
        role.label().to_string()
    } else if let Some(m) = field.strip_prefix("milestones.").and_then(Milestone::parse) {
        m.label().to_string()
    } else {
        match field {
            "update" | "acknowledged_at" | "status" | "severity" => String::new(),
            "ticket_id" => "Ticket".into(),
            "text" => "Note".into(),
            other => {
                let mut label = other.replace('_', " ");
                if let Some(first) = label.get(..1) {
                    label = first.to_uppercase() + &label[1..];
                }
                label
            }
        }
    };
    if label.is_empty() { message.to_string() } else { format!("{label}: {message}") }
}

pub struct StatusButton {
    pub value: &'static str,
    pub label: String,
    pub class: &'static str,
}

fn status_buttons(status: IncidentStatus) -> Vec<StatusButton> {
    use IncidentStatus::*;
    let mut first_forward = true;
    status
        .next_statuses()
        .into_iter()
        .map(|to| {
            let (label, class) = match (status, to) {
                (Resolved, Investigating) => ("Reopen (investigating)".to_string(), "warn"),
                (Monitoring, Investigating | Identified) => (format!("Back to {}", to.label()), "warn"),
                (_, Declined | Merged | Canceled) => (to.label().to_string(), "danger"),
                _ if first_forward => {
                    first_forward = false;
                    (to.label().to_string(), "primary")
                }
                _ => (to.label().to_string(), ""),
            };
            StatusButton { value: to.as_str(), label, class }
        })
        .collect()
}

pub struct MilestoneRow {
    /// The input's name, as the domain names its errors: `milestones.resolved_at`.
    pub field: String,
    pub label: &'static str,
    pub at: String,
    /// "+12m" after impact started.
    pub offset: String,
    pub set: bool,
}

fn milestone_rows(incident: &Incident) -> Vec<MilestoneRow> {
    let impact = incident.milestones.impact_started();
    Milestone::ALL
        .iter()
        .map(|(m, name)| {
            let at = incident.milestones.get(*m);
            let offset = match (m, at) {
                (Milestone::ImpactStartedAt, _) | (_, None) => String::new(),
                (_, Some(t)) => match t.as_second() - impact.as_second() {
                    0 => String::new(),
                    s if s > 0 => format!("+{}", duration(s)),
                    s => format!("−{}", duration(s)),
                },
            };
            MilestoneRow {
                field: format!("milestones.{name}"),
                label: m.label(),
                at: at.map(format::instant).unwrap_or_else(|| "—".into()),
                offset,
                set: at.is_some(),
            }
        })
        .collect()
}

pub struct RoleRow {
    pub field: String,
    pub label: &'static str,
    pub holder: String,
}

pub struct TicketLink {
    pub id: TicketId,
    pub number: i64,
    pub title: String,
    pub status_label: &'static str,
    pub account: String,
}

#[derive(Template)]
#[template(path = "incidents/show.html")]
struct IncidentPage {
    layout: Layout,
    id: String,
    number: String,
    title: String,
    summary: String,
    test: bool,
    severity: &'static str,
    severity_class: String,
    severity_text: &'static str,
    max_severity: &'static str,
    max_severity_class: String,
    status: &'static str,
    status_label: &'static str,
    ended: bool,
    reopen_count: i64,
    declared: String,
    declared_ago: String,
    declared_by: String,
    acknowledged: String,
    accounts: Vec<(String, String)>,
    other_accounts: usize,
    services: Vec<String>,
    roles: Vec<RoleRow>,
    milestones: Vec<MilestoneRow>,
    tickets: Vec<TicketLink>,
    hidden_tickets: usize,
    timeline: Vec<EntryView>,
    progress: Vec<Step>,
    notice: Option<String>,
    alert: Option<String>,
    /// Staff who work incidents get the forms; PAMs read.
    can_work: bool,
    can_acknowledge: bool,
    buttons: Vec<StatusButton>,
    /// Which form came back with errors, and the errors of it no input shows.
    failed: &'static str,
    unplaced: Vec<String>,
    status_form: FormState,
    severity_form: FormState,
    roles_form: FormState,
    milestones_form: FormState,
    /// The customer-impact windows: the form, and as read (start, end, length).
    impact_form: FormState,
    impact_windows: Vec<(String, String, String)>,
    impact_total: String,
    update_form: FormState,
    note_form: FormState,
    ticket_form: FormState,
    severities: Vec<Opt>,
    holders: Vec<Opt>,
    ticket_choices: Vec<Opt>,
    /// Updates carry a public/internal marker.
    marks: bool,
    cadence: CadenceView,
    review: ReviewCard,
    /// The root-cause category, and incidents repeating it (same category and a shared service
    /// within the window): `(id, "INC-7 Title", "declared …")`.
    repeat_category: Option<String>,
    repeats: Vec<(String, String, String)>,
    /// Its corrective actions (staff only).
    action_rows: Vec<super::actions::ActionRow>,
}

/// One cycle of the customer-update cadence.
pub struct CadenceRow {
    pub no: u32,
    pub severity: String,
    pub target: String,
    pub started: String,
    /// When the update came (or the cycle ended), or when it is due while running.
    pub ended: String,
    pub state: &'static str,
    pub class: &'static str,
}

/// The customer-update cadence panel (R-I1): when the next update is due and how the updates
/// kept to it so far.
pub struct CadenceView {
    /// "Next customer update due 14:30 UTC · in 12m" or "overdue by 5m".
    pub next: Option<String>,
    pub next_class: &'static str,
    /// "2 of 3 updates on time (67 %)".
    pub compliance: String,
    pub rows: Vec<CadenceRow>,
}

fn cadence_view(sla: &tamhub_domain::tickets::TicketSla, compliance: Compliance, now: Timestamp) -> CadenceView {
    let instant = |s: i64| Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH);
    let running = sla.cycles.iter().find(|c| c.state == CycleState::Running);
    let next = running.and_then(|c| c.due_at).map(|due| {
        let left = due - now.as_second();
        let when = if running.is_some_and(|c| c.breached) || left < 0 {
            format!("overdue by {}", duration(-left))
        } else {
            format!("in {}", duration(left))
        };
        format!("Next customer update due {} · {when}", format::instant(instant(due)))
    });
    let next_class = match running.and_then(|c| badge(c, DEFAULT_AMBER_WINDOW_SECONDS)) {
        Some(Badge::Red) => "sla-red",
        Some(Badge::Amber) => "sla-amber",
        Some(_) => "sla-green",
        None => "",
    };
    let compliance = match compliance.percent() {
        Some(p) => format!("{} of {} updates on time ({p:.0} %)", compliance.on_time, compliance.required),
        None => "No update was due yet".to_string(),
    };
    let rows = sla
        .cycles
        .iter()
        .map(|c| {
            let (state, class) = match c.state {
                CycleState::Running if c.breached => ("Overdue", "sla-red"),
                CycleState::Running => ("Running", "sla-green"),
                CycleState::Met => ("On time", "sla-green"),
                CycleState::Breached => ("Late", "sla-red"),
                CycleState::Cancelled => ("Not needed", "sla-grey"),
                _ => ("Paused", "sla-grey"),
            };
            let ended = match (c.stopped_at, c.due_at) {
                (Some(at), _) => format::instant(instant(at)),
                (None, Some(due)) => format!("due {}", format::instant(instant(due))),
                (None, None) => String::new(),
            };
            CadenceRow {
                no: c.cycle_no,
                severity: c.priority.clone(),
                target: duration(c.target_seconds),
                started: format::instant(instant(c.started_at)),
                ended,
                state,
                class,
            }
        })
        .collect();
    CadenceView { next, next_class, compliance, rows }
}

/// The customer's view: a status page.
#[derive(Template)]
#[template(path = "incidents/status.html")]
struct StatusPage {
    layout: Layout,
    number: String,
    title: String,
    severity: &'static str,
    severity_class: String,
    severity_text: &'static str,
    status: &'static str,
    status_label: &'static str,
    live: bool,
    declared: String,
    declared_ago: String,
    resolved: Option<String>,
    accounts: Vec<String>,
    next_update: Option<String>,
    /// Newest first, like a status page.
    entries: Vec<EntryView>,
    progress: Vec<Step>,
    marks: bool,
    /// The customer-facing RCA once its review is published: (text, when).
    rca: Option<(String, String)>,
}

fn notice_text(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "declared" => "Incident declared. Post the first customer update soon: the cadence clock is running.",
            "status" => "Status changed.",
            "severity" => "Severity changed.",
            "roles" => "Roles saved.",
            "milestones" => "Milestone corrected; the change and its reason are on the timeline.",
            "acknowledged" => "Incident acknowledged.",
            "update" => "Update posted.",
            "note" => "Note added.",
            "ticket" => "Ticket linked.",
            "impact" => "Impact windows saved; customer impact now counts only these times.",
            "unchanged" => "Nothing to change.",
            _ => return None,
        }
        .to_string(),
    )
}

/// The linked tickets the reader may see, by id, and how many they may not.
async fn linked_tickets(
    state: &AppState,
    user: &PageUser,
    incident: &Incident,
) -> Result<(Vec<TicketLink>, usize), AppError> {
    let mut links = Vec::new();
    let mut hidden = 0;
    for id in &incident.linked_ticket_ids {
        match state.app.get_ticket(&user.actor, *id).await {
            Ok((ticket, account)) => links.push(TicketLink {
                id: ticket.id,
                number: ticket.number,
                title: ticket.title,
                status_label: ticket.status.label(),
                account: account.fields.name,
            }),
            Err(AppError::NotFound) => hidden += 1,
            Err(other) => return Err(other),
        }
    }
    Ok((links, hidden))
}

/// Open tickets of the impacted accounts, offered when linking one.
async fn ticket_choices(state: &AppState, user: &PageUser, view: &IncidentView) -> Result<Vec<Opt>, AppError> {
    let mut out = Vec::new();
    for (account, name) in view.accounts.iter().take(5) {
        let mut query = TicketQuery::in_scope(AccountScope::Nothing);
        query.account_id = Some(*account);
        query.status = StatusFilter::Open;
        query.sort = TicketSort::Updated;
        query.descending = true;
        query.limit = 20;
        for item in state.app.list_tickets(&user.actor, query).await?.items {
            if !view.incident.linked_ticket_ids.contains(&item.ticket.id) {
                out.push(opt(format!("#{}", item.ticket.number), format!("{} · {name}", item.ticket.title)));
            }
        }
    }
    Ok(out)
}

fn customer_page(
    user: &PageUser,
    view: &IncidentView,
    timeline: &[TimelineEntry],
    rca: Option<(String, String)>,
    now: Timestamp,
) -> PageResult {
    let i = &view.incident;
    let names = Names { people: &HashMap::new(), accounts: HashMap::new(), tickets: &HashMap::new() };
    let mut entries: Vec<EntryView> = timeline
        .iter()
        .filter(|e| e.kind.visible_to_customer())
        .map(|e| {
            let mut v = entry(e, &names, now);
            // A status page speaks as the provider, not as a person.
            v.who = String::new();
            v.what = match &e.kind {
                TimelineKind::Declared { .. } => "We are investigating reports of a problem.".to_string(),
                TimelineKind::StatusChanged { to, .. } => format!("Status: {}", to.label()),
                TimelineKind::UpdatePosted(_) => "Update".to_string(),
                _ => v.what,
            };
            v
        })
        .collect();
    entries.reverse();
    let next_update = timeline
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            TimelineKind::UpdatePosted(u) if u.visibility == Visibility::Public => Some(u.next_update_at),
            _ => None,
        })
        .flatten()
        .filter(|at| *at > now && i.status.is_live())
        .map(format::instant);
    let page = StatusPage {
        layout: Layout::new(user, "/incidents"),
        number: i.display_number(),
        title: i.title.clone(),
        severity: i.severity.as_str(),
        severity_class: severity_class(i.severity),
        severity_text: short_description(i.severity),
        status: i.status.as_str(),
        status_label: i.status.label(),
        live: i.status.is_live(),
        declared: format::instant(i.milestones.declared_at),
        declared_ago: clocks::relative(i.milestones.declared_at, now),
        resolved: i.milestones.resolved_at.map(format::instant),
        accounts: view.accounts.iter().map(|(_, n)| n.clone()).collect(),
        next_update,
        entries,
        progress: progress(i.status),
        marks: false,
        rca,
    };
    Ok(render(&page))
}

/// The current values of the role and milestone forms, on a plain visit.
fn current_values(incident: &Incident) -> (FormState, FormState, FormState) {
    let mut roles = FormState::default();
    for (role, name) in IncidentRole::ALL {
        roles.set(&format!("roles.{name}"), incident.holder(role).map(|u| u.to_string()).unwrap_or_default());
    }
    let mut milestones = FormState::default();
    for (m, name) in Milestone::ALL {
        milestones.set(&format!("milestones.{name}"), incident.milestones.get(m).map(utc_input).unwrap_or_default());
    }
    let mut severity = FormState::default();
    severity.set("severity", incident.severity.as_str());
    (roles, milestones, severity)
}

pub(super) async fn incident_page(
    state: &AppState,
    user: &PageUser,
    view: &IncidentView,
    notice: Option<String>,
    returned: Returned,
) -> PageResult {
    let actor = &user.actor;
    let now = state.app.clock.now();
    let i = &view.incident;
    let timeline = state.app.incident_timeline(actor, i.id).await?;
    let review = state.app.incident_review(actor, i.id).await?;
    let (repeat_category, repeat_views) = state.app.repeat_incidents(actor, i.id).await?;
    let repeats = repeat_views
        .iter()
        .map(|v| {
            let r = &v.incident;
            let accounts: Vec<&str> = v.accounts.iter().map(|(_, n)| n.as_str()).collect();
            let when =
                format!("declared {} · {}", clocks::relative(r.milestones.declared_at, now), accounts.join(", "));
            (r.id.to_string(), format!("{} {}", r.display_number(), r.title), when)
        })
        .collect();
    if actor.user.role == Role::Customer {
        return customer_page(user, view, &timeline, published_rca(&review), now);
    }
    let can_work = policy::can_work_incidents(actor.user.role);
    let (sla, compliance, _) = state.app.incident_cadence(actor, i.id).await?;
    let people = people(state, user, None).await?;
    let (tickets, hidden_tickets) = linked_tickets(state, user, i).await?;
    let ticket_names: HashMap<TicketId, (i64, String)> =
        tickets.iter().map(|t| (t.id, (t.number, t.title.clone()))).collect();
    let names = Names { people: &people, accounts: view.accounts.iter().cloned().collect(), tickets: &ticket_names };
    let person = |id: Option<UserId>, none: &str| match id {
        Some(_) => names.person(id),
        None => none.to_string(),
    };
    let (mut roles_form, mut milestones_form, mut severity_form) = current_values(i);
    let mut impact_form = FormState::default();
    impact_form.set("windows", super::incident_forms::windows_text(&i.impact_windows));
    let Returned { which, form } = returned;
    let unplaced: Vec<String> = form
        .errors
        .iter()
        .filter(|(field, _)| {
            !which.fields().iter().any(|s| {
                field.as_str() == *s || field.strip_prefix(s).is_some_and(|r| r.starts_with('[') || r.starts_with('.'))
            })
        })
        .map(|(f, m)| describe(f, m))
        .collect();
    let alert = (!form.errors.is_empty()).then(|| {
        let all: Vec<String> = form.errors.iter().map(|(f, m)| describe(f, m)).collect();
        format!("Not saved: {}.", all.join("; "))
    });
    let (mut status_form, mut update_form, mut note_form, mut ticket_form) = Default::default();
    match which {
        Which::Roles => roles_form = form,
        Which::Milestones => milestones_form = form,
        Which::Impact => impact_form = form,
        Which::Severity => severity_form = form,
        Which::Status => status_form = form,
        Which::Update => update_form = form,
        Which::Note => note_form = form,
        Which::Ticket => ticket_form = form,
        Which::None | Which::Acknowledge => {}
    }
    if update_form.value("visibility").is_empty() {
        update_form.set("visibility", "public");
    }
    let mut holders = vec![opt("", "— Nobody —")];
    let mut ticket_options = Vec::new();
    if can_work {
        holders.extend(role_holders(state, user).await?);
        ticket_options = ticket_choices(state, user, view).await?;
    }
    // A holder who can no longer hold roles stays selectable for the role they hold.
    for (_, holder) in &i.roles {
        if !holders.iter().any(|(v, _)| *v == holder.to_string()) {
            holders.push(opt(holder.to_string(), names.person(Some(*holder))));
        }
    }
    let page = IncidentPage {
        layout: Layout::new(user, "/incidents"),
        id: i.id.to_string(),
        number: i.display_number(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        test: i.test,
        severity: i.severity.as_str(),
        severity_class: severity_class(i.severity),
        severity_text: short_description(i.severity),
        max_severity: i.max_severity.as_str(),
        max_severity_class: severity_class(i.max_severity),
        status: i.status.as_str(),
        status_label: i.status.label(),
        ended: i.status.is_terminal(),
        reopen_count: i.reopen_count,
        declared: format::instant(i.milestones.declared_at),
        declared_ago: clocks::relative(i.milestones.declared_at, now),
        declared_by: person(i.created_by, "tamhub"),
        acknowledged: i
            .milestones
            .acknowledged_at
            .map(|at| format!("{} ({})", format::instant(at), clocks::relative(at, now)))
            .unwrap_or_default(),
        accounts: view.accounts.iter().map(|(id, n)| (id.to_string(), n.clone())).collect(),
        other_accounts: view.other_accounts,
        services: i.impacted_services.clone(),
        roles: IncidentRole::ALL
            .iter()
            .map(|(r, n)| RoleRow {
                field: format!("roles.{n}"), label: r.label(), holder: person(i.holder(*r), "—")
            })
            .collect(),
        milestones: milestone_rows(i),
        tickets,
        hidden_tickets,
        timeline: timeline.iter().map(|e| entry(e, &names, now)).collect(),
        progress: progress(i.status),
        notice,
        alert,
        can_work,
        can_acknowledge: can_work && i.milestones.acknowledged_at.is_none() && !i.status.is_terminal(),
        buttons: if can_work { status_buttons(i.status) } else { Vec::new() },
        failed: which.as_str(),
        unplaced,
        status_form,
        severity_form,
        roles_form,
        milestones_form,
        impact_form,
        impact_windows: i
            .impact_windows
            .iter()
            .map(|w| {
                (format::instant(w.start), format::instant(w.end), duration(w.end.duration_since(w.start).as_secs()))
            })
            .collect(),
        impact_total: duration(tamhub_domain::incidents::union_seconds(&i.impact_windows)),
        update_form,
        note_form,
        ticket_form,
        severities: Severity::ALL.iter().map(|(s, n)| opt(*n, format!("{n} · {}", short_description(*s)))).collect(),
        holders,
        ticket_choices: ticket_options,
        marks: true,
        cadence: cadence_view(&sla, compliance, now),
        review: review_card(&review, &people, now),
        repeat_category,
        repeats,
        action_rows: super::actions::rows_for(state, user, Some(i.id), None).await?,
    };
    Ok(if page.alert.is_some() { unprocessable(&page) } else { render(&page) })
}

pub async fn show(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(query.notice.as_deref());
    incident_page(&state, &access.user, &access.view, notice, Returned::default()).await
}
