//! Home pages per role: each role's home shows that role's own items.

use axum::http::StatusCode;
use goldthread::audit::Actor;
use goldthread::auth::Role;
use goldthread::launches::edit::{self, Saved};
use goldthread::launches::guide::GuideContent;
use sqlx::PgPool;

use crate::helpers::{TestApp, account, feedback, tag, theme};
use crate::launches::launch;

/// Publish a first guide revision for `launch_id` (written and reviewed by new users).
pub async fn publish_guide(app: &TestApp, launch_id: i64, content: GuideContent) {
    let writer = app.user(Role::Pm).await;
    let reviewer = app.user(Role::ProductOps).await;
    let head = goldthread::launches::db::guide_state(&app.pool, launch_id)
        .await
        .unwrap()
        .and_then(|g| g.head_number);
    let saved = edit::save_guide(
        &app.pool,
        &Actor::User(&writer),
        launch_id,
        head,
        &content,
        "first",
        false,
    )
    .await
    .unwrap();
    assert!(matches!(saved, Saved::Revision(_)));
    edit::submit(
        &app.pool,
        &Actor::User(&writer),
        launch_id,
        Some(reviewer.id),
    )
    .await
    .unwrap();
    edit::approve(&app.pool, &Actor::User(&reviewer), launch_id)
        .await
        .unwrap();
}

async fn question(
    pool: &PgPool,
    text: &str,
    team: &str,
    launch: Option<i64>,
    asker: Option<i64>,
) -> i64 {
    sqlx::query_scalar(
        "insert into questions (text, team, channel, kind, launch_id, asked_by_id, asked_at)
         values ($1, $2, 'chat', 'awareness', $3, $4, now() - interval '2 days') returning id",
    )
    .bind(text)
    .bind(team)
    .bind(launch)
    .bind(asker)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id} in {body}"));
    let rest = &body[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

#[sqlx::test]
async fn the_pm_home_shows_rising_themes_unanswered_themes_and_questions_waiting_on_them(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    let (mut pm, me) = app.signed_in(Role::Pm).await;
    let rising = theme(&app.pool, "Receipt capture", "receipt").await;
    let answered = theme(&app.pool, "Approvals", "approval").await;
    for days in [8, 9, 10, 12, 15] {
        let f = feedback(&app.pool, "sales", "Receipts get lost", None, None, days).await;
        tag(&app.pool, f, rising, "suggested").await;
        let g = feedback(&app.pool, "sales", "Approvals are slow", None, None, days).await;
        tag(&app.pool, g, answered, "confirmed").await;
    }
    let mine = launch(&app.pool, "Approval rules", &[answered]).await;
    sqlx::query("update launches set owner_id = $1 where id = $2")
        .bind(me.id)
        .bind(mine)
        .execute(&app.pool)
        .await
        .unwrap();
    let other = launch(&app.pool, "Wallets", &[]).await;
    question(
        &app.pool,
        "When do approval rules reach the EU?",
        "sales",
        Some(mine),
        None,
    )
    .await;
    question(
        &app.pool,
        "Do wallets support yen?",
        "sales",
        Some(other),
        None,
    )
    .await;

    let home = pm.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains("Coming to this hub"), "no placeholder");
    let rising_html = section(&home.body, "home-rising");
    assert!(rising_html.contains("Receipt capture"), "{rising_html}");
    let unanswered = section(&home.body, "home-no-launch");
    assert!(unanswered.contains("Receipt capture"), "{unanswered}");
    assert!(!unanswered.contains("Approvals"), "a launch answers it");
    let waiting = section(&home.body, "home-waiting");
    assert!(
        waiting.contains("When do approval rules reach the EU?"),
        "{waiting}"
    );
    assert!(!waiting.contains("yen"), "not their launch");
    assert!(waiting.contains("2 open questions in all"));
    let reviews = section(&home.body, "home-reviews");
    assert!(reviews.contains("5 suggested tags"), "{reviews}");
    assert!(!home.body.contains("id=\"home-health\""), "not an admin");
    assert!(!home.body.contains("id=\"home-quick\""));
}

#[sqlx::test]
async fn the_revenue_home_shows_guides_to_acknowledge_accounts_asking_and_their_questions(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    let (mut rev, me) = app.signed_in(Role::Revenue).await;
    let t = theme(&app.pool, "Multi-currency", "currency").await;
    let wallets = launch(&app.pool, "Wallets", &[t]).await;
    publish_guide(
        &app,
        wallets,
        GuideContent {
            value: "Hold money in 30 currencies.".into(),
            ..Default::default()
        },
    )
    .await;
    let acme = account(&app.pool, "Acme Travel", "smb", 100_000).await;
    let other = account(&app.pool, "Other Co", "smb", 100_000).await;
    sqlx::query("update accounts set owner_id = $1 where id = $2")
        .bind(me.id)
        .bind(acme)
        .execute(&app.pool)
        .await
        .unwrap();
    for a in [acme, other] {
        let f = feedback(
            &app.pool,
            "sales",
            "We need EUR balances",
            Some(a),
            None,
            30,
        )
        .await;
        tag(&app.pool, f, t, "confirmed").await;
    }
    question(
        &app.pool,
        "Is yen supported in wallets?",
        "sales",
        None,
        Some(me.id),
    )
    .await;
    question(&app.pool, "Someone else's question", "sales", None, None).await;

    let home = rev.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let quick = section(&home.body, "home-quick");
    assert!(quick.contains("action=\"/questions\"") && quick.contains("action=\"/feedback\""));
    assert!(section(&home.body, "home-acknowledge").contains("Wallets"));
    let shipping = section(&home.body, "home-shipping");
    assert!(
        shipping.contains("Acme Travel") && shipping.contains("Wallets"),
        "{shipping}"
    );
    assert!(!shipping.contains("Other Co"), "not their account");
    let mine = section(&home.body, "home-my-questions");
    assert!(mine.contains("Is yen supported in wallets?"));
    assert!(!mine.contains("Someone else"));
    assert!(!home.body.contains("id=\"home-rising\""), "not a PM");

    // Once acknowledged, the guide leaves the list.
    let res = rev
        .post_form(&format!("/launches/{wallets}/guide/acknowledge"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let home = rev.get("/").await;
    assert!(!section(&home.body, "home-acknowledge").contains("Wallets"));

    // The quick box logs a question.
    let res = rev
        .post_form(
            "/questions",
            &[("text", "How do we move customers to wallets?")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[sqlx::test]
async fn the_product_ops_home_shows_readiness_trends_and_the_triage_backlog(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    launch(&app.pool, "Approval rules", &[]).await;
    feedback(
        &app.pool,
        "support",
        "The card was declined twice",
        None,
        None,
        1,
    )
    .await;
    feedback(&app.pool, "support", "Where is my refund", None, None, 2).await;
    feedback(&app.pool, "sales", "Not support", None, None, 2).await;
    let home = ops.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let readiness = section(&home.body, "home-readiness");
    assert!(
        readiness.contains("Approval rules") && readiness.contains("teams ready"),
        "{readiness}"
    );
    assert!(home.body.contains("id=\"home-share\""));
    assert!(home.body.contains("id=\"home-nps\""));
    let triage = section(&home.body, "home-triage");
    assert!(triage.contains("2 support items wait"), "{triage}");
    assert!(!home.body.contains("id=\"home-health\""));
}

#[sqlx::test]
async fn the_admin_home_adds_users_tokens_jobs_and_imports(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    app.token(Role::Revenue).await;
    let home = admin.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let health = section(&home.body, "home-health");
    assert!(
        health.contains("Users") && health.contains("API tokens"),
        "{health}"
    );
    assert!(health.contains("Jobs") && health.contains("Imports"));
    assert!(
        home.body.contains("id=\"home-readiness\""),
        "the product ops items too"
    );
    assert!(home.body.contains("id=\"home-rising\""), "and the PM's");

    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let home = viewer.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("id=\"home-readiness\""));
    assert!(
        !home.body.contains("id=\"home-triage\""),
        "viewers do not triage"
    );
    assert!(!home.body.contains("id=\"home-health\""));
}
