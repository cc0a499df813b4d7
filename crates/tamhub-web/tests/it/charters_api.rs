//! The engagement charter through the API: a charter from the tier template scheduled date by
//! date in the account's time zone, bad commitments refused by field with nothing written,
//! meetings held on time, late and skipped giving exact compliance figures, the customer's
//! read-only view of their own charter only, overdue notices, the stakeholder map's sponsor
//! notice, meeting action items in the one action model, and calendar feeds that parse.

use axum::http::Method;
use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, World};

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

fn days(list: &Value, kind: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["due_on"].as_str().expect("due_on").to_string())
        .collect()
}

#[tokio::test]
async fn the_template_schedules_the_seed_cadence_in_the_accounts_time_zone() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-01-02T09:00:00Z");
        let created = c
            .post("/api/v1/charters", &w.tam.token, &json!({"account_id": w.alpha, "launch_date": "2026-01-05"}))
            .await
            .expect(201)
            .json();
        assert_eq!((created["version"].as_i64(), created["launch_date"].as_str()), (Some(1), Some("2026-01-05")));
        assert_eq!(created["backup_tam_id"], json!(w.tam2.id()), "[{b}] backup TAM from the assignment");
        let path = format!("/api/v1/charters/{}/engagements?to=2026-12-31", w.alpha);
        let list = c.get(&path, &w.tam.token).await.expect(200).json();
        assert_eq!(
            days(&list, "check_in"),
            [
                "2026-01-05",
                "2026-01-12",
                "2026-01-19",
                "2026-01-26",
                "2026-02-02", // weekly, first month
                "2026-02-05",
                "2026-02-19",
                "2026-03-05",
                "2026-03-19",
                "2026-04-02", // bi-weekly, months 2-3
                "2026-04-05",
                "2026-05-05",
                "2026-06-05",
                "2026-07-05",
                "2026-08-05",
                "2026-09-05", // monthly
                "2026-10-05",
                "2026-11-05",
                "2026-12-05",
            ],
            "[{b}]"
        );
        assert_eq!(days(&list, "qbr"), ["2026-04-05", "2026-07-05", "2026-10-05"], "[{b}]");
        assert_eq!(days(&list, "cost_review"), ["2026-04-05", "2026-07-05", "2026-10-05"], "[{b}]");
        assert_eq!(days(&list, "security_review"), ["2026-07-05"], "[{b}] semi-annual from month 6");
        assert_eq!(days(&list, "ebr"), ["2026-07-05"], "[{b}]");
        assert_eq!(days(&list, "strategy_call").len(), 11, "[{b}] monthly from month 2");
        let first = &list["items"][0];
        assert_eq!((first["status"].as_str(), first["window_closes"].as_str()), (Some("due"), Some("2026-01-07")));

        // A second POST is a conflict; a PUT is a new version, audited.
        c.post("/api/v1/charters", &w.tam.token, &json!({"account_id": w.alpha}))
            .await
            .expect_error(409, "conflict", None);
        let changed = c
            .put(
                &format!("/api/v1/charters/{}", w.alpha),
                &w.tam.token,
                &json!({"version": 1, "launch_date": "2026-01-05", "commitments": [
                    {"type": "check_in", "rrule": "FREQ=WEEKLY", "due_window_days": 2}
                ]}),
            )
            .await
            .expect(200)
            .json();
        assert_eq!((changed["version"].as_i64(), changed["versions"].as_array().map(Vec::len)), (Some(2), Some(2)));
        c.put(&format!("/api/v1/charters/{}", w.alpha), &w.tam.token, &json!({"version": 1}))
            .await
            .expect_error(409, "conflict", None);
        let old = c.get(&format!("/api/v1/charters/{}?version=1", w.alpha), &w.tam.token).await.expect(200).json();
        assert_eq!(old["commitments"].as_array().map(Vec::len), Some(8), "[{b}] version 1 kept");
        let audit = c.get("/api/v1/audit?entity=charter", &w.admin.token).await.expect(200).json();
        assert!(audit["items"].as_array().expect("items").len() >= 2, "[{b}] {audit}");
    }
}

#[tokio::test]
async fn bad_commitments_and_attendees_are_refused_by_field_and_write_nothing() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-10T09:00:00Z");
        let commitment = |rrule: &str, window: i64| {
            json!({"account_id": w.alpha, "launch_date": "2026-03-02",
                   "commitments": [{"type": "check_in", "rrule": rrule, "due_window_days": window}]})
        };
        let refused = [
            (commitment("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 1), "commitments[0].rrule"),
            (commitment("FREQ=WEEKLY", 8), "commitments[0].due_window_days"),
            (commitment("FREQ=SOMETIMES", 1), "commitments[0].rrule"),
            (
                json!({"account_id": w.alpha, "commitments": [{"type": "brunch", "rrule": "FREQ=MONTHLY"}]}),
                "commitments[0].type",
            ),
            (json!({"account_id": w.alpha, "launch_date": "2026-13-01"}), "launch_date"),
            (
                json!({"account_id": w.alpha, "escalation_path": [{"name": "Duty manager", "respond_within_minutes": 0}]}),
                "escalation_path[0].respond_within_minutes",
            ),
        ];
        for (body, field) in refused {
            c.post("/api/v1/charters", &w.tam.token, &body).await.expect_error(422, "validation_failed", Some(field));
        }
        c.get(&format!("/api/v1/charters/{}", w.alpha), &w.tam.token).await.expect_error(404, "not_found", None);

        // A contact of another account cannot attend or be named.
        let other = c
            .post(&format!("/api/v1/accounts/{}/contacts", w.bravo), &w.tam.token, &json!({"name": "Ben Bravo"}))
            .await
            .expect(201)
            .json();
        c.post(
            "/api/v1/charters",
            &w.tam.token,
            &json!({"account_id": w.alpha, "customer_contacts": [{"contact_id": other["id"], "role": "sponsor"}]}),
        )
        .await
        .expect_error(422, "validation_failed", Some("customer_contacts[0].contact_id"));
        let meeting = json!({"type": "check_in", "starts_at": "2026-03-09T09:00:00Z",
                             "attendee_contact_ids": [other["id"]]});
        let meetings = format!("/api/v1/accounts/{}/meetings", w.alpha);
        c.post(&meetings, &w.tam.token, &meeting).await.expect_error(
            422,
            "validation_failed",
            Some("attendee_contact_ids[0]"),
        );
        let future = json!({"type": "check_in", "starts_at": "2026-03-11T09:00:00Z"});
        c.post(&meetings, &w.tam.token, &future).await.expect_error(422, "validation_failed", Some("starts_at"));
        let no_owner =
            json!({"type": "check_in", "action_items": [{"title": "Send notes", "due_at": "2026-03-20T00:00:00Z"}]});
        c.post(&meetings, &w.tam.token, &no_owner).await.expect_error(
            422,
            "validation_failed",
            Some("action_items[0].owner_id"),
        );
        let list = c.get(&meetings, &w.tam.token).await.expect(200).json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "[{b}] nothing written");
        c.post(&format!("/api/v1/accounts/{}/contacts", w.alpha), &w.tam.token, &json!({"name": "", "email": "x"}))
            .await
            .expect_error(422, "validation_failed", Some("email"));
    }
}

#[tokio::test]
async fn held_on_time_late_skipped_and_missed_give_exact_compliance() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        c.post(
            "/api/v1/charters",
            &w.tam.token,
            &json!({"account_id": w.alpha, "launch_date": "2026-03-02", "commitments": [
                {"type": "check_in", "label": "Weekly check-in", "rrule": "FREQ=WEEKLY", "due_window_days": 1},
                {"type": "qbr", "rrule": "FREQ=MONTHLY;INTERVAL=3", "starts_on": "2026-06-01", "due_window_days": 14}
            ]}),
        )
        .await
        .expect(201);
        let list = c.get(&format!("/api/v1/charters/{}/engagements?to=2026-03-31", w.alpha), &w.tam.token).await.json();
        let id_of = |day: &str| {
            list["items"].as_array().unwrap().iter().find(|e| e["due_on"] == day && e["type"] == "check_in").unwrap()["id"]
                .clone()
        };
        let meetings = format!("/api/v1/accounts/{}/meetings", w.alpha);
        // 2 March: held that morning in Berlin, on time; it fulfils the nearest open check-in.
        set(&t, "2026-03-02T12:00:00Z");
        let on_time = c
            .post(&meetings, &w.tam.token, &json!({"type": "check_in", "starts_at": "2026-03-02T09:00:00Z"}))
            .await
            .expect(201)
            .json();
        assert_eq!(on_time["engagement_id"], id_of("2026-03-02"), "[{b}]");
        // 9 March: held on the 12th, two days after its window closed.
        set(&t, "2026-03-12T15:00:00Z");
        c.post(&meetings, &w.tam.token, &json!({"type": "check_in", "starts_at": "2026-03-12T14:00:00Z"}))
            .await
            .expect(201);
        // 16 March: skipped with a reason; 23 March: never held; 30 March: still open.
        let skip = format!("/api/v1/engagements/{}/skip", id_of("2026-03-16").as_str().unwrap());
        c.post(&skip, &w.tam.token, &json!({"reason": " "})).await.expect_error(
            422,
            "validation_failed",
            Some("reason"),
        );
        c.post(&skip, &w.customer.token, &json!({"reason": "x"})).await.expect_error(403, "forbidden", None);
        let skipped = c.post(&skip, &w.tam.token, &json!({"reason": "Customer offsite"})).await.expect(200).json();
        assert_eq!(skipped["status"], "skipped", "[{b}]");
        c.post(&skip, &w.tam.token, &json!({"reason": "again"})).await.expect_error(409, "conflict", None);
        set(&t, "2026-03-25T12:00:00Z");

        let path = format!("/api/v1/charters/{}/compliance?from=2026-03-01&to=2026-03-31", w.alpha);
        let got = c.get(&path, &w.tam.token).await.expect(200).json();
        assert_eq!(
            (got["promised"].as_u64(), got["on_time"].as_u64(), got["pending"].as_u64(), got["on_time_pct"].as_f64()),
            (Some(4), Some(1), Some(1), Some(25.0)),
            "[{b}] {got}"
        );
        let misses: Vec<(&str, &str, Value)> = got["misses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["due_on"].as_str().unwrap(), m["kind"].as_str().unwrap(), m["days_late"].clone()))
            .collect();
        assert_eq!(
            misses,
            [
                ("2026-03-09", "held_late", json!(2)),
                ("2026-03-16", "skipped", Value::Null),
                ("2026-03-23", "not_held", Value::Null)
            ],
            "[{b}]"
        );
        assert_eq!(got["misses"][1]["skip_reason"], "Customer offsite", "[{b}]");
        assert_eq!(got["by_type"].as_array().map(Vec::len), Some(1), "[{b}] only check-ins were due");
        // The customer reads the same figures for their own account, and nobody else's.
        let theirs = c.get(&path, &w.customer.token).await.expect(200).json();
        assert_eq!(theirs["on_time_pct"], got["on_time_pct"], "[{b}]");
        c.get(&format!("/api/v1/charters/{}/compliance", w.bravo), &w.customer.token).await.expect_error(
            404,
            "not_found",
            None,
        );
        // Per TAM and account.
        let all =
            c.get("/api/v1/compliance?from=2026-03-01&to=2026-03-31", &w.leadership.token).await.expect(200).json();
        let tina = all["tams"].as_array().unwrap().iter().find(|x| x["user_id"] == json!(w.tam.id())).unwrap();
        assert_eq!((tina["promised"].as_u64(), tina["on_time"].as_u64()), (Some(4), Some(1)), "[{b}] {all}");
        c.get("/api/v1/compliance?from=2026-03-31&to=2026-03-01", &w.tam.token).await.expect_error(
            422,
            "validation_failed",
            Some("to"),
        );

        // The overdue job tells both TAMs once about the 23 March check-in.
        let scan = t.app.sla_scan_once().await.expect("scan");
        assert_eq!(scan.engagements_overdue, 1, "[{b}] {scan:?}");
        assert_eq!(t.app.sla_scan_once().await.expect("scan").engagements_overdue, 0, "[{b}] once");
        for person in [&w.tam, &w.tam2] {
            let notes = c.get("/api/v1/notifications", &person.token).await.expect(200).json();
            let overdue: Vec<&Value> =
                notes["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "engagement_overdue").collect();
            assert_eq!(overdue.len(), 1, "[{b}] {notes}");
            assert!(overdue[0]["title"].as_str().unwrap().contains("Weekly check-in"), "[{b}]");
        }
    }
}

#[tokio::test]
async fn customers_read_their_own_charter_and_staff_keep_it() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        for account in [w.alpha, w.bravo] {
            c.post(
                "/api/v1/charters",
                &w.leadership.token,
                &json!({"account_id": account, "launch_date": "2026-02-01"}),
            )
            .await
            .expect(201);
        }
        let alpha = format!("/api/v1/charters/{}", w.alpha);
        c.get(&alpha, &w.customer.token).await.expect(200);
        c.get(&format!("/api/v1/charters/{}", w.bravo), &w.customer.token).await.expect_error(404, "not_found", None);
        c.get(&format!("/api/v1/charters/{}/engagements", w.bravo), &w.customer.token).await.expect_error(
            404,
            "not_found",
            None,
        );
        let listed = c.get("/api/v1/charters", &w.customer.token).await.expect(200).json();
        let ids: Vec<&Value> = listed["items"].as_array().unwrap().iter().map(|x| &x["account_id"]).collect();
        assert_eq!(ids, [&json!(w.alpha)], "[{b}] only their own");
        c.put(&alpha, &w.customer.token, &json!({})).await.expect_error(403, "forbidden", None);
        c.put(&alpha, &w.pam.token, &json!({})).await.expect_error(403, "forbidden", None);
        c.get(&format!("/api/v1/accounts/{}/meetings", w.alpha), &w.customer.token).await.expect_error(
            403,
            "forbidden",
            None,
        );
        // The TAM of another portfolio cannot see it at all.
        let charlie_tam = &w.tam2;
        c.get(&format!("/api/v1/charters/{}", w.charlie), &w.tam.token).await.expect_error(404, "not_found", None);
        c.post("/api/v1/charters", &w.tam.token, &json!({"account_id": w.charlie})).await.expect_error(
            404,
            "not_found",
            None,
        );
        c.post("/api/v1/charters", &charlie_tam.token, &json!({"account_id": w.charlie})).await.expect(201);
    }
}

#[tokio::test]
async fn meetings_hold_notes_and_action_items_and_the_stakeholder_map_watches_the_sponsor() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        let contacts = format!("/api/v1/accounts/{}/contacts", w.alpha);
        let sponsor = c
            .post(
                &contacts,
                &w.tam.token,
                &json!({"name": "Ana Ruiz", "title": "CTO", "role": "Executive sponsor", "influence": "high",
                        "sentiment": "positive", "executive_sponsor": true, "relationship_owner_id": w.tam.id()}),
            )
            .await
            .expect(201)
            .json();
        c.post("/api/v1/charters", &w.tam.token, &json!({"account_id": w.alpha, "launch_date": "2026-03-02"}))
            .await
            .expect(201);
        set(&t, "2026-03-02T15:00:00Z");
        let meeting = c
            .post(
                &format!("/api/v1/accounts/{}/meetings", w.alpha),
                &w.tam.token,
                &json!({"type": "check_in", "starts_at": "2026-03-02T13:00:00Z", "agenda": "Launch review",
                        "notes": "Went well.", "decisions": ["Move to weekly cost reports"],
                        "attendee_user_ids": [w.tam.id()], "attendee_contact_ids": [sponsor["id"]],
                        "action_items": [{"title": "Share the cost report", "owner_id": w.tam2.id(),
                                          "due_at": "2026-03-09T17:00:00Z"}]}),
            )
            .await
            .expect(201)
            .json();
        assert!(meeting["engagement_id"].is_string(), "[{b}] fulfils the first check-in");
        assert_eq!(meeting["actions"][0]["source"]["kind"], "meeting", "[{b}] {meeting}");
        let action_id = meeting["actions"][0]["id"].as_str().unwrap().to_string();
        // One action model: the meeting's item is listed with the account's actions, to those in scope.
        let mine = c.get(&format!("/api/v1/actions?account_id={}", w.alpha), &w.tam2.token).await.expect(200).json();
        assert!(mine["items"].as_array().unwrap().iter().any(|a| a["id"] == action_id.as_str()), "[{b}] {mine}");
        c.get(&format!("/api/v1/actions/{action_id}"), &w.support2.token).await.expect_error(404, "not_found", None);
        let owner = c.get("/api/v1/notifications", &w.tam2.token).await.json();
        assert!(owner["items"].as_array().unwrap().iter().any(|n| n["action_id"] == action_id.as_str()), "[{b}]");
        // Attending moved the contact's last contact date.
        let ana = c.get(&format!("/api/v1/contacts/{}", sponsor["id"].as_str().unwrap()), &w.tam.token).await.json();
        assert_eq!(ana["last_contact_on"], "2026-03-02", "[{b}]");

        // Losing the executive sponsor tells the account's team (not the actor).
        let mut demoted = ana.clone();
        for key in ["id", "account_id", "created_at", "updated_at"] {
            demoted.as_object_mut().unwrap().remove(key);
        }
        demoted["executive_sponsor"] = json!(false);
        c.put(&format!("/api/v1/contacts/{}", sponsor["id"].as_str().unwrap()), &w.tam.token, &demoted)
            .await
            .expect(200);
        for (person, expected) in [(&w.tam2, 1), (&w.pam, 1), (&w.tam, 0)] {
            let notes = c.get("/api/v1/notifications", &person.token).await.json();
            let lost =
                notes["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "executive_sponsor_lost").count();
            assert_eq!(lost, expected, "[{b}] {}", person.user.name);
        }
        c.api(
            Method::DELETE,
            &format!("/api/v1/contacts/{}", sponsor["id"].as_str().unwrap()),
            &w.customer.token,
            None,
        )
        .await
        .expect_error(404, "not_found", None);
        c.get(&contacts, &w.customer.token).await.expect_error(403, "forbidden", None);
    }
}

#[tokio::test]
async fn calendar_feeds_parse_and_die_with_their_token() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-01T09:00:00Z");
        c.post("/api/v1/charters", &w.tam.token, &json!({"account_id": w.alpha, "launch_date": "2026-03-02"}))
            .await
            .expect(201);
        let feed = c.post("/api/v1/me/calendar-feed", &w.tam.token, &json!({})).await.expect(201).json();
        let url = feed["url"].as_str().expect("url").to_string();
        let path =
            url.split_once("://").and_then(|(_, rest)| rest.split_once('/')).map(|(_, p)| format!("/{p}")).unwrap();
        let got = c.api_raw(Method::GET, &path, None, None, Vec::new()).await;
        assert_eq!(got.status.as_u16(), 200, "[{b}] {}", got.snippet());
        assert!(got.content_type().starts_with("text/calendar"), "[{b}]");
        let text = got.text();
        let unfolded = icalendar::parser::unfold(&text);
        let parsed = icalendar::parser::read_calendar(&unfolded).expect("a calendar");
        let calendar: icalendar::Calendar = parsed.into();
        let events: Vec<_> = calendar.components.iter().filter_map(|x| x.as_event()).collect();
        assert!(events.len() >= 20, "[{b}] a year of engagements: {}", events.len());
        use icalendar::Component;
        assert!(events.iter().any(|e| e.get_summary() == Some("Alpha Analytics: Weekly check-in (first month)")));

        // Rotating kills the old address; revoking kills the new one.
        let second = c.post("/api/v1/me/calendar-feed", &w.tam.token, &json!({})).await.expect(201).json();
        assert_eq!(c.api_raw(Method::GET, &path, None, None, Vec::new()).await.status.as_u16(), 404, "[{b}]");
        let second_path = format!("/calendar/{}", second["url"].as_str().unwrap().rsplit('/').next().unwrap());
        assert_eq!(c.api_raw(Method::GET, &second_path, None, None, Vec::new()).await.status.as_u16(), 200);
        c.api(Method::DELETE, "/api/v1/me/calendar-feed", &w.tam.token, None).await.expect(204);
        assert_eq!(c.api_raw(Method::GET, &second_path, None, None, Vec::new()).await.status.as_u16(), 404, "[{b}]");
        let wrong = c.api_raw(Method::GET, "/calendar/tamhubcal_wrong.ics", None, None, Vec::new()).await;
        assert_eq!(wrong.status.as_u16(), 404, "[{b}]");
        let status = c.get("/api/v1/me/calendar-feed", &w.tam.token).await.expect(200).json();
        assert_eq!(status["active"], false, "[{b}]");

        // The account's export, for whoever sees the account.
        let export = format!("/api/v1/charters/{}/engagements.ics", w.alpha);
        let text = c.get(&export, &w.customer.token).await.expect(200).text();
        let unfolded = icalendar::parser::unfold(&text);
        assert!(icalendar::parser::read_calendar(&unfolded).is_ok(), "[{b}]");
        c.get(&format!("/api/v1/charters/{}/engagements.ics", w.bravo), &w.customer.token).await.expect_error(
            404,
            "not_found",
            None,
        );
    }
}
