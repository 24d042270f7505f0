//! Money in one currency and ARR at the time: conversion with and without a rate, the reporting
//! currency, rates entered and pasted as CSV, ARR history snapshots, empty ARR as none.

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_rollups_match, feedback, tag, theme};

/// An account in `currency` with `arr_cents` (history starts now, as for any new account).
async fn account_in(pool: &PgPool, external_id: &str, arr_cents: i64, currency: &str) -> i64 {
    sqlx::query_scalar(
        "insert into accounts (external_id, name, arr_cents, currency, segment) values ($1, $1, $2, $3, 'enterprise') returning id",
    )
    .bind(external_id)
    .bind(arr_cents)
    .bind(currency)
    .fetch_one(pool)
    .await
    .expect("insert account")
}

async fn add_rate(client: &mut crate::helpers::Client, currency: &str, rate: &str, from: &str) {
    let res = client
        .post_form(
            "/admin/money/rates",
            &[("currency", currency), ("rate", rate), ("valid_from", from)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

fn position(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle} not on the page"))
}

#[sqlx::test]
async fn arr_totals_convert_with_a_rate_and_say_which_accounts_have_none(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let usd = account_in(&app.pool, "Dollar Co", 100_000_000, "USD").await;
    let eur = account_in(&app.pool, "Euro GmbH", 100_000_000, "EUR").await;
    let chf = account_in(&app.pool, "Franc AG", 50_000_000, "CHF").await;
    let fees = theme(&app.pool, "Fees and pricing", "fees").await;
    for a in [usd, eur, chf] {
        let f = feedback(&app.pool, "sales", "The fees are unclear", Some(a), None, 3).await;
        tag(&app.pool, f, fees, "confirmed").await;
    }
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    add_rate(&mut admin, "EUR", "1.08", "2020-01-01").await;

    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let page = pm.get(&format!("/themes/{fees}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // $1,000,000 + €1,000,000 × 1.08, not the three amounts added as they stand.
    assert!(
        page.body
            .contains(r#"title="$2,080,000.00 (USD at the rates of"#),
        "one converted sum with the currency named: {}",
        page.body
    );
    assert!(page.body.contains("$2.1M"));
    assert!(
        page.body
            .contains("1 account in CHF has no exchange rate to USD; their ARR is left out"),
        "the missing rate is said"
    );
    assert!(
        page.body.contains("€1M"),
        "the recorded amount stays visible"
    );
    assert!(page.body.contains("no rate, left out"));

    let overview = pm.get("/themes?sort=arr").await;
    assert!(overview.body.contains("$2.1M"));
    assert!(overview.body.contains("1 in CHF left out"));

    let accounts = pm.get("/accounts").await;
    let (e, u, c) = (
        position(&accounts.body, "Euro GmbH"),
        position(&accounts.body, "Dollar Co"),
        position(&accounts.body, "Franc AG"),
    );
    assert!(e < u && u < c, "€1M ($1.08M) before $1M; no rate last");
    assert!(
        accounts
            .body
            .contains(r#"title="$1,080,000.00 = €1,000,000.00""#)
    );
    assert!(accounts.body.contains(
        "1 account in CHF has no exchange rate to USD; their ARR is shown as recorded and sorted last"
    ));

    let list = pm.get("/feedback").await;
    assert!(
        list.body.contains("$1.1M") && list.body.contains("€1M"),
        "the feedback list converts each snapshot and keeps the original"
    );

    // With a CHF rate nothing is left out.
    add_rate(&mut admin, "CHF", "1.1", "2020-01-01").await;
    let page = pm.get(&format!("/themes/{fees}")).await;
    assert!(
        page.body.contains(r#"title="$2,630,000.00 (USD"#),
        "{}",
        page.body
    );
    assert!(!page.body.contains("no exchange rate"));
    assert_rollups_match(&app.pool).await;
}

#[sqlx::test]
async fn a_new_reporting_currency_changes_the_themes_totals_and_the_accounts_order(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let usd = account_in(&app.pool, "Dollar Co", 100_000_000, "USD").await;
    let gbp = account_in(&app.pool, "Sterling Ltd", 90_000_000, "GBP").await;
    let fees = theme(&app.pool, "Fees and pricing", "fees").await;
    for a in [usd, gbp] {
        let f = feedback(&app.pool, "sales", "The fees are unclear", Some(a), None, 3).await;
        tag(&app.pool, f, fees, "confirmed").await;
    }
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    add_rate(&mut admin, "GBP", "1.27", "2020-01-01").await;
    let accounts = admin.get("/accounts").await;
    assert!(
        position(&accounts.body, "Sterling Ltd") < position(&accounts.body, "Dollar Co"),
        "£900K = $1.143M comes first in USD"
    );

    let res = admin
        .post_form("/admin/money/currency", &[("reporting_currency", "eur")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = admin.get("/admin/money").await;
    assert!(page.body.contains("Every ARR figure is now shown in EUR."));
    // Rates entered against EUR itself take precedence over cross rates through USD.
    add_rate(&mut admin, "GBP", "1.0", "2020-01-01").await;
    add_rate(&mut admin, "USD", "0.95", "2020-01-01").await;

    let accounts = admin.get("/accounts").await;
    assert!(
        position(&accounts.body, "Dollar Co") < position(&accounts.body, "Sterling Ltd"),
        "in EUR $1M (€950K) now comes before £900K (€900K)"
    );
    assert!(accounts.body.contains("in EUR at today"));
    let page = admin.get(&format!("/themes/{fees}")).await;
    assert!(
        page.body
            .contains(r#"title="€1,850,000.00 (EUR at the rates of"#),
        "{}",
        page.body
    );
    let overview = admin.get("/themes").await;
    assert!(overview.body.contains("€1.9M"));
    let audited = app
        .count("select count(*) from audit_log where entity_type = 'setting' and summary like '%from USD to EUR%'")
        .await;
    assert_eq!(audited, 1);
}

#[sqlx::test]
async fn rates_paste_as_csv_all_or_nothing_and_audited(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let bad = admin
        .post_form(
            "/admin/money/rates/import",
            &[(
                "csv",
                "currency,rate,valid_from\nEUR,1.08,2026-01-01\nGBP,abc,2026-01-01\n",
            )],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Nothing was imported"));
    assert!(
        bad.body
            .contains("Line 3: Enter the rate as a positive number")
    );
    assert!(bad.body.contains("GBP,abc"), "the pasted text is kept");
    assert_eq!(app.count("select count(*) from exchange_rates").await, 0);

    let ok = admin
        .post_form(
            "/admin/money/rates/import",
            &[(
                "csv",
                "currency,rate,valid_from\nEUR,1.08,2026-01-01\nGBP,1.27,2026-01-01\nEUR,1.10,2026-06-01\n",
            )],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = admin.get("/admin/money").await;
    assert!(page.body.contains("Imported 3 exchange rates to USD."));
    assert!(page.body.contains("1 EUR = 1.1 USD"));
    assert!(page.body.contains("1 GBP = 1.27 USD"));
    assert_eq!(
        app.count("select count(*) from audit_log where entity_type = 'exchange_rate'")
            .await,
        1,
        "one entry for the import"
    );
    // The same file again replaces, not duplicates.
    admin
        .post_form(
            "/admin/money/rates/import",
            &[("csv", "EUR,1.09,2026-06-01\n")],
        )
        .await;
    assert_eq!(app.count("select count(*) from exchange_rates").await, 3);

    // Deleting asks first, then is audited.
    let id: i64 = sqlx::query_scalar("select id from exchange_rates where rate = 1.09")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let confirm = admin.get(&format!("/admin/money/rates/{id}/delete")).await;
    assert!(
        confirm
            .body
            .contains("Delete the rate 1 EUR = 1.09 USD from 2026-06-01?")
    );
    let res = admin
        .post_form(&format!("/admin/money/rates/{id}/delete"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("select count(*) from exchange_rates").await, 2);

    let (mut pm, _) = app.signed_in(Role::Pm).await;
    assert_eq!(pm.get("/admin/money").await.status, StatusCode::FORBIDDEN);
    let res = pm
        .post_form("/admin/money/rates/import", &[("csv", "EUR,2,2026-01-01")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[sqlx::test]
async fn back_dated_feedback_gets_the_arr_valid_when_it_was_received(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    let res = ops
        .post_form(
            "/accounts/new",
            &[
                ("name", "Growing Co"),
                ("external_id", "crm-grow"),
                ("arr", "100000"),
                ("currency", "USD"),
                ("lifecycle", "customer"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let account: i64 = sqlx::query_scalar("select id from accounts where external_id = 'crm-grow'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // The account has had $100K for 60 days (as if created then), then grows to $200K today.
    sqlx::query("update account_arr_history set valid_from = now() - interval '60 days' where account_id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    let res = ops
        .post_form(
            &format!("/accounts/{account}/edit"),
            &[
                ("name", "Growing Co"),
                ("external_id", "crm-grow"),
                ("arr", "200000"),
                ("currency", "USD"),
                ("lifecycle", "customer"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let history = ops.get(&format!("/accounts/{account}")).await;
    assert!(history.body.contains("$200,000.00"));
    assert!(
        history.body.contains("$100,000.00"),
        "the history lists the earlier value"
    );

    let fees = theme(&app.pool, "Fees and pricing", "fees").await;
    let (token, _) = app.token(Role::Revenue).await;
    let days_ago = |d: i64| {
        goldthread::web::format::iso(time::OffsetDateTime::now_utc() - time::Duration::days(d))
    };
    let res = app
        .client()
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"items": [
                {"source": "sales", "external_id": "n-30", "body": "fees a month ago", "account_external_id": "crm-grow", "received_at": days_ago(30)},
                {"source": "sales", "external_id": "n-90", "body": "fees three months ago", "account_external_id": "crm-grow", "received_at": days_ago(90)},
                {"source": "sales", "external_id": "n-0", "body": "fees today", "account_external_id": "crm-grow"}
            ]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let snapshot = |ext: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "select id, arr_cents_snapshot from feedback where external_id = $1",
            )
            .bind(ext)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (month_id, month) = snapshot("n-30").await;
    let (old_id, old) = snapshot("n-90").await;
    let (_, today) = snapshot("n-0").await;
    assert_eq!(
        month,
        Some(10_000_000),
        "the ARR valid 30 days ago, not at import"
    );
    assert_eq!(today, Some(20_000_000));
    assert_eq!(
        old,
        Some(10_000_000),
        "older than the history: the earliest value"
    );

    let page = ops.get(&format!("/feedback/{month_id}")).await;
    assert!(
        page.body.contains("$100K") && page.body.contains("$200K"),
        "then and now"
    );
    assert!(!page.body.contains("ARR at import"));
    let page = ops.get(&format!("/feedback/{old_id}")).await;
    assert!(
        page.body
            .contains("ARR at import: received before this account")
            && page.body.contains("ARR history starts"),
        "an item older than the history says so: {}",
        page.body
    );

    // Re-dating an item takes the snapshot of its new day, and the rollups follow.
    for id in [month_id, old_id] {
        tag(&app.pool, id, fees, "confirmed").await;
    }
    sqlx::query("update feedback set received_at = now() where id = $1")
        .bind(month_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(snapshot("n-30").await.1, Some(20_000_000));
    assert_rollups_match(&app.pool).await;
    let arr_sum: i64 = sqlx::query_scalar(
        "select sum(arr_sum)::bigint from theme_account_weekly where theme_id = $1",
    )
    .bind(fees)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        arr_sum, 30_000_000,
        "the rollup carries the re-dated snapshot"
    );
}

#[sqlx::test]
async fn an_empty_arr_saves_as_none_on_the_form_and_the_api(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    let res = ops
        .post_form(
            "/accounts/new",
            &[
                ("name", "Prospect Co"),
                ("external_id", "crm-prospect"),
                ("arr", ""),
                ("currency", "EUR"),
                ("lifecycle", "prospect"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let stored: Option<i64> =
        sqlx::query_scalar("select arr_cents from accounts where external_id = 'crm-prospect'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, None, "none, not €0");
    let page = ops.get(res.location().unwrap()).await;
    assert!(page.body.contains("No ARR recorded"));
    assert!(!page.body.contains("€0"));
    let id: i64 = sqlx::query_scalar("select id from accounts where external_id = 'crm-prospect'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let form = ops.get(&format!("/accounts/{id}/edit")).await;
    assert!(
        form.body.contains(r#"name="arr" value="""#),
        "the edit form stays empty"
    );
    let list = ops.get("/accounts").await;
    assert!(!list.body.contains("€0"));

    let (token, _) = app.token(Role::ProductOps).await;
    let mut api = app.client();
    let res = api
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"external_id": "crm-api", "name": "API Co"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["arr_cents"], serde_json::Value::Null);
    let res = api
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"external_id": "crm-api", "name": "API Co", "arr": ""})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["arr_cents"], serde_json::Value::Null);
    let res = api
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"external_id": "crm-api", "name": "API Co", "arr": 0})),
        )
        .await;
    assert_eq!(res.json()["arr_cents"], json!(0), "0 stays a real 0");
    assert_eq!(
        app.count("select count(*) from account_arr_history h join accounts a on a.id = h.account_id where a.external_id = 'crm-api'").await,
        2,
        "none, then 0: two values in the history"
    );
}

/// Upload a CSV on /imports, commit it, and wait for the commit to finish.
async fn import_csv(client: &mut crate::helpers::Client, app: &TestApp, kind: &str, csv: &[u8]) {
    let res = client
        .post_file("/imports", &[("kind", kind)], "file.csv", csv)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let batch = res.location().expect("preview").to_owned();
    let res = client.post_form(&format!("{batch}/commit"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    for _ in 0..200 {
        let state: String =
            sqlx::query_scalar("select state from import_batches order by id desc limit 1")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if state != "committing" {
            assert_eq!(state, "committed");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

#[sqlx::test]
async fn csv_imports_record_arr_history_and_back_dated_items_get_the_arr_of_their_day(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    import_csv(
        &mut ops,
        &app,
        "accounts",
        b"external_id,name,arr,currency\nacme-1,Acme,100000,EUR\n",
    )
    .await;
    // As if that import had run 60 days ago; today's import raises the ARR.
    sqlx::query("update account_arr_history set valid_from = now() - interval '60 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    import_csv(
        &mut ops,
        &app,
        "accounts",
        b"external_id,name,arr,currency\nacme-1,Acme,250000,EUR\n",
    )
    .await;
    assert_eq!(
        app.count("select count(*) from account_arr_history").await,
        2,
        "each import that changes the ARR records a dated value"
    );
    let received = (time::OffsetDateTime::now_utc() - time::Duration::days(30)).date();
    let csv = format!(
        "source,external_id,body,account_external_id,received_at\nsales,old-1,Fees again,acme-1,{received}\nsales,new-1,Fees today,acme-1,\n"
    );
    import_csv(&mut ops, &app, "feedback", csv.as_bytes()).await;
    let old: (Option<i64>, Option<String>) = sqlx::query_as(
        "select arr_cents_snapshot, currency_snapshot from feedback where external_id = 'old-1'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        old,
        (Some(10_000_000), Some("EUR".into())),
        "the ARR valid when it was received, not at import"
    );
    let new: Option<i64> =
        sqlx::query_scalar("select arr_cents_snapshot from feedback where external_id = 'new-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(new, Some(25_000_000));
    // Without a EUR rate the list shows the amount as recorded.
    let list = ops.get("/feedback").await;
    assert!(list.body.contains("€100K") && list.body.contains("€250K"));
    assert!(list.body.contains("no rate"), "and says it has no rate");
}
