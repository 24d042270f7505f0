//! Inbound questions: asked through the form and the API, classified, answered, corrected,
//! and counted on the dashboard.

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn a_sales_user_asks_a_pm_answers_and_the_dashboard_counts_it(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut sales, seller) = app.signed_in(Role::Revenue).await;
    let form = sales.get("/questions/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Your question"));

    // Bad input keeps what was typed and says why.
    let res = sales
        .post_form("/questions", &[("text", "  "), ("team", "finance")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Type the question"));
    assert!(
        res.body
            .contains("Choose sales, success, support, marketing or other")
    );

    let res = sales
        .post_form(
            "/questions",
            &[("text", "Which of my accounts are affected by the new approval rules, and what do we tell them before renewal?")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id: i64 = app.count("select max(id) from questions").await;
    let (kind, asker): (String, Option<i64>) =
        sqlx::query_as("select kind, asked_by_id from questions where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(kind, "readiness");
    assert_eq!(asker, Some(seller.id));
    let page = sales.get(&format!("/questions/{id}")).await;
    assert!(
        page.body.contains("Question logged as readiness"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Not answered yet."));
    assert!(!page.body.contains("Save answer"), "revenue cannot answer");

    let dash = sales.get("/questions").await;
    assert!(dash.body.contains("id=\"stat-open\">1<"), "{}", dash.body);

    // The PM answers with the minutes it took; a bad minutes value keeps the text.
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let res = pm
        .post_form(
            &format!("/questions/{id}/answer"),
            &[
                ("answer", "Send them the rollout note."),
                ("minutes", "lots"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Send them the rollout note."));
    assert!(res.body.contains("whole number from 0 to 1440"));
    let res = pm
        .post_form(
            &format!("/questions/{id}/answer"),
            &[("answer", "Send them the rollout note."), ("minutes", "12")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = sales.get(&format!("/questions/{id}")).await;
    assert!(page.body.contains("Send them the rollout note."));
    assert!(page.body.contains("12 minutes"));
    let dash = sales.get("/questions").await;
    assert!(dash.body.contains("id=\"stat-open\">0<"));
    assert!(
        dash.body.contains("0.2 h"),
        "12 minutes of PM time this month"
    );
    assert!(
        dash.body.contains("id=\"stat-share\">100 %<"),
        "{}",
        dash.body
    );
    let csv = sales.get("/questions/weekly.csv").await;
    assert!(csv.body.starts_with("week,team,awareness,readiness"));
    assert!(csv.body.contains(",sales,0,1,0,100,12"), "{}", csv.body);

    // Revenue may not answer or set kinds.
    let res = sales
        .post_form(&format!("/questions/{id}/kind"), &[("kind", "other")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let audited = app
        .count("select count(*) from audit_log where entity_type = 'question'")
        .await;
    assert_eq!(audited, 2, "asked and answered");
}

#[sqlx::test]
async fn an_override_teaches_the_classifier(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let question = "Could the Hollis team join the treasury dashboard pilot early?";
    pm.post_form("/questions", &[("text", question)]).await;
    let id: i64 = app.count("select max(id) from questions").await;
    let first: String = sqlx::query_scalar("select kind from questions where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let wanted = if first == "readiness" {
        "awareness"
    } else {
        "readiness"
    };
    let res = pm
        .post_form(&format!("/questions/{id}/kind"), &[("kind", wanted)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = pm.get(&format!("/questions/{id}")).await;
    assert!(page.body.contains("set by a person"));
    pm.post_form(
        "/questions",
        &[(
            "text",
            "Could the Hollis team join the treasury dashboard pilot early too?",
        )],
    )
    .await;
    let next: String = sqlx::query_scalar("select kind from questions order by id desc limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        next, wanted,
        "the next question like it follows the override"
    );
}

#[sqlx::test]
async fn the_weekly_share_skips_weeks_with_only_other_questions(pool: PgPool) {
    let app = TestApp::new(pool).await;
    // Three weeks ago: 1 awareness, 3 readiness; two weeks ago: only "other".
    sqlx::query(
        "insert into questions (text, team, kind, asked_at) values
         ('a', 'sales', 'awareness', now() - interval '21 days'),
         ('r1', 'sales', 'readiness', now() - interval '21 days'),
         ('r2', 'success', 'readiness', now() - interval '21 days'),
         ('r3', 'success', 'readiness', now() - interval '21 days'),
         ('o', 'support', 'other', now() - interval '14 days')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let dash = viewer.get("/questions").await;
    assert!(
        dash.body.contains("<td class=\"num\">1</td><td class=\"num\">3</td><td class=\"num\">0</td><td class=\"num\">75 %</td>"),
        "{}",
        dash.body
    );
    assert!(
        dash.body.contains("<td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">–</td>"),
        "a week with only other questions has no share"
    );
    let success = viewer.get("/questions?team=success").await;
    assert!(success.body.contains("<td class=\"num\">0</td><td class=\"num\">2</td><td class=\"num\">0</td><td class=\"num\">100 %</td>"));
}

#[sqlx::test]
async fn the_api_asks_lists_and_answers(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (revenue, _) = app.token(Role::Revenue).await;
    let (pm, _) = app.token(Role::Pm).await;
    let (viewer, _) = app.token(Role::Viewer).await;
    let mut c = app.client();
    let res = c
        .api(
            Method::POST,
            "/api/v1/questions",
            Some(&revenue),
            Some(json!({"text": "When does virtual cards ship to everyone?", "channel": "chat"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(created["kind"], "awareness");
    assert_eq!(created["channel"], "chat");
    let id = created["id"].as_i64().unwrap();
    let res = c
        .api(
            Method::POST,
            "/api/v1/questions",
            Some(&viewer),
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = c
        .api(
            Method::POST,
            "/api/v1/questions",
            Some(&revenue),
            Some(json!({"text": ""})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("\"text\""), "{}", res.body);
    let res = c
        .api(
            Method::GET,
            "/api/v1/questions?kind=awareness&status=open",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("virtual cards"));
    let res = c
        .api(
            Method::GET,
            "/api/v1/questions?limit=9999",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("1 to 500"));
    let res = c
        .api(
            Method::POST,
            &format!("/api/v1/questions/{id}/answer"),
            Some(&revenue),
            Some(json!({"answer": "Next month", "minutes": 3})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = c
        .api(
            Method::POST,
            &format!("/api/v1/questions/{id}/answer"),
            Some(&pm),
            Some(json!({"answer": "Next month", "minutes": 3})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("\"status\":\"answered\""));
    let doc = c.get("/api/openapi.json").await;
    assert!(doc.body.contains("/api/v1/questions/{id}/answer"));
}
