//! `/admin/incident-taxonomy`: the root-cause categories reviews choose from and the services
//! marked tier 2, edited as text (one category per line, "Name: when to choose it").

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::{AppError, policy};
use tamhub_domain::postmortems::{IncidentTaxonomy, RootCauseCategory};

use super::accounts::NoticeQuery;
use super::forms::{FormState, unprocessable};
use super::{Layout, PageResult, render};
use crate::AppState;
use crate::auth::{PageForm, PageUser};

#[derive(Template)]
#[template(path = "admin/taxonomy.html")]
struct TaxonomyPage {
    layout: Layout,
    sla_tab: &'static str,
    notice: Option<String>,
    alert: Option<String>,
    form: FormState,
}

fn as_form(t: &IncidentTaxonomy) -> FormState {
    let mut form = FormState::default();
    let lines: Vec<String> = t
        .root_cause_categories
        .iter()
        .map(|c| if c.description.is_empty() { c.name.clone() } else { format!("{}: {}", c.name, c.description) })
        .collect();
    form.set("root_cause_categories", lines.join("\n"));
    form.set("tier2_services", t.tier2_services.join("\n"));
    form
}

fn page(user: &PageUser, notice: Option<String>, form: FormState) -> PageResult {
    let alert = (!form.errors.is_empty()).then(|| "Not saved: see the fields below.".to_string());
    let page =
        TaxonomyPage { layout: Layout::new(user, "/admin/sla-policies"), sla_tab: "taxonomy", notice, alert, form };
    Ok(if page.alert.is_some() { unprocessable(&page) } else { render(&page) })
}

fn require_admin(user: &PageUser) -> Result<(), AppError> {
    policy::require(policy::can_manage_sla(user.actor.user.role), "change the incident taxonomy")
}

pub async fn show(State(state): State<AppState>, user: PageUser, Query(query): Query<NoticeQuery>) -> PageResult {
    require_admin(&user)?;
    let notice = (query.notice.as_deref() == Some("saved")).then(|| "Incident taxonomy saved.".to_string());
    page(&user, notice, as_form(&state.app.incident_taxonomy().await?))
}

/// Lines of text, blank ones dropped.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

pub async fn update(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    require_admin(&user)?;
    let categories = lines(form.get("root_cause_categories"))
        .map(|line| match line.split_once(':') {
            Some((name, description)) => {
                RootCauseCategory { name: name.trim().to_string(), description: description.trim().to_string() }
            }
            None => RootCauseCategory { name: line.to_string(), description: String::new() },
        })
        .collect();
    let taxonomy = IncidentTaxonomy {
        root_cause_categories: categories,
        tier2_services: lines(form.get("tier2_services")).map(str::to_string).collect(),
    };
    match state.app.set_incident_taxonomy(&user.actor, taxonomy).await {
        Ok(_) => Ok(Redirect::to("/admin/incident-taxonomy?notice=saved").into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            // "root_cause_categories[3].name" is line 4 of the text.
            let mut errors = tamhub_domain::validation::FieldErrors::new();
            for (field, message) in fields.iter() {
                let (base, line) = match field
                    .split_once('[')
                    .and_then(|(b, r)| Some((b, r.split_once(']')?.0.parse::<usize>().ok()?)))
                {
                    Some((base, i)) => (base.to_string(), format!("line {}: {message}", i + 1)),
                    None => (field.clone(), message.clone()),
                };
                errors.add(&base, line);
            }
            page(&user, None, FormState::from_post(&form).with_errors(errors))
        }
        Err(other) => Err(other.into()),
    }
}
