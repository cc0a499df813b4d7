//! `/api/v1/calendars`, `/api/v1/sla-policies`, `/api/v1/settings/default-calendar` and bad input
//! on every ticket and SLA route: a 4xx naming the field, and nothing written.

use axum::http::Method;
use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, Resp, World, escalation_body, open_ticket};

/// One bad request: what it is, the route, the body (with its content type), and the answer.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    field: Option<&'static str>,
}

/// What a bad body is, the body, and the field its error must name.
type Row = (&'static str, Value, &'static str);

fn json_case(what: &'static str, method: Method, path: &str, body: Value, field: &'static str) -> Case {
    let body = serde_json::to_vec(&body).expect("JSON");
    Case {
        what,
        method,
        path: path.into(),
        content_type: Some("application/json"),
        body,
        status: 422,
        field: Some(field),
    }
}

fn raw(what: &'static str, method: Method, path: &str, content_type: &'static str, body: &[u8], status: u16) -> Case {
    Case { what, method, path: path.into(), content_type: Some(content_type), body: body.to_vec(), status, field: None }
}

fn get_case(what: &'static str, path: &str, field: &'static str) -> Case {
    Case {
        what,
        method: Method::GET,
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        status: 422,
        field: Some(field),
    }
}

#[track_caller]
fn check(response: &Resp, case: &Case, backend: &str) {
    let context = format!("[{backend}] {} ({} {})", case.what, case.method, case.path);
    assert_eq!(response.status.as_u16(), case.status, "{context}: {}", response.snippet());
    assert!(response.content_type().starts_with("application/json"), "{context}: not JSON");
    let body = response.json();
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{context}: {body}");
    if let Some(field) = case.field {
        let named = &body["error"]["fields"][field];
        assert!(named.as_str().is_some_and(|m| !m.is_empty()), "{context}: {field} not named in {body}");
    }
}

/// Everything a refused request might have half-written.
async fn state(c: &Client, w: &World, ticket: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/calendars".to_string(),
        "/api/v1/sla-policies".into(),
        "/api/v1/settings/default-calendar".into(),
        "/api/v1/tickets?status=all&limit=500".into(),
        format!("/api/v1/tickets/{ticket}/events?limit=500"),
        format!("/api/v1/tickets/{ticket}/escalation"),
        "/api/v1/audit?limit=500".into(),
    ] {
        let response = c.get(&path, &w.admin.token).await;
        out.push(if response.status == 404 { Value::Null } else { response.expect(200).json() });
    }
    out
}

fn calendar(weekly: Value) -> Value {
    json!({"name": "Tokyo", "tz": "Asia/Tokyo", "weekly": weekly})
}

fn policy(target: Value) -> Value {
    json!({"name": "Gold", "targets": [target]})
}

const ICS: &[u8] = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//T//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n\
DTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[tokio::test]
async fn bad_ticket_and_sla_input_is_refused_with_the_field_named_and_changes_nothing() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let ticket = open_ticket(&c, &w.admin.token, Some(w.alpha), "high", "Bad input").await;
        let id = ticket["id"].as_str().expect("id").to_string();
        let closed = open_ticket(&c, &w.admin.token, Some(w.alpha), "low", "Closed").await;
        let closed = format!("/api/v1/tickets/{}", closed["id"].as_str().expect("id"));
        c.post(&format!("{closed}/events"), &w.admin.token, &json!({"kind": "status_changed", "to": "closed"}))
            .await
            .expect(201);
        let calendar_id =
            c.get("/api/v1/settings/default-calendar", &w.admin.token).await.json()["calendar_id"].clone();
        let cal = format!("/api/v1/calendars/{}", calendar_id.as_str().expect("a default calendar"));
        let policy_id = c.get("/api/v1/sla-policies", &w.admin.token).await.json()["items"][0]["id"].clone();
        let pol = format!("/api/v1/sla-policies/{}", policy_id.as_str().expect("a policy"));
        let tickets = "/api/v1/tickets";
        let one = format!("/api/v1/tickets/{id}");
        let events = format!("{one}/events");
        let (post, patch, put) = (Method::POST, Method::PATCH, Method::PUT);
        let nine_to_five = json!({"mon": [[540, 1020]]});
        let mut no_summary = escalation_body(None);
        no_summary["brief"]["summary"] = json!("");

        let cal_post = "/api/v1/calendars";
        let pol_post = "/api/v1/sla-policies";
        let default = "/api/v1/settings/default-calendar";
        let target = |metric: &str, priority: &str, seconds: Value| {
            policy(json!({"metric": metric, "priority": priority, "seconds": seconds}))
        };
        let groups: Vec<(Method, String, Vec<Row>)> = vec![
            // Calendars (R-K1).
            (
                post.clone(),
                cal_post.into(),
                vec![
                    ("an unknown time zone", json!({"name": "X", "tz": "Mars/Olympus", "weekly": nine_to_five}), "tz"),
                    ("an interval ending at its start", calendar(json!({"mon": [[600, 600]]})), "weekly.mon[0]"),
                    ("an interval ending before its start", calendar(json!({"tue": [[700, 600]]})), "weekly.tue[0]"),
                    ("an interval beyond 1440", calendar(json!({"mon": [[540, 1500]]})), "weekly.mon[0]"),
                    ("overlapping intervals", calendar(json!({"mon": [[540, 720], [700, 1020]]})), "weekly.mon[1]"),
                    ("an interval that is no pair", calendar(json!({"mon": [[540]]})), "weekly.mon[0]"),
                    ("an unknown weekday", calendar(json!({"funday": [[540, 1020]]})), "weekly.funday"),
                    ("no business hours at all", calendar(json!({})), "weekly"),
                    ("minutes as text", calendar(json!({"mon": [["nine", 1020]]})), "weekly.mon[0][0]"),
                    (
                        "an impossible holiday",
                        json!({"name": "X", "tz": "UTC", "holidays": ["2026-02-30"]}),
                        "holidays[0]",
                    ),
                    ("a missing name", json!({"tz": "UTC", "weekly": nine_to_five}), "name"),
                    ("a blank name", json!({"name": " ", "tz": "UTC", "weekly": nine_to_five}), "name"),
                    ("an unknown field", json!({"name": "X", "tz": "UTC", "colour": "red"}), "colour"),
                ],
            ),
            (
                patch.clone(),
                cal.clone(),
                vec![
                    (
                        "a version in the past",
                        json!({"weekly": nine_to_five, "effective_from": "2026-03-01T00:00:00Z"}),
                        "effective_from",
                    ),
                    ("an instant that is no instant", json!({"effective_from": "next week"}), "effective_from"),
                    ("an unknown time zone", json!({"tz": "Mars/Olympus"}), "tz"),
                    ("an interval beyond 1440", json!({"weekly": {"fri": [[0, 1441]]}}), "weekly.fri[0]"),
                    ("a null name", json!({"name": null}), "name"),
                    ("a null time zone", json!({"tz": null}), "tz"),
                    ("null hours", json!({"weekly": null}), "weekly"),
                    ("null holidays", json!({"holidays": null}), "holidays"),
                ],
            ),
            (
                put.clone(),
                default.into(),
                vec![
                    ("an unknown default calendar", json!({"calendar_id": uuid::Uuid::now_v7()}), "calendar_id"),
                    ("a default calendar that is no id", json!({"calendar_id": "standard"}), "calendar_id"),
                ],
            ),
            // Policies (R-T6, R-M8).
            (
                post.clone(),
                pol_post.into(),
                vec![
                    ("a target below 15 s", target("first_response", "high", json!(14)), "targets[0].seconds"),
                    ("a target as text", target("first_response", "high", json!("1h")), "targets[0].seconds"),
                    ("an unknown metric", target("first_reply", "high", json!(60)), "targets[0].metric"),
                    ("an unknown priority", target("resolution", "urgent", json!(60)), "targets[0].priority"),
                    (
                        "unknown hours",
                        policy(json!({"metric": "resolution", "priority": "low", "seconds": 60, "hours": "weekdays"})),
                        "targets[0].hours",
                    ),
                    (
                        "an unknown calendar",
                        policy(
                            json!({"metric": "resolution", "priority": "low", "seconds": 60, "calendar": uuid::Uuid::now_v7()}),
                        ),
                        "targets[0].calendar",
                    ),
                    (
                        "the stop status in a pause set",
                        json!({"name": "P", "pause_sets": {"resolution": ["pending", "solved"]}}),
                        "pause_sets.resolution",
                    ),
                    (
                        "an unknown status in a pause set",
                        json!({"name": "P", "pause_sets": {"first_response": ["waiting"]}}),
                        "pause_sets.first_response",
                    ),
                    (
                        "a reopen policy for a metric without one",
                        json!({"name": "P", "reopen": {"first_response": "resume"}}),
                        "reopen.first_response",
                    ),
                    ("an unknown tier", json!({"name": "P", "filter": {"tiers": ["gold"]}}), "filter.tiers[0]"),
                    ("a warning above 100 %", json!({"name": "P", "warn_percent": [120]}), "warn_percent[0]"),
                    ("an unknown field", json!({"name": "P", "colour": "gold"}), "colour"),
                    ("a missing name", json!({"targets": []}), "name"),
                ],
            ),
            (
                patch.clone(),
                pol.clone(),
                vec![
                    (
                        "a target below 15 s",
                        json!({"targets": [{"metric": "resolution", "priority": "low", "seconds": 5}]}),
                        "targets[0].seconds",
                    ),
                    (
                        "the stop status in a pause set",
                        json!({"pause_sets": {"requester_wait": ["solved"]}}),
                        "pause_sets.requester_wait",
                    ),
                    ("an unknown field", json!({"colour": "gold"}), "colour"),
                    ("a blank name", json!({"name": ""}), "name"),
                ],
            ),
            // Tickets.
            (
                post.clone(),
                tickets.into(),
                vec![
                    (
                        "an unknown priority",
                        json!({"account_id": w.alpha, "title": "T", "priority": "urgent"}),
                        "priority",
                    ),
                    (
                        "an unknown ticket type",
                        json!({"account_id": w.alpha, "title": "T", "priority": "low", "ticket_type": "bug"}),
                        "ticket_type",
                    ),
                    ("a missing title", json!({"account_id": w.alpha, "priority": "low"}), "title"),
                    ("a blank title", json!({"account_id": w.alpha, "title": "  ", "priority": "low"}), "title"),
                    (
                        "an account that is no id",
                        json!({"account_id": "alpha", "title": "T", "priority": "low"}),
                        "account_id",
                    ),
                    (
                        "an unknown account",
                        json!({"account_id": uuid::Uuid::now_v7(), "title": "T", "priority": "low"}),
                        "account_id",
                    ),
                    ("a staff ticket without an account", json!({"title": "T", "priority": "low"}), "account_id"),
                    (
                        "a customer as assignee",
                        json!({"account_id": w.alpha, "title": "T", "priority": "low", "assignee_id": w.customer.id()}),
                        "assignee_id",
                    ),
                    (
                        "an unknown field",
                        json!({"account_id": w.alpha, "title": "T", "priority": "low", "severity": "P1"}),
                        "severity",
                    ),
                ],
            ),
            (
                patch.clone(),
                one.clone(),
                vec![
                    ("an unknown status", json!({"status": "done"}), "status"),
                    ("a null priority", json!({"priority": null}), "priority"),
                    ("an assignee outside the account", json!({"assignee_id": w.support2.id()}), "assignee_id"),
                    ("an unknown field", json!({"number": 1}), "number"),
                ],
            ),
            (
                post.clone(),
                events.clone(),
                vec![
                    ("an unknown event kind", json!({"kind": "note", "body": "x"}), "kind"),
                    ("a status change without its status", json!({"kind": "status_changed"}), "to"),
                    ("an unknown status", json!({"kind": "status_changed", "to": "done"}), "to"),
                    ("an unknown priority", json!({"kind": "priority_changed", "to": "urgent"}), "to"),
                    ("a comment without a body", json!({"kind": "comment"}), "body"),
                    ("a blank comment", json!({"kind": "comment", "body": "  "}), "body"),
                    ("visibility as text", json!({"kind": "comment", "body": "x", "public": "no"}), "public"),
                    (
                        "a comment with an unknown status",
                        json!({"kind": "comment", "body": "x", "status": "done"}),
                        "status",
                    ),
                ],
            ),
            (
                post.clone(),
                format!("{closed}/events"),
                vec![
                    ("a status change after closed", json!({"kind": "status_changed", "to": "open"}), "to"),
                    ("a comment after closed", json!({"kind": "comment", "body": "Hello?"}), "body"),
                ],
            ),
            (
                post.clone(),
                format!("{one}/escalation"),
                vec![
                    ("a brief without its summary", no_summary, "brief.summary"),
                    ("a brief without a team", json!({"brief": {}}), "engineering_team"),
                    ("an unknown brief part", json!({"engineering_team": "x", "brief": {"mood": "bad"}}), "brief.mood"),
                ],
            ),
        ];
        let mut cases: Vec<Case> = groups
            .into_iter()
            .flat_map(|(method, path, rows)| {
                rows.into_iter().map(move |(what, body, field)| json_case(what, method.clone(), &path, body, field))
            })
            .collect();
        let import = format!("{cal}/holidays/import");
        cases.extend([
            get_case("an unknown status filter", "/api/v1/tickets?status=finished", "status"),
            get_case("an unknown sort key", "/api/v1/tickets?sort=-title", "sort"),
            get_case("an unknown priority filter", "/api/v1/tickets?priority=urgent", "priority"),
            get_case("an assignee that is no id", "/api/v1/tickets?assignee=sam", "assignee"),
            get_case("an account that is no id", "/api/v1/tickets?account_id=alpha", "account_id"),
            get_case("a flag that is no boolean", "/api/v1/tickets?unassigned=maybe", "unassigned"),
            get_case("a zero limit", "/api/v1/tickets?limit=0", "limit"),
            get_case("a forged cursor", &format!("{events}?cursor=xyz"), "cursor"),
            // Bodies that are not what the route reads.
            raw("malformed JSON", post.clone(), cal_post, "application/json", br#"{"name": "#, 400),
            raw("malformed JSON", post.clone(), pol_post, "application/json", b"{", 400),
            raw("malformed JSON", patch.clone(), &pol, "application/json", br#"{"name": }"#, 400),
            raw("malformed JSON", post.clone(), tickets, "application/json", br#"{"title": "x",}"#, 400),
            raw("malformed JSON", post.clone(), &events, "application/json", b"{\"kind\": ", 400),
            raw("a form body", post.clone(), &events, "application/x-www-form-urlencoded", b"kind=comment", 415),
            raw(
                "a calendar that is not iCalendar",
                post.clone(),
                &import,
                "text/calendar",
                b"date,name\n2026-12-25,X\n",
                422,
            ),
            Case {
                field: Some("file"),
                ..raw("an .ics file sent as JSON", post.clone(), &import, "application/json", ICS, 415)
            },
            Case {
                field: Some("file"),
                ..raw("an .ics file as plain text", post.clone(), &import, "text/plain", ICS, 415)
            },
        ]);
        let before = state(&c, &w, &id).await;
        for case in &cases {
            let response = c
                .api_raw(case.method.clone(), &case.path, Some(&w.admin.token), case.content_type, case.body.clone())
                .await;
            check(&response, case, b);
        }
        assert!(before == state(&c, &w, &id).await, "[{b}] a refused request changed something");

        // An event for a ticket that does not exist is not found, whatever its body.
        let ghost = format!("/api/v1/tickets/{}/events", uuid::Uuid::now_v7());
        c.post(&ghost, &w.admin.token, &json!({"kind": "comment", "body": "x"})).await.expect_error(
            404,
            "not_found",
            None,
        );
        c.post(&ghost, &w.admin.token, &json!({"kind": "bogus"})).await.expect_error(404, "not_found", None);
        // The same requests made valid go through: the cases failed for the reasons they name.
        c.post("/api/v1/calendars", &w.admin.token, &calendar(nine_to_five)).await.expect(201);
        c.post(&events, &w.admin.token, &json!({"kind": "comment", "body": "x", "public": false})).await.expect(201);
        c.api_raw(
            post,
            &format!("{cal}/holidays/import"),
            Some(&w.admin.token),
            Some("text/calendar; charset=utf-8"),
            ICS.to_vec(),
        )
        .await
        .expect(200);
    }
}

#[tokio::test]
async fn calendars_and_policies_are_managed_through_the_api_with_versions_and_positions() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let token = &w.admin.token;
        let body = json!({"name": "Berlin", "tz": "Europe/Berlin", "weekly": {"mon": [[540, 1020]], "tue": [[540, 1020]]},
            "holidays": ["2026-12-25"], "exceptions": {"2026-12-24": [[540, 720]]}});
        let created = c.post("/api/v1/calendars", token, &body).await.expect(201).json();
        for field in ["name", "tz", "weekly", "holidays", "exceptions"] {
            assert_eq!(created[field], body[field], "[{b}] {field}");
        }
        assert_eq!((created["version"].as_i64(), created["is_default"].as_bool()), (Some(1), Some(false)), "[{b}]");
        let path = format!("/api/v1/calendars/{}", created["id"].as_str().expect("id"));
        let later = c
            .patch(&path, token, &json!({"weekly": {"wed": [[600, 900]]}, "effective_from": "2026-04-01T00:00:00Z"}))
            .await;
        let later = later.expect(200).json();
        assert_eq!(later["version"], 1, "[{b}] version 2 is not in force yet");
        assert_eq!(later["versions"][1]["effective_from"], "2026-04-01T00:00:00Z", "[{b}]");
        assert_eq!(later["versions"][1]["weekly"], json!({"wed": [[600, 900]]}), "[{b}]");
        assert_eq!(later["versions"][1]["holidays"], body["holidays"], "[{b}] the fields not given are kept");
        assert_eq!(c.get(&path, &w.tam.token).await.expect(200).json(), later, "[{b}]");
        let id = created["id"].clone();
        c.put("/api/v1/settings/default-calendar", token, &json!({"calendar_id": id})).await.expect(200);
        assert_eq!(c.get(&path, token).await.json()["is_default"], true, "[{b}]");

        let standard = c.get("/api/v1/sla-policies", token).await.json()["items"][0]["id"].clone();
        let gold = json!({"name": "Gold", "position": 0, "filter": {"tiers": ["enterprise"]},
            "targets": [{"metric": "first_response", "priority": "critical", "seconds": 900, "hours": "calendar"}]});
        let created = c.post("/api/v1/sla-policies", token, &gold).await.expect(201).json();
        assert_eq!((created["position"].as_u64(), created["name"].as_str()), (Some(0), Some("Gold")), "[{b}]");
        assert_eq!(created["warn_percent"], json!([75]), "[{b}] the default warning");
        assert_eq!(created["targets"][0]["calendar"], "account", "[{b}]");
        let gold_path = format!("/api/v1/sla-policies/{}", created["id"].as_str().expect("id"));
        let moved =
            c.patch(&gold_path, token, &json!({"position": 5, "warn_percent": [50, 90]})).await.expect(200).json();
        assert_eq!(
            (moved["position"].as_u64(), moved["warn_percent"].clone()),
            (Some(1), json!([50, 90])),
            "[{b}] last"
        );
        assert_eq!(moved["targets"], created["targets"], "[{b}] PATCH keeps the fields not given");
        let list = c.get("/api/v1/sla-policies", &w.support.token).await.expect(200).json();
        let order: Vec<Value> = list["items"].as_array().expect("items").iter().map(|p| p["id"].clone()).collect();
        assert_eq!(order, [standard.clone(), created["id"].clone()], "[{b}]");
        c.api(Method::DELETE, &gold_path, token, None).await.expect(204);
        c.api(Method::DELETE, &gold_path, token, None).await.expect_error(404, "not_found", None);
        c.get(&gold_path, token).await.expect_error(404, "not_found", None);
        c.get("/api/v1/sla-policies/not-an-id", token).await.expect_error(404, "not_found", None);
        c.get("/api/v1/calendars/not-an-id", token).await.expect_error(404, "not_found", None);
        let list = c.get("/api/v1/sla-policies", token).await.json();
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "[{b}]");
    }
}
