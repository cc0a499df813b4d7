//! Typed identifiers: UUIDv7 (time-ordered) behind a newtype per entity, so a user id can never be
//! passed where an account id is expected.

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                        utoipa::openapi::schema::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

id_type!(UserId);
id_type!(AccountId);
id_type!(TokenId);
id_type!(AuditId);
id_type!(TicketId);
id_type!(CalendarId);
id_type!(PolicyId);
id_type!(NotificationId);
id_type!(EscalationId);
id_type!(IncidentId);
id_type!(ActionId);
id_type!(ContactId);
id_type!(EngagementId);
id_type!(MeetingId);
id_type!(SuccessPlanId);
id_type!(RiskId);
id_type!(EventId);
id_type!(QuotaId);
id_type!(FeatureRequestId);
id_type!(OpportunityId);
id_type!(FindingId);
id_type!(ReviewId);
