//! Sign-in, sessions, CSRF, throttling and API tokens.

use axum::http::{Method, StatusCode};
use goldthread::audit::Actor;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, TestApp};

#[sqlx::test]
async fn anonymous_page_requests_go_to_sign_in_and_come_back(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Admin).await;
    let mut client = app.client();

    let res = client.get("/admin/users?x=1").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        res.location(),
        Some("/signin?next=%2Fadmin%2Fusers%3Fx%3D1")
    );

    let token = client.csrf_token().await;
    let res = client
        .post_form_raw(
            "/signin",
            &[
                ("csrf_token", &token),
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "/admin/users?x=1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), Some("/admin/users?x=1"));
    let page = client.get("/admin/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&user.email));
}

#[sqlx::test]
async fn sign_in_refuses_open_redirects(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    let token = client.csrf_token().await;
    let res = client
        .post_form_raw(
            "/signin",
            &[
                ("csrf_token", &token),
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.location(), Some("/"));
}

#[sqlx::test]
async fn wrong_password_keeps_the_email_and_says_why(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    let res = client.sign_in(&user.email, "not the password").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("do not match an account"));
    assert!(res.body.contains(&format!("value=\"{}\"", user.email)));
    assert_eq!(
        client.get("/").await.status,
        StatusCode::SEE_OTHER,
        "still signed out"
    );
}

#[sqlx::test]
async fn the_session_id_changes_at_sign_in(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    client.csrf_token().await;
    let before = client
        .session_cookie()
        .cloned()
        .expect("anonymous session for the sign-in form");
    let res = client.sign_in(&user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let after = client
        .session_cookie()
        .cloned()
        .expect("session after sign-in");
    assert_ne!(before, after, "session id must be cycled at sign-in");

    let cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("goldthread_session="))
        .expect("session cookie set")
        .to_ascii_lowercase();
    assert!(cookie.contains("httponly"), "{cookie}");
    assert!(cookie.contains("samesite=lax"), "{cookie}");

    // The old id is worthless: a client holding it is not signed in.
    let mut stale = app.client();
    stale.cookies.insert("goldthread_session".into(), before);
    assert_eq!(stale.get("/").await.status, StatusCode::SEE_OTHER);
}

#[sqlx::test]
async fn sign_out_ends_the_session(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Revenue).await;
    let old = client.session_cookie().cloned().expect("session");
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    let res = client.post_form("/signout", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(client.get("/").await.status, StatusCode::SEE_OTHER);
    let mut replay = app.client();
    replay.cookies.insert("goldthread_session".into(), old);
    assert_eq!(
        replay.get("/").await.status,
        StatusCode::SEE_OTHER,
        "old cookie must not work"
    );
}

#[sqlx::test]
async fn a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let fields = [
        ("name", "Mallory"),
        ("email", "mallory@example.com"),
        ("role", "admin"),
        ("team", "other"),
        ("password", "long enough password"),
    ];
    let missing = client.post_form_raw("/admin/users", &fields).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("form has expired"));

    let mut wrong = vec![("csrf_token", "forged")];
    wrong.extend_from_slice(&fields);
    assert_eq!(
        client.post_form_raw("/admin/users", &wrong).await.status,
        StatusCode::FORBIDDEN
    );

    // A token from another session does not work either.
    let mut other = app.client();
    let foreign = other.csrf_token().await;
    let mut foreign_fields = vec![("csrf_token", foreign.as_str())];
    foreign_fields.extend_from_slice(&fields);
    assert_eq!(
        client
            .post_form_raw("/admin/users", &foreign_fields)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let count: i64 =
        sqlx::query_scalar("select count(*) from users where email = 'mallory@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(count, 0);

    // With the real token it works.
    assert_eq!(
        client.post_form("/admin/users", &fields).await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test]
async fn sign_in_without_csrf_is_refused(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    let res = client
        .post_form_raw("/signin", &[("email", &user.email), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

/// Seconds until the account's wait ends, as stored in PostgreSQL.
async fn wait_secs(app: &TestApp, email: &str) -> f64 {
    sqlx::query_scalar(
        "select coalesce(extract(epoch from locked_until - now())::float8, 0) from sign_in_throttle where scope = 'account' and key = $1",
    )
    .bind(email)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
    .unwrap_or(0.0)
}

/// Pretend the current wait has run out (instead of sleeping in a test).
async fn end_wait(app: &TestApp) {
    sqlx::query("update sign_in_throttle set locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
}

#[sqlx::test]
async fn wrong_passwords_make_the_account_wait_longer_each_time_until_an_admin_unlocks(
    pool: PgPool,
) {
    use goldthread::auth::throttle::FREE_FAILURES_PER_ACCOUNT;
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    for _ in 0..FREE_FAILURES_PER_ACCOUNT {
        let res = client.sign_in(&user.email, "wrong password!").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(
            res.body.contains("Check both and try again"),
            "{}",
            res.body
        );
    }
    assert_eq!(wait_secs(&app, &user.email).await, 0.0, "no wait yet");

    // The next wrong password starts a short wait, and says so.
    let res = client.sign_in(&user.email, "wrong password!").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("must wait 5 seconds"), "{}", res.body);
    let first = wait_secs(&app, &user.email).await;
    assert!(first > 3.0 && first <= 5.0, "{first}");

    // While it runs, not even the right password is checked, and the page says what is true.
    let res = client.sign_in(&user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.body.contains("Try again in 5 seconds"), "{}", res.body);
    assert!(res.body.contains("An admin can unlock the account sooner"));
    assert!(!res.body.contains("15 minutes"));
    assert_eq!(
        client.get("/").await.status,
        StatusCode::SEE_OTHER,
        "not signed in"
    );

    // Each further wrong password doubles the wait.
    end_wait(&app).await;
    let res = client.sign_in(&user.email, "wrong again!!").await;
    assert!(res.body.contains("must wait 10 seconds"), "{}", res.body);
    let second = wait_secs(&app, &user.email).await;
    assert!(second > 8.0 && second <= 10.0, "{second}");
    end_wait(&app).await;
    client.sign_in(&user.email, "and again!!!").await;
    let third = wait_secs(&app, &user.email).await;
    assert!(third > 18.0 && third <= 20.0, "{third}");

    // Another account is not affected by this account's wait.
    let other = app.user(Role::Viewer).await;
    let mut fresh = app.client();
    assert_eq!(
        fresh.sign_in(&other.email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // The admin sees the lock on the user's page and unlocks it; that is audited.
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get(&format!("/admin/users/{}", user.id)).await;
    assert!(
        page.body.contains("6 wrong passwords in a row"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Sign-in is locked until"));
    let res = admin
        .post_form(&format!("/admin/users/{}/unlock", user.id), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "select count(*) from audit_log where action = 'unlock' and entity_id = '{}'",
            user.id
        ))
        .await,
        1
    );
    let res = client.sign_in(&user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        !admin
            .get(&format!("/admin/users/{}", user.id))
            .await
            .body
            .contains("wrong password"),
        "a right password starts the count again"
    );
}

#[sqlx::test]
async fn the_wait_holds_across_two_app_processes_on_one_database(pool: PgPool) {
    use goldthread::auth::throttle::FREE_FAILURES_PER_ACCOUNT;
    // Two routers with their own state, as two `serve` processes would have: what they share
    // is PostgreSQL only.
    let first = TestApp::new(pool.clone()).await;
    let second = TestApp::new(pool).await;
    let user = first.user(Role::Pm).await;
    let (mut a, mut b) = (first.client(), second.client());
    for i in 0..=FREE_FAILURES_PER_ACCOUNT {
        let client = if i % 2 == 0 { &mut a } else { &mut b };
        let res = client.sign_in(&user.email, "wrong password!").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let state: (i32, bool) = sqlx::query_as(
        "select failures, locked_until > now() from sign_in_throttle where scope = 'account' and key = $1",
    )
    .bind(&user.email)
    .fetch_one(&first.pool)
    .await
    .unwrap();
    assert_eq!(
        state,
        (FREE_FAILURES_PER_ACCOUNT + 1, true),
        "counted in PostgreSQL"
    );
    for client in [&mut a, &mut b] {
        let res = client.sign_in(&user.email, PASSWORD).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    }
    let mut c = second.client();
    assert_eq!(
        c.sign_in(&user.email, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a new client of the other process waits too"
    );
}

#[sqlx::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    for i in 0..=goldthread::auth::throttle::FREE_FAILURES_PER_ADDRESS {
        let res = client
            .sign_in(&format!("nobody{i}@example.com"), "guess")
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = client.sign_in(&user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.body.contains("from your network"), "{}", res.body);
}

#[sqlx::test]
async fn a_disabled_user_cannot_sign_in_and_is_signed_out(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let admin = app.user(Role::Admin).await;
    let (mut client, user) = app.signed_in(Role::Revenue).await;
    assert_eq!(client.get("/").await.status, StatusCode::OK);

    goldthread::admin::set_disabled(&app.pool, &Actor::User(&admin), user.id, true)
        .await
        .unwrap();
    assert_eq!(
        client.get("/").await.status,
        StatusCode::SEE_OTHER,
        "existing session ends"
    );

    let mut fresh = app.client();
    let res = fresh.sign_in(&user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("This account is disabled"));
}

#[sqlx::test]
async fn api_tokens_authenticate_and_are_refused_when_missing_wrong_or_revoked(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let admin = app.user(Role::Admin).await;
    let pm = app.user(Role::Pm).await;
    let (token_id, token) =
        goldthread::admin::issue_token(&app.pool, &Actor::User(&admin), pm.id, "script")
            .await
            .unwrap();
    let mut client = app.client();

    let res = client
        .api(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let me = res.json();
    assert_eq!(me["email"], pm.email.as_str());
    assert_eq!(me["role"], "pm");

    for (label, bearer) in [("missing", None), ("wrong", Some("gt_not-a-real-token"))] {
        let res = client.api(Method::GET, "/api/v1/me", bearer, None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(res.content_type(), "application/problem+json", "{label}");
        assert_eq!(res.json()["status"], 401);
    }

    goldthread::admin::revoke_token(&app.pool, &Actor::User(&admin), token_id)
        .await
        .unwrap();
    let res = client
        .api(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "revoked");

    // A disabled user's token stops working too.
    let (_, token2) =
        goldthread::admin::issue_token(&app.pool, &Actor::User(&admin), pm.id, "second")
            .await
            .unwrap();
    goldthread::admin::set_disabled(&app.pool, &Actor::User(&admin), pm.id, true)
        .await
        .unwrap();
    let res = client
        .api(Method::GET, "/api/v1/me", Some(&token2), None)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "disabled user");
}

#[sqlx::test]
async fn tokens_are_never_stored_in_clear_and_record_last_use(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let admin = app.user(Role::Admin).await;
    let (id, token) =
        goldthread::admin::issue_token(&app.pool, &Actor::User(&admin), admin.id, "ci")
            .await
            .unwrap();
    let row: (String, String, Option<time::OffsetDateTime>) =
        sqlx::query_as("select token_hash, prefix, last_used_at from api_tokens where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_ne!(row.0, token);
    assert!(!row.0.contains(&token[3..]));
    assert_eq!(row.0, goldthread::auth::tokens::hash(&token));
    assert!(token.starts_with(&row.1) && row.1.len() < token.len() / 2);
    assert!(row.2.is_none());

    // No column anywhere holds the token.
    let dump: String =
        sqlx::query_scalar("select coalesce(string_agg(t::text, ' '), '') from api_tokens t")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!dump.contains(&token));
    let audit: String =
        sqlx::query_scalar("select coalesce(string_agg(a::text, ' '), '') from audit_log a")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!audit.contains(&token));

    app.client()
        .api(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    let used: Option<time::OffsetDateTime> =
        sqlx::query_scalar("select last_used_at from api_tokens where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(used.is_some());
}

#[sqlx::test]
async fn passwords_are_stored_as_argon2_hashes(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::Viewer).await;
    let hash: String = sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(!hash.contains(PASSWORD));
}

#[sqlx::test]
async fn demo_sign_in_exists_only_in_demo_mode(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    goldthread::demo::load_users(&app.pool).await.unwrap();
    let mut client = app.client();
    let page = client.get("/signin").await;
    assert!(!page.body.contains("Demo sign-ins"));
    let res = client
        .post_form("/signin/demo", &[("email", "pm@example.com")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(client.get("/").await.status, StatusCode::SEE_OTHER);

    let demo = TestApp::with_config(pool, |c| c.demo = true).await;
    let mut client = demo.client();
    let page = client.get("/signin").await;
    assert!(page.body.contains("Demo sign-ins"));
    let res = client
        .post_form("/signin/demo", &[("email", "pm@example.com")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Welcome, Priya"));
}

#[sqlx::test]
async fn demo_refuses_a_database_with_real_users(pool: PgPool) {
    let app = TestApp::new(pool).await;
    goldthread::demo::load_users(&app.pool).await.unwrap();
    goldthread::demo::load_users(&app.pool)
        .await
        .expect("twice is fine");
    app.user(Role::Pm).await;
    let err = goldthread::demo::load(&app.pool).await.unwrap_err();
    assert!(err.to_string().contains("real user"), "{err}");
}

#[sqlx::test]
async fn health_metrics_and_the_api_document_answer(pool: PgPool) {
    let app = TestApp::with_config(pool, |c| c.metrics_token = Some("metrics-secret".into())).await;
    let mut client = app.client();
    let health = client.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    client.get("/signin").await;
    assert_eq!(
        client.get("/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = client
        .api(Method::GET, "/metrics", Some("not-it"), None)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let metrics = client
        .api(Method::GET, "/metrics", Some("metrics-secret"), None)
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.body.contains("goldthread_http_requests_total"),
        "{}",
        metrics.body
    );
    let doc = client.get("/api/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/me"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let missing = client.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Page not found"));
}

#[sqlx::test]
async fn metrics_are_off_without_a_token_or_their_own_address(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let res = app.client().get("/metrics").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("GOLDTHREAD_METRICS_TOKEN"));

    // With an address of their own, they are not beside the pages but on that router.
    let separate = TestApp::with_config(pool, |c| {
        c.metrics_bind = Some("127.0.0.1:9099".parse().unwrap())
    })
    .await;
    assert_eq!(
        separate.client().get("/metrics").await.status,
        StatusCode::NOT_FOUND
    );
    let metrics_only = goldthread::router::metrics_app(goldthread::AppState::new(
        {
            let mut c = goldthread::config::Config::for_tests("postgres://unused");
            c.metrics_bind = Some("127.0.0.1:9099".parse().unwrap());
            c
        },
        separate.pool.clone(),
    ));
    let res = tower::ServiceExt::oneshot(
        metrics_only,
        axum::http::Request::get("/metrics")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[sqlx::test]
async fn the_session_cookie_is_secure_when_configured(pool: PgPool) {
    let app = TestApp::with_config(pool, |c| {
        c.secure_cookies = goldthread::config::secure_cookies(None, Some("https://hub.example.com"))
    })
    .await;
    let user = app.user(Role::Pm).await;
    let mut client = app.client();
    let token = client.csrf_token().await;
    let res = client
        .request(
            axum::http::Request::post("/signin")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(
                    serde_urlencoded::to_string([
                        ("csrf_token", token.as_str()),
                        ("email", user.email.as_str()),
                        ("password", PASSWORD),
                    ])
                    .unwrap(),
                ))
                .unwrap(),
        )
        .await;
    let cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("goldthread_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

#[sqlx::test]
async fn error_pages_keep_the_navigation_of_a_signed_in_user(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    for path in ["/no/such/page", "/feedback/999999", "/admin/users/999999"] {
        let res = client.get(path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            res.body.contains("Page not found") || res.body.contains("not found"),
            "{path}"
        );
        assert!(
            res.body.contains("aria-label=\"Main\""),
            "{path}: navigation kept"
        );
        assert!(
            res.body.contains("href=\"/admin\""),
            "{path}: the admin's sections"
        );
        assert!(res.body.contains("Sign out"), "{path}");
    }
    // Someone signed out gets the page without navigation.
    let res = app.client().get("/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains("aria-label=\"Main\""));
}
