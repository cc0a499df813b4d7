//! Leadership's team view, its settings, and the admin audit log.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::load::{LoadSettings, LoadStatus};
use utoipa::{IntoParams, ToSchema};

use super::accounts::AuditEntryOut;
use super::json::{ApiJson, ApiQuery};
use super::pagination::{Page, decode_cursor, page_of, parse_limit};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct TamLoadOut {
    pub tam_id: UserId,
    pub name: String,
    pub primary_accounts: usize,
    pub backup_accounts: usize,
    /// Σ tier weight over the accounts where this TAM is primary.
    pub weighted_load: f64,
    pub status: LoadStatus,
}

#[derive(Serialize, ToSchema)]
pub struct UncoveredAccountOut {
    pub id: AccountId,
    pub name: String,
    pub missing_primary: bool,
    pub missing_backup: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TeamLoadOut {
    pub settings: LoadSettings,
    pub tams: Vec<TamLoadOut>,
    /// Gate 3 and Post-Launch accounts with no primary or no backup TAM.
    pub uncovered_accounts: Vec<UncoveredAccountOut>,
}

#[utoipa::path(get, path = "/api/v1/team/load", tag = "team",
    responses((status = 200, body = TeamLoadOut), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn load(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<TeamLoadOut>> {
    let team = state.app.team_load(&actor).await?;
    Ok(axum::Json(TeamLoadOut {
        settings: team.settings,
        tams: team
            .tams
            .into_iter()
            .map(|(user, load)| TamLoadOut {
                tam_id: user.id,
                name: user.name,
                primary_accounts: load.primary_accounts,
                backup_accounts: load.backup_accounts,
                weighted_load: load.weighted_load,
                status: load.status,
            })
            .collect(),
        uncovered_accounts: team
            .uncovered
            .into_iter()
            .map(|a| UncoveredAccountOut {
                id: a.id,
                missing_primary: a.fields.primary_tam_id.is_none(),
                missing_backup: a.fields.backup_tam_id.is_none(),
                name: a.fields.name,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/settings/tam-load", tag = "team",
    responses((status = 200, body = LoadSettings), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn settings(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<LoadSettings>> {
    state.app.team_load(&actor).await?;
    Ok(axum::Json(state.app.load_settings().await?))
}

#[utoipa::path(put, path = "/api/v1/settings/tam-load", tag = "team", request_body = LoadSettings,
    responses((status = 200, body = LoadSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<LoadSettings>,
) -> ApiResult<axum::Json<LoadSettings>> {
    Ok(axum::Json(state.app.set_load_settings(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// user, account, api_token, handoff, setting
    pub entity_type: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Page<AuditEntryOut>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<axum::Json<Page<AuditEntryOut>>> {
    let limit = parse_limit(params.limit.as_deref())?;
    let offset = decode_cursor(params.cursor.as_deref())?;
    let entity = params.entity_type.filter(|e| !e.is_empty());
    let entries = state.app.list_audit(&actor, entity, limit + 1, offset).await?;
    Ok(axum::Json(page_of(entries, limit, offset)))
}
