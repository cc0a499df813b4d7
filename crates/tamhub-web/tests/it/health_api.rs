//! Health scores through the API: signals pushed once however often they are sent, bad points
//! refused by field, scorecards versioned with bad weights and thresholds refused, a score that
//! adds up from its breakdown, insufficient data, the override beside the number, and the trend
//! from daily snapshots.

use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, World, open_ticket};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

fn scorecard() -> Value {
    json!({
        "name": "Enterprise v1",
        "measures": [
            {"key": "uptime", "label": "Uptime", "weight": 3,
             "source": {"kind": "signal", "name": "uptime_pct", "aggregate": "mean", "window_days": 30},
             "rule": {"kind": "linear", "direction": "higher_is_better", "good": 99.9, "bad": 99.0}},
            {"key": "critical_tickets", "label": "Open critical and high tickets", "weight": 2,
             "source": {"kind": "open_critical_high_tickets"},
             "rule": {"kind": "linear", "direction": "lower_is_better", "good": 0, "bad": 5}},
            {"key": "csat", "label": "CSAT", "weight": 1,
             "source": {"kind": "signal", "name": "csat", "aggregate": "latest", "window_days": 90},
             "rule": {"kind": "bands", "steps": [{"below": 3.5, "score": 0}, {"below": 4.2, "score": 60}], "otherwise": 100}}
        ]
    })
}

#[tokio::test]
async fn signals_are_stored_once_and_bad_points_are_refused_by_field() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let path = format!("/api/v1/accounts/{}/signals", w.alpha);
        let batch = json!([
            {"name": "uptime_pct", "value": 99.2, "at": "2026-03-01T00:00:00Z"},
            {"name": "uptime_pct", "value": 99.7, "at": "2026-03-02T00:00:00Z"},
            {"name": "csat", "value": 4.0, "at": "2026-02-20T00:00:00Z"}
        ]);
        let first = c.post(&path, &w.tam.token, &batch).await.expect(200).json();
        assert_eq!((first["received"].as_u64(), first["stored"].as_u64()), (Some(3), Some(3)), "[{b}]");
        let again = c.post(&path, &w.tam.token, &json!({"points": batch})).await.expect(200).json();
        assert_eq!((again["stored"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(3)), "[{b}] once");

        let before = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.expect(200).json();
        let refused = [
            (json!([{"name": "uptime_pct", "value": 99.0, "at": "2026-03-03T00:00:00Z"}]), "points[0].at"),
            (json!([{"name": "Uptime %", "value": 99.0, "at": "2026-03-01T12:00:00Z"}]), "points[0].name"),
            (json!([{"name": "uptime_pct", "value": 99.0, "at": "1999-12-31T00:00:00Z"}]), "points[0].at"),
            (json!([]), "points"),
        ];
        for (body, field) in refused {
            c.post(&path, &w.tam.token, &body).await.expect_error(422, "validation_failed", Some(field));
        }
        // A value JSON cannot hold as a finite number, and a batch with one bad point, store nothing.
        let huge = br#"[{"name": "uptime_pct", "value": 1e999, "at": "2026-03-01T06:00:00Z"}]"#.to_vec();
        let r = c.api_raw(axum::http::Method::POST, &path, Some(&w.tam.token), Some("application/json"), huge).await;
        assert_eq!(r.status.as_u16(), 400, "[{b}] {}", r.snippet());
        assert_eq!(r.json()["error"]["code"], "malformed_json", "[{b}]");
        let mixed = json!([{"name": "uptime_pct", "value": 10.0, "at": "2026-03-01T06:00:00Z"},
                           {"name": "uptime_pct", "value": 99.0, "at": "2026-03-09T00:00:00Z"}]);
        c.post(&path, &w.tam.token, &mixed).await.expect_error(422, "validation_failed", Some("points[1].at"));
        let after = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.expect(200).json();
        assert_eq!(before, after, "[{b}] nothing written");
        c.post(&path, &w.customer.token, &batch).await.expect_error(403, "forbidden", None);
    }
}

#[tokio::test]
async fn a_score_adds_up_from_its_breakdown_and_the_override_stands_beside_it() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let path = "/api/v1/scorecards/enterprise";
        c.put(path, &w.tam.token, &scorecard()).await.expect_error(403, "forbidden", None);
        let mut bad = scorecard();
        bad["measures"][0]["weight"] = json!(-1);
        bad["measures"][1]["rule"]["good"] = json!(6);
        bad["measures"][2]["rule"]["steps"][1]["below"] = json!(3.0);
        let refused = c.put(path, &w.admin.token, &bad).await.expect_error(422, "validation_failed", None);
        for field in ["measures[0].weight", "measures[1].rule.good", "measures[2].rule.steps[1].below"] {
            assert!(refused["error"]["fields"][field].is_string(), "[{b}] {field}: {refused}");
        }
        let mut zero = scorecard();
        for m in zero["measures"].as_array_mut().expect("measures") {
            m["weight"] = json!(0);
        }
        c.put(path, &w.admin.token, &zero).await.expect_error(422, "validation_failed", Some("measures"));
        let saved = c.put(path, &w.leadership.token, &scorecard()).await.expect(201).json();
        assert_eq!(saved["version"], 1, "[{b}]");
        let versions = c.get(path, &w.tam.token).await.expect(200).json();
        assert_eq!(versions["items"].as_array().map(Vec::len), Some(1), "[{b}]");

        // Alpha (enterprise): uptime mean 99.45 → 50; one open high ticket → 80; no CSAT yet.
        let signals = format!("/api/v1/accounts/{}/signals", w.alpha);
        let points = json!([{"name": "uptime_pct", "value": 99.2, "at": "2026-03-01T00:00:00Z"},
                            {"name": "uptime_pct", "value": 99.7, "at": "2026-03-02T00:00:00Z"}]);
        c.post(&signals, &w.tam.token, &points).await.expect(200);
        open_ticket(&c, &w.tam.token, Some(w.alpha), "high", "Checkout slow").await;
        let health_path = format!("/api/v1/accounts/{}/health", w.alpha);
        let h = c.get(&health_path, &w.tam.token).await.expect(200).json();
        assert_eq!((h["score"].as_f64(), h["band"].as_str()), (Some(62.0), Some("yellow")), "[{b}] {h}");
        assert_eq!(h["scorecard_version"], 1, "[{b}]");
        let breakdown = h["breakdown"].as_array().expect("breakdown");
        let row = |key: &str| breakdown.iter().find(|m| m["key"] == key).cloned().expect(key);
        assert_eq!((row("uptime")["value"].as_f64(), row("uptime")["score"].as_f64()), (Some(99.45), Some(50.0)));
        assert_eq!(row("uptime")["points_lost"], 30.0, "[{b}] 60 % of the weight × 50 points");
        assert_eq!(row("critical_tickets")["points_lost"], 8.0, "[{b}]");
        assert_eq!((row("csat")["value"].clone(), row("csat")["points_lost"].clone()), (Value::Null, Value::Null));
        let lost: f64 = breakdown.iter().filter_map(|m| m["points_lost"].as_f64()).sum();
        assert_eq!(lost, 100.0 - 62.0, "[{b}] the points add up");
        assert!((h["computed"]["data_pct"].as_f64().expect("pct") - 500.0 / 6.0).abs() < 1e-9, "[{b}]");

        // What if uptime were 99.9 and a CSAT of 4.5 came in: (3×100 + 2×80 + 1×100) / 6 = 93.33.
        let what_if = c
            .post(&format!("{health_path}/what-if"), &w.tam.token, &json!({"values": {"uptime": 99.9, "csat": 4.5}}))
            .await
            .expect(200)
            .json();
        assert_eq!(
            (what_if["actual"]["score"].as_f64(), what_if["what_if"]["score"].as_f64()),
            (Some(62.0), Some(93.33))
        );
        c.post(&format!("{health_path}/what-if"), &w.tam.token, &json!({"values": {"nps": 10}})).await.expect_error(
            422,
            "validation_failed",
            Some("values.nps"),
        );

        // Bravo has no uptime: 2 of 6 weight < 60 % — insufficient data, not a number.
        let bravo = c.get(&format!("/api/v1/accounts/{}/health", w.bravo), &w.tam.token).await.expect(200).json();
        assert_eq!((bravo["score"].clone(), bravo["band"].as_str()), (Value::Null, Some("insufficient_data")), "[{b}]");

        // The override: band, reason and expiry, all required; the number stays.
        let over = format!("{health_path}/override");
        for (body, field) in [
            (json!({"band": "red", "reason": "", "expires_at": "2026-04-01T00:00:00Z"}), "reason"),
            (json!({"band": "red", "reason": "Exec sponsor left"}), "expires_at"),
            (json!({"band": "blue", "reason": "x", "expires_at": "2026-04-01T00:00:00Z"}), "band"),
            (json!({"band": "red", "reason": "x", "expires_at": "2026-03-01T00:00:00Z"}), "expires_at"),
        ] {
            c.put(&over, &w.tam.token, &body).await.expect_error(422, "validation_failed", Some(field));
        }
        c.put(&over, &w.pam.token, &json!({"band": "red", "reason": "x", "expires_at": "2026-04-01T00:00:00Z"}))
            .await
            .expect_error(403, "forbidden", None);
        let body = json!({"band": "red", "reason": "The executive sponsor left last week", "expires_at": "2026-04-01T00:00:00Z"});
        let h = c.put(&over, &w.tam.token, &body).await.expect(200).json();
        assert_eq!(
            (h["band"].as_str(), h["computed"]["band"].as_str(), h["score"].as_f64()),
            (Some("red"), Some("yellow"), Some(62.0))
        );
        assert_eq!(h["override"]["reason"], "The executive sponsor left last week", "[{b}]");
        c.get(&health_path, &w.customer.token).await.expect_error(403, "forbidden", None);
        // It ends by itself.
        set(&t, "2026-04-01T00:00:01Z");
        let later = c.get(&health_path, &w.tam.token).await.expect(200).json();
        assert_eq!(later["override"], Value::Null, "[{b}] expired");
        c.api(axum::http::Method::DELETE, &over, &w.tam.token, None).await.expect(204);
    }
}

#[tokio::test]
async fn daily_snapshots_give_the_trend() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        c.put("/api/v1/scorecards/enterprise", &w.admin.token, &scorecard()).await.expect(201);
        let signals = format!("/api/v1/accounts/{}/signals", w.alpha);
        set(&t, "2026-03-02T10:00:00Z");
        c.post(&signals, &w.tam.token, &json!([{"name": "uptime_pct", "value": 99.9, "at": "2026-03-02T00:00:00Z"}]))
            .await
            .expect(200);
        let report = t.app.sla_scan_once().await.expect("scan");
        assert!(report.health_snapshots >= 4, "[{b}] every live account: {report:?}");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").health_snapshots, 0, "[{b}] once a day");
        // A week later uptime fell: the 30-day mean is 99.45 → 50; the score dropped by 30.
        set(&t, "2026-03-09T10:00:00Z");
        c.post(&signals, &w.tam.token, &json!([{"name": "uptime_pct", "value": 99.0, "at": "2026-03-09T00:00:00Z"}]))
            .await
            .expect(200);
        let h = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.expect(200).json();
        assert_eq!((h["score"].as_f64(), h["trend"]["d7"].as_f64()), (Some(70.0), Some(-30.0)), "[{b}] {h}");
        assert_eq!(h["trend"]["d30"], Value::Null, "[{b}] no snapshot 30 days ago");
        let history = h["history"].as_array().expect("history");
        assert_eq!(history.first().map(|p| p["day"].clone()), Some(json!("2026-03-02")), "[{b}]");
        assert_eq!(history.last().map(|p| p["score"].clone()), Some(json!(70.0)), "[{b}]");
    }
}

#[tokio::test]
async fn a_csv_import_lands_whole_or_not_at_all() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let send = |token: String, body: String, content_type: &'static str| {
            let c = &c;
            async move {
                c.api_raw(
                    axum::http::Method::POST,
                    "/api/v1/signals/import",
                    Some(&token),
                    Some(content_type),
                    body.into_bytes(),
                )
                .await
            }
        };
        let (alpha, charlie) = (w.alpha, w.charlie);
        let bad = format!(
            "account_id,name,value,at\n{alpha},uptime_pct,99.9,2026-03-01T00:00:00Z\n{alpha},uptime_pct,high,2026-03-01T01:00:00Z\n\
             {charlie},uptime_pct,99.1,2026-03-01T00:00:00Z\n{alpha},csat,4.2,2026-03-05T00:00:00Z\n"
        );
        let refused = send(w.tam.token.clone(), bad, "text/csv").await;
        assert_eq!(refused.status.as_u16(), 422, "[{b}] {}", refused.snippet());
        let fields = &refused.json()["error"]["fields"];
        for field in ["line 3.value", "line 4.account_id", "line 5.at"] {
            assert!(fields[field].is_string(), "[{b}] {field}: {fields}");
        }
        let h = c.get(&format!("/api/v1/accounts/{alpha}/health"), &w.tam.token).await.expect(200).json();
        let uptime = h["breakdown"].as_array().expect("breakdown").iter().find(|m| m["key"] == "uptime").cloned();
        assert_eq!(uptime.map(|m| m["value"].clone()), Some(Value::Null), "[{b}] the good row did not land either");

        let good = format!(
            "at,account_id,value,name\n2026-03-01T00:00:00Z,{alpha},99.9,uptime_pct\n2026-03-02T00:00:00Z,{alpha},99.7,uptime_pct\n"
        );
        let done = send(w.tam.token.clone(), good.clone(), "text/csv; charset=utf-8").await;
        assert_eq!(done.status.as_u16(), 200, "[{b}] {}", done.snippet());
        assert_eq!((done.json()["rows"].as_u64(), done.json()["stored"].as_u64()), (Some(2), Some(2)), "[{b}]");
        let again = send(w.tam.token.clone(), good.clone(), "text/csv").await.json();
        assert_eq!((again["stored"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(2)), "[{b}] stored once");
        let wrong = send(w.tam.token.clone(), good, "application/json").await;
        assert_eq!(wrong.status.as_u16(), 415, "[{b}]");
        let headerless = send(w.tam.token.clone(), "a,b\n1,2\n".into(), "text/csv").await;
        assert!(headerless.json()["error"]["fields"]["file"].is_string(), "[{b}] the columns are named");
    }
}

#[tokio::test]
async fn a_new_scorecard_version_rescores_history_on_demand() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let signals = format!("/api/v1/accounts/{}/signals", w.alpha);
        set(&t, "2026-03-01T10:00:00Z");
        c.put("/api/v1/scorecards/enterprise", &w.admin.token, &scorecard()).await.expect(201);
        c.post(&signals, &w.tam.token, &json!([{"name": "uptime_pct", "value": 99.45, "at": "2026-03-01T09:00:00Z"}]))
            .await
            .expect(200);
        t.app.sla_scan_once().await.expect("snapshot of 1 March");
        set(&t, "2026-03-02T10:00:00Z");
        // Version 2: uptime alone, judged more strictly.
        let mut strict = scorecard();
        strict["measures"] = json!([strict["measures"][0].clone()]);
        strict["measures"][0]["rule"]["good"] = json!(99.99);
        strict["measures"][0]["rule"]["bad"] = json!(99.45);
        c.put("/api/v1/scorecards/enterprise", &w.admin.token, &strict).await.expect(201);
        let path = "/api/v1/scorecards/enterprise/rescore";
        c.post(path, &w.tam.token, &json!({"days": 2})).await.expect_error(403, "forbidden", None);
        c.post(path, &w.admin.token, &json!({"days": 0})).await.expect_error(422, "validation_failed", Some("days"));
        let started = c.post(path, &w.admin.token, &json!({"days": 2})).await.expect(202).json();
        assert_eq!(started["state"], "running", "[{b}]");
        let mut status = json!(null);
        for _ in 0..200 {
            status = c.get(path, &w.tam.token).await.expect(200).json();
            if status["state"] != "running" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            (status["state"].as_str(), status["total"].as_u64()),
            (Some("done"), Some(4)),
            "[{b}] the four enterprise accounts: {status}"
        );
        let h = c.get(&format!("/api/v1/accounts/{}/health", w.alpha), &w.tam.token).await.expect(200).json();
        let first = &h["history"][0];
        assert_eq!((first["day"].as_str(), first["score"].as_f64()), (Some("2026-03-01"), Some(0.0)), "[{b}] {h}");
        c.get("/api/v1/scorecards/business/rescore", &w.admin.token).await.expect(404);
    }
}
