//! The weekly support triage: support items not yet reviewed, decided one by one, each decision
//! recorded with who and when, and the week's summary.

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::{TestApp, feedback, tag, theme};
use crate::launches::launch;

#[sqlx::test]
async fn triage_records_each_decision_with_who_and_when(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card payments", "card").await;
    let refunds = theme(&app.pool, "Refunds", "refund").await;
    let l = launch(&app.pool, "Instant refunds", &[refunds]).await;
    let declined = feedback(
        &app.pool,
        "support",
        "My card was declined at a shop",
        None,
        None,
        1,
    )
    .await;
    tag(&app.pool, declined, cards, "suggested").await;
    let refund = feedback(&app.pool, "support", "Refund still not here", None, None, 2).await;
    tag(&app.pool, refund, cards, "suggested").await;
    let quiet = feedback(&app.pool, "support", "Thanks for the help", None, None, 3).await;
    let old = feedback(&app.pool, "support", "An old ticket", None, None, 40).await;
    feedback(&app.pool, "sales", "Not a support item", None, None, 1).await;
    let question: i64 = sqlx::query_scalar(
        "insert into questions (text, team, channel, kind, asked_at) values ('Can refunds be instant for EU cards?', 'support', 'chat', 'awareness', now() - interval '1 day') returning id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();

    let (mut ops, me) = app.signed_in(Role::ProductOps).await;
    let pm = app.user(Role::Pm).await;
    let page = ops.get("/questions/triage").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"triage-waiting\">4<"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("My card was declined") && page.body.contains("Can refunds be instant")
    );
    assert!(!page.body.contains("An old ticket") && !page.body.contains("Not a support item"));
    assert!(page.body.contains("data-triage-item"));

    let decide = |fields: Vec<(&'static str, String)>| fields;
    for fields in [
        decide(vec![
            ("item_type", "feedback".into()),
            ("item_id", declined.to_string()),
            ("action", "confirm_theme".into()),
        ]),
        decide(vec![
            ("item_type", "feedback".into()),
            ("item_id", refund.to_string()),
            ("action", "change_theme".into()),
            ("theme_id", refunds.to_string()),
        ]),
        decide(vec![
            ("item_type", "question".into()),
            ("item_id", question.to_string()),
            ("action", "link_launch".into()),
            ("launch_id", l.to_string()),
        ]),
        decide(vec![
            ("item_type", "feedback".into()),
            ("item_id", quiet.to_string()),
            ("action", "reviewed".into()),
        ]),
    ] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = ops.post_form("/questions/triage", &f).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{f:?}: {}", res.body);
    }
    // A bad choice keeps the page with a message; an unknown item is 404.
    let res = ops
        .post_form(
            "/questions/triage",
            &[
                ("item_type", "question"),
                ("item_id", &question.to_string()),
                ("action", "escalate"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose the PM to ask"));
    let res = ops
        .post_form(
            "/questions/triage",
            &[
                ("item_type", "feedback"),
                ("item_id", &old.to_string()),
                ("action", "escalate"),
                ("pm_id", &me.id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "product ops is not a PM"
    );
    let res = ops
        .post_form(
            "/questions/triage",
            &[
                ("item_type", "question"),
                ("item_id", &question.to_string()),
                ("action", "escalate"),
                ("pm_id", &pm.id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = ops
        .post_form(
            "/questions/triage",
            &[
                ("item_type", "feedback"),
                ("item_id", "999999"),
                ("action", "reviewed"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // What was decided, by whom, on the items themselves.
    let rows: Vec<(String, i64, String, Option<i64>)> = sqlx::query_as(
        "select item_type, item_id, action, decided_by from triage_decisions order by id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.3 == Some(me.id)));
    let state: String = sqlx::query_scalar(
        "select state from feedback_themes where feedback_id = $1 and theme_id = $2",
    )
    .bind(declined)
    .bind(cards)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(state, "confirmed");
    let moved: Vec<(i64, String)> = sqlx::query_as(
        "select theme_id, state from feedback_themes where feedback_id = $1 order by theme_id",
    )
    .bind(refund)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        moved,
        vec![(cards, "rejected".into()), (refunds, "confirmed".into())]
    );
    let (launch_id, escalated): (Option<i64>, Option<i64>) =
        sqlx::query_as("select launch_id, escalated_to from questions where id = $1")
            .bind(question)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((launch_id, escalated), (Some(l), Some(pm.id)));

    // Nothing waits now; the summary lists the week's decisions.
    let page = ops.get("/questions/triage").await;
    assert!(
        page.body.contains("id=\"triage-waiting\">0<"),
        "{}",
        page.body
    );
    let summary = ops.get("/questions/triage/summary.txt").await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(summary.body.contains("5 decisions"), "{}", summary.body);
    assert!(summary.body.contains("theme set to Refunds"));
    assert!(summary.body.contains("linked to Instant refunds"));
    assert!(summary.body.contains(&format!("escalated to {}", pm.name)));
    assert!(summary.body.contains(&format!("({})", me.name)));
    // The escalated question waits on the PM's home.
    let (mut pm_client, _) = (app.client(), ());
    pm_client.sign_in(&pm.email, crate::helpers::PASSWORD).await;
    let home = pm_client.get("/").await;
    assert!(home.body.contains("Can refunds be instant for EU cards?"));
}
