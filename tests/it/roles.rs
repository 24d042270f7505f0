//! The route × role matrix: every route, every role, allowed or refused. Later features add rows.

use axum::http::StatusCode;
use goldthread::audit::Actor;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::TestApp;

const ALL: &[Role] = &[
    Role::Admin,
    Role::ProductOps,
    Role::Pm,
    Role::Revenue,
    Role::Viewer,
];
const ADMIN: &[Role] = &[Role::Admin];
const LOGGERS: &[Role] = &[Role::Admin, Role::ProductOps, Role::Pm, Role::Revenue];
const DATA: &[Role] = &[Role::Admin, Role::ProductOps];
const MANAGE_DATA: &[Role] = DATA;
const CURATORS: &[Role] = &[Role::Admin, Role::ProductOps, Role::Pm];
/// Create, edit, merge themes and review tags: pm, product_ops, admin.
const EDIT_THEMES: &[Role] = &[Role::Admin, Role::ProductOps, Role::Pm];
/// Launches: pm, product_ops, admin edit and write guides; product_ops and admin review and
/// keep checklists; whoever acknowledges (admin, product_ops, revenue) ticks their own team's items.
const EDIT_LAUNCHES: &[Role] = EDIT_THEMES;
const REVIEW_GUIDES: &[Role] = DATA;
const ACKNOWLEDGERS: &[Role] = &[Role::Admin, Role::ProductOps, Role::Revenue];

enum Method {
    Get,
    /// A POST with a valid CSRF token and the given (harmless) fields.
    Post(&'static [(&'static str, &'static str)]),
}

struct RouteCase {
    method: Method,
    path: &'static str,
    allowed: &'static [Role],
}

/// `{user}` is another user's id, `{token}` an API token's id, `{feedback}` an item logged by
/// someone else (so only curators may edit it), `{import}` a staged import.
fn matrix() -> Vec<RouteCase> {
    use Method::*;
    let launches: Vec<RouteCase> = [
        (Get, "/launches", ALL),
        (Get, "/launches/new", EDIT_LAUNCHES),
        (Post(&[("name", "")]), "/launches", EDIT_LAUNCHES),
        (Get, "/launches/{launch}", ALL),
        (Get, "/launches/{launch}/edit", EDIT_LAUNCHES),
        (
            Post(&[("name", "")]),
            "/launches/{launch}/edit",
            EDIT_LAUNCHES,
        ),
        (
            Post(&[("team", "")]),
            "/launches/{launch}/checklist",
            REVIEW_GUIDES,
        ),
        (
            Post(&[("done", "false")]),
            "/launches/{launch}/checklist/{item}",
            ACKNOWLEDGERS,
        ),
        (
            Get,
            "/launches/{launch}/checklist/{item}/remove",
            REVIEW_GUIDES,
        ),
        (
            Post(&[]),
            "/launches/{launch}/checklist/999999/remove",
            REVIEW_GUIDES,
        ),
        (Post(&[]), "/launches/{launch}/tasks", EDIT_LAUNCHES),
        (
            Post(&[("done", "false")]),
            "/launches/{launch}/tasks/{task}",
            REVIEW_GUIDES,
        ),
        (Get, "/launches/{launch}/tell.csv", ALL),
        (Get, "/readiness", ALL),
        (Get, "/launches/{launch}/guide", ALL),
        (Get, "/launches/{launch}/guide/edit", EDIT_LAUNCHES),
        (
            Post(&[("action", "preview")]),
            "/launches/{launch}/guide/edit",
            EDIT_LAUNCHES,
        ),
        (Get, "/launches/{launch}/guide/history", ALL),
        (
            Post(&[("revision", "999")]),
            "/launches/{launch}/guide/restore",
            EDIT_LAUNCHES,
        ),
        (
            Post(&[("reviewer_id", "")]),
            "/launches/{launch}/guide/submit",
            EDIT_LAUNCHES,
        ),
        (Post(&[]), "/launches/{launch}/guide/approve", REVIEW_GUIDES),
        (
            Post(&[("comment", "")]),
            "/launches/{launch}/guide/send-back",
            REVIEW_GUIDES,
        ),
        (
            Post(&[]),
            "/launches/{launch}/guide/acknowledge",
            ACKNOWLEDGERS,
        ),
    ]
    .into_iter()
    .map(|(method, path, allowed)| RouteCase {
        method,
        path,
        allowed,
    })
    .collect();
    let mut cases = vec![
        RouteCase {
            method: Get,
            path: "/",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/admin",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/admin/users",
            allowed: ADMIN,
        },
        RouteCase {
            method: Post(&[("name", "")]),
            path: "/admin/users",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/admin/users/{user}",
            allowed: ADMIN,
        },
        RouteCase {
            method: Post(&[("role", "nope")]),
            path: "/admin/users/{user}",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/admin/users/{user}/disable",
            allowed: ADMIN,
        },
        RouteCase {
            method: Post(&[]),
            path: "/admin/users/{user}/disable",
            allowed: ADMIN,
        },
        RouteCase {
            method: Post(&[]),
            path: "/admin/users/{user}/enable",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/admin/tokens",
            allowed: ADMIN,
        },
        RouteCase {
            method: Post(&[("label", "")]),
            path: "/admin/tokens",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/admin/tokens/{token}/revoke",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/admin/audit",
            allowed: ADMIN,
        },
        RouteCase {
            method: Get,
            path: "/feedback",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/feedback?q=card&source=support",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/feedback/new",
            allowed: LOGGERS,
        },
        RouteCase {
            method: Post(&[("body", "")]),
            path: "/feedback",
            allowed: LOGGERS,
        },
        RouteCase {
            method: Get,
            path: "/feedback/export.csv",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/feedback/export.json",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/feedback/{feedback}",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/feedback/{feedback}/edit",
            allowed: CURATORS,
        },
        RouteCase {
            method: Post(&[("body", "")]),
            path: "/feedback/{feedback}/edit",
            allowed: CURATORS,
        },
        RouteCase {
            method: Get,
            path: "/feedback/{feedback}/archive",
            allowed: CURATORS,
        },
        RouteCase {
            method: Post(&[]),
            path: "/feedback/{feedback}/restore",
            allowed: CURATORS,
        },
        RouteCase {
            method: Get,
            path: "/imports",
            allowed: DATA,
        },
        RouteCase {
            method: Get,
            path: "/imports/{import}",
            allowed: DATA,
        },
        RouteCase {
            method: Get,
            path: "/themes",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/themes/{theme}",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/themes/new",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[("name", "")]),
            path: "/themes",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Get,
            path: "/themes/{theme}/edit",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[("name", "")]),
            path: "/themes/{theme}/edit",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Get,
            path: "/themes/{theme}/archive",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[]),
            path: "/themes/{theme}/archive",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[]),
            path: "/themes/{theme}/restore",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Get,
            path: "/themes/{theme}/merge",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[("target_id", "")]),
            path: "/themes/{theme}/merge",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[]),
            path: "/themes/merges/999999/undo",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Get,
            path: "/themes/{theme}/split",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[("name", "")]),
            path: "/themes/{theme}/split",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[]),
            path: "/themes/retag",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Get,
            path: "/themes/jobs/{job}",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/themes/review",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Post(&[("decision", "confirm")]),
            path: "/themes/review",
            allowed: EDIT_THEMES,
        },
        RouteCase {
            method: Get,
            path: "/themes/emerging",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/nps",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/accounts",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/accounts/new",
            allowed: MANAGE_DATA,
        },
        RouteCase {
            method: Post(&[("name", "")]),
            path: "/accounts/new",
            allowed: MANAGE_DATA,
        },
        RouteCase {
            method: Get,
            path: "/accounts/{account}",
            allowed: ALL,
        },
        RouteCase {
            method: Get,
            path: "/accounts/{account}/edit",
            allowed: MANAGE_DATA,
        },
        RouteCase {
            method: Post(&[("name", "")]),
            path: "/accounts/{account}/edit",
            allowed: MANAGE_DATA,
        },
    ];
    cases.extend(launches);
    cases
}

#[sqlx::test]
async fn every_route_checks_the_role(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let target = app.user(Role::Viewer).await;
    let issuer = app.user(Role::Admin).await;
    let (token_id, _) =
        goldthread::admin::issue_token(&app.pool, &Actor::User(&issuer), target.id, "matrix")
            .await
            .unwrap();

    let feedback: i64 = sqlx::query_scalar(
        "insert into feedback (source, body, reporter_id) values ('sales', 'matrix note', $1) returning id",
    )
    .bind(issuer.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let import: i64 = sqlx::query_scalar(
        "insert into import_batches (kind, filename, format, user_id) values ('feedback', 'm.csv', 'Goldthread CSV', $1) returning id",
    )
    .bind(issuer.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();

    let account = goldthread::accounts::db::insert(
        &app.pool,
        &goldthread::accounts::AccountInput {
            external_id: Some("matrix".into()),
            name: Some("Matrix Co".into()),
            ..Default::default()
        }
        .validate()
        .unwrap(),
        None,
    )
    .await
    .unwrap();
    let theme = crate::helpers::theme(&app.pool, "Matrix theme", "matrix").await;
    let job = goldthread::themes::tagging::enqueue_retag(&app.pool, None)
        .await
        .unwrap();
    let launch = crate::launches::launch(&app.pool, "Matrix launch", &[theme]).await;
    let item = goldthread::launches::edit::add_checklist_item(
        &app.pool,
        &Actor::System("test"),
        launch,
        "sales",
        "Matrix item",
    )
    .await
    .unwrap();
    let asked =
        crate::helpers::feedback(&app.pool, "sales", "matrix ask", Some(account), None, 1).await;
    crate::helpers::tag(&app.pool, asked, theme, "confirmed").await;
    goldthread::launches::db::create_tasks(&app.pool, launch)
        .await
        .unwrap();
    let task = goldthread::launches::db::tasks(&app.pool, launch)
        .await
        .unwrap()[0]
        .id;

    let mut failures = Vec::new();
    for role in ALL {
        let (mut client, _) = app.signed_in(*role).await;
        for case in matrix() {
            let path = case
                .path
                .replace("{user}", &target.id.to_string())
                .replace("{token}", &token_id.to_string())
                .replace("{feedback}", &feedback.to_string())
                .replace("{import}", &import.to_string())
                .replace("{theme}", &theme.to_string())
                .replace("{job}", &job.to_string())
                .replace("{account}", &account.to_string())
                .replace("{launch}", &launch.to_string())
                .replace("{item}", &item.to_string())
                .replace("{task}", &task.to_string());
            let res = match case.method {
                Method::Get => client.get(&path).await,
                Method::Post(fields) => client.post_form(&path, fields).await,
            };
            let allowed = case.allowed.contains(role);
            let ok = if allowed {
                res.status != StatusCode::FORBIDDEN
                    && !res.location().is_some_and(|l| l.starts_with("/signin"))
            } else {
                res.status == StatusCode::FORBIDDEN
            };
            if !ok || res.status.is_server_error() {
                failures.push(format!(
                    "{} {} as {}: got {} (expected {})",
                    match case.method {
                        Method::Get => "GET",
                        Method::Post(_) => "POST",
                    },
                    path,
                    role,
                    res.status,
                    if allowed { "allowed" } else { "403" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "route × role matrix:\n{}",
        failures.join("\n")
    );
}

#[sqlx::test]
async fn anonymous_visitors_are_sent_to_sign_in_everywhere(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let mut client = app.client();
    for case in matrix() {
        if !matches!(case.method, Method::Get) {
            continue;
        }
        let path = case
            .path
            .replace("{user}", "1")
            .replace("{token}", "1")
            .replace("{feedback}", "1")
            .replace("{import}", "1")
            .replace("{theme}", "1")
            .replace("{job}", "1")
            .replace("{account}", "1")
            .replace("{launch}", "1")
            .replace("{item}", "1")
            .replace("{task}", "1");
        let res = client.get(&path).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "GET {path}");
        assert!(
            res.location().unwrap_or("").starts_with("/signin"),
            "GET {path}"
        );
    }
    let api = client
        .api(axum::http::Method::GET, "/api/v1/me", None, None)
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
}

/// The API side of the matrix: each role's token against each API route.
#[sqlx::test]
async fn every_api_route_checks_the_role(pool: PgPool) {
    use axum::http::Method as M;
    let app = TestApp::new(pool).await;
    let launch = crate::launches::launch(&app.pool, "API matrix launch", &[]).await;
    let at = |p: &str| -> &'static str {
        Box::leak(p.replace("{id}", &launch.to_string()).into_boxed_str())
    };
    use serde_json::json;
    let mut cases: Vec<(M, &str, Option<serde_json::Value>, &[Role])> = vec![
        (M::GET, "/api/v1/launches", None, ALL),
        (
            M::POST,
            "/api/v1/launches",
            Some(json!({"name": ""})),
            EDIT_LAUNCHES,
        ),
        (M::GET, at("/api/v1/launches/{id}"), None, ALL),
        (
            M::PUT,
            at("/api/v1/launches/{id}"),
            Some(json!({"name": ""})),
            EDIT_LAUNCHES,
        ),
        (
            M::PUT,
            at("/api/v1/launches/{id}/themes"),
            Some(json!({"theme_ids": []})),
            EDIT_LAUNCHES,
        ),
        (M::GET, at("/api/v1/launches/{id}/guide"), None, ALL),
        (
            M::POST,
            at("/api/v1/launches/{id}/guide"),
            Some(json!({"base_revision": 999, "value": "x"})),
            EDIT_LAUNCHES,
        ),
        (
            M::GET,
            at("/api/v1/launches/{id}/guide/revisions"),
            None,
            ALL,
        ),
        (
            M::POST,
            at("/api/v1/launches/{id}/acknowledgements"),
            Some(json!({})),
            ACKNOWLEDGERS,
        ),
        (M::GET, at("/api/v1/launches/{id}/tasks"), None, ALL),
        (
            M::POST,
            at("/api/v1/launches/{id}/tasks"),
            None,
            EDIT_LAUNCHES,
        ),
        (
            M::PUT,
            at("/api/v1/launches/{id}/tasks/999999"),
            Some(json!({"done": true})),
            ACKNOWLEDGERS,
        ),
    ];
    cases.extend(vec![
        (M::GET, "/api/v1/me", None, ALL),
        (M::GET, "/api/v1/feedback", None, ALL),
        (M::GET, "/api/v1/accounts", None, ALL),
        (
            M::POST,
            "/api/v1/accounts",
            Some(serde_json::json!({"external_id": "matrix-api", "name": "Matrix API Co"})),
            DATA,
        ),
        (M::GET, "/api/v1/themes", None, ALL),
        (
            M::POST,
            "/api/v1/themes",
            Some(serde_json::json!({"name": "Matrix API theme"})),
            EDIT_THEMES,
        ),
        (
            M::POST,
            "/api/v1/feedback",
            Some(serde_json::json!({"source": "sales", "body": "matrix"})),
            LOGGERS,
        ),
        (
            M::POST,
            "/api/v1/webhooks/support",
            Some(serde_json::json!({"id": "m1", "description": "matrix"})),
            LOGGERS,
        ),
    ]);
    let mut failures = Vec::new();
    for role in ALL {
        let (token, _) = app.token(*role).await;
        let mut client = app.client();
        for (method, path, body, allowed) in &cases {
            let res = client
                .api(method.clone(), path, Some(&token), body.clone())
                .await;
            // Allowed means not refused: a second role re-creating the same theme may get a 422.
            let ok = if allowed.contains(role) {
                res.status != StatusCode::FORBIDDEN
                    && res.status != StatusCode::UNAUTHORIZED
                    && !res.status.is_server_error()
            } else {
                res.status == StatusCode::FORBIDDEN
                    && res.content_type() == "application/problem+json"
            };
            if !ok {
                failures.push(format!("{method} {path} as {role}: got {}", res.status));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "API route × role matrix:\n{}",
        failures.join("\n")
    );
}
