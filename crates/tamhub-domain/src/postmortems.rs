//! Post-incident reviews (SLA-SPEC 2.6, R-I5): required for major incidents, due five business
//! days after resolution on the organisation's calendar, written as a draft, reviewed by named
//! approvers, approved, then published (its customer-facing RCA reaches the impacted accounts).

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{IncidentId, UserId};
use crate::incidents::{Incident, Severity};
use crate::sla::calendar::Calendar;
use crate::validation::{FieldErrors, optional_text, required_text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Draft,
    InReview,
    Approved,
    Published,
}

impl ReviewStatus {
    pub const ALL: [(ReviewStatus, &'static str); 4] = [
        (ReviewStatus::Draft, "draft"),
        (ReviewStatus::InReview, "in_review"),
        (ReviewStatus::Approved, "approved"),
        (ReviewStatus::Published, "published"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize].1
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewStatus::Draft => "Draft",
            ReviewStatus::InReview => "In review",
            ReviewStatus::Approved => "Approved",
            ReviewStatus::Published => "Published",
        }
    }

    /// Approved or published: the review is done and its content locked.
    pub fn is_done(self) -> bool {
        matches!(self, ReviewStatus::Approved | ReviewStatus::Published)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    Proximate,
    Root,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContributingFactor {
    pub kind: FactorKind,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    pub user_id: UserId,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<Timestamp>,
}

/// What a review says, as its owner writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewContent {
    pub owner_id: Option<UserId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub meeting_at: Option<Timestamp>,
    pub approver_ids: Vec<UserId>,
    pub summary: String,
    pub users_affected: Option<i64>,
    pub leadup: String,
    pub fault: String,
    pub detection: String,
    pub response: String,
    pub recovery: String,
    pub contributing_factors: Vec<ContributingFactor>,
    /// A category of the shared root-cause taxonomy.
    pub root_cause_category: Option<String>,
    pub five_whys: Vec<String>,
    pub went_well: Vec<String>,
    pub went_poorly: Vec<String>,
    pub lessons_learned: Vec<String>,
    /// Written for the customer; published to the impacted accounts.
    pub customer_facing_rca: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostIncidentReview {
    pub incident_id: IncidentId,
    pub status: ReviewStatus,
    pub content: ReviewContent,
    pub approvals: Vec<Approval>,
    pub due_at: Option<Timestamp>,
    pub submitted_at: Option<Timestamp>,
    pub approved_at: Option<Timestamp>,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn lines(errors: &mut FieldErrors, field: &str, items: &[String]) -> Vec<String> {
    let out: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, text)| optional_text(errors, &format!("{field}[{i}]"), text, 2_000))
        .filter(|t| !t.is_empty())
        .collect();
    if out.len() > 50 {
        errors.add(field, "at most 50 items");
    }
    out
}

impl ReviewContent {
    /// Trimmed and checked; empty list items are dropped.
    pub fn validated(&self) -> Result<ReviewContent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = |errors: &mut FieldErrors, field: &str, value: &str| optional_text(errors, field, value, 20_000);
        let mut approvers = self.approver_ids.clone();
        approvers.sort();
        if approvers.windows(2).any(|w| w[0] == w[1]) {
            errors.add("approver_ids", "each approver once");
        }
        if self.users_affected.is_some_and(|n| n < 0) {
            errors.add("users_affected", "must not be negative");
        }
        let factors = self
            .contributing_factors
            .iter()
            .enumerate()
            .map(|(i, f)| ContributingFactor {
                kind: f.kind,
                text: required_text(&mut errors, &format!("contributing_factors[{i}].text"), &f.text, 2_000),
            })
            .collect();
        let category = self.root_cause_category.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let category = category.map(|c| required_text(&mut errors, "root_cause_category", c, 80));
        let content = ReviewContent {
            owner_id: self.owner_id,
            meeting_at: self.meeting_at,
            approver_ids: self.approver_ids.clone(),
            summary: text(&mut errors, "summary", &self.summary),
            users_affected: self.users_affected,
            leadup: text(&mut errors, "leadup", &self.leadup),
            fault: text(&mut errors, "fault", &self.fault),
            detection: text(&mut errors, "detection", &self.detection),
            response: text(&mut errors, "response", &self.response),
            recovery: text(&mut errors, "recovery", &self.recovery),
            contributing_factors: factors,
            root_cause_category: category,
            five_whys: lines(&mut errors, "five_whys", &self.five_whys),
            went_well: lines(&mut errors, "went_well", &self.went_well),
            went_poorly: lines(&mut errors, "went_poorly", &self.went_poorly),
            lessons_learned: lines(&mut errors, "lessons_learned", &self.lessons_learned),
            customer_facing_rca: text(&mut errors, "customer_facing_rca", &self.customer_facing_rca),
        };
        errors.into_result().map(|()| content)
    }
}

impl PostIncidentReview {
    pub fn new(incident_id: IncidentId, due_at: Option<Timestamp>, now: Timestamp) -> PostIncidentReview {
        PostIncidentReview {
            incident_id,
            status: ReviewStatus::Draft,
            content: ReviewContent::default(),
            approvals: Vec::new(),
            due_at,
            submitted_at: None,
            approved_at: None,
            published_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The review with new content. Editing a review in review sends it back to draft (the
    /// approvers approved what they read); an approved or published review is locked.
    pub fn edit(&self, content: &ReviewContent, now: Timestamp) -> Result<PostIncidentReview, FieldErrors> {
        if self.status.is_done() {
            return Err(FieldErrors::single("status", format!("an {} review is locked", self.status.as_str())));
        }
        let content = content.validated()?;
        let mut next = self.clone();
        next.approvals = content.approver_ids.iter().map(|u| Approval { user_id: *u, approved_at: None }).collect();
        next.content = content;
        next.status = ReviewStatus::Draft;
        next.updated_at = now;
        Ok(next)
    }

    /// Draft → in review: only a complete review goes to its approvers.
    pub fn submit(&self, now: Timestamp) -> Result<PostIncidentReview, FieldErrors> {
        if self.status != ReviewStatus::Draft {
            return Err(FieldErrors::single(
                "status",
                format!("only a draft is submitted; this one is {}", self.status.as_str()),
            ));
        }
        let c = &self.content;
        let mut errors = FieldErrors::new();
        if c.owner_id.is_none() {
            errors.add("owner_id", "name the review's owner");
        }
        for (field, value) in
            [("summary", &c.summary), ("fault", &c.fault), ("customer_facing_rca", &c.customer_facing_rca)]
        {
            if value.trim().is_empty() {
                errors.add(field, "must not be empty before review");
            }
        }
        if !c.contributing_factors.iter().any(|f| f.kind == FactorKind::Root) {
            errors.add("contributing_factors", "name at least one root cause");
        }
        if c.root_cause_category.is_none() {
            errors.add("root_cause_category", "choose a root-cause category");
        }
        if c.approver_ids.is_empty() {
            errors.add("approver_ids", "name at least one approver");
        }
        errors.into_result()?;
        let mut next = self.clone();
        next.status = ReviewStatus::InReview;
        next.submitted_at = Some(now);
        next.updated_at = now;
        Ok(next)
    }

    /// An approver approves; the last approval approves the review.
    pub fn approve(&self, user: UserId, now: Timestamp) -> Result<PostIncidentReview, FieldErrors> {
        if self.status != ReviewStatus::InReview {
            return Err(FieldErrors::single("status", "only a review in review is approved"));
        }
        let mut next = self.clone();
        let Some(approval) = next.approvals.iter_mut().find(|a| a.user_id == user) else {
            return Err(FieldErrors::single("approver_ids", "you are not an approver of this review"));
        };
        if approval.approved_at.is_some() {
            return Err(FieldErrors::single("approver_ids", "you approved it already"));
        }
        approval.approved_at = Some(now);
        if next.approvals.iter().all(|a| a.approved_at.is_some()) {
            next.status = ReviewStatus::Approved;
            next.approved_at = Some(now);
        }
        next.updated_at = now;
        Ok(next)
    }

    /// In review → draft, approvals cleared.
    pub fn request_changes(&self, now: Timestamp) -> Result<PostIncidentReview, FieldErrors> {
        if self.status != ReviewStatus::InReview {
            return Err(FieldErrors::single("status", "only a review in review goes back to draft"));
        }
        let mut next = self.clone();
        next.status = ReviewStatus::Draft;
        next.approvals.iter_mut().for_each(|a| a.approved_at = None);
        next.updated_at = now;
        Ok(next)
    }

    /// Approved → published: the customer-facing RCA reaches the impacted accounts.
    pub fn publish(&self, now: Timestamp) -> Result<PostIncidentReview, FieldErrors> {
        if self.status != ReviewStatus::Approved {
            return Err(FieldErrors::single("status", "only an approved review is published"));
        }
        let mut next = self.clone();
        next.status = ReviewStatus::Published;
        next.published_at = Some(now);
        next.updated_at = now;
        Ok(next)
    }
}

/// The root-cause category of a review, compared without case or surrounding blanks.
fn category_key(review: &PostIncidentReview) -> Option<String> {
    review.content.root_cause_category.as_deref().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty())
}

/// Repeat incidents (capability 4): the same root-cause category and at least one shared
/// service, declared within `window_days` of each other, whatever accounts they impacted.
pub fn is_repeat(a: (&Incident, &PostIncidentReview), b: (&Incident, &PostIncidentReview), window_days: i64) -> bool {
    let ((ia, ra), (ib, rb)) = (a, b);
    let same_category = category_key(ra).is_some_and(|c| Some(c) == category_key(rb));
    let shared_service =
        ia.impacted_services.iter().any(|s| ib.impacted_services.iter().any(|t| t.eq_ignore_ascii_case(s)));
    let apart = ia.milestones.declared_at.duration_since(ib.milestones.declared_at).as_secs().abs();
    ia.id != ib.id && same_category && shared_service && apart <= window_days * 86_400
}

/// A problem (problem management): incidents that share a root-cause category and a service,
/// each declared within the repeat window of the one before, whatever accounts they impacted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The category and service as the most recent incident's review and record spell them.
    pub category: String,
    pub service: String,
    /// Oldest first; at least two.
    pub incident_ids: Vec<IncidentId>,
}

/// Groups reviewed incidents into problems: per (category, service), runs of incidents whose
/// declarations are at most `window_days` apart. Most recent problem first.
pub fn problems(reviewed: &[(&Incident, &PostIncidentReview)], window_days: i64) -> Vec<Problem> {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(String, String), Vec<(&Incident, &PostIncidentReview)>> = BTreeMap::new();
    for (incident, review) in reviewed {
        let Some(category) = category_key(review) else { continue };
        let mut services: Vec<String> = incident.impacted_services.iter().map(|s| s.to_lowercase()).collect();
        services.dedup();
        for service in services {
            groups.entry((category.clone(), service)).or_default().push((incident, review));
        }
    }
    let mut out = Vec::new();
    for ((_, service), mut members) in groups {
        members.sort_by_key(|(i, _)| (i.milestones.declared_at, i.number));
        let mut run: Vec<(&Incident, &PostIncidentReview)> = Vec::new();
        for member in members {
            let near = run.last().is_some_and(|(last, _)| {
                member.0.milestones.declared_at.duration_since(last.milestones.declared_at).as_secs()
                    <= window_days * 86_400
            });
            if !near {
                out.extend(problem_of(&run, &service));
                run.clear();
            }
            run.push(member);
        }
        out.extend(problem_of(&run, &service));
    }
    out.sort_by_key(|p: &(Timestamp, Problem)| std::cmp::Reverse(p.0));
    out.into_iter().map(|(_, p)| p).collect()
}

fn problem_of(run: &[(&Incident, &PostIncidentReview)], service_key: &str) -> Option<(Timestamp, Problem)> {
    let (latest, review) = run.last().filter(|_| run.len() >= 2)?;
    let service = latest.impacted_services.iter().find(|s| s.eq_ignore_ascii_case(service_key))?.clone();
    Some((
        latest.milestones.declared_at,
        Problem {
            category: review.content.root_cause_category.clone().unwrap_or_default().trim().to_string(),
            service,
            incident_ids: run.iter().map(|(i, _)| i.id).collect(),
        },
    ))
}

/// R-I5: a review is required when the incident was ever at `through` or more severe.
pub fn review_required(max_severity: Severity, through: Severity) -> bool {
    max_severity <= through
}

/// R-I5: the end of the fifth business day after `resolved_at` in `tz`, a business day being a
/// local date with business time in `calendar`; `None` if the calendar has none for a year.
pub fn review_due(resolved_at: Timestamp, calendar: &Calendar, tz: &TimeZone, days: u32) -> Option<Timestamp> {
    let start_of = |d: jiff::civil::Date| d.to_zoned(tz.clone()).ok().map(|z| z.timestamp().as_second());
    let mut date = resolved_at.to_zoned(tz.clone()).date();
    let mut counted = 0;
    for _ in 0..400 {
        date = date.tomorrow().ok()?;
        let (from, to) = (start_of(date)?, start_of(date.tomorrow().ok()?)?);
        if calendar.between(from, to) > 0 {
            counted += 1;
            if counted == days {
                return Timestamp::from_second(to).ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::calendar::CalendarSpec;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("instant")
    }

    fn complete() -> ReviewContent {
        ReviewContent {
            owner_id: Some(UserId::new()),
            approver_ids: vec![UserId::new(), UserId::new()],
            summary: "Checkout failed in eu-west-1 for 70 minutes".into(),
            fault: "A load balancer health check pointed at a removed path".into(),
            contributing_factors: vec![
                ContributingFactor { kind: FactorKind::Proximate, text: "LB change 7731".into() },
                ContributingFactor { kind: FactorKind::Root, text: "No pre-deploy check of health paths".into() },
            ],
            root_cause_category: Some("configuration change".into()),
            customer_facing_rca: "A configuration change made checkout unavailable.".into(),
            went_well: vec!["Fast rollback".into(), "  ".into()],
            ..ReviewContent::default()
        }
    }

    #[test]
    fn a_review_goes_from_draft_through_every_approver_to_published() {
        let now = at("2026-03-10T10:00:00Z");
        let review = PostIncidentReview::new(IncidentId::new(), None, now);
        let errors = review.submit(now).expect_err("empty");
        for field in ["owner_id", "summary", "fault", "customer_facing_rca", "contributing_factors", "approver_ids"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let content = complete();
        let review = review.edit(&content, now).expect("edit");
        assert_eq!(review.content.went_well, ["Fast rollback"], "blank items dropped");
        let review = review.submit(now).expect("complete");
        assert_eq!(review.status, ReviewStatus::InReview);
        let [a, b] = [content.approver_ids[0], content.approver_ids[1]];
        let errors = review.approve(UserId::new(), now).expect_err("a stranger");
        assert!(errors.get("approver_ids").is_some());
        let review = review.approve(a, now).expect("first");
        assert_eq!(review.status, ReviewStatus::InReview, "one of two approvals");
        assert!(review.approve(a, now).is_err(), "twice");
        let review = review.approve(b, now).expect("second");
        assert_eq!((review.status, review.approved_at), (ReviewStatus::Approved, Some(now)));
        assert!(review.edit(&content, now).is_err(), "approved is locked");
        let review = review.publish(now).expect("publish");
        assert_eq!(review.status, ReviewStatus::Published);
    }

    #[test]
    fn editing_a_review_in_review_or_requesting_changes_clears_the_approvals() {
        let now = at("2026-03-10T10:00:00Z");
        let content = complete();
        let review = PostIncidentReview::new(IncidentId::new(), None, now).edit(&content, now).expect("edit");
        let review = review.submit(now).expect("submit").approve(content.approver_ids[0], now).expect("approve");
        let back = review.request_changes(now).expect("changes");
        assert!(back.status == ReviewStatus::Draft && back.approvals.iter().all(|a| a.approved_at.is_none()));
        let edited = review.edit(&content, now).expect("edit in review");
        assert_eq!(edited.status, ReviewStatus::Draft);
        let mut bad = content.clone();
        bad.users_affected = Some(-1);
        bad.contributing_factors[0].text = " ".into();
        bad.approver_ids.push(bad.approver_ids[0]);
        let errors = edited.edit(&bad, now).expect_err("bad");
        assert!(errors.get("users_affected").is_some());
        assert!(errors.get("contributing_factors[0].text").is_some());
        assert!(errors.get("approver_ids").is_some());
    }

    #[test]
    fn repeats_share_a_category_and_a_service_within_the_window() {
        use crate::incidents::IncidentDraft;
        let incident = |days: i64, services: &[&str]| {
            let draft = IncidentDraft {
                title: "x".into(),
                severity: "P2".into(),
                impacted_services: services.iter().map(|s| s.to_string()).collect(),
                ..IncidentDraft::default()
            };
            let at = Timestamp::from_second(1_767_225_600 + days * 86_400).expect("instant");
            draft.declare(IncidentId::new(), 1, None, at).expect("valid").0
        };
        let review = |i: &Incident, category: &str| {
            let mut r = PostIncidentReview::new(i.id, None, i.created_at);
            r.content.root_cause_category = Some(category.into());
            r
        };
        let first = incident(0, &["checkout-api", "db"]);
        let later = incident(60, &["Checkout-API"]);
        let too_late = incident(120, &["checkout-api"]);
        let elsewhere = incident(10, &["search"]);
        let (rf, rl, rt, re) = (
            review(&first, "Capacity"),
            review(&later, " capacity "),
            review(&too_late, "Capacity"),
            review(&elsewhere, "Capacity"),
        );
        assert!(is_repeat((&first, &rf), (&later, &rl), 90));
        assert!(!is_repeat((&first, &rf), (&too_late, &rt), 90), "outside 90 days");
        assert!(!is_repeat((&first, &rf), (&elsewhere, &re), 90), "no shared service");
        assert!(!is_repeat((&first, &rf), (&later, &review(&later, "Configuration change")), 90));
        assert!(!is_repeat((&first, &rf), (&first, &rf), 90), "not its own repeat");
    }

    #[test]
    fn problems_chain_repeats_per_category_and_service() {
        use crate::incidents::IncidentDraft;
        let incident = |days: i64, services: &[&str], number: i64| {
            let draft = IncidentDraft {
                title: "x".into(),
                severity: "P2".into(),
                impacted_services: services.iter().map(|s| s.to_string()).collect(),
                ..IncidentDraft::default()
            };
            let at = Timestamp::from_second(1_767_225_600 + days * 86_400).expect("instant");
            draft.declare(IncidentId::new(), number, None, at).expect("valid").0
        };
        let review = |i: &Incident, category: &str| {
            let mut r = PostIncidentReview::new(i.id, None, i.created_at);
            r.content.root_cause_category = Some(category.into());
            r
        };
        let a = incident(0, &["checkout-api", "db"], 1);
        let b = incident(60, &["Checkout-API", "db"], 2);
        let c = incident(140, &["checkout-api"], 3);
        let lone = incident(400, &["checkout-api"], 4);
        let other = incident(10, &["search"], 5);
        let reviews = [
            review(&a, "Capacity"),
            review(&b, "capacity"),
            review(&c, "Capacity"),
            review(&lone, "Capacity"),
            review(&other, "Capacity"),
        ];
        let incidents = [&a, &b, &c, &lone, &other];
        let pairs: Vec<(&Incident, &PostIncidentReview)> = incidents.iter().copied().zip(reviews.iter()).collect();
        let found = problems(&pairs, 90);
        let summary: Vec<(&str, &str, Vec<i64>)> = found
            .iter()
            .map(|p| {
                let numbers = p.incident_ids.iter().map(|id| incidents.iter().find(|i| i.id == *id).unwrap().number);
                (p.category.as_str(), p.service.as_str(), numbers.collect())
            })
            .collect();
        // c is 80 days after b: the chain goes on although a and c are 140 days apart.
        assert_eq!(
            summary,
            [("Capacity", "checkout-api", vec![1, 2, 3]), ("capacity", "db", vec![1, 2])],
            "newest first; a lone incident and another service make no problem"
        );
    }

    #[test]
    fn the_review_is_due_at_the_end_of_the_fifth_business_day_after_resolution() {
        let spec: CalendarSpec = serde_json::from_value(serde_json::json!({
            "id": "org", "tz": "Europe/Berlin",
            "weekly": {"mon": [[540, 1020]], "tue": [[540, 1020]], "wed": [[540, 1020]],
                       "thu": [[540, 1020]], "fri": [[540, 1020]]},
            "holidays": ["2026-03-11"]
        }))
        .expect("spec");
        let calendar = Calendar::from_spec(&spec, "calendar").expect("calendar");
        let tz = TimeZone::get("Europe/Berlin").expect("zone");
        // Resolved Friday 6 March 2026 at 16:00 Berlin: business days Mon 9, Tue 10, (Wed 11 is a
        // holiday), Thu 12, Fri 13, Mon 16 → due at the end of Monday 16 March, Berlin time.
        let due = review_due(at("2026-03-06T15:00:00Z"), &calendar, &tz, 5).expect("due");
        assert_eq!(due, at("2026-03-16T23:00:00Z"));
        assert!(review_required(Severity::P0, Severity::P1) && review_required(Severity::P1, Severity::P1));
        assert!(!review_required(Severity::P2, Severity::P1));
    }
}

/// The organisation's incident taxonomy (admin-managed): the root-cause categories a review
/// chooses from, and the services marked tier 2 (their priority actions get eight weeks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentTaxonomy {
    pub root_cause_categories: Vec<RootCauseCategory>,
    #[serde(default)]
    pub tier2_services: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCauseCategory {
    pub name: String,
    /// When to choose it, shown beside the choice.
    #[serde(default)]
    pub description: String,
}

impl Default for IncidentTaxonomy {
    fn default() -> Self {
        let categories = [
            ("Capacity", "Load beyond what the system was sized or limited for."),
            ("Code change", "A deploy of new or changed code."),
            ("Configuration change", "A change of settings, flags or infrastructure configuration."),
            ("Dependency failure", "An internal service or library the system relies on failed."),
            ("Infrastructure", "Hardware, network or cloud-provider failure."),
            ("Human error", "A manual operation went wrong (the process, not the person, is the cause)."),
            ("Security", "An attack, exposure or security control."),
            ("Third party", "A vendor or external provider outside our control."),
            ("Unknown", "Not found yet; revisit when the review is done."),
        ];
        IncidentTaxonomy {
            root_cause_categories: categories
                .iter()
                .map(|(name, description)| RootCauseCategory {
                    name: (*name).into(),
                    description: (*description).into(),
                })
                .collect(),
            tier2_services: Vec::new(),
        }
    }
}

impl IncidentTaxonomy {
    /// Trimmed and checked: names unique without regard to case, at least one category.
    pub fn validated(&self) -> Result<IncidentTaxonomy, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut categories: Vec<RootCauseCategory> = Vec::new();
        for (i, c) in self.root_cause_categories.iter().enumerate() {
            let name = required_text(&mut errors, &format!("root_cause_categories[{i}].name"), &c.name, 80);
            let description =
                optional_text(&mut errors, &format!("root_cause_categories[{i}].description"), &c.description, 500);
            if categories.iter().any(|k| k.name.eq_ignore_ascii_case(&name)) {
                errors.add(&format!("root_cause_categories[{i}].name"), format!("{name:?} is listed twice"));
            }
            categories.push(RootCauseCategory { name, description });
        }
        if categories.is_empty() {
            errors.add("root_cause_categories", "must list at least one category");
        } else if categories.len() > 100 {
            errors.add("root_cause_categories", "at most 100 categories");
        }
        let mut tier2: Vec<String> = Vec::new();
        for (i, s) in self.tier2_services.iter().enumerate() {
            let name = required_text(&mut errors, &format!("tier2_services[{i}]"), s, 80);
            if !tier2.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
                tier2.push(name);
            }
        }
        errors.into_result()?;
        Ok(IncidentTaxonomy { root_cause_categories: categories, tier2_services: tier2 })
    }

    /// The taxonomy's spelling of a category, whatever the case typed.
    pub fn category(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.root_cause_categories.iter().find(|c| c.name.eq_ignore_ascii_case(name)).map(|c| c.name.as_str())
    }
}
