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
