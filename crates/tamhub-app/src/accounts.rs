//! Accounts: create, read, change, archive, and the Gate 3 handoff.

use std::collections::HashMap;

use tamhub_domain::accounts::{Account, AccountDraft, AccountFields, AccountPatch, Phase};
use tamhub_domain::audit::{AuditEntry, PhaseChange};
use tamhub_domain::handoff::{HandoffChecklist, HandoffItems, Signer};
use tamhub_domain::ids::{AccountId, UserId};
use tamhub_domain::users::Role;
use tamhub_domain::validation::FieldErrors;
use tamhub_store::{AccountPage, AccountQuery, InputsChange};

use crate::policy::{can_archive_accounts, can_create_accounts, can_edit_account, check_account_fields, require};
use crate::{Actor, App, AppError, AppResult};

impl App {
    pub async fn create_account(&self, actor: Option<&Actor>, mut draft: AccountDraft) -> AppResult<Account> {
        if let Some(actor) = actor {
            require(can_create_accounts(actor.user.role), "create accounts")?;
            // A PAM owns what they create; otherwise the new account would vanish from their view.
            if actor.user.role == Role::Pam && draft.pam_id.is_none() {
                draft.pam_id = Some(actor.user.id);
            }
        }
        let fields = draft.validate()?;
        self.check_assignments(&fields, None).await?;
        if let Some(calendar) = fields.calendar_id
            && self.sla_runtime().await?.calendar(calendar).is_none()
        {
            return Err(AppError::invalid_field("calendar_id", "is not an existing calendar"));
        }
        let now = self.clock.now();
        let account = Account { id: AccountId::new(), fields, archived_at: None, created_at: now, updated_at: now };
        let audit = AuditEntry::new(now, actor.map(|a| a.user.id), "account", account.id, "create")
            .for_account(account.id)
            .with_after(&account);
        self.store.create_account(&account, &audit).await?;
        Ok(account)
    }

    /// The account if the actor may see it; otherwise not found, never forbidden.
    pub async fn get_account(&self, actor: &Actor, id: AccountId) -> AppResult<Account> {
        let account = self.store.get_account(id).await?;
        if actor.scope.contains(&account) { Ok(account) } else { Err(AppError::NotFound) }
    }

    /// Lists within the actor's scope whatever the query asked for.
    pub async fn list_accounts(&self, actor: &Actor, mut query: AccountQuery) -> AppResult<AccountPage> {
        query.scope = actor.scope;
        query.limit = query.limit.clamp(1, 500);
        Ok(self.store.list_accounts(&query).await?)
    }

    pub async fn update_account(&self, actor: &Actor, id: AccountId, patch: AccountPatch) -> AppResult<Account> {
        let before = self.get_account(actor, id).await?;
        require(can_edit_account(actor.user.role), "change accounts")?;
        check_account_fields(actor, &patch.touched_fields())?;
        let mut draft = before.fields.to_draft();
        patch.apply(&mut draft);
        let fields = draft.validate()?;
        if fields == before.fields {
            return Ok(before);
        }
        self.check_phase_move(&before, fields.phase).await?;
        self.check_assignments(&fields, Some(&before.fields)).await?;
        let inputs_change = self.tickets_inputs_change(id, &before.fields, &fields).await?;
        let now = self.clock.now();
        let after = Account { fields, updated_at: now, ..before.clone() };
        let phase_change = (after.fields.phase != before.fields.phase).then_some(PhaseChange {
            account_id: id,
            from: before.fields.phase,
            to: after.fields.phase,
            actor_id: Some(actor.user.id),
            at: now,
        });
        let action = if phase_change.is_some() { "phase_change" } else { "update" };
        let audit = AuditEntry::new(now, Some(actor.user.id), "account", id, action)
            .for_account(id)
            .with_before(&before)
            .with_after(&after);
        self.store.update_account(&after, phase_change.as_ref(), inputs_change.as_ref(), &[audit]).await?;
        Ok(after)
    }

    /// When the tier or the calendar changes, the account's open tickets get the new policy
    /// inputs (R-T1, R-K13). The calendar must exist.
    async fn tickets_inputs_change(
        &self,
        id: AccountId,
        before: &AccountFields,
        after: &AccountFields,
    ) -> AppResult<Option<InputsChange>> {
        if before.tier == after.tier && before.calendar_id == after.calendar_id {
            return Ok(None);
        }
        let config = self.sla_runtime().await?;
        if let Some(calendar) = after.calendar_id
            && config.calendar(calendar).is_none()
        {
            return Err(AppError::invalid_field("calendar_id", "is not an existing calendar"));
        }
        let calendar_id = after.calendar_id.or(config.record.default_calendar_id);
        Ok(Some(InputsChange::Account { account_id: id, calendar_id }))
    }

    pub async fn set_account_archived(&self, actor: &Actor, id: AccountId, archived: bool) -> AppResult<Account> {
        let before = self.get_account(actor, id).await?;
        require(can_archive_accounts(actor.user.role), "archive accounts")?;
        if before.archived_at.is_some() == archived {
            return Ok(before);
        }
        let now = self.clock.now();
        let after = Account { archived_at: archived.then_some(now), updated_at: now, ..before.clone() };
        let action = if archived { "archive" } else { "unarchive" };
        let audit = AuditEntry::new(now, Some(actor.user.id), "account", id, action)
            .for_account(id)
            .with_before(&before)
            .with_after(&after);
        self.store.update_account(&after, None, None, &[audit]).await?;
        Ok(after)
    }

    pub async fn account_phase_changes(&self, actor: &Actor, id: AccountId) -> AppResult<Vec<PhaseChange>> {
        self.get_account(actor, id).await?;
        Ok(self.store.phase_changes(id).await?)
    }

    async fn check_phase_move(&self, before: &Account, to: Phase) -> AppResult<()> {
        let from = before.fields.phase;
        let signed = if from == Phase::Gate3 && to == Phase::PostLaunch {
            let (psm, tam) = (before.fields.psm_id, before.fields.primary_tam_id);
            self.store.get_handoff(before.id).await?.is_some_and(|h| h.is_signed_by(psm, tam))
        } else {
            false
        };
        Phase::check_transition(from, to, signed).map_err(|message| AppError::invalid_field("phase", message))
    }

    /// Every newly assigned user must exist, be active and hold the slot's role.
    async fn check_assignments(&self, fields: &AccountFields, before: Option<&AccountFields>) -> AppResult<()> {
        let previous: Vec<_> = before.map(|b| b.assignments()).unwrap_or_default();
        let changed: Vec<_> = fields.assignments().into_iter().filter(|a| !previous.contains(a)).collect();
        if changed.is_empty() {
            return Ok(());
        }
        let ids: Vec<UserId> = changed.iter().map(|(_, id)| *id).collect();
        let users: HashMap<UserId, _> = self.store.get_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let mut errors = FieldErrors::new();
        for (slot, id) in changed {
            match users.get(&id) {
                None => errors.add(slot.field(), "is not an existing user"),
                Some(user) if !user.active => errors.add(slot.field(), format!("{} is deactivated", user.name)),
                Some(user) if user.role != slot.required_role() => errors.add(
                    slot.field(),
                    format!(
                        "must be a user with the {} role; {} is {}",
                        slot.required_role().as_str(),
                        user.name,
                        user.role.as_str()
                    ),
                ),
                Some(_) => {}
            }
        }
        Ok(errors.into_result()?)
    }

    pub async fn get_handoff(&self, actor: &Actor, id: AccountId) -> AppResult<HandoffChecklist> {
        self.get_account(actor, id).await?;
        Ok(self.store.get_handoff(id).await?.unwrap_or_else(|| HandoffChecklist::empty(id)))
    }

    /// The PSM and the TAMs run the handoff; leadership and admins may correct it.
    pub async fn update_handoff(
        &self,
        actor: &Actor,
        id: AccountId,
        items: HandoffItems,
    ) -> AppResult<HandoffChecklist> {
        let account = self.get_account(actor, id).await?;
        let f = &account.fields;
        let me = Some(actor.user.id);
        let involved = f.psm_id == me || f.primary_tam_id == me || f.backup_tam_id == me;
        require(involved || matches!(actor.user.role, Role::Admin | Role::Leadership), "edit this handoff checklist")?;
        let mut checklist = self.store.get_handoff(id).await?.unwrap_or_else(|| HandoffChecklist::empty(id));
        let before = checklist.clone();
        let now = self.clock.now();
        checklist.update_items(items, now)?;
        if checklist == before {
            return Ok(checklist);
        }
        let audit = AuditEntry::new(now, me, "handoff", id, "update")
            .for_account(id)
            .with_before(&before)
            .with_after(&checklist);
        self.store.save_handoff(&checklist, &audit).await?;
        Ok(checklist)
    }

    /// Signs as the account's PSM or primary TAM, whichever the actor is.
    pub async fn sign_handoff(&self, actor: &Actor, id: AccountId) -> AppResult<HandoffChecklist> {
        let account = self.get_account(actor, id).await?;
        let me = Some(actor.user.id);
        let signer = if account.fields.psm_id == me {
            Signer::Psm
        } else if account.fields.primary_tam_id == me {
            Signer::PrimaryTam
        } else {
            return Err(AppError::Forbidden("only the account's PSM or primary TAM can sign off the handoff".into()));
        };
        if account.fields.phase != Phase::Gate3 {
            return Err(AppError::invalid_field("phase", "the handoff is signed off in Gate 3"));
        }
        let mut checklist = self.store.get_handoff(id).await?.unwrap_or_else(|| HandoffChecklist::empty(id));
        let before = checklist.clone();
        let now = self.clock.now();
        checklist.sign(signer, actor.user.id, now).map_err(|m| AppError::invalid_field("checklist", m))?;
        let audit = AuditEntry::new(now, me, "handoff", id, "sign_off")
            .for_account(id)
            .with_before(&before)
            .with_after(&checklist);
        self.store.save_handoff(&checklist, &audit).await?;
        Ok(checklist)
    }
}

impl App {
    /// The people assigned to an account, by slot, for anyone who can see the account (a
    /// customer contact needs to know who their TAM is even without the staff directory).
    pub async fn account_team(
        &self,
        account: &Account,
    ) -> AppResult<Vec<(tamhub_domain::accounts::Assignment, tamhub_domain::users::User)>> {
        let slots = account.fields.assignments();
        let ids: Vec<UserId> = slots.iter().map(|(_, id)| *id).collect();
        let users: HashMap<UserId, _> = self.store.get_users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        Ok(slots.into_iter().filter_map(|(slot, id)| users.get(&id).map(|u| (slot, u.clone()))).collect())
    }
}
