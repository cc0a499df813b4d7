//! Reviews in the UI: the reviews and workload coverage of an account or of every account the
//! reader sees; a review page answering its lens pillar by pillar, with the improvement plan,
//! milestones and the risk diff between two of them; and `/admin/lenses` to read and import lenses.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tamhub_app::{AppError, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::engagements::EngagementType;
use tamhub_domain::findings::Effort;
use tamhub_domain::ids::{AccountId, ReviewId};
use tamhub_domain::reviews::{
    AnswerDraft, AnswersDraft, ImprovementDraft, Lens, LensKind, LensMoveDraft, MilestoneDraft, ReviewDraft,
    ReviewRisk, RiskChange, assess, diff_between, lens_file,
};
use tamhub_domain::validation::FieldErrors;

use super::forms::{FormState, Opt, errors_text, opt, unprocessable};
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::api::reviews::{review_summary, with_lenses};
use crate::auth::{FormData, PageForm, PageUser};

pub struct CoverageRow {
    pub account: String,
    pub account_id: String,
    pub workload: String,
    pub last: String,
    pub review_id: String,
    pub flagged: bool,
}

pub struct ReviewRow {
    pub id: String,
    pub name: String,
    pub account: String,
    pub account_id: String,
    pub workload: String,
    pub lens: String,
    pub high: u32,
    pub medium: u32,
    pub answered: u32,
    pub questions: u32,
    pub milestones: usize,
    pub last_milestone: String,
}

#[derive(Template)]
#[template(path = "reviews/list.html")]
struct ReviewsPage {
    layout: Layout,
    account: Option<(String, String)>,
    coverage: Vec<CoverageRow>,
    flagged: usize,
    workloads_total: usize,
    rows: Vec<ReviewRow>,
    can_start: bool,
    workloads: Vec<Opt>,
    lenses: Vec<Opt>,
    form: FormState,
    alert: Option<String>,
}

fn when(t: Option<Timestamp>) -> String {
    t.map(format::instant).unwrap_or_default()
}

async fn reviews_page(state: &AppState, user: &PageUser, account_id: Option<AccountId>, form: FormState) -> PageResult {
    let account = match account_id {
        Some(id) => Some(state.app.get_account(&user.actor, id).await?),
        None => None,
    };
    let reviews = state.app.reviews(&user.actor, account_id).await?;
    let lenses = state.app.lenses(&user.actor).await?;
    let coverage = state.app.review_coverage_of(&user.actor, account_id, &reviews).await?;
    let mut ids: Vec<AccountId> =
        coverage.iter().map(|c| c.account_id).chain(reviews.iter().map(|r| r.account_id)).collect();
    ids.sort();
    ids.dedup();
    let names: BTreeMap<AccountId, String> = state
        .app
        .store
        .get_accounts(&ids)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|a| (a.id, a.fields.name))
        .collect();
    let name = |id: &AccountId| names.get(id).cloned().unwrap_or_default();
    let flagged = coverage.iter().filter(|c| c.flagged).count();
    let workloads_total = coverage.len();
    // The portfolio lists the flagged workloads; an account lists all of its own.
    let coverage = coverage
        .iter()
        .filter(|c| account.is_some() || c.flagged)
        .map(|c| CoverageRow {
            account: name(&c.account_id),
            account_id: c.account_id.to_string(),
            workload: c.workload.clone(),
            last: when(c.last_reviewed_at),
            review_id: c.review_id.map(|r| r.to_string()).unwrap_or_default(),
            flagged: c.flagged,
        })
        .collect();
    let rows = with_lenses(&reviews, &lenses)
        .into_iter()
        .map(|(r, lens)| {
            let s = review_summary(r, lens);
            ReviewRow {
                id: r.id.to_string(),
                name: r.name.clone(),
                account: name(&r.account_id),
                account_id: r.account_id.to_string(),
                workload: r.workload.clone(),
                lens: lens.map_or_else(|| r.lens_key.clone(), Lens::label),
                high: s.counts.high,
                medium: s.counts.medium,
                answered: s.counts.answered,
                questions: s.counts.questions,
                milestones: s.milestones,
                last_milestone: when(s.last_milestone_at),
            }
        })
        .collect();
    let can_start = account.is_some() && policy::can_work_charter(user.actor.user.role);
    let mut newest: BTreeMap<&str, &Lens> = BTreeMap::new();
    for l in &lenses {
        newest.insert(&l.key, l);
    }
    let lens_opts = lenses
        .iter()
        .filter(|l| newest.get(l.key.as_str()).is_some_and(|n| n.version == l.version))
        .map(|l| opt(l.key.clone(), l.label()))
        .collect();
    let refused = !form.errors.is_empty();
    let page = ReviewsPage {
        layout: Layout::new(user, if account.is_some() { "/" } else { "/reviews" }),
        account: account.as_ref().map(|a| (a.id.to_string(), a.fields.name.clone())),
        coverage,
        flagged,
        workloads_total,
        rows,
        can_start,
        workloads: account.iter().flat_map(|a| a.fields.workloads.iter()).map(|w| opt(w.clone(), w.clone())).collect(),
        lenses: lens_opts,
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

/// `GET /accounts/{id}/reviews`.
pub async fn account(State(state): State<AppState>, Path(id): Path<String>, user: PageUser) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let mut form = FormState::default();
    form.set("lens_key", "well-architected");
    reviews_page(&state, &user, Some(id), form).await
}

/// `GET /reviews`: every account's reviews and the workloads due one.
pub async fn portfolio(State(state): State<AppState>, user: PageUser) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    reviews_page(&state, &user, None, FormState::default()).await
}

/// `POST /accounts/{id}/reviews`: starts a review.
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id: AccountId = id.parse().map_err(|_| AppError::NotFound)?;
    let draft = ReviewDraft {
        account_id: Some(id),
        workload: form.get("workload").to_string(),
        lens_key: form.get("lens_key").to_string(),
        name: form.get("name").to_string(),
    };
    match state.app.start_review(&user.actor, draft).await {
        Ok(review) => Ok(Redirect::to(&format!("/reviews/{}", review.id)).into_response()),
        Err(AppError::Invalid { fields, .. }) => {
            reviews_page(&state, &user, Some(id), FormState::from_post(&form).with_errors(fields)).await
        }
        Err(other) => Err(other.into()),
    }
}

// ----- one review -----

pub struct ChoiceView {
    pub key: String,
    pub title: String,
    pub risk: &'static str,
    pub checked: bool,
}

pub struct ImprovementView {
    pub choice: String,
    pub title: String,
    pub improvement: String,
    pub risk: &'static str,
    pub risk_label: &'static str,
    /// The action and finding once planned.
    pub action_id: String,
    pub finding_id: String,
}

pub struct QuestionView {
    pub key: String,
    pub title: String,
    pub description: String,
    /// answered, not_applicable or unanswered.
    pub state: &'static str,
    /// high, medium, none or unanswered.
    pub risk: &'static str,
    pub risk_label: &'static str,
    pub notes: String,
    pub choices: Vec<ChoiceView>,
    pub improvements: Vec<ImprovementView>,
}

pub struct PillarView {
    pub key: String,
    pub name: String,
    pub answered: u32,
    pub questions: u32,
    pub high: u32,
    pub medium: u32,
    pub items: Vec<QuestionView>,
}

pub struct MilestoneView {
    pub number: u32,
    pub name: String,
    pub at: String,
    pub by: String,
    pub high: usize,
    pub medium: usize,
}

pub struct ChangeView {
    pub question: String,
    pub title: String,
    pub before: &'static str,
    pub after: &'static str,
}

pub struct DiffView {
    pub from: String,
    pub to: String,
    pub added: Vec<ChangeView>,
    pub removed: Vec<ChangeView>,
    pub changed: Vec<ChangeView>,
    pub from_high: u32,
    pub from_medium: u32,
    pub to_high: u32,
    pub to_medium: u32,
}

#[derive(Template)]
#[template(path = "reviews/show.html")]
struct ReviewPage {
    layout: Layout,
    id: String,
    name: String,
    account: (String, String),
    workload: String,
    lens: String,
    version: i64,
    high: u32,
    medium: u32,
    none: u32,
    answered: u32,
    questions: u32,
    pillars: Vec<PillarView>,
    planned: usize,
    open_items: usize,
    milestones: Vec<MilestoneView>,
    ends: Vec<Opt>,
    from: String,
    to: String,
    diff: Option<DiffView>,
    can_edit: bool,
    /// A newer version of the review's lens, to move to.
    newer_lens: Option<u32>,
    notice: Option<String>,
    /// The charter engagement a session of this lens fulfils, logged as a meeting.
    meeting_type: Option<&'static str>,
    owners: Vec<Opt>,
    efforts: Vec<Opt>,
    default_due: String,
    alert: Option<String>,
}

fn risk_key(risk: Option<ReviewRisk>) -> (&'static str, &'static str) {
    match risk {
        Some(r) => (r.as_str(), r.label()),
        None => ("unanswered", "Unanswered"),
    }
}

fn change_view(c: &RiskChange) -> ChangeView {
    ChangeView {
        question: c.question.clone(),
        title: c.title.clone(),
        before: risk_key(c.before).1,
        after: risk_key(c.after).1,
    }
}

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
    /// After moving to a newer lens version: answers kept and dropped.
    kept: Option<String>,
    dropped: Option<String>,
}

async fn review_page(
    state: &AppState,
    user: &PageUser,
    id: ReviewId,
    compare: CompareQuery,
    errors: FieldErrors,
) -> PageResult {
    let (account, review, lens) = state.app.get_review(&user.actor, id).await?;
    let newer_lens = state.app.lens(&user.actor, &review.lens_key, None).await?.version;
    let notice = match (compare.kept.as_deref(), compare.dropped.as_deref()) {
        (Some(kept), Some(dropped)) => Some(format!(
            "Moved to version {} of the lens: {kept} answers kept, {dropped} dropped (questions or practices it no longer has).",
            review.lens_version
        )),
        _ => None,
    };
    let assessment = assess(&review, &lens);
    let names = super::tickets::people(state, user, Some(&account)).await?;
    let mut pillars = Vec::new();
    for (pillar, p) in lens.pillars.iter().zip(&assessment.pillars) {
        let items = pillar
            .questions
            .iter()
            .map(|q| {
                let a = assessment.questions.iter().find(|x| x.question == q.key).expect("every question is assessed");
                let answer = review.answer(&q.key);
                let (risk, risk_label) = risk_key(a.risk);
                QuestionView {
                    key: q.key.clone(),
                    title: q.title.clone(),
                    description: q.description.clone(),
                    state: a.state.as_str(),
                    risk,
                    risk_label,
                    notes: answer.map(|x| x.notes.clone()).unwrap_or_default(),
                    choices: q
                        .choices
                        .iter()
                        .map(|c| ChoiceView {
                            key: c.key.clone(),
                            title: c.title.clone(),
                            risk: c.risk_if_absent.as_str(),
                            checked: answer.is_some_and(|x| x.selected.contains(&c.key)),
                        })
                        .collect(),
                    improvements: a
                        .improvements
                        .iter()
                        .map(|i| ImprovementView {
                            choice: i.choice.clone(),
                            title: i.title.clone(),
                            improvement: i.improvement.clone(),
                            risk: i.risk.as_str(),
                            risk_label: i.risk.label(),
                            action_id: i.planned.as_ref().map(|p| p.action_id.to_string()).unwrap_or_default(),
                            finding_id: i.planned.as_ref().map(|p| p.finding_id.to_string()).unwrap_or_default(),
                        })
                        .collect(),
                }
            })
            .collect();
        pillars.push(PillarView {
            key: p.key.clone(),
            name: p.name.clone(),
            answered: p.counts.answered,
            questions: p.counts.questions,
            high: p.counts.high,
            medium: p.counts.medium,
            items,
        });
    }
    let items = assessment.questions.iter().flat_map(|q| &q.improvements);
    let (planned, open_items) =
        items.fold((0, 0), |(p, o), i| if i.planned.is_some() { (p + 1, o) } else { (p, o + 1) });
    let milestones: Vec<MilestoneView> = review
        .milestones
        .iter()
        .rev()
        .map(|m| MilestoneView {
            number: m.number,
            name: m.name.clone(),
            at: format::instant(m.at),
            by: names.get(&m.by).cloned().unwrap_or_else(|| "someone".into()),
            high: m.risks.iter().filter(|r| r.risk == ReviewRisk::High).count(),
            medium: m.risks.iter().filter(|r| r.risk == ReviewRisk::Medium).count(),
        })
        .collect();
    let mut ends: Vec<Opt> =
        review.milestones.iter().map(|m| opt(m.number.to_string(), format!("{} · {}", m.number, m.name))).collect();
    ends.push(opt("current", "Now"));
    // By default the latest milestone is compared with the one before it.
    let count = review.milestones.len();
    let default_from = if count >= 2 { (count - 1).to_string() } else { "1".into() };
    let default_to = if count >= 2 { count.to_string() } else { "current".into() };
    let from = compare.from.filter(|s| !s.is_empty()).unwrap_or(default_from);
    let to = compare.to.filter(|s| !s.is_empty()).unwrap_or(default_to);
    let mut errors = errors;
    let diff = if count == 0 {
        None
    } else {
        // The review and its lens are at hand: compare them here rather than read them again.
        match diff_between(&review, &lens, &from, &to) {
            Ok(d) => Some(DiffView {
                from: d.from.clone(),
                to: d.to.clone(),
                added: d.added.iter().map(change_view).collect(),
                removed: d.removed.iter().map(change_view).collect(),
                changed: d.changed.iter().map(change_view).collect(),
                from_high: d.from_counts.high,
                from_medium: d.from_counts.medium,
                to_high: d.to_counts.high,
                to_medium: d.to_counts.medium,
            }),
            Err(fields) => {
                errors.merge(fields);
                None
            }
        }
    };
    let can_edit = policy::can_work_charter(user.actor.user.role);
    let today = tamhub_app::engagements::local_today(&account, state.app.clock.now());
    let refused = !errors.is_empty();
    let page = ReviewPage {
        layout: Layout::new(user, "/reviews"),
        id: review.id.to_string(),
        name: review.name.clone(),
        account: (account.id.to_string(), account.fields.name.clone()),
        workload: review.workload.clone(),
        lens: lens.label(),
        version: review.version,
        high: assessment.counts.high,
        medium: assessment.counts.medium,
        none: assessment.counts.none,
        answered: assessment.counts.answered,
        questions: assessment.counts.questions,
        pillars,
        planned,
        open_items,
        milestones,
        ends,
        from,
        to,
        diff,
        can_edit,
        newer_lens: (newer_lens > review.lens_version).then_some(newer_lens),
        notice,
        meeting_type: match lens.kind {
            LensKind::WellArchitected => Some(EngagementType::WellArchitectedReview.as_str()),
            LensKind::Security => Some(EngagementType::SecurityReview.as_str()),
            LensKind::Cost => Some(EngagementType::CostReview.as_str()),
            LensKind::Custom => None,
        },
        owners: if can_edit {
            // The caller first, then the account team: no empty choice, the owner defaults to the caller.
            super::plans::owner_options(state, user, &account).await?.into_iter().filter(|o| !o.0.is_empty()).collect()
        } else {
            Vec::new()
        },
        efforts: Effort::ALL.iter().map(|(e, n)| opt(*n, e.label())).collect(),
        default_due: today.checked_add(jiff::Span::new().days(30)).unwrap_or(today).to_string(),
        alert: errors_text(&errors),
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

fn review_id(text: &str) -> Result<ReviewId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

/// `GET /reviews/{id}[?from=N&to=M|current]`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    user: PageUser,
    Query(compare): Query<CompareQuery>,
) -> PageResult {
    review_page(&state, &user, review_id(&id)?, compare, FieldErrors::new()).await
}

/// After a change: back to the review, or the review with what was refused.
async fn after_change<T>(
    state: &AppState,
    user: &PageUser,
    id: ReviewId,
    anchor: &str,
    result: Result<T, AppError>,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/reviews/{id}{anchor}")).into_response()),
        Err(AppError::Invalid { fields, .. }) => review_page(state, user, id, CompareQuery::default(), fields).await,
        Err(AppError::Conflict(message)) => {
            review_page(state, user, id, CompareQuery::default(), FieldErrors::single("version", message)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// One pillar's answers as posted: every question of the form is named in `question`; a
/// question with practices checked is answered; otherwise its `state:` radio says whether none
/// is in place, it does not apply, or it stays unanswered.
fn answers_from(form: &FormData) -> AnswersDraft {
    let answers = form
        .all("question")
        .into_iter()
        .map(|q| {
            let selected: Vec<String> = form.all(&format!("choice:{q}")).into_iter().map(str::to_string).collect();
            let radio = form.get(&format!("state:{q}"));
            let state = match (selected.is_empty(), radio) {
                (false, "not_applicable") => "not_applicable",
                (false, _) | (true, "none") => "answered",
                (true, "not_applicable") => "not_applicable",
                (true, _) => "unanswered",
            };
            AnswerDraft {
                question: q.to_string(),
                state: Some(state.to_string()),
                selected,
                notes: Some(form.get(&format!("notes:{q}")).to_string()),
            }
        })
        .collect();
    AnswersDraft { answers, version: form.get("version").parse().ok() }
}

/// `POST /reviews/{id}/answers`: one pillar's answers.
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = review_id(&id)?;
    let result = state.app.answer_review(&user.actor, id, answers_from(&form)).await;
    let anchor = format!("#pillar-{}", form.get("pillar"));
    after_change(&state, &user, id, &anchor, result).await
}

/// `POST /reviews/{id}/lens-version`: moves the review to the newest version of its lens.
pub async fn move_lens(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = review_id(&id)?;
    let draft = LensMoveDraft {
        lens_version: form.get("lens_version").parse().ok(),
        version: form.get("version").parse().ok(),
    };
    match state.app.move_review_lens(&user.actor, id, draft).await {
        Ok((_, moved)) => {
            let dropped = moved.dropped_questions.len() + moved.dropped_choices.len();
            Ok(Redirect::to(&format!("/reviews/{id}?kept={}&dropped={dropped}", moved.kept)).into_response())
        }
        Err(e) => after_change::<()>(&state, &user, id, "", Err(e)).await,
    }
}

/// `POST /reviews/{id}/milestones`.
pub async fn milestone(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = review_id(&id)?;
    let draft = MilestoneDraft { name: form.get("name").to_string(), version: form.get("version").parse().ok() };
    let result = state.app.add_milestone(&user.actor, id, draft).await;
    after_change(&state, &user, id, "#milestones", result).await
}

/// `POST /reviews/{id}/improvements`: an improvement item becomes an action and a finding.
pub async fn improvement(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { user, form }: PageForm,
) -> PageResult {
    let id = review_id(&id)?;
    let mut errors = FieldErrors::new();
    let owner_id = match form.get("owner_id") {
        "" => None,
        text => text.parse().map_err(|_| errors.add("owner_id", "choose someone of the account team")).ok(),
    };
    let due_on = match form.get("due_on").trim() {
        "" => None,
        text => text.parse().map_err(|_| errors.add("due_on", "must be a date (YYYY-MM-DD)")).ok(),
    };
    let draft = ImprovementDraft {
        question: form.get("question").to_string(),
        choice: form.get("choice").to_string(),
        owner_id,
        due_on,
        effort: Some(form.get("effort").to_string()).filter(|e| !e.is_empty()),
        needs_downtime: Some(form.checked("needs_downtime")),
        version: form.get("version").parse().ok(),
    };
    let result = if errors.is_empty() {
        state.app.plan_improvement(&user.actor, id, draft).await
    } else {
        Err(AppError::invalid(errors))
    };
    after_change(&state, &user, id, "#improvements", result).await
}

// ----- lenses -----

pub struct LensRow {
    pub key: String,
    pub version: u32,
    pub name: String,
    pub kind: &'static str,
    pub description: String,
    pub pillars: String,
    pub questions: usize,
    pub builtin: bool,
}

#[derive(Template)]
#[template(path = "admin/lenses.html")]
struct LensesPage {
    layout: Layout,
    rows: Vec<LensRow>,
    can_import: bool,
    notice: Option<String>,
    alert: Option<String>,
    form: FormState,
}

async fn lenses_page(state: &AppState, user: &PageUser, notice: Option<String>, form: FormState) -> PageResult {
    let lenses = state.app.lenses(&user.actor).await?;
    let rows = lenses
        .iter()
        .map(|l| LensRow {
            key: l.key.clone(),
            version: l.version,
            name: l.name.clone(),
            kind: l.kind.label(),
            description: l.description.clone(),
            pillars: l.pillars.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(" · "),
            questions: l.question_count(),
            builtin: l.builtin,
        })
        .collect();
    let refused = !form.errors.is_empty();
    let page = LensesPage {
        layout: Layout::new(user, "/reviews"),
        rows,
        can_import: policy::can_manage_lenses(user.actor.user.role),
        notice,
        alert: errors_text(&form.errors),
        form,
    };
    Ok(if refused { unprocessable(&page) } else { render(&page) })
}

#[derive(Deserialize)]
pub struct LensNotice {
    imported: Option<String>,
    version: Option<String>,
}

/// `GET /admin/lenses`: every lens; admins import new ones here.
pub async fn lenses(State(state): State<AppState>, user: PageUser, Query(q): Query<LensNotice>) -> PageResult {
    let notice = q.imported.map(|key| {
        let version = q.version.unwrap_or_default();
        format!("Imported {key} version {version}. New reviews on this lens use it; started ones keep their version.")
    });
    lenses_page(&state, &user, notice, FormState::default()).await
}

/// `POST /admin/lenses`: imports the lens file pasted in `file`.
pub async fn import(State(state): State<AppState>, PageForm { user, form }: PageForm) -> PageResult {
    match state.app.import_lens(&user.actor, form.get("file")).await {
        Ok(lens) => {
            // Lens keys are URL-safe by their format.
            Ok(Redirect::to(&format!("/admin/lenses?imported={}&version={}", lens.key, lens.version)).into_response())
        }
        Err(AppError::Invalid { fields, .. }) => {
            lenses_page(&state, &user, None, FormState::from_post(&form).with_errors(fields)).await
        }
        Err(AppError::Conflict(message)) => {
            lenses_page(
                &state,
                &user,
                None,
                FormState::from_post(&form).with_errors(FieldErrors::single("version", message)),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /admin/lenses/{key}/{version}`: the lens file, to edit and import as a new version.
pub async fn download(
    State(state): State<AppState>,
    Path((key, version)): Path<(String, String)>,
    user: PageUser,
) -> PageResult {
    let version: u32 = version.trim_end_matches(".json").parse().map_err(|_| AppError::NotFound)?;
    let lens = state.app.lens(&user.actor, &key, Some(version)).await?;
    let body = serde_json::to_string_pretty(&lens_file(&lens)).map_err(|e| AppError::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"{}-v{}.json\"", lens.key, lens.version);
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}
