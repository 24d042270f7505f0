//! Accounts: list, forms, audit, JSON API; the demo content and the data generator.

use axum::http::{Method, StatusCode};
use goldthread::accounts::AccountInput;
use goldthread::audit::Actor;
use goldthread::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, theme};

async fn add_account(pool: &PgPool, external_id: &str, name: &str, arr: &str) -> i64 {
    let account = AccountInput {
        external_id: Some(external_id.into()),
        name: Some(name.into()),
        domain: Some(format!("{}.com", external_id.to_lowercase())),
        arr: Some(arr.into()),
        segment: Some("enterprise".into()),
        ..AccountInput::default()
    }
    .validate()
    .expect("valid account");
    goldthread::accounts::db::insert(pool, &account, None)
        .await
        .expect("insert account")
}

async fn token_for(app: &TestApp, role: Role) -> String {
    let user = app.user(role).await;
    let (_, token) =
        goldthread::admin::issue_token(&app.pool, &Actor::System("test"), user.id, "t")
            .await
            .expect("token");
    token
}

#[sqlx::test]
async fn list_searches_by_name_domain_and_id_and_sorts_by_arr(pool: PgPool) {
    let app = TestApp::new(pool).await;
    add_account(&app.pool, "ACME-1", "Acme Robotics", "250k").await;
    add_account(&app.pool, "GLOBEX-7", "Globex Freight", "$1,200,000").await;
    add_account(&app.pool, "INITECH", "Initech Labs", "9500").await;
    let (mut client, _) = app.signed_in(Role::Viewer).await;

    let res = client.get("/accounts").await;
    assert_eq!(res.status, StatusCode::OK);
    let (g, a, i) = (
        res.body.find("Globex Freight").expect("globex listed"),
        res.body.find("Acme Robotics").expect("acme listed"),
        res.body.find("Initech Labs").expect("initech listed"),
    );
    assert!(g < a && a < i, "largest ARR first by default");
    assert!(
        res.body
            .contains(r#"<abbr class="money" title="$1,200,000.00">$1.2M</abbr>"#),
        "ARR abbreviated with the exact amount in the title"
    );

    let res = client.get("/accounts?sort=arr_asc").await;
    let (g, i) = (
        res.body.find("Globex Freight").unwrap(),
        res.body.find("Initech Labs").unwrap(),
    );
    assert!(i < g, "smallest ARR first when asked");

    let res = client.get("/accounts?q=robot").await;
    assert!(res.body.contains("Acme Robotics"));
    assert!(!res.body.contains("Globex Freight"));
    let res = client.get("/accounts?q=globex-7.com").await;
    assert!(res.body.contains("Globex Freight"), "exact domain matches");
    let res = client.get("/accounts?q=INITECH").await;
    assert!(res.body.contains("Initech Labs"), "account ID matches");
    let res = client.get("/accounts?q=nothing-like-this").await;
    assert!(res.body.contains("No accounts match"));
    let res = client.get("/accounts?segment=smb").await;
    assert!(
        !res.body.contains("Acme Robotics"),
        "segment filter applies"
    );
}

#[sqlx::test]
async fn list_pages_with_a_keyset_cursor(pool: PgPool) {
    let app = TestApp::new(pool).await;
    for i in 0..55 {
        add_account(
            &app.pool,
            &format!("P-{i}"),
            &format!("Pager Co {i:02}"),
            &format!("{}", 1000 + i),
        )
        .await;
    }
    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let res = client.get("/accounts").await;
    assert!(res.body.contains("Pager Co 54"));
    assert!(
        !res.body.contains("Pager Co 04"),
        "only 50 on the first page"
    );
    let start = res.body.find("rel=\"next\"").map(|_| ()).and_then(|()| {
        let href = res
            .body
            .split("href=\"")
            .find(|s| s.starts_with("/accounts?after="))?;
        Some(href[..href.find('"')?].replace("&amp;", "&"))
    });
    let next = start.expect("a next link");
    let res = client.get(&next).await;
    assert!(res.body.contains("Pager Co 04"));
    assert!(res.body.contains("Pager Co 00"));
    assert!(!res.body.contains("Pager Co 54"));
}

#[sqlx::test]
async fn bad_input_keeps_what_was_typed_with_a_message_per_field(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::ProductOps).await;
    let res = client
        .post_form(
            "/accounts/new",
            &[
                ("name", ""),
                ("external_id", "CRM-42"),
                ("domain", "not a domain"),
                ("arr", "lots of money"),
                ("currency", "USD"),
                ("segment", "enterprise"),
                ("lifecycle", "customer"),
                ("owner_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("There is a problem"));
    assert!(res.body.contains("Account name is required"));
    assert!(
        res.body
            .contains("look like a domain; enter it like example.com")
    );
    assert!(res.body.contains("Enter ARR as a number"));
    assert!(res.body.contains(r#"value="lots of money""#), "ARR kept");
    assert!(res.body.contains(r#"value="CRM-42""#), "ID kept");
    assert!(res.body.contains(r#"value="not a domain""#), "domain kept");
    assert!(res.body.contains(r#"<option value="enterprise" selected>"#));
    let n: i64 = sqlx::query_scalar("select count(*) from accounts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing saved");
}

#[sqlx::test]
async fn duplicate_external_id_is_a_field_error(pool: PgPool) {
    let app = TestApp::new(pool).await;
    add_account(&app.pool, "CRM-1", "First Co", "1000").await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let res = client
        .post_form(
            "/accounts/new",
            &[
                ("name", "Second Co"),
                ("external_id", "CRM-1"),
                ("lifecycle", "customer"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Another account already has the ID"));
    assert!(
        res.body.contains(r#"id="external_id-error""#),
        "next to the field"
    );
    assert!(res.body.contains(r#"value="Second Co""#));
}

#[sqlx::test]
async fn create_then_edit_is_audited_with_before_and_after(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, me) = app.signed_in(Role::ProductOps).await;
    let res = client
        .post_form(
            "/accounts/new",
            &[
                ("name", "Umbrella Health"),
                ("external_id", "CRM-9"),
                ("domain", "https://www.Umbrella.example/"),
                ("arr", "1.5M"),
                ("currency", ""),
                ("segment", "mid_market"),
                ("lifecycle", "customer"),
                ("owner_id", &me.id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let location = res.location().expect("redirect").to_string();
    let page = client.get(&location).await;
    assert!(page.body.contains("Created the account Umbrella Health."));
    assert!(page.body.contains("umbrella.example"));
    assert!(page.body.contains("$1,500,000.00"));
    assert!(
        page.body
            .contains("None of this account&#39;s feedback is tagged with a theme yet")
            || page
                .body
                .contains("None of this account's feedback is tagged with a theme yet")
    );
    assert!(
        page.body
            .contains(&format!("<div class=\"stat-value\">{}</div>", me.name)),
        "owner shown"
    );

    let res = client
        .post_form(
            &format!("{location}/edit"),
            &[
                ("name", "Umbrella Health"),
                ("external_id", "CRM-9"),
                ("domain", "umbrella.example"),
                ("arr", "2M"),
                ("currency", "USD"),
                ("segment", "enterprise"),
                ("lifecycle", "customer"),
                ("owner_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "select before, after from audit_log where entity_type = 'account' and action = 'update'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before["arr_cents"], json!(150_000_000));
    assert_eq!(after["arr_cents"], json!(200_000_000));
    assert_eq!(before["segment"], json!("mid_market"));
    assert_eq!(after["segment"], json!("enterprise"));
    assert_eq!(after["owner_id"], json!(null));
    let page = client.get(&location).await;
    assert!(page.body.contains("$2,000,000.00"));
}

#[sqlx::test]
async fn api_lists_shows_and_upserts_accounts(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let writer = token_for(&app, Role::ProductOps).await;
    let reader = token_for(&app, Role::Revenue).await;
    let mut client = app.client();
    let body = json!({"external_id": "SF-001", "name": "Wayne Ventures", "domain": "wayne.example",
                      "arr": 1200000, "segment": "Enterprise", "plan": "Scale"});

    let res = client
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&writer),
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    assert_eq!(created["arr_cents"], json!(120_000_000));
    assert_eq!(created["segment"], json!("enterprise"));
    let id = created["id"].as_i64().unwrap();

    let res = client
        .api(Method::POST, "/api/v1/accounts", Some(&writer), Some(body))
        .await;
    assert_eq!(res.status, StatusCode::OK, "same account again is not new");
    assert_eq!(res.json()["id"], json!(id));
    let res = client
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&writer),
            Some(json!({"external_id": "SF-001", "name": "Wayne Ventures", "arr": "2.5M"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json()["arr_cents"],
        json!(250_000_000),
        "upsert updates"
    );
    let (accounts, audits): (i64, i64) = sqlx::query_as(
        "select (select count(*) from accounts), (select count(*) from audit_log where entity_type = 'account')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (accounts, audits),
        (1, 2),
        "one account; the no-op repeat is not audited"
    );

    let res = client
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&writer),
            Some(json!({"external_id": "", "name": "X", "arr": "lots", "lifecycle": "gone"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.content_type(), "application/problem+json");
    let problem = res.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"external_id") && fields.contains(&"arr") && fields.contains(&"lifecycle"),
        "{problem}"
    );

    let res = client
        .api(
            Method::POST,
            "/api/v1/accounts",
            Some(&reader),
            Some(json!({"external_id": "R", "name": "R"})),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "revenue may not manage data"
    );
    assert_eq!(res.content_type(), "application/problem+json");

    add_account(&app.pool, "SF-002", "Wayne Logistics", "10k").await;
    add_account(&app.pool, "SF-003", "Stark Freight", "20k").await;
    let res = client
        .api(Method::GET, "/api/v1/accounts?limit=2", Some(&reader), None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let page = res.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["items"][0]["name"],
        json!("Wayne Ventures"),
        "largest ARR first"
    );
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let res = client
        .api(
            Method::GET,
            &format!("/api/v1/accounts?limit=2&cursor={cursor}"),
            Some(&reader),
            None,
        )
        .await;
    let page = res.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["name"], json!("Wayne Logistics"));
    assert_eq!(page["next_cursor"], json!(null));

    let res = client
        .api(Method::GET, "/api/v1/accounts?q=wayne", Some(&reader), None)
        .await;
    assert_eq!(res.json()["items"].as_array().unwrap().len(), 2);
    let res = client
        .api(
            Method::GET,
            "/api/v1/accounts?cursor=garbage!",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let res = client
        .api(
            Method::GET,
            &format!("/api/v1/accounts/{id}"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(res.json()["name"], json!("Wayne Ventures"));
    let res = client
        .api(Method::GET, "/api/v1/accounts/999999", Some(&reader), None)
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = client
        .api(Method::GET, "/api/v1/accounts", None, None)
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn demo_loads_twice_without_duplicates_and_attaches_tickets(pool: PgPool) {
    // Embedding the 10,003 tickets in an unoptimised test build takes a quarter of an hour, so
    // this test loads the demo on the lexical engine (tests/it/semantic.rs covers the encoder).
    goldthread::embeddings::with_encoder(None, demo_loads_twice(pool)).await
}

async fn demo_loads_twice(pool: PgPool) {
    let app = TestApp::new(pool).await;
    goldthread::demo::load(&app.pool).await.expect("first load");
    let count = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let first_total = count("select count(*) from feedback").await;
    goldthread::demo::load(&app.pool)
        .await
        .expect("second load");
    assert_eq!(
        count("select count(*) from feedback").await,
        first_total,
        "no duplicates"
    );
    assert_eq!(count("select count(*) from accounts").await, 150);
    assert!(
        count("select count(*) from themes where status = 'active'").await >= 10,
        "demo theme tree"
    );
    assert!(
        count("select count(*) from feedback_themes where state = 'confirmed'").await > 0,
        "a few confirmed tags"
    );
    assert!(
        count("select count(*) from feedback_themes where state = 'suggested'").await > 1000,
        "the tagger ran"
    );
    assert_eq!(
        count("select count(*) from feedback where source = 'support' and metadata->>'dataset' = 'banking77' and account_id is not null and arr_cents_snapshot is not null").await,
        10_003
    );
    assert!(count("select count(*) from feedback where source = 'sales'").await >= 100);
    assert!(count("select count(*) from feedback where source = 'success'").await >= 100);
    assert!(
        count("select count(*) from feedback where source = 'nps' and nps_score is not null").await
            >= 250
    );
    assert!(
        count("select count(*) from feedback where received_at < now() - interval '300 days'")
            .await
            > 0,
        "spread over the year"
    );

    let id = count("select account_id from feedback where source = 'nps' group by 1 order by count(*) desc limit 1").await;
    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let page = client.get(&format!("/accounts/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("NPS history"));
    assert!(page.body.contains("<svg"), "NPS chart drawn");
    assert!(page.body.contains("badge src-"), "source badges");
    assert!(page.body.contains("BANKING77"), "data set attributed");
}

#[sqlx::test]
async fn generator_writes_exactly_n_rows(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let pool = app.pool.clone();
    let report = goldthread::generate::db::run(&pool, 2_345, 20, 7, 2, false)
        .await
        .expect("generate");
    assert_eq!(report.feedback, 2_345);
    assert_eq!(report.accounts, 20);
    let (feedback, accounts, nps_ok): (i64, i64, bool) = sqlx::query_as(
        "select (select count(*) from feedback), (select count(*) from accounts),
                (select bool_and((source = 'nps') = (nps_score is not null)) from feedback)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((feedback, accounts, nps_ok), (2_345, 20, true));
}

#[sqlx::test]
async fn an_accounts_page_lists_the_themes_its_feedback_falls_into(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let account = app.account("th-1", "Theme Co", 5_000_000, "smb").await;
    let theme = theme(
        &app.pool,
        "Statement exports",
        "statement export, csv export",
    )
    .await;
    let item: i64 = sqlx::query_scalar(
        "insert into feedback (source, body, account_id) values ('sales', 'They need a CSV statement export', $1) returning id",
    )
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("insert into feedback_themes (feedback_id, theme_id, origin, state) values ($1, $2, 'manual', 'confirmed')")
        .bind(item)
        .bind(theme)
        .execute(&app.pool)
        .await
        .unwrap();
    let (mut client, _) = app.signed_in(Role::Viewer).await;
    let page = client.get(&format!("/accounts/{account}")).await;
    assert!(
        page.body.contains(&format!(
            "<a href=\"/themes/{theme}\">Statement exports</a>"
        )),
        "{}",
        page.body
    );
}
