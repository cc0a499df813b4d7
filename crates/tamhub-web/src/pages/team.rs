//! Leadership's team page: TAM load against the band, accounts missing a TAM, reassignment.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::AppError;
use tamhub_domain::accounts::AccountPatch;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::load::{LoadSettings, LoadStatus};
use tamhub_domain::validation::FieldErrors;

use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::{PageForm, PageUser};

pub struct TamRow {
    pub id: String,
    pub name: String,
    pub primary: usize,
    pub backup: usize,
    pub weighted: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub fill_pct: f64,
    pub fill_class: &'static str,
}

pub struct UncoveredRow {
    pub id: String,
    pub name: String,
    pub phase_label: &'static str,
    pub missing_primary: bool,
    pub missing_backup: bool,
}

pub struct TamChoice {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "team/load.html")]
struct TeamPage {
    layout: Layout,
    notice: Option<String>,
    error: Option<String>,
    rows: Vec<TamRow>,
    uncovered: Vec<UncoveredRow>,
    tams: Vec<TamChoice>,
    settings: LoadSettings,
    band_left_pct: f64,
    band_width_pct: f64,
    scale_max: String,
    over: usize,
    under: usize,
}

#[derive(Deserialize)]
pub struct TeamQuery {
    notice: Option<String>,
}

async fn team_page(state: &AppState, user: &PageUser, notice: Option<String>, error: Option<String>) -> PageResult {
    let team = state.app.team_load(&user.actor).await?;
    let s = &team.settings;
    // The bar's scale leaves room above the band so overload is visible.
    let max_load = team.tams.iter().map(|(_, l)| l.weighted_load).fold(0.0_f64, f64::max);
    let scale = (s.band_max * 1.5).max(max_load * 1.1).max(1.0);
    let pct = |v: f64| (v / scale * 100.0).clamp(0.0, 100.0);
    let rows = team
        .tams
        .iter()
        .map(|(u, l)| {
            let (status, status_class, fill_class) = match l.status {
                LoadStatus::Under => ("Under band", "", "under"),
                LoadStatus::Within => ("Within band", "ok", ""),
                LoadStatus::Over => ("Over band", "danger", "over"),
            };
            TamRow {
                id: u.id.to_string(),
                name: u.name.clone(),
                primary: l.primary_accounts,
                backup: l.backup_accounts,
                weighted: format!("{:.2}", l.weighted_load).trim_end_matches('0').trim_end_matches('.').to_string(),
                status,
                status_class,
                fill_pct: pct(l.weighted_load),
                fill_class,
            }
        })
        .collect();
    let uncovered = team
        .uncovered
        .iter()
        .map(|a| UncoveredRow {
            id: a.id.to_string(),
            name: a.fields.name.clone(),
            phase_label: a.fields.phase.label(),
            missing_primary: a.fields.primary_tam_id.is_none(),
            missing_backup: a.fields.backup_tam_id.is_none(),
        })
        .collect();
    let page = TeamPage {
        layout: Layout::new(user, "/team"),
        notice,
        error,
        over: team.tams.iter().filter(|(_, l)| l.status == LoadStatus::Over).count(),
        under: team.tams.iter().filter(|(_, l)| l.status == LoadStatus::Under).count(),
        tams: team
            .tams
            .iter()
            .map(|(u, l)| TamChoice { id: u.id.to_string(), label: format!("{} ({:.1})", u.name, l.weighted_load) })
            .collect(),
        rows,
        uncovered,
        band_left_pct: pct(s.band_min),
        band_width_pct: pct(s.band_max) - pct(s.band_min),
        scale_max: format!("{scale:.0}"),
        settings: team.settings,
    };
    let mut response = render(&page);
    if page.error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn load(State(state): State<AppState>, user: PageUser, Query(query): Query<TeamQuery>) -> PageResult {
    let notice = match query.notice.as_deref() {
        Some("settings") => Some("Load band saved.".to_string()),
        Some("assigned") => Some("Assignment saved.".to_string()),
        _ => None,
    };
    team_page(&state, &user, notice, None).await
}

fn number(errors: &mut FieldErrors, field: &str, text: &str) -> f64 {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => v,
        _ => {
            errors.add(field, "must be a number");
            0.0
        }
    }
}

pub async fn update_settings(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    let mut errors = FieldErrors::new();
    let settings = LoadSettings {
        band_min: number(&mut errors, "band_min", form.get("band_min")),
        band_max: number(&mut errors, "band_max", form.get("band_max")),
        weight_enterprise: number(&mut errors, "weight_enterprise", form.get("weight_enterprise")),
        weight_enterprise_on_ramp: number(
            &mut errors,
            "weight_enterprise_on_ramp",
            form.get("weight_enterprise_on_ramp"),
        ),
        weight_business: number(&mut errors, "weight_business", form.get("weight_business")),
    };
    let result = if errors.is_empty() {
        state.app.set_load_settings(&user.actor, settings).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/team?notice=settings").into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let text =
                fields.iter().map(|(f, m)| format!("{} {m}", f.replace('_', " "))).collect::<Vec<_>>().join("; ");
            team_page(&state, &user, None, Some(text)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Assigns a TAM to a slot on an account from the team page.
pub async fn assign(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    let account: Option<AccountId> = form.get("account_id").parse().ok();
    let tam: Option<UserId> = form.get("tam_id").parse().ok();
    let (Some(account), Some(tam)) = (account, tam) else {
        return team_page(&state, &user, None, Some("Choose a TAM to assign.".into())).await;
    };
    let mut patch = AccountPatch::default();
    match form.get("slot") {
        "primary" => patch.primary_tam_id = Some(Some(tam)),
        "backup" => patch.backup_tam_id = Some(Some(tam)),
        _ => return team_page(&state, &user, None, Some("Choose primary or backup.".into())).await,
    }
    match state.app.update_account(&user.actor, account, patch).await {
        Ok(_) => Ok(Redirect::to("/team?notice=assigned").into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let text = fields.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>().join("; ");
            team_page(&state, &user, None, Some(text)).await
        }
        Err(other) => Err(other.into()),
    }
}
