//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    accounts, actions, engagements, events, feedback, findings, health, incidents, notifications, plans, reviews, sla,
    team, tickets, tokens, users,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `tamhub token create` or the profile page"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "tamhub API", description = "Technical Account Management: portfolio, lifecycle, access, tickets and SLA clocks, incidents, corrective actions, health scores, the engagement charter and its compliance."),
    modifiers(&BearerAuth),
    paths(
        users::me, users::list, users::create, users::show, users::update,
        accounts::list, accounts::create, accounts::show, accounts::update, accounts::archive, accounts::unarchive,
        accounts::phase_changes, accounts::history, accounts::handoff, accounts::update_handoff, accounts::sign_handoff,
        tokens::list, tokens::create, tokens::revoke,
        team::load, team::settings, team::update_settings, team::audit,
        tickets::list, tickets::create, tickets::show, tickets::update, tickets::events, tickets::add_event,
        tickets::sla, tickets::alerts, tickets::escalation, tickets::escalate, tickets::acknowledge, tickets::review,
        incidents::list, incidents::create, incidents::metrics, incidents::show, incidents::timeline, incidents::cadence, incidents::change_status,
        incidents::change_severity, incidents::assign_role, incidents::edit_milestone, incidents::acknowledge,
        incidents::post_update, incidents::add_note, incidents::link_ticket, incidents::set_impact_windows, incidents::review,
        incidents::edit_review, incidents::submit_review, incidents::approve_review, incidents::request_review_changes,
        incidents::publish_review, incidents::repeats,
        actions::list, actions::summary, actions::show, actions::update, actions::incident_actions, actions::create,
        actions::taxonomy, actions::update_taxonomy, actions::problems,
        health::push_signals, health::health, health::set_override, health::clear_override, health::scorecards,
        health::versions, health::save, health::import_signals, health::what_if,
        health::start_rescore, health::rescore_status,
        sla::list_calendars, sla::create_calendar, sla::show_calendar, sla::update_calendar, sla::import_holidays,
        sla::default_calendar, sla::set_default_calendar,
        sla::list_policies, sla::create_policy, sla::show_policy, sla::update_policy, sla::delete_policy,
        notifications::list, notifications::mark_read, notifications::mark_all_read,
        engagements::list_charters, engagements::create_charter, engagements::show_charter, engagements::update_charter,
        engagements::template, engagements::engagements, engagements::engagements_ics, engagements::account_compliance,
        engagements::portfolio_compliance, engagements::show_engagement, engagements::skip_engagement,
        engagements::meetings, engagements::record_meeting, engagements::show_meeting,
        engagements::contacts, engagements::create_contact, engagements::show_contact, engagements::update_contact,
        engagements::delete_contact, engagements::feed_status, engagements::rotate_feed, engagements::revoke_feed,
        plans::list_plans, plans::create_plan, plans::show_plan, plans::update_plan, plans::add_plan_action,
        plans::account_risks, plans::risks, plans::create_risk, plans::show_risk, plans::update_risk,
        events::account_events, events::upcoming, events::create_event, events::show_event, events::update_event,
        events::account_quotas, events::create_quota, events::show_quota, events::update_quota,
        feedback::list_requests, feedback::account_requests, feedback::create_request, feedback::show_request,
        feedback::update_request, feedback::list_opportunities, feedback::account_opportunities,
        feedback::create_opportunity, feedback::show_opportunity, feedback::update_opportunity,
        findings::findings, findings::account_findings, findings::create_finding, findings::show_finding,
        findings::update_finding,
        reviews::lenses, reviews::show_lens, reviews::import_lens, reviews::reviews, reviews::start_review,
        reviews::coverage, reviews::show_review, reviews::answer, reviews::add_milestone, reviews::diff,
        reviews::plan_improvement, reviews::move_lens,
    )
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
