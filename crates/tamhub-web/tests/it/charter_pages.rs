//! The charter through the pages: created from the template, edited (a bad recurrence refused
//! by row, nothing written), an engagement held by a recorded meeting with an action item and
//! another skipped, the stakeholder map's add and edit forms, the portfolio compliance page, the
//! customer's read-only charter, and the calendar feed made on the profile page.

use serde_json::json;
use tamhub_testkit::TestApp;

use crate::support::{Client, World, unescape};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

#[tokio::test]
async fn a_tam_keeps_the_charter_and_holds_its_engagements_through_the_pages() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        let page = format!("/accounts/{}/charter", w.alpha);
        let empty = c.page_get(&page, &tam).await.expect(200).text();
        assert!(empty.contains("Create from the Enterprise template"), "[{b}]");
        c.page_post(&page, &tam, &[("launch_date", "2026-03-02")]).await.expect(303);
        let html = unescape(&c.page_get(&page, &tam).await.expect(200).text());
        assert!(html.contains("Weekly check-in (first month)") && html.contains("version 1"), "[{b}]");
        assert!(html.contains("Export .ics") && html.contains("Edit charter"), "[{b}]");

        // The editor: a recurrence that never occurs is refused on its row; nothing is written.
        let edit = format!("/accounts/{}/charter/edit", w.alpha);
        assert!(c.page_get(&edit, &tam).await.expect(200).text().contains("FREQ=WEEKLY;INTERVAL=2"), "[{b}]");
        let bad = [
            ("version", "1"),
            ("launch_date", "2026-03-02"),
            ("c0.type", "check_in"),
            ("c0.label", "Weekly check-in"),
            ("c0.rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
            ("c0.window", "1"),
            ("e0.name", "Duty manager"),
            ("e0.minutes", "15"),
        ];
        let refused = unescape(&c.page_post(&edit, &tam, &bad).await.expect(422).text());
        assert!(refused.contains("rrule: never occurs"), "[{b}] {refused}");
        let charter = c.get(&format!("/api/v1/charters/{}", w.alpha), &w.tam.token).await.json();
        assert_eq!(charter["version"], 1, "[{b}] nothing written");
        let mut good = bad.to_vec();
        good[4] = ("c0.rrule", "FREQ=WEEKLY");
        c.page_post(&edit, &tam, &good).await.expect(303);
        let charter = c.get(&format!("/api/v1/charters/{}", w.alpha), &w.tam.token).await.json();
        assert_eq!(
            (charter["version"].as_i64(), charter["escalation_path"][0]["name"].as_str()),
            (Some(2), Some("Duty manager"))
        );

        // A contact, then a meeting that holds the first check-in with an action item.
        let stakeholders = format!("/accounts/{}/stakeholders", w.alpha);
        let refused = unescape(
            &c.page_post(&stakeholders, &tam, &[("name", "Ana Ruiz"), ("email", "ana"), ("influence", "high")])
                .await
                .expect(422)
                .text(),
        );
        assert!(refused.contains("must be an email address"), "[{b}]");
        c.page_post(
            &stakeholders,
            &tam,
            &[("name", "Ana Ruiz"), ("email", "ana@alpha.example"), ("influence", "high"), ("executive_sponsor", "on")],
        )
        .await
        .expect(303);
        let contact = c.get(&format!("/api/v1/accounts/{}/contacts", w.alpha), &w.tam.token).await.json();
        let ana = contact["items"][0]["id"].as_str().expect("a contact").to_string();
        assert!(c.page_get(&stakeholders, &tam).await.text().contains("Executive sponsor"), "[{b}]");

        set(&t, "2026-03-02T15:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        let list = c.get(&format!("/api/v1/charters/{}/engagements?to=2026-03-31", w.alpha), &w.tam.token).await.json();
        let first = list["items"][0]["id"].as_str().expect("an engagement").to_string();
        let form = c
            .page_get(&format!("/accounts/{}/meetings/new?engagement_id={first}", w.alpha), &tam)
            .await
            .expect(200)
            .text();
        assert!(form.contains("Ana Ruiz"), "[{b}] the account's contacts are offered");
        let tam_id = w.tam.id().to_string();
        let held = c
            .page_post(
                &format!("/accounts/{}/meetings", w.alpha),
                &tam,
                &[
                    ("type", "check_in"),
                    ("engagement_id", &first),
                    ("starts_at", "2026-03-02T10:00"),
                    ("duration_minutes", "30"),
                    ("attendee", &tam_id),
                    ("contact", &ana),
                    ("notes", "Launch went well."),
                    ("decisions", "Keep Mondays\nShare the runbook"),
                    ("a0.title", "Send the runbook"),
                    ("a0.owner_id", &tam_id),
                    ("a0.due", "2026-03-09"),
                    ("a1.title", ""),
                ],
            )
            .await;
        let location = held.expect(303).location().expect("a redirect").to_string();
        let meeting = unescape(&c.page_get(&location, &tam).await.expect(200).text());
        assert!(meeting.contains("Send the runbook") && meeting.contains("Share the runbook"), "[{b}]");
        assert!(meeting.contains("held on time"), "[{b}] {meeting}");
        let charter_page = unescape(&c.page_get(&page, &tam).await.text());
        assert!(charter_page.contains("held 02 Mar 2026"), "[{b}]");

        // Skipping needs a reason.
        let second = list["items"][1]["id"].as_str().expect("an engagement").to_string();
        c.page_post(&format!("/engagements/{second}/skip"), &tam, &[("reason", "")]).await.expect(422);
        c.page_post(&format!("/engagements/{second}/skip"), &tam, &[("reason", "Public holiday")]).await.expect(303);
        let skipped = c.get(&format!("/api/v1/engagements/{second}"), &w.tam.token).await.json();
        assert_eq!(skipped["status"], "skipped", "[{b}]");

        // A meeting form with a contact of another account is refused by field.
        let other = c
            .post(&format!("/api/v1/accounts/{}/contacts", w.bravo), &w.tam.token, &json!({"name": "Ben Bravo"}))
            .await
            .json();
        let refused = c
            .page_post(
                &format!("/accounts/{}/meetings", w.alpha),
                &tam,
                &[("type", "check_in"), ("starts_at", "2026-03-02T11:00"), ("contact", other["id"].as_str().unwrap())],
            )
            .await;
        assert!(unescape(&refused.expect(422).text()).contains("is not a contact of this account"), "[{b}]");

        // The portfolio's compliance page.
        set(&t, "2026-03-20T09:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        let compliance =
            unescape(&c.page_get("/compliance?from=2026-03-01&to=2026-03-20", &tam).await.expect(200).text());
        assert!(compliance.contains("Tina Tam") && compliance.contains("Alpha Analytics"), "[{b}]");
        assert!(compliance.contains("Public holiday"), "[{b}] the skip shows as a miss with its reason");
    }
}

#[tokio::test]
async fn customers_read_their_charter_only_and_staff_make_calendar_feeds() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        for account in [w.alpha, w.bravo] {
            c.post(
                "/api/v1/charters",
                &w.leadership.token,
                &json!({"account_id": account, "launch_date": "2026-02-02"}),
            )
            .await
            .expect(201);
        }
        let customer = c.login_as(&w.customer.user).await;
        let html = unescape(&c.page_get(&format!("/accounts/{}/charter", w.alpha), &customer).await.expect(200).text());
        assert!(html.contains("Charter compliance") && html.contains("Escalation path"), "[{b}]");
        assert!(!html.contains("Edit charter") && !html.contains("Skip it") && !html.contains("/meetings/"), "[{b}]");
        assert!(!html.contains("/stakeholders"), "[{b}] no link to what they may not read");
        for path in [
            format!("/accounts/{}/charter", w.bravo),
            format!("/accounts/{}/charter/edit", w.bravo),
            format!("/accounts/{}/stakeholders", w.bravo),
            "/compliance".to_string(),
        ] {
            c.page_get(&path, &customer).await.expect(404);
        }
        c.page_get(&format!("/accounts/{}/stakeholders", w.alpha), &customer).await.expect(403);
        c.page_get(&format!("/accounts/{}/charter/edit", w.alpha), &customer).await.expect(403);
        let pam = c.login_as(&w.pam.user).await;
        let read_only = c.page_get(&format!("/accounts/{}/charter", w.alpha), &pam).await.expect(200).text();
        assert!(!read_only.contains("Edit charter"), "[{b}] PAMs read the charter");

        let tam = c.login_as(&w.tam.user).await;
        let profile = unescape(&c.page_post("/profile/calendar-feed", &tam, &[]).await.expect(200).text());
        let start = profile.find("/calendar/tamhubcal_").expect("the feed address is shown once");
        let end = profile[start..].find(".ics").expect("an .ics address") + start + 4;
        let feed = c.api_raw(axum::http::Method::GET, &profile[start..end], None, None, Vec::new()).await;
        assert_eq!(feed.status.as_u16(), 200, "[{b}]");
        assert!(feed.text().starts_with("BEGIN:VCALENDAR"), "[{b}]");
        c.page_post("/profile/calendar-feed/revoke", &tam, &[]).await.expect(303);
        let gone = c.api_raw(axum::http::Method::GET, &profile[start..end], None, None, Vec::new()).await;
        assert_eq!(gone.status.as_u16(), 404, "[{b}]");
        let ics = c.page_get(&format!("/accounts/{}/charter.ics", w.alpha), &customer).await;
        assert!(ics.expect(200).content_type().starts_with("text/calendar"), "[{b}]");
    }
}
