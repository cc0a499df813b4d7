//! `/api/v1/tickets`: the section 1.9 record of `GET /tickets/{id}/sla`, the life of a ticket
//! through the API, list filters, pages and totals, and the OpenAPI document.

use std::collections::HashSet;

use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{As, Client, World, open_ticket};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

/// The cycle of `metric` (number `n`) in a `/sla` answer.
fn cycle<'a>(sla: &'a Value, metric: &str, n: u64) -> &'a Value {
    sla["cycles"]
        .as_array()
        .expect("cycles")
        .iter()
        .find(|c| c["metric"] == metric && c["cycle_no"] == n)
        .unwrap_or_else(|| panic!("no {metric} cycle {n} in {sla}"))
}

#[tokio::test]
async fn the_sla_of_a_ticket_answers_every_field_of_the_section_1_9_record() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let policy = c.get("/api/v1/sla-policies", &w.admin.token).await.expect(200).json()["items"][0]["id"].clone();
        let calendar = c.get("/api/v1/settings/default-calendar", &w.admin.token).await.expect(200).json();
        let calendar = calendar["calendar_id"].clone();
        let ticket = open_ticket(&c, &w.customer.token, None, "high", "Checkout fails").await;
        let path = format!("/api/v1/tickets/{}/sla", ticket["id"].as_str().expect("id"));

        set(&t, "2026-03-02T12:50:00Z");
        let sla = c.get(&path, &w.customer.token).await.expect(200).json();
        assert_eq!(sla["ticket_id"], ticket["id"], "[{b}]");
        assert_eq!(sla["evaluated_at"], "2026-03-02T12:50:00Z", "[{b}]");
        let frt = cycle(&sla, "first_response", 1);
        let expected = json!({
            "metric": "first_response",
            "cycle_no": 1,
            "policy_id": policy,
            "priority": "high",
            "target_seconds": 14_400,
            "hours": "business",
            "calendar_id": calendar,
            "started_at": "2026-03-02T09:00:00Z",
            "stopped_at": null,
            "state": "running",
            "breached": false,
            "breached_at": null,
            "due_at": "2026-03-02T13:00:00Z",
            "elapsed_seconds": 13_800,
            "remaining_business_seconds": 600,
            "remaining_calendar_seconds": 600,
            "paused_seconds_calendar": 0,
            "warnings": [
                {"kind": "percent", "threshold": 75, "at": "2026-03-02T12:00:00Z"},
                {"kind": "remaining", "threshold": 900, "at": "2026-03-02T12:45:00Z"}
            ],
            "badge": "amber"
        });
        assert_eq!(frt, &expected, "[{b}]");
        let resolution = cycle(&sla, "resolution", 1);
        assert_eq!(resolution["target_seconds"], 86_400, "[{b}] three business days");
        assert_eq!(resolution["due_at"], "2026-03-04T17:00:00Z", "[{b}]");
        assert_eq!(resolution["remaining_business_seconds"], 86_400 - 13_800, "[{b}]");
        assert_eq!(resolution["remaining_calendar_seconds"], 52 * 3600 + 600, "[{b}] Monday 12:50 to Wednesday 17:00");
        assert_eq!(
            (resolution["badge"].as_str(), resolution["warnings"].as_array().map(Vec::len)),
            (Some("green"), Some(0))
        );

        // Past the deadline, then answered: breached at the deadline, never met.
        set(&t, "2026-03-02T13:20:00Z");
        let frt = cycle(&c.get(&path, &w.tam.token).await.expect(200).json(), "first_response", 1).clone();
        assert_eq!((frt["state"].as_str(), frt["breached"].as_bool()), (Some("running"), Some(true)), "[{b}]");
        assert_eq!((frt["breached_at"].as_str(), frt["badge"].as_str()), (Some("2026-03-02T13:00:00Z"), Some("red")));
        assert_eq!(frt["remaining_business_seconds"], -1200, "[{b}]");
        let events = path.replace("/sla", "/events");
        c.post(&events, &w.tam.token, &json!({"kind": "comment", "body": "Fixed", "status": "pending"}))
            .await
            .expect(201);
        set(&t, "2026-03-02T14:20:00Z");
        let sla = c.get(&path, &w.tam.token).await.expect(200).json();
        let frt = cycle(&sla, "first_response", 1);
        assert_eq!(
            (frt["state"].as_str(), frt["stopped_at"].as_str()),
            (Some("breached"), Some("2026-03-02T13:20:00Z"))
        );
        assert_eq!((frt["elapsed_seconds"].as_i64(), frt["badge"].is_null()), (Some(15_600), true), "[{b}]");
        let resolution = cycle(&sla, "resolution", 1);
        assert_eq!((resolution["state"].as_str(), resolution["badge"].as_str()), (Some("paused"), Some("grey")));
        assert_eq!(
            (resolution["due_at"].is_null(), resolution["paused_seconds_calendar"].as_i64()),
            (true, Some(3600))
        );
        let alerts = c.get(&format!("{path}/alerts"), &w.tam.token).await.expect(200).json();
        let kinds: Vec<&str> = alerts.as_array().expect("alerts").iter().filter_map(|a| a["kind"].as_str()).collect();
        assert_eq!(kinds, ["warning_percent", "warning_remaining", "breach"], "[{b}] {alerts}");
        assert_eq!(alerts[2]["at"], "2026-03-02T13:00:00Z", "[{b}]");
    }
}

#[tokio::test]
async fn a_ticket_is_opened_changed_and_answered_through_the_api_and_customers_see_no_private_notes() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let ticket = open_ticket(&c, &w.customer.token, None, "medium", "Slow search").await;
        assert_eq!(ticket["account_id"], json!(w.alpha), "[{b}] a customer's own account");
        assert_eq!((ticket["status"].as_str(), ticket["requester_id"].clone()), (Some("new"), json!(w.customer.id())));
        assert!(ticket["number"].as_i64().is_some_and(|n| n > 0), "[{b}] {ticket}");
        let id = ticket["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/tickets/{id}");
        assert_eq!(c.get(&path, &w.support.token).await.expect(200).json(), ticket, "[{b}]");

        let patch = json!({"priority": "high", "assignee_id": w.support.id(), "ticket_type": "incident"});
        let changed = c.patch(&path, &w.tam.token, &patch).await.expect(200).json();
        assert_eq!((changed["priority"].as_str(), changed["ticket_type"].as_str()), (Some("high"), Some("incident")));
        assert_eq!(changed["assignee_id"], json!(w.support.id()), "[{b}]");

        let note = json!({"kind": "comment", "body": "Internal: customer is on v1", "public": false});
        let created = c.post(&format!("{path}/events"), &w.support.token, &note).await.expect(201).json();
        assert_eq!(created["events"][0]["kind"], "comment", "[{b}]");
        assert_eq!(
            (created["events"][0]["public"].as_bool(), created["events"][0]["author"].as_str()),
            (Some(false), Some("agent"))
        );
        let reply = json!({"kind": "comment", "body": "Please upgrade", "status": "pending"});
        let created = c.post(&format!("{path}/events"), &w.support.token, &reply).await.expect(201).json();
        assert_eq!(created["ticket"]["status"], "pending", "[{b}]");
        let kinds: Vec<&str> =
            created["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["comment", "status_changed"], "[{b}]");
        let back =
            c.post(&format!("{path}/events"), &w.customer.token, &json!({"kind": "comment", "body": "Done"})).await;
        assert_eq!(back.expect(201).json()["ticket"]["status"], "open", "[{b}] the customer's reply reopens it");

        let staff = c.get(&format!("{path}/events"), &w.tam.token).await.expect(200).json();
        let customer = c.get(&format!("{path}/events"), &w.customer.token).await.expect(200).json();
        let count = |v: &Value| v["items"].as_array().map(Vec::len).unwrap_or_default();
        assert_eq!(count(&customer) + 1, count(&staff), "[{b}] all but the note");
        assert!(!customer.to_string().contains("Internal"), "[{b}] {customer}");
        assert!(staff.to_string().contains("Internal"), "[{b}]");
        let seqs: Vec<i64> =
            staff["items"].as_array().expect("items").iter().filter_map(|e| e["seq"].as_i64()).collect();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "[{b}] the log in seq order");
        let page = c.get(&format!("{path}/events?limit=2"), &w.tam.token).await.expect(200).json();
        let cursor = page["next_cursor"].as_str().expect("more entries").to_string();
        let rest = c.get(&format!("{path}/events?limit=500&cursor={cursor}"), &w.tam.token).await.expect(200).json();
        assert_eq!(count(&page) + count(&rest), count(&staff), "[{b}]");
        assert!(rest["next_cursor"].is_null(), "[{b}]");
    }
}

#[tokio::test]
async fn the_ticket_list_pages_with_cursors_counts_its_total_and_filters_within_the_scope() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let mut opened = Vec::new();
        for (i, priority) in ["critical", "high", "medium", "low", "high", "medium", "low"].into_iter().enumerate() {
            let ticket = open_ticket(&c, &w.admin.token, Some(w.alpha), priority, &format!("Alpha {i}")).await;
            opened.push(ticket["id"].as_str().expect("id").to_string());
        }
        open_ticket(&c, &w.admin.token, Some(w.charlie), "high", "Charlie 100%").await;

        let mut seen = Vec::new();
        let mut path = "/api/v1/tickets?account_id=".to_string() + &w.alpha.to_string() + "&limit=3";
        for page_no in 0.. {
            let page = c.get(&path, &w.tam.token).await.expect(200).json();
            assert_eq!(page["total"], 7, "[{b}] page {page_no}");
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= 3, "[{b}]");
            for item in items {
                seen.push(item["id"].as_str().expect("id").to_string());
                assert_eq!(item["account_name"], "Alpha Analytics", "[{b}]");
                assert!(item["sla"]["due_at"].is_string(), "[{b}] every new ticket has a running clock: {item}");
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/tickets?account_id={}&limit=3&cursor={cursor}", w.alpha),
                None => break,
            }
        }
        assert_eq!(seen.len(), 7, "[{b}] {seen:?}");
        assert_eq!(seen.iter().collect::<HashSet<_>>(), opened.iter().collect::<HashSet<_>>(), "[{b}]");
        // The default order is what breaches next: the critical ticket is due first.
        assert_eq!(seen[0], opened[0], "[{b}]");

        let total = |path: &str, token: &str| {
            let c = &c;
            let path = path.to_string();
            let token = token.to_string();
            async move { c.get(&path, &token).await.expect(200).json()["total"].as_u64().expect("total") }
        };
        assert_eq!(total("/api/v1/tickets", &w.tam.token).await, 7, "[{b}] the TAM does not see charlie");
        assert_eq!(total("/api/v1/tickets", &w.leadership.token).await, 8, "[{b}]");
        assert_eq!(total("/api/v1/tickets", &w.customer.token).await, 7, "[{b}]");
        assert_eq!(total("/api/v1/tickets?priority=high", &w.admin.token).await, 3, "[{b}]");
        assert_eq!(total("/api/v1/tickets?q=100%25", &w.admin.token).await, 1, "[{b}]");
        assert_eq!(total("/api/v1/tickets?unassigned=true", &w.admin.token).await, 8, "[{b}]");
        assert_eq!(total("/api/v1/tickets?assignee=me", &w.admin.token).await, 0, "[{b}]");
        let first = &opened[0];
        let solved = json!({"kind": "status_changed", "to": "solved"});
        c.post(&format!("/api/v1/tickets/{first}/events"), &w.tam.token, &solved).await.expect(201);
        assert_eq!(total("/api/v1/tickets", &w.admin.token).await, 7, "[{b}] open by default");
        assert_eq!(total("/api/v1/tickets?status=all", &w.admin.token).await, 8, "[{b}]");
        assert_eq!(total("/api/v1/tickets?status=solved", &w.admin.token).await, 1, "[{b}]");
        let by_number = c.get("/api/v1/tickets?sort=-number&status=all", &w.admin.token).await.expect(200).json();
        let numbers: Vec<i64> =
            by_number["items"].as_array().expect("items").iter().filter_map(|i| i["number"].as_i64()).collect();
        assert!(numbers.windows(2).all(|p| p[0] > p[1]), "[{b}] {numbers:?}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_of_the_api_router() {
    let t = TestApp::sqlite().await;
    let c = Client::new(&t);
    let doc = c.page(axum::http::Method::GET, "/api/v1/openapi.json", As::Anonymous, None).await;
    let doc = doc.expect(200).json();
    let paths = doc["paths"].as_object().expect("paths");
    let routes = crate::access::routes_in(crate::access::API_ROUTER, "/api/v1");
    assert!(routes.len() >= 45, "the router parse found only {} routes", routes.len());
    for (method, path) in routes.iter().filter(|(_, p)| p != "/api/v1/openapi.json") {
        assert!(
            paths.get(path).is_some_and(|p| p[method.to_lowercase()].is_object()),
            "{method} {path} is routed but missing from the OpenAPI document"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in ["CycleOut", "TicketSlaOut", "TicketOut", "CalendarOut", "PolicyOut", "NotificationOut"] {
        assert!(schemas.contains_key(schema), "{schema} missing from the components");
    }
}
