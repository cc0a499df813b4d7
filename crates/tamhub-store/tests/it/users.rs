use tamhub_domain::ids::{AccountId, TokenId, UserId};
use tamhub_domain::users::Role;
use tamhub_store::{ApiToken, AuditQuery, Session, StoreError, UserQuery};

use crate::{account, add_account, add_user, at, audit_for, each_store, fields, user};

#[tokio::test]
async fn a_created_user_reads_back_by_id_by_ids_and_by_email_with_its_password_hash() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let mut ada = user("ada@example.com", Role::Customer);
        ada.account_id = Some(acme.id);
        ada.created_at = at(10);
        ada.updated_at = at(11);
        store.create_user(&ada, "argon2-hash", &audit_for("user", ada.id, "create")).await.expect("create");
        let bob = add_user(&store, "bob@example.com", Role::Tam).await;

        assert_eq!(store.get_user(ada.id).await.expect("get"), ada, "{backend}");
        let credentials = store.find_credentials("ada@example.com").await.expect("find").expect("some");
        assert_eq!(credentials.user, ada, "{backend}");
        assert_eq!(credentials.password_hash, "argon2-hash", "{backend}");
        assert!(store.find_credentials("nobody@example.com").await.expect("find").is_none(), "{backend}");
        assert!(matches!(store.get_user(UserId::new()).await, Err(StoreError::NotFound)), "{backend}");

        let mut both = store.get_users(&[bob.id, ada.id, UserId::new()]).await.expect("get_users");
        both.sort_by_key(|u| u.id);
        let mut expected = vec![ada.clone(), bob.clone()];
        expected.sort_by_key(|u| u.id);
        assert_eq!(both, expected, "{backend}");
        assert!(store.get_users(&[]).await.expect("get_users").is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn creating_a_user_with_an_email_already_taken_is_a_conflict_and_records_nothing() {
    for (backend, store) in each_store().await {
        let first = add_user(&store, "ada@example.com", Role::Tam).await;
        let second = user("ada@example.com", Role::Psm);
        let err = store
            .create_user(&second, "hash", &audit_for("user", second.id, "create"))
            .await
            .expect_err("duplicate email");
        match err {
            StoreError::Conflict(message) => assert_eq!(message, "a user with this email already exists", "{backend}"),
            other => panic!("{backend}: expected a conflict, got {other:?}"),
        }
        assert!(matches!(store.get_user(second.id).await, Err(StoreError::NotFound)), "{backend}");
        let audit = store.list_audit(&AuditQuery { limit: 10, ..AuditQuery::default() }).await.expect("audit");
        assert_eq!(audit.len(), 1, "{backend}: only the first creation is audited");
        assert_eq!(audit[0].entity_id, first.id.to_string(), "{backend}");
    }
}

#[tokio::test]
async fn users_are_listed_by_name_with_role_and_inactive_filters() {
    for (backend, store) in each_store().await {
        let mut names = Vec::new();
        for (email, role) in [
            ("zed@example.com", Role::Tam),
            ("amy@example.com", Role::Tam),
            ("Max@example.com", Role::Psm),
            ("bea@example.com", Role::Tam),
        ] {
            names.push(add_user(&store, email, role).await);
        }
        let mut bea = names[3].clone();
        bea.active = false;
        bea.updated_at = at(5);
        store.update_user(&bea, &audit_for("user", bea.id, "deactivate")).await.expect("deactivate");

        let listed = |users: Vec<tamhub_domain::users::User>| users.into_iter().map(|u| u.name).collect::<Vec<_>>();
        let active = store.list_users(&UserQuery::default()).await.expect("list");
        // Names compare byte by byte on both backends: upper case sorts before lower case.
        assert_eq!(listed(active), ["Max", "amy", "zed"], "{backend}");
        let tams = store.list_users(&UserQuery { role: Some(Role::Tam), include_inactive: false }).await.expect("list");
        assert_eq!(listed(tams), ["amy", "zed"], "{backend}");
        let all_tams =
            store.list_users(&UserQuery { role: Some(Role::Tam), include_inactive: true }).await.expect("list");
        assert_eq!(listed(all_tams), ["amy", "bea", "zed"], "{backend}");
    }
}

#[tokio::test]
async fn updating_a_user_saves_name_role_account_and_active_flag() {
    for (backend, store) in each_store().await {
        let acme = add_account(&store, account(fields("Acme"))).await;
        let mut ada = add_user(&store, "ada@example.com", Role::Tam).await;
        ada.name = "Ada Lovelace".into();
        ada.role = Role::Customer;
        ada.account_id = Some(acme.id);
        ada.updated_at = at(60);
        store.update_user(&ada, &audit_for("user", ada.id, "update")).await.expect("update");
        assert_eq!(store.get_user(ada.id).await.expect("get"), ada, "{backend}");

        let ghost = user("ghost@example.com", Role::Tam);
        let err = store.update_user(&ghost, &audit_for("user", ghost.id, "update")).await.expect_err("unknown");
        assert!(matches!(err, StoreError::NotFound), "{backend}: {err:?}");
        assert!(matches!(store.get_account(AccountId::new()).await, Err(StoreError::NotFound)), "{backend}");
    }
}

#[tokio::test]
async fn deactivating_a_user_deletes_their_sessions_and_revokes_their_tokens() {
    for (backend, store) in each_store().await {
        let mut ada = add_user(&store, "ada@example.com", Role::Tam).await;
        let bob = add_user(&store, "bob@example.com", Role::Tam).await;
        for (hash, owner) in [("ada-session", ada.id), ("bob-session", bob.id)] {
            let session = Session {
                token_hash: hash.into(),
                user_id: owner,
                csrf_token: "csrf".into(),
                created_at: at(0),
                expires_at: at(3600),
            };
            store.create_session(&session).await.expect("session");
        }
        let revoked_earlier = ApiToken {
            id: TokenId::new(),
            user_id: ada.id,
            name: "old".into(),
            created_at: at(1),
            last_used_at: None,
            revoked_at: None,
        };
        let live = ApiToken { id: TokenId::new(), name: "ci".into(), created_at: at(2), ..revoked_earlier.clone() };
        for (token, hash) in [(&revoked_earlier, "old-hash"), (&live, "ci-hash")] {
            store.create_api_token(token, hash, &audit_for("api_token", token.id, "create")).await.expect("token");
        }
        store
            .revoke_api_token(ada.id, revoked_earlier.id, at(3), &audit_for("api_token", revoked_earlier.id, "revoke"))
            .await
            .expect("revoke");

        ada.active = false;
        ada.updated_at = at(100);
        store.update_user(&ada, &audit_for("user", ada.id, "deactivate")).await.expect("deactivate");

        assert!(store.session_user("ada-session", at(10)).await.expect("session").is_none(), "{backend}");
        assert!(store.session_user("bob-session", at(10)).await.expect("session").is_some(), "{backend}");
        // Reactivating does not bring the session back: it was deleted, not hidden.
        ada.active = true;
        ada.updated_at = at(200);
        store.update_user(&ada, &audit_for("user", ada.id, "activate")).await.expect("activate");
        assert!(store.session_user("ada-session", at(10)).await.expect("session").is_none(), "{backend}");

        let tokens = store.list_api_tokens(ada.id).await.expect("tokens");
        let revoked: Vec<_> = tokens.iter().map(|t| (t.name.as_str(), t.revoked_at)).collect();
        assert_eq!(revoked, [("ci", Some(at(100))), ("old", Some(at(3)))], "{backend}");
        assert!(store.api_token_user("ci-hash").await.expect("token user").is_none(), "{backend}");
    }
}

#[tokio::test]
async fn setting_a_password_replaces_the_hash_and_ends_every_session() {
    for (backend, store) in each_store().await {
        let ada = add_user(&store, "ada@example.com", Role::Tam).await;
        let session = Session {
            token_hash: "s1".into(),
            user_id: ada.id,
            csrf_token: "csrf".into(),
            created_at: at(0),
            expires_at: at(3600),
        };
        store.create_session(&session).await.expect("session");
        let entry = audit_for("user", ada.id, "set_password");
        let entry = tamhub_domain::audit::AuditEntry { at: at(50), ..entry };
        store.set_password(ada.id, "new-hash", &entry).await.expect("set password");

        let credentials = store.find_credentials("ada@example.com").await.expect("find").expect("some");
        assert_eq!(credentials.password_hash, "new-hash", "{backend}");
        assert_eq!(credentials.user.updated_at, at(50), "{backend}");
        assert!(store.session_user("s1", at(1)).await.expect("session").is_none(), "{backend}");
        let err = store.set_password(UserId::new(), "x", &audit_for("user", "x", "set_password")).await;
        assert!(matches!(err, Err(StoreError::NotFound)), "{backend}: {err:?}");
    }
}
