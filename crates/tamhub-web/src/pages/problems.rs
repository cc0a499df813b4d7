//! Problem management: incidents that share a root-cause category and a service within the
//! repeat window, across accounts, with the state of their corrective actions. Also the
//! account page's card of the problems that touch an account.

use askama::Template;
use axum::extract::State;
use tamhub_app::AppError;
use tamhub_app::postmortems::{PROBLEM_LOOKBACK_DAYS, ProblemView};
use tamhub_domain::actions::ActionSummary;
use tamhub_domain::ids::AccountId;

use super::incidents::severity_class;
use super::{Layout, PageResult, format, render};
use crate::AppState;
use crate::auth::PageUser;

/// One problem as a card.
pub struct ProblemCard {
    pub category: String,
    pub service: String,
    /// (id, INC-n, title, severity, severity class, declared).
    pub incidents: Vec<(String, String, String, &'static str, String, String)>,
    pub accounts: Vec<(String, String)>,
    pub actions: ActionSummary,
    /// `/actions` filtered to the service.
    pub actions_href: String,
}

pub(super) fn card(p: ProblemView) -> ProblemCard {
    ProblemCard {
        actions_href: format!("/actions?view=open&service={}", crate::auth::urlencode(&p.problem.service)),
        category: p.problem.category,
        service: p.problem.service,
        incidents: p
            .incidents
            .iter()
            .map(|v| {
                let i = &v.incident;
                (
                    i.id.to_string(),
                    i.display_number(),
                    i.title.clone(),
                    i.max_severity.as_str(),
                    severity_class(i.max_severity),
                    format::instant(i.milestones.declared_at),
                )
            })
            .collect(),
        accounts: p.accounts.iter().map(|(id, name)| (id.to_string(), name.clone())).collect(),
        actions: p.actions,
    }
}

/// The problems touching one account, for its page (none for customers).
pub(super) async fn cards_for(
    state: &AppState,
    user: &PageUser,
    account: AccountId,
) -> Result<Vec<ProblemCard>, AppError> {
    if !user.actor.user.role.is_staff() {
        return Ok(Vec::new());
    }
    Ok(state.app.problems(&user.actor, Some(account)).await?.into_iter().map(card).collect())
}

#[derive(Template)]
#[template(path = "problems/list.html")]
struct ProblemsPage {
    layout: Layout,
    window_days: i64,
    lookback_days: i64,
    problems: Vec<ProblemCard>,
}

/// `GET /problems`.
pub async fn list(State(state): State<AppState>, user: PageUser) -> PageResult {
    if !user.actor.user.role.is_staff() {
        return Err(AppError::NotFound.into());
    }
    let problems = state.app.problems(&user.actor, None).await?.into_iter().map(card).collect();
    let page = ProblemsPage {
        layout: Layout::new(&user, "/actions"),
        window_days: state.app.config.repeat_window_days,
        lookback_days: PROBLEM_LOOKBACK_DAYS,
        problems,
    };
    Ok(render(&page))
}
