//! Administration: users (create, change role, deactivate) and the audit log.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::AccountQuery;
use tamhub_app::users::{UserInput, UserPatch};
use tamhub_app::{AppError, policy};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::{Role, User};
use tamhub_domain::validation::FieldErrors;

use super::format;
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub account: String,
    pub active: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    notice: Option<String>,
    rows: Vec<UserRow>,
    counts: Vec<(&'static str, usize)>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn require_admin(user: &PageUser) -> Result<(), AppError> {
    policy::require(policy::can_manage_users(user.actor.user.role), "manage users")
}

async fn account_names(state: &AppState, user: &PageUser) -> Result<HashMap<AccountId, String>, AppError> {
    let mut query = AccountQuery::in_scope(AccountScope::Nothing);
    query.limit = 500;
    query.archived = tamhub_app::Archived::Include;
    let page = state.app.list_accounts(&user.actor, query).await?;
    Ok(page.items.into_iter().map(|a| (a.id, a.fields.name)).collect())
}

pub async fn users(State(state): State<AppState>, user: PageUser, Query(query): Query<NoticeQuery>) -> PageResult {
    require_admin(&user)?;
    let all = state.app.list_users(&user.actor, None, true).await?;
    let accounts = account_names(&state, &user).await?;
    let counts =
        Role::ALL.iter().map(|(r, _)| (r.label(), all.iter().filter(|u| u.role == *r && u.active).count())).collect();
    let rows = all
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.label(),
            account: u.account_id.and_then(|id| accounts.get(&id).cloned()).unwrap_or_default(),
            active: u.active,
            created: format::instant(u.created_at),
        })
        .collect();
    let notice = match query.notice.as_deref() {
        Some("created") => Some("User created. Share the initial password with them securely.".into()),
        Some("saved") => Some("User saved.".into()),
        _ => None,
    };
    Ok(render(&UsersPage { layout: Layout::new(&user, "/admin/users"), notice, rows, counts }))
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    layout: Layout,
    heading: String,
    action: String,
    is_new: bool,
    alert: Option<String>,
    email: String,
    name: String,
    active: bool,
    roles: Vec<Choice>,
    accounts: Vec<Choice>,
    errors: FieldErrors,
}

impl UserFormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

#[allow(clippy::too_many_arguments)]
async fn user_form(
    state: &AppState,
    user: &PageUser,
    existing: Option<&User>,
    values: &FormData,
    errors: FieldErrors,
) -> Result<UserFormPage, AppError> {
    let pick = |name: &str, fallback: String| if values.0.is_empty() { fallback } else { values.get(name).to_string() };
    let role = pick("role", existing.map(|u| u.role.as_str().to_string()).unwrap_or_else(|| "tam".into()));
    let account = pick("account_id", existing.and_then(|u| u.account_id).map(|a| a.to_string()).unwrap_or_default());
    let mut names = account_names(state, user).await?;
    // The picker lists the first 500 accounts by name; the user's own account is always there.
    if let Ok(current) = account.parse::<AccountId>()
        && !names.contains_key(&current)
        && let Ok(found) = state.app.get_account(&user.actor, current).await
    {
        names.insert(found.id, found.fields.name);
    }
    let mut accounts: Vec<(AccountId, String)> = names.into_iter().collect();
    accounts.sort_by(|a, b| a.1.cmp(&b.1));
    let mut account_choices =
        vec![Choice { value: String::new(), label: "— Staff: no account —".into(), selected: account.is_empty() }];
    account_choices.extend(accounts.into_iter().map(|(id, name)| Choice {
        selected: id.to_string() == account,
        value: id.to_string(),
        label: name,
    }));
    let is_new = existing.is_none();
    Ok(UserFormPage {
        layout: Layout::new(user, "/admin/users"),
        heading: existing.map(|u| format!("Edit {}", u.name)).unwrap_or_else(|| "New user".into()),
        action: existing.map(|u| format!("/admin/users/{}", u.id)).unwrap_or_else(|| "/admin/users".into()),
        is_new,
        alert: (!errors.is_empty()).then(|| "Please correct the fields marked below.".to_string()),
        email: pick("email", existing.map(|u| u.email.clone()).unwrap_or_default()),
        name: pick("name", existing.map(|u| u.name.clone()).unwrap_or_default()),
        active: if values.0.is_empty() {
            existing.is_none_or(|u| u.active)
        } else {
            values.checked("active") || is_new
        },
        roles: Role::ALL
            .iter()
            .map(|(r, n)| Choice { value: n.to_string(), label: r.label().into(), selected: *n == role })
            .collect(),
        accounts: account_choices,
        errors,
    })
}

pub async fn new_user(State(state): State<AppState>, user: PageUser) -> PageResult {
    require_admin(&user)?;
    Ok(render(&user_form(&state, &user, None, &FormData::default(), FieldErrors::new()).await?))
}

fn account_field(errors: &mut FieldErrors, form: &FormData) -> Option<AccountId> {
    let value = form.get("account_id").trim();
    if value.is_empty() {
        return None;
    }
    value.parse().map_err(|_| errors.add("account_id", "is not an existing account")).ok()
}

fn invalid(page: &UserFormPage) -> axum::response::Response {
    let mut response = render(page);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

pub async fn create_user(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    require_admin(&user)?;
    let mut errors = FieldErrors::new();
    let account_id = account_field(&mut errors, &form);
    let input = UserInput {
        email: form.get("email").into(),
        name: form.get("name").into(),
        role: form.get("role").into(),
        account_id,
        password: form.get("password").into(),
    };
    let result = if errors.is_empty() {
        state.app.create_user(Some(&user.actor), input).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?notice=created").into_response()),
        Err(AppError::Invalid { fields, .. }) => Ok(invalid(&user_form(&state, &user, None, &form, fields).await?)),
        Err(other) => Err(other.into()),
    }
}

fn parse_user_id(id: &str) -> Result<UserId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

pub async fn edit_user(State(state): State<AppState>, user: PageUser, Path(id): Path<String>) -> PageResult {
    require_admin(&user)?;
    let existing = state.app.get_user(&user.actor, parse_user_id(&id)?).await?;
    Ok(render(&user_form(&state, &user, Some(&existing), &FormData::default(), FieldErrors::new()).await?))
}

pub async fn update_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_admin(&user)?;
    let existing = state.app.get_user(&user.actor, parse_user_id(&id)?).await?;
    let mut errors = FieldErrors::new();
    let account_id = account_field(&mut errors, &form);
    let patch = UserPatch {
        name: Some(form.get("name").into()),
        role: Some(form.get("role").into()),
        account_id: Some(account_id),
        active: Some(form.checked("active")),
    };
    let result = if errors.is_empty() {
        state.app.update_user(&user.actor, existing.id, patch).await
    } else {
        Err(AppError::invalid(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users?notice=saved").into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            Ok(invalid(&user_form(&state, &user, Some(&existing), &form, fields).await?))
        }
        Err(AppError::Conflict(message)) => {
            let mut page = user_form(&state, &user, Some(&existing), &form, FieldErrors::new()).await?;
            page.alert = Some(message);
            let mut response = render(&page);
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

pub struct AuditRow {
    pub when: String,
    pub actor: String,
    pub entity: String,
    pub entity_href: Option<String>,
    pub action: String,
    pub changes: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    entity_types: Vec<Choice>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    entity_type: Option<String>,
    /// Text, so a hand-edited `?page=abc` shows page 1 instead of a bare 400.
    page: Option<String>,
}

/// "field: old → new" for each changed top-level field.
/// User ids are shown as names.
fn changes(
    before: &Option<serde_json::Value>,
    after: &Option<serde_json::Value>,
    names: &HashMap<UserId, String>,
) -> String {
    let show = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "—".to_string(),
        Some(serde_json::Value::String(s)) => match s.parse::<UserId>().ok().and_then(|id| names.get(&id)) {
            Some(name) => name.clone(),
            None => s.chars().take(60).collect(),
        },
        Some(other) => other.to_string().chars().take(60).collect(),
    };
    match (before, after) {
        (Some(serde_json::Value::Object(b)), Some(serde_json::Value::Object(a))) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v) && k.as_str() != "updated_at")
            .map(|(k, v)| format!("{k}: {} → {}", show(b.get(k)), show(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        (None, Some(serde_json::Value::Object(a))) => {
            a.get("name").map(|n| format!("name: {}", show(Some(n)))).unwrap_or_default()
        }
        _ => String::new(),
    }
}

pub async fn audit(State(state): State<AppState>, user: PageUser, Query(query): Query<AuditQuery>) -> PageResult {
    const PER_PAGE: u32 = 50;
    let page = query.page.as_deref().and_then(|p| p.parse::<u64>().ok()).unwrap_or(1).max(1);
    let entity_type = query.entity_type.clone().filter(|e| !e.is_empty());
    // Saturating and capped: `?page=` is user input, and the databases' OFFSET is signed.
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE)).min(i64::MAX as u64);
    let entries = state.app.list_audit(&user.actor, entity_type.clone(), PER_PAGE + 1, offset).await?;
    let names: HashMap<UserId, String> =
        state.app.list_users(&user.actor, None, true).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let has_next = entries.len() > PER_PAGE as usize;
    let rows = entries
        .iter()
        .take(PER_PAGE as usize)
        .map(|e| AuditRow {
            when: format::instant(e.at),
            actor: e.actor_id.and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| "system (CLI)".into()),
            entity: format!("{} {}", e.entity_type.replace('_', " "), &e.entity_id[..8.min(e.entity_id.len())]),
            entity_href: e.account_id.map(|a| format!("/accounts/{a}")),
            action: e.action.replace('_', " "),
            changes: changes(&e.before, &e.after, &names),
        })
        .collect();
    let filter = entity_type.clone().map(|e| format!("entity_type={e}&")).unwrap_or_default();
    Ok(render(&AuditPage {
        layout: Layout::new(&user, "/admin/audit"),
        rows,
        entity_types: tamhub_app::audit::AUDITED_ENTITIES
            .into_iter()
            .map(|t| Choice {
                value: t.into(),
                label: t.replace('_', " "),
                selected: entity_type.as_deref() == Some(t),
            })
            .collect(),
        prev_href: (page > 1).then(|| format!("/admin/audit?{filter}page={}", page - 1)),
        next_href: has_next.then(|| format!("/admin/audit?{filter}page={}", page + 1)),
    }))
}
