//! Corrective actions through `/api/v1/incidents/{id}/actions` and `/api/v1/actions`: creation
//! with every bad input refused naming the field, the default due date set by the review's
//! approval (4 weeks, 8 for a tier-2 service), overdue flags, reminders once per due date,
//! summaries per service and per account, scope, and the admin-managed root-cause taxonomy.

use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, Person, World};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

/// A resolved P1 on Alpha and Bravo with two services and a drafted review; its API path.
async fn resolved_incident(t: &TestApp, c: &Client, w: &World, accounts: &[tamhub_domain::ids::AccountId]) -> String {
    set(t, "2026-03-02T10:00:00Z");
    let body = json!({"title": "Checkout and billing errors", "severity": "P1",
        "impacted_account_ids": accounts, "impacted_services": ["checkout-api", "Billing"],
        "incident_commander_id": w.admin.id()});
    let incident = c.post("/api/v1/incidents", &w.admin.token, &body).await.expect(201).json();
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().expect("id"));
    set(t, "2026-03-02T12:00:00Z");
    c.post(&format!("{path}/status"), &w.admin.token, &json!({"status": "resolved"})).await.expect(200);
    let review = json!({"owner_id": w.tam.id(), "approver_ids": [w.leadership.id()], "summary": "What happened",
        "fault": "A bad config push", "contributing_factors": [{"kind": "root", "text": "No canary stage"}],
        "root_cause_category": "Configuration change", "customer_facing_rca": "What we tell customers"});
    c.put(&format!("{path}/review"), &w.admin.token, &review).await.expect(200);
    path
}

fn action(title: &str, owner: &Person, priority: &str, extra: Value) -> Value {
    let mut body = json!({"title": title, "type": "prevent", "priority": priority, "owner_id": owner.id()});
    body.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
    body
}

async fn titles_of(c: &Client, who: &Person, kind_prefix: &str) -> Vec<String> {
    let notes = c.get("/api/v1/notifications?limit=500", &who.token).await.expect(200).json();
    let mut titles: Vec<String> = notes["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["kind"].as_str().is_some_and(|k| k.starts_with(kind_prefix)))
        .filter_map(|n| n["title"].as_str().map(str::to_string))
        .collect();
    titles.reverse();
    titles
}

#[tokio::test]
async fn corrective_actions_get_due_dates_flags_reminders_and_summaries() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let taxonomy = c.get("/api/v1/incident-taxonomy", &w.admin.token).await.expect(200).json();
        let mut taxonomy = taxonomy.clone();
        taxonomy["tier2_services"] = json!(["billing"]);
        c.put("/api/v1/incident-taxonomy", &w.admin.token, &taxonomy).await.expect(200);
        let path = resolved_incident(&t, &c, &w, &[w.alpha, w.bravo]).await;
        let actions = format!("{path}/actions");
        let timeline_before = c.get(&format!("{path}/timeline"), &w.admin.token).await.expect(200).json();

        // Bad input: the field is named and nothing is written.
        let refused = [
            (action("No due date", &w.tam2, "normal", json!({})), "due_at"),
            (
                json!({"title": "No owner", "type": "prevent", "priority": "normal", "due_at": "2026-04-01T00:00:00Z"}),
                "owner_id",
            ),
            (action("Odd type", &w.tam2, "normal", json!({"type": "fix", "due_at": "2026-04-01T00:00:00Z"})), "type"),
            (action("Odd priority", &w.tam2, "urgent", json!({"due_at": "2026-04-01T00:00:00Z"})), "priority"),
            (action("", &w.tam2, "normal", json!({"due_at": "2026-04-01T00:00:00Z"})), "title"),
            (action("Past", &w.tam2, "normal", json!({"due_at": "2026-03-01T00:00:00Z"})), "due_at"),
            (
                action(
                    "Wrong service",
                    &w.tam2,
                    "normal",
                    json!({"due_at": "2026-04-01T00:00:00Z", "service": "storage"}),
                ),
                "service",
            ),
            (
                action("Bad link", &w.tam2, "normal", json!({"due_at": "2026-04-01T00:00:00Z", "link": "OPS-12"})),
                "link",
            ),
            (action("Customer owner", &w.customer, "normal", json!({"due_at": "2026-04-01T00:00:00Z"})), "owner_id"),
        ];
        for (body, field) in refused {
            c.post(&actions, &w.tam.token, &body).await.expect_error(422, "validation_failed", Some(field));
        }
        let listed = c.get(&actions, &w.tam.token).await.expect(200).json();
        assert_eq!(listed["total"], 0, "[{b}]");
        let timeline = c.get(&format!("{path}/timeline"), &w.admin.token).await.expect(200).json();
        assert_eq!(timeline, timeline_before, "[{b}] a refused action wrote to the timeline");

        // A priority action before approval waits for its due date; a normal one has its own.
        let canary = action("Canary config pushes", &w.tam, "priority_action", json!({"service": "checkout-api"}));
        let canary = c.post(&actions, &w.tam.token, &canary).await.expect(201).json();
        assert_eq!((canary["number"].as_i64(), &canary["due_at"]), (Some(1), &Value::Null), "[{b}]");
        let ledger = action("Reconcile the billing ledger", &w.tam, "priority_action", json!({"service": "billing"}));
        let ledger = c.post(&actions, &w.tam.token, &ledger).await.expect(201).json();
        assert_eq!(ledger["service"], "Billing", "[{b}] the incident's spelling");
        let runbook = action(
            "Write the rollback runbook",
            &w.tam2,
            "normal",
            json!({"due_at": "2026-03-20T17:00:00Z", "type": "process", "link": "https://jira.example.com/OPS-12"}),
        );
        let runbook = c.post(&actions, &w.tam.token, &runbook).await.expect(201).json();
        assert_eq!((runbook["status"].as_str(), runbook["overdue"].as_bool()), (Some("open"), Some(false)), "[{b}]");
        let timeline = c.get(&format!("{path}/timeline"), &w.admin.token).await.expect(200).json();
        let created =
            timeline["items"].as_array().expect("items").iter().filter(|e| e["kind"] == "action_item_created");
        assert_eq!(created.count(), 3, "[{b}]");
        assert_eq!(
            titles_of(&c, &w.tam2, "action").await,
            ["Corrective action assigned to you: Write the rollback runbook"],
            "[{b}]"
        );

        // Approval sets the priority actions' due dates: 4 weeks, 8 for the tier-2 service.
        set(&t, "2026-03-05T09:00:00Z");
        c.post(&format!("{path}/review/submit"), &w.tam.token, &json!({})).await.expect(200);
        c.post(&format!("{path}/review/approve"), &w.leadership.token, &json!({})).await.expect(200);
        let id = |a: &Value| a["id"].as_str().expect("id").to_string();
        for (a, due) in [(&canary, "2026-04-02T09:00:00Z"), (&ledger, "2026-04-30T09:00:00Z")] {
            let got = c.get(&format!("/api/v1/actions/{}", id(a)), &w.tam.token).await.expect(200).json();
            assert_eq!(got["due_at"], due, "[{b}]");
        }

        // Three days ahead the owner is reminded once; past the due date, told it is overdue once.
        set(&t, "2026-03-18T10:00:00Z");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").action_reminders, 1, "[{b}]");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").action_reminders, 0, "[{b}] once");
        set(&t, "2026-03-20T17:00:00Z");
        let list = c.get("/api/v1/actions?overdue=true", &w.tam.token).await.expect(200).json();
        assert_eq!(list["total"], 0, "[{b}] due at this very instant is not overdue yet");
        set(&t, "2026-03-20T17:00:01Z");
        let list = c.get("/api/v1/actions?overdue=true", &w.tam.token).await.expect(200).json();
        assert_eq!(list["items"][0]["title"], "Write the rollback runbook", "[{b}]");
        assert_eq!(list["items"][0]["overdue"], true, "[{b}]");
        t.app.sla_scan_once().await.expect("scan");
        t.app.sla_scan_once().await.expect("scan");
        assert_eq!(
            titles_of(&c, &w.tam2, "action_").await,
            ["ACT-3 is due soon: Write the rollback runbook", "ACT-3 is overdue: Write the rollback runbook"],
            "[{b}]"
        );

        let notes = c.get("/api/v1/notifications?limit=500", &w.tam2.token).await.expect(200).json();
        let overdue = notes["items"].as_array().expect("items").iter().find(|n| n["kind"] == "action_overdue");
        assert_eq!(overdue.map(|n| &n["action_id"]), Some(&runbook["id"]), "[{b}] the notice links to the action");

        // The owner finishes it late; won't-do needs a reason.
        set(&t, "2026-03-22T09:00:00Z");
        let runbook_path = format!("/api/v1/actions/{}", id(&runbook));
        let done = c.patch(&runbook_path, &w.tam2.token, &json!({"status": "done"})).await.expect(200).json();
        assert_eq!(
            (done["completed_at"].as_str(), done["overdue"].as_bool()),
            (Some("2026-03-22T09:00:00Z"), Some(false))
        );
        c.patch(&format!("/api/v1/actions/{}", id(&ledger)), &w.tam.token, &json!({"status": "wont_do"}))
            .await
            .expect_error(422, "validation_failed", Some("status_note"));
        c.patch(&format!("/api/v1/actions/{}", id(&ledger)), &w.tam.token, &json!({"owner_id": w.customer.id()}))
            .await
            .expect_error(422, "validation_failed", Some("owner_id"));
        c.patch(&format!("/api/v1/actions/{}", id(&ledger)), &w.tam.token, &json!({"due_at": null}))
            .await
            .expect_error(422, "validation_failed", None);

        // Past the canary's due date: one overdue priority action, on checkout-api, for both accounts.
        set(&t, "2026-04-03T09:00:00Z");
        let summary = c.get("/api/v1/actions/summary", &w.tam.token).await.expect(200).json();
        let total = &summary["total"];
        assert_eq!(
            (total["open"].as_u64(), total["overdue"].as_u64(), total["overdue_priority"].as_u64()),
            (Some(2), Some(1), Some(1)),
            "[{b}] {summary}"
        );
        assert_eq!((total["done"].as_u64(), total["done_on_time"].as_u64()), (Some(1), Some(0)), "[{b}]");
        assert_eq!(total["on_time_pct"], 0.0, "[{b}] one done late, one overdue");
        let services: Vec<(String, u64)> = summary["by_service"]
            .as_array()
            .expect("by_service")
            .iter()
            .map(|s| (s["service"].as_str().unwrap_or("?").to_string(), s["overdue_priority"].as_u64().unwrap_or(9)))
            .collect();
        assert_eq!(services, [("".into(), 0), ("Billing".into(), 0), ("checkout-api".into(), 1)], "[{b}]");
        let accounts: Vec<(&str, u64)> = summary["by_account"]
            .as_array()
            .expect("by_account")
            .iter()
            .map(|s| (s["account_name"].as_str().unwrap_or("?"), s["overdue_priority"].as_u64().unwrap_or(9)))
            .collect();
        assert_eq!(accounts, [("Alpha Analytics", 1), ("Bravo Banking", 1)], "[{b}]");
        let by_service =
            c.get("/api/v1/actions?service=CHECKOUT-API&status=open", &w.tam.token).await.expect(200).json();
        assert_eq!(by_service["total"], 1, "[{b}]");
        let mine = c.get("/api/v1/actions?owner_id=me", &w.tam2.token).await.expect(200).json();
        assert_eq!(mine["total"], 1, "[{b}]");
        let for_account = format!("/api/v1/actions?account_id={}&overdue=true", w.bravo);
        assert_eq!(c.get(&for_account, &w.tam2.token).await.expect(200).json()["total"], 1, "[{b}]");
        c.get("/api/v1/actions?status=late", &w.tam.token).await.expect_error(422, "validation_failed", Some("status"));
        c.get("/api/v1/actions?overdue=yes", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("overdue"),
        );
    }
}

#[tokio::test]
async fn actions_follow_the_scope_of_their_incident() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let path = resolved_incident(&t, &c, &w, &[w.charlie]).await;
        let body = action("Charlie's fix", &w.tam2, "normal", json!({"due_at": "2026-04-01T00:00:00Z"}));
        let created = c.post(&format!("{path}/actions"), &w.admin.token, &body).await.expect(201).json();
        let one = format!("/api/v1/actions/{}", created["id"].as_str().expect("id"));
        for who in [&w.tam, &w.psm, &w.pam, &w.support, &w.customer] {
            c.get(&one, &who.token).await.expect(404);
            c.patch(&one, &who.token, &json!({"status": "done"})).await.expect(404);
            c.post(&format!("{path}/actions"), &who.token, &body).await.expect(404);
        }
        for who in [&w.tam, &w.psm, &w.pam, &w.support] {
            let list = c.get("/api/v1/actions", &who.token).await.expect(200).json();
            assert_eq!(list["total"], 0, "[{b}] {:?}", who.user.role);
        }
        c.get("/api/v1/actions", &w.customer.token).await.expect_error(403, "forbidden", None);
        c.get("/api/v1/actions/summary", &w.customer.token).await.expect_error(403, "forbidden", None);
        for who in [&w.tam2, &w.support2, &w.leadership] {
            assert_eq!(c.get("/api/v1/actions", &who.token).await.expect(200).json()["total"], 1, "[{b}]");
        }
        // The owner may change their own action; unchanged after the refusals above.
        let now = c.get(&one, &w.tam2.token).await.expect(200).json();
        assert_eq!(now["status"], "open", "[{b}]");
        c.patch(&one, &w.tam2.token, &json!({"status": "in_progress"})).await.expect(200);
        c.patch(&one, &w.tam2.token, &json!({})).await.expect_error(422, "validation_failed", Some("body"));
    }
}

#[tokio::test]
async fn root_cause_categories_are_an_admin_managed_list_that_reviews_choose_from() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let path = resolved_incident(&t, &c, &w, &[w.alpha]).await;
        let mine = json!({"root_cause_categories": [{"name": "Capacity"}, {"name": "Certificate expiry",
            "description": "A TLS certificate ran out"}], "tier2_services": []});
        c.put("/api/v1/incident-taxonomy", &w.tam.token, &mine).await.expect_error(403, "forbidden", None);
        let twice = json!({"root_cause_categories": [{"name": "Capacity"}, {"name": "capacity"}]});
        c.put("/api/v1/incident-taxonomy", &w.admin.token, &twice).await.expect_error(
            422,
            "validation_failed",
            Some("root_cause_categories[1].name"),
        );
        let none = json!({"root_cause_categories": []});
        c.put("/api/v1/incident-taxonomy", &w.admin.token, &none).await.expect_error(
            422,
            "validation_failed",
            Some("root_cause_categories"),
        );
        c.put("/api/v1/incident-taxonomy", &w.leadership.token, &mine).await.expect(200);
        c.get("/api/v1/incident-taxonomy", &w.customer.token).await.expect_error(403, "forbidden", None);

        let review = format!("{path}/review");
        // The review keeps the category it had even though the list no longer has it.
        c.put(&review, &w.tam.token, &json!({"root_cause_category": "Configuration change"})).await.expect(200);
        c.put(&review, &w.tam.token, &json!({"root_cause_category": "Cosmic rays"})).await.expect_error(
            422,
            "validation_failed",
            Some("root_cause_category"),
        );
        let saved = c.put(&review, &w.tam.token, &json!({"root_cause_category": "certificate EXPIRY"})).await;
        let saved = saved.expect(200).json();
        assert_eq!(saved["content"]["root_cause_category"], "Certificate expiry", "[{b}] {saved}");
    }
}
