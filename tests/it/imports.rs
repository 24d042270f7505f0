//! CSV imports through the pages and the command line: whole or nothing, each bad line named.

use std::time::Duration;

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::{Client, TestApp};

/// Upload, follow to the preview, commit, and wait for the background commit to finish.
async fn import(
    client: &mut Client,
    app: &TestApp,
    kind: &str,
    source: &str,
    name: &str,
    csv: &[u8],
) -> String {
    let res = client
        .post_file(
            "/imports",
            &[("kind", kind), ("default_source", source)],
            name,
            csv,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let batch = res.location().expect("preview").to_owned();
    let preview = client.get(&batch).await;
    assert!(
        preview.body.contains("Every row checked out"),
        "{}",
        preview.body
    );
    let res = client.post_form(&format!("{batch}/commit"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    for _ in 0..100 {
        let state: String =
            sqlx::query_scalar("select state from import_batches order by id desc limit 1")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if state != "committing" {
            assert_eq!(state, "committed");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.get(&batch).await.body
}

#[sqlx::test]
async fn a_good_file_previews_then_commits(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("acme-1", "Acme", 120_000_000, "enterprise")
        .await;
    let (mut client, user) = app.signed_in(Role::ProductOps).await;
    let csv = "source,external_id,body,title,account_external_id,contact_email,received_at,nps_score\n\
               sales,s-1,Needs SSO,SSO,acme-1,cfo@acme.example,2026-05-01,\n\
               nps,n-1,Love the FX rates,,acme-1,,2026-05-02T10:00:00Z,10\n\
               support,t-1,\"Card declined\nat the till\",,,,,\n";
    let done = import(
        &mut client,
        &app,
        "feedback",
        "",
        "good.csv",
        csv.as_bytes(),
    )
    .await;
    assert!(done.contains("Imported 3 rows"), "{done}");
    assert_eq!(app.count("select count(*) from feedback").await, 3);
    let (body, reporter): (String, i64) =
        sqlx::query_as("select body, reporter_id from feedback where external_id = 't-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(body, "Card declined\nat the till", "quoted newline kept");
    assert_eq!(reporter, user.id);
    let arr: i64 =
        sqlx::query_scalar("select arr_cents_snapshot from feedback where external_id = 's-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(arr, 120_000_000);
    assert_eq!(
        app.count("select count(*) from import_rows").await,
        0,
        "staging emptied"
    );
    assert_eq!(
        app.count("select count(*) from audit_log where action = 'import'")
            .await,
        1
    );
}

#[sqlx::test]
async fn bad_rows_refuse_the_whole_file_and_name_each_line(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = "\u{feff}source,body,nps_score,account_external_id\n\
               sales,fine,,\n\
               nps,\"two\nlines\",11,\n\
               martians,x,,\n\
               sales,,,\n\
               sales,ghost account,,nobody-1\n";
    let res = client
        .post_file(
            "/imports",
            &[("kind", "feedback")],
            "bad.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Nothing was imported"));
    for line in [
        "<td class=\"num\">3</td>",
        "<td class=\"num\">5</td>",
        "<td class=\"num\">6</td>",
        "<td class=\"num\">7</td>",
    ] {
        assert!(res.body.contains(line), "{line} missing in {}", res.body);
    }
    assert!(
        res.body
            .contains("No account has the external id &#34;nobody-1&#34;")
            || res.body.contains("nobody-1")
    );
    assert!(
        !res.body.contains("<td class=\"num\">2</td>"),
        "the good row is not listed"
    );
    assert_eq!(app.count("select count(*) from feedback").await, 0);
    assert_eq!(
        app.count("select count(*) from import_batches").await,
        0,
        "nothing staged"
    );

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let res = client
        .post_file("/imports", &[("kind", "feedback")], "logo.png", png)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("This file cannot be imported"));
}

#[sqlx::test]
async fn importing_the_same_file_again_updates_instead_of_duplicating(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = b"external_id,body\nz-1,first\nz-2,second\n";
    import(&mut client, &app, "feedback", "support", "z.csv", csv).await;
    let again = import(
        &mut client,
        &app,
        "feedback",
        "support",
        "z.csv",
        b"external_id,body\nz-1,first (edited)\nz-2,second\n",
    )
    .await;
    assert!(again.contains("0 new, 2 updated"), "{again}");
    assert_eq!(app.count("select count(*) from feedback").await, 2);
    assert_eq!(
        app.count("select count(*) from feedback where body = 'first (edited)'")
            .await,
        1
    );
}

#[sqlx::test]
async fn productboard_notes_attach_to_accounts_by_domain(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let account = app
        .account("pb-1", "Pied Piper", 9_900_000, "mid_market")
        .await;
    sqlx::query("update accounts set domain = 'piedpiper.com' where id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = "Note title,Note text,User email,Company domain,Source origin,Source record ID\n\
               Export to Xero,We need a Xero export for month end,ri@piedpiper.com,piedpiper.com,intercom,ic-77\n";
    import(
        &mut client,
        &app,
        "feedback",
        "sales",
        "productboard.csv",
        csv.as_bytes(),
    )
    .await;
    let (title, account_id, email, source): (String, Option<i64>, String, String) =
        sqlx::query_as("select title, account_id, contact_email, source from feedback")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(title, "Export to Xero");
    assert_eq!(account_id, Some(account));
    assert_eq!(email, "ri@piedpiper.com");
    assert_eq!(
        source, "sales",
        "an outside origin falls back to the chosen source"
    );
}

#[sqlx::test]
async fn accounts_import_upserts_by_external_id(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("a-1", "Old Name", 100, "smb").await;
    let (mut client, _) = app.signed_in(Role::ProductOps).await;
    let csv = b"external_id,name,domain,arr,segment,lifecycle\na-1,New Name,new.example,$1.5M,enterprise,customer\na-2,Second,second.example,12000,smb,prospect\n";
    let done = import(&mut client, &app, "accounts", "", "accounts.csv", csv).await;
    assert!(done.contains("1 new, 1 updated"), "{done}");
    let (name, arr, segment): (String, i64, String) =
        sqlx::query_as("select name, arr_cents, segment from accounts where external_id = 'a-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), arr, segment.as_str()),
        ("New Name", 150_000_000, "enterprise")
    );
}

#[sqlx::test]
async fn only_data_managers_may_import(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Revenue).await;
    let res = client
        .post_file(
            "/imports",
            &[("kind", "feedback")],
            "x.csv",
            b"source,body\nsales,x\n",
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("select count(*) from import_batches").await, 0);
}

#[sqlx::test]
async fn the_command_line_names_each_bad_line_and_exits_non_zero(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.user(Role::Admin).await;
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let url = database_url_for(&base, &db);
    let dir = std::env::temp_dir().join(format!("gt-import-{db}"));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "source,body\nsales,ok\nnps,no score\n,\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_goldthread"))
        .args(["import", "feedback"])
        .arg(&bad)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("line 3: nps_score"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(app.count("select count(*) from feedback").await, 0);

    let good = dir.join("good.csv");
    std::fs::write(&good, "body\nfrom the command line\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_goldthread"))
        .args(["import", "feedback", "--source", "research"])
        .arg(&good)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 new"));
    assert_eq!(
        app.count("select count(*) from feedback where source = 'research'")
            .await,
        1
    );
}

/// The same server as `base`, another database.
fn database_url_for(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base, None),
    };
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = head[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(head.len());
    let mut url = format!("{}/{db}", &head[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

#[sqlx::test]
async fn an_nps_survey_export_imports_as_nps_responses(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("acme-9", "Acme", 1_000_000, "smb").await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = "Response ID,How likely are you to recommend us to a friend?,What is the main reason for your score?,Email,Company,Submitted At\n\
               r1,9,Fast payouts,a@acme.example,acme-9,2026-09-01\n\
               r2,3,Fees are confusing,b@acme.example,acme-9,2026-09-02\n\
               r3,7,,c@acme.example,,2026-09-03\n";
    import(
        &mut client,
        &app,
        "feedback",
        "",
        "survey.csv",
        csv.as_bytes(),
    )
    .await;
    let rows: Vec<(String, i16, String)> =
        sqlx::query_as("select external_id, nps_score, source from feedback order by external_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|(_, _, s)| s == "nps"));
    assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), [9, 3, 7]);
    let page = client.get("/feedback?nps=detractor").await;
    assert!(page.body.contains("Fees are confusing"));
    assert!(!page.body.contains("Fast payouts"));
}
