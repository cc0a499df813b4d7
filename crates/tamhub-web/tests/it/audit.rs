//! The audit log: who changed what, with the record before and after.

use serde_json::{Value, json};
use tamhub_domain::SignedDuration;
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

use crate::support::{Client, Person, account_body};

fn entries(body: &Value) -> Vec<Value> {
    body["items"].as_array().expect("items").clone()
}

fn find<'a>(entries: &'a [Value], entity_type: &str, entity_id: &str, action: &str) -> Option<&'a Value> {
    entries.iter().find(|e| e["entity_type"] == entity_type && e["entity_id"] == entity_id && e["action"] == action)
}

#[tokio::test]
async fn account_and_user_changes_appear_in_the_audit_log_with_actor_before_and_after() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let b = t.backend;
        let admin = Person::new(&t, Role::Admin, "Ada Admin", None).await;
        let lead = Person::new(&t, Role::Leadership, "Lee Lead", None).await;

        let created = c.post("/api/v1/accounts", &lead.token, &account_body("Juliet Jets")).await;
        created.expect(201);
        let id = created.json()["id"].as_str().expect("id").to_string();
        t.clock.advance(SignedDuration::from_mins(1));
        c.patch(&format!("/api/v1/accounts/{id}"), &lead.token, &json!({"name": "Juliet Jets AG", "arr": 7}))
            .await
            .expect(200);

        let user = c
            .post(
                "/api/v1/users",
                &admin.token,
                &json!({"email": "kim@test.example", "name": "Kim Kilo", "role": "support", "password": "long enough password"}),
            )
            .await;
        user.expect(201);
        let user_id = user.json()["id"].as_str().expect("id").to_string();
        c.patch(&format!("/api/v1/users/{user_id}"), &admin.token, &json!({"name": "Kim K."})).await.expect(200);

        let log = c.get("/api/v1/audit", &admin.token).await;
        log.expect(200);
        let log = entries(&log.json());

        let create =
            find(&log, "account", &id, "create").unwrap_or_else(|| panic!("[{b}] no account create in {log:?}"));
        assert_eq!(create["actor_id"], json!(lead.id()), "[{b}] {create}");
        assert_eq!(create["account_id"], json!(id), "[{b}] {create}");
        assert!(create["before"].is_null(), "[{b}] {create}");
        assert_eq!(create["after"]["name"], "Juliet Jets", "[{b}] {create}");
        assert_eq!(create["at"], "2026-03-02T09:00:00Z", "[{b}] {create}");

        let update =
            find(&log, "account", &id, "update").unwrap_or_else(|| panic!("[{b}] no account update in {log:?}"));
        assert_eq!(update["actor_id"], json!(lead.id()), "[{b}] {update}");
        assert_eq!(update["before"]["name"], "Juliet Jets", "[{b}] {update}");
        assert_eq!(update["after"]["name"], "Juliet Jets AG", "[{b}] {update}");
        assert_eq!(update["before"]["arr"], 25_000_000, "[{b}] {update}");
        assert_eq!(update["after"]["arr"], 7, "[{b}] {update}");
        assert_eq!(update["at"], "2026-03-02T09:01:00Z", "[{b}] {update}");

        let user_create =
            find(&log, "user", &user_id, "create").unwrap_or_else(|| panic!("[{b}] no user create in {log:?}"));
        assert_eq!(user_create["actor_id"], json!(admin.id()), "[{b}] {user_create}");
        assert_eq!(user_create["after"]["email"], "kim@test.example", "[{b}] {user_create}");
        let user_update =
            find(&log, "user", &user_id, "update").unwrap_or_else(|| panic!("[{b}] no user update in {log:?}"));
        assert_eq!(user_update["before"]["name"], "Kim Kilo", "[{b}] {user_update}");
        assert_eq!(user_update["after"]["name"], "Kim K.", "[{b}] {user_update}");
        // No password hash ever reaches the log.
        let text = serde_json::to_string(&log).expect("JSON");
        assert!(!text.contains("argon2") && !text.contains("password"), "[{b}] {text}");

        // The filter narrows to one kind of record.
        let users_only = entries(&c.get("/api/v1/audit?entity_type=user", &admin.token).await.json());
        assert!(
            !users_only.is_empty() && users_only.iter().all(|e| e["entity_type"] == "user"),
            "[{b}] {users_only:?}"
        );

        // The audit page shows the same entries to the admin.
        let browser = c.login_as(&admin.user).await;
        let page = c.page_get("/admin/audit", &browser).await;
        page.expect(200);
        assert!(page.text().contains("Juliet Jets AG"), "[{b}] the audit page lacks the rename");
    }
}

#[tokio::test]
async fn an_accounts_history_holds_only_that_accounts_entries() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let b = t.backend;
        let lead = Person::new(&t, Role::Leadership, "Lee Lead", None).await;
        let mut ids = Vec::new();
        for name in ["Kilo Kites", "Lima Logistics"] {
            let created = c.post("/api/v1/accounts", &lead.token, &account_body(name)).await;
            created.expect(201);
            let id = created.json()["id"].as_str().expect("id").to_string();
            c.patch(&format!("/api/v1/accounts/{id}"), &lead.token, &json!({"region": "APAC"})).await.expect(200);
            c.put(
                &format!("/api/v1/accounts/{id}/handoff"),
                &lead.token,
                &json!({"meeting_held": true, "documentation_reviewed": false, "shadow_period_done": false}),
            )
            .await
            .expect(200);
            ids.push(id);
        }
        for id in &ids {
            let history = c.get(&format!("/api/v1/accounts/{id}/history"), &lead.token).await;
            history.expect(200);
            let history = entries(&history.json());
            assert_eq!(history.len(), 3, "[{b}] create, update and the handoff: {history:?}");
            assert!(history.iter().all(|e| e["account_id"] == json!(id)), "[{b}] {history:?}");
            let actions: Vec<(&str, &str)> = history
                .iter()
                .map(|e| (e["entity_type"].as_str().unwrap_or(""), e["action"].as_str().unwrap_or("")))
                .collect();
            for expected in [("account", "create"), ("account", "update"), ("handoff", "update")] {
                assert!(actions.contains(&expected), "[{b}] {expected:?} missing from {actions:?}");
            }
        }
        let page = c.get(&format!("/api/v1/accounts/{}/history?limit=1", ids[0]), &lead.token).await.json();
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "[{b}] {page}");
        let cursor = page["next_cursor"].as_str().expect("more history").to_string();
        let next = c.get(&format!("/api/v1/accounts/{}/history?limit=1&cursor={cursor}", ids[0]), &lead.token).await;
        next.expect(200);
        assert_ne!(next.json()["items"][0]["id"], page["items"][0]["id"], "[{b}] the cursor moved on");
    }
}
