//! Themes: tagging from the database, review, merge/undo, rollups, NPS page, API, a browser run.

use axum::http::{Method, StatusCode};
use goldthread::audit::Actor;
use goldthread::auth::Role;
use goldthread::themes::{Decision, ThemeFields, edit};
use sqlx::PgPool;

use crate::helpers::TestApp;

/// Create an active theme with keywords; returns its id.
pub async fn theme(pool: &PgPool, name: &str, keywords: &str) -> i64 {
    let fields = ThemeFields {
        name: name.into(),
        description: String::new(),
        keywords: goldthread::themes::parse_keywords(keywords),
        parent_id: None,
        owner_id: None,
    };
    edit::create(pool, &Actor::System("test"), &fields)
        .await
        .expect("create theme")
        .id
}

async fn account(pool: &PgPool, name: &str, segment: &str, arr_cents: i64) -> i64 {
    sqlx::query_scalar(
        "insert into accounts (external_id, name, segment, arr_cents, plan) values ($1, $1, $2, $3, 'growth') returning id",
    )
    .bind(name)
    .bind(segment)
    .bind(arr_cents)
    .fetch_one(pool)
    .await
    .expect("insert account")
}

/// Insert a feedback item received `days_ago` days ago; NPS items carry their score.
pub async fn feedback(
    pool: &PgPool,
    source: &str,
    body: &str,
    account: Option<i64>,
    nps: Option<i16>,
    days_ago: i32,
) -> i64 {
    sqlx::query_scalar(
        "insert into feedback (source, body, account_id, nps_score, arr_cents_snapshot, received_at)
         values ($1, $2, $3, $4, (select arr_cents from accounts where id = $3), now() - make_interval(days => $5))
         returning id",
    )
    .bind(source)
    .bind(body)
    .bind(account)
    .bind(nps)
    .bind(days_ago)
    .fetch_one(pool)
    .await
    .expect("insert feedback")
}

async fn tag(pool: &PgPool, feedback_id: i64, theme_id: i64, state: &str) -> i64 {
    sqlx::query_scalar(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state) values ($1, $2, 'auto', 0.8, $3) returning id",
    )
    .bind(feedback_id)
    .bind(theme_id)
    .bind(state)
    .fetch_one(pool)
    .await
    .expect("insert tag")
}

/// Rollups (per theme, all time) equal a direct count over the tags, and distinct accounts too.
async fn assert_rollups_match(pool: &PgPool) {
    let direct: Vec<(i64, i64, i64)> = goldthread::insights::db::direct_counts(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.theme_id, d.items, d.confirmed))
        .collect();
    let rolled: Vec<(i64, i64, i64)> = goldthread::insights::db::rollup_counts(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.theme_id, d.items, d.confirmed))
        .collect();
    assert_eq!(rolled, direct, "theme_weekly vs direct count");
    let accounts_direct: Vec<(i64, i64)> = sqlx::query_as(
        "select ft.theme_id, count(distinct f.account_id) from feedback_themes ft
         join feedback f on f.id = ft.feedback_id and f.archived_at is null
         where ft.state <> 'rejected' and f.account_id is not null group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let accounts_rolled: Vec<(i64, i64)> = sqlx::query_as(
        "select theme_id, count(distinct account_id) from theme_account_weekly where items > 0 group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        accounts_rolled, accounts_direct,
        "theme_account_weekly vs direct count"
    );
    let nps_direct: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select account_id, count(*) filter (where nps_score >= 9), count(*) filter (where nps_score <= 6)
         from feedback where nps_score is not null and account_id is not null and archived_at is null
         group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let nps_rolled: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select account_id, sum(promoters)::bigint, sum(detractors)::bigint from account_nps_weekly
         group by 1 having sum(promoters) + sum(passives) + sum(detractors) > 0 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(nps_rolled, nps_direct, "account_nps_weekly vs direct count");
}

#[sqlx::test]
async fn the_tagger_suggests_themes_from_their_keywords_and_abstains_otherwise(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let cards = theme(
        &app.pool,
        "Card declined",
        "card declined, payment refused, card not working",
    )
    .await;
    let fx = theme(
        &app.pool,
        "Exchange rates",
        "exchange rate, currency conversion, fx rate",
    )
    .await;
    let f1 = feedback(
        &app.pool,
        "support",
        "My card declined at the supermarket again",
        None,
        None,
        1,
    )
    .await;
    let f2 = feedback(
        &app.pool,
        "sales",
        "The exchange rate on currency conversion is poor",
        None,
        None,
        2,
    )
    .await;
    let f3 = feedback(&app.pool, "other", "zzz qqq", None, None, 3).await;
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(run.items, 3);
    let tags: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "select feedback_id, theme_id, origin, state from feedback_themes order by feedback_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        tags.contains(&(f1, cards, "auto".into(), "suggested".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&(f2, fx, "auto".into(), "suggested".into())),
        "{tags:?}"
    );
    assert!(
        !tags.iter().any(|t| t.0 == f3),
        "gibberish stays untagged: {tags:?}"
    );

    // New feedback is tagged in the background through a job.
    let f4 = feedback(
        &app.pool,
        "support",
        "card not working in the shop",
        None,
        None,
        0,
    )
    .await;
    goldthread::themes::tag_new_feedback(&app.pool, &[f4])
        .await
        .unwrap();
    assert_eq!(goldthread::worker::run_pending(&app.pool).await.unwrap(), 1);
    let t4: Option<i64> =
        sqlx::query_scalar("select theme_id from feedback_themes where feedback_id = $1")
            .bind(f4)
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(t4, Some(cards));
    assert_rollups_match(&app.pool).await;
}

#[sqlx::test]
async fn a_rejection_is_kept_on_retag_and_the_overview_counts_what_people_see(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card declined", "card declined").await;
    let f1 = feedback(
        &app.pool,
        "support",
        "card declined at the till",
        None,
        None,
        1,
    )
    .await;
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let page = pm.get("/themes/review").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("card declined at the till"),
        "{}",
        page.body
    );
    let tag_id: i64 = sqlx::query_scalar("select id from feedback_themes where feedback_id = $1")
        .bind(f1)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = pm
        .post_form("/themes/review", &[("one", &format!("reject:{tag_id}"))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let after = pm.get("/themes/review").await;
    assert!(after.body.contains("Rejected 1 tag."), "flash after POST");
    assert!(after.body.contains("Nothing to review"));
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    let state: String = sqlx::query_scalar("select state from feedback_themes where id = $1")
        .bind(tag_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "rejected", "a retag never overrides a person");
    let audit: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'tag.reject'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
    let overview = pm.get("/themes").await;
    assert!(
        overview
            .body
            .contains(&format!("href=\"/themes/{cards}\">Card declined"))
    );
}

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
async fn nps_page_shows_no_score_without_answers_and_zero_for_all_passives(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let empty = viewer.get("/nps").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty
            .body
            .contains("<span class=\"stat-value\" id=\"nps-score\">—</span>"),
        "{}",
        empty.body
    );
    assert!(empty.body.contains("No answers in this period"));
    for score in [7, 8, 7] {
        feedback(&app.pool, "nps", "fine I guess", None, Some(score), 2).await;
    }
    let passives = viewer.get("/nps").await;
    assert!(
        passives
            .body
            .contains("<span class=\"stat-value\" id=\"nps-score\">0</span>"),
        "{}",
        passives.body
    );
    assert!(passives.body.contains("3 answers"));
    feedback(&app.pool, "nps", "love it", None, Some(10), 2).await;
    let mixed = viewer.get("/nps").await;
    assert!(
        mixed.body.contains("id=\"nps-score\">+25</span>"),
        "1 promoter of 4 answers"
    );
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

#[sqlx::test]
async fn a_themes_nps_is_that_of_the_accounts_that_mention_it(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let fees = theme(&app.pool, "Fees", "fee").await;
    let unhappy = account(&app.pool, "Unhappy", "smb", 100_000).await;
    let happy = account(&app.pool, "Happy", "enterprise", 900_000).await;
    let quiet = account(&app.pool, "Quiet", "smb", 500_000).await;
    let f1 = feedback(
        &app.pool,
        "support",
        "the fee is too high",
        Some(unhappy),
        None,
        3,
    )
    .await;
    let f2 = feedback(&app.pool, "sales", "fee questions", Some(quiet), None, 3).await;
    tag(&app.pool, f1, fees, "confirmed").await;
    tag(&app.pool, f2, fees, "suggested").await;
    // NPS answers: the unhappy account's two count; the happy account never mentions fees.
    feedback(&app.pool, "nps", "meh", Some(unhappy), Some(3), 5).await;
    feedback(&app.pool, "nps", "ok", Some(unhappy), Some(9), 6).await;
    feedback(&app.pool, "nps", "great", Some(happy), Some(10), 5).await;
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let page = viewer.get(&format!("/themes/{fees}")).await;
    assert!(
        page.body.contains("2 answers from these accounts"),
        "{}",
        page.body
    );
    let figs = goldthread::insights::figures::compute(
        &app.pool,
        &goldthread::insights::db::Scope::default(),
        goldthread::insights::figures::Period::parse(None, None),
    )
    .await
    .unwrap();
    let f = figs.get(&fees).unwrap();
    assert_eq!(
        f.account_nps.score(),
        Some(0.0),
        "one promoter, one detractor"
    );
    assert_eq!(f.accounts, 2);
    assert_eq!(f.arr_cents, 600_000, "ARR of the two distinct accounts");
    let overview = viewer.get("/themes?segment=enterprise").await;
    assert!(overview.status.is_success());
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

#[sqlx::test]
async fn emerging_themes_follow_the_untagged_feedback(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let empty = pm.get("/themes/emerging").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No emerging themes"), "{}", empty.body);

    let crypto = [
        "Crypto wallet withdrawal to my crypto exchange is stuck",
        "Why can't I withdraw crypto to an external crypto wallet",
        "My crypto wallet withdrawal failed twice today",
        "Crypto withdrawal to wallet pending for hours",
        "Please enable crypto wallet withdrawals to other exchanges",
    ];
    let passport = [
        "Passport photo rejected during identity verification",
        "Identity verification keeps failing on my passport scan",
        "How long does passport identity verification take",
        "Verification of my identity with a passport did not work",
        "Passport identity check stuck on verification screen",
    ];
    let mut crypto_ids = Vec::new();
    for body in crypto {
        crypto_ids.push(feedback(&app.pool, "support", body, None, None, 1).await);
    }
    for body in passport {
        feedback(&app.pool, "support", body, None, None, 2).await;
    }
    let page = pm.get("/themes/emerging").await;
    assert!(
        page.body.contains("from the 10 most recent untagged items"),
        "{}",
        page.body
    );
    let crypto_quotes = |body: &str| crypto.iter().filter(|t| body.contains(*t)).count();
    let passport_quotes = |body: &str| passport.iter().filter(|t| body.contains(*t)).count();
    assert!(crypto_quotes(&page.body) > 0, "{}", page.body);
    assert!(passport_quotes(&page.body) > 0, "{}", page.body);
    assert!(page.body.contains("Create theme from this"));

    // Once a theme covers the crypto items, the next visit no longer offers them.
    let wallets = theme(&app.pool, "Crypto wallets", "crypto").await;
    for id in crypto_ids {
        tag(&app.pool, id, wallets, "confirmed").await;
    }
    let page = pm.get("/themes/emerging").await;
    assert!(
        page.body.contains("from the 5 most recent untagged items"),
        "{}",
        page.body
    );
    assert_eq!(crypto_quotes(&page.body), 0, "{}", page.body);
    assert!(passport_quotes(&page.body) > 0, "{}", page.body);
    assert!(
        !page.body.contains("BANKING77"),
        "no attribution without the data set"
    );

    // With the demo's BANKING77 tickets loaded, pages quoting feedback attribute the data set.
    sqlx::query("insert into feedback (source, external_id, body) values ('support', 'banking77-1', 'I am still waiting on my card?')")
        .execute(&app.pool)
        .await
        .unwrap();
    for path in [
        "/themes/emerging",
        "/themes/review",
        &format!("/themes/{wallets}"),
    ] {
        let page = pm.get(path).await;
        assert!(page.body.contains("BANKING77"), "{path}: {}", page.body);
    }
}
