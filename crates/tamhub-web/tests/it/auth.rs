//! Authentication: API tokens, browser sessions, the login form, its rate limit, and CSRF.

use axum::http::{Method, header};
use serde_json::json;
use tamhub_domain::SignedDuration;
use tamhub_domain::users::Role;
use tamhub_testkit::{TEST_PASSWORD, TestApp};

use crate::support::{As, Client, Person, World, create_account, draft, input_value};

#[tokio::test]
async fn an_api_call_without_a_valid_token_answers_401_with_a_json_error() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        let anonymous = c.api_raw(Method::GET, "/api/v1/accounts", None, None, vec![]).await;
        anonymous.expect_error(401, "unauthenticated", None);
        assert_eq!(anonymous.headers.get(header::WWW_AUTHENTICATE).map(|v| v.as_bytes()), Some(&b"Bearer"[..]));
        c.get("/api/v1/accounts", "tamhub_not-a-real-token").await.expect_error(401, "unauthenticated", None);
        c.get("/api/v1/me", "").await.expect_error(401, "unauthenticated", None);
        let basic = c
            .send(
                axum::http::Request::builder()
                    .uri("/api/v1/me")
                    .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        basic.expect_error(401, "unauthenticated", None);

        // A revoked token stops working at once.
        let me = c.get("/api/v1/me", &tam.token).await;
        me.expect(200);
        let tokens = c.get("/api/v1/tokens", &tam.token).await.json();
        let id = tokens["items"][0]["id"].as_str().expect("token id").to_string();
        c.api(Method::DELETE, &format!("/api/v1/tokens/{id}"), &tam.token, None).await.expect(204);
        c.get("/api/v1/me", &tam.token).await.expect_error(401, "unauthenticated", None);
    }
}

#[tokio::test]
async fn a_deactivated_users_token_and_session_stop_working() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let admin = Person::new(&t, Role::Admin, "Ada Admin", None).await;
        let leaver = Person::new(&t, Role::Leadership, "Leo Leaver", None).await;
        let browser = c.login_as(&leaver.user).await;
        c.get("/api/v1/me", &leaver.token).await.expect(200);
        c.page_get("/team", &browser).await.expect(200);

        let path = format!("/api/v1/users/{}", leaver.id());
        let deactivated = c.patch(&path, &admin.token, &json!({"active": false})).await;
        deactivated.expect(200);
        assert_eq!(deactivated.json()["active"], json!(false), "[{}]", t.backend);

        c.get("/api/v1/me", &leaver.token).await.expect_error(401, "unauthenticated", None);
        let page = c.page_get("/team", &browser).await;
        page.expect(303);
        assert_eq!(page.location(), Some("/login?next=%2Fteam"), "[{}]", t.backend);
        // Nor can they sign in again.
        let again = c.login_attempt(&leaver.user.email, TEST_PASSWORD, "/").await;
        again.expect(401);
        assert!(again.cookie_value("tamhub_session").is_none(), "[{}]", t.backend);
    }
}

#[tokio::test]
async fn pages_without_a_session_redirect_to_login_with_the_page_to_return_to() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let account = create_account(&t, draft("Alpha Analytics", "gate_3")).await;
        let cases = [
            ("/".to_string(), "/login".to_string()),
            ("/team".to_string(), "/login?next=%2Fteam".to_string()),
            ("/admin/audit?page=2".to_string(), "/login?next=%2Fadmin%2Faudit%3Fpage%3D2".to_string()),
            (format!("/accounts/{}", account.id), format!("/login?next=%2Faccounts%2F{}", account.id)),
        ];
        for (path, target) in &cases {
            let response = c.page(Method::GET, path, As::Anonymous, None).await;
            response.expect(303);
            assert_eq!(response.location(), Some(target.as_str()), "[{}] GET {path}", t.backend);
        }
        // A stale or forged cookie is no session either.
        let forged = c.page(Method::GET, "/team", As::Cookie("tamhub_session=forged"), None).await;
        forged.expect(303);
        // A form post without a session goes to the login page too, and changes nothing.
        let post = c
            .page(
                Method::POST,
                &format!("/accounts/{}/archive", account.id),
                As::Anonymous,
                Some(&[("csrf", "whatever")]),
            )
            .await;
        post.expect(303);
        assert!(post.location().is_some_and(|l| l.starts_with("/login")), "[{}]", t.backend);
        let stored = t.app.store.get_account(account.id).await.expect("account");
        assert!(stored.archived_at.is_none(), "[{}] archived without a session", t.backend);
    }
}

#[tokio::test]
async fn a_wrong_password_re_renders_the_form_with_401_and_keeps_the_email() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        let response = c.login_attempt(&tam.user.email, "not the password", "/team").await;
        response.expect(401);
        let html = response.text();
        assert!(html.contains("do not match"), "[{}] {html}", t.backend);
        assert_eq!(input_value(&html, "email").as_deref(), Some(tam.user.email.as_str()), "[{}]", t.backend);
        assert_eq!(input_value(&html, "next").as_deref(), Some("/team"), "[{}]", t.backend);
        assert!(response.cookie_value("tamhub_session").is_none(), "[{}]", t.backend);
        // An unknown email reads the same.
        let unknown = c.login_attempt("nobody@test.example", "not the password", "/").await;
        unknown.expect(401);
        assert!(unknown.text().contains("do not match"), "[{}]", t.backend);
        // A login post without the double-submit cookie is refused.
        let forged = c
            .page(
                Method::POST,
                "/login",
                As::Anonymous,
                Some(&[("csrf", "x"), ("email", &tam.user.email), ("password", TEST_PASSWORD)]),
            )
            .await;
        forged.expect(403);
        assert!(forged.cookie_value("tamhub_session").is_none(), "[{}]", t.backend);
    }
}

#[tokio::test]
async fn ten_failed_logins_lock_the_email_for_fifteen_minutes_even_with_the_right_password() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        for attempt in 1..=10 {
            let response = c.login_attempt(&tam.user.email, "wrong password", "/").await;
            assert_eq!(response.status, 401, "[{}] attempt {attempt}", t.backend);
        }
        let locked = c.login_attempt(&tam.user.email, TEST_PASSWORD, "/").await;
        locked.expect(429);
        assert!(locked.cookie_value("tamhub_session").is_none(), "[{}]", t.backend);
        assert!(locked.text().contains("Too many failed attempts"), "[{}]", t.backend);
        // Another address is not locked by this one's failures.
        let other = Person::new(&t, Role::Psm, "Paula Psm", None).await;
        c.login_attempt(&other.user.email, TEST_PASSWORD, "/").await.expect(303);

        t.clock.advance(SignedDuration::from_mins(16));
        let unlocked = c.login_attempt(&tam.user.email, TEST_PASSWORD, "/").await;
        unlocked.expect(303);
        assert!(unlocked.cookie_value("tamhub_session").is_some(), "[{}]", t.backend);
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax_and_rotates_at_each_login() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        let first = c.login_attempt(&tam.user.email, TEST_PASSWORD, "/").await;
        first.expect(303);
        let cookie = first.set_cookie("tamhub_session").expect("a session cookie");
        assert!(cookie.contains("HttpOnly"), "[{}] {cookie}", t.backend);
        assert!(cookie.contains("SameSite=Lax"), "[{}] {cookie}", t.backend);
        assert!(cookie.contains("Path=/"), "[{}] {cookie}", t.backend);
        assert!(!cookie.contains("Secure"), "[{}] secure_cookies is off: {cookie}", t.backend);
        let second = c.login_attempt(&tam.user.email, TEST_PASSWORD, "/").await;
        second.expect(303);
        let (a, b) = (first.cookie_value("tamhub_session"), second.cookie_value("tamhub_session"));
        assert!(a.is_some() && a != b, "[{}] the session token did not rotate", t.backend);
        // The login CSRF cookie is spent.
        assert!(second.set_cookie("tamhub_login_csrf").is_some_and(|c| c.contains("Max-Age=0")), "[{}]", t.backend);
    }
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        let browser = c.login_as(&tam.user).await;
        c.page_get("/profile", &browser).await.expect(200);
        // Logging out needs the CSRF token too.
        let forged = c.page(Method::POST, "/logout", As::Browser(&browser), Some(&[])).await;
        forged.expect(403);
        c.page_get("/profile", &browser).await.expect(200);

        let out = c.page_post("/logout", &browser, &[]).await;
        out.expect(303);
        assert_eq!(out.location(), Some("/login"), "[{}]", t.backend);
        assert!(out.set_cookie("tamhub_session").is_some_and(|c| c.contains("Max-Age=0")), "[{}]", t.backend);
        let after = c.page_get("/profile", &browser).await;
        after.expect(303);
        assert_eq!(after.location(), Some("/login?next=%2Fprofile"), "[{}]", t.backend);
    }
}

#[tokio::test]
async fn a_form_post_without_the_right_csrf_token_is_refused_and_changes_nothing() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let browser = c.login_as(&w.admin.user).await;
        let other = c.login_as(&w.leadership.user).await;
        let edit = format!("/accounts/{}/edit", w.alpha);
        let archive = format!("/accounts/{}/archive", w.alpha);
        let before = c.get(&format!("/api/v1/accounts/{}", w.alpha), &w.admin.token).await.json();
        let accounts_before = crate::support::counts(&c, &w.admin.token).await;
        let forms: [(&str, Vec<(&str, &str)>); 4] = [
            (edit.as_str(), vec![("name", "Renamed")]),
            (archive.as_str(), vec![]),
            ("/accounts", vec![("name", "New Co"), ("tier", "business"), ("arr", "1"), ("currency", "USD")]),
            ("/admin/users", vec![("email", "x@test.example"), ("name", "X"), ("role", "tam")]),
        ];
        let bad_tokens: [Option<&str>; 4] = [None, Some(""), Some("wrong"), Some(other.csrf.as_str())];
        for token in bad_tokens {
            for (path, base) in &forms {
                let mut fields = base.clone();
                if let Some(token) = token {
                    fields.push(("csrf", token));
                }
                let response = c.page(Method::POST, path, As::Browser(&browser), Some(&fields)).await;
                assert_eq!(
                    response.status,
                    403,
                    "[{}] POST {path} with csrf {token:?}: {}",
                    t.backend,
                    response.snippet()
                );
            }
        }
        let after = c.get(&format!("/api/v1/accounts/{}", w.alpha), &w.admin.token).await.json();
        assert_eq!(before, after, "[{}] a refused form changed the account", t.backend);
        assert_eq!(accounts_before, crate::support::counts(&c, &w.admin.token).await, "[{}]", t.backend);
        // The same form with the right token goes through.
        c.page_post(&edit, &browser, &[("name", "Renamed")]).await.expect(303);
        let renamed = c.get(&format!("/api/v1/accounts/{}", w.alpha), &w.admin.token).await.json();
        assert_eq!(renamed["name"], "Renamed", "[{}]", t.backend);
    }
}

#[tokio::test]
async fn login_only_returns_to_paths_on_this_site() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let tam = Person::new(&t, Role::Tam, "Tina Tam", None).await;
        for next in [
            "//evil.example",
            "https://evil.example/",
            "/\\evil.example",
            "evil.example",
            "",
            "/\t/evil.example",
            "/\n",
        ] {
            let form = c.page(Method::GET, &format!("/login?next={}", urlencode(next)), As::Anonymous, None).await;
            form.expect(200);
            assert_eq!(input_value(&form.text(), "next").as_deref(), Some("/"), "[{}] next={next:?}", t.backend);
            let response = c.login_attempt(&tam.user.email, TEST_PASSWORD, next).await;
            response.expect(303);
            assert_eq!(response.location(), Some("/"), "[{}] next={next:?}", t.backend);
        }
        let response = c.login_attempt(&tam.user.email, TEST_PASSWORD, "/profile?tab=tokens").await;
        response.expect(303);
        assert_eq!(response.location(), Some("/profile?tab=tokens"), "[{}]", t.backend);
    }
}

fn urlencode(text: &str) -> String {
    crate::support::form_body(&[("", text)])[1..].to_string()
}
