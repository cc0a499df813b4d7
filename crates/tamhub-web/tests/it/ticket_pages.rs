//! The ticket pages, the notifications page and the SLA settings pages: what each reader sees,
//! scope, and forms that come back with their input and the field named.

use axum::body::Body;
use axum::http::{Method, Request, header};
use tamhub_app::Actor;
use tamhub_app::tickets::EventInput;
use tamhub_domain::SignedDuration;
use tamhub_domain::ids::AccountId;
use tamhub_domain::tickets::{Ticket, TicketDraft};
use tamhub_testkit::TestApp;

use crate::support::{Browser, Client, Person, Resp, World};

async fn open_ticket(
    t: &TestApp,
    by: &Person,
    account: AccountId,
    title: &str,
    priority: &str,
    public: bool,
) -> Ticket {
    let draft = TicketDraft {
        account_id: Some(account),
        title: title.into(),
        description: format!("Description of {title}"),
        priority: priority.into(),
        ticket_type: "incident".into(),
        assignee_id: Some(by.id()),
        requester_id: None,
        public,
    };
    t.app
        .create_ticket(&Actor::new(by.user.clone()), draft)
        .await
        .unwrap_or_else(|e| panic!("[{}] create ticket: {e}", t.backend))
}

async fn comment(t: &TestApp, by: &Person, ticket: &Ticket, body: &str, public: bool) {
    let input = EventInput::Comment { body: body.into(), public, status: None };
    t.app
        .add_ticket_event(&Actor::new(by.user.clone()), ticket.id, input)
        .await
        .unwrap_or_else(|e| panic!("[{}] comment: {e}", t.backend));
}

#[tokio::test]
async fn the_queue_shows_a_ticket_with_its_sla_badge_and_turns_it_red_once_breached() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let ticket = open_ticket(&t, &w.tam, w.alpha, "Checkout returns 502", "high", true).await;
        let tam = c.login_as(&w.tam.user).await;
        let html = c.page_get("/tickets", &tam).await.expect(200).text();
        assert!(html.contains(&format!("#{}", ticket.number)), "[{b}] the number: {html}");
        assert!(html.contains("Checkout returns 502") && html.contains("Alpha Analytics"), "[{b}]");
        // High: first response in 4 business hours of the default calendar (Mon 09:00 UTC now).
        assert!(html.contains("sla sla-green"), "[{b}] a green badge: {html}");
        assert!(html.contains("First response · 4h 00m left"), "[{b}] the metric and time left");
        assert!(
            html.contains("4h 00m business · 4h 00m calendar · due today 14:00 CET"),
            "[{b}] both times and the due"
        );
        // The same row on the account's own queue.
        let account = c.page_get(&format!("/accounts/{}/tickets?view=open", w.alpha), &tam).await.expect(200).text();
        assert!(account.contains("Checkout returns 502"), "[{b}]");

        t.clock.advance(SignedDuration::from_hours(5));
        let html = c.page_get("/tickets", &tam).await.expect(200).text();
        assert!(html.contains("sla sla-red"), "[{b}] a red badge once breached: {html}");
        assert!(html.contains("First response · breached 1h 00m ago"), "[{b}]");
        // Other tabs and filters answer, and a filter nothing matches shows the empty state.
        for view in ["unassigned", "open", "done"] {
            c.page_get(&format!("/tickets?view={view}"), &tam).await.expect(200);
        }
        let none = c.page_get("/tickets?view=open&q=nothing-like-this", &tam).await.expect(200).text();
        assert!(none.contains("No tickets match these filters."), "[{b}]");
        let bad = c.page_get("/tickets?priority=urgent", &tam).await.expect(200).text();
        assert!(bad.contains("priority must be one of"), "[{b}] a bad filter is explained");
    }
}

#[tokio::test]
async fn a_customer_sees_public_replies_but_not_private_notes_or_an_internal_description() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let ticket = open_ticket(&t, &w.tam, w.alpha, "Latency in eu-west-1", "medium", false).await;
        comment(&t, &w.tam, &ticket, "We are looking into it.", true).await;
        comment(&t, &w.tam, &ticket, "Suspect the new cache layer, do not tell yet.", false).await;
        let path = format!("/tickets/{}", ticket.id);

        let customer = c.login_as(&w.customer.user).await;
        let html = c.page_get(&path, &customer).await.expect(200).text();
        assert!(html.contains("We are looking into it."), "[{b}] the public reply");
        assert!(!html.contains("Suspect the new cache layer"), "[{b}] a private note leaked: {html}");
        assert!(!html.contains("Description of Latency"), "[{b}] the internal description leaked");
        assert!(!html.contains("Internal note"), "[{b}]");
        assert!(!html.contains("action=\"/tickets/") || !html.contains("name=\"assignee_id\""), "[{b}] no update form");
        let queue = c.page_get("/tickets", &customer).await.expect(200).text();
        assert!(queue.contains("Latency in eu-west-1"), "[{b}] the customer's queue lists it");
        assert!(!queue.contains("<th>Assignee</th>"), "[{b}] no internal columns");

        let tam = c.login_as(&w.tam.user).await;
        let staff = c.page_get(&path, &tam).await.expect(200).text();
        assert!(staff.contains("Suspect the new cache layer"), "[{b}] staff see the note");
        assert!(staff.contains("Internal note"), "[{b}] marked as internal");

        // The customer replies through the form; the reply shows on the page.
        let posted = c.page_post(&format!("{path}/events"), &customer, &[("body", "Thanks, waiting.")]).await;
        posted.expect(303);
        let html = c.page_get(&path, &customer).await.expect(200).text();
        assert!(html.contains("Thanks, waiting."), "[{b}]");
    }
}

#[tokio::test]
async fn a_ticket_outside_ones_scope_is_not_found() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        // Charlie Cloud is Theo's; neither Tina (TAM) nor Alpha's customer sees it.
        let ticket = open_ticket(&t, &w.tam2, w.charlie, "Charlie's secret", "low", true).await;
        for person in [&w.tam, &w.customer, &w.support] {
            let browser = c.login_as(&person.user).await;
            for path in ["", "/escalate"] {
                let r = c.page_get(&format!("/tickets/{}{path}", ticket.id), &browser).await;
                assert_eq!(r.status, 404, "[{b}] {} GET {path}: {}", person.user.name, r.snippet());
                assert!(r.text().contains("Page not found"), "[{b}]");
            }
            for path in ["", "/events", "/escalation", "/escalation/acknowledge", "/escalation/review"] {
                let r = c.page_post(&format!("/tickets/{}{path}", ticket.id), &browser, &[("body", "x")]).await;
                assert_eq!(r.status, 404, "[{b}] {} POST {path}: {}", person.user.name, r.snippet());
            }
            let queue = c.page_get("/tickets?view=open", &browser).await.expect(200).text();
            assert!(!queue.contains("Charlie's secret"), "[{b}] listed to {}", person.user.name);
        }
        let theo = c.login_as(&w.tam2.user).await;
        c.page_get(&format!("/tickets/{}", ticket.id), &theo).await.expect(200);
    }
}

#[tokio::test]
async fn the_new_ticket_form_keeps_the_input_and_names_the_field() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let tam = c.login_as(&w.tam.user).await;
        let form = c.page_get(&format!("/tickets/new?account_id={}", w.alpha), &tam).await.expect(200).text();
        assert!(form.contains(&format!("<option value=\"{}\" selected>Alpha Analytics", w.alpha)), "[{b}] preselected");
        let alpha = w.alpha.to_string();
        let fields = [
            ("account_id", alpha.as_str()),
            ("title", "   "),
            ("description", "Keep this text <please>"),
            ("priority", "urgent"),
            ("ticket_type", "incident"),
        ];
        let r = c.page_post("/tickets", &tam, &fields).await;
        r.expect(422);
        let html = r.text();
        assert!(
            html.contains("Keep this text &lt;please&gt;") || html.contains("Keep this text &#60;please&#62;"),
            "[{b}] {html}"
        );
        assert!(html.contains("field invalid"), "[{b}] a field is marked");
        assert!(html.contains("must not be empty"), "[{b}] the title is named");
        assert!(html.contains("must be one of: critical, high, medium, low"), "[{b}] the priority is named");

        // A valid form creates the ticket and goes to its page.
        let fields = [("account_id", alpha.as_str()), ("title", "Disk full"), ("priority", "low"), ("public", "on")];
        let r = c.page_post("/tickets", &tam, &fields).await;
        r.expect(303);
        let location = r.location().unwrap_or_default().to_string();
        assert!(location.starts_with("/tickets/") && location.ends_with("?notice=created"), "[{b}] {location}");
        let page = c.page_get(&location, &tam).await.expect(200).text();
        assert!(page.contains("Disk full") && page.contains("Ticket created."), "[{b}]");
        assert!(page.contains("First response"), "[{b}] the SLA panel lists the cycles");

        // A PAM reads tickets but may not open them.
        let pam = c.login_as(&w.pam.user).await;
        c.page_get("/tickets/new", &pam).await.expect(403);
        c.page_get("/tickets", &pam).await.expect(200);
        let read_only = c.page_get(&location, &pam).await.expect(200).text();
        let reply_form = format!("action=\"{}/events\"", location.split('?').next().unwrap_or_default());
        assert!(!read_only.contains(&reply_form), "[{b}] no reply form for a PAM");
        assert!(!read_only.contains("Save changes"), "[{b}] no update form for a PAM");
    }
}

fn brief_fields(owner: &str) -> Vec<(&'static str, String)> {
    vec![
        ("engineering_team", "Payments platform".into()),
        ("engineering_owner_id", owner.into()),
        ("brief.summary", "Checkout API returns 502 for one in five requests since the deploy".into()),
        ("brief.severity", "P1".into()),
        ("brief.environment", "eu-west-1, checkout-service v2.14.3 behind the ALB".into()),
        (
            "brief.customer_impact",
            "About 20 percent of Alpha's checkouts fail, losing revenue every hour during the peak".into(),
        ),
        ("brief.reproduction_steps", "1. POST /v2/checkout\n2. Repeat 20 times".into()),
        ("brief.evidence.logs", "upstream prematurely closed connection".into()),
        ("brief.evidence.request_ids", "req-7f3a\nreq-99b1".into()),
        ("brief.evidence.timestamps", "2026-03-02T08:05:00Z".into()),
        ("brief.timeline", "08:00 deploy\n08:05 first 502s".into()),
        ("brief.comms_plan", "".into()),
    ]
}

#[tokio::test]
async fn the_escalation_form_refuses_a_missing_brief_part_and_then_escalates() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let ticket = open_ticket(&t, &w.tam, w.alpha, "Checkout 502s", "critical", true).await;
        let tam = c.login_as(&w.tam.user).await;
        c.page_get(&format!("/tickets/{}/escalate", ticket.id), &tam).await.expect(200);
        let owner = w.support.id().to_string();
        let mut fields = brief_fields(&owner);
        let post = |fields: Vec<(&'static str, String)>, browser: Browser| {
            let path = format!("/tickets/{}/escalation", ticket.id);
            let c = &c;
            async move {
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                c.page_post(&path, &browser, &pairs).await
            }
        };
        let r = post(fields.clone(), tam.clone()).await;
        r.expect(422);
        let html = r.text();
        assert!(html.contains("is required for an escalation to engineering"), "[{b}] {html}");
        assert!(html.contains("id=\"brief.comms_plan\""), "[{b}]");
        assert!(html.contains("Payments platform") && html.contains("req-7f3a"), "[{b}] the input is kept");
        let api = format!("/api/v1/tickets/{}/escalation", ticket.id);
        c.get(&api, &w.admin.token).await.expect(404);

        // A bad timestamp is named at its input.
        fields.retain(|(k, _)| *k != "brief.comms_plan" && *k != "brief.evidence.timestamps");
        fields
            .push(("brief.comms_plan", "The TAM updates Alpha's bridge every 30 minutes until it is mitigated".into()));
        fields.push(("brief.evidence.timestamps", "yesterday".into()));
        let r = post(fields.clone(), tam.clone()).await;
        r.expect(422);
        assert!(r.text().contains("must be an RFC 3339 instant"), "[{b}]");

        fields.retain(|(k, _)| *k != "brief.evidence.timestamps");
        fields.push(("brief.evidence.timestamps", "2026-03-02T08:05:00Z".into()));
        let r = post(fields, tam.clone()).await;
        r.expect(303);
        let page = c.page_get(&format!("/tickets/{}", ticket.id), &tam).await.expect(200).text();
        assert!(page.contains("Escalated to Payments platform"), "[{b}]");
        assert!(page.contains("Brief quality 5/5"), "[{b}] the rubric score: {page}");
        assert!(page.contains("Waiting for acknowledgement since"), "[{b}]");
        assert!(!page.contains("/escalation/acknowledge"), "[{b}] only the owner acknowledges");

        // The engineering owner acknowledges; time-to-engage is shown.
        t.clock.advance(SignedDuration::from_mins(12));
        let sam = c.login_as(&w.support.user).await;
        let page = c.page_get(&format!("/tickets/{}", ticket.id), &sam).await.expect(200).text();
        assert!(page.contains("/escalation/acknowledge"), "[{b}] the owner gets the button");
        c.page_post(&format!("/tickets/{}/escalation/acknowledge", ticket.id), &sam, &[]).await.expect(303);
        let page = c.page_get(&format!("/tickets/{}", ticket.id), &tam).await.expect(200).text();
        assert!(page.contains("Engaged after 12m"), "[{b}]");

        // The author may not review; leadership may, and a bad score is named.
        assert!(!page.contains("/escalation/review"), "[{b}] no review form for the author");
        let lead = c.login_as(&w.leadership.user).await;
        let review = format!("/tickets/{}/escalation/review", ticket.id);
        let r = c.page_post(&review, &lead, &[("score", "9"), ("note", "Clear")]).await;
        r.expect(422);
        assert!(r.text().contains("must be a whole number from 1 to 5"), "[{b}]");
        c.page_post(&review, &lead, &[("score", "4"), ("note", "Clear")]).await.expect(303);
        let page = c.page_get(&format!("/tickets/{}", ticket.id), &tam).await.expect(200).text();
        assert!(page.contains("<strong>4/5</strong>"), "[{b}] the reviewer's score");
    }
}

#[tokio::test]
async fn replies_and_updates_from_the_ticket_page_change_the_ticket() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let ticket = open_ticket(&t, &w.tam, w.alpha, "Slow reports", "medium", true).await;
        let path = format!("/tickets/{}", ticket.id);
        let tam = c.login_as(&w.tam.user).await;
        let fields = [("body", "Could you send the report id?"), ("visibility", "public"), ("status", "pending")];
        c.page_post(&format!("{path}/events"), &tam, &fields).await.expect(303);
        let api = c.get(&format!("/api/v1/tickets/{}", ticket.id), &w.admin.token).await.expect(200).json();
        assert_eq!(api["status"], "pending", "[{b}] reply and set pending");
        let empty = c.page_post(&format!("{path}/events"), &tam, &[("body", " ")]).await;
        empty.expect(422);
        assert!(empty.text().contains("must not be empty"), "[{b}]");

        let fields = [("status", "open"), ("priority", "high"), ("ticket_type", "incident"), ("assignee_id", "")];
        c.page_post(&path, &tam, &fields).await.expect(303);
        let api = c.get(&format!("/api/v1/tickets/{}", ticket.id), &w.admin.token).await.expect(200).json();
        assert_eq!((api["status"].as_str(), api["priority"].as_str()), (Some("open"), Some("high")), "[{b}]");
        assert!(api["assignee_id"].is_null(), "[{b}]");
        let page = c.page_get(&path, &tam).await.expect(200).text();
        assert!(page.contains("changed the priority from Medium to High"), "[{b}] the timeline");

        // An assignee who does not work on the account is named.
        let outsider = w.support2.id().to_string();
        let r = c.page_post(&path, &tam, &[("assignee_id", outsider.as_str())]).await;
        r.expect(422);
        assert!(r.text().contains("does not work on Alpha Analytics"), "[{b}]");
        // A customer cannot change fields.
        let customer = c.login_as(&w.customer.user).await;
        c.page_post(&path, &customer, &[("priority", "critical")]).await.expect(403);
    }
}

#[tokio::test]
async fn notifications_show_in_the_bell_and_are_marked_read() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let ticket = open_ticket(&t, &w.tam, w.alpha, "Down", "critical", true).await;
        t.clock.advance(SignedDuration::from_hours(2));
        // Any write re-evaluates the clocks and records the breach with its notifications.
        comment(&t, &w.tam, &ticket, "Still on it", false).await;
        let tam = c.login_as(&w.tam.user).await;
        let html = c.page_get("/notifications", &tam).await.expect(200).text();
        assert!(html.contains("id=\"unread-count\""), "[{b}] the bell shows a count");
        assert!(html.contains("target breached"), "[{b}] {html}");
        assert!(html.contains(&format!("href=\"/tickets/{}\"", ticket.id)), "[{b}] a link to the ticket");
        assert!(html.contains("class=\"unread"), "[{b}] unread highlighted");
        let page = c.page_get(&format!("/tickets/{}", ticket.id), &tam).await.expect(200).text();
        assert!(page.contains("Breached at"), "[{b}] the SLA panel shows the breach");
        assert!(page.contains("First response: target breached"), "[{b}] the recorded alert");
        c.page_post("/notifications/read-all", &tam, &[]).await.expect(303);
        let html = c.page_get("/notifications", &tam).await.expect(200).text();
        assert!(!html.contains("id=\"unread-count\""), "[{b}] nothing unread");
        // Someone else's notification is not found.
        let other = c.login_as(&w.tam2.user).await;
        c.page_post(&format!("/notifications/{}/read", uuid_like()), &other, &[]).await.expect(404);
    }
}

fn uuid_like() -> String {
    tamhub_domain::ids::NotificationId::new().to_string()
}

/// A `multipart/form-data` post of the CSRF token and one file.
async fn upload(c: &Client, path: &str, browser: &Browser, file: &str) -> Resp {
    let boundary = "tamhubtestboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"holidays.ics\"\r\n\
         Content-Type: text/calendar\r\n\r\n{file}\r\n--{boundary}--\r\n",
        browser.csrf
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, browser.cookie())
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request builds");
    c.send(request).await
}

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20260501\r\nSUMMARY:Labour Day\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

#[tokio::test]
async fn an_ics_upload_adds_holidays_to_a_calendar() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let admin_actor = Actor::new(w.admin.user.clone());
        let (calendars, _) = t.app.list_calendars(&admin_actor).await.expect("calendars");
        let calendar = calendars.first().expect("the default calendar").id;
        let path = format!("/admin/calendars/{calendar}/holidays");
        let admin = c.login_as(&w.admin.user).await;
        let page = c.page_get(&format!("/admin/calendars/{calendar}"), &admin).await.expect(200).text();
        assert!(page.contains("enctype=\"multipart/form-data\""), "[{b}] the upload form");
        let r = upload(&c, &path, &admin, ICS).await;
        r.expect(200);
        let html = r.text();
        assert!(html.contains("3 holiday(s) added"), "[{b}] {html}");
        assert!(html.contains("2026-12-25 · Christmas") && html.contains("2026-05-01 · Labour Day"), "[{b}]");
        let after = t.app.get_calendar(&admin_actor, calendar).await.expect("calendar");
        let holidays = &after.versions.last().expect("a version").hours.holidays;
        for day in ["2026-05-01", "2026-12-25", "2026-12-26"] {
            assert!(holidays.contains(&day.to_string()), "[{b}] {day} in {holidays:?}");
        }
        // Again: nothing new. A bad file is named; a wrong token and a TAM are refused.
        assert!(upload(&c, &path, &admin, ICS).await.expect(200).text().contains("no new holidays"), "[{b}]");
        let bad = upload(&c, &path, &admin, "not a calendar").await;
        bad.expect(422);
        assert!(bad.text().contains("The file is not an iCalendar file"), "[{b}] {}", bad.snippet());
        let forged = Browser { csrf: "forged".into(), ..admin.clone() };
        upload(&c, &path, &forged, ICS).await.expect(403);
        let tam = c.login_as(&w.tam.user).await;
        upload(&c, &path, &tam, ICS).await.expect(403);
        c.page_get("/admin/calendars", &tam).await.expect(403);
    }
}

#[tokio::test]
async fn the_calendar_form_saves_a_weekly_grid_and_names_bad_times() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let admin = c.login_as(&w.admin.user).await;
        let fields = [
            ("name", "Berlin office"),
            ("tz", "Europe/Berlin"),
            ("mon.0.start", "09:00"),
            ("mon.0.end", "12:30"),
            ("mon.1.start", "13:30"),
            ("mon.1.end", "24:00"),
            ("tue.0.start", "9am"),
            ("tue.0.end", "17:00"),
            ("holidays", "2026-12-24\nnot-a-date"),
        ];
        let r = c.page_post("/admin/calendars", &admin, &fields).await;
        r.expect(422);
        let html = r.text();
        assert!(html.contains("Tuesday, interval 1"), "[{b}] the bad cell is named: {html}");
        assert!(
            html.contains("line 2: &quot;not-a-date&quot;") || html.contains("line 2: &#34;not-a-date&#34;"),
            "[{b}]"
        );
        assert!(html.contains("value=\"Berlin office\""), "[{b}] input kept");
        let mut fields = fields.to_vec();
        fields.retain(|(k, _)| !k.starts_with("tue") && *k != "holidays");
        fields.push(("holidays", "2026-12-24 Christmas Eve"));
        fields.push(("exceptions", "2026-12-31 09:00-13:00"));
        let r = c.page_post("/admin/calendars", &admin, &fields).await;
        r.expect(303);
        let list = c.page_get("/admin/calendars", &admin).await.expect(200).text();
        assert!(list.contains("Berlin office") && list.contains("Mon 09:00–12:30, 13:30–24:00"), "[{b}] {list}");
    }
}

#[tokio::test]
async fn the_policy_form_saves_a_target_and_places_errors_in_the_grid() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let admin = c.login_as(&w.admin.user).await;
        c.page_get("/admin/sla-policies/new", &admin).await.expect(200);
        let bad = [
            ("name", "Enterprise incidents"),
            ("filter.tiers", "enterprise"),
            ("t.first_response.critical.value", "0.1"),
            ("t.first_response.critical.unit", "min"),
            ("t.first_response.critical.hours", "calendar"),
            ("t.first_response.critical.calendar", "24x7"),
            ("t.resolution.high.value", "soon"),
            ("warn_percent", "75, 150"),
        ];
        let r = c.page_post("/admin/sla-policies", &admin, &bad).await;
        r.expect(422);
        let html = r.text();
        assert!(html.contains("seconds must be at least 15 seconds"), "[{b}] placed in its cell: {html}");
        assert!(html.contains("must be a number, e.g. 4 or 1.5"), "[{b}]");
        assert!(html.contains("must be a percentage from 1 to 100"), "[{b}]");
        assert!(html.contains("value=\"Enterprise incidents\""), "[{b}] input kept");

        let good = [
            ("name", "Enterprise incidents"),
            ("filter.tiers", "enterprise"),
            ("filter.ticket_types", "incident"),
            ("t.first_response.critical.value", "30"),
            ("t.first_response.critical.unit", "min"),
            ("t.first_response.critical.hours", "calendar"),
            ("t.first_response.critical.calendar", "24x7"),
            ("warn_percent", "50, 75"),
            ("warn_remaining_minutes", "10"),
            ("start_at_first_customer_message", "on"),
        ];
        c.page_post("/admin/sla-policies", &admin, &good).await.expect(303);
        let policies = t.app.list_policies(&Actor::new(w.admin.user.clone())).await.expect("policies");
        let created = policies.iter().find(|p| p.name == "Enterprise incidents").expect("the new policy");
        assert_eq!(created.targets.len(), 1, "[{b}]");
        assert_eq!(created.targets[0].seconds, 1800, "[{b}]");
        assert_eq!(created.warn_remaining_seconds, vec![600], "[{b}]");
        let list = c.page_get("/admin/sla-policies", &admin).await.expect(200).text();
        assert!(list.contains("Enterprise incidents") && list.contains("Tier: Enterprise"), "[{b}]");
        // It went last; moving it up puts it first.
        let id = created.id.to_string();
        c.page_post(&format!("/admin/sla-policies/{id}/move"), &admin, &[("direction", "up")]).await.expect(303);
        let policies = t.app.list_policies(&Actor::new(w.admin.user.clone())).await.expect("policies");
        assert_eq!(policies[0].name, "Enterprise incidents", "[{b}]");
        let edit = c.page_get(&format!("/admin/sla-policies/{id}"), &admin).await.expect(200).text();
        assert!(edit.contains("name=\"t.first_response.critical.value\" value=\"30\""), "[{b}] the grid shows it");
        c.page_post(&format!("/admin/sla-policies/{id}/delete"), &admin, &[]).await.expect(303);
        let tam = c.login_as(&w.tam.user).await;
        c.page_get("/admin/sla-policies", &tam).await.expect(403);
    }
}

#[tokio::test]
async fn the_account_page_shows_open_tickets_and_the_form_sets_a_calendar() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        open_ticket(&t, &w.tam, w.alpha, "One", "low", true).await;
        open_ticket(&t, &w.tam, w.alpha, "Two", "low", true).await;
        let tam = c.login_as(&w.tam.user).await;
        let page = c.page_get(&format!("/accounts/{}", w.alpha), &tam).await.expect(200).text();
        assert!(page.contains("<strong>2</strong> open tickets"), "[{b}] {page}");
        assert!(page.contains("Standard hours (UTC) (organisation default)"), "[{b}] the calendar");
        let actor = Actor::new(w.admin.user.clone());
        let hours = tamhub_domain::sla::business_calendars::CalendarHours::weekdays_nine_to_five("Europe/Berlin");
        let berlin = t
            .app
            .create_calendar(Some(&actor), "Berlin", hours, tamhub_app::Clock::now(t.clock.as_ref()))
            .await
            .expect("calendar");
        let form = c.page_get(&format!("/accounts/{}/edit", w.alpha), &tam).await.expect(200).text();
        assert!(form.contains("name=\"calendar_id\""), "[{b}]");
        let id = berlin.id.to_string();
        c.page_post(&format!("/accounts/{}/edit", w.alpha), &tam, &[("calendar_id", id.as_str())]).await.expect(303);
        let page = c.page_get(&format!("/accounts/{}", w.alpha), &tam).await.expect(200).text();
        assert!(page.contains("<dt>Business calendar</dt><dd>Berlin</dd>"), "[{b}]");
    }
}
