//! The audit log: every way feedback comes in is audited with what changed, nothing is written
//! when nothing changed, batches get one entry with counts, and the page filters and pages.

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{self, TestApp};

async fn entries(app: &TestApp, filter: &str) -> i64 {
    app.count(&format!("select count(*) from audit_log where {filter}"))
        .await
}

/// No `<time datetime>` with more than three fractional digits (what HTML allows).
fn assert_times_valid(html: &str) {
    for (i, _) in html.match_indices("datetime=\"") {
        let value: String = html[i + 10..].chars().take_while(|c| *c != '"').collect();
        let fraction = value
            .split_once('.')
            .map(|(_, f)| f.chars().take_while(char::is_ascii_digit).count())
            .unwrap_or(0);
        assert!(
            fraction <= 3,
            "datetime=\"{value}\" has {fraction} fractional digits"
        );
    }
}

#[sqlx::test]
async fn a_form_edit_records_the_changed_fields_and_an_unchanged_save_records_nothing(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    app.account("crm-1", "Acme Corp", 100_000, "enterprise")
        .await;
    let (mut client, pm) = app.signed_in(Role::Pm).await;
    let res = client
        .post_form(
            "/feedback",
            &[
                ("source", "sales"),
                ("account", "Acme Corp"),
                ("title", "Old title"),
                ("body", "Exports take too long"),
                ("received_on", "2026-11-02"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id: i64 = sqlx::query_scalar("select id from feedback")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        entries(
            &app,
            &format!(
                "action = 'create' and entity_id = '{id}' and actor_id = {}",
                pm.id
            )
        )
        .await,
        1,
        "the form's create is audited and credited to the person"
    );

    // The edit form shows the account and the date the way its hints ask for them.
    let form = client.get(&format!("/feedback/{id}/edit")).await;
    assert!(form.body.contains("value=\"Acme Corp\""), "account by name");
    assert!(
        form.body.contains("value=\"2026-11-02\""),
        "date as YYYY-MM-DD"
    );
    assert!(!form.body.contains("T00:00:00Z"));

    let edit = |title: &'static str| {
        [
            ("source", "sales"),
            ("account", "Acme Corp"),
            ("title", title),
            ("body", "Exports take too long"),
            ("received_on", "2026-11-02"),
        ]
    };
    let res = client
        .post_form(&format!("/feedback/{id}/edit"), &edit("New title"))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(entries(&app, "action = 'update'").await, 1);

    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get("/admin/audit?entity=feedback").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Edited feedback #"), "{}", page.body);
    assert!(
        page.body
            .contains("<span class=\"field-name\">title</span>")
    );
    assert!(page.body.contains("Old title</del>"));
    assert!(page.body.contains("New title</ins>"));
    assert_eq!(
        page.body
            .matches("<span class=\"field-name\">body</span>")
            .count(),
        1,
        "the create lists the body; the edit does not, it did not change"
    );
    assert_times_valid(&page.body);

    // Saving the form again unchanged writes nothing and says so.
    let res = client
        .post_form(&format!("/feedback/{id}/edit"), &edit("New title"))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        entries(&app, "action = 'update'").await,
        1,
        "no-op not audited"
    );
    let shown = client.get(&format!("/feedback/{id}")).await;
    assert!(shown.body.contains("Nothing changed"), "{}", shown.body);
    assert_times_valid(&shown.body);

    // Archiving twice records one entry.
    for _ in 0..2 {
        client
            .post_form(&format!("/feedback/{id}/archive"), &[])
            .await;
    }
    assert_eq!(entries(&app, "action = 'archive'").await, 1);
}

#[sqlx::test]
async fn an_api_batch_is_one_entry_with_its_counts_and_a_repeat_is_none(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, user) = app.token(Role::Pm).await;
    let mut client = app.client();
    let batch = |second: &str| {
        json!({"items": [
            {"source": "support", "external_id": "t-1", "body": "Card declined abroad"},
            {"source": "support", "external_id": "t-2", "body": second},
            {"source": "sales", "body": "Wants SSO"},
        ]})
    };
    let res = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(batch("Refund slow")),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let row: (String, Option<i64>, serde_json::Value, String) = sqlx::query_as(
        "select action, actor_id, after, summary from audit_log where entity_type = 'feedback'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row.0, "batch");
    assert_eq!(row.1, Some(user.id));
    assert_eq!(row.2["inserted"], 3);
    assert_eq!(row.2["updated"], 0);
    assert_eq!(row.2["via"], "api");
    assert!(row.3.contains("3 new"), "{}", row.3);

    // The same batch again (only the item without an external id is new again).
    let only_ids = json!({"items": [
        {"source": "support", "external_id": "t-1", "body": "Card declined abroad"},
        {"source": "support", "external_id": "t-2", "body": "Refund slow"},
    ]});
    client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(only_ids),
        )
        .await;
    assert_eq!(
        entries(&app, "entity_type = 'feedback'").await,
        1,
        "nothing changed"
    );

    // One item changed: counted as updated, the other as unchanged.
    let res = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(batch("Refund very slow")),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let after: serde_json::Value = sqlx::query_scalar(
        "select after from audit_log where entity_type = 'feedback' order by id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            after["inserted"].as_i64(),
            after["updated"].as_i64(),
            after["unchanged"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );

    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get("/admin/audit").await;
    assert!(
        page.body
            .contains("<span class=\"field-name\">inserted</span>"),
        "{}",
        page.body
    );
}

#[sqlx::test]
async fn single_api_items_and_webhook_deliveries_are_audited_once_per_change(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Pm).await;
    let mut client = app.client();
    let item = json!({"source": "research", "external_id": "r-1", "body": "Interview notes"});
    for _ in 0..2 {
        let res = client
            .api(
                Method::POST,
                "/api/v1/feedback",
                Some(&token),
                Some(item.clone()),
            )
            .await;
        assert!(res.status.is_success(), "{}", res.body);
    }
    assert_eq!(
        entries(
            &app,
            "action = 'create' and summary like '%through the API'"
        )
        .await,
        1
    );
    assert_eq!(
        entries(&app, "action = 'update'").await,
        0,
        "repeat changed nothing"
    );

    let ticket = |subject: &str| json!({"ticket": {"id": "zd-9", "subject": subject, "description": "App crashes"}});
    let mut dates = Vec::new();
    for subject in ["Crash", "Crash", "Crash on login"] {
        let res = client
            .api(
                Method::POST,
                "/api/v1/webhooks/support",
                Some(&token),
                Some(ticket(subject)),
            )
            .await;
        assert!(res.status.is_success(), "{}", res.body);
        let at: time::OffsetDateTime =
            sqlx::query_scalar("select received_at from feedback where external_id = 'zd-9'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        dates.push(at);
    }
    assert!(
        dates.windows(2).all(|w| w[0] == w[1]),
        "a delivery without a date keeps the item's date: {dates:?}"
    );
    assert_eq!(entries(&app, "summary like '%support webhook%'").await, 2);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_log where action = 'update' and summary like '%webhook%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (before["title"].as_str(), after["title"].as_str()),
        (Some("Crash"), Some("Crash on login"))
    );
}

#[sqlx::test]
async fn a_retag_is_audited_with_its_counts(pool: PgPool) {
    let app = TestApp::new(pool).await;
    helpers::theme(&app.pool, "Fees and pricing", "fees, pricing").await;
    for i in 0..3 {
        helpers::feedback(
            &app.pool,
            "support",
            &format!("The fees are too high {i}"),
            None,
            None,
            1,
        )
        .await;
    }
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert!(run.tagged > 0);
    let (actor, after): (String, serde_json::Value) =
        sqlx::query_as("select actor_label, after from audit_log where action = 'retag'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(actor, "retag job");
    assert_eq!(after["items"], 3);
    assert_eq!(after["inserted"].as_i64(), Some(run.tagged as i64));
}

#[sqlx::test]
async fn the_log_filters_by_who_what_and_date_and_pages_by_keyset(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut admin, me) = app.signed_in(Role::Admin).await;
    sqlx::query(
        "insert into audit_log (actor_label, action, entity_type, entity_id, summary, after, at)
         select 'batch robot', 'create', 'theme', g::text, 'Entry ' || g, jsonb_build_object('n', g),
                timestamptz '2026-10-01 12:00:00.123456+00' + make_interval(mins => g)
         from generate_series(1, 60) g",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let page = admin.get("/admin/audit?actor=batch+robot").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Entry 60") && page.body.contains("Entry 11"));
    assert!(!page.body.contains("Entry 10<"), "50 per page");
    assert_times_valid(&page.body);
    assert!(
        page.body
            .contains("role=\"region\" aria-label=\"Audit entries\" tabindex=\"0\"")
    );
    let next = page
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("cursor="))
        .expect("a link to older entries")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(next.contains("actor=batch+robot"), "{next}");
    let older = admin.get(&next).await;
    assert!(
        older.body.contains("Entry 10<") && older.body.contains("Entry 1<"),
        "{next} {}",
        older.body.split("<main").nth(1).unwrap_or_default()
    );
    assert!(!older.body.contains("Entry 11<"));

    let dated = admin
        .get("/admin/audit?from=2026-10-01&to=2026-10-01&entity=theme")
        .await;
    assert!(dated.body.contains("Entry 55<"));
    let none = admin.get("/admin/audit?from=2026-10-02").await;
    assert!(!none.body.contains("Entry 55<"));
    let bad = admin.get("/admin/audit?from=yesterday").await;
    assert!(
        bad.body.contains("is not a date: use YYYY-MM-DD"),
        "{}",
        bad.body
    );

    let mine = admin
        .get(&format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string([("actor", format!("{} <{}>", me.name, me.email))])
                .unwrap()
        ))
        .await;
    assert!(!mine.body.contains("Entry 55<"));

    let users = admin.get("/admin/users").await;
    assert_times_valid(&users.body);
}
