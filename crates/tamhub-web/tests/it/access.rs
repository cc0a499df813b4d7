//! Every account route × every role: outside a role's scope every route answers 404 and changes
//! nothing; inside it the read routes answer. The route table is checked against the router's
//! source so a new account route cannot be added without being covered here.

use axum::http::Method;
use serde_json::Value;
use tamhub_app::policy;
use tamhub_domain::ids::AccountId;
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

use crate::support::{Browser, Client, Person, World};

/// What a route is sent when it takes a body. Every body is valid, so a route that leaked scope
/// would change the account rather than fail validation.
#[derive(Clone, Copy, Debug)]
enum Payload {
    None,
    Json(&'static str),
    Form(&'static [(&'static str, &'static str)]),
}

#[derive(Clone, Copy, Debug)]
struct ScopedRoute {
    method: &'static str,
    /// The router's template; `{id}` is the account id.
    path: &'static str,
    payload: Payload,
}

const fn route(method: &'static str, path: &'static str, payload: Payload) -> ScopedRoute {
    ScopedRoute { method, path, payload }
}

const COMPLETE_HANDOFF: &str =
    r#"{"meeting_held": true, "documentation_reviewed": true, "shadow_period_done": true, "notes": "hijacked"}"#;
const HANDOFF_FORM: &[(&str, &str)] =
    &[("meeting_held", "on"), ("documentation_reviewed", "on"), ("shadow_period_done", "on"), ("notes", "hijacked")];

/// Every route that addresses one account. Adding an account route means adding a line here.
const SCOPED_ROUTES: &[ScopedRoute] = &[
    route("GET", "/api/v1/accounts/{id}", Payload::None),
    route("PATCH", "/api/v1/accounts/{id}", Payload::Json(r#"{"name": "Hijacked", "workloads": ["hijack"]}"#)),
    route("POST", "/api/v1/accounts/{id}/archive", Payload::None),
    route("POST", "/api/v1/accounts/{id}/unarchive", Payload::None),
    route("GET", "/api/v1/accounts/{id}/phase-changes", Payload::None),
    route("GET", "/api/v1/accounts/{id}/history", Payload::None),
    route("GET", "/api/v1/accounts/{id}/handoff", Payload::None),
    route("PUT", "/api/v1/accounts/{id}/handoff", Payload::Json(COMPLETE_HANDOFF)),
    route("POST", "/api/v1/accounts/{id}/handoff/sign-off", Payload::None),
    route("GET", "/accounts/{id}", Payload::None),
    route("GET", "/accounts/{id}/edit", Payload::None),
    route("POST", "/accounts/{id}/edit", Payload::Form(&[("name", "Hijacked"), ("workloads", "hijack")])),
    route("POST", "/accounts/{id}/archive", Payload::None),
    route("POST", "/accounts/{id}/unarchive", Payload::None),
    route("GET", "/accounts/{id}/handoff", Payload::None),
    route("POST", "/accounts/{id}/handoff", Payload::Form(HANDOFF_FORM)),
    route("POST", "/accounts/{id}/handoff/sign-off", Payload::None),
    route("GET", "/accounts/{id}/tickets", Payload::None),
    route(
        "POST",
        "/api/v1/accounts/{id}/signals",
        Payload::Json(r#"[{"name": "uptime_pct", "value": 99.5, "at": "2026-03-01T00:00:00Z"}]"#),
    ),
    route("GET", "/api/v1/accounts/{id}/health", Payload::None),
    route("POST", "/api/v1/accounts/{id}/health/what-if", Payload::Json(r#"{"values": {}}"#)),
    route("GET", "/accounts/{id}/health/what-if", Payload::None),
    route(
        "PUT",
        "/api/v1/accounts/{id}/health/override",
        Payload::Json(r#"{"band": "red", "reason": "hijacked", "expires_at": "2026-04-01T00:00:00Z"}"#),
    ),
    route("DELETE", "/api/v1/accounts/{id}/health/override", Payload::None),
    route(
        "POST",
        "/accounts/{id}/health/override",
        Payload::Form(&[("band", "red"), ("expires_at", "2026-03-20"), ("reason", "hijacked")]),
    ),
    route("GET", "/api/v1/charters/{id}", Payload::None),
    route("PUT", "/api/v1/charters/{id}", Payload::Json(r#"{"launch_date": "2026-03-02"}"#)),
    route("GET", "/api/v1/charters/{id}/template", Payload::None),
    route("GET", "/api/v1/charters/{id}/engagements", Payload::None),
    route("GET", "/api/v1/charters/{id}/engagements.ics", Payload::None),
    route("GET", "/api/v1/charters/{id}/compliance", Payload::None),
    route("GET", "/api/v1/accounts/{id}/meetings", Payload::None),
    route("POST", "/api/v1/accounts/{id}/meetings", Payload::Json(r#"{"type": "check_in"}"#)),
    route("GET", "/api/v1/accounts/{id}/contacts", Payload::None),
    route("POST", "/api/v1/accounts/{id}/contacts", Payload::Json(r#"{"name": "Hijacker"}"#)),
    route("GET", "/accounts/{id}/charter", Payload::None),
    route("POST", "/accounts/{id}/charter", Payload::Form(&[("launch_date", "2026-03-02")])),
    route("GET", "/accounts/{id}/charter/edit", Payload::None),
    route("POST", "/accounts/{id}/charter/edit", Payload::Form(&[("launch_date", "2026-03-02")])),
    route("GET", "/accounts/{id}/charter.ics", Payload::None),
    route("POST", "/accounts/{id}/meetings", Payload::Form(&[("type", "check_in")])),
    route("GET", "/accounts/{id}/meetings/new", Payload::None),
    route("GET", "/accounts/{id}/stakeholders", Payload::None),
    route("POST", "/accounts/{id}/stakeholders", Payload::Form(&[("name", "Hijacker")])),
    route("GET", "/api/v1/accounts/{id}/success-plans", Payload::None),
    route("POST", "/api/v1/accounts/{id}/success-plans", Payload::Json(r#"{"title": "Hijacked"}"#)),
    route("GET", "/api/v1/accounts/{id}/risks", Payload::None),
    route("POST", "/api/v1/accounts/{id}/risks", Payload::Json(r#"{"title": "Hijacked"}"#)),
    route("GET", "/api/v1/accounts/{id}/events", Payload::None),
    route(
        "POST",
        "/api/v1/accounts/{id}/events",
        Payload::Json(
            r#"{"title": "Hijack", "kind": "launch", "starts_at": "2027-01-01T00:00:00Z", "ends_at": "2027-01-02T00:00:00Z"}"#,
        ),
    ),
    route("GET", "/api/v1/accounts/{id}/quotas", Payload::None),
    route("POST", "/api/v1/accounts/{id}/quotas", Payload::Json(r#"{"service": "EC2", "name": "x", "limit": 10}"#)),
    route("GET", "/accounts/{id}/events", Payload::None),
    route("POST", "/accounts/{id}/events", Payload::Form(&[("title", "Hijack"), ("kind", "launch")])),
    route("GET", "/accounts/{id}/quotas", Payload::None),
    route("POST", "/accounts/{id}/quotas", Payload::Form(&[("service", "EC2"), ("name", "x"), ("limit", "1")])),
    route("GET", "/api/v1/accounts/{id}/feature-requests", Payload::None),
    route("GET", "/api/v1/accounts/{id}/opportunities", Payload::None),
    route("POST", "/api/v1/accounts/{id}/opportunities", Payload::Json(r#"{"title": "Hijack", "value": 1}"#)),
    route("GET", "/accounts/{id}/expansion", Payload::None),
    route("POST", "/accounts/{id}/expansion", Payload::Form(&[("title", "Hijack"), ("value", "1")])),
    route("GET", "/api/v1/accounts/{id}/findings", Payload::None),
    route(
        "POST",
        "/api/v1/accounts/{id}/findings",
        Payload::Json(r#"{"kind": "review_improvement", "title": "Hijack"}"#),
    ),
    route("GET", "/accounts/{id}/findings", Payload::None),
    route("GET", "/accounts/{id}/reviews", Payload::None),
    route("POST", "/accounts/{id}/reviews", Payload::Form(&[("workload", "hijack"), ("lens_key", "well-architected")])),
    route("POST", "/accounts/{id}/findings", Payload::Form(&[("kind", "review_improvement"), ("title", "Hijack")])),
    route("GET", "/accounts/{id}/success-plans", Payload::None),
    route("POST", "/accounts/{id}/success-plans", Payload::Form(&[("title", "Hijacked")])),
    route("GET", "/accounts/{id}/risks", Payload::None),
    route("POST", "/accounts/{id}/risks", Payload::Form(&[("title", "Hijacked")])),
];

/// Account routes that address no single account (lists, creation, the empty form): their
/// scoping is tested by the list and create tests.
const UNSCOPED_ACCOUNT_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/accounts"),
    ("POST", "/api/v1/accounts"),
    ("POST", "/accounts"),
    ("GET", "/accounts/new"),
    ("GET", "/api/v1/charters"),
    ("POST", "/api/v1/charters"),
];

pub(crate) const API_ROUTER: &str = include_str!("../../src/api/mod.rs");
const PAGE_ROUTER: &str = include_str!("../../src/pages/mod.rs");

/// `(METHOD, path)` for every `.route("…", get(…).post(…))` in a router's source.
pub(crate) fn routes_in(source: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        let rest = &source[at + ".route(".len()..];
        let open = rest.find('"').expect("a route path literal");
        let close = open + 1 + rest[open + 1..].find('"').expect("the path literal ends");
        let path = format!("{prefix}{}", &rest[open + 1..close]);
        let mut depth = 1;
        let mut end = rest.len();
        for (i, ch) in rest.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &rest[close + 1..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let call = format!("{method}(");
            for (i, _) in handlers.match_indices(&call) {
                let before = handlers[..i].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn the_route_table_covers_every_account_route_in_the_routers() {
    let mut routes = routes_in(API_ROUTER, "/api/v1");
    routes.extend(routes_in(PAGE_ROUTER, ""));
    // The parser must see the routers at all, or this test would pass vacuously.
    assert!(routes.iter().any(|(m, p)| m == "GET" && p == "/api/v1/accounts/{id}"), "{routes:?}");
    assert!(routes.iter().any(|(m, p)| m == "POST" && p == "/accounts/{id}/handoff/sign-off"), "{routes:?}");
    let account_routes: Vec<&(String, String)> = routes
        .iter()
        // Charters are addressed by their account's id.
        .filter(|(_, p)| {
            p == "/accounts"
                || p.starts_with("/accounts/")
                || p.starts_with("/api/v1/accounts")
                || p.starts_with("/api/v1/charters")
        })
        .collect();
    for (method, path) in &account_routes {
        let scoped = SCOPED_ROUTES.iter().any(|r| r.method == method && r.path == path);
        let unscoped = UNSCOPED_ACCOUNT_ROUTES.iter().any(|(m, p)| m == method && p == path);
        assert!(
            scoped || unscoped,
            "{method} {path} is an account route missing from SCOPED_ROUTES (tests/it/access.rs): add it so \
             every role is checked against it"
        );
        assert!(
            !(path.contains("{id}") && unscoped),
            "{method} {path} carries an account id but is listed as unscoped"
        );
    }
    for r in SCOPED_ROUTES {
        assert!(
            account_routes.iter().any(|(m, p)| m == r.method && p == r.path),
            "SCOPED_ROUTES lists {} {} but no router defines it",
            r.method,
            r.path
        );
    }
}

/// Which accounts of the `World` a role sees, and which it must not.
fn scope_of(w: &World, role: Role) -> (Vec<AccountId>, Vec<AccountId>) {
    let (alpha, bravo, charlie, delta) = (w.alpha, w.bravo, w.charlie, w.delta);
    match role {
        // Primary on alpha (Gate 3), backup on bravo (Post-Launch); delta is theirs but in Gate 1.
        Role::Tam => (vec![alpha, bravo], vec![charlie, delta]),
        // Assigned to alpha (Gate 3) and delta (Gate 1); bravo is theirs but Post-Launch.
        Role::Psm => (vec![alpha, delta], vec![bravo, charlie]),
        Role::Pam => (vec![alpha, bravo], vec![charlie, delta]),
        Role::Support => (vec![alpha], vec![bravo, charlie, delta]),
        Role::Customer => (vec![alpha], vec![bravo, charlie, delta]),
        Role::Leadership | Role::Admin => (w.all_accounts().to_vec(), vec![]),
    }
}

/// The status an in-scope read answers for a role.
fn in_scope_read_status(role: Role, path: &str) -> u16 {
    let staff = role.is_staff();
    match path {
        // Internal history is for staff: in scope but not allowed.
        "/api/v1/accounts/{id}/history" if !staff => 403,
        // The PSM→TAM handoff is internal: a customer is shown nothing there, as on the page.
        "/api/v1/accounts/{id}/handoff" | "/accounts/{id}/handoff" if !staff => 404,
        "/accounts/{id}/edit" if matches!(role, Role::Support | Role::Customer) => 403,
        // Health scores are internal.
        "/api/v1/accounts/{id}/health" | "/accounts/{id}/health/what-if" if !staff => 403,
        // No charter is written in this world: read in scope, there is none to show.
        "/api/v1/charters/{id}" => 404,
        // Meeting notes and the stakeholder map are the team's own.
        "/api/v1/accounts/{id}/meetings"
        | "/api/v1/accounts/{id}/contacts"
        | "/accounts/{id}/stakeholders"
        | "/api/v1/accounts/{id}/risks"
        | "/accounts/{id}/risks"
        | "/api/v1/accounts/{id}/events"
        | "/api/v1/accounts/{id}/quotas"
        | "/accounts/{id}/events"
        | "/accounts/{id}/quotas"
        | "/api/v1/accounts/{id}/feature-requests"
        | "/api/v1/accounts/{id}/opportunities"
        | "/accounts/{id}/expansion"
        | "/api/v1/accounts/{id}/findings"
        | "/accounts/{id}/findings"
        | "/accounts/{id}/reviews"
            if !staff =>
        {
            403
        }
        // Charters, contacts and meetings are kept by TAMs, PSMs, leadership and admins.
        "/accounts/{id}/charter/edit" | "/accounts/{id}/meetings/new" if !policy::can_work_charter(role) => 403,
        _ => 200,
    }
}

async fn call(c: &Client, r: &ScopedRoute, id: &str, person: &Person, browser: &Browser) -> crate::support::Resp {
    let path = r.path.replace("{id}", id);
    let method: Method = r.method.parse().expect("an HTTP method");
    if path.starts_with("/api/") {
        match r.payload {
            Payload::Json(text) => {
                c.api_raw(method, &path, Some(&person.token), Some("application/json"), text.as_bytes().to_vec()).await
            }
            _ => c.api(method, &path, &person.token, None).await,
        }
    } else if method == Method::GET {
        c.page_get(&path, browser).await
    } else {
        let fields = match r.payload {
            Payload::Form(fields) => fields,
            _ => &[],
        };
        c.page_post(&path, browser, fields).await
    }
}

/// Everything an admin can read about the accounts, to prove a refused request changed nothing.
async fn snapshot(c: &Client, w: &World) -> Vec<Value> {
    let mut out = Vec::new();
    for id in w.all_accounts() {
        for suffix in ["", "/handoff", "/phase-changes", "/history?limit=500", "/health"] {
            let response = c.get(&format!("/api/v1/accounts/{id}{suffix}"), &w.admin.token).await;
            response.expect(200);
            out.push(response.json());
        }
    }
    let audit = c.get("/api/v1/audit?limit=500", &w.admin.token).await;
    audit.expect(200);
    out.push(audit.json());
    out
}

#[tokio::test]
async fn every_account_route_answers_404_outside_each_roles_scope_and_changes_nothing() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let before = snapshot(&c, &w).await;
        for (role, person) in w.by_role() {
            let browser = c.login_as(&person.user).await;
            let (inside, outside) = scope_of(&w, role);
            let mut targets: Vec<(String, &str)> = outside.iter().map(|id| (id.to_string(), w.name_of(*id))).collect();
            targets.push((AccountId::new().to_string(), "a non-existent account"));
            targets.push(("not-an-id".to_string(), "a malformed id"));
            for (id, label) in &targets {
                for r in SCOPED_ROUTES {
                    let response = call(&c, r, id, person, &browser).await;
                    let context = format!("[{}] {role:?} {} {} on {label}", t.backend, r.method, r.path);
                    assert_eq!(response.status.as_u16(), 404, "{context}: {}", response.snippet());
                    if r.path.starts_with("/api/") {
                        assert_eq!(response.json()["error"]["code"], "not_found", "{context}");
                    } else {
                        assert!(response.text().contains("Page not found"), "{context}: {}", response.snippet());
                    }
                }
            }
            let after = snapshot(&c, &w).await;
            assert!(
                before == after,
                "[{}] {role:?}: a refused request changed an account, handoff or the audit log",
                t.backend
            );

            for id in inside {
                for r in SCOPED_ROUTES.iter().filter(|r| r.method == "GET") {
                    let response = call(&c, r, &id.to_string(), person, &browser).await;
                    let expected = in_scope_read_status(role, r.path);
                    assert_eq!(
                        response.status.as_u16(),
                        expected,
                        "[{}] {role:?} GET {} on {} (in scope): {}",
                        t.backend,
                        r.path,
                        w.name_of(id),
                        response.snippet()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn each_role_lists_exactly_the_accounts_in_its_scope() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        for (role, person) in w.by_role() {
            let response = c.get("/api/v1/accounts", &person.token).await;
            response.expect(200);
            let body = response.json();
            let mut listed: Vec<String> = body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|a| a["id"].as_str().expect("id").to_string())
                .collect();
            listed.sort();
            let mut expected: Vec<String> = scope_of(&w, role).0.iter().map(ToString::to_string).collect();
            expected.sort();
            let names = |ids: &[String]| {
                ids.iter().map(|id| w.name_of(id.parse().expect("an account id"))).collect::<Vec<_>>().join(", ")
            };
            assert_eq!(
                listed,
                expected,
                "[{}] {role:?} lists [{}], expected [{}]",
                t.backend,
                names(&listed),
                names(&expected)
            );
            assert_eq!(body["total"], expected.len(), "[{}] {role:?} total", t.backend);
        }
    }
}

/// Every route that addresses one ticket, with a valid body where it takes one: a route that
/// leaked scope or role would change the ticket rather than fail validation. Adding a ticket
/// route means adding a line here.
const TICKET_ROUTES: &[ScopedRoute] = &[
    route("GET", "/api/v1/tickets/{id}", Payload::None),
    route("PATCH", "/api/v1/tickets/{id}", Payload::Json(r#"{"title": "Hijacked", "priority": "low"}"#)),
    route("GET", "/api/v1/tickets/{id}/events", Payload::None),
    route("POST", "/api/v1/tickets/{id}/events", Payload::Json(r#"{"kind": "status_changed", "to": "on_hold"}"#)),
    route("GET", "/api/v1/tickets/{id}/sla", Payload::None),
    route("GET", "/api/v1/tickets/{id}/sla/alerts", Payload::None),
    route("GET", "/api/v1/tickets/{id}/escalation", Payload::None),
    route("POST", "/api/v1/tickets/{id}/escalation", Payload::Json(ESCALATION)),
    route("POST", "/api/v1/tickets/{id}/escalation/acknowledge", Payload::None),
    route("POST", "/api/v1/tickets/{id}/escalation/review", Payload::Json(r#"{"score": 1, "note": "hijacked"}"#)),
];

const ESCALATION: &str = r#"{"engineering_team": "Hijack", "brief": {"summary": "s", "customer_impact": "i",
    "severity": "P3", "environment": "e", "reproduction_steps": "r", "evidence": {"logs": "l"}, "timeline": "t",
    "comms_plan": "c"}}"#;

const UNSCOPED_TICKET_ROUTES: &[(&str, &str)] = &[("GET", "/api/v1/tickets"), ("POST", "/api/v1/tickets")];

#[test]
fn the_ticket_route_table_covers_every_ticket_route_in_the_router() {
    let routes = routes_in(API_ROUTER, "/api/v1");
    let ticket_routes: Vec<&(String, String)> =
        routes.iter().filter(|(_, p)| p.starts_with("/api/v1/tickets")).collect();
    assert!(ticket_routes.len() > UNSCOPED_TICKET_ROUTES.len(), "{routes:?}");
    for (method, path) in &ticket_routes {
        let scoped = TICKET_ROUTES.iter().any(|r| r.method == method && r.path == path);
        let unscoped = UNSCOPED_TICKET_ROUTES.iter().any(|(m, p)| m == method && p == path);
        assert!(
            scoped || unscoped,
            "{method} {path} is a ticket route missing from TICKET_ROUTES (tests/it/access.rs)"
        );
    }
    for r in TICKET_ROUTES {
        assert!(
            ticket_routes.iter().any(|(m, p)| m == r.method && p == r.path),
            "{} {} is not routed",
            r.method,
            r.path
        );
    }
}

/// Whether a role may use a ticket route on a ticket it can see; `None` for reads (always 200,
/// except the internal escalation brief, which customers are not shown).
fn ticket_write_allowed(role: Role, method: &str, path: &str) -> Option<bool> {
    let agent = matches!(role, Role::Tam | Role::Psm | Role::Support | Role::Leadership | Role::Admin);
    match (method, path) {
        ("GET", _) => None,
        ("POST", "/api/v1/tickets/{id}/escalation/acknowledge") => Some(matches!(role, Role::Leadership | Role::Admin)),
        // Reviewers: leadership, admins and the account's TAMs (every ticket's TAM sees it as one).
        ("POST", "/api/v1/tickets/{id}/escalation/review") => {
            Some(matches!(role, Role::Leadership | Role::Admin | Role::Tam))
        }
        _ => Some(agent),
    }
}

/// Everything an admin can read about the tickets, to prove a refused request changed nothing.
async fn ticket_snapshot(c: &Client, w: &World, tickets: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in tickets {
        for suffix in ["", "/events?limit=500", "/sla", "/sla/alerts", "/escalation"] {
            let response = c.get(&format!("/api/v1/tickets/{id}{suffix}"), &w.admin.token).await;
            response.expect(200);
            out.push(response.json());
        }
    }
    let audit = c.get("/api/v1/audit?limit=500", &w.admin.token).await;
    audit.expect(200);
    out.push(audit.json());
    let notes = c.get("/api/v1/notifications?limit=500", &w.admin.token).await;
    out.push(notes.expect(200).json());
    out
}

#[tokio::test]
async fn every_ticket_route_answers_404_outside_each_roles_scope_and_403_where_the_role_may_not_act() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        // One escalated ticket per account; the admin filed every brief and owns every escalation.
        let mut by_account = Vec::new();
        for account in w.all_accounts() {
            let ticket = crate::support::open_ticket(&c, &w.admin.token, Some(account), "high", "Routed").await;
            let id = ticket["id"].as_str().expect("id").to_string();
            let body = crate::support::escalation_body(Some(w.admin.id()));
            c.post(&format!("/api/v1/tickets/{id}/escalation"), &w.admin.token, &body).await.expect(201);
            by_account.push((account, id));
        }
        let ids: Vec<String> = by_account.iter().map(|(_, id)| id.clone()).collect();
        let before = ticket_snapshot(&c, &w, &ids).await;
        for (role, person) in w.by_role() {
            let browser = Browser { session: String::new(), csrf: String::new() };
            let (inside, outside) = scope_of(&w, role);
            let ticket_of =
                |account: AccountId| by_account.iter().find(|(a, _)| *a == account).map(|(_, id)| id.clone());
            let mut targets: Vec<(String, &str)> =
                outside.iter().map(|a| (ticket_of(*a).expect("ticket"), w.name_of(*a))).collect();
            targets.push((tamhub_domain::ids::TicketId::new().to_string(), "a non-existent ticket"));
            targets.push(("not-an-id".to_string(), "a malformed id"));
            for (id, label) in &targets {
                for r in TICKET_ROUTES {
                    let response = call(&c, r, id, person, &browser).await;
                    let context = format!("[{b}] {role:?} {} {} on {label}'s ticket", r.method, r.path);
                    assert_eq!(response.status.as_u16(), 404, "{context}: {}", response.snippet());
                    assert_eq!(response.json()["error"]["code"], "not_found", "{context}");
                }
            }
            for account in inside {
                let id = ticket_of(account).expect("ticket");
                for r in TICKET_ROUTES {
                    let context = format!("[{b}] {role:?} {} {} on {}'s ticket", r.method, r.path, w.name_of(account));
                    let expected = match ticket_write_allowed(role, r.method, r.path) {
                        None if role == Role::Customer && r.path.ends_with("/escalation") => 404,
                        None => 200,
                        Some(false) => 403,
                        // Allowed writes would change the ticket; the use-case tests cover them.
                        Some(true) => continue,
                    };
                    let response = call(&c, r, &id, person, &browser).await;
                    assert_eq!(response.status.as_u16(), expected, "{context}: {}", response.snippet());
                    if expected == 403 {
                        assert_eq!(response.json()["error"]["code"], "forbidden", "{context}");
                    }
                }
            }
            assert!(
                before == ticket_snapshot(&c, &w, &ids).await,
                "[{b}] {role:?}: a refused request changed a ticket, its escalation, alerts or the audit log"
            );
        }
    }
}
