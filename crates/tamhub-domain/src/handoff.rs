//! The Gate 3 handoff from the PSM to the TAM: a checklist both of them sign off.

use serde::Serialize;

use crate::Timestamp;
use crate::ids::{AccountId, UserId};
use crate::validation::{FieldErrors, optional_text};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOff {
    pub user_id: UserId,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandoffChecklist {
    pub account_id: AccountId,
    pub meeting_held: bool,
    pub documentation_reviewed: bool,
    pub shadow_period_done: bool,
    pub notes: String,
    pub psm_signoff: Option<SignOff>,
    pub tam_signoff: Option<SignOff>,
    pub updated_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer {
    Psm,
    PrimaryTam,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandoffItems {
    pub meeting_held: bool,
    pub documentation_reviewed: bool,
    pub shadow_period_done: bool,
    pub notes: String,
}

impl HandoffChecklist {
    pub fn empty(account_id: AccountId) -> Self {
        HandoffChecklist {
            account_id,
            meeting_held: false,
            documentation_reviewed: false,
            shadow_period_done: false,
            notes: String::new(),
            psm_signoff: None,
            tam_signoff: None,
            updated_at: None,
        }
    }

    pub fn items_complete(&self) -> bool {
        self.meeting_held && self.documentation_reviewed && self.shadow_period_done && !self.notes.is_empty()
    }

    /// The PSM's signature, if the one who gave it is still the account's PSM.
    pub fn psm_signature(&self, current_psm: Option<UserId>) -> Option<&SignOff> {
        self.psm_signoff.as_ref().filter(|s| Some(s.user_id) == current_psm)
    }

    /// The primary TAM's signature, if the one who gave it is still the primary TAM.
    pub fn tam_signature(&self, current_primary_tam: Option<UserId>) -> Option<&SignOff> {
        self.tam_signoff.as_ref().filter(|s| Some(s.user_id) == current_primary_tam)
    }

    /// Complete and signed by the people who hold the two slots now: a signature from a PSM or
    /// TAM who has since been replaced does not vouch for the new one.
    pub fn is_signed_by(&self, current_psm: Option<UserId>, current_primary_tam: Option<UserId>) -> bool {
        self.items_complete()
            && self.psm_signature(current_psm).is_some()
            && self.tam_signature(current_primary_tam).is_some()
    }

    /// Changing what was signed voids the signatures: each signer vouched for a specific state.
    pub fn update_items(&mut self, items: HandoffItems, now: Timestamp) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let notes = optional_text(&mut errors, "notes", &items.notes, 10_000);
        errors.into_result()?;
        let changed = self.meeting_held != items.meeting_held
            || self.documentation_reviewed != items.documentation_reviewed
            || self.shadow_period_done != items.shadow_period_done
            || self.notes != notes;
        if changed {
            self.meeting_held = items.meeting_held;
            self.documentation_reviewed = items.documentation_reviewed;
            self.shadow_period_done = items.shadow_period_done;
            self.notes = notes;
            self.psm_signoff = None;
            self.tam_signoff = None;
            self.updated_at = Some(now);
        }
        Ok(())
    }

    pub fn sign(&mut self, signer: Signer, user_id: UserId, now: Timestamp) -> Result<(), String> {
        if !self.items_complete() {
            let mut missing = Vec::new();
            if !self.meeting_held {
                missing.push("handoff meeting held");
            }
            if !self.documentation_reviewed {
                missing.push("documentation reviewed");
            }
            if !self.shadow_period_done {
                missing.push("shadow period done");
            }
            if self.notes.is_empty() {
                missing.push("handoff notes");
            }
            return Err(format!("the checklist is incomplete: {}", missing.join(", ")));
        }
        let slot = match signer {
            Signer::Psm => &mut self.psm_signoff,
            Signer::PrimaryTam => &mut self.tam_signoff,
        };
        *slot = Some(SignOff { user_id, at: now });
        self.updated_at = Some(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete_items() -> HandoffItems {
        HandoffItems {
            meeting_held: true,
            documentation_reviewed: true,
            shadow_period_done: true,
            notes: "Runbooks handed over".into(),
        }
    }

    #[test]
    fn signing_an_incomplete_checklist_names_what_is_missing() {
        let mut c = HandoffChecklist::empty(AccountId::new());
        let err = c.sign(Signer::Psm, UserId::new(), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.contains("handoff meeting held") && err.contains("handoff notes"), "{err}");
    }

    #[test]
    fn both_signatures_are_needed_and_editing_voids_them() {
        let now = Timestamp::UNIX_EPOCH;
        let (psm, tam) = (UserId::new(), UserId::new());
        let mut c = HandoffChecklist::empty(AccountId::new());
        c.update_items(complete_items(), now).unwrap();
        c.sign(Signer::Psm, psm, now).unwrap();
        assert!(!c.is_signed_by(Some(psm), Some(tam)));
        c.sign(Signer::PrimaryTam, tam, now).unwrap();
        assert!(c.is_signed_by(Some(psm), Some(tam)));
        let mut items = complete_items();
        items.notes = "Changed".into();
        c.update_items(items, now).unwrap();
        assert!(!c.is_signed_by(Some(psm), Some(tam)) && c.psm_signoff.is_none());
    }

    #[test]
    fn a_signature_from_someone_no_longer_assigned_does_not_count() {
        let now = Timestamp::UNIX_EPOCH;
        let (psm, tam, new_tam) = (UserId::new(), UserId::new(), UserId::new());
        let mut c = HandoffChecklist::empty(AccountId::new());
        c.update_items(complete_items(), now).unwrap();
        c.sign(Signer::Psm, psm, now).unwrap();
        c.sign(Signer::PrimaryTam, tam, now).unwrap();
        assert!(!c.is_signed_by(Some(psm), Some(new_tam)));
        assert!(c.tam_signature(Some(new_tam)).is_none());
    }
}
