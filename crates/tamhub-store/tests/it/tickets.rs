//! Tickets: numbering, optimistic concurrency on the event log, the log itself (every kind, append
//! only), escalations, and the open-ticket list the SLA configuration works on.

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Tier;
use tamhub_domain::escalations::{Escalation, EscalationBrief, Evidence, Severity};
use tamhub_domain::ids::{AccountId, CalendarId, EscalationId, NotificationId, TicketId, UserId};
use tamhub_domain::notifications::{AlertKind, Notification, SlaAlert};
use tamhub_domain::sla::engine::{CycleRecord, CycleState, Warning, WarningKind};
use tamhub_domain::sla::model::{Hours, Metric};
use tamhub_domain::tickets::{CommentAuthor, Priority, Status, Ticket, TicketEvent, TicketEventKind, TicketType};
use tamhub_domain::users::Role;
use tamhub_store::{AlertNotices, AuditQuery, SlaSnapshot, StoreError, TicketChange};
use tamhub_testkit::stores::{pg_store, sqlite_store};

use crate::{DynStore, account, add_account, add_user, at, audit_for, each_store, fields};

/// A ticket on `account`, not yet stored (the store gives it its number).
pub fn ticket(account: AccountId, title: &str) -> Ticket {
    Ticket {
        id: TicketId::new(),
        number: 0,
        account_id: account,
        title: title.into(),
        description: "It broke.".into(),
        priority: Priority::Medium,
        status: Status::New,
        ticket_type: TicketType::Question,
        assignee_id: None,
        requester_id: None,
        created_by: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn event(t: &Ticket, seq: i64, seconds: i64, kind: TicketEventKind) -> TicketEvent {
    TicketEvent { ticket_id: t.id, seq, at: at(seconds), actor_id: None, kind }
}

pub fn created(t: &Ticket) -> TicketEventKind {
    TicketEventKind::Created {
        priority: t.priority,
        ticket_type: t.ticket_type,
        by: CommentAuthor::Customer,
        public: true,
        tier: Tier::Enterprise,
        calendar_id: None,
    }
}

pub fn comment(author: CommentAuthor, body: &str) -> TicketEventKind {
    TicketEventKind::Comment { author, public: true, body: body.into() }
}

pub fn empty_sla(evaluated_at: Timestamp) -> SlaSnapshot {
    SlaSnapshot { evaluated_at, cycles: Vec::new(), due_at: None, next_check_at: None }
}

/// A change of a stored ticket planned on a log ending at `expected_last_seq`.
pub fn change(t: &Ticket, expected_last_seq: i64, events: Vec<TicketEvent>) -> TicketChange {
    TicketChange {
        ticket: t.clone(),
        is_new: false,
        expected_last_seq,
        events,
        sla: empty_sla(t.updated_at),
        alerts: Vec::new(),
        notifications: Vec::new(),
        escalation: None,
        audit: Vec::new(),
    }
}

/// Stores a new ticket with its `created` event (seq 1) and returns it as stored.
pub async fn add_ticket(store: &DynStore, t: Ticket) -> Ticket {
    let first = event(&t, 1, t.created_at.as_second() - at(0).as_second(), created(&t));
    let new = TicketChange { is_new: true, expected_last_seq: 0, ..change(&t, 0, vec![first]) };
    store.save_ticket_change(&new).await.expect("create ticket")
}

pub fn notification(user: UserId, ticket: &Ticket, seconds: i64, title: &str) -> Notification {
    Notification {
        id: NotificationId::new(),
        user_id: user,
        at: at(seconds),
        kind: "sla_warning".into(),
        account_id: Some(ticket.account_id),
        ticket_id: Some(ticket.id),
        incident_id: None,
        action_id: None,
        title: title.into(),
        body: "body".into(),
        read_at: None,
    }
}

pub fn alert(t: &Ticket, kind: AlertKind, threshold: i64, seconds: i64) -> SlaAlert {
    SlaAlert { ticket_id: t.id, metric: Metric::FirstResponse, cycle_no: 1, kind, threshold, at: at(seconds) }
}

/// A cycle record with every field set, so a round trip through the store shows any loss.
pub fn cycle(metric: Metric, due: i64) -> CycleRecord {
    CycleRecord {
        metric,
        cycle_no: 2,
        policy_id: Some("policy-1".into()),
        priority: "high".into(),
        target_seconds: 14_400,
        hours: Hours::Business,
        calendar_id: "24x7".into(),
        started_at: at(0).as_second(),
        stopped_at: None,
        state: CycleState::Running,
        breached: false,
        breached_at: None,
        due_at: Some(at(due).as_second()),
        elapsed_seconds: 600,
        remaining_business_seconds: 13_800,
        remaining_calendar_seconds: Some(13_800),
        paused_seconds_calendar: 30,
        warnings: vec![Warning { kind: WarningKind::Percent, threshold: 75, at: at(10).as_second() }],
    }
}

async fn notifications_of(store: &DynStore, user: UserId) -> Vec<Notification> {
    store.list_notifications(user, false, 100, 0).await.expect("notifications")
}

async fn audit_count(store: &DynStore) -> usize {
    store.list_audit(&AuditQuery { limit: 500, ..AuditQuery::default() }).await.expect("audit").len()
}

#[tokio::test]
async fn new_tickets_get_increasing_numbers_and_read_back_with_every_field() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let agent = add_user(&store, "agent@example.com", Role::Support).await;
        let mut contact = crate::user("contact@example.com", Role::Customer);
        contact.account_id = Some(acme.id);
        store.create_user(&contact, "hash", &audit_for("user", contact.id, "create")).await.expect("contact");
        let mut numbers = Vec::new();
        for i in 0..4 {
            let mut t = ticket(acme.id, &format!("Ticket {i} ✓"));
            t.priority = Priority::ALL[i % 4].0;
            t.status = Status::ALL[i].0;
            t.ticket_type = TicketType::ALL[i].0;
            t.assignee_id = (i % 2 == 0).then_some(agent.id);
            t.requester_id = Some(contact.id);
            t.created_by = Some(agent.id);
            t.created_at = Timestamp::from_millisecond(1_750_000_000_123 + i as i64 * 1000).expect("ts");
            t.updated_at = at(50 + i as i64);
            let stored = add_ticket(&store, t.clone()).await;
            assert_eq!(Ticket { number: stored.number, ..t }, stored, "{backend}: only the number is assigned");
            assert_eq!(store.get_ticket(stored.id).await.expect("get"), stored, "{backend}");
            numbers.push(stored.number);
        }
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{backend}: {numbers:?}");
        assert!(numbers[0] > 0, "{backend}: {numbers:?}");
        assert!(matches!(store.get_ticket(TicketId::new()).await, Err(StoreError::NotFound)), "{backend}");
        assert!(store.ticket_events(TicketId::new()).await.expect("events").is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn a_change_planned_on_a_stale_log_is_refused_and_writes_nothing_of_it() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let tam = add_user(&store, "tam@example.com", Role::Tam).await;
        let t = add_ticket(&store, ticket(acme.id, "Login fails")).await;
        let audit_before = audit_count(&store).await;

        // Two writers read the log at seq 1; the first one's change lands.
        let mut first = t.clone();
        first.status = Status::Open;
        first.updated_at = at(100);
        let mut winner = change(&first, 1, vec![event(&t, 2, 100, comment(CommentAuthor::Agent, "first"))]);
        winner.notifications = vec![notification(tam.id, &t, 100, "first")];
        winner.audit = vec![audit_for("ticket", t.id, "event")];
        store.save_ticket_change(&winner).await.expect("the first change lands");

        let mut second = t.clone();
        second.title = "Stale title".into();
        second.priority = Priority::Critical;
        second.updated_at = at(101);
        let mut stale = change(&second, 1, vec![event(&t, 2, 101, comment(CommentAuthor::Agent, "second"))]);
        stale.sla = SlaSnapshot { next_check_at: Some(at(5)), ..empty_sla(at(101)) };
        stale.notifications = vec![notification(tam.id, &t, 101, "second")];
        stale.alerts = vec![AlertNotices {
            alert: alert(&t, AlertKind::Breach, 0, 99),
            notifications: vec![notification(tam.id, &t, 99, "breach")],
        }];
        stale.escalation = Some(escalation(&t, None));
        stale.audit = vec![audit_for("ticket", t.id, "stale")];
        let refused = store.save_ticket_change(&stale).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{backend}: {refused:?}");

        assert_eq!(store.get_ticket(t.id).await.expect("get"), first, "{backend}: the ticket row is the winner's");
        let log = store.ticket_events(t.id).await.expect("events");
        assert_eq!(log.len(), 2, "{backend}: {log:?}");
        assert_eq!(log[1], winner.events[0], "{backend}");
        let titles: Vec<String> = notifications_of(&store, tam.id).await.into_iter().map(|n| n.title).collect();
        assert_eq!(titles, ["first"], "{backend}: no notification of the stale change");
        assert!(store.ticket_alerts(t.id).await.expect("alerts").is_empty(), "{backend}");
        assert_eq!(store.get_escalation(t.id).await.expect("escalation"), None, "{backend}");
        assert_eq!(store.ticket_sla(t.id).await.expect("sla"), Some(empty_sla(at(100))), "{backend}");
        assert_eq!(audit_count(&store).await, audit_before + 1, "{backend}: only the winner's audit entry");

        // Planned again on the current log, the same change goes through.
        let replanned = TicketChange {
            expected_last_seq: 2,
            events: vec![event(&t, 3, 101, comment(CommentAuthor::Agent, "second"))],
            ..stale
        };
        store.save_ticket_change(&replanned).await.expect("replanned");
        assert_eq!(store.ticket_events(t.id).await.expect("events").len(), 3, "{backend}");

        let ghost = change(&ticket(acme.id, "Ghost"), 0, Vec::new());
        let missing = store.save_ticket_change(&ghost).await;
        assert!(matches!(missing, Err(StoreError::NotFound)), "{backend}: {missing:?}");
    }
}

#[tokio::test]
async fn the_event_log_round_trips_every_event_kind_in_seq_order() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let agent = add_user(&store, "agent@example.com", Role::Support).await;
        let t = add_ticket(&store, ticket(acme.id, "Everything")).await;
        let other = add_ticket(&store, ticket(acme.id, "Other")).await;
        let calendar = CalendarId::new();
        let kinds = vec![
            comment(CommentAuthor::Customer, "Line one\nline two ✓ <b>"),
            TicketEventKind::Comment { author: CommentAuthor::Agent, public: false, body: "private".into() },
            comment(CommentAuthor::System, "bot"),
            TicketEventKind::StatusChanged { from: Status::New, to: Status::OnHold },
            TicketEventKind::PriorityChanged { from: Priority::Medium, to: Priority::Critical },
            TicketEventKind::AssigneeChanged { from: None, to: Some(agent.id) },
            TicketEventKind::AssigneeChanged { from: Some(agent.id), to: None },
            TicketEventKind::TypeChanged { from: TicketType::Question, to: TicketType::Incident },
            TicketEventKind::PolicyInputsChanged { tier: Tier::EnterpriseOnRamp, calendar_id: Some(calendar) },
            TicketEventKind::PolicyInputsChanged { tier: Tier::Business, calendar_id: None },
            TicketEventKind::Escalated { engineering_team: "Payments".into() },
            TicketEventKind::EscalationAcknowledged { time_to_engage_seconds: 1_500 },
            TicketEventKind::Created {
                priority: Priority::Low,
                ticket_type: TicketType::Task,
                by: CommentAuthor::Agent,
                public: false,
                tier: Tier::Business,
                calendar_id: Some(calendar),
            },
        ];
        // Several entries share an instant: `seq` alone orders them (R-C4).
        let events: Vec<TicketEvent> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| TicketEvent {
                actor_id: (i % 3 == 0).then_some(agent.id),
                ..event(&t, i as i64 + 2, 10 + i as i64 / 3, kind)
            })
            .collect();
        store.save_ticket_change(&change(&t, 1, events.clone())).await.expect("append");
        let log = store.ticket_events(t.id).await.expect("events");
        assert_eq!(log[0].kind, created(&t), "{backend}");
        assert_eq!(&log[1..], &events[..], "{backend}");
        let names: Vec<&str> = log.iter().map(|e| e.kind.name()).collect();
        for name in [
            "created",
            "comment",
            "status_changed",
            "priority_changed",
            "assignee_changed",
            "type_changed",
            "policy_inputs_changed",
            "escalated",
            "escalation_acknowledged",
        ] {
            assert!(names.contains(&name), "{backend}: {name} not covered");
        }

        let both = store.ticket_events_of(&[other.id, t.id]).await.expect("events of");
        assert_eq!(both.len(), log.len() + 1, "{backend}");
        let mut by_ticket = both.iter().map(|e| (e.ticket_id, e.seq)).collect::<Vec<_>>();
        let sorted = {
            let mut s = by_ticket.clone();
            s.sort();
            s
        };
        assert_eq!(by_ticket, sorted, "{backend}: grouped by ticket, in seq order");
        by_ticket.dedup();
        assert_eq!(by_ticket.len(), both.len(), "{backend}");
        assert!(store.ticket_events_of(&[]).await.expect("none").is_empty(), "{backend}");
    }
}

fn assert_refused(backend: &str, statement: &str, result: Result<impl std::fmt::Debug, sqlx::Error>) {
    match result {
        Ok(done) => panic!("{backend}: {statement} succeeded: {done:?}"),
        Err(err) => assert!(err.to_string().contains("append-only"), "{backend}: {statement}: {err}"),
    }
}

const TAMPERING: [&str; 3] = [
    "UPDATE ticket_events SET kind = 'tampered'",
    "UPDATE ticket_events SET seq = seq + 100",
    "DELETE FROM ticket_events",
];

#[tokio::test]
async fn ticket_events_cannot_be_updated_or_deleted_even_with_raw_sql() {
    let sqlite = sqlite_store().await;
    let pg = pg_store().await;
    let mut stores: Vec<(&str, DynStore)> = vec![("sqlite", sqlite.clone())];
    if let Some(pg) = &pg {
        stores.push(("postgres", pg.clone()));
    }
    let mut tickets = Vec::new();
    for (_, store) in &stores {
        let acme = add_account(store, account(fields("Acme"))).await;
        tickets.push(add_ticket(store, ticket(acme.id, "Immutable")).await);
    }
    for statement in TAMPERING {
        assert_refused("sqlite", statement, sqlx::query(statement).execute(sqlite.pool()).await);
        if let Some(pg) = &pg {
            assert_refused("postgres", statement, sqlx::query(statement).execute(pg.pool()).await);
        }
    }
    for ((backend, store), t) in stores.iter().zip(&tickets) {
        let log = store.ticket_events(t.id).await.expect("events");
        assert_eq!(log.len(), 1, "{backend}");
        assert_eq!(log[0].kind, created(t), "{backend}");
    }
}

pub fn escalation(t: &Ticket, owner: Option<UserId>) -> Escalation {
    Escalation {
        id: EscalationId::new(),
        ticket_id: t.id,
        brief: EscalationBrief {
            summary: "Checkout fails".into(),
            customer_impact: "Revenue".into(),
            severity: Severity::P1,
            environment: "eu-west-1".into(),
            reproduction_steps: "1. buy\n2. fail".into(),
            evidence: Evidence {
                logs: "502".into(),
                request_ids: vec!["req-1".into()],
                timestamps: vec!["2026-03-02T14:05:00Z".into()],
            },
            timeline: "14:00 deploy".into(),
            comms_plan: "Bridge every 30 minutes".into(),
        },
        engineering_team: "Payments".into(),
        engineering_owner_id: owner,
        escalated_by: None,
        escalated_at: at(200),
        acknowledged_by: None,
        acknowledged_at: None,
        completeness_score: 4,
        reviewer_score: None,
        reviewer_id: None,
        reviewer_note: String::new(),
        reviewed_at: None,
    }
}

#[tokio::test]
async fn an_escalation_is_saved_with_its_ticket_updated_in_place_and_one_per_ticket() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let engineer = add_user(&store, "eng@example.com", Role::Support).await;
        let lead = add_user(&store, "lead@example.com", Role::Leadership).await;
        let t = add_ticket(&store, ticket(acme.id, "Escalate me")).await;
        assert_eq!(store.get_escalation(t.id).await.expect("none yet"), None, "{backend}");

        let mut filed = escalation(&t, Some(engineer.id));
        filed.escalated_by = Some(lead.id);
        let escalated = TicketEventKind::Escalated { engineering_team: "Payments".into() };
        let write =
            TicketChange { escalation: Some(filed.clone()), ..change(&t, 1, vec![event(&t, 2, 200, escalated)]) };
        store.save_ticket_change(&write).await.expect("escalate");
        assert_eq!(store.get_escalation(t.id).await.expect("get"), Some(filed.clone()), "{backend}");

        let mut acknowledged = filed.clone();
        acknowledged.acknowledged_by = Some(engineer.id);
        acknowledged.acknowledged_at = Some(at(1_700));
        let ack = TicketEventKind::EscalationAcknowledged { time_to_engage_seconds: 1_500 };
        let write =
            TicketChange { escalation: Some(acknowledged.clone()), ..change(&t, 2, vec![event(&t, 3, 1_700, ack)]) };
        store.save_ticket_change(&write).await.expect("acknowledge");
        assert_eq!(store.get_escalation(t.id).await.expect("get"), Some(acknowledged.clone()), "{backend}");

        let mut reviewed = acknowledged.clone();
        reviewed.reviewer_score = Some(3);
        reviewed.reviewer_id = Some(lead.id);
        reviewed.reviewer_note = "Add the request ids next time ✓".into();
        reviewed.reviewed_at = Some(at(2_000));
        // Fields fixed at filing time are not rewritten by an update.
        let mut tampered = reviewed.clone();
        tampered.completeness_score = 1;
        tampered.engineering_team = "Other".into();
        let write = TicketChange { escalation: Some(tampered), ..change(&t, 3, Vec::new()) };
        store.save_ticket_change(&write).await.expect("review");
        assert_eq!(store.get_escalation(t.id).await.expect("get"), Some(reviewed.clone()), "{backend}");

        // A second escalation of the same ticket is a conflict, and its change is not written.
        let other = escalation(&t, None);
        let mut write = TicketChange {
            escalation: Some(other),
            ..change(&t, 3, vec![event(&t, 4, 2_100, comment(CommentAuthor::Agent, "again"))])
        };
        write.audit = vec![audit_for("ticket", t.id, "escalate")];
        let before = audit_count(&store).await;
        let refused = store.save_ticket_change(&write).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{backend}: {refused:?}");
        assert_eq!(store.get_escalation(t.id).await.expect("get"), Some(reviewed), "{backend}");
        assert_eq!(store.ticket_events(t.id).await.expect("events").len(), 3, "{backend}");
        assert_eq!(audit_count(&store).await, before, "{backend}");
    }
}

#[tokio::test]
async fn open_ticket_ids_are_the_tickets_not_closed_of_one_account_or_all() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let beta = add_account(&store, account(fields("Beta"))).await;
        let mut expected_acme = Vec::new();
        let mut expected_all = Vec::new();
        for (i, (status, _)) in Status::ALL.iter().enumerate() {
            for owner in [&acme, &beta] {
                let mut t = ticket(owner.id, &format!("{i}"));
                t.status = *status;
                let t = add_ticket(&store, t).await;
                if *status != Status::Closed {
                    expected_all.push(t.id);
                    if owner.id == acme.id {
                        expected_acme.push(t.id);
                    }
                }
            }
        }
        assert_eq!(store.open_ticket_ids(Some(acme.id)).await.expect("acme"), expected_acme, "{backend}");
        assert_eq!(store.open_ticket_ids(None).await.expect("all"), expected_all, "{backend}");
        assert!(store.open_ticket_ids(Some(AccountId::new())).await.expect("none").is_empty(), "{backend}");
    }
}
