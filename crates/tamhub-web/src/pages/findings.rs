//! Findings in the UI: an account's findings with their savings totals, the form recording one
//! and each one's status form; and the portfolio's findings with totals per account.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::AppError;
use tamhub_app::policy;
use tamhub_domain::findings::{
    DismissReason, Effort, Finding, FindingDraft, FindingKind, FindingStatus, FindingTotals,
};
use tamhub_domain::ids::{AccountId, FindingId};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, Opt, errors_text, opt, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

pub struct FindingRow {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub account: String,
    pub account_id: String,
    pub workload: String,
    pub effort: &'static str,
    pub downtime: bool,
    pub estimated: String,
    pub realised: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub reason: String,
    pub last_move: String,
    pub version: i64,
}

pub struct TotalsView {
    pub open: u32,
    pub resolved: u32,
    pub dismissed: u32,
    pub estimated: String,
    pub realised: String,
}

fn totals_view(t: &FindingTotals, currency: &str) -> TotalsView {
    TotalsView {
        open: t.pending + t.in_progress,
        resolved: t.resolved,
        dismissed: t.dismissed,
        estimated: format::amount(t.open_estimated_monthly_savings, currency),
        realised: format::amount(t.realised_monthly_savings, currency),
    }
}

fn row(f: &Finding, account: &str, currency: &str, names: &HashMap<tamhub_domain::ids::UserId, String>) -> FindingRow {
    FindingRow {
        id: f.id.to_string(),
        title: f.title.clone(),
        kind: f.kind.label(),
        account: account.to_string(),
        account_id: f.account_id.to_string(),
        workload: f.workload.clone().unwrap_or_default(),
        effort: f.effort.label(),
        downtime: f.needs_downtime,
        estimated: f.estimated_monthly_savings.map(|v| format::amount(v, currency)).unwrap_or_default(),
        realised: f.realised_monthly_savings.map(|v| format::amount(v, currency)).unwrap_or_default(),
        status: f.status.as_str(),
        status_label: f.status.label(),
        reason: f.dismiss_reason.map(|r| r.label().to_string()).unwrap_or_default(),
        last_move: f
            .history
            .last()
            .map(|m| {
                format!(
                    "{} by {}",
                    format::instant(m.at),
                    names.get(&m.by).cloned().unwrap_or_else(|| "someone".into())
                )
            })
            .unwrap_or_default(),
        version: f.version,
    }
}

#[derive(Template)]
#[template(path = "findings/list.html")]
struct FindingsPage {
    layout: Layout,
    account: Option<(String, String, String)>,
    totals: TotalsView,
    rows: Vec<FindingRow>,
    can_edit: bool,
    kinds: Vec<Opt>,
    efforts: Vec<Opt>,
    statuses: Vec<Opt>,
    reasons: Vec<Opt>,
    workloads: Vec<Opt>,
    form: FormState,
    alert: Option<String>,
}

async fn findings_page(
    state: &AppState,
    user: &PageUser,
    account_id: Option<AccountId>,
    form: FormState,
) -> PageResult {
    let account = match account_id {
        Some(id) => Some(state.app.get_account(&user.actor, id).await?),
        None => None,
    };
    let findings = state.app.findings(&user.actor, account_id).await?;
    let names = super::tickets::people(state, user, account.as_ref()).await?;
    let mut ids: Vec<AccountId> = findings.iter().map(|f| f.account_id).collect();
    ids.sort();
    ids.dedup();
    let accounts: BTreeMap<AccountId, (String, String)> = state
        .app
        .store
        .get_accounts(&ids)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|a| (a.id, (a.fields.name, a.fields.currency)))
        .collect();
    let currency = account.as_ref().map_or_else(String::new, |a| a.fields.currency.clone());
    let rows = findings
        .iter()
        .map(|f| {
            let (name, cur) = accounts.get(&f.account_id).cloned().unwrap_or_default();
            row(f, &name, &cur, &names)
        })
        .collect();
    let can_edit = account.is_some() && policy::can_work_charter(user.actor.user.role);
    let refused = !form.errors.is_empty();
    let mut workloads = vec![opt("", "—")];
    workloads.extend(account.iter().flat_map(|a| a.fields.workloads.iter()).map(|w| opt(w.clone(), w.clone())));
    let page = FindingsPage {
        layout: Layout::new(user, if account.is_some() { "/" } else { "/findings" }),
        totals: totals_view(&FindingTotals::of(&findings), &currency),
        account: account.as_ref().map(|a| (a.id.to_string(), a.fields.name.clone(), a.fields.currency.clone())),
        rows,
        can_edit,
        kinds: FindingKind::ALL.iter().map(|(k, n)| opt(*n, k.label())).collect(),
        efforts: Effort::ALL.iter().map(|(e, n)| opt(*n, e.label())).collect(),
        statuses: FindingStatus::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect(),
        reasons: std::iter::once(opt("", "—"))
            .chain(DismissReason::ALL.iter().map(|(r, n)| opt(*n, r.label())))
            .collect(),
        workloads,
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/findings`.
pub async fn list(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut form = FormState::default();
    form.set("kind", "cost_optimisation");
    form.set("effort", "medium");
    findings_page(&state, &user, Some(id), form).await
}

/// `GET /findings`: every account's findings the reader sees.
pub async fn portfolio(State(state): State<AppState>, user: PageUser) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    findings_page(&state, &user, None, FormState::default()).await
}

/// An amount typed in major units, kept in minor ones.
fn money(form: &FormData, errors: &mut FieldErrors, name: &str) -> Option<i64> {
    let text = form.get(name).trim().replace([',', ' '], "");
    if text.is_empty() {
        return None;
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Some((v * 100.0).round() as i64),
        _ => {
            errors.add(name, "must be an amount such as 1200");
            None
        }
    }
}

/// `POST /accounts/{id}/findings`.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let draft = FindingDraft {
        kind: Some(form.get("kind").to_string()),
        title: Some(form.get("title").to_string()),
        description: Some(form.get("description").to_string()),
        workload: Some(form.get("workload").to_string()),
        estimated_monthly_savings: money(&form, &mut errors, "estimated_monthly_savings"),
        effort: Some(form.get("effort").to_string()),
        needs_downtime: Some(form.get("needs_downtime") == "on"),
        ..Default::default()
    };
    let result = if errors.is_empty() {
        state.app.save_finding(&user.actor, id, None, draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}/findings")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            findings_page(&state, &user, Some(id), FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /findings/{id}`: moves a finding (with realised savings or a dismissal reason).
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: FindingId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, _) = state.app.get_finding(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let draft = FindingDraft {
        status: Some(form.get("status").to_string()),
        dismiss_reason: Some(form.get("dismiss_reason").to_string()),
        realised_monthly_savings: money(&form, &mut errors, "realised_monthly_savings"),
        note: Some(form.get("note").to_string()),
        version: form.get("version").parse().ok(),
        ..Default::default()
    };
    let result = if errors.is_empty() {
        state.app.save_finding(&user.actor, account.id, Some(id), draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{}/findings", account.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            findings_page(&state, &user, Some(account.id), FormState::default().with_errors(fields)).await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            findings_page(&state, &user, Some(account.id), FormState::default().with_errors(errors)).await
        }
        Err(other) => Err(other.into()),
    }
}
