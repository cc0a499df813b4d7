//! Lens-based reviews (issue 7, item 1). A lens is a versioned set of pillars and questions; each
//! question lists best practices (choices), each with the risk its absence carries and the
//! improvement that fixes it. A review answers one lens for one workload of one account: the risk
//! of a question is the highest risk among the practices not in place. Milestones freeze the risks
//! of a review so two points in time can be compared; the improvement items of risky questions
//! become actions and findings.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, ActionId, FindingId, ReviewId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};

/// The file format lenses are written in; a lens file names it so later formats can be told apart.
pub const LENS_FORMAT: &str = "tamhub-lens/1";

wire_enum!(LensKind {
    WellArchitected => "well_architected", "Well-Architected";
    Security => "security", "Security";
    Cost => "cost", "Cost";
    Custom => "custom", "Custom";
});

wire_enum!(ReviewRisk {
    High => "high", "High risk";
    Medium => "medium", "Medium risk";
    None => "none", "No risk";
});

impl ReviewRisk {
    fn rank(self) -> u8 {
        match self {
            ReviewRisk::High => 2,
            ReviewRisk::Medium => 1,
            ReviewRisk::None => 0,
        }
    }

    /// High and medium risks are the ones a review reports and improves.
    pub fn is_risk(self) -> bool {
        self != ReviewRisk::None
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LensChoice {
    pub key: String,
    /// The best practice, as the customer has it in place.
    pub title: String,
    /// The risk the question carries while this practice is missing.
    pub risk_if_absent: ReviewRisk,
    /// What to do when it is missing.
    pub improvement: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LensQuestion {
    /// Unique within the lens.
    pub key: String,
    pub title: String,
    pub description: String,
    pub choices: Vec<LensChoice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LensPillar {
    pub key: String,
    pub name: String,
    pub questions: Vec<LensQuestion>,
}

/// One version of a lens. Versions never change once imported: reviews keep the version they
/// were started on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lens {
    pub key: String,
    pub version: u32,
    pub kind: LensKind,
    pub name: String,
    pub description: String,
    pub pillars: Vec<LensPillar>,
    /// Shipped with tamhub rather than imported.
    pub builtin: bool,
}

impl Lens {
    /// "Well-Architected review (well-architected v1)".
    pub fn label(&self) -> String {
        format!("{} ({} v{})", self.name, self.key, self.version)
    }

    pub fn question_count(&self) -> usize {
        self.pillars.iter().map(|p| p.questions.len()).sum()
    }

    /// The question with this key and the pillar it belongs to.
    pub fn question(&self, key: &str) -> Option<(&LensPillar, &LensQuestion)> {
        self.pillars.iter().find_map(|p| p.questions.iter().find(|q| q.key == key).map(|q| (p, q)))
    }

    fn questions(&self) -> impl Iterator<Item = (&LensPillar, &LensQuestion)> {
        self.pillars.iter().flat_map(|p| p.questions.iter().map(move |q| (p, q)))
    }
}

/// A lens file as written (`format` tamhub-lens/1). Every field is checked by `parse_lens`, which
/// names the field of each problem (`pillars[2].questions[0].choices[1].risk_if_absent`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LensFile {
    format: String,
    key: String,
    version: Option<i64>,
    kind: String,
    name: String,
    description: String,
    pillars: Vec<PillarFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct PillarFile {
    key: String,
    name: String,
    questions: Vec<QuestionFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct QuestionFile {
    key: String,
    title: String,
    description: String,
    choices: Vec<ChoiceFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ChoiceFile {
    key: String,
    title: String,
    risk_if_absent: String,
    improvement: String,
}

pub const MAX_LENS_FILE_BYTES: usize = 1_000_000;
const MAX_PILLARS: usize = 20;
const MAX_QUESTIONS_PER_PILLAR: usize = 50;
const MAX_CHOICES: usize = 20;

fn lens_key(errors: &mut FieldErrors, field: &str, key: &str) -> String {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        errors.add(field, "must be 1-64 characters of a-z, 0-9, '-' or '_'");
    }
    key.to_string()
}

/// Reads a lens file (JSON, format tamhub-lens/1), every problem named by its field.
pub fn parse_lens(text: &str) -> Result<Lens, FieldErrors> {
    if text.len() > MAX_LENS_FILE_BYTES {
        return Err(FieldErrors::single("file", format!("must be at most {MAX_LENS_FILE_BYTES} bytes")));
    }
    let file: LensFile = serde_json::from_str(text)
        .map_err(|e| FieldErrors::single("file", format!("is not a lens file (JSON, format {LENS_FORMAT}): {e}")))?;
    let mut errors = FieldErrors::new();
    if file.format != LENS_FORMAT {
        errors.add("format", format!("must be \"{LENS_FORMAT}\""));
    }
    let key = lens_key(&mut errors, "key", file.key.trim());
    let version = match file.version {
        Some(v) if (1..=100_000).contains(&v) => v as u32,
        _ => {
            errors.add("version", "must be a whole number from 1 to 100000");
            0
        }
    };
    let kind = parse_choice(&mut errors, "kind", file.kind.trim(), LensKind::ALL);
    let name = required_text(&mut errors, "name", &file.name, 100);
    let description = optional_text(&mut errors, "description", &file.description, 2_000);
    if file.pillars.is_empty() || file.pillars.len() > MAX_PILLARS {
        errors.add("pillars", format!("must list 1 to {MAX_PILLARS} pillars"));
    }
    let mut pillar_keys = HashSet::new();
    let mut question_keys = HashSet::new();
    let mut pillars = Vec::new();
    for (p, pillar) in file.pillars.iter().enumerate() {
        let at = format!("pillars[{p}]");
        let pkey = lens_key(&mut errors, &format!("{at}.key"), pillar.key.trim());
        if !pillar_keys.insert(pkey.clone()) {
            errors.add(&format!("{at}.key"), format!("\"{pkey}\" names two pillars"));
        }
        let pname = required_text(&mut errors, &format!("{at}.name"), &pillar.name, 100);
        if pillar.questions.is_empty() || pillar.questions.len() > MAX_QUESTIONS_PER_PILLAR {
            errors.add(&format!("{at}.questions"), format!("must list 1 to {MAX_QUESTIONS_PER_PILLAR} questions"));
        }
        let mut questions = Vec::new();
        for (q, question) in pillar.questions.iter().enumerate() {
            let at = format!("{at}.questions[{q}]");
            let qkey = lens_key(&mut errors, &format!("{at}.key"), question.key.trim());
            if !question_keys.insert(qkey.clone()) {
                errors.add(&format!("{at}.key"), format!("\"{qkey}\" names two questions of the lens"));
            }
            let title = required_text(&mut errors, &format!("{at}.title"), &question.title, 300);
            let description = optional_text(&mut errors, &format!("{at}.description"), &question.description, 2_000);
            if question.choices.len() < 2 || question.choices.len() > MAX_CHOICES {
                errors.add(&format!("{at}.choices"), format!("must list 2 to {MAX_CHOICES} choices"));
            }
            let mut choice_keys = HashSet::new();
            let mut choices = Vec::new();
            for (c, choice) in question.choices.iter().enumerate() {
                let at = format!("{at}.choices[{c}]");
                let ckey = lens_key(&mut errors, &format!("{at}.key"), choice.key.trim());
                if !choice_keys.insert(ckey.clone()) {
                    errors.add(&format!("{at}.key"), format!("\"{ckey}\" names two choices of the question"));
                }
                let title = required_text(&mut errors, &format!("{at}.title"), &choice.title, 300);
                let risk = parse_choice(
                    &mut errors,
                    &format!("{at}.risk_if_absent"),
                    choice.risk_if_absent.trim(),
                    ReviewRisk::ALL,
                );
                let improvement = if risk.is_some_and(ReviewRisk::is_risk) {
                    required_text(&mut errors, &format!("{at}.improvement"), &choice.improvement, 500)
                } else {
                    optional_text(&mut errors, &format!("{at}.improvement"), &choice.improvement, 500)
                };
                choices.push(LensChoice {
                    key: ckey,
                    title,
                    risk_if_absent: risk.unwrap_or(ReviewRisk::None),
                    improvement,
                });
            }
            questions.push(LensQuestion { key: qkey, title, description, choices });
        }
        pillars.push(LensPillar { key: pkey, name: pname, questions });
    }
    errors.into_result()?;
    Ok(Lens { key, version, kind: kind.unwrap_or(LensKind::Custom), name, description, pillars, builtin: false })
}

/// The lens as a file an admin can edit and import again (a new version of it).
pub fn lens_file(lens: &Lens) -> serde_json::Value {
    serde_json::json!({
        "format": LENS_FORMAT,
        "key": lens.key,
        "version": lens.version,
        "kind": lens.kind.as_str(),
        "name": lens.name,
        "description": lens.description,
        "pillars": lens.pillars,
    })
}

/// The lenses shipped with tamhub: a Well-Architected review (six pillars) and a security review.
/// Parsed once, on first use.
pub fn builtin_lenses() -> &'static [Lens] {
    static BUILTIN: std::sync::LazyLock<Vec<Lens>> = std::sync::LazyLock::new(|| {
        [include_str!("../lenses/well-architected.json"), include_str!("../lenses/security.json")]
            .into_iter()
            .map(|text| {
                let mut lens = parse_lens(text).expect("the built-in lenses are valid (checked by a test)");
                lens.builtin = true;
                lens
            })
            .collect()
    });
    &BUILTIN
}

// ----- reviews -----

wire_enum!(AnswerState {
    Answered => "answered", "Answered";
    NotApplicable => "not_applicable", "Not applicable";
    Unanswered => "unanswered", "Unanswered";
});

/// The answer to one question: the practices in place, or not applicable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    /// Keys of the choices in place.
    pub selected: Vec<String>,
    pub not_applicable: bool,
    pub notes: String,
    pub answered_by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub answered_at: Timestamp,
}

/// The risk of one question at a milestone (answered questions only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MilestoneRisk {
    pub question: String,
    pub risk: ReviewRisk,
}

/// A review frozen at a point in time: its risks then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Milestone {
    /// 1, 2, … in the order they were saved.
    pub number: u32,
    pub name: String,
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub risks: Vec<MilestoneRisk>,
}

/// An improvement item turned into work: the action that does it and the finding that tracks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedImprovement {
    pub question: String,
    pub choice: String,
    pub action_id: ActionId,
    pub finding_id: FindingId,
    pub by: UserId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    pub id: ReviewId,
    pub account_id: AccountId,
    pub workload: String,
    pub lens_key: String,
    pub lens_version: u32,
    pub lens_kind: LensKind,
    pub name: String,
    /// In the lens's question order.
    pub answers: Vec<Answer>,
    pub milestones: Vec<Milestone>,
    pub improvements: Vec<PlannedImprovement>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

impl Review {
    pub fn answer(&self, question: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.question == question)
    }

    /// When the review was last held: its latest milestone.
    pub fn last_milestone_at(&self) -> Option<Timestamp> {
        self.milestones.iter().map(|m| m.at).max()
    }

    pub fn planned(&self, question: &str, choice: &str) -> Option<&PlannedImprovement> {
        self.improvements.iter().find(|p| p.question == question && p.choice == choice)
    }
}

/// The risk an answer gives its question: none when not applicable, else the highest risk among
/// the practices not in place.
pub fn answer_risk(question: &LensQuestion, answer: &Answer) -> ReviewRisk {
    if answer.not_applicable {
        return ReviewRisk::None;
    }
    question
        .choices
        .iter()
        .filter(|c| !answer.selected.contains(&c.key))
        .map(|c| c.risk_if_absent)
        .max_by_key(|r| r.rank())
        .unwrap_or(ReviewRisk::None)
}

/// A new review, as typed.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewDraft {
    pub account_id: Option<AccountId>,
    /// One of the account's workloads.
    pub workload: String,
    /// The lens to answer (its newest version).
    pub lens_key: String,
    /// Defaults to "<lens name> of <workload>".
    pub name: String,
}

impl ReviewDraft {
    pub fn validate(
        &self,
        account_id: AccountId,
        workloads: &[String],
        lens: Option<&Lens>,
        actor: UserId,
        now: Timestamp,
    ) -> Result<Review, FieldErrors> {
        let mut errors = FieldErrors::new();
        let workload = self.workload.trim();
        if !workloads.iter().any(|w| w == workload) {
            errors.add(
                "workload",
                if workloads.is_empty() {
                    "the account lists no workloads: add one to the account first".to_string()
                } else {
                    format!("must be one of the account's workloads: {}", workloads.join(", "))
                },
            );
        }
        if lens.is_none() {
            errors.add("lens_key", "is not a lens: see /api/v1/lenses");
        }
        let name = optional_text(&mut errors, "name", &self.name, 200);
        errors.into_result()?;
        let lens = lens.expect("checked above");
        Ok(Review {
            id: ReviewId::new(),
            account_id,
            workload: workload.to_string(),
            lens_key: lens.key.clone(),
            lens_version: lens.version,
            lens_kind: lens.kind,
            name: if name.is_empty() { format!("{} of {workload}", lens.name) } else { name },
            answers: Vec::new(),
            milestones: Vec::new(),
            improvements: Vec::new(),
            created_by: Some(actor),
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }
}

/// One answer as typed. `state` answered (the default) takes `selected`, the practices in place
/// (none of them is an answer too); not_applicable and unanswered take none.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerDraft {
    pub question: String,
    pub state: Option<String>,
    pub selected: Vec<String>,
    pub notes: Option<String>,
}

/// Answers to some questions of a review, applied together or not at all.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnswersDraft {
    pub answers: Vec<AnswerDraft>,
    /// The review's version as read.
    pub version: Option<i64>,
}

impl AnswersDraft {
    /// The review with these answers applied (questions not named keep their answers).
    pub fn apply(&self, review: &Review, lens: &Lens, actor: UserId, now: Timestamp) -> Result<Review, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.answers.is_empty() {
            errors.add("answers", "must answer at least one question");
        }
        let mut seen = HashSet::new();
        let mut answers: BTreeMap<String, Answer> =
            review.answers.iter().map(|a| (a.question.clone(), a.clone())).collect();
        for (i, draft) in self.answers.iter().enumerate() {
            let at = format!("answers[{i}]");
            let key = draft.question.trim();
            let Some((_, question)) = lens.question(key) else {
                errors.add(
                    &format!("{at}.question"),
                    format!("\"{key}\" is not a question of this review's lens, {}", lens.label()),
                );
                continue;
            };
            if !seen.insert(key.to_string()) {
                errors.add(&format!("{at}.question"), format!("\"{key}\" is answered twice"));
                continue;
            }
            let state = parse_choice(
                &mut errors,
                &format!("{at}.state"),
                draft.state.as_deref().unwrap_or("answered").trim(),
                AnswerState::ALL,
            );
            let mut selected = Vec::new();
            for choice in &draft.selected {
                let choice = choice.trim();
                if !question.choices.iter().any(|c| c.key == choice) {
                    let keys: Vec<&str> = question.choices.iter().map(|c| c.key.as_str()).collect();
                    errors.add(
                        &format!("{at}.selected"),
                        format!("\"{choice}\" is not a choice of {key}: {}", keys.join(", ")),
                    );
                } else if !selected.iter().any(|s| s == choice) {
                    selected.push(choice.to_string());
                }
            }
            if state.is_some_and(|s| s != AnswerState::Answered) && !selected.is_empty() {
                errors.add(&format!("{at}.selected"), "only an answered question has practices in place");
            }
            let notes = match &draft.notes {
                Some(n) => optional_text(&mut errors, &format!("{at}.notes"), n, 5_000),
                None => answers.get(key).map(|a| a.notes.clone()).unwrap_or_default(),
            };
            match state {
                Some(AnswerState::Unanswered) => {
                    answers.remove(key);
                }
                Some(state) => {
                    answers.insert(
                        key.to_string(),
                        Answer {
                            question: key.to_string(),
                            selected,
                            not_applicable: state == AnswerState::NotApplicable,
                            notes,
                            answered_by: actor,
                            answered_at: now,
                        },
                    );
                }
                None => {}
            }
        }
        errors.into_result()?;
        let mut review = review.clone();
        review.answers = lens.questions().filter_map(|(_, q)| answers.remove(&q.key)).collect();
        review.updated_at = now;
        Ok(review)
    }
}

/// Moving a review to a newer version of its lens, as typed.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LensMoveDraft {
    /// The lens version to move to; the newest by default.
    pub lens_version: Option<u32>,
    /// The review's version as read.
    pub version: Option<i64>,
}

/// What moving a review to another version of its lens kept and dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LensMove {
    pub from_version: u32,
    pub to_version: u32,
    /// Answers carried over (their question exists in the new version).
    pub kept: u32,
    /// Questions answered before that the new version no longer asks.
    pub dropped_questions: Vec<String>,
    /// `question/choice` practices that were in place but are gone from their question.
    pub dropped_choices: Vec<String>,
}

/// The review on a newer version of its lens: answers to questions the new version still asks
/// are kept (practices it no longer lists dropped); milestones and planned improvements stay as
/// they were (comparisons read them through the new version's questions).
pub fn move_to_lens(review: &Review, to: &Lens, now: Timestamp) -> Result<(Review, LensMove), FieldErrors> {
    if to.key != review.lens_key {
        return Err(FieldErrors::single("lens_version", format!("must be a version of {}", review.lens_key)));
    }
    if to.version <= review.lens_version {
        return Err(FieldErrors::single(
            "lens_version",
            format!("must be above {}, the version the review is on", review.lens_version),
        ));
    }
    let mut moved = LensMove { from_version: review.lens_version, to_version: to.version, ..Default::default() };
    let mut answers = Vec::new();
    for answer in &review.answers {
        let Some((_, question)) = to.question(&answer.question) else {
            moved.dropped_questions.push(answer.question.clone());
            continue;
        };
        let mut answer = answer.clone();
        answer.selected.retain(|choice| {
            let listed = question.choices.iter().any(|c| &c.key == choice);
            if !listed {
                moved.dropped_choices.push(format!("{}/{choice}", question.key));
            }
            listed
        });
        moved.kept += 1;
        answers.push(answer);
    }
    let mut review = review.clone();
    review.answers =
        to.questions().filter_map(|(_, q)| answers.iter().find(|a| a.question == q.key).cloned()).collect();
    review.lens_version = to.version;
    review.lens_kind = to.kind;
    review.updated_at = now;
    Ok((review, moved))
}

/// A milestone as typed.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MilestoneDraft {
    /// Defaults to "Milestone N".
    pub name: String,
    pub version: Option<i64>,
}

impl MilestoneDraft {
    pub fn apply(&self, review: &Review, lens: &Lens, actor: UserId, now: Timestamp) -> Result<Review, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = optional_text(&mut errors, "name", &self.name, 200);
        if review.answers.is_empty() {
            errors.add("name", "answer at least one question before saving a milestone");
        }
        errors.into_result()?;
        let number = review.milestones.len() as u32 + 1;
        let mut review = review.clone();
        let risks = current_risks(&review, lens).into_iter().map(|(question, risk)| MilestoneRisk { question, risk });
        review.milestones.push(Milestone {
            number,
            name: if name.is_empty() { format!("Milestone {number}") } else { name },
            by: actor,
            at: now,
            risks: risks.collect(),
        });
        review.updated_at = now;
        Ok(review)
    }
}

/// The risk of every answered question, in lens order.
fn current_risks(review: &Review, lens: &Lens) -> Vec<(String, ReviewRisk)> {
    lens.questions().filter_map(|(_, q)| review.answer(&q.key).map(|a| (q.key.clone(), answer_risk(q, a)))).collect()
}

/// An improvement item to act on: the action's owner and due day, the finding's effort.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImprovementDraft {
    /// The risky question and the missing practice (choice) to put in place.
    pub question: String,
    pub choice: String,
    /// Who does it (active staff); defaults to the caller.
    pub owner_id: Option<UserId>,
    /// The day it is due (YYYY-MM-DD); required.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<crate::Date>,
    /// low, medium (default) or high.
    pub effort: Option<String>,
    pub needs_downtime: Option<bool>,
    /// The review's version as read.
    pub version: Option<i64>,
}

// ----- assessment -----

/// Counts of questions by risk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskCounts {
    pub questions: u32,
    pub answered: u32,
    pub high: u32,
    pub medium: u32,
    pub none: u32,
}

impl RiskCounts {
    fn add(&mut self, risk: Option<ReviewRisk>) {
        self.questions += 1;
        match risk {
            Some(ReviewRisk::High) => self.high += 1,
            Some(ReviewRisk::Medium) => self.medium += 1,
            Some(ReviewRisk::None) => self.none += 1,
            None => return,
        }
        self.answered += 1;
    }
}

/// A practice missing from a risky question: what to improve, and whether it is planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImprovementItem {
    pub choice: String,
    pub title: String,
    pub risk: ReviewRisk,
    pub improvement: String,
    pub planned: Option<PlannedImprovement>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuestionAssessment {
    pub pillar: String,
    pub question: String,
    pub title: String,
    pub state: AnswerState,
    /// None while unanswered.
    pub risk: Option<ReviewRisk>,
    /// The practices not in place whose absence carries a risk (empty when not applicable).
    pub improvements: Vec<ImprovementItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PillarAssessment {
    pub key: String,
    pub name: String,
    pub counts: RiskCounts,
}

/// Where a review stands: risk counts overall and per pillar, and every question's risk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub counts: RiskCounts,
    pub pillars: Vec<PillarAssessment>,
    pub questions: Vec<QuestionAssessment>,
}

pub fn assess(review: &Review, lens: &Lens) -> Assessment {
    let mut counts = RiskCounts::default();
    let mut pillars = Vec::new();
    let mut questions = Vec::new();
    for pillar in &lens.pillars {
        let mut pillar_counts = RiskCounts::default();
        for q in &pillar.questions {
            let answer = review.answer(&q.key);
            let risk = answer.map(|a| answer_risk(q, a));
            counts.add(risk);
            pillar_counts.add(risk);
            let state = match answer {
                None => AnswerState::Unanswered,
                Some(a) if a.not_applicable => AnswerState::NotApplicable,
                Some(_) => AnswerState::Answered,
            };
            let improvements = match answer {
                Some(a) if !a.not_applicable => q
                    .choices
                    .iter()
                    .filter(|c| c.risk_if_absent.is_risk() && !a.selected.contains(&c.key))
                    .map(|c| ImprovementItem {
                        choice: c.key.clone(),
                        title: c.title.clone(),
                        risk: c.risk_if_absent,
                        improvement: c.improvement.clone(),
                        planned: review.planned(&q.key, &c.key).cloned(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            questions.push(QuestionAssessment {
                pillar: pillar.key.clone(),
                question: q.key.clone(),
                title: q.title.clone(),
                state,
                risk,
                improvements,
            });
        }
        pillars.push(PillarAssessment { key: pillar.key.clone(), name: pillar.name.clone(), counts: pillar_counts });
    }
    Assessment { counts, pillars, questions }
}

// ----- comparing milestones -----

/// A question whose risk differs between two points of a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskChange {
    pub pillar: String,
    pub question: String,
    pub title: String,
    /// None: not answered then.
    pub before: Option<ReviewRisk>,
    pub after: Option<ReviewRisk>,
}

/// Risks added (high or medium now, not before), removed (the reverse) and changed (high ↔ medium)
/// between two milestones, or a milestone and the review as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RiskDiff {
    pub from: String,
    pub to: String,
    pub added: Vec<RiskChange>,
    pub removed: Vec<RiskChange>,
    pub changed: Vec<RiskChange>,
    /// Counts at each end (questions answered then).
    pub from_counts: RiskCounts,
    pub to_counts: RiskCounts,
}

/// One end of a comparison: a milestone by number, or the review as it is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffEnd {
    Milestone(u32),
    Current,
}

impl DiffEnd {
    /// "1", "2", … or "current".
    pub fn parse(text: &str) -> Option<DiffEnd> {
        match text.trim() {
            "current" | "" => Some(DiffEnd::Current),
            n => n.parse().ok().filter(|n| *n > 0).map(DiffEnd::Milestone),
        }
    }
}

/// `diff` between two ends as typed ("1", "2", … or "current"), each refused by its field name.
pub fn diff_between(review: &Review, lens: &Lens, from: &str, to: &str) -> Result<RiskDiff, FieldErrors> {
    let end = |field: &str, text: &str| {
        DiffEnd::parse(text)
            .ok_or_else(|| FieldErrors::single(field, "must be a milestone number (1, 2, …) or \"current\""))
    };
    diff(review, lens, end("from", from)?, end("to", to)?)
}

pub fn diff(review: &Review, lens: &Lens, from: DiffEnd, to: DiffEnd) -> Result<RiskDiff, FieldErrors> {
    let end = |field: &str, end: DiffEnd| -> Result<(String, HashMap<String, ReviewRisk>), FieldErrors> {
        match end {
            DiffEnd::Current => Ok(("Now".to_string(), current_risks(review, lens).into_iter().collect())),
            DiffEnd::Milestone(n) => review
                .milestones
                .iter()
                .find(|m| m.number == n)
                .map(|m| {
                    (
                        format!("{} ({})", m.name, m.at.strftime("%Y-%m-%d")),
                        m.risks.iter().map(|r| (r.question.clone(), r.risk)).collect(),
                    )
                })
                .ok_or_else(|| {
                    FieldErrors::single(
                        field,
                        format!("the review has no milestone {n} (it has {})", review.milestones.len()),
                    )
                }),
        }
    };
    let (from_label, before) = end("from", from)?;
    let (to_label, after) = end("to", to)?;
    let mut result = RiskDiff {
        from: from_label,
        to: to_label,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        from_counts: RiskCounts::default(),
        to_counts: RiskCounts::default(),
    };
    for (pillar, q) in lens.questions() {
        let (b, a) = (before.get(&q.key).copied(), after.get(&q.key).copied());
        result.from_counts.add(b);
        result.to_counts.add(a);
        let change = RiskChange {
            pillar: pillar.key.clone(),
            question: q.key.clone(),
            title: q.title.clone(),
            before: b,
            after: a,
        };
        let (was, is) = (b.is_some_and(ReviewRisk::is_risk), a.is_some_and(ReviewRisk::is_risk));
        match (was, is) {
            (false, true) => result.added.push(change),
            (true, false) => result.removed.push(change),
            (true, true) if a != b => result.changed.push(change),
            _ => {}
        }
    }
    Ok(result)
}

// ----- coverage -----

/// Whether a workload had a Well-Architected review held (a milestone saved) in the last 12 months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkloadCoverage {
    pub account_id: AccountId,
    pub workload: String,
    /// The review with the latest milestone, if any.
    pub review_id: Option<ReviewId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_reviewed_at: Option<Timestamp>,
    /// No Well-Architected milestone in the last 12 months.
    pub flagged: bool,
}

/// The coverage of every workload of these accounts (every workload counts as in production).
pub fn coverage(accounts: &[(AccountId, Vec<String>)], reviews: &[Review], now: Timestamp) -> Vec<WorkloadCoverage> {
    let cutoff = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_sub(jiff::Span::new().months(12))
        .map(|z| z.timestamp())
        .unwrap_or(now);
    let mut latest: HashMap<(AccountId, &str), (Timestamp, ReviewId)> = HashMap::new();
    for r in reviews.iter().filter(|r| r.lens_kind == LensKind::WellArchitected) {
        if let Some(at) = r.last_milestone_at() {
            let entry = latest.entry((r.account_id, r.workload.as_str())).or_insert((at, r.id));
            if at > entry.0 {
                *entry = (at, r.id);
            }
        }
    }
    let mut result = Vec::new();
    for (account, workloads) in accounts {
        for workload in workloads {
            let last = latest.get(&(*account, workload.as_str())).copied();
            result.push(WorkloadCoverage {
                account_id: *account,
                workload: workload.clone(),
                review_id: last.map(|(_, id)| id),
                last_reviewed_at: last.map(|(at, _)| at),
                flagged: last.is_none_or(|(at, _)| at < cutoff),
            });
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wa() -> Lens {
        builtin_lenses().iter().find(|l| l.key == "well-architected").cloned().unwrap()
    }

    fn answer(question: &str, selected: &[&str]) -> AnswerDraft {
        AnswerDraft {
            question: question.into(),
            selected: selected.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn review(lens: &Lens) -> Review {
        let draft = ReviewDraft { workload: "checkout".into(), lens_key: lens.key.clone(), ..Default::default() };
        draft
            .validate(AccountId::new(), &["checkout".into()], Some(lens), UserId::new(), Timestamp::UNIX_EPOCH)
            .unwrap()
    }

    #[test]
    fn the_builtin_lenses_parse_and_the_well_architected_one_has_six_pillars() {
        let lenses = builtin_lenses();
        assert_eq!(lenses.len(), 2);
        let lens = wa();
        let names: Vec<&str> = lens.pillars.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Operational Excellence",
                "Security",
                "Reliability",
                "Performance Efficiency",
                "Cost Optimisation",
                "Sustainability"
            ]
        );
        for lens in lenses {
            let again = parse_lens(&lens_file(lens).to_string()).unwrap();
            assert_eq!(again.pillars, lens.pillars, "a lens written out reads back the same");
        }
    }

    #[test]
    fn a_bad_lens_file_names_each_problem() {
        assert!(parse_lens("{not json").unwrap_err().get("file").is_some());
        let text = r#"{"format":"tamhub-lens/2","key":"Bad Key","version":0,"kind":"x","name":"",
            "pillars":[{"key":"p","name":"P","questions":[{"key":"q","title":"Q","choices":[
              {"key":"a","title":"A","risk_if_absent":"severe","improvement":"x"},
              {"key":"a","title":"B","risk_if_absent":"high","improvement":""}]}]}]}"#;
        let errors = parse_lens(text).unwrap_err();
        for field in [
            "format",
            "key",
            "version",
            "kind",
            "name",
            "pillars[0].questions[0].choices[0].risk_if_absent",
            "pillars[0].questions[0].choices[1].key",
            "pillars[0].questions[0].choices[1].improvement",
        ] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn a_question_takes_the_highest_risk_of_its_missing_practices() {
        let lens = wa();
        let (_, q) = lens.question(&lens.pillars[0].questions[0].key).unwrap();
        let all: Vec<String> = q.choices.iter().map(|c| c.key.clone()).collect();
        let mk = |selected: Vec<String>, na: bool| Answer {
            question: q.key.clone(),
            selected,
            not_applicable: na,
            notes: String::new(),
            answered_by: UserId::new(),
            answered_at: Timestamp::UNIX_EPOCH,
        };
        assert_eq!(answer_risk(q, &mk(all.clone(), false)), ReviewRisk::None);
        assert_eq!(answer_risk(q, &mk(Vec::new(), true)), ReviewRisk::None);
        let worst = q.choices.iter().map(|c| c.risk_if_absent).max_by_key(|r| r.rank()).unwrap();
        assert_eq!(answer_risk(q, &mk(Vec::new(), false)), worst);
        for c in &q.choices {
            let without: Vec<String> = all.iter().filter(|k| **k != c.key).cloned().collect();
            assert_eq!(answer_risk(q, &mk(without, false)), c.risk_if_absent);
        }
    }

    #[test]
    fn answers_to_another_lens_or_unknown_choices_are_refused_whole() {
        let lens = wa();
        let r = review(&lens);
        let q = &lens.pillars[0].questions[0];
        let draft = AnswersDraft {
            answers: vec![answer(&q.key, &[&q.choices[0].key]), answer("iam-1", &[]), answer(&q.key, &["nope"])],
            version: None,
        };
        let errors = draft.apply(&r, &lens, UserId::new(), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(errors.get("answers[1].question").unwrap().contains("well-architected v1"), "{errors:?}");
        assert!(errors.get("answers[2].question").is_some(), "answered twice: {errors:?}");
        let na = AnswerDraft { state: Some("not_applicable".into()), ..answer(&q.key, &[&q.choices[0].key]) };
        let errors = AnswersDraft { answers: vec![na], version: None }
            .apply(&r, &lens, UserId::new(), Timestamp::UNIX_EPOCH)
            .unwrap_err();
        assert!(errors.get("answers[0].selected").is_some());
    }

    #[test]
    fn two_milestones_show_risks_added_removed_and_changed() {
        let lens = wa();
        let actor = UserId::new();
        let at = |s: i64| Timestamp::from_second(s).unwrap();
        let qs: Vec<&LensQuestion> = lens.pillars.iter().flat_map(|p| &p.questions).collect();
        let all = |q: &LensQuestion| q.choices.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
        let high_choice = |q: &LensQuestion| q.choices.iter().find(|c| c.risk_if_absent == ReviewRisk::High).cloned();
        let medium_only = |q: &LensQuestion| {
            let medium = q.choices.iter().find(|c| c.risk_if_absent == ReviewRisk::Medium)?;
            Some(all(q).into_iter().filter(|k| *k != medium.key).collect::<Vec<_>>())
        };
        // q0: high then none (removed); q1: none then high (added); q2: high then medium (changed).
        let q2 = qs[2..].iter().find(|q| high_choice(q).is_some() && medium_only(q).is_some()).unwrap();
        let (q0, q1) = (qs[0], qs[1]);
        assert!(high_choice(q0).is_some() && high_choice(q1).is_some());
        let as_draft = |q: &LensQuestion, keys: Vec<String>| AnswerDraft {
            question: q.key.clone(),
            selected: keys,
            ..Default::default()
        };
        let first = AnswersDraft {
            answers: vec![as_draft(q0, vec![]), as_draft(q1, all(q1)), as_draft(q2, vec![])],
            version: None,
        };
        let r = first.apply(&review(&lens), &lens, actor, at(1)).unwrap();
        let r = MilestoneDraft::default().apply(&r, &lens, actor, at(2)).unwrap();
        let second = AnswersDraft {
            answers: vec![as_draft(q0, all(q0)), as_draft(q1, vec![]), as_draft(q2, medium_only(q2).unwrap())],
            version: None,
        };
        let r = second.apply(&r, &lens, actor, at(3)).unwrap();
        let r =
            MilestoneDraft { name: "After the fixes".into(), version: None }.apply(&r, &lens, actor, at(4)).unwrap();
        assert_eq!(r.milestones[1].name, "After the fixes");
        let d = diff(&r, &lens, DiffEnd::Milestone(1), DiffEnd::Milestone(2)).unwrap();
        let keys = |v: &[RiskChange]| v.iter().map(|c| c.question.as_str()).collect::<Vec<_>>().join(",");
        assert_eq!(keys(&d.added), q1.key);
        assert_eq!(keys(&d.removed), q0.key);
        assert_eq!(keys(&d.changed), q2.key);
        assert_eq!((d.from_counts.high, d.to_counts.high, d.to_counts.medium), (2, 1, 1));
        assert_eq!(diff(&r, &lens, DiffEnd::Milestone(2), DiffEnd::Current).unwrap().added, vec![]);
        assert!(diff(&r, &lens, DiffEnd::Milestone(3), DiffEnd::Current).unwrap_err().get("from").is_some());
    }

    #[test]
    fn moving_to_a_newer_lens_version_keeps_the_answers_it_still_asks() {
        let v1 = wa();
        let mut v2 = v1.clone();
        v2.version = 2;
        let gone = v2.pillars[0].questions.remove(0);
        let trimmed = v2.pillars[1].questions[0].key.clone();
        let dropped_choice = v2.pillars[1].questions[0].choices.remove(0);
        let kept_question = &v1.pillars[1].questions[0];
        let everything = |q: &LensQuestion| AnswerDraft {
            question: q.key.clone(),
            selected: q.choices.iter().map(|c| c.key.clone()).collect(),
            ..Default::default()
        };
        let draft = AnswersDraft { answers: vec![everything(&gone), everything(kept_question)], version: None };
        let r = draft.apply(&review(&v1), &v1, UserId::new(), Timestamp::UNIX_EPOCH).unwrap();
        let (moved, what) = move_to_lens(&r, &v2, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!((moved.lens_version, moved.answers.len()), (2, 1));
        assert_eq!(what.dropped_questions, std::slice::from_ref(&gone.key));
        assert_eq!(what.dropped_choices, [format!("{trimmed}/{}", dropped_choice.key)]);
        assert_eq!(answer_risk(&v2.pillars[1].questions[0], &moved.answers[0]), ReviewRisk::None);
        assert!(move_to_lens(&moved, &v2, Timestamp::UNIX_EPOCH).unwrap_err().get("lens_version").is_some());
    }

    #[test]
    fn a_workload_without_a_well_architected_milestone_in_twelve_months_is_flagged() {
        let lens = wa();
        let now: Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
        let account = AccountId::new();
        let with_milestone = |workload: &str, at: &str| {
            let mut r = review(&lens);
            r.account_id = account;
            r.workload = workload.into();
            r.milestones.push(Milestone {
                number: 1,
                name: "m".into(),
                by: UserId::new(),
                at: at.parse().unwrap(),
                risks: Vec::new(),
            });
            r
        };
        let mut security = with_milestone("search", "2026-10-01T00:00:00Z");
        security.lens_kind = LensKind::Security;
        let reviews = vec![
            with_milestone("checkout", "2025-11-28T12:00:00Z"),
            with_milestone("payments", "2025-11-28T11:59:59Z"),
            security,
        ];
        let accounts = vec![(account, vec!["checkout".into(), "payments".into(), "search".into()])];
        let flags: Vec<(String, bool)> =
            coverage(&accounts, &reviews, now).into_iter().map(|c| (c.workload, c.flagged)).collect();
        assert_eq!(
            flags,
            [("checkout".to_string(), false), ("payments".to_string(), true), ("search".to_string(), true)]
        );
    }
}
