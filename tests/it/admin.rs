//! Admin pages: users, tokens, audit log.

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn bad_user_input_re_renders_with_what_was_typed(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let res = client
        .post_form(
            "/admin/users",
            &[
                ("name", "Grace Hopper"),
                ("email", "grace-at-example"),
                ("role", "pm"),
                ("team", "product"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("There is a problem"));
    assert!(
        res.body
            .contains("Enter an email address like name@example.com")
    );
    assert!(res.body.contains("Use at least 10 characters"));
    assert!(res.body.contains("value=\"Grace Hopper\""), "name kept");
    assert!(
        res.body.contains("value=\"grace-at-example\""),
        "email kept"
    );
    assert!(
        res.body.contains("<option value=\"pm\" selected>"),
        "role kept"
    );
}

#[sqlx::test]
async fn creating_and_changing_users_is_audited(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, admin) = app.signed_in(Role::Admin).await;
    let res = client
        .post_form(
            "/admin/users",
            &[
                ("name", "Grace Hopper"),
                ("email", "Grace@Example.com"),
                ("role", "pm"),
                ("team", "product"),
                ("password", "a long password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let list = client.get("/admin/users").await;
    assert!(list.body.contains("Created Grace Hopper"), "flash");
    assert!(list.body.contains("grace@example.com"));

    let id: i64 = sqlx::query_scalar("select id from users where email = 'grace@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = client
        .post_form(
            &format!("/admin/users/{id}"),
            &[("role", "product_ops"), ("team", "product_ops")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(role, "product_ops");

    // Duplicate email is a field error, not a crash.
    let dup = client
        .post_form(
            "/admin/users",
            &[
                ("name", "Another"),
                ("email", "grace@example.com"),
                ("role", "pm"),
                ("team", "product"),
                ("password", "a long password"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("already exists"));

    let log = client.get("/admin/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("Created user grace@example.com"));
    assert!(log.body.contains("Changed role/team of grace@example.com"));
    assert!(log.body.contains(&admin.email), "who");
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_log where action = 'update' and entity_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["role"], "pm");
    assert_eq!(after["role"], "product_ops");
}

#[sqlx::test]
async fn the_last_admin_cannot_be_demoted_or_disable_themselves(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, admin) = app.signed_in(Role::Admin).await;
    let res = client
        .post_form(
            &format!("/admin/users/{}", admin.id),
            &[("role", "viewer"), ("team", "other")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("last active admin"));
    let res = client
        .post_form(&format!("/admin/users/{}/disable", admin.id), &[])
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(admin.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(role, "admin");
}

#[sqlx::test]
async fn a_new_token_is_shown_once_then_only_its_prefix(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, admin) = app.signed_in(Role::Admin).await;
    let res = client
        .post_form(
            "/admin/tokens",
            &[
                ("label", "Zendesk webhook"),
                ("user_id", &admin.id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = client.get("/admin/tokens").await;
    let start =
        res.body.find("id=\"new-token\">").expect("token shown") + "id=\"new-token\">".len();
    let token: String = res.body[start..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    assert!(token.starts_with("gt_"));

    let later = client.get("/admin/tokens").await;
    assert!(later.body.contains("Zendesk webhook"));
    assert!(!later.body.contains(&token), "token never shown again");

    let empty = client
        .post_form(
            "/admin/tokens",
            &[("label", "  "), ("user_id", &admin.id.to_string())],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Give the token a name"));

    let id: i64 = sqlx::query_scalar("select id from api_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let confirm = client.get(&format!("/admin/tokens/{id}/revoke")).await;
    assert!(confirm.body.contains("Revoke the token"));
    let res = client
        .post_form(&format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let revoked: bool =
        sqlx::query_scalar("select revoked_at is not null from api_tokens where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(revoked);
    let log = client.get("/admin/audit?entity=api_token").await;
    assert!(log.body.contains("Revoked API token"));
    assert!(log.body.contains("Created API token"));
}
