//! The incident pages through the real router: declaring through the form, forms that come back
//! with their input and the field named, status buttons, the customer's status page, and every
//! incident page route answering 404 outside the scope and 403 to roles that only read.

use serde_json::{Value, json};
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

use crate::access::routes_in;
use crate::support::{Browser, Client, Person, World, unescape};

const PAGE_ROUTER: &str = include_str!("../../src/pages/mod.rs");

fn set(t: &TestApp, when: &str) {
    t.clock.set(when.parse().expect("an instant"));
}

/// The HTML of the form field holding the input `name`: from its `<div class="field…">` to the
/// next field.
#[track_caller]
fn field<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no input {name}: {html}"));
    let start = html[..at].rfind("<div class=\"field").unwrap_or_else(|| panic!("no field around {name}"));
    let end = html[at..].find("<div class=\"field").map_or(html.len(), |e| at + e);
    &html[start..end]
}

/// The table row holding the input `name` (the milestones table).
#[track_caller]
fn row<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no input {name}"));
    let start = html[..at].rfind("<tr").expect("a row");
    let end = at + html[at..].find("</tr>").expect("the row ends");
    &html[start..end]
}

/// Text as typed: askama also escapes `&` as `&#38;`.
fn plain(html: &str) -> String {
    unescape(&html.replace("&#38;", "&"))
}

/// The incident's id from the redirect after a form post.
fn id_from(location: &str) -> String {
    location.trim_start_matches("/incidents/").split(['?', '#']).next().unwrap_or_default().to_string()
}

async fn declare(c: &Client, who: &Person, body: Value) -> String {
    let created = c.post("/api/v1/incidents", &who.token, &body).await;
    created.expect(201);
    created.json()["id"].as_str().expect("an id").to_string()
}

#[tokio::test]
async fn a_tam_declares_through_the_form_after_a_p0_without_a_lead_is_refused_by_name() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let tam = c.login_as(&w.tam.user).await;
        let form = c.page_get(&format!("/incidents/new?account_id={}", w.alpha), &tam).await.expect(200).text();
        assert!(form.contains(&format!("value=\"{}\" checked> Alpha Analytics", w.alpha)), "[{b}] preselected: {form}");
        assert!(form.contains("Bravo Banking") && !form.contains("Charlie Cloud"), "[{b}] only the TAM's accounts");
        assert!(form.contains("<strong>Critical</strong> <span class=\"muted\">widespread outage"), "[{b}] {form}");
        assert!(form.contains("Tina Tam · TAM") && form.contains("Sam Support · Support"), "[{b}] role holders");
        assert!(!form.contains("Cora Customer"), "[{b}] a customer cannot hold a role");

        let alpha = w.alpha.to_string();
        let bravo = w.bravo.to_string();
        let mut fields = vec![
            ("title", "Checkout API errors <eu-west-1>"),
            ("summary", "5xx on /checkout"),
            ("severity", "P0"),
            ("impacted_account_ids", alpha.as_str()),
            ("impacted_account_ids", bravo.as_str()),
            ("impacted_services", "checkout-api, payments-gateway\nedge"),
            ("roles.incident_commander", ""),
            ("roles.comms_lead", ""),
            ("impact_started_at", "2026-03-02T09:40"),
            ("detected_at", "2026-03-02T09:52"),
        ];
        let refused = c.page_post("/incidents", &tam, &fields).await;
        refused.expect(422);
        let html = refused.text();
        let lead = field(&html, "roles.incident_commander");
        assert!(
            lead.contains("field invalid") && lead.contains("a P0 incident needs an incident lead"),
            "[{b}] {lead}"
        );
        assert!(plain(&html).contains("value=\"Checkout API errors <eu-west-1>\""), "[{b}] the title kept");
        assert!(html.contains("value=\"2026-03-02T09:40\""), "[{b}] the impact start kept");
        assert!(html.contains(&format!("value=\"{bravo}\" checked")), "[{b}] the accounts kept");
        assert!(html.contains("checkout-api, payments-gateway\nedge"), "[{b}] the services kept");
        assert_eq!(c.get("/api/v1/incidents?status=all", &w.admin.token).await.json()["total"], 0, "[{b}]");

        // Impact cannot start in the future; the form names that input.
        let future = [("title", "Later"), ("severity", "P3"), ("impact_started_at", "2026-03-02T11:00")];
        let mut with_account = future.to_vec();
        with_account.push(("impacted_account_ids", alpha.as_str()));
        let html = c.page_post("/incidents", &tam, &with_account).await.expect(422).text();
        assert!(field(&html, "impact_started_at").contains("must not be in the future"), "[{b}]");

        let me = w.tam.id().to_string();
        fields.retain(|(k, _)| *k != "roles.incident_commander");
        fields.push(("roles.incident_commander", me.as_str()));
        let created = c.page_post("/incidents", &tam, &fields).await;
        created.expect(303);
        let location = created.location().unwrap_or_default().to_string();
        assert!(location.ends_with("?notice=declared"), "[{b}] {location}");
        let page = c.page_get(&location, &tam).await.expect(200).text();
        assert!(page.contains("INC-1") && page.contains("Incident declared."), "[{b}]");
        assert!(page.contains("badge sev-p0") && page.contains("badge inc-triage"), "[{b}]");
        for text in ["checkout-api", "payments-gateway", "Alpha Analytics", "Bravo Banking"] {
            assert!(page.contains(text), "[{b}] {text} on the page");
        }
        assert!(row(&page, "milestones.impact_started_at").contains("value=\"2026-03-02T09:40\""), "[{b}]");
        assert!(row(&page, "milestones.detected_at").contains("+12m"), "[{b}] the offset from impact start");
        assert!(page.contains("made Tina Tam incident lead"), "[{b}] the role on the timeline");

        let list = c.page_get("/incidents", &tam).await.expect(200).text();
        assert!(list.contains("INC-1") && list.contains("Checkout API errors"), "[{b}] listed as live");
        assert!(list.contains("Alpha Analytics") && list.contains("Tina Tam"), "[{b}] accounts and lead");
        let all = c.page_get("/incidents?view=all&severity=P3", &tam).await.expect(200).text();
        assert!(all.contains("No incidents match these filters."), "[{b}]");
        let bad = c.page_get("/incidents?status=broken", &tam).await.expect(200).text();
        assert!(bad.contains("status must be one of"), "[{b}] a bad filter is explained");
        assert_eq!(id_from(&location).len(), 36, "[{b}]");
    }
}

/// Declares a P1 on alpha and charlie, led by Alpha's TAM, and returns its page path.
async fn alpha_p1(c: &Client, w: &World) -> String {
    let id = declare(
        c,
        &w.admin,
        json!({"title": "Search is slow", "severity": "P1", "impacted_account_ids": [w.alpha, w.charlie],
               "incident_commander_id": w.tam.id(), "impacted_services": ["search"]}),
    )
    .await;
    format!("/incidents/{id}")
}

#[tokio::test]
async fn the_forms_of_an_incident_save_or_come_back_with_the_field_named() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let path = alpha_p1(&c, &w).await;
        let tam = c.login_as(&w.tam.user).await;
        let page = c.page_get(&path, &tam).await.expect(200).text();
        assert!(page.contains("+1 outside your portfolio"), "[{b}] charlie is counted, not named");
        assert!(!page.contains("Charlie Cloud"), "[{b}]");
        for button in ["value=\"investigating\"", "value=\"resolved\"", "value=\"declined\""] {
            assert!(page.contains(button), "[{b}] a button {button}");
        }

        // An update without what we are doing comes back with the input and the field named.
        let know = "Searches take 30 s for some tenants & more";
        let refused = c
            .page_post(
                &format!("{path}/updates"),
                &tam,
                &[("visibility", "public"), ("what_we_know", know), ("what_we_are_doing", "  ")],
            )
            .await;
        refused.expect(422);
        let html = refused.text();
        let doing = field(&html, "what_we_are_doing");
        assert!(doing.contains("field invalid") && doing.contains("must not be empty"), "[{b}] {doing}");
        assert!(plain(field(&html, "what_we_know")).contains(know), "[{b}] the input kept");
        let next =
            [("what_we_know", know), ("what_we_are_doing", "Adding nodes"), ("next_update_at", "2026-03-02T09:00")];
        let html = c.page_post(&format!("{path}/updates"), &tam, &next).await.expect(422).text();
        assert!(field(&html, "next_update_at").contains("must be in the future"), "[{b}]");

        // Saved: a public update and an internal one, each with its marker.
        let public = [
            ("visibility", "public"),
            ("what_we_know", know),
            ("what_we_dont_know", "Why only some tenants"),
            ("what_we_are_doing", "Adding search nodes"),
            ("next_update_at", "2026-03-02T11:00"),
        ];
        let saved = c.page_post(&format!("{path}/updates"), &tam, &public).await;
        saved.expect(303);
        assert_eq!(saved.location(), Some(format!("{path}?notice=update#timeline-end").as_str()), "[{b}]");
        let internal =
            [("visibility", "internal"), ("what_we_know", "Node 3 OOM"), ("what_we_are_doing", "Restarting")];
        c.page_post(&format!("{path}/updates"), &tam, &internal).await.expect(303);
        c.page_post(&format!("{path}/notes"), &tam, &[("text", "Bridge opened on Zoom")]).await.expect(303);
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(html.contains("posted a customer update") && html.contains("posted an internal update"), "[{b}]");
        assert!(html.contains("Why only some tenants") && html.contains("by 2026-03-02 11:00 UTC"), "[{b}]");
        assert!(html.contains("Bridge opened on Zoom"), "[{b}]");
        let empty_note = c.page_post(&format!("{path}/notes"), &tam, &[("text", "")]).await.expect(422).text();
        assert!(field(&empty_note, "text").contains("must not be empty"), "[{b}]");

        // Clearing the lead of a P1 is refused beside the lead's select.
        let html =
            c.page_post(&format!("{path}/roles"), &tam, &[("roles.incident_commander", "")]).await.expect(422).text();
        let lead = field(&html, "roles.incident_commander");
        assert!(lead.contains("needs an incident lead"), "[{b}] {lead}");
        let tam2 = w.tam2.id().to_string();
        let me = w.tam.id().to_string();
        let roles = [("roles.incident_commander", me.as_str()), ("roles.comms_lead", tam2.as_str())];
        let saved = c.page_post(&format!("{path}/roles"), &tam, &roles).await;
        assert_eq!(saved.expect(303).location(), Some(format!("{path}?notice=roles#roles").as_str()), "[{b}]");
        let unchanged = c.page_post(&format!("{path}/roles"), &tam, &roles).await;
        assert!(unchanged.expect(303).location().is_some_and(|l| l.ends_with("notice=unchanged")), "[{b}]");

        // Acknowledge, then the button is gone.
        set(&t, "2026-03-02T10:10:00Z");
        c.page_post(&format!("{path}/acknowledge"), &tam, &[]).await.expect(303);
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(!html.contains("/acknowledge\""), "[{b}] acknowledged once");
        assert!(html.contains("acknowledged the incident"), "[{b}]");

        // Status buttons move the incident; a move the machine does not allow is refused by name.
        set(&t, "2026-03-02T10:20:00Z");
        let moved = c.page_post(&format!("{path}/status"), &tam, &[("status", "monitoring")]).await;
        assert_eq!(moved.expect(303).location(), Some(format!("{path}?notice=status").as_str()), "[{b}]");
        set(&t, "2026-03-02T10:30:00Z");
        c.page_post(&format!("{path}/status"), &tam, &[("status", "resolved")]).await.expect(303);
        let html = c.page_get(&format!("{path}?notice=status"), &tam).await.expect(200).text();
        assert!(html.contains("badge inc-resolved") && html.contains("Status changed."), "[{b}]");
        assert!(html.contains("moved the incident from Monitoring to Resolved"), "[{b}]");
        assert!(html.contains("Reopen (investigating)"), "[{b}] a reopen button");
        let html = c.page_post(&format!("{path}/status"), &tam, &[("status", "declined")]).await.expect(422).text();
        assert!(html.contains("cannot move from resolved to declined"), "[{b}] {html}");

        // A milestone edit that breaks I3 is refused at the milestone it names; a good one saves.
        let html = c
            .page_post(
                &format!("{path}/milestones"),
                &tam,
                &[("milestones.resolved_at", "2026-03-02T10:15"), ("reason", "From the logs")],
            )
            .await
            .expect(422)
            .text();
        let resolved = row(&html, "milestones.resolved_at");
        assert!(resolved.contains("class=\"invalid\"") && resolved.contains("I3"), "[{b}] {resolved}");
        assert!(resolved.contains("value=\"2026-03-02T10:15\""), "[{b}] the input kept");
        let html = c
            .page_post(&format!("{path}/milestones"), &tam, &[("milestones.detected_at", "2026-03-02T10:02")])
            .await
            .expect(422)
            .text();
        assert!(field(&html, "reason").contains("must not be empty"), "[{b}] a reason is required");
        let saved = c
            .page_post(
                &format!("{path}/milestones"),
                &tam,
                &[("milestones.detected_at", "2026-03-02T10:02"), ("reason", "Alert fired earlier")],
            )
            .await;
        saved.expect(303);
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(html.contains("corrected Detected: unset → 2026-03-02 10:02 UTC"), "[{b}]");
        assert!(html.contains("Reason: Alert fired earlier"), "[{b}]");

        // Severity: lowering is a timeline entry; the most severe level stays P1.
        c.page_post(&format!("{path}/severity"), &tam, &[("severity", "P2")]).await.expect(303);
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(html.contains("lowered the severity from P1 to P2"), "[{b}]");
        assert!(html.contains("badge sev-p1\">P1</span></dd>"), "[{b}] the most severe kept");

        // Link a ticket by its number.
        let ticket = crate::support::open_ticket(&c, &w.tam.token, Some(w.alpha), "high", "Search times out").await;
        let number = format!("#{}", ticket["number"]);
        let html = c.page_post(&format!("{path}/tickets"), &tam, &[("ticket_id", "#999")]).await.expect(422).text();
        assert!(field(&html, "ticket_id").contains("no ticket #999 you can see"), "[{b}]");
        c.page_post(&format!("{path}/tickets"), &tam, &[("ticket_id", &number)]).await.expect(303);
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(html.contains(&format!("linked ticket {number} Search times out")), "[{b}]");
        let again = c.page_post(&format!("{path}/tickets"), &tam, &[("ticket_id", &number)]).await.expect(422).text();
        assert!(field(&again, "ticket_id").contains("is already linked"), "[{b}]");
    }
}

#[tokio::test]
async fn a_customer_sees_a_status_page_with_the_public_updates_only() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let path = alpha_p1(&c, &w).await;
        let tam = c.login_as(&w.tam.user).await;
        let public = [
            ("what_we_know", "Searches are slow for some tenants"),
            ("what_we_are_doing", "Adding search nodes"),
            ("next_update_at", "2026-03-02T11:00"),
        ];
        c.page_post(&format!("{path}/updates"), &tam, &public).await.expect(303);
        let internal = [("visibility", "internal"), ("what_we_know", "Node 3 OOM-killed"), ("what_we_are_doing", "x")];
        c.page_post(&format!("{path}/updates"), &tam, &internal).await.expect(303);
        c.page_post(&format!("{path}/notes"), &tam, &[("text", "Blame the vendor")]).await.expect(303);
        c.page_post(&format!("{path}/status"), &tam, &[("status", "investigating")]).await.expect(303);

        let customer = c.login_as(&w.customer.user).await;
        let html = c.page_get(&path, &customer).await.expect(200).text();
        assert!(html.contains("Search is slow") && html.contains("badge inc-investigating"), "[{b}]");
        assert!(html.contains("Searches are slow for some tenants") && html.contains("Adding search nodes"), "[{b}]");
        assert!(html.contains("Next update by 2026-03-02 11:00 UTC"), "[{b}]");
        assert!(html.contains("declared 2026-03-02 10:00 UTC"), "[{b}] the declared time");
        for secret in
            ["Node 3 OOM-killed", "Blame the vendor", "Tina Tam", "Incident lead", "Charlie Cloud", "search</code>"]
        {
            assert!(!html.contains(secret), "[{b}] {secret} leaked: {html}");
        }
        assert_eq!(html.matches("<form").count(), 1, "[{b}] only the sign-out form");
        let list = c.page_get("/incidents", &customer).await.expect(200).text();
        assert!(list.contains("Search is slow") && !list.contains("Incident lead"), "[{b}]");
        assert!(!list.contains("Declare incident"), "[{b}]");
        assert!(list.contains("href=\"/incidents\" class=\"active\">Incidents</a>"), "[{b}] the nav item");
        c.page_get("/incidents/new", &customer).await.expect(403);

        // A PAM reads everything staff read, without the forms.
        let pam = c.login_as(&w.pam.user).await;
        let html = c.page_get(&path, &pam).await.expect(200).text();
        assert!(html.contains("Node 3 OOM-killed") && html.contains("Blame the vendor"), "[{b}]");
        assert!(html.contains("Tina Tam"), "[{b}] the roles");
        assert_eq!(html.matches("<form").count(), 1, "[{b}] no forms for a PAM");
    }
}

/// `(method, path, form fields)`.
type PageRoute = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// Every page route that addresses one incident, with a form where it takes one.
const INCIDENT_PAGES: &[PageRoute] = &[
    ("GET", "/incidents/{id}", &[]),
    ("POST", "/incidents/{id}/status", &[("status", "investigating")]),
    ("POST", "/incidents/{id}/severity", &[("severity", "P3")]),
    ("POST", "/incidents/{id}/roles", &[("roles.scribe", "")]),
    ("POST", "/incidents/{id}/milestones", &[("milestones.detected_at", "2026-03-02T09:00"), ("reason", "x")]),
    ("POST", "/incidents/{id}/acknowledge", &[]),
    ("POST", "/incidents/{id}/updates", &[("what_we_know", "hijacked"), ("what_we_are_doing", "hijacked")]),
    ("POST", "/incidents/{id}/notes", &[("text", "hijacked")]),
    ("POST", "/incidents/{id}/tickets", &[("ticket_id", "#1")]),
    ("GET", "/incidents/{id}/review", &[]),
    ("POST", "/incidents/{id}/review", &[("summary", "hijacked")]),
    ("POST", "/incidents/{id}/review/submit", &[("summary", "hijacked")]),
    ("POST", "/incidents/{id}/review/approve", &[]),
    ("POST", "/incidents/{id}/review/request-changes", &[]),
    ("POST", "/incidents/{id}/review/publish", &[]),
    ("GET", "/incidents/{id}/actions/new", &[]),
    ("POST", "/incidents/{id}/impact-windows", &[("windows", ""), ("reason", "hijacked")]),
    (
        "POST",
        "/incidents/{id}/actions",
        &[("title", "hijacked"), ("type", "other"), ("priority", "normal"), ("due_at", "2030-01-01T00:00")],
    ),
];

#[test]
fn the_incident_page_table_covers_every_incident_page_route() {
    let routes = routes_in(PAGE_ROUTER, "");
    let pages: Vec<&(String, String)> = routes.iter().filter(|(_, p)| p.starts_with("/incidents/{id}")).collect();
    assert_eq!(pages.len(), INCIDENT_PAGES.len(), "{pages:?}");
    for (method, path) in pages {
        assert!(
            INCIDENT_PAGES.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is an incident page missing from INCIDENT_PAGES"
        );
    }
}

async fn call(c: &Client, route: &PageRoute, id: &str, browser: &Browser) -> crate::support::Resp {
    let (method, path, form) = *route;
    let path = path.replace("{id}", id);
    if method == "GET" { c.page_get(&path, browser).await } else { c.page_post(&path, browser, form).await }
}

#[tokio::test]
async fn another_tams_incident_answers_404_and_readers_may_not_post() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let on_charlie = declare(
            &c,
            &w.tam2,
            json!({"title": "Charlie only", "severity": "P2",
            "impacted_account_ids": [w.charlie]}),
        )
        .await;
        let on_alpha = declare(
            &c,
            &w.admin,
            json!({"title": "Alpha too", "severity": "P2",
            "impacted_account_ids": [w.alpha]}),
        )
        .await;
        let before = c.get(&format!("/api/v1/incidents/{on_charlie}/timeline"), &w.admin.token).await.json();
        for who in [&w.tam, &w.psm, &w.pam, &w.support, &w.customer] {
            let browser = c.login_as(&who.user).await;
            for id in [on_charlie.as_str(), "not-an-id"] {
                for route in INCIDENT_PAGES {
                    let r = call(&c, route, id, &browser).await;
                    assert_eq!(
                        r.status,
                        404,
                        "[{b}] {:?} {} {} on {id}: {}",
                        who.user.role,
                        route.0,
                        route.1,
                        r.snippet()
                    );
                }
            }
            let list = c.page_get("/incidents?view=all", &browser).await.expect(200).text();
            assert!(!list.contains("Charlie only") && list.contains("Alpha too"), "[{b}] {:?}", who.user.role);
        }
        let after = c.get(&format!("/api/v1/incidents/{on_charlie}/timeline"), &w.admin.token).await.json();
        assert_eq!(before, after, "[{b}] nothing written");
        // PAMs and customers read Alpha's incident and may post nothing. A customer sees a
        // review only once it is published: before, its page is not there for them.
        for who in [&w.pam, &w.customer] {
            let browser = c.login_as(&who.user).await;
            for route in INCIDENT_PAGES {
                let expected = match route {
                    ("GET", "/incidents/{id}/review", _) if who.user.role == Role::Customer => 404,
                    // Adding an action is for those who work incidents.
                    ("GET", "/incidents/{id}/actions/new", _) => 403,
                    ("GET", _, _) => 200,
                    _ => 403,
                };
                let r = call(&c, route, &on_alpha, &browser).await;
                assert_eq!(
                    r.status.as_u16(),
                    expected,
                    "[{b}] {:?} {} {}: {}",
                    who.user.role,
                    route.0,
                    route.1,
                    r.snippet()
                );
            }
            c.page_post("/incidents", &browser, &[("title", "x"), ("severity", "P3")]).await.expect(403);
        }
        // Theo sees his incident.
        let theo = c.login_as(&w.tam2.user).await;
        c.page_get(&format!("/incidents/{on_charlie}"), &theo).await.expect(200);
    }
}

#[tokio::test]
async fn the_all_tab_lists_live_incidents_before_ended_ones() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T08:00:00Z");
        let live = declare(
            &c,
            &w.tam,
            json!({"title": "Older but live", "severity": "P3", "impacted_account_ids": [w.alpha]}),
        )
        .await;
        set(&t, "2026-03-02T09:00:00Z");
        let ended = declare(
            &c,
            &w.tam,
            json!({"title": "Newer but closed", "severity": "P3", "impacted_account_ids": [w.alpha]}),
        )
        .await;
        c.post(&format!("/api/v1/incidents/{ended}/status"), &w.tam.token, &json!({"status": "closed"}))
            .await
            .expect(200);
        let tam = c.login_as(&w.tam.user).await;
        let html = c.page_get("/incidents?view=all", &tam).await.expect(200).text();
        let (a, z) = (html.find("Older but live"), html.find("Newer but closed"));
        assert!(a.is_some() && z.is_some() && a < z, "[{b}] live first: {html}");
        assert!(html.contains("Showing 1–2 of 2"), "[{b}]");
        let html = c.page_get("/incidents", &tam).await.expect(200).text();
        assert!(html.contains("Older but live") && !html.contains("Newer but closed"), "[{b}] the live tab");
        let html = c.page_get("/incidents?status=closed", &tam).await.expect(200).text();
        assert!(!html.contains("Older but live") && html.contains("Newer but closed"), "[{b}] one status");
        assert!(!live.is_empty(), "[{b}]");
    }
}

#[tokio::test]
async fn the_page_shows_when_the_next_customer_update_is_due_and_how_updates_kept_to_it() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let page_path = alpha_p1(&c, &w).await;
        let id = page_path.trim_start_matches("/incidents/").to_string();
        let tam = c.login_as(&w.tam.user).await;
        let page = plain(&c.page_get(&page_path, &tam).await.expect(200).text());
        assert!(page.contains("Next customer update due"), "[{b}]");
        assert!(page.contains("in 30m"), "[{b}] P1: the first update within 30 minutes");
        assert!(page.contains("No update was due yet"), "[{b}]");

        set(&t, "2026-03-02T10:45:00Z");
        let page = plain(&c.page_get(&page_path, &tam).await.expect(200).text());
        assert!(page.contains("overdue by 15m"), "[{b}]");
        let update = json!({"what_we_know": "Errors on login", "what_we_are_doing": "Rolling back"});
        c.post(&format!("/api/v1/incidents/{id}/updates"), &w.tam.token, &update).await.expect(201);
        let page = plain(&c.page_get(&page_path, &tam).await.expect(200).text());
        assert!(page.contains("0 of 1 updates on time (0 %)"), "[{b}] the first update came late");
        assert!(page.contains(">Late<") && page.contains("in 1h"), "[{b}] then every hour");
    }
}

#[tokio::test]
async fn the_metrics_page_names_both_endpoints_of_every_metric() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let page_path = alpha_p1(&c, &w).await;
        let id = page_path.trim_start_matches("/incidents/").to_string();
        set(&t, "2026-03-02T10:20:00Z");
        c.post(&format!("/api/v1/incidents/{id}/acknowledge"), &w.tam.token, &json!({})).await.expect(200);
        let tam = c.login_as(&w.tam.user).await;
        let html = c.page_get("/incidents/metrics?from=2026-03-01&to=2026-03-02", &tam).await.expect(200).text();
        let page = plain(&html);
        assert!(page.contains("Time to acknowledge (declared → acknowledged)"), "[{b}]");
        assert!(page.contains("Time to resolve (impact started → resolved)"), "[{b}]");
        assert!(!page.contains("MTTR"), "[{b}]");
        assert!(page.contains("1 incident"), "[{b}]");
        assert!(page.contains("20m"), "[{b}] acknowledged after 20 minutes");
        let bad = plain(&c.page_get("/incidents/metrics?from=2026-02-30", &tam).await.expect(200).text());
        assert!(bad.contains("from must be a date YYYY-MM-DD"), "[{b}]");
        let customer = c.login_as(&w.customer.user).await;
        c.page_get("/incidents/metrics", &customer).await.expect(404);
    }
}

#[tokio::test]
async fn the_account_page_lists_the_incidents_that_impacted_it() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let page_path = alpha_p1(&c, &w).await;
        declare(&c, &w.admin, json!({"title": "Bravo only", "severity": "P3", "impacted_account_ids": [w.bravo]}))
            .await;
        let tam = c.login_as(&w.tam.user).await;
        let html = plain(&c.page_get(&format!("/accounts/{}", w.alpha), &tam).await.expect(200).text());
        let card = &html[html.find("id=\"account-incidents\"").expect("the incidents card")..];
        let card = &card[..card.find("</section>").expect("the card ends")];
        assert!(card.contains("Search is slow") && card.contains(&page_path), "[{b}] {card}");
        assert!(!card.contains("Bravo only"), "[{b}] another account's incident");
        let customer = c.login_as(&w.customer.user).await;
        let html = plain(&c.page_get(&format!("/accounts/{}", w.alpha), &customer).await.expect(200).text());
        assert!(html.contains("Search is slow"), "[{b}] the customer sees their account's incident");
    }
}

/// Declares a P1 on Alpha only, led by Alpha's TAM, and returns its page path.
async fn alpha_only_p1(c: &Client, w: &World) -> String {
    let id = declare(
        c,
        &w.admin,
        json!({"title": "Checkout is down", "severity": "P1", "impacted_account_ids": [w.alpha],
               "incident_commander_id": w.tam.id()}),
    )
    .await;
    format!("/incidents/{id}")
}

/// The review section of the incident page.
#[track_caller]
fn review_card(html: &str) -> &str {
    let card = &html[html.find("id=\"review\"").expect("the review card")..];
    &card[..card.find("</section>").expect("the card ends")]
}

const RCA: &str = "A configuration change made checkout fail for 60 minutes; we added checks & alerts.";

#[tokio::test]
async fn a_review_is_written_submitted_approved_and_published_through_its_page() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let path = alpha_only_p1(&c, &w).await;
        let review = format!("{path}/review");
        let api = format!("/api/v1{path}");
        let tam = c.login_as(&w.tam.user).await;
        let html = c.page_get(&path, &tam).await.expect(200).text();
        let card = review_card(&html);
        assert!(card.contains("Post-incident review") && card.contains("Not started"), "[{b}] {card}");
        assert!(card.contains("Yes") && card.contains("Write the review"), "[{b}] required: {card}");
        assert!(card.contains(&format!("href=\"{review}\"")), "[{b}]");
        let html = c.page_get(&review, &tam).await.expect(200).text();
        assert!(html.contains("once the incident is resolved") && !html.contains("Submit for review"), "[{b}]");
        assert!(html.contains("Lee Lead · Leadership"), "[{b}] leadership may approve");

        // Resolved, the incident does not close before its review is approved.
        set(&t, "2026-03-02T11:00:00Z");
        c.post(&format!("{api}/status"), &w.tam.token, &json!({"status": "resolved"})).await.expect(200);
        let html = c.page_post(&format!("{path}/status"), &tam, &[("status", "closed")]).await.expect(422).text();
        let status = &html[html.find("id=\"status\"").expect("the status card")..];
        let status = &status[..status.find("</section>").expect("the card ends")];
        assert!(
            status.contains("class=\"error\">a P1 incident closes once its post-incident review is approved"),
            "[{b}] {status}"
        );
        assert!(status.contains(&format!("href=\"{review}\"")), "[{b}] a way to the review");
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(
            review_card(&html).contains("2026-03-10 00:00 UTC"),
            "[{b}] due at the end of the fifth business day: {}",
            review_card(&html)
        );

        // Submitted without a root cause: refused by name, the input kept (and saved as a draft).
        let me = w.tam.id().to_string();
        let lead = w.leadership.id().to_string();
        let mut fields = vec![
            ("owner_id", me.as_str()),
            ("meeting_at", "2026-03-04T14:00"),
            ("approver_ids", lead.as_str()),
            ("summary", "Checkout failed for 60 minutes <eu-west-1>"),
            ("users_affected", "1200"),
            ("fault", "A removed health check path"),
            ("contributing_factors[0].kind", "proximate"),
            ("contributing_factors[0].text", "LB change 7731"),
            ("contributing_factors[1].kind", "proximate"),
            ("contributing_factors[1].text", ""),
            ("root_cause_category", "Configuration change"),
            ("went_well", "Fast rollback\n\nUpdates on time"),
            ("customer_facing_rca", RCA),
        ];
        let refused = c.page_post(&format!("{review}/submit"), &tam, &fields).await;
        refused.expect(422);
        let html = refused.text();
        let factors = field(&html, "contributing_factors[0].text");
        assert!(
            factors.contains("field invalid") && factors.contains("name at least one root cause"),
            "[{b}] {factors}"
        );
        assert!(factors.contains("value=\"LB change 7731\""), "[{b}] the factor kept");
        assert!(
            html.contains("Saved as a draft, not submitted: Contributing factors: name at least one root cause"),
            "[{b}]"
        );
        assert!(
            plain(field(&html, "summary")).contains(">Checkout failed for 60 minutes <eu-west-1></textarea>"),
            "[{b}]"
        );
        assert!(html.contains(&format!("value=\"{lead}\" checked")), "[{b}] the approver kept");
        assert!(html.contains("Fast rollback\n\nUpdates on time"), "[{b}] the list kept as typed");
        let stored = c.get(&format!("{api}/review"), &w.tam.token).await.expect(200).json();
        assert_eq!(stored["status"], "draft", "[{b}]");
        assert_eq!(stored["content"]["went_well"], json!(["Fast rollback", "Updates on time"]), "[{b}] one per line");

        // Bad content is refused beside its input and changes nothing.
        let bad = [("users_affected", "many"), ("meeting_at", "tomorrow")];
        let html = c.page_post(&review, &tam, &bad).await.expect(422).text();
        assert!(field(&html, "users_affected").contains("must be a whole number"), "[{b}]");
        assert!(field(&html, "meeting_at").contains("must be a date and time in UTC"), "[{b}]");
        let customer = w.customer.id().to_string();
        let html = c.page_post(&review, &tam, &[("approver_ids", customer.as_str())]).await.expect(422).text();
        assert!(field(&html, "approver_ids").contains("Cora Customer must be an active staff user"), "[{b}]");
        let html = c
            .page_post(&review, &tam, &[("contributing_factors[3].text", &"x".repeat(2_001))])
            .await
            .expect(422)
            .text();
        let row3 = row(&html, "contributing_factors[3].text");
        assert!(row3.contains("class=\"invalid\"") && row3.contains("at most 2000"), "[{b}] the row sent: {row3}");
        assert_eq!(c.get(&format!("{api}/review"), &w.tam.token).await.json(), stored, "[{b}] unchanged");

        // A root cause in the third row (the second blank): submitted.
        fields.push(("contributing_factors[2].kind", "root"));
        fields.push(("contributing_factors[2].text", "No pre-deploy check of health paths"));
        let submitted = c.page_post(&format!("{review}/submit"), &tam, &fields).await;
        assert_eq!(submitted.expect(303).location(), Some(format!("{review}?notice=submitted").as_str()), "[{b}]");
        let html = c.page_get(&format!("{review}?notice=submitted"), &tam).await.expect(200).text();
        assert!(html.contains("Review submitted") && html.contains("badge rev-in_review"), "[{b}]");
        assert!(
            html.contains("Request changes") && !html.contains("/review/approve"),
            "[{b}] the TAM does not approve"
        );
        assert!(html.contains("Lee Lead <span class=\"small muted\">not yet</span>"), "[{b}] who has not approved");
        assert!(row(&html, "contributing_factors[1].text").contains("No pre-deploy check"), "[{b}] compacted rows");
        let stored = c.get(&format!("{api}/review"), &w.tam.token).await.json();
        assert_eq!(stored["content"]["meeting_at"], "2026-03-04T14:00:00Z", "[{b}] UTC");
        assert_eq!(stored["content"]["users_affected"], 1200, "[{b}]");

        // The approver approves on the page; approved, the review reads and is locked.
        set(&t, "2026-03-04T09:00:00Z");
        let lee = c.login_as(&w.leadership.user).await;
        let html = c.page_get(&review, &lee).await.expect(200).text();
        assert!(html.contains(&format!("action=\"{review}/approve\"")), "[{b}] the approver's button");
        let approved = c.page_post(&format!("{review}/approve"), &lee, &[]).await;
        assert_eq!(approved.expect(303).location(), Some(format!("{review}?notice=approved").as_str()), "[{b}]");
        let again = c.page_post(&format!("{review}/approve"), &lee, &[]).await.expect(422).text();
        assert!(again.contains("only a review in review is approved"), "[{b}] {again}");
        let tam = c.login_as(&w.tam.user).await; // a new session, days later
        let html = c.page_get(&review, &tam).await.expect(200).text();
        assert!(html.contains("badge rev-approved") && !html.contains("name=\"summary\""), "[{b}] read-only");
        assert!(plain(&html).contains("Checkout failed for 60 minutes <eu-west-1>"), "[{b}]");
        assert!(html.contains("Lee Lead <span class=\"small muted\">approved 2026-03-04 09:00 UTC"), "[{b}]");
        assert!(html.contains(&format!("action=\"{review}/publish\"")), "[{b}]");
        let locked = c.page_post(&review, &tam, &[("summary", "Rewritten")]).await.expect(422).text();
        assert!(locked.contains("an approved review is locked"), "[{b}]");
        let html = c.page_get(&path, &tam).await.expect(200).text();
        let card = review_card(&html);
        assert!(card.contains("badge rev-approved") && card.contains("✓</span> Lee Lead"), "[{b}] {card}");
        assert!(card.contains("Tina Tam") && !card.contains("Overdue"), "[{b}] the owner");

        // Published: the customer sees the RCA (and only it); the incident closes.
        c.page_post(&format!("{review}/publish"), &tam, &[]).await.expect(303);
        let cora = c.login_as(&w.customer.user).await;
        let html = plain(&c.page_get(&path, &cora).await.expect(200).text());
        let rca = &html[html.find("id=\"rca\"").expect("the RCA on the status page")..];
        assert!(rca.contains("Root cause analysis") && rca.contains(RCA), "[{b}] {rca}");
        let html = plain(&c.page_get(&review, &cora).await.expect(200).text());
        assert!(html.contains(RCA), "[{b}]");
        for internal in ["removed health check", "LB change 7731", "Lee Lead", "Tina Tam", "Fast rollback"] {
            assert!(!html.contains(internal), "[{b}] {internal} leaked");
        }
        let closed = c.page_post(&format!("{path}/status"), &tam, &[("status", "closed")]).await;
        assert_eq!(closed.expect(303).location(), Some(format!("{path}?notice=status").as_str()), "[{b}]");
    }
}

#[tokio::test]
async fn readers_read_the_review_and_changes_go_back_to_draft() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let path = alpha_only_p1(&c, &w).await;
        let review = format!("{path}/review");
        let api = format!("/api/v1{path}");
        c.post(&format!("{api}/status"), &w.tam.token, &json!({"status": "resolved"})).await.expect(200);
        let content = json!({
            "owner_id": w.tam.id(), "approver_ids": [w.leadership.id(), w.tam2.id()], "summary": "Checkout failed",
            "fault": "The fault", "contributing_factors": [{"kind": "root", "text": "The root cause"}],
            "root_cause_category": "Capacity", "customer_facing_rca": "What we tell customers",
            "five_whys": ["Why one", "Why two"]
        });
        c.put(&format!("{api}/review"), &w.tam.token, &content).await.expect(200);
        c.post(&format!("{api}/review/submit"), &w.tam.token, &json!({})).await.expect(200);

        // A PAM reads it all, with no form; posts are refused.
        let pam = c.login_as(&w.pam.user).await;
        let html = c.page_get(&review, &pam).await.expect(200).text();
        assert!(
            html.contains("Checkout failed") && html.contains("The root cause") && html.contains("Why two"),
            "[{b}]"
        );
        assert_eq!(html.matches("<form").count(), 1, "[{b}] only the sign-out form");
        c.page_post(&format!("{review}/approve"), &pam, &[]).await.expect(403);
        c.page_post(&review, &pam, &[("summary", "x")]).await.expect(403);
        // The customer: nothing before publication.
        let cora = c.login_as(&w.customer.user).await;
        c.page_get(&review, &cora).await.expect(404);
        let html = c.page_get(&path, &cora).await.expect(200).text();
        assert!(!html.contains("id=\"rca\"") && !html.contains("What we tell customers"), "[{b}]");
        // Another TAM's incident (Charlie's) is not there for Tina.
        let theirs = declare(
            &c,
            &w.tam2,
            json!({"title": "Charlie only", "severity": "P2", "impacted_account_ids": [w.charlie]}),
        )
        .await;
        let tam = c.login_as(&w.tam.user).await;
        c.page_get(&format!("/incidents/{theirs}/review"), &tam).await.expect(404);
        c.page_post(&format!("/incidents/{theirs}/review"), &tam, &[("summary", "x")]).await.expect(404);
        let theo = c.login_as(&w.tam2.user).await;
        let html = c.page_get(&format!("/incidents/{theirs}"), &theo).await.expect(200).text();
        assert!(review_card(&html).contains("No <span"), "[{b}] a P2 needs no review");

        // One of two approvals; the card names who approved and who has not.
        c.post(&format!("{api}/review/approve"), &w.leadership.token, &json!({})).await.expect(200);
        let html = c.page_get(&path, &tam).await.expect(200).text();
        let card = review_card(&html);
        assert!(card.contains("badge rev-in_review"), "[{b}] {card}");
        assert!(card.contains("✓</span> Lee Lead") && card.contains("○</span> Theo Tam"), "[{b}] {card}");
        // Past its due date and not approved: overdue.
        set(&t, "2026-03-12T10:00:00Z");
        let tam = c.login_as(&w.tam.user).await; // a new session, days later
        let html = c.page_get(&path, &tam).await.expect(200).text();
        assert!(review_card(&html).contains("Overdue"), "[{b}]");

        // Changes requested: a draft again, the approvals cleared; an edit in review does the same.
        let sent = c.page_post(&format!("{review}/request-changes"), &tam, &[]).await;
        assert_eq!(sent.expect(303).location(), Some(format!("{review}?notice=changes").as_str()), "[{b}]");
        let html = c.page_get(&review, &tam).await.expect(200).text();
        assert!(html.contains("badge rev-draft") && !html.contains("approved 2026"), "[{b}]");
        assert!(html.contains("Why one\nWhy two"), "[{b}] a list, one per line");
        c.post(&format!("{api}/review/submit"), &w.tam.token, &json!({})).await.expect(200);
        let mut form: Vec<(String, String)> = vec![];
        for (name, value) in [("owner_id", w.tam.id().to_string()), ("summary", "Checkout failed for an hour".into())] {
            form.push((name.into(), value));
        }
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let saved = c.page_post(&review, &tam, &fields).await;
        assert_eq!(saved.expect(303).location(), Some(format!("{review}?notice=back_to_draft").as_str()), "[{b}]");
        let stored = c.get(&format!("{api}/review"), &w.tam.token).await.json();
        assert_eq!(
            (stored["status"].as_str(), stored["content"]["summary"].as_str()),
            (Some("draft"), Some("Checkout failed for an hour")),
            "[{b}]"
        );
    }
}

#[tokio::test]
async fn the_incident_page_names_incidents_that_repeat_its_root_cause() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let mut ids = Vec::new();
        for (day, account, title) in
            [("2026-02-01", w.alpha, "Checkout slow in February"), ("2026-03-01", w.bravo, "Checkout slow in March")]
        {
            set(&t, &format!("{day}T10:00:00Z"));
            let body = json!({"title": title, "severity": "P2", "impacted_account_ids": [account],
                              "impacted_services": ["checkout-api"]});
            let id = declare(&c, &w.admin, body).await;
            let review = json!({"root_cause_category": "Capacity", "summary": "s"});
            c.put(&format!("/api/v1/incidents/{id}/review"), &w.admin.token, &review).await.expect(200);
            ids.push(id);
        }
        let tam = c.login_as(&w.tam.user).await;
        let html = plain(&c.page_get(&format!("/incidents/{}", ids[1]), &tam).await.expect(200).text());
        let section = &html[html.find("id=\"repeats\"").expect("the repeats part")..];
        let section = &section[..section.find("</div>").expect("it ends")];
        assert!(section.contains("Capacity") && section.contains("Repeat"), "[{b}] {section}");
        assert!(
            section.contains("Checkout slow in February") && section.contains("Alpha Analytics"),
            "[{b}] {section}"
        );
    }
}

#[tokio::test]
async fn impact_windows_are_recorded_through_the_incident_page() {
    for t in TestApp::each().await {
        let b = t.backend;
        let c = Client::new(&t);
        let w = World::build(&t).await;
        set(&t, "2026-03-02T10:00:00Z");
        let body = json!({"title": "Flapping", "severity": "P2", "impacted_account_ids": [w.alpha],
                          "impact_started_at": "2026-03-02T09:30:00Z"});
        let id = declare(&c, &w.tam, body).await;
        let tam = c.login_as(&w.tam.user).await;
        let path = format!("/incidents/{id}/impact-windows");
        let refused = c
            .page_post(
                &path,
                &tam,
                &[("windows", "2026-03-02T09:40\n2026-03-02T09:45 2026-03-02T09:50"), ("reason", "")],
            )
            .await;
        let html = plain(&refused.expect(422).text());
        assert!(
            field(&html, "windows").contains("entry 1: must be a start and an end"),
            "[{b}] {}",
            field(&html, "windows")
        );
        assert!(html.contains("2026-03-02T09:40\n2026-03-02T09:45 2026-03-02T09:50"), "[{b}] the text as typed");
        let saved = c
            .page_post(
                &path,
                &tam,
                &[
                    ("windows", "2026-03-02T09:40 2026-03-02T09:55\n2026-03-02T09:45 → 2026-03-02T09:50"),
                    ("reason", "From the logs"),
                ],
            )
            .await;
        assert_eq!(
            saved.expect(303).location(),
            Some(format!("/incidents/{id}?notice=impact#impact").as_str()),
            "[{b}]"
        );
        let page = c.page_get(&format!("/incidents/{id}"), &tam).await.expect(200).text();
        assert!(page.contains("15m in all"), "[{b}] the union of the two windows");
    }
}
