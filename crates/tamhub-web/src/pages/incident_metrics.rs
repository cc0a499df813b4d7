//! Incident metrics for a period (SLA-SPEC 2.5): every metric named by both of its milestones,
//! with how many incidents it used and missed, mean, median and p90, and how customer updates
//! kept to their cadence. For staff; one account or all the reader's accounts.

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;
use tamhub_domain::Date;
use tamhub_domain::ids::AccountId;
use tamhub_domain::sla::display::duration;
use tamhub_domain::validation::FieldErrors;

use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::PageUser;

#[derive(Deserialize, Default)]
pub struct MetricsParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub account_id: Option<String>,
}

pub struct MetricRow {
    pub label: String,
    pub n_used: usize,
    pub n_missing: usize,
    pub mean: String,
    pub median: String,
    pub p90: String,
}

#[derive(Template)]
#[template(path = "incidents/metrics.html")]
struct MetricsPage {
    layout: Layout,
    from: String,
    to: String,
    account_id: String,
    accounts: Vec<(String, String)>,
    errors: Vec<String>,
    incidents: usize,
    excluded: usize,
    rows: Vec<MetricRow>,
    compliance: String,
}

fn shown(seconds: Option<f64>) -> String {
    seconds.map_or("—".to_string(), |s| duration(s.round() as i64))
}

pub async fn show(State(state): State<AppState>, user: PageUser, Query(params): Query<MetricsParams>) -> PageResult {
    let actor = &user.actor;
    if !actor.user.role.is_staff() {
        return Err(tamhub_app::AppError::NotFound.into());
    }
    let today = state.app.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut errors = FieldErrors::new();
    let mut day = |field: &str, value: &Option<String>, default: Date| -> Date {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => default,
            Some(text) => text.parse().unwrap_or_else(|_| {
                errors.add(field, "must be a date YYYY-MM-DD");
                default
            }),
        }
    };
    let to = day("to", &params.to, today);
    let from = day("from", &params.from, to.checked_sub(jiff::Span::new().days(29)).unwrap_or(to));
    let account_id = match params.account_id.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => match text.parse::<AccountId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("account_id", "must be an account id");
                None
            }
        },
    };
    if from > to {
        errors.add("from", "must not be after to");
    }
    let start = |d: Date| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).ok();
    let range = start(from).zip(to.tomorrow().ok().and_then(start));
    let mut page = MetricsPage {
        layout: Layout::new(&user, "/incidents"),
        from: from.to_string(),
        to: to.to_string(),
        account_id: account_id.map(|a| a.to_string()).unwrap_or_default(),
        accounts: Vec::new(),
        errors: Vec::new(),
        incidents: 0,
        excluded: 0,
        rows: Vec::new(),
        compliance: String::new(),
    };
    let mut accounts = tamhub_app::AccountQuery::in_scope(actor.scope);
    accounts.limit = 500;
    page.accounts = state
        .app
        .list_accounts(actor, accounts)
        .await?
        .items
        .into_iter()
        .map(|a| (a.id.to_string(), a.fields.name))
        .collect();
    match range {
        Some((begin, end)) if errors.is_empty() => {
            let report = state.app.incident_metrics(actor, begin, end, account_id).await?;
            page.incidents = report.incidents;
            page.excluded = report.excluded;
            page.rows = report
                .metrics
                .into_iter()
                .map(|m| MetricRow {
                    label: m.label,
                    n_used: m.n_used,
                    n_missing: m.n_missing,
                    mean: shown(m.mean_seconds),
                    median: shown(m.median_seconds),
                    p90: shown(m.p90_seconds.map(|s| s as f64)),
                })
                .collect();
            page.compliance = match report.compliance.percent() {
                Some(p) => format!(
                    "{} of {} customer updates on time ({p:.0} %), {} late",
                    report.compliance.on_time, report.compliance.required, report.compliance.late
                ),
                None => "No customer update was due in these incidents.".into(),
            };
        }
        _ => page.errors = errors.iter().map(|(f, m)| format!("{f} {m}")).collect(),
    }
    Ok(render(&page))
}
