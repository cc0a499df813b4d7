//! Admin: business calendars (R-K1, R-K10, R-K12). A list, a form with the weekly hours as a grid,
//! holidays and exceptions as lines of text, the version history, the organisation default and
//! the import of holidays from an iCalendar (.ics) file.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::{AppError, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::ids::CalendarId;
use tamhub_domain::sla::business_calendars::{BusinessCalendar, CalendarHours, ImportedHoliday};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUpload, PageUser};

pub const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// Intervals a day can have in the form's grid.
const SLOTS: usize = 2;

pub(super) fn require_sla_admin(user: &PageUser) -> Result<(), AppError> {
    policy::require(policy::can_manage_sla(user.actor.user.role), "manage SLA calendars and policies")
}

/// 540 → "09:00"; 1440 → "24:00".
fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// "09:00" → 540; "24:00" → 1440.
fn minutes(text: &str) -> Option<i64> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    ((0..24).contains(&h) && (0..60).contains(&m) || total == 1440).then_some(total)
}

fn spans(list: &[Vec<i64>]) -> String {
    list.iter().map(|s| format!("{}–{}", hhmm(s[0]), hhmm(*s.get(1).unwrap_or(&0)))).collect::<Vec<_>>().join(", ")
}

/// "Mon–Fri 09:00–17:00" with runs of days that share their hours folded together.
pub fn weekly_summary(weekly: &BTreeMap<String, Vec<Vec<i64>>>) -> String {
    let day_spans: Vec<(&str, String)> =
        DAYS.iter().map(|(key, _)| (*key, weekly.get(*key).map(|s| spans(s)).unwrap_or_default())).collect();
    let title = |key: &str| {
        let mut c = key.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    let mut parts = Vec::new();
    let mut i = 0;
    while i < day_spans.len() {
        let mut j = i;
        while j + 1 < day_spans.len() && day_spans[j + 1].1 == day_spans[i].1 {
            j += 1;
        }
        if !day_spans[i].1.is_empty() {
            let days = if i == j {
                title(day_spans[i].0)
            } else {
                format!("{}–{}", title(day_spans[i].0), title(day_spans[j].0))
            };
            parts.push(format!("{days} {}", day_spans[i].1));
        }
        i = j + 1;
    }
    if parts.is_empty() { "No business hours".into() } else { parts.join("; ") }
}

pub struct CalendarRow {
    pub id: String,
    pub name: String,
    pub tz: String,
    pub weekly: String,
    pub holidays: usize,
    pub version: i64,
    pub is_default: bool,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "admin/calendars.html")]
struct CalendarsPage {
    layout: Layout,
    rows: Vec<CalendarRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "created" => "Calendar created.",
            "saved" => "Calendar saved.",
            "unchanged" => "Nothing changed.",
            "default" => "Default calendar set: accounts without a calendar of their own now use it.",
            _ => return None,
        }
        .to_string(),
    )
}

pub async fn list(State(state): State<AppState>, user: PageUser, Query(query): Query<NoticeQuery>) -> PageResult {
    require_sla_admin(&user)?;
    let (calendars, default) = state.app.list_calendars(&user.actor).await?;
    let now = state.app.clock.now();
    let mut rows: Vec<CalendarRow> = calendars
        .iter()
        .map(|c| {
            let current = c.current(now);
            CalendarRow {
                id: c.id.to_string(),
                name: c.name.clone(),
                tz: current.map(|v| v.hours.tz.clone()).unwrap_or_default(),
                weekly: current.map(|v| weekly_summary(&v.hours.weekly)).unwrap_or_default(),
                holidays: current.map(|v| v.hours.holidays.len()).unwrap_or(0),
                version: current.map(|v| v.version).unwrap_or(0),
                is_default: default == Some(c.id),
                updated: format::instant(c.updated_at),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.is_default.cmp(&a.is_default).then(a.name.cmp(&b.name)));
    Ok(render(&CalendarsPage {
        layout: Layout::new(&user, "/admin/sla-policies"),
        rows,
        notice: notice_text(query.notice.as_deref()),
    }))
}

pub struct VersionRow {
    pub version: i64,
    pub effective_from: String,
    pub tz: String,
    pub weekly: String,
    pub holidays: usize,
    pub exceptions: usize,
    pub created: String,
    pub in_force: bool,
    pub scheduled: bool,
}

#[derive(Template)]
#[template(path = "admin/calendar_form.html")]
struct CalendarFormPage {
    layout: Layout,
    heading: String,
    action: String,
    /// Set when editing.
    id: Option<String>,
    is_default: bool,
    alert: Option<String>,
    notice: Option<String>,
    form: FormState,
    days: Vec<(&'static str, &'static str)>,
    timezones: Vec<String>,
    versions: Vec<VersionRow>,
    imported: Vec<String>,
    import_error: Option<String>,
}

/// The form's values for the hours of a calendar version.
fn values_of(name: &str, hours: &CalendarHours) -> FormState {
    let mut form = FormState::default();
    form.set("name", name);
    form.set("tz", hours.tz.clone());
    for (day, _) in DAYS {
        for (i, span) in hours.weekly.get(day).into_iter().flatten().take(SLOTS).enumerate() {
            form.set(&format!("{day}.{i}.start"), hhmm(span[0]));
            form.set(&format!("{day}.{i}.end"), hhmm(*span.get(1).unwrap_or(&0)));
        }
    }
    form.set("holidays", hours.holidays.join("\n"));
    let exceptions: Vec<String> =
        hours.exceptions.iter().map(|(date, list)| format!("{date} {}", spans(list).replace('–', "-"))).collect();
    form.set("exceptions", exceptions.join("\n"));
    form
}

/// Reads the grid, holidays and exceptions; problems are named by the fields the app uses
/// (`weekly.mon[0]`, `holidays`, `exceptions`).
fn hours_from(form: &FormData, errors: &mut FieldErrors) -> CalendarHours {
    let mut weekly = BTreeMap::new();
    for (day, _) in DAYS {
        let mut list = Vec::new();
        for i in 0..SLOTS {
            let start = form.get(&format!("{day}.{i}.start")).trim().to_string();
            let end = form.get(&format!("{day}.{i}.end")).trim().to_string();
            if start.is_empty() && end.is_empty() {
                continue;
            }
            match (minutes(&start), minutes(&end)) {
                (Some(s), Some(e)) => list.push(vec![s, e]),
                _ => errors
                    .add(&format!("weekly.{day}[{}]", list.len()), "give both times as HH:MM, from 00:00 to 24:00"),
            }
        }
        if !list.is_empty() {
            weekly.insert(day.to_string(), list);
        }
    }
    let mut holidays = Vec::new();
    for (n, line) in form.get("holidays").lines().enumerate() {
        let Some(first) = line.split_whitespace().next() else { continue };
        match first.parse::<tamhub_domain::Date>() {
            Ok(date) => holidays.push(date.to_string()),
            Err(_) => errors.add("holidays", format!("line {}: \"{first}\" is not a date as YYYY-MM-DD", n + 1)),
        }
    }
    let mut exceptions = BTreeMap::new();
    for (n, line) in form.get("exceptions").lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (date, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let bad = |what: &str| format!("line {}: {what} (YYYY-MM-DD HH:MM-HH:MM[, HH:MM-HH:MM])", n + 1);
        let Ok(date) = date.parse::<tamhub_domain::Date>() else {
            errors.add("exceptions", bad(&format!("\"{date}\" is not a date")));
            continue;
        };
        let mut list = Vec::new();
        for span in rest.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match span.split_once('-').map(|(a, b)| (minutes(a), minutes(b))) {
                Some((Some(s), Some(e))) => list.push(vec![s, e]),
                _ => errors.add("exceptions", bad(&format!("\"{span}\" is not HH:MM-HH:MM"))),
            }
        }
        exceptions.insert(date.to_string(), list);
    }
    CalendarHours { tz: form.get("tz").trim().to_string(), weekly, holidays, exceptions }
}

/// The effective-from input, a local date-time in the calendar's time zone.
fn effective_from(form: &FormData, errors: &mut FieldErrors) -> Option<Timestamp> {
    let text = form.get("effective_from").trim();
    if text.is_empty() {
        return None;
    }
    let tz = jiff::tz::TimeZone::get(form.get("tz").trim()).unwrap_or(jiff::tz::TimeZone::UTC);
    match text.parse::<jiff::civil::DateTime>().ok().and_then(|dt| dt.to_zoned(tz).ok()) {
        Some(zoned) => Some(zoned.timestamp()),
        None => {
            errors.add("effective_from", "must be a date and time such as 2026-12-01T00:00");
            None
        }
    }
}

fn timezones() -> Vec<String> {
    let mut zones: Vec<String> =
        jiff::tz::db().available().map(|n| n.to_string()).filter(|n| n.contains('/') || n == "UTC").collect();
    zones.sort();
    zones
}

const CALENDAR_FIELDS: [&str; 6] = ["name", "tz", "weekly", "holidays", "exceptions", "effective_from"];

fn calendar_page(
    user: &PageUser,
    existing: Option<(&BusinessCalendar, bool)>,
    form: FormState,
    now: Timestamp,
) -> CalendarFormPage {
    let alert = (!form.errors.is_empty()).then(|| {
        let mut lines = vec!["Please correct the fields marked below.".to_string()];
        lines.extend(form.unplaced_errors(&CALENDAR_FIELDS));
        lines.join(" ")
    });
    let in_force = existing.and_then(|(c, _)| c.current(now)).map(|v| v.version);
    let versions = existing
        .map(|(c, _)| {
            c.versions
                .iter()
                .rev()
                .map(|v| VersionRow {
                    version: v.version,
                    effective_from: format::instant(v.effective_from),
                    tz: v.hours.tz.clone(),
                    weekly: weekly_summary(&v.hours.weekly),
                    holidays: v.hours.holidays.len(),
                    exceptions: v.hours.exceptions.len(),
                    created: format::instant(v.created_at),
                    in_force: Some(v.version) == in_force,
                    scheduled: v.effective_from > now,
                })
                .collect()
        })
        .unwrap_or_default();
    CalendarFormPage {
        layout: Layout::new(user, "/admin/sla-policies"),
        heading: existing.map(|(c, _)| c.name.clone()).unwrap_or_else(|| "New calendar".into()),
        action: existing
            .map(|(c, _)| format!("/admin/calendars/{}", c.id))
            .unwrap_or_else(|| "/admin/calendars".into()),
        id: existing.map(|(c, _)| c.id.to_string()),
        is_default: existing.is_some_and(|(_, d)| d),
        alert,
        notice: None,
        form,
        days: DAYS.to_vec(),
        timezones: timezones(),
        versions,
        imported: Vec::new(),
        import_error: None,
    }
}

pub async fn new_form(State(state): State<AppState>, user: PageUser) -> PageResult {
    require_sla_admin(&user)?;
    let form = values_of("", &CalendarHours::weekdays_nine_to_five("UTC"));
    Ok(render(&calendar_page(&user, None, form, state.app.clock.now())))
}

pub async fn create(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    require_sla_admin(&user)?;
    let mut errors = FieldErrors::new();
    let hours = hours_from(&form, &mut errors);
    let from = effective_from(&form, &mut errors);
    let now = state.app.clock.now();
    let result = if errors.is_empty() {
        state.app.create_calendar(Some(&user.actor), form.get("name"), hours, from.unwrap_or(now)).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/admin/calendars/{}?notice=created", c.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(fields);
            Ok(unprocessable(&calendar_page(&user, None, values, now)))
        }
        Err(other) => Err(other.into()),
    }
}

fn calendar_id(id: &str) -> Result<CalendarId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn load(state: &AppState, user: &PageUser, id: &str) -> Result<(BusinessCalendar, bool), AppError> {
    let id = calendar_id(id)?;
    let (calendars, default) = state.app.list_calendars(&user.actor).await?;
    let calendar = calendars.into_iter().find(|c| c.id == id).ok_or(AppError::NotFound)?;
    Ok((calendar, default == Some(id)))
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    require_sla_admin(&user)?;
    let (calendar, is_default) = load(&state, &user, &id).await?;
    let now = state.app.clock.now();
    let hours = calendar.current(now).map(|v| v.hours.clone()).unwrap_or_default();
    let mut page = calendar_page(&user, Some((&calendar, is_default)), values_of(&calendar.name, &hours), now);
    page.notice = notice_text(query.notice.as_deref());
    Ok(render(&page))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_sla_admin(&user)?;
    let (calendar, is_default) = load(&state, &user, &id).await?;
    let mut errors = FieldErrors::new();
    let hours = hours_from(&form, &mut errors);
    let from = effective_from(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.update_calendar(&user.actor, calendar.id, Some(form.get("name")), Some(hours), from).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(after) => {
            let notice = if after == calendar { "unchanged" } else { "saved" };
            Ok(Redirect::to(&format!("/admin/calendars/{}?notice={notice}", calendar.id)).into_response())
        }
        Err(AppError::Invalid { fields, .. }) => {
            let values = FormState::from_post(&form).with_errors(fields);
            let now = state.app.clock.now();
            Ok(unprocessable(&calendar_page(&user, Some((&calendar, is_default)), values, now)))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn set_default(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    require_sla_admin(&user)?;
    let id = calendar_id(&id)?;
    match state.app.set_default_calendar(&user.actor, Some(id)).await {
        Ok(()) => Ok(Redirect::to("/admin/calendars?notice=default").into_response()),
        // An unknown calendar is simply not there.
        Err(AppError::Invalid { .. }) => Err(AppError::NotFound.into()),
        Err(other) => Err(other.into()),
    }
}

/// The holidays of an uploaded .ics file; the page then lists which were new.
pub async fn import_holidays(State(state): State<AppState>, Path(id): Path<String>, upload: PageUpload) -> PageResult {
    let PageUpload { user, files, .. } = upload;
    require_sla_admin(&user)?;
    let (calendar, is_default) = load(&state, &user, &id).await?;
    let file = files.into_iter().find(|(name, _, bytes)| name == "file" && !bytes.is_empty());
    let result = match &file {
        None => Err(AppError::invalid_field("file", "is missing: choose an .ics file to import")),
        Some((_, _, bytes)) => match std::str::from_utf8(bytes) {
            Ok(text) => state.app.import_holidays(&user.actor, calendar.id, text).await,
            Err(_) => Err(AppError::invalid_field("file", "must be a UTF-8 text file")),
        },
    };
    let now = state.app.clock.now();
    match result {
        Ok((after, added)) => {
            let hours = after.current(now).map(|v| v.hours.clone()).unwrap_or_default();
            let mut page = calendar_page(&user, Some((&after, is_default)), values_of(&after.name, &hours), now);
            let file_name = file.map(|f| f.1).unwrap_or_default();
            page.notice = Some(if added.is_empty() {
                format!("{file_name}: no new holidays, every date in the file is already a holiday.")
            } else {
                format!("{file_name}: {} holiday(s) added as version {}.", added.len(), after.versions.len())
            });
            page.imported = added.iter().map(|h: &ImportedHoliday| format!("{} · {}", h.date, h.name)).collect();
            Ok(render(&page))
        }
        Err(AppError::Invalid { fields, .. }) => {
            let hours = calendar.current(now).map(|v| v.hours.clone()).unwrap_or_default();
            let mut page = calendar_page(&user, Some((&calendar, is_default)), values_of(&calendar.name, &hours), now);
            let sentence = |field: &str, message: &str| match field.strip_prefix("file.event[") {
                Some(rest) => format!("Event {} of the file {message}", rest.trim_end_matches(']')),
                None => format!("The file {message}"),
            };
            page.import_error = Some(fields.iter().map(|(f, m)| sentence(f, m)).collect::<Vec<_>>().join("; "));
            Ok(unprocessable(&page))
        }
        Err(other) => Err(other.into()),
    }
}
