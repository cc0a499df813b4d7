//! SLA configuration use cases: the policy list is versioned by every change and open tickets
//! follow it after a scan (R-T1, R-T3); calendars gain versions and never change the past
//! (R-K12); holiday import adds what is new; only admins and leadership change any of it.

use tamhub_app::AppError;
use tamhub_app::Clock;
use tamhub_domain::ids::{CalendarId, PolicyId};
use tamhub_domain::sla::business_calendars::CalendarHours;
use tamhub_domain::sla::model::Metric;
use tamhub_domain::sla::policies::SlaPolicyDraft;
use tamhub_domain::tickets::TicketEventKind;
use tamhub_testkit::TestApp;

use crate::desk::{Desk, cycle, invalid_field, secs, set, when};

fn enterprise_policy(first_response_seconds: i64, position: Option<usize>) -> SlaPolicyDraft {
    serde_json::from_value(serde_json::json!({
        "name": "Enterprise",
        "position": position,
        "filter": {"tiers": ["enterprise"]},
        "targets": [{"metric": "first_response", "priority": "high", "seconds": first_response_seconds}],
    }))
    .expect("a policy draft")
}

/// The stored first-response deadline of a ticket, as the last evaluation left it.
async fn stored_due(t: &TestApp, ticket: tamhub_domain::ids::TicketId) -> Option<i64> {
    let sla = t.app.store.ticket_sla(ticket).await.expect("sla").expect("evaluated");
    cycle(&sla.cycles, Metric::FirstResponse, 1).due_at
}

async fn versions(t: &TestApp) -> Vec<i64> {
    t.app.store.sla_config().await.expect("config").policy_sets.iter().map(|s| s.version).collect()
}

async fn names(t: &TestApp, desk: &Desk) -> Vec<String> {
    t.app.list_policies(&desk.tam).await.expect("policies").into_iter().map(|p| p.name).collect()
}

#[tokio::test]
async fn every_policy_change_versions_the_list_and_open_tickets_follow_it_after_a_scan() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        assert_eq!(versions(&t).await, [1], "[{b}]");
        assert_eq!(stored_due(&t, ticket.id).await, Some(secs("2026-03-02T13:00:00Z")), "[{b}]");

        set(&t, "2026-03-02T09:30:00Z");
        let created = t.app.create_policy(&desk.admin, enterprise_policy(3600, Some(0))).await.expect("create");
        assert_eq!(names(&t, &desk).await, ["Enterprise", "Standard support"], "[{b}] at position 0");
        assert_eq!(versions(&t).await, [1, 2], "[{b}]");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(stored_due(&t, ticket.id).await, Some(secs("2026-03-02T10:00:00Z")), "[{b}] re-targeted");

        set(&t, "2026-03-02T09:40:00Z");
        let updated = t.app.update_policy(&desk.lead, created.id, enterprise_policy(7200, None)).await.expect("update");
        assert_eq!(updated.id, created.id, "[{b}]");
        assert_eq!(names(&t, &desk).await, ["Enterprise", "Standard support"], "[{b}] position unchanged");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(stored_due(&t, ticket.id).await, Some(secs("2026-03-02T11:00:00Z")), "[{b}]");

        // Moving the catch-all first makes it apply again.
        set(&t, "2026-03-02T09:50:00Z");
        let standard = t.app.list_policies(&desk.admin).await.expect("list")[1].clone();
        let mut first = standard.to_draft();
        first.position = Some(0);
        t.app.update_policy(&desk.admin, standard.id, first).await.expect("reorder");
        assert_eq!(names(&t, &desk).await, ["Standard support", "Enterprise"], "[{b}]");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(stored_due(&t, ticket.id).await, Some(secs("2026-03-02T13:00:00Z")), "[{b}]");

        set(&t, "2026-03-02T10:00:00Z");
        t.app.delete_policy(&desk.admin, created.id).await.expect("delete");
        assert_eq!(names(&t, &desk).await, ["Standard support"], "[{b}]");
        assert_eq!(versions(&t).await, [1, 2, 3, 4, 5], "[{b}]");
        let query =
            tamhub_store::AuditQuery { entity_type: Some("sla_policy".into()), limit: 50, ..Default::default() };
        let audit = t.app.store.list_audit(&query).await.expect("audit");
        assert_eq!(audit.len(), 4, "[{b}] one audit entry per change");

        assert!(matches!(t.app.delete_policy(&desk.admin, created.id).await, Err(AppError::NotFound)), "[{b}]");
        let ghost = t.app.update_policy(&desk.admin, PolicyId::new(), enterprise_policy(900, None)).await;
        assert!(matches!(ghost, Err(AppError::NotFound)), "[{b}]");
        assert_eq!(versions(&t).await.len(), 5, "[{b}] refused changes add no version");
    }
}

#[tokio::test]
async fn bad_policies_are_refused_by_field_and_only_admins_and_leadership_change_policies() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        invalid_field(t.app.create_policy(&desk.admin, enterprise_policy(14, None)).await, "targets[0].seconds");
        let mut unknown_calendar = enterprise_policy(3600, None);
        unknown_calendar.targets[0].calendar = Some(CalendarId::new().to_string());
        invalid_field(t.app.create_policy(&desk.admin, unknown_calendar).await, "targets[0].calendar");
        let mut pause = enterprise_policy(3600, None);
        pause.pause_sets.insert("resolution".into(), vec!["pending".into(), "solved".into()]);
        invalid_field(t.app.create_policy(&desk.admin, pause).await, "pause_sets.resolution");
        for who in [&desk.tam, &desk.support, &desk.pam, &desk.customer] {
            let refused = t.app.create_policy(who, enterprise_policy(3600, None)).await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}] {}: {refused:?}", who.user.name);
        }
        let refused = t.app.delete_policy(&desk.tam, t.app.list_policies(&desk.tam).await.expect("list")[0].id).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}]");
        assert!(matches!(t.app.list_policies(&desk.customer).await, Err(AppError::Forbidden(_))), "[{b}]");
        assert_eq!(versions(&t).await, [1], "[{b}] nothing was stored");
    }
}

fn tokyo() -> CalendarHours {
    CalendarHours::weekdays_nine_to_five("Asia/Tokyo")
}

#[tokio::test]
async fn calendar_changes_add_versions_and_never_take_effect_in_the_past() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let now = when("2026-03-02T09:00:00Z");
        let calendar = t.app.create_calendar(Some(&desk.admin), "Tokyo", tokyo(), now).await.expect("create");
        assert_eq!(calendar.versions.len(), 1, "[{b}]");
        assert_eq!(t.app.get_calendar(&desk.support, calendar.id).await.expect("get"), calendar, "[{b}]");

        set(&t, "2026-03-02T10:00:00Z");
        let renamed =
            t.app.update_calendar(&desk.admin, calendar.id, Some("Tokyo office"), None, None).await.expect("rename");
        assert_eq!(
            (renamed.name.as_str(), renamed.versions.len()),
            ("Tokyo office", 1),
            "[{b}] a rename adds no version"
        );
        let same =
            t.app.update_calendar(&desk.admin, calendar.id, None, Some(tokyo()), None).await.expect("same hours");
        assert_eq!(same.versions.len(), 1, "[{b}] unchanged hours add no version");

        let mut longer = tokyo();
        longer.weekly.insert("sat".into(), vec![vec![600, 720]]);
        let v2 = t.app.update_calendar(&desk.lead, calendar.id, None, Some(longer.clone()), None).await.expect("hours");
        assert_eq!(v2.versions.len(), 2, "[{b}]");
        assert_eq!(v2.versions[1].effective_from, when("2026-03-02T10:00:00Z"), "[{b}] effective now by default");
        assert_eq!(v2.versions[0], calendar.versions[0], "[{b}] the old version stays");
        let later = when("2026-04-01T00:00:00Z");
        let v3 =
            t.app.update_calendar(&desk.admin, calendar.id, None, Some(tokyo()), Some(later)).await.expect("future");
        assert_eq!((v3.versions.len(), v3.versions[2].effective_from), (3, later), "[{b}]");

        let past = when("2026-03-02T09:59:59Z");
        invalid_field(
            t.app.update_calendar(&desk.admin, calendar.id, None, Some(longer), Some(past)).await,
            "effective_from",
        );
        let mut bad = tokyo();
        bad.tz = "Mars/Olympus".into();
        invalid_field(t.app.update_calendar(&desk.admin, calendar.id, None, Some(bad.clone()), None).await, "tz");
        invalid_field(t.app.create_calendar(Some(&desk.admin), "Mars", bad, now).await, "tz");
        invalid_field(
            t.app
                .create_calendar(
                    Some(&desk.admin),
                    "Never",
                    CalendarHours { tz: "UTC".into(), ..Default::default() },
                    now,
                )
                .await,
            "weekly",
        );
        let refused = t.app.update_calendar(&desk.tam, calendar.id, Some("Mine"), None, None).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}]");
        assert!(matches!(
            t.app.create_calendar(Some(&desk.support), "S", tokyo(), now).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(t.app.get_calendar(&desk.customer, calendar.id).await, Err(AppError::Forbidden(_))), "[{b}]");
        let ghost = t.app.update_calendar(&desk.admin, CalendarId::new(), Some("Ghost"), None, None).await;
        assert!(matches!(ghost, Err(AppError::NotFound)), "[{b}]");
        let stored = t.app.get_calendar(&desk.admin, calendar.id).await.expect("get");
        assert_eq!(
            (stored.name.as_str(), stored.versions.len()),
            ("Tokyo office", 3),
            "[{b}] refusals changed nothing"
        );
    }
}

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Holidays//EN\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[tokio::test]
async fn an_ics_import_adds_only_the_holidays_the_calendar_lacks() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let mut hours = tokyo();
        hours.holidays = vec!["2026-12-25".into()];
        let calendar = t.app.create_calendar(Some(&desk.admin), "Tokyo", hours, t.clock.now()).await.expect("create");
        let (after, added) = t.app.import_holidays(&desk.admin, calendar.id, FEED).await.expect("import");
        let dates: Vec<String> = added.iter().map(|h| h.date.to_string()).collect();
        assert_eq!(dates, ["2026-12-26"], "[{b}] the 25th was there already");
        assert_eq!(after.versions.len(), 2, "[{b}]");
        assert_eq!(after.versions[1].hours.holidays, ["2026-12-25", "2026-12-26"], "[{b}]");

        let (again, added) = t.app.import_holidays(&desk.admin, calendar.id, FEED).await.expect("again");
        assert!(added.is_empty(), "[{b}]");
        assert_eq!(again.versions.len(), 2, "[{b}] nothing new, no version");

        invalid_field(t.app.import_holidays(&desk.admin, calendar.id, "date,name\n2026-12-25,X\n").await, "file");
        let timed =
            FEED.replace("DTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227", "DTSTART:20261225T090000Z");
        invalid_field(t.app.import_holidays(&desk.admin, calendar.id, &timed).await, "file");
        let refused = t.app.import_holidays(&desk.tam, calendar.id, FEED).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}]");
        assert_eq!(t.app.get_calendar(&desk.admin, calendar.id).await.expect("get").versions.len(), 2, "[{b}]");
    }
}

#[tokio::test]
async fn the_default_calendar_must_exist_and_its_change_reaches_open_tickets_without_their_own() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        let before = t.app.store.sla_config().await.expect("config").default_calendar_id;
        assert!(before.is_some(), "[{b}] a fresh installation has a default");
        invalid_field(t.app.set_default_calendar(&desk.admin, Some(CalendarId::new())).await, "calendar_id");
        let refused = t.app.set_default_calendar(&desk.tam, None).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}]");
        assert_eq!(t.app.store.sla_config().await.expect("config").default_calendar_id, before, "[{b}]");

        let tokyo = t.app.create_calendar(Some(&desk.admin), "Tokyo", tokyo(), t.clock.now()).await.expect("create");
        set(&t, "2026-03-02T10:00:00Z");
        t.app.set_default_calendar(&desk.admin, Some(tokyo.id)).await.expect("set");
        assert_eq!(t.app.list_calendars(&desk.support).await.expect("list").1, Some(tokyo.id), "[{b}]");
        let log = t.app.store.ticket_events(ticket.id).await.expect("log");
        let last = log.last().expect("an entry");
        assert_eq!(
            last.kind,
            TicketEventKind::PolicyInputsChanged { tier: desk.account.fields.tier, calendar_id: Some(tokyo.id) },
            "[{b}]"
        );
        assert_eq!(last.at, when("2026-03-02T10:00:00Z"), "[{b}]");
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_eq!(stored.next_check_at, Some(when("2026-03-02T10:00:00Z")), "[{b}] the scanner looks again");
    }
}

#[tokio::test]
async fn an_accounts_new_calendar_and_a_tickets_new_type_reach_its_open_clocks() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        let tokyo = t.app.create_calendar(Some(&desk.admin), "Tokyo", tokyo(), t.clock.now()).await.expect("calendar");
        set(&t, "2026-03-02T09:30:00Z");
        let patch = tamhub_domain::accounts::AccountPatch { calendar_id: Some(Some(tokyo.id)), ..Default::default() };
        t.app.update_account(&desk.tam, desk.account.id, patch).await.expect("the TAM sets the calendar");
        let last = t.app.store.ticket_events(ticket.id).await.expect("log").pop().expect("an entry");
        let expected =
            TicketEventKind::PolicyInputsChanged { tier: desk.account.fields.tier, calendar_id: Some(tokyo.id) };
        assert_eq!((last.kind, last.at), (expected, when("2026-03-02T09:30:00Z")), "[{b}]");
        t.app.sla_scan_once().await.expect("scan");
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_eq!(stored.evaluated_at, when("2026-03-02T09:30:00Z"), "[{b}] the scanner looked again");
        let frt = cycle(&stored.cycles, Metric::FirstResponse, 1);
        assert_eq!(frt.calendar_id, tokyo.id.to_string(), "[{b}] business hours now follow the account's calendar");

        // A policy for incidents comes first; changing the ticket's type puts it under that policy.
        let mut incidents = enterprise_policy(1800, Some(0));
        incidents.name = "Incidents".into();
        incidents.filter.tiers = Vec::new();
        incidents.filter.ticket_types = vec!["incident".into()];
        let incidents = t.app.create_policy(&desk.admin, incidents).await.expect("policy");
        t.app.sla_scan_once().await.expect("scan");
        let policy_of = |cycles: &[tamhub_domain::sla::engine::CycleRecord]| {
            cycle(cycles, Metric::FirstResponse, 1).policy_id.expect("a policy")
        };
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_ne!(policy_of(&stored.cycles), incidents.id.to_string(), "[{b}] a question is not an incident");
        set(&t, "2026-03-02T09:40:00Z");
        let patch = tamhub_domain::tickets::TicketPatch { ticket_type: Some("incident".into()), ..Default::default() };
        t.app.update_ticket(&desk.support, ticket.id, patch).await.expect("retype");
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_eq!(policy_of(&stored.cycles), incidents.id.to_string(), "[{b}]");
        assert_eq!(cycle(&stored.cycles, Metric::FirstResponse, 1).target_seconds, 1800, "[{b}]");
    }
}
