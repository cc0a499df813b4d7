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

#[tokio::test]
async fn an_admin_edits_a_scorecard_as_a_table_and_bad_rows_are_named() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let tam = c.login_as(&w.tam.user).await;
        c.page_get("/admin/scorecards/enterprise", &tam).await.expect(403);
        let admin = c.login_as(&w.admin.user).await;
        let list = c.page_get("/admin/scorecards", &admin).await.expect(200).text();
        assert!(list.contains("Enterprise default") && list.contains("built-in"), "[{b}]");
        let page = unescape(&c.page_get("/admin/scorecards/enterprise", &admin).await.expect(200).text());
        assert!(page.contains("value=\"uptime_pct\"") && page.contains("<30 → 40, <90 → 70, else 100"), "[{b}]");

        let row = |i: usize, fields: &[(&str, &str)]| -> Vec<(String, String)> {
            fields.iter().map(|(k, v)| (format!("measures[{i}].{k}"), v.to_string())).collect()
        };
        let mut form: Vec<(String, String)> = vec![
            ("name".into(), "Lean".into()),
            ("min_data_pct".into(), "50".into()),
            ("green_from".into(), "80".into()),
            ("yellow_from".into(), "60".into()),
        ];
        form.extend(row(
            0,
            &[
                ("key", "uptime"),
                ("label", "Uptime"),
                ("source.kind", "signal"),
                ("source.name", "uptime_pct"),
                ("source.aggregate", "mean"),
                ("source.window_days", "30"),
                ("weight", "3"),
                ("rule.kind", "linear"),
                ("rule.direction", "higher_is_better"),
                ("rule.good", "99.0"),
                ("rule.bad", "99.9"),
            ],
        ));
        // Row 1 left blank; row 2 has bands in the wrong order.
        form.extend(row(
            2,
            &[
                ("key", "renewal"),
                ("label", "Renewal"),
                ("source.kind", "renewal_proximity"),
                ("weight", "1"),
                ("rule.kind", "bands"),
                ("rule.steps", "<90 → 70, <30 → 40, else 100"),
            ],
        ));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let refused = unescape(&c.page_post("/admin/scorecards/enterprise", &admin, &pairs).await.expect(422).text());
        assert!(refused.contains("thresholds in the wrong order"), "[{b}] {refused}");
        assert_eq!(refused.matches("<tr class=\"invalid\">").count(), 2, "[{b}] rows 0 and 2 are marked");

        let fixed: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| match k.as_str() {
                "measures[0].rule.good" => (k.clone(), "99.9".to_string()),
                "measures[0].rule.bad" => (k.clone(), "99.0".to_string()),
                "measures[2].rule.steps" => (k.clone(), "<30 → 40, <90 → 70, else 100".to_string()),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let pairs: Vec<(&str, &str)> = fixed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let saved = c.page_post("/admin/scorecards/enterprise", &admin, &pairs).await;
        assert_eq!(saved.expect(303).location(), Some("/admin/scorecards/enterprise?notice=saved"), "[{b}]");
        let api = c.get("/api/v1/scorecards/enterprise", &w.admin.token).await.expect(200).json();
        let v1 = &api["items"][0];
        assert_eq!(
            (v1["version"].as_i64(), v1["name"].as_str(), v1["green_from"].as_f64()),
            (Some(1), Some("Lean"), Some(80.0))
        );
        assert_eq!(v1["measures"].as_array().map(Vec::len), Some(2), "[{b}] the blank row is ignored");
        assert_eq!(v1["measures"][1]["rule"]["steps"][0], json!({"below": 30.0, "score": 40.0}), "[{b}]");
    }
}
