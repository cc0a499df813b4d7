use tamhub_app::users::UserPatch;
use tamhub_app::{Actor, AppError};
use tamhub_domain::accounts::AccountDraft;
use tamhub_domain::users::Role;
use tamhub_testkit::TestApp;

fn draft(name: &str) -> AccountDraft {
    AccountDraft {
        name: name.into(),
        tier: "enterprise".into(),
        arr: 1_000_000,
        currency: "USD".into(),
        region: "EMEA".into(),
        timezone: "Europe/Berlin".into(),
        phase: "post_launch".into(),
        ..AccountDraft::default()
    }
}

#[tokio::test]
async fn a_tam_still_assigned_to_accounts_cannot_be_deactivated_or_change_role() {
    for t in TestApp::each().await {
        let admin = Actor::new(t.user(Role::Admin, "Ada Admin", None).await);
        let tam = t.user(Role::Tam, "Tom Tam", None).await;
        let mut d = draft("Initech");
        d.primary_tam_id = Some(tam.id);
        let account = t.app.create_account(None, d).await.unwrap();
        let deactivate = UserPatch { active: Some(false), ..UserPatch::default() };
        let refused = t.app.update_user(&admin, tam.id, deactivate.clone()).await;
        assert!(
            matches!(refused, Err(AppError::Conflict(ref m)) if m.contains("reassign")),
            "{}: {refused:?}",
            t.backend
        );
        let to_psm = UserPatch { role: Some("psm".into()), ..UserPatch::default() };
        assert!(matches!(t.app.update_user(&admin, tam.id, to_psm).await, Err(AppError::Conflict(_))), "{}", t.backend);

        let unassign = tamhub_domain::accounts::AccountPatch { primary_tam_id: Some(None), ..Default::default() };
        t.app.update_account(&admin, account.id, unassign).await.unwrap();
        let done = t.app.update_user(&admin, tam.id, deactivate).await.unwrap();
        assert!(!done.active, "{}", t.backend);
    }
}

#[tokio::test]
async fn an_admin_cannot_remove_their_own_admin_access() {
    for t in TestApp::each().await {
        let admin = Actor::new(t.user(Role::Admin, "Solo Admin", None).await);
        let demote = UserPatch { role: Some("tam".into()), ..UserPatch::default() };
        let result = t.app.update_user(&admin, admin.user.id, demote).await;
        assert!(
            matches!(result, Err(AppError::Invalid { ref fields, .. }) if fields.get("role").is_some()),
            "{}",
            t.backend
        );
        let deactivate = UserPatch { active: Some(false), ..UserPatch::default() };
        let result = t.app.update_user(&admin, admin.user.id, deactivate).await;
        assert!(
            matches!(result, Err(AppError::Invalid { ref fields, .. }) if fields.get("active").is_some()),
            "{}",
            t.backend
        );
    }
}

#[tokio::test]
async fn a_pam_owns_the_accounts_they_create() {
    for t in TestApp::each().await {
        let pam = Actor::new(t.user(Role::Pam, "Paula Pam", None).await);
        let account = t.app.create_account(Some(&pam), draft("Hooli")).await.unwrap();
        assert_eq!(account.fields.pam_id, Some(pam.user.id), "{}", t.backend);
        assert!(t.app.get_account(&pam, account.id).await.is_ok(), "{}", t.backend);
    }
}

#[tokio::test]
async fn a_customer_user_must_belong_to_an_existing_account() {
    for t in TestApp::each().await {
        let input = tamhub_app::users::UserInput {
            email: "c@cust.example".into(),
            name: "Cust".into(),
            role: "customer".into(),
            account_id: Some(tamhub_domain::ids::AccountId::new()),
            password: "long enough password".into(),
        };
        let result = t.app.create_user(None, input).await;
        assert!(
            matches!(result, Err(AppError::Invalid { ref fields, .. }) if fields.get("account_id") == Some("is not an existing account")),
            "{}: {result:?}",
            t.backend
        );
    }
}

#[tokio::test]
async fn an_assignment_on_an_archived_account_still_blocks_a_role_change() {
    for t in TestApp::each().await {
        let admin = Actor::new(t.user(Role::Admin, "Arch Admin", None).await);
        let tam = t.user(Role::Tam, "Archie Tam", None).await;
        let mut d = draft("Vandelay");
        d.primary_tam_id = Some(tam.id);
        let account = t.app.create_account(None, d).await.unwrap();
        t.app.set_account_archived(&admin, account.id, true).await.unwrap();
        let to_pam = UserPatch { role: Some("pam".into()), ..UserPatch::default() };
        assert!(matches!(t.app.update_user(&admin, tam.id, to_pam).await, Err(AppError::Conflict(_))), "{}", t.backend);
    }
}
