//! `/api/v1/accounts`: the portfolio's records, scoped to the caller.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_app::{AccountQuery, AccountSort, Archived};
use tamhub_domain::Timestamp;
use tamhub_domain::accounts::{Account, AccountDraft, AccountPatch, Phase, Tier};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::{HandoffChecklist, HandoffItems, SignOff};
use tamhub_domain::ids::{AccountId, CalendarId, UserId};
use tamhub_domain::validation::{FieldErrors, parse_choice};
use utoipa::{IntoParams, ToSchema};

use super::json::{ApiJson, ApiQuery, nullable, present};
use super::pagination::{decode_cursor, given, list_params, next_cursor, parse_limit};
use crate::AppState;
use crate::auth::{ApiAccountAccess, ApiActor};
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    pub id: AccountId,
    pub name: String,
    pub tier: Tier,
    /// Annual recurring revenue in minor currency units (cents).
    pub arr: i64,
    pub currency: String,
    /// YYYY-MM-DD
    pub renewal_date: Option<String>,
    pub region: String,
    /// IANA time zone.
    pub timezone: String,
    pub phase: Phase,
    pub workloads: Vec<String>,
    /// Minor currency units per hour of downtime.
    pub downtime_cost_per_hour: Option<i64>,
    pub primary_tam_id: Option<UserId>,
    pub backup_tam_id: Option<UserId>,
    pub psm_id: Option<UserId>,
    pub pam_id: Option<UserId>,
    pub support_ids: Vec<UserId>,
    /// The business calendar its SLA clocks run in; null = the organisation's default.
    pub calendar_id: Option<CalendarId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archived_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Account> for AccountOut {
    fn from(a: Account) -> Self {
        let f = a.fields;
        AccountOut {
            id: a.id,
            name: f.name,
            tier: f.tier,
            arr: f.arr,
            currency: f.currency,
            renewal_date: f.renewal_date.map(|d| d.to_string()),
            region: f.region,
            timezone: f.timezone,
            phase: f.phase,
            workloads: f.workloads,
            downtime_cost_per_hour: f.downtime_cost_per_hour,
            primary_tam_id: f.primary_tam_id,
            backup_tam_id: f.backup_tam_id,
            psm_id: f.psm_id,
            pam_id: f.pam_id,
            support_ids: f.support_ids,
            calendar_id: f.calendar_id,
            archived_at: a.archived_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

fn default_currency() -> String {
    "USD".into()
}

fn default_phase() -> String {
    "gate_0".into()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    pub name: String,
    /// enterprise, enterprise_on_ramp or business
    pub tier: String,
    /// Minor currency units; not negative.
    pub arr: i64,
    #[serde(default = "default_currency")]
    pub currency: String,
    pub renewal_date: Option<String>,
    pub region: String,
    pub timezone: String,
    /// gate_0 (default), gate_1, gate_2, gate_3 or post_launch
    #[serde(default = "default_phase")]
    pub phase: String,
    #[serde(default)]
    pub workloads: Vec<String>,
    pub downtime_cost_per_hour: Option<i64>,
    pub primary_tam_id: Option<UserId>,
    pub backup_tam_id: Option<UserId>,
    pub psm_id: Option<UserId>,
    pub pam_id: Option<UserId>,
    #[serde(default)]
    pub support_ids: Vec<UserId>,
    /// A business calendar id; omitted = the organisation's default.
    pub calendar_id: Option<CalendarId>,
}

impl From<AccountIn> for AccountDraft {
    fn from(i: AccountIn) -> Self {
        AccountDraft {
            name: i.name,
            tier: i.tier,
            arr: i.arr,
            currency: i.currency,
            renewal_date: i.renewal_date,
            region: i.region,
            timezone: i.timezone,
            phase: i.phase,
            workloads: i.workloads,
            downtime_cost_per_hour: i.downtime_cost_per_hour,
            primary_tam_id: i.primary_tam_id,
            backup_tam_id: i.backup_tam_id,
            psm_id: i.psm_id,
            pam_id: i.pam_id,
            support_ids: i.support_ids,
            calendar_id: i.calendar_id,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AccountPatchIn {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub tier: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub arr: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub renewal_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub region: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub phase: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub workloads: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub downtime_cost_per_hour: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<UserId>)]
    pub primary_tam_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<UserId>)]
    pub backup_tam_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<UserId>)]
    pub psm_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<UserId>)]
    pub pam_id: Option<Option<UserId>>,
    #[serde(default, deserialize_with = "present")]
    pub support_ids: Option<Vec<UserId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<CalendarId>)]
    pub calendar_id: Option<Option<CalendarId>>,
}

impl From<AccountPatchIn> for AccountPatch {
    fn from(p: AccountPatchIn) -> Self {
        AccountPatch {
            name: p.name,
            tier: p.tier,
            arr: p.arr,
            currency: p.currency,
            renewal_date: p.renewal_date,
            region: p.region,
            timezone: p.timezone,
            phase: p.phase,
            workloads: p.workloads,
            downtime_cost_per_hour: p.downtime_cost_per_hour,
            primary_tam_id: p.primary_tam_id,
            backup_tam_id: p.backup_tam_id,
            psm_id: p.psm_id,
            pam_id: p.pam_id,
            support_ids: p.support_ids,
            calendar_id: p.calendar_id,
        }
    }
}

/// Filters shared by the API and the portfolio page.
#[derive(Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct AccountListParams {
    /// gate_0 … post_launch
    pub phase: Option<String>,
    /// enterprise, enterprise_on_ramp, business
    pub tier: Option<String>,
    /// A user id: accounts where this user holds any assignment.
    pub assignee: Option<String>,
    /// Text contained in the name or region.
    pub q: Option<String>,
    /// `exclude` (default), `include` or `only`.
    pub archived: Option<String>,
    /// name, tier, phase, arr, renewal_date, region, timezone, updated_at; prefix `-` for descending.
    pub sort: Option<String>,
    /// 1-500, default 50.
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl AccountListParams {
    /// A query for the store (its scope is set by the app from the actor).
    pub fn to_query(&self) -> Result<AccountQuery, AppError> {
        let mut errors = FieldErrors::new();
        let mut query = AccountQuery::in_scope(tamhub_domain::scope::AccountScope::Nothing);
        if let Some(phase) = given(&self.phase) {
            query.phase = parse_choice(&mut errors, "phase", &phase, &Phase::ALL);
        }
        if let Some(tier) = given(&self.tier) {
            query.tier = parse_choice(&mut errors, "tier", &tier, &Tier::ALL);
        }
        if let Some(assignee) = given(&self.assignee) {
            match assignee.parse::<UserId>() {
                Ok(id) => query.assignee = Some(id),
                Err(_) => errors.add("assignee", "must be a user id"),
            }
        }
        if let Some(archived) = given(&self.archived) {
            let choices = [(Archived::Exclude, "exclude"), (Archived::Include, "include"), (Archived::Only, "only")];
            query.archived = parse_choice(&mut errors, "archived", &archived, &choices).unwrap_or_default();
        }
        let basics = list_params(
            &mut errors,
            &self.q,
            &self.sort,
            self.limit.as_deref(),
            self.cursor.as_deref(),
            &AccountSort::ALL,
        );
        query.text = basics.text;
        query.sort = basics.sort;
        query.descending = basics.descending;
        query.limit = basics.limit;
        query.offset = basics.offset;
        errors.into_result()?;
        Ok(query)
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountOut>,
    pub next_cursor: Option<String>,
    /// Accounts matching the filters in the caller's scope.
    pub total: u64,
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountListParams),
    responses((status = 200, body = AccountList), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<AccountListParams>,
) -> ApiResult<axum::Json<AccountList>> {
    let query = params.to_query()?;
    let (offset, limit) = (query.offset, query.limit);
    let page = state.app.list_accounts(&actor, query).await?;
    let next_cursor = next_cursor(offset, page.items.len(), limit, page.total);
    Ok(axum::Json(AccountList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor,
        total: page.total,
    }))
}

#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountIn,
    responses((status = 201, body = AccountOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<AccountIn>,
) -> ApiResult<impl IntoResponse> {
    let account = state.app.create_account(Some(&actor), input.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(AccountOut::from(account))))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = AccountOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(access: ApiAccountAccess) -> axum::Json<AccountOut> {
    axum::Json(access.account.into())
}

#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", request_body = AccountPatchIn,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = AccountOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(input): ApiJson<AccountPatchIn>,
) -> ApiResult<axum::Json<AccountOut>> {
    let account = state.app.update_account(&access.actor, access.account.id, input.into()).await?;
    Ok(axum::Json(account.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/archive", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = AccountOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn archive(State(state): State<AppState>, access: ApiAccountAccess) -> ApiResult<axum::Json<AccountOut>> {
    Ok(axum::Json(state.app.set_account_archived(&access.actor, access.account.id, true).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/unarchive", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = AccountOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn unarchive(State(state): State<AppState>, access: ApiAccountAccess) -> ApiResult<axum::Json<AccountOut>> {
    Ok(axum::Json(state.app.set_account_archived(&access.actor, access.account.id, false).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct PhaseChangeOut {
    pub from: Phase,
    pub to: Phase,
    pub actor_id: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<PhaseChange> for PhaseChangeOut {
    fn from(c: PhaseChange) -> Self {
        PhaseChangeOut { from: c.from, to: c.to, actor_id: c.actor_id, at: c.at }
    }
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/phase-changes", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = Vec<PhaseChangeOut>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn phase_changes(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<Vec<PhaseChangeOut>>> {
    let changes = state.app.account_phase_changes(&access.actor, access.account.id).await?;
    Ok(axum::Json(changes.into_iter().map(Into::into).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub entity_type: String,
    pub entity_id: String,
    pub account_id: Option<AccountId>,
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditEntry> for AuditEntryOut {
    fn from(e: AuditEntry) -> Self {
        AuditEntryOut {
            id: e.id.to_string(),
            at: e.at,
            actor_id: e.actor_id,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            account_id: e.account_id,
            action: e.action,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/history", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id"), HistoryParams),
    responses((status = 200, body = super::pagination::Page<AuditEntryOut>), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<super::pagination::Page<AuditEntryOut>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let offset = decode_cursor(params.cursor.as_deref())?;
    let entries = state.app.account_history(&access.actor, access.account.id, limit + 1, offset).await?;
    Ok(axum::Json(super::pagination::page_of(entries, limit, offset)))
}

#[derive(Serialize, ToSchema)]
pub struct SignOffOut {
    pub user_id: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl From<SignOff> for SignOffOut {
    fn from(s: SignOff) -> Self {
        SignOffOut { user_id: s.user_id, at: s.at }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HandoffOut {
    pub account_id: AccountId,
    pub meeting_held: bool,
    pub documentation_reviewed: bool,
    pub shadow_period_done: bool,
    pub notes: String,
    pub psm_signoff: Option<SignOffOut>,
    pub tam_signoff: Option<SignOffOut>,
    /// All items done, notes written, and both sign-offs present: Post-Launch is allowed.
    pub complete: bool,
}

impl HandoffOut {
    /// `complete` and the sign-offs are judged against who holds the PSM and primary TAM slots now.
    fn new(c: HandoffChecklist, account: &Account) -> Self {
        let (psm, tam) = (account.fields.psm_id, account.fields.primary_tam_id);
        HandoffOut {
            complete: c.is_signed_by(psm, tam),
            psm_signoff: c.psm_signature(psm).cloned().map(Into::into),
            tam_signoff: c.tam_signature(tam).cloned().map(Into::into),
            account_id: c.account_id,
            meeting_held: c.meeting_held,
            documentation_reviewed: c.documentation_reviewed,
            shadow_period_done: c.shadow_period_done,
            notes: c.notes,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffIn {
    pub meeting_held: bool,
    pub documentation_reviewed: bool,
    pub shadow_period_done: bool,
    #[serde(default)]
    pub notes: String,
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}/handoff", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = HandoffOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn handoff(State(state): State<AppState>, access: ApiAccountAccess) -> ApiResult<axum::Json<HandoffOut>> {
    // The PSM→TAM handoff is internal, as on the page: a customer contact is shown nothing.
    if !access.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    Ok(axum::Json(HandoffOut::new(state.app.get_handoff(&access.actor, access.account.id).await?, &access.account)))
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}/handoff", tag = "accounts", request_body = HandoffIn,
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = HandoffOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_handoff(
    State(state): State<AppState>,
    access: ApiAccountAccess,
    ApiJson(input): ApiJson<HandoffIn>,
) -> ApiResult<axum::Json<HandoffOut>> {
    let items = HandoffItems {
        meeting_held: input.meeting_held,
        documentation_reviewed: input.documentation_reviewed,
        shadow_period_done: input.shadow_period_done,
        notes: input.notes,
    };
    Ok(axum::Json(HandoffOut::new(
        state.app.update_handoff(&access.actor, access.account.id, items).await?,
        &access.account,
    )))
}

#[utoipa::path(post, path = "/api/v1/accounts/{id}/handoff/sign-off", tag = "accounts",
    params(("id" = AccountId, Path, description = "Account id")),
    responses((status = 200, body = HandoffOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn sign_handoff(
    State(state): State<AppState>,
    access: ApiAccountAccess,
) -> ApiResult<axum::Json<HandoffOut>> {
    Ok(axum::Json(HandoffOut::new(state.app.sign_handoff(&access.actor, access.account.id).await?, &access.account)))
}
