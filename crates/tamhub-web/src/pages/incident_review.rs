//! An incident's post-incident review (SLA-SPEC 2.6, R-I5). Staff who work incidents write it in
//! one form and move it draft → in review → approved → published; an approver approves their own
//! part. PAMs read it. Customer contacts see the customer-facing RCA once it is published, and
//! nothing before. The incident page shows a compact card of it (`review_card`).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use tamhub_app::incidents::IncidentView;
use tamhub_app::postmortems::{ReviewCommand, ReviewView};
use tamhub_app::{AppError, policy};
use tamhub_domain::Timestamp;
use tamhub_domain::ids::{IncidentId, UserId};
use tamhub_domain::postmortems::{ContributingFactor, FactorKind, PostIncidentReview, ReviewContent, ReviewStatus};
use tamhub_domain::users::Role;
use tamhub_domain::validation::FieldErrors;

use super::accounts::NoticeQuery;
use super::forms::{FormState, Opt, opt, unprocessable};
use super::incident_timeline::Step;
use super::incidents::{parse_utc, role_holders, severity_class, utc_input};
use super::tickets::people;
use super::{Layout, PageError, PageResult, format, render};
use crate::AppState;
use crate::auth::{FormData, PageForm, PageIncidentAccess, PageUser};

/// Rows of the contributing-factors table at least; blank rows are ignored.
const FACTOR_ROWS: usize = 6;

/// The free-text lists of a review, one item per line in their textareas.
const LISTS: [(&str, &str); 4] = [
    ("five_whys", "Five whys"),
    ("went_well", "What went well"),
    ("went_poorly", "What went poorly"),
    ("lessons_learned", "Lessons learned"),
];

fn items(review: Option<&PostIncidentReview>, name: &str) -> Vec<String> {
    let Some(c) = review.map(|r| &r.content) else { return Vec::new() };
    match name {
        "five_whys" => c.five_whys.clone(),
        "went_well" => c.went_well.clone(),
        "went_poorly" => c.went_poorly.clone(),
        "lessons_learned" => c.lessons_learned.clone(),
        _ => Vec::new(),
    }
}

fn status_of(view: &ReviewView) -> (&'static str, &'static str) {
    match &view.review {
        Some(r) => (r.status.as_str(), r.status.label()),
        None => ("not_started", "Not started"),
    }
}

fn name_of(people: &HashMap<UserId, String>, id: UserId) -> String {
    people.get(&id).cloned().unwrap_or_else(|| "Someone".into())
}

/// One approver and whether they approved.
pub struct ApprovalChip {
    pub name: String,
    /// "2026-03-04 09:00 UTC", or empty while they have not.
    pub at: String,
}

/// The review as the incident page's card shows it.
pub struct ReviewCard {
    pub required: bool,
    /// `not_started`, `draft`, `in_review`, `approved` or `published`: the badge's class.
    pub status: &'static str,
    pub status_label: &'static str,
    pub started: bool,
    pub due: Option<String>,
    pub overdue: bool,
    pub owner: Option<String>,
    pub approvals: Vec<ApprovalChip>,
    /// Required and not approved yet: the incident does not close.
    pub blocks_close: bool,
}

fn approval_chips(review: &PostIncidentReview, people: &HashMap<UserId, String>) -> Vec<ApprovalChip> {
    review
        .approvals
        .iter()
        .map(|a| ApprovalChip {
            name: name_of(people, a.user_id),
            at: a.approved_at.map(format::instant).unwrap_or_default(),
        })
        .collect()
}

fn is_overdue(view: &ReviewView, now: Timestamp) -> bool {
    let done = view.review.as_ref().is_some_and(|r| r.status.is_done());
    !done && view.due_at.is_some_and(|due| now > due)
}

pub(super) fn review_card(view: &ReviewView, people: &HashMap<UserId, String>, now: Timestamp) -> ReviewCard {
    let (status, status_label) = status_of(view);
    let review = view.review.as_ref();
    ReviewCard {
        required: view.required,
        status,
        status_label,
        started: review.is_some(),
        due: view.due_at.map(format::instant),
        overdue: is_overdue(view, now),
        owner: review.and_then(|r| r.content.owner_id).map(|id| name_of(people, id)),
        approvals: review.map(|r| approval_chips(r, people)).unwrap_or_default(),
        blocks_close: view.required && !review.is_some_and(|r| r.status.is_done()),
    }
}

/// The customer-facing RCA of a published review: (text, when published).
pub(super) fn published_rca(view: &ReviewView) -> Option<(String, String)> {
    let review = view.review.as_ref().filter(|r| r.status == ReviewStatus::Published)?;
    Some((review.content.customer_facing_rca.clone(), review.published_at.map(format::instant).unwrap_or_default()))
}

/// A row of the contributing-factors table: `contributing_factors[2].kind` and `….text`.
pub struct FactorRow {
    pub kind: String,
    pub text: String,
    /// `contributing_factors[2]`: where its errors are.
    pub name: String,
}

/// A list of the read-only view: five whys, …
pub struct ListField {
    pub label: &'static str,
    pub items: Vec<String>,
}

/// Which part of the page came back with errors.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Failed {
    #[default]
    None,
    /// The content form (saving, or submitting what it names).
    Content,
    /// A state move: approve, request changes, publish.
    Move,
}

#[derive(Default)]
struct Returned {
    failed: Failed,
    form: FormState,
    /// The content was saved as a draft but the submit was refused.
    saved: bool,
}

/// The inputs of the content form: errors of any other field go to the form's foot.
const PLACED: [&str; 17] = [
    "owner_id",
    "meeting_at",
    "approver_ids",
    "summary",
    "users_affected",
    "leadup",
    "fault",
    "detection",
    "response",
    "recovery",
    "contributing_factors",
    "root_cause_category",
    "five_whys",
    "went_well",
    "went_poorly",
    "lessons_learned",
    "customer_facing_rca",
];

/// A field error as a sentence for the alert: "Contributing factors: name at least one root cause".
fn describe(field: &str, message: &str) -> String {
    if field == "status" {
        return message.to_string();
    }
    let base = field.split(['[', '.']).next().unwrap_or(field);
    let label = match base {
        "owner_id" => "Owner".to_string(),
        "approver_ids" => "Approvers".to_string(),
        "meeting_at" => "Review meeting".to_string(),
        "customer_facing_rca" => "Customer-facing RCA".to_string(),
        other => {
            let label = other.replace('_', " ");
            match label.get(..1) {
                Some(first) => first.to_uppercase() + &label[1..],
                None => label,
            }
        }
    };
    let rest = &field[base.len()..];
    let part = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((i, _)) => i.parse::<usize>().map(|i| format!(" (row {})", i + 1)).unwrap_or_default(),
        None => String::new(),
    };
    format!("{label}{part}: {message}")
}

#[derive(Template)]
#[template(path = "incidents/review.html")]
struct ReviewPage {
    layout: Layout,
    id: String,
    number: String,
    title: String,
    max_severity: &'static str,
    max_severity_class: String,
    incident_status_label: &'static str,
    resolved: bool,
    required: bool,
    /// Required and not approved yet: the incident does not close.
    blocks_close: bool,
    status: &'static str,
    status_label: &'static str,
    due: Option<String>,
    overdue: bool,
    progress: Vec<Step>,
    approvals: Vec<ApprovalChip>,
    owner: Option<String>,
    meeting: Option<String>,
    submitted: Option<String>,
    approved: Option<String>,
    published: Option<String>,
    notice: Option<String>,
    alert: Option<String>,
    /// The form is shown: staff who work incidents, on a review not approved yet.
    editable: bool,
    can_submit: bool,
    can_approve: bool,
    can_request_changes: bool,
    can_publish: bool,
    in_review: bool,
    /// Errors of a state move, shown beside its buttons.
    move_errors: Vec<String>,
    /// Errors of the content form that no input shows.
    unplaced: Vec<String>,
    form: FormState,
    holders: Vec<Opt>,
    approver_choices: Vec<Opt>,
    factors: Vec<FactorRow>,
    kinds: Vec<Opt>,
    /// The taxonomy's categories (and the review's own, if the list no longer has it).
    categories: Vec<Opt>,
    /// The review's corrective actions.
    action_rows: Vec<super::actions::ActionRow>,
    can_add_action: bool,
    lists: Vec<ListField>,
    content: ReviewContent,
    /// Read-only: the factors as (kind label, text).
    factor_lines: Vec<(&'static str, String)>,
}

/// A customer contact's view of a published review: the RCA only.
#[derive(Template)]
#[template(path = "incidents/rca.html")]
struct RcaPage {
    layout: Layout,
    id: String,
    number: String,
    title: String,
    rca: String,
    published: String,
}

fn notice_text(code: Option<&str>) -> Option<String> {
    Some(
        match code? {
            "saved" => "Review saved.",
            "back_to_draft" => "Review saved. It is a draft again: the approvers approve what they read.",
            "submitted" => "Review submitted: its approvers are notified.",
            "approved" => "Your approval is recorded.",
            "changes" => "Changes requested: the review is a draft again and its owner is notified.",
            "published" => "Review published: its customer-facing RCA is on the impacted accounts’ status page.",
            "action_added" => "Corrective action added; its owner is notified.",
            _ => return None,
        }
        .to_string(),
    )
}

/// The content form filled from the stored review (a plain visit).
fn stored_form(review: Option<&PostIncidentReview>) -> FormState {
    let mut form = FormState::default();
    let Some(r) = review else { return form };
    let c = &r.content;
    form.set("owner_id", c.owner_id.map(|u| u.to_string()).unwrap_or_default());
    form.set("meeting_at", c.meeting_at.map(utc_input).unwrap_or_default());
    form.set_all("approver_ids", c.approver_ids.iter().map(ToString::to_string).collect());
    for (name, value) in [
        ("summary", &c.summary),
        ("leadup", &c.leadup),
        ("fault", &c.fault),
        ("detection", &c.detection),
        ("response", &c.response),
        ("recovery", &c.recovery),
        ("customer_facing_rca", &c.customer_facing_rca),
    ] {
        form.set(name, value.clone());
    }
    form.set("users_affected", c.users_affected.map(|n| n.to_string()).unwrap_or_default());
    form.set("root_cause_category", c.root_cause_category.clone().unwrap_or_default());
    for (i, f) in c.contributing_factors.iter().enumerate() {
        form.set(&format!("contributing_factors[{i}].kind"), kind_name(f.kind));
        form.set(&format!("contributing_factors[{i}].text"), f.text.clone());
    }
    for (name, _) in LISTS {
        form.set(name, items(review, name).join("\n"));
    }
    form
}

fn kind_name(kind: FactorKind) -> &'static str {
    match kind {
        FactorKind::Proximate => "proximate",
        FactorKind::Root => "root",
    }
}

fn kind_label(kind: FactorKind) -> &'static str {
    match kind {
        FactorKind::Proximate => "Proximate",
        FactorKind::Root => "Root cause",
    }
}

/// Rows shown in the factors table: every posted or stored row, and blank ones up to six.
fn factor_rows(form: &FormState) -> Vec<FactorRow> {
    let mut count = FACTOR_ROWS;
    for i in 0..50 {
        let name = format!("contributing_factors[{i}]");
        if !form.value(&format!("{name}.text")).is_empty() || !form.value(&format!("{name}.kind")).is_empty() {
            count = count.max(i + 1);
        }
    }
    (0..count)
        .map(|i| {
            let name = format!("contributing_factors[{i}]");
            FactorRow { kind: format!("{name}.kind"), text: format!("{name}.text"), name }
        })
        .collect()
}

/// What a post of the content form says, and how the domain's error names map back to its
/// inputs: the factor rows sent (blank ones are dropped), the approvers in the order sent.
struct Posted {
    content: ReviewContent,
    factor_rows: Vec<usize>,
}

/// Reads the content form; what cannot be read is named before the domain sees it.
fn parse_content(form: &FormData) -> Result<Posted, FieldErrors> {
    let mut errors = FieldErrors::new();
    let user = |errors: &mut FieldErrors, field: &str, text: &str| -> Option<UserId> {
        match text.trim() {
            "" => None,
            id => id.parse().map_err(|_| errors.add(field, "is not a user")).ok(),
        }
    };
    let owner_id = user(&mut errors, "owner_id", form.get("owner_id"));
    let mut approver_ids = Vec::new();
    for (i, text) in form.all("approver_ids").into_iter().enumerate() {
        if let Some(id) = user(&mut errors, &format!("approver_ids[{i}]"), text) {
            approver_ids.push(id);
        }
    }
    let meeting_at = parse_utc(&mut errors, "meeting_at", form.get("meeting_at"));
    let users_affected = match form.get("users_affected").trim() {
        "" => None,
        n => n.parse::<i64>().map_err(|_| errors.add("users_affected", "must be a whole number")).ok(),
    };
    let mut factors = Vec::new();
    let mut factor_rows = Vec::new();
    for i in 0..50 {
        let name = format!("contributing_factors[{i}]");
        let (kind, text) = (form.get(&format!("{name}.kind")), form.get(&format!("{name}.text")));
        if text.trim().is_empty() {
            continue;
        }
        let kind = match kind {
            "root" => FactorKind::Root,
            "proximate" | "" => FactorKind::Proximate,
            _ => {
                errors.add(&format!("{name}.kind"), "must be proximate or root");
                continue;
            }
        };
        factors.push(ContributingFactor { kind, text: text.to_string() });
        factor_rows.push(i);
    }
    let lines = |name: &str| -> Vec<String> {
        let text = form.get(name);
        if text.trim().is_empty() {
            return Vec::new();
        }
        text.split('\n').map(|l| l.trim_end_matches('\r').to_string()).collect()
    };
    let category = form.get("root_cause_category").trim();
    errors.into_result()?;
    Ok(Posted {
        content: ReviewContent {
            owner_id,
            meeting_at,
            approver_ids,
            summary: form.get("summary").to_string(),
            users_affected,
            leadup: form.get("leadup").to_string(),
            fault: form.get("fault").to_string(),
            detection: form.get("detection").to_string(),
            response: form.get("response").to_string(),
            recovery: form.get("recovery").to_string(),
            contributing_factors: factors,
            root_cause_category: (!category.is_empty()).then(|| category.to_string()),
            five_whys: lines("five_whys"),
            went_well: lines("went_well"),
            went_poorly: lines("went_poorly"),
            lessons_learned: lines("lessons_learned"),
            customer_facing_rca: form.get("customer_facing_rca").to_string(),
        },
        factor_rows,
    })
}

/// The domain's errors named as the form's inputs: a factor by its row in the table, an
/// approver by name, a list item by its line.
fn place(errors: FieldErrors, posted: Option<&Posted>, people: &HashMap<UserId, String>) -> FieldErrors {
    let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, message) in errors.iter() {
        let (base, index, rest) = match field.split_once('[').and_then(|(b, r)| {
            let (i, rest) = r.split_once(']')?;
            Some((b, i.parse::<usize>().ok()?, rest))
        }) {
            Some(parts) => parts,
            None => {
                merged.entry(field.clone()).or_default().push(message.clone());
                continue;
            }
        };
        let (key, text) = match base {
            "contributing_factors" => {
                let row = posted.and_then(|p| p.factor_rows.get(index).copied()).unwrap_or(index);
                (format!("contributing_factors[{row}]{rest}"), message.clone())
            }
            "approver_ids" => {
                let who = posted
                    .and_then(|p| p.content.approver_ids.get(index))
                    .map(|id| name_of(people, *id))
                    .unwrap_or_else(|| format!("approver {}", index + 1));
                ("approver_ids".to_string(), format!("{who} {message}"))
            }
            _ if LISTS.iter().any(|(n, _)| *n == base) => (base.to_string(), format!("line {}: {message}", index + 1)),
            _ => (field.clone(), message.clone()),
        };
        merged.entry(key).or_default().push(text);
    }
    let mut out = FieldErrors::new();
    for (field, messages) in merged {
        out.add(&field, messages.join("; "));
    }
    out
}

async fn review_page(
    state: &AppState,
    user: &PageUser,
    view: &IncidentView,
    notice: Option<String>,
    returned: Returned,
) -> PageResult {
    let actor = &user.actor;
    let now = state.app.clock.now();
    let i = &view.incident;
    let rv = state.app.incident_review(actor, i.id).await?;
    if actor.user.role == Role::Customer {
        let Some((rca, published)) = published_rca(&rv) else { return Err(AppError::NotFound.into()) };
        let page = RcaPage {
            layout: Layout::new(user, "/incidents"),
            id: i.id.to_string(),
            number: i.display_number(),
            title: i.title.clone(),
            rca,
            published,
        };
        return Ok(render(&page));
    }
    let can_work = policy::can_work_incidents(actor.user.role);
    let people = people(state, user, None).await?;
    let review = rv.review.as_ref();
    let status = review.map(|r| r.status);
    let locked = status.is_some_and(ReviewStatus::is_done);
    let Returned { failed, form, saved } = returned;
    let alert = (!form.errors.is_empty()).then(|| {
        let all: Vec<String> = form.errors.iter().map(|(f, m)| describe(f, m)).collect();
        let lead = if saved { "Saved as a draft, not submitted" } else { "Not saved" };
        format!("{lead}: {}.", all.join("; "))
    });
    let unplaced: Vec<String> = if failed == Failed::Content {
        form.errors
            .iter()
            .filter(|(field, _)| {
                !PLACED.iter().any(|s| {
                    field.as_str() == *s
                        || field.strip_prefix(s).is_some_and(|r| r.starts_with('[') || r.starts_with('.'))
                })
            })
            .map(|(f, m)| describe(f, m))
            .collect()
    } else {
        Vec::new()
    };
    let move_errors: Vec<String> =
        if failed == Failed::Move { form.errors.iter().map(|(f, m)| describe(f, m)).collect() } else { Vec::new() };
    let form = if failed == Failed::Content { form } else { stored_form(review) };

    let mut holders = vec![opt("", "— Nobody —")];
    let mut approver_choices = Vec::new();
    if can_work && !locked {
        approver_choices = role_holders(state, user).await?;
        holders.extend(approver_choices.iter().cloned());
    }
    // Someone named before who can no longer hold roles stays selectable.
    if let Some(r) = review {
        for id in r.content.owner_id.iter().chain(&r.content.approver_ids) {
            let value = id.to_string();
            if !approver_choices.iter().any(|(v, _)| *v == value) {
                approver_choices.push(opt(value.clone(), name_of(&people, *id)));
                holders.push(opt(value, name_of(&people, *id)));
            }
        }
    }
    let waiting_on_me = review.is_some_and(|r| {
        r.status == ReviewStatus::InReview
            && r.approvals.iter().any(|a| a.user_id == actor.user.id && a.approved_at.is_none())
    });
    let resolved = i.milestones.resolved_at.is_some();
    let content = review.map(|r| r.content.clone()).unwrap_or_default();
    let taxonomy = state.app.incident_taxonomy().await?;
    let mut categories = vec![opt("", "— Choose —")];
    categories.extend(taxonomy.root_cause_categories.iter().map(|c| opt(c.name.clone(), c.name.clone())));
    if let Some(kept) = &content.root_cause_category
        && taxonomy.category(kept).is_none()
    {
        categories.push(opt(kept.clone(), format!("{kept} (no longer listed)")));
    }
    let at = |t: Option<Timestamp>| t.map(format::instant);
    let page = ReviewPage {
        layout: Layout::new(user, "/incidents"),
        id: i.id.to_string(),
        number: i.display_number(),
        title: i.title.clone(),
        max_severity: i.max_severity.as_str(),
        max_severity_class: severity_class(i.max_severity),
        incident_status_label: i.status.label(),
        resolved,
        required: rv.required,
        blocks_close: rv.required && !locked,
        status: status_of(&rv).0,
        status_label: status_of(&rv).1,
        due: rv.due_at.map(format::instant),
        overdue: is_overdue(&rv, now),
        progress: review_progress(status),
        approvals: review.map(|r| approval_chips(r, &people)).unwrap_or_default(),
        owner: content.owner_id.map(|id| name_of(&people, id)),
        meeting: at(content.meeting_at),
        submitted: at(review.and_then(|r| r.submitted_at)),
        approved: at(review.and_then(|r| r.approved_at)),
        published: at(review.and_then(|r| r.published_at)),
        notice,
        alert,
        editable: can_work && !locked,
        can_submit: can_work && resolved && status.is_none_or(|s| s == ReviewStatus::Draft),
        can_approve: waiting_on_me,
        can_request_changes: can_work && status == Some(ReviewStatus::InReview),
        can_publish: can_work && status == Some(ReviewStatus::Approved),
        in_review: status == Some(ReviewStatus::InReview),
        move_errors,
        unplaced,
        factors: factor_rows(&form),
        form,
        holders,
        approver_choices,
        kinds: vec![opt("proximate", "Proximate"), opt("root", "Root cause")],
        categories,
        action_rows: super::actions::rows_for(state, user, Some(i.id), None).await?,
        can_add_action: can_work,
        lists: LISTS.iter().map(|(name, label)| ListField { label, items: items(review, name) }).collect(),
        factor_lines: content.contributing_factors.iter().map(|f| (kind_label(f.kind), f.text.clone())).collect(),
        content,
    };
    Ok(if page.alert.is_some() { unprocessable(&page) } else { render(&page) })
}

/// Draft → in review → approved → published, for the progress strip.
fn review_progress(status: Option<ReviewStatus>) -> Vec<Step> {
    let at = status.map(|s| s as usize);
    ReviewStatus::ALL
        .iter()
        .map(|(s, _)| Step {
            label: s.label(),
            state: match at.map(|at| (*s as usize).cmp(&at)) {
                Some(std::cmp::Ordering::Less) => "done",
                Some(std::cmp::Ordering::Equal) if *s == ReviewStatus::Published => "done",
                Some(std::cmp::Ordering::Equal) => "current",
                _ => "todo",
            },
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let notice = notice_text(query.notice.as_deref());
    review_page(&state, &access.user, &access.view, notice, Returned::default()).await
}

/// PAMs and customers read reviews; a post from them is refused before anything is parsed.
fn require_worker(user: &PageUser) -> Result<(), AppError> {
    if policy::can_work_incidents(user.actor.user.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden("your role may read post-incident reviews but not change them".into()))
    }
}

fn back(id: IncidentId, notice: &str) -> PageResult {
    Ok(Redirect::to(&format!("/incidents/{id}/review?notice={notice}")).into_response())
}

async fn refused(
    state: &AppState,
    user: &PageUser,
    id: IncidentId,
    form: FormState,
    failed: Failed,
    saved: bool,
) -> PageResult {
    let view = state.app.get_incident(&user.actor, id).await?;
    review_page(state, user, &view, None, Returned { failed, form, saved }).await
}

/// Saves the posted content: its status, or the form as posted with its errors.
async fn save(
    state: &AppState,
    user: &PageUser,
    id: IncidentId,
    form: &FormData,
) -> Result<Result<ReviewStatus, FormState>, PageError> {
    let people = people(state, user, None).await?;
    let posted = match parse_content(form) {
        Ok(posted) => posted,
        Err(errors) => return Ok(Err(FormState::from_post(form).with_errors(place(errors, None, &people)))),
    };
    let command = ReviewCommand::Edit(Box::new(posted.content.clone()));
    match state.app.change_review(&user.actor, id, command).await {
        Ok(review) => Ok(Ok(review.status)),
        Err(AppError::Invalid { fields, .. }) => {
            Ok(Err(FormState::from_post(form).with_errors(place(fields, Some(&posted), &people))))
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /incidents/{id}/review`: the content form, saved as a draft.
pub async fn edit(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let id = access.view.incident.id;
    let was_in_review =
        state.app.incident_review(&user.actor, id).await?.review.is_some_and(|r| r.status == ReviewStatus::InReview);
    match save(&state, &user, id, &form).await? {
        Ok(_) if was_in_review => back(id, "back_to_draft"),
        Ok(_) => back(id, "saved"),
        Err(returned) => refused(&state, &user, id, returned, Failed::Content, false).await,
    }
}

/// `POST /incidents/{id}/review/submit`: the content form's "Submit for review" saves what it
/// carries, then submits; without content it submits the stored draft.
pub async fn submit(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, form }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    let id = access.view.incident.id;
    let carries_content = form.0.iter().any(|(k, _)| k == "summary");
    if carries_content && let Err(returned) = save(&state, &user, id, &form).await? {
        return refused(&state, &user, id, returned, Failed::Content, false).await;
    }
    match state.app.change_review(&user.actor, id, ReviewCommand::Submit).await {
        Ok(_) => back(id, "submitted"),
        Err(AppError::Invalid { fields, .. }) => {
            let people = people(&state, &user, None).await?;
            let fields = place(fields, None, &people);
            let returned = if carries_content {
                FormState::from_post(&form).with_errors(fields)
            } else {
                let stored = state.app.incident_review(&user.actor, id).await?.review;
                stored_form(stored.as_ref()).with_errors(fields)
            };
            refused(&state, &user, id, returned, Failed::Content, carries_content).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn step(state: &AppState, user: &PageUser, id: IncidentId, command: ReviewCommand, notice: &str) -> PageResult {
    match state.app.change_review(&user.actor, id, command).await {
        Ok(_) => back(id, notice),
        Err(AppError::Invalid { fields, .. }) => {
            refused(state, user, id, FormState::default().with_errors(fields), Failed::Move, false).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    step(&state, &user, access.view.incident.id, ReviewCommand::Approve, "approved").await
}

pub async fn request_changes(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    step(&state, &user, access.view.incident.id, ReviewCommand::RequestChanges, "changes").await
}

pub async fn publish(
    State(state): State<AppState>,
    access: PageIncidentAccess,
    PageForm { user, .. }: PageForm,
) -> PageResult {
    require_worker(&user)?;
    step(&state, &user, access.view.incident.id, ReviewCommand::Publish, "published").await
}
