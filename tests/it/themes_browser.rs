//! Themes in a real browser: a PM confirms a suggestion and sees the count change; one key confirms.

use fantoccini::Locator;
use sqlx::PgPool;

use crate::helpers::{feedback, theme};

#[sqlx::test]
async fn a_pm_confirms_a_suggested_tag_in_the_browser_and_sees_the_count_change(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    let id = theme(&pool, "Card declined", "card declined, card refused").await;
    feedback(
        &pool,
        "support",
        "My card declined at the petrol station",
        None,
        None,
        1,
    )
    .await;
    goldthread::themes::retag_all(&pool, None).await.unwrap();
    let addr = crate::browser::serve(pool, true).await;
    let browser = crate::browser::Browser::start().await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/themes/{id}")).await.unwrap();
    c.find(Locator::Css("button[data-role='pm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Priya").await;
    c.find(Locator::Css("nav.mainnav a[href='/themes']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Themes").await;
    c.find(Locator::LinkText("Card declined"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Card declined").await;
    browser.see("#stat-items", "1").await;
    browser
        .see("#stat-confirmed", "0 confirmed by people")
        .await;
    c.find(Locator::Css("button[data-action='confirm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see_containing(".flash", "Confirmed 1 tag.").await;
    browser
        .see("#stat-confirmed", "1 confirmed by people")
        .await;
    browser.close().await;
}

#[sqlx::test]
async fn one_keystroke_confirms_in_the_review_queue(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    theme(&pool, "Card declined", "card declined, card refused").await;
    feedback(
        &pool,
        "support",
        "My card declined at the petrol station",
        None,
        None,
        1,
    )
    .await;
    feedback(
        &pool,
        "sales",
        "card refused when paying a supplier",
        None,
        None,
        2,
    )
    .await;
    goldthread::themes::retag_all(&pool, None).await.unwrap();
    let check = pool.clone();
    let addr = crate::browser::serve(pool, true).await;
    let browser = crate::browser::Browser::start().await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/signin")).await.unwrap();
    c.find(Locator::Css("button[data-role='pm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Priya").await;
    c.goto(&format!("http://{addr}/themes/review"))
        .await
        .unwrap();
    browser
        .see_containing("main", "Showing 2 of 2 suggestions")
        .await;
    // The script focuses the first item; "c" confirms it.
    c.wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("tr[data-review-item].is-current"))
        .await
        .unwrap();
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("c")
        .await
        .unwrap();
    browser.see_containing(".flash", "Confirmed 1 tag.").await;
    let confirmed: i64 =
        sqlx::query_scalar("select count(*) from feedback_themes where state = 'confirmed'")
            .fetch_one(&check)
            .await
            .unwrap();
    assert_eq!(confirmed, 1);
    browser
        .see_containing("main", "Showing 1 of 1 suggestions")
        .await;
    browser.close().await;
}
