//! Feature requests and expansion through the pages: a request refused without an account, then
//! recorded for two, ranked, declined only with a reason; an opportunity added and moved.

use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

#[tokio::test]
async fn a_tam_records_feedback_and_expansion() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let tam = c.login_as(&w.tam.user).await;
        let (alpha, bravo) = (w.alpha.to_string(), w.bravo.to_string());
        let refused = unescape(
            &c.page_post("/feature-requests", &tam, &[("title", "Cross-region replicas")]).await.expect(422).text(),
        );
        assert!(refused.contains("must name at least one account"), "[{b}]");
        let saved = c
            .page_post(
                "/feature-requests",
                &tam,
                &[
                    ("title", "Cross-region replicas"),
                    ("account_id", &alpha),
                    ("account_id", &bravo),
                    ("business_impact", "EU residency"),
                ],
            )
            .await;
        let location = saved.expect(303).location().expect("the request").to_string();
        let page = unescape(&c.page_get(&location, &tam).await.expect(200).text());
        assert!(
            page.contains("Alpha Analytics") && page.contains("Bravo Banking") && page.contains("USD 200,000"),
            "[{b}] {page}"
        );
        let refused = unescape(
            &c.page_post(&location, &tam, &[("version", "1"), ("status", "declined"), ("status_note", "")])
                .await
                .expect(422)
                .text(),
        );
        assert!(refused.contains("must say why it is declined"), "[{b}]");
        c.page_post(&location, &tam, &[("version", "1"), ("status", "planned"), ("status_note", "Q3 roadmap")])
            .await
            .expect(303);
        assert!(c.page_get("/feature-requests", &tam).await.text().contains("Planned"), "[{b}]");

        let expansion = format!("/accounts/{}/expansion", w.alpha);
        let tam_id = w.tam.id().to_string();
        let refused = unescape(
            &c.page_post(&expansion, &tam, &[("title", "Analytics tier"), ("value", "lots"), ("owner_id", &tam_id)])
                .await
                .expect(422)
                .text(),
        );
        assert!(refused.contains("must be an amount"), "[{b}]");
        c.page_post(
            &expansion,
            &tam,
            &[("title", "Analytics tier"), ("value", "48000"), ("stage", "qualified"), ("owner_id", &tam_id)],
        )
        .await
        .expect(303);
        let page = unescape(&c.page_get(&expansion, &tam).await.expect(200).text());
        assert!(
            page.contains("Analytics tier") && page.contains("USD 48,000") && page.contains("Cross-region replicas"),
            "[{b}] {page}"
        );
        let customer = c.login_as(&w.customer.user).await;
        c.page_get(&expansion, &customer).await.expect(403);
        c.page_get("/feature-requests", &customer).await.expect(404);
    }
}
