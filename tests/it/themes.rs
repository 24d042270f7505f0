//! Themes: tagging from the database, review, merge/undo, rollups, NPS page, API, a browser run.

use axum::http::{Method, StatusCode};
use goldthread::audit::Actor;
use goldthread::auth::Role;
use goldthread::themes::{Decision, ThemeFields, edit};
use sqlx::PgPool;

use crate::helpers::{TestApp, account, assert_rollups_match, feedback, tag, theme};

#[sqlx::test]
async fn merge_moves_every_tag_is_audited_and_undo_restores_it(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let a = theme(&app.pool, "Slow transfers", "slow transfer").await;
    let b = theme(&app.pool, "Pending transfers", "pending transfer").await;
    let f1 = feedback(&app.pool, "support", "transfer is slow", None, None, 1).await;
    let f2 = feedback(
        &app.pool,
        "support",
        "transfer pending and slow",
        None,
        None,
        2,
    )
    .await;
    let f3 = feedback(
        &app.pool,
        "sales",
        "transfer pending for days",
        None,
        None,
        3,
    )
    .await;
    tag(&app.pool, f1, a, "confirmed").await;
    tag(&app.pool, f2, a, "suggested").await;
    tag(&app.pool, f2, b, "confirmed").await;
    tag(&app.pool, f3, b, "suggested").await;

    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let res = pm
        .post_form(
            &format!("/themes/{a}/merge"),
            &[("target_id", &b.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), Some(format!("/themes/{b}").as_str()));

    let on = |theme: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(
                "select feedback_id, state from feedback_themes where theme_id = $1 order by feedback_id",
            )
            .bind(theme)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert!(on(a).await.is_empty(), "every tag left the merged theme");
    assert_eq!(
        on(b).await,
        vec![
            (f1, "confirmed".into()),
            (f2, "confirmed".into()),
            (f3, "suggested".into())
        ]
    );
    let status: (String, Option<i64>) =
        sqlx::query_as("select status, merged_into_id from themes where id = $1")
            .bind(a)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, ("merged".into(), Some(b)), "kept as an alias");
    let audited: String =
        sqlx::query_scalar("select summary from audit_log where action = 'theme.merge'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        audited.contains("Merged \"Slow transfers\" into \"Pending transfers\""),
        "{audited}"
    );
    assert_rollups_match(&app.pool).await;

    // The alias's page says where it went and offers the undo.
    let alias = pm.get(&format!("/themes/{a}")).await;
    assert!(alias.body.contains("was merged into"));
    let merge_id: i64 = sqlx::query_scalar("select id from theme_merges")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        alias
            .body
            .contains(&format!("/themes/merges/{merge_id}/undo"))
    );
    let res = pm
        .post_form(&format!("/themes/merges/{merge_id}/undo"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        on(a).await,
        vec![(f1, "confirmed".into()), (f2, "suggested".into())]
    );
    assert_eq!(
        on(b).await,
        vec![(f2, "confirmed".into()), (f3, "suggested".into())]
    );
    let status: String = sqlx::query_scalar("select status from themes where id = $1")
        .bind(a)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "active");
    assert_rollups_match(&app.pool).await;
    let unmerge: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'theme.unmerge'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unmerge, 1);
}

#[sqlx::test]
async fn rollups_match_a_direct_count_after_every_kind_of_edit(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let actor = Actor::System("test");
    let acme = account(&app.pool, "Acme", "enterprise", 12_000_000).await;
    let tiny = account(&app.pool, "Tiny", "smb", 50_000).await;
    let t1 = theme(&app.pool, "Fees", "fee").await;
    let t2 = theme(&app.pool, "Cards", "card").await;
    let mut tags = Vec::new();
    for i in 0..12 {
        let acc = [Some(acme), Some(tiny), None][i % 3];
        let (source, nps) = if i % 4 == 0 {
            ("nps", Some((i % 11) as i16))
        } else {
            ("support", None)
        };
        let f = feedback(
            &app.pool,
            source,
            &format!("item {i}"),
            acc,
            nps,
            (i * 9) as i32,
        )
        .await;
        tags.push((
            f,
            tag(&app.pool, f, if i % 2 == 0 { t1 } else { t2 }, "suggested").await,
        ));
    }
    assert_rollups_match(&app.pool).await;
    edit::decide(
        &app.pool,
        &actor,
        &[tags[0].1, tags[1].1],
        Decision::Confirm,
    )
    .await
    .unwrap();
    edit::decide(&app.pool, &actor, &[tags[2].1], Decision::Reject)
        .await
        .unwrap();
    assert_rollups_match(&app.pool).await;
    // Un-reject (a person changes their mind).
    edit::decide(&app.pool, &actor, &[tags[2].1], Decision::Confirm)
        .await
        .unwrap();
    assert_rollups_match(&app.pool).await;
    // Archive, re-date, move account, delete.
    sqlx::query("update feedback set archived_at = now() where id = $1")
        .bind(tags[3].0)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update feedback set received_at = received_at - interval '40 days' where id = $1")
        .bind(tags[4].0)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update feedback set account_id = $2 where id = $1")
        .bind(tags[5].0)
        .bind(acme)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("delete from feedback where id = $1")
        .bind(tags[6].0)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_rollups_match(&app.pool).await;
    sqlx::query("update feedback set archived_at = null where id = $1")
        .bind(tags[3].0)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_rollups_match(&app.pool).await;
    // Merge and split.
    let merge = edit::merge(&app.pool, &actor, t1, t2).await.unwrap();
    assert_rollups_match(&app.pool).await;
    edit::undo_merge(&app.pool, &actor, merge).await.unwrap();
    assert_rollups_match(&app.pool).await;
    let fields = ThemeFields {
        name: "Card fees".into(),
        description: String::new(),
        keywords: vec![],
        parent_id: Some(t2),
        owner_id: None,
    };
    let (_, moved) = edit::split(&app.pool, &actor, t2, &fields, &[tags[1].1, tags[7].1])
        .await
        .unwrap();
    assert_eq!(moved, 2);
    assert_rollups_match(&app.pool).await;

    // ARR at stake is the sum over distinct accounts, not over items.
    let figs = goldthread::insights::figures::compute(
        &app.pool,
        &goldthread::insights::db::Scope::default(),
        goldthread::insights::figures::Period::parse(Some("2000-01-01"), None),
    )
    .await
    .unwrap();
    let direct_arr: i64 = sqlx::query_scalar(
        "select coalesce(sum(arr), 0)::bigint from (select distinct f.account_id, a.arr_cents as arr from feedback_themes ft
         join feedback f on f.id = ft.feedback_id and f.archived_at is null join accounts a on a.id = f.account_id
         where ft.theme_id = $1 and ft.state <> 'rejected') x",
    )
    .bind(t1)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(figs.get(&t1).map(|f| f.arr_cents).unwrap_or(0), direct_arr);
}

#[sqlx::test]
async fn the_api_lists_creates_and_decides(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let pm = app.user(Role::Pm).await;
    let viewer = app.user(Role::Viewer).await;
    let (_, pm_token) = goldthread::admin::issue_token(&app.pool, &Actor::User(&pm), pm.id, "t")
        .await
        .unwrap();
    let (_, viewer_token) =
        goldthread::admin::issue_token(&app.pool, &Actor::User(&pm), viewer.id, "v")
            .await
            .unwrap();
    let mut c = app.client();
    let created = c
        .api(
            Method::POST,
            "/api/v1/themes",
            Some(&pm_token),
            Some(serde_json::json!({"name": "Fees", "keywords": "fee, charge"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(
        created.json()["keywords"],
        serde_json::json!(["fee", "charge"])
    );
    let refused = c
        .api(
            Method::POST,
            "/api/v1/themes",
            Some(&viewer_token),
            Some(serde_json::json!({"name": "X"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let invalid = c
        .api(
            Method::POST,
            "/api/v1/themes",
            Some(&pm_token),
            Some(serde_json::json!({"name": " "})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json()["errors"][0]["field"], "name");

    let f = feedback(&app.pool, "support", "a surprise fee", None, None, 1).await;
    let t = tag(&app.pool, f, id, "suggested").await;
    let list = c
        .api(Method::GET, "/api/v1/themes", Some(&viewer_token), None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()[0]["name"], "Fees");
    assert_eq!(list.json()[0]["figures"]["items_30_days"], 1);
    let denied = c
        .api(
            Method::POST,
            &format!("/api/v1/tags/{t}/confirm"),
            Some(&viewer_token),
            None,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let ok = c
        .api(
            Method::POST,
            &format!("/api/v1/tags/{t}/confirm"),
            Some(&pm_token),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["state"], "confirmed");
    let one = c
        .api(
            Method::GET,
            &format!("/api/v1/themes/{id}"),
            Some(&viewer_token),
            None,
        )
        .await;
    assert_eq!(one.json()["figures"]["confirmed_in_period"], 1);
    let doc = c.api(Method::GET, "/api/openapi.json", None, None).await;
    for path in [
        "/api/v1/me",
        "/api/v1/themes",
        "/api/v1/themes/{id}",
        "/api/v1/tags/{id}/confirm",
        "/api/v1/tags/{id}/reject",
    ] {
        assert!(doc.json()["paths"].get(path).is_some(), "{path} documented");
    }
}

/// The overview keeps its figures in memory between views; every committed change still shows
/// on the next view, whether it touches a tag, the tagged feedback or an account's segment.
#[sqlx::test]
async fn the_overview_shows_every_change_at_once_though_it_keeps_its_figures(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Pm).await;
    let fees = theme(&app.pool, "Fees", "fee").await;
    let acme = account(&app.pool, "Acme", "enterprise", 1_000_000).await;
    let initech = account(&app.pool, "Initech", "smb", 200_000).await;
    let f1 = feedback(&app.pool, "sales", "the fee is high", Some(acme), None, 3).await;
    tag(&app.pool, f1, fees, "confirmed").await;
    let mut c = app.client();
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes").await,
        (1, 1, 1_000_000)
    );
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes").await,
        (1, 1, 1_000_000),
        "same again"
    );

    let f2 = feedback(&app.pool, "support", "another fee", Some(initech), None, 2).await;
    tag(&app.pool, f2, fees, "suggested").await;
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes").await,
        (2, 2, 1_200_000),
        "a new tag"
    );
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes?segment=smb").await,
        (1, 1, 200_000)
    );

    sqlx::query("update feedback set archived_at = now() where id = $1")
        .bind(f1)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes").await,
        (1, 1, 200_000),
        "archived"
    );

    sqlx::query("update accounts set segment = 'enterprise' where id = $1")
        .bind(initech)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes?segment=smb").await,
        (0, 0, 0),
        "the account moved segment"
    );

    // The page reads the same figures: the PM rejects the last tag and the theme shows none.
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let tag_id: i64 = sqlx::query_scalar("select id from feedback_themes where feedback_id = $1")
        .bind(f2)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let before = pm.get("/themes").await;
    assert!(before.body.contains("Fees"));
    let res = pm
        .post_form("/themes/review", &[("one", &format!("reject:{tag_id}"))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        fees_figures(&mut c, &token, "/api/v1/themes").await,
        (0, 0, 0),
        "rejected"
    );
}

/// (items in period, accounts, ARR at stake) of the theme "Fees" in `GET path`.
async fn fees_figures(c: &mut crate::helpers::Client, token: &str, path: &str) -> (i64, i64, i64) {
    let res = c.api(Method::GET, path, Some(token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let all = res.json();
    let fees = all
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["name"] == "Fees")
        .cloned()
        .expect("Fees listed");
    let f = &fees["figures"];
    (
        f["items_in_period"].as_i64().unwrap(),
        f["accounts"].as_i64().unwrap(),
        f["arr_at_stake_cents"].as_i64().unwrap(),
    )
}

/// On a Tuesday the week under way has two days of feedback; the trend compares complete weeks,
/// so a steady theme reads as steady, and the page says which weeks it compares.
#[sqlx::test]
async fn the_trend_compares_complete_weeks_not_the_week_under_way(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let t = theme(&app.pool, "Steady theme", "steady").await;
    // Eight complete weeks of 5 items each (Mondays 2026-10-05 … 2026-11-23), then the week of
    // Monday 2026-11-30 with one item so far; the period ends on Tuesday 2026-12-01.
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into feedback (source, body, received_at)
         select 'support', 'steady item ' || w || '-' || i,
                timestamptz '2026-10-05 10:00+00' + make_interval(weeks => w, days => i % 5)
         from generate_series(0, 7) w, generate_series(1, 5) i
         union all select 'support', 'steady item so far', timestamptz '2026-11-30 09:00+00'
         returning id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for id in &ids {
        tag(&app.pool, *id, t, "confirmed").await;
    }
    let period =
        goldthread::insights::figures::Period::parse(Some("2026-09-01"), Some("2026-12-01"));
    let figs = goldthread::insights::figures::compute(
        &app.pool,
        &goldthread::insights::db::Scope::default(),
        period,
    )
    .await
    .unwrap();
    let f = figs.get(&t).expect("figures");
    assert_eq!(
        (f.last4, f.prev4),
        (20, 20),
        "the week under way counts in neither"
    );
    assert_eq!(f.trend().text, "0 %");
    assert_eq!(
        f.spark.last(),
        Some(&5),
        "the sparkline ends on the last complete week"
    );

    let (mut c, _) = app.signed_in(Role::Pm).await;
    let page = c.get("/themes?from=2026-09-01&to=2026-12-01").await;
    assert!(
        page.body.contains("compare complete weeks only"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("4 complete weeks to 2026-11-29: 20; the 4 weeks before: 20")
    );
    let theme_page = c
        .get(&format!("/themes/{t}?from=2026-09-01&to=2026-12-01"))
        .await;
    assert!(
        theme_page
            .body
            .contains("The last, paler bar is the week still under way.")
    );
}

/// Archived themes leave the overview's table but can still be found there, and restored.
#[sqlx::test]
async fn archived_themes_can_be_found_from_the_overview(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let old = theme(&app.pool, "Paper statements", "paper").await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let res = pm.post_form(&format!("/themes/{old}/archive"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = pm.get("/themes").await;
    assert!(
        page.body.contains("Archived and merged themes (1)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("<a href=\"/themes/{old}\">Paper statements</a>"))
    );
    let theme_page = pm.get(&format!("/themes/{old}")).await;
    assert!(theme_page.body.contains("restore"), "{}", theme_page.body);
}
