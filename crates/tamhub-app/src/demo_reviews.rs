//! Reviews for the demo: a Well-Architected review of most workloads of the live accounts, held
//! once or twice (the second session fixing much of the first's risks), some longer ago than 12
//! months and some workloads never reviewed, so coverage flags show; improvement items planned as
//! actions and findings, some resolved; security reviews; and an imported serverless lens, whose
//! version 2 came out after its reviews started.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tamhub_domain::SignedDuration;
use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::findings::FindingDraft;
use tamhub_domain::reviews::{AnswerDraft, AnswersDraft, ImprovementDraft, Lens, MilestoneDraft, ReviewDraft};
use tamhub_domain::users::{Role, User};

use crate::demo_tickets::DemoClock;
use crate::engagements::local_today;
use crate::{Actor, App, AppError, AppResult};

/// A small lens an admin imported: what a team adds beside the built-in ones.
const SERVERLESS_LENS: &str = r#"{
  "format": "tamhub-lens/1",
  "key": "serverless",
  "version": 1,
  "kind": "custom",
  "name": "Serverless review",
  "description": "Functions, queues and event-driven workloads: tracing, retries and cold starts.",
  "pillars": [
    {"key": "operations", "name": "Operations", "questions": [
      {"key": "srv-ops-1", "title": "How do you follow a request across functions and queues?", "description": "", "choices": [
        {"key": "tracing", "title": "Distributed tracing on every function", "risk_if_absent": "high", "improvement": "Turn on distributed tracing for every function and queue consumer."},
        {"key": "correlation", "title": "A correlation id in every log line", "risk_if_absent": "medium", "improvement": "Pass a correlation id through every event and log it."},
        {"key": "dashboards", "title": "A dashboard per event flow", "risk_if_absent": "none", "improvement": "Build a dashboard per event flow."}
      ]},
      {"key": "srv-ops-2", "title": "How do failed events get handled?", "description": "", "choices": [
        {"key": "dlq", "title": "Dead-letter queues on every consumer", "risk_if_absent": "high", "improvement": "Add a dead-letter queue to every consumer and alarm on its depth."},
        {"key": "idempotent", "title": "Handlers are idempotent", "risk_if_absent": "medium", "improvement": "Make handlers idempotent so retries are safe."}
      ]}
    ]},
    {"key": "performance", "name": "Performance", "questions": [
      {"key": "srv-perf-1", "title": "How do you keep cold starts out of the user's path?", "description": "", "choices": [
        {"key": "provisioned", "title": "Provisioned concurrency on latency-critical functions", "risk_if_absent": "medium", "improvement": "Provision concurrency for the functions users wait on."},
        {"key": "small-packages", "title": "Small deployment packages", "risk_if_absent": "none", "improvement": "Trim dependencies from function packages."}
      ]}
    ]}
  ]
}"#;

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// Every question of the lens answered: each practice in place with probability `maturity`.
fn answers(
    lens: &Lens,
    rng: &mut StdRng,
    maturity: f64,
    before: Option<&tamhub_domain::reviews::Review>,
) -> AnswersDraft {
    let answers = lens
        .pillars
        .iter()
        .flat_map(|p| &p.questions)
        .map(|q| {
            let had =
                |key: &str| before.and_then(|r| r.answer(&q.key)).is_some_and(|a| a.selected.iter().any(|s| s == key));
            let selected = q
                .choices
                .iter()
                // A second session keeps what was in place and adds some of what was missing.
                .filter(|c| had(&c.key) || rng.random_bool(maturity))
                .map(|c| c.key.clone())
                .collect();
            AnswerDraft { question: q.key.clone(), state: None, selected, notes: None }
        })
        .collect();
    AnswersDraft { answers, version: None }
}

impl App {
    pub(crate) async fn demo_reviews(&self, accounts: &[Account], users: &[User]) -> AppResult<usize> {
        let admin = users.iter().find(|u| u.role == Role::Admin).ok_or(AppError::NotFound)?;
        let admin = Actor::new(admin.clone());
        self.import_lens(&admin, SERVERLESS_LENS).await?;
        let lenses = self.lenses(&admin).await?;
        let lens = |key: &str| lenses.iter().filter(|l| l.key == key).max_by_key(|l| l.version).cloned();
        let (Some(wa), Some(security), Some(serverless)) =
            (lens("well-architected"), lens("security"), lens("serverless"))
        else {
            return Err(AppError::NotFound);
        };
        let end = self.clock.now();
        let clock = Arc::new(DemoClock::at(end));
        let past = App::new(self.store.clone(), clock.clone(), self.config.clone());
        let mut rng = StdRng::seed_from_u64(77);
        let mut count = 0;
        let live = accounts.iter().filter(|a| {
            a.fields.phase == Phase::PostLaunch && a.fields.primary_tam_id.is_some() && !a.fields.workloads.is_empty()
        });
        for (n, account) in live.enumerate() {
            let tam = Actor::new(self.store.get_user(account.fields.primary_tam_id.expect("filtered")).await?);
            for (w, workload) in account.fields.workloads.iter().enumerate() {
                // One workload in nine was never reviewed.
                if (n + 4 * w) % 9 == 8 {
                    continue;
                }
                let first = end.saturating_sub(days(rng.random_range(75..560))).unwrap_or(end);
                clock.set(first);
                let draft = ReviewDraft {
                    account_id: Some(account.id),
                    workload: workload.clone(),
                    lens_key: wa.key.clone(),
                    name: String::new(),
                };
                let review = past.start_review(&tam, draft).await?;
                let maturity = rng.random_range(0.35..0.75);
                let mut draft = answers(&wa, &mut rng, maturity, None);
                draft.version = Some(review.version);
                let review = past.answer_review(&tam, review.id, draft).await?;
                clock.set(first.saturating_add(SignedDuration::from_hours(2)).unwrap_or(first));
                let milestone = MilestoneDraft { name: "Initial review".into(), version: Some(review.version) };
                let mut review = past.add_milestone(&tam, review.id, milestone).await?;
                // Two in three held a follow-up session about half a year later.
                let second = first.saturating_add(days(rng.random_range(150..220))).unwrap_or(first);
                if second < end && (n + w) % 3 != 2 {
                    clock.set(second);
                    let mut draft = answers(&wa, &mut rng, 0.5, Some(&review));
                    draft.version = Some(review.version);
                    let answered = past.answer_review(&tam, review.id, draft).await?;
                    let milestone = MilestoneDraft { name: "Follow-up review".into(), version: Some(answered.version) };
                    review = past.add_milestone(&tam, review.id, milestone).await?;
                }
                count += 1;
                // The first two high-risk items are planned now; the first is done on every other review.
                let items: Vec<(String, String)> = tamhub_domain::reviews::assess(&review, &wa)
                    .questions
                    .iter()
                    .flat_map(|q| {
                        q.improvements
                            .iter()
                            .filter(|i| i.risk == tamhub_domain::reviews::ReviewRisk::High)
                            .map(|i| (q.question.clone(), i.choice.clone()))
                    })
                    .take(2)
                    .collect();
                let today = local_today(account, end);
                for (i, (question, choice)) in items.into_iter().enumerate() {
                    let draft = ImprovementDraft {
                        question,
                        choice,
                        owner_id: None,
                        due_on: today.checked_add(jiff::Span::new().days(30 + 30 * i as i64)).ok(),
                        effort: Some(["low", "medium", "high"][(n + i) % 3].into()),
                        needs_downtime: Some((n + i) % 4 == 0),
                        version: Some(review.version),
                    };
                    review = self.plan_improvement(&tam, review.id, draft).await?;
                    if i == 0 && (n + w) % 2 == 0 {
                        let finding = review.improvements.last().expect("just planned").finding_id;
                        let done = FindingDraft {
                            status: Some("resolved".into()),
                            note: Some("Done in the last change window".into()),
                            version: Some(1),
                            ..Default::default()
                        };
                        self.save_finding(&tam, account.id, Some(finding), done).await?;
                    }
                }
            }
            // A security review of the first workload of every fourth account; a serverless
            // review started on every seventh.
            let first_workload = account.fields.workloads[0].clone();
            for (lens, every, held) in [(&security, 4, true), (&serverless, 7, false)] {
                if n % every != 1 {
                    continue;
                }
                let at = end.saturating_sub(days(rng.random_range(20..200))).unwrap_or(end);
                clock.set(at);
                let draft = ReviewDraft {
                    account_id: Some(account.id),
                    workload: first_workload.clone(),
                    lens_key: lens.key.clone(),
                    name: String::new(),
                };
                let review = past.start_review(&tam, draft).await?;
                let mut draft = answers(lens, &mut rng, 0.6, None);
                draft.version = Some(review.version);
                if !held {
                    draft.answers.truncate(2);
                }
                let review = past.answer_review(&tam, review.id, draft).await?;
                if held {
                    clock.set(at.saturating_add(SignedDuration::from_hours(3)).unwrap_or(at));
                    let milestone = MilestoneDraft { name: "Security review".into(), version: Some(review.version) };
                    past.add_milestone(&tam, review.id, milestone).await?;
                }
                count += 1;
            }
        }
        // Version 2 of the serverless lens came out after those reviews started: their pages offer the move.
        let v2 = SERVERLESS_LENS.replacen(r#""version": 1"#, r#""version": 2"#, 1).replacen(
            r#"{"key": "small-packages","#,
            r#"{"key": "arm", "title": "Functions run on the cheaper architecture where supported", "risk_if_absent": "none", "improvement": "Move functions to the cheaper architecture where the runtime supports it."},
        {"key": "small-packages","#,
            1,
        );
        self.import_lens(&admin, &v2).await?;
        Ok(count)
    }
}
