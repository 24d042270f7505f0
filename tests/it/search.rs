//! Search and export that never stop short: every match, word prefixes, account names, and
//! exports with currencies, themes and an optional BOM.

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Client, TestApp};

/// 2,100 items that match "card" (and 50 that do not), in one statement.
async fn many_card_items(app: &TestApp) {
    sqlx::query(
        "insert into feedback (source, body, received_at)
         select 'support',
                case when g <= 2100 then 'My card was declined at the till, attempt ' || g
                     else 'The statement page is slow, visit ' || g end,
                now() - g * interval '1 minute'
         from generate_series(1, 2150) g",
    )
    .execute(&app.pool)
    .await
    .expect("insert items");
}

async fn all_pages(api: &mut Client, token: &str, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/feedback?{query}&limit=200&cursor={c}"),
            None => format!("/api/v1/feedback?{query}&limit=200"),
        };
        let res = api.api(Method::GET, &url, Some(token), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let page = res.json();
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(ids.len() < 5000, "paging does not end");
    }
    ids
}

#[sqlx::test]
async fn search_paging_and_exports_reach_every_match_past_2000(pool: PgPool) {
    let app = TestApp::new(pool).await;
    many_card_items(&app).await;
    let (token, _) = app.token(Role::Viewer).await;
    let mut api = app.client();

    for query in ["q=card", "q=card&sort=newest"] {
        let ids = all_pages(&mut api, &token, query).await;
        assert_eq!(ids.len(), 2100, "{query}: every match, once");
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            2100,
            "{query}: no repeats"
        );
    }

    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let csv = client.get("/feedback/export.csv?q=card").await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    assert_eq!(reader.records().count(), 2100, "the CSV has every match");

    let json = client.get("/feedback/export.json?q=card").await;
    let v: Value = serde_json::from_str(&json.body).expect("valid JSON export");
    assert_eq!(v["items"].as_array().unwrap().len(), 2100);

    // More matches than a search ranks: the page says how it orders them.
    let page = client.get("/feedback?q=card").await;
    assert!(
        page.body.contains(
            "Best matches first among the newest 500 matches, then the older matches, newest first"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("href=\"/feedback?q=card&amp;sort=newest\"")
    );
    let rare = client.get("/feedback?q=statement").await;
    assert!(rare.body.contains("Best matches first."));
    assert!(!rare.body.contains("among the newest"));
}

/// A search that matches more items than it ranks: its newest 500 matches come best match
/// first (the best of them on the first page), then every older match, newest first, even one
/// that matches better; each match once, across every page.
#[sqlx::test]
async fn a_common_search_ranks_its_newest_matches_then_lists_the_older_ones(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let ranked = goldthread::feedback::db::RANKED_MATCHES;
    // 1,200 matches, one a minute back from now; item 300 and item 1,150 say "card" four times.
    sqlx::query(
        "insert into feedback (source, body, received_at)
         select 'support',
                case when g in (300, 1150) then 'Card, card, card: my card is stuck, visit ' || g
                     else 'My card was declined at the till, attempt ' || g end,
                now() - g * interval '1 minute'
         from generate_series(1, 1200) g",
    )
    .execute(&app.pool)
    .await
    .expect("insert items");
    let by_age: Vec<i64> =
        sqlx::query_scalar("select id from feedback order by received_at desc, id desc")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let strong: Vec<i64> = sqlx::query_scalar(
        "select id from feedback where body like 'Card, card%' order by received_at desc",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();

    let (token, _) = app.token(Role::Viewer).await;
    let mut api = app.client();
    let ids = all_pages(&mut api, &token, "q=card").await;
    assert_eq!(ids.len(), 1200, "every match");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 1200, "each once");
    assert_eq!(
        ids[0], strong[0],
        "the best of the newest matches comes first"
    );
    let (newest, older) = ids.split_at(ranked as usize);
    assert_eq!(
        newest.iter().collect::<HashSet<_>>(),
        by_age[..ranked as usize].iter().collect::<HashSet<_>>(),
        "the first 500 are the newest matches"
    );
    assert_eq!(
        older,
        &by_age[ranked as usize..],
        "then the older ones, newest first"
    );
    assert!(
        older.contains(&strong[1]),
        "an older strong match waits its turn"
    );

    let sorted = all_pages(&mut api, &token, "q=card&sort=newest").await;
    assert_eq!(sorted, by_age, "sort=newest lists every match newest first");
}

#[sqlx::test]
async fn search_matches_word_prefixes_and_account_names(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("crm-77", "Globex Freight", 12_000_000, "enterprise")
        .await;
    let (token, _) = app.token(Role::Admin).await;
    let mut api = app.client();
    let res = api
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!({"items": [
                {"source": "support", "body": "Still waiting for my refund"},
                {"source": "sales", "body": "Asked about payouts", "account_external_id": "crm-77"},
                {"source": "support", "body": "Nothing to see"}
            ]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let bodies = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let found = api
        .api(Method::GET, "/api/v1/feedback?q=refun", Some(&token), None)
        .await;
    assert_eq!(bodies(found.json()), ["Still waiting for my refund"]);
    let found = api
        .api(Method::GET, "/api/v1/feedback?q=globex", Some(&token), None)
        .await;
    assert_eq!(bodies(found.json()), ["Asked about payouts"]);

    // account= takes the external id the items show.
    let found = api
        .api(
            Method::GET,
            "/api/v1/feedback?account=crm-77",
            Some(&token),
            None,
        )
        .await;
    let v = found.json();
    assert_eq!(bodies(v.clone()), ["Asked about payouts"]);
    assert_eq!(v["items"][0]["account_external_id"], "crm-77");
    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let page = client.get("/feedback?account=crm-77").await;
    assert!(page.body.contains("Account: crm-77"));
    assert!(page.body.contains("Asked about payouts"));
    assert!(!page.body.contains("Nothing to see"));
}

#[sqlx::test]
async fn exports_carry_the_currency_the_themes_and_an_optional_bom(pool: PgPool) {
    let app = TestApp::new(pool).await;
    sqlx::query(
        "insert into accounts (external_id, name, arr_cents, currency, segment)
         values ('eu-1', 'Euro Co', 5000000, 'EUR', 'smb')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (token, _) = app.token(Role::Admin).await;
    let mut api = app.client();
    let res = api
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(json!(
                {"source": "sales", "body": "FX fees are high", "account_external_id": "eu-1"}
            )),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.json()["id"].as_i64().unwrap();
    sqlx::query(
        "with t as (insert into themes (name) values ('Fees and pricing') returning id)
         insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
         select $1, t.id, 'auto', 0.8, 'suggested' from t",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();

    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let csv = client.get("/feedback/export.csv").await;
    assert!(!csv.body.starts_with('\u{feff}'), "no BOM unless asked");
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(col("currency_snapshot"), col("arr_cents_snapshot") + 1);
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[col("arr_cents_snapshot")], "5000000");
    assert_eq!(&row[col("currency_snapshot")], "EUR");
    assert_eq!(&row[col("themes")], "Fees and pricing (suggested)");

    let bom = client.get("/feedback/export.csv?bom=1").await;
    assert!(bom.body.starts_with("\u{feff}id,source,"), "BOM when asked");

    let json = client.get("/feedback/export.json").await;
    let v: Value = serde_json::from_str(&json.body).unwrap();
    let item = &v["items"][0];
    assert_eq!(item["currency_snapshot"], "EUR");
    assert_eq!(item["themes"][0]["name"], "Fees and pricing");
    assert_eq!(item["themes"][0]["state"], "suggested");
}

/// The theme filter pages through every item carrying the theme (a rejected tag does not count),
/// newest first, and the exports list the same items, each with all its live tags in tag order.
#[sqlx::test]
async fn theme_filter_pages_and_exports_reach_every_tagged_item(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let fees = crate::helpers::theme(&app.pool, "Fees", "fee").await;
    let cards = crate::helpers::theme(&app.pool, "Cards", "card").await;
    many_card_items(&app).await;
    // Every third item has Fees (every ninth rejected), every second item has Cards confirmed.
    sqlx::query(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
         select id, $1, 'auto', 0.8, case when n % 9 = 0 then 'rejected' else 'suggested' end
         from (select id, row_number() over (order by id) as n from feedback) f where n % 3 = 0
         union all
         select id, $2, 'manual', null, 'confirmed'
         from (select id, row_number() over (order by id) as n from feedback) f where n % 2 = 0",
    )
    .bind(fees)
    .bind(cards)
    .execute(&app.pool)
    .await
    .expect("tag items");
    let expected: Vec<i64> = sqlx::query_scalar(
        "select f.id from feedback f
         where exists (select 1 from feedback_themes ft
                       where ft.feedback_id = f.id and ft.theme_id = $1 and ft.state <> 'rejected')
         order by f.received_at desc, f.id desc",
    )
    .bind(fees)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(expected.len(), 2150 / 3 - 2150 / 9);

    let (token, _) = app.token(Role::Viewer).await;
    let mut api = app.client();
    assert_eq!(
        all_pages(&mut api, &token, &format!("theme={fees}")).await,
        expected,
        "every tagged item, newest first, once"
    );

    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let json = client
        .get(&format!("/feedback/export.json?theme={fees}"))
        .await;
    let v: Value = serde_json::from_str(&json.body).expect("valid JSON export");
    let items = v["items"].as_array().unwrap();
    let ids: Vec<i64> = items.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, expected);
    let both = items
        .iter()
        .find(|i| i["themes"].as_array().unwrap().len() == 2)
        .expect("an item with both themes");
    assert_eq!(both["themes"][0]["name"], "Fees", "tags in tag order");
    assert_eq!(both["themes"][0]["state"], "suggested");
    assert_eq!(both["themes"][0]["theme_id"], fees);
    assert_eq!(both["themes"][1]["name"], "Cards");
    assert_eq!(both["themes"][1]["state"], "confirmed");

    let csv = client
        .get(&format!("/feedback/export.csv?theme={fees}&q=card"))
        .await;
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let cards_only: Vec<i64> = sqlx::query_scalar(
        "select id from feedback where id = any($1) and body like 'My card%'
         order by received_at desc, id desc",
    )
    .bind(&expected)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(cards_only.len() < expected.len());
    assert_eq!(ids, cards_only, "both filters, newest first");
    assert!(rows.iter().any(|r| &r[13] == "Fees (suggested); Cards"));
    assert!(rows.iter().all(|r| r[13].starts_with("Fees (suggested)")));
}

/// A whole export reads every tag in the items' order alongside them: each item carries exactly
/// its own live tags in tag order, items received at the same moment included, and an archived
/// item's tags (newest of all, and between two items) go nowhere.
#[sqlx::test]
async fn a_whole_export_gives_each_item_its_own_tags(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let fees = crate::helpers::theme(&app.pool, "Fees", "fee").await;
    let cards = crate::helpers::theme(&app.pool, "Cards", "card").await;
    // 5,000 items (more than a batch), three at each moment; every 7th archived.
    sqlx::query(
        "insert into feedback (source, body, received_at, archived_at)
         select 'support', 'Item ' || g, now() - (g / 3) * interval '1 minute',
                case when g % 7 = 0 then now() end
         from generate_series(1, 5000) g",
    )
    .execute(&app.pool)
    .await
    .expect("insert items");
    // Every 2nd item has Fees (every 10th rejected), every 3rd Cards (confirmed), in that order
    // of tags for some items and the other order for others.
    sqlx::query(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
         select id, case when id % 4 = 0 then $2 else $1 end, 'auto', 0.8,
                case when id % 10 = 0 then 'rejected' else 'suggested' end
         from feedback where id % 2 = 0
         union all
         select id, case when id % 4 = 0 then $1 else $2 end, 'manual', null, 'confirmed'
         from feedback where id % 3 = 0
         on conflict (feedback_id, theme_id) do nothing",
    )
    .bind(fees)
    .bind(cards)
    .execute(&app.pool)
    .await
    .expect("tag items");
    let expected: Vec<(i64, String)> = sqlx::query_as(
        "select f.id, coalesce(string_agg(t.name || case when ft.state = 'suggested' then ' (suggested)' else '' end,
                                          '; ' order by ft.id), '')
         from feedback f
         left join feedback_themes ft on ft.feedback_id = f.id and ft.state <> 'rejected'
         left join themes t on t.id = ft.theme_id
         where f.archived_at is null
         group by f.id, f.received_at
         order by f.received_at desc, f.id desc",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        expected.iter().any(|(_, t)| t.contains("; ")),
        "items with two tags"
    );

    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let csv = client.get("/feedback/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let got: Vec<(i64, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[13].to_owned())
        })
        .collect();
    assert_eq!(got, expected);
}
