//! Health scores that explain themselves (PRODUCT capability 2). A scorecard is a versioned list
//! of measures, each with a source (a built-in count over tamhub's own records, or an aggregate
//! of a pushed signal), a weight and a rule mapping its value to 0-100. An account's score is the
//! weighted mean over the measures that have data; the weight of those without is shared among
//! the rest, and below a minimum share of weight with data the account has "insufficient data"
//! instead of a number. Every score comes with each measure's value, score, weight and the points
//! it cost, apportioned so that they add up exactly to 100 minus the score.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::accounts::Tier;
use crate::validation::{FieldErrors, required_text};

/// Which way a measure's value is good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// One step of a banded rule: values below `below` score `score` (the first band that applies).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub below: f64,
    pub score: f64,
}

/// How a measure's value becomes a score from 0 to 100.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScoringRule {
    /// 100 at `good` or better, 0 at `bad` or worse, a straight line between. `good` is above
    /// `bad` when higher is better, below it when lower is better.
    Linear { direction: Direction, good: f64, bad: f64 },
    /// The score of the first step whose `below` the value is under (steps ascending), else
    /// `otherwise`.
    Bands { steps: Vec<Step>, otherwise: f64 },
}

impl ScoringRule {
    /// The value's score, rounded to hundredths (the rounded score is the one that counts).
    pub fn score(&self, value: f64) -> f64 {
        let raw = match self {
            ScoringRule::Linear { good, bad, .. } => {
                let t = (value - bad) / (good - bad);
                100.0 * t.clamp(0.0, 1.0)
            }
            ScoringRule::Bands { steps, otherwise } => {
                steps.iter().find(|s| value < s.below).map_or(*otherwise, |s| s.score)
            }
        };
        // `+ 0.0` turns the -0 of a value at `bad` on a falling rule into 0.
        (raw * 100.0).round() / 100.0 + 0.0
    }

    fn check(&self, errors: &mut FieldErrors, field: &str) {
        let finite_score = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
        match self {
            ScoringRule::Linear { direction, good, bad } => {
                if !good.is_finite() || !bad.is_finite() {
                    errors.add(field, "good and bad must be finite numbers");
                } else if good == bad {
                    errors.add(&format!("{field}.good"), "must differ from bad");
                } else if *direction == Direction::HigherIsBetter && good < bad {
                    errors.add(
                        &format!("{field}.good"),
                        "must be above bad when higher is better (thresholds in the wrong order)",
                    );
                } else if *direction == Direction::LowerIsBetter && good > bad {
                    errors.add(
                        &format!("{field}.good"),
                        "must be below bad when lower is better (thresholds in the wrong order)",
                    );
                }
            }
            ScoringRule::Bands { steps, otherwise } => {
                if steps.is_empty() {
                    errors.add(&format!("{field}.steps"), "must have at least one step");
                }
                for (i, s) in steps.iter().enumerate() {
                    if !s.below.is_finite() {
                        errors.add(&format!("{field}.steps[{i}].below"), "must be a finite number");
                    } else if i > 0 && s.below <= steps[i - 1].below {
                        errors.add(
                            &format!("{field}.steps[{i}].below"),
                            "must be above the step before (thresholds in the wrong order)",
                        );
                    }
                    if !finite_score(s.score) {
                        errors.add(&format!("{field}.steps[{i}].score"), "must be from 0 to 100");
                    }
                }
                if !finite_score(*otherwise) {
                    errors.add(&format!("{field}.otherwise"), "must be from 0 to 100");
                }
            }
        }
    }
}

/// How a signal's points in the window become one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Latest,
    Mean,
    Min,
    Max,
}

impl Aggregate {
    /// Of points in time order; None without any.
    pub fn of(self, points: &[f64]) -> Option<f64> {
        let (first, _) = points.split_first()?;
        Some(match self {
            Aggregate::Latest => *points.last().unwrap_or(first),
            Aggregate::Mean => points.iter().sum::<f64>() / points.len() as f64,
            Aggregate::Min => points.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregate::Max => points.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// Where a measure's value comes from. Built-in measures count tamhub's own records; measures
/// over records tamhub does not hold yet (engagements, risks) arrive with those records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MeasureSource {
    /// Open tickets of priority critical or high.
    OpenCriticalHighTickets,
    /// SLA breaches recorded in the last 30 days.
    #[serde(rename = "sla_breaches_30d")]
    SlaBreaches30d,
    /// Tickets opened in the last 30 days against the 30 before, in percent (+50 = half again).
    TicketVolumeTrend,
    /// P0 and P1 incidents that impacted the account, declared in the last 90 days.
    #[serde(rename = "major_incidents_90d")]
    MajorIncidents90d,
    /// Actions open past their due date: corrective actions of the account's incidents and the
    /// account's own (meeting action items).
    OverdueActions,
    /// Engagements of the charter past their window, neither held nor skipped (no data without
    /// a charter).
    OverdueEngagements,
    /// Days since the last meeting held with the account (no data before the first).
    DaysSinceEngagement,
    /// Open or mitigating risks scoring 15 or more (likelihood × impact).
    OpenHighRisks,
    /// Days until the renewal date (negative once past).
    RenewalProximity,
    /// An aggregate of a pushed signal over the last `window_days` days.
    Signal { name: String, aggregate: Aggregate, window_days: u32 },
}

impl MeasureSource {
    pub fn describe(&self) -> String {
        match self {
            MeasureSource::OpenCriticalHighTickets => "open critical and high tickets".into(),
            MeasureSource::SlaBreaches30d => "SLA breaches in the last 30 days".into(),
            MeasureSource::TicketVolumeTrend => "tickets opened in 30 days vs the 30 before (%)".into(),
            MeasureSource::MajorIncidents90d => "P0/P1 incidents in the last 90 days".into(),
            MeasureSource::OverdueActions => "overdue actions".into(),
            MeasureSource::OverdueEngagements => "overdue charter engagements".into(),
            MeasureSource::DaysSinceEngagement => "days since the last meeting held".into(),
            MeasureSource::OpenHighRisks => "open high risks".into(),
            MeasureSource::RenewalProximity => "days until renewal".into(),
            MeasureSource::Signal { name, aggregate, window_days } => {
                format!("{} of {name} over {window_days} days", format!("{aggregate:?}").to_lowercase())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// Unique within the scorecard: `uptime`, `open_tickets`.
    pub key: String,
    pub label: String,
    pub source: MeasureSource,
    pub weight: f64,
    pub rule: ScoringRule,
}

/// A scorecard as written: what a new version contains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardContent {
    pub name: String,
    pub measures: Vec<Measure>,
    /// Below this share of weight with data (percent), the account has insufficient data.
    #[serde(default = "default_min_data")]
    pub min_data_pct: f64,
    /// Scores at or above are green (default 75).
    #[serde(default = "default_green")]
    pub green_from: f64,
    /// Scores at or above are yellow, below red (default 50).
    #[serde(default = "default_yellow")]
    pub yellow_from: f64,
}

fn default_min_data() -> f64 {
    60.0
}
fn default_green() -> f64 {
    75.0
}
fn default_yellow() -> f64 {
    50.0
}

/// A key or signal name: lowercase letters, digits and underscores, starting with a letter.
pub fn is_key(text: &str) -> bool {
    text.len() <= 40
        && text.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ScorecardContent {
    /// Trimmed and checked; every problem named by its field.
    pub fn validated(&self) -> Result<ScorecardContent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut out = self.clone();
        out.name = required_text(&mut errors, "name", &self.name, 120);
        if self.measures.is_empty() {
            errors.add("measures", "must list at least one measure");
        } else if self.measures.len() > 50 {
            errors.add("measures", "at most 50 measures");
        }
        let mut total = 0.0;
        for (i, m) in out.measures.iter_mut().enumerate() {
            let field = |part: &str| format!("measures[{i}].{part}");
            m.key = m.key.trim().to_string();
            if !is_key(&m.key) {
                errors
                    .add(&field("key"), "must be lowercase letters, digits and _ (at most 40), starting with a letter");
            }
            m.label = required_text(&mut errors, &field("label"), &m.label, 120);
            if !m.weight.is_finite() || m.weight < 0.0 {
                errors.add(&field("weight"), "must be a number of zero or more");
            } else {
                total += m.weight;
            }
            if let MeasureSource::Signal { name, window_days, .. } = &mut m.source {
                *name = name.trim().to_string();
                if !is_key(name) {
                    errors.add(&field("source.name"), "must be a signal name: lowercase letters, digits and _");
                }
                if !(1..=365).contains(window_days) {
                    errors.add(&field("source.window_days"), "must be from 1 to 365");
                }
            }
            m.rule.check(&mut errors, &field("rule"));
        }
        let mut keys: Vec<&str> = self.measures.iter().map(|m| m.key.trim()).collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            errors.add("measures", format!("the key {:?} is used twice", w[0]));
        }
        if !self.measures.is_empty() && total <= 0.0 && errors.is_empty() {
            errors.add("measures", "the weights must not all be zero");
        }
        if !(0.0..=100.0).contains(&self.min_data_pct) {
            errors.add("min_data_pct", "must be from 0 to 100");
        }
        if !(self.yellow_from.is_finite()
            && self.green_from.is_finite()
            && 0.0 < self.yellow_from
            && self.yellow_from < self.green_from
            && self.green_from <= 100.0)
        {
            errors.add("green_from", "must be above yellow_from, both between 0 and 100");
        }
        errors.into_result()?;
        Ok(out)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthBand {
    Red,
    Yellow,
    Green,
    InsufficientData,
}

impl HealthBand {
    pub const ALL: [(HealthBand, &'static str); 4] = [
        (HealthBand::Red, "red"),
        (HealthBand::Yellow, "yellow"),
        (HealthBand::Green, "green"),
        (HealthBand::InsufficientData, "insufficient_data"),
    ];

    pub fn parse(text: &str) -> Option<HealthBand> {
        Self::ALL.iter().find(|(_, n)| *n == text).map(|(b, _)| *b)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HealthBand::Red => "red",
            HealthBand::Yellow => "yellow",
            HealthBand::Green => "green",
            HealthBand::InsufficientData => "insufficient_data",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HealthBand::Red => "Red",
            HealthBand::Yellow => "Yellow",
            HealthBand::Green => "Green",
            HealthBand::InsufficientData => "Insufficient data",
        }
    }
}

/// One measure in a score's breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeasureResult {
    pub key: String,
    pub label: String,
    /// None: no data (left out, its weight shared among the others).
    pub value: Option<f64>,
    pub score: Option<f64>,
    pub weight: f64,
    /// Its share of the weight that counted, in percent.
    pub share_pct: Option<f64>,
    /// How many points below 100 it brought the score; these add up to 100 − score.
    pub points_lost: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthScore {
    /// Rounded to hundredths; None with insufficient data.
    pub score: Option<f64>,
    pub band: HealthBand,
    /// The share of the scorecard's weight whose measures had data, in percent.
    pub data_pct: f64,
    pub measures: Vec<MeasureResult>,
}

fn hundredths(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

impl ScorecardContent {
    pub fn band(&self, score: f64) -> HealthBand {
        if score >= self.green_from {
            HealthBand::Green
        } else if score >= self.yellow_from {
            HealthBand::Yellow
        } else {
            HealthBand::Red
        }
    }

    /// The score of the measures' values (by key; a missing key has no data).
    pub fn score(&self, values: &BTreeMap<String, f64>) -> HealthScore {
        let total_weight: f64 = self.measures.iter().map(|m| m.weight).sum();
        let scored: Vec<(&Measure, Option<(f64, f64)>)> = self
            .measures
            .iter()
            .map(|m| (m, values.get(&m.key).filter(|v| v.is_finite()).map(|v| (*v, m.rule.score(*v)))))
            .collect();
        let counted: f64 = scored.iter().filter(|(_, s)| s.is_some()).map(|(m, _)| m.weight).sum();
        let data_pct = if total_weight > 0.0 { counted * 100.0 / total_weight } else { 0.0 };
        let enough = counted > 0.0 && data_pct + 1e-9 >= self.min_data_pct;
        let mean = enough
            .then(|| scored.iter().filter_map(|(m, s)| s.map(|(_, score)| m.weight * score)).sum::<f64>() / counted);
        let score = mean.map(|m| hundredths(m) as f64 / 100.0);
        // Points lost, in hundredths, apportioned by largest remainder to add up to 100 − score.
        let mut lost: Vec<Option<i64>> = vec![None; scored.len()];
        if let Some(score) = score {
            let exact: Vec<Option<f64>> =
                scored.iter().map(|(m, s)| s.map(|(_, sc)| m.weight / counted * (100.0 - sc) * 100.0)).collect();
            let target = hundredths(100.0 - score);
            let mut floors: Vec<Option<i64>> = exact.iter().map(|e| e.map(|x| x.floor() as i64)).collect();
            let mut left = target - floors.iter().flatten().sum::<i64>();
            let mut order: Vec<usize> = (0..exact.len()).filter(|i| exact[*i].is_some()).collect();
            order.sort_by(|a, b| {
                let frac = |i: usize| exact[i].map_or(0.0, |x| x - x.floor());
                frac(*b).total_cmp(&frac(*a)).then(a.cmp(b))
            });
            for i in order.iter().cycle().take(order.len() * 2) {
                if left == 0 {
                    break;
                }
                if let Some(f) = floors[*i].as_mut() {
                    let step = left.signum();
                    *f += step;
                    left -= step;
                }
            }
            lost = floors;
        }
        let measures = scored
            .iter()
            .zip(lost)
            .map(|((m, s), lost)| MeasureResult {
                key: m.key.clone(),
                label: m.label.clone(),
                value: s.map(|(v, _)| v),
                score: s.map(|(_, sc)| sc),
                weight: m.weight,
                share_pct: s.filter(|_| counted > 0.0).map(|_| m.weight * 100.0 / counted),
                points_lost: lost.filter(|_| score.is_some()).map(|h| h as f64 / 100.0),
            })
            .collect();
        HealthScore { band: score.map_or(HealthBand::InsufficientData, |s| self.band(s)), score, data_pct, measures }
    }
}

/// A signal point as pushed: `{name, value, at}`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalIn {
    pub name: String,
    pub value: f64,
    #[schema(value_type = String, format = DateTime)]
    pub at: crate::Timestamp,
}

/// A scorecard version as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub tier: Tier,
    pub version: i64,
    pub content: ScorecardContent,
    pub created_at: crate::Timestamp,
    pub created_by: Option<crate::ids::UserId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(direction: Direction, good: f64, bad: f64) -> ScoringRule {
        ScoringRule::Linear { direction, good, bad }
    }

    fn measure(key: &str, weight: f64, rule: ScoringRule) -> Measure {
        Measure {
            key: key.into(),
            label: key.replace('_', " "),
            source: MeasureSource::OpenCriticalHighTickets,
            weight,
            rule,
        }
    }

    fn card(measures: Vec<Measure>) -> ScorecardContent {
        ScorecardContent {
            name: "Enterprise".into(),
            measures,
            min_data_pct: 60.0,
            green_from: 75.0,
            yellow_from: 50.0,
        }
    }

    #[test]
    fn rules_map_values_to_scores() {
        let uptime = linear(Direction::HigherIsBetter, 99.9, 99.0);
        assert_eq!(uptime.score(99.95), 100.0);
        assert_eq!(uptime.score(99.45), 50.0);
        assert_eq!(uptime.score(98.0), 0.0);
        let tickets = linear(Direction::LowerIsBetter, 0.0, 6.0);
        assert_eq!(tickets.score(2.0), 66.67, "rounded to hundredths");
        let bands = ScoringRule::Bands {
            steps: vec![Step { below: 30.0, score: 20.0 }, Step { below: 90.0, score: 70.0 }],
            otherwise: 100.0,
        };
        assert_eq!((bands.score(10.0), bands.score(30.0), bands.score(200.0)), (20.0, 70.0, 100.0));
    }

    #[test]
    fn the_score_is_the_weighted_mean_and_the_points_lost_add_up_exactly() {
        let c = card(vec![
            measure("uptime", 3.0, linear(Direction::HigherIsBetter, 99.9, 99.0)),
            measure("tickets", 2.0, linear(Direction::LowerIsBetter, 0.0, 6.0)),
            measure("csat", 1.0, linear(Direction::HigherIsBetter, 4.5, 3.0)),
            measure("adoption", 1.0, linear(Direction::HigherIsBetter, 80.0, 20.0)),
        ]);
        let values: BTreeMap<String, f64> =
            [("uptime", 99.45), ("tickets", 2.0), ("csat", 4.0)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let s = c.score(&values);
        // (3×50 + 2×66.67 + 1×66.67) / 6 = 58.335 → 58.34 (adoption has no data; 6 of 7 weight).
        assert_eq!(s.score, Some(58.34));
        assert_eq!(s.band, HealthBand::Yellow);
        assert!((s.data_pct - 600.0 / 7.0).abs() < 1e-9);
        let lost: f64 = s.measures.iter().filter_map(|m| m.points_lost).sum();
        assert_eq!(hundredths(lost), hundredths(100.0 - 58.34), "{:?}", s.measures);
        let adoption = s.measures.iter().find(|m| m.key == "adoption").unwrap();
        assert_eq!((adoption.value, adoption.points_lost, adoption.share_pct), (None, None, None));
        assert_eq!(s.measures[0].share_pct, Some(50.0));
        assert_eq!(s.measures[0].points_lost, Some(25.0), "half the weight, 50 points short");
    }

    #[test]
    fn too_little_data_is_not_a_number() {
        let c = card(vec![
            measure("uptime", 3.0, linear(Direction::HigherIsBetter, 99.9, 99.0)),
            measure("tickets", 2.0, linear(Direction::LowerIsBetter, 0.0, 6.0)),
        ]);
        let only_tickets: BTreeMap<String, f64> = [("tickets".to_string(), 0.0)].into_iter().collect();
        let s = c.score(&only_tickets);
        assert_eq!((s.score, s.band), (None, HealthBand::InsufficientData), "40 % of the weight < 60 %");
        assert!(s.measures.iter().all(|m| m.points_lost.is_none()));
        assert_eq!(c.score(&BTreeMap::new()).band, HealthBand::InsufficientData);
    }

    #[test]
    fn bad_scorecards_name_each_problem() {
        let bad = ScorecardContent {
            name: " ".into(),
            measures: vec![
                measure("Uptime", -1.0, linear(Direction::HigherIsBetter, 99.0, 99.9)),
                measure("tickets", 1.0, linear(Direction::LowerIsBetter, 5.0, 5.0)),
                measure(
                    "bands",
                    1.0,
                    ScoringRule::Bands {
                        steps: vec![Step { below: 5.0, score: 10.0 }, Step { below: 3.0, score: 120.0 }],
                        otherwise: 50.0,
                    },
                ),
            ],
            min_data_pct: 120.0,
            green_from: 40.0,
            yellow_from: 50.0,
        };
        let errors = bad.validated().unwrap_err();
        for field in [
            "name",
            "measures[0].key",
            "measures[0].weight",
            "measures[0].rule.good",
            "measures[1].rule.good",
            "measures[2].rule.steps[1].below",
            "measures[2].rule.steps[1].score",
            "min_data_pct",
            "green_from",
        ] {
            assert!(errors.get(field).is_some(), "{field} in {errors:?}");
        }
        let zero = card(vec![measure("a", 0.0, linear(Direction::HigherIsBetter, 1.0, 0.0))]);
        assert!(zero.validated().unwrap_err().get("measures").is_some(), "all-zero weights");
        let twice = card(vec![
            measure("a", 1.0, linear(Direction::HigherIsBetter, 1.0, 0.0)),
            measure("a", 1.0, linear(Direction::HigherIsBetter, 1.0, 0.0)),
        ]);
        assert!(twice.validated().unwrap_err().get("measures").is_some());
    }
}
