//! Ticket use cases: the clocks a new ticket starts under the default policy, what replies and
//! status changes do to them (SLA-SPEC 1.3-1.7), closed is final, and who may see and change what.

use tamhub_app::tickets::EventInput;
use tamhub_app::{AppError, StatusFilter, TicketQuery};
use tamhub_domain::ids::TicketId;
use tamhub_domain::notifications::AlertKind;
use tamhub_domain::scope::AccountScope;
use tamhub_domain::sla::engine::CycleState;
use tamhub_domain::sla::model::{Hours, Metric};
use tamhub_domain::tickets::{CommentAuthor, Status, TicketDraft, TicketEventKind, TicketPatch};
use tamhub_testkit::TestApp;

use crate::desk::{Desk, comment, cycle, cycles, invalid_field, priority, secs, set, status, when};

const MON_0900: &str = "2026-03-02T09:00:00Z";

#[tokio::test]
async fn a_high_ticket_opened_monday_at_nine_is_due_a_first_response_at_one_and_resolution_on_wednesday() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        assert_eq!((ticket.status, ticket.created_at), (Status::New, when(MON_0900)), "[{b}]");
        set(&t, "2026-03-02T10:00:00Z");
        let cycles = cycles(&t, &desk, &ticket).await;
        let metrics: Vec<Metric> = cycles.iter().map(|c| c.metric).collect();
        assert_eq!(metrics, [Metric::FirstResponse, Metric::Resolution], "[{b}] no periodic update below critical");
        let calendar = t.app.sla_runtime().await.expect("config").record.default_calendar_id.expect("default");
        let frt = cycle(&cycles, Metric::FirstResponse, 1);
        assert_eq!((frt.target_seconds, frt.hours), (4 * 3600, Hours::Business), "[{b}]");
        assert_eq!(frt.calendar_id, calendar.to_string(), "[{b}] the account's calendar is the default one");
        assert_eq!(frt.priority, "high", "[{b}]");
        assert_eq!(frt.started_at, secs(MON_0900), "[{b}]");
        assert_eq!(frt.due_at, Some(secs("2026-03-02T13:00:00Z")), "[{b}]");
        assert_eq!(
            (frt.state, frt.elapsed_seconds, frt.remaining_business_seconds),
            (CycleState::Running, 3600, 3 * 3600)
        );
        // Three business days of 8 hours; the deadline may fall on a closing instant (R-K7).
        let resolution = cycle(&cycles, Metric::Resolution, 1);
        assert_eq!(resolution.target_seconds, 24 * 3600, "[{b}]");
        assert_eq!(resolution.due_at, Some(secs("2026-03-04T17:00:00Z")), "[{b}]");
        // The stored state is the one the ticket was created with, evaluated at creation.
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_eq!(stored.evaluated_at, when(MON_0900), "[{b}]");
        assert_eq!(stored.due_at, Some(when("2026-03-02T13:00:00Z")), "[{b}] what breaches next");
    }
}

#[tokio::test]
async fn critical_clocks_count_calendar_hours_and_lower_priorities_business_days() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        // Friday 16:30: a critical first response is due at 17:30 the same day, a high one on Monday.
        set(&t, "2026-03-06T16:30:00Z");
        let critical = desk.customer_ticket(&t, "critical").await;
        let high = desk.customer_ticket(&t, "high").await;
        let medium = desk.customer_ticket(&t, "medium").await;
        let low = desk.customer_ticket(&t, "low").await;
        let c = cycles(&t, &desk, &critical).await;
        let frt = cycle(&c, Metric::FirstResponse, 1);
        assert_eq!((frt.hours, frt.calendar_id.as_str()), (Hours::Calendar, "24x7"), "[{b}]");
        assert_eq!(frt.due_at, Some(secs("2026-03-06T17:30:00Z")), "[{b}]");
        assert_eq!(cycle(&c, Metric::PeriodicUpdate, 1).due_at, Some(secs("2026-03-06T17:30:00Z")), "[{b}]");
        assert_eq!(cycle(&c, Metric::Resolution, 1).due_at, Some(secs("2026-03-07T16:30:00Z")), "[{b}]");
        let due = |cycles: Vec<_>| cycle(&cycles, Metric::FirstResponse, 1).due_at;
        assert_eq!(due(cycles(&t, &desk, &high).await), Some(secs("2026-03-09T12:30:00Z")), "[{b}]");
        assert_eq!(due(cycles(&t, &desk, &medium).await), Some(secs("2026-03-09T16:30:00Z")), "[{b}]");
        assert_eq!(due(cycles(&t, &desk, &low).await), Some(secs("2026-03-11T16:30:00Z")), "[{b}]");
    }
}

#[tokio::test]
async fn an_agents_public_reply_meets_the_first_response_and_a_private_note_does_not() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        set(&t, "2026-03-02T10:00:00Z");
        t.app.add_ticket_event(&desk.support, ticket.id, comment("Looking internally", false)).await.expect("note");
        let frt = cycle(&cycles(&t, &desk, &ticket).await, Metric::FirstResponse, 1);
        assert_eq!((frt.state, frt.stopped_at), (CycleState::Running, None), "[{b}]");
        set(&t, "2026-03-02T10:30:00Z");
        let (after, added) =
            t.app.add_ticket_event(&desk.support, ticket.id, comment("We are on it", true)).await.expect("reply");
        assert_eq!(added.len(), 1, "[{b}]");
        assert!(
            matches!(added[0].kind, TicketEventKind::Comment { author: CommentAuthor::Agent, public: true, .. }),
            "[{b}]"
        );
        assert_eq!(after.updated_at, when("2026-03-02T10:30:00Z"), "[{b}]");
        set(&t, "2026-03-02T15:00:00Z");
        let frt = cycle(&cycles(&t, &desk, &ticket).await, Metric::FirstResponse, 1);
        assert_eq!(frt.state, CycleState::Met, "[{b}]");
        assert_eq!((frt.stopped_at, frt.elapsed_seconds), (Some(secs("2026-03-02T10:30:00Z")), 5400), "[{b}]");
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_eq!(
            cycle(&stored.cycles, Metric::FirstResponse, 1).state,
            CycleState::Met,
            "[{b}] stored with the reply"
        );
        assert_eq!(stored.due_at, Some(when("2026-03-04T17:00:00Z")), "[{b}] resolution breaches next");
    }
}

#[tokio::test]
async fn a_customer_reply_after_the_agents_opens_a_next_response_cycle() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        set(&t, "2026-03-02T10:00:00Z");
        t.app.add_ticket_event(&desk.tam, ticket.id, comment("What changed?", true)).await.expect("reply");
        set(&t, "2026-03-02T11:00:00Z");
        t.app.add_ticket_event(&desk.customer, ticket.id, comment("Nothing", true)).await.expect("customer");
        set(&t, "2026-03-02T11:30:00Z");
        t.app.add_ticket_event(&desk.customer, ticket.id, comment("Still broken", true)).await.expect("again");
        let nrt = cycle(&cycles(&t, &desk, &ticket).await, Metric::NextResponse, 1);
        assert_eq!(nrt.started_at, secs("2026-03-02T11:00:00Z"), "[{b}] the oldest unanswered message counts");
        assert_eq!(nrt.due_at, Some(secs("2026-03-03T11:00:00Z")), "[{b}] eight business hours");
        set(&t, "2026-03-02T12:00:00Z");
        t.app.add_ticket_event(&desk.support, ticket.id, comment("Fixed", true)).await.expect("answer");
        let nrt = cycle(&cycles(&t, &desk, &ticket).await, Metric::NextResponse, 1);
        assert_eq!((nrt.state, nrt.elapsed_seconds), (CycleState::Met, 3600), "[{b}]");
    }
}

#[tokio::test]
async fn pending_pauses_resolution_and_a_customer_reply_reopens_the_ticket() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        set(&t, "2026-03-02T10:00:00Z");
        let reply =
            EventInput::Comment { body: "Can you send logs?".into(), public: true, status: Some("pending".into()) };
        let (after, added) = t.app.add_ticket_event(&desk.support, ticket.id, reply).await.expect("reply");
        assert_eq!((after.status, added.len()), (Status::Pending, 2), "[{b}]");
        set(&t, "2026-03-02T12:00:00Z");
        let resolution = cycle(&cycles(&t, &desk, &ticket).await, Metric::Resolution, 1);
        assert_eq!((resolution.state, resolution.elapsed_seconds), (CycleState::Paused, 3600), "[{b}]");
        assert_eq!(resolution.due_at, None, "[{b}] no deadline while paused");
        assert_eq!(resolution.paused_seconds_calendar, 7200, "[{b}]");

        let (after, added) =
            t.app.add_ticket_event(&desk.customer, ticket.id, comment("Logs attached", true)).await.expect("customer");
        assert_eq!(after.status, Status::Open, "[{b}]");
        let kinds: Vec<&TicketEventKind> = added.iter().map(|e| &e.kind).collect();
        assert!(matches!(kinds[0], TicketEventKind::Comment { author: CommentAuthor::Customer, .. }), "[{b}]");
        assert_eq!(kinds[1], &TicketEventKind::StatusChanged { from: Status::Pending, to: Status::Open }, "[{b}]");
        assert_eq!(added[1].actor_id, None, "[{b}] the system reopens it");
        let resolution = cycle(&cycles(&t, &desk, &ticket).await, Metric::Resolution, 1);
        assert_eq!(resolution.state, CycleState::Running, "[{b}]");
        assert_eq!(resolution.due_at, Some(secs("2026-03-05T11:00:00Z")), "[{b}] two paused hours later");
    }
}

#[tokio::test]
async fn a_customer_reply_on_a_solved_ticket_reopens_it_with_a_new_resolution_cycle() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "medium").await;
        set(&t, "2026-03-02T11:00:00Z");
        t.app.add_ticket_event(&desk.support, ticket.id, status("solved")).await.expect("solve");
        set(&t, "2026-03-03T10:00:00Z");
        let (after, _) =
            t.app.add_ticket_event(&desk.customer, ticket.id, comment("Back again", true)).await.expect("reply");
        assert_eq!(after.status, Status::Open, "[{b}]");
        let c = cycles(&t, &desk, &ticket).await;
        let first = cycle(&c, Metric::Resolution, 1);
        assert_eq!((first.state, first.stopped_at), (CycleState::Met, Some(secs("2026-03-02T11:00:00Z"))), "[{b}]");
        let second = cycle(&c, Metric::Resolution, 2);
        assert_eq!((second.state, second.started_at), (CycleState::Running, secs("2026-03-03T10:00:00Z")), "[{b}]");
    }
}

#[tokio::test]
async fn closed_is_final_for_status_changes_comments_and_updates() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "low").await;
        set(&t, "2026-03-02T09:05:00Z");
        t.app.add_ticket_event(&desk.tam, ticket.id, status("closed")).await.expect("close");
        let log = t.app.store.ticket_events(ticket.id).await.expect("log");
        let sla = t.app.store.ticket_sla(ticket.id).await.expect("sla");
        assert!(sla.as_ref().is_some_and(|s| s.due_at.is_none() && s.next_check_at.is_none()), "[{b}] {sla:?}");
        set(&t, "2026-03-02T10:00:00Z");
        invalid_field(t.app.add_ticket_event(&desk.tam, ticket.id, status("open")).await, "to");
        invalid_field(t.app.add_ticket_event(&desk.tam, ticket.id, status("closed")).await, "to");
        invalid_field(t.app.add_ticket_event(&desk.tam, ticket.id, comment("Hello?", true)).await, "body");
        invalid_field(t.app.add_ticket_event(&desk.customer, ticket.id, comment("Hello?", true)).await, "body");
        let patch = TicketPatch { status: Some("open".into()), ..TicketPatch::default() };
        invalid_field(t.app.update_ticket(&desk.tam, ticket.id, patch).await, "status");
        assert_eq!(t.app.store.ticket_events(ticket.id).await.expect("log"), log, "[{b}] nothing appended");
        assert_eq!(t.app.store.get_ticket(ticket.id).await.expect("ticket").status, Status::Closed, "[{b}]");
        let c = cycles(&t, &desk, &ticket).await;
        assert!(c.iter().all(|c| c.state == CycleState::Cancelled), "[{b}] closing cancels open cycles: {c:?}");
    }
}

#[tokio::test]
async fn raising_the_priority_retargets_open_clocks_from_their_start_and_can_breach_at_once() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        set(&t, "2026-03-02T10:30:00Z");
        let (after, _) = t.app.add_ticket_event(&desk.support, ticket.id, priority("critical")).await.expect("raise");
        assert_eq!(after.priority, tamhub_domain::tickets::Priority::Critical, "[{b}]");
        // 90 minutes have elapsed against a one-hour target: due at the change, breached right
        // after it (R-T3, G6; A14: breach is strict).
        let frt = cycle(&cycles(&t, &desk, &ticket).await, Metric::FirstResponse, 1);
        assert_eq!((frt.breached, frt.due_at), (false, Some(secs("2026-03-02T10:30:00Z"))), "[{b}] {frt:?}");
        set(&t, "2026-03-02T10:30:01Z");
        let frt = cycle(&cycles(&t, &desk, &ticket).await, Metric::FirstResponse, 1);
        assert!(frt.breached, "[{b}] {frt:?}");
        assert_eq!(frt.breached_at, Some(secs("2026-03-02T10:30:00Z")), "[{b}]");
        assert_eq!((frt.target_seconds, frt.started_at), (3600, secs(MON_0900)), "[{b}]");
        // The scanner picks the deadline the change set up.
        t.app.sla_scan_once().await.expect("scan");
        let alerts = t.app.ticket_alerts(&desk.tam, ticket.id).await.expect("alerts");
        let breach = alerts.iter().find(|a| a.kind == AlertKind::Breach).expect("a breach is recorded");
        assert_eq!(breach.at, when("2026-03-02T10:30:00Z"), "[{b}]");
        for person in [&desk.tam, &desk.backup] {
            let kinds: Vec<String> =
                t.app.notifications(person, false, 50, 0).await.expect("list").into_iter().map(|n| n.kind).collect();
            assert!(kinds.contains(&"sla_breach".to_string()), "[{b}] {}: {kinds:?}", person.user.name);
        }
        // Lowering it again does not undo the breach (R-S6).
        set(&t, "2026-03-02T10:45:00Z");
        t.app.add_ticket_event(&desk.support, ticket.id, priority("low")).await.expect("lower");
        let frt = cycle(&cycles(&t, &desk, &ticket).await, Metric::FirstResponse, 1);
        assert_eq!(frt.breached_at, Some(secs("2026-03-02T10:30:00Z")), "[{b}]");
    }
}

#[tokio::test]
async fn customers_never_see_private_notes_and_cannot_write_them() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "medium").await;
        let (_, added) =
            t.app.add_ticket_event(&desk.tam, ticket.id, comment("Customer is grumpy", false)).await.expect("note");
        assert_eq!(added.len(), 1, "[{b}] staff see their own note");
        t.app.add_ticket_event(&desk.tam, ticket.id, comment("Hello", true)).await.expect("reply");
        let staff = t.app.ticket_events(&desk.support, ticket.id).await.expect("staff");
        let customer = t.app.ticket_events(&desk.customer, ticket.id).await.expect("customer");
        assert_eq!(staff.len(), 3, "[{b}]");
        assert_eq!(customer.len(), 2, "[{b}]");
        assert!(customer.iter().all(|e| !format!("{:?}", e.kind).contains("grumpy")), "[{b}] {customer:?}");
        invalid_field(t.app.add_ticket_event(&desk.customer, ticket.id, comment("secret", false)).await, "public");
        let refused = t.app.add_ticket_event(&desk.customer, ticket.id, status("solved")).await;
        assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}] {refused:?}");
        let with_status = EventInput::Comment { body: "done".into(), public: true, status: Some("solved".into()) };
        assert!(matches!(
            t.app.add_ticket_event(&desk.customer, ticket.id, with_status).await,
            Err(AppError::Forbidden(_))
        ));
        assert_eq!(t.app.ticket_events(&desk.support, ticket.id).await.expect("log").len(), 3, "[{b}] nothing added");
    }
}

#[tokio::test]
async fn a_tam_outside_the_accounts_scope_cannot_see_or_change_its_tickets() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        let who = &desk.other_tam;
        let id = ticket.id;
        assert!(matches!(t.app.get_ticket(who, id).await, Err(AppError::NotFound)), "[{b}]");
        assert!(matches!(t.app.ticket_events(who, id).await, Err(AppError::NotFound)), "[{b}]");
        assert!(matches!(t.app.ticket_sla(who, id).await, Err(AppError::NotFound)), "[{b}]");
        assert!(matches!(t.app.ticket_alerts(who, id).await, Err(AppError::NotFound)), "[{b}]");
        assert!(matches!(t.app.get_escalation(who, id).await, Err(AppError::NotFound)), "[{b}]");
        let patch = TicketPatch { title: Some("Mine now".into()), ..TicketPatch::default() };
        assert!(matches!(t.app.update_ticket(who, id, patch).await, Err(AppError::NotFound)), "[{b}]");
        assert!(matches!(t.app.add_ticket_event(who, id, comment("hi", true)).await, Err(AppError::NotFound)));
        assert!(matches!(
            t.app.add_ticket_event(&desk.other_customer, id, comment("hi", true)).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(t.app.get_ticket(who, TicketId::new()).await, Err(AppError::NotFound)), "[{b}]");
        let listed = t.app.list_tickets(who, TicketQuery::in_scope(AccountScope::All)).await.expect("list");
        assert_eq!(listed.total, 0, "[{b}] the query's scope is replaced by the actor's");
        let draft = TicketDraft {
            account_id: Some(desk.account.id),
            title: "Sneaky".into(),
            priority: "low".into(),
            ..TicketDraft::default()
        };
        invalid_field(t.app.create_ticket(who, draft.clone()).await, "account_id");
        invalid_field(t.app.create_ticket(&desk.other_customer, draft).await, "account_id");
        assert_eq!(t.app.store.ticket_events(id).await.expect("log").len(), 1, "[{b}] nothing changed");
        assert_eq!(t.app.store.get_ticket(id).await.expect("ticket"), ticket, "[{b}]");
        // The other way round: their own account's tickets they see, ours do not see theirs.
        let theirs = TicketDraft { title: "Theirs".into(), priority: "low".into(), ..TicketDraft::default() };
        let theirs = t.app.create_ticket(&desk.other_customer, theirs).await.expect("their ticket");
        assert_eq!(theirs.account_id, desk.elsewhere.id, "[{b}]");
        assert!(t.app.get_ticket(who, theirs.id).await.is_ok(), "[{b}]");
        assert!(matches!(t.app.get_ticket(&desk.tam, theirs.id).await, Err(AppError::NotFound)), "[{b}]");
    }
}

#[tokio::test]
async fn a_pam_may_read_the_tickets_of_their_accounts_but_not_change_them() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        let pam = &desk.pam;
        assert!(t.app.get_ticket(pam, ticket.id).await.is_ok(), "[{b}]");
        assert_eq!(t.app.ticket_events(pam, ticket.id).await.expect("log").len(), 1, "[{b}]");
        assert!(t.app.ticket_sla(pam, ticket.id).await.is_ok(), "[{b}]");
        let q = TicketQuery { status: StatusFilter::All, ..TicketQuery::in_scope(AccountScope::Nothing) };
        assert_eq!(t.app.list_tickets(pam, q).await.expect("list").total, 1, "[{b}]");
        let patch = TicketPatch { title: Some("Renamed".into()), ..TicketPatch::default() };
        assert!(matches!(t.app.update_ticket(pam, ticket.id, patch).await, Err(AppError::Forbidden(_))), "[{b}]");
        for input in [comment("hi", true), status("open"), priority("low")] {
            let refused = t.app.add_ticket_event(pam, ticket.id, input).await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}] {refused:?}");
        }
        let draft = TicketDraft {
            account_id: Some(desk.account.id),
            title: "PAM ticket".into(),
            priority: "low".into(),
            ..TicketDraft::default()
        };
        assert!(matches!(t.app.create_ticket(pam, draft).await, Err(AppError::Forbidden(_))), "[{b}]");
        assert_eq!(t.app.store.get_ticket(ticket.id).await.expect("ticket"), ticket, "[{b}] nothing changed");
    }
}

#[tokio::test]
async fn the_assignee_must_be_an_agent_on_the_account_and_the_requester_one_of_its_contacts() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let base = TicketDraft {
            account_id: Some(desk.account.id),
            title: "Agent-opened".into(),
            priority: "medium".into(),
            ..TicketDraft::default()
        };
        let with = |assignee: Option<&tamhub_app::Actor>, requester: Option<&tamhub_app::Actor>| TicketDraft {
            assignee_id: assignee.map(|a| a.user.id),
            requester_id: requester.map(|a| a.user.id),
            ..base.clone()
        };
        invalid_field(t.app.create_ticket(&desk.tam, with(Some(&desk.other_tam), None)).await, "assignee_id");
        invalid_field(t.app.create_ticket(&desk.tam, with(Some(&desk.pam), None)).await, "assignee_id");
        invalid_field(t.app.create_ticket(&desk.tam, with(Some(&desk.customer), None)).await, "assignee_id");
        invalid_field(t.app.create_ticket(&desk.tam, with(None, Some(&desk.other_customer))).await, "requester_id");
        invalid_field(t.app.create_ticket(&desk.tam, with(None, Some(&desk.support))).await, "requester_id");
        let q = TicketQuery { status: StatusFilter::All, ..TicketQuery::in_scope(AccountScope::All) };
        assert_eq!(t.app.list_tickets(&desk.admin, q.clone()).await.expect("list").total, 0, "[{b}] none created");

        let ticket = t.app.create_ticket(&desk.tam, with(Some(&desk.support), Some(&desk.customer))).await.expect("ok");
        assert_eq!(
            (ticket.assignee_id, ticket.requester_id),
            (Some(desk.support.user.id), Some(desk.customer.user.id))
        );
        let log = t.app.store.ticket_events(ticket.id).await.expect("log");
        assert!(matches!(log[0].kind, TicketEventKind::Created { by: CommentAuthor::Agent, .. }), "[{b}]");
        assert_eq!(
            log[1].kind,
            TicketEventKind::AssigneeChanged { from: None, to: Some(desk.support.user.id) },
            "[{b}]"
        );
        let reassign =
            |who: &tamhub_app::Actor| TicketPatch { assignee_id: Some(Some(who.user.id)), ..TicketPatch::default() };
        invalid_field(t.app.update_ticket(&desk.tam, ticket.id, reassign(&desk.other_tam)).await, "assignee_id");
        let moved = t.app.update_ticket(&desk.tam, ticket.id, reassign(&desk.backup)).await.expect("reassign");
        assert_eq!(moved.assignee_id, Some(desk.backup.user.id), "[{b}]");
        let unassign = TicketPatch { assignee_id: Some(None), ..TicketPatch::default() };
        assert_eq!(t.app.update_ticket(&desk.tam, ticket.id, unassign).await.expect("unassign").assignee_id, None);
        // A customer's ticket is theirs: the requester is the customer, nobody is assigned.
        let mine = TicketDraft { account_id: None, ..with(Some(&desk.support), Some(&desk.other_customer)) };
        let opened = t.app.create_ticket(&desk.customer, mine).await.expect("customer ticket");
        assert_eq!(
            (opened.account_id, opened.requester_id, opened.assignee_id),
            (desk.account.id, Some(desk.customer.user.id), None)
        );
    }
}

#[tokio::test]
async fn an_agents_private_description_defers_the_first_response_to_the_customers_first_message() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let draft = |public: bool| TicketDraft {
            account_id: Some(desk.account.id),
            title: "Opened by phone".into(),
            description: "Customer called about checkout".into(),
            priority: "high".into(),
            public,
            ..TicketDraft::default()
        };
        let private = t.app.create_ticket(&desk.tam, draft(false)).await.expect("private");
        let public = t.app.create_ticket(&desk.tam, draft(true)).await.expect("public");
        set(&t, "2026-03-02T10:00:00Z");
        // A8: no customer message yet, so no first-response cycle; the public description does not
        // answer the ticket it opens (R-M1).
        assert!(cycles(&t, &desk, &private).await.iter().all(|c| c.metric != Metric::FirstResponse), "[{b}]");
        let frt = cycle(&cycles(&t, &desk, &public).await, Metric::FirstResponse, 1);
        assert_eq!((frt.started_at, frt.state), (secs(MON_0900), CycleState::Running), "[{b}]");
        for ticket in [&private, &public] {
            t.app
                .add_ticket_event(&desk.customer, ticket.id, comment("Here are the details", true))
                .await
                .expect("reply");
        }
        let frt = cycle(&cycles(&t, &desk, &private).await, Metric::FirstResponse, 1);
        assert_eq!(frt.started_at, secs("2026-03-02T10:00:00Z"), "[{b}]");
        assert_eq!(frt.due_at, Some(secs("2026-03-02T14:00:00Z")), "[{b}]");
        let created = &t.app.store.ticket_events(private.id).await.expect("log")[0].kind;
        assert!(matches!(created, TicketEventKind::Created { by: CommentAuthor::Agent, public: false, .. }), "[{b}]");
        let visible = t.app.ticket_events(&desk.customer, private.id).await.expect("log");
        assert!(
            visible.iter().any(|e| matches!(e.kind, TicketEventKind::Created { .. })),
            "[{b}] the creation is visible"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_to_one_ticket_all_land_each_planned_again_on_the_others_log() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        set(&t, "2026-03-02T10:00:00Z");
        // Two servers on one database, five writers. A writer loses an attempt only to another
        // writer's success, so with five attempts each every one of them lands.
        let servers = [t.app.clone(), tamhub_app::App::new(t.app.store.clone(), t.clock.clone(), Default::default())];
        let mut writers = Vec::new();
        for i in 0..5 {
            let app = servers[i % 2].clone();
            let agent = if i % 2 == 0 { desk.support.clone() } else { desk.tam.clone() };
            let id = ticket.id;
            writers.push(tokio::spawn(async move {
                app.add_ticket_event(&agent, id, comment(&format!("reply {i}"), true)).await
            }));
        }
        for w in writers {
            w.await.expect("writer").unwrap_or_else(|e| panic!("[{b}] {e:?}"));
        }
        let log = t.app.store.ticket_events(ticket.id).await.expect("log");
        assert_eq!(log.len(), 6, "[{b}] every change is in the log, once");
        let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=log.len() as i64).collect::<Vec<_>>(), "[{b}] no gaps, no repeats");
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        let frt = cycle(&stored.cycles, Metric::FirstResponse, 1);
        assert_eq!(frt.state, CycleState::Met, "[{b}] the stored state saw the whole log");
    }
}
