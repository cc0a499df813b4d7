use tamhub_app::{AppError, Clock};
use tamhub_domain::SignedDuration;
use tamhub_domain::users::Role;
use tamhub_testkit::{TEST_PASSWORD, TestApp};

#[tokio::test]
async fn a_session_ends_when_its_hours_are_up() {
    for t in TestApp::each().await {
        let user = t.user(Role::Tam, "Tess Tam", None).await;
        let login = t.app.login(&user.email, TEST_PASSWORD, "10.0.0.1").await.unwrap();
        assert!(t.app.authenticate_session(&login.token).await.is_ok(), "{}", t.backend);
        t.clock.advance(SignedDuration::from_hours(t.app.config.session_hours) - SignedDuration::from_secs(1));
        assert!(t.app.authenticate_session(&login.token).await.is_ok(), "{}", t.backend);
        t.clock.advance(SignedDuration::from_secs(2));
        assert!(
            matches!(t.app.authenticate_session(&login.token).await, Err(AppError::Unauthenticated)),
            "{}",
            t.backend
        );
        assert_eq!(t.app.store.delete_expired_sessions(t.clock.now()).await.unwrap(), 1, "{}", t.backend);
    }
}

#[tokio::test]
async fn emails_are_matched_case_insensitively_and_unknown_ones_fail_like_wrong_passwords() {
    for t in TestApp::each().await {
        let user = t.user(Role::Tam, "Case Tam", None).await;
        assert!(t.app.login(&user.email.to_uppercase(), TEST_PASSWORD, "ip").await.is_ok(), "{}", t.backend);
        let unknown = t.app.login("nobody@test.example", TEST_PASSWORD, "ip").await;
        let wrong = t.app.login(&user.email, "not the password", "ip").await;
        assert!(matches!(unknown, Err(AppError::Unauthenticated)), "{}", t.backend);
        assert!(matches!(wrong, Err(AppError::Unauthenticated)), "{}", t.backend);
        let nul = t.app.login("a\0b@test.example", TEST_PASSWORD, "ip").await;
        assert!(matches!(nul, Err(AppError::Unauthenticated)), "{}: NUL in email", t.backend);
    }
}

#[tokio::test]
async fn an_api_token_records_its_last_use_at_most_hourly() {
    for t in TestApp::each().await {
        let user = t.user(Role::Pam, "Pat Pam", None).await;
        let token = t.token(&user).await;
        t.app.authenticate_api_token(&token).await.unwrap();
        let first = t.app.store.list_api_tokens(user.id).await.unwrap()[0].last_used_at;
        assert_eq!(first, Some(t.clock.now()), "{}", t.backend);
        t.clock.advance(SignedDuration::from_mins(30));
        t.app.authenticate_api_token(&token).await.unwrap();
        assert_eq!(t.app.store.list_api_tokens(user.id).await.unwrap()[0].last_used_at, first, "{}", t.backend);
        t.clock.advance(SignedDuration::from_mins(31));
        t.app.authenticate_api_token(&token).await.unwrap();
        assert_eq!(
            t.app.store.list_api_tokens(user.id).await.unwrap()[0].last_used_at,
            Some(t.clock.now()),
            "{}",
            t.backend
        );
    }
}

#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_login_limit() {
    for t in TestApp::each().await {
        let user = t.user(Role::Tam, "Race Tam", None).await;
        let guesses = (0..40).map(|i| {
            let app = t.app.clone();
            let email = user.email.clone();
            tokio::spawn(async move { app.login(&email, &format!("guess number {i}"), "10.1.1.1").await })
        });
        let mut checked = 0;
        let mut limited = 0;
        for guess in guesses {
            match guess.await.unwrap() {
                Err(AppError::Unauthenticated) => checked += 1,
                Err(AppError::RateLimited { .. }) => limited += 1,
                other => panic!("{}: {:?}", t.backend, other.map(|_| ())),
            }
        }
        assert!(
            checked <= t.app.config.login_failures_per_email as usize,
            "{}: {checked} passwords checked",
            t.backend
        );
        assert_eq!(checked + limited, 40, "{}", t.backend);
        // The limit still stands for the right password, and lifts after the window.
        assert!(matches!(t.app.login(&user.email, TEST_PASSWORD, "10.1.1.2").await, Err(AppError::RateLimited { .. })));
        t.clock.advance(SignedDuration::from_mins(16));
        assert!(t.app.login(&user.email, TEST_PASSWORD, "10.1.1.2").await.is_ok(), "{}", t.backend);
    }
}
