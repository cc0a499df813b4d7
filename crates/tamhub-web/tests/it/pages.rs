//! Key pages render what their reader needs: a TAM's portfolio, an account, the team's load.

use tamhub_testkit::TestApp;

use crate::support::{Client, World};

#[tokio::test]
async fn a_tams_portfolio_lists_only_their_accounts() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let browser = c.login_as(&w.tam.user).await;
        let page = c.page_get("/", &browser).await;
        page.expect(200);
        let html = page.text();
        assert!(html.contains("<h1>My portfolio</h1>"), "[{b}] {html}");
        for name in ["Alpha Analytics", "Bravo Banking"] {
            assert!(html.contains(&format!("<strong>{name}</strong>")), "[{b}] {name} missing");
        }
        for name in ["Charlie Cloud", "Delta Devices"] {
            assert!(!html.contains(name), "[{b}] {name} is not the TAM's to see");
        }
        assert!(html.contains("Primary TAM, ") || html.contains(">Primary TAM<"), "[{b}] the TAM's role is shown");
        assert!(html.contains("Tina Tam"), "[{b}] the signed-in user's name");
        // A customer's home is their own account.
        let customer = c.login_as(&w.customer.user).await;
        let home = c.page_get("/", &customer).await;
        home.expect(303);
        assert_eq!(home.location(), Some(format!("/accounts/{}", w.alpha).as_str()), "[{b}]");
    }
}

#[tokio::test]
async fn an_account_page_shows_the_account_and_its_team() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        for person in [&w.tam, &w.customer, &w.support] {
            let browser = c.login_as(&person.user).await;
            let page = c.page_get(&format!("/accounts/{}", w.alpha), &browser).await;
            page.expect(200);
            let html = page.text();
            assert!(html.contains("<h1>Alpha Analytics</h1>"), "[{b}] {}: {html}", person.user.name);
            assert!(html.contains("<title>Alpha Analytics · tamhub</title>"), "[{b}]");
            assert!(html.contains("Tina Tam") && html.contains("Paula Psm"), "[{b}] the team is named");
            assert!(html.contains("Europe/Berlin"), "[{b}]");
            let staff = person.user.role.is_staff();
            assert_eq!(html.contains(">History<"), staff, "[{b}] {}: internal history", person.user.name);
        }
    }
}

#[tokio::test]
async fn the_team_page_shows_every_tams_load_to_leadership() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let browser = c.login_as(&w.leadership.user).await;
        let page = c.page_get("/team", &browser).await;
        page.expect(200);
        let html = page.text();
        assert!(html.contains("<h1>Team load</h1>"), "[{b}]");
        for name in ["Tina Tam", "Theo Tam"] {
            assert!(html.contains(&format!("<strong>{name}</strong>")), "[{b}] {name} missing: {html}");
        }
        assert!(!html.contains("<strong>Paula Psm</strong>"), "[{b}] only TAMs carry load");
        // Charlie Cloud has no backup TAM: it is listed as missing one.
        assert!(html.contains("Charlie Cloud"), "[{b}] an account missing a backup TAM is listed");
    }
}

#[tokio::test]
async fn the_account_form_saves_only_for_roles_that_may_edit() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let edit = format!("/accounts/{}/edit", w.alpha);
        let api = format!("/api/v1/accounts/{}", w.alpha);
        // Read-only roles are refused as on the form itself, not told "Changes saved".
        for person in [&w.support, &w.customer] {
            let browser = c.login_as(&person.user).await;
            c.page_get(&edit, &browser).await.expect(403);
            let posted = c.page_post(&edit, &browser, &[("name", "Renamed")]).await;
            assert_eq!(posted.status, 403, "[{b}] {}: {}", person.user.name, posted.snippet());
        }
        // A TAM saves the fields of their role; inputs they may not change are ignored.
        let tam = c.login_as(&w.tam.user).await;
        let saved = c.page_post(&edit, &tam, &[("workloads", "payments\nledger"), ("arr", "1")]).await;
        saved.expect(303);
        assert_eq!(saved.location(), Some(format!("/accounts/{}?notice=saved", w.alpha).as_str()), "[{b}]");
        let account = c.get(&api, &w.admin.token).await.json();
        assert_eq!(account["workloads"], serde_json::json!(["payments", "ledger"]), "[{b}]");
        assert_eq!(account["arr"], 10_000_000, "[{b}] the TAM's arr input was ignored");
        assert_eq!(account["name"], "Alpha Analytics", "[{b}]");
        let shown = c.page_get(&format!("/accounts/{}?notice=saved", w.alpha), &tam).await;
        assert!(shown.text().contains("Changes saved."), "[{b}]");
    }
}

#[tokio::test]
async fn read_only_roles_get_403_for_any_account_patch_and_page_numbers_are_forgiving() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        for person in [&w.support, &w.customer] {
            let empty = c.patch(&format!("/api/v1/accounts/{}", w.alpha), &person.token, &serde_json::json!({})).await;
            empty.expect_error(403, "forbidden", None);
            assert!(empty.json()["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "[{b}]");
        }
        let browser = c.login_as(&w.tam.user).await;
        c.page_get("/?page=abc", &browser).await.expect(200);
        c.page_get("/?page=99999", &browser).await.expect(200);
    }
}

#[tokio::test]
async fn a_history_page_that_ends_exactly_at_the_limit_has_no_next_cursor() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let b = t.backend;
        let all =
            c.get(&format!("/api/v1/accounts/{}/history?limit=500", w.alpha), &w.admin.token).await.expect(200).json();
        let n = all["items"].as_array().map(Vec::len).unwrap_or(0);
        assert!(n >= 1, "[{b}] the account has history");
        let exact =
            c.get(&format!("/api/v1/accounts/{}/history?limit={n}", w.alpha), &w.admin.token).await.expect(200).json();
        assert_eq!(exact["items"].as_array().map(Vec::len), Some(n), "[{b}]");
        assert!(exact["next_cursor"].is_null(), "[{b}] nothing follows: {}", exact["next_cursor"]);
        if n > 1 {
            let first = c
                .get(&format!("/api/v1/accounts/{}/history?limit=1", w.alpha), &w.admin.token)
                .await
                .expect(200)
                .json();
            assert!(first["next_cursor"].is_string(), "[{b}] more follow");
        }
    }
}
