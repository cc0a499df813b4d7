//! Lens-based reviews (`/api/v1/reviews`) and their lenses (`/api/v1/lenses`): answers with the
//! risk each gives, milestones and their risk diff, improvement items turned into actions, and the
//! workloads without a Well-Architected review in the last 12 months.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tamhub_app::AppError;
use tamhub_domain::Timestamp;
use tamhub_domain::ids::{AccountId, ReviewId};
use tamhub_domain::reviews::{
    AnswersDraft, Assessment, ImprovementDraft, Lens, LensKind, LensMove, LensMoveDraft, MilestoneDraft, Review,
    ReviewDraft, RiskCounts, RiskDiff, WorkloadCoverage, assess,
};
use utoipa::{IntoParams, ToSchema};

use super::json::{ApiJson, ApiQuery};
use super::pagination::given;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};

/// A lens version without its questions.
#[derive(Serialize, ToSchema)]
pub struct LensSummary {
    pub key: String,
    pub version: u32,
    pub kind: LensKind,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    pub pillars: usize,
    pub questions: usize,
}

#[derive(Serialize, ToSchema)]
pub struct LensList {
    pub items: Vec<LensSummary>,
}

fn lens_summary(l: &Lens) -> LensSummary {
    LensSummary {
        key: l.key.clone(),
        version: l.version,
        kind: l.kind,
        name: l.name.clone(),
        description: l.description.clone(),
        builtin: l.builtin,
        pillars: l.pillars.len(),
        questions: l.question_count(),
    }
}

#[utoipa::path(get, path = "/api/v1/lenses", tag = "reviews",
    responses((status = 200, body = LensList), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn lenses(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<LensList>> {
    let items = state.app.lenses(&actor).await?.iter().map(lens_summary).collect();
    Ok(axum::Json(LensList { items }))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct LensParams {
    /// A version to read; the newest by default.
    pub version: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/lenses/{key}", tag = "reviews",
    params(("key" = String, Path, description = "Lens key"), LensParams),
    responses((status = 200, body = Lens), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show_lens(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiQuery(params): ApiQuery<LensParams>,
) -> ApiResult<axum::Json<Lens>> {
    let version = match given(&params.version) {
        None => None,
        Some(v) => Some(v.parse().map_err(|_| AppError::invalid_field("version", "must be a version number"))?),
    };
    Ok(axum::Json(state.app.lens(&actor, &key, version).await?))
}

/// Imports a lens file (format tamhub-lens/1, see docs/reviews.md): a new lens or a newer version
/// of an imported one. Admins only.
#[utoipa::path(post, path = "/api/v1/lenses", tag = "reviews",
    request_body(content = Object, description = "A lens file: format, key, version, kind, name, description, pillars"),
    responses((status = 201, body = Lens), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_lens(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(file): ApiJson<serde_json::Value>,
) -> ApiResult<impl IntoResponse> {
    let lens = state.app.import_lens(&actor, &file.to_string()).await?;
    Ok((StatusCode::CREATED, axum::Json(lens)))
}

/// A review in a list: where it stands without its answers.
#[derive(Serialize, ToSchema)]
pub struct ReviewSummary {
    pub id: ReviewId,
    pub account_id: AccountId,
    pub workload: String,
    pub name: String,
    pub lens_key: String,
    pub lens_version: u32,
    pub lens_kind: LensKind,
    pub counts: RiskCounts,
    pub milestones: usize,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_milestone_at: Option<Timestamp>,
    pub improvements_planned: usize,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewSummary>,
}

/// A review with the name of its lens and where each question stands.
#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    #[serde(flatten)]
    pub review: Review,
    pub lens_name: String,
    pub assessment: Assessment,
}

pub(crate) fn review_summary(review: &Review, lens: Option<&Lens>) -> ReviewSummary {
    ReviewSummary {
        id: review.id,
        account_id: review.account_id,
        workload: review.workload.clone(),
        name: review.name.clone(),
        lens_key: review.lens_key.clone(),
        lens_version: review.lens_version,
        lens_kind: review.lens_kind,
        counts: lens.map(|l| assess(review, l).counts).unwrap_or_default(),
        milestones: review.milestones.len(),
        last_milestone_at: review.last_milestone_at(),
        improvements_planned: review.improvements.len(),
        updated_at: review.updated_at,
    }
}

/// Each review with its lens version, found once per lens.
pub(crate) fn with_lenses<'a>(reviews: &'a [Review], lenses: &'a [Lens]) -> Vec<(&'a Review, Option<&'a Lens>)> {
    let by_key: HashMap<(&str, u32), &Lens> = lenses.iter().map(|l| ((l.key.as_str(), l.version), l)).collect();
    reviews.iter().map(|r| (r, by_key.get(&(r.lens_key.as_str(), r.lens_version)).copied())).collect()
}

fn review_out(review: Review, lens: &Lens) -> ReviewOut {
    ReviewOut { assessment: assess(&review, lens), lens_name: lens.name.clone(), review }
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Only this account's reviews.
    pub account_id: Option<String>,
}

fn account_param(value: &Option<String>) -> Result<Option<AccountId>, AppError> {
    given(value)
        .map(|v| v.parse().map_err(|_| AppError::invalid_field("account_id", "must be an account id")))
        .transpose()
}

#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(ReviewParams),
    responses((status = 200, body = ReviewList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reviews(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ReviewParams>,
) -> ApiResult<axum::Json<ReviewList>> {
    let account = account_param(&params.account_id)?;
    let reviews = state.app.reviews(&actor, account).await?;
    let lenses = state.app.lenses(&actor).await?;
    let items = with_lenses(&reviews, &lenses).into_iter().map(|(r, l)| review_summary(r, l)).collect();
    Ok(axum::Json(ReviewList { items }))
}

#[utoipa::path(post, path = "/api/v1/reviews", tag = "reviews", request_body = ReviewDraft,
    responses((status = 201, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start_review(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(draft): ApiJson<ReviewDraft>,
) -> ApiResult<impl IntoResponse> {
    let review = state.app.start_review(&actor, draft).await?;
    let (_, review, lens) = state.app.get_review(&actor, review.id).await?;
    Ok((StatusCode::CREATED, axum::Json(review_out(review, &lens))))
}

#[derive(Serialize, ToSchema)]
pub struct CoverageList {
    pub items: Vec<WorkloadCoverage>,
    /// How many workloads have no Well-Architected milestone in the last 12 months.
    pub flagged: usize,
}

#[utoipa::path(get, path = "/api/v1/reviews/coverage", tag = "reviews", params(ReviewParams),
    responses((status = 200, body = CoverageList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn coverage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ReviewParams>,
) -> ApiResult<axum::Json<CoverageList>> {
    let account = account_param(&params.account_id)?;
    let items = state.app.review_coverage(&actor, account).await?;
    Ok(axum::Json(CoverageList { flagged: items.iter().filter(|c| c.flagged).count(), items }))
}

fn review_id(text: &str) -> Result<ReviewId, AppError> {
    text.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "reviews",
    params(("id" = ReviewId, Path, description = "Review id")),
    responses((status = 200, body = ReviewOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show_review(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ReviewOut>> {
    let (_, review, lens) = state.app.get_review(&actor, review_id(&id)?).await?;
    Ok(axum::Json(review_out(review, &lens)))
}

/// Answers some questions; all of them are recorded or none (a question of another lens, an
/// unknown choice: 422 naming `answers[i].…`).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/answers", tag = "reviews", request_body = AnswersDraft,
    params(("id" = ReviewId, Path, description = "Review id")),
    responses((status = 200, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn answer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<AnswersDraft>,
) -> ApiResult<axum::Json<ReviewOut>> {
    let review = state.app.answer_review(&actor, review_id(&id)?, draft).await?;
    show_review(State(state), ApiActor(actor), Path(review.id.to_string())).await
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/milestones", tag = "reviews", request_body = MilestoneDraft,
    params(("id" = ReviewId, Path, description = "Review id")),
    responses((status = 201, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_milestone(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<MilestoneDraft>,
) -> ApiResult<impl IntoResponse> {
    let review = state.app.add_milestone(&actor, review_id(&id)?, draft).await?;
    let out = show_review(State(state), ApiActor(actor), Path(review.id.to_string())).await?;
    Ok((StatusCode::CREATED, out))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// A milestone number; default 1.
    pub from: Option<String>,
    /// A milestone number or "current" (the default).
    pub to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reviews/{id}/diff", tag = "reviews",
    params(("id" = ReviewId, Path, description = "Review id"), DiffParams),
    responses((status = 200, body = RiskDiff), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn diff(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<DiffParams>,
) -> ApiResult<axum::Json<RiskDiff>> {
    let from = given(&params.from).unwrap_or_else(|| "1".into());
    let to = given(&params.to).unwrap_or_else(|| "current".into());
    Ok(axum::Json(state.app.review_diff(&actor, review_id(&id)?, &from, &to).await?))
}

/// Turns an improvement item (a practice missing from a risky question) into an action and a
/// finding of kind review_improvement.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/improvements", tag = "reviews", request_body = ImprovementDraft,
    params(("id" = ReviewId, Path, description = "Review id")),
    responses((status = 201, body = ReviewOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn plan_improvement(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<ImprovementDraft>,
) -> ApiResult<impl IntoResponse> {
    let review = state.app.plan_improvement(&actor, review_id(&id)?, draft).await?;
    let out = show_review(State(state), ApiActor(actor), Path(review.id.to_string())).await?;
    Ok((StatusCode::CREATED, out))
}

/// A review moved to another version of its lens, with what was kept and dropped.
#[derive(Serialize, ToSchema)]
pub struct LensMoveOut {
    pub moved: LensMove,
    pub review: ReviewOut,
}

/// Moves a review to a newer version of its lens (the newest by default): answers to questions
/// the new version still asks are kept, practices it no longer lists are dropped.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/lens-version", tag = "reviews", request_body = LensMoveDraft,
    params(("id" = ReviewId, Path, description = "Review id")),
    responses((status = 200, body = LensMoveOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn move_lens(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<LensMoveDraft>,
) -> ApiResult<axum::Json<LensMoveOut>> {
    let (review, moved) = state.app.move_review_lens(&actor, review_id(&id)?, draft).await?;
    let axum::Json(review) = show_review(State(state), ApiActor(actor), Path(review.id.to_string())).await?;
    Ok(axum::Json(LensMoveOut { moved, review }))
}
