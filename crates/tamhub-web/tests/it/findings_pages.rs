//! Findings through the pages: a cost finding refused for a bad amount, recorded, resolved with
//! its realised savings (which the totals then show), and kept from customers.

use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

#[tokio::test]
async fn a_tam_records_and_resolves_a_cost_finding() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let tam = c.login_as(&w.tam.user).await;
        let page = format!("/accounts/{}/findings", w.alpha);
        let mut fields = vec![
            ("kind", "cost_optimisation"),
            ("title", "Rightsize the analytics cluster"),
            ("estimated_monthly_savings", "lots"),
            ("effort", "low"),
        ];
        let refused = unescape(&c.page_post(&page, &tam, &fields).await.expect(422).text());
        assert!(refused.contains("must be an amount"), "[{b}]");
        fields[2] = ("estimated_monthly_savings", "1200");
        c.page_post(&page, &tam, &fields).await.expect(303);
        let findings = c.get(&format!("/api/v1/accounts/{}/findings", w.alpha), &w.tam.token).await.json();
        let id = findings["items"][0]["id"].as_str().unwrap().to_string();
        let refused = unescape(
            &c.page_post(&format!("/findings/{id}"), &tam, &[("version", "1"), ("status", "resolved")])
                .await
                .expect(422)
                .text(),
        );
        assert!(refused.contains("must be given to resolve a cost finding"), "[{b}]");
        c.page_post(
            &format!("/findings/{id}"),
            &tam,
            &[("version", "1"), ("status", "resolved"), ("realised_monthly_savings", "900")],
        )
        .await
        .expect(303);
        let html = unescape(&c.page_get(&page, &tam).await.expect(200).text());
        assert!(html.contains("USD 900") && html.contains("Resolved"), "[{b}] {html}");
        let portfolio = unescape(&c.page_get("/findings", &tam).await.expect(200).text());
        assert!(portfolio.contains("Alpha Analytics"), "[{b}]");
        let customer = c.login_as(&w.customer.user).await;
        c.page_get(&page, &customer).await.expect(403);
        c.page_get("/findings", &customer).await.expect(404);
    }
}
