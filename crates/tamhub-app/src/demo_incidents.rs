//! The incident part of the demo: incidents of every severity and many statuses over the last
//! two weeks, run as a team would run them: acknowledged, roles assigned, customer updates in
//! four parts on a cadence, milestones corrected from the logs, a reopen, a severity raised, one
//! declined in triage, and two live right now (one of them visible to the first demo customer).
//! Reviews carry corrective actions (done on time, done late, overdue, waiting for approval),
//! and one root cause repeats on the checkout service across accounts.

use std::collections::BTreeMap;
use std::sync::Arc;

use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::actions::{ActionDraft, ActionPatch};
use tamhub_domain::ids::{AccountId, IncidentId, UserId};
use tamhub_domain::incidents::{CustomerUpdate, ImpactWindow, IncidentDraft, Visibility};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::users::{Role, User};
use tamhub_domain::{SignedDuration, Timestamp};
use tamhub_store::ActionQuery;

use crate::demo_tickets::DemoClock;
use crate::incidents::IncidentCommand;
use crate::postmortems::ReviewCommand;
use crate::{Actor, App, AppError, AppResult};
use tamhub_domain::postmortems::{ContributingFactor, FactorKind, ReviewContent, ReviewStatus};

/// One step of a demo incident's life, `minutes` after it was declared.
enum Step {
    Ack,
    Status(&'static str),
    Severity(&'static str),
    Role(&'static str, usize),
    Update {
        public: bool,
        know: &'static str,
        unknown: &'static str,
        doing: &'static str,
        next_in: Option<i64>,
    },
    Note(&'static str),
    Milestone(&'static str, i64, &'static str),
    /// The post-incident review, written by the lead and taken to this state.
    Review(ReviewStatus),
    /// A corrective action: owned by the lead if a priority action (its due date then comes
    /// with the review's approval), else by a comms lead from leadership, due in `due_in` days.
    Action {
        title: &'static str,
        kind: &'static str,
        priority: bool,
        due_in: Option<i64>,
    },
    /// The action with this title is done.
    ActionDone(&'static str),
    /// Customer-impact windows, in minutes from the declaration.
    Impact(&'static [(i64, i64)], &'static str),
}

struct Story {
    title: &'static str,
    summary: &'static str,
    severity: &'static str,
    services: &'static [&'static str],
    /// How many of the served accounts it impacts.
    accounts: usize,
    /// Instead of `accounts`: the accounts of an earlier story at these positions (a repeat the
    /// same TAMs see).
    accounts_of: Option<(&'static str, &'static [usize])>,
    /// Declared this many minutes before now.
    declared_ago: i64,
    /// Impact started this many minutes before the declaration.
    impact_lead: i64,
    test: bool,
    steps: &'static [(i64, Step)],
}

const fn update(know: &'static str, doing: &'static str, next_in: Option<i64>) -> Step {
    Step::Update { public: true, know, unknown: "", doing, next_in }
}

const STORIES: &[Story] = &[
    Story {
        title: "Checkout API outage in eu-west-1",
        summary: "Payment confirmations fail with 503 for every tenant in eu-west-1 after a load balancer change.",
        severity: "P0",
        services: &["checkout-api", "payments-gateway"],
        accounts: 3,
        accounts_of: None,
        declared_ago: 11 * 24 * 60,
        impact_lead: 12,
        test: false,
        steps: &[
            (4, Step::Ack),
            (5, Step::Status("investigating")),
            (
                8,
                update(
                    "Checkout requests in eu-west-1 fail with 503",
                    "Rolling back the 09:10 load balancer change",
                    Some(30),
                ),
            ),
            (20, Step::Note("LB change 7731 removed the health check path; targets marked unhealthy")),
            (22, Step::Status("identified")),
            (
                35,
                update(
                    "The cause is a load balancer health check misconfiguration",
                    "Rollback is 60% complete",
                    Some(30),
                ),
            ),
            (52, Step::Status("monitoring")),
            (
                60,
                update(
                    "Checkout succeeds again; error rate back to 0.1%",
                    "Watching error rates for an hour",
                    Some(60),
                ),
            ),
            (125, Step::Status("resolved")),
            (
                126,
                Step::Update {
                    public: true,
                    know: "Resolved: checkout in eu-west-1 works normally since 10:22 UTC",
                    unknown: "",
                    doing: "A post-incident review will follow within 5 business days",
                    next_in: None,
                },
            ),
            (130, Step::Milestone("detected_at", -6, "The synthetic checkout probe alerted 6 minutes before paging")),
            (3 * 24 * 60, Step::Status("postmortem")),
            (4 * 24 * 60, Step::Review(ReviewStatus::InReview)),
            (
                4 * 24 * 60 + 5,
                Step::Action {
                    title: "Canary every gateway configuration push",
                    kind: "prevent",
                    priority: true,
                    due_in: None,
                },
            ),
            (
                4 * 24 * 60 + 6,
                Step::Action {
                    title: "Alert when the health check path returns 404",
                    kind: "detect",
                    priority: false,
                    due_in: Some(5),
                },
            ),
            (
                4 * 24 * 60 + 7,
                Step::Action {
                    title: "Runbook: roll back a gateway config in one command",
                    kind: "mitigate",
                    priority: false,
                    due_in: Some(14),
                },
            ),
        ],
    },
    Story {
        title: "Event ingestion lag above 15 minutes",
        summary: "Usage events reach dashboards late; billing exports for the affected accounts are delayed.",
        severity: "P1",
        services: &["events-pipeline"],
        accounts: 2,
        accounts_of: None,
        declared_ago: 50,
        impact_lead: 20,
        test: false,
        steps: &[
            (3, Step::Ack),
            (4, Step::Status("investigating")),
            (
                10,
                update(
                    "Events arrive 15-20 minutes late on dashboards",
                    "Adding consumers to the lagging partitions",
                    Some(30),
                ),
            ),
            (
                12,
                Step::Update {
                    public: false,
                    know: "Partition 14 consumer is stuck on a poison message",
                    unknown: "Whether other partitions carry the same message",
                    doing: "Skipping the message and replaying from the dead-letter queue",
                    next_in: None,
                },
            ),
            (40, update("Lag is down to 6 minutes and falling", "Replaying the delayed events", Some(30))),
        ],
    },
    // The same root cause on the same service as the P0, weeks later elsewhere: a repeat.
    Story {
        title: "Checkout API errors after a gateway config push",
        summary: "A gateway configuration push dropped the health check path again, for one region.",
        severity: "P2",
        services: &["checkout-api"],
        accounts: 1,
        accounts_of: Some(("Checkout API outage in eu-west-1", &[1])),
        declared_ago: 3 * 24 * 60,
        impact_lead: 5,
        test: false,
        steps: &[
            (4, Step::Ack),
            (5, Step::Status("identified")),
            (12, update("Checkout fails for some requests in one region", "Restoring the health check path", Some(60))),
            (40, Step::Status("resolved")),
            (24 * 60, Step::Review(ReviewStatus::Draft)),
            (
                24 * 60 + 2,
                Step::Action {
                    title: "Validate gateway configs against the health check path",
                    kind: "prevent",
                    priority: true,
                    due_in: None,
                },
            ),
        ],
    },
    // The first time this root cause hit checkout, six weeks ago: with the two above, the same
    // cause on the same service across accounts, and actions done on time, late and overdue.
    Story {
        title: "Checkout latency after a TLS config change",
        summary: "A TLS configuration change on the checkout gateway doubled handshake times.",
        severity: "P1",
        services: &["checkout-api"],
        accounts: 1,
        accounts_of: Some(("Checkout API outage in eu-west-1", &[0])),
        declared_ago: 42 * 24 * 60,
        impact_lead: 12,
        test: false,
        steps: &[
            (3, Step::Ack),
            (4, Step::Status("investigating")),
            (5, Step::Role("comms_lead", 0)),
            (
                10,
                update(
                    "Checkout responses take 2-3 seconds longer than usual",
                    "Comparing the TLS settings with last week's",
                    Some(45),
                ),
            ),
            (50, Step::Status("identified")),
            (52, update("A TLS config change doubled handshake times", "Reverting the change", Some(45))),
            (70, Step::Status("monitoring")),
            (95, Step::Status("resolved")),
            (
                24 * 60,
                Step::Action {
                    title: "Load-test gateway config changes before rollout",
                    kind: "prevent",
                    priority: true,
                    due_in: None,
                },
            ),
            (
                24 * 60 + 1,
                Step::Action {
                    title: "Add handshake time to the checkout dashboard",
                    kind: "detect",
                    priority: false,
                    due_in: Some(7),
                },
            ),
            (
                24 * 60 + 2,
                Step::Action {
                    title: "Review every gateway setting changed this quarter",
                    kind: "process",
                    priority: false,
                    due_in: Some(10),
                },
            ),
            (
                24 * 60 + 3,
                Step::Action {
                    title: "Move TLS settings into the reviewed config repository",
                    kind: "prevent",
                    priority: false,
                    due_in: Some(21),
                },
            ),
            (3 * 24 * 60, Step::Review(ReviewStatus::Published)),
            (4 * 24 * 60, Step::Status("closed")),
            (6 * 24 * 60, Step::ActionDone("Add handshake time to the checkout dashboard")),
            (14 * 24 * 60, Step::ActionDone("Review every gateway setting changed this quarter")),
        ],
    },
    Story {
        title: "Dashboard exports time out",
        summary: "CSV exports over 50,000 rows time out after the reporting service upgrade.",
        severity: "P2",
        services: &["reporting"],
        accounts: 2,
        accounts_of: None,
        declared_ago: 2 * 24 * 60,
        impact_lead: 90,
        test: false,
        steps: &[
            (15, Step::Ack),
            (16, Step::Status("identified")),
            (30, update("Large CSV exports time out after 60 seconds", "Raising the export timeout", Some(240))),
            (120, Step::Status("resolved")),
            // It came back: reopened, fixed properly.
            (300, Step::Status("investigating")),
            (310, update("Exports over 200,000 rows still fail", "Streaming exports in pages instead", Some(240))),
            (600, Step::Status("monitoring")),
            (900, Step::Status("resolved")),
            (
                905,
                Step::Impact(
                    &[(-90, 120), (290, 900)],
                    "Export failures stopped between the first fix and the regression",
                ),
            ),
        ],
    },
    Story {
        title: "Webhook deliveries retried twice",
        summary: "Some webhook receivers saw duplicate deliveries during a queue failover.",
        severity: "P2",
        services: &["webhooks"],
        accounts: 1,
        accounts_of: None,
        declared_ago: 6 * 24 * 60,
        impact_lead: 30,
        test: false,
        steps: &[
            (10, Step::Ack),
            (11, Step::Status("investigating")),
            (20, Step::Severity("P1")),
            (21, Step::Role("comms_lead", 1)),
            (25, update("Some receivers got the same webhook twice", "Deduplicating on the delivery id", Some(60))),
            (80, Step::Status("monitoring")),
            (200, Step::Status("resolved")),
            (
                24 * 60,
                Step::Action {
                    title: "Deduplicate deliveries on the delivery id",
                    kind: "prevent",
                    priority: true,
                    due_in: None,
                },
            ),
            (
                24 * 60 + 1,
                Step::Action {
                    title: "Document the queue failover for on-call",
                    kind: "process",
                    priority: false,
                    due_in: Some(3),
                },
            ),
            (2 * 24 * 60, Step::Review(ReviewStatus::Published)),
            (3 * 24 * 60, Step::ActionDone("Document the queue failover for on-call")),
            (5 * 24 * 60, Step::Status("closed")),
        ],
    },
    Story {
        title: "Stale numbers on the usage page",
        summary: "The usage page shows yesterday's figures for some tenants.",
        severity: "P3",
        services: &["usage-api"],
        accounts: 1,
        accounts_of: None,
        declared_ago: 25,
        impact_lead: 0,
        test: false,
        steps: &[],
    },
    Story {
        title: "Duplicate alert from the disk monitor",
        summary: "A monitor fired for a volume that was already being replaced.",
        severity: "P3",
        services: &["monitoring"],
        accounts: 1,
        accounts_of: None,
        declared_ago: 4 * 24 * 60,
        impact_lead: 0,
        test: false,
        steps: &[(15, Step::Status("declined"))],
    },
    Story {
        title: "Game day: failover drill",
        summary: "A planned drill of the database failover; recorded as a test incident.",
        severity: "P2",
        services: &["database"],
        accounts: 1,
        accounts_of: None,
        declared_ago: 8 * 24 * 60,
        impact_lead: 0,
        test: true,
        steps: &[(5, Step::Status("investigating")), (45, Step::Status("resolved")), (60, Step::Status("closed"))],
    },
];

impl App {
    /// The demo incidents; returns how many.
    pub(crate) async fn demo_incidents(&self, accounts: &[Account], users: &[User]) -> AppResult<usize> {
        let end = self.clock.now();
        let clock = Arc::new(DemoClock::at(end));
        let past = App::new(self.store.clone(), clock.clone(), self.config.clone());
        let actors: BTreeMap<UserId, Actor> = users.iter().map(|u| (u.id, Actor::new(u.clone()))).collect();
        let admin =
            users.iter().find(|u| u.role == Role::Admin).and_then(|u| actors.get(&u.id)).ok_or(AppError::NotFound)?;
        // Comms leads come from leadership, who see every account.
        let leads: Vec<&User> = users.iter().filter(|u| u.role == Role::Leadership).collect();
        // The first demo customer's account comes first, so that contact sees a live incident.
        let first_customer = users.iter().find(|u| u.role == Role::Customer).and_then(|u| u.account_id);
        let mut served: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
            .collect();
        // Then the accounts of the TAM the README signs in as, so her portfolio has incidents too.
        let maya = users.iter().find(|u| u.email == crate::demo::demo_email("maya.chen")).map(|u| u.id);
        served.sort_by_key(|a| (Some(a.id) != first_customer, a.fields.primary_tam_id != maya));
        let mut next_account = 0;
        let mut take = |n: usize| -> Vec<AccountId> {
            let picked = (0..n).map(|k| served[(next_account + k) % served.len()].id).collect();
            next_account += n;
            picked
        };
        // The live P1 impacts the first customer's account.
        let mut order: Vec<&Story> = STORIES.iter().collect();
        order.sort_by_key(|s| s.title != "Event ingestion lag above 15 minutes");
        let mut impacted_by: BTreeMap<&str, Vec<AccountId>> = BTreeMap::new();
        for (n, story) in order.into_iter().enumerate() {
            let impacted: Vec<AccountId> = match story.accounts_of {
                Some((title, at)) => at.iter().filter_map(|k| impacted_by.get(title)?.get(*k).copied()).collect(),
                None => take(story.accounts),
            };
            impacted_by.insert(story.title, impacted.clone());
            // The primary TAM of the first impacted account leads; their scope covers it.
            let lead_id = accounts.iter().find(|a| a.id == impacted[0]).and_then(|a| a.fields.primary_tam_id);
            let lead = users.iter().find(|u| Some(u.id) == lead_id).unwrap_or(leads[n % leads.len()]);
            let declared = end.checked_sub(SignedDuration::from_mins(story.declared_ago)).unwrap_or(end);
            clock.set(declared);
            let draft = IncidentDraft {
                title: story.title.into(),
                summary: story.summary.into(),
                severity: story.severity.into(),
                impacted_account_ids: impacted,
                impacted_services: story.services.iter().map(|s| s.to_string()).collect(),
                incident_commander_id: Some(lead.id),
                comms_lead_id: None,
                impact_started_at: declared.checked_sub(SignedDuration::from_mins(story.impact_lead)).ok(),
                detected_at: None,
                test: story.test,
            };
            let incident = past.declare_incident(admin, draft).await?;
            let by = actors.get(&lead.id).unwrap_or(admin);
            for (minutes, step) in story.steps {
                let at = declared.checked_add(SignedDuration::from_mins(*minutes)).unwrap_or(declared);
                if at > end {
                    break;
                }
                clock.set(at);
                past.demo_step(by, incident.id, step, at, &leads, n).await?;
            }
        }
        Ok(STORIES.len())
    }

    async fn demo_step(
        &self,
        by: &Actor,
        id: IncidentId,
        step: &Step,
        at: Timestamp,
        leads: &[&User],
        n: usize,
    ) -> AppResult<()> {
        let minutes = |m: i64| at.checked_add(SignedDuration::from_mins(m)).ok();
        match step {
            Step::Review(stage) => return self.demo_review(by, id, *stage, leads[(n + 1) % leads.len()]).await,
            Step::Action { title, kind, priority, due_in } => {
                let owner = if *priority { by.user.id } else { leads[n % leads.len()].id };
                let draft = ActionDraft {
                    title: (*title).into(),
                    action_type: (*kind).into(),
                    priority: if *priority { "priority_action" } else { "normal" }.into(),
                    owner_id: Some(owner),
                    service: self.store.get_incident(id).await?.impacted_services.first().cloned(),
                    due_at: due_in.and_then(|days| at.checked_add(SignedDuration::from_hours(24 * days)).ok()),
                    ..ActionDraft::default()
                };
                self.create_incident_action(by, id, draft).await?;
                return Ok(());
            }
            Step::ActionDone(title) => {
                let query = ActionQuery { incident_id: Some(id), ..ActionQuery::in_scope(AccountScope::All) };
                let action = self.store.list_actions(&query).await?.items.into_iter().find(|a| a.title == *title);
                let action = action.ok_or(AppError::NotFound)?;
                let done = ActionPatch { status: Some("done".into()), ..ActionPatch::default() };
                let owner = Actor::new(self.store.get_user(action.owner_id).await?);
                self.change_action(&owner, action.id, done).await?;
                return Ok(());
            }
            _ => {}
        }
        let command = match step {
            Step::Ack => IncidentCommand::Acknowledge,
            Step::Status(to) => IncidentCommand::Status { to: (*to).into() },
            Step::Severity(to) => IncidentCommand::Severity { to: (*to).into() },
            Step::Role(role, offset) => {
                IncidentCommand::Role { role: (*role).into(), user_id: Some(leads[(n + offset) % leads.len()].id) }
            }
            Step::Update { public, know, unknown, doing, next_in } => IncidentCommand::Update(CustomerUpdate {
                visibility: if *public { Visibility::Public } else { Visibility::Internal },
                what_we_know: (*know).into(),
                what_we_dont_know: (*unknown).into(),
                what_we_are_doing: (*doing).into(),
                next_update_at: next_in.and_then(minutes),
            }),
            Step::Note(text) => IncidentCommand::Note { text: (*text).into() },
            Step::Impact(spans, reason) => {
                let declared = self.store.get_incident(id).await?.milestones.declared_at;
                let at = |m: i64| declared.checked_add(SignedDuration::from_mins(m)).unwrap_or(declared);
                let windows = spans.iter().map(|(from, to)| ImpactWindow { start: at(*from), end: at(*to) }).collect();
                IncidentCommand::ImpactWindows { windows, reason: (*reason).into() }
            }
            Step::Review(_) | Step::Action { .. } | Step::ActionDone(_) => return Ok(()),
            Step::Milestone(milestone, shift, reason) => {
                let incident = self.store.get_incident(id).await?;
                let declared = incident.milestones.declared_at;
                IncidentCommand::Milestones {
                    edits: vec![((*milestone).into(), declared.checked_add(SignedDuration::from_mins(*shift)).ok())],
                    reason: (*reason).into(),
                }
            }
        };
        self.change_incident(by, id, command).await?;
        Ok(())
    }

    /// A review written by the incident lead and approved by `approver`, up to `stage`.
    async fn demo_review(&self, lead: &Actor, id: IncidentId, stage: ReviewStatus, approver: &User) -> AppResult<()> {
        let incident = self.store.get_incident(id).await?;
        let content = ReviewContent {
            owner_id: Some(lead.user.id),
            approver_ids: vec![approver.id],
            summary: format!("{}: what happened, who was affected and for how long.", incident.title),
            leadup: "A routine change earlier that day.".into(),
            fault: "The change removed a dependency the service still needed.".into(),
            detection: "Synthetic probes alerted before customers reported it.".into(),
            response: "The incident lead rolled the change back and posted updates on the cadence.".into(),
            recovery: "Traffic recovered within minutes of the rollback.".into(),
            contributing_factors: vec![
                ContributingFactor { kind: FactorKind::Proximate, text: "The change went out without a canary".into() },
                ContributingFactor { kind: FactorKind::Root, text: "No automated check of the dependency".into() },
            ],
            root_cause_category: Some("Configuration change".into()),
            went_well: vec!["Fast detection".into(), "Updates on time".into()],
            went_poorly: vec!["The rollback needed manual steps".into()],
            lessons_learned: vec!["Canary every configuration change".into()],
            customer_facing_rca: format!(
                "On {}, a configuration change caused errors. We rolled it back and are adding automated checks.",
                incident.milestones.declared_at.strftime("%-d %B %Y")
            ),
            ..ReviewContent::default()
        };
        self.change_review(lead, id, ReviewCommand::Edit(Box::new(content))).await?;
        let approver = Actor::new(approver.clone());
        let steps = [
            (ReviewStatus::InReview, lead, ReviewCommand::Submit),
            (ReviewStatus::Approved, &approver, ReviewCommand::Approve),
            (ReviewStatus::Published, lead, ReviewCommand::Publish),
        ];
        for (reached, actor, command) in steps {
            if stage_rank(stage) < stage_rank(reached) {
                break;
            }
            self.change_review(actor, id, command).await?;
        }
        Ok(())
    }
}

fn stage_rank(status: ReviewStatus) -> usize {
    ReviewStatus::ALL.iter().position(|(s, _)| *s == status).unwrap_or(0)
}
