//! The SLA part of the demo: regional business calendars with holidays, policies beside the
//! default one, and two weeks of tickets whose histories exercise every clock: replies on time
//! and late, pauses while waiting on the customer, reopens, priority changes, closed tickets,
//! escalations with good and thin briefs, and open tickets whose clocks are green, amber, red
//! and paused right now.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::escalations::{EscalationBriefDraft, Evidence};
use tamhub_domain::ids::{CalendarId, UserId};
use tamhub_domain::sla::business_calendars::CalendarHours;
use tamhub_domain::sla::policies::SlaPolicyDraft;
use tamhub_domain::tickets::{Priority, Status, TicketDraft};
use tamhub_domain::users::{Role, User};
use tamhub_domain::{SignedDuration, Timestamp};

use crate::escalations::EscalationInput;
use crate::tickets::EventInput;
use crate::{Actor, App, AppResult, Clock};

/// A clock the demo moves through two weeks of history.
pub(crate) struct DemoClock(Mutex<Timestamp>);

impl Clock for DemoClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl DemoClock {
    pub(crate) fn at(t: Timestamp) -> DemoClock {
        DemoClock(Mutex::new(t))
    }

    pub(crate) fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

/// Regional calendars: name, time zone, holidays of 2026-2027.
const CALENDARS: &[(&str, &str, &[&str])] = &[
    (
        "US business hours (New York)",
        "America/New_York",
        &["2026-11-26", "2026-11-27", "2026-12-25", "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31"],
    ),
    ("US business hours (Chicago)", "America/Chicago", &["2026-11-26", "2026-12-25", "2027-01-01"]),
    ("US business hours (Los Angeles)", "America/Los_Angeles", &["2026-11-26", "2026-12-25", "2027-01-01"]),
    ("UK business hours (London)", "Europe/London", &["2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26"]),
    ("DACH business hours (Berlin)", "Europe/Berlin", &["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"]),
    ("France business hours (Paris)", "Europe/Paris", &["2026-12-25", "2027-01-01", "2027-04-05"]),
    ("India business hours (Bengaluru)", "Asia/Kolkata", &["2026-11-08", "2027-01-26"]),
    ("Japan business hours (Tokyo)", "Asia/Tokyo", &["2026-11-23", "2026-12-31", "2027-01-01", "2027-01-11"]),
    ("Australia business hours (Sydney)", "Australia/Sydney", &["2026-12-25", "2026-12-28", "2027-01-26"]),
    ("Brazil business hours (São Paulo)", "America/Sao_Paulo", &["2026-11-20", "2026-12-25", "2027-01-01"]),
];

const OPENINGS: &[&str] = &[
    "Checkout API latency above 2 s since this morning's deploy",
    "Intermittent 502s from the payments gateway",
    "Need guidance on scaling the search cluster before the sale",
    "Data lake ingestion job failing with throttling errors",
    "SSO login loop for users in the EU tenant",
    "Request to raise the API rate limit for the partner integration",
    "Mobile backend returns stale prices after cache purge",
    "Question about the upcoming database engine upgrade",
    "Streaming ingest lagging by 20 minutes",
    "Reporting warehouse queries timing out",
    "Certificate renewal for the customer portal",
    "DR test plan review for next month",
];

const CUSTOMER_LINES: &[&str] = &[
    "Any update? Our on-call team is asking for an ETA.",
    "We still see the errors in production, see the attached request ids.",
    "Thanks, we applied the change and are monitoring.",
    "It happened again at 14:05 UTC, same symptoms.",
    "Can we get someone on a call today?",
];

const AGENT_LINES: &[&str] = &[
    "Thanks for the details. We are looking into it and will update you within the hour.",
    "We reproduced the issue and identified a misconfigured connection pool; a fix is being rolled out.",
    "Could you share the request ids and the exact time window so we can correlate the logs?",
    "The fix is deployed in your region. Please confirm the errors have stopped.",
    "We recommend enabling retries with exponential backoff on the client; details in the attached runbook.",
];

const PRIVATE_NOTES: &[&str] = &[
    "Checked the dashboards: error rate spiked at 09:12, matches their deploy.",
    "Looped in the networking team; likely the same root cause as last week's incident.",
];

impl App {
    /// Regional calendars, keyed by time zone, created before the accounts that use them.
    pub(crate) async fn demo_calendars(&self) -> AppResult<BTreeMap<String, CalendarId>> {
        let mut by_zone = BTreeMap::new();
        for (name, tz, holidays) in CALENDARS {
            let mut hours = CalendarHours::weekdays_nine_to_five(tz);
            hours.holidays = holidays.iter().map(|h| h.to_string()).collect();
            let calendar = self.create_calendar(None, name, hours, Timestamp::UNIX_EPOCH).await?;
            by_zone.insert(tz.to_string(), calendar.id);
        }
        Ok(by_zone)
    }

    /// Two weeks of ticket history ending now, then one SLA scan so every due warning and
    /// breach is recorded with its notifications.
    pub(crate) async fn demo_tickets(&self, accounts: &[Account], users: &[User]) -> AppResult<usize> {
        let end = self.clock.now();
        let start = end.checked_sub(SignedDuration::from_hours(14 * 24)).unwrap_or(end);
        let clock = Arc::new(DemoClock::at(start));
        let past = App::new(self.store.clone(), clock.clone(), self.config.clone());
        let admin = Actor::new(users.iter().find(|u| u.role == Role::Admin).cloned().ok_or(crate::AppError::NotFound)?);
        past.demo_policies(&admin).await?;

        let actors: BTreeMap<UserId, Actor> = users.iter().map(|u| (u.id, Actor::new(u.clone()))).collect();
        let served: Vec<&Account> = accounts
            .iter()
            .filter(|a| matches!(a.fields.phase, Phase::PostLaunch | Phase::Gate3) && a.fields.primary_tam_id.is_some())
            .collect();
        let mut rng = StdRng::seed_from_u64(7);
        let mut created = 0;
        for (n, account) in served.iter().enumerate().take(70) {
            let contact = users.iter().find(|u| u.role == Role::Customer && u.account_id == Some(account.id));
            let agent_id = account.fields.support_ids.first().copied().or(account.fields.primary_tam_id);
            let Some(agent) = agent_id.and_then(|id| actors.get(&id)) else { continue };
            let tickets_here = if contact.is_some() { 4 } else { 1 + n % 3 };
            for k in 0..tickets_here {
                let story = (n * 7 + k * 3) % 10;
                // Open tickets of the last hours show live clocks; the rest is history.
                let opened = if story >= 7 {
                    end.checked_sub(SignedDuration::from_mins(rng.random_range(5..600))).unwrap_or(end)
                } else {
                    start.checked_add(SignedDuration::from_mins(rng.random_range(0..11 * 24 * 60))).unwrap_or(start)
                };
                clock.set(opened);
                let priority = match rng.random_range(0..20) {
                    0..=1 => Priority::Critical,
                    2..=6 => Priority::High,
                    7..=14 => Priority::Medium,
                    _ => Priority::Low,
                };
                let kind = ["question", "incident", "incident", "problem", "task"][rng.random_range(0..5)];
                let opener = match contact {
                    Some(c) if k % 2 == 0 => actors.get(&c.id).unwrap_or(agent),
                    _ => agent,
                };
                let draft = TicketDraft {
                    account_id: Some(account.id),
                    title: OPENINGS[rng.random_range(0..OPENINGS.len())].into(),
                    description:
                        "Observed since the last deploy. Impact: customer-facing requests fail intermittently. \
                        Request ids and timestamps in the first comment."
                            .into(),
                    priority: priority.as_str().into(),
                    ticket_type: kind.into(),
                    assignee_id: (story != 8).then_some(agent.user.id),
                    requester_id: contact.map(|c| c.id),
                    public: true,
                };
                let ticket = past.create_ticket(opener, draft).await?;
                created += 1;
                let customer = contact.and_then(|c| actors.get(&c.id));
                past.demo_story(&clock, story, ticket.id, agent, customer, &mut rng, end).await?;
            }
        }
        // Escalations on a few open incidents: a thorough brief, acknowledged; a thin one, not yet.
        self.demo_escalations(&past, &clock, &actors, end).await?;
        self.sla_scan_once().await?;
        Ok(created)
    }

    async fn demo_policies(&self, admin: &Actor) -> AppResult<()> {
        let enterprise: SlaPolicyDraft = serde_json::from_value(serde_json::json!({
            "name": "Enterprise premium",
            "position": 0,
            "filter": {"tiers": ["enterprise"]},
            "targets": [
                {"metric": "first_response", "priority": "critical", "seconds": 900, "hours": "calendar"},
                {"metric": "first_response", "priority": "high", "seconds": 3600},
                {"metric": "first_response", "priority": "medium", "seconds": 14400},
                {"metric": "first_response", "priority": "low", "seconds": 28800},
                {"metric": "next_response", "priority": "critical", "seconds": 3600, "hours": "calendar"},
                {"metric": "next_response", "priority": "high", "seconds": 14400},
                {"metric": "next_response", "priority": "medium", "seconds": 28800},
                {"metric": "periodic_update", "priority": "critical", "seconds": 1800, "hours": "calendar"},
                {"metric": "periodic_update", "priority": "high", "seconds": 14400},
                {"metric": "resolution", "priority": "critical", "seconds": 43200, "hours": "calendar"},
                {"metric": "resolution", "priority": "high", "seconds": 57600},
                {"metric": "resolution", "priority": "medium", "seconds": 144000},
                {"metric": "resolution", "priority": "low", "seconds": 288000},
                {"metric": "requester_wait", "priority": "high", "seconds": 86400}
            ],
            "warn_percent": [50, 75, 90],
            "warn_remaining_seconds": [900],
            "pause_sets": {"resolution": ["pending", "on_hold"]}
        }))
        .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        self.create_policy(admin, enterprise).await?;
        let incidents: SlaPolicyDraft = serde_json::from_value(serde_json::json!({
            "name": "Production incidents",
            "position": 1,
            "filter": {"ticket_types": ["incident"]},
            "targets": [
                {"metric": "first_response", "priority": "critical", "seconds": 1800, "hours": "calendar"},
                {"metric": "first_response", "priority": "high", "seconds": 7200, "hours": "calendar"},
                {"metric": "first_response", "priority": "medium", "seconds": 28800},
                {"metric": "first_response", "priority": "low", "seconds": 86400},
                {"metric": "pausable_update", "priority": "critical", "seconds": 3600, "hours": "calendar"},
                {"metric": "pausable_update", "priority": "high", "seconds": 14400, "hours": "calendar"},
                {"metric": "resolution", "priority": "critical", "seconds": 86400, "hours": "calendar"},
                {"metric": "resolution", "priority": "high", "seconds": 86400},
                {"metric": "resolution", "priority": "medium", "seconds": 144000},
                {"metric": "resolution", "priority": "low", "seconds": 288000}
            ],
            "reopen": {"resolution": "resume"}
        }))
        .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        self.create_policy(admin, incidents).await?;
        Ok(())
    }

    /// One of ten ticket histories; stories 7-9 stay open with live clocks.
    #[allow(clippy::too_many_arguments)]
    async fn demo_story(
        &self,
        clock: &DemoClock,
        story: usize,
        ticket: tamhub_domain::ids::TicketId,
        agent: &Actor,
        customer: Option<&Actor>,
        rng: &mut StdRng,
        end: Timestamp,
    ) -> AppResult<()> {
        let step = |minutes: i64| {
            let next = clock.now().checked_add(SignedDuration::from_mins(minutes)).unwrap_or(clock.now());
            clock.set(next.min(end));
        };
        let reply = |rng: &mut StdRng, lines: &[&str]| lines[rng.random_range(0..lines.len())].to_string();
        let comment = |body: String, public: bool, status: Option<Status>| EventInput::Comment {
            body,
            public,
            status: status.map(|s| s.as_str().to_string()),
        };
        match story {
            // Answered quickly, a pending stretch, solved.
            0 | 1 => {
                step(rng.random_range(10..50));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Pending)))
                    .await?;
                step(rng.random_range(120..900));
                if let Some(c) = customer {
                    self.add_ticket_event(c, ticket, comment(reply(rng, CUSTOMER_LINES), true, None)).await?;
                    step(rng.random_range(20..90));
                }
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Solved)))
                    .await?;
            }
            // Answered late (a first-response breach), then solved and closed.
            2 => {
                step(rng.random_range(600..2400));
                self.add_ticket_event(agent, ticket, comment(reply(rng, PRIVATE_NOTES), false, Some(Status::Open)))
                    .await?;
                step(30);
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, None)).await?;
                step(rng.random_range(300..2000));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Solved)))
                    .await?;
                step(60 * 24);
                self.add_ticket_event(agent, ticket, EventInput::StatusChanged { to: "closed".into() }).await?;
            }
            // Solved, then reopened by the customer, solved again.
            3 => {
                step(rng.random_range(15..60));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Solved)))
                    .await?;
                step(rng.random_range(600..3000));
                match customer {
                    Some(c) => {
                        self.add_ticket_event(c, ticket, comment(reply(rng, CUSTOMER_LINES), true, None)).await?;
                    }
                    None => {
                        self.add_ticket_event(agent, ticket, EventInput::StatusChanged { to: "open".into() }).await?;
                    }
                }
                step(rng.random_range(30..240));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Solved)))
                    .await?;
            }
            // Raised to critical mid-way (re-targeted from the start, R-T3), worked, solved.
            4 => {
                step(rng.random_range(60..240));
                self.add_ticket_event(agent, ticket, EventInput::PriorityChanged { to: "critical".into() }).await?;
                step(rng.random_range(5..40));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Open)))
                    .await?;
                step(rng.random_range(60..300));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Solved)))
                    .await?;
            }
            // Waiting on a third party, then solved.
            5 => {
                step(rng.random_range(20..120));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::OnHold)))
                    .await?;
                step(rng.random_range(600..3000));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Solved)))
                    .await?;
            }
            // A conversation with next-response cycles, left solved.
            6 => {
                step(rng.random_range(10..60));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Open)))
                    .await?;
                for _ in 0..2 {
                    step(rng.random_range(60..400));
                    if let Some(c) = customer {
                        self.add_ticket_event(c, ticket, comment(reply(rng, CUSTOMER_LINES), true, None)).await?;
                    }
                    step(rng.random_range(20..300));
                    self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, None)).await?;
                }
                self.add_ticket_event(agent, ticket, EventInput::StatusChanged { to: "solved".into() }).await?;
            }
            // Open now, waiting on the customer: paused clocks.
            7 => {
                step(rng.random_range(5..30));
                self.add_ticket_event(agent, ticket, comment(reply(rng, AGENT_LINES), true, Some(Status::Pending)))
                    .await?;
            }
            // Open now, unassigned and unanswered: clocks running, some breached.
            8 => {}
            // Open now, worked with an internal note only.
            _ => {
                step(rng.random_range(5..60));
                self.add_ticket_event(agent, ticket, comment(reply(rng, PRIVATE_NOTES), false, Some(Status::Open)))
                    .await?;
            }
        }
        Ok(())
    }

    async fn demo_escalations(
        &self,
        past: &App,
        clock: &DemoClock,
        actors: &BTreeMap<UserId, Actor>,
        end: Timestamp,
    ) -> AppResult<()> {
        let page = self
            .store
            .list_tickets(&tamhub_store::TicketQuery {
                limit: 40,
                ..tamhub_store::TicketQuery::in_scope(tamhub_domain::scope::AccountScope::All)
            })
            .await?;
        let engineers: Vec<&Actor> = actors.values().filter(|a| a.user.role == Role::Support).collect();
        let leadership = actors.values().find(|a| a.user.role == Role::Leadership);
        let mut done = 0;
        for item in page.items.iter().filter(|i| i.ticket.assignee_id.is_some()) {
            if done == 4 {
                break;
            }
            let Some(agent) = item.ticket.assignee_id.and_then(|id| actors.get(&id)) else { continue };
            let account = self.store.get_account(item.ticket.account_id).await?;
            let owner = engineers.iter().find(|e| Actor::new(e.user.clone()).scope.contains(&account));
            clock.set(end.checked_sub(SignedDuration::from_mins(90 - 20 * done as i64)).unwrap_or(end));
            let thorough = done % 2 == 0;
            let brief = if thorough {
                EscalationBriefDraft {
                    summary: format!("{} — errors started after the 09:00 UTC deploy and persist", item.ticket.title),
                    customer_impact: "Roughly one in five customer requests fail at checkout; the customer estimates 40k USD of lost revenue per hour at peak".into(),
                    severity: "P1".into(),
                    environment: "eu-west-1, checkout-service v2.14.3 behind the shared load balancer".into(),
                    reproduction_steps: "1. POST /v2/checkout with three items\n2. Repeat twenty times\n3. About four answer 502".into(),
                    evidence: Evidence {
                        logs: "upstream prematurely closed connection while reading response header".into(),
                        request_ids: vec!["req-7f3a91".into(), "req-88c2d0".into()],
                        timestamps: vec![end.to_string()],
                    },
                    timeline: "09:00 deploy v2.14.3\n09:12 first 502s\n09:40 customer opened this ticket".into(),
                    comms_plan: "The TAM updates the customer's incident bridge every 30 minutes until mitigated, then sends a daily summary".into(),
                }
            } else {
                EscalationBriefDraft {
                    summary: "Errors in production".into(),
                    customer_impact: "Customer unhappy".into(),
                    severity: "P2".into(),
                    environment: "prod".into(),
                    reproduction_steps: "Call the API".into(),
                    evidence: Evidence { logs: "500 errors".into(), ..Evidence::default() },
                    timeline: "Since this morning".into(),
                    comms_plan: "Email the customer".into(),
                }
            };
            let input = EscalationInput {
                brief,
                engineering_team: "Platform engineering".into(),
                engineering_owner_id: owner.map(|o| o.user.id),
            };
            if past.escalate_ticket(agent, item.ticket.id, input).await.is_err() {
                continue;
            }
            if let (true, Some(owner)) = (thorough, owner) {
                clock.set(clock.now().checked_add(SignedDuration::from_mins(12 + 6 * done as i64)).unwrap_or(end));
                past.acknowledge_escalation(owner, item.ticket.id).await?;
            }
            if let (true, Some(reviewer)) = (done == 2, leadership) {
                past.review_escalation(
                    reviewer,
                    item.ticket.id,
                    4,
                    "Clear impact and evidence; add the exact error rate next time.",
                )
                .await?;
            }
            done += 1;
        }
        Ok(())
    }
}
