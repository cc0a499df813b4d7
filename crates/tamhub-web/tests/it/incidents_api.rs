//! `/api/v1/incidents`: an incident's life through the API (status machine, milestones, roles,
//! updates, reopen), bad input refused with the field named and nothing written, and every
//! incident route × role: 404 outside the scope, 403 for roles that only read, and customers
//! seeing a status page.

use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::access::{API_ROUTER, routes_in};
use crate::support::{Client, Person, World};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

async fn declare(c: &Client, who: &Person, body: Value) -> Value {
    c.post("/api/v1/incidents", &who.token, &body).await.expect(201).json()
}

fn kinds(timeline: &Value) -> Vec<String> {
    timeline["items"].as_array().expect("items").iter().map(|e| e["kind"].as_str().unwrap_or("?").to_string()).collect()
}

#[tokio::test]
async fn a_tam_runs_a_major_incident_from_declaration_to_closure() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let incident = declare(
            &c,
            &w.tam,
            json!({"title": "Checkout API errors", "severity": "P1", "summary": "5xx on /checkout",
                   "impacted_account_ids": [w.alpha, w.bravo], "impacted_services": ["checkout-api"],
                   "incident_commander_id": w.tam.id(), "impact_started_at": "2026-03-02T09:40:00Z"}),
        )
        .await;
        assert_eq!(incident["number"], 1, "[{b}]");
        assert_eq!((incident["status"].as_str(), incident["severity"].as_str()), (Some("triage"), Some("P1")), "[{b}]");
        assert_eq!(incident["milestones"]["declared_at"], "2026-03-02T10:00:00Z", "[{b}]");
        assert_eq!(incident["milestones"]["impact_started_at"], "2026-03-02T09:40:00Z", "[{b}]");
        assert_eq!(incident["roles"], json!([{"role": "incident_commander", "user_id": w.tam.id()}]), "[{b}]");
        assert_eq!(incident["impacted_accounts"].as_array().map(Vec::len), Some(2), "[{b}]");
        let id = incident["id"].as_str().expect("id").to_string();
        let path = |suffix: &str| format!("/api/v1/incidents/{id}{suffix}");

        // Bravo's primary TAM hears of a P1 on their account.
        let notes = c.get("/api/v1/notifications", &w.tam2.token).await.expect(200).json();
        let titles: Vec<&str> =
            notes["items"].as_array().expect("items").iter().filter_map(|n| n["title"].as_str()).collect();
        assert!(titles.contains(&"P1 incident “Checkout API errors” impacts Bravo Banking"), "[{b}] {titles:?}");
        let link = &notes["items"][0]["incident_id"];
        assert_eq!(link, &incident["id"], "[{b}] the notification links to the incident");

        set(&t, "2026-03-02T10:05:00Z");
        c.post(&path("/acknowledge"), &w.support.token, &json!({})).await.expect(200);
        c.put(&path("/roles/comms_lead"), &w.tam.token, &json!({"user_id": w.tam2.id()})).await.expect(200);
        c.post(&path("/status"), &w.tam.token, &json!({"status": "investigating"})).await.expect(200);
        let update = json!({"what_we_know": "Checkout fails for 20% of requests", "what_we_dont_know": "The trigger",
                            "what_we_are_doing": "Rolling back the 09:30 deploy",
                            "next_update_at": "2026-03-02T11:00:00Z"});
        c.post(&path("/updates"), &w.tam2.token, &update).await.expect(201);
        let internal = json!({"visibility": "internal", "what_we_know": "Deploy 4812 correlates",
                              "what_we_are_doing": "Bisecting"});
        c.post(&path("/updates"), &w.tam.token, &internal).await.expect(201);

        set(&t, "2026-03-02T10:30:00Z");
        c.post(&path("/status"), &w.tam.token, &json!({"status": "monitoring"})).await.expect(200);
        set(&t, "2026-03-02T11:00:00Z");
        let resolved = c.post(&path("/status"), &w.tam.token, &json!({"status": "resolved"})).await.expect(200).json();
        assert_eq!(resolved["milestones"]["mitigated_at"], "2026-03-02T10:30:00Z", "[{b}]");
        assert_eq!(resolved["milestones"]["resolved_at"], "2026-03-02T11:00:00Z", "[{b}]");
        assert_eq!(resolved["milestones"]["acknowledged_at"], "2026-03-02T10:05:00Z", "[{b}]");
        assert_eq!(resolved["next_statuses"], json!(["investigating", "postmortem", "closed"]), "[{b}]");

        // It regresses: a reopen keeps the history and counts.
        set(&t, "2026-03-02T11:20:00Z");
        let reopened =
            c.post(&path("/status"), &w.tam.token, &json!({"status": "investigating"})).await.expect(200).json();
        assert_eq!(
            (reopened["reopen_count"].as_i64(), &reopened["milestones"]["resolved_at"]),
            (Some(1), &Value::Null)
        );
        c.post(&path("/severity"), &w.tam.token, &json!({"severity": "P0"})).await.expect(200);
        let notes = c.get("/api/v1/notifications", &w.tam2.token).await.expect(200).json();
        let titles: Vec<&str> =
            notes["items"].as_array().expect("items").iter().filter_map(|n| n["title"].as_str()).collect();
        assert!(titles.contains(&"P0 incident INC-1 impacts Bravo Banking"), "[{b}] {titles:?}");
        set(&t, "2026-03-02T12:00:00Z");
        c.post(&path("/status"), &w.tam.token, &json!({"status": "resolved"})).await.expect(200);
        let edit = json!({"at": "2026-03-02T09:35:00Z", "reason": "Error logs show the first failures at 09:35"});
        c.put(&path("/milestones/impact_started_at"), &w.tam.token, &edit).await.expect(200);
        c.post(&path("/status"), &w.tam.token, &json!({"status": "postmortem"})).await.expect(200);
        // A P0 closes once its post-incident review is approved (R-I5).
        c.post(&path("/status"), &w.tam.token, &json!({"status": "closed"})).await.expect_error(
            422,
            "validation_failed",
            Some("status"),
        );
        approved_review(&c, &w, &path("")).await;
        let closed = c.post(&path("/status"), &w.tam.token, &json!({"status": "closed"})).await.expect(200).json();
        assert_eq!(closed["max_severity"], "P0", "[{b}]");
        assert_eq!(closed["severity"], "P0", "[{b}]");
        assert_eq!(closed["milestones"]["impact_started_at"], "2026-03-02T09:35:00Z", "[{b}]");
        assert_eq!(closed["milestones"]["resolved_at"], "2026-03-02T12:00:00Z", "[{b}] the final resolution");
        assert_eq!(closed["next_statuses"], json!([]), "[{b}]");

        let timeline = c.get(&path("/timeline"), &w.tam.token).await.expect(200).json();
        assert_eq!(
            kinds(&timeline),
            [
                "declared",
                "role_assigned",
                "acknowledged",
                "role_assigned",
                "status_changed",
                "update_posted",
                "update_posted",
                "status_changed",
                "status_changed",
                "status_changed",
                "severity_changed",
                "status_changed",
                "milestone_edited",
                "status_changed",
                "postmortem_state_changed",
                "postmortem_state_changed",
                "status_changed"
            ],
            "[{b}]"
        );
        let edit = &timeline["items"][12];
        assert_eq!(edit["from"], "2026-03-02T09:40:00Z", "[{b}] the edit keeps the value it replaced");
        assert_eq!(edit["reason"], "Error logs show the first failures at 09:35", "[{b}]");

        // The customer of Alpha sees a status page: status moves and the public update only.
        let seen = c.get(&path(""), &w.customer.token).await.expect(200).json();
        assert_eq!(seen["roles"], json!([]), "[{b}]");
        assert_eq!(seen["impacted_accounts"], json!([{"id": w.alpha, "name": "Alpha Analytics"}]), "[{b}]");
        assert_eq!(seen["other_impacted_accounts"], 1, "[{b}]");
        let public = c.get(&path("/timeline"), &w.customer.token).await.expect(200).json();
        let updates: Vec<&Value> =
            public["items"].as_array().expect("items").iter().filter(|e| e["kind"] == "update_posted").collect();
        assert_eq!(updates.len(), 1, "[{b}] the internal update stays internal");
        assert_eq!(updates[0]["what_we_are_doing"], "Rolling back the 09:30 deploy", "[{b}]");
        assert!(public["items"].as_array().expect("items").iter().all(|e| e["actor_id"].is_null()), "[{b}]");
        assert!(!kinds(&public).iter().any(|k| k == "role_assigned" || k == "milestone_edited"), "[{b}]");

        // Lists: by account, live only, by severity.
        let live = c.get("/api/v1/incidents?status=live", &w.tam.token).await.expect(200).json();
        assert_eq!(live["total"], 0, "[{b}]");
        let of_bravo = c.get(&format!("/api/v1/incidents?account_id={}&severity=P0", w.bravo), &w.tam.token).await;
        assert_eq!(of_bravo.expect(200).json()["total"], 1, "[{b}]");
    }
}

/// Writes, submits and approves (by leadership) a complete review of the incident at `path`.
async fn approved_review(c: &Client, w: &World, path: &str) {
    let content = json!({
        "owner_id": w.tam.id(), "approver_ids": [w.leadership.id()], "summary": "What happened",
        "fault": "The fault", "contributing_factors": [{"kind": "root", "text": "The root cause"}],
        "root_cause_category": "Capacity", "customer_facing_rca": "What we tell customers"
    });
    c.put(&format!("{path}/review"), &w.tam.token, &content).await.expect(200);
    c.post(&format!("{path}/review/submit"), &w.tam.token, &json!({})).await.expect(200);
    c.post(&format!("{path}/review/approve"), &w.leadership.token, &json!({})).await.expect(200);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let refused = [
            (json!({"title": "Down", "severity": "P0", "impacted_account_ids": [w.alpha]}), "roles.incident_commander"),
            (json!({"title": "Down", "severity": "P5", "impacted_account_ids": [w.alpha]}), "severity"),
            (json!({"title": " ", "severity": "P2", "impacted_account_ids": [w.alpha]}), "title"),
            (
                json!({"title": "Down", "severity": "P2", "impacted_account_ids": [w.charlie]}),
                "impacted_account_ids[0]",
            ),
            (json!({"title": "Down", "severity": "P2"}), "impacted_account_ids"),
            (
                json!({"title": "Down", "severity": "P2", "impacted_account_ids": [w.alpha],
                    "impact_started_at": "2026-03-02T11:00:00Z"}),
                "impact_started_at",
            ),
            (
                json!({"title": "Down", "severity": "P2", "impacted_account_ids": [w.alpha],
                    "detected_at": "2026-03-02T09:00:00Z", "impact_started_at": "2026-03-02T09:30:00Z"}),
                "milestones.impact_started_at",
            ),
            (
                json!({"title": "Down", "severity": "P1", "impacted_account_ids": [w.alpha],
                    "incident_commander_id": w.customer.id()}),
                "roles.incident_commander",
            ),
        ];
        for (body, field) in refused {
            c.post("/api/v1/incidents", &w.tam.token, &body).await.expect_error(422, "validation_failed", Some(field));
        }
        assert_eq!(c.get("/api/v1/incidents", &w.admin.token).await.expect(200).json()["total"], 0, "[{b}]");

        let incident = declare(
            &c,
            &w.tam,
            json!({"title": "Slow search", "severity": "P2",
                                                   "impacted_account_ids": [w.alpha]}),
        )
        .await;
        let id = incident["id"].as_str().expect("id");
        let path = |suffix: &str| format!("/api/v1/incidents/{id}{suffix}");
        c.post(&path("/status"), &w.tam.token, &json!({"status": "monitoring"})).await.expect(200);
        let before = c.get(&path("/timeline"), &w.admin.token).await.expect(200).json();
        let calls = [
            ("POST", "/status", json!({"status": "triage"}), "status"),
            ("POST", "/status", json!({"status": "declined"}), "status"),
            ("POST", "/status", json!({"status": "sleeping"}), "status"),
            ("POST", "/severity", json!({"severity": "P1"}), "roles.incident_commander"),
            ("POST", "/updates", json!({"what_we_know": "Slow", "what_we_are_doing": " "}), "what_we_are_doing"),
            (
                "POST",
                "/updates",
                json!({"what_we_know": "Slow", "what_we_are_doing": "Tuning",
                                        "next_update_at": "2026-03-02T09:00:00Z"}),
                "next_update_at",
            ),
            (
                "POST",
                "/updates",
                json!({"visibility": "everyone", "what_we_know": "Slow",
                                        "what_we_are_doing": "Tuning"}),
                "visibility",
            ),
            (
                "PUT",
                "/milestones/mitigated_at",
                json!({"at": "2026-03-02T09:00:00Z", "reason": "logs"}),
                "milestones.impact_started_at",
            ),
            (
                "PUT",
                "/milestones/acknowledged_at",
                json!({"at": "2026-03-02T09:59:00Z", "reason": "logs"}),
                "milestones.acknowledged_at",
            ),
            ("PUT", "/milestones/declared_at", json!({"at": null, "reason": "oops"}), "milestones.declared_at"),
            ("PUT", "/milestones/detected_at", json!({"at": "2026-03-02T09:50:00Z", "reason": ""}), "reason"),
            ("PUT", "/milestones/finished_at", json!({"at": null, "reason": "x"}), "milestone"),
            ("PUT", "/roles/overlord", json!({"user_id": w.tam.id()}), "role"),
            ("PUT", "/roles/scribe", json!({"user_id": w.customer.id()}), "roles.scribe"),
            ("POST", "/notes", json!({"text": ""}), "text"),
            ("POST", "/tickets", json!({"ticket_id": tamhub_domain::ids::TicketId::new()}), "ticket_id"),
        ];
        for (method, suffix, body, field) in calls {
            let method = method.parse().expect("method");
            let response = c.api(method, &path(suffix), &w.tam.token, Some(&body)).await;
            response.expect_error(422, "validation_failed", Some(field));
        }
        let after = c.get(&path("/timeline"), &w.admin.token).await.expect(200).json();
        assert_eq!(before, after, "[{b}] a refused change wrote to the timeline");
        // An unknown field in a body is refused too.
        c.post(&path("/notes"), &w.tam.token, &json!({"text": "x", "public": true})).await.expect_error(
            422,
            "validation_failed",
            None,
        );
    }
}

/// Every route that addresses one incident, with a valid body where it takes one.
const INCIDENT_ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/incidents/{id}", None),
    ("GET", "/api/v1/incidents/{id}/timeline", None),
    ("GET", "/api/v1/incidents/{id}/cadence", None),
    ("POST", "/api/v1/incidents/{id}/status", Some(r#"{"status": "investigating"}"#)),
    ("POST", "/api/v1/incidents/{id}/severity", Some(r#"{"severity": "P3"}"#)),
    ("PUT", "/api/v1/incidents/{id}/roles/{role}", Some(r#"{"user_id": null}"#)),
    ("PUT", "/api/v1/incidents/{id}/milestones/{milestone}", Some(r#"{"at": null, "reason": "hijacked"}"#)),
    ("POST", "/api/v1/incidents/{id}/acknowledge", None),
    ("POST", "/api/v1/incidents/{id}/updates", Some(r#"{"what_we_know": "h", "what_we_are_doing": "h"}"#)),
    ("POST", "/api/v1/incidents/{id}/notes", Some(r#"{"text": "hijacked"}"#)),
    ("POST", "/api/v1/incidents/{id}/tickets", Some(r#"{"ticket_id": "00000000-0000-7000-8000-000000000000"}"#)),
    ("GET", "/api/v1/incidents/{id}/review", None),
    ("GET", "/api/v1/incidents/{id}/repeats", None),
    ("PUT", "/api/v1/incidents/{id}/review", Some(r#"{"summary": "hijacked"}"#)),
    ("POST", "/api/v1/incidents/{id}/review/submit", None),
    ("POST", "/api/v1/incidents/{id}/review/approve", None),
    ("POST", "/api/v1/incidents/{id}/review/request-changes", None),
    ("POST", "/api/v1/incidents/{id}/review/publish", None),
    ("GET", "/api/v1/incidents/{id}/actions", None),
    ("PUT", "/api/v1/incidents/{id}/impact-windows", Some(r#"{"windows": [], "reason": "hijacked"}"#)),
    (
        "POST",
        "/api/v1/incidents/{id}/actions",
        Some(
            r#"{"title": "h", "type": "other", "priority": "normal", "due_at": "2030-01-01T00:00:00Z",
                 "owner_id": "00000000-0000-7000-8000-000000000000"}"#,
        ),
    ),
];

#[test]
fn the_incident_route_table_covers_every_incident_route_in_the_router() {
    let routes = routes_in(API_ROUTER, "/api/v1");
    let incident_routes: Vec<&(String, String)> =
        routes.iter().filter(|(_, p)| p.starts_with("/api/v1/incidents/")).collect();
    assert_eq!(incident_routes.len(), INCIDENT_ROUTES.len(), "{incident_routes:?}");
    for (method, path) in incident_routes {
        assert!(
            INCIDENT_ROUTES.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is an incident route missing from INCIDENT_ROUTES"
        );
    }
}

#[tokio::test]
async fn every_incident_route_answers_404_outside_the_scope_and_403_to_roles_that_only_read() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let on_charlie = declare(
            &c,
            &w.admin,
            json!({"title": "Charlie only", "severity": "P2",
                                                       "impacted_account_ids": [w.charlie]}),
        )
        .await;
        let on_alpha = declare(
            &c,
            &w.admin,
            json!({"title": "Alpha too", "severity": "P2",
                                                     "impacted_account_ids": [w.alpha]}),
        )
        .await;
        let snapshot = || async {
            let mut out = Vec::new();
            for incident in [&on_charlie, &on_alpha] {
                let id = incident["id"].as_str().expect("id");
                out.push(c.get(&format!("/api/v1/incidents/{id}"), &w.admin.token).await.expect(200).json());
                out.push(c.get(&format!("/api/v1/incidents/{id}/timeline"), &w.admin.token).await.expect(200).json());
            }
            out
        };
        let before = snapshot().await;
        let call = |route: &(&str, &str, Option<&str>), id: &str, who: &Person| {
            let (method, path, body) = *route;
            let path = path.replace("{id}", id).replace("{role}", "scribe").replace("{milestone}", "detected_at");
            let body: Option<Value> = body.map(|b| serde_json::from_str(b).expect("JSON"));
            let c = &c;
            let token = who.token.clone();
            let method: axum::http::Method = method.parse().expect("method");
            async move { c.api(method, &path, &token, body.as_ref()).await }
        };
        let charlie_id = on_charlie["id"].as_str().expect("id");
        for who in [&w.tam, &w.psm, &w.pam, &w.support, &w.customer] {
            for id in [charlie_id, "not-an-id", &tamhub_domain::ids::IncidentId::new().to_string()] {
                for route in INCIDENT_ROUTES {
                    let response = call(route, id, who).await;
                    let context = format!("[{b}] {:?} {} {} on {id}", who.user.role, route.0, route.1);
                    assert_eq!(response.status.as_u16(), 404, "{context}: {}", response.snippet());
                }
            }
            let listed = c.get("/api/v1/incidents", &who.token).await.expect(200).json();
            let titles: Vec<&str> =
                listed["items"].as_array().expect("items").iter().filter_map(|i| i["title"].as_str()).collect();
            assert_eq!(titles, ["Alpha too"], "[{b}] {:?}", who.user.role);
        }
        // PAMs and customers see Alpha's incident but change nothing.
        let alpha_id = on_alpha["id"].as_str().expect("id");
        for who in [&w.pam, &w.customer] {
            for route in INCIDENT_ROUTES {
                let response = call(route, alpha_id, who).await;
                // Corrective actions are internal work: customers do not read them.
                let internal = route.1.ends_with("/actions") && who.user.role == tamhub_domain::users::Role::Customer;
                let expected = if route.0 == "GET" && !internal { 200 } else { 403 };
                let context = format!("[{b}] {:?} {} {}", who.user.role, route.0, route.1);
                assert_eq!(response.status.as_u16(), expected, "{context}: {}", response.snippet());
            }
        }
        c.post("/api/v1/incidents", &w.customer.token, &json!({"title": "x", "severity": "P3"})).await.expect_error(
            403,
            "forbidden",
            None,
        );
        assert!(before == snapshot().await, "[{b}] a refused request changed an incident");
        for who in [&w.leadership, &w.tam2, &w.support2] {
            let listed = c.get("/api/v1/incidents", &who.token).await.expect(200).json();
            assert!(listed["items"].as_array().expect("items").iter().any(|i| i["title"] == "Charlie only"), "[{b}]");
        }
    }
}

/// The titles of a user's notifications about incidents, oldest first.
async fn incident_notes(c: &Client, who: &Person) -> Vec<String> {
    let notes = c.get("/api/v1/notifications?limit=500", &who.token).await.expect(200).json();
    let mut titles: Vec<String> = notes["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["kind"].as_str().is_some_and(|k| k.starts_with("incident_update")))
        .filter_map(|n| n["title"].as_str().map(str::to_string))
        .collect();
    titles.reverse();
    titles
}

#[tokio::test]
async fn updates_late_and_on_time_give_exactly_the_expected_breaches_notifications_and_compliance() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let incident = declare(
            &c,
            &w.tam,
            json!({"title": "Login failures", "severity": "P1", "impacted_account_ids": [w.alpha],
                   "incident_commander_id": w.tam.id(), "comms_lead_id": w.tam2.id()}),
        )
        .await;
        assert_eq!(incident["next_update_due_at"], "2026-03-02T10:30:00Z", "[{b}] P1: first update in 30 min");
        let id = incident["id"].as_str().expect("id").to_string();
        let path = |suffix: &str| format!("/api/v1/incidents/{id}{suffix}");
        let update = |next: Option<&str>| {
            json!({"what_we_know": "Logins fail for some users", "what_we_are_doing": "Restarting the auth pool",
                   "next_update_at": next})
        };

        set(&t, "2026-03-02T10:20:00Z");
        let updated = c.post(&path("/updates"), &w.tam.token, &update(None)).await.expect(201).json();
        assert_eq!(updated["next_update_due_at"], "2026-03-02T11:20:00Z", "[{b}] then every 60 min");

        // The scanner: the 80 % warning at 11:08, the breach at 11:20, each once.
        set(&t, "2026-03-02T11:10:00Z");
        t.app.sla_scan_once().await.expect("scan");
        set(&t, "2026-03-02T11:25:00Z");
        t.app.sla_scan_once().await.expect("scan");
        t.app.sla_scan_once().await.expect("scan again");
        let expected =
            ["INC-1: customer update due soon (80 % of the interval used)", "INC-1: customer update overdue"];
        assert_eq!(incident_notes(&c, &w.tam).await, expected, "[{b}] the incident lead");
        assert_eq!(incident_notes(&c, &w.tam2).await, expected, "[{b}] the comms lead");
        assert!(incident_notes(&c, &w.support).await.is_empty(), "[{b}]");

        // Late, promising the next one sooner than the cadence; then on time.
        set(&t, "2026-03-02T11:30:00Z");
        let late = c.post(&path("/updates"), &w.tam.token, &update(Some("2026-03-02T11:45:00Z"))).await;
        assert_eq!(
            late.expect(201).json()["next_update_due_at"],
            "2026-03-02T11:45:00Z",
            "[{b}] the promise sets the deadline"
        );
        set(&t, "2026-03-02T11:40:00Z");
        c.post(&path("/updates"), &w.tam.token, &update(None)).await.expect(201);
        // An internal update counts for nothing.
        let internal =
            json!({"visibility": "internal", "what_we_know": "Pool exhausted", "what_we_are_doing": "Tuning"});
        c.post(&path("/updates"), &w.tam.token, &internal).await.expect(201);

        set(&t, "2026-03-02T12:00:00Z");
        let cadence = c.get(&path("/cadence"), &w.customer.token).await.expect(200).json();
        let cycles: Vec<(u64, &str, bool, u64)> = cadence["cycles"]
            .as_array()
            .expect("cycles")
            .iter()
            .map(|c| {
                (
                    c["cycle_no"].as_u64().unwrap_or(0),
                    c["state"].as_str().unwrap_or("?"),
                    c["breached"].as_bool().unwrap_or(false),
                    c["target_seconds"].as_u64().unwrap_or(0) / 60,
                )
            })
            .collect();
        assert_eq!(
            cycles,
            [(1, "met", false, 30), (2, "breached", true, 60), (3, "met", false, 15), (4, "running", false, 60)],
            "[{b}]"
        );
        assert_eq!(cadence["cycles"][0]["metric"], "incident_update", "[{b}]");
        assert_eq!(cadence["cycles"][1]["breached_at"], "2026-03-02T11:20:00Z", "[{b}]");
        assert_eq!((cadence["required_updates"].as_u64(), cadence["on_time"].as_u64()), (Some(3), Some(2)), "[{b}]");
        assert_eq!(cadence["late"], 1, "[{b}]");
        let percent = cadence["compliance_percent"].as_f64().expect("percent");
        assert!((percent - 200.0 / 3.0).abs() < 1e-9, "[{b}] {percent}");

        // R-I3: raised to P0 45 minutes after the last update, with a 30-minute P0 cadence: the
        // open cycle is breached at the change. The change records the warning it crossed; the
        // breach shows a second later (breach is strict, A14) and the scanner records it.
        set(&t, "2026-03-02T12:25:00Z");
        c.post(&path("/severity"), &w.tam.token, &json!({"severity": "P0"})).await.expect(200);
        assert_eq!(incident_notes(&c, &w.tam2).await.len(), 3, "[{b}]");
        set(&t, "2026-03-02T12:25:01Z");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").incidents, 1, "[{b}]");
        let notes = incident_notes(&c, &w.tam2).await;
        assert_eq!(notes.len(), 4, "[{b}] {notes:?}");
        assert_eq!(notes[3], "INC-1: customer update overdue", "[{b}]");
        let cadence = c.get(&path("/cadence"), &w.tam.token).await.expect(200).json();
        assert_eq!(cadence["cycles"][3]["breached_at"], "2026-03-02T12:25:00Z", "[{b}]");

        // Resolved: no update is due any more, and the scanner has nothing to do.
        c.post(&path("/status"), &w.tam.token, &json!({"status": "resolved"})).await.expect(200);
        let resolved = c.get(&path(""), &w.tam.token).await.expect(200).json();
        assert_eq!(resolved["next_update_due_at"], Value::Null, "[{b}]");
        set(&t, "2026-03-02T20:00:00Z");
        let report = t.app.sla_scan_once().await.expect("scan");
        assert_eq!(report.incidents, 0, "[{b}]");
        assert_eq!(incident_notes(&c, &w.tam2).await.len(), 4, "[{b}]");
    }
}

#[tokio::test]
async fn metrics_over_a_period_name_both_endpoints_and_count_what_they_could_not_use() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        // Three incidents on Alpha on 2 March: impact 10, 20 and 0 minutes before declaring;
        // acknowledged after 5, 15 and never; resolved after 60, 120 and never.
        let mut ids = Vec::new();
        for (n, (hour, impact)) in [(9, "08:50"), (12, "11:40"), (15, "15:00")].into_iter().enumerate() {
            set(&t, &format!("2026-03-02T{hour:02}:00:00Z"));
            let body = json!({"title": format!("Incident {n}"), "severity": "P2", "impacted_account_ids": [w.alpha],
                              "impact_started_at": format!("2026-03-02T{impact}:00Z")});
            ids.push(declare(&c, &w.tam, body).await["id"].as_str().expect("id").to_string());
        }
        for (id, ack, resolve) in [(&ids[0], "09:05", Some("10:00")), (&ids[1], "12:15", Some("14:00"))] {
            set(&t, &format!("2026-03-02T{ack}:00Z"));
            c.post(&format!("/api/v1/incidents/{id}/acknowledge"), &w.tam.token, &json!({})).await.expect(200);
            if let Some(at) = resolve {
                set(&t, &format!("2026-03-02T{at}:00Z"));
                c.post(&format!("/api/v1/incidents/{id}/status"), &w.tam.token, &json!({"status": "resolved"}))
                    .await
                    .expect(200);
            }
        }
        // A declined one and a test drill do not count; one on another day is outside the period.
        set(&t, "2026-03-02T16:00:00Z");
        let declined =
            declare(&c, &w.tam, json!({"title": "Noise", "severity": "P3", "impacted_account_ids": [w.alpha]})).await;
        let path = format!("/api/v1/incidents/{}/status", declined["id"].as_str().expect("id"));
        c.post(&path, &w.tam.token, &json!({"status": "declined"})).await.expect(200);
        declare(
            &c,
            &w.tam,
            json!({"title": "Drill", "severity": "P2", "impacted_account_ids": [w.alpha], "test": true}),
        )
        .await;
        set(&t, "2026-03-03T10:00:00Z");
        declare(&c, &w.tam, json!({"title": "Next day", "severity": "P2", "impacted_account_ids": [w.alpha]})).await;

        let report = c
            .get(
                &format!("/api/v1/incident-metrics?from=2026-03-02&to=2026-03-02&account_id={}", w.alpha),
                &w.tam.token,
            )
            .await
            .expect(200)
            .json();
        assert_eq!((report["incidents"].as_u64(), report["excluded"].as_u64()), (Some(3), Some(2)), "[{b}] {report}");
        let metric = |name: &str| {
            report["metrics"].as_array().expect("metrics").iter().find(|m| m["metric"] == name).cloned().expect(name)
        };
        let ack = metric("time_to_acknowledge");
        assert_eq!(ack["label"], "Time to acknowledge (declared → acknowledged)", "[{b}]");
        assert_eq!((ack["n_used"].as_u64(), ack["n_missing"].as_u64()), (Some(2), Some(1)), "[{b}]");
        assert_eq!(ack["mean_seconds"], 600.0, "[{b}] (5 + 15) / 2 minutes");
        let impact = metric("time_to_resolve_impact");
        assert_eq!(impact["label"], "Time to resolve (impact started → resolved)", "[{b}]");
        assert_eq!(impact["median_seconds"], 105.0 * 60.0, "[{b}] 70 and 140 minutes");
        assert_eq!(impact["p90_seconds"], 140 * 60, "[{b}]");
        let declared = metric("time_to_resolve_declared");
        assert_eq!(declared["mean_seconds"], 90.0 * 60.0, "[{b}] 60 and 120 minutes");
        // P2: the first update was due after 4 h; none was posted, so each due one was late.
        assert_eq!(report["update_compliance"]["late"], 1, "[{b}] {}", report["update_compliance"]);

        c.get(&format!("/api/v1/incident-metrics?account_id={}", w.charlie), &w.tam.token).await.expect(404);
        c.get("/api/v1/incident-metrics?from=2026-02-30", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("from"),
        );
        c.get("/api/v1/incident-metrics?from=2026-03-05&to=2026-03-01", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("from"),
        );
        let customer = c.get("/api/v1/incident-metrics?from=2026-03-01&to=2026-03-31", &w.customer.token).await;
        assert_eq!(customer.expect(200).json()["incidents"], 4, "[{b}] the customer's own account");
    }
}

#[tokio::test]
async fn a_major_incident_closes_once_its_review_is_written_approved_and_published() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let incident = declare(
            &c,
            &w.tam,
            json!({"title": "Checkout down", "severity": "P1", "impacted_account_ids": [w.alpha],
                   "incident_commander_id": w.tam.id()}),
        )
        .await;
        let id = incident["id"].as_str().expect("id").to_string();
        let path = |suffix: &str| format!("/api/v1/incidents/{id}{suffix}");
        let review = c.get(&path("/review"), &w.tam.token).await.expect(200).json();
        assert_eq!(
            (review["required"].as_bool(), review["status"].as_str()),
            (Some(true), Some("not_started")),
            "[{b}]"
        );
        assert_eq!(review["due_at"], Value::Null, "[{b}] due only once resolved");

        set(&t, "2026-03-02T11:00:00Z");
        c.post(&path("/status"), &w.tam.token, &json!({"status": "resolved"})).await.expect(200);
        c.post(&path("/status"), &w.tam.token, &json!({"status": "closed"})).await.expect_error(
            422,
            "validation_failed",
            Some("status"),
        );
        let due = c.get(&path("/review"), &w.tam.token).await.expect(200).json()["due_at"].clone();
        let due: tamhub_domain::Timestamp = due.as_str().expect("a due date").parse().expect("instant");
        assert!(due >= "2026-03-07T00:00:00Z".parse().expect("instant"), "[{b}] five business days later: {due}");

        // A draft missing its essentials is not submitted; bad content is refused by name.
        c.put(&path("/review"), &w.tam.token, &json!({"summary": "Checkout failed", "owner_id": w.tam.id()}))
            .await
            .expect(200);
        c.post(&path("/review/submit"), &w.tam.token, &json!({})).await.expect_error(
            422,
            "validation_failed",
            Some("contributing_factors"),
        );
        c.put(&path("/review"), &w.tam.token, &json!({"users_affected": -3})).await.expect_error(
            422,
            "validation_failed",
            Some("users_affected"),
        );
        c.put(&path("/review"), &w.tam.token, &json!({"approver_ids": [w.customer.id()]})).await.expect_error(
            422,
            "validation_failed",
            Some("approver_ids[0]"),
        );
        let content = json!({
            "owner_id": w.tam.id(), "approver_ids": [w.leadership.id()], "summary": "Checkout failed for 60 minutes",
            "fault": "A removed health check path", "users_affected": 1200,
            "contributing_factors": [{"kind": "proximate", "text": "LB change"}, {"kind": "root", "text": "No config checks"}],
            "root_cause_category": "Configuration change",
            "went_well": ["Fast rollback"], "customer_facing_rca": "A configuration change made checkout fail; we added checks."
        });
        c.put(&path("/review"), &w.tam.token, &content).await.expect(200);
        let submitted = c.post(&path("/review/submit"), &w.tam.token, &json!({})).await.expect(200).json();
        assert_eq!(submitted["status"], "in_review", "[{b}]");
        c.post(&path("/review/approve"), &w.tam.token, &json!({})).await.expect_error(
            422,
            "validation_failed",
            Some("approver_ids"),
        );
        // The customer sees nothing of it until it is published.
        let hidden = c.get(&path("/review"), &w.customer.token).await.expect(200).json();
        assert_eq!((hidden["status"].as_str(), &hidden["content"]), (Some("not_started"), &Value::Null), "[{b}]");

        set(&t, "2026-03-04T09:00:00Z");
        let approved = c.post(&path("/review/approve"), &w.leadership.token, &json!({})).await.expect(200).json();
        assert_eq!(approved["status"], "approved", "[{b}]");
        let incident = c.get(&path(""), &w.tam.token).await.expect(200).json();
        assert_eq!(incident["milestones"]["postmortem_completed_at"], "2026-03-04T09:00:00Z", "[{b}]");
        let notes = c.get("/api/v1/notifications", &w.tam.token).await.expect(200).json();
        let titles: Vec<&str> =
            notes["items"].as_array().expect("items").iter().filter_map(|n| n["title"].as_str()).collect();
        assert!(titles.contains(&"INC-1: post-incident review approved"), "[{b}] {titles:?}");
        c.put(&path("/review"), &w.tam.token, &content).await.expect_error(422, "validation_failed", Some("status"));

        c.post(&path("/review/publish"), &w.tam.token, &json!({})).await.expect(200);
        let public = c.get(&path("/review"), &w.customer.token).await.expect(200).json();
        assert_eq!(public["status"], "published", "[{b}]");
        assert_eq!(
            public["customer_facing_rca"], "A configuration change made checkout fail; we added checks.",
            "[{b}]"
        );
        assert_eq!(public["content"], Value::Null, "[{b}] the internal review stays internal");
        let timeline = c.get(&path("/timeline"), &w.tam.token).await.expect(200).json();
        let states: Vec<&str> = timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["kind"] == "postmortem_state_changed")
            .filter_map(|e| e["status"].as_str())
            .collect();
        assert_eq!(states, ["in_review", "approved", "published"], "[{b}]");
        c.post(&path("/status"), &w.tam.token, &json!({"status": "closed"})).await.expect(200);
    }
}

#[tokio::test]
async fn incidents_with_the_same_root_cause_and_service_across_accounts_are_repeats() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let review = |category: &str| json!({"owner_id": w.tam.id(), "root_cause_category": category, "summary": "s"});
        // Three incidents on three accounts with the same cause and service, one of them 100
        // days later; one with another cause; one with another service.
        let mut ids = Vec::new();
        for (day, account, service, category) in [
            ("2026-01-05", w.alpha, "checkout-api", "Capacity"),
            ("2026-02-10", w.bravo, "checkout-api", "capacity"),
            ("2026-03-01", w.charlie, "Checkout-API", "Capacity"),
            ("2026-06-15", w.alpha, "checkout-api", "Capacity"),
            ("2026-02-11", w.alpha, "checkout-api", "Code change"),
            ("2026-02-12", w.bravo, "search", "Capacity"),
        ] {
            set(&t, &format!("{day}T10:00:00Z"));
            let body = json!({"title": format!("{service} on {day}"), "severity": "P2", "impacted_account_ids": [account],
                              "impacted_services": [service]});
            let id = declare(&c, &w.admin, body).await["id"].as_str().expect("id").to_string();
            c.put(&format!("/api/v1/incidents/{id}/review"), &w.admin.token, &review(category)).await.expect(200);
            ids.push(id);
        }
        let titles = |body: &Value| -> Vec<String> {
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["title"].as_str().unwrap_or("?").to_string())
                .collect()
        };
        let repeats = c.get(&format!("/api/v1/incidents/{}/repeats", ids[1]), &w.admin.token).await.expect(200).json();
        assert_eq!(repeats["root_cause_category"], "Capacity", "[{b}] in the taxonomy's spelling");
        assert_eq!(repeats["window_days"], 90, "[{b}]");
        assert_eq!(titles(&repeats), ["Checkout-API on 2026-03-01", "checkout-api on 2026-01-05"], "[{b}]");
        let first = c.get(&format!("/api/v1/incidents/{}/repeats", ids[0]), &w.admin.token).await.expect(200).json();
        assert_eq!(
            titles(&first),
            ["Checkout-API on 2026-03-01", "checkout-api on 2026-02-10"],
            "[{b}] June is 161 days on"
        );
        // A TAM sees only the repeats on accounts of their scope (alpha and bravo, not charlie).
        let tam = c.get(&format!("/api/v1/incidents/{}/repeats", ids[1]), &w.tam.token).await.expect(200).json();
        assert_eq!(titles(&tam), ["checkout-api on 2026-01-05"], "[{b}]");
        let none = c.get(&format!("/api/v1/incidents/{}/repeats", ids[5]), &w.admin.token).await.expect(200).json();
        assert!(titles(&none).is_empty(), "[{b}] no other incident on search");

        // Problem management: the chain of three on checkout-api, across three accounts.
        let problems = c.get("/api/v1/problems", &w.admin.token).await.expect(200).json();
        let items = problems["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "[{b}] {problems}");
        assert_eq!(
            (items[0]["root_cause_category"].as_str(), items[0]["service"].as_str()),
            (Some("Capacity"), Some("Checkout-API"))
        );
        assert_eq!(
            titles(&json!({"items": items[0]["incidents"]})),
            ["checkout-api on 2026-01-05", "checkout-api on 2026-02-10", "Checkout-API on 2026-03-01"],
            "[{b}]"
        );
        assert_eq!(items[0]["accounts"].as_array().map(Vec::len), Some(3), "[{b}]");
        // A TAM's view is made of what they may see: two incidents, on their accounts.
        let theirs = c.get("/api/v1/problems", &w.tam.token).await.expect(200).json();
        assert_eq!(titles(&json!({"items": theirs["items"][0]["incidents"]})).len(), 2, "[{b}] {theirs}");
        let charlie_path = format!("/api/v1/problems?account_id={}", w.charlie);
        let on_charlie = c.get(&charlie_path, &w.tam.token).await.expect(200).json();
        assert_eq!(on_charlie["items"], json!([]), "[{b}]");
        c.get("/api/v1/problems?account_id=x", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("account_id"),
        );
        c.get("/api/v1/problems", &w.customer.token).await.expect_error(403, "forbidden", None);
    }
}

#[tokio::test]
async fn recorded_impact_windows_make_customer_impact_their_union() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let body = json!({"title": "Flapping checkout", "severity": "P2", "impacted_account_ids": [w.alpha],
                          "impact_started_at": "2026-03-02T09:30:00Z"});
        let id = declare(&c, &w.tam, body).await["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/incidents/{id}/impact-windows");
        set(&t, "2026-03-02T12:00:00Z");
        c.post(&format!("/api/v1/incidents/{id}/status"), &w.tam.token, &json!({"status": "resolved"}))
            .await
            .expect(200);
        let before = c.get(&format!("/api/v1/incidents/{id}/timeline"), &w.tam.token).await.expect(200).json();
        let bad = json!({"windows": [{"start": "2026-03-02T09:00:00Z", "end": "2026-03-02T09:45:00Z"},
                                     {"start": "2026-03-02T11:00:00Z", "end": "2026-03-02T10:50:00Z"},
                                     {"start": "2026-03-02T11:30:00Z", "end": "2026-03-02T13:00:00Z"}], "reason": ""});
        let refused = c.put(&path, &w.tam.token, &bad).await.expect_error(422, "validation_failed", None);
        for field in ["windows[0].start", "windows[1].end", "windows[2].end", "reason"] {
            assert!(refused["error"]["fields"][field].is_string(), "[{b}] {field}: {refused}");
        }
        let after = c.get(&format!("/api/v1/incidents/{id}/timeline"), &w.tam.token).await.expect(200).json();
        assert_eq!(before, after, "[{b}] nothing written");
        c.put(&path, &w.pam.token, &json!({"windows": [], "reason": "x"})).await.expect_error(403, "forbidden", None);

        // 09:30-10:00 and 09:50-10:20 overlap (50 minutes); 11:00-11:15 apart: 65 minutes.
        let good = json!({"windows": [{"start": "2026-03-02T11:00:00Z", "end": "2026-03-02T11:15:00Z"},
                                      {"start": "2026-03-02T09:30:00Z", "end": "2026-03-02T10:00:00Z"},
                                      {"start": "2026-03-02T09:50:00Z", "end": "2026-03-02T10:20:00Z"}],
                          "reason": "The error-rate graph shows two bursts"});
        let saved = c.put(&path, &w.tam.token, &good).await.expect(200).json();
        assert_eq!(saved["impact_windows"][0]["start"], "2026-03-02T09:30:00Z", "[{b}] in order");
        let timeline = c.get(&format!("/api/v1/incidents/{id}/timeline"), &w.tam.token).await.expect(200).json();
        assert!(
            timeline["items"].as_array().expect("items").iter().any(|e| e["kind"] == "impact_windows_set"),
            "[{b}]"
        );
        let report =
            c.get("/api/v1/incident-metrics?from=2026-03-02&to=2026-03-02", &w.tam.token).await.expect(200).json();
        let metric = |name: &str| {
            report["metrics"].as_array().expect("metrics").iter().find(|m| m["metric"] == name).cloned().expect(name)
        };
        assert_eq!(metric("customer_impact_seconds")["mean_seconds"], 65.0 * 60.0, "[{b}] {report}");
        assert_eq!(
            metric("time_to_resolve_impact")["mean_seconds"],
            150.0 * 60.0,
            "[{b}] still impact start → resolved"
        );
    }
}
