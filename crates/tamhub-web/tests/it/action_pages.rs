//! Corrective actions, problems and the incident taxonomy through the pages: the add-action
//! form refused by field and then saved, the action page's update form, the action list with
//! its counts, the cards on the incident, review and account pages, the problems page, the
//! admin taxonomy page, and every action page answering 404 outside the scope.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

#[tokio::test]
async fn a_tam_adds_and_updates_a_corrective_action_through_the_pages() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let body = json!({"title": "Checkout errors", "severity": "P2", "impacted_account_ids": [w.alpha, w.bravo],
                          "impacted_services": ["checkout-api"]});
        let incident = c.post("/api/v1/incidents", &w.tam.token, &body).await.expect(201).json();
        let id = incident["id"].as_str().expect("id").to_string();
        let tam = c.login_as(&w.tam.user).await;

        let form = c.page_get(&format!("/incidents/{id}/actions/new"), &tam).await.expect(200).text();
        assert!(form.contains("checkout-api"), "[{b}] the incident's service is offered");
        // No owner, a normal action without a due date: refused, both named, nothing written.
        let refused = c
            .page_post(
                &format!("/incidents/{id}/actions"),
                &tam,
                &[
                    ("title", "Canary config pushes"),
                    ("type", "prevent"),
                    ("priority", "normal"),
                    ("owner_id", ""),
                    ("due_at", ""),
                ],
            )
            .await;
        let html = unescape(&refused.expect(422).text());
        assert!(
            html.contains("owner_id: must not be empty") && html.contains("due_at: must not be empty"),
            "[{b}] {html}"
        );
        assert!(html.contains("value=\"Canary config pushes\""), "[{b}] the title as typed");
        let listed = c.get(&format!("/api/v1/incidents/{id}/actions"), &w.tam.token).await.expect(200).json();
        assert_eq!(listed["total"], 0, "[{b}]");

        let saved = c
            .page_post(
                &format!("/incidents/{id}/actions"),
                &tam,
                &[
                    ("title", "Canary config pushes"),
                    ("type", "prevent"),
                    ("priority", "normal"),
                    ("owner_id", &w.tam2.id().to_string()),
                    ("due_at", "2026-03-09T17:00"),
                    ("service", "checkout-api"),
                    ("link", "https://jira.example.com/OPS-7"),
                ],
            )
            .await;
        assert_eq!(
            saved.expect(303).location(),
            Some(format!("/incidents/{id}/review?notice=action_added#actions").as_str())
        );
        let review = c.page_get(&format!("/incidents/{id}/review?notice=action_added"), &tam).await.expect(200).text();
        assert!(review.contains("Corrective action added") && review.contains("ACT-1"), "[{b}]");
        let page = c.page_get(&format!("/incidents/{id}"), &tam).await.expect(200).text();
        assert!(page.contains("id=\"actions\"") && page.contains("Canary config pushes"), "[{b}]");

        let action = c.get(&format!("/api/v1/incidents/{id}/actions"), &w.tam.token).await.json()["items"][0].clone();
        let action_path = format!("/actions/{}", action["id"].as_str().expect("id"));
        let shown = c.page_get(&action_path, &tam).await.expect(200).text();
        assert!(shown.contains("2026-03-09 17:00 UTC") && shown.contains("https://jira.example.com/OPS-7"), "[{b}]");
        // Won't do without a reason comes back with the field named.
        let mut fields: Vec<(&str, String)> = vec![
            ("title", "Canary config pushes".into()),
            ("type", "prevent".into()),
            ("priority", "normal".into()),
            ("owner_id", w.tam2.id().to_string()),
            ("due_at", "2026-03-09T17:00".into()),
            ("service", "checkout-api".into()),
            ("link", "https://jira.example.com/OPS-7".into()),
            ("description", String::new()),
            ("status", "wont_do".into()),
            ("status_note", String::new()),
        ];
        let as_refs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
        let post = |f: Vec<(&'static str, String)>| {
            let path = action_path.clone();
            let c = &c;
            let tam = &tam;
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                c.page_post(&path, tam, &pairs).await
            }
        };
        let refused = unescape(&post(as_refs(&fields)).await.expect(422).text());
        assert!(refused.contains("status_note: must say why"), "[{b}] {refused}");
        set(&t, "2026-03-08T09:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        fields[8].1 = "done".into();
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = c.page_post(&action_path, &tam, &pairs).await;
        assert_eq!(saved.expect(303).location(), Some(format!("{action_path}?notice=saved").as_str()), "[{b}]");
        let done = c.get(&format!("/api/v1{action_path}"), &w.tam.token).await.expect(200).json();
        assert_eq!(
            (done["status"].as_str(), done["completed_at"].as_str()),
            (Some("done"), Some("2026-03-08T09:00:00Z"))
        );

        // The list counts it for its service and both accounts; the account page shows open ones.
        let list = c.page_get("/actions?view=all", &tam).await.expect(200).text();
        assert!(list.contains("Canary config pushes") && list.contains("id=\"by-service\""), "[{b}]");
        assert!(list.contains("Alpha Analytics") && list.contains("Bravo Banking"), "[{b}]");
        c.page_get("/actions?view=open", &tam).await.expect(200);
        let account = c.page_get(&format!("/accounts/{}", w.alpha), &tam).await.expect(200).text();
        assert!(account.contains("id=\"account-actions\"") && account.contains("No open action"), "[{b}]");
    }
}

#[tokio::test]
async fn action_pages_follow_the_scope_and_customers_do_not_see_them() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let body = json!({"title": "Charlie only", "severity": "P2", "impacted_account_ids": [w.charlie]});
        let incident = c.post("/api/v1/incidents", &w.admin.token, &body).await.expect(201).json();
        let id = incident["id"].as_str().expect("id");
        let action = json!({"title": "Fix it", "type": "other", "priority": "normal", "owner_id": w.tam2.id(),
                            "due_at": "2026-04-01T00:00:00Z"});
        let action =
            c.post(&format!("/api/v1/incidents/{id}/actions"), &w.admin.token, &action).await.expect(201).json();
        let path = format!("/actions/{}", action["id"].as_str().expect("id"));
        for who in [&w.tam, &w.psm, &w.pam, &w.support, &w.customer] {
            let browser = c.login_as(&who.user).await;
            c.page_get(&path, &browser).await.expect(404);
            c.page_post(&path, &browser, &[("status", "done")]).await.expect(404);
            let list = c.page_get("/actions?view=all", &browser).await;
            if who.user.role == tamhub_domain::users::Role::Customer {
                list.expect(404);
                c.page_get("/problems", &browser).await.expect(404);
            } else {
                assert!(!list.expect(200).text().contains("Fix it"), "[{b}] {:?}", who.user.role);
            }
        }
        let theo = c.login_as(&w.tam2.user).await;
        assert!(c.page_get(&path, &theo).await.expect(200).text().contains("Fix it"), "[{b}]");
        assert!(c.page_get("/actions?view=mine", &theo).await.expect(200).text().contains("Fix it"), "[{b}]");
    }
}

#[tokio::test]
async fn problems_and_the_taxonomy_have_their_pages() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        for (day, account) in [("2026-02-01", w.alpha), ("2026-02-20", w.bravo)] {
            set(&t, &format!("{day}T10:00:00Z"));
            let body = json!({"title": format!("Search down {day}"), "severity": "P2", "impacted_account_ids": [account],
                              "impacted_services": ["search"]});
            let incident = c.post("/api/v1/incidents", &w.admin.token, &body).await.expect(201).json();
            let review = json!({"root_cause_category": "Capacity"});
            let path = format!("/api/v1/incidents/{}/review", incident["id"].as_str().expect("id"));
            c.put(&path, &w.admin.token, &review).await.expect(200);
        }
        let tam = c.login_as(&w.tam.user).await;
        let problems = c.page_get("/problems", &tam).await.expect(200).text();
        assert!(problems.contains("Capacity") && problems.contains("Search down 2026-02-01"), "[{b}] {problems}");
        let account = c.page_get(&format!("/accounts/{}", w.bravo), &tam).await.expect(200).text();
        assert!(
            account.contains("id=\"account-problems\"") && account.contains("2 incidents across 2 accounts"),
            "[{b}]"
        );

        c.page_get("/admin/incident-taxonomy", &tam).await.expect(403);
        let admin = c.login_as(&w.admin.user).await;
        let page = c.page_get("/admin/incident-taxonomy", &admin).await.expect(200).text();
        assert!(page.contains("Configuration change: A change of settings"), "[{b}]");
        let refused = c
            .page_post(
                "/admin/incident-taxonomy",
                &admin,
                &[("root_cause_categories", "Capacity\nDisk full\ncapacity"), ("tier2_services", "")],
            )
            .await;
        let refused = unescape(&refused.expect(422).text());
        assert!(refused.contains("line 3: \"capacity\" is listed twice"), "[{b}] {refused}");
        c.page_post(
            "/admin/incident-taxonomy",
            &admin,
            &[
                ("root_cause_categories", "Capacity\nDisk full: A volume ran out of space"),
                ("tier2_services", "search"),
            ],
        )
        .await
        .expect(303);
        let taxonomy = c.get("/api/v1/incident-taxonomy", &w.admin.token).await.expect(200).json();
        assert_eq!(
            taxonomy["root_cause_categories"][1],
            json!({"name": "Disk full", "description": "A volume ran out of space"}),
            "[{b}]"
        );
        assert_eq!(taxonomy["tier2_services"], json!(["search"]), "[{b}]");
    }
}
