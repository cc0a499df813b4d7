//! An incident's timeline as a page shows it: each entry in words, customer updates in their
//! four parts, and the progress strip of the main status line.

use std::collections::HashMap;

use tamhub_domain::Timestamp;
use tamhub_domain::ids::{AccountId, TicketId, UserId};
use tamhub_domain::incidents::{CustomerUpdate, IncidentStatus, TimelineEntry, TimelineKind, Visibility};

use super::{clocks, format};

/// One step of the main line triage → closed, for the progress strip.
pub struct Step {
    pub label: &'static str,
    /// `done`, `current` or `todo`.
    pub state: &'static str,
}

pub(super) fn progress(status: IncidentStatus) -> Vec<Step> {
    const LINE: [IncidentStatus; 7] = [
        IncidentStatus::Triage,
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
        IncidentStatus::Postmortem,
        IncidentStatus::Closed,
    ];
    let Some(at) = LINE.iter().position(|s| *s == status) else { return Vec::new() };
    LINE.iter()
        .enumerate()
        .map(|(i, s)| Step {
            label: s.label(),
            state: match i.cmp(&at) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "todo",
            },
        })
        .collect()
}

/// A customer update in its four parts.
pub struct UpdateParts {
    pub public: bool,
    pub know: String,
    pub dont_know: String,
    pub doing: String,
    pub next: String,
}

impl UpdateParts {
    fn of(u: &CustomerUpdate) -> UpdateParts {
        UpdateParts {
            public: u.visibility == Visibility::Public,
            know: u.what_we_know.clone(),
            dont_know: u.what_we_dont_know.clone(),
            doing: u.what_we_are_doing.clone(),
            next: u.next_update_at.map(format::instant).unwrap_or_default(),
        }
    }
}

/// One entry of the timeline.
pub struct EntryView {
    /// `created`, `change`, `public`, `private` or `escalation`: the entry's look.
    pub kind: &'static str,
    pub who: String,
    pub what: String,
    pub body: String,
    pub update: Option<UpdateParts>,
    pub when: String,
    pub ago: String,
}

/// What the timeline needs to name people, accounts and tickets.
pub(super) struct Names<'a> {
    pub people: &'a HashMap<UserId, String>,
    pub accounts: HashMap<AccountId, String>,
    pub tickets: &'a HashMap<TicketId, (i64, String)>,
}

impl Names<'_> {
    pub fn person(&self, id: Option<UserId>) -> String {
        match id {
            Some(id) => self.people.get(&id).cloned().unwrap_or_else(|| "Someone".into()),
            None => "tamhub".into(),
        }
    }

    fn accounts(&self, ids: &[AccountId]) -> String {
        let known: Vec<&str> = ids.iter().filter_map(|a| self.accounts.get(a).map(String::as_str)).collect();
        let hidden = ids.len() - known.len();
        let mut text = known.join(", ");
        if hidden > 0 {
            text = if text.is_empty() { format!("{hidden} accounts") } else { format!("{text} +{hidden} more") };
        }
        text
    }
}

pub(super) fn entry(e: &TimelineEntry, names: &Names<'_>, now: Timestamp) -> EntryView {
    let when = |at: Option<Timestamp>| at.map(format::instant).unwrap_or_else(|| "unset".into());
    let mut body = String::new();
    let mut update = None;
    let (kind, what) = match &e.kind {
        TimelineKind::Declared { severity, status, .. } => {
            ("created", format!("declared the incident as {} ({})", severity.as_str(), status.label()))
        }
        TimelineKind::StatusChanged { from: IncidentStatus::Resolved, to: IncidentStatus::Investigating } => {
            ("escalation", "reopened the incident: Resolved → Investigating".to_string())
        }
        TimelineKind::StatusChanged { from, to } => {
            ("change", format!("moved the incident from {} to {}", from.label(), to.label()))
        }
        TimelineKind::SeverityChanged { from, to } => {
            let verb = if to < from { "raised" } else { "lowered" };
            let kind = if to < from && to.is_major() { "escalation" } else { "change" };
            (kind, format!("{verb} the severity from {} to {}", from.as_str(), to.as_str()))
        }
        TimelineKind::RoleAssigned { role, from, to } => {
            let role = role.label().to_lowercase();
            let what = match (from, to) {
                (_, Some(to)) => format!("made {} {role}", names.person(Some(*to))),
                (Some(from), None) => format!("removed {} as {role}", names.person(Some(*from))),
                (None, None) => format!("left the {role} unassigned"),
            };
            ("change", what)
        }
        TimelineKind::UpdatePosted(u) => {
            update = Some(UpdateParts::of(u));
            if u.visibility == Visibility::Public {
                ("public", "posted a customer update".to_string())
            } else {
                ("private", "posted an internal update".to_string())
            }
        }
        TimelineKind::MilestoneEdited { milestone, from, to, reason } => {
            body = format!("Reason: {reason}");
            ("change", format!("corrected {}: {} → {}", milestone.label(), when(*from), when(*to)))
        }
        TimelineKind::Acknowledged => ("change", "acknowledged the incident".to_string()),
        TimelineKind::Note { text } => {
            body = text.clone();
            ("private", "added a note".to_string())
        }
        TimelineKind::TicketLinked { ticket_id } => {
            let what = match names.tickets.get(ticket_id) {
                Some((number, title)) => format!("linked ticket #{number} {title}"),
                None => "linked a ticket".to_string(),
            };
            ("change", what)
        }
        TimelineKind::PostmortemStateChanged { status } => {
            ("change", format!("moved the post-incident review to {}", status.label().to_lowercase()))
        }
        TimelineKind::AccountsChanged { added, removed } => {
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("added {}", names.accounts(added)));
            }
            if !removed.is_empty() {
                parts.push(format!("removed {}", names.accounts(removed)));
            }
            ("change", format!("changed the impacted accounts: {}", parts.join("; ")))
        }
        TimelineKind::ImpactWindowsSet { windows, reason } => {
            body = format!("Reason: {reason}");
            let spans: Vec<String> =
                windows.iter().map(|w| format!("{} → {}", format::instant(w.start), format::instant(w.end))).collect();
            let what = if spans.is_empty() {
                "cleared the customer-impact windows".to_string()
            } else {
                format!("recorded customer impact: {}", spans.join("; "))
            };
            ("change", what)
        }
        TimelineKind::ActionItemCreated { title, .. } => ("change", format!("added the corrective action “{title}”")),
    };
    EntryView {
        kind,
        who: names.person(e.actor_id),
        what,
        body,
        update,
        when: format::instant(e.at),
        ago: clocks::relative(e.at, now),
    }
}
