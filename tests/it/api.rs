//! The API a client can be written from: problem+json for every refusal (with the field at
//! fault), no 500 on NUL or control characters, limits refused out of range, tags listed,
//! tokens shown once, expiring and saying why they are refused.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use goldthread::audit::Actor;
use goldthread::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, TestResponse};

/// The response is problem+json with `status`, naming `field` in `errors`.
fn assert_problem(res: &TestResponse, status: StatusCode, field: &str) -> Value {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(
        res.content_type(),
        "application/problem+json",
        "{}",
        res.body
    );
    let p = res.json();
    assert_eq!(p["status"], status.as_u16());
    assert!(
        p["errors"]
            .as_array()
            .is_some_and(|es| es.iter().any(|e| e["field"] == field)),
        "no error on {field}: {p}"
    );
    p
}

#[sqlx::test]
async fn nul_bytes_and_control_characters_are_refused_with_the_field_never_500(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Admin).await;
    let mut api = app.client();
    for path in [
        "/api/v1/feedback?q=%00",
        "/api/v1/accounts?q=%00",
        "/api/v1/feedback?account=a%00",
    ] {
        let res = api.api(Method::GET, path, Some(&token), None).await;
        let field = if path.contains("account=") {
            "account"
        } else {
            "q"
        };
        let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, field);
        assert!(p["detail"].as_str().unwrap().contains("NUL"), "{p}");
    }

    let nul = "bad\u{0}text";
    for (path, body, field) in [
        (
            "/api/v1/feedback",
            json!({"source": "support", "body": nul}),
            "body",
        ),
        (
            "/api/v1/feedback",
            json!({"items": [{"source": "support", "body": "ok", "title": nul}]}),
            "items[0].title",
        ),
        (
            "/api/v1/feedback",
            json!({"source": "support", "body": "ok", "metadata": {"k": nul}}),
            "metadata",
        ),
        ("/api/v1/themes", json!({"name": nul}), "name"),
        ("/api/v1/themes", json!({"name": "Bell\u{1}"}), "name"),
        ("/api/v1/themes", json!({"name": "C1\u{81}"}), "name"),
        (
            "/api/v1/accounts",
            json!({"external_id": "x-1", "name": nul}),
            "name",
        ),
    ] {
        let res = api.api(Method::POST, path, Some(&token), Some(body)).await;
        assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
    assert_eq!(app.count("select count(*) from themes").await, 0);
    assert_eq!(app.count("select count(*) from feedback").await, 0);

    // The pages' search boxes answer with a message, not an error.
    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let page = client.get("/feedback?q=%00").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Remove a NUL byte"), "{}", page.body);
    let page = client.get("/accounts?q=%00").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("The search was not run"),
        "{}",
        page.body
    );
}

#[sqlx::test]
async fn extractor_rejections_are_problems_naming_the_field(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Admin).await;
    let mut api = app.client();
    let send = |method: Method, path: &str, content_type: Option<&str>, body: &str| {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(Body::from(body.to_owned())).unwrap()
    };

    let res = api
        .request(send(
            Method::POST,
            "/api/v1/themes",
            None,
            "{\"name\":\"x\"}",
        ))
        .await;
    assert_problem(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type");
    let res = api
        .request(send(
            Method::POST,
            "/api/v1/themes",
            Some("text/plain"),
            "{}",
        ))
        .await;
    assert_problem(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type");
    let res = api
        .request(send(
            Method::POST,
            "/api/v1/feedback",
            Some("application/json"),
            "{not json",
        ))
        .await;
    assert_problem(&res, StatusCode::BAD_REQUEST, "body");
    let res = api
        .request(send(
            Method::POST,
            "/api/v1/themes",
            Some("application/json"),
            "{\"name\": 5}",
        ))
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let res = api
        .request(send(
            Method::POST,
            "/api/v1/accounts",
            Some("application/json"),
            "{\"name\": [1]}",
        ))
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "name");

    let res = api
        .api(
            Method::GET,
            "/api/v1/accounts/99999999999999999999",
            Some(&token),
            None,
        )
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND, "id");
    let res = api
        .api(Method::POST, "/api/v1/tags/abc/confirm", Some(&token), None)
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND, "id");
    let res = api
        .api(
            Method::GET,
            "/api/v1/accounts?limit=many",
            Some(&token),
            None,
        )
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "limit");
    let res = api
        .api(
            Method::GET,
            "/api/v1/themes?from=yesterday",
            Some(&token),
            None,
        )
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "from");
    let res = api
        .api(Method::DELETE, "/api/v1/feedback", Some(&token), None)
        .await;
    assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED, "method");
    let res = api
        .api(Method::GET, "/api/v1/nothing-here", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.content_type(), "application/problem+json");
}

#[sqlx::test]
async fn a_limit_out_of_range_is_refused_naming_the_range(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Viewer).await;
    let mut api = app.client();
    for (path, range) in [
        ("/api/v1/feedback?limit=201", "1 to 200"),
        ("/api/v1/feedback?limit=0", "1 to 200"),
        ("/api/v1/feedback?limit=ten", "1 to 200"),
        ("/api/v1/accounts?limit=501", "1 to 500"),
        ("/api/v1/tags?limit=0", "1 to 500"),
    ] {
        let res = api.api(Method::GET, path, Some(&token), None).await;
        let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "limit");
        assert!(p["detail"].as_str().unwrap().contains(range), "{path}: {p}");
    }
    let ok = api
        .api(
            Method::GET,
            "/api/v1/feedback?limit=200",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[sqlx::test]
async fn tags_are_listed_per_item_theme_and_state_so_they_can_be_decided(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Pm).await;
    let mut api = app.client();
    let res = api
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"items": [
                {"source": "support", "body": "Card fees are too high"},
                {"source": "support", "body": "Card declined abroad"}
            ]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let ids: Vec<i64> = res.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let theme: i64 = sqlx::query_scalar("insert into themes (name) values ('Cards') returning id")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
         select f, $2, 'auto', 0.7, 'suggested' from unnest($1::bigint[]) f",
    )
    .bind(&ids)
    .bind(theme)
    .execute(&app.pool)
    .await
    .unwrap();

    let url = format!(
        "/api/v1/tags?state=suggested&feedback={}&theme={theme}",
        ids[0]
    );
    let page = api.api(Method::GET, &url, Some(&token), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = page.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let tag = &page["items"][0];
    assert_eq!(tag["feedback_id"], ids[0]);
    assert_eq!(tag["theme_name"], "Cards");
    assert_eq!(tag["state"], "suggested");
    let tag_id = tag["id"].as_i64().unwrap();

    // The item's themes in the list carry the same tag id.
    let list = api
        .api(Method::GET, "/api/v1/feedback?q=fees", Some(&token), None)
        .await
        .json();
    assert_eq!(list["items"][0]["themes"][0]["tag_id"], tag_id);

    // Keyset pages.
    let first = api
        .api(
            Method::GET,
            "/api/v1/tags?state=suggested&limit=1",
            Some(&token),
            None,
        )
        .await
        .json();
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = api
        .api(
            Method::GET,
            &format!("/api/v1/tags?state=suggested&limit=1&cursor={cursor}"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    assert!(second["next_cursor"].is_null());

    let res = api
        .api(
            Method::POST,
            &format!("/api/v1/tags/{tag_id}/confirm"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let suggested = api
        .api(
            Method::GET,
            &format!("/api/v1/tags?state=suggested&feedback={}", ids[0]),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(suggested["items"].as_array().unwrap().len(), 0);
    let confirmed = api
        .api(
            Method::GET,
            &format!("/api/v1/tags?state=confirmed&feedback={}", ids[0]),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(confirmed["items"][0]["id"], tag_id);

    let bad = api
        .api(Method::GET, "/api/v1/tags?state=maybe", Some(&token), None)
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "state");
}

#[sqlx::test]
async fn a_new_token_is_shown_once_after_a_redirect_and_a_reload_creates_none(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, admin) = app.signed_in(Role::Admin).await;
    let res = client
        .post_form(
            "/admin/tokens",
            &[
                ("label", "Zendesk webhook"),
                ("user_id", &admin.id.to_string()),
                ("expires", "30"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), Some("/admin/tokens"));
    assert!(!res.body.contains("gt_"));

    let shown = client.get("/admin/tokens").await;
    let start =
        shown.body.find("id=\"new-token\">").expect("token shown") + "id=\"new-token\">".len();
    let token: String = shown.body[start..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    assert!(token.starts_with("gt_"));

    let reload = client.get("/admin/tokens").await;
    assert_eq!(reload.status, StatusCode::OK);
    assert!(!reload.body.contains(&token), "shown once only");
    assert!(!reload.body.contains("id=\"new-token\""));
    assert_eq!(
        app.count("select count(*) from api_tokens").await,
        1,
        "a reload creates no token"
    );
    let days: f64 = sqlx::query_scalar(
        "select extract(epoch from expires_at - now())::float8 / 86400 from api_tokens",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        (29.9..30.1).contains(&days),
        "expires in the chosen 30 days: {days}"
    );

    let mut api = app.client();
    let me = api.api(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK);

    let bad = client
        .post_form(
            "/admin/tokens",
            &[
                ("label", "x"),
                ("user_id", &admin.id.to_string()),
                ("expires", "forever"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Choose when the token expires"));
}

#[sqlx::test]
async fn revoked_and_expired_tokens_say_so_as_problems(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let admin = app.user(Role::Admin).await;
    let pm = app.user(Role::Pm).await;
    let (revoked_id, revoked) =
        goldthread::admin::issue_token(&app.pool, &Actor::User(&admin), pm.id, "old script")
            .await
            .unwrap();
    goldthread::admin::revoke_token(&app.pool, &Actor::User(&admin), revoked_id)
        .await
        .unwrap();
    let soon = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let (expired_id, expired) = goldthread::admin::issue_token_expiring(
        &app.pool,
        &Actor::User(&admin),
        pm.id,
        "trial",
        Some(soon),
    )
    .await
    .unwrap();
    let mut api = app.client();
    let ok = api
        .api(Method::GET, "/api/v1/me", Some(&expired), None)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "valid until it expires");
    sqlx::query("update api_tokens set expires_at = now() - interval '1 hour' where id = $1")
        .bind(expired_id)
        .execute(&app.pool)
        .await
        .unwrap();

    for (token, word) in [(&revoked, "revoked"), (&expired, "expired")] {
        let res = api.api(Method::GET, "/api/v1/me", Some(token), None).await;
        let p = assert_problem(&res, StatusCode::UNAUTHORIZED, "Authorization");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("This token was {word}"))
                || p["detail"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("This token {word}")),
            "{p}"
        );
        assert!(res.headers.get(header::WWW_AUTHENTICATE).is_some());
    }

    let (mut client, _) = app.signed_in(Role::Admin).await;
    let page = client.get("/admin/tokens").await;
    assert!(page.body.contains("Expired"));
    assert!(page.body.contains("Revoked"));
}

#[sqlx::test]
async fn what_the_document_cannot_type_is_answered_as_it_says(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Admin).await;
    let mut api = app.client();
    // A parameter sent empty is refused (the document gives every text parameter minLength 1).
    let res = api
        .api(
            Method::GET,
            "/api/v1/feedback?q=&source=",
            Some(&token),
            None,
        )
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "q");
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "source")
    );
    // 3.0 is the whole number 3, as JSON Schema counts it.
    let res = api
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"source": "nps", "body": "Great", "nps_score": 9.0})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(
        app.count("select count(*) from feedback where nps_score = 9")
            .await,
        1
    );
    // Well-formed, but naming what nothing has: 409 on the field, nothing written.
    let res = api
        .api(
            Method::POST,
            "/api/v1/questions",
            Some(&token),
            Some(json!({"text": "Does it support SSO?", "theme_id": 999_999})),
        )
        .await;
    assert_problem(&res, StatusCode::CONFLICT, "theme_id");
    let res = api
        .api(
            Method::POST,
            "/api/v1/launches",
            Some(&token),
            Some(json!({"name": "Owned by nobody", "owner_id": "999999"})),
        )
        .await;
    assert_problem(&res, StatusCode::CONFLICT, "owner_id");
    assert_eq!(app.count("select count(*) from questions").await, 0);
    assert_eq!(app.count("select count(*) from launches").await, 0);
    // A name already taken is a clash too.
    for expected in [StatusCode::CREATED, StatusCode::CONFLICT] {
        let res = api
            .api(
                Method::POST,
                "/api/v1/themes",
                Some(&token),
                Some(json!({"name": "Card fees"})),
            )
            .await;
        assert_eq!(res.status, expected, "{}", res.body);
    }
    // Launch days read back as days, not as [year, ordinal].
    let res = api
        .api(
            Method::POST,
            "/api/v1/launches",
            Some(&token),
            Some(json!({"name": "Dated", "target_date": "2027-03-31"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["target_date"], "2027-03-31");
    // A support ticket's fields that Goldthread does not read are ignored, whatever they hold;
    // the ones it reads are checked.
    let res = api
        .api(
            Method::POST,
            "/api/v1/webhooks/support",
            Some(&token),
            Some(json!({"id": "T-1", "description": "Card never came", "tool_tag": "x\u{1}"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = api
        .api(
            Method::POST,
            "/api/v1/webhooks/support",
            Some(&token),
            Some(json!({"id": "T-2", "description": "Card", "subject": "x\u{1}"})),
        )
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "subject");
    // An address is trimmed; one that is not http(s) is refused.
    let res = api
        .api(
            Method::POST,
            "/api/v1/outgoing-webhooks",
            Some(&token),
            Some(json!({"name": "x", "url": "ftp://chat.example", "events": ["guide_published"]})),
        )
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY, "url");
}
