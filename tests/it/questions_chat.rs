//! The chat slash command: signed like Slack, stale or unsigned requests refused, the question
//! logged, and the answer carries the matching FAQ entry and a link.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use goldthread::auth::Role;
use goldthread::launches::guide::{Faq, GuideContent};
use goldthread::questions::chat::sign;
use sqlx::PgPool;

use crate::helpers::{TestApp, TestResponse};
use crate::home::publish_guide;
use crate::launches::launch;

const SECRET: &str = "chat-signing-secret-for-tests";

async fn send(
    app: &TestApp,
    body: &str,
    ts: i64,
    signature: Option<String>,
    ours: bool,
) -> TestResponse {
    let (sig_h, ts_h) = if ours {
        ("X-Goldthread-Signature", "X-Goldthread-Request-Timestamp")
    } else {
        ("X-Slack-Signature", "X-Slack-Request-Timestamp")
    };
    let mut b = Request::post("/api/v1/webhooks/chat")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(ts_h, ts.to_string());
    if let Some(s) = signature {
        b = b.header(sig_h, s);
    }
    app.client()
        .request(b.body(Body::from(body.to_owned())).unwrap())
        .await
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[sqlx::test]
async fn a_signed_command_is_logged_and_answered_with_the_faq_entry(pool: PgPool) {
    let app = TestApp::with_config(pool, |c| {
        c.chat_signing_secret = Some(SECRET.into());
        c.public_url = Some("https://hub.example.com".into());
    })
    .await;
    let seller = app.user(Role::Revenue).await;
    let l = launch(&app.pool, "Approval rules", &[]).await;
    publish_guide(
        &app,
        l,
        GuideContent {
            faq: vec![Faq {
                q: "Can admins turn off approval rules for one team?".into(),
                a: "Yes, under Settings → Approvals.".into(),
            }],
            ..Default::default()
        },
    )
    .await;
    let local = seller.email.split('@').next().unwrap().to_owned();
    let body = format!(
        "token=x&team_id=T1&channel_name=deal-desk&user_name={local}&command=%2Fask&text=can+an+admin+turn+off+approval+rules+for+one+team%3F"
    );
    let ts = now();
    let res = send(
        &app,
        &body,
        ts,
        Some(sign(SECRET, &ts.to_string(), body.as_bytes())),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let reply = res.json();
    assert_eq!(reply["response_type"], "ephemeral");
    let text = reply["text"].as_str().unwrap();
    let id: i64 = app.count("select max(id) from questions").await;
    assert!(
        text.contains(&format!("Logged as question #{id}")),
        "{text}"
    );
    assert!(text.contains(&format!("https://hub.example.com/questions/{id}")));
    assert!(text.contains("Yes, under Settings → Approvals."), "{text}");
    assert!(text.contains(&format!("https://hub.example.com/launches/{l}/guide")));
    let (channel, asker, team): (String, Option<i64>, String) =
        sqlx::query_as("select channel, asked_by_id, team from questions where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (channel.as_str(), asker, team.as_str()),
        ("chat", Some(seller.id), "sales")
    );

    // Our own header names work too; a person without an account is kept by name.
    let body = "user_name=guest.person&channel_name=x&text=Is+there+a+nonprofit+discount%3F";
    let ts = now();
    let res = send(
        &app,
        body,
        ts,
        Some(sign(SECRET, &ts.to_string(), body.as_bytes())),
        true,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        !res.json()["text"].as_str().unwrap().contains("FAQ"),
        "nothing matches"
    );
    let name: Option<String> =
        sqlx::query_scalar("select asked_by_name from questions order by id desc limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(name.as_deref(), Some("guest.person"));

    // An empty question is answered with how to ask, and nothing is logged.
    let body = "user_name=x&text=";
    let ts = now();
    let before = app.count("select count(*) from questions").await;
    let res = send(
        &app,
        body,
        ts,
        Some(sign(SECRET, &ts.to_string(), body.as_bytes())),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.json()["text"]
            .as_str()
            .unwrap()
            .contains("Type your question")
    );
    assert_eq!(app.count("select count(*) from questions").await, before);
}

#[sqlx::test]
async fn bad_signatures_and_stale_timestamps_are_refused(pool: PgPool) {
    let app = TestApp::with_config(pool, |c| c.chat_signing_secret = Some(SECRET.into())).await;
    let body = "user_name=x&text=when+does+it+ship";
    let ts = now();
    let problem = |res: &TestResponse, status: StatusCode, words: &str| {
        assert_eq!(res.status, status, "{}", res.body);
        assert_eq!(res.content_type(), "application/problem+json");
        assert!(res.body.contains(words), "{}", res.body);
    };
    let wrong = sign("another secret", &ts.to_string(), body.as_bytes());
    problem(
        &send(&app, body, ts, Some(wrong), false).await,
        StatusCode::UNAUTHORIZED,
        "signature does not match",
    );
    let tampered = sign(SECRET, &ts.to_string(), b"user_name=x&text=other");
    problem(
        &send(&app, body, ts, Some(tampered), false).await,
        StatusCode::UNAUTHORIZED,
        "signature does not match",
    );
    problem(
        &send(&app, body, ts, None, false).await,
        StatusCode::UNAUTHORIZED,
        "x-slack-signature",
    );
    let old = ts - 301;
    let stale = sign(SECRET, &old.to_string(), body.as_bytes());
    problem(
        &send(&app, body, old, Some(stale), false).await,
        StatusCode::UNAUTHORIZED,
        "more than 5 minutes",
    );
    let future = ts + 400;
    let ahead = sign(SECRET, &future.to_string(), body.as_bytes());
    problem(
        &send(&app, body, future, Some(ahead), false).await,
        StatusCode::UNAUTHORIZED,
        "more than 5 minutes",
    );
    assert_eq!(app.count("select count(*) from questions").await, 0);

    // Without a configured secret every request is refused, saying how to turn it on.
    let off = TestApp::new(app.pool.clone()).await;
    let good = sign(SECRET, &ts.to_string(), body.as_bytes());
    let res = send(&off, body, ts, Some(good), false).await;
    problem(
        &res,
        StatusCode::NOT_FOUND,
        "GOLDTHREAD_CHAT_SIGNING_SECRET",
    );
}
