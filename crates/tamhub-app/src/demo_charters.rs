//! The charter part of the demo: a stakeholder map per live account (one without an executive
//! sponsor), a charter from the tier's template launched three to nine months ago, and the
//! meetings that held its engagements — mostly on time, some late, some skipped and some missed,
//! with a few accounts clearly behind on their charter — plus meeting action items.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::actions::ActionDraft;
use tamhub_domain::contacts::ContactDraft;
use tamhub_domain::engagements::{CharterDraft, EngagementType, EscalationStep, MeetingDraft, NamedContact, NamedUser};
use tamhub_domain::users::User;
use tamhub_domain::{Date, SignedDuration, Timestamp};
use tamhub_store::EngagementQuery;

use crate::demo_tickets::DemoClock;
use crate::engagements::local_today;
use crate::{Actor, App, AppResult};

/// Accounts given a charter (the demo TAM's first).
pub(crate) const CHARTERED: usize = 36;

const PEOPLE: &[(&str, &str, &str, &str, &str)] = &[
    // (first name, last name, title, role, influence)
    ("Hannah", "Schmidt", "CTO", "Executive sponsor", "high"),
    ("Omar", "Haddad", "VP Engineering", "Technical decision maker", "high"),
    ("Julia", "Costa", "Head of Platform", "Day-to-day contact", "medium"),
    ("Ben", "Okoro", "SRE Lead", "Operations contact", "medium"),
    ("Mia", "Larsen", "FinOps Manager", "Cost owner", "low"),
    ("Raj", "Mehta", "CISO", "Security sign-off", "high"),
];

/// How an account keeps its charter: the share held on time, late, skipped (rest missed).
fn discipline(n: usize) -> (f64, f64, f64) {
    match n % 6 {
        // Behind on the charter.
        4 => (0.55, 0.15, 0.10),
        5 => (0.70, 0.10, 0.10),
        _ => (0.93, 0.04, 0.02),
    }
}

fn at_local(day: Date, hour: i8, timezone: &str) -> Timestamp {
    let zone = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    day.at(hour, 0, 0, 0).to_zoned(zone).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn notes_for(t: EngagementType, account: &str) -> (&'static str, String, Vec<String>) {
    match t {
        EngagementType::CheckIn => (
            "Open tickets, upcoming changes, risks",
            format!("Walked through {account}'s open tickets and the change calendar. No new risks raised."),
            vec!["Keep the weekly change review in this slot".into()],
        ),
        EngagementType::StrategyCall => (
            "Roadmap, adoption, next quarter's priorities",
            "Reviewed the roadmap against the success plan; adoption of the managed database is behind.".into(),
            vec!["Run an enablement session on the managed database".into()],
        ),
        EngagementType::Qbr | EngagementType::Ebr => (
            "SLA performance, incidents, health, savings, recommendations",
            "Presented the quarter: SLA response on target, one P1 with its corrective actions, savings found.".into(),
            vec!["Approve the reserved-capacity purchase".into(), "Schedule the Well-Architected review".into()],
        ),
        EngagementType::CostReview => (
            "Spend trend, rightsizing, commitments",
            "Rightsizing candidates found in the analytics cluster; storage tiering not yet applied.".into(),
            vec!["Apply storage tiering to cold buckets".into()],
        ),
        EngagementType::WellArchitectedReview | EngagementType::SecurityReview => (
            "Pillar questions, high risks, improvement plan",
            "Two high risks found: single-AZ database and no tested restore. Improvement items agreed.".into(),
            vec!["Move the primary database to multi-AZ".into()],
        ),
        EngagementType::Enablement => ("Hands-on session", "Session delivered to eight engineers.".into(), vec![]),
    }
}

impl App {
    pub(crate) async fn demo_charters(&self, accounts: &[Account], users: &[User]) -> AppResult<usize> {
        let end = self.clock.now();
        let clock = Arc::new(DemoClock::at(end));
        let past = App::new(self.store.clone(), clock.clone(), self.config.clone());
        let mut rng = StdRng::seed_from_u64(5150);
        let maya = users.iter().find(|u| u.email == crate::demo::demo_email("maya.chen")).map(|u| u.id);
        let mut live: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some())
            .collect();
        // The demo TAM's accounts first, then those with customer logins: both show their charter.
        let customers: Vec<_> = users.iter().filter_map(|u| u.account_id).collect();
        live.sort_by_key(|a| (a.fields.primary_tam_id != maya, !customers.contains(&a.id)));
        let mut meetings = 0;
        for (n, account) in live.iter().take(CHARTERED).enumerate() {
            let f = &account.fields;
            let tam = Actor::new(self.store.get_user(f.primary_tam_id.expect("filtered")).await?);
            let today = local_today(account, end);
            let launch = today.saturating_sub(jiff::Span::new().days(rng.random_range(90..270)));
            clock.set(at_local(launch.saturating_sub(jiff::Span::new().days(7)), 9, &f.timezone));

            // The stakeholder map: four to six people; one account in ten without a sponsor.
            let mut contacts = Vec::new();
            for (i, (first, last, title, role, influence)) in PEOPLE.iter().enumerate().take(4 + n % 3) {
                let sponsor = i == 0 && n % 10 != 7;
                let draft = ContactDraft {
                    name: format!("{first} {last}"),
                    email: Some(format!(
                        "{}.{}@{}.example",
                        first.to_lowercase(),
                        last.to_lowercase(),
                        f.name.split(' ').next().unwrap_or("customer").to_lowercase()
                    )),
                    title: title.to_string(),
                    role: if sponsor || i > 0 { role.to_string() } else { "Budget owner".into() },
                    influence: Some(influence.to_string()),
                    sentiment: Some(
                        ["champion", "positive", "neutral", "positive", "negative", "unknown"][(i + n) % 6].into(),
                    ),
                    relationship_owner_id: Some(if i == 0 { f.pam_id.unwrap_or(tam.user.id) } else { tam.user.id }),
                    executive_sponsor: sponsor,
                    ..Default::default()
                };
                contacts.push(past.create_contact(&tam, account.id, draft).await?);
            }
            let mut provider = vec![NamedUser { user_id: tam.user.id, role: "Primary TAM".into() }];
            if let Some(pam) = f.pam_id {
                provider.push(NamedUser { user_id: pam, role: "Account manager".into() });
            }
            let draft = CharterDraft {
                account_id: Some(account.id),
                version: None,
                launch_date: Some(launch.to_string()),
                commitments: None,
                customer_contacts: vec![
                    NamedContact { contact_id: contacts[0].id, role: "Executive sponsor".into() },
                    NamedContact { contact_id: contacts[2].id, role: "Day-to-day contact".into() },
                ],
                provider_contacts: provider,
                escalation_path: vec![
                    EscalationStep {
                        name: tam.user.name.clone(),
                        role: "Primary TAM".into(),
                        reach: tam.user.email.clone(),
                        respond_within_minutes: 30,
                    },
                    EscalationStep {
                        name: "Support duty manager".into(),
                        role: "24x7 duty manager".into(),
                        reach: "+1 555 0100 (pager rota)".into(),
                        respond_within_minutes: 15,
                    },
                    EscalationStep {
                        name: "TAM leadership".into(),
                        role: "Head of Technical Account Management".into(),
                        reach: "tam-leads@tamhub.example".into(),
                        respond_within_minutes: 60,
                    },
                ],
                notes: "Agreed at the launch review. Engagements may move within their window by mutual agreement."
                    .into(),
            };
            past.save_charter(&tam, account.id, draft, Some(0)).await?;

            // Hold the engagements that have come due, the account's way.
            let (on_time, late, skipped) = discipline(n);
            let query = EngagementQuery {
                account_id: Some(account.id),
                to: Some(today),
                ..EngagementQuery::in_scope(tamhub_domain::scope::AccountScope::All)
            };
            let due = self.store.list_engagements(&query).await?;
            for (k, e) in due.iter().enumerate() {
                let roll: f64 = rng.random();
                let window = i64::from(e.due_window_days);
                let held_on = if roll < on_time {
                    Some(
                        e.due_on
                            .saturating_add(jiff::Span::new().days(rng.random_range(-window.min(2)..=window.min(2)))),
                    )
                } else if roll < on_time + late {
                    Some(e.window_closes().saturating_add(jiff::Span::new().days(rng.random_range(1..=5))))
                } else {
                    None
                };
                match held_on {
                    Some(day) if day < today => {
                        let starts_at = at_local(day, 10 + (k % 5) as i8, &f.timezone);
                        clock.set(starts_at.saturating_add(SignedDuration::from_hours(2)).unwrap_or(starts_at));
                        let (agenda, notes, decisions) = notes_for(e.engagement_type, &f.name);
                        let action_items = if k % 4 == 1 {
                            vec![ActionDraft {
                                title: format!(
                                    "Follow up: {}",
                                    decisions.first().cloned().unwrap_or_else(|| "send the notes".into())
                                ),
                                owner_id: Some(tam.user.id),
                                due_at: starts_at.saturating_add(SignedDuration::from_hours(24 * 14)).ok(),
                                ..Default::default()
                            }]
                        } else {
                            Vec::new()
                        };
                        let meeting = MeetingDraft {
                            meeting_type: e.engagement_type.as_str().into(),
                            title: e.label.clone(),
                            starts_at: Some(starts_at),
                            duration_minutes: Some(if e.engagement_type == EngagementType::CheckIn { 30 } else { 90 }),
                            attendee_user_ids: vec![tam.user.id],
                            // Business and executive reviews bring the sponsor; the rest the working team.
                            attendee_contact_ids: if matches!(
                                e.engagement_type,
                                EngagementType::Qbr | EngagementType::Ebr
                            ) {
                                vec![contacts[0].id, contacts[2].id]
                            } else {
                                contacts.iter().skip(k % 2 + 1).take(2).map(|c| c.id).collect()
                            },
                            agenda: agenda.into(),
                            notes,
                            decisions,
                            engagement_id: Some(e.id),
                            action_items,
                            ..Default::default()
                        };
                        past.record_meeting(&tam, account.id, meeting).await?;
                        meetings += 1;
                    }
                    Some(_) => {}
                    None if roll < on_time + late + skipped && e.window_closes() < today => {
                        clock.set(at_local(e.due_on, 8, &f.timezone));
                        let reason =
                            ["Customer change freeze", "Customer offsite", "Rescheduled by the customer"][k % 3];
                        past.skip_engagement(&tam, e.id, reason).await?;
                    }
                    None => {}
                }
            }
            // A charter change for some: the cost review moves to monthly.
            if n % 7 == 2 {
                clock.set(end.saturating_sub(SignedDuration::from_hours(24 * 10)).unwrap_or(end));
                let view = past.charter(&tam, account.id).await?;
                if let Some(current) = view.charter {
                    let mut draft = CharterDraft::from_content(&current.content);
                    if let Some(list) = draft.commitments.as_mut() {
                        for c in list.iter_mut().filter(|c| c.engagement_type == "cost_review") {
                            c.label = "Monthly cost review".into();
                            c.rrule = "FREQ=MONTHLY".into();
                            c.due_window_days = 7;
                        }
                    }
                    past.save_charter(&tam, account.id, draft, Some(current.version)).await?;
                }
            }
        }
        self.engagement_scan_once().await?;
        Ok(meetings)
    }
}
