//! Incidents: declare, read, list and change. Every change is planned on the current state by
//! the domain's rules (status machine, I1-I4, an incident lead on major incidents), appended to
//! the timeline and stored with the new state in one transaction.
//!
//! Who sees an incident: leadership and admins all of them; everybody else an incident that
//! impacts an account of their scope, and of it only those accounts. Customer contacts see it
//! like a status page: the status and the public updates.

use std::collections::HashMap;

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::ids::{AccountId, IncidentId, NotificationId, TicketId, UserId};
use tamhub_domain::incident_cadence::{Compliance, cadence_alerts, evaluate_cadence, next_update_due};
use tamhub_domain::incident_metrics::{MetricSummary, counts, summarize};
use tamhub_domain::incidents::{
    CustomerUpdate, ImpactWindow, Incident, IncidentDraft, IncidentRole, IncidentStatus, Milestone, Severity,
    TimelineEntry, TimelineKind,
};
use tamhub_domain::notifications::AlertKind;
use tamhub_domain::notifications::Notification;
use tamhub_domain::postmortems::{PostIncidentReview, review_required};
use tamhub_domain::scope::AccountScope;
use tamhub_domain::tickets::TicketSla;
use tamhub_domain::users::User;
use tamhub_domain::validation::{FieldErrors, parse_choice, required_text};
use tamhub_store::{
    CadenceAlertNotices, CadenceEvaluation, CadenceSnapshot, IncidentChange, IncidentPage, IncidentQuery, StoreError,
};

use crate::policy::{can_work_incidents, require};
use crate::{Actor, App, AppError, AppResult};

/// How often a write is retried when another writer appended to the same incident first.
const WRITE_ATTEMPTS: usize = 5;

/// One change to an incident, as a user asks for it through the API or a form.
#[derive(Clone, Debug)]
pub enum IncidentCommand {
    Status {
        to: String,
    },
    Severity {
        to: String,
    },
    Role {
        role: String,
        user_id: Option<UserId>,
    },
    /// Milestones corrected with one reason, checked together.
    Milestones {
        edits: Vec<(String, Option<Timestamp>)>,
        reason: String,
    },
    Acknowledge,
    Update(CustomerUpdate),
    Note {
        text: String,
    },
    LinkTicket {
        ticket_id: TicketId,
    },
    /// The customer-impact windows, replacing earlier ones, with why they changed.
    ImpactWindows {
        windows: Vec<ImpactWindow>,
        reason: String,
    },
}

impl IncidentCommand {
    fn action(&self) -> &'static str {
        match self {
            IncidentCommand::Status { .. } => "change_status",
            IncidentCommand::Severity { .. } => "change_severity",
            IncidentCommand::Role { .. } => "assign_role",
            IncidentCommand::Milestones { .. } => "edit_milestone",
            IncidentCommand::Acknowledge => "acknowledge",
            IncidentCommand::Update(_) => "post_update",
            IncidentCommand::Note { .. } => "add_note",
            IncidentCommand::LinkTicket { .. } => "link_ticket",
            IncidentCommand::ImpactWindows { .. } => "set_impact_windows",
        }
    }
}

/// An incident loaded for a change: see `App::load_for_change`.
pub(crate) struct Loaded {
    pub before: Incident,
    pub timeline: Vec<TimelineEntry>,
    pub now: Timestamp,
}

/// What a change to an incident adds, planned on the incident as it stands: the timeline
/// entries, the review as it becomes (if the change touches it), who is told, the audit entry.
pub(crate) struct Planned {
    pub kinds: Vec<TimelineKind>,
    pub review: Option<PostIncidentReview>,
    /// Actions created or changed with the incident.
    pub actions: Vec<tamhub_domain::actions::Action>,
    pub notifications: Vec<Notification>,
    pub audit: AuditEntry,
}

/// Metrics over a period: see `App::incident_metrics`.
#[derive(Clone, Debug)]
pub struct IncidentMetrics {
    /// Incidents that count.
    pub incidents: usize,
    /// Declined, merged, canceled or test incidents in the period.
    pub excluded: usize,
    pub metrics: Vec<MetricSummary>,
    pub compliance: Compliance,
}

/// An incident as one reader may see it, with the names of the accounts they may see.
#[derive(Clone, Debug)]
pub struct IncidentView {
    pub incident: Incident,
    pub accounts: Vec<(AccountId, String)>,
    /// Impacted accounts outside the reader's scope: counted, not named.
    pub other_accounts: usize,
    /// When the next customer update is due, as last evaluated.
    pub cadence: CadenceSnapshot,
}

impl App {
    /// Declares an incident: every impacted account must be one the actor can see, role holders
    /// active staff, and a P0 or P1 needs its incident lead from the start.
    pub async fn declare_incident(&self, actor: &Actor, draft: IncidentDraft) -> AppResult<Incident> {
        require(can_work_incidents(actor.user.role), "declare incidents")?;
        let mut errors = FieldErrors::new();
        let accounts = self.visible_accounts(actor, &draft.impacted_account_ids).await?;
        for (i, id) in draft.impacted_account_ids.iter().enumerate() {
            match accounts.get(id) {
                Some(a) if a.archived_at.is_some() => {
                    errors.add(&format!("impacted_account_ids[{i}]"), "is archived");
                }
                Some(_) => {}
                None => errors.add(&format!("impacted_account_ids[{i}]"), "is not an account you can see"),
            }
        }
        if draft.impacted_account_ids.is_empty() && actor.scope != AccountScope::All {
            // Otherwise the incident would be out of its author's own sight.
            errors.add("impacted_account_ids", "name at least one account you work on");
        }
        let holders =
            [("roles.incident_commander", draft.incident_commander_id), ("roles.comms_lead", draft.comms_lead_id)];
        for (field, holder) in holders {
            if let Some(user) = holder
                && let Err(message) = self.role_holder_problem(user).await?
            {
                errors.add(field, message);
            }
        }
        let now = self.clock.now();
        let id = IncidentId::new();
        let declared = draft.declare(id, 0, Some(actor.user.id), now);
        let (incident, kinds) = match declared {
            Ok(ok) if errors.is_empty() => ok,
            Ok(_) => return Err(errors.into()),
            Err(more) => {
                errors.merge(more);
                return Err(errors.into());
            }
        };
        let notifications = self.incident_notifications(actor, &incident, &kinds, &accounts);
        let timeline = entries(&incident, 0, now, Some(actor.user.id), kinds);
        let (cadence, alerts) = self.cadence_of(&incident, &timeline, now);
        let change = IncidentChange {
            entries: timeline,
            audit: vec![audit(actor, &incident, None, "declare", now)],
            incident,
            is_new: true,
            expected_last_seq: 0,
            cadence,
            review: None,
            actions: Vec::new(),
            alerts,
            notifications,
        };
        Ok(self.store.save_incident_change(&change).await?)
    }

    /// The incident as the actor may see it; outside their scope it does not exist.
    pub async fn get_incident(&self, actor: &Actor, id: IncidentId) -> AppResult<IncidentView> {
        let incident = self.store.get_incident(id).await?;
        self.view_of(actor, incident).await
    }

    async fn view_of(&self, actor: &Actor, incident: Incident) -> AppResult<IncidentView> {
        let accounts = self.visible_accounts(actor, &incident.impacted_account_ids).await?;
        let cadence = self.store.incident_cadence(incident.id).await?;
        view_from(actor, incident, &accounts, cadence).ok_or(AppError::NotFound)
    }

    /// The timeline as the actor may see it: customers get the status moves and public updates.
    pub async fn incident_timeline(&self, actor: &Actor, id: IncidentId) -> AppResult<Vec<TimelineEntry>> {
        self.get_incident(actor, id).await?;
        let mut timeline = self.store.incident_timeline(id).await?;
        if !actor.user.role.is_staff() {
            timeline.retain(|e| e.kind.visible_to_customer());
            for e in &mut timeline {
                e.actor_id = None;
            }
        }
        Ok(timeline)
    }

    pub async fn list_incidents(&self, actor: &Actor, mut query: IncidentQuery) -> AppResult<(Vec<IncidentView>, u64)> {
        query.scope = actor.scope;
        query.limit = query.limit.clamp(1, 500);
        let IncidentPage { items, total } = self.store.list_incidents(&query).await?;
        // One read of every account the page names.
        let mut ids: Vec<AccountId> =
            items.iter().flat_map(|i| i.incident.impacted_account_ids.iter().copied()).collect();
        ids.sort();
        ids.dedup();
        let accounts = self.visible_accounts(actor, &ids).await?;
        let views = items.into_iter().filter_map(|i| view_from(actor, i.incident, &accounts, i.cadence)).collect();
        Ok((views, total))
    }

    /// Incident metrics (section 2.5) and update-cadence compliance over the incidents declared
    /// in `[from, before)` that impact an account of the actor's scope (one account with
    /// `account_id`). Declined, merged, canceled and test incidents are left out.
    pub async fn incident_metrics(
        &self,
        actor: &Actor,
        from: Timestamp,
        before: Timestamp,
        account_id: Option<AccountId>,
    ) -> AppResult<IncidentMetrics> {
        if let Some(account) = account_id {
            self.get_account(actor, account).await?;
        }
        let mut query = IncidentQuery {
            account_id,
            declared_from: Some(from),
            declared_before: Some(before),
            limit: 500,
            ..IncidentQuery::in_scope(actor.scope)
        };
        let mut incidents = Vec::new();
        loop {
            let page = self.store.list_incidents(&query).await?;
            let fetched = page.items.len();
            incidents.extend(page.items.into_iter().map(|i| i.incident));
            if fetched < query.limit as usize {
                break;
            }
            query.offset += fetched as u64;
        }
        let counted: Vec<&Incident> = incidents.iter().filter(|i| counts(i)).collect();
        let now = self.clock.now().as_second();
        let mut compliance = Compliance::default();
        for incident in &counted {
            let timeline = self.store.incident_timeline(incident.id).await?;
            compliance.add(Compliance::of(&evaluate_cadence(&timeline, &self.config.incident_cadence, now).cycles));
        }
        Ok(IncidentMetrics {
            incidents: counted.len(),
            excluded: incidents.len() - counted.len(),
            metrics: summarize(counted.iter().copied()),
            compliance,
        })
    }

    /// Applies one change, planned on the incident as it stands; retried when another writer
    /// appended to the timeline first.
    pub async fn change_incident(
        &self,
        actor: &Actor,
        id: IncidentId,
        command: IncidentCommand,
    ) -> AppResult<Incident> {
        self.change_incident_many(actor, id, vec![command]).await
    }

    /// Applies several changes together (a form that sets several roles, say): each is planned
    /// on the state the previous ones leave, and they are stored all or none.
    pub async fn change_incident_many(
        &self,
        actor: &Actor,
        id: IncidentId,
        commands: Vec<IncidentCommand>,
    ) -> AppResult<Incident> {
        require(can_work_incidents(actor.user.role), "change incidents")?;
        self.get_incident(actor, id).await?;
        for command in &commands {
            self.check_command(actor, command).await?;
        }
        let closing = commands.iter().any(|c| matches!(c, IncidentCommand::Status { to } if to == "closed"));
        if closing {
            // R-I5: a major incident closes once its post-incident review is approved.
            let incident = self.store.get_incident(id).await?;
            let done = self.store.incident_review(id).await?.is_some_and(|r| r.status.is_done());
            if review_required(incident.max_severity, self.config.review_required_through) && !done {
                return Err(AppError::invalid_field(
                    "status",
                    format!(
                        "a {} incident closes once its post-incident review is approved",
                        incident.max_severity.as_str()
                    ),
                ));
            }
        }
        let action = commands.first().map_or("change", IncidentCommand::action);
        for attempt in 1.. {
            let loaded = self.load_for_change(id).await?;
            let (before, now) = (&loaded.before, loaded.now);
            let mut after = before.clone();
            let mut kinds = Vec::new();
            for command in &commands {
                for kind in plan(&after, command, now)? {
                    after.apply(now, &kind);
                    kinds.push(kind);
                }
            }
            let accounts = self.store.get_accounts(&after.impacted_account_ids).await?;
            let accounts: HashMap<AccountId, Account> = accounts.into_iter().map(|a| (a.id, a)).collect();
            let planned = Planned {
                notifications: self.incident_notifications(actor, &after, &kinds, &accounts),
                audit: audit(actor, &after, Some(before), action, now),
                kinds,
                review: None,
                actions: Vec::new(),
            };
            if let Some(incident) = self.save_planned(actor, loaded, planned, attempt).await? {
                return Ok(incident);
            }
        }
        unreachable!("save_planned refuses to retry after the last attempt")
    }

    /// The incident and its timeline as read for a change, and the change's instant.
    pub(crate) async fn load_for_change(&self, id: IncidentId) -> AppResult<Loaded> {
        let before = self.store.get_incident(id).await?;
        let timeline = self.store.incident_timeline(id).await?;
        Ok(Loaded { before, timeline, now: self.clock.now() })
    }

    /// Appends the planned entries to the timeline as loaded, re-evaluates the update cadence
    /// from the whole timeline and stores it all in one transaction. `Ok(None)` when another
    /// writer appended first (attempts left): the caller plans again on a fresh load.
    pub(crate) async fn save_planned(
        &self,
        actor: &Actor,
        loaded: Loaded,
        planned: Planned,
        attempt: usize,
    ) -> AppResult<Option<Incident>> {
        let Loaded { before: mut after, mut timeline, now } = loaded;
        let expected_last_seq = timeline.last().map_or(0, |e| e.seq);
        for kind in &planned.kinds {
            after.apply(now, kind);
        }
        let added = entries(&after, expected_last_seq, now, Some(actor.user.id), planned.kinds);
        timeline.extend(added.iter().cloned());
        let (cadence, alerts) = self.cadence_of(&after, &timeline, now);
        let change = IncidentChange {
            notifications: planned.notifications,
            entries: added,
            audit: vec![planned.audit],
            incident: after,
            is_new: false,
            expected_last_seq,
            cadence,
            review: planned.review,
            actions: planned.actions,
            alerts,
        };
        match self.store.save_incident_change(&change).await {
            Err(StoreError::Conflict(_)) if attempt < WRITE_ATTEMPTS => Ok(None),
            other => Ok(Some(other?)),
        }
    }

    /// The customer-update cadence of an incident with this timeline at `now` (R-I1): the
    /// snapshot to store, and every warning and breach with notifications for the incident lead
    /// and the comms lead (stored, and sent, only the first time).
    pub(crate) fn cadence_of(
        &self,
        incident: &Incident,
        timeline: &[TimelineEntry],
        now: Timestamp,
    ) -> (CadenceSnapshot, Vec<CadenceAlertNotices>) {
        let sla = evaluate_cadence(timeline, &self.config.incident_cadence, now.as_second());
        let snapshot = CadenceSnapshot {
            update_due_at: next_update_due(&sla.cycles),
            next_check_at: sla.next_change_at.and_then(|s| Timestamp::from_second(s).ok()),
        };
        let mut recipients: Vec<UserId> = [IncidentRole::IncidentCommander, IncidentRole::CommsLead]
            .into_iter()
            .filter_map(|r| incident.holder(r))
            .collect();
        recipients.dedup();
        let number = match incident.number {
            0 => format!("“{}”", incident.title),
            n => format!("INC-{n}"),
        };
        let alerts = cadence_alerts(incident.id, &sla.cycles)
            .into_iter()
            .map(|alert| {
                let breach = alert.kind == AlertKind::Breach;
                let notifications = recipients
                    .iter()
                    .map(|user| Notification {
                        id: NotificationId::new(),
                        user_id: *user,
                        at: alert.at,
                        kind: if breach { "incident_update_breach" } else { "incident_update_warning" }.into(),
                        account_id: None,
                        ticket_id: None,
                        incident_id: Some(incident.id),
                        action_id: None,
                        title: alert.describe(&number),
                        body: format!(
                            "{} · {} · {}",
                            incident.title,
                            incident.severity.as_str(),
                            incident.status.label()
                        ),
                        read_at: None,
                    })
                    .collect();
                CadenceAlertNotices { alert, notifications }
            })
            .collect();
        (snapshot, alerts)
    }

    /// The cadence cycles of an incident now, with its update compliance so far.
    pub async fn incident_cadence(
        &self,
        actor: &Actor,
        id: IncidentId,
    ) -> AppResult<(TicketSla, Compliance, Timestamp)> {
        self.get_incident(actor, id).await?;
        let timeline = self.store.incident_timeline(id).await?;
        let now = self.clock.now();
        let sla = evaluate_cadence(&timeline, &self.config.incident_cadence, now.as_second());
        let compliance = Compliance::of(&sla.cycles);
        Ok((sla, compliance, now))
    }

    /// One pass over the incidents whose cadence has a warning or breach due: each is
    /// re-evaluated from its timeline and stored with its new alerts (R-W4).
    pub async fn cadence_scan_once(&self) -> AppResult<u64> {
        let now = self.clock.now();
        let mut evaluated = 0;
        let mut seen = std::collections::HashSet::new();
        loop {
            let due: Vec<IncidentId> =
                self.store.due_cadence_checks(now, 200).await?.into_iter().filter(|id| seen.insert(*id)).collect();
            if due.is_empty() {
                return Ok(evaluated);
            }
            for id in due {
                let incident = self.store.get_incident(id).await?;
                let timeline = self.store.incident_timeline(id).await?;
                let (cadence, alerts) = self.cadence_of(&incident, &timeline, now);
                let evaluation = CadenceEvaluation {
                    incident_id: id,
                    last_seq: timeline.last().map_or(0, |e| e.seq),
                    evaluated_at: now,
                    cadence,
                    alerts,
                };
                if self.store.save_cadence_evaluation(&evaluation).await? {
                    evaluated += 1;
                }
            }
        }
    }

    /// Checks what a command refers to outside the incident: role holders and linked tickets.
    async fn check_command(&self, actor: &Actor, command: &IncidentCommand) -> AppResult<()> {
        match command {
            IncidentCommand::Role { role, user_id: Some(user) } => {
                let field = format!("roles.{role}");
                if let Err(message) = self.role_holder_problem(*user).await? {
                    return Err(AppError::invalid_field(&field, message));
                }
            }
            IncidentCommand::LinkTicket { ticket_id } => {
                self.get_ticket(actor, *ticket_id).await.map_err(|e| match e {
                    AppError::NotFound => AppError::invalid_field("ticket_id", "is not a ticket you can see"),
                    other => other,
                })?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Why a user cannot hold an incident role, if they cannot.
    pub(crate) async fn role_holder_problem(&self, user: UserId) -> AppResult<Result<(), String>> {
        Ok(match self.store.get_user(user).await {
            Ok(u) if u.active && can_work_incidents(u.role) => Ok(()),
            Ok(_) | Err(StoreError::NotFound) => Err("must be an active staff user who works incidents".into()),
            Err(other) => return Err(other.into()),
        })
    }

    /// Accounts among `ids` the actor may see.
    async fn visible_accounts(&self, actor: &Actor, ids: &[AccountId]) -> AppResult<HashMap<AccountId, Account>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let accounts = self.store.get_accounts(ids).await?;
        Ok(accounts.into_iter().filter(|a| actor.scope.contains(a)).map(|a| (a.id, a)).collect())
    }

    /// Who hears about a change: a new role holder, and for a major incident declared or raised
    /// to P0/P1, the TAMs of the impacted accounts. Never the actor themself.
    fn incident_notifications(
        &self,
        actor: &Actor,
        incident: &Incident,
        kinds: &[TimelineKind],
        accounts: &HashMap<AccountId, Account>,
    ) -> Vec<Notification> {
        let mut out = Vec::new();
        let mut notify = |user: UserId, account_id: Option<AccountId>, title: String| {
            if user != actor.user.id && !out.iter().any(|n: &Notification| n.user_id == user && n.title == title) {
                out.push(Notification {
                    id: NotificationId::new(),
                    user_id: user,
                    at: incident.updated_at,
                    kind: "incident".into(),
                    account_id,
                    ticket_id: None,
                    incident_id: Some(incident.id),
                    action_id: None,
                    title,
                    body: format!("{} · {}", incident.title, incident.status.label()),
                    read_at: None,
                });
            }
        };
        // A new incident gets its number from the store when it is saved, after this.
        let number = match incident.number {
            0 => format!("“{}”", incident.title),
            n => format!("INC-{n}"),
        };
        for kind in kinds {
            match kind {
                TimelineKind::RoleAssigned { role, to: Some(user), .. } => {
                    notify(*user, None, format!("You are {} of {number}", role.label().to_lowercase()));
                }
                TimelineKind::Declared { severity, .. } | TimelineKind::SeverityChanged { to: severity, .. }
                    if severity.is_major() =>
                {
                    for account in accounts.values() {
                        for tam in [account.fields.primary_tam_id, account.fields.backup_tam_id].into_iter().flatten() {
                            notify(
                                tam,
                                Some(account.id),
                                format!("{} incident {number} impacts {}", severity.as_str(), account.fields.name),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The incident as this reader may see it, given the visible accounts among (at least) its
/// impacted ones; `None` when it impacts none of them and the reader does not see everything.
fn view_from(
    actor: &Actor,
    mut incident: Incident,
    visible: &HashMap<AccountId, Account>,
    cadence: CadenceSnapshot,
) -> Option<IncidentView> {
    let total = incident.impacted_account_ids.len();
    incident.impacted_account_ids.retain(|a| visible.contains_key(a));
    if actor.scope != AccountScope::All && incident.impacted_account_ids.is_empty() {
        return None;
    }
    if !actor.user.role.is_staff() {
        // A status page: no people, no internal links.
        incident.roles.clear();
        incident.linked_ticket_ids.clear();
        incident.created_by = None;
    }
    let accounts = incident.impacted_account_ids.iter().map(|a| (*a, visible[a].fields.name.clone())).collect();
    Some(IncidentView { other_accounts: total - incident.impacted_account_ids.len(), accounts, incident, cadence })
}

/// The timeline entries a command adds to `incident` at `now`, or why it is refused.
fn plan(incident: &Incident, command: &IncidentCommand, now: Timestamp) -> AppResult<Vec<TimelineKind>> {
    let kinds = match command {
        IncidentCommand::Status { to } => {
            let to = choice("status", to, &IncidentStatus::ALL)?;
            incident.plan_status_change(to, now)?
        }
        IncidentCommand::Severity { to } => {
            let to = choice("severity", to, &Severity::ALL)?;
            incident.plan_severity_change(to, now)?
        }
        IncidentCommand::Role { role, user_id } => {
            let role = choice("role", role, &IncidentRole::ALL)?;
            incident.plan_role(role, *user_id, now)?
        }
        IncidentCommand::Milestones { edits, reason } => {
            let mut errors = FieldErrors::new();
            let parsed: Vec<(Milestone, Option<Timestamp>)> = edits
                .iter()
                .filter_map(|(name, at)| {
                    parse_choice(&mut errors, "milestone", name, &Milestone::ALL).map(|m| (m, *at))
                })
                .collect();
            errors.into_result()?;
            incident.plan_milestone_edits(&parsed, reason, now)?
        }
        IncidentCommand::Acknowledge => incident.plan_acknowledge(now)?,
        IncidentCommand::Update(update) => incident.plan_update(update.clone(), now)?,
        IncidentCommand::ImpactWindows { windows, reason } => incident.plan_impact_windows(windows, reason, now)?,
        IncidentCommand::Note { text } => {
            let mut errors = FieldErrors::new();
            let text = required_text(&mut errors, "text", text, 5_000);
            errors.into_result()?;
            incident.checked(now, vec![TimelineKind::Note { text }])?
        }
        IncidentCommand::LinkTicket { ticket_id } => {
            if incident.linked_ticket_ids.contains(ticket_id) {
                return Err(AppError::invalid_field("ticket_id", "is already linked"));
            }
            incident.checked(now, vec![TimelineKind::TicketLinked { ticket_id: *ticket_id }])?
        }
    };
    Ok(kinds)
}

/// One of an enum's wire names, or an error naming the field and the allowed values.
fn choice<T: Copy>(field: &str, value: &str, choices: &[(T, &str)]) -> AppResult<T> {
    let mut errors = FieldErrors::new();
    let found = parse_choice(&mut errors, field, value, choices);
    errors.into_result()?;
    found.ok_or_else(|| AppError::invalid_field(field, "is not a known value"))
}

pub(crate) fn entries(
    incident: &Incident,
    last_seq: i64,
    now: Timestamp,
    actor: Option<UserId>,
    kinds: Vec<TimelineKind>,
) -> Vec<TimelineEntry> {
    (last_seq + 1..)
        .zip(kinds)
        .map(|(seq, kind)| TimelineEntry { incident_id: incident.id, seq, at: now, actor_id: actor, kind })
        .collect()
}

fn audit(actor: &Actor, after: &Incident, before: Option<&Incident>, action: &str, now: Timestamp) -> AuditEntry {
    let mut entry = AuditEntry::new(now, Some(actor.user.id), "incident", after.id, action).with_after(after);
    if let Some(before) = before {
        entry = entry.with_before(before);
    }
    entry
}

/// Users who can hold a role on an incident, for pickers.
pub fn can_hold_incident_roles(user: &User) -> bool {
    user.active && can_work_incidents(user.role)
}
