//! `/api/v1/users` and `/api/v1/me`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_app::users::{UserInput, UserPatch};
use tamhub_domain::Timestamp;
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::validation::{FieldErrors, parse_choice};
use utoipa::{IntoParams, ToSchema};

use super::json::{ApiJson, ApiQuery, nullable, present};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub account_id: Option<AccountId>,
    pub active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            account_id: u.account_id,
            active: u.active,
            created_at: u.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserOut>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserOut), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn me(ApiActor(actor): ApiActor) -> axum::Json<UserOut> {
    axum::Json(actor.user.into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Only users with this role.
    pub role: Option<String>,
    /// Admins only: include deactivated users.
    pub include_inactive: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListParams),
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<UserListParams>,
) -> ApiResult<axum::Json<UserList>> {
    let role = match params.role.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(role) => {
            let mut errors = FieldErrors::new();
            let parsed = parse_choice(&mut errors, "role", role, &Role::ALL);
            errors.into_result().map_err(AppError::from)?;
            parsed
        }
    };
    let users = state.app.list_users(&actor, role, params.include_inactive.unwrap_or(false)).await?;
    Ok(axum::Json(UserList { items: users.into_iter().map(Into::into).collect(), next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub email: String,
    pub name: String,
    /// tam, psm, pam, support, leadership, admin or customer
    pub role: String,
    /// Required for (and only for) a customer user.
    pub account_id: Option<AccountId>,
    /// At least 10 characters.
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<UserIn>,
) -> ApiResult<impl IntoResponse> {
    let input = UserInput {
        email: input.email,
        name: input.name,
        role: input.role,
        account_id: input.account_id,
        password: input.password,
    };
    let user = state.app.create_user(Some(&actor), input).await?;
    Ok((StatusCode::CREATED, axum::Json(UserOut::from(user))))
}

fn parse_user_id(text: &str) -> Result<UserId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<UserOut>> {
    Ok(axum::Json(state.app.get_user(&actor, parse_user_id(&id)?).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchIn {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<AccountId>)]
    pub account_id: Option<Option<AccountId>>,
    /// false deactivates: sessions end and API tokens are revoked.
    #[serde(default, deserialize_with = "present")]
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatchIn,
    params(("id" = UserId, Path, description = "User id")),
    responses((status = 200, body = UserOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UserPatchIn>,
) -> ApiResult<axum::Json<UserOut>> {
    let id = parse_user_id(&id)?;
    // Outside the directory (a customer asking about someone else) is not found, before forbidden.
    state.app.get_user(&actor, id).await?;
    let patch = UserPatch { name: input.name, role: input.role, account_id: input.account_id, active: input.active };
    Ok(axum::Json(state.app.update_user(&actor, id, patch).await?.into()))
}
