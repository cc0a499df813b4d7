//! Lens-based reviews through the API: a Well-Architected review answered and milestoned twice
//! shows the right risk diff; an answer to another lens's question is refused whole; improvement
//! items become actions and findings that close together; workloads without a review in 12 months
//! are flagged; lenses are imported by admins only, versioned, checked field by field; and scope.

use serde_json::{Value, json};
use tamhub_domain::SignedDuration;
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

/// Every choice key of a question.
fn all_choices(q: &Value) -> Vec<Value> {
    q["choices"].as_array().expect("a question lists choices").iter().map(|c| c["key"].clone()).collect()
}

/// The choices of a question except those whose absence carries `risk`.
fn all_but(q: &Value, risk: &str) -> Option<Vec<Value>> {
    let choices = q["choices"].as_array().expect("a question lists choices");
    choices
        .iter()
        .any(|c| c["risk_if_absent"] == risk)
        .then(|| choices.iter().filter(|c| c["risk_if_absent"] != risk).map(|c| c["key"].clone()).collect())
}

fn keys(changes: &Value) -> Vec<String> {
    let changes = changes.as_array().expect("a list of changes");
    changes.iter().map(|c| c["question"].as_str().expect("a question key").to_string()).collect()
}

#[tokio::test]
async fn a_review_answered_and_milestoned_twice_shows_the_risk_diff() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        c.patch(
            &format!("/api/v1/accounts/{}", w.alpha),
            &w.tam.token,
            &json!({"workloads": ["checkout", "payments"]}),
        )
        .await
        .expect(200);

        let lenses = c.get("/api/v1/lenses", &w.tam.token).await.expect(200).json();
        let keys_of: Vec<&str> =
            lenses["items"].as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap()).collect();
        assert_eq!(keys_of, ["security", "well-architected"], "[{b}]");
        let lens = c.get("/api/v1/lenses/well-architected", &w.tam.token).await.expect(200).json();
        assert_eq!(lens["pillars"].as_array().map(Vec::len), Some(6), "[{b}]");
        let questions: Vec<Value> = lens["pillars"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["questions"].as_array().unwrap().clone())
            .collect();

        // Bad starts.
        let start = |workload: &str, lens: &str| json!({"account_id": w.alpha, "workload": workload, "lens_key": lens});
        c.post("/api/v1/reviews", &w.tam.token, &start("search", "well-architected")).await.expect_error(
            422,
            "validation_failed",
            Some("workload"),
        );
        c.post("/api/v1/reviews", &w.tam.token, &start("checkout", "nope")).await.expect_error(
            422,
            "validation_failed",
            Some("lens_key"),
        );
        c.post("/api/v1/reviews", &w.pam.token, &start("checkout", "well-architected")).await.expect_error(
            403,
            "forbidden",
            None,
        );
        c.post("/api/v1/reviews", &w.customer.token, &start("checkout", "well-architected")).await.expect_error(
            403,
            "forbidden",
            None,
        );
        let review =
            c.post("/api/v1/reviews", &w.tam.token, &start("checkout", "well-architected")).await.expect(201).json();
        assert_eq!(review["name"], "Well-Architected review of checkout", "[{b}]");
        let path = format!("/api/v1/reviews/{}", review["id"].as_str().unwrap());

        // An answer to a question of the security lens: refused whole, nothing written.
        let (q0, q1) = (&questions[0], &questions[1]);
        let q2 =
            questions[2..].iter().find(|q| all_but(q, "high").is_some() && all_but(q, "medium").is_some()).unwrap();
        let refused = c
            .post(
                &format!("{path}/answers"),
                &w.tam.token,
                &json!({"version": 1, "answers": [{"question": q0["key"], "selected": []}, {"question": "iam-1", "selected": []}]}),
            )
            .await
            .expect_error(422, "validation_failed", Some("answers[1].question"));
        assert!(refused.to_string().contains("well-architected v1"), "[{b}] {refused}");
        let unchanged = c.get(&path, &w.tam.token).await.expect(200).json();
        assert_eq!(
            (unchanged["answers"].as_array().map(Vec::len), unchanged["version"].as_i64()),
            (Some(0), Some(1)),
            "[{b}]"
        );

        // First pass: q0 nothing in place (high), q1 everything (none), q2 nothing (high).
        let first = c
            .post(
                &format!("{path}/answers"),
                &w.tam.token,
                &json!({"version": 1, "answers": [
                    {"question": q0["key"], "selected": []},
                    {"question": q1["key"], "selected": all_choices(q1)},
                    {"question": q2["key"], "selected": [], "notes": "No runbooks yet"},
                ]}),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(
            (first["assessment"]["counts"]["high"].as_u64(), first["assessment"]["counts"]["none"].as_u64()),
            (Some(2), Some(1)),
            "[{b}]"
        );
        let stale = c.post(&format!("{path}/milestones"), &w.tam.token, &json!({"version": 1})).await;
        stale.expect_error(409, "conflict", None);
        c.post(&format!("{path}/milestones"), &w.tam.token, &json!({"version": 2, "name": "Kick-off"}))
            .await
            .expect(201);

        // Second pass: q0 fixed (removed), q1 nothing in place (added), q2 down to medium (changed).
        c.post(
            &format!("{path}/answers"),
            &w.tam.token,
            &json!({"version": 3, "answers": [
                {"question": q0["key"], "selected": all_choices(q0)},
                {"question": q1["key"], "selected": []},
                {"question": q2["key"], "selected": all_but(q2, "medium").unwrap()},
            ]}),
        )
        .await
        .expect(200);
        let after =
            c.post(&format!("{path}/milestones"), &w.tam.token, &json!({"version": 4})).await.expect(201).json();
        assert_eq!(after["milestones"][1]["name"], "Milestone 2", "[{b}]");

        let d = c.get(&format!("{path}/diff?from=1&to=2"), &w.tam.token).await.expect(200).json();
        assert_eq!(keys(&d["added"]), [q1["key"].as_str().unwrap()], "[{b}] {d}");
        assert_eq!(keys(&d["removed"]), [q0["key"].as_str().unwrap()], "[{b}] {d}");
        assert_eq!(keys(&d["changed"]), [q2["key"].as_str().unwrap()], "[{b}] {d}");
        assert_eq!(
            (d["changed"][0]["before"].as_str(), d["changed"][0]["after"].as_str()),
            (Some("high"), Some("medium")),
            "[{b}]"
        );
        assert_eq!(
            (d["from_counts"]["high"].as_u64(), d["to_counts"]["high"].as_u64(), d["to_counts"]["medium"].as_u64()),
            (Some(2), Some(1), Some(1)),
            "[{b}]"
        );
        let none = c.get(&format!("{path}/diff?from=2"), &w.tam.token).await.expect(200).json();
        assert_eq!(
            (none["added"].as_array().map(Vec::len), none["removed"].as_array().map(Vec::len)),
            (Some(0), Some(0)),
            "[{b}]"
        );
        c.get(&format!("{path}/diff?from=3&to=1"), &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("from"),
        );
        c.get(&format!("{path}/diff?from=x"), &w.tam.token).await.expect_error(422, "validation_failed", Some("from"));

        // Scope: staff outside the account and customers do not see it; PAMs read but do not answer.
        let charlie = json!({"account_id": w.charlie, "workload": "checkout", "lens_key": "well-architected"});
        c.post("/api/v1/reviews", &w.tam.token, &charlie).await.expect_error(404, "not_found", None);
        c.get(&path, &w.support2.token).await.expect_error(404, "not_found", None);
        c.get(&path, &w.customer.token).await.expect_error(404, "not_found", None);
        c.get(&path, &w.pam.token).await.expect(200);
        c.post(&format!("{path}/milestones"), &w.pam.token, &json!({"version": 5})).await.expect_error(
            403,
            "forbidden",
            None,
        );
        let listed = c.get(&format!("/api/v1/reviews?account_id={}", w.alpha), &w.support2.token).await;
        listed.expect_error(404, "not_found", None);
        let all = c.get("/api/v1/reviews", &w.tam.token).await.expect(200).json();
        assert_eq!(all["items"][0]["counts"]["high"].as_u64(), Some(1), "[{b}] {all}");
    }
}

#[tokio::test]
async fn improvement_items_become_actions_and_findings_and_coverage_flags_old_reviews() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        c.patch(
            &format!("/api/v1/accounts/{}", w.bravo),
            &w.tam.token,
            &json!({"workloads": ["checkout", "payments"]}),
        )
        .await
        .expect(200);
        let lens = c.get("/api/v1/lenses/well-architected", &w.tam.token).await.json();
        let q = lens["pillars"][2]["questions"][0].clone();
        let high = q["choices"].as_array().unwrap().iter().find(|c| c["risk_if_absent"] == "high").unwrap().clone();
        let start = json!({"account_id": w.bravo, "workload": "checkout", "lens_key": "well-architected"});
        let review = c.post("/api/v1/reviews", &w.tam.token, &start).await.expect(201).json();
        let path = format!("/api/v1/reviews/{}", review["id"].as_str().unwrap());
        let plan = |version: i64| json!({"version": version, "question": q["key"], "choice": high["key"], "owner_id": w.tam2.id(), "due_on": "2031-01-15", "effort": "high", "needs_downtime": true});
        c.post(&format!("{path}/improvements"), &w.tam.token, &plan(1)).await.expect_error(
            422,
            "validation_failed",
            Some("choice"),
        );
        c.post(
            &format!("{path}/answers"),
            &w.tam.token,
            &json!({"version": 1, "answers": [{"question": q["key"], "selected": []}]}),
        )
        .await
        .expect(200);
        let mut no_due = plan(2);
        no_due["due_on"] = Value::Null;
        c.post(&format!("{path}/improvements"), &w.tam.token, &no_due).await.expect_error(
            422,
            "validation_failed",
            Some("due_on"),
        );
        let planned = c.post(&format!("{path}/improvements"), &w.tam.token, &plan(2)).await.expect(201).json();
        let item =
            planned["assessment"]["questions"].as_array().unwrap().iter().find(|x| x["question"] == q["key"]).unwrap()
                ["improvements"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["choice"] == high["key"])
                .unwrap()
                .clone();
        let action_id = item["planned"]["action_id"].as_str().unwrap().to_string();
        let finding_id = item["planned"]["finding_id"].as_str().unwrap().to_string();
        c.post(&format!("{path}/improvements"), &w.tam.token, &plan(3)).await.expect_error(
            422,
            "validation_failed",
            Some("choice"),
        );

        let action = c.get(&format!("/api/v1/actions/{action_id}"), &w.tam2.token).await.expect(200).json();
        assert_eq!(
            (action["owner_id"].clone(), action["status"].as_str()),
            (json!(w.tam2.id()), Some("open")),
            "[{b}] {action}"
        );
        assert_eq!(action["title"], high["improvement"], "[{b}]");
        let finding = c.get(&format!("/api/v1/findings/{finding_id}"), &w.tam.token).await.expect(200).json();
        assert_eq!(
            (
                finding["kind"].as_str(),
                finding["workload"].as_str(),
                finding["needs_downtime"].as_bool(),
                finding["effort"].as_str()
            ),
            (Some("review_improvement"), Some("checkout"), Some(true), Some("high")),
            "[{b}] {finding}"
        );
        assert_eq!(finding["review"]["action_id"].as_str(), Some(action_id.as_str()), "[{b}]");
        c.patch(
            &format!("/api/v1/findings/{finding_id}"),
            &w.tam.token,
            &json!({"status": "resolved", "note": "Multi-zone since Monday"}),
        )
        .await
        .expect(200);
        let closed = c.get(&format!("/api/v1/actions/{action_id}"), &w.tam.token).await.json();
        assert_eq!(closed["status"].as_str(), Some("done"), "[{b}] resolving the finding closes its action");
        c.patch(
            &format!("/api/v1/findings/{finding_id}"),
            &w.tam.token,
            &json!({"status": "pending", "note": "Failed over badly"}),
        )
        .await
        .expect(200);
        let reopened = c.get(&format!("/api/v1/actions/{action_id}"), &w.tam.token).await.json();
        assert_eq!(reopened["status"].as_str(), Some("open"), "[{b}] reopening the finding reopens its action");
        c.patch(
            &format!("/api/v1/findings/{finding_id}"),
            &w.tam.token,
            &json!({"status": "dismissed", "dismiss_reason": "risk_accepted"}),
        )
        .await
        .expect(200);
        let dismissed = c.get(&format!("/api/v1/actions/{action_id}"), &w.tam.token).await.json();
        assert_eq!(dismissed["status"].as_str(), Some("wont_do"), "[{b}] {dismissed}");
        assert!(dismissed["status_note"].as_str().unwrap_or_default().contains("Risk accepted"), "[{b}]");

        // Coverage: checkout reviewed now (a milestone), payments never.
        let coverage_path = format!("/api/v1/reviews/coverage?account_id={}", w.bravo);
        let before = c.get(&coverage_path, &w.tam.token).await.expect(200).json();
        assert_eq!(before["flagged"].as_u64(), Some(2), "[{b}] no milestone yet: {before}");
        c.post(&format!("{path}/milestones"), &w.tam.token, &json!({"version": 3})).await.expect(201);
        let now = c.get(&coverage_path, &w.tam.token).await.expect(200).json();
        let flags: Vec<(String, bool)> = now["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["workload"].as_str().unwrap().to_string(), i["flagged"].as_bool().unwrap()))
            .collect();
        assert_eq!(flags, [("checkout".to_string(), false), ("payments".to_string(), true)], "[{b}]");
        t.clock.advance(SignedDuration::from_hours(24 * 366));
        let later = c.get(&coverage_path, &w.tam.token).await.expect(200).json();
        assert_eq!(later["flagged"].as_u64(), Some(2), "[{b}] a year on, checkout is due again: {later}");
        c.get("/api/v1/reviews/coverage", &w.customer.token).await.expect_error(403, "forbidden", None);
        // Accounts not launched yet have no production workloads to flag.
        c.patch(&format!("/api/v1/accounts/{}", w.alpha), &w.tam.token, &json!({"workloads": ["pilot"]}))
            .await
            .expect(200);
        let gate = c.get(&format!("/api/v1/reviews/coverage?account_id={}", w.alpha), &w.tam.token).await.json();
        assert_eq!(gate["items"].as_array().map(Vec::len), Some(0), "[{b}] {gate}");
    }
}

#[tokio::test]
async fn admins_import_versioned_lenses_checked_field_by_field() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let lens = |version: i64, key: &str| {
            json!({"format": "tamhub-lens/1", "key": key, "version": version, "kind": "custom", "name": "Serverless lens",
            "description": "Functions and queues.",
            "pillars": [{"key": "operations", "name": "Operations", "questions": [
                {"key": "srv-1", "title": "How do you trace a request across functions?", "choices": [
                    {"key": "tracing", "title": "Distributed tracing on every function", "risk_if_absent": "high", "improvement": "Turn on tracing for every function."},
                    {"key": "correlation", "title": "Correlation ids in every log line", "risk_if_absent": "medium", "improvement": "Log a correlation id."}
                ]}]}]})
        };
        c.post("/api/v1/lenses", &w.tam.token, &lens(1, "serverless")).await.expect_error(403, "forbidden", None);
        let mut bad = lens(1, "serverless");
        bad["pillars"][0]["questions"][0]["choices"][1]["risk_if_absent"] = json!("severe");
        c.post("/api/v1/lenses", &w.admin.token, &bad).await.expect_error(
            422,
            "validation_failed",
            Some("pillars[0].questions[0].choices[1].risk_if_absent"),
        );
        c.post("/api/v1/lenses", &w.admin.token, &lens(1, "well-architected")).await.expect_error(
            422,
            "validation_failed",
            Some("key"),
        );
        c.post("/api/v1/lenses", &w.admin.token, &json!({"format": "tamhub-lens/1"})).await.expect_error(
            422,
            "validation_failed",
            Some("key"),
        );
        assert_eq!(
            c.get("/api/v1/lenses", &w.tam.token).await.json()["items"].as_array().map(Vec::len),
            Some(2),
            "[{b}] nothing written"
        );
        c.post("/api/v1/lenses", &w.admin.token, &lens(1, "serverless")).await.expect(201);
        c.post("/api/v1/lenses", &w.admin.token, &lens(1, "serverless")).await.expect_error(
            422,
            "validation_failed",
            Some("version"),
        );
        c.get("/api/v1/lenses/serverless", &w.customer.token).await.expect_error(403, "forbidden", None);
        // A review started on version 1 and answered...
        c.patch(&format!("/api/v1/accounts/{}", w.alpha), &w.tam.token, &json!({"workloads": ["ingest"]}))
            .await
            .expect(200);
        let start = json!({"account_id": w.alpha, "workload": "ingest", "lens_key": "serverless"});
        let review = c.post("/api/v1/reviews", &w.tam.token, &start).await.expect(201).json();
        assert_eq!(review["lens_version"].as_u64(), Some(1), "[{b}]");
        let path = format!("/api/v1/reviews/{}", review["id"].as_str().unwrap());
        let answers = json!({"version": 1, "answers": [{"question": "srv-1", "selected": ["tracing", "correlation"]}]});
        c.post(&format!("{path}/answers"), &w.tam.token, &answers).await.expect(200);
        c.post(&format!("{path}/lens-version"), &w.tam.token, &json!({"version": 2})).await.expect_error(
            422,
            "validation_failed",
            Some("lens_version"),
        );

        // ...moves to version 2, which swaps a practice and asks one more question.
        let mut v2 = lens(2, "serverless");
        v2["name"] = json!("Serverless lens, 2027");
        v2["pillars"][0]["questions"][0]["choices"][1] = json!({"key": "sampling", "title": "Tail-based sampling",
            "risk_if_absent": "medium", "improvement": "Sample traces by outcome."});
        let mut second = v2["pillars"][0]["questions"][0].clone();
        second["key"] = json!("srv-2");
        v2["pillars"][0]["questions"].as_array_mut().unwrap().push(second);
        c.post("/api/v1/lenses", &w.admin.token, &v2).await.expect(201);
        let newest = c.get("/api/v1/lenses/serverless", &w.tam.token).await.expect(200).json();
        let first = c.get("/api/v1/lenses/serverless?version=1", &w.tam.token).await.expect(200).json();
        assert_eq!((newest["version"].as_u64(), first["name"].as_str()), (Some(2), Some("Serverless lens")), "[{b}]");
        c.post(&format!("{path}/lens-version"), &w.pam.token, &json!({"version": 2})).await.expect_error(
            403,
            "forbidden",
            None,
        );
        let moved =
            c.post(&format!("{path}/lens-version"), &w.tam.token, &json!({"version": 2})).await.expect(200).json();
        assert_eq!(
            (moved["moved"]["kept"].as_u64(), moved["moved"]["dropped_choices"].clone()),
            (Some(1), json!(["srv-1/correlation"])),
            "[{b}] {moved}"
        );
        let r = &moved["review"];
        assert_eq!(
            (r["lens_version"].as_u64(), r["answers"][0]["selected"].clone()),
            (Some(2), json!(["tracing"])),
            "[{b}]"
        );
        assert_eq!(
            (r["assessment"]["counts"]["questions"].as_u64(), r["assessment"]["counts"]["medium"].as_u64()),
            (Some(2), Some(1)),
            "[{b}] sampling is missing now: medium"
        );
        c.post(&format!("{path}/lens-version"), &w.tam.token, &json!({"version": 3})).await.expect_error(
            422,
            "validation_failed",
            Some("lens_version"),
        );
        let again = c.post("/api/v1/reviews", &w.tam.token, &start).await.expect(201).json();
        assert_eq!(again["lens_version"].as_u64(), Some(2), "[{b}] new reviews take the newest version");
    }
}
