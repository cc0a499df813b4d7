//! Server-rendered pages (askama + htmx). Every page takes `PageUser` or an access extractor,
//! so none renders for someone who is not signed in or outside scope.

pub mod account_form;
pub mod accounts;
pub mod actions;
pub mod admin;
pub mod assets;
pub mod calendars;
pub mod charters;
pub mod clocks;
pub mod contacts;
pub mod escalations;
pub mod events;
pub mod feedback;
pub mod findings;
pub mod format;
pub mod forms;
pub mod handoff;
pub mod health;
pub mod incident;
pub mod incident_forms;
pub mod incident_metrics;
pub mod incident_review;
pub mod incident_timeline;
pub mod incidents;
pub mod login;
pub mod notifications;
pub mod plans;
pub mod policies;
pub mod problems;
pub mod profile;
pub mod reviews;
pub mod scorecards;
pub mod taxonomy;
pub mod team;
pub mod ticket;
pub mod tickets;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tamhub_app::{AppError, policy};
use tamhub_domain::users::Role;

use crate::AppState;
use crate::auth::PageUser;
use crate::error::{public_message, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(accounts::portfolio))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/accounts", post(account_form::create))
        .route("/accounts/new", get(account_form::new_form))
        .route("/accounts/{id}", get(accounts::show))
        .route("/accounts/{id}/edit", get(account_form::edit_form).post(account_form::update))
        .route("/accounts/{id}/archive", post(accounts::archive))
        .route("/accounts/{id}/unarchive", post(accounts::unarchive))
        .route("/accounts/{id}/handoff", get(handoff::handoff).post(handoff::update_handoff))
        .route("/accounts/{id}/handoff/sign-off", post(handoff::sign_handoff))
        .route("/accounts/{id}/tickets", get(tickets::account_queue))
        .route("/accounts/{id}/health/override", post(health::set_override))
        .route("/accounts/{id}/health/what-if", get(health::what_if))
        .route("/accounts/{id}/charter", get(charters::show).post(charters::create))
        .route("/accounts/{id}/charter/edit", get(charters::edit_form).post(charters::save))
        .route("/accounts/{id}/charter.ics", get(charters::ics))
        .route("/accounts/{id}/meetings", post(charters::record_meeting))
        .route("/accounts/{id}/meetings/new", get(charters::new_meeting))
        .route("/accounts/{id}/stakeholders", get(contacts::list).post(contacts::create))
        .route("/contacts/{id}", get(contacts::edit_form).post(contacts::update))
        .route("/contacts/{id}/delete", post(contacts::delete))
        .route("/engagements/{id}/skip", post(charters::skip))
        .route("/meetings/{id}", get(charters::meeting))
        .route("/compliance", get(charters::compliance))
        .route("/accounts/{id}/success-plans", get(plans::list).post(plans::create))
        .route("/success-plans/{id}", get(plans::show).post(plans::update))
        .route("/success-plans/{id}/actions", post(plans::add_action))
        .route("/accounts/{id}/risks", get(plans::account_risks).post(plans::create_risk))
        .route("/risks", get(plans::portfolio))
        .route("/risks/{id}", get(plans::risk).post(plans::update_risk))
        .route("/accounts/{id}/events", get(events::list).post(events::create))
        .route("/events", get(events::upcoming))
        .route("/events/{id}", get(events::show).post(events::update))
        .route("/accounts/{id}/quotas", get(events::quotas).post(events::create_quota))
        .route("/quotas/{id}", post(events::update_quota))
        .route("/feature-requests", get(feedback::requests).post(feedback::create_request))
        .route("/feature-requests/{id}", get(feedback::request).post(feedback::update_request))
        .route("/accounts/{id}/expansion", get(feedback::expansion).post(feedback::create_opportunity))
        .route("/opportunities/{id}", post(feedback::update_opportunity))
        .route("/accounts/{id}/findings", get(findings::list).post(findings::create))
        .route("/findings", get(findings::portfolio))
        .route("/findings/{id}", post(findings::update))
        .route("/accounts/{id}/reviews", get(reviews::account).post(reviews::start))
        .route("/reviews", get(reviews::portfolio))
        .route("/reviews/{id}", get(reviews::show))
        .route("/reviews/{id}/answers", post(reviews::answer))
        .route("/reviews/{id}/milestones", post(reviews::milestone))
        .route("/reviews/{id}/improvements", post(reviews::improvement))
        .route("/reviews/{id}/lens-version", post(reviews::move_lens))
        .route("/admin/lenses", get(reviews::lenses).post(reviews::import))
        .route("/admin/lenses/{key}/{version}", get(reviews::download))
        .route("/health/at-risk", get(health::at_risk))
        .route("/health/signals", get(health::signals_form).post(health::import_signals))
        .route("/tickets", get(tickets::queue).post(tickets::create))
        .route("/tickets/new", get(tickets::new_form))
        .route("/tickets/{id}", get(ticket::show).post(ticket::update))
        .route("/tickets/{id}/events", post(ticket::add_event))
        .route("/tickets/{id}/escalate", get(escalations::form))
        .route("/tickets/{id}/escalation", post(escalations::escalate))
        .route("/tickets/{id}/escalation/acknowledge", post(escalations::acknowledge))
        .route("/tickets/{id}/escalation/review", post(escalations::review))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incidents/new", get(incidents::new_form))
        .route("/incidents/metrics", get(incident_metrics::show))
        .route("/incidents/{id}", get(incident::show))
        .route("/incidents/{id}/status", post(incident_forms::change_status))
        .route("/incidents/{id}/severity", post(incident_forms::change_severity))
        .route("/incidents/{id}/roles", post(incident_forms::assign_roles))
        .route("/incidents/{id}/milestones", post(incident_forms::edit_milestones))
        .route("/incidents/{id}/acknowledge", post(incident_forms::acknowledge))
        .route("/incidents/{id}/updates", post(incident_forms::post_update))
        .route("/incidents/{id}/notes", post(incident_forms::add_note))
        .route("/incidents/{id}/tickets", post(incident_forms::link_ticket))
        .route("/incidents/{id}/impact-windows", post(incident_forms::set_impact_windows))
        .route("/incidents/{id}/review", get(incident_review::show).post(incident_review::edit))
        .route("/incidents/{id}/review/submit", post(incident_review::submit))
        .route("/incidents/{id}/review/approve", post(incident_review::approve))
        .route("/incidents/{id}/review/request-changes", post(incident_review::request_changes))
        .route("/incidents/{id}/review/publish", post(incident_review::publish))
        .route("/incidents/{id}/actions", post(actions::create))
        .route("/incidents/{id}/actions/new", get(actions::new_form))
        .route("/actions", get(actions::list))
        .route("/problems", get(problems::list))
        .route("/actions/{id}", get(actions::show).post(actions::update))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read-all", post(notifications::mark_all_read))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/team", get(team::load))
        .route("/team/settings", post(team::update_settings))
        .route("/team/assign", post(team::assign))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route("/admin/users/{id}", get(admin::edit_user).post(admin::update_user))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/calendars", get(calendars::list).post(calendars::create))
        .route("/admin/calendars/new", get(calendars::new_form))
        .route("/admin/calendars/{id}", get(calendars::edit_form).post(calendars::update))
        .route("/admin/calendars/{id}/default", post(calendars::set_default))
        .route("/admin/calendars/{id}/holidays", post(calendars::import_holidays))
        .route("/admin/scorecards", get(scorecards::list))
        .route("/admin/scorecards/{tier}", get(scorecards::edit_form).post(scorecards::save))
        .route("/admin/scorecards/{tier}/rescore", post(scorecards::rescore))
        .route("/admin/incident-taxonomy", get(taxonomy::show).post(taxonomy::update))
        .route("/admin/sla-policies", get(policies::list).post(policies::create))
        .route("/admin/sla-policies/new", get(policies::new_form))
        .route("/admin/sla-policies/{id}", get(policies::edit_form).post(policies::update))
        .route("/admin/sla-policies/{id}/move", post(policies::move_policy))
        .route("/admin/sla-policies/{id}/delete", post(policies::delete))
        .route("/profile", get(profile::show))
        .route("/profile/tokens", post(profile::create_token))
        .route("/profile/calendar-feed", post(profile::rotate_feed))
        .route("/profile/calendar-feed/revoke", post(profile::revoke_feed))
        .route("/profile/tokens/{id}/revoke", post(profile::revoke_token))
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What every signed-in page's frame shows: who is signed in, the menu for their role, and
/// the CSRF token for the sign-out form.
pub struct Layout {
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// Unread notifications: the number on the bell.
    pub unread: u64,
}

impl Layout {
    pub fn new(user: &PageUser, section: &str) -> Layout {
        let role = user.actor.user.role;
        let mut items: Vec<(&'static str, &'static str)> = Vec::new();
        if role == Role::Customer {
            items.push(("/", "Our account"));
        } else {
            items.push(("/", if role == Role::Tam { "My portfolio" } else { "Accounts" }));
        }
        // Every role sees tickets: agents work them, PAMs read them, customers open their own.
        items.push(("/tickets", "Tickets"));
        // Every role sees the incidents of its accounts: customers as a status page.
        items.push(("/incidents", "Incidents"));
        if role.is_staff() {
            items.push(("/actions", "Actions"));
        }
        if role.is_staff() {
            items.push(("/compliance", "Compliance"));
            items.push(("/risks", "Risks"));
            items.push(("/events", "Events"));
            items.push(("/reviews", "Reviews"));
            items.push(("/findings", "Findings"));
            items.push(("/feature-requests", "Feedback"));
        }
        if policy::can_view_team_load(role) {
            items.push(("/health/at-risk", "At risk"));
        }
        if policy::can_view_team_load(role) {
            items.push(("/team", "Team load"));
        }
        if policy::can_manage_sla(role) {
            items.push(("/admin/sla-policies", "SLA settings"));
        }
        if policy::can_manage_users(role) {
            items.push(("/admin/users", "Users"));
            items.push(("/admin/audit", "Audit log"));
        }
        items.push(("/profile", "Profile"));
        Layout {
            user_name: user.actor.user.name.clone(),
            role_label: role.label().to_string(),
            csrf: user.csrf.clone(),
            nav: items.into_iter().map(|(href, label)| NavItem { href, label, active: href == section }).collect(),
            unread: user.unread_notifications,
        }
    }
}

pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => PageError(AppError::Internal(format!("rendering template: {err}"))).into_response(),
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    status: u16,
    title: String,
    message: String,
}

/// An error shown as a page: the not-found page for anything missing or outside scope.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        PageError(err)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let (title, message) = match &self.0 {
            AppError::NotFound => (
                "Page not found".to_string(),
                "There is nothing here, or it is not part of your portfolio.".to_string(),
            ),
            AppError::Forbidden(m) => ("Not allowed".to_string(), m.clone()),
            AppError::Unauthenticated => ("Please sign in".to_string(), "Your session has ended.".to_string()),
            other => ("Something went wrong".to_string(), public_message(other)),
        };
        let page = ErrorPage { status: status.as_u16(), title, message };
        let html = page.render().unwrap_or_else(|_| "error".into());
        (status, Html(html)).into_response()
    }
}

pub type PageResult = Result<Response, PageError>;

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError(AppError::NotFound).into_response();
    }
    let mut response = PageError(AppError::NotFound).into_response();
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
