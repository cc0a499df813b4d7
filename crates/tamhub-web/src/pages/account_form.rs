//! The account form: create and edit, with every field kept as typed and errors beside it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tamhub_app::{AppError, policy};
use tamhub_domain::accounts::{Account, AccountDraft, AccountPatch, Phase, Tier, parse_major_amount};
use tamhub_domain::ids::{CalendarId, UserId};
use tamhub_domain::users::{Role, User};
use tamhub_domain::validation::FieldErrors;

use super::accounts::{Choice, choices};
use super::format;
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::{FormData, PageAccountAccess, PageForm, PageUser};

/// One input of the account form, with what the user typed and any error beside it.
pub struct FormField {
    pub value: String,
    pub error: Option<String>,
    pub disabled: bool,
}

pub struct Option2 {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "accounts/form.html")]
struct AccountFormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel: String,
    alert: Option<String>,
    f: HashMap<&'static str, FormField>,
    tiers: Vec<Choice>,
    phases: Vec<Choice>,
    tams_primary: Vec<Option2>,
    tams_backup: Vec<Option2>,
    psms: Vec<Option2>,
    pams: Vec<Option2>,
    support: Vec<Option2>,
    timezones: Vec<String>,
    calendars: Vec<Option2>,
}

impl AccountFormPage {
    fn field(&self, name: &str) -> &FormField {
        static EMPTY: FormField = FormField { value: String::new(), error: None, disabled: false };
        self.f.get(name).unwrap_or(&EMPTY)
    }
}

const FORM_FIELDS: [&str; 16] = [
    "name",
    "tier",
    "arr",
    "currency",
    "renewal_date",
    "region",
    "timezone",
    "phase",
    "workloads",
    "downtime_cost_per_hour",
    "primary_tam_id",
    "backup_tam_id",
    "psm_id",
    "pam_id",
    "support_ids",
    "calendar_id",
];

fn values_of(account: &Account) -> HashMap<&'static str, String> {
    let f = &account.fields;
    let id = |v: Option<UserId>| v.map(|i| i.to_string()).unwrap_or_default();
    HashMap::from([
        ("name", f.name.clone()),
        ("tier", f.tier.as_str().to_string()),
        ("arr", format::amount_input(f.arr)),
        ("currency", f.currency.clone()),
        ("renewal_date", f.renewal_date.map(|d| d.to_string()).unwrap_or_default()),
        ("region", f.region.clone()),
        ("timezone", f.timezone.clone()),
        ("phase", f.phase.as_str().to_string()),
        ("workloads", f.workloads.join("\n")),
        ("downtime_cost_per_hour", f.downtime_cost_per_hour.map(format::amount_input).unwrap_or_default()),
        ("primary_tam_id", id(f.primary_tam_id)),
        ("backup_tam_id", id(f.backup_tam_id)),
        ("psm_id", id(f.psm_id)),
        ("pam_id", id(f.pam_id)),
        ("support_ids", f.support_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")),
        ("calendar_id", f.calendar_id.map(|c| c.to_string()).unwrap_or_default()),
    ])
}

fn values_from_form(form: &FormData) -> HashMap<&'static str, String> {
    FORM_FIELDS
        .iter()
        .map(|name| {
            let value = if *name == "support_ids" { form.all(name).join(",") } else { form.get(name).to_string() };
            (*name, value)
        })
        .collect()
}

/// Where the account form comes from and goes to.
struct FormTarget {
    heading: String,
    action: String,
    cancel: String,
}

impl FormTarget {
    fn new_account() -> Self {
        FormTarget { heading: "New account".into(), action: "/accounts".into(), cancel: "/".into() }
    }

    fn edit(account: &Account) -> Self {
        FormTarget {
            heading: format!("Edit {}", account.fields.name),
            action: format!("/accounts/{}/edit", account.id),
            cancel: format!("/accounts/{}", account.id),
        }
    }
}

async fn form_page(
    state: &AppState,
    user: &PageUser,
    target: FormTarget,
    values: HashMap<&'static str, String>,
    errors: &FieldErrors,
    alert: Option<String>,
) -> Result<AccountFormPage, AppError> {
    let editable = policy::editable_account_fields(user.actor.user.role);
    let f = FORM_FIELDS
        .iter()
        .map(|name| {
            let field = FormField {
                value: values.get(name).cloned().unwrap_or_default(),
                error: errors.get(name).map(str::to_string),
                disabled: editable.is_some_and(|allowed| !allowed.contains(name)),
            };
            (*name, field)
        })
        .collect();
    // Assignment pickers need the directory; a role without it gets only the current values.
    let users: Vec<User> = if policy::can_view_user_directory(user.actor.user.role) {
        state.app.list_users(&user.actor, None, false).await?
    } else {
        vec![]
    };
    let picker = |role: Role, field: &str, none_label: &str| -> Vec<Option2> {
        let current = values.get(field).cloned().unwrap_or_default();
        let mut out =
            vec![Option2 { value: String::new(), label: none_label.to_string(), selected: current.is_empty() }];
        out.extend(users.iter().filter(|u| u.role == role).map(|u| Option2 {
            selected: current.split(',').any(|c| c == u.id.to_string()),
            value: u.id.to_string(),
            label: u.name.clone(),
        }));
        out
    };
    let mut support = picker(Role::Support, "support_ids", "");
    support.remove(0);
    let mut timezones: Vec<String> =
        jiff::tz::db().available().map(|n| n.to_string()).filter(|n| n.contains('/')).collect();
    timezones.sort();
    let current_calendar = values.get("calendar_id").cloned().unwrap_or_default();
    let mut calendars = vec![Option2 {
        value: String::new(),
        label: "Organisation default".into(),
        selected: current_calendar.is_empty(),
    }];
    if policy::can_view_sla_config(user.actor.user.role) {
        let (list, default) = state.app.list_calendars(&user.actor).await?;
        calendars.extend(list.into_iter().map(|c| Option2 {
            selected: c.id.to_string() == current_calendar,
            value: c.id.to_string(),
            label: if default == Some(c.id) { format!("{} (the default)", c.name) } else { c.name },
        }));
    }
    Ok(AccountFormPage {
        layout: Layout::new(user, "/"),
        heading: target.heading,
        action: target.action,
        cancel: target.cancel,
        alert,
        tiers: choices(&Tier::ALL, Tier::label, values.get("tier").map(String::as_str).unwrap_or("")),
        phases: choices(&Phase::ALL, Phase::label, values.get("phase").map(String::as_str).unwrap_or("gate_0")),
        tams_primary: picker(Role::Tam, "primary_tam_id", "— No primary TAM —"),
        tams_backup: picker(Role::Tam, "backup_tam_id", "— No backup TAM —"),
        psms: picker(Role::Psm, "psm_id", "— No PSM —"),
        pams: picker(Role::Pam, "pam_id", "— No PAM —"),
        support,
        timezones,
        calendars,
        f,
    })
}

fn optional_calendar(errors: &mut FieldErrors, value: &str) -> Option<CalendarId> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    value.parse().map_err(|_| errors.add("calendar_id", "is not a valid calendar")).ok()
}

fn optional_user(errors: &mut FieldErrors, field: &str, value: &str) -> Option<UserId> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(field, "is not a valid user");
            None
        }
    }
}

fn money(errors: &mut FieldErrors, field: &str, value: &str, required: bool) -> Option<i64> {
    if value.trim().is_empty() {
        if required {
            errors.add(field, "must not be empty");
        }
        return None;
    }
    match parse_major_amount(value) {
        Ok(minor) => Some(minor),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

fn lines(value: &str) -> Vec<String> {
    value.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn support_ids(errors: &mut FieldErrors, form: &FormData) -> Vec<UserId> {
    form.all("support_ids").into_iter().filter_map(|v| optional_user(errors, "support_ids", v)).collect()
}

fn draft_from_form(form: &FormData) -> Result<AccountDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let draft = AccountDraft {
        name: form.get("name").into(),
        tier: form.get("tier").into(),
        arr: money(&mut errors, "arr", form.get("arr"), true).unwrap_or(0),
        currency: form.get("currency").trim().to_uppercase(),
        renewal_date: Some(form.get("renewal_date").to_string()),
        region: form.get("region").into(),
        timezone: form.get("timezone").into(),
        phase: form.get("phase").into(),
        workloads: lines(form.get("workloads")),
        downtime_cost_per_hour: money(&mut errors, "downtime_cost_per_hour", form.get("downtime_cost_per_hour"), false),
        primary_tam_id: optional_user(&mut errors, "primary_tam_id", form.get("primary_tam_id")),
        backup_tam_id: optional_user(&mut errors, "backup_tam_id", form.get("backup_tam_id")),
        psm_id: optional_user(&mut errors, "psm_id", form.get("psm_id")),
        pam_id: optional_user(&mut errors, "pam_id", form.get("pam_id")),
        support_ids: support_ids(&mut errors, form),
        calendar_id: optional_calendar(&mut errors, form.get("calendar_id")),
    };
    if errors.is_empty() {
        // Validate now too, so every problem shows at once rather than one round-trip each.
        draft.clone().validate().map(|_| draft)
    } else {
        if let Err(more) = draft.validate() {
            errors.merge(more);
        }
        Err(errors)
    }
}

/// A patch of only the fields this role may edit and the form sent (disabled inputs are not sent).
fn patch_from_form(form: &FormData, role: Role) -> Result<AccountPatch, FieldErrors> {
    let editable = policy::editable_account_fields(role);
    let sent =
        |name: &str| editable.is_none_or(|allowed| allowed.contains(&name)) && form.0.iter().any(|(k, _)| k == name);
    let mut errors = FieldErrors::new();
    let mut patch = AccountPatch::default();
    let text = |name: &str| sent(name).then(|| form.get(name).to_string());
    patch.name = text("name");
    patch.tier = text("tier");
    patch.currency = text("currency").map(|c| c.trim().to_uppercase());
    patch.region = text("region");
    patch.timezone = text("timezone");
    patch.phase = text("phase");
    if sent("arr") {
        patch.arr = Some(money(&mut errors, "arr", form.get("arr"), true).unwrap_or(0));
    }
    if sent("renewal_date") {
        patch.renewal_date = Some(Some(form.get("renewal_date").to_string()));
    }
    if sent("workloads") {
        patch.workloads = Some(lines(form.get("workloads")));
    }
    if sent("downtime_cost_per_hour") {
        patch.downtime_cost_per_hour =
            Some(money(&mut errors, "downtime_cost_per_hour", form.get("downtime_cost_per_hour"), false));
    }
    for (field, slot) in [
        ("primary_tam_id", &mut patch.primary_tam_id),
        ("backup_tam_id", &mut patch.backup_tam_id),
        ("psm_id", &mut patch.psm_id),
        ("pam_id", &mut patch.pam_id),
    ] {
        if sent(field) {
            *slot = Some(optional_user(&mut errors, field, form.get(field)));
        }
    }
    if sent("calendar_id") {
        patch.calendar_id = Some(optional_calendar(&mut errors, form.get("calendar_id")));
    }
    // Checkboxes send nothing when none is ticked; the form marks that the list was shown.
    if editable.is_none_or(|allowed| allowed.contains(&"support_ids"))
        && form.0.iter().any(|(k, _)| k == "support_ids_shown")
    {
        patch.support_ids = Some(support_ids(&mut errors, form));
    }
    errors.into_result().map(|_| patch)
}

pub async fn new_form(State(state): State<AppState>, user: PageUser) -> PageResult {
    if !policy::can_create_accounts(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not create accounts".into()).into());
    }
    let mut values = HashMap::from([
        ("currency", "USD".to_string()),
        ("phase", "gate_0".to_string()),
        ("tier", "enterprise".to_string()),
    ]);
    if user.actor.user.role == Role::Pam {
        values.insert("pam_id", user.actor.user.id.to_string());
    }
    let page = form_page(&state, &user, FormTarget::new_account(), values, &FieldErrors::new(), None).await?;
    Ok(render(&page))
}

fn invalid_response(page: &impl Template) -> Response {
    let mut response = render(page);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

pub async fn create(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    let result = match draft_from_form(&form) {
        Ok(draft) => state.app.create_account(Some(&user.actor), draft).await,
        Err(errors) => Err(AppError::invalid(errors)),
    };
    match result {
        Ok(account) => Ok(Redirect::to(&format!("/accounts/{}?notice=created", account.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            let page = form_page(
                &state,
                &user,
                FormTarget::new_account(),
                values_from_form(&form),
                &fields,
                Some("Please correct the fields marked below.".into()),
            )
            .await?;
            Ok(invalid_response(&page))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn edit_form(State(state): State<AppState>, access: PageAccountAccess) -> PageResult {
    let PageAccountAccess { user, account } = access;
    if !policy::can_edit_account(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not change this account".into()).into());
    }
    let page =
        form_page(&state, &user, FormTarget::edit(&account), values_of(&account), &FieldErrors::new(), None).await?;
    Ok(render(&page))
}

pub async fn update(
    State(state): State<AppState>,
    access: PageAccountAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let account = access.account;
    // As for the form itself: a read-only role would otherwise be told its (ignored) changes were saved.
    if !policy::can_edit_account(user.actor.user.role) {
        return Err(AppError::Forbidden("your role may not change this account".into()).into());
    }
    let result = match patch_from_form(&form, user.actor.user.role) {
        Ok(patch) => state.app.update_account(&user.actor, account.id, patch).await,
        Err(errors) => Err(AppError::invalid(errors)),
    };
    let back = form.get("back");
    match result {
        Ok(_) => {
            let target = if back == "handoff" {
                format!("/accounts/{}/handoff?notice=saved", account.id)
            } else {
                format!("/accounts/{}?notice=saved", account.id)
            };
            Ok(Redirect::to(&target).into_response())
        }
        Err(AppError::Invalid { fields, .. }) if back == "handoff" => {
            let message = fields.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>().join("; ");
            super::handoff::handoff_page(&state, &user, &account, None, Some(message)).await
        }
        Err(AppError::Invalid { fields, .. }) => {
            let mut values = values_of(&account);
            for (name, value) in values_from_form(&form) {
                if form.0.iter().any(|(k, _)| k == name)
                    || name == "support_ids" && form.0.iter().any(|(k, _)| k == "support_ids_shown")
                {
                    values.insert(name, value);
                }
            }
            let page = form_page(
                &state,
                &user,
                FormTarget::edit(&account),
                values,
                &fields,
                Some("Please correct the fields marked below.".into()),
            )
            .await?;
            Ok(invalid_response(&page))
        }
        Err(other) => Err(other.into()),
    }
}
