//! Feedback: the quick log form, the list and its filters, search, the detail page, edits, exports, the API and the webhook.

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test]
async fn the_quick_form_keeps_what_was_typed_and_says_what_is_wrong(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Revenue).await;
    let page = client.get("/feedback/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<option value=\"sales\" selected>"),
        "a sales rep's notes default to sales"
    );

    let res = client
        .post_form(
            "/feedback",
            &[
                ("source", "sales"),
                ("body", "  "),
                ("account", "Nonexistent Ltd"),
                ("title", "Wants SSO <b>now</b>"),
                ("nps_score", "9"),
                ("contact_email", "cfo@"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("There is a problem"));
    assert!(res.body.contains("No account matches"), "{}", res.body);
    assert!(res.body.contains("Only NPS responses carry a score"));
    assert!(
        res.body
            .contains("value=\"Wants SSO &#60;b&#62;now&#60;/b&#62;\"")
            || res
                .body
                .contains("value=\"Wants SSO &lt;b&gt;now&lt;/b&gt;\""),
        "title kept, escaped"
    );
    assert!(
        res.body.contains("value=\"Nonexistent Ltd\""),
        "account text kept"
    );
    assert_eq!(app.count("select count(*) from feedback").await, 0);
}

#[sqlx::test]
async fn logged_feedback_snapshots_the_accounts_arr(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let account = app
        .account("acme-1", "Acme Corp", 120_000_000, "enterprise")
        .await;
    let (mut client, user) = app.signed_in(Role::Revenue).await;
    let res = client
        .post_form(
            "/feedback",
            &[
                ("source", "sales"),
                ("body", "Needs SAML SSO before rolling out cards"),
                ("account", "acme corp"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let follow = client.get(res.location().expect("redirect")).await;
    assert!(
        follow.body.contains("Feedback logged"),
        "flash after logging"
    );
    assert!(
        follow.body.contains("<option value=\"sales\" selected>"),
        "source kept for the next note"
    );
    let (id, reporter, snapshot): (i64, i64, i64) = sqlx::query_as(
        "select id, reporter_id, arr_cents_snapshot from feedback where account_id = $1",
    )
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reporter, user.id);
    assert_eq!(snapshot, 120_000_000);

    // The account grows; the item keeps the ARR it had when the customer spoke.
    sqlx::query("update accounts set arr_cents = 300000000 where id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    let detail = client.get(&format!("/feedback/{id}")).await;
    assert!(detail.body.contains("$1.2M"), "ARR then");
    assert!(
        detail.body.contains("$3.0M") || detail.body.contains("$3M"),
        "ARR now: {}",
        detail.body
    );
}

#[sqlx::test]
async fn search_finds_stemmed_words_and_highlights_them(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Revenue).await;
    let mut api = app.client();
    let res = api
        .api(Method::POST, "/api/v1/feedback", Some(&token), Some(json!({"items": [
            {"source": "support", "body": "I was charged twice for the same transfer"},
            {"source": "support", "body": "The app crashes when I open statements"},
            {"source": "sales", "body": "Prospect asked about <script>alert(1)</script> charges"}
        ]})))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let page = client.get("/feedback?q=charging").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<mark>charged</mark>"),
        "stemmed match highlighted"
    );
    assert!(page.body.contains("<mark>charges</mark>"));
    assert!(!page.body.contains("crashes"));
    assert!(
        !page.body.contains("<script>alert(1)</script>"),
        "user text is escaped"
    );

    let found = api
        .api(Method::GET, "/api/v1/feedback?q=crash", Some(&token), None)
        .await
        .json();
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    assert!(
        found["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains("crashes")
    );
}

#[sqlx::test]
async fn filters_combine_and_pages_follow_each_other_without_gaps(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("ent-1", "Big Bank", 500_000_000, "enterprise")
        .await;
    app.account("smb-1", "Corner Shop", 1_000_000, "smb").await;
    let (token, _) = app.token(Role::Admin).await;
    let mut items = Vec::new();
    for i in 0..7 {
        items.push(json!({"source": "nps", "body": format!("score note {i}"), "nps_score": i + 4,
            "account_external_id": if i % 2 == 0 { "ent-1" } else { "smb-1" },
            "received_at": format!("2026-0{}-15T10:00:00Z", i + 1), "external_id": format!("n{i}")}));
    }
    items.push(json!({"source": "sales", "body": "sales note", "account_external_id": "ent-1", "received_at": "2026-03-01T00:00:00Z"}));
    let mut client = app.client();
    assert_eq!(
        client
            .api(
                Method::POST,
                "/api/v1/feedback",
                Some(&token),
                Some(json!({"items": items}))
            )
            .await
            .status,
        StatusCode::OK
    );

    let get = |q: &str| {
        let q = q.to_owned();
        let token = token.clone();
        let router = app.client();
        async move {
            let mut router = router;
            router
                .api(
                    Method::GET,
                    &format!("/api/v1/feedback?{q}"),
                    Some(&token),
                    None,
                )
                .await
                .json()
        }
    };
    let bodies = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["body"].as_str().unwrap().to_owned())
            .collect()
    };
    // Detractors (0–6) are scores 4, 5, 6 → notes 0, 1, 2.
    assert_eq!(
        bodies(&get("nps=detractor").await),
        ["score note 2", "score note 1", "score note 0"]
    );
    assert_eq!(
        bodies(&get("nps=promoter&segment=enterprise").await),
        ["score note 6"]
    );
    assert_eq!(bodies(&get("source=sales").await), ["sales note"]);
    assert_eq!(
        bodies(&get("from=2026-02-01&to=2026-03-31&source=nps").await),
        ["score note 2", "score note 1"]
    );

    // Walk all eight items two at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let q = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".into(),
        };
        let page = get(&q).await;
        seen.extend(bodies(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "no item twice");

    let bad = client
        .api(
            Method::GET,
            "/api/v1/feedback?nps=grumpy",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["field"], "nps");
}

#[sqlx::test]
async fn a_batch_is_all_or_nothing_with_errors_per_item(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Revenue).await;
    let mut client = app.client();
    let res = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"items": [
                {"source": "sales", "body": "fine"},
                {"source": "sales", "body": ""},
                {"source": "nps", "body": "no score"},
                {"source": "sales", "body": "x", "account_external_id": "ghost"}
            ]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.content_type(), "application/problem+json");
    let problem = res.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"items[1].body"), "{fields:?}");
    assert!(fields.contains(&"items[2].nps_score"), "{fields:?}");
    assert_eq!(
        app.count("select count(*) from feedback").await,
        0,
        "nothing written"
    );

    // The account check runs once the items are valid, and also writes nothing.
    let res = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"items": [
                {"source": "sales", "body": "fine"},
                {"source": "sales", "body": "x", "account_external_id": "ghost"}
            ]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json()["errors"][0]["field"],
        "items[1].account_external_id"
    );
    assert_eq!(app.count("select count(*) from feedback").await, 0);

    let too_many: Vec<_> = (0..1001)
        .map(|i| json!({"source": "sales", "body": format!("n{i}")}))
        .collect();
    let res = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"items": too_many})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.json()["detail"]
            .as_str()
            .unwrap()
            .contains("at most 1000")
    );
}

#[sqlx::test]
async fn sending_the_same_record_twice_updates_it(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Revenue).await;
    let mut client = app.client();
    let first = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"source": "support", "external_id": "T-1", "body": "v1"})),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"source": "support", "external_id": "T-1", "body": "v2"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["created"], false);
    assert_eq!(first.json()["id"], again.json()["id"]);
    let body: String = sqlx::query_scalar("select body from feedback")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(body, "v2");
    // Another source with the same id is another record.
    client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"source": "sales", "external_id": "T-1", "body": "other"})),
        )
        .await;
    assert_eq!(app.count("select count(*) from feedback").await, 2);

    let single_error = client
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"source": "nps", "body": "x", "nps_score": 11, "bdy": 1})),
        )
        .await;
    let problem = single_error.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"bdy") && fields.contains(&"nps_score"),
        "{fields:?}"
    );
}

#[sqlx::test]
async fn the_support_webhook_is_idempotent_and_keeps_unknown_organisations(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("org-7", "Known Org", 5_000_000, "smb").await;
    let (token, _) = app.token(Role::Revenue).await;
    let mut client = app.client();
    let ticket = json!({"id": 991, "subject": "Card declined", "description": "My card keeps getting declined",
        "requester_email": "ana@known.example", "organisation_external_id": "org-7", "created_at": "2026-10-01T08:00:00Z"});
    let res = client
        .api(
            Method::POST,
            "/api/v1/webhooks/support",
            Some(&token),
            Some(ticket.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = client
        .api(
            Method::POST,
            "/api/v1/webhooks/support",
            Some(&token),
            Some(ticket),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let (n, source, account): (i64, String, Option<i64>) =
        sqlx::query_as("select count(*) over (), source, account_id from feedback")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((n, source.as_str()), (1, "support"));
    assert!(account.is_some());

    let unknown = json!({"ticket": {"id": "Z-2", "description": "Where is my refund?", "organization_external_id": "org-unknown"}});
    assert_eq!(
        client
            .api(
                Method::POST,
                "/api/v1/webhooks/support",
                Some(&token),
                Some(unknown)
            )
            .await
            .status,
        StatusCode::CREATED
    );
    let org: String = sqlx::query_scalar(
        "select metadata->>'organisation_external_id' from feedback where external_id = 'Z-2'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(org, "org-unknown");

    let missing = client
        .api(
            Method::POST,
            "/api/v1/webhooks/support",
            Some(&token),
            Some(json!({"subject": "no id"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = missing.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"id") && fields.contains(&"body"),
        "{fields:?}"
    );
    let viewer = app.token(Role::Viewer).await.0;
    assert_eq!(
        client
            .api(
                Method::POST,
                "/api/v1/webhooks/support",
                Some(&viewer),
                Some(json!({"id": 1, "description": "x"}))
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[sqlx::test]
async fn edits_and_archiving_are_audited_and_respect_the_reporter(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut rep, _) = app.signed_in(Role::Revenue).await;
    rep.post_form(
        "/feedback",
        &[("source", "sales"), ("body", "original words")],
    )
    .await;
    let id: i64 = sqlx::query_scalar("select id from feedback")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let res = rep
        .post_form(
            &format!("/feedback/{id}/edit"),
            &[("source", "sales"), ("body", "corrected words")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_log where entity_type = 'feedback' and action = 'update'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["body"], "original words");
    assert_eq!(after["body"], "corrected words");

    // Another revenue user may not edit someone else's note; a PM may.
    let (mut other, _) = app.signed_in(Role::Revenue).await;
    assert_eq!(
        other.get(&format!("/feedback/{id}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    assert_eq!(
        pm.post_form(&format!("/feedback/{id}/archive"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let list = pm.get("/feedback").await;
    assert!(
        !list.body.contains("corrected words"),
        "archived items leave the list"
    );
    assert_eq!(
        app.count(
            "select count(*) from audit_log where entity_type = 'feedback' and action = 'archive'"
        )
        .await,
        1
    );
    pm.post_form(&format!("/feedback/{id}/restore"), &[]).await;
    assert!(pm.get("/feedback").await.body.contains("corrected words"));
}

#[sqlx::test]
async fn every_filtered_view_exports_to_csv_and_json(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Admin).await;
    let mut api = app.client();
    api.api(
        Method::POST,
        "/api/v1/feedback",
        Some(&token),
        Some(json!({"items": [
            {"source": "sales", "body": "Wants \"bulk\" payouts, soon", "external_id": "s1"},
            {"source": "support", "body": "line one\nline two", "external_id": "t1"},
            {"source": "support", "body": "=HYPERLINK(\"x\")", "external_id": "t2"}
        ]})),
    )
    .await;
    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let csv = client.get("/feedback/export.csv?source=support").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[1], "source");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|r| &r[4] == "line one\nline two"));
    assert!(
        rows.iter().any(|r| &r[4] == "'=HYPERLINK(\"x\")"),
        "formulas are defused"
    );

    let json = client.get("/feedback/export.json").await;
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    let empty = client.get("/feedback/export.json?q=zebra").await;
    let v: serde_json::Value = serde_json::from_str(&empty.body).unwrap();
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        0,
        "an empty export is still valid JSON"
    );
}

/// A curator archives, restores and tags a selection from the list; archived items are found
/// with the status filter; one audit entry per action; a viewer cannot.
#[sqlx::test]
async fn bulk_actions_archive_restore_and_tag_a_selection(pool: PgPool) {
    let app = crate::helpers::TestApp::new(pool).await;
    let theme = crate::helpers::theme(&app.pool, "Payouts", "payout").await;
    let a = crate::helpers::feedback(&app.pool, "sales", "Bulk item one", None, None, 1).await;
    let b = crate::helpers::feedback(&app.pool, "sales", "Bulk item two", None, None, 2).await;
    let (mut pm, _) = app.signed_in(goldthread::auth::Role::Pm).await;
    let list = pm.get("/feedback").await;
    assert!(list.body.contains("With the ticked items"));
    let (a_s, b_s) = (a.to_string(), b.to_string());
    let res = pm
        .post_form(
            "/feedback/bulk",
            &[
                ("action", "archive"),
                ("item", &a_s),
                ("item", &b_s),
                ("back", "/feedback"),
            ],
        )
        .await;
    assert_eq!(res.status, axum::http::StatusCode::SEE_OTHER);
    let list = pm.get("/feedback").await;
    assert!(
        list.body.contains("Archived 2 of 2 items."),
        "{}",
        list.body
    );
    assert!(!list.body.contains("Bulk item one"));
    let archived = pm.get("/feedback?status=archived").await;
    assert!(archived.body.contains("Bulk item one") && archived.body.contains("Bulk item two"));
    pm.post_form("/feedback/bulk", &[("action", "restore"), ("item", &a_s)])
        .await;
    let list = pm.get("/feedback").await;
    assert!(list.body.contains("Bulk item one") && !list.body.contains("Bulk item two"));
    let theme_s = theme.to_string();
    pm.post_form(
        "/feedback/bulk",
        &[("action", "tag"), ("theme_id", &theme_s), ("item", &a_s)],
    )
    .await;
    let tagged = pm.get(&format!("/feedback?theme={theme}")).await;
    assert!(tagged.body.contains("Bulk item one"));
    let entries = app
        .count(
            "select count(*) from audit_log where action in ('archive', 'restore', 'tag.manual')",
        )
        .await;
    assert_eq!(entries, 3, "one entry per action");
    let (mut viewer, _) = app.signed_in(goldthread::auth::Role::Viewer).await;
    let res = viewer
        .post_form("/feedback/bulk", &[("action", "archive"), ("item", &a_s)])
        .await;
    assert_eq!(res.status, axum::http::StatusCode::FORBIDDEN);
}

#[sqlx::test]
async fn bulk_set_account_moves_items_with_their_arr_and_rollups(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let acme = crate::helpers::account(&app.pool, "Acme Freight", "enterprise", 12_000_000).await;
    let theme = crate::helpers::theme(&app.pool, "Invoices", "invoice").await;
    let a = crate::helpers::feedback(
        &app.pool,
        "sales",
        "Invoices are hard to find",
        None,
        None,
        3,
    )
    .await;
    let b =
        crate::helpers::feedback(&app.pool, "sales", "Invoice export breaks", None, None, 4).await;
    crate::helpers::tag(&app.pool, a, theme, "confirmed").await;
    let (mut pm, _) = app.signed_in(goldthread::auth::Role::Pm).await;
    let (a_s, b_s) = (a.to_string(), b.to_string());
    // An account nobody has: said, nothing changes.
    pm.post_form(
        "/feedback/bulk",
        &[
            ("action", "set_account"),
            ("account", "Nobody Ltd"),
            ("item", &a_s),
        ],
    )
    .await;
    let list = pm.get("/feedback").await;
    assert!(list.body.contains("No account is called"), "{}", list.body);
    assert_eq!(
        app.count("select count(*) from feedback where account_id is not null")
            .await,
        0
    );
    // By name (any case): both move, with the account's ARR as their snapshot.
    pm.post_form(
        "/feedback/bulk",
        &[
            ("action", "set_account"),
            ("account", "acme freight"),
            ("item", &a_s),
            ("item", &b_s),
        ],
    )
    .await;
    let list = pm.get("/feedback").await;
    assert!(
        list.body
            .contains("Set the account of 2 of 2 items to Acme Freight."),
        "{}",
        list.body
    );
    assert_eq!(
        app.count(&format!("select count(*) from feedback where account_id = {acme} and arr_cents_snapshot = 12000000")).await,
        2
    );
    crate::helpers::assert_rollups_match(&app.pool).await;
    assert_eq!(
        app.count("select count(*) from audit_log where action = 'set_account'")
            .await,
        1
    );
}
