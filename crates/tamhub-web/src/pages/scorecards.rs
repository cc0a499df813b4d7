//! `/admin/scorecards`: the health scorecard of each tier, edited as a table of measures (a new
//! version on every save), with its version history and a button to re-score past days.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::{AppError, policy};
use tamhub_domain::accounts::Tier;
use tamhub_domain::health::{
    Aggregate, Direction, Measure, MeasureSource, Scorecard, ScorecardContent, ScoringRule, Step,
};
use tamhub_domain::validation::FieldErrors;

use super::accounts::NoticeQuery;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

/// Blank rows offered below the measures for new ones.
const BLANK_ROWS: usize = 3;

const SOURCES: [(&str, &str); 10] = [
    ("open_critical_high_tickets", "Open critical/high tickets"),
    ("sla_breaches_30d", "SLA breaches, 30 days"),
    ("ticket_volume_trend", "Ticket volume trend %"),
    ("major_incidents_90d", "P0/P1 incidents, 90 days"),
    ("overdue_actions", "Overdue actions"),
    ("overdue_engagements", "Overdue charter engagements"),
    ("days_since_engagement", "Days since the last meeting"),
    ("open_high_risks", "Open high risks"),
    ("renewal_proximity", "Days until renewal"),
    ("signal", "A signal…"),
];

fn require_admin(user: &PageUser) -> Result<(), AppError> {
    policy::require(policy::can_manage_sla(user.actor.user.role), "manage health scorecards")
}

fn tier_of(text: &str) -> Result<Tier, AppError> {
    Tier::parse(text).ok_or(AppError::NotFound)
}

fn source_name(s: &MeasureSource) -> &'static str {
    match s {
        MeasureSource::OpenCriticalHighTickets => "open_critical_high_tickets",
        MeasureSource::SlaBreaches30d => "sla_breaches_30d",
        MeasureSource::TicketVolumeTrend => "ticket_volume_trend",
        MeasureSource::MajorIncidents90d => "major_incidents_90d",
        MeasureSource::OverdueActions => "overdue_actions",
        MeasureSource::OverdueEngagements => "overdue_engagements",
        MeasureSource::DaysSinceEngagement => "days_since_engagement",
        MeasureSource::OpenHighRisks => "open_high_risks",
        MeasureSource::RenewalProximity => "renewal_proximity",
        MeasureSource::Signal { .. } => "signal",
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

/// The form filled from a scorecard.
fn as_form(c: &ScorecardContent) -> FormState {
    let mut form = FormState::default();
    form.set("name", c.name.clone());
    form.set("min_data_pct", num(c.min_data_pct));
    form.set("green_from", num(c.green_from));
    form.set("yellow_from", num(c.yellow_from));
    for (i, m) in c.measures.iter().enumerate() {
        let f = |part: &str| format!("measures[{i}].{part}");
        form.set(&f("key"), m.key.clone());
        form.set(&f("label"), m.label.clone());
        form.set(&f("weight"), num(m.weight));
        form.set(&f("source.kind"), source_name(&m.source));
        if let MeasureSource::Signal { name, aggregate, window_days } = &m.source {
            form.set(&f("source.name"), name.clone());
            form.set(&f("source.aggregate"), format!("{aggregate:?}").to_lowercase());
            form.set(&f("source.window_days"), window_days.to_string());
        }
        match &m.rule {
            ScoringRule::Linear { direction, good, bad } => {
                form.set(&f("rule.kind"), "linear");
                form.set(
                    &f("rule.direction"),
                    if *direction == Direction::HigherIsBetter { "higher_is_better" } else { "lower_is_better" },
                );
                form.set(&f("rule.good"), num(*good));
                form.set(&f("rule.bad"), num(*bad));
            }
            ScoringRule::Bands { steps, otherwise } => {
                form.set(&f("rule.kind"), "bands");
                let mut text: Vec<String> =
                    steps.iter().map(|s| format!("<{} → {}", num(s.below), num(s.score))).collect();
                text.push(format!("else {}", num(*otherwise)));
                form.set(&f("rule.steps"), text.join(", "));
            }
        }
    }
    form
}

/// Reads the table; blank rows are skipped. Returns the content and, for each measure, its row.
fn parse(form: &FormData) -> Result<(ScorecardContent, Vec<usize>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let number = |errors: &mut FieldErrors, field: &str, text: &str| -> Option<f64> {
        text.trim().parse::<f64>().map_err(|_| errors.add(field, "must be a number")).ok()
    };
    let mut measures = Vec::new();
    let mut rows = Vec::new();
    for i in 0..60 {
        let f = |part: &str| format!("measures[{i}].{part}");
        let (key, label) = (form.get(&f("key")), form.get(&f("label")));
        if key.trim().is_empty() && label.trim().is_empty() {
            continue;
        }
        let weight = number(&mut errors, &f("weight"), form.get(&f("weight")));
        let source = match form.get(&f("source.kind")) {
            "open_critical_high_tickets" => Some(MeasureSource::OpenCriticalHighTickets),
            "sla_breaches_30d" => Some(MeasureSource::SlaBreaches30d),
            "ticket_volume_trend" => Some(MeasureSource::TicketVolumeTrend),
            "major_incidents_90d" => Some(MeasureSource::MajorIncidents90d),
            "overdue_actions" => Some(MeasureSource::OverdueActions),
            "overdue_engagements" => Some(MeasureSource::OverdueEngagements),
            "days_since_engagement" => Some(MeasureSource::DaysSinceEngagement),
            "open_high_risks" => Some(MeasureSource::OpenHighRisks),
            "renewal_proximity" => Some(MeasureSource::RenewalProximity),
            "signal" => {
                let aggregate = match form.get(&f("source.aggregate")) {
                    "latest" => Some(Aggregate::Latest),
                    "mean" => Some(Aggregate::Mean),
                    "min" => Some(Aggregate::Min),
                    "max" => Some(Aggregate::Max),
                    _ => {
                        errors.add(&f("source.aggregate"), "must be latest, mean, min or max");
                        None
                    }
                };
                let window = form.get(&f("source.window_days")).trim().parse::<u32>();
                let window =
                    window.map_err(|_| errors.add(&f("source.window_days"), "must be a whole number of days")).ok();
                aggregate.zip(window).map(|(aggregate, window_days)| MeasureSource::Signal {
                    name: form.get(&f("source.name")).to_string(),
                    aggregate,
                    window_days,
                })
            }
            _ => {
                errors.add(&f("source.kind"), "must be chosen");
                None
            }
        };
        let rule = match form.get(&f("rule.kind")) {
            "bands" => parse_steps(&mut errors, &f("rule.steps"), form.get(&f("rule.steps"))),
            _ => {
                let direction = if form.get(&f("rule.direction")) == "lower_is_better" {
                    Direction::LowerIsBetter
                } else {
                    Direction::HigherIsBetter
                };
                let good = number(&mut errors, &f("rule.good"), form.get(&f("rule.good")));
                let bad = number(&mut errors, &f("rule.bad"), form.get(&f("rule.bad")));
                good.zip(bad).map(|(good, bad)| ScoringRule::Linear { direction, good, bad })
            }
        };
        if let (Some(weight), Some(source), Some(rule)) = (weight, source, rule) {
            measures.push(Measure { key: key.to_string(), label: label.to_string(), source, weight, rule });
            rows.push(i);
        }
    }
    let min_data_pct = number(&mut errors, "min_data_pct", form.get("min_data_pct"));
    let green_from = number(&mut errors, "green_from", form.get("green_from"));
    let yellow_from = number(&mut errors, "yellow_from", form.get("yellow_from"));
    errors.into_result()?;
    Ok((
        ScorecardContent {
            name: form.get("name").to_string(),
            measures,
            min_data_pct: min_data_pct.unwrap_or(60.0),
            green_from: green_from.unwrap_or(75.0),
            yellow_from: yellow_from.unwrap_or(50.0),
        },
        rows,
    ))
}

/// "<30 → 40, <90 → 70, else 100".
fn parse_steps(errors: &mut FieldErrors, field: &str, text: &str) -> Option<ScoringRule> {
    let mut steps = Vec::new();
    let mut otherwise = None;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(rest) = part.strip_prefix("else") {
            otherwise = rest.trim().parse::<f64>().ok();
            if otherwise.is_none() {
                errors.add(field, format!("{part:?}: write “else SCORE”"));
            }
            continue;
        }
        let parsed =
            part.trim_start_matches('<').split_once('→').or_else(|| part.trim_start_matches('<').split_once("->"));
        match parsed.and_then(|(b, s)| Some((b.trim().parse::<f64>().ok()?, s.trim().parse::<f64>().ok()?))) {
            Some((below, score)) => steps.push(Step { below, score }),
            None => errors.add(field, format!("{part:?}: write “<VALUE → SCORE”")),
        }
    }
    if otherwise.is_none() && errors.get(field).is_none() {
        errors.add(field, "end with “else SCORE” for values above every step");
    }
    otherwise.map(|otherwise| ScoringRule::Bands { steps, otherwise })
}

/// The domain names measures by their position among those sent; the form by its row.
fn place(errors: FieldErrors, rows: &[usize]) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, message) in errors.iter() {
        let placed = field
            .strip_prefix("measures[")
            .and_then(|r| r.split_once(']'))
            .and_then(|(i, rest)| Some((rows.get(i.parse::<usize>().ok()?)?, rest)))
            .map(|(row, rest)| format!("measures[{row}]{rest}"));
        out.add(&placed.unwrap_or_else(|| field.clone()), message.clone());
    }
    out
}

pub struct TierRow {
    pub tier: &'static str,
    pub label: &'static str,
    pub name: String,
    pub version: String,
    pub measures: usize,
}

#[derive(Template)]
#[template(path = "admin/scorecards.html")]
struct ListPage {
    layout: Layout,
    sla_tab: &'static str,
    tiers: Vec<TierRow>,
}

pub async fn list(State(state): State<AppState>, user: PageUser) -> PageResult {
    require_admin(&user)?;
    let tiers = state
        .app
        .scorecards_in_force()
        .await?
        .into_iter()
        .map(|s| TierRow {
            tier: s.tier.as_str(),
            label: s.tier.label(),
            name: s.content.name.clone(),
            version: if s.version == 0 { "built-in".into() } else { format!("v{}", s.version) },
            measures: s.content.measures.len(),
        })
        .collect();
    Ok(render(&ListPage { layout: Layout::new(&user, "/admin/sla-policies"), sla_tab: "scorecards", tiers }))
}

pub struct MeasureRow {
    pub i: usize,
}

#[derive(Template)]
#[template(path = "admin/scorecard_form.html")]
struct FormPage {
    layout: Layout,
    sla_tab: &'static str,
    tier: &'static str,
    tier_label: &'static str,
    version: String,
    notice: Option<String>,
    alert: Option<String>,
    form: FormState,
    rows: Vec<MeasureRow>,
    sources: Vec<Opt>,
    aggregates: Vec<Opt>,
    kinds: Vec<Opt>,
    directions: Vec<Opt>,
    versions: Vec<(String, String, String)>,
    rescore: Option<String>,
}

async fn form_page(
    state: &AppState,
    user: &PageUser,
    tier: Tier,
    notice: Option<String>,
    form: Option<FormState>,
) -> PageResult {
    let current: Scorecard =
        state.app.scorecards_in_force().await?.into_iter().find(|s| s.tier == tier).ok_or(AppError::NotFound)?;
    let form = form.unwrap_or_else(|| as_form(&current.content));
    let filled = (0..60)
        .filter(|i| {
            !form.value(&format!("measures[{i}].key")).is_empty()
                || !form.value(&format!("measures[{i}].label")).is_empty()
        })
        .max()
        .map_or(0, |i| i + 1);
    let names = super::tickets::people(state, user, None).await?;
    let versions = state
        .app
        .scorecard_versions(&user.actor, tier)
        .await?
        .into_iter()
        .rev()
        .map(|s| {
            let by = s.created_by.and_then(|u| names.get(&u).cloned()).unwrap_or_default();
            (format!("v{}", s.version), format::instant(s.created_at), format!("{} · {by}", s.content.name))
        })
        .collect();
    let rescore = state.app.rescore_status(&user.actor, tier)?.map(|j| match j.state {
        "running" => format!("Re-scoring {} days: {} of {} accounts…", j.days, j.done, j.total),
        "done" => format!(
            "Re-scored {} days of {} accounts, finished {}.",
            j.days,
            j.total,
            j.finished_at.map(format::instant).unwrap_or_default()
        ),
        _ => format!("Re-scoring failed: {}", j.error.unwrap_or_default()),
    });
    let alert = (!form.errors.is_empty()).then(|| "Not saved: see the fields marked below.".to_string());
    let page = FormPage {
        layout: Layout::new(user, "/admin/sla-policies"),
        sla_tab: "scorecards",
        tier: tier.as_str(),
        tier_label: tier.label(),
        version: if current.version == 0 {
            "the built-in default".into()
        } else {
            format!("version {}", current.version)
        },
        notice,
        alert,
        rows: (0..filled + BLANK_ROWS).map(|i| MeasureRow { i }).collect(),
        form,
        sources: SOURCES.iter().map(|(v, l)| opt(*v, *l)).collect(),
        aggregates: ["latest", "mean", "min", "max"].iter().map(|a| opt(*a, *a)).collect(),
        kinds: vec![opt("linear", "Linear"), opt("bands", "Bands")],
        directions: vec![opt("higher_is_better", "Higher is better"), opt("lower_is_better", "Lower is better")],
        versions,
        rescore,
    };
    Ok(if page.alert.is_some() { unprocessable(&page) } else { render(&page) })
}

pub async fn edit_form(
    State(state): State<AppState>,
    Path(tier): Path<String>,
    user: PageUser,
    axum::extract::Query(query): axum::extract::Query<NoticeQuery>,
) -> PageResult {
    require_admin(&user)?;
    let notice = match query.notice.as_deref() {
        Some("saved") => Some("Saved as a new version. Scores from now on use it; re-score past days below if you want history to follow.".to_string()),
        Some("rescore") => Some("Re-scoring started.".to_string()),
        _ => None,
    };
    form_page(&state, &user, tier_of(&tier)?, notice, None).await
}

pub async fn save(
    State(state): State<AppState>,
    Path(tier): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_admin(&user)?;
    let tier = tier_of(&tier)?;
    let (content, rows) = match parse(&form) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return form_page(&state, &user, tier, None, Some(FormState::from_post(&form).with_errors(errors))).await;
        }
    };
    match state.app.save_scorecard(&user.actor, tier, content).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/scorecards/{}?notice=saved", tier.as_str())).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let form = FormState::from_post(&form).with_errors(place(fields, &rows));
            form_page(&state, &user, tier, None, Some(form)).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn rescore(
    State(state): State<AppState>,
    Path(tier): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_admin(&user)?;
    let tier = tier_of(&tier)?;
    let days = form.get("days").trim().parse::<u32>().unwrap_or(0);
    match state.app.start_rescore(&user.actor, tier, days).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/scorecards/{}?notice=rescore", tier.as_str())).into_response()),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict(message)) => {
            form_page(&state, &user, tier, Some(format!("Not started: {message}.")), None).await
        }
        Err(other) => Err(other.into()),
    }
}
