//! Escalating a ticket to engineering with a brief; the engineering owner's acknowledgement
//! (time-to-engage); a reviewer's quality score.

use tamhub_domain::escalations::{Escalation, EscalationBriefDraft, completeness_score};
use tamhub_domain::ids::{EscalationId, NotificationId, TicketId, UserId};
use tamhub_domain::notifications::Notification;
use tamhub_domain::tickets::TicketEventKind;
use tamhub_domain::users::Role;
use tamhub_domain::validation::{FieldErrors, optional_text, required_text};

use crate::policy::{can_work_tickets, require};
use crate::tickets::Planned;
use crate::{Actor, App, AppError, AppResult};

/// An escalation as asked for.
#[derive(Clone, Debug, Default)]
pub struct EscalationInput {
    pub brief: EscalationBriefDraft,
    pub engineering_team: String,
    pub engineering_owner_id: Option<UserId>,
}

impl App {
    pub async fn get_escalation(&self, actor: &Actor, ticket: TicketId) -> AppResult<Option<Escalation>> {
        self.get_ticket(actor, ticket).await?;
        // The brief is internal engineering material.
        if !actor.user.role.is_staff() {
            return Ok(None);
        }
        Ok(self.store.get_escalation(ticket).await?)
    }

    /// Escalates to engineering. Every part of the brief is required (field errors name the
    /// missing ones); the rubric scores it when it is filed.
    pub async fn escalate_ticket(&self, actor: &Actor, id: TicketId, input: EscalationInput) -> AppResult<Escalation> {
        let (ticket, account) = self.get_ticket(actor, id).await?;
        require(can_work_tickets(actor.user.role), "escalate tickets")?;
        let mut errors = FieldErrors::new();
        let team = required_text(&mut errors, "engineering_team", &input.engineering_team, 120);
        let brief = match input.brief.validate() {
            Ok(brief) => Some(brief),
            Err(more) => {
                errors.merge(more);
                None
            }
        };
        if let Some(owner) = input.engineering_owner_id {
            let users = self.store.get_users(&[owner]).await?;
            match users.first() {
                Some(u) if u.active && u.role.is_staff() && Actor::new(u.clone()).scope.contains(&account) => {}
                Some(u) if u.active && u.role.is_staff() => {
                    errors.add("engineering_owner_id", format!("{} cannot see {}", u.name, account.fields.name))
                }
                _ => errors.add("engineering_owner_id", "must be an active staff user"),
            }
        }
        if !ticket.status.is_open() {
            errors.add("status", "only an open ticket can be escalated");
        }
        errors.into_result()?;
        let Some(brief) = brief else { return Err(AppError::Internal("brief missing after validation".into())) };
        if self.store.get_escalation(id).await?.is_some() {
            return Err(AppError::Conflict("the ticket is already escalated".into()));
        }
        let actor_id = actor.user.id;
        let score = completeness_score(&brief);
        let escalation_id = EscalationId::new();
        self.write_ticket(Some(actor), Some(id), |loaded, _, now| {
            let loaded = loaded.ok_or(AppError::NotFound)?;
            let escalation = Escalation {
                id: escalation_id,
                ticket_id: id,
                brief: brief.clone(),
                engineering_team: team.clone(),
                engineering_owner_id: input.engineering_owner_id,
                escalated_by: Some(actor_id),
                escalated_at: now,
                acknowledged_by: None,
                acknowledged_at: None,
                completeness_score: score,
                reviewer_score: None,
                reviewer_id: None,
                reviewer_note: String::new(),
                reviewed_at: None,
            };
            let ticket = &loaded.ticket;
            let notifications = input
                .engineering_owner_id
                .map(|owner| Notification {
                    id: NotificationId::new(),
                    user_id: owner,
                    at: now,
                    kind: "escalation".into(),
                    account_id: Some(ticket.account_id),
                    ticket_id: Some(ticket.id),
                    incident_id: None,
                    action_id: None,
                    title: format!("#{} escalated to {team}: please acknowledge", ticket.number),
                    body: format!("{} · {} · brief quality {score}/5", brief.summary, brief.severity.as_str()),
                    read_at: None,
                })
                .into_iter()
                .collect();
            let planned = Planned {
                ticket: ticket.clone(),
                events: vec![(Some(actor_id), TicketEventKind::Escalated { engineering_team: team.clone() })],
                escalation: Some(escalation),
                notifications,
                action: "escalate",
            };
            Ok((planned, loaded.account.clone()))
        })
        .await?;
        self.store.get_escalation(id).await?.ok_or(AppError::NotFound)
    }

    /// The engineering owner (or, when none is named, an agent of the account) engages: this
    /// stops the time-to-engage clock.
    pub async fn acknowledge_escalation(&self, actor: &Actor, id: TicketId) -> AppResult<Escalation> {
        self.get_ticket(actor, id).await?;
        let escalation = self.store.get_escalation(id).await?.ok_or(AppError::NotFound)?;
        let me = actor.user.id;
        let role = actor.user.role;
        let allowed = match escalation.engineering_owner_id {
            Some(owner) => owner == me || matches!(role, Role::Admin | Role::Leadership),
            None => can_work_tickets(role),
        };
        require(allowed, "acknowledge this escalation (its engineering owner does)")?;
        if escalation.acknowledged_at.is_some() {
            return Err(AppError::Conflict("the escalation is already acknowledged".into()));
        }
        self.write_ticket(Some(actor), Some(id), |loaded, _, now| {
            let loaded = loaded.ok_or(AppError::NotFound)?;
            let mut acknowledged = escalation.clone();
            acknowledged.acknowledged_by = Some(me);
            acknowledged.acknowledged_at = Some(now);
            let seconds = acknowledged.time_to_engage_seconds().unwrap_or(0);
            let notifications = escalation
                .escalated_by
                .filter(|by| *by != me)
                .map(|by| Notification {
                    id: NotificationId::new(),
                    user_id: by,
                    at: now,
                    kind: "escalation_acknowledged".into(),
                    account_id: Some(loaded.ticket.account_id),
                    ticket_id: Some(id),
                    incident_id: None,
                    action_id: None,
                    title: format!("#{} engineering engaged", loaded.ticket.number),
                    body: format!("{} acknowledged the escalation", actor.user.name),
                    read_at: None,
                })
                .into_iter()
                .collect();
            let planned = Planned {
                ticket: loaded.ticket.clone(),
                events: vec![(Some(me), TicketEventKind::EscalationAcknowledged { time_to_engage_seconds: seconds })],
                escalation: Some(acknowledged),
                notifications,
                action: "acknowledge_escalation",
            };
            Ok((planned, loaded.account.clone()))
        })
        .await?;
        self.store.get_escalation(id).await?.ok_or(AppError::NotFound)
    }

    /// A reviewer's 1-5 score of the brief: TAM leadership, admins or the account's TAMs, and
    /// never the author of the brief.
    pub async fn review_escalation(
        &self,
        actor: &Actor,
        id: TicketId,
        score: i64,
        note: &str,
    ) -> AppResult<Escalation> {
        let (_, account) = self.get_ticket(actor, id).await?;
        let escalation = self.store.get_escalation(id).await?.ok_or(AppError::NotFound)?;
        let me = Some(actor.user.id);
        let reviewer = matches!(actor.user.role, Role::Admin | Role::Leadership)
            || account.fields.primary_tam_id == me
            || account.fields.backup_tam_id == me;
        require(reviewer, "review escalation briefs")?;
        if escalation.escalated_by == me {
            return Err(AppError::Forbidden("the author of a brief cannot review it".into()));
        }
        let mut errors = FieldErrors::new();
        if !(1..=5).contains(&score) {
            errors.add("score", "must be a whole number from 1 to 5");
        }
        let note = optional_text(&mut errors, "note", note, 2000);
        errors.into_result()?;
        self.write_ticket(Some(actor), Some(id), |loaded, _, now| {
            let loaded = loaded.ok_or(AppError::NotFound)?;
            let mut reviewed = escalation.clone();
            reviewed.reviewer_score = Some(score);
            reviewed.reviewer_id = me;
            reviewed.reviewer_note = note.clone();
            reviewed.reviewed_at = Some(now);
            let planned = Planned {
                ticket: loaded.ticket.clone(),
                events: Vec::new(),
                escalation: Some(reviewed),
                notifications: Vec::new(),
                action: "review_escalation",
            };
            Ok((planned, loaded.account.clone()))
        })
        .await?;
        self.store.get_escalation(id).await?.ok_or(AppError::NotFound)
    }
}
