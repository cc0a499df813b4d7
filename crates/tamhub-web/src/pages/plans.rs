//! Success plans and the risk register in the UI: an account's plans and the form adding one; a
//! plan's page (objectives by 30/60/90-day phase with progress and status, progress updates,
//! actions); the plan editor; the account's risk register with its heat map and the form adding
//! a risk; a risk's page; and the portfolio's risks.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::AppError;
use tamhub_app::engagements::local_today;
use tamhub_app::policy;
use tamhub_domain::Date;
use tamhub_domain::accounts::Account;
use tamhub_domain::actions::{Action, ActionDraft};
use tamhub_domain::ids::{AccountId, RiskId, SuccessPlanId, UserId};
use tamhub_domain::plans::{
    ObjectiveDraft, PlanPhase, Risk, RiskCategory, RiskDraft, RiskStatus, SuccessPlan, SuccessPlanDraft, heat_map,
};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, Opt, errors_text, opt, unprocessable};
use super::incidents::parse_utc;
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

const BLANK_OBJECTIVES: usize = 2;

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

// ----- success plans -----

pub struct PlanRow {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub objectives: usize,
    pub starts: String,
    pub shared: bool,
}

pub struct ObjectiveInput {
    pub i: usize,
    pub key: String,
    pub title: String,
    pub metric: String,
    pub unit: String,
    pub baseline: String,
    pub target: String,
    pub current: String,
    pub phase: String,
    pub due_on: String,
    pub error: Option<String>,
}

fn objective_inputs(draft: &SuccessPlanDraft, errors: &FieldErrors) -> Vec<ObjectiveInput> {
    let blank = ObjectiveDraft::default();
    draft
        .objectives
        .iter()
        .chain(std::iter::repeat_n(&blank, BLANK_OBJECTIVES))
        .enumerate()
        .map(|(i, o)| ObjectiveInput {
            i,
            key: o.key.clone().unwrap_or_default(),
            title: o.title.clone(),
            metric: o.metric.clone(),
            unit: o.unit.clone(),
            baseline: o.baseline.map(num).unwrap_or_default(),
            target: o.target.map(num).unwrap_or_default(),
            current: o.current.map(num).unwrap_or_default(),
            phase: o.phase.clone().unwrap_or_default(),
            due_on: o.due_on.clone(),
            error: {
                let prefix = format!("objectives[{i}].");
                let parts: Vec<String> = errors
                    .iter()
                    .filter_map(|(f, m)| f.strip_prefix(&prefix).map(|rest| format!("{rest}: {m}")))
                    .collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            },
        })
        .collect()
}

fn phases() -> Vec<Opt> {
    let mut out = vec![opt("", "From the due date")];
    out.extend(PlanPhase::ALL.iter().map(|(p, n)| opt(*n, p.label())));
    out
}

/// A plan draft from the editor's form: `o{i}.field` rows, blank rows skipped.
fn plan_draft(form: &FormData) -> (SuccessPlanDraft, FieldErrors) {
    let mut errors = FieldErrors::new();
    let mut objectives = Vec::new();
    for i in 0..60 {
        let key = |name: &str| format!("o{i}.{name}");
        if !form.0.iter().any(|(k, _)| k.starts_with(&format!("o{i}."))) {
            break;
        }
        if form.get(&key("title")).trim().is_empty() && form.get(&key("metric")).trim().is_empty() {
            continue;
        }
        let n = objectives.len();
        let mut number = |name: &str, field: &str| -> Option<f64> {
            let text = form.get(&key(name)).trim();
            if text.is_empty() {
                return None;
            }
            text.parse::<f64>().map_err(|_| errors.add(&format!("objectives[{n}].{field}"), "must be a number")).ok()
        };
        let (baseline, target, current) =
            (number("baseline", "baseline"), number("target", "target"), number("current", "current"));
        objectives.push(ObjectiveDraft {
            key: Some(form.get(&key("key")).to_string()).filter(|k| !k.is_empty()),
            title: form.get(&key("title")).to_string(),
            metric: form.get(&key("metric")).to_string(),
            unit: form.get(&key("unit")).to_string(),
            baseline,
            target,
            current,
            phase: Some(form.get(&key("phase")).to_string()).filter(|p| !p.is_empty()),
            due_on: form.get(&key("due_on")).to_string(),
        });
    }
    let draft = SuccessPlanDraft {
        title: form.get("title").to_string(),
        summary: form.get("summary").to_string(),
        starts_on: Some(form.get("starts_on").to_string()).filter(|s| !s.trim().is_empty()),
        shared_with_customer: form.get("shared_with_customer") == "on",
        objectives,
        version: form.get("version").parse().ok(),
    };
    (draft, errors)
}

#[derive(Template)]
#[template(path = "plans/list.html")]
struct PlansPage {
    layout: Layout,
    id: String,
    name: String,
    plans: Vec<PlanRow>,
    editor: Option<PlanEditor>,
}

/// The plan form: a new plan on the list page, or an existing plan's editor.
pub struct PlanEditor {
    pub action: String,
    pub form: FormState,
    pub objectives: Vec<ObjectiveInput>,
    pub phases: Vec<Opt>,
    pub version: i64,
    pub alert: Option<String>,
}

fn editor(action: String, draft: &SuccessPlanDraft, errors: FieldErrors) -> PlanEditor {
    let mut form = FormState::default();
    form.set("title", draft.title.clone());
    form.set("summary", draft.summary.clone());
    form.set("starts_on", draft.starts_on.clone().unwrap_or_default());
    form.set("shared_with_customer", if draft.shared_with_customer { "on" } else { "" });
    PlanEditor {
        action,
        objectives: objective_inputs(draft, &errors),
        phases: phases(),
        version: draft.version.unwrap_or(0),
        alert: errors_text(&errors),
        form: form.with_errors(errors),
    }
}

async fn plans_page(state: &AppState, user: &PageUser, id: AccountId, editor_state: Option<PlanEditor>) -> PageResult {
    let (account, plans) = state.app.success_plans(&user.actor, id).await?;
    let today = local_today(&account, state.app.clock.now());
    let can_edit = policy::can_work_charter(user.actor.user.role);
    let refused = editor_state.as_ref().is_some_and(|e| e.alert.is_some());
    let page = PlansPage {
        layout: Layout::new(user, "/"),
        id: id.to_string(),
        name: account.fields.name.clone(),
        plans: plans
            .iter()
            .map(|p| {
                let status = p.status(today);
                PlanRow {
                    id: p.id.to_string(),
                    title: p.title.clone(),
                    status: status.as_str(),
                    status_label: status.label(),
                    objectives: p.objectives.len(),
                    starts: format::date(p.starts_on),
                    shared: p.shared_with_customer,
                }
            })
            .collect(),
        editor: if can_edit {
            Some(editor_state.unwrap_or_else(|| {
                let draft = SuccessPlanDraft { starts_on: Some(today.to_string()), ..Default::default() };
                editor(format!("/accounts/{id}/success-plans"), &draft, FieldErrors::new())
            }))
        } else {
            None
        },
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/success-plans`.
pub async fn list(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    plans_page(&state, &user, id, None).await
}

/// `POST /accounts/{id}/success-plans`.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let (draft, parse_errors) = plan_draft(&form);
    let result = if parse_errors.is_empty() {
        state.app.save_success_plan(&user.actor, id, None, draft.clone()).await
    } else {
        Err(AppError::invalid(parse_errors))
    };
    match result {
        Ok(plan) => Ok(Redirect::to(&format!("/success-plans/{}", plan.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            plans_page(&state, &user, id, Some(editor(format!("/accounts/{id}/success-plans"), &draft, fields))).await
        }
        Err(other) => Err(other.into()),
    }
}

pub struct ObjectiveView {
    pub key: String,
    pub title: String,
    pub metric: String,
    pub baseline: String,
    pub target: String,
    pub current: String,
    pub progress: f64,
    pub progress_text: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub due: String,
}

pub struct PhaseView {
    pub label: &'static str,
    pub ends: String,
    pub objectives: Vec<ObjectiveView>,
}

#[derive(Template)]
#[template(path = "plans/show.html")]
struct PlanPage {
    layout: Layout,
    id: String,
    account_id: String,
    account_name: String,
    title: String,
    summary: String,
    status: &'static str,
    status_label: &'static str,
    starts: String,
    shared: bool,
    staff: bool,
    can_edit: bool,
    phases: Vec<PhaseView>,
    version: i64,
    action_rows: Vec<super::actions::ActionRow>,
    owners: Vec<Opt>,
    form: FormState,
    alert: Option<String>,
    editor: Option<PlanEditor>,
}

fn phase_views(plan: &SuccessPlan, today: Date) -> Vec<PhaseView> {
    PlanPhase::ALL
        .iter()
        .filter_map(|(phase, _)| {
            let objectives: Vec<ObjectiveView> = plan
                .objectives
                .iter()
                .filter(|o| o.phase == *phase)
                .map(|o| {
                    let status = o.status(plan.starts_on, today);
                    let unit = if o.unit.is_empty() { String::new() } else { format!(" {}", o.unit) };
                    ObjectiveView {
                        key: o.key.clone(),
                        title: o.title.clone(),
                        metric: o.metric.clone(),
                        baseline: format!("{}{unit}", num(o.baseline)),
                        target: format!("{}{unit}", num(o.target)),
                        current: num(o.current),
                        progress: (o.progress() * 100.0).round(),
                        progress_text: format!("{:.0} %", o.progress() * 100.0),
                        status: status.as_str(),
                        status_label: status.label(),
                        due: format::date(o.due_on),
                    }
                })
                .collect();
            (!objectives.is_empty()).then(|| PhaseView {
                label: phase.label(),
                ends: plan.phase_ends(*phase).map(format::date).unwrap_or_default(),
                objectives,
            })
        })
        .collect()
}

async fn plan_page(
    state: &AppState,
    user: &PageUser,
    id: SuccessPlanId,
    form: FormState,
    editor_state: Option<PlanEditor>,
) -> PageResult {
    let (account, plan, actions) = state.app.get_success_plan(&user.actor, id).await?;
    let today = local_today(&account, state.app.clock.now());
    let status = plan.status(today);
    let staff = user.actor.user.role.is_staff();
    let owners = if staff { owner_options(state, user, &account).await? } else { Vec::new() };
    let refused = !form.errors.is_empty() || editor_state.as_ref().is_some_and(|e| e.alert.is_some());
    let page = PlanPage {
        layout: Layout::new(user, "/"),
        id: plan.id.to_string(),
        account_id: account.id.to_string(),
        account_name: account.fields.name.clone(),
        title: plan.title.clone(),
        summary: plan.summary.clone(),
        status: status.as_str(),
        status_label: status.label(),
        starts: format::date(plan.starts_on),
        shared: plan.shared_with_customer,
        staff,
        can_edit: policy::can_work_charter(user.actor.user.role),
        phases: phase_views(&plan, today),
        version: plan.version,
        action_rows: super::actions::action_rows(state, user, &actions).await?,
        owners,
        alert: errors_text(&form.errors),
        form,
        editor: editor_state,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

pub(super) async fn owner_options(state: &AppState, user: &PageUser, account: &Account) -> Result<Vec<Opt>, AppError> {
    let names = super::tickets::people(state, user, Some(account)).await?;
    let mut team: Vec<UserId> = account.fields.assignments().into_iter().map(|(_, u)| u).collect();
    if !team.contains(&user.actor.user.id) {
        team.insert(0, user.actor.user.id);
    }
    let mut owners = vec![opt("", "—")];
    owners.extend(team.iter().map(|u| opt(u.to_string(), names.get(u).cloned().unwrap_or_default())));
    Ok(owners)
}

/// `GET /success-plans/{id}[?edit]`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id: SuccessPlanId = id.parse().map_err(|_| AppError::NotFound)?;
    let editor_state = if params.contains_key("edit") && policy::can_work_charter(user.actor.user.role) {
        let (_, plan, _) = state.app.get_success_plan(&user.actor, id).await?;
        Some(editor(format!("/success-plans/{id}"), &SuccessPlanDraft::from_plan(&plan), FieldErrors::new()))
    } else {
        None
    };
    plan_page(&state, &user, id, FormState::default(), editor_state).await
}

/// `POST /success-plans/{id}`: the editor, or a progress update (`progress.<key>` values).
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: SuccessPlanId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, plan, _) = state.app.get_success_plan(&user.actor, id).await?;
    let progress_only = form.0.iter().any(|(k, _)| k.starts_with("progress."));
    let (draft, parse_errors) = if progress_only {
        let mut draft = SuccessPlanDraft::from_plan(&plan);
        draft.version = form.get("version").parse().ok();
        let mut errors = FieldErrors::new();
        for (i, o) in draft.objectives.iter_mut().enumerate() {
            let text = form.get(&format!("progress.{}", o.key.clone().unwrap_or_default())).trim().to_string();
            if !text.is_empty() {
                o.current = text
                    .parse::<f64>()
                    .map_err(|_| errors.add(&format!("objectives[{i}].current"), "must be a number"))
                    .ok()
                    .or(o.current);
            }
        }
        (draft, errors)
    } else {
        plan_draft(&form)
    };
    let result = if parse_errors.is_empty() {
        state.app.save_success_plan(&user.actor, account.id, Some(id), draft.clone()).await.map(|_| ())
    } else {
        Err(AppError::invalid(parse_errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/success-plans/{id}")).into_response()),
        Err(AppError::Invalid { fields, .. }) if progress_only => {
            plan_page(&state, &user, id, FormState::from_post(&form).with_errors(fields), None).await
        }
        Err(AppError::Invalid { fields, .. }) => {
            plan_page(
                &state,
                &user,
                id,
                FormState::default(),
                Some(editor(format!("/success-plans/{id}"), &draft, fields)),
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            plan_page(&state, &user, id, FormState::default().with_errors(errors), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /success-plans/{id}/actions`.
pub async fn add_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: SuccessPlanId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let due = form.get("due").trim();
    let due_at = if due.is_empty() { None } else { parse_utc(&mut errors, "due_at", &format!("{due}T23:59")) };
    let draft = ActionDraft {
        title: form.get("title").to_string(),
        owner_id: form.get("owner_id").parse().ok(),
        due_at,
        ..Default::default()
    };
    let result = if errors.is_empty() {
        state.app.add_plan_action(&user.actor, id, draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/success-plans/{id}#actions")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            plan_page(&state, &user, id, FormState::from_post(&form).with_errors(fields), None).await
        }
        Err(other) => Err(other.into()),
    }
}

// ----- risks -----

pub struct RiskRow {
    pub id: String,
    pub title: String,
    pub account: String,
    pub account_id: String,
    pub category: &'static str,
    pub likelihood: u8,
    pub impact: u8,
    pub score: u8,
    pub level: &'static str,
    pub owner: String,
    pub due: String,
    pub overdue: bool,
    pub status: &'static str,
    pub status_label: &'static str,
    pub mitigation: Option<String>,
}

/// `low`, `medium`, `high` or `critical` for a score (heat map colours and badges).
fn level(score: u8) -> &'static str {
    match score {
        0..=4 => "low",
        5..=9 => "medium",
        10..=14 => "high",
        _ => "critical",
    }
}

pub struct HeatCell {
    pub x: u32,
    pub y: u32,
    pub count: u32,
    pub level: &'static str,
    pub label: String,
}

/// The 5×5 grid: likelihood up (5 at the top), impact across.
fn heat_cells(risks: &[Risk]) -> Vec<HeatCell> {
    let map = heat_map(risks);
    let mut cells = Vec::new();
    for likelihood in 1..=5u8 {
        for impact in 1..=5u8 {
            let count = map[usize::from(likelihood - 1)][usize::from(impact - 1)];
            cells.push(HeatCell {
                x: 40 + u32::from(impact - 1) * 56,
                y: 8 + u32::from(5 - likelihood) * 44,
                count,
                level: level(likelihood * impact),
                label: format!(
                    "Likelihood {likelihood} × impact {impact}: {count} live risk{}",
                    if count == 1 { "" } else { "s" }
                ),
            });
        }
    }
    cells
}

fn risk_rows(
    risks: &[Risk],
    names: &HashMap<UserId, String>,
    accounts: &HashMap<AccountId, String>,
    today: Date,
) -> Vec<RiskRow> {
    risks
        .iter()
        .map(|r| RiskRow {
            id: r.id.to_string(),
            title: r.title.clone(),
            account: accounts.get(&r.account_id).cloned().unwrap_or_default(),
            account_id: r.account_id.to_string(),
            category: r.category.label(),
            likelihood: r.likelihood,
            impact: r.impact,
            score: r.score(),
            level: level(r.score()),
            owner: names.get(&r.owner_id).cloned().unwrap_or_else(|| "Someone".into()),
            due: r.due_on.map(format::date).unwrap_or_else(|| "—".into()),
            overdue: r.status.is_live() && r.due_on.is_some_and(|d| d < today),
            status: r.status.as_str(),
            status_label: r.status.label(),
            mitigation: r.mitigation_action_id.map(|a| a.to_string()),
        })
        .collect()
}

fn categories() -> Vec<Opt> {
    RiskCategory::ALL.iter().map(|(c, n)| opt(*n, c.label())).collect()
}

fn levels() -> Vec<Opt> {
    (1..=5).map(|n| opt(n.to_string(), n.to_string())).collect()
}

#[derive(Template)]
#[template(path = "plans/risks.html")]
struct RisksPage {
    layout: Layout,
    /// None for the portfolio page.
    account: Option<(String, String)>,
    cells: Vec<HeatCell>,
    rows: Vec<RiskRow>,
    live_only: bool,
    can_edit: bool,
    form: FormState,
    categories: Vec<Opt>,
    levels: Vec<Opt>,
    owners: Vec<Opt>,
    alert: Option<String>,
}

async fn risks_page(
    state: &AppState,
    user: &PageUser,
    account_id: Option<AccountId>,
    live_only: bool,
    form: FormState,
) -> PageResult {
    let account = match account_id {
        Some(id) => Some(state.app.get_account(&user.actor, id).await?),
        None => None,
    };
    let all = state.app.risks(&user.actor, account_id, false).await?;
    let shown: Vec<Risk> = all.iter().filter(|r| !live_only || r.status.is_live()).cloned().collect();
    let names = super::tickets::people(state, user, account.as_ref()).await?;
    let mut ids: Vec<AccountId> = shown.iter().map(|r| r.account_id).collect();
    ids.sort();
    ids.dedup();
    let accounts: HashMap<AccountId, String> = state
        .app
        .store
        .get_accounts(&ids)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|a| (a.id, a.fields.name))
        .collect();
    let today = format::today_in_utc(state.app.clock.now());
    let can_edit = account.is_some() && policy::can_work_charter(user.actor.user.role);
    let owners = match &account {
        Some(a) if can_edit => owner_options(state, user, a).await?,
        _ => Vec::new(),
    };
    let refused = !form.errors.is_empty();
    let page = RisksPage {
        layout: Layout::new(user, if account.is_some() { "/" } else { "/risks" }),
        account: account.as_ref().map(|a| (a.id.to_string(), a.fields.name.clone())),
        cells: heat_cells(&all),
        rows: risk_rows(&shown, &names, &accounts, today),
        live_only,
        can_edit,
        alert: errors_text(&form.errors),
        form,
        categories: categories(),
        levels: levels(),
        owners,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

fn live_param(params: &HashMap<String, String>) -> bool {
    params.get("view").map(String::as_str) != Some("all")
}

/// `GET /accounts/{id}/risks[?view=all]`.
pub async fn account_risks(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut form = FormState::default();
    form.set("likelihood", "3");
    form.set("impact", "3");
    form.set("category", "technical");
    form.set("owner_id", user.actor.user.id.to_string());
    risks_page(&state, &user, Some(id), live_param(&params), form).await
}

/// `GET /risks[?view=all]`: every account's risks the reader sees.
pub async fn portfolio(
    State(state): State<AppState>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    risks_page(&state, &user, None, live_param(&params), FormState::default()).await
}

fn risk_draft(form: &FormData, errors: &mut FieldErrors) -> RiskDraft {
    let level = |errors: &mut FieldErrors, name: &str| -> Option<i64> {
        let text = form.get(name).trim();
        if text.is_empty() {
            return None;
        }
        text.parse().map_err(|_| errors.add(name, "must be from 1 to 5")).ok()
    };
    let mitigation = Some(form.get("mitigation").trim()).filter(|t| !t.is_empty()).map(|title| ActionDraft {
        title: title.to_string(),
        owner_id: form.get("mitigation_owner_id").parse().ok(),
        ..Default::default()
    });
    RiskDraft {
        title: Some(form.get("title").to_string()),
        description: Some(form.get("description").to_string()),
        category: Some(form.get("category").to_string()),
        likelihood: level(errors, "likelihood"),
        impact: level(errors, "impact"),
        owner_id: form.get("owner_id").parse().ok(),
        due_on: Some(form.get("due_on").to_string()),
        status: Some(form.get("status").to_string()).filter(|s| !s.is_empty()),
        mitigation,
        version: form.get("version").parse().ok(),
    }
}

/// `POST /accounts/{id}/risks`.
pub async fn create_risk(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let draft = risk_draft(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.save_risk(&user.actor, id, None, draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}/risks")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            risks_page(&state, &user, Some(id), true, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "plans/risk.html")]
struct RiskPage {
    layout: Layout,
    id: String,
    account_id: String,
    account_name: String,
    row: RiskRow,
    description: String,
    mitigation: Option<(String, String, &'static str)>,
    can_edit: bool,
    version: i64,
    form: FormState,
    categories: Vec<Opt>,
    levels: Vec<Opt>,
    statuses: Vec<Opt>,
    owners: Vec<Opt>,
    alert: Option<String>,
}

fn risk_form(r: &Risk) -> FormState {
    let mut form = FormState::default();
    form.set("title", r.title.clone());
    form.set("description", r.description.clone());
    form.set("category", r.category.as_str());
    form.set("likelihood", r.likelihood.to_string());
    form.set("impact", r.impact.to_string());
    form.set("owner_id", r.owner_id.to_string());
    form.set("due_on", r.due_on.map(|d| d.to_string()).unwrap_or_default());
    form.set("status", r.status.as_str());
    form
}

async fn risk_page(state: &AppState, user: &PageUser, id: RiskId, form: Option<FormState>) -> PageResult {
    let (account, risk, mitigation) = state.app.get_risk(&user.actor, id).await?;
    let names = super::tickets::people(state, user, Some(&account)).await?;
    let today = local_today(&account, state.app.clock.now());
    let accounts: HashMap<AccountId, String> = [(account.id, account.fields.name.clone())].into_iter().collect();
    let row = risk_rows(std::slice::from_ref(&risk), &names, &accounts, today).remove(0);
    let can_edit = policy::can_work_charter(user.actor.user.role);
    let form = form.unwrap_or_else(|| risk_form(&risk));
    let refused = !form.errors.is_empty();
    let page = RiskPage {
        layout: Layout::new(user, "/"),
        id: risk.id.to_string(),
        account_id: account.id.to_string(),
        account_name: account.fields.name.clone(),
        row,
        description: risk.description.clone(),
        mitigation: mitigation.as_ref().map(|a: &Action| (a.id.to_string(), a.title.clone(), a.status.label())),
        can_edit,
        version: risk.version,
        alert: errors_text(&form.errors),
        form,
        categories: categories(),
        levels: levels(),
        statuses: RiskStatus::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect(),
        owners: if can_edit { owner_options(state, user, &account).await? } else { Vec::new() },
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /risks/{id}`.
pub async fn risk(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: RiskId = id.parse().map_err(|_| AppError::NotFound)?;
    risk_page(&state, &user, id, None).await
}

/// `POST /risks/{id}`.
pub async fn update_risk(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: RiskId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, _, _) = state.app.get_risk(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let draft = risk_draft(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.save_risk(&user.actor, account.id, Some(id), draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/risks/{id}")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            risk_page(&state, &user, id, Some(FormState::from_post(&form).with_errors(fields))).await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            risk_page(&state, &user, id, Some(FormState::from_post(&form).with_errors(errors))).await
        }
        Err(other) => Err(other.into()),
    }
}
