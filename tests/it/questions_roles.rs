//! The route × role matrix of the questions pages (dashboard, form, question page, triage,
//! repeated questions) and the home page.

use axum::http::StatusCode;
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
const LOGGERS: &[Role] = &[Role::Admin, Role::ProductOps, Role::Pm, Role::Revenue];
const ANSWERERS: &[Role] = &[Role::Admin, Role::ProductOps, Role::Pm];

enum M {
    Get,
    Post(&'static [(&'static str, &'static str)]),
}

#[sqlx::test]
async fn every_questions_route_checks_the_role(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let q: i64 = sqlx::query_scalar(
        "insert into questions (text, team, channel, kind) values ('A feature request', 'support', 'chat', 'other') returning id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let cases: Vec<(M, String, &[Role])> = vec![
        (M::Get, "/".into(), ALL),
        (M::Get, "/questions".into(), ALL),
        (
            M::Get,
            "/questions?team=sales&channel=chat&launch=1&from=2026-01-01".into(),
            ALL,
        ),
        (M::Get, "/questions/weekly.csv".into(), ALL),
        (M::Get, "/questions/new".into(), LOGGERS),
        (M::Post(&[("text", "")]), "/questions".into(), LOGGERS),
        (M::Get, format!("/questions/{q}"), ALL),
        (
            M::Post(&[("answer", "")]),
            format!("/questions/{q}/answer"),
            ANSWERERS,
        ),
        (
            M::Post(&[("kind", "bogus")]),
            format!("/questions/{q}/kind"),
            ANSWERERS,
        ),
        (
            M::Post(&[("choice", "")]),
            format!("/questions/{q}/launch"),
            LOGGERS,
        ),
        (M::Post(&[]), "/questions/999999/feedback".into(), LOGGERS),
        (M::Get, "/questions/triage".into(), ANSWERERS),
        (
            M::Post(&[("item_type", "x")]),
            "/questions/triage".into(),
            ANSWERERS,
        ),
        (M::Get, "/questions/triage/summary.txt".into(), ANSWERERS),
        (M::Get, "/questions/repeated".into(), ALL),
        (
            M::Post(&[("question_id", "")]),
            "/questions/repeated/faq".into(),
            ANSWERERS,
        ),
    ];
    for role in [
        Role::Admin,
        Role::ProductOps,
        Role::Pm,
        Role::Revenue,
        Role::Viewer,
    ] {
        let (mut client, _) = app.signed_in(role).await;
        for (method, path, allowed) in &cases {
            let res = match method {
                M::Get => client.get(path).await,
                M::Post(fields) => client.post_form(path, fields).await,
            };
            if allowed.contains(&role) {
                assert_ne!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{role} {path}: {}",
                    res.body
                );
                assert!(!res.status.is_server_error(), "{role} {path}: {}", res.body);
            } else {
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{role} {path}");
            }
        }
    }
    // Signed out: every page sends to sign-in.
    let mut anon = app.client();
    for (method, path, _) in &cases {
        if let M::Get = method {
            let res = anon.get(path).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
        }
    }
}
