//! Scale (#14): set-based rollups, the source-free per-account rollup and its readers, bulk retag
//! plumbing, the NPS daily rollup, several processes on one database, and imports interrupted by
//! a stopped process.

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{
    TestApp, account, assert_nps_daily_matches, assert_rollups_match, feedback, tag, theme,
};

/// A second, independent connection pool to the same database: what another process has.
async fn second_pool(pool: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .expect("second pool")
}

#[sqlx::test]
async fn set_based_rollups_equal_a_direct_count_after_bulk_statements(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let a = account(&app.pool, "Acme", "smb", 1_000_000).await;
    let b = account(&app.pool, "Globex", "enterprise", 9_000_000).await;
    let t1 = theme(&app.pool, "Cards", "card").await;
    let t2 = theme(&app.pool, "Fees", "fee").await;
    for i in 0..40 {
        let acc = [Some(a), Some(b), None][i % 3];
        let nps = (i % 4 == 0).then_some((i % 11) as i16);
        let source = if nps.is_some() { "nps" } else { "support" };
        let f = feedback(&app.pool, source, "card fee", acc, nps, (i * 3) as i32).await;
        tag(
            &app.pool,
            f,
            t1,
            ["suggested", "confirmed", "rejected"][i % 3],
        )
        .await;
        if i % 2 == 0 {
            tag(&app.pool, f, t2, "suggested").await;
        }
    }
    assert_rollups_match(&app.pool).await;
    assert_nps_daily_matches(&app.pool).await;
    // Statements touching many rows at once, as bulk paths do.
    for sql in [
        "update feedback_themes set confidence = 0.3 where id % 2 = 0",
        "update feedback_themes set state = 'confirmed' where id % 3 = 1",
        "update feedback_themes set state = 'rejected' where id % 5 = 0",
        "delete from feedback_themes where id % 7 = 0",
        "update feedback set archived_at = now() where id % 4 = 1",
        "update feedback set received_at = received_at - interval '20 days' where id % 3 = 0",
        "update feedback set nps_score = 10 where nps_score is not null and id % 2 = 0",
        "update feedback set account_id = null where id % 5 = 2",
        "update accounts set segment = 'mid_market', plan = 'scale' where name = 'Acme'",
        // A source change moves per-source keys; summed over sources nothing moves.
        "update feedback set source = 'sales' where source = 'support' and id % 6 = 3",
        // A new ARR, then items re-dated onto it take its snapshot.
        "update accounts set arr_cents = 2500000 where name = 'Acme'",
        "update feedback set received_at = now() where account_id is not null and id % 2 = 1",
        "update feedback set archived_at = null where id % 8 = 1",
        "delete from feedback where id % 9 = 0",
        "delete from accounts where name = 'Globex'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.expect(sql);
        assert_rollups_match(&app.pool).await;
        assert_nps_daily_matches(&app.pool).await;
    }
}

#[sqlx::test]
async fn per_account_figures_without_a_source_count_every_source_once(pool: PgPool) {
    use goldthread::insights::db::{self, Scope};
    use goldthread::insights::figures::{Period, week_start};
    let app = TestApp::new(pool).await;
    let acme = account(&app.pool, "Acme", "enterprise", 1_000_000).await;
    let globex = account(&app.pool, "Globex", "enterprise", 9_000_000).await;
    let tiny = account(&app.pool, "Tiny", "smb", 50_000).await;
    let cards = theme(&app.pool, "Cards", "card").await;
    // In one week: Acme through three sources, Globex twice through sales, Tiny through NPS.
    for (source, acc, nps) in [
        ("support", acme, None),
        ("sales", acme, None),
        ("nps", acme, Some(9)),
        ("sales", globex, None),
        ("sales", globex, None),
        ("nps", tiny, Some(3)),
    ] {
        let f = feedback(&app.pool, source, "card", Some(acc), nps, 2).await;
        tag(&app.pool, f, cards, "suggested").await;
    }
    // Globex's answer mentions no theme; it still counts among the theme's accounts' NPS.
    feedback(&app.pool, "nps", "fine", Some(globex), Some(7), 2).await;
    assert_rollups_match(&app.pool).await;
    assert_eq!(
        app.count("select count(*) from theme_account_weekly_all where items > 0")
            .await,
        3,
        "one row per account and week"
    );
    assert_eq!(
        app.count("select count(*) from theme_account_weekly where items > 0")
            .await,
        5
    );

    let period = Period::parse(None, None);
    let (from, to) = (week_start(period.from), period.last_week());
    let totals = |segment: Option<&str>, source: Option<&str>| {
        let scope = Scope {
            theme_id: None,
            source: source.map(str::to_string),
            segment: segment.map(str::to_string),
        };
        let pool = app.pool.clone();
        async move {
            db::account_totals(&pool, &scope, from, to, period.to)
                .await
                .unwrap()
                .into_iter()
                .map(|t| {
                    (
                        t.theme_id,
                        t.accounts,
                        t.arr_cents,
                        t.promoters,
                        t.passives,
                        t.detractors,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        totals(None, None).await,
        vec![(cards, 3, 10_050_000, 1, 1, 1)],
        "three accounts, each ARR once, every answer of theirs"
    );
    assert_eq!(
        totals(Some("enterprise"), None).await,
        vec![(cards, 2, 10_000_000, 1, 1, 0)]
    );
    assert_eq!(
        totals(None, Some("sales")).await,
        vec![(cards, 2, 10_000_000, 1, 1, 0)],
        "a source filter reads the per-source rollup"
    );
    assert_eq!(totals(Some("smb"), Some("sales")).await, vec![]);

    let accounts: Vec<(i64, i64, Option<i64>)> =
        db::theme_accounts(&app.pool, cards, from, to, period.to, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.account_id, a.items, a.arr_cents))
            .collect();
    assert_eq!(
        accounts,
        vec![
            (globex, 2, Some(9_000_000)),
            (acme, 3, Some(1_000_000)),
            (tiny, 1, Some(50_000))
        ]
    );
    assert_eq!(
        db::themes_for_account(&app.pool, acme, 10).await.unwrap(),
        vec![(cards, "Cards".to_string(), 3)]
    );

    // A segment's weekly volume without a source is the sum of its volumes per source.
    let weekly = |source: Option<&str>| {
        let scope = Scope {
            theme_id: Some(cards),
            source: source.map(str::to_string),
            segment: Some("enterprise".into()),
        };
        let pool = app.pool.clone();
        async move {
            db::weekly(&pool, &scope, from, to)
                .await
                .unwrap()
                .iter()
                .map(|w| (w.items, w.promoters))
                .fold((0, 0), |(i, p), (wi, wp)| (i + wi, p + wp))
        }
    };
    assert_eq!(weekly(None).await, (5, 1));
    let mut by_source = (0, 0);
    for source in ["support", "sales", "nps"] {
        let (i, p) = weekly(Some(source)).await;
        by_source = (by_source.0 + i, by_source.1 + p);
    }
    assert_eq!(by_source, (5, 1));
}

#[sqlx::test]
async fn a_retag_leaves_decisions_alone_covers_queued_arrivals_and_a_dry_run_writes_nothing(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card declined", "card declined").await;
    let mut items = Vec::new();
    for i in 0..30 {
        items.push(
            feedback(
                &app.pool,
                "support",
                &format!("my card declined at shop {i}"),
                None,
                None,
                i,
            )
            .await,
        );
    }
    let dry = goldthread::themes::tagging::retag::run(&app.pool, None, true)
        .await
        .unwrap();
    assert_eq!(dry.items, 30);
    assert_eq!(dry.tagged, 30, "every item would get a suggestion");
    assert_eq!(app.count("select count(*) from feedback_themes").await, 0);

    let confirmed = tag(&app.pool, items[0], cards, "confirmed").await;
    let rejected = tag(&app.pool, items[1], cards, "rejected").await;
    // An arrival queued before the retag: the retag reads those items, so the job is done.
    goldthread::feedback::after_ingest(&app.pool, vec![items[2]]).await;
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(run.items, 30);
    let states: Vec<(i64, String, String)> = sqlx::query_as(
        "select id, state, origin from feedback_themes where id = any($1) order by id",
    )
    .bind(vec![confirmed, rejected])
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        states,
        vec![
            (confirmed, "confirmed".into(), "auto".into()),
            (rejected, "rejected".into(), "auto".into())
        ]
    );
    assert_eq!(
        app.count("select count(*) from feedback_themes where state = 'suggested'")
            .await,
        28
    );
    assert_eq!(
        app.count("select count(*) from jobs where state = 'queued'")
            .await,
        0,
        "the queued arrival was covered by the retag"
    );
    assert_eq!(
        goldthread::worker::run_pending(&app.pool, &app.config)
            .await
            .unwrap(),
        0
    );
    // A second retag with nothing new rewrites no tag (no confidence-only updates).
    let before: i64 = app
        .count("select sum(xmin::text::bigint)::bigint from feedback_themes")
        .await;
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    let after: i64 = app
        .count("select sum(xmin::text::bigint)::bigint from feedback_themes")
        .await;
    assert_eq!(before, after, "unchanged suggestions are not rewritten");
    assert_rollups_match(&app.pool).await;
    // The retag told the planner about the tags it wrote.
    let analyzed = app
        .count("select count(*) from pg_stat_user_tables where relname = 'feedback_themes' and last_analyze is not null")
        .await;
    assert_eq!(analyzed, 1);
}

#[sqlx::test]
async fn the_nps_page_reads_the_daily_rollup_and_follows_every_change(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let acme = account(&app.pool, "Acme", "smb", 1_000_000).await;
    for (score, days) in [(10, 1), (9, 2), (3, 3), (7, 4)] {
        feedback(&app.pool, "nps", "answer", Some(acme), Some(score), days).await;
    }
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let page = viewer.get("/nps").await;
    assert_eq!(page.status, StatusCode::OK);
    // 2 promoters, 1 passive, 1 detractor of 4: NPS 25.
    assert!(
        page.body
            .contains("<span class=\"stat-value\" id=\"nps-score\">+25</span>"),
        "{}",
        page.body
    );
    sqlx::query("update feedback set archived_at = now() where nps_score = 3")
        .execute(&app.pool)
        .await
        .unwrap();
    let page = viewer.get("/nps").await;
    // 2 promoters, 1 passive of 3: NPS 67.
    assert!(
        page.body
            .contains("<span class=\"stat-value\" id=\"nps-score\">+67</span>"),
        "{}",
        page.body
    );
    assert_nps_daily_matches(&app.pool).await;
}

#[sqlx::test]
async fn two_processes_on_one_database_see_each_others_changes(pool: PgPool) {
    // Two app instances, each with its own pool, caches and worker state, as two `serve`
    // processes behind a load balancer would have.
    let one = TestApp::new(pool.clone()).await;
    let other = TestApp::new(second_pool(&pool).await).await;
    let cards = theme(&one.pool, "Card declined", "card declined").await;
    let item = feedback(&one.pool, "support", "my card declined", None, None, 1).await;
    let tag_id = tag(&one.pool, item, cards, "suggested").await;

    let (mut pm, _) = one.signed_in(Role::Pm).await;
    // The session lives in PostgreSQL: the same cookie is signed in on the other process.
    let mut pm_elsewhere = other.client();
    pm_elsewhere.cookies = pm.cookies.clone();
    let before = pm_elsewhere.get("/themes/review").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains("my card declined"), "{}", before.body);
    let overview = pm_elsewhere.get("/themes").await;
    assert_eq!(overview.status, StatusCode::OK);

    let res = pm
        .post_form("/themes/review", &[("one", &format!("confirm:{tag_id}"))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let after = pm_elsewhere.get("/themes/review").await;
    assert!(after.body.contains("Nothing to review"), "{}", after.body);
    let item_page = pm_elsewhere.get(&format!("/feedback/{item}")).await;
    assert!(
        item_page.body.contains("status-confirmed\">Confirmed"),
        "{}",
        item_page.body
    );
}

#[sqlx::test]
async fn an_import_committing_in_another_process_is_not_failed_by_a_start(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::ProductOps).await;
    let csv = b"source,body\nsupport,first\nsupport,second\n".to_vec();
    let staged = goldthread::imports::stage(
        &app.pool,
        goldthread::imports::Kind::Feedback,
        csv,
        "two.csv",
        None,
        &user,
        |_| {},
    )
    .await
    .unwrap();
    let goldthread::imports::Staged::Ready { batch_id, .. } = staged else {
        panic!("not staged: {staged:?}");
    };
    assert!(
        goldthread::imports::db::start_commit(&app.pool, batch_id)
            .await
            .unwrap()
    );
    let state = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>("select state from import_batches where id = $1")
            .bind(batch_id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    // Another process is committing it: its transaction holds the batch's lock.
    let elsewhere = second_pool(&app.pool).await;
    let mut committing = elsewhere.begin().await.unwrap();
    goldthread::imports::db::lock_for_commit(&mut *committing, batch_id)
        .await
        .unwrap();
    sqlx::query("update import_batches set heartbeat_at = now() - interval '1 hour' where id = $1")
        .bind(batch_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        goldthread::imports::db::fail_interrupted(&app.pool, 120)
            .await
            .unwrap(),
        0,
        "a commit running elsewhere is left alone"
    );
    assert_eq!(state(app.pool.clone()).await, "committing");
    // That process stopped: its transaction rolled back and released the lock.
    committing.rollback().await.unwrap();
    // A recent heartbeat still counts as alive (the lock is taken just after claiming).
    sqlx::query("update import_batches set heartbeat_at = now() where id = $1")
        .bind(batch_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        goldthread::imports::db::fail_interrupted(&app.pool, 120)
            .await
            .unwrap(),
        0
    );
    sqlx::query("update import_batches set heartbeat_at = now() - interval '1 hour' where id = $1")
        .bind(batch_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        goldthread::imports::db::fail_interrupted(&app.pool, 120)
            .await
            .unwrap(),
        1
    );
    assert_eq!(state(app.pool.clone()).await, "failed");
}

/// What the overview counts for a theme: (items, confirmed) from the rollup.
async fn rolled_up(app: &TestApp, theme: i64) -> (i64, i64) {
    sqlx::query_as(
        "select coalesce(sum(items), 0)::bigint, coalesce(sum(confirmed), 0)::bigint
         from theme_weekly where theme_id = $1",
    )
    .bind(theme)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_retag_counts_its_tags_when_it_ends_and_the_sweep_counts_what_a_stopped_one_left(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card declined", "card declined").await;
    let acme = account(&app.pool, "acme", "enterprise", 1_000_000).await;
    for i in 0..12 {
        let (who, nps) = if i % 3 == 0 {
            (Some(acme), Some((i % 11) as i16))
        } else {
            (None, None)
        };
        let source = if nps.is_some() { "nps" } else { "support" };
        feedback(
            &app.pool,
            source,
            &format!("my card declined again ({i})"),
            who,
            nps,
            i,
        )
        .await;
    }
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(
        rolled_up(&app, cards).await,
        (12, 0),
        "every suggestion counted"
    );
    assert_eq!(app.count("select count(*) from rollup_pending").await, 0);
    assert_rollups_match(&app.pool).await;

    // A retag that stopped after committing one write: its tags are stored, their counts wait.
    let late: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(
                feedback(
                    &app.pool,
                    "sales",
                    &format!("card declined at the till {i}"),
                    Some(acme),
                    None,
                    2,
                )
                .await,
            );
        }
        ids
    };
    let mut tx = app.pool.begin().await.unwrap();
    goldthread::themes::tagging::db::begin_retag_write(&mut tx)
        .await
        .unwrap();
    let tags: Vec<i64> = sqlx::query_scalar(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
         select f, $2, 'auto', 0.7, 'suggested' from unnest($1::bigint[]) as f returning id",
    )
    .bind(&late)
    .bind(cards)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rolled_up(&app, cards).await, (12, 0), "not counted yet");
    assert_eq!(app.count("select count(*) from rollup_pending").await, 4);
    // Meanwhile a PM confirms one of them and archives another (the ordinary triggers).
    sqlx::query("update feedback_themes set state = 'confirmed' where id = $1")
        .bind(tags[0])
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update feedback set archived_at = now() where id = $1")
        .bind(late[1])
        .execute(&app.pool)
        .await
        .unwrap();
    goldthread::worker::sweep(&app.pool).await;
    assert_eq!(app.count("select count(*) from rollup_pending").await, 0);
    assert_eq!(
        rolled_up(&app, cards).await,
        (15, 1),
        "the three live late items counted once, one of them confirmed"
    );
    assert_rollups_match(&app.pool).await;
}
