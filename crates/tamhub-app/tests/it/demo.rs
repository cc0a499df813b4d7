use std::collections::HashSet;

use tamhub_app::{AccountQuery, Actor};
use tamhub_domain::accounts::{Phase, Tier};
use tamhub_domain::load::LoadStatus;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

#[tokio::test]
async fn the_demo_set_covers_every_phase_tier_role_and_load_status() {
    let t = TestApp::sqlite().await;
    let today = "2026-03-02".parse().unwrap();
    let summary = t.app.load_demo(today).await.unwrap();
    assert_eq!(summary.accounts, 120);
    let roles: HashSet<Role> = summary.users.iter().map(|u| u.role).collect();
    assert_eq!(roles.len(), 7, "every role has demo users");

    let mut all = AccountQuery::in_scope(AccountScope::All);
    all.limit = 500;
    let accounts = t.app.store.list_accounts(&all).await.unwrap().items;
    let phases: HashSet<Phase> = accounts.iter().map(|a| a.fields.phase).collect();
    let tiers: HashSet<Tier> = accounts.iter().map(|a| a.fields.tier).collect();
    let zones: HashSet<&str> = accounts.iter().map(|a| a.fields.timezone.as_str()).collect();
    assert_eq!(phases.len(), 5);
    assert_eq!(tiers.len(), 3);
    assert!(zones.len() >= 10, "{zones:?}");

    let leader = summary.users.iter().find(|u| u.role == Role::Leadership).unwrap().clone();
    let team = t.app.team_load(&Actor::new(leader)).await.unwrap();
    let statuses: HashSet<LoadStatus> = team.tams.iter().map(|(_, l)| l.status).collect();
    assert_eq!(statuses.len(), 3, "TAMs under, within and over the band: {statuses:?}");
    assert!(!team.uncovered.is_empty(), "some accounts lack a TAM for leadership to fix");

    let signed = accounts.iter().filter(|a| a.fields.phase == Phase::Gate3).count();
    assert!(signed > 0);
    let mut handoffs = 0;
    for account in accounts.iter().filter(|a| a.fields.phase == Phase::Gate3) {
        if let Some(h) = t.app.store.get_handoff(account.id).await.unwrap() {
            handoffs += 1;
            assert!(h.meeting_held);
        }
    }
    assert!(handoffs >= 3, "handoffs in several states: {handoffs}");
}

#[tokio::test]
async fn loading_the_demo_twice_is_refused() {
    let t = TestApp::sqlite().await;
    let today = "2026-03-02".parse().unwrap();
    t.app.load_demo(today).await.unwrap();
    assert!(matches!(t.app.load_demo(today).await, Err(tamhub_app::AppError::Conflict(_))));
}

#[tokio::test]
async fn the_demo_incidents_cover_every_severity_and_the_first_customer_sees_a_live_one() {
    use tamhub_app::IncidentQuery;
    use tamhub_domain::incidents::{IncidentStatus, Severity, TimelineKind, Visibility};

    let t = TestApp::sqlite().await;
    let summary = t.app.load_demo("2026-03-02".parse().unwrap()).await.unwrap();
    let admin = Actor::new(summary.users.iter().find(|u| u.role == Role::Admin).unwrap().clone());
    let mut all = IncidentQuery::in_scope(AccountScope::All);
    all.limit = 500;
    let (views, total) = t.app.list_incidents(&admin, all).await.unwrap();
    assert_eq!(total as usize, summary.incidents);
    let incidents: Vec<_> = views.into_iter().map(|v| v.incident).collect();
    let severities: HashSet<Severity> = incidents.iter().map(|i| i.max_severity).collect();
    assert_eq!(severities.len(), 4, "{severities:?}");
    let statuses: HashSet<IncidentStatus> = incidents.iter().map(|i| i.status).collect();
    for status in [
        IncidentStatus::Triage,
        IncidentStatus::Investigating,
        IncidentStatus::Resolved,
        IncidentStatus::Postmortem,
        IncidentStatus::Closed,
        IncidentStatus::Declined,
    ] {
        assert!(statuses.contains(&status), "{status:?} missing from {statuses:?}");
    }
    assert!(incidents.iter().any(|i| i.reopen_count > 0), "a reopened incident");
    assert!(incidents.iter().any(|i| i.impact_windows.len() == 2), "impact recorded in two windows");
    assert!(incidents.iter().any(|i| i.test), "a test incident");
    assert!(incidents.iter().any(|i| i.severity != i.max_severity || i.max_severity < Severity::P2));
    for i in &incidents {
        i.check_rules().unwrap_or_else(|e| panic!("{} breaks a rule: {e:?}", i.title));
    }
    let mut reviews = HashSet::new();
    for i in &incidents {
        if let Some(review) = t.app.store.incident_review(i.id).await.unwrap() {
            reviews.insert(review.status.as_str());
        }
    }
    assert!(reviews.contains("in_review") && reviews.contains("published"), "{reviews:?}");
    let outage = incidents.iter().find(|i| i.max_severity == Severity::P0).expect("the P0");
    let (category, repeats) = t.app.repeat_incidents(&admin, outage.id).await.unwrap();
    assert_eq!(category.as_deref(), Some("Configuration change"));
    assert_eq!(repeats.len(), 2, "an earlier and a later checkout incident repeat the outage's root cause");
    let problems = t.app.problems(&admin, None).await.unwrap();
    let checkout = problems.iter().find(|p| p.problem.service == "checkout-api").expect("the checkout problem");
    assert_eq!(checkout.incidents.len(), 3);
    assert!(checkout.accounts.len() >= 3, "across accounts: {:?}", checkout.accounts);

    // Corrective actions in every state: waiting for approval, overdue, done on time and late.
    let actions = t.app.all_actions(&admin, tamhub_app::ActionQuery::in_scope(AccountScope::All)).await.unwrap();
    let now = t.app.clock.now();
    assert!(actions.iter().any(|a| a.due_at.is_none()), "a priority action waiting for its review's approval");
    assert!(actions.iter().any(|a| a.is_overdue(now)), "an overdue action");
    let done: Vec<_> = actions.iter().filter(|a| a.completed_at.is_some()).collect();
    assert!(done.iter().any(|a| a.done_on_time()) && done.iter().any(|a| !a.done_on_time()), "on time and late");

    let customer = Actor::new(summary.users.iter().find(|u| u.role == Role::Customer).unwrap().clone());
    let (seen, _) = t.app.list_incidents(&customer, IncidentQuery::in_scope(AccountScope::Nothing)).await.unwrap();
    let live = seen.iter().find(|v| v.incident.status.is_live()).expect("the first customer sees a live incident");
    let timeline = t.app.incident_timeline(&customer, live.incident.id).await.unwrap();
    let updates: Vec<_> = timeline
        .iter()
        .filter_map(|e| match &e.kind {
            TimelineKind::UpdatePosted(u) => Some(u.visibility),
            _ => None,
        })
        .collect();
    assert!(!updates.is_empty() && updates.iter().all(|v| *v == Visibility::Public), "{updates:?}");
}

#[tokio::test]
async fn the_demo_health_shows_every_band_trends_both_ways_and_overrides() {
    use tamhub_domain::health::HealthBand;
    let t = TestApp::sqlite().await;
    let summary = t.app.load_demo("2026-03-02".parse().unwrap()).await.unwrap();
    let admin = Actor::new(summary.users.iter().find(|u| u.role == Role::Admin).unwrap().clone());
    let mut all = tamhub_app::AccountQuery::in_scope(AccountScope::All);
    all.limit = 500;
    let accounts = t.app.list_accounts(&admin, all).await.unwrap().items;
    let mut bands = HashSet::new();
    let (mut up, mut down, mut overrides) = (0, 0, 0);
    for a in &accounts {
        let h = t.app.account_health(&admin, a.id).await.unwrap();
        bands.insert(h.computed.band);
        match h.trend_30d.or(h.trend_7d) {
            Some(d) if d > 5.0 => up += 1,
            Some(d) if d < -5.0 => down += 1,
            _ => {}
        }
        overrides += usize::from(h.override_band.is_some());
    }
    for band in [HealthBand::Green, HealthBand::Yellow, HealthBand::Red, HealthBand::InsufficientData] {
        assert!(bands.contains(&band), "{band:?} missing from {bands:?}");
    }
    assert!(up > 0 && down > 0, "trends both ways: {up} up, {down} down");
    assert_eq!(overrides, 2);
}
