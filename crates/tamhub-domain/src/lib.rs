//! tamhub's domain: types and rules, no IO.
#![forbid(unsafe_code)]

/// An enum with its wire spelling (snake_case) and a label for people.
macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $wire:literal, $label:literal;)+ }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [($name, &'static str)] = &[$(($name::$variant, $wire)),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().find(|(_, w)| *w == text).map(|(v, _)| *v)
            }
        }
    };
}

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod contacts;
pub mod engagements;
pub mod escalations;
pub mod events;
pub mod feedback;
pub mod findings;
pub mod handoff;
pub mod health;
pub mod ical;
pub mod ids;
pub mod incident_cadence;
pub mod incident_metrics;
pub mod incidents;
pub mod load;
pub mod notifications;
pub mod plans;
pub mod postmortems;
pub mod reviews;
pub mod scope;
pub mod sla;
pub mod tickets;
pub mod users;
pub mod validation;

pub use jiff::SignedDuration;
pub use jiff::Timestamp;
pub use jiff::civil::Date;
