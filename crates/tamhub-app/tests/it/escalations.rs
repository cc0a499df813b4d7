//! Escalating a ticket to engineering: the brief is complete or refused part by part, its rubric
//! score is 1-5, a ticket is escalated once, its engineering owner acknowledges (time-to-engage),
//! and someone other than its author reviews it.

use tamhub_app::AppError;
use tamhub_app::Clock;
use tamhub_app::escalations::EscalationInput;
use tamhub_domain::SignedDuration;
use tamhub_domain::escalations::{EscalationBriefDraft, Evidence};
use tamhub_domain::tickets::{Ticket, TicketEventKind};
use tamhub_testkit::TestApp;

use crate::desk::{Desk, invalid_field};

fn complete_brief() -> EscalationBriefDraft {
    EscalationBriefDraft {
        summary: "Checkout API returns 502 for one in five requests since the 14:00 deploy".into(),
        customer_impact:
            "About 20 percent of Acme's customer checkouts fail, losing an estimated 40k USD per hour of revenue".into(),
        severity: "P1".into(),
        environment: "eu-west-1, checkout-service v2.14.3 behind ALB".into(),
        reproduction_steps: "1. POST /v2/checkout with 3 items\n2. Repeat 20 times\n3. About 4 answer 502".into(),
        evidence: Evidence {
            logs: "upstream prematurely closed connection".into(),
            request_ids: vec!["req-7f3a".into()],
            timestamps: vec!["2026-03-02T08:05:00Z".into()],
        },
        timeline: "08:00 deploy v2.14.3\n08:05 first 502s".into(),
        comms_plan: "TAM updates Acme's incident bridge every 30 minutes until mitigated, then a daily summary".into(),
    }
}

fn input(brief: EscalationBriefDraft, owner: Option<&tamhub_app::Actor>) -> EscalationInput {
    EscalationInput { brief, engineering_team: "Payments".into(), engineering_owner_id: owner.map(|o| o.user.id) }
}

async fn escalated(t: &TestApp, desk: &Desk) -> Ticket {
    let ticket = desk.customer_ticket(t, "critical").await;
    t.app
        .escalate_ticket(&desk.support, ticket.id, input(complete_brief(), Some(&desk.backup)))
        .await
        .expect("escalate");
    ticket
}

#[tokio::test]
async fn an_escalation_needs_every_part_of_the_brief_and_names_each_one_missing() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        let empty = EscalationInput::default();
        match t.app.escalate_ticket(&desk.support, ticket.id, empty).await {
            Err(AppError::Invalid { fields, .. }) => {
                for field in [
                    "engineering_team",
                    "brief.summary",
                    "brief.customer_impact",
                    "brief.severity",
                    "brief.environment",
                    "brief.reproduction_steps",
                    "brief.evidence",
                    "brief.timeline",
                    "brief.comms_plan",
                ] {
                    assert!(fields.get(field).is_some(), "[{b}] {field} not named in {fields:?}");
                }
            }
            other => panic!("[{b}] expected every part named, got {other:?}"),
        }
        let mut one_missing = complete_brief();
        one_missing.comms_plan = "   ".into();
        invalid_field(
            t.app.escalate_ticket(&desk.support, ticket.id, input(one_missing, None)).await,
            "brief.comms_plan",
        );
        let mut bad_severity = complete_brief();
        bad_severity.severity = "P7".into();
        invalid_field(
            t.app.escalate_ticket(&desk.support, ticket.id, input(bad_severity, None)).await,
            "brief.severity",
        );
        invalid_field(
            t.app.escalate_ticket(&desk.support, ticket.id, input(complete_brief(), Some(&desk.other_tam))).await,
            "engineering_owner_id",
        );
        invalid_field(
            t.app.escalate_ticket(&desk.support, ticket.id, input(complete_brief(), Some(&desk.customer))).await,
            "engineering_owner_id",
        );
        assert_eq!(t.app.get_escalation(&desk.admin, ticket.id).await.expect("get"), None, "[{b}] nothing filed");
        assert_eq!(t.app.store.ticket_events(ticket.id).await.expect("log").len(), 1, "[{b}]");
        for who in [&desk.pam, &desk.customer] {
            let refused = t.app.escalate_ticket(who, ticket.id, input(complete_brief(), None)).await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}] {}: {refused:?}", who.user.name);
        }
        let refused = t.app.escalate_ticket(&desk.other_tam, ticket.id, input(complete_brief(), None)).await;
        assert!(matches!(refused, Err(AppError::NotFound)), "[{b}] outside scope");
    }
}

#[tokio::test]
async fn a_brief_scores_one_to_five_and_a_ticket_is_escalated_only_once() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "critical").await;
        let filed = t.app.escalate_ticket(&desk.support, ticket.id, input(complete_brief(), Some(&desk.backup))).await;
        let filed = filed.expect("escalate");
        assert_eq!((filed.completeness_score, filed.quality_score()), (5, 5), "[{b}]");
        assert_eq!((filed.escalated_by, filed.escalated_at), (Some(desk.support.user.id), t.clock.now()), "[{b}]");
        let log = t.app.store.ticket_events(ticket.id).await.expect("log");
        assert_eq!(
            log.last().map(|e| &e.kind),
            Some(&TicketEventKind::Escalated { engineering_team: "Payments".into() })
        );
        let owner = t.app.notifications(&desk.backup, false, 10, 0).await.expect("list");
        assert!(owner.iter().any(|n| n.kind == "escalation"), "[{b}] the owner is asked to acknowledge: {owner:?}");
        let seen_by_customer = t.app.ticket_events(&desk.customer, ticket.id).await.expect("customer's log");
        assert!(
            seen_by_customer.iter().all(|e| !matches!(e.kind, TicketEventKind::Escalated { .. })),
            "[{b}] the escalation is internal: {seen_by_customer:?}"
        );
        assert_eq!(t.app.get_escalation(&desk.customer, ticket.id).await.expect("read"), None, "[{b}] no brief either");

        let again = t.app.escalate_ticket(&desk.tam, ticket.id, input(complete_brief(), None)).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "[{b}] {again:?}");
        assert_eq!(t.app.store.ticket_events(ticket.id).await.expect("log").len(), log.len(), "[{b}]");

        let thin = EscalationBriefDraft {
            summary: "Broken".into(),
            customer_impact: "Bad".into(),
            severity: "P3".into(),
            environment: "prod".into(),
            reproduction_steps: "call it".into(),
            evidence: Evidence { logs: "error".into(), ..Evidence::default() },
            timeline: "today".into(),
            comms_plan: "email".into(),
        };
        let other = desk.customer_ticket(&t, "low").await;
        let low = t.app.escalate_ticket(&desk.tam, other.id, input(thin, None)).await.expect("thin brief");
        assert_eq!(low.completeness_score, 1, "[{b}]");
        // Customers do not see the internal brief.
        assert_eq!(t.app.get_escalation(&desk.customer, ticket.id).await.expect("get"), None, "[{b}]");
        assert_eq!(t.app.get_escalation(&desk.pam, ticket.id).await.expect("get"), Some(filed), "[{b}]");
    }
}

#[tokio::test]
async fn only_the_engineering_owner_or_leadership_acknowledges_and_time_to_engage_is_ack_minus_escalation() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = escalated(&t, &desk).await;
        let filed_at = t.clock.now();
        t.clock.advance(SignedDuration::from_mins(25));
        for who in [&desk.tam, &desk.support, &desk.pam, &desk.customer] {
            let refused = t.app.acknowledge_escalation(who, ticket.id).await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}] {}: {refused:?}", who.user.name);
        }
        let ack = t.app.acknowledge_escalation(&desk.backup, ticket.id).await.expect("acknowledge");
        assert_eq!((ack.acknowledged_by, ack.acknowledged_at), (Some(desk.backup.user.id), Some(t.clock.now())));
        assert_eq!(ack.escalated_at, filed_at, "[{b}]");
        assert_eq!(ack.time_to_engage_seconds(), Some(1500), "[{b}]");
        let log = t.app.store.ticket_events(ticket.id).await.expect("log");
        assert_eq!(
            log.last().map(|e| &e.kind),
            Some(&TicketEventKind::EscalationAcknowledged { time_to_engage_seconds: 1500 }),
            "[{b}]"
        );
        let author = t.app.notifications(&desk.support, false, 10, 0).await.expect("list");
        assert!(author.iter().any(|n| n.kind == "escalation_acknowledged"), "[{b}] {author:?}");
        let again = t.app.acknowledge_escalation(&desk.lead, ticket.id).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "[{b}] {again:?}");

        // Leadership may acknowledge for an owner; without an owner, any agent on the account may.
        let second = escalated(&t, &desk).await;
        assert!(t.app.acknowledge_escalation(&desk.lead, second.id).await.is_ok(), "[{b}]");
        let third = desk.customer_ticket(&t, "high").await;
        t.app.escalate_ticket(&desk.tam, third.id, input(complete_brief(), None)).await.expect("no owner");
        assert!(matches!(t.app.acknowledge_escalation(&desk.pam, third.id).await, Err(AppError::Forbidden(_))));
        assert!(t.app.acknowledge_escalation(&desk.support, third.id).await.is_ok(), "[{b}]");
        let none = desk.customer_ticket(&t, "low").await;
        assert!(matches!(t.app.acknowledge_escalation(&desk.admin, none.id).await, Err(AppError::NotFound)), "[{b}]");
    }
}

#[tokio::test]
async fn the_author_cannot_review_a_brief_and_a_review_scores_it_one_to_five() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = desk.customer_ticket(&t, "high").await;
        t.app.escalate_ticket(&desk.tam, ticket.id, input(complete_brief(), None)).await.expect("escalate");
        let refused = t.app.review_escalation(&desk.tam, ticket.id, 4, "").await;
        assert!(matches!(refused, Err(AppError::Forbidden(ref m)) if m.contains("author")), "[{b}] {refused:?}");
        for who in [&desk.support, &desk.pam, &desk.customer] {
            let refused = t.app.review_escalation(who, ticket.id, 4, "").await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "[{b}] {}: {refused:?}", who.user.name);
        }
        for score in [0, 6, -1] {
            invalid_field(t.app.review_escalation(&desk.backup, ticket.id, score, "").await, "score");
        }
        invalid_field(t.app.review_escalation(&desk.backup, ticket.id, 3, &"n".repeat(2001)).await, "note");
        let stored = t.app.get_escalation(&desk.admin, ticket.id).await.expect("get").expect("filed");
        assert_eq!((stored.reviewer_score, stored.reviewed_at), (None, None), "[{b}] refusals wrote nothing");

        let reviewed = t.app.review_escalation(&desk.backup, ticket.id, 2, "Add request ids").await.expect("review");
        assert_eq!((reviewed.reviewer_score, reviewed.reviewer_id), (Some(2), Some(desk.backup.user.id)), "[{b}]");
        assert_eq!(
            (reviewed.quality_score(), reviewed.completeness_score),
            (2, 5),
            "[{b}] the reviewer's score counts"
        );
        assert_eq!(reviewed.reviewer_note, "Add request ids", "[{b}]");
        let lead = t.app.review_escalation(&desk.lead, ticket.id, 5, "").await.expect("leadership reviews too");
        assert_eq!(lead.reviewer_score, Some(5), "[{b}]");
        let none = desk.customer_ticket(&t, "low").await;
        assert!(matches!(t.app.review_escalation(&desk.admin, none.id, 3, "").await, Err(AppError::NotFound)), "[{b}]");
    }
}
