//! Health in the UI: the account page's panel (score, band, override, trend, breakdown with links
//! to the records behind each built-in measure, the override form), the portfolio's health cell
//! with its sparkline, and the at-risk list for leadership.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use tamhub_app::AppError;
use tamhub_app::health::{AccountHealth, HealthSummary};
use tamhub_domain::Date;
use tamhub_domain::health::HealthBand;

use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::validation::FieldErrors;

use super::forms::FormState;
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{PageForm, PageUser};

/// Polyline points of a 60×16 sparkline over the 31 days from `from` (scores 0-100).
pub(super) fn spark_points(days: &[(Date, Option<f64>)], from: Date) -> String {
    days.iter()
        .filter_map(|(day, score)| {
            let x = (from.until(*day).ok()?.get_days() as f64) * 2.0;
            let y = 16.0 - (*score)? * 0.16;
            Some(format!("{x:.1},{y:.1}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A measure's value as shown: whole numbers without decimals, others to hundredths.
fn number(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "—".into(), |s| format!("{s:.0}"))
}

fn change_text(change: Option<f64>) -> String {
    match change {
        Some(c) if c >= 0.5 => format!("▲ {c:.0}"),
        Some(c) if c <= -0.5 => format!("▼ {:.0}", -c),
        Some(_) => "±0".into(),
        None => String::new(),
    }
}

/// The health cell of a list row.
pub struct HealthCell {
    pub score: String,
    pub band: &'static str,
    pub band_label: &'static str,
    pub overridden: bool,
    pub spark: String,
    pub change: String,
}

pub(super) fn cell(h: &HealthSummary, today: Date) -> HealthCell {
    let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    HealthCell {
        score: score_text(h.score),
        band: h.band.as_str(),
        band_label: h.band.label(),
        overridden: h.overridden,
        spark: spark_points(&h.days, from),
        change: change_text(h.change_30d),
    }
}

/// One measure of the breakdown.
pub struct BreakdownRow {
    pub label: String,
    pub value: String,
    pub score: String,
    pub weight: String,
    pub share: String,
    pub lost: String,
    pub lost_pct: f64,
    /// The records behind a built-in measure.
    pub href: Option<String>,
}

/// The account page's health panel.
pub struct HealthPanel {
    pub score: String,
    pub band: &'static str,
    pub band_label: &'static str,
    pub computed_band: &'static str,
    pub computed_label: &'static str,
    pub override_reason: Option<String>,
    pub override_until: String,
    pub override_by: String,
    pub trend_7d: String,
    pub trend_30d: String,
    pub data_pct: String,
    pub scorecard: String,
    pub spark: String,
    pub rows: Vec<BreakdownRow>,
    pub can_override: bool,
    pub form: FormState,
}

fn link_for(key_source: &tamhub_domain::health::MeasureSource, id: AccountId) -> Option<String> {
    use tamhub_domain::health::MeasureSource::*;
    match key_source {
        OpenCriticalHighTickets => Some(format!("/accounts/{id}/tickets?view=open&priority=critical")),
        SlaBreaches30d | TicketVolumeTrend => Some(format!("/accounts/{id}/tickets?view=all")),
        MajorIncidents90d => Some("/incidents?view=all&severity=P0".to_string()),
        OverdueActions => Some(format!("/actions?view=overdue&account_id={id}")),
        OverdueEngagements | DaysSinceEngagement => Some(format!("/accounts/{id}/charter#schedule")),
        OpenHighRisks => Some(format!("/accounts/{id}/risks")),
        RenewalProximity | Signal { .. } => None,
    }
}

pub(super) async fn panel(
    state: &AppState,
    user: &PageUser,
    id: AccountId,
    names: &HashMap<UserId, String>,
    form: FormState,
) -> Result<Option<HealthPanel>, AppError> {
    use tamhub_domain::users::Role;
    if !user.actor.user.role.is_staff() {
        return Ok(None);
    }
    let h: AccountHealth = state.app.account_health(&user.actor, id).await?;
    let card = &h.scorecard;
    let rows = h
        .computed
        .measures
        .iter()
        .map(|m| {
            let source = card.content.measures.iter().find(|x| x.key == m.key).map(|x| &x.source);
            BreakdownRow {
                label: m.label.clone(),
                value: m.value.map_or_else(|| "no data".into(), number),
                score: m.score.map_or_else(|| "—".into(), |s| format!("{s:.0}")),
                weight: format!("{}", m.weight),
                share: m.share_pct.map_or_else(|| "left out".into(), |s| format!("{s:.0} %")),
                lost: m
                    .points_lost
                    .map_or_else(String::new, |p| if p == 0.0 { "0".into() } else { format!("−{p:.2}") }),
                lost_pct: (m.points_lost.unwrap_or(0.0) * 4.0).clamp(0.0, 80.0),
                href: source.and_then(|s| link_for(s, id)),
            }
        })
        .collect();
    let today = h.computed_at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    Ok(Some(HealthPanel {
        score: score_text(h.computed.score),
        band: h.final_band.as_str(),
        band_label: h.final_band.label(),
        computed_band: h.computed.band.as_str(),
        computed_label: h.computed.band.label(),
        override_reason: h.override_band.as_ref().map(|o| o.reason.clone()),
        override_until: h.override_band.as_ref().map(|o| format::instant(o.expires_at)).unwrap_or_default(),
        override_by: h
            .override_band
            .as_ref()
            .and_then(|o| o.set_by)
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default(),
        trend_7d: change_text(h.trend_7d),
        trend_30d: change_text(h.trend_30d),
        data_pct: format!("{:.0} %", h.computed.data_pct),
        scorecard: if card.version == 0 {
            format!("{} (built-in)", card.content.name)
        } else {
            format!("{} v{}", card.content.name, card.version)
        },
        spark: spark_points(&h.history, from),
        rows,
        can_override: matches!(user.actor.user.role, Role::Tam | Role::Psm | Role::Leadership | Role::Admin),
        form,
    }))
}

/// `POST /accounts/{id}/health/override`: sets it, or clears it with `clear`.
pub async fn set_override(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let value = if form.get("clear") == "1" {
        None
    } else {
        let mut errors = FieldErrors::new();
        // A date: the override lasts to the end of that day, UTC.
        let expires = match form.get("expires_at").trim() {
            "" => None,
            day => super::incidents::parse_utc(&mut errors, "expires_at", &format!("{day}T23:59")),
        };
        if !errors.is_empty() {
            let form = FormState::from_post(&form).with_errors(errors);
            return super::accounts::show_with(&state, &user, id, Some(form)).await;
        }
        Some((form.get("band").to_string(), form.get("reason").to_string(), expires))
    };
    match state.app.set_health_override(&user.actor, id, value).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}?notice=health#health")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let form = FormState::from_post(&form).with_errors(fields);
            super::accounts::show_with(&state, &user, id, Some(form)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct AtRiskParams {
    drop: Option<String>,
}

pub struct AtRiskRow {
    pub id: String,
    pub name: String,
    pub tier_label: &'static str,
    pub arr: String,
    pub renewal: String,
    pub primary_tam: String,
    pub cell: HealthCell,
    pub why: String,
}

#[derive(Template)]
#[template(path = "health/at_risk.html")]
struct AtRiskPage {
    layout: Layout,
    drop: String,
    rows: Vec<AtRiskRow>,
    error: Option<String>,
}

/// `GET /health/at-risk`: red accounts and those that dropped more than `drop` points (default 10).
pub async fn at_risk(State(state): State<AppState>, user: PageUser, Query(params): Query<AtRiskParams>) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    let text = params.drop.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| "10".into());
    let (drop, error) = match text.trim().parse::<f64>() {
        Ok(d) if d.is_finite() && d > 0.0 && d <= 100.0 => (d, None),
        _ => (10.0, Some("The drop must be a number of points from 1 to 100; showing 10.".to_string())),
    };
    let today = state.app.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let names = super::tickets::people(&state, &user, None).await?;
    let rows = state
        .app
        .at_risk(&user.actor, drop)
        .await?
        .into_iter()
        .map(|(a, h)| {
            let f = &a.fields;
            let why = if h.band == HealthBand::Red {
                if h.overridden { "Red (override)".to_string() } else { "Red".to_string() }
            } else {
                format!("Dropped {:.0} points in 30 days", -h.change_30d.unwrap_or(0.0))
            };
            AtRiskRow {
                id: a.id.to_string(),
                name: f.name.clone(),
                tier_label: f.tier.label(),
                arr: format::amount(f.arr, &f.currency),
                renewal: f.renewal_date.map(format::date).unwrap_or_else(|| "—".into()),
                primary_tam: f
                    .primary_tam_id
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_else(|| "Unassigned".into()),
                cell: cell(&h, today),
                why,
            }
        })
        .collect();
    Ok(render(&AtRiskPage { layout: Layout::new(&user, "/health/at-risk"), drop: format!("{drop}"), rows, error }))
}

#[derive(Template)]
#[template(path = "health/signals.html")]
struct SignalsPage {
    layout: Layout,
    notice: Option<String>,
    errors: Vec<String>,
}

fn signals_page(user: &PageUser, notice: Option<String>, errors: Vec<String>) -> PageResult {
    let refused = !errors.is_empty();
    let page = SignalsPage { layout: Layout::new(user, "/"), notice, errors };
    Ok(if refused { super::forms::unprocessable(&page) } else { render(&page) })
}

/// `GET /health/signals`: the CSV import form.
pub async fn signals_form(user: PageUser) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    signals_page(&user, None, Vec::new())
}

/// `POST /health/signals`: imports the uploaded CSV, whole or not at all.
pub async fn import_signals(State(state): State<AppState>, upload: crate::auth::PageUpload) -> PageResult {
    let crate::auth::PageUpload { user, files, .. } = upload;
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    let Some((_, file_name, bytes)) = files.into_iter().find(|(name, _, bytes)| name == "file" && !bytes.is_empty())
    else {
        return signals_page(&user, None, vec!["Choose a CSV file to import.".into()]);
    };
    match state.app.import_signals_csv(&user.actor, &bytes).await {
        Ok((rows, stored)) => {
            let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
            let notice = format!(
                "{file_name}: {} read, {} stored, {} already there.",
                plural(rows as u64, "row", "rows"),
                plural(stored, "new point", "new points"),
                rows as u64 - stored
            );
            signals_page(&user, Some(notice), Vec::new())
        }
        Err(AppError::Invalid { fields, .. }) => {
            let errors = fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            signals_page(&user, None, errors)
        }
        Err(other) => Err(other.into()),
    }
}

pub struct WhatIfRow {
    pub key: String,
    pub label: String,
    pub now_value: String,
    pub input: String,
    pub now_score: String,
    pub what_if_score: String,
    pub changed: bool,
}

#[derive(Template)]
#[template(path = "health/what_if.html")]
struct WhatIfPage {
    layout: Layout,
    id: String,
    name: String,
    actual: String,
    actual_band: &'static str,
    what_if: String,
    what_if_band: &'static str,
    rows: Vec<WhatIfRow>,
    errors: Vec<String>,
}

/// `GET /accounts/{id}/health/what-if?v.<key>=<value>…`: the score if measures had other values.
pub async fn what_if(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let account = state.app.get_account(&user.actor, id).await?;
    let mut errors = Vec::new();
    let mut changes = std::collections::BTreeMap::new();
    for (name, text) in &params {
        let Some(key) = name.strip_prefix("v.") else { continue };
        if text.trim().is_empty() {
            continue;
        }
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => {
                changes.insert(key.to_string(), v);
            }
            _ => errors.push(format!("{key}: must be a number")),
        }
    }
    let (actual, hypo) = match state.app.health_what_if(&user.actor, id, &changes).await {
        Ok(pair) => pair,
        Err(AppError::Invalid { fields, .. }) => {
            errors.extend(fields.iter().map(|(f, m)| format!("{f}: {m}")));
            state.app.health_what_if(&user.actor, id, &Default::default()).await?
        }
        Err(other) => return Err(other.into()),
    };
    let rows = actual
        .measures
        .iter()
        .zip(&hypo.measures)
        .map(|(a, h)| WhatIfRow {
            key: a.key.clone(),
            label: a.label.clone(),
            now_value: a.value.map_or_else(|| "no data".into(), number),
            input: changes.get(&a.key).or(a.value.as_ref()).map(|v| number(*v)).unwrap_or_default(),
            now_score: a.score.map_or_else(|| "—".into(), number),
            what_if_score: h.score.map_or_else(|| "—".into(), number),
            changed: changes.contains_key(&a.key),
        })
        .collect();
    let page = WhatIfPage {
        layout: Layout::new(&user, "/"),
        id: id.to_string(),
        name: account.fields.name,
        actual: score_text(actual.score),
        actual_band: actual.band.as_str(),
        what_if: score_text(hypo.score),
        what_if_band: hypo.band.as_str(),
        rows,
        errors,
    };
    Ok(render(&page))
}
