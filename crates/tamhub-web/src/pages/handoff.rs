//! The Gate 3 handoff page: the checklist, the PSM's and primary TAM's sign-offs, and the move
//! to Post-Launch once both have signed.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use tamhub_app::{AppError, policy};
use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::handoff::HandoffItems;
use tamhub_domain::ids::UserId;
use tamhub_domain::users::Role;

use super::accounts::{NoticeQuery, notice_text};
use super::format;
use super::{Layout, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{PageAccountAccess, PageForm, PageUser};

pub struct SignOffView {
    pub who: String,
    pub signed: String,
}

#[derive(Template)]
#[template(path = "accounts/handoff.html")]
struct HandoffPage {
    layout: Layout,
    id: String,
    name: String,
    phase_label: &'static str,
    in_gate3: bool,
    notice: Option<String>,
    error: Option<String>,
    meeting_held: bool,
    documentation_reviewed: bool,
    shadow_period_done: bool,
    notes: String,
    can_edit: bool,
    psm: SignOffView,
    tam: SignOffView,
    can_sign: bool,
    complete: bool,
    can_move: bool,
}

pub(super) async fn handoff_page(
    state: &AppState,
    user: &PageUser,
    account: &Account,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let actor = &user.actor;
    let checklist = state.app.get_handoff(actor, account.id).await?;
    let team = state.app.account_team(account).await?;
    let name_of = |id: Option<UserId>| {
        id.and_then(|id| team.iter().find(|(_, u)| u.id == id).map(|(_, u)| u.name.clone()))
            .unwrap_or_else(|| "not assigned".into())
    };
    let f = &account.fields;
    let me = Some(actor.user.id);
    let view = |signoff: Option<&tamhub_domain::handoff::SignOff>, assignee: Option<UserId>| SignOffView {
        who: name_of(assignee),
        signed: signoff.map(|s| format!("Signed {}", format::instant(s.at))).unwrap_or_default(),
    };
    let signed = checklist.is_signed_by(f.psm_id, f.primary_tam_id);
    let involved = f.psm_id == me || f.primary_tam_id == me || f.backup_tam_id == me;
    let can_edit_phase = policy::editable_account_fields(actor.user.role).is_none_or(|a| a.contains(&"phase"));
    let page = HandoffPage {
        layout: Layout::new(user, "/"),
        id: account.id.to_string(),
        name: f.name.clone(),
        phase_label: f.phase.label(),
        in_gate3: f.phase == Phase::Gate3,
        notice,
        error,
        meeting_held: checklist.meeting_held,
        documentation_reviewed: checklist.documentation_reviewed,
        shadow_period_done: checklist.shadow_period_done,
        notes: checklist.notes.clone(),
        can_edit: involved || matches!(actor.user.role, Role::Admin | Role::Leadership),
        psm: view(checklist.psm_signature(f.psm_id), f.psm_id),
        tam: view(checklist.tam_signature(f.primary_tam_id), f.primary_tam_id),
        // Only someone whose signature is still missing gets the button.
        can_sign: f.phase == Phase::Gate3
            && ((f.psm_id == me && checklist.psm_signature(f.psm_id).is_none())
                || (f.primary_tam_id == me && checklist.tam_signature(f.primary_tam_id).is_none())),
        complete: signed,
        can_move: signed && f.phase == Phase::Gate3 && can_edit_phase,
    };
    let mut response = render(&page);
    if page.error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn handoff(
    State(state): State<AppState>,
    access: PageAccountAccess,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    if !access.user.actor.user.role.is_staff() {
        return Err(PageError(AppError::NotFound));
    }
    handoff_page(&state, &access.user, &access.account, notice_text(query.notice.as_deref()), None).await
}

pub async fn update_handoff(
    State(state): State<AppState>,
    access: PageAccountAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let items = HandoffItems {
        meeting_held: form.checked("meeting_held"),
        documentation_reviewed: form.checked("documentation_reviewed"),
        shadow_period_done: form.checked("shadow_period_done"),
        notes: form.get("notes").to_string(),
    };
    match state.app.update_handoff(&user.actor, access.account.id, items).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{}/handoff?notice=handoff", access.account.id)).into_response()),
        Err(AppError::Invalid { message, fields }) => {
            let text = fields.iter().next().map(|(f, m)| format!("{f} {m}")).unwrap_or(message);
            handoff_page(&state, &user, &access.account, None, Some(text)).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn sign_handoff(
    State(state): State<AppState>,
    access: PageAccountAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    match state.app.sign_handoff(&user.actor, access.account.id).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{}/handoff?notice=signed", access.account.id)).into_response()),
        Err(AppError::Invalid { fields, message }) => {
            let text = fields.iter().next().map(|(_, m)| m.clone()).unwrap_or(message);
            handoff_page(&state, &user, &access.account, None, Some(text)).await
        }
        Err(other) => Err(other.into()),
    }
}
