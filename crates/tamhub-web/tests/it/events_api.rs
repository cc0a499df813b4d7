//! Event readiness and quotas through the API: the 14/30-day rules at their boundaries in the
//! account's time zone (Berlin), the override reason, bad windows; quota checks flagging exactly
//! the quotas an event would exceed; unusual usage confirmed; threshold and checklist notices.

use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

fn event(start: &str, end: &str) -> Value {
    json!({"title": "Spring sale", "kind": "peak_traffic", "starts_at": start, "ends_at": end, "load_multiplier": 3})
}

#[tokio::test]
async fn the_lead_time_rules_hold_at_their_boundaries_in_the_accounts_zone() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        // 23:30 on 1 March in Berlin.
        set(&t, "2026-03-01T22:30:00Z");
        let path = format!("/api/v1/accounts/{}/events", w.alpha);
        // 14 March 23:30 Berlin: 13 local days ahead → refused, nothing written.
        let thirteen = event("2026-03-14T22:30:00Z", "2026-03-16T22:30:00Z");
        let refused =
            c.post(&path, &w.tam.token, &thirteen).await.expect_error(422, "validation_failed", Some("starts_at"));
        assert!(refused["error"]["fields"]["starts_at"].as_str().unwrap().contains("13 days ahead"), "[{b}] {refused}");
        assert_eq!(c.get(&path, &w.tam.token).await.json()["items"].as_array().map(Vec::len), Some(0), "[{b}]");
        // With an override reason it is registered, warned, and the reason kept.
        let mut overridden = thirteen.clone();
        overridden["lead_time_override"] = json!("Launch moved up by the board");
        let saved = c.post(&path, &w.tam.token, &overridden).await.expect(201).json();
        assert_eq!((saved["lead_days"].as_i64(), saved["warning"].is_string()), (Some(13), true), "[{b}]");
        // 15 March 00:30 Berlin: 14 days → allowed with a warning; 31 March 00:30: 30 days → no warning.
        let fourteen = c
            .post(&path, &w.tam.token, &event("2026-03-14T23:30:00Z", "2026-03-15T23:30:00Z"))
            .await
            .expect(201)
            .json();
        assert_eq!((fourteen["lead_days"].as_i64(), fourteen["warning"].is_string()), (Some(14), true), "[{b}]");
        let twenty_nine = c
            .post(&path, &w.tam.token, &event("2026-03-30T21:30:00Z", "2026-03-31T21:30:00Z"))
            .await
            .expect(201)
            .json();
        assert_eq!((twenty_nine["lead_days"].as_i64(), twenty_nine["warning"].is_string()), (Some(29), true), "[{b}]");
        let thirty = c
            .post(&path, &w.tam.token, &event("2026-03-30T22:30:00Z", "2026-03-31T22:30:00Z"))
            .await
            .expect(201)
            .json();
        assert_eq!((thirty["lead_days"].as_i64(), thirty["warning"].is_null()), (Some(30), true), "[{b}]");
        assert_eq!(thirty["checklist"].as_array().map(Vec::len), Some(5), "[{b}]");
        assert_eq!(thirty["checklist"][0]["due_on"], "2026-03-10", "[{b}] architecture review 21 local days before");

        // Bad windows and kinds are refused by field.
        c.post(&path, &w.tam.token, &event("2026-05-02T10:00:00Z", "2026-05-01T10:00:00Z")).await.expect_error(
            422,
            "validation_failed",
            Some("ends_at"),
        );
        let mut bad_kind = event("2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z");
        bad_kind["kind"] = json!("party");
        c.post(&path, &w.tam.token, &bad_kind).await.expect_error(422, "validation_failed", Some("kind"));

        // Readiness and the post-event review.
        let id = thirty["id"].as_str().unwrap().to_string();
        let ticked = c
            .patch(
                &format!("/api/v1/events/{id}"),
                &w.tam.token,
                &json!({"checklist": {"quota_check": {"done": true, "note": "All quotas checked"}}, "version": 1}),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(ticked["readiness_pct"], 20.0, "[{b}]");
        c.patch(&format!("/api/v1/events/{id}"), &w.tam.token, &json!({"review": {"went_well": "No errors"}}))
            .await
            .expect_error(422, "validation_failed", Some("review"));

        // Overdue checklist items are reminded once, to both TAMs.
        set(&t, "2026-03-11T08:00:00Z");
        let first = t.app.sla_scan_once().await.expect("scan");
        assert!(first.event_reminders >= 2, "[{b}] {first:?}");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").event_reminders, 0, "[{b}] once");
        let notes = c.get("/api/v1/notifications", &w.tam2.token).await.json();
        assert!(notes["items"].as_array().unwrap().iter().any(|n| n["kind"] == "event_checklist_overdue"), "[{b}]");

        // Customers and other portfolios do not read event plans.
        c.get(&path, &w.customer.token).await.expect_error(403, "forbidden", None);
        c.get(&format!("/api/v1/events/{id}"), &w.support2.token).await.expect_error(404, "not_found", None);
    }
}

#[tokio::test]
async fn quota_checks_flag_exactly_the_quotas_an_event_would_exceed() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        let quotas = format!("/api/v1/accounts/{}/quotas", w.alpha);
        let quota = |name: &str, limit: f64, usage: f64| json!({"service": "EC2", "name": name, "region": "eu-central-1", "limit": limit, "usage": usage});
        c.post(&quotas, &w.tam.token, &quota("vCPUs", 100.0, 1_500.0)).await.expect_error(
            422,
            "validation_failed",
            Some("usage"),
        );
        let mut confirmed = quota("Elastic IPs", 5.0, 60.0);
        confirmed["confirm_unusual_usage"] = json!(true);
        c.post(&quotas, &w.tam.token, &confirmed).await.expect(201);
        // 40 × 2.5 = 100: at the limit, not above it; 41 × 2.5 = 102.5: above.
        c.post(&quotas, &w.tam.token, &quota("vCPUs", 100.0, 40.0)).await.expect(201);
        let over = c.post(&quotas, &w.tam.token, &quota("Load balancers", 100.0, 41.0)).await.expect(201).json();
        c.post(&quotas, &w.tam.token, &json!({"service": "EC2", "name": "Zero", "limit": 0})).await.expect_error(
            422,
            "validation_failed",
            Some("limit"),
        );

        let events = format!("/api/v1/accounts/{}/events", w.alpha);
        let mut sale = event("2026-04-10T08:00:00Z", "2026-04-12T08:00:00Z");
        sale["load_multiplier"] = json!(2.5);
        let saved = c.post(&events, &w.tam.token, &sale).await.expect(201).json();
        let flagged: Vec<&str> =
            saved["quota_risks"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap()).collect();
        assert_eq!(flagged, ["Elastic IPs", "Load balancers"], "[{b}] {saved}");
        assert_eq!(saved["quota_risks"][1]["projected"], 102.5, "[{b}]");
        let list = c.get(&quotas, &w.tam.token).await.json();
        let lb = list["items"].as_array().unwrap().iter().find(|q| q["id"] == over["id"]).unwrap();
        assert_eq!(lb["events_exceeding"][0]["title"], "Spring sale", "[{b}]");

        // Crossing the 80 % threshold tells the other TAM once; an approved increase raises the limit.
        let id = over["id"].as_str().unwrap();
        let hot = c
            .patch(&format!("/api/v1/quotas/{id}"), &w.tam.token, &json!({"usage": 85, "version": 1}))
            .await
            .expect(200)
            .json();
        assert_eq!(
            (hot["utilisation_pct"].as_f64(), hot["over_threshold"].as_bool()),
            (Some(85.0), Some(true)),
            "[{b}]"
        );
        c.patch(&format!("/api/v1/quotas/{id}"), &w.tam.token, &json!({"usage": 90})).await.expect(200);
        let notes = c.get("/api/v1/notifications", &w.tam2.token).await.json();
        let alerts = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "quota_threshold" && n["title"].as_str().unwrap().contains("Load balancers"))
            .count();
        assert_eq!(alerts, 1, "[{b}] once while over");
        c.patch(&format!("/api/v1/quotas/{id}"), &w.tam.token, &json!({"increase_request": {"requested_limit": 50}}))
            .await
            .expect_error(422, "validation_failed", Some("increase_request.requested_limit"));
        let approved = c
            .patch(
                &format!("/api/v1/quotas/{id}"),
                &w.tam.token,
                &json!({"increase_request": {"requested_limit": 400, "state": "approved", "case_ref": "CASE-123"}}),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(
            (approved["limit"].as_f64(), approved["over_threshold"].as_bool()),
            (Some(400.0), Some(false)),
            "[{b}]"
        );
        c.get(&quotas, &w.customer.token).await.expect_error(403, "forbidden", None);
    }
}
