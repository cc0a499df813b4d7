//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{accounts, team, tokens, users};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `tamhub token create` or the profile page"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "tamhub API", description = "Technical Account Management: portfolio, lifecycle and access."),
    modifiers(&BearerAuth),
    paths(
        users::me, users::list, users::create, users::show, users::update,
        accounts::list, accounts::create, accounts::show, accounts::update, accounts::archive, accounts::unarchive,
        accounts::phase_changes, accounts::history, accounts::handoff, accounts::update_handoff, accounts::sign_handoff,
        tokens::list, tokens::create, tokens::revoke,
        team::load, team::settings, team::update_settings, team::audit,
    )
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
