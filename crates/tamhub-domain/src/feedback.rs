//! Feedback and expansion (PRODUCT capability 10): feature requests linked to the accounts that
//! want them, each with its business impact, weighted by those accounts' ARR; and expansion
//! opportunities with a value, a stage and an owner.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, FeatureRequestId, OpportunityId, UserId};
use crate::validation::{FieldErrors, optional_text, parse_choice, required_text};
use crate::{Date, Timestamp};

wire_enum!(RequestStatus {
    New => "new", "New";
    UnderReview => "under_review", "Under review";
    Planned => "planned", "Planned";
    Shipped => "shipped", "Shipped";
    Declined => "declined", "Declined";
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequestingAccount {
    pub account_id: AccountId,
    /// What it would change for them.
    pub business_impact: String,
    pub added_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub added_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeatureRequest {
    pub id: FeatureRequestId,
    pub title: String,
    pub description: String,
    /// The product or area it is for ("Managed database", "Billing console").
    pub product_area: String,
    pub status: RequestStatus,
    /// Why declined, or where it shipped.
    pub status_note: String,
    pub accounts: Vec<RequestingAccount>,
    pub created_by: Option<UserId>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestingAccountDraft {
    pub account_id: AccountId,
    #[serde(default)]
    pub business_impact: String,
}

/// A feature request as typed: all of it on create; on change, absent fields stay.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureRequestDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    pub product_area: Option<String>,
    /// new (default), under_review, planned, shipped or declined (which needs a status_note).
    pub status: Option<String>,
    pub status_note: Option<String>,
    /// The accounts that want it (at least one); replaces the list when given.
    pub accounts: Option<Vec<RequestingAccountDraft>>,
    pub version: Option<i64>,
}

impl FeatureRequestDraft {
    /// The request as `existing` becomes (or a new one), or every problem. `visible` are the
    /// accounts the actor may link.
    pub fn validate(
        &self,
        existing: Option<&FeatureRequest>,
        visible: &[AccountId],
        actor: UserId,
        now: Timestamp,
    ) -> Result<FeatureRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match (&self.title, existing) {
            (Some(t), _) => required_text(&mut errors, "title", t, 200),
            (None, Some(r)) => r.title.clone(),
            (None, None) => required_text(&mut errors, "title", "", 200),
        };
        let description = match &self.description {
            Some(d) => optional_text(&mut errors, "description", d, 10_000),
            None => existing.map(|r| r.description.clone()).unwrap_or_default(),
        };
        let product_area = match &self.product_area {
            Some(p) => optional_text(&mut errors, "product_area", p, 200),
            None => existing.map(|r| r.product_area.clone()).unwrap_or_default(),
        };
        let status = match &self.status {
            Some(s) => parse_choice(&mut errors, "status", s.trim(), RequestStatus::ALL),
            None => Some(existing.map_or(RequestStatus::New, |r| r.status)),
        };
        let status_note = match &self.status_note {
            Some(n) => optional_text(&mut errors, "status_note", n, 2_000),
            None => existing.map(|r| r.status_note.clone()).unwrap_or_default(),
        };
        if status == Some(RequestStatus::Declined) && status_note.is_empty() {
            errors.add("status_note", "must say why it is declined");
        }
        let accounts = match &self.accounts {
            None => existing.map(|r| r.accounts.clone()).unwrap_or_default(),
            Some(list) => {
                let mut out: Vec<RequestingAccount> = Vec::new();
                for (i, a) in list.iter().enumerate() {
                    if !visible.contains(&a.account_id) {
                        errors.add(&format!("accounts[{i}].account_id"), "is not an account you see");
                        continue;
                    }
                    let impact = optional_text(
                        &mut errors,
                        &format!("accounts[{i}].business_impact"),
                        &a.business_impact,
                        2_000,
                    );
                    if out.iter().any(|o| o.account_id == a.account_id) {
                        errors.add(&format!("accounts[{i}].account_id"), "is listed twice");
                        continue;
                    }
                    let kept = existing.and_then(|r| r.accounts.iter().find(|x| x.account_id == a.account_id));
                    out.push(RequestingAccount {
                        account_id: a.account_id,
                        business_impact: impact,
                        added_by: kept.map_or(Some(actor), |k| k.added_by),
                        added_at: kept.map_or(now, |k| k.added_at),
                    });
                }
                out
            }
        };
        if accounts.is_empty() && !errors.iter().any(|(f, _)| f.starts_with("accounts[")) {
            errors.add("accounts", "must name at least one account that wants it");
        }
        errors.into_result()?;
        Ok(FeatureRequest {
            id: existing.map_or_else(FeatureRequestId::new, |r| r.id),
            title,
            description,
            product_area,
            status: status.expect("errors were returned above"),
            status_note,
            accounts,
            created_by: existing.map_or(Some(actor), |r| r.created_by),
            created_at: existing.map_or(now, |r| r.created_at),
            updated_at: now,
            version: existing.map_or(0, |r| r.version),
        })
    }
}

wire_enum!(OpportunityStage {
    Identified => "identified", "Identified";
    Qualified => "qualified", "Qualified";
    Proposed => "proposed", "Proposed";
    Won => "won", "Won";
    Lost => "lost", "Lost";
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Opportunity {
    pub id: OpportunityId,
    pub account_id: AccountId,
    pub title: String,
    /// Expected annual value in the account's currency, minor units.
    pub value: i64,
    pub stage: OpportunityStage,
    pub owner_id: UserId,
    #[schema(value_type = Option<String>, format = Date)]
    pub expected_close: Option<Date>,
    pub notes: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OpportunityDraft {
    pub title: Option<String>,
    /// Minor currency units, not negative.
    pub value: Option<i64>,
    /// identified (default), qualified, proposed, won or lost.
    pub stage: Option<String>,
    pub owner_id: Option<UserId>,
    /// YYYY-MM-DD; an empty text clears it.
    pub expected_close: Option<String>,
    pub notes: Option<String>,
    pub version: Option<i64>,
}

impl OpportunityDraft {
    pub fn validate(
        &self,
        account_id: AccountId,
        existing: Option<&Opportunity>,
        now: Timestamp,
    ) -> Result<Opportunity, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = match (&self.title, existing) {
            (Some(t), _) => required_text(&mut errors, "title", t, 200),
            (None, Some(o)) => o.title.clone(),
            (None, None) => required_text(&mut errors, "title", "", 200),
        };
        let value = self.value.or(existing.map(|o| o.value));
        match value {
            None => errors.add("value", "must be given, in minor currency units"),
            Some(v) if v < 0 => errors.add("value", "must not be negative"),
            Some(_) => {}
        }
        let stage = match &self.stage {
            Some(s) => parse_choice(&mut errors, "stage", s.trim(), OpportunityStage::ALL),
            None => Some(existing.map_or(OpportunityStage::Identified, |o| o.stage)),
        };
        let owner_id = self.owner_id.or(existing.map(|o| o.owner_id));
        if owner_id.is_none() {
            errors.add("owner_id", "must not be empty: every opportunity has an owner");
        }
        let expected_close = match self.expected_close.as_deref().map(str::trim) {
            None => existing.and_then(|o| o.expected_close),
            Some("") => None,
            Some(t) => t.parse::<Date>().map_err(|_| errors.add("expected_close", "must be a date as YYYY-MM-DD")).ok(),
        };
        let notes = match &self.notes {
            Some(n) => optional_text(&mut errors, "notes", n, 5_000),
            None => existing.map(|o| o.notes.clone()).unwrap_or_default(),
        };
        errors.into_result()?;
        Ok(Opportunity {
            id: existing.map_or_else(OpportunityId::new, |o| o.id),
            account_id,
            title,
            value: value.expect("checked"),
            stage: stage.expect("checked"),
            owner_id: owner_id.expect("checked"),
            expected_close,
            notes,
            created_at: existing.map_or(now, |o| o.created_at),
            updated_at: now,
            version: existing.map_or(0, |o| o.version),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_needs_an_account_and_a_decline_a_reason() {
        let visible = [AccountId::new()];
        let empty = FeatureRequestDraft { title: Some("Cross-region replicas".into()), ..Default::default() };
        let errors = empty.validate(None, &visible, UserId::new(), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(errors.get("accounts").is_some());
        let other = FeatureRequestDraft {
            accounts: Some(vec![RequestingAccountDraft {
                account_id: AccountId::new(),
                business_impact: String::new(),
            }]),
            status: Some("declined".into()),
            ..empty.clone()
        };
        let errors = other.validate(None, &visible, UserId::new(), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(errors.get("accounts[0].account_id").is_some() && errors.get("status_note").is_some());
        let ok = FeatureRequestDraft {
            accounts: Some(vec![RequestingAccountDraft {
                account_id: visible[0],
                business_impact: "EU expansion".into(),
            }]),
            ..empty
        };
        assert_eq!(
            ok.validate(None, &visible, UserId::new(), Timestamp::UNIX_EPOCH).unwrap().status,
            RequestStatus::New
        );
    }

    #[test]
    fn opportunity_values_are_not_negative() {
        let draft = OpportunityDraft {
            title: Some("Add the analytics tier".into()),
            value: Some(-5),
            owner_id: Some(UserId::new()),
            ..Default::default()
        };
        assert!(draft.validate(AccountId::new(), None, Timestamp::UNIX_EPOCH).unwrap_err().get("value").is_some());
    }
}
