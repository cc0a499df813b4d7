//! The SLA scanner (R-W3, R-W4) and the cached SLA state (R-C3): alerts carry the instant their
//! threshold was crossed, exist once however often and by however many servers a ticket is
//! scanned, and the state kept beside each ticket always equals a recomputation from its log.

use std::sync::Arc;

use tamhub_app::Clock;
use tamhub_app::{App, AppConfig};
use tamhub_domain::Timestamp;
use tamhub_domain::notifications::{AlertKind, SlaAlert, alerts_of};
use tamhub_domain::sla::engine::CycleState;
use tamhub_domain::sla::model::Metric;
use tamhub_domain::sla::policies::policy_timeline;
use tamhub_domain::tickets::{Ticket, TicketPatch, TicketSla, evaluate_sla, policy_inputs};
use tamhub_domain::users::User;
use tamhub_store::SlaSnapshot;
use tamhub_testkit::TestApp;

use crate::desk::{Desk, comment, priority, set, status, when};

/// (kind, threshold, at) of a ticket's recorded alerts.
async fn recorded(t: &TestApp, ticket: &Ticket) -> Vec<(AlertKind, i64, Timestamp)> {
    let alerts = t.app.store.ticket_alerts(ticket.id).await.expect("alerts");
    alerts.into_iter().map(|a| (a.kind, a.threshold, a.at)).collect()
}

/// (kind, title, at) of a user's notifications, oldest first.
async fn notified(t: &TestApp, user: &User) -> Vec<(String, Timestamp)> {
    let mut list: Vec<(String, Timestamp)> = t
        .app
        .store
        .list_notifications(user.id, false, 500, 0)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| (n.kind, n.at))
        .collect();
    list.sort_by_key(|(_, at)| *at);
    list
}

/// A high ticket opened Monday 09:00 and assigned to the support engineer: its first response
/// warns at 12:00 (75 %) and 12:45 (15 minutes left) and breaches at 13:00.
async fn high_ticket(t: &TestApp, desk: &Desk) -> Ticket {
    let ticket = desk.customer_ticket(t, "high").await;
    let assign = TicketPatch { assignee_id: Some(Some(desk.support.user.id)), ..TicketPatch::default() };
    t.app.update_ticket(&desk.tam, ticket.id, assign).await.expect("assign")
}

fn first_response_alerts() -> Vec<(AlertKind, i64, Timestamp)> {
    vec![
        (AlertKind::WarningPercent, 75, when("2026-03-02T12:00:00Z")),
        (AlertKind::WarningRemaining, 900, when("2026-03-02T12:45:00Z")),
        (AlertKind::Breach, 0, when("2026-03-02T13:00:00Z")),
    ]
}

#[tokio::test]
async fn the_scanner_records_a_breach_once_at_its_deadline_and_notifies_the_assignee_and_both_tams() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = high_ticket(&t, &desk).await;
        // The scanner wakes at each warning too (R-W4): a scan a second before the deadline
        // records the two warnings crossed by then, not the breach.
        set(&t, "2026-03-02T12:59:59Z");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts()[..2], "[{b}] no breach before the deadline");

        // The scan runs long after the deadline: the alerts still carry the instants of the rules.
        set(&t, "2026-03-02T15:10:00Z");
        let report = t.app.sla_scan_once().await.expect("scan");
        assert_eq!(report.evaluated, 1, "[{b}] {report:?}");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts(), "[{b}]");
        let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
        assert_eq!(stored.evaluated_at, when("2026-03-02T15:10:00Z"), "[{b}]");
        let frt = stored.cycles.iter().find(|c| c.metric == Metric::FirstResponse).expect("frt");
        assert!(frt.breached && frt.state == CycleState::Running, "[{b}] {frt:?}");
        assert!(stored.next_check_at.is_some_and(|n| n > when("2026-03-02T15:10:00Z")), "[{b}] {stored:?}");

        let expected = vec![
            ("sla_warning".to_string(), when("2026-03-02T12:00:00Z")),
            ("sla_warning".to_string(), when("2026-03-02T12:45:00Z")),
            ("sla_breach".to_string(), when("2026-03-02T13:00:00Z")),
        ];
        for person in [&desk.support, &desk.tam, &desk.backup] {
            assert_eq!(notified(&t, &person.user).await, expected, "[{b}] {}", person.user.name);
        }
        for person in [&desk.pam, &desk.customer, &desk.other_tam, &desk.admin] {
            assert!(notified(&t, &person.user).await.is_empty(), "[{b}] {}", person.user.name);
        }

        // Scanning again, forced or not, later or not, records nothing new.
        t.app.sla_scan_once().await.expect("scan");
        t.app.store.request_sla_recheck(t.clock.now()).await.expect("recheck");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").evaluated, 1, "[{b}] forced");
        set(&t, "2026-03-02T16:00:00Z");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts(), "[{b}]");
        assert_eq!(notified(&t, &desk.tam.user).await.len(), 3, "[{b}]");
    }
}

#[tokio::test]
async fn a_scan_in_the_very_second_of_a_deadline_still_leads_to_the_breach_being_recorded() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = high_ticket(&t, &desk).await;
        // Within the deadline's second the cycle is still running (A14: breach is strict).
        t.clock.set(
            when("2026-03-02T13:00:00Z").checked_add(tamhub_domain::SignedDuration::from_millis(400)).expect("ts"),
        );
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts()[..2], "[{b}] not breached yet");
        set(&t, "2026-03-02T13:00:01Z");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts(), "[{b}]");
    }
}

#[tokio::test]
async fn a_reply_before_the_deadline_records_the_warnings_already_crossed_and_no_breach() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let ticket = high_ticket(&t, &desk).await;
        set(&t, "2026-03-02T12:50:00Z");
        t.app.add_ticket_event(&desk.support, ticket.id, comment("Here is a fix", true)).await.expect("reply");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts()[..2], "[{b}]");
        set(&t, "2026-03-02T16:00:00Z");
        t.app.store.request_sla_recheck(t.clock.now()).await.expect("recheck");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(recorded(&t, &ticket).await, first_response_alerts()[..2], "[{b}] met: no breach");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_scanning_one_database_at_once_record_each_alert_and_notification_once() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let mut tickets = Vec::new();
        for _ in 0..8 {
            tickets.push(high_ticket(&t, &desk).await);
        }
        set(&t, "2026-03-02T14:00:00Z");
        let server = || App::new(t.app.store.clone(), t.clock.clone(), AppConfig::default());
        let (one, two) = (Arc::new(server()), Arc::new(server()));
        let a = tokio::spawn({
            let one = one.clone();
            async move { one.sla_scan_once().await }
        });
        let c = tokio::spawn({
            let two = two.clone();
            async move { two.sla_scan_once().await }
        });
        let (ra, rc) = (a.await.expect("join").expect("scan"), c.await.expect("join").expect("scan"));
        assert!(ra.evaluated + rc.evaluated >= 8, "[{b}] {ra:?} {rc:?}");
        for ticket in &tickets {
            assert_eq!(recorded(&t, ticket).await, first_response_alerts(), "[{b}]");
        }
        for person in [&desk.support, &desk.tam, &desk.backup] {
            assert_eq!(notified(&t, &person.user).await.len(), 3 * tickets.len(), "[{b}] {}", person.user.name);
        }
    }
}

/// The state the ticket's log implies at `at`, as `App` caches it (R-C3).
async fn recompute(t: &TestApp, ticket: &Ticket, at: Timestamp) -> TicketSla {
    let config = t.app.sla_runtime().await.expect("config");
    let events = t.app.store.ticket_events(ticket.id).await.expect("log");
    let timeline = policy_timeline(&config.record.policy_sets, &policy_inputs(ticket.account_id, &events));
    evaluate_sla(&events, &timeline, &config.calendars, at.as_second()).expect("evaluate")
}

fn snapshot_of(sla: TicketSla, at: Timestamp) -> SlaSnapshot {
    let instant = |s: i64| Timestamp::from_second(s).expect("instant");
    let due_at = sla.cycles.iter().filter(|c| c.state == CycleState::Running).filter_map(|c| c.due_at).min();
    SlaSnapshot {
        evaluated_at: at,
        due_at: due_at.map(instant),
        next_check_at: sla.next_change_at.map(instant),
        cycles: sla.cycles,
    }
}

fn alert_key(a: &SlaAlert) -> (Timestamp, &'static str, u32, &'static str, i64) {
    (a.at, a.metric.as_str(), a.cycle_no, a.kind.as_str(), a.threshold)
}

/// xorshift64*: a fixed seed gives the same history on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PRIORITIES: [&str; 4] = ["critical", "high", "medium", "low"];
const STATUSES: [&str; 6] = ["new", "open", "pending", "on_hold", "solved", "closed"];

#[tokio::test]
async fn the_cached_sla_state_always_equals_a_recomputation_from_the_log() {
    for t in TestApp::each().await {
        let b = t.backend;
        let desk = Desk::open(&t).await;
        let mut alerts_seen = 0;
        for seed in [0x5eed_0001_u64, 0x5eed_0002, 0x5eed_0003] {
            let mut rng = Rng(seed);
            let mut tickets: Vec<Ticket> = Vec::new();
            let agents = [&desk.support, &desk.tam, &desk.backup];
            for step in 0..45 {
                let op = if tickets.is_empty() { 0 } else { rng.below(8) };
                let pick = if tickets.is_empty() { 0 } else { rng.below(tickets.len() as u64) as usize };
                let context = format!("[{b}] seed {seed:x} step {step} op {op}");
                match op {
                    0 if tickets.len() < 5 => {
                        let p = PRIORITIES[rng.below(4) as usize];
                        tickets.push(desk.customer_ticket(&t, p).await);
                    }
                    1 => {
                        let _ = t.app.add_ticket_event(&desk.customer, tickets[pick].id, comment("More", true)).await;
                    }
                    2 => {
                        let agent = agents[rng.below(3) as usize];
                        let public = rng.below(4) != 0;
                        let _ = t.app.add_ticket_event(agent, tickets[pick].id, comment("Reply", public)).await;
                    }
                    3 => {
                        // Closing is rare, or every history would end early.
                        let choices = if rng.below(6) == 0 { 6 } else { 5 };
                        let to = STATUSES[rng.below(choices) as usize];
                        let _ = t.app.add_ticket_event(&desk.support, tickets[pick].id, status(to)).await;
                    }
                    4 => {
                        let to = PRIORITIES[rng.below(4) as usize];
                        let _ = t.app.add_ticket_event(&desk.tam, tickets[pick].id, priority(to)).await;
                    }
                    5 => {
                        t.app.sla_scan_once().await.expect("scan");
                    }
                    _ => {
                        // Whole seconds, never a round number: event instants rarely meet thresholds.
                        let by = 60 + rng.below(5 * 3600) as i64;
                        t.clock.advance(tamhub_domain::SignedDuration::from_secs(by));
                    }
                }
                for ticket in &tickets {
                    let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
                    let expected = snapshot_of(recompute(&t, ticket, stored.evaluated_at).await, stored.evaluated_at);
                    assert_eq!(stored, expected, "{context}: ticket #{}", ticket.number);
                }
            }
            // A last, full scan: the recorded alerts are those the logs imply now.
            t.app.store.request_sla_recheck(t.clock.now()).await.expect("recheck");
            t.app.sla_scan_once().await.expect("scan");
            for ticket in &tickets {
                let stored = t.app.store.ticket_sla(ticket.id).await.expect("sla").expect("evaluated");
                let expected = snapshot_of(recompute(&t, ticket, stored.evaluated_at).await, stored.evaluated_at);
                assert_eq!(stored, expected, "[{b}] seed {seed:x} #{}", ticket.number);
                let mut implied = alerts_of(ticket.id, &recompute(&t, ticket, t.clock.now()).await.cycles);
                let mut alerts = t.app.store.ticket_alerts(ticket.id).await.expect("alerts");
                alerts.sort_by_key(alert_key);
                implied.sort_by_key(alert_key);
                assert_eq!(alerts, implied, "[{b}] seed {seed:x} #{}", ticket.number);
                alerts_seen += alerts.len();
            }
            assert!(tickets.len() >= 2, "[{b}] seed {seed:x}: the history opened too few tickets");
        }
        assert!(alerts_seen >= 10, "[{b}] the histories should cross thresholds: {alerts_seen} alerts");
    }
}
