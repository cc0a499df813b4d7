//! Health in the pages: the account panel with its breakdown, the override form refused by field
//! and then saved, the portfolio's health column, the at-risk list for leadership, and the turn
//! to red noticed by the TAMs.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

fn scorecard() -> serde_json::Value {
    json!({"name": "Uptime only", "measures": [
        {"key": "uptime", "label": "Uptime", "weight": 1,
         "source": {"kind": "signal", "name": "uptime_pct", "aggregate": "latest", "window_days": 30},
         "rule": {"kind": "linear", "direction": "higher_is_better", "good": 99.9, "bad": 99.0}}]})
}

#[tokio::test]
async fn the_account_page_explains_the_score_and_takes_an_override() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        c.put("/api/v1/scorecards/enterprise", &w.admin.token, &scorecard()).await.expect(201);
        let signals = format!("/api/v1/accounts/{}/signals", w.alpha);
        c.post(&signals, &w.tam.token, &json!([{"name": "uptime_pct", "value": 99.45, "at": "2026-03-02T09:00:00Z"}]))
            .await
            .expect(200);
        let tam = c.login_as(&w.tam.user).await;
        let page = unescape(&c.page_get(&format!("/accounts/{}", w.alpha), &tam).await.expect(200).text());
        assert!(page.contains("id=\"health-breakdown\"") && page.contains("Uptime only v1"), "[{b}]");
        assert!(page.contains(">50<") && page.contains("−50.00"), "[{b}] score 50, all 50 points lost to uptime");

        let what_if = format!("/accounts/{}/health/what-if?v.uptime=99.9", w.alpha);
        let page = c.page_get(&what_if, &tam).await.expect(200).text();
        assert!(page.contains("id=\"what-if-score\" title=\"What if\">100<"), "[{b}] {page}");

        let path = format!("/accounts/{}/health/override", w.alpha);
        let refused = c.page_post(&path, &tam, &[("band", "red"), ("expires_at", ""), ("reason", "")]).await;
        let html = unescape(&refused.expect(422).text());
        assert!(html.contains("must not be empty: an override ends"), "[{b}] {html}");
        assert!(html.contains("id=\"override-form\""), "[{b}]");
        let saved = c
            .page_post(&path, &tam, &[("band", "red"), ("expires_at", "2026-03-20"), ("reason", "Sponsor left")])
            .await;
        assert_eq!(saved.expect(303).location(), Some(format!("/accounts/{}?notice=health#health", w.alpha).as_str()));
        let page = unescape(&c.page_get(&format!("/accounts/{}", w.alpha), &tam).await.expect(200).text());
        assert!(page.contains("Override: Sponsor left") && page.contains("computed yellow"), "[{b}]");
        let api = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.expect(200).json();
        assert_eq!(api["override"]["expires_at"], "2026-03-20T23:59:00Z", "[{b}] the end of the day, UTC");
        c.page_post(&path, &tam, &[("clear", "1")]).await.expect(303);
        let api = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.expect(200).json();
        assert_eq!(api["override"], serde_json::Value::Null, "[{b}] cleared");
        // Customers see no health panel and cannot post one.
        let customer = c.login_as(&w.customer.user).await;
        let theirs = c.page_get(&format!("/accounts/{}", w.alpha), &customer).await.expect(200).text();
        assert!(!theirs.contains("id=\"health\""), "[{b}]");
        c.page_post(&path, &customer, &[("band", "red"), ("expires_at", "2026-03-20"), ("reason", "x")])
            .await
            .expect(403);
    }
}

#[tokio::test]
async fn the_portfolio_shows_health_and_leadership_sees_who_turned_red() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        c.put("/api/v1/scorecards/enterprise", &w.admin.token, &scorecard()).await.expect(201);
        let signals = format!("/api/v1/accounts/{}/signals", w.alpha);
        set(&t, "2026-03-01T10:00:00Z");
        c.post(&signals, &w.tam.token, &json!([{"name": "uptime_pct", "value": 99.9, "at": "2026-03-01T09:00:00Z"}]))
            .await
            .expect(200);
        t.app.sla_scan_once().await.expect("scan");
        set(&t, "2026-03-02T10:00:00Z");
        c.post(&signals, &w.tam.token, &json!([{"name": "uptime_pct", "value": 99.1, "at": "2026-03-02T09:00:00Z"}]))
            .await
            .expect(200);
        t.app.sla_scan_once().await.expect("scan");

        // Alpha went from 100 to 11: red; its TAMs are told once.
        let notes = c.get("/api/v1/notifications?limit=100", &w.tam.token).await.expect(200).json();
        let red: Vec<&serde_json::Value> =
            notes["items"].as_array().expect("items").iter().filter(|n| n["kind"] == "health_red").collect();
        assert_eq!(red.len(), 1, "[{b}] {notes}");
        assert_eq!(red[0]["title"], "Alpha Analytics turned red", "[{b}]");
        assert_eq!(red[0]["account_id"], json!(w.alpha), "[{b}]");

        let tam = c.login_as(&w.tam.user).await;
        let portfolio = c.page_get("/", &tam).await.expect(200).text();
        assert!(portfolio.contains("badge health-red") && portfolio.contains("<polyline"), "[{b}]");
        let lead = c.login_as(&w.leadership.user).await;
        let risk = unescape(&c.page_get("/health/at-risk", &lead).await.expect(200).text());
        assert!(risk.contains("Alpha Analytics") && risk.contains("Red"), "[{b}]");
        let customer = c.login_as(&w.customer.user).await;
        c.page_get("/health/at-risk", &customer).await.expect(404);
    }
}
