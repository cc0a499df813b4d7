//! Lens-based reviews. Staff who see an account read its reviews; TAMs, PSMs, leadership and
//! admins start and answer them, save milestones and turn improvement items into actions (with a
//! finding of kind `review_improvement` tracking each). Admins import lenses; everyone on staff
//! reads them.

use tamhub_domain::accounts::{Account, Phase};
use tamhub_domain::actions::{ActionDraft, ActionSource};
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::findings::{FindingDraft, ReviewLink};
use tamhub_domain::ids::{AccountId, ReviewId};
use tamhub_domain::reviews::{
    AnswersDraft, ImprovementDraft, Lens, LensMove, LensMoveDraft, MilestoneDraft, Review, ReviewDraft, RiskDiff,
    WorkloadCoverage, assess, builtin_lenses, coverage, diff_between, move_to_lens, parse_lens,
};
use tamhub_store::PlanChange;

use crate::engagements::local_today;
use crate::plans::notice;
use crate::policy::{can_manage_lenses, can_work_charter, require};
use crate::{Actor, App, AppError, AppResult};

impl App {
    /// Every lens version: the built-in ones, then the imported ones, by key and version.
    pub async fn lenses(&self, actor: &Actor) -> AppResult<Vec<Lens>> {
        require(actor.user.role.is_staff(), "read review lenses")?;
        let mut lenses = builtin_lenses().to_vec();
        lenses.extend(self.store.list_lenses().await?);
        lenses.sort_by(|a, b| (!a.builtin, &a.key, a.version).cmp(&(!b.builtin, &b.key, b.version)));
        Ok(lenses)
    }

    /// A lens at a version (the newest without one).
    pub async fn lens(&self, actor: &Actor, key: &str, version: Option<u32>) -> AppResult<Lens> {
        let lenses = self.lenses(actor).await?;
        lenses
            .into_iter()
            .filter(|l| l.key == key && version.is_none_or(|v| v == l.version))
            .max_by_key(|l| l.version)
            .ok_or(AppError::NotFound)
    }

    /// Imports a lens file (JSON, format tamhub-lens/1): a new lens, or a newer version of one.
    pub async fn import_lens(&self, actor: &Actor, text: &str) -> AppResult<Lens> {
        require(can_manage_lenses(actor.user.role), "import review lenses")?;
        let lens = parse_lens(text).map_err(AppError::invalid)?;
        let lenses = self.lenses(actor).await?;
        if lenses.iter().any(|l| l.builtin && l.key == lens.key) {
            return Err(AppError::invalid_field(
                "key",
                format!("\"{}\" is a built-in lens; import your own under another key", lens.key),
            ));
        }
        if let Some(newest) = lenses.iter().filter(|l| l.key == lens.key).map(|l| l.version).max()
            && lens.version <= newest
        {
            return Err(AppError::invalid_field(
                "version",
                format!("must be above {newest}, the newest version of {}: versions never change", lens.key),
            ));
        }
        let audit = AuditEntry::new(
            self.clock.now(),
            Some(actor.user.id),
            "review_lens",
            format!("{}@{}", lens.key, lens.version),
            "import",
        )
        .with_after(&lens);
        self.store.import_lens(&lens, &audit).await?;
        Ok(lens)
    }

    /// Reviews of the accounts the actor sees (one account's with `account`), latest change first.
    pub async fn reviews(&self, actor: &Actor, account: Option<AccountId>) -> AppResult<Vec<Review>> {
        if let Some(a) = account {
            self.get_account(actor, a).await?;
        }
        require(actor.user.role.is_staff(), "read reviews")?;
        Ok(self.store.list_reviews(actor.scope, account).await?)
    }

    /// A review with its account and the lens version it answers.
    pub async fn get_review(&self, actor: &Actor, id: ReviewId) -> AppResult<(Account, Review, Lens)> {
        if !actor.user.role.is_staff() {
            return Err(AppError::NotFound);
        }
        let review = self.store.get_review(id).await?;
        let account = self.get_account(actor, review.account_id).await?;
        let lens = self.lens(actor, &review.lens_key, Some(review.lens_version)).await?;
        Ok((account, review, lens))
    }

    /// The review to change, checked: in scope, the actor may work on it, and not changed since read.
    async fn review_to_change(
        &self,
        actor: &Actor,
        id: ReviewId,
        version: Option<i64>,
    ) -> AppResult<(Account, Review, Lens)> {
        let found = self.get_review(actor, id).await?;
        require(can_work_charter(actor.user.role), "change reviews")?;
        crate::require_version("review", found.1.version, version)?;
        Ok(found)
    }

    async fn store_review(&self, actor: &Actor, before: Option<&Review>, review: Review) -> AppResult<Review> {
        let audit = AuditEntry::new(
            review.updated_at,
            Some(actor.user.id),
            "review",
            review.id,
            if before.is_some() { "update" } else { "create" },
        )
        .with_after(&review);
        let audit = match before {
            Some(b) => audit.with_before(b),
            None => audit,
        };
        let change = PlanChange { record: review, actions: Vec::new(), audit: vec![audit], notifications: Vec::new() };
        Ok(self.store.save_review(&change, &[]).await?)
    }

    /// Starts a review of one workload of an account on the newest version of a lens.
    pub async fn start_review(&self, actor: &Actor, draft: ReviewDraft) -> AppResult<Review> {
        let account_id = draft.account_id.ok_or_else(|| AppError::invalid_field("account_id", "must be given"))?;
        let account = self.get_account(actor, account_id).await?;
        require(actor.user.role.is_staff() && can_work_charter(actor.user.role), "start reviews")?;
        let lens = match draft.lens_key.trim() {
            "" => None,
            key => self.lens(actor, key, None).await.ok(),
        };
        let review = draft
            .validate(account.id, &account.fields.workloads, lens.as_ref(), actor.user.id, self.clock.now())
            .map_err(AppError::invalid)?;
        self.store_review(actor, None, review).await
    }

    /// Records answers (all of them or none).
    pub async fn answer_review(&self, actor: &Actor, id: ReviewId, draft: AnswersDraft) -> AppResult<Review> {
        let (_, before, lens) = self.review_to_change(actor, id, draft.version).await?;
        let review = draft.apply(&before, &lens, actor.user.id, self.clock.now()).map_err(AppError::invalid)?;
        self.store_review(actor, Some(&before), review).await
    }

    /// Moves a review to a newer version of its lens (the newest by default), keeping the answers
    /// to the questions it still asks.
    pub async fn move_review_lens(
        &self,
        actor: &Actor,
        id: ReviewId,
        draft: LensMoveDraft,
    ) -> AppResult<(Review, LensMove)> {
        let (_, before, _) = self.review_to_change(actor, id, draft.version).await?;
        let to = self.lens(actor, &before.lens_key, draft.lens_version).await.map_err(|_| {
            AppError::invalid_field("lens_version", format!("is not a version of the lens {}", before.lens_key))
        })?;
        let (review, moved) = move_to_lens(&before, &to, self.clock.now()).map_err(AppError::invalid)?;
        Ok((self.store_review(actor, Some(&before), review).await?, moved))
    }

    /// Freezes the review's risks as a milestone.
    pub async fn add_milestone(&self, actor: &Actor, id: ReviewId, draft: MilestoneDraft) -> AppResult<Review> {
        let (_, before, lens) = self.review_to_change(actor, id, draft.version).await?;
        let review = draft.apply(&before, &lens, actor.user.id, self.clock.now()).map_err(AppError::invalid)?;
        self.store_review(actor, Some(&before), review).await
    }

    /// Risks added, removed and changed between two milestones (or a milestone and now).
    pub async fn review_diff(&self, actor: &Actor, id: ReviewId, from: &str, to: &str) -> AppResult<RiskDiff> {
        let (_, review, lens) = self.get_review(actor, id).await?;
        diff_between(&review, &lens, from, to).map_err(AppError::invalid)
    }

    /// Turns an improvement item of a risky question into an action (owner, due day) and a
    /// finding of kind `review_improvement`, linked to each other and to the review.
    pub async fn plan_improvement(&self, actor: &Actor, id: ReviewId, draft: ImprovementDraft) -> AppResult<Review> {
        let (account, before, lens) = self.review_to_change(actor, id, draft.version).await?;
        let (question, choice) = (draft.question.trim(), draft.choice.trim());
        let assessment = assess(&before, &lens);
        let Some(asked) = assessment.questions.iter().find(|q| q.question == question) else {
            return Err(AppError::invalid_field(
                "question",
                format!("\"{question}\" is not a question of this review's lens, {}", lens.label()),
            ));
        };
        let Some(item) = asked.improvements.iter().find(|i| i.choice == choice) else {
            return Err(AppError::invalid_field(
                "choice",
                format!(
                    "\"{choice}\" is not an improvement item of {question}: answer the question first; only practices missing from it carry one"
                ),
            ));
        };
        if item.planned.is_some() {
            return Err(AppError::invalid_field("choice", "this improvement is planned already: see its action"));
        }
        let Some(due_on) = draft.due_on else {
            return Err(AppError::invalid_field("due_on", "must be given (YYYY-MM-DD)"));
        };
        let now = self.clock.now();
        let owner = draft.owner_id.unwrap_or(actor.user.id);
        if due_on < local_today(&account, now) {
            return Err(AppError::invalid_field("due_on", "must not be in the past (the account's time zone)"));
        }
        let zone = jiff::tz::TimeZone::get(&account.fields.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let due_at = due_on
            .at(23, 59, 0, 0)
            .to_zoned(zone)
            .map_err(|_| AppError::invalid_field("due_on", "is not a day of the account's calendar"))?
            .timestamp();
        let source = ActionSource::Review { review_id: before.id, account_id: account.id };
        let action_draft = ActionDraft {
            title: truncate(&item.improvement, 200),
            description: format!("{} · {}\nMissing practice: {}", lens.name, asked.title, item.title),
            action_type: "prevent".into(),
            priority: "normal".into(),
            owner_id: Some(owner),
            due_at: Some(due_at),
            service: None,
            link: None,
        };
        let action = self.new_account_action(actor, source, action_draft, "owner_id").await?;
        let finding_draft = FindingDraft {
            kind: Some("review_improvement".into()),
            title: Some(truncate(&item.improvement, 200)),
            description: Some(format!("{}: {}\nMissing practice: {}", lens.name, asked.title, item.title)),
            workload: Some(before.workload.clone()),
            effort: draft.effort.clone(),
            needs_downtime: draft.needs_downtime,
            ..Default::default()
        };
        let mut finding = finding_draft
            .validate(account.id, &account.fields.workloads, None, actor.user.id, now)
            .map_err(AppError::invalid)?;
        finding.review = Some(ReviewLink {
            review_id: before.id,
            question: question.to_string(),
            choice: choice.to_string(),
            action_id: action.id,
        });
        let mut review = before.clone();
        review.improvements.push(tamhub_domain::reviews::PlannedImprovement {
            question: question.to_string(),
            choice: choice.to_string(),
            action_id: action.id,
            finding_id: finding.id,
            by: actor.user.id,
            at: now,
        });
        review.updated_at = now;
        let audit = vec![
            AuditEntry::new(now, Some(actor.user.id), "review", review.id, "plan_improvement")
                .with_before(&before)
                .with_after(&review),
            AuditEntry::new(now, Some(actor.user.id), "action", action.id, "create").with_after(&action),
            AuditEntry::new(now, Some(actor.user.id), "finding", finding.id, "create").with_after(&finding),
        ];
        let notifications = if owner != actor.user.id {
            vec![notice(
                now,
                owner,
                &account,
                Some(&action),
                format!("Review improvement assigned to you: {}", action.title),
                format!("From the {} of {} ({})", lens.name, review.workload, account.fields.name),
            )]
        } else {
            Vec::new()
        };
        let change = PlanChange { record: review, actions: vec![action], audit, notifications };
        Ok(self.store.save_review(&change, &[finding]).await?)
    }

    /// Every workload of the launched (Post-Launch) accounts the actor sees (one account's with
    /// `account`), with its latest Well-Architected milestone; `flagged` when none is from the last
    /// 12 months. Every workload of a launched account counts as in production.
    pub async fn review_coverage(&self, actor: &Actor, account: Option<AccountId>) -> AppResult<Vec<WorkloadCoverage>> {
        let reviews = self.reviews(actor, account).await?;
        self.review_coverage_of(actor, account, &reviews).await
    }

    /// `review_coverage` from the reviews the caller has read already (`reviews(actor, account)`).
    pub async fn review_coverage_of(
        &self,
        actor: &Actor,
        account: Option<AccountId>,
        reviews: &[Review],
    ) -> AppResult<Vec<WorkloadCoverage>> {
        let accounts = match account {
            Some(a) => vec![self.get_account(actor, a).await?],
            None => self.live_accounts(actor.scope, None).await?,
        };
        // Production workloads are those of launched accounts.
        let accounts: Vec<Account> =
            accounts.into_iter().filter(|a| a.fields.phase == Phase::PostLaunch && a.archived_at.is_none()).collect();
        require(actor.user.role.is_staff(), "read review coverage")?;
        let workloads: Vec<(AccountId, Vec<String>)> =
            accounts.iter().map(|a| (a.id, a.fields.workloads.clone())).collect();
        Ok(coverage(&workloads, reviews, self.clock.now()))
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}
