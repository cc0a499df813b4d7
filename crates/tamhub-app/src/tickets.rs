//! Tickets: open, read, list, change, comment. Every change appends to the ticket's event log and
//! stores the SLA state recomputed from the whole log in the same transaction (R-C3), with the
//! warnings and breaches it implies (R-W4) and their notifications.

use std::collections::{BTreeMap, HashMap};

use tamhub_domain::Timestamp;
use tamhub_domain::accounts::Account;
use tamhub_domain::audit::AuditEntry;
use tamhub_domain::escalations::Escalation;
use tamhub_domain::ids::{AccountId, NotificationId, TicketId, UserId};
use tamhub_domain::notifications::{Notification, alerts_of};
use tamhub_domain::sla::display::metric_label;
use tamhub_domain::sla::engine::{CycleRecord, CycleState};
use tamhub_domain::sla::policies::policy_timeline;
use tamhub_domain::tickets::{
    CommentAuthor, NewTicket, Status, Ticket, TicketChanges, TicketDraft, TicketEvent, TicketEventKind, TicketPatch,
    TicketSla, check_status_change, evaluate_sla, policy_inputs, validate_comment,
};
use tamhub_domain::users::{Role, User};
use tamhub_store::{AlertNotices, SlaSnapshot, StoreError, TicketChange, TicketPage, TicketQuery};

use crate::policy::{can_open_tickets, can_work_tickets, require};
use crate::sla_config::SlaRuntime;
use crate::{Actor, App, AppError, AppResult};

/// What a change to a ticket adds: the ticket's new state, the log entries, and whatever else
/// lands in the same transaction.
pub(crate) struct Planned {
    pub ticket: Ticket,
    pub events: Vec<(Option<UserId>, TicketEventKind)>,
    pub escalation: Option<Escalation>,
    pub notifications: Vec<Notification>,
    pub action: &'static str,
}

/// A ticket, its account and its log, loaded once for a change.
pub(crate) struct Loaded {
    pub ticket: Ticket,
    pub account: Account,
    pub events: Vec<TicketEvent>,
}

/// A new entry for the log, as a user asks for it through the API or a form.
#[derive(Clone, Debug)]
pub enum EventInput {
    Comment { body: String, public: bool, status: Option<String> },
    StatusChanged { to: String },
    PriorityChanged { to: String },
}

/// How often a write is retried when another writer appended to the same ticket first.
const WRITE_ATTEMPTS: usize = 5;

impl App {
    /// The SLA state of a ticket with this log at `now`.
    pub(crate) fn evaluate_ticket(
        &self,
        config: &SlaRuntime,
        account_id: AccountId,
        events: &[TicketEvent],
        now: Timestamp,
    ) -> AppResult<TicketSla> {
        let inputs = policy_inputs(account_id, events);
        let timeline = policy_timeline(&config.record.policy_sets, &inputs);
        evaluate_sla(events, &timeline, &config.calendars, now.as_second())
            .map_err(|e| AppError::Conflict(format!("the SLA clocks cannot be computed: {e}")))
    }

    /// The cached form of an evaluation: what breaches next and when to look again. A closed
    /// ticket is never looked at again: closed is final, even where the rules leave a clock
    /// that opened in the very second of closing running (A2).
    pub(crate) fn snapshot(sla: TicketSla, status: Status, now: Timestamp) -> SlaSnapshot {
        if status == Status::Closed {
            return SlaSnapshot { evaluated_at: now, due_at: None, next_check_at: None, cycles: sla.cycles };
        }
        let due_at = sla
            .cycles
            .iter()
            .filter(|c| c.state == CycleState::Running)
            .filter_map(|c| c.due_at)
            .min()
            .and_then(|s| Timestamp::from_second(s).ok());
        SlaSnapshot {
            evaluated_at: now,
            due_at,
            next_check_at: sla.next_change_at.and_then(|s| Timestamp::from_second(s).ok()),
            cycles: sla.cycles,
        }
    }

    /// Alerts of an evaluation, each with a notification for the assignee and the account's TAMs.
    pub(crate) fn alert_notices(
        &self,
        ticket: &Ticket,
        account: &Account,
        cycles: &[CycleRecord],
    ) -> Vec<AlertNotices> {
        let mut recipients: Vec<UserId> =
            [ticket.assignee_id, account.fields.primary_tam_id, account.fields.backup_tam_id]
                .into_iter()
                .flatten()
                .collect();
        recipients.sort();
        recipients.dedup();
        alerts_of(ticket.id, cycles)
            .into_iter()
            .map(|alert| {
                let label = metric_label(alert.metric);
                let breach = alert.kind == tamhub_domain::notifications::AlertKind::Breach;
                // A new ticket gets its number from the store when it is saved, after this.
                let title = match ticket.number {
                    0 => alert.describe(label),
                    number => format!("#{number} {}", alert.describe(label)),
                };
                let body = format!("{} · {} · {}", ticket.title, account.fields.name, ticket.priority.label());
                let notifications = recipients
                    .iter()
                    .map(|user| Notification {
                        id: NotificationId::new(),
                        user_id: *user,
                        at: alert.at,
                        kind: if breach { "sla_breach" } else { "sla_warning" }.into(),
                        account_id: Some(account.id),
                        ticket_id: Some(ticket.id),
                        incident_id: None,
                        action_id: None,
                        title: title.clone(),
                        body: body.clone(),
                        read_at: None,
                    })
                    .collect();
                AlertNotices { alert, notifications }
            })
            .collect()
    }

    /// Loads the ticket (if any), plans the change on the current log, appends its events,
    /// recomputes the SLA state from the whole log and stores it all at once. A concurrent
    /// change to the same ticket makes the store refuse; the change is then planned again.
    pub(crate) async fn write_ticket(
        &self,
        actor: Option<&Actor>,
        existing: Option<TicketId>,
        plan: impl Fn(Option<&Loaded>, &SlaRuntime, Timestamp) -> AppResult<(Planned, Account)>,
    ) -> AppResult<(Ticket, Vec<TicketEvent>)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let loaded = match existing {
                Some(id) => Some(self.load_ticket(id).await?),
                None => None,
            };
            let now = self.clock.now();
            let config = self.sla_runtime().await?;
            let (planned, account) = plan(loaded.as_ref(), &config, now)?;
            let mut events = loaded.as_ref().map(|l| l.events.clone()).unwrap_or_default();
            let first_new = events.len();
            let expected_last_seq = events.last().map(|e| e.seq).unwrap_or(0);
            for (seq, (actor_id, kind)) in (expected_last_seq + 1..).zip(&planned.events) {
                events.push(TicketEvent {
                    ticket_id: planned.ticket.id,
                    seq,
                    at: now,
                    actor_id: *actor_id,
                    kind: kind.clone(),
                });
            }
            let sla = self.evaluate_ticket(&config, planned.ticket.account_id, &events, now)?;
            let alerts = self.alert_notices(&planned.ticket, &account, &sla.cycles);
            let actor_id = actor.map(|a| a.user.id);
            let audit = AuditEntry::new(now, actor_id, "ticket", planned.ticket.id, planned.action)
                .for_account(planned.ticket.account_id)
                .with_before(&loaded.as_ref().map(|l| &l.ticket))
                .with_after(&planned.ticket);
            let status = planned.ticket.status;
            let change = TicketChange {
                ticket: planned.ticket,
                is_new: existing.is_none(),
                expected_last_seq,
                events: events.split_off(first_new),
                sla: Self::snapshot(sla, status, now),
                alerts,
                notifications: planned.notifications,
                escalation: planned.escalation,
                audit: vec![audit],
            };
            match self.store.save_ticket_change(&change).await {
                Err(StoreError::Conflict(_)) if attempt < WRITE_ATTEMPTS && existing.is_some() => continue,
                Err(other) => return Err(other.into()),
                Ok(ticket) => {
                    let mut events = change.events;
                    for e in &mut events {
                        e.ticket_id = ticket.id;
                    }
                    return Ok((ticket, events));
                }
            }
        }
    }

    async fn load_ticket(&self, id: TicketId) -> AppResult<Loaded> {
        let ticket = self.store.get_ticket(id).await?;
        let account = self.store.get_account(ticket.account_id).await?;
        let events = self.store.ticket_events(id).await?;
        Ok(Loaded { ticket, account, events })
    }

    /// The ticket and its account, if the actor may see the account; otherwise not found.
    pub async fn get_ticket(&self, actor: &Actor, id: TicketId) -> AppResult<(Ticket, Account)> {
        let ticket = self.store.get_ticket(id).await?;
        let account = self.get_account(actor, ticket.account_id).await?;
        let mut tickets = [ticket];
        self.redact_private_descriptions(actor, &mut tickets).await?;
        let [ticket] = tickets;
        Ok((ticket, account))
    }

    /// A description an agent wrote as a private note (A8) is internal like any private note:
    /// customers get it blank.
    async fn redact_private_descriptions(&self, actor: &Actor, tickets: &mut [Ticket]) -> AppResult<()> {
        if actor.user.role.is_staff() || tickets.is_empty() {
            return Ok(());
        }
        let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
        let private: std::collections::HashSet<TicketId> = self
            .store
            .ticket_events_of(&ids)
            .await?
            .into_iter()
            .filter(|e| matches!(e.kind, TicketEventKind::Created { public: false, .. }))
            .map(|e| e.ticket_id)
            .collect();
        for ticket in tickets.iter_mut().filter(|t| private.contains(&t.id)) {
            ticket.description.clear();
        }
        Ok(())
    }

    pub async fn create_ticket(&self, actor: &Actor, mut draft: TicketDraft) -> AppResult<Ticket> {
        require(can_open_tickets(actor.user.role), "open tickets")?;
        let customer = actor.user.role == Role::Customer;
        if customer {
            // A customer contact opens tickets for their own account, as the requester.
            draft.account_id = draft.account_id.or(actor.user.account_id);
            draft.requester_id = Some(actor.user.id);
            draft.assignee_id = None;
            draft.public = true;
        }
        let new = draft.validate()?;
        let account = self.get_account(actor, new.account_id).await.map_err(|e| match e {
            AppError::NotFound => AppError::invalid_field("account_id", "is not an account you can see"),
            other => other,
        })?;
        if account.archived_at.is_some() {
            return Err(AppError::invalid_field("account_id", "is archived; restore it before opening tickets"));
        }
        self.check_ticket_people(&account, new.assignee_id, new.requester_id).await?;
        let by = if customer { CommentAuthor::Customer } else { CommentAuthor::Agent };
        let actor_id = actor.user.id;
        self.write_ticket(Some(actor), None, move |_, config, now| {
            let calendar_id = account.fields.calendar_id.or(config.record.default_calendar_id);
            let NewTicket { account_id, title, description, priority, ticket_type, assignee_id, requester_id, public } =
                new.clone();
            let ticket = Ticket {
                id: TicketId::new(),
                number: 0,
                account_id,
                title,
                description,
                priority,
                status: Status::New,
                ticket_type,
                assignee_id,
                requester_id,
                created_by: Some(actor_id),
                created_at: now,
                updated_at: now,
            };
            let created =
                TicketEventKind::Created { priority, ticket_type, by, public, tier: account.fields.tier, calendar_id };
            let mut events = vec![(Some(actor_id), created)];
            if let Some(assignee) = assignee_id {
                events.push((Some(actor_id), TicketEventKind::AssigneeChanged { from: None, to: Some(assignee) }));
            }
            let planned = Planned { ticket, events, escalation: None, notifications: Vec::new(), action: "create" };
            Ok((planned, account.clone()))
        })
        .await
        .map(|(ticket, _)| ticket)
    }

    /// Lists within the actor's scope whatever the query asked for.
    pub async fn list_tickets(&self, actor: &Actor, mut query: TicketQuery) -> AppResult<TicketPage> {
        query.scope = actor.scope;
        query.limit = query.limit.clamp(1, 500);
        let mut page = self.store.list_tickets(&query).await?;
        let mut tickets: Vec<Ticket> = page.items.iter().map(|i| i.ticket.clone()).collect();
        self.redact_private_descriptions(actor, &mut tickets).await?;
        for (item, ticket) in page.items.iter_mut().zip(tickets) {
            item.ticket = ticket;
        }
        Ok(page)
    }

    /// The log as the actor may see it: customers do not see private notes.
    pub async fn ticket_events(&self, actor: &Actor, id: TicketId) -> AppResult<Vec<TicketEvent>> {
        self.get_ticket(actor, id).await?;
        let events = self.store.ticket_events(id).await?;
        Ok(visible_events(actor, events))
    }

    /// Every SLA cycle of the ticket, evaluated now from its log (section 1.9).
    pub async fn ticket_sla(&self, actor: &Actor, id: TicketId) -> AppResult<(TicketSla, Timestamp)> {
        let (ticket, _) = self.get_ticket(actor, id).await?;
        let events = self.store.ticket_events(id).await?;
        let now = self.clock.now();
        let config = self.sla_runtime().await?;
        Ok((self.evaluate_ticket(&config, ticket.account_id, &events, now)?, now))
    }

    /// The SLA cycles of several tickets now (a queue page): one read of their logs.
    pub async fn tickets_sla(&self, tickets: &[Ticket]) -> AppResult<HashMap<TicketId, Vec<CycleRecord>>> {
        let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
        let mut logs: BTreeMap<TicketId, Vec<TicketEvent>> = BTreeMap::new();
        for event in self.store.ticket_events_of(&ids).await? {
            logs.entry(event.ticket_id).or_default().push(event);
        }
        let config = self.sla_runtime().await?;
        let now = self.clock.now();
        let mut out = HashMap::new();
        for ticket in tickets {
            let events = logs.get(&ticket.id).map(Vec::as_slice).unwrap_or_default();
            // One broken calendar must not take a whole queue down: that ticket shows no clocks.
            let cycles =
                self.evaluate_ticket(&config, ticket.account_id, events, now).map(|s| s.cycles).unwrap_or_default();
            out.insert(ticket.id, cycles);
        }
        Ok(out)
    }

    pub async fn update_ticket(&self, actor: &Actor, id: TicketId, patch: TicketPatch) -> AppResult<Ticket> {
        let (_, account) = self.get_ticket(actor, id).await?;
        require(can_work_tickets(actor.user.role), "change tickets")?;
        let changes = patch.validate()?;
        let assignee = changes.assignee_id.flatten();
        let requester = changes.requester_id.flatten();
        self.check_ticket_people(&account, assignee, requester).await?;
        let actor_id = Some(actor.user.id);
        self.write_ticket(Some(actor), Some(id), |loaded, _, now| {
            let loaded = loaded.ok_or(AppError::NotFound)?;
            let (ticket, events) = apply_changes(&loaded.ticket, &changes, now)?;
            let events = events.into_iter().map(|k| (actor_id, k)).collect();
            Ok((
                Planned { ticket, events, escalation: None, notifications: Vec::new(), action: "update" },
                loaded.account.clone(),
            ))
        })
        .await
        .map(|(ticket, _)| ticket)
    }

    /// Appends a comment, a status change or a priority change; returns the ticket after it and
    /// the entries appended (as the actor may see them).
    pub async fn add_ticket_event(
        &self,
        actor: &Actor,
        id: TicketId,
        input: EventInput,
    ) -> AppResult<(Ticket, Vec<TicketEvent>)> {
        self.get_ticket(actor, id).await?;
        let role = actor.user.role;
        let customer = role == Role::Customer;
        let actor_id = Some(actor.user.id);
        let changes = match &input {
            EventInput::Comment { body, public, status } => {
                if customer {
                    require(can_open_tickets(role), "comment on tickets")?;
                    if !public {
                        return Err(AppError::invalid_field("public", "customer comments are always public"));
                    }
                    if status.is_some() {
                        return Err(AppError::Forbidden("customers cannot change a ticket's status".into()));
                    }
                } else {
                    require(can_work_tickets(role), "comment on tickets")?;
                }
                let body = validate_comment(body)?;
                let status = TicketPatch { status: status.clone(), ..TicketPatch::default() }.validate()?.status;
                (Some(body), TicketChanges { status, ..TicketChanges::default() })
            }
            EventInput::StatusChanged { to } => {
                require(can_work_tickets(role), "change a ticket's status")?;
                let status = TicketPatch { status: Some(to.clone()), ..TicketPatch::default() }
                    .validate()
                    .map_err(|e| rename_field(e, "status", "to"))?;
                (None, status)
            }
            EventInput::PriorityChanged { to } => {
                require(can_work_tickets(role), "change a ticket's priority")?;
                let priority = TicketPatch { priority: Some(to.clone()), ..TicketPatch::default() }
                    .validate()
                    .map_err(|e| rename_field(e, "priority", "to"))?;
                (None, priority)
            }
        };
        let public = matches!(input, EventInput::Comment { public: true, .. });
        let written = self
            .write_ticket(Some(actor), Some(id), |loaded, _, now| {
                let loaded = loaded.ok_or(AppError::NotFound)?;
                let (body, changes) = (changes.0.clone(), &changes.1);
                let mut events = Vec::new();
                let mut ticket = loaded.ticket.clone();
                if let Some(body) = body {
                    if ticket.status == Status::Closed {
                        return Err(AppError::invalid_field(
                            "body",
                            "the ticket is closed; closed is final (open a follow-up ticket instead)",
                        ));
                    }
                    let author = if customer { CommentAuthor::Customer } else { CommentAuthor::Agent };
                    events.push((actor_id, TicketEventKind::Comment { author, public, body: body.clone() }));
                    // A customer's reply puts a ticket that waits on them, or that was solved, back in
                    // the agents' court (reopen, SLA-SPEC 1.3).
                    if customer && matches!(ticket.status, Status::Pending | Status::Solved) {
                        events.push((None, TicketEventKind::StatusChanged { from: ticket.status, to: Status::Open }));
                        ticket.status = Status::Open;
                        ticket.updated_at = now;
                    }
                }
                if let (EventInput::StatusChanged { .. }, Some(to)) = (&input, changes.status) {
                    check_status_change(ticket.status, to).map_err(|m| AppError::invalid_field("to", m))?;
                }
                let (changed, more) = apply_changes(&ticket, changes, now)?;
                events.extend(more.into_iter().map(|k| (actor_id, k)));
                ticket = changed;
                ticket.updated_at = now;
                Ok((
                    Planned { ticket, events, escalation: None, notifications: Vec::new(), action: "event" },
                    loaded.account.clone(),
                ))
            })
            .await?;
        let (ticket, events) = written;
        let mut tickets = [ticket];
        self.redact_private_descriptions(actor, &mut tickets).await?;
        let [ticket] = tickets;
        Ok((ticket, visible_events(actor, events)))
    }

    /// The warnings and breaches recorded for the ticket.
    pub async fn ticket_alerts(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> AppResult<Vec<tamhub_domain::notifications::SlaAlert>> {
        self.get_ticket(actor, id).await?;
        Ok(self.store.ticket_alerts(id).await?)
    }

    /// The assignee must be an agent who can see the account; the requester a contact of it.
    async fn check_ticket_people(
        &self,
        account: &Account,
        assignee: Option<UserId>,
        requester: Option<UserId>,
    ) -> AppResult<()> {
        let ids: Vec<UserId> = [assignee, requester].into_iter().flatten().collect();
        let users: HashMap<UserId, User> = self.store.get_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        if let Some(id) = assignee {
            match users.get(&id) {
                Some(u) if u.active && can_work_tickets(u.role) && Actor::new(u.clone()).scope.contains(account) => {}
                Some(u) if u.active && can_work_tickets(u.role) => {
                    return Err(AppError::invalid_field(
                        "assignee_id",
                        format!("{} does not work on {}", u.name, account.fields.name),
                    ));
                }
                _ => return Err(AppError::invalid_field("assignee_id", "must be an active agent")),
            }
        }
        if let Some(id) = requester {
            match users.get(&id) {
                Some(u) if u.role == Role::Customer && u.account_id == Some(account.id) => {}
                _ => {
                    return Err(AppError::invalid_field(
                        "requester_id",
                        format!("must be a customer contact of {}", account.fields.name),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The log entries a set of changes adds, and the ticket after them.
fn apply_changes(
    before: &Ticket,
    changes: &TicketChanges,
    now: Timestamp,
) -> AppResult<(Ticket, Vec<TicketEventKind>)> {
    let mut ticket = before.clone();
    let mut events = Vec::new();
    if let Some(title) = &changes.title {
        ticket.title = title.clone();
    }
    if let Some(description) = &changes.description {
        ticket.description = description.clone();
    }
    if let Some(priority) = changes.priority.filter(|p| *p != ticket.priority) {
        events.push(TicketEventKind::PriorityChanged { from: ticket.priority, to: priority });
        ticket.priority = priority;
    }
    if let Some(ticket_type) = changes.ticket_type.filter(|t| *t != ticket.ticket_type) {
        events.push(TicketEventKind::TypeChanged { from: ticket.ticket_type, to: ticket_type });
        ticket.ticket_type = ticket_type;
    }
    if let Some(assignee) = changes.assignee_id.filter(|a| *a != ticket.assignee_id) {
        events.push(TicketEventKind::AssigneeChanged { from: ticket.assignee_id, to: assignee });
        ticket.assignee_id = assignee;
    }
    if let Some(requester) = changes.requester_id {
        ticket.requester_id = requester;
    }
    if let Some(status) = changes.status.filter(|s| *s != ticket.status) {
        check_status_change(ticket.status, status).map_err(|m| AppError::invalid_field("status", m))?;
        events.push(TicketEventKind::StatusChanged { from: ticket.status, to: status });
        ticket.status = status;
    }
    if ticket != *before {
        ticket.updated_at = now;
    }
    Ok((ticket, events))
}

fn rename_field(errors: tamhub_domain::validation::FieldErrors, from: &str, to: &str) -> AppError {
    let mut renamed = tamhub_domain::validation::FieldErrors::new();
    for (field, message) in errors.iter() {
        renamed.add(if field == from { to } else { field }, message.clone());
    }
    AppError::invalid(renamed)
}

/// Customers see the conversation, not the internal notes.
pub fn visible_events(actor: &Actor, events: Vec<TicketEvent>) -> Vec<TicketEvent> {
    if actor.user.role.is_staff() {
        events
    } else {
        events.into_iter().filter(|e| e.kind.visible_to_customer()).collect()
    }
}
