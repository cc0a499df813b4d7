//! Events and quotas through the pages: an event under 14 days ahead refused on the form, then
//! registered with a reason and warned; its checklist ticked; a quota refused for unusual usage,
//! recorded, and shown on the event as one it would exceed.

use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

#[tokio::test]
async fn a_tam_plans_an_event_against_the_accounts_quotas() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        t.clock.set("2026-03-01T09:00:00Z".parse().expect("an instant"));
        let tam = c.login_as(&w.tam.user).await;
        let quotas = format!("/accounts/{}/quotas", w.alpha);
        let quota = [
            ("service", "EC2"),
            ("name", "On-Demand vCPUs"),
            ("region", "eu-central-1"),
            ("limit", "100"),
            ("usage", "1500"),
            ("threshold_pct", "80"),
        ];
        let refused = unescape(&c.page_post(&quotas, &tam, &quota).await.expect(422).text());
        assert!(refused.contains("more than 10× the limit"), "[{b}]");
        let mut ok = quota.to_vec();
        ok[4] = ("usage", "45");
        c.page_post(&quotas, &tam, &ok).await.expect(303);
        assert!(unescape(&c.page_get(&quotas, &tam).await.expect(200).text()).contains("45 / 100"), "[{b}]");

        let events = format!("/accounts/{}/events", w.alpha);
        let mut form = vec![
            ("title", "Spring sale"),
            ("kind", "peak_traffic"),
            ("starts_at", "2026-03-14T10:00"),
            ("ends_at", "2026-03-16T10:00"),
            ("load_multiplier", "3"),
            ("lead_time_override", ""),
        ];
        let refused = unescape(&c.page_post(&events, &tam, &form).await.expect(422).text());
        assert!(refused.contains("13 days ahead"), "[{b}] {refused}");
        form[5] = ("lead_time_override", "Campaign moved up by marketing");
        let saved = c.page_post(&events, &tam, &form).await;
        let location = saved.expect(303).location().expect("the event").to_string();
        let page = unescape(&c.page_get(&location, &tam).await.expect(200).text());
        assert!(page.contains("Registered 13 days ahead") && page.contains("Late registration"), "[{b}]");
        assert!(page.contains("EC2 · On-Demand vCPUs") && page.contains("135"), "[{b}] 45 × 3 = 135 is above 100");
        let event = location.split('?').next().unwrap().to_string();
        let version = "1";
        c.page_post(
            &event,
            &tam,
            &[
                ("version", version),
                ("checklist", "1"),
                ("done", "quota_check"),
                ("note.quota_check", "Increase requested"),
            ],
        )
        .await
        .expect(303);
        let page = unescape(&c.page_get(&event, &tam).await.text());
        assert!(page.contains("20 %") && page.contains("Increase requested"), "[{b}]");
        let listed = unescape(&c.page_get(&events, &tam).await.text());
        assert!(listed.contains("1 would be exceeded"), "[{b}]");
        let customer = c.login_as(&w.customer.user).await;
        c.page_get(&events, &customer).await.expect(403);
        c.page_get(&event, &customer).await.expect(404);
        c.page_get("/events", &customer).await.expect(404);
    }
}
