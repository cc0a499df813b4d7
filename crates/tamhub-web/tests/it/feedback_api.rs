//! Feature requests and expansion opportunities through the API: a request needs an account the
//! caller sees, ranks by the ARR of every account that wants it, names only visible accounts, and
//! keeps the ones a caller cannot see; a decline needs a reason; opportunities refuse negative
//! values and stay in scope.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

#[tokio::test]
async fn feature_requests_rank_by_arr_and_show_only_visible_accounts() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let path = "/api/v1/feature-requests";
        c.post(path, &w.tam.token, &json!({"title": "Cross-region read replicas"})).await.expect_error(
            422,
            "validation_failed",
            Some("accounts"),
        );
        c.post(
            path,
            &w.tam.token,
            &json!({"title": "Cross-region read replicas", "accounts": [{"account_id": w.charlie}]}),
        )
        .await
        .expect_error(422, "validation_failed", Some("accounts[0].account_id"));
        assert_eq!(c.get(path, &w.admin.token).await.json()["items"].as_array().map(Vec::len), Some(0), "[{b}]");

        let replicas = c
            .post(
                path,
                &w.tam.token,
                &json!({"title": "Cross-region read replicas", "product_area": "Managed database",
                        "accounts": [{"account_id": w.alpha, "business_impact": "EU data residency"},
                                     {"account_id": w.bravo, "business_impact": "Read latency in APAC"}]}),
            )
            .await
            .expect(201)
            .json();
        assert_eq!(
            (replicas["weight"].as_i64(), replicas["status"].as_str()),
            (Some(20_000_000), Some("new")),
            "[{b}]"
        );
        let export = c
            .post(
                path,
                &w.tam2.token,
                &json!({"title": "Billing export to S3", "accounts": [{"account_id": w.charlie}]}),
            )
            .await
            .expect(201)
            .json();
        let ranked = c.get(path, &w.leadership.token).await.expect(200).json();
        let titles: Vec<&str> =
            ranked["items"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Cross-region read replicas", "Billing export to S3"], "[{b}] heaviest first");
        let mine = c.get(path, &w.tam.token).await.json();
        assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "[{b}] only requests of their accounts");
        // support2 sees charlie only: the replicas request is not theirs.
        let theirs = c.get(path, &w.support2.token).await.json();
        assert_eq!(theirs["items"][0]["title"], "Billing export to S3", "[{b}]");
        // tam2 (bravo primary, alpha backup) adds charlie to the replicas request; tam then sees
        // charlie counted but not named, and their own edit keeps it.
        let id = replicas["id"].as_str().unwrap();
        c.patch(
            &format!("{path}/{id}"),
            &w.tam2.token,
            &json!({"accounts": [{"account_id": w.alpha}, {"account_id": w.bravo}, {"account_id": w.charlie}]}),
        )
        .await
        .expect(200);
        let seen = c.get(&format!("{path}/{id}"), &w.tam.token).await.json();
        assert_eq!((seen["weight"].as_i64(), seen["other_accounts"].as_u64()), (Some(30_000_000), Some(1)), "[{b}]");
        assert_eq!(seen["accounts"].as_array().map(Vec::len), Some(2), "[{b}] charlie not named");
        c.patch(&format!("{path}/{id}"), &w.tam.token, &json!({"accounts": [{"account_id": w.alpha}]}))
            .await
            .expect(200);
        let kept = c.get(&format!("{path}/{id}"), &w.leadership.token).await.json();
        assert_eq!(kept["accounts"].as_array().map(Vec::len), Some(2), "[{b}] alpha and the unseen charlie");
        c.patch(&format!("{path}/{id}"), &w.tam.token, &json!({"status": "declined"})).await.expect_error(
            422,
            "validation_failed",
            Some("status_note"),
        );
        c.get(&format!("{path}/{}", export["id"].as_str().unwrap()), &w.tam.token).await.expect_error(
            404,
            "not_found",
            None,
        );
        c.get(path, &w.customer.token).await.expect_error(403, "forbidden", None);
    }
}

#[tokio::test]
async fn opportunities_have_a_value_stage_and_owner_in_scope() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let path = format!("/api/v1/accounts/{}/opportunities", w.alpha);
        c.post(&path, &w.pam.token, &json!({"title": "Analytics tier", "value": -1, "owner_id": w.pam.id()}))
            .await
            .expect_error(422, "validation_failed", Some("value"));
        c.post(&path, &w.pam.token, &json!({"title": "Analytics tier", "value": 4_800_000, "stage": "closing"}))
            .await
            .expect_error(422, "validation_failed", Some("stage"));
        let o = c
            .post(&path, &w.pam.token, &json!({"title": "Analytics tier", "value": 4_800_000, "owner_id": w.pam.id(), "expected_close": "2026-09-30"}))
            .await
            .expect(201)
            .json();
        assert_eq!(o["stage"], "identified", "[{b}]");
        let moved = c
            .patch(
                &format!("/api/v1/opportunities/{}", o["id"].as_str().unwrap()),
                &w.tam.token,
                &json!({"stage": "proposed", "version": 1}),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(moved["stage"], "proposed", "[{b}]");
        assert_eq!(
            c.get("/api/v1/opportunities", &w.leadership.token).await.json()["items"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(
            c.get("/api/v1/opportunities", &w.support2.token).await.json()["items"].as_array().map(Vec::len),
            Some(0)
        );
        c.get(&path, &w.customer.token).await.expect_error(403, "forbidden", None);
        c.post(&path, &w.support.token, &json!({"title": "x", "value": 1, "owner_id": w.support.id()}))
            .await
            .expect_error(403, "forbidden", None);
    }
}
