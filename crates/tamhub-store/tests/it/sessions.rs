use tamhub_domain::ids::TokenId;
use tamhub_domain::users::Role;
use tamhub_store::{ApiToken, Session, StoreError};

use crate::{add_user, at, audit_for, each_store};

fn session(hash: &str, user_id: tamhub_domain::ids::UserId, expires_at: i64) -> Session {
    Session {
        token_hash: hash.into(),
        user_id,
        csrf_token: format!("csrf-{hash}"),
        created_at: at(0),
        expires_at: at(expires_at),
    }
}

#[tokio::test]
async fn a_session_is_live_until_the_instant_it_expires() {
    for (backend, store) in each_store().await {
        let ada = add_user(&store, "ada@example.com", Role::Tam).await;
        let s = session("s1", ada.id, 100);
        store.create_session(&s).await.expect("create");

        let (found, user) = store.session_user("s1", at(99)).await.expect("lookup").expect("live");
        assert_eq!(found, s, "{backend}");
        assert_eq!(user, ada, "{backend}");
        assert!(store.session_user("s1", at(100)).await.expect("lookup").is_none(), "{backend}: expired");
        assert!(store.session_user("other", at(1)).await.expect("lookup").is_none(), "{backend}: unknown");
    }
}

#[tokio::test]
async fn expired_sessions_are_swept_and_a_deleted_session_is_gone() {
    for (backend, store) in each_store().await {
        let ada = add_user(&store, "ada@example.com", Role::Tam).await;
        for (hash, expires) in [("a", 10), ("b", 20), ("c", 30)] {
            store.create_session(&session(hash, ada.id, expires)).await.expect("create");
        }
        assert_eq!(store.delete_expired_sessions(at(20)).await.expect("sweep"), 2, "{backend}");
        assert_eq!(store.delete_expired_sessions(at(20)).await.expect("sweep"), 0, "{backend}");
        assert!(store.session_user("c", at(0)).await.expect("lookup").is_some(), "{backend}");
        store.delete_session("c").await.expect("delete");
        assert!(store.session_user("c", at(0)).await.expect("lookup").is_none(), "{backend}");
        store.delete_session("never-existed").await.expect("deleting nothing is fine");
    }
}

#[tokio::test]
async fn a_session_of_an_inactive_user_is_not_live() {
    for (backend, store) in each_store().await {
        let mut ada = add_user(&store, "ada@example.com", Role::Tam).await;
        ada.active = false;
        store.update_user(&ada, &audit_for("user", ada.id, "deactivate")).await.expect("deactivate");
        // A session created afterwards (say, by a race) still does not authenticate.
        store.create_session(&session("late", ada.id, 100)).await.expect("create");
        assert!(store.session_user("late", at(1)).await.expect("lookup").is_none(), "{backend}");
    }
}

fn token(user_id: tamhub_domain::ids::UserId, name: &str, created: i64) -> ApiToken {
    ApiToken {
        id: TokenId::new(),
        user_id,
        name: name.into(),
        created_at: at(created),
        last_used_at: None,
        revoked_at: None,
    }
}

#[tokio::test]
async fn api_tokens_are_listed_newest_first_and_found_by_hash_until_revoked() {
    for (backend, store) in each_store().await {
        let ada = add_user(&store, "ada@example.com", Role::Tam).await;
        let bob = add_user(&store, "bob@example.com", Role::Tam).await;
        let older = token(ada.id, "laptop", 10);
        let newer = token(ada.id, "ci", 20);
        let bobs = token(bob.id, "bob's", 15);
        for (t, hash) in [(&older, "h-laptop"), (&newer, "h-ci"), (&bobs, "h-bob")] {
            store.create_api_token(t, hash, &audit_for("api_token", t.id, "create")).await.expect("create");
        }
        assert_eq!(store.list_api_tokens(ada.id).await.expect("list"), [newer.clone(), older.clone()], "{backend}");

        let (found, user) = store.api_token_user("h-ci").await.expect("lookup").expect("live");
        assert_eq!((found, user.id), (newer.clone(), ada.id), "{backend}");
        assert!(store.api_token_user("h-unknown").await.expect("lookup").is_none(), "{backend}");

        store.touch_api_token(newer.id, at(25)).await.expect("touch");
        let (touched, _) = store.api_token_user("h-ci").await.expect("lookup").expect("live");
        assert_eq!(touched.last_used_at, Some(at(25)), "{backend}");

        // Someone else's token cannot be revoked, and reads as not found rather than forbidden.
        let err = store.revoke_api_token(ada.id, bobs.id, at(30), &audit_for("api_token", bobs.id, "revoke")).await;
        assert!(matches!(err, Err(StoreError::NotFound)), "{backend}: {err:?}");
        assert!(store.api_token_user("h-bob").await.expect("lookup").is_some(), "{backend}");

        store
            .revoke_api_token(ada.id, newer.id, at(30), &audit_for("api_token", newer.id, "revoke"))
            .await
            .expect("revoke own");
        assert!(store.api_token_user("h-ci").await.expect("lookup").is_none(), "{backend}");
        let again = store.revoke_api_token(ada.id, newer.id, at(31), &audit_for("api_token", newer.id, "revoke")).await;
        assert!(matches!(again, Err(StoreError::NotFound)), "{backend}: revoking twice: {again:?}");
        let listed = store.list_api_tokens(ada.id).await.expect("list");
        assert_eq!(listed[0].revoked_at, Some(at(30)), "{backend}: the first revocation time stays");
        assert_eq!(listed[1].revoked_at, None, "{backend}");
    }
}

#[tokio::test]
async fn login_failures_are_counted_by_email_and_by_ip_strictly_after_an_instant() {
    for (backend, store) in each_store().await {
        for (email, ip, second) in [
            ("ada@example.com", "10.0.0.1", 10),
            ("ada@example.com", "10.0.0.2", 20),
            ("ada@example.com", "10.0.0.1", 30),
            ("bob@example.com", "10.0.0.1", 40),
            ("bob@example.com", "10.0.0.3", 50),
        ] {
            store.record_login_attempt(email, ip, at(second)).await.expect("record");
        }
        let count = |email: &'static str, ip: &'static str, since: i64| {
            let store = store.clone();
            async move { store.count_login_attempts(email, ip, at(since)).await.expect("count") }
        };
        assert_eq!(count("ada@example.com", "10.0.0.1", 0).await, (3, 3), "{backend}");
        assert_eq!(count("ada@example.com", "10.0.0.1", 10).await, (2, 2), "{backend}");
        assert_eq!(count("bob@example.com", "10.0.0.3", 40).await, (1, 1), "{backend}");
        assert_eq!(count("carol@example.com", "10.9.9.9", 0).await, (0, 0), "{backend}");
        assert_eq!(count("ada@example.com", "10.0.0.3", 60).await, (0, 0), "{backend}");
    }
}
