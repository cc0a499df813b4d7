//! The engagement charter and its cadence: `/api/v1/charters` (versioned charters, their
//! schedules, compliance and `.ics` export), `/api/v1/compliance` (per account and per TAM),
//! `/api/v1/engagements/{id}` (skip), meetings, contacts (the stakeholder map) and the personal
//! calendar feed (`/api/v1/me/calendar-feed`, served at `/calendar/{token}.ics`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_app::engagements::{PortfolioCompliance, local_today};
use tamhub_domain::accounts::Account;
use tamhub_domain::contacts::{Contact, ContactDraft};
use tamhub_domain::engagements::{
    Charter, CharterCompliance, CharterDraft, Commitment, Engagement, EngagementStatus, EngagementType, EscalationStep,
    Meeting, MeetingDraft, NamedContact, NamedUser,
};
use tamhub_domain::ids::{AccountId, ContactId, EngagementId, MeetingId, UserId};
use tamhub_domain::validation::FieldErrors;
use tamhub_domain::{Date, Timestamp};
use utoipa::{IntoParams, ToSchema};

use super::actions::ActionOut;
use super::json::{ApiJson, ApiQuery};
use super::pagination::given;
use crate::AppState;
use crate::auth::{ApiAccountAccess, ApiActor};
use crate::error::{ApiResult, ErrorBody};

/// Days of compliance shown when no period is given.
const DEFAULT_PERIOD_DAYS: i64 = 90;

fn account_id(text: &str) -> Result<AccountId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// Where this server is reached, for links in calendar feeds.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let proto = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{proto}://{host}")
}

fn ics(body: String, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}

// ----- charters -----

#[derive(Serialize, ToSchema)]
pub struct CharterVersionOut {
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
}

#[derive(Serialize, ToSchema)]
pub struct CharterOut {
    pub account_id: AccountId,
    pub account_name: String,
    pub version: i64,
    #[schema(value_type = String, format = Date)]
    pub launch_date: Date,
    pub commitments: Vec<Commitment>,
    pub customer_contacts: Vec<NamedContact>,
    pub provider_contacts: Vec<NamedUser>,
    pub escalation_path: Vec<EscalationStep>,
    pub notes: String,
    /// From the account's assignment.
    pub primary_tam_id: Option<UserId>,
    /// From the account's assignment: covers when the primary TAM is away.
    pub backup_tam_id: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    /// Every version, oldest first.
    pub versions: Vec<CharterVersionOut>,
}

fn charter_out(account: &Account, charter: Charter, versions: Vec<CharterVersionOut>) -> CharterOut {
    CharterOut {
        account_id: account.id,
        account_name: account.fields.name.clone(),
        version: charter.version,
        launch_date: charter.content.launch_date,
        commitments: charter.content.commitments,
        customer_contacts: charter.content.customer_contacts,
        provider_contacts: charter.content.provider_contacts,
        escalation_path: charter.content.escalation_path,
        notes: charter.content.notes,
        primary_tam_id: account.fields.primary_tam_id,
        backup_tam_id: account.fields.backup_tam_id,
        created_at: charter.created_at,
        created_by: charter.created_by,
        versions,
    }
}

fn version_out(c: &Charter) -> CharterVersionOut {
    CharterVersionOut { version: c.version, created_at: c.created_at, created_by: c.created_by }
}

#[derive(Serialize, ToSchema)]
pub struct CharterSummaryOut {
    pub account_id: AccountId,
    pub account_name: String,
    pub version: i64,
    #[schema(value_type = String, format = Date)]
    pub launch_date: Date,
    pub commitments: usize,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct CharterList {
    pub items: Vec<CharterSummaryOut>,
}

#[utoipa::path(get, path = "/api/v1/charters", tag = "charters",
    responses((status = 200, body = CharterList)), security(("bearer" = [])))]
pub async fn list_charters(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<CharterList>> {
    let items = state
        .app
        .list_charters(&actor)
        .await?
        .into_iter()
        .map(|(a, c)| CharterSummaryOut {
            account_id: a.id,
            account_name: a.fields.name,
            version: c.version,
            launch_date: c.content.launch_date,
            commitments: c.content.commitments.len(),
            updated_at: c.created_at,
        })
        .collect();
    Ok(axum::Json(CharterList { items }))
}

#[utoipa::path(post, path = "/api/v1/charters", tag = "charters", request_body = CharterDraft,
    responses((status = 201, body = CharterOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_charter(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<CharterDraft>,
) -> ApiResult<impl IntoResponse> {
    let Some(account_id) = input.account_id else {
        return Err(AppError::invalid_field("account_id", "must not be empty: the account the charter is for").into());
    };
    let charter = state.app.save_charter(&actor, account_id, input, Some(0)).await.map_err(|e| match e {
        AppError::Conflict(_) => AppError::Conflict(format!(
            "the account already has a charter: change it with PUT /api/v1/charters/{account_id}"
        )),
        other => other,
    })?;
    let view = state.app.charter(&actor, account_id).await?;
    let versions = view.versions.iter().chain(std::iter::once(&charter)).map(version_out).collect();
    Ok((StatusCode::CREATED, axum::Json(charter_out(&view.account, charter, versions))))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CharterParams {
    /// An earlier version to read; the one in force by default.
    pub version: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/charters/{id}", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id"), CharterParams),
    responses((status = 200, body = CharterOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_charter(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<CharterParams>,
) -> ApiResult<axum::Json<CharterOut>> {
    let view = state.app.charter(&actor, account_id(&id)?).await?;
    let Some(current) = view.charter else { return Err(AppError::NotFound.into()) };
    let mut all = view.versions;
    all.push(current);
    let versions: Vec<CharterVersionOut> = all.iter().map(version_out).collect();
    let wanted = match given(&params.version) {
        None => all.pop(),
        Some(v) => {
            let n: i64 = v.parse().map_err(|_| AppError::invalid_field("version", "must be a version number"))?;
            all.into_iter().find(|c| c.version == n)
        }
    };
    let charter = wanted.ok_or(AppError::NotFound)?;
    Ok(axum::Json(charter_out(&view.account, charter, versions)))
}

/// A change writes every field as it should be, as a new version.
#[utoipa::path(put, path = "/api/v1/charters/{id}", tag = "charters", request_body = CharterDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = CharterOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_charter(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CharterDraft>,
) -> ApiResult<axum::Json<CharterOut>> {
    let id = account_id(&id)?;
    if input.account_id.is_some_and(|a| a != id) {
        return Err(AppError::invalid_field("account_id", "must be the account of the URL (or left out)").into());
    }
    let version = input.version;
    state.app.save_charter(&actor, id, input, version).await?;
    show_charter(State(state), ApiActor(actor), Path(id.to_string()), ApiQuery(CharterParams::default())).await
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// YYYY-MM-DD; default: the day the account entered Post-Launch, else today.
    pub launch_date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateOut {
    #[schema(value_type = String, format = Date)]
    pub launch_date: Date,
    pub commitments: Vec<Commitment>,
}

#[utoipa::path(get, path = "/api/v1/charters/{id}/template", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id"), TemplateParams),
    responses((status = 200, body = TemplateOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn template(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<TemplateParams>,
) -> ApiResult<axum::Json<TemplateOut>> {
    let launch = match given(&params.launch_date) {
        None => None,
        Some(text) => Some(parse_day("launch_date", &text)?),
    };
    let (launch_date, commitments) = state.app.charter_template(&actor, account_id(&id)?, launch).await?;
    Ok(axum::Json(TemplateOut { launch_date, commitments }))
}

fn parse_day(field: &str, text: &str) -> Result<Date, AppError> {
    text.parse().map_err(|_| AppError::invalid_field(field, "must be a date as YYYY-MM-DD"))
}

// ----- engagements -----

#[derive(Serialize, ToSchema)]
pub struct EngagementOut {
    #[serde(flatten)]
    pub engagement: Engagement,
    pub status: EngagementStatus,
    /// The first and last day it counts as held on time.
    #[schema(value_type = String, format = Date)]
    pub window_opens: Date,
    #[schema(value_type = String, format = Date)]
    pub window_closes: Date,
    /// Held within its window (null until held).
    pub on_time: Option<bool>,
}

impl EngagementOut {
    pub fn of(engagement: Engagement, today: Date) -> EngagementOut {
        EngagementOut {
            status: engagement.status(today),
            window_opens: engagement.window_opens(),
            window_closes: engagement.window_closes(),
            on_time: engagement.meeting_id.map(|_| engagement.held_on_time()),
            engagement,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EngagementList {
    /// Due order.
    pub items: Vec<EngagementOut>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct EngagementParams {
    /// Due on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Due on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// due, held, skipped or overdue.
    pub status: Option<String>,
    /// An engagement type.
    #[serde(rename = "type")]
    pub engagement_type: Option<String>,
}

struct Period {
    from: Option<Date>,
    to: Option<Date>,
}

fn period(from: &Option<String>, to: &Option<String>) -> Result<Period, AppError> {
    let mut errors = FieldErrors::new();
    let mut day = |field: &str, value: &Option<String>| {
        given(value).and_then(|t| t.parse::<Date>().map_err(|_| errors.add(field, "must be a date as YYYY-MM-DD")).ok())
    };
    let (from, to) = (day("from", from), day("to", to));
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.add("to", "must not be before from");
    }
    errors.into_result()?;
    Ok(Period { from, to })
}

#[utoipa::path(get, path = "/api/v1/charters/{id}/engagements", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id"), EngagementParams),
    responses((status = 200, body = EngagementList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn engagements(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<EngagementParams>,
) -> ApiResult<axum::Json<EngagementList>> {
    let p = period(&params.from, &params.to)?;
    let mut errors = FieldErrors::new();
    let status = given(&params.status)
        .and_then(|s| tamhub_domain::validation::parse_choice(&mut errors, "status", &s, EngagementStatus::ALL));
    let kind = given(&params.engagement_type)
        .and_then(|t| tamhub_domain::validation::parse_choice(&mut errors, "type", &t, EngagementType::ALL));
    errors.into_result().map_err(AppError::invalid)?;
    let (account, list) = state.app.engagements(&actor, account_id(&id)?, p.from, p.to).await?;
    let today = local_today(&account, state.app.clock.now());
    let items = list
        .into_iter()
        .map(|e| EngagementOut::of(e, today))
        .filter(|e| status.is_none_or(|s| e.status == s))
        .filter(|e| kind.is_none_or(|k| e.engagement.engagement_type == k))
        .collect();
    Ok(axum::Json(EngagementList { items }))
}

#[utoipa::path(get, path = "/api/v1/charters/{id}/engagements.ics", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn engagements_ics(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let body = state.app.account_calendar(&actor, account_id(&id)?, &base_url(&headers)).await?;
    Ok(ics(body, "engagements.ics"))
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}", tag = "charters",
    params(("id" = EngagementId, Path, description = "Engagement id")),
    responses((status = 200, body = EngagementOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_engagement(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<EngagementOut>> {
    let id: EngagementId = id.parse().map_err(|_| AppError::NotFound)?;
    let (account, e) = state.app.get_engagement(&actor, id).await?;
    Ok(axum::Json(EngagementOut::of(e, local_today(&account, state.app.clock.now()))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipIn {
    /// Why it is skipped (shown in compliance as the miss's reason).
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/engagements/{id}/skip", tag = "charters", request_body = SkipIn,
    params(("id" = EngagementId, Path, description = "Engagement id")),
    responses((status = 200, body = EngagementOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn skip_engagement(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SkipIn>,
) -> ApiResult<axum::Json<EngagementOut>> {
    let id: EngagementId = id.parse().map_err(|_| AppError::NotFound)?;
    let e = state.app.skip_engagement(&actor, id, &input.reason).await?;
    let (account, _) = state.app.get_engagement(&actor, id).await?;
    Ok(axum::Json(EngagementOut::of(e, local_today(&account, state.app.clock.now()))))
}

// ----- compliance -----

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ComplianceParams {
    /// First due day counted (YYYY-MM-DD); default 90 days before `to`.
    pub from: Option<String>,
    /// Last due day counted (YYYY-MM-DD); default today.
    pub to: Option<String>,
}

fn compliance_period(params: &ComplianceParams, today: Date) -> Result<(Date, Date), AppError> {
    let p = period(&params.from, &params.to)?;
    let to = p.to.unwrap_or(today);
    let from = p.from.unwrap_or_else(|| to.saturating_sub(jiff::Span::new().days(DEFAULT_PERIOD_DAYS)));
    if to < from {
        return Err(AppError::invalid_field("from", "must not be after to"));
    }
    Ok((from, to))
}

#[derive(Serialize, ToSchema)]
pub struct AccountComplianceOut {
    pub account_id: AccountId,
    pub account_name: String,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    #[serde(flatten)]
    pub compliance: CharterCompliance,
}

#[utoipa::path(get, path = "/api/v1/charters/{id}/compliance", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id"), ComplianceParams),
    responses((status = 200, body = AccountComplianceOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn account_compliance(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ComplianceParams>,
) -> ApiResult<axum::Json<AccountComplianceOut>> {
    let account = state.app.get_account(&actor, account_id(&id)?).await?;
    let (from, to) = compliance_period(&params, local_today(&account, state.app.clock.now()))?;
    let (account, compliance) = state.app.account_compliance(&actor, account.id, from, to).await?;
    Ok(axum::Json(AccountComplianceOut {
        account_id: account.id,
        account_name: account.fields.name,
        from,
        to,
        compliance,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TamComplianceOut {
    pub user_id: UserId,
    pub name: String,
    #[serde(flatten)]
    pub compliance: CharterCompliance,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioComplianceOut {
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    pub total: CharterCompliance,
    /// Accounts with engagements due in the period.
    pub accounts: Vec<AccountComplianceOut>,
    /// Per primary TAM.
    pub tams: Vec<TamComplianceOut>,
}

#[utoipa::path(get, path = "/api/v1/compliance", tag = "charters", params(ComplianceParams),
    responses((status = 200, body = PortfolioComplianceOut), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn portfolio_compliance(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ComplianceParams>,
) -> ApiResult<axum::Json<PortfolioComplianceOut>> {
    let today = state.app.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let (from, to) = compliance_period(&params, today)?;
    let PortfolioCompliance { total, accounts, tams } = state.app.portfolio_compliance(&actor, from, to).await?;
    Ok(axum::Json(PortfolioComplianceOut {
        from,
        to,
        total,
        accounts: accounts
            .into_iter()
            .map(|(a, compliance)| AccountComplianceOut {
                account_id: a.id,
                account_name: a.fields.name,
                from,
                to,
                compliance,
            })
            .collect(),
        tams: tams
            .into_iter()
            .map(|(u, compliance)| TamComplianceOut { user_id: u.id, name: u.name, compliance })
            .collect(),
    }))
}

// ----- meetings -----

#[derive(Serialize, ToSchema)]
pub struct MeetingOut {
    #[serde(flatten)]
    pub meeting: Meeting,
    /// Its action items.
    pub actions: Vec<ActionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct MeetingList {
    /// Latest first.
    pub items: Vec<Meeting>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/meetings", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = MeetingList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn meetings(State(state): State<AppState>, access: ApiAccountAccess) -> ApiResult<axum::Json<MeetingList>> {
    let items = state.app.meetings(&access.actor, access.account.id).await?;
    Ok(axum::Json(MeetingList { items }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/meetings", tag = "charters", request_body = MeetingDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = MeetingOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn record_meeting(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(mut draft): ApiJson<MeetingDraft>,
) -> ApiResult<impl IntoResponse> {
    if draft.account_id.is_some_and(|a| a != access.account.id) {
        return Err(AppError::invalid_field("account_id", "must be the account of the URL (or left out)").into());
    }
    draft.account_id = Some(access.account.id);
    let meeting = state.app.record_meeting(&access.actor, access.account.id, draft).await?;
    let out = meeting_out(&state, &access.actor, meeting.id).await?;
    Ok((StatusCode::CREATED, axum::Json(out)))
}

async fn meeting_out(state: &AppState, actor: &tamhub_app::Actor, id: MeetingId) -> ApiResult<MeetingOut> {
    let (_, meeting, actions) = state.app.get_meeting(actor, id).await?;
    let now = state.app.clock.now();
    Ok(MeetingOut { meeting, actions: actions.into_iter().map(|a| ActionOut::of(a, now)).collect() })
}

#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "charters",
    params(("id" = MeetingId, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_meeting(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<MeetingOut>> {
    let id: MeetingId = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(axum::Json(meeting_out(&state, &actor, id).await?))
}

// ----- contacts -----

#[derive(Serialize, ToSchema)]
pub struct ContactList {
    /// Executive sponsors first, then by name.
    pub items: Vec<Contact>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/contacts", tag = "charters",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = ContactList), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn contacts(State(state): State<AppState>, access: ApiAccountAccess) -> ApiResult<axum::Json<ContactList>> {
    let items = state.app.list_contacts(&access.actor, access.account.id).await?;
    Ok(axum::Json(ContactList { items }))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/contacts", tag = "charters", request_body = ContactDraft,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 201, body = Contact), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_contact(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(draft): ApiJson<ContactDraft>,
) -> ApiResult<impl IntoResponse> {
    let contact = state.app.create_contact(&access.actor, access.account.id, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(contact)))
}

fn contact_id(text: &str) -> Result<ContactId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "charters",
    params(("id" = ContactId, Path, description = "Contact id")),
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_contact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Contact>> {
    Ok(axum::Json(state.app.get_contact(&actor, contact_id(&id)?).await?))
}

#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "charters", request_body = ContactDraft,
    params(("id" = ContactId, Path, description = "Contact id")),
    responses((status = 200, body = Contact), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_contact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<ContactDraft>,
) -> ApiResult<axum::Json<Contact>> {
    Ok(axum::Json(state.app.update_contact(&actor, contact_id(&id)?, draft).await?))
}

#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "charters",
    params(("id" = ContactId, Path, description = "Contact id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_contact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.app.delete_contact(&actor, contact_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- calendar feed -----

#[derive(Serialize, ToSchema)]
pub struct CalendarFeedOut {
    pub active: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<Timestamp>,
    /// Only in the answer to POST: the secret address, shown once.
    pub url: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me/calendar-feed", tag = "charters",
    responses((status = 200, body = CalendarFeedOut)), security(("bearer" = [])))]
pub async fn feed_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<CalendarFeedOut>> {
    let created_at = state.app.calendar_feed_created(&actor).await?;
    Ok(axum::Json(CalendarFeedOut { active: created_at.is_some(), created_at, url: None }))
}

#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "charters",
    responses((status = 201, body = CalendarFeedOut), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rotate_feed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let token = state.app.rotate_calendar_feed(&actor).await?;
    let out = CalendarFeedOut {
        active: true,
        created_at: Some(state.app.clock.now()),
        url: Some(format!("{}/calendar/{token}.ics", base_url(&headers))),
    };
    Ok((StatusCode::CREATED, axum::Json(out)))
}

#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "charters",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn revoke_feed(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<StatusCode> {
    state.app.revoke_calendar_feed(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /calendar/{token}.ics`: the feed a calendar client subscribes to. The token is the
/// credential; a wrong or revoked one answers 404.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return crate::error::ApiError(AppError::NotFound).into_response();
    };
    match state.app.calendar_feed(token, &base_url(&headers)).await {
        Ok(body) => ics(body, "tamhub.ics"),
        Err(err) => crate::error::ApiError(err).into_response(),
    }
}
