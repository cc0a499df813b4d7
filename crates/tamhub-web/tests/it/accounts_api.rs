//! `/api/v1/accounts`: create, field-level permissions on update, list filters, pagination, sort.

use std::collections::HashSet;

use serde_json::{Value, json};
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

use crate::support::{Client, Person, World, account_body, create_account, draft};

fn ids(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|a| a["id"].as_str().expect("id").to_string()).collect()
}

fn names(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|a| a["name"].as_str().expect("name").to_string()).collect()
}

#[tokio::test]
async fn a_created_account_answers_201_and_is_seen_by_its_tam_but_not_by_another_tam() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let lead = Person::new(&t, Role::Leadership, "Lee Lead", None).await;
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        let other_tam = Person::new(&t, Role::Tam, "Theo Tam", None).await;
        let mut body = account_body("Echo Energy");
        body["phase"] = json!("gate_3");
        body["primary_tam_id"] = json!(tam.id());
        body["workloads"] = json!(["checkout", "search"]);
        body["renewal_date"] = json!("2026-12-31");
        let created = c.post("/api/v1/accounts", &lead.token, &body).await;
        created.expect(201);
        let account = created.json();
        let id = account["id"].as_str().expect("the created account has an id").to_string();
        assert_eq!(account["name"], "Echo Energy", "[{}]", t.backend);
        assert_eq!(account["phase"], "gate_3", "[{}]", t.backend);
        assert_eq!(account["tier"], "enterprise", "[{}]", t.backend);
        assert_eq!(account["currency"], "USD", "[{}] the default currency", t.backend);
        assert_eq!(account["renewal_date"], "2026-12-31", "[{}]", t.backend);
        assert_eq!(account["primary_tam_id"], json!(tam.id()), "[{}]", t.backend);
        assert_eq!(account["created_at"], "2026-03-02T09:00:00Z", "[{}] the fixed clock's time", t.backend);

        let seen = c.get(&format!("/api/v1/accounts/{id}"), &tam.token).await;
        seen.expect(200);
        assert_eq!(seen.json(), account, "[{}] the TAM reads what was created", t.backend);
        c.get(&format!("/api/v1/accounts/{id}"), &other_tam.token).await.expect_error(404, "not_found", None);
        assert_eq!(ids(&c.get("/api/v1/accounts", &tam.token).await.json()), vec![id.clone()], "[{}]", t.backend);
        assert!(ids(&c.get("/api/v1/accounts", &other_tam.token).await.json()).is_empty(), "[{}]", t.backend);

        // Only leadership, admins and PAMs create accounts.
        c.post("/api/v1/accounts", &tam.token, &account_body("Nope")).await.expect_error(403, "forbidden", None);
    }
}

#[tokio::test]
async fn a_pam_owns_the_account_they_create() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let pam = Person::new(&t, Role::Pam, "Pia Pam", None).await;
        let created = c.post("/api/v1/accounts", &pam.token, &account_body("Foxtrot Foods")).await;
        created.expect(201);
        let account = created.json();
        assert_eq!(account["pam_id"], json!(pam.id()), "[{}]", t.backend);
        let id = account["id"].as_str().expect("id");
        c.get(&format!("/api/v1/accounts/{id}"), &pam.token).await.expect(200);
    }
}

#[tokio::test]
async fn each_role_may_change_only_its_own_fields() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let path = format!("/api/v1/accounts/{}", w.alpha);

        // A TAM runs the technical side...
        let changed = c.patch(&path, &w.tam.token, &json!({"workloads": ["payments", "ledger"]})).await;
        changed.expect(200);
        assert_eq!(changed.json()["workloads"], json!(["payments", "ledger"]), "[{}]", t.backend);
        // ...but not the commercial one, nor assignments.
        for body in [json!({"arr": 1}), json!({"workloads": ["x"], "arr": 1}), json!({"pam_id": null})] {
            let refused = c.patch(&path, &w.tam.token, &body).await;
            let error = refused.expect_error(403, "forbidden", None);
            assert!(
                error["error"]["message"].as_str().is_some_and(|m| m.contains("may not change")),
                "[{}] {error}",
                t.backend
            );
        }

        // A PAM owns the commercial fields and the assignments...
        let changed = c.patch(&path, &w.pam.token, &json!({"arr": 4_200_000, "backup_tam_id": null})).await;
        changed.expect(200);
        let account = changed.json();
        assert_eq!(account["arr"], 4_200_000, "[{}]", t.backend);
        assert_eq!(account["backup_tam_id"], Value::Null, "[{}]", t.backend);
        let reassigned = c.patch(&path, &w.pam.token, &json!({"backup_tam_id": w.tam2.id()})).await;
        reassigned.expect(200);
        // ...but not the lifecycle phase or the workloads.
        c.patch(&path, &w.pam.token, &json!({"phase": "gate_2"})).await.expect_error(403, "forbidden", None);
        c.patch(&path, &w.pam.token, &json!({"workloads": []})).await.expect_error(403, "forbidden", None);

        // Support engineers and customers read only.
        c.patch(&path, &w.support.token, &json!({"name": "X"})).await.expect_error(403, "forbidden", None);
        c.patch(&path, &w.customer.token, &json!({"name": "X"})).await.expect_error(403, "forbidden", None);
        // Archiving is for leadership and admins.
        for person in [&w.tam, &w.psm, &w.pam, &w.support, &w.customer] {
            let refused = c.post(&format!("{path}/archive"), &person.token, &json!({})).await;
            refused.expect_error(403, "forbidden", None);
        }

        let after = c.get(&path, &w.admin.token).await.json();
        assert_eq!(after["arr"], 4_200_000, "[{}] refused changes left the account alone", t.backend);
        assert_eq!(after["name"], "Alpha Analytics", "[{}]", t.backend);
        assert_eq!(after["phase"], "gate_3", "[{}]", t.backend);
        assert_eq!(after["workloads"], json!(["payments", "ledger"]), "[{}]", t.backend);
        assert!(after["archived_at"].is_null(), "[{}]", t.backend);

        // Leadership may change anything.
        let lead = c.patch(&path, &w.leadership.token, &json!({"arr": 1, "phase": "gate_2", "name": "Alpha AG"})).await;
        lead.expect(200);
    }
}

#[tokio::test]
async fn the_list_filters_by_phase_tier_assignee_text_and_archive_state() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let mut e = draft("Echo Energy", "gate_0");
        e.tier = "business".into();
        e.region = "APAC".into();
        let echo = create_account(&t, e).await.id;
        let admin = &w.admin.token;
        c.post(&format!("/api/v1/accounts/{}/archive", w.delta), admin, &json!({})).await.expect(200);

        let list = |query: String| {
            let c = &c;
            async move {
                let response = c.get(&format!("/api/v1/accounts?{query}"), admin).await;
                response.expect(200);
                let mut got = names(&response.json());
                got.sort();
                got
            }
        };
        let cases: Vec<(String, Vec<&str>)> = vec![
            (String::new(), vec!["Alpha Analytics", "Bravo Banking", "Charlie Cloud", "Echo Energy"]),
            ("phase=post_launch".into(), vec!["Bravo Banking", "Charlie Cloud"]),
            ("phase=gate_1".into(), vec![]),
            ("tier=business".into(), vec!["Echo Energy"]),
            (format!("assignee={}", w.tam.id()), vec!["Alpha Analytics", "Bravo Banking"]),
            (format!("assignee={}", w.support2.id()), vec!["Charlie Cloud"]),
            ("q=bank".into(), vec!["Bravo Banking"]),
            ("q=apac".into(), vec!["Echo Energy"]),
            ("q=%25".into(), vec![]),
            ("archived=only".into(), vec!["Delta Devices"]),
            (
                "archived=include".into(),
                vec!["Alpha Analytics", "Bravo Banking", "Charlie Cloud", "Delta Devices", "Echo Energy"],
            ),
            ("archived=include&phase=gate_1".into(), vec!["Delta Devices"]),
            (format!("phase=post_launch&assignee={}", w.tam.id()), vec!["Bravo Banking"]),
        ];
        for (query, expected) in cases {
            assert_eq!(list(query.clone()).await, expected, "[{}] ?{query}", t.backend);
        }
        // Filters narrow the caller's scope; they never widen it.
        let tam_sees = c.get(&format!("/api/v1/accounts?assignee={}", w.tam2.id()), &w.tam.token).await.json();
        let mut tam_names = names(&tam_sees);
        tam_names.sort();
        assert_eq!(tam_names, vec!["Alpha Analytics", "Bravo Banking"], "[{}]", t.backend);
        let _ = echo;
    }
}

#[tokio::test]
async fn pages_of_the_list_walk_every_account_exactly_once_and_report_the_total() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let admin = Person::new(&t, Role::Admin, "Ada Admin", None).await;
        let mut created = HashSet::new();
        for i in 0..7 {
            let mut d = draft(&format!("Account {i:02}"), "gate_0");
            d.arr = [5, 1, 7, 3, 9, 2, 8][i] * 1_000;
            created.insert(create_account(&t, d).await.id.to_string());
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/accounts?limit=3".to_string();
        let mut pages = 0;
        loop {
            let response = c.get(&path, &admin.token).await;
            response.expect(200);
            let body = response.json();
            assert_eq!(body["total"], 7, "[{}] {path}", t.backend);
            let page = ids(&body);
            assert!(page.len() <= 3, "[{}] {path}", t.backend);
            seen.extend(page);
            pages += 1;
            match body["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/accounts?limit=3&cursor={cursor}"),
                None => break,
            }
            assert!(pages < 10, "[{}] the cursor never ends", t.backend);
        }
        assert_eq!(pages, 3, "[{}] 7 accounts in pages of 3", t.backend);
        assert_eq!(seen.len(), 7, "[{}] {seen:?}", t.backend);
        assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created, "[{}]", t.backend);

        // A page that exactly fills the list has no next cursor.
        let exact = c.get("/api/v1/accounts?limit=7", &admin.token).await.json();
        assert!(exact["next_cursor"].is_null(), "[{}] {exact}", t.backend);

        let by_arr = c.get("/api/v1/accounts?sort=-arr", &admin.token).await.json();
        let arrs: Vec<i64> =
            by_arr["items"].as_array().expect("items").iter().map(|a| a["arr"].as_i64().expect("arr")).collect();
        assert_eq!(arrs, vec![9_000, 8_000, 7_000, 5_000, 3_000, 2_000, 1_000], "[{}]", t.backend);
        let by_name = c.get("/api/v1/accounts?sort=name&limit=2", &admin.token).await.json();
        assert_eq!(names(&by_name), vec!["Account 00", "Account 01"], "[{}]", t.backend);
        let by_name_desc = c.get("/api/v1/accounts?sort=-name&limit=2", &admin.token).await.json();
        assert_eq!(names(&by_name_desc), vec!["Account 06", "Account 05"], "[{}]", t.backend);
    }
}
