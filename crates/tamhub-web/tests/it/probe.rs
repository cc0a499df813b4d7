use crate::support::{Client, World};
use tamhub_testkit::TestApp;

#[tokio::test]
async fn probe() {
    for t in TestApp::each().await {
        let c = Client::new(&t);
        let w = World::build(&t).await;
        let admin = c.login_as(&w.admin.user).await;
        for path in [
            "/?page=18446744073709551615",
            "/?page=abc",
            "/?page=0",
            "/admin/audit?page=18446744073709551615",
            "/?sort=bogus",
            "/?phase=x&q=%00",
            "/?assignee=x",
            "/admin/audit?entity_type=zzz",
            "/admin/users/not-a-user",
            "/accounts/new",
            "/?page=9999999999999",
        ] {
            let r = c.page_get(path, &admin).await;
            println!("{} {} {}", t.backend, path, r.status);
        }
        for path in [
            "/api/v1/accounts?cursor=bzoxODQ0Njc0NDA3MzcwOTU1MTYxNQ",
            "/api/v1/audit?cursor=bzoxODQ0Njc0NDA3MzcwOTU1MTYxNQ",
            "/api/v1/accounts?cursor=bzo5MjIzMzcyMDM2ODU0Nzc1ODA4",
            "/api/v1/audit?limit=1&cursor=bzoxODQ0Njc0NDA3MzcwOTU1MTYxNQ",
        ] {
            let r = c.get(path, &w.admin.token).await;
            println!("{} {} {} {}", t.backend, path, r.status, r.snippet());
        }
    }
}
