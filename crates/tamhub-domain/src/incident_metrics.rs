//! Incident metrics over a set of incidents (SLA-SPEC section 2.5): each metric is the time
//! between two named milestones, labelled by both (never a bare "MTTR"), with how many incidents
//! it could use and how many it could not, and the mean, median and p90.

use serde::Serialize;

use crate::incidents::{Incident, IncidentStatus, Milestone, union_seconds};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentMetric {
    TimeToDetect,
    TimeToAcknowledge,
    TimeToIdentify,
    TimeToMitigate,
    TimeToResolveImpact,
    TimeToResolveDeclared,
    CustomerImpactSeconds,
}

impl IncidentMetric {
    pub const ALL: [IncidentMetric; 7] = [
        IncidentMetric::TimeToDetect,
        IncidentMetric::TimeToAcknowledge,
        IncidentMetric::TimeToIdentify,
        IncidentMetric::TimeToMitigate,
        IncidentMetric::TimeToResolveImpact,
        IncidentMetric::TimeToResolveDeclared,
        IncidentMetric::CustomerImpactSeconds,
    ];

    /// The two milestones the metric runs between.
    pub fn endpoints(self) -> (Milestone, Milestone) {
        use Milestone::*;
        match self {
            IncidentMetric::TimeToDetect => (ImpactStartedAt, DetectedAt),
            IncidentMetric::TimeToAcknowledge => (DeclaredAt, AcknowledgedAt),
            IncidentMetric::TimeToIdentify => (ImpactStartedAt, IdentifiedAt),
            IncidentMetric::TimeToMitigate => (ImpactStartedAt, MitigatedAt),
            IncidentMetric::TimeToResolveImpact | IncidentMetric::CustomerImpactSeconds => {
                (ImpactStartedAt, ResolvedAt)
            }
            IncidentMetric::TimeToResolveDeclared => (DeclaredAt, ResolvedAt),
        }
    }

    /// "Impact started → resolved": both endpoints, as the UI must show them.
    pub fn label(self) -> String {
        let (from, to) = self.endpoints();
        let name = match self {
            IncidentMetric::CustomerImpactSeconds => "Customer impact",
            IncidentMetric::TimeToDetect => "Time to detect",
            IncidentMetric::TimeToAcknowledge => "Time to acknowledge",
            IncidentMetric::TimeToIdentify => "Time to identify",
            IncidentMetric::TimeToMitigate => "Time to mitigate",
            IncidentMetric::TimeToResolveImpact | IncidentMetric::TimeToResolveDeclared => "Time to resolve",
        };
        format!("{name} ({} → {})", from.label().to_lowercase(), to.label().to_lowercase())
    }

    /// The metric's value for one incident, in seconds; `None` when an endpoint is missing or
    /// the difference is negative. An unknown impact start counts from the declaration (I1).
    /// Customer impact is the union of the recorded impact windows when there are any.
    pub fn seconds(self, incident: &Incident) -> Option<i64> {
        if self == IncidentMetric::CustomerImpactSeconds && !incident.impact_windows.is_empty() {
            return Some(union_seconds(&incident.impact_windows));
        }
        let (from, to) = self.endpoints();
        let m = &incident.milestones;
        let start = match from {
            Milestone::ImpactStartedAt => Some(m.impact_started()),
            other => m.get(other),
        }?;
        let seconds = m.get(to)?.duration_since(start).as_secs();
        (seconds >= 0).then_some(seconds)
    }
}

/// Whether an incident counts in metrics: not declined, merged, canceled or a test.
pub fn counts(incident: &Incident) -> bool {
    !incident.test
        && !matches!(incident.status, IncidentStatus::Declined | IncidentStatus::Merged | IncidentStatus::Canceled)
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MetricSummary {
    pub metric: IncidentMetric,
    pub label: String,
    pub from: Milestone,
    pub to: Milestone,
    pub n_used: usize,
    pub n_missing: usize,
    pub mean_seconds: Option<f64>,
    pub median_seconds: Option<f64>,
    /// Nearest rank: the smallest value with at least 90 % of the values at or below it.
    pub p90_seconds: Option<i64>,
}

/// The seven metrics over the incidents that count.
pub fn summarize<'a>(incidents: impl IntoIterator<Item = &'a Incident>) -> Vec<MetricSummary> {
    let counted: Vec<&Incident> = incidents.into_iter().filter(|i| counts(i)).collect();
    IncidentMetric::ALL
        .iter()
        .map(|&metric| {
            let mut values: Vec<i64> = counted.iter().filter_map(|i| metric.seconds(i)).collect();
            values.sort_unstable();
            let n = values.len();
            let (from, to) = metric.endpoints();
            MetricSummary {
                metric,
                label: metric.label(),
                from,
                to,
                n_used: n,
                n_missing: counted.len() - n,
                mean_seconds: (n > 0).then(|| values.iter().map(|v| *v as f64).sum::<f64>() / n as f64),
                median_seconds: (n > 0).then(|| {
                    if n % 2 == 1 { values[n / 2] as f64 } else { (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0 }
                }),
                p90_seconds: (n > 0).then(|| values[(n * 9).div_ceil(10) - 1]),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::ids::{IncidentId, UserId};
    use crate::incidents::IncidentDraft;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + minutes * 60).expect("instant")
    }

    /// Declared at minute 0; impact `impact` minutes before; acknowledged and resolved at the
    /// given minutes.
    fn incident(impact: i64, ack: Option<i64>, resolved: Option<i64>) -> Incident {
        let draft = IncidentDraft {
            title: "x".into(),
            severity: "P2".into(),
            impact_started_at: Some(at(-impact)),
            incident_commander_id: Some(UserId::new()),
            ..IncidentDraft::default()
        };
        let (mut i, _) = draft.declare(IncidentId::new(), 1, None, at(0)).expect("valid");
        i.milestones.acknowledged_at = ack.map(at);
        i.milestones.resolved_at = resolved.map(at);
        i
    }

    #[test]
    fn customer_impact_is_the_union_of_recorded_windows() {
        use crate::incidents::ImpactWindow;
        let mut i = incident(30, Some(5), Some(120));
        assert_eq!(IncidentMetric::CustomerImpactSeconds.seconds(&i), Some(150 * 60), "impact start → resolved");
        let w = |from: i64, to: i64| ImpactWindow { start: at(from), end: at(to) };
        // -30..0 and -10..20 overlap (50 minutes), 60..90 apart (30): 80 minutes.
        let windows = [w(60, 90), w(-30, 0), w(-10, 20)];
        let kinds = i.plan_impact_windows(&windows, "From the load balancer's error logs", at(200)).expect("valid");
        for k in &kinds {
            i.apply(at(200), k);
        }
        assert_eq!(i.impact_windows.first(), Some(&w(-30, 0)), "kept in order");
        assert_eq!(IncidentMetric::CustomerImpactSeconds.seconds(&i), Some(80 * 60));
        assert_eq!(IncidentMetric::TimeToResolveImpact.seconds(&i), Some(150 * 60), "the others are milestones");

        let bad = [w(-40, -35), w(10, 5), w(100, 300)];
        let errors = i.plan_impact_windows(&bad, " ", at(200)).expect_err("bad");
        for field in ["reason", "windows[0].start", "windows[1].end", "windows[2].end"] {
            assert!(errors.get(field).is_some(), "{field} in {errors:?}");
        }
    }

    #[test]
    fn each_metric_spells_out_its_endpoints_and_counts_what_it_cannot_use() {
        let incidents = [
            incident(10, Some(5), Some(60)),
            incident(20, Some(15), Some(120)),
            incident(0, None, Some(30)),
            incident(30, Some(2), None),
        ];
        let summary = summarize(&incidents);
        let ack = summary.iter().find(|s| s.metric == IncidentMetric::TimeToAcknowledge).expect("ack");
        assert_eq!(ack.label, "Time to acknowledge (declared → acknowledged)");
        assert_eq!((ack.n_used, ack.n_missing), (3, 1));
        assert_eq!(ack.mean_seconds, Some((5.0 + 15.0 + 2.0) * 60.0 / 3.0));
        assert_eq!(ack.median_seconds, Some(300.0));
        assert_eq!(ack.p90_seconds, Some(900));
        let impact = summary.iter().find(|s| s.metric == IncidentMetric::TimeToResolveImpact).expect("impact");
        assert_eq!(impact.label, "Time to resolve (impact started → resolved)");
        assert_eq!((impact.n_used, impact.n_missing), (3, 1));
        // 70, 140 and 30 minutes: median 70.
        assert_eq!(impact.median_seconds, Some(70.0 * 60.0));
        let declared = summary.iter().find(|s| s.metric == IncidentMetric::TimeToResolveDeclared).expect("declared");
        assert_eq!(declared.median_seconds, Some(60.0 * 60.0));
        assert!(summary.iter().all(|s| !s.label.contains("MTTR")));
    }

    #[test]
    fn declined_test_and_negative_incidents_are_left_out() {
        let mut declined = incident(0, Some(1), Some(2));
        declined.status = IncidentStatus::Declined;
        let mut test = incident(0, Some(1), Some(2));
        test.test = true;
        // Acknowledged before the declaration cannot happen through the planners (I2), but an
        // imported record might: a negative value is not used.
        let negative = incident(0, Some(-5), None);
        let summary = summarize(&[declined, test, negative]);
        let ack = &summary[1];
        assert_eq!(
            (ack.metric, ack.n_used, ack.n_missing, ack.mean_seconds),
            (IncidentMetric::TimeToAcknowledge, 0, 1, None)
        );
        let even = summarize(&[incident(0, Some(10), None), incident(0, Some(20), None)]);
        assert_eq!(even[1].median_seconds, Some(900.0));
        assert_eq!(even[1].p90_seconds, Some(1_200));
    }
}
