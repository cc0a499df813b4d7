//! Success plans and risks through the pages: a plan refused for an objective without a target
//! and then saved, progress updated, an action added, the customer's read-only view; a risk
//! refused outside 1-5, recorded with its mitigation, on the heat map, and closed from its page.

use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

#[tokio::test]
async fn a_tam_keeps_a_success_plan_and_the_customer_reads_it() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-04-01T09:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        let list = format!("/accounts/{}/success-plans", w.alpha);
        assert!(c.page_get(&list, &tam).await.expect(200).text().contains("New success plan"), "[{b}]");
        let mut fields = vec![
            ("title", "Onboarding 30/60/90"),
            ("starts_on", "2026-03-01"),
            ("shared_with_customer", "on"),
            ("o0.title", "Services on the managed database"),
            ("o0.metric", "services migrated"),
            ("o0.baseline", "0"),
            ("o0.target", ""),
            ("o0.current", "5"),
            ("o0.due_on", "2026-05-29"),
            ("o1.title", ""),
        ];
        let refused = unescape(&c.page_post(&list, &tam, &fields).await.expect(422).text());
        assert!(refused.contains("target: must be given"), "[{b}] {refused}");
        fields[6] = ("o0.target", "10");
        let saved = c.page_post(&list, &tam, &fields).await;
        let plan_path = saved.expect(303).location().expect("the plan").to_string();
        let page = unescape(&c.page_get(&plan_path, &tam).await.expect(200).text());
        assert!(page.contains("Days 61-90") && page.contains("On track") && page.contains("50 %"), "[{b}] {page}");
        let plan = c.get(&format!("/api/v1/accounts/{}/success-plans", w.alpha), &w.tam.token).await.json();
        let key = plan["items"][0]["objectives"][0]["key"].as_str().unwrap().to_string();
        c.page_post(&plan_path, &tam, &[("version", "1"), (&format!("progress.{key}"), "2")]).await.expect(303);
        let page = unescape(&c.page_get(&plan_path, &tam).await.text());
        assert!(page.contains("20 %") && page.contains("At risk"), "[{b}] progress fell behind time");
        let tam_id = w.tam.id().to_string();
        c.page_post(
            &format!("{plan_path}/actions"),
            &tam,
            &[("title", "Migrate payments"), ("owner_id", &tam_id), ("due", "2026-04-20")],
        )
        .await
        .expect(303);
        assert!(c.page_get(&plan_path, &tam).await.text().contains("Migrate payments"), "[{b}]");

        let customer = c.login_as(&w.customer.user).await;
        let theirs = unescape(&c.page_get(&plan_path, &customer).await.expect(200).text());
        assert!(theirs.contains("Services on the managed database"), "[{b}]");
        assert!(
            !theirs.contains("Update progress") && !theirs.contains("Migrate payments"),
            "[{b}] read-only, no actions"
        );
        c.page_post(&plan_path, &customer, &[("version", "2"), (&format!("progress.{key}"), "9")]).await.expect(403);
    }
}

#[tokio::test]
async fn a_tam_records_a_risk_with_its_mitigation_and_sees_it_on_the_heat_map() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-04-01T09:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        let register = format!("/accounts/{}/risks", w.alpha);
        let tam_id = w.tam.id().to_string();
        let mut fields = vec![
            ("title", "Single-AZ primary database"),
            ("category", "technical"),
            ("owner_id", tam_id.as_str()),
            ("likelihood", "6"),
            ("impact", "5"),
            ("due_on", "2026-04-30"),
            ("mitigation", "Move the database to multi-AZ"),
        ];
        let refused = unescape(&c.page_post(&register, &tam, &fields).await.expect(422).text());
        assert!(refused.contains("likelihood: must be from 1 to 5"), "[{b}]");
        fields[3] = ("likelihood", "4");
        c.page_post(&register, &tam, &fields).await.expect(303);
        let page = unescape(&c.page_get(&register, &tam).await.expect(200).text());
        assert!(page.contains("4 × 5 = 20") && page.contains("Mitigating"), "[{b}]");
        assert!(page.contains("Likelihood 4 × impact 5: 1 live risk"), "[{b}] the heat map");
        let risks = c.get(&format!("/api/v1/accounts/{}/risks", w.alpha), &w.tam.token).await.json();
        let id = risks["items"][0]["id"].as_str().unwrap().to_string();
        let risk_page = unescape(&c.page_get(&format!("/risks/{id}"), &tam).await.expect(200).text());
        assert!(risk_page.contains("Move the database to multi-AZ"), "[{b}] the mitigation action");
        let mut close = fields.clone();
        close.retain(|(k, _)| *k != "mitigation");
        close.push(("status", "closed"));
        close.push(("version", "1"));
        c.page_post(&format!("/risks/{id}"), &tam, &close).await.expect(303);
        let live = unescape(&c.page_get(&register, &tam).await.text());
        assert!(live.contains("No live risk"), "[{b}]");
        let portfolio = unescape(&c.page_get("/risks?view=all", &tam).await.expect(200).text());
        assert!(portfolio.contains("Single-AZ primary database") && portfolio.contains("Alpha Analytics"), "[{b}]");
        let customer = c.login_as(&w.customer.user).await;
        c.page_get(&register, &customer).await.expect(403);
        c.page_get("/risks", &customer).await.expect(404);
        c.page_get(&format!("/risks/{id}"), &customer).await.expect(404);
    }
}
