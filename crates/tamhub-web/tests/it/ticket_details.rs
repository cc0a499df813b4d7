//! `/api/v1/tickets` behaviour the pages rely on: the `done` status filter, and descriptions an
//! agent kept internal stay hidden from customers wherever a ticket is returned.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

#[tokio::test]
async fn a_description_kept_internal_is_blank_for_customers_everywhere() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let body = json!({"account_id": w.alpha, "title": "Internal", "description": "Root cause: our bad deploy",
            "priority": "low", "public": false});
        let ticket = c.post("/api/v1/tickets", &w.tam.token, &body).await.expect(201).json();
        let id = ticket["id"].as_str().expect("id").to_string();
        let shown = c.get(&format!("/api/v1/tickets/{id}"), &w.customer.token).await.expect(200).json();
        assert_eq!(shown["description"], "", "[{b}] show");
        let listed = c.get("/api/v1/tickets", &w.customer.token).await.expect(200).json();
        assert_eq!(listed["items"][0]["description"], "", "[{b}] list");
        let reply = json!({"kind": "comment", "body": "Any news?"});
        let replied =
            c.post(&format!("/api/v1/tickets/{id}/events"), &w.customer.token, &reply).await.expect(201).json();
        assert_eq!(replied["ticket"]["description"], "", "[{b}] the ticket after a reply");
        let staff = c.get(&format!("/api/v1/tickets/{id}"), &w.tam.token).await.expect(200).json();
        assert_eq!(staff["description"], "Root cause: our bad deploy", "[{b}] staff see it");
    }
}

#[tokio::test]
async fn the_done_filter_lists_solved_and_closed_tickets() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let mut ids = Vec::new();
        for (title, status) in [("Solved one", Some("solved")), ("Closed one", Some("closed")), ("Open one", None)] {
            let body = json!({"account_id": w.alpha, "title": title, "priority": "low"});
            let ticket = c.post("/api/v1/tickets", &w.tam.token, &body).await.expect(201).json();
            let id = ticket["id"].as_str().expect("id").to_string();
            if let Some(status) = status {
                c.patch(&format!("/api/v1/tickets/{id}"), &w.tam.token, &json!({"status": status})).await.expect(200);
            }
            ids.push(id);
        }
        let done = c.get("/api/v1/tickets?status=done", &w.tam.token).await.expect(200).json();
        let mut titles: Vec<&str> =
            done["items"].as_array().expect("items").iter().filter_map(|i| i["title"].as_str()).collect();
        titles.sort();
        assert_eq!(titles, vec!["Closed one", "Solved one"], "[{b}]");
        c.get("/api/v1/tickets?status=finished", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("status"),
        );
    }
}

#[tokio::test]
async fn an_alert_raised_when_a_ticket_is_opened_is_not_titled_with_number_zero() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        // A one-minute target is inside the 15-minute warning window from the first instant.
        let policy = json!({"name": "Fast", "position": 0, "targets": [
            {"metric": "first_response", "priority": "low", "seconds": 60, "hours": "calendar", "calendar": "24x7"}]});
        c.post("/api/v1/sla-policies", &w.admin.token, &policy).await.expect(201);
        let body = json!({"account_id": w.alpha, "title": "Quick", "priority": "low", "assignee_id": w.tam.id()});
        c.post("/api/v1/tickets", &w.tam.token, &body).await.expect(201);
        let list = c.get("/api/v1/notifications", &w.tam.token).await.expect(200).json();
        let titles: Vec<&str> =
            list["items"].as_array().expect("items").iter().filter_map(|n| n["title"].as_str()).collect();
        assert!(!titles.is_empty(), "[{b}] the warning was notified");
        assert!(titles.iter().all(|t| !t.starts_with("#0 ")), "[{b}] {titles:?}");
    }
}
