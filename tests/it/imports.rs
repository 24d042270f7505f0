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

/// Upload a file that is refused: the answer sends the browser back to the upload page (so the
/// upload address, which carries the CSRF token, never stays in the address bar), which then
/// shows the report once.
async fn refused_upload(
    client: &mut Client,
    fields: &[(&str, &str)],
    name: &str,
    csv: &[u8],
) -> crate::helpers::TestResponse {
    let res = client.post_file("/imports", fields, name, csv).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), Some("/imports"));
    let page = client.get("/imports").await;
    assert_eq!(page.status, StatusCode::OK);
    let again = client.get("/imports").await;
    assert!(
        !again.body.contains("This file cannot be imported") && !again.body.contains("need fixing"),
        "the report is shown once"
    );
    page
}

#[sqlx::test]
async fn a_good_file_previews_then_commits(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.account("acme-1", "Acme", 120_000_000, "enterprise")
        .await;
    let (mut client, _) = app.signed_in(Role::ProductOps).await;
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
    let (body, reporter): (String, Option<i64>) =
        sqlx::query_as("select body, reporter_id from feedback where external_id = 't-1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(body, "Card declined\nat the till", "quoted newline kept");
    assert_eq!(
        reporter, None,
        "a file without a reporter column leaves the reporter empty, not the importer"
    );
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
    let res = refused_upload(
        &mut client,
        &[("kind", "feedback")],
        "bad.csv",
        csv.as_bytes(),
    )
    .await;
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
    let res = refused_upload(&mut client, &[("kind", "feedback")], "logo.png", png).await;
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

/// Upload and return the preview page's address and body (the file must check out).
async fn upload_to_preview(
    client: &mut Client,
    fields: &[(&str, &str)],
    name: &str,
    csv: &[u8],
) -> (String, String) {
    let res = client.post_file("/imports", fields, name, csv).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let batch = res.location().expect("preview").to_owned();
    let preview = client.get(&batch).await;
    assert!(
        preview.body.contains("Every row checked out"),
        "{}",
        preview.body
    );
    (batch, preview.body)
}

async fn set_domain(app: &TestApp, account: i64, domain: &str) {
    sqlx::query("update accounts set domain = $2 where id = $1")
        .bind(account)
        .bind(domain)
        .execute(&app.pool)
        .await
        .unwrap();
}

#[sqlx::test]
async fn an_nps_export_matches_companies_by_name_and_domain_and_reads_us_dates(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let acme = app.account("crm-1", "Acme Corp", 1_000_000, "smb").await;
    let globex = app.account("crm-2", "Globex", 2_000_000, "smb").await;
    set_domain(&app, globex, "globex.com").await;
    let (mut client, _) = app.signed_in(Role::ProductOps).await;
    let csv = "Response ID,Score,Comment,Company,Date\n\
               r1,9,Quick payouts,ACME corp,11/25/2026\n\
               r2,4,Fees unclear,https://www.globex.com,11/3/2026 14:30\n\
               r3,8,Fine,crm-1,2026-11-02\n";
    let (batch, preview) = upload_to_preview(
        &mut client,
        &[("kind", "feedback")],
        "survey.csv",
        csv.as_bytes(),
    )
    .await;
    assert!(
        preview.contains("Acme Corp"),
        "resolved name shown: {preview}"
    );
    assert!(preview.contains("Globex"), "{preview}");
    assert!(
        !preview.contains("How should the dates be read"),
        "11/25 decides the order"
    );
    client.post_form(&format!("{batch}/commit"), &[]).await;
    wait_for_commit(&app).await;
    let rows: Vec<(String, Option<i64>, String)> = sqlx::query_as(
        "select external_id, account_id, to_char(received_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from feedback order by external_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("r1".into(), Some(acme), "2026-11-25 00:00".into()),
            ("r2".into(), Some(globex), "2026-11-03 14:30".into()),
            ("r3".into(), Some(acme), "2026-11-02 00:00".into()),
        ]
    );
}

async fn wait_for_commit(app: &TestApp) {
    for _ in 0..100 {
        let state: String =
            sqlx::query_scalar("select state from import_batches order by id desc limit 1")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if state != "committing" {
            assert_eq!(state, "committed");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the commit did not finish");
}

#[sqlx::test]
async fn ambiguous_dates_are_read_the_way_the_importer_chooses(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = b"score,comment,date\n7,ok,03/04/2026\n9,great,05/06/2026 09:15\n";
    let (batch, preview) =
        upload_to_preview(&mut client, &[("kind", "feedback")], "eu.csv", csv).await;
    assert!(
        preview.contains("How should the dates be read"),
        "{preview}"
    );
    assert!(preview.contains("month/day/year"), "{preview}");
    let res = client
        .post_form(&format!("{batch}/dates"), &[("order", "day_first")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let preview = client.get(&batch).await.body;
    assert!(preview.contains("day/month/year"), "{preview}");
    client.post_form(&format!("{batch}/commit"), &[]).await;
    wait_for_commit(&app).await;
    let dates: Vec<String> = sqlx::query_scalar(
        "select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from feedback order by received_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(dates, ["2026-04-03 00:00", "2026-06-05 09:15"]);
}

#[sqlx::test]
async fn every_problem_in_a_row_is_reported(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = b"score,comment,email,date\n11,too high,not-an-email,13/13/2026\n";
    let page = refused_upload(&mut client, &[("kind", "feedback")], "bad.csv", csv).await;
    for field in ["nps_score", "contact_email", "received_at"] {
        assert!(
            page.body.contains(&format!("<td>{field}</td>")),
            "{field} missing: {}",
            page.body
        );
    }
}

#[sqlx::test]
async fn the_preview_warns_about_a_domain_that_matches_no_account(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let known = app.account("pb-1", "Pied Piper", 9_900_000, "smb").await;
    set_domain(&app, known, "piedpiper.com").await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = "Note title,Note text,Company domain,Source record ID\n\
               Xero,Needs a Xero export,piedpiper.com,n-1\n\
               SSO,Wants SSO,hooli.example,n-2\n";
    let (batch, preview) = upload_to_preview(
        &mut client,
        &[("kind", "feedback"), ("default_source", "sales")],
        "pb.csv",
        csv.as_bytes(),
    )
    .await;
    assert!(
        preview.contains("1 row names an account we don&#39;t have")
            || preview.contains("1 row names an account we don't have"),
        "{preview}"
    );
    assert!(
        preview.contains("Line 3: no account matches “hooli.example”"),
        "{preview}"
    );
    assert!(preview.contains("Pied Piper"), "{preview}");
    client.post_form(&format!("{batch}/commit"), &[]).await;
    wait_for_commit(&app).await;
    let accounts: Vec<Option<i64>> =
        sqlx::query_scalar("select account_id from feedback order by external_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        accounts,
        [Some(known), None],
        "the unmatched row is imported, not dropped"
    );
}

#[sqlx::test]
async fn an_empty_file_is_called_empty(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let page = refused_upload(&mut client, &[("kind", "feedback")], "empty.csv", b"").await;
    assert!(page.body.contains("The file is empty"), "{}", page.body);
    assert!(!page.body.contains("Choose a CSV file"), "{}", page.body);
}

#[sqlx::test]
async fn the_reporter_comes_from_the_file(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let pm = app.user(Role::Pm).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    let csv = format!(
        "source,external_id,body,reporter_email\n\
         sales,r-1,From the PM,{}\n\
         sales,r-2,Nobody logged this,\n\
         sales,r-3,Someone we do not know,stranger@example.com\n",
        pm.email.to_uppercase()
    );
    let (batch, preview) = upload_to_preview(
        &mut client,
        &[("kind", "feedback")],
        "reporters.csv",
        csv.as_bytes(),
    )
    .await;
    assert!(preview.contains(&pm.name), "{preview}");
    assert!(preview.contains("stranger@example.com"), "{preview}");
    client.post_form(&format!("{batch}/commit"), &[]).await;
    wait_for_commit(&app).await;
    let reporters: Vec<Option<i64>> =
        sqlx::query_scalar("select reporter_id from feedback order by external_id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(reporters, [Some(pm.id), None, None]);
}

#[sqlx::test]
async fn a_committed_import_can_be_undone(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, user) = app.signed_in(Role::ProductOps).await;
    import(
        &mut client,
        &app,
        "feedback",
        "support",
        "first.csv",
        b"external_id,body\nu-1,The original wording\nu-2,Untouched item\n",
    )
    .await;
    let done = import(
        &mut client,
        &app,
        "feedback",
        "support",
        "second.csv",
        b"external_id,body\nu-1,Reworded by the second file\nu-3,Brand new from the second file\n",
    )
    .await;
    let batch: i64 = sqlx::query_scalar("select max(id) from import_batches")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let link = format!("/feedback?import={batch}");
    assert!(
        done.contains(&link),
        "See the feedback links to the import: {done}"
    );
    let listed = client.get(&link).await.body;
    assert!(listed.contains("Brand new from the second file"));
    assert!(listed.contains("Reworded by the second file"));
    assert!(
        !listed.contains("Untouched item"),
        "only this import's items"
    );

    let confirm = client.get(&format!("/imports/{batch}/undo")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.body.contains("Undo the import of second.csv?"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("<strong>1</strong> item it created"),
        "{}",
        confirm.body
    );
    let res = client
        .post_form(&format!("/imports/{batch}/undo"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    let list = client.get("/feedback").await.body;
    assert!(
        !list.contains("Brand new from the second file"),
        "created item gone"
    );
    assert!(
        list.contains("The original wording"),
        "updated item restored"
    );
    assert!(!list.contains("Reworded by the second file"));
    assert!(list.contains("Untouched item"));
    let page = client.get(&format!("/imports/{batch}")).await.body;
    assert!(page.contains(&format!("Undone by {}", user.name)), "{page}");
    assert!(!page.contains("Undo this import"), "{page}");
    let uploads = client.get("/imports").await.body;
    assert!(uploads.contains(">undone</span>"), "{uploads}");
    assert_eq!(
        app.count("select count(*) from audit_log where action = 'undo_import'")
            .await,
        1
    );
    let again = client
        .post_form(&format!("/imports/{batch}/undo"), &[])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "undone once only");
}

#[sqlx::test]
async fn an_earlier_import_waits_for_a_later_one_to_be_undone(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut client, _) = app.signed_in(Role::Admin).await;
    import(
        &mut client,
        &app,
        "feedback",
        "sales",
        "a.csv",
        b"external_id,body\nk-1,one\n",
    )
    .await;
    import(
        &mut client,
        &app,
        "feedback",
        "sales",
        "b.csv",
        b"external_id,body\nk-1,two\n",
    )
    .await;
    let first: i64 = sqlx::query_scalar("select min(id) from import_batches")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let confirm = client.get(&format!("/imports/{first}/undo")).await.body;
    assert!(confirm.contains("Undo that import first"), "{confirm}");
    let res = client
        .post_form(&format!("/imports/{first}/undo"), &[])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        app.count("select count(*) from feedback where body = 'two' and archived_at is null")
            .await,
        1
    );
}

#[sqlx::test]
async fn the_command_line_warns_and_reads_dates_day_first_when_told(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.user(Role::Admin).await;
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let url = database_url_for(&std::env::var("DATABASE_URL").expect("DATABASE_URL"), &db);
    let dir = std::env::temp_dir().join(format!("gt-import-{db}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("survey.csv");
    std::fs::write(
        &file,
        "score,comment,company,date\n7,ok,Nobody Inc,03/04/2026\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_goldthread"))
        .args(["import", "feedback", "--dates", "day-first"])
        .arg(&file)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: 1 row(s) name an account we don't have"),
        "{stderr}"
    );
    assert!(stderr.contains("line 2 \"Nobody Inc\""), "{stderr}");
    assert!(stderr.contains("read as day/month/year"), "{stderr}");
    let day: String = sqlx::query_scalar(
        "select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD') from feedback",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(day, "2026-04-03");
}
