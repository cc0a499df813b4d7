//! Findings through the API: negative savings and savings on a review improvement refused by
//! field, the lifecycle with its reasons and who acted, realised savings that sum correctly per
//! account and for the portfolio, and scope.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

#[tokio::test]
async fn findings_move_through_their_lifecycle_and_realised_savings_add_up() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let path = format!("/api/v1/accounts/{}/findings", w.alpha);
        let cost = |title: &str, estimate: i64| json!({"kind": "cost_optimisation", "title": title, "estimated_monthly_savings": estimate, "effort": "low"});
        c.post(&path, &w.tam.token, &cost("Rightsize", -100)).await.expect_error(
            422,
            "validation_failed",
            Some("estimated_monthly_savings"),
        );
        c.post(&path, &w.tam.token, &json!({"kind": "cost_optimisation", "title": "No estimate"})).await.expect_error(
            422,
            "validation_failed",
            Some("estimated_monthly_savings"),
        );
        c.post(
            &path,
            &w.tam.token,
            &json!({"kind": "review_improvement", "title": "Multi-AZ", "estimated_monthly_savings": 5}),
        )
        .await
        .expect_error(422, "validation_failed", Some("estimated_monthly_savings"));
        assert_eq!(
            c.get(&path, &w.tam.token).await.json()["items"].as_array().map(Vec::len),
            Some(0),
            "[{b}] nothing written"
        );

        let a = c.post(&path, &w.tam.token, &cost("Rightsize the analytics cluster", 120_000)).await.expect(201).json();
        let bb =
            c.post(&path, &w.tam.token, &cost("Storage tiering for cold buckets", 80_000)).await.expect(201).json();
        let cc = c.post(&path, &w.tam.token, &cost("Reserved capacity", 50_000)).await.expect(201).json();
        let improvement = c
            .post(&path, &w.tam.token, &json!({"kind": "review_improvement", "title": "Move the database to multi-AZ", "needs_downtime": true, "effort": "high"}))
            .await
            .expect(201)
            .json();
        assert_eq!(
            (a["status"].as_str(), improvement["needs_downtime"].as_bool()),
            (Some("pending"), Some(true)),
            "[{b}]"
        );

        let patch = |id: &serde_json::Value| format!("/api/v1/findings/{}", id.as_str().unwrap());
        c.patch(&patch(&a["id"]), &w.tam.token, &json!({"status": "resolved"})).await.expect_error(
            422,
            "validation_failed",
            Some("realised_monthly_savings"),
        );
        c.patch(&patch(&a["id"]), &w.tam.token, &json!({"status": "in_progress", "note": "Scheduled"}))
            .await
            .expect(200);
        let resolved = c
            .patch(&patch(&a["id"]), &w.tam.token, &json!({"status": "resolved", "realised_monthly_savings": 90_000}))
            .await
            .expect(200)
            .json();
        assert_eq!(resolved["history"].as_array().map(Vec::len), Some(2), "[{b}] two moves recorded");
        assert_eq!(resolved["history"][1]["by"], json!(w.tam.id()), "[{b}]");
        c.patch(&patch(&bb["id"]), &w.tam.token, &json!({"status": "resolved", "realised_monthly_savings": 50_000}))
            .await
            .expect(200);
        c.patch(&patch(&cc["id"]), &w.tam.token, &json!({"status": "dismissed"})).await.expect_error(
            422,
            "validation_failed",
            Some("dismiss_reason"),
        );
        c.patch(
            &patch(&cc["id"]),
            &w.tam.token,
            &json!({"status": "dismissed", "dismiss_reason": "customer_declined"}),
        )
        .await
        .expect(200);
        c.patch(&patch(&a["id"]), &w.tam.token, &json!({"status": "dismissed", "dismiss_reason": "duplicate"}))
            .await
            .expect_error(422, "validation_failed", Some("status"));

        let list = c.get(&path, &w.tam.token).await.expect(200).json();
        let totals = &list["totals"];
        assert_eq!(
            (totals["resolved"].as_u64(), totals["dismissed"].as_u64(), totals["pending"].as_u64()),
            (Some(2), Some(1), Some(1)),
            "[{b}] {totals}"
        );
        assert_eq!(
            (totals["realised_monthly_savings"].as_i64(), totals["open_estimated_monthly_savings"].as_i64()),
            (Some(140_000), Some(0)),
            "[{b}]"
        );
        c.post(&format!("/api/v1/accounts/{}/findings", w.bravo), &w.tam.token, &cost("Idle load balancers", 10_000))
            .await
            .expect(201);
        let portfolio = c.get("/api/v1/findings", &w.leadership.token).await.json();
        assert_eq!(
            (
                portfolio["totals"]["realised_monthly_savings"].as_i64(),
                portfolio["totals"]["open_estimated_monthly_savings"].as_i64()
            ),
            (Some(140_000), Some(10_000)),
            "[{b}]"
        );
        assert_eq!(portfolio["by_account"].as_array().map(Vec::len), Some(2), "[{b}]");
        c.get(&path, &w.customer.token).await.expect_error(403, "forbidden", None);
        c.get(&patch(&a["id"]), &w.support2.token).await.expect_error(404, "not_found", None);
        c.patch(&patch(&a["id"]), &w.pam.token, &json!({"title": "x"})).await.expect_error(403, "forbidden", None);
    }
}
