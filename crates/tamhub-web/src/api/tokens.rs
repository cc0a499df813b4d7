//! `/api/v1/tokens`: the caller's own API tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::ApiToken;
use tamhub_app::AppError;
use tamhub_domain::Timestamp;
use tamhub_domain::ids::TokenId;
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: TokenId,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedTokenOut {
    #[serde(flatten)]
    pub token: TokenOut,
    /// The secret, shown this once; only its hash is stored.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenOut>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    pub name: String,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = TokenList)), security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<TokenList>> {
    let tokens = state.app.list_api_tokens(&actor).await?;
    Ok(axum::Json(TokenList { items: tokens.into_iter().map(Into::into).collect(), next_cursor: None }))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenIn,
    responses((status = 201, body = CreatedTokenOut), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TokenIn>,
) -> ApiResult<impl IntoResponse> {
    let (token, secret) = state.app.create_api_token(&actor, &input.name).await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedTokenOut { token: token.into(), secret })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = TokenId, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: TokenId = id.parse().map_err(|_| AppError::NotFound)?;
    state.app.revoke_api_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
