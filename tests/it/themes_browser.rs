//! Themes in a real browser: a PM confirms a suggestion and sees the count change; one key confirms.

use fantoccini::Locator;
use sqlx::PgPool;

use crate::themes::{feedback, theme};

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
    assert_eq!(browser.text("h1").await, "Welcome, Priya");
    c.find(Locator::Css("nav.mainnav a[href='/themes']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Themes");
    c.find(Locator::LinkText("Card declined"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Card declined");
    assert_eq!(browser.text("#stat-items").await, "1");
    assert_eq!(
        browser.text("#stat-confirmed").await,
        "0 confirmed by people"
    );
    c.find(Locator::Css("button[data-action='confirm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = browser.text(".flash").await;
    assert!(flash.contains("Confirmed 1 tag."), "{flash}");
    assert_eq!(
        browser.text("#stat-confirmed").await,
        "1 confirmed by people"
    );
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
    assert_eq!(browser.text("h1").await, "Welcome, Priya");
    c.goto(&format!("http://{addr}/themes/review"))
        .await
        .unwrap();
    assert!(
        browser
            .text("main")
            .await
            .contains("Showing 2 of 2 suggestions")
    );
    // The script focuses the first item; "c" confirms it.
    c.find(Locator::Css("tr[data-review-item].is-current"))
        .await
        .unwrap();
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("c")
        .await
        .unwrap();
    let flash = browser.text(".flash").await;
    assert!(flash.contains("Confirmed 1 tag."), "{flash}");
    let confirmed: i64 =
        sqlx::query_scalar("select count(*) from feedback_themes where state = 'confirmed'")
            .fetch_one(&check)
            .await
            .unwrap();
    assert_eq!(confirmed, 1);
    assert!(
        browser
            .text("main")
            .await
            .contains("Showing 1 of 1 suggestions")
    );
    browser.close().await;
}
