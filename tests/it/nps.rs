//! The NPS page and the NPS figures of themes.

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::{TestApp, account, feedback, tag, theme};

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
async fn nps_says_when_dates_were_swapped_and_counts_one_answer_in_the_singular(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    feedback(&app.pool, "nps", "love it", None, Some(10), 2).await;
    let one = viewer.get("/nps").await;
    assert!(one.body.contains(">1 answer<"), "{}", one.body);
    assert!(!one.body.contains("1 answers"));

    let swapped = viewer.get("/nps?from=2026-11-30&to=2026-10-01").await;
    assert_eq!(swapped.status, StatusCode::OK);
    assert!(
        swapped.body.contains(
            "The start date 2026-11-30 was after the end date 2026-10-01, so they were swapped: showing 2026-10-01 to 2026-11-30."
        ),
        "{}",
        swapped.body
    );
    assert!(
        swapped.body.contains("value=\"2026-10-01\"")
            && swapped.body.contains("value=\"2026-11-30\"")
    );
    let unreadable = viewer.get("/nps?from=last+week").await;
    assert!(
        unreadable.body.contains("last week")
            && unreadable.body.contains("is not a date (use YYYY-MM-DD)")
    );
    let fine = viewer.get("/nps?from=2026-10-01&to=2026-11-30").await;
    assert!(!fine.body.contains("flash warning"));
}
