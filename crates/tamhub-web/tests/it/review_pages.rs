//! Reviews through the pages: a review started on a workload, a pillar answered through its form
//! (checked practices, "none in place", not applicable), two milestones compared, an improvement
//! planned; a broken lens refused on the import page and a good one imported; customers kept out.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

#[tokio::test]
async fn a_tam_answers_a_pillar_compares_milestones_and_plans_an_improvement() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        c.patch(&format!("/api/v1/accounts/{}", w.bravo), &w.tam.token, &json!({"workloads": ["checkout"]}))
            .await
            .expect(200);
        let tam = c.login_as(&w.tam.user).await;
        let page = format!("/accounts/{}/reviews", w.bravo);
        let html = unescape(&c.page_get(&page, &tam).await.expect(200).text());
        assert!(html.contains("Review due") && html.contains("Start review"), "[{b}] never reviewed: {html}");
        let overview = unescape(&c.page_get(&format!("/accounts/{}", w.bravo), &tam).await.expect(200).text());
        assert!(overview.contains("1 due a Well-Architected review"), "[{b}] the account page flags it");
        let refused = c.page_post(&page, &tam, &[("workload", "search"), ("lens_key", "well-architected")]).await;
        assert!(unescape(&refused.expect(422).text()).contains("must be one of the account's workloads"), "[{b}]");
        let started = c.page_post(&page, &tam, &[("workload", "checkout"), ("lens_key", "well-architected")]).await;
        let review = started.expect(303).location().unwrap().to_string();
        assert!(review.starts_with("/reviews/"), "[{b}] {review}");

        let lens = c.get("/api/v1/lenses/well-architected", &w.tam.token).await.json();
        let qs = lens["pillars"][0]["questions"].as_array().unwrap().clone();
        let key = |i: usize| qs[i]["key"].as_str().unwrap().to_string();
        let choice = |i: usize, j: usize| qs[i]["choices"][j]["key"].as_str().unwrap().to_string();
        let (q0, q1, q2, q3) = (key(0), key(1), key(2), key(3));
        let all_of_q0: Vec<String> = (0..qs[0]["choices"].as_array().unwrap().len()).map(|j| choice(0, j)).collect();
        let (s0, s1, s2, s3) =
            (format!("state:{q0}"), format!("state:{q1}"), format!("state:{q2}"), format!("state:{q3}"));
        let c0 = format!("choice:{q0}");
        let c1 = format!("choice:{q1}");
        let first_of_q1 = choice(1, 0);
        // q0: none in place; q1: one practice checked; q2: not applicable; q3: left unanswered.
        let fields = [
            ("version", "1"),
            ("pillar", "operational_excellence"),
            ("question", q0.as_str()),
            ("question", q1.as_str()),
            ("question", q2.as_str()),
            ("question", q3.as_str()),
            (s0.as_str(), "none"),
            (c1.as_str(), first_of_q1.as_str()),
            (s1.as_str(), "unanswered"),
            (s2.as_str(), "not_applicable"),
            (s3.as_str(), "unanswered"),
        ];
        c.page_post(&format!("{review}/answers"), &tam, &fields).await.expect(303);
        let api = format!("/api/v1{review}");
        let got = c.get(&api, &w.tam.token).await.json();
        let states: Vec<&str> = got["assessment"]["questions"].as_array().unwrap()[..4]
            .iter()
            .map(|q| q["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["answered", "answered", "not_applicable", "unanswered"], "[{b}]");
        assert_eq!(got["answers"][1]["selected"], json!([first_of_q1]), "[{b}]");
        c.page_post(&format!("{review}/answers"), &tam, &fields).await.expect(422);

        c.page_post(&format!("{review}/milestones"), &tam, &[("version", "2"), ("name", "Kick-off")]).await.expect(303);
        let mut fixed: Vec<(&str, &str)> =
            vec![("version", "3"), ("pillar", "operational_excellence"), ("question", q0.as_str())];
        fixed.extend(all_of_q0.iter().map(|k| (c0.as_str(), k.as_str())));
        c.page_post(&format!("{review}/answers"), &tam, &fixed).await.expect(303);
        c.page_post(&format!("{review}/milestones"), &tam, &[("version", "4"), ("name", "")]).await.expect(303);
        let html = unescape(&c.page_get(&review, &tam).await.expect(200).text());
        assert!(html.contains("Kick-off") && html.contains("Milestone 2"), "[{b}]");
        let removed = html.split("Risks removed").nth(1).unwrap_or_default();
        assert!(removed.contains(&format!("<strong>{q0}</strong>")), "[{b}] {removed}");
        let log = format!("/accounts/{}/meetings/new?type=well_architected_review", w.bravo);
        assert!(html.contains(&log), "[{b}] the review links logging its session as a charter meeting");
        let meeting = unescape(&c.page_get(&log, &tam).await.expect(200).text());
        assert!(meeting.contains(r#"<option value="well_architected_review" selected"#), "[{b}] prefilled type");
        let stale = c.page_get(&format!("{review}?from=7&to=current"), &tam).await;
        assert!(unescape(&stale.expect(422).text()).contains("has no milestone 7"), "[{b}]");

        // q1 lacks practices: plan the first missing one.
        let missing = got["assessment"]["questions"][1]["improvements"][0]["choice"].as_str().unwrap().to_string();
        let plan = [
            ("version", "5"),
            ("question", q1.as_str()),
            ("choice", missing.as_str()),
            ("owner_id", ""),
            ("due_on", "next week"),
        ];
        let refused = c.page_post(&format!("{review}/improvements"), &tam, &plan).await.expect(422).text();
        assert!(unescape(&refused).contains("must be a date"), "[{b}]");
        let mut plan = plan.to_vec();
        plan[4] = ("due_on", "2031-03-01");
        c.page_post(&format!("{review}/improvements"), &tam, &plan).await.expect(303);
        let html = unescape(&c.page_get(&review, &tam).await.expect(200).text());
        assert!(html.contains("/actions/"), "[{b}] the planned item links its action");
        let actions = c.get(&format!("/api/v1/actions?account_id={}", w.bravo), &w.tam.token).await.json();
        assert_eq!(actions["items"][0]["owner_id"], json!(w.tam.id()), "[{b}] the owner defaults to the caller");

        let overview = unescape(&c.page_get(&format!("/accounts/{}", w.bravo), &tam).await.expect(200).text());
        assert!(!overview.contains("due a Well-Architected review"), "[{b}] reviewed now");
        let portfolio = unescape(&c.page_get("/reviews", &tam).await.expect(200).text());
        assert!(portfolio.contains("Well-Architected review of checkout"), "[{b}]");
        let customer = c.login_as(&w.customer.user).await;
        c.page_get(&review, &customer).await.expect(404);
        c.page_get("/reviews", &customer).await.expect(404);
        let pam = c.login_as(&w.pam.user).await;
        let read_only = unescape(&c.page_get(&review, &pam).await.expect(200).text());
        assert!(!read_only.contains("Save milestone"), "[{b}] PAMs read, do not change");
        c.page_post(&format!("{review}/milestones"), &pam, &[("version", "6")]).await.expect(403);
    }
}

#[tokio::test]
async fn an_admin_imports_a_lens_through_the_page() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let admin = c.login_as(&w.admin.user).await;
        let refused =
            c.page_post("/admin/lenses", &admin, &[("file", "{\"format\": \"tamhub-lens/1\", \"key\": \"x\"")]).await;
        assert!(unescape(&refused.expect(422).text()).contains("is not a lens file"), "[{b}]");
        let file = json!({"format": "tamhub-lens/1", "key": "data", "version": 3, "kind": "custom", "name": "Data review",
            "description": "", "pillars": [{"key": "quality", "name": "Quality", "questions": [{"key": "dq-1",
            "title": "How is bad data caught?", "description": "", "choices": [
              {"key": "contracts", "title": "Schema contracts", "risk_if_absent": "high", "improvement": "Add contracts."},
              {"key": "freshness", "title": "Freshness alerts", "risk_if_absent": "none", "improvement": ""}]}]}]})
        .to_string();
        let done = c.page_post("/admin/lenses", &admin, &[("file", file.as_str())]).await;
        let shown = unescape(&c.page_get(done.expect(303).location().unwrap(), &admin).await.expect(200).text());
        assert!(shown.contains("Imported data version 3") && shown.contains("Data review"), "[{b}]");
        let download = c.page_get("/admin/lenses/data/3.json", &admin).await.expect(200).json();
        assert_eq!(
            (download["format"].as_str(), download["version"].as_u64()),
            (Some("tamhub-lens/1"), Some(3)),
            "[{b}]"
        );
        // A review on version 3 is offered the move once version 4 is imported.
        c.patch(&format!("/api/v1/accounts/{}", w.bravo), &w.admin.token, &json!({"workloads": ["lake"]}))
            .await
            .expect(200);
        let start = json!({"account_id": w.bravo, "workload": "lake", "lens_key": "data"});
        let review = c.post("/api/v1/reviews", &w.admin.token, &start).await.expect(201).json();
        let page = format!("/reviews/{}", review["id"].as_str().unwrap());
        assert!(!c.page_get(&page, &admin).await.expect(200).text().contains("Move to version"), "[{b}]");
        let v4 = file.replace("\"version\":3", "\"version\":4");
        c.page_post("/admin/lenses", &admin, &[("file", v4.as_str())]).await.expect(303);
        let offered = unescape(&c.page_get(&page, &admin).await.expect(200).text());
        assert!(offered.contains("Move to version 4"), "[{b}]");
        let moved =
            c.page_post(&format!("{page}/lens-version"), &admin, &[("version", "1"), ("lens_version", "4")]).await;
        let location = moved.expect(303).location().unwrap().to_string();
        let shown = unescape(&c.page_get(&location, &admin).await.expect(200).text());
        assert!(shown.contains("Moved to version 4 of the lens") && shown.contains("data v4"), "[{b}] {location}");
        let tam = c.login_as(&w.tam.user).await;
        let list = unescape(&c.page_get("/admin/lenses", &tam).await.expect(200).text());
        assert!(
            list.contains("Data review") && !list.contains("Import lens"),
            "[{b}] staff read lenses, admins import"
        );
        c.page_post("/admin/lenses", &tam, &[("file", file.as_str())]).await.expect(403);
    }
}
