//! The JSON API under `/api/v1`. Bearer tokens authenticate; every account route goes through
//! `ApiAccountAccess`, so scope is checked before a handler runs.

pub mod accounts;
pub mod actions;
pub mod engagements;
pub mod events;
pub mod feedback;
pub mod findings;
pub mod health;
pub mod incidents;
pub mod json;
pub mod notifications;
pub mod openapi;
pub mod pagination;
pub mod plans;
pub mod reviews;
pub mod sla;
pub mod team;
pub mod tickets;
pub mod tokens;
pub mod users;

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(users::me))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{id}", get(accounts::show).patch(accounts::update))
        .route("/accounts/{id}/archive", post(accounts::archive))
        .route("/accounts/{id}/unarchive", post(accounts::unarchive))
        .route("/accounts/{id}/phase-changes", get(accounts::phase_changes))
        .route("/accounts/{id}/history", get(accounts::history))
        .route("/accounts/{id}/handoff", get(accounts::handoff).put(accounts::update_handoff))
        .route("/accounts/{id}/handoff/sign-off", post(accounts::sign_handoff))
        .route("/accounts/{id}/signals", post(health::push_signals))
        .route("/accounts/{id}/health", get(health::health))
        .route("/accounts/{id}/health/what-if", post(health::what_if))
        .route("/accounts/{id}/health/override", put(health::set_override).delete(health::clear_override))
        .route("/signals/import", post(health::import_signals))
        .route("/scorecards", get(health::scorecards))
        .route("/scorecards/{tier}", get(health::versions).put(health::save))
        .route("/scorecards/{tier}/rescore", get(health::rescore_status).post(health::start_rescore))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::show).patch(users::update))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/team/load", get(team::load))
        .route("/settings/tam-load", get(team::settings).put(team::update_settings))
        .route("/audit", get(team::audit))
        .route("/tickets", get(tickets::list).post(tickets::create))
        .route("/tickets/{id}", get(tickets::show).patch(tickets::update))
        .route("/tickets/{id}/events", get(tickets::events).post(tickets::add_event))
        .route("/tickets/{id}/sla", get(tickets::sla))
        .route("/tickets/{id}/sla/alerts", get(tickets::alerts))
        .route("/tickets/{id}/escalation", get(tickets::escalation).post(tickets::escalate))
        .route("/tickets/{id}/escalation/acknowledge", post(tickets::acknowledge))
        .route("/tickets/{id}/escalation/review", post(tickets::review))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incident-metrics", get(incidents::metrics))
        .route("/incidents/{id}", get(incidents::show))
        .route("/incidents/{id}/timeline", get(incidents::timeline))
        .route("/incidents/{id}/cadence", get(incidents::cadence))
        .route("/incidents/{id}/status", post(incidents::change_status))
        .route("/incidents/{id}/severity", post(incidents::change_severity))
        .route("/incidents/{id}/roles/{role}", put(incidents::assign_role))
        .route("/incidents/{id}/milestones/{milestone}", put(incidents::edit_milestone))
        .route("/incidents/{id}/acknowledge", post(incidents::acknowledge))
        .route("/incidents/{id}/updates", post(incidents::post_update))
        .route("/incidents/{id}/notes", post(incidents::add_note))
        .route("/incidents/{id}/tickets", post(incidents::link_ticket))
        .route("/incidents/{id}/impact-windows", put(incidents::set_impact_windows))
        .route("/incidents/{id}/repeats", get(incidents::repeats))
        .route("/incidents/{id}/review", get(incidents::review).put(incidents::edit_review))
        .route("/incidents/{id}/review/submit", post(incidents::submit_review))
        .route("/incidents/{id}/review/approve", post(incidents::approve_review))
        .route("/incidents/{id}/review/request-changes", post(incidents::request_review_changes))
        .route("/incidents/{id}/review/publish", post(incidents::publish_review))
        .route("/incidents/{id}/actions", get(actions::incident_actions).post(actions::create))
        .route("/incident-taxonomy", get(actions::taxonomy).put(actions::update_taxonomy))
        .route("/problems", get(actions::problems))
        .route("/actions", get(actions::list))
        .route("/actions/summary", get(actions::summary))
        .route("/actions/{id}", get(actions::show).patch(actions::update))
        .route("/calendars", get(sla::list_calendars).post(sla::create_calendar))
        .route("/calendars/{id}", get(sla::show_calendar).patch(sla::update_calendar))
        .route("/calendars/{id}/holidays/import", post(sla::import_holidays))
        .route("/settings/default-calendar", get(sla::default_calendar).put(sla::set_default_calendar))
        .route("/sla-policies", get(sla::list_policies).post(sla::create_policy))
        .route("/sla-policies/{id}", get(sla::show_policy).patch(sla::update_policy).delete(sla::delete_policy))
        .route("/charters", get(engagements::list_charters).post(engagements::create_charter))
        .route("/charters/{id}", get(engagements::show_charter).put(engagements::update_charter))
        .route("/charters/{id}/template", get(engagements::template))
        .route("/charters/{id}/engagements", get(engagements::engagements))
        .route("/charters/{id}/engagements.ics", get(engagements::engagements_ics))
        .route("/charters/{id}/compliance", get(engagements::account_compliance))
        .route("/compliance", get(engagements::portfolio_compliance))
        .route("/engagements/{id}", get(engagements::show_engagement))
        .route("/engagements/{id}/skip", post(engagements::skip_engagement))
        .route("/accounts/{id}/meetings", get(engagements::meetings).post(engagements::record_meeting))
        .route("/meetings/{id}", get(engagements::show_meeting))
        .route("/accounts/{id}/contacts", get(engagements::contacts).post(engagements::create_contact))
        .route(
            "/contacts/{id}",
            get(engagements::show_contact).put(engagements::update_contact).delete(engagements::delete_contact),
        )
        .route(
            "/me/calendar-feed",
            get(engagements::feed_status).post(engagements::rotate_feed).delete(engagements::revoke_feed),
        )
        .route("/accounts/{id}/success-plans", get(plans::list_plans).post(plans::create_plan))
        .route("/success-plans/{id}", get(plans::show_plan).put(plans::update_plan))
        .route("/success-plans/{id}/actions", post(plans::add_plan_action))
        .route("/accounts/{id}/risks", get(plans::account_risks).post(plans::create_risk))
        .route("/risks", get(plans::risks))
        .route("/risks/{id}", get(plans::show_risk).patch(plans::update_risk))
        .route("/accounts/{id}/events", get(events::account_events).post(events::create_event))
        .route("/events", get(events::upcoming))
        .route("/events/{id}", get(events::show_event).patch(events::update_event))
        .route("/accounts/{id}/quotas", get(events::account_quotas).post(events::create_quota))
        .route("/quotas/{id}", get(events::show_quota).patch(events::update_quota))
        .route("/feature-requests", get(feedback::list_requests).post(feedback::create_request))
        .route("/feature-requests/{id}", get(feedback::show_request).patch(feedback::update_request))
        .route("/accounts/{id}/feature-requests", get(feedback::account_requests))
        .route("/opportunities", get(feedback::list_opportunities))
        .route("/accounts/{id}/opportunities", get(feedback::account_opportunities).post(feedback::create_opportunity))
        .route("/opportunities/{id}", get(feedback::show_opportunity).patch(feedback::update_opportunity))
        .route("/findings", get(findings::findings))
        .route("/accounts/{id}/findings", get(findings::account_findings).post(findings::create_finding))
        .route("/findings/{id}", get(findings::show_finding).patch(findings::update_finding))
        .route("/lenses", get(reviews::lenses).post(reviews::import_lens))
        .route("/lenses/{key}", get(reviews::show_lens))
        .route("/reviews", get(reviews::reviews).post(reviews::start_review))
        .route("/reviews/coverage", get(reviews::coverage))
        .route("/reviews/{id}", get(reviews::show_review))
        .route("/reviews/{id}/answers", post(reviews::answer))
        .route("/reviews/{id}/milestones", post(reviews::add_milestone))
        .route("/reviews/{id}/diff", get(reviews::diff))
        .route("/reviews/{id}/improvements", post(reviews::plan_improvement))
        .route("/reviews/{id}/lens-version", post(reviews::move_lens))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read-all", post(notifications::mark_all_read))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .fallback(api_not_found)
}

async fn api_not_found() -> crate::error::ApiError {
    crate::error::ApiError(tamhub_app::AppError::NotFound)
}
