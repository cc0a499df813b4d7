//! The stakeholder map in the UI: the account's contacts as cards (role, influence, sentiment,
//! relationship owner, last contact, executive sponsor), the form adding one, and each
//! contact's edit form with removal.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;
use tamhub_app::AppError;
use tamhub_app::policy;
use tamhub_domain::accounts::Account;
use tamhub_domain::contacts::{Contact, ContactDraft, Influence, Sentiment};
use tamhub_domain::ids::{AccountId, ContactId};

use super::forms::{FormState, Opt, opt, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageUser};

pub struct StakeholderCard {
    pub id: String,
    pub name: String,
    pub title: String,
    pub role: String,
    pub email: String,
    pub influence: &'static str,
    pub sentiment: &'static str,
    pub sentiment_label: &'static str,
    pub owner: String,
    pub last_contact: String,
    pub sponsor: bool,
}

#[derive(Template)]
#[template(path = "contacts/list.html")]
struct ListPage {
    layout: Layout,
    id: String,
    name: String,
    cards: Vec<StakeholderCard>,
    has_sponsor: bool,
    can_edit: bool,
    form: FormState,
    influences: Vec<Opt>,
    sentiments: Vec<Opt>,
    owners: Vec<Opt>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "contacts/edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    account_id: String,
    account_name: String,
    form: FormState,
    influences: Vec<Opt>,
    sentiments: Vec<Opt>,
    owners: Vec<Opt>,
}

fn choices(
    user: &PageUser,
    names: &HashMap<tamhub_domain::ids::UserId, String>,
    account: &Account,
) -> (Vec<Opt>, Vec<Opt>, Vec<Opt>) {
    let influences = Influence::ALL.iter().map(|(i, n)| opt(*n, i.label())).collect();
    let sentiments = Sentiment::ALL.iter().map(|(s, n)| opt(*n, s.label())).collect();
    let mut team: Vec<_> = account.fields.assignments().into_iter().map(|(_, u)| u).collect();
    if !team.contains(&user.actor.user.id) {
        team.push(user.actor.user.id);
    }
    let mut owners = vec![opt("", "—")];
    owners.extend(team.iter().map(|u| opt(u.to_string(), names.get(u).cloned().unwrap_or_default())));
    (influences, sentiments, owners)
}

fn draft_of(form: &FormData) -> ContactDraft {
    let some = |name: &str| Some(form.get(name).to_string()).filter(|v| !v.trim().is_empty());
    ContactDraft {
        name: form.get("name").to_string(),
        email: some("email"),
        phone: some("phone"),
        title: form.get("title").to_string(),
        role: form.get("role").to_string(),
        influence: some("influence"),
        sentiment: some("sentiment"),
        relationship_owner_id: form.get("relationship_owner_id").parse().ok(),
        last_contact_on: some("last_contact_on"),
        executive_sponsor: form.get("executive_sponsor") == "on",
        notes: form.get("notes").to_string(),
    }
}

fn form_of(c: &Contact) -> FormState {
    let mut form = FormState::default();
    let d = ContactDraft::from_contact(c);
    form.set("name", d.name);
    form.set("email", d.email.unwrap_or_default());
    form.set("phone", d.phone.unwrap_or_default());
    form.set("title", d.title);
    form.set("role", d.role);
    form.set("influence", d.influence.unwrap_or_default());
    form.set("sentiment", d.sentiment.unwrap_or_default());
    form.set("relationship_owner_id", d.relationship_owner_id.map(|u| u.to_string()).unwrap_or_default());
    form.set("last_contact_on", d.last_contact_on.unwrap_or_default());
    form.set("executive_sponsor", if d.executive_sponsor { "on" } else { "" });
    form.set("notes", d.notes);
    form
}

async fn list_page(
    state: &AppState,
    user: &PageUser,
    id: AccountId,
    form: FormState,
    notice: Option<String>,
) -> PageResult {
    let account = state.app.get_account(&user.actor, id).await?;
    let contacts = state.app.list_contacts(&user.actor, id).await?;
    let names = super::tickets::people(state, user, Some(&account)).await?;
    let (influences, sentiments, owners) = choices(user, &names, &account);
    let cards = contacts
        .iter()
        .map(|c| StakeholderCard {
            id: c.id.to_string(),
            name: c.name.clone(),
            title: c.title.clone(),
            role: c.role.clone(),
            email: c.email.clone().unwrap_or_default(),
            influence: c.influence.label(),
            sentiment: c.sentiment.as_str(),
            sentiment_label: c.sentiment.label(),
            owner: c.relationship_owner_id.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| "—".into()),
            last_contact: c.last_contact_on.map(format::date).unwrap_or_else(|| "never".into()),
            sponsor: c.executive_sponsor,
        })
        .collect();
    let refused = !form.errors.is_empty();
    let page = ListPage {
        layout: Layout::new(user, "/"),
        id: id.to_string(),
        name: account.fields.name.clone(),
        has_sponsor: contacts.iter().any(|c| c.executive_sponsor),
        cards,
        can_edit: policy::can_work_charter(user.actor.user.role),
        form,
        influences,
        sentiments,
        owners,
        notice,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/stakeholders`.
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut form = FormState::default();
    form.set("influence", "medium");
    form.set("sentiment", "unknown");
    let notice = params.get("notice").map(|n| match n.as_str() {
        "removed" => "Contact removed.".to_string(),
        _ => "Contact saved.".to_string(),
    });
    list_page(&state, &user, id, form, notice).await
}

/// `POST /accounts/{id}/stakeholders`: adds a contact.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    match state.app.create_contact(&user.actor, id, draft_of(&form)).await {
        Ok(_) => Ok(Redirect::to(&format!("/accounts/{id}/stakeholders?notice=saved")).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            list_page(&state, &user, id, FormState::from_post(&form).with_errors(fields), None).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn edit_page(state: &AppState, user: &PageUser, contact: &Contact, form: FormState) -> PageResult {
    let account = state.app.get_account(&user.actor, contact.account_id).await?;
    let names = super::tickets::people(state, user, Some(&account)).await?;
    let (influences, sentiments, owners) = choices(user, &names, &account);
    let refused = !form.errors.is_empty();
    let page = EditPage {
        layout: Layout::new(user, "/"),
        id: contact.id.to_string(),
        account_id: account.id.to_string(),
        account_name: account.fields.name.clone(),
        form,
        influences,
        sentiments,
        owners,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /contacts/{id}`: the edit form.
pub async fn edit_form(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: ContactId = id.parse().map_err(|_| AppError::NotFound)?;
    let contact = state.app.get_contact(&user.actor, id).await?;
    if !policy::can_work_charter(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not change contacts".into()).into());
    }
    edit_page(&state, &user, &contact, form_of(&contact)).await
}

/// `POST /contacts/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: ContactId = id.parse().map_err(|_| AppError::NotFound)?;
    let contact = state.app.get_contact(&user.actor, id).await?;
    match state.app.update_contact(&user.actor, id, draft_of(&form)).await {
        Ok(c) => Ok(Redirect::to(&format!("/accounts/{}/stakeholders?notice=saved", c.account_id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            edit_page(&state, &user, &contact, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /contacts/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    let id: ContactId = id.parse().map_err(|_| AppError::NotFound)?;
    let contact = state.app.get_contact(&user.actor, id).await?;
    state.app.delete_contact(&user.actor, id).await?;
    Ok(Redirect::to(&format!("/accounts/{}/stakeholders?notice=removed", contact.account_id)).into_response())
}
