//! Feature requests and expansion in the UI: the ranked list of requests with the form recording
//! one, a request's page (status, the accounts that want it, adding one), and an account's
//! expansion page (its opportunities with their stages, the form adding one, and its requests).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::AppError;
use tamhub_app::feedback::{RankedRequest, can_work_feedback};
use tamhub_domain::accounts::Account;
use tamhub_domain::feedback::{
    FeatureRequestDraft, OpportunityDraft, OpportunityStage, RequestStatus, RequestingAccountDraft,
};
use tamhub_domain::ids::{AccountId, FeatureRequestId, OpportunityId};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, Opt, errors_text, opt, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

pub struct RequestRow {
    pub id: String,
    pub title: String,
    pub area: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub accounts: Vec<(String, String, String)>,
    pub others: usize,
    pub weight: String,
}

fn weight_text(r: &RankedRequest) -> String {
    match r.currencies.as_slice() {
        [one] => format::amount(r.weight, one),
        _ => format!("{} (mixed currencies)", format::amount(r.weight, "")),
    }
}

fn request_row(r: &RankedRequest) -> RequestRow {
    RequestRow {
        id: r.request.id.to_string(),
        title: r.request.title.clone(),
        area: r.request.product_area.clone(),
        status: r.request.status.as_str(),
        status_label: r.request.status.label(),
        accounts: r
            .visible
            .iter()
            .map(|a| {
                let impact = r
                    .request
                    .accounts
                    .iter()
                    .find(|x| x.account_id == a.id)
                    .map(|x| x.business_impact.clone())
                    .unwrap_or_default();
                (a.id.to_string(), a.fields.name.clone(), impact)
            })
            .collect(),
        others: r.others,
        weight: weight_text(r),
    }
}

async fn account_options(state: &AppState, user: &PageUser) -> Result<Vec<Opt>, AppError> {
    let mut query = tamhub_app::AccountQuery::in_scope(user.actor.scope);
    query.limit = 500;
    Ok(state
        .app
        .list_accounts(&user.actor, query)
        .await?
        .items
        .into_iter()
        .map(|a| opt(a.id.to_string(), a.fields.name))
        .collect())
}

#[derive(Template)]
#[template(path = "feedback/requests.html")]
struct RequestsPage {
    layout: Layout,
    rows: Vec<RequestRow>,
    can_edit: bool,
    accounts: Vec<Opt>,
    form: FormState,
    alert: Option<String>,
}

async fn requests_page(state: &AppState, user: &PageUser, form: FormState) -> PageResult {
    let ranked = state.app.feature_requests(&user.actor, None).await?;
    let can_edit = can_work_feedback(user.actor.user.role);
    let refused = !form.errors.is_empty();
    let page = RequestsPage {
        layout: Layout::new(user, "/feature-requests"),
        rows: ranked.iter().map(request_row).collect(),
        accounts: if can_edit { account_options(state, user).await? } else { Vec::new() },
        can_edit,
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /feature-requests`.
pub async fn requests(State(state): State<AppState>, user: PageUser) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    requests_page(&state, &user, FormState::default()).await
}

fn request_draft(form: &FormData) -> FeatureRequestDraft {
    let impact = form.get("business_impact").to_string();
    FeatureRequestDraft {
        title: Some(form.get("title").to_string()),
        description: Some(form.get("description").to_string()),
        product_area: Some(form.get("product_area").to_string()),
        accounts: Some(
            form.all("account_id")
                .iter()
                .filter_map(|a| a.parse().ok())
                .map(|account_id| RequestingAccountDraft { account_id, business_impact: impact.clone() })
                .collect(),
        ),
        ..Default::default()
    }
}

/// `POST /feature-requests`.
pub async fn create_request(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    match state.app.save_feature_request(&user.actor, None, request_draft(&form)).await {
        Ok(r) => Ok(Redirect::to(&format!("/feature-requests/{}", r.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            requests_page(&state, &user, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "feedback/request.html")]
struct RequestPage {
    layout: Layout,
    row: RequestRow,
    description: String,
    status_note: String,
    version: i64,
    can_edit: bool,
    statuses: Vec<Opt>,
    accounts: Vec<Opt>,
    form: FormState,
    alert: Option<String>,
}

async fn request_page(state: &AppState, user: &PageUser, id: FeatureRequestId, form: Option<FormState>) -> PageResult {
    let r = state.app.get_feature_request(&user.actor, id).await?;
    let can_edit = can_work_feedback(user.actor.user.role);
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("status", r.request.status.as_str());
        f.set("status_note", r.request.status_note.clone());
        f
    });
    let refused = !form.errors.is_empty();
    let page = RequestPage {
        layout: Layout::new(user, "/feature-requests"),
        row: request_row(&r),
        description: r.request.description.clone(),
        status_note: r.request.status_note.clone(),
        version: r.request.version,
        can_edit,
        statuses: RequestStatus::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect(),
        accounts: if can_edit { account_options(state, user).await? } else { Vec::new() },
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /feature-requests/{id}`.
pub async fn request(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: FeatureRequestId = id.parse().map_err(|_| AppError::NotFound)?;
    request_page(&state, &user, id, None).await
}

/// `POST /feature-requests/{id}`: the status, or one more account that wants it.
pub async fn update_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: FeatureRequestId = id.parse().map_err(|_| AppError::NotFound)?;
    let current = state.app.get_feature_request(&user.actor, id).await?;
    let mut draft = FeatureRequestDraft { version: form.get("version").parse().ok(), ..Default::default() };
    if let Ok(account_id) = form.get("add_account_id").parse::<AccountId>() {
        let mut list: Vec<RequestingAccountDraft> = current
            .request
            .accounts
            .iter()
            .filter(|a| current.visible.iter().any(|v| v.id == a.account_id))
            .map(|a| RequestingAccountDraft { account_id: a.account_id, business_impact: a.business_impact.clone() })
            .collect();
        list.push(RequestingAccountDraft { account_id, business_impact: form.get("business_impact").to_string() });
        draft.accounts = Some(list);
    } else {
        draft.status = Some(form.get("status").to_string());
        draft.status_note = Some(form.get("status_note").to_string());
    }
    match state.app.save_feature_request(&user.actor, Some(id), draft).await {
        Ok(_) => Ok(Redirect::to(&format!("/feature-requests/{id}")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            request_page(&state, &user, id, Some(FormState::from_post(&form).with_errors(fields))).await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            request_page(&state, &user, id, Some(FormState::from_post(&form).with_errors(errors))).await
        }
        Err(other) => Err(other.into()),
    }
}

pub struct OpportunityRow {
    pub id: String,
    pub title: String,
    pub value: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub owner: String,
    pub close: String,
    pub version: i64,
}

#[derive(Template)]
#[template(path = "feedback/expansion.html")]
struct ExpansionPage {
    layout: Layout,
    id: String,
    name: String,
    currency: String,
    rows: Vec<OpportunityRow>,
    requests: Vec<RequestRow>,
    pipeline: String,
    can_edit: bool,
    stages: Vec<Opt>,
    owners: Vec<Opt>,
    form: FormState,
    alert: Option<String>,
}

async fn expansion_page(state: &AppState, user: &PageUser, account: &Account, form: FormState) -> PageResult {
    let opportunities = state.app.opportunities(&user.actor, Some(account.id)).await?;
    let requests = state.app.feature_requests(&user.actor, Some(account.id)).await?;
    let names = super::tickets::people(state, user, Some(account)).await?;
    let currency = account.fields.currency.clone();
    let open: i64 = opportunities
        .iter()
        .filter(|o| !matches!(o.stage, OpportunityStage::Won | OpportunityStage::Lost))
        .map(|o| o.value)
        .sum();
    let can_edit = can_work_feedback(user.actor.user.role);
    let mut owners = vec![opt("", "—")];
    let mut team: Vec<_> = account.fields.assignments().into_iter().map(|(_, u)| u).collect();
    if !team.contains(&user.actor.user.id) {
        team.insert(0, user.actor.user.id);
    }
    owners.extend(team.iter().map(|u| opt(u.to_string(), names.get(u).cloned().unwrap_or_default())));
    let refused = !form.errors.is_empty();
    let page = ExpansionPage {
        layout: Layout::new(user, "/"),
        id: account.id.to_string(),
        name: account.fields.name.clone(),
        rows: opportunities
            .iter()
            .map(|o| OpportunityRow {
                id: o.id.to_string(),
                title: o.title.clone(),
                value: format::amount(o.value, &currency),
                stage: o.stage.as_str(),
                stage_label: o.stage.label(),
                owner: names.get(&o.owner_id).cloned().unwrap_or_else(|| "Someone".into()),
                close: o.expected_close.map(format::date).unwrap_or_else(|| "—".into()),
                version: o.version,
            })
            .collect(),
        requests: requests.iter().map(request_row).collect(),
        pipeline: format::amount(open, &currency),
        currency,
        can_edit,
        stages: OpportunityStage::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect(),
        owners,
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/expansion`.
pub async fn expansion(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let account = state.app.get_account(&user.actor, id).await?;
    let mut form = FormState::default();
    form.set("owner_id", user.actor.user.id.to_string());
    expansion_page(&state, &user, &account, form).await
}

/// An opportunity from a form; the value is typed in major units and kept in minor ones.
fn opportunity_draft(form: &FormData, errors: &mut FieldErrors) -> OpportunityDraft {
    let value = match form.get("value").trim() {
        "" => None,
        text => text
            .replace([',', ' '], "")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| (v * 100.0).round() as i64)
            .or_else(|| {
                errors.add("value", "must be an amount such as 48000");
                None
            }),
    };
    let some = |name: &str| Some(form.get(name).to_string()).filter(|_| form.0.iter().any(|(k, _)| k == name));
    OpportunityDraft {
        title: some("title"),
        value,
        stage: some("stage"),
        owner_id: form.get("owner_id").parse().ok(),
        expected_close: some("expected_close"),
        notes: some("notes"),
        version: form.get("version").parse().ok(),
    }
}

/// `POST /accounts/{id}/expansion`: adds an opportunity (value in major units).
pub async fn create_opportunity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let account = state.app.get_account(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let draft = opportunity_draft(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.save_opportunity(&user.actor, id, None, draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{id}/expansion")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            expansion_page(&state, &user, &account, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /opportunities/{id}`: moves an opportunity to another stage.
pub async fn update_opportunity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: OpportunityId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, _) = state.app.get_opportunity(&user.actor, id).await?;
    let mut errors = FieldErrors::new();
    let draft = opportunity_draft(&form, &mut errors);
    let result = if errors.is_empty() {
        state.app.save_opportunity(&user.actor, account.id, Some(id), draft).await.map(|_| ())
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/accounts/{}/expansion", account.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            expansion_page(&state, &user, &account, FormState::default().with_errors(fields)).await
        }
        Err(AppError::Conflict(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("version", message);
            expansion_page(&state, &user, &account, FormState::default().with_errors(errors)).await
        }
        Err(other) => Err(other.into()),
    }
}
