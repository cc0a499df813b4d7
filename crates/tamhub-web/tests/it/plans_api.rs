//! Success plans and the risk register through the API: objectives without a measurable target
//! refused by field with nothing written, status from progress against time, versions, plan
//! actions in the one action model, the customer's read-only view of shared plans; risks refused
//! outside 1-5, a mitigation that is an action, the heat map, scope, and the health measure.

use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

fn plan_body(shared: bool) -> Value {
    json!({
        "title": "Onboarding 30/60/90",
        "summary": "Move checkout to the managed database and cut incident volume.",
        "starts_on": "2026-03-01",
        "shared_with_customer": shared,
        "objectives": [
            {"title": "Services on the managed database", "metric": "services migrated", "unit": "services",
             "baseline": 0, "target": 10, "current": 5, "due_on": "2026-05-29"},
            {"title": "Fewer P1 incidents", "metric": "P1 incidents per month", "baseline": 6, "target": 1,
             "current": 6, "due_on": "2026-04-15", "phase": "days60"}
        ]
    })
}

#[tokio::test]
async fn success_plans_need_measurable_targets_and_track_progress_against_time() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-04-01T09:00:00Z");
        let path = format!("/api/v1/accounts/{}/success-plans", w.alpha);
        let mut bad = plan_body(true);
        bad["objectives"][0].as_object_mut().unwrap().remove("target");
        bad["objectives"][1]["target"] = json!(6);
        let errors = c.post(&path, &w.tam.token, &bad).await.expect_error(422, "validation_failed", None);
        assert!(errors["error"]["fields"]["objectives[0].target"].is_string(), "[{b}] {errors}");
        assert!(errors["error"]["fields"]["objectives[1].target"].is_string(), "[{b}] {errors}");
        c.post(&path, &w.tam.token, &json!({"title": "Empty", "objectives": []})).await.expect_error(
            422,
            "validation_failed",
            Some("objectives"),
        );
        assert_eq!(c.get(&path, &w.tam.token).await.json()["items"].as_array().map(Vec::len), Some(0), "[{b}]");

        let plan = c.post(&path, &w.tam.token, &plan_body(false)).await.expect(201).json();
        // Day 31 of 89: a third of the time gone, half the services moved → on track; the P1
        // objective has not moved with two thirds of its time gone → off track; the plan is off track.
        assert_eq!(plan["objectives"][0]["status"], "on_track", "[{b}] {plan}");
        assert_eq!(plan["objectives"][0]["progress_pct"], 50.0, "[{b}]");
        assert_eq!(plan["objectives"][0]["phase"], "days90", "[{b}] phase from the due date");
        assert_eq!(plan["objectives"][1]["status"], "off_track", "[{b}]");
        assert_eq!(plan["status"], "off_track", "[{b}]");
        let id = plan["id"].as_str().unwrap().to_string();

        // An update with the version read; a stale version is refused.
        let mut next = plan_body(true);
        next["version"] = json!(1);
        next["objectives"][1]["key"] = json!("o2");
        next["objectives"][1]["current"] = json!(4);
        let updated = c.put(&format!("/api/v1/success-plans/{id}"), &w.tam.token, &next).await.expect(200).json();
        assert_eq!(
            (updated["version"].as_i64(), updated["objectives"][1]["status"].as_str()),
            (Some(2), Some("at_risk"))
        );
        c.put(&format!("/api/v1/success-plans/{id}"), &w.tam.token, &next).await.expect_error(409, "conflict", None);

        // An action of the plan is an action of the account.
        let action = c
            .post(
                &format!("/api/v1/success-plans/{id}/actions"),
                &w.tam.token,
                &json!({"title": "Migrate the payments service", "owner_id": w.tam2.id(), "due_at": "2026-04-20T17:00:00Z"}),
            )
            .await
            .expect(201)
            .json();
        assert_eq!(action["source"]["kind"], "success_plan", "[{b}]");
        let shown = c.get(&format!("/api/v1/success-plans/{id}"), &w.tam.token).await.json();
        assert_eq!(shown["actions"][0]["id"], action["id"], "[{b}]");

        // The customer reads the shared plan, without its actions, and cannot change it.
        let theirs = c.get(&format!("/api/v1/success-plans/{id}"), &w.customer.token).await.expect(200).json();
        assert_eq!(theirs["actions"].as_array().map(Vec::len), Some(0), "[{b}]");
        c.put(&format!("/api/v1/success-plans/{id}"), &w.customer.token, &next).await.expect_error(
            403,
            "forbidden",
            None,
        );
        let mut private = plan_body(false);
        private["title"] = json!("Internal expansion plan");
        let hidden = c.post(&path, &w.tam.token, &private).await.expect(201).json();
        c.get(&format!("/api/v1/success-plans/{}", hidden["id"].as_str().unwrap()), &w.customer.token)
            .await
            .expect_error(404, "not_found", None);
        let listed = c.get(&path, &w.customer.token).await.json();
        assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "[{b}] only the shared one");
        c.get(&format!("/api/v1/success-plans/{id}"), &w.support2.token).await.expect_error(404, "not_found", None);
    }
}

#[tokio::test]
async fn risks_score_likelihood_by_impact_with_a_mitigation_action_and_a_heat_map() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-04-01T09:00:00Z");
        let path = format!("/api/v1/accounts/{}/risks", w.alpha);
        let risk = |l: i64, i: i64| {
            json!({"title": "Single-AZ primary database", "category": "technical", "likelihood": l, "impact": i,
                   "owner_id": w.tam.id(), "due_on": "2026-04-30"})
        };
        c.post(&path, &w.tam.token, &risk(0, 3)).await.expect_error(422, "validation_failed", Some("likelihood"));
        c.post(&path, &w.tam.token, &risk(3, 6)).await.expect_error(422, "validation_failed", Some("impact"));
        let mut no_owner = risk(3, 3);
        no_owner.as_object_mut().unwrap().remove("owner_id");
        c.post(&path, &w.tam.token, &no_owner).await.expect_error(422, "validation_failed", Some("owner_id"));
        let mut bad_mitigation = risk(4, 5);
        bad_mitigation["mitigation"] = json!({"title": ""});
        c.post(&path, &w.tam.token, &bad_mitigation).await.expect_error(
            422,
            "validation_failed",
            Some("mitigation.title"),
        );
        assert_eq!(c.get(&path, &w.tam.token).await.json()["items"].as_array().map(Vec::len), Some(0), "[{b}]");

        let mut with_mitigation = risk(4, 5);
        with_mitigation["mitigation"] = json!({"title": "Move the database to multi-AZ", "owner_id": w.tam2.id()});
        let high = c.post(&path, &w.tam.token, &with_mitigation).await.expect(201).json();
        assert_eq!(
            (high["score"].as_u64(), high["high"].as_bool(), high["status"].as_str()),
            (Some(20), Some(true), Some("mitigating"))
        );
        let detail = c.get(&format!("/api/v1/risks/{}", high["id"].as_str().unwrap()), &w.tam.token).await.json();
        assert_eq!(detail["mitigation"]["type"], "mitigate", "[{b}] {detail}");
        assert_eq!(detail["mitigation"]["due_at"], "2026-04-30T23:59:00Z", "[{b}] due with the risk");
        assert_eq!(detail["mitigation"]["source"]["kind"], "risk", "[{b}]");
        c.post(&path, &w.tam.token, &risk(2, 2)).await.expect(201);
        let closed = c.post(&path, &w.tam.token, &risk(5, 5)).await.expect(201).json();
        c.patch(
            &format!("/api/v1/risks/{}", closed["id"].as_str().unwrap()),
            &w.tam.token,
            &json!({"status": "closed", "version": 1}),
        )
        .await
        .expect(200);

        let list = c.get(&path, &w.tam.token).await.expect(200).json();
        assert_eq!(list["items"][0]["score"], 25, "[{b}] highest first");
        assert_eq!(
            (list["heat_map"][3][4].as_u64(), list["heat_map"][1][1].as_u64(), list["heat_map"][4][4].as_u64()),
            (Some(1), Some(1), Some(0))
        );
        let live = c.get(&format!("{path}?live=true"), &w.tam.token).await.json();
        assert_eq!(live["items"].as_array().map(Vec::len), Some(2), "[{b}]");

        // The register is the team's: customers are refused, other portfolios do not see it.
        c.get(&path, &w.customer.token).await.expect_error(403, "forbidden", None);
        let theirs = c.get("/api/v1/risks", &w.tam2.token).await.json();
        assert_eq!(theirs["items"].as_array().map(Vec::len), Some(3), "[{b}] tam2 is alpha's backup");
        let support2 = c.get("/api/v1/risks", &w.support2.token).await.json();
        assert_eq!(support2["items"].as_array().map(Vec::len), Some(0), "[{b}]");
        c.get(&format!("/api/v1/risks/{}", high["id"].as_str().unwrap()), &w.support2.token).await.expect_error(
            404,
            "not_found",
            None,
        );

        // The health breakdown counts the open high one.
        let health = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.json();
        let measure = health["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == "open_high_risks")
            .cloned()
            .unwrap_or_default();
        assert_eq!(measure["value"], 1.0, "[{b}] {health}");
    }
}
