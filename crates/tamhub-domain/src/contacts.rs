//! The customer's people: contacts of an account, and the stakeholder map they make (PRODUCT
//! capability 9): role, influence, sentiment, the staff member who owns the relationship, when
//! they were last in touch, and who the executive sponsor is.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ContactId, UserId};
use crate::validation::{FieldErrors, is_valid_email, optional_text, parse_choice, required_text};
use crate::{Date, Timestamp};

wire_enum!(Influence {
    High => "high", "High";
    Medium => "medium", "Medium";
    Low => "low", "Low";
});

wire_enum!(Sentiment {
    Champion => "champion", "Champion";
    Positive => "positive", "Positive";
    Neutral => "neutral", "Neutral";
    Negative => "negative", "Negative";
    Unknown => "unknown", "Unknown";
});

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Their job, as the customer calls it ("Head of Platform").
    pub title: String,
    /// Their part in the relationship ("technical decision maker", "day-to-day contact").
    pub role: String,
    pub influence: Influence,
    pub sentiment: Sentiment,
    /// The staff member who owns the relationship with them.
    pub relationship_owner_id: Option<UserId>,
    /// Set by hand, and moved forward when they attend a held meeting.
    #[schema(value_type = Option<String>, format = Date)]
    pub last_contact_on: Option<Date>,
    pub executive_sponsor: bool,
    pub notes: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A contact as typed, before validation (create and full update alike).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactDraft {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: String,
    pub role: String,
    /// high, medium or low (default medium).
    pub influence: Option<String>,
    /// champion, positive, neutral, negative or unknown (default unknown).
    pub sentiment: Option<String>,
    pub relationship_owner_id: Option<UserId>,
    /// YYYY-MM-DD, not in the future.
    pub last_contact_on: Option<String>,
    pub executive_sponsor: bool,
    pub notes: String,
}

impl ContactDraft {
    pub fn from_contact(c: &Contact) -> ContactDraft {
        ContactDraft {
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            title: c.title.clone(),
            role: c.role.clone(),
            influence: Some(c.influence.as_str().into()),
            sentiment: Some(c.sentiment.as_str().into()),
            relationship_owner_id: c.relationship_owner_id,
            last_contact_on: c.last_contact_on.map(|d| d.to_string()),
            executive_sponsor: c.executive_sponsor,
            notes: c.notes.clone(),
        }
    }

    /// The contact as `existing` becomes (or a new one of `account_id`), or every problem.
    pub fn validate(
        &self,
        account_id: AccountId,
        existing: Option<&Contact>,
        today: Date,
        now: Timestamp,
    ) -> Result<Contact, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", &self.name, 200);
        let email = self.email.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
        if email.as_deref().is_some_and(|e| !is_valid_email(e)) {
            errors.add("email", "must be an email address such as ana@example.com");
        }
        let phone = self.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
        if phone.as_deref().is_some_and(|p| p.chars().count() > 40 || p.chars().any(char::is_control)) {
            errors.add("phone", "must be at most 40 characters without control characters");
        }
        let title = optional_text(&mut errors, "title", &self.title, 200);
        let role = optional_text(&mut errors, "role", &self.role, 200);
        let influence = match self.influence.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => parse_choice(&mut errors, "influence", v, Influence::ALL),
            None => Some(Influence::Medium),
        };
        let sentiment = match self.sentiment.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => parse_choice(&mut errors, "sentiment", v, Sentiment::ALL),
            None => Some(Sentiment::Unknown),
        };
        let last_contact_on = match self.last_contact_on.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(text) => match text.parse::<Date>() {
                Ok(d) if d > today => {
                    errors.add("last_contact_on", "must not be in the future");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add("last_contact_on", "must be a date as YYYY-MM-DD");
                    None
                }
            },
        };
        let notes = optional_text(&mut errors, "notes", &self.notes, 10_000);
        errors.into_result()?;
        let (Some(influence), Some(sentiment)) = (influence, sentiment) else {
            unreachable!("errors were returned above");
        };
        Ok(Contact {
            id: existing.map_or_else(ContactId::new, |c| c.id),
            account_id,
            name,
            email,
            phone,
            title,
            role,
            influence,
            sentiment,
            relationship_owner_id: self.relationship_owner_id,
            last_contact_on,
            executive_sponsor: self.executive_sponsor,
            notes,
            created_at: existing.map_or(now, |c| c.created_at),
            updated_at: now,
        })
    }
}

/// True when a change leaves an account that had an executive sponsor without one.
pub fn loses_executive_sponsor(before: &[Contact], after: &[Contact]) -> bool {
    before.iter().any(|c| c.executive_sponsor) && !after.iter().any(|c| c.executive_sponsor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ContactDraft {
        ContactDraft { name: "Ana Ruiz".into(), email: Some("ana@example.com".into()), ..Default::default() }
    }

    #[test]
    fn defaults_and_field_errors() {
        let today: Date = "2026-11-28".parse().unwrap();
        let c = draft().validate(AccountId::new(), None, today, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!((c.influence, c.sentiment), (Influence::Medium, Sentiment::Unknown));
        let bad = ContactDraft {
            name: " ".into(),
            email: Some("nope".into()),
            influence: Some("huge".into()),
            last_contact_on: Some("2026-12-01".into()),
            ..Default::default()
        };
        let errors = bad.validate(AccountId::new(), None, today, Timestamp::UNIX_EPOCH).unwrap_err();
        for field in ["name", "email", "influence", "last_contact_on"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn losing_the_last_sponsor_is_noticed() {
        let today: Date = "2026-11-28".parse().unwrap();
        let mut sponsor = draft().validate(AccountId::new(), None, today, Timestamp::UNIX_EPOCH).unwrap();
        sponsor.executive_sponsor = true;
        let mut demoted = sponsor.clone();
        demoted.executive_sponsor = false;
        assert!(loses_executive_sponsor(std::slice::from_ref(&sponsor), &[demoted.clone()]));
        assert!(loses_executive_sponsor(std::slice::from_ref(&sponsor), &[]));
        assert!(!loses_executive_sponsor(&[demoted], &[]));
    }
}
