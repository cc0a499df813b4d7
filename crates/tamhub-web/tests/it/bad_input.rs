//! Bad input answers 4xx with `{"error": {"code", "message", "fields"}}` naming the field, never
//! 500, and changes nothing. The HTML form shows the error beside the field and keeps the input.

use axum::http::Method;
use serde_json::{Value, json};
use tamhub_testkit::TestApp;

use crate::support::{Client, Resp, World, account_body, counts};

/// One bad request and what it must answer.
struct Case {
    what: String,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn json_case(what: &str, method: Method, path: &str, body: Value, field: &'static str) -> Case {
    Case {
        what: what.into(),
        method,
        path: path.into(),
        content_type: Some("application/json"),
        body: serde_json::to_vec(&body).expect("JSON encodes"),
        status: 422,
        code: "validation_failed",
        field: Some(field),
    }
}

fn raw_case(
    what: &str,
    path: &str,
    content_type: Option<&'static str>,
    body: &[u8],
    status: u16,
    code: &'static str,
) -> Case {
    Case {
        what: what.into(),
        method: Method::POST,
        path: path.into(),
        content_type,
        body: body.to_vec(),
        status,
        code,
        field: None,
    }
}

fn query_case(what: &str, path: &str, field: &'static str) -> Case {
    Case {
        what: what.into(),
        method: Method::GET,
        path: path.into(),
        content_type: None,
        body: vec![],
        status: 422,
        code: "validation_failed",
        field: Some(field),
    }
}

/// The account body with one field replaced (or removed, for `Value::Null` on `remove`).
fn with(field: &str, value: Value) -> Value {
    let mut body = account_body("Golf Games");
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = account_body("Golf Games");
    body.as_object_mut().expect("an object").remove(field);
    body
}

/// Everything a failed request might have half-written.
async fn state(c: &Client, w: &World) -> (u64, usize, Vec<Value>) {
    let (accounts, users) = counts(c, &w.admin.token).await;
    let mut records = Vec::new();
    for path in [
        format!("/api/v1/accounts/{}", w.alpha),
        format!("/api/v1/accounts/{}/handoff", w.alpha),
        "/api/v1/settings/tam-load".to_string(),
        "/api/v1/tokens".to_string(),
    ] {
        let response = c.get(&path, &w.admin.token).await;
        response.expect(200);
        records.push(response.json());
    }
    let audit = c.get("/api/v1/audit?limit=500", &w.admin.token).await;
    audit.expect(200);
    records.push(audit.json()["items"].as_array().map(Vec::len).unwrap_or_default().into());
    (accounts, users, records)
}

#[track_caller]
fn check(response: &Resp, case: &Case, backend: &str) {
    assert!(
        response.status.as_u16() == case.status,
        "[{backend}] {}: {} {} answered {} instead of {}: {}",
        case.what,
        case.method,
        case.path,
        response.status,
        case.status,
        response.snippet()
    );
    assert!(response.content_type().starts_with("application/json"), "[{backend}] {}: not JSON", case.what);
    let body = response.expect_error(case.status, case.code, case.field);
    if let Some(field) = case.field {
        let fields = body["error"]["fields"].as_object().expect("fields");
        assert!(fields.contains_key(field), "[{backend}] {}: {field} not named in {body}", case.what);
    }
}

#[tokio::test]
async fn bad_account_input_through_the_api_is_refused_with_the_field_named_and_changes_nothing() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let accounts = "/api/v1/accounts";
        let alpha = format!("/api/v1/accounts/{}", w.alpha);
        let post = Method::POST;
        let patch = Method::PATCH;
        let mut cases = vec![
            json_case("a blank name", post.clone(), accounts, with("name", json!("   ")), "name"),
            json_case("a 201-character name", post.clone(), accounts, with("name", json!("n".repeat(201))), "name"),
            json_case("a missing name", post.clone(), accounts, without("name"), "name"),
            json_case("an unknown tier", post.clone(), accounts, with("tier", json!("platinum")), "tier"),
            json_case("an unknown phase", post.clone(), accounts, with("phase", json!("gate_9")), "phase"),
            json_case(
                "a time zone on Mars",
                post.clone(),
                accounts,
                with("timezone", json!("Mars/Olympus")),
                "timezone",
            ),
            json_case("a negative ARR", post.clone(), accounts, with("arr", json!(-1)), "arr"),
            json_case("ARR as a string", post.clone(), accounts, with("arr", json!("lots")), "arr"),
            json_case("ARR as a fraction", post.clone(), accounts, with("arr", json!(1.5)), "arr"),
            json_case("ARR beyond i64", post.clone(), accounts, with("arr", json!(1e20)), "arr"),
            json_case("an implausible ARR", post.clone(), accounts, with("arr", json!(i64::MAX)), "arr"),
            json_case("a lowercase currency", post.clone(), accounts, with("currency", json!("usd")), "currency"),
            json_case(
                "an impossible date",
                post.clone(),
                accounts,
                with("renewal_date", json!("2026-02-30")),
                "renewal_date",
            ),
            json_case(
                "a negative downtime cost",
                post.clone(),
                accounts,
                with("downtime_cost_per_hour", json!(-5)),
                "downtime_cost_per_hour",
            ),
            json_case(
                "a PSM as primary TAM",
                post.clone(),
                accounts,
                with("primary_tam_id", json!(w.psm.id())),
                "primary_tam_id",
            ),
            json_case("a customer as PAM", post.clone(), accounts, with("pam_id", json!(w.customer.id())), "pam_id"),
            json_case(
                "a TAM as support engineer",
                post.clone(),
                accounts,
                with("support_ids", json!([w.tam.id()])),
                "support_ids",
            ),
            json_case(
                "a user who does not exist",
                post.clone(),
                accounts,
                with("primary_tam_id", json!(uuid::Uuid::now_v7())),
                "primary_tam_id",
            ),
            json_case(
                "a user id that is no id",
                post.clone(),
                accounts,
                with("primary_tam_id", json!("tina")),
                "primary_tam_id",
            ),
            json_case(
                "the same TAM as primary and backup",
                post.clone(),
                accounts,
                {
                    let mut b = with("primary_tam_id", json!(w.tam.id()));
                    b["backup_tam_id"] = json!(w.tam.id());
                    b
                },
                "backup_tam_id",
            ),
            json_case("an unknown field", post.clone(), accounts, with("nmae", json!("x")), "nmae"),
            json_case("a NUL in the name", post.clone(), accounts, with("name", json!("Golf\u{0}Games")), "name"),
            json_case(
                "a NUL in a workload",
                post.clone(),
                accounts,
                with("workloads", json!(["check\u{0}out"])),
                "workloads",
            ),
            json_case("a blank workload", post.clone(), accounts, with("workloads", json!(["  "])), "workloads"),
            json_case("a JSON array for a body", post.clone(), accounts, json!([]), "body"),
            json_case("a JSON null for a body", post.clone(), accounts, json!(null), "body"),
            // Updates are held to the same rules.
            json_case("a blank name", patch.clone(), &alpha, json!({"name": ""}), "name"),
            json_case("a NUL in the name", patch.clone(), &alpha, json!({"name": "A\u{0}"}), "name"),
            json_case("an unknown phase", patch.clone(), &alpha, json!({"phase": "launched"}), "phase"),
            json_case("a null phase", patch.clone(), &alpha, json!({"phase": null}), "phase"),
            json_case("a null name", patch.clone(), &alpha, json!({"name": null}), "name"),
            json_case("a time zone on Mars", patch.clone(), &alpha, json!({"timezone": "Mars/Olympus"}), "timezone"),
            json_case(
                "a PSM as primary TAM",
                patch.clone(),
                &alpha,
                json!({"primary_tam_id": w.psm.id()}),
                "primary_tam_id",
            ),
            json_case(
                "a primary TAM equal to the backup",
                patch.clone(),
                &alpha,
                json!({"primary_tam_id": w.tam2.id()}),
                "backup_tam_id",
            ),
            json_case("a negative ARR", patch.clone(), &alpha, json!({"arr": -100}), "arr"),
            json_case("an unknown field", patch.clone(), &alpha, json!({"archived_at": null}), "archived_at"),
            json_case(
                "a NUL in the handoff notes",
                Method::PUT,
                &format!("{alpha}/handoff"),
                json!({"meeting_held": true, "documentation_reviewed": true, "shadow_period_done": true, "notes": "ok\u{0}"}),
                "notes",
            ),
            json_case(
                "a handoff without its items",
                Method::PUT,
                &format!("{alpha}/handoff"),
                json!({"notes": "ok"}),
                "meeting_held",
            ),
            json_case(
                "overlong handoff notes",
                Method::PUT,
                &format!("{alpha}/handoff"),
                json!({"meeting_held": true, "documentation_reviewed": true, "shadow_period_done": true, "notes": "n".repeat(10_001)}),
                "notes",
            ),
        ];
        let valid = serde_json::to_vec(&account_body("Golf Games")).expect("JSON");
        let mut trailing = valid.clone();
        trailing.extend_from_slice(b" trailing");
        let mut twice = valid.clone();
        twice.extend_from_slice(&valid);
        let mut huge = br#"{"name": ""#.to_vec();
        huge.extend(std::iter::repeat_n(b'x', tamhub_web::MAX_BODY_BYTES));
        huge.extend_from_slice(br#""}"#);
        cases.extend([
            raw_case("malformed JSON", accounts, Some("application/json"), br#"{"name": "#, 400, "malformed_json"),
            raw_case(
                "JSON with a stray comma",
                accounts,
                Some("application/json"),
                br#"{"name": "x",}"#,
                400,
                "malformed_json",
            ),
            raw_case(
                "trailing garbage after the JSON",
                accounts,
                Some("application/json"),
                &trailing,
                400,
                "malformed_json",
            ),
            raw_case("two JSON documents", accounts, Some("application/json"), &twice, 400, "malformed_json"),
            raw_case("an empty body", accounts, Some("application/json"), b"", 400, "malformed_json"),
            raw_case(
                "invalid UTF-8",
                accounts,
                Some("application/json"),
                b"{\"name\": \"\xff\"}",
                400,
                "malformed_json",
            ),
            raw_case("a text body", accounts, Some("text/plain"), &valid, 415, "unsupported_media_type"),
            raw_case(
                "a form body",
                accounts,
                Some("application/x-www-form-urlencoded"),
                b"name=x",
                415,
                "unsupported_media_type",
            ),
            raw_case("no content type", accounts, None, &valid, 415, "unsupported_media_type"),
            raw_case("a body over 1 MiB", accounts, Some("application/json"), &huge, 413, "payload_too_large"),
        ]);
        let mut malformed_patch =
            raw_case("malformed JSON", &alpha, Some("application/json"), b"{", 400, "malformed_json");
        malformed_patch.method = Method::PATCH;
        cases.push(malformed_patch);

        let before = state(&c, &w).await;
        for case in &cases {
            let response = c
                .api_raw(case.method.clone(), &case.path, Some(&w.admin.token), case.content_type, case.body.clone())
                .await;
            check(&response, case, t.backend);
        }
        assert!(before == state(&c, &w).await, "[{}] a refused request changed something", t.backend);
        // The same body, made valid, goes through: the cases failed for the reason they name.
        c.post(accounts, &w.admin.token, &account_body("Golf Games")).await.expect(201);
    }
}

#[tokio::test]
async fn bad_query_parameters_are_refused_with_the_parameter_named() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let history = format!("/api/v1/accounts/{}/history", w.alpha);
        let long_q = "q".repeat(201);
        let cases = [
            query_case("a zero limit", "/api/v1/accounts?limit=0", "limit"),
            query_case("a negative limit", "/api/v1/accounts?limit=-1", "limit"),
            query_case("a limit over the maximum", "/api/v1/accounts?limit=501", "limit"),
            query_case("a limit that is no number", "/api/v1/accounts?limit=ten", "limit"),
            query_case("a forged cursor", "/api/v1/accounts?cursor=bm9wZQ", "cursor"),
            query_case("a cursor that is no base64", "/api/v1/accounts?cursor=%%%", "cursor"),
            query_case("a cursor with a NUL", "/api/v1/accounts?cursor=%00", "cursor"),
            query_case("an unknown sort key", "/api/v1/accounts?sort=password_hash", "sort"),
            query_case("a descending unknown sort key", "/api/v1/accounts?sort=-bogus", "sort"),
            query_case("an unknown phase", "/api/v1/accounts?phase=gate_9", "phase"),
            query_case("an unknown tier", "/api/v1/accounts?tier=gold", "tier"),
            query_case("an assignee that is no id", "/api/v1/accounts?assignee=tina", "assignee"),
            query_case("an unknown archive filter", "/api/v1/accounts?archived=maybe", "archived"),
            query_case("a NUL in the search text", "/api/v1/accounts?q=a%00b", "q"),
            query_case("an overlong search text", &format!("/api/v1/accounts?q={long_q}"), "q"),
            // "o:18446744073709551615" and "o:9223372036854775808": well-formed, but past any list.
            query_case("a cursor past any list", "/api/v1/accounts?cursor=bzoxODQ0Njc0NDA3MzcwOTU1MTYxNQ", "cursor"),
            query_case("a cursor past i64", "/api/v1/accounts?cursor=bzo5MjIzMzcyMDM2ODU0Nzc1ODA4", "cursor"),
            query_case(
                "an audit cursor past any list",
                "/api/v1/audit?limit=1&cursor=bzoxODQ0Njc0NDA3MzcwOTU1MTYxNQ",
                "cursor",
            ),
            query_case(
                "a history cursor past any list",
                &format!("{history}?limit=1&cursor=bzoxODQ0Njc0NDA3MzcwOTU1MTYxNQ"),
                "cursor",
            ),
            query_case("a zero limit on history", &format!("{history}?limit=0"), "limit"),
            query_case("a forged cursor on history", &format!("{history}?cursor=xyz"), "cursor"),
            query_case("a bad audit limit", "/api/v1/audit?limit=1000", "limit"),
            query_case("an unknown audit entity", "/api/v1/audit?entity_type=password", "entity_type"),
            query_case("an unknown role filter", "/api/v1/users?role=king", "role"),
            query_case("a repeated filter", "/api/v1/accounts?phase=gate_0&phase=gate_1", "phase"),
            query_case("a flag that is no boolean", "/api/v1/users?include_inactive=maybe", "include_inactive"),
        ];
        for case in &cases {
            let response = c.get(&case.path, &w.admin.token).await;
            check(&response, case, t.backend);
        }
    }
}

#[tokio::test]
async fn bad_user_token_and_settings_input_is_refused_with_the_field_named_and_changes_nothing() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let user = |email: &str, role: &str| json!({"email": email, "name": "Nina New", "role": role, "password": "long enough password"});
        let users = "/api/v1/users";
        let tam = format!("/api/v1/users/{}", w.tam2.id());
        let mut customer_elsewhere = user("c@test.example", "customer");
        customer_elsewhere["account_id"] = json!(uuid::Uuid::now_v7());
        let mut staff_with_account = user("s@test.example", "tam");
        staff_with_account["account_id"] = json!(w.alpha);
        let mut short_password = user("p@test.example", "tam");
        short_password["password"] = json!("short");
        let mut nul_name = user("n@test.example", "tam");
        nul_name["name"] = json!("Nina\u{0}");
        let settings = json!({"band_min": -1.0, "band_max": 20.0, "weight_enterprise": 1.0,
            "weight_enterprise_on_ramp": 0.5, "weight_business": 0.25});
        let inverted = json!({"band_min": 30.0, "band_max": 20.0, "weight_enterprise": 1.0,
            "weight_enterprise_on_ramp": 0.5, "weight_business": 0.25});
        let cases = [
            json_case("an email without a domain", Method::POST, users, user("nina", "tam"), "email"),
            json_case("an email already taken", Method::POST, users, user(&w.tam.user.email, "tam"), "email"),
            json_case("an unknown role", Method::POST, users, user("r@test.example", "king"), "role"),
            json_case("a short password", Method::POST, users, short_password, "password"),
            json_case(
                "a customer without an account",
                Method::POST,
                users,
                user("c@test.example", "customer"),
                "account_id",
            ),
            json_case("a customer of no account", Method::POST, users, customer_elsewhere, "account_id"),
            json_case("staff with an account", Method::POST, users, staff_with_account, "account_id"),
            json_case("a NUL in the name", Method::POST, users, nul_name, "name"),
            json_case("an unknown role", Method::PATCH, &tam, json!({"role": "king"}), "role"),
            json_case("a blank name", Method::PATCH, &tam, json!({"name": " "}), "name"),
            json_case("an active flag as text", Method::PATCH, &tam, json!({"active": "no"}), "active"),
            json_case("a null role", Method::PATCH, &tam, json!({"role": null}), "role"),
            json_case("an unknown field", Method::PATCH, &tam, json!({"password": "x"}), "password"),
            json_case("a blank token name", Method::POST, "/api/v1/tokens", json!({"name": ""}), "name"),
            json_case("a negative band", Method::PUT, "/api/v1/settings/tam-load", settings, "band_min"),
            json_case("an inverted band", Method::PUT, "/api/v1/settings/tam-load", inverted, "band_max"),
            json_case(
                "a missing weight",
                Method::PUT,
                "/api/v1/settings/tam-load",
                json!({"band_min": 1.0}),
                "band_max",
            ),
        ];
        let before = state(&c, &w).await;
        for case in &cases {
            let response = c
                .api_raw(case.method.clone(), &case.path, Some(&w.admin.token), case.content_type, case.body.clone())
                .await;
            check(&response, case, t.backend);
        }
        assert!(before == state(&c, &w).await, "[{}] a refused request changed something", t.backend);
        // An admin cannot lock themselves out.
        let me = format!("/api/v1/users/{}", w.admin.id());
        c.patch(&me, &w.admin.token, &json!({"active": false})).await.expect_error(
            422,
            "validation_failed",
            Some("active"),
        );
        c.patch(&me, &w.admin.token, &json!({"role": "tam"})).await.expect_error(
            422,
            "validation_failed",
            Some("role"),
        );
    }
}

/// The HTML of the form field whose input has `id="{field}"`, up to the next field.
fn field_html<'a>(html: &'a str, field: &str) -> &'a str {
    let start = html.find(&format!("id=\"{field}\"")).unwrap_or_else(|| panic!("no input {field} in {html}"));
    let rest = &html[start..];
    let end = rest.find("<div class=\"field").unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn the_account_form_shows_each_error_beside_its_field_and_keeps_what_was_typed() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let browser = c.login_as(&w.admin.user).await;
        let before = counts(&c, &w.admin.token).await;
        let tam = w.tam.id().to_string();
        let psm = w.psm.id().to_string();
        let fields = [
            ("name", "   "),
            ("tier", "enterprise"),
            ("arr", "12,345.67"),
            ("currency", "USD"),
            ("renewal_date", "2026-02-30"),
            ("region", "EMEA <typed>"),
            ("timezone", "Mars/Olympus"),
            ("phase", "gate_0"),
            ("workloads", "checkout\nsearch"),
            ("downtime_cost_per_hour", "-5"),
            ("primary_tam_id", psm.as_str()),
            ("backup_tam_id", tam.as_str()),
        ];
        let response = c.page_post("/accounts", &browser, &fields).await;
        response.expect(422);
        let html = response.text();
        assert!(html.contains("Please correct the fields marked below."), "[{}]", t.backend);
        for (field, error) in [
            ("name", "must not be empty"),
            ("timezone", "must be an IANA time zone"),
            ("renewal_date", "must be a date as YYYY-MM-DD"),
            ("downtime_cost_per_hour", "must not be negative"),
        ] {
            let block = field_html(&html, field);
            assert!(block.contains("class=\"error\"") && block.contains(error), "[{}] {field}: {block}", t.backend);
        }
        for (field, typed) in [
            ("region", "value=\"EMEA &#60;typed&#62;\""),
            ("timezone", "value=\"Mars&#47;Olympus\""),
            ("arr", "value=\"12,345.67\""),
            ("renewal_date", "value=\"2026-02-30\""),
        ] {
            let block = field_html(&html, field);
            let plain = crate::support::unescape(typed);
            assert!(block.contains(typed) || block.contains(&plain), "[{}] {field} lost its input: {block}", t.backend);
        }
        assert!(field_html(&html, "workloads").contains("checkout\nsearch"), "[{}]", t.backend);
        assert!(!field_html(&html, "region").contains("class=\"error\""), "[{}] region is fine", t.backend);
        assert_eq!(before, counts(&c, &w.admin.token).await, "[{}] the form created something", t.backend);

        // Assignment problems are found once the fields themselves are fine, and shown the same way.
        let fixed = [
            ("name", "Hotel Hosting"),
            ("tier", "enterprise"),
            ("arr", "12,345.67"),
            ("currency", "USD"),
            ("region", "EMEA"),
            ("timezone", "Europe/Berlin"),
            ("phase", "gate_0"),
            ("primary_tam_id", psm.as_str()),
        ];
        let response = c.page_post("/accounts", &browser, &fixed).await;
        response.expect(422);
        let block = field_html(&response.text(), "primary_tam_id").to_string();
        assert!(block.contains("must be a user with the tam role"), "[{}] {block}", t.backend);
        assert!(response.text().contains("value=\"Hotel Hosting\""), "[{}]", t.backend);

        // Control characters and oversized forms are refused too, never a 500.
        let nul = [("name", "Nul\u{0}Name"), ("tier", "enterprise"), ("arr", "1"), ("currency", "USD")];
        c.page_post("/accounts", &browser, &nul).await.expect(422);
        let edit = format!("/accounts/{}/edit", w.alpha);
        c.page_post(&edit, &browser, &[("name", "A\u{0}")]).await.expect(422);
        c.page_post(&edit, &browser, &[("arr", "lots")]).await.expect(422);
        c.page_post(&edit, &browser, &[("primary_tam_id", "not-an-id")]).await.expect(422);
        let big = "x".repeat(300 * 1024);
        let too_big = c.page_post("/accounts", &browser, &[("name", big.as_str())]).await;
        too_big.expect(413);
        assert_eq!(before, counts(&c, &w.admin.token).await, "[{}] a refused form created something", t.backend);
        let alpha = c.get(&format!("/api/v1/accounts/{}", w.alpha), &w.admin.token).await.json();
        assert_eq!(alpha["name"], "Alpha Analytics", "[{}]", t.backend);
    }
}

#[tokio::test]
async fn a_page_number_past_the_end_shows_an_empty_page_rather_than_an_error() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let browser = c.login_as(&w.admin.user).await;
        for path in ["/?page=18446744073709551615", "/?page=0", "/admin/audit?page=18446744073709551615"] {
            let page = c.page_get(path, &browser).await;
            assert_eq!(page.status, 200, "[{}] GET {path}: {}", t.backend, page.snippet());
        }
        let empty = c.page_get("/?page=18446744073709551615", &browser).await.text();
        assert!(!empty.contains("Alpha Analytics"), "[{}] a page past the end lists accounts", t.backend);
    }
}
